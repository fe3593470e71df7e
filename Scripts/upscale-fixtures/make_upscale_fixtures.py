#!/usr/bin/env python3
"""Makes UpscaleKit's test fixtures and the expectations they are checked against.

Source: scikit-image's `astronaut` (NASA photograph of Eileen Collins, public domain).
For each 256x256 crop:
  - `<crop>.png`: the crop (8-bit RGB), the ground truth.
  - `<crop>-x<k>.png` for k in 2, 4, 8: the crop box-averaged by k (mean of each k x k block,
    rounded half up), the low-resolution input.
  - Pillow's BICUBIC and LANCZOS upscales of each low-resolution input back to 256x256, and their
    PSNR on BT.601 luma against the crop: the oracle UpscaleKit's catmullRom and lanczos3 must meet
    within 0.02 dB.
  - For the x2 LANCZOS upscale (`<crop>-x2-pillow-lanczos.png`): scikit-image's PSNR (RGB and luma)
    and SSIM (luma; gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=255),
    OpenCV's variance of the Laplacian of the luma, and the round-trip PSNR (the upscale
    box-averaged back to 128x128 against the x2 input): the metrics UpscaleKit must reproduce.

Writes Tests/UpscaleKitTests/Fixtures/{*.png,expectations.json}. Deterministic; re-run to refresh.
Needs: pip install scikit-image pillow opencv-python-headless numpy
"""
import json
import pathlib

import cv2
import numpy as np
import PIL
from PIL import Image
from skimage import data
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

OUT = pathlib.Path(__file__).resolve().parents[2] / "Tests" / "UpscaleKitTests" / "Fixtures"
CROPS = {"astronaut-face": (40, 160), "astronaut-suit": (256, 200)}  # (top, left)
FACTORS = [2, 4, 8]


def luma(rgb):
    rgb = rgb.astype(np.float64)
    return 0.299 * rgb[..., 0] + 0.587 * rgb[..., 1] + 0.114 * rgb[..., 2]


def box_down(image, k):
    h, w = image.shape[:2]
    blocks = image.astype(np.float64).reshape(h // k, k, w // k, k, -1).mean(axis=(1, 3))
    return np.floor(blocks + 0.5).clip(0, 255).astype(np.uint8)


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob("*.png"):
        old.unlink()
    source = data.astronaut()
    expectations = {"pillow": PIL.__version__, "oracles": [], "metrics": []}
    for name, (top, left) in CROPS.items():
        crop = np.ascontiguousarray(source[top : top + 256, left : left + 256, :3])
        Image.fromarray(crop).save(OUT / f"{name}.png", optimize=True)
        for k in FACTORS:
            small = box_down(crop, k)[..., :3]
            Image.fromarray(small).save(OUT / f"{name}-x{k}.png", optimize=True)
            entry = {"crop": f"{name}.png", "input": f"{name}-x{k}.png", "factor": k}
            for label, method in [("bicubic", Image.BICUBIC), ("lanczos", Image.LANCZOS)]:
                up = np.asarray(Image.fromarray(small).resize((256, 256), method))
                entry[f"pillow_{label}_psnr_luma"] = peak_signal_noise_ratio(luma(crop), luma(up), data_range=255)
                if k == 2 and label == "lanczos":
                    upscaled_name = f"{name}-x2-pillow-lanczos.png"
                    Image.fromarray(up).save(OUT / upscaled_name, optimize=True)
                    y_true, y_up = luma(crop), luma(up)
                    expectations["metrics"].append(
                        {
                            "reference": f"{name}.png",
                            "test": upscaled_name,
                            "low": f"{name}-x2.png",
                            "psnr_rgb": peak_signal_noise_ratio(crop, up, data_range=255),
                            "psnr_luma": peak_signal_noise_ratio(y_true, y_up, data_range=255),
                            "ssim_luma": structural_similarity(
                                y_true, y_up, gaussian_weights=True, sigma=1.5,
                                use_sample_covariance=False, data_range=255,
                            ),
                            "sharpness": float(cv2.Laplacian(y_up, cv2.CV_64F).var()),
                            # unrounded box average of the luma, against the x2 input's luma
                            "round_trip_psnr_luma": peak_signal_noise_ratio(
                                luma(small),
                                y_up.reshape(128, 2, 128, 2).mean(axis=(1, 3)),
                                data_range=255,
                            ),
                        }
                    )
            expectations["oracles"].append(entry)
    (OUT / "expectations.json").write_text(json.dumps(expectations, indent=2, sort_keys=True) + "\n")
    print(json.dumps(expectations, indent=2, sort_keys=True))


if __name__ == "__main__":
    main()
