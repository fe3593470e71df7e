"""Output throughput of the learned model (the Swift `upscale` CLI) next to OpenCV's dnn engine
running FSRCNN, on 512² and 1024² RGB inputs, ×2 and ×4.

OpenCV's dnn_superres reads FSRCNN from TensorFlow .pb files (FSRCNN_x2.pb, FSRCNN_x4.pb) that are
not on PyPI or in Debian, so they cannot be fetched here. This script builds the same network
(FSRCNN d=56, s=12, m=4: conv 5×5 1→56, 1×1 56→12, four 3×3 12→12, 1×1 12→56, PReLU after each,
9×9 transposed convolution with stride = scale) in PyTorch with seeded random weights (speed does
not depend on the values), exports it to ONNX and runs it with cv2.dnn, wrapped as dnn_superres
wraps it: BGR→YCrCb, the network on Y (float, /255), bicubic Cr and Cb, back to BGR.

    python speed.py --upscale .build/release/upscale --photo .bench-inputs/photo-1024.png [--threads 2]
"""

import argparse
import os
import platform
import re
import subprocess
import tempfile
import time

import cv2
import numpy as np
import torch
import torch.nn as nn
from PIL import Image


class FSRCNN(nn.Module):
    def __init__(self, scale, d=56, s=12, m=4):
        super().__init__()
        layers = [nn.Conv2d(1, d, 5, padding=2), nn.PReLU(d), nn.Conv2d(d, s, 1), nn.PReLU(s)]
        for _ in range(m):
            layers += [nn.Conv2d(s, s, 3, padding=1), nn.PReLU(s)]
        layers += [nn.Conv2d(s, d, 1), nn.PReLU(d)]
        self.body = nn.Sequential(*layers)
        self.tail = nn.ConvTranspose2d(d, 1, 9, stride=scale, padding=4, output_padding=scale - 1)

    def forward(self, x):
        return self.tail(self.body(x))


def opencv_fsrcnn(path, scale, size):
    torch.manual_seed(0)
    model = FSRCNN(scale).eval()
    with torch.no_grad():
        out = model(torch.zeros(1, 1, size, size))
    assert out.shape[-1] == size * scale
    torch.onnx.export(model, torch.zeros(1, 1, size, size), path, opset_version=13, dynamo=False)
    return cv2.dnn.readNetFromONNX(path)


def run_opencv(net, bgr, scale):
    ycrcb = cv2.cvtColor(bgr, cv2.COLOR_BGR2YCrCb)
    y = ycrcb[:, :, 0].astype(np.float32) / 255
    net.setInput(cv2.dnn.blobFromImage(y))
    out = net.forward()[0, 0]
    h, w = out.shape
    chroma = cv2.resize(ycrcb, (w, h), interpolation=cv2.INTER_CUBIC)
    chroma[:, :, 0] = np.clip(out * 255, 0, 255).astype(np.uint8)
    return cv2.cvtColor(chroma, cv2.COLOR_YCrCb2BGR)


def best_ms(function, rounds):
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        function()
        best = min(best, (time.perf_counter() - start) * 1000)
    return best


def swift_ms(binary, path, scale, method, threads, rounds, extra=()):
    output = subprocess.run(
        [binary, path, "-", "--scale", str(scale), "--method", method, "--threads", str(threads),
         "--repeat", str(rounds), *extra],
        check=True, capture_output=True, text=True,
    ).stdout
    return float(re.search(r"resize_ms=([0-9.]+)", output).group(1))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--upscale", required=True)
    parser.add_argument("--photo", required=True, help="an RGB photograph at least 1024² (its centre is used)")
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--slow-rounds", type=int, default=2, help="rounds for the FSRCNN runs (seconds each)")
    args = parser.parse_args()
    cv2.setNumThreads(args.threads)
    torch.set_num_threads(args.threads)
    photo = np.asarray(Image.open(args.photo).convert("RGB"))
    print(f"CPU {platform.machine()}, {os.cpu_count()} logical; OpenCV {cv2.__version__}; threads {args.threads}; "
          f"min over {args.rounds} runs")
    print()
    print("| input | factor | engine | ms | output Mpix/s | learned ÷ OpenCV FSRCNN |")
    print("|:--|--:|:--|--:|--:|--:|")
    with tempfile.TemporaryDirectory() as work:
        for size in (512, 1024):
            y0 = (photo.shape[0] - size) // 2
            x0 = (photo.shape[1] - size) // 2
            crop = np.ascontiguousarray(photo[y0 : y0 + size, x0 : x0 + size])
            path = os.path.join(work, f"in-{size}.png")
            Image.fromarray(crop).save(path)
            bgr = cv2.cvtColor(crop, cv2.COLOR_RGB2BGR)
            for scale in (2, 4):
                megapixels = (size * scale) ** 2 / 1e6
                net = opencv_fsrcnn(os.path.join(work, f"fsrcnn-{scale}-{size}.onnx"), scale, size)
                run_opencv(net, bgr, scale)  # warm-up
                opencv = best_ms(lambda: run_opencv(net, bgr, scale), args.slow_rounds)
                # The same FSRCNN in PyTorch (network only, luma plane): a second, independent reference.
                torch.manual_seed(0)
                model = FSRCNN(scale).eval()
                luma = torch.from_numpy(cv2.cvtColor(bgr, cv2.COLOR_BGR2YCrCb)[:, :, 0].astype(np.float32) / 255)
                with torch.no_grad():
                    pytorch = best_ms(lambda: model(luma.view(1, 1, size, size)), args.slow_rounds)
                learned = swift_ms(args.upscale, path, scale, "learned", args.threads, args.rounds)
                ensemble = swift_ms(args.upscale, path, scale, "learned", args.threads, args.rounds, ["--ensemble"])
                lanczos = swift_ms(args.upscale, path, scale, "lanczos3", args.threads, args.rounds)
                for name, ms in (("OpenCV dnn FSRCNN (ONNX)", opencv), ("PyTorch FSRCNN (network only)", pytorch),
                                 ("StoryForge learned", learned),
                                 ("StoryForge learned --ensemble", ensemble),
                                 ("StoryForge lanczos3", lanczos)):
                    ratio = f"{opencv / ms:.2f}" if name.startswith("StoryForge learned") else ""
                    print(f"| {size}² | ×{scale} | {name} | {ms:.1f} | {megapixels / ms * 1000:.1f} | {ratio} |",
                          flush=True)


if __name__ == "__main__":
    main()
