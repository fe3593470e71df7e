"""Writes the fixtures that check the Swift inference against PyTorch:
Tests/UpscaleKitTests/Fixtures/learned/input.png, a 24×20 gray crop of the held-out photograph
RainDrops.jpg (mate-backgrounds, GPL-2+), and expected-x2.f32 / expected-x4.f32, the PyTorch
model's output for it (row-major Float32 little-endian, luma in 0...1, unclamped).

    python export_fixture.py --images DIR --weights DIR_WITH_sfsr-xN.bin.pt --out Tests/UpscaleKitTests/Fixtures/learned
"""

import argparse
import os

import numpy as np
import torch
from PIL import Image

import common


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--images", required=True)
    parser.add_argument("--weights", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    rgb = common.load_rgb(args.images, "RainDrops.jpg")
    gray = np.clip(np.floor(common.luma(rgb[600:620, 900:924]) + 0.5), 0, 255).astype(np.uint8)
    Image.fromarray(gray, mode="L").save(os.path.join(args.out, "input.png"))
    x = torch.from_numpy(gray.astype(np.float32) / 255).view(1, 1, *gray.shape)
    for scale in (2, 4):
        model = common.build_model(scale)
        model.load_state_dict(torch.load(os.path.join(args.weights, f"sfsr-x{scale}.bin.pt")))
        model.eval()
        with torch.no_grad():
            y = model(x)[0, 0].numpy().astype("<f4")
        y.tofile(os.path.join(args.out, f"expected-x{scale}.f32"))
        print(scale, y.shape, float(y.min()), float(y.max()))


if __name__ == "__main__":
    main()
