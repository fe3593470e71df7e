"""The quality table of the learned model, from the shipped Swift inference: degrades each held-out
photograph (mate-nature-heldout-3) by box averaging and by antialiased bicubic at ×2, ×4 and ×8,
enlarges it back with the `upscale` CLI (`--method lanczos3` and `--method learned`), and
compares with the original: PSNR and SSIM of BT.601 luma with a border of `scale` pixels removed.

    python evaluate.py --images DIR --upscale .build/release/upscale [--cascades] [--reduce 2]

--reduce 2 evaluates on the photographs reduced to half size first (Pillow LANCZOS): at their
native size several are soft (Lanczos3 already reaches 46–50 dB at ×2).

--cascades also measures the three ways to make ×8 from the ×2 and ×4 models, running the CLI
stage by stage (each stage is what the library's cascade does: 8-bit PNG between stages).
"""

import argparse
import json
import os
import subprocess
import tempfile

import numpy as np
from PIL import Image

import common


def gaussian_blur(x):
    """SciPy gaussian_filter(sigma=1.5, truncate=3.5, mode='reflect'), as scikit-image's SSIM uses."""
    radius, sigma = 5, 1.5
    k = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    k /= k.sum()
    rows, columns = x.shape
    p = np.pad(x, radius, mode="symmetric")
    h = sum(k[i] * p[:, i : i + columns] for i in range(2 * radius + 1))
    return sum(k[i] * h[i : i + rows, :] for i in range(2 * radius + 1))


def ssim(a, b):
    """scikit-image structural_similarity(gaussian_weights=True, sigma=1.5,
    use_sample_covariance=False, data_range=255) on 2-D luma."""
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    mx, my = gaussian_blur(a), gaussian_blur(b)
    vx = gaussian_blur(a * a) - mx * mx
    vy = gaussian_blur(b * b) - my * my
    vxy = gaussian_blur(a * b) - mx * my
    s = ((2 * mx * my + c1) * (2 * vxy + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2))
    return float(s[5:-5, 5:-5].mean())


def psnr(a, b):
    mse = np.mean((a - b) ** 2)
    return float(10 * np.log10(255 * 255 / mse))


def scores(reference, output, scale):
    a = common.luma(reference)[scale:-scale, scale:-scale]
    b = common.luma(output)[scale:-scale, scale:-scale]
    return psnr(a, b), ssim(a, b)


def run_cli(binary, source, destination, scale, method, extra=()):
    subprocess.run([binary, source, destination, "--scale", str(scale), "--method", method, *extra], check=True,
                   stdout=subprocess.DEVNULL)
    return np.asarray(Image.open(destination).convert("RGB"))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--images", required=True)
    parser.add_argument("--upscale", required=True, help="the release build of the upscale CLI")
    parser.add_argument("--factors", type=int, nargs="+", default=[2, 4, 8])
    parser.add_argument("--cascades", action="store_true")
    parser.add_argument("--ensemble", action="store_true", help="also score `learned --ensemble` (mirror ensemble)")
    parser.add_argument("--json", help="write every figure here")
    parser.add_argument("--reduce", type=int, default=1,
                        help="first reduce each held-out photograph by this factor (Pillow LANCZOS)")
    args = parser.parse_args()

    rows = []
    with tempfile.TemporaryDirectory() as work:
        for name in common.HELD_OUT:
            hr = common.load_rgb(args.images, name)
            if args.reduce > 1:
                size = (hr.shape[1] // args.reduce, hr.shape[0] // args.reduce)
                hr = np.asarray(Image.fromarray(hr).resize(size, Image.LANCZOS))
            hr = common.crop_to_multiple(hr, 8)
            for degradation in ("box", "bicubic"):
                for scale in args.factors:
                    lr = common.DEGRADATIONS[degradation](hr, scale)
                    source = os.path.join(work, "lr.png")
                    Image.fromarray(lr).save(source)
                    methods = {"lanczos3": run_cli(args.upscale, source, os.path.join(work, "l.png"), scale, "lanczos3"),
                               "learned": run_cli(args.upscale, source, os.path.join(work, "n.png"), scale, "learned")}
                    if args.ensemble:
                        methods["learned --ensemble"] = run_cli(
                            args.upscale, source, os.path.join(work, "e.png"), scale, "learned", ["--ensemble"])
                    if args.cascades and scale == 8:
                        for order in ((4, 2), (2, 4), (2, 2, 2)):
                            current = source
                            for i, step in enumerate(order):
                                target = os.path.join(work, f"c{i}.png")
                                out = run_cli(args.upscale, current, target, step, "learned")
                                current = target
                            methods["learned " + "×".join(map(str, order))] = out
                    for method, output in methods.items():
                        p, s = scores(hr, output, scale)
                        rows.append({"image": name, "degradation": degradation, "scale": scale, "method": method,
                                     "psnr": p, "ssim": s})
                    print(name, degradation, scale,
                          {r["method"]: round(r["psnr"], 3) for r in rows[-len(methods):]}, flush=True)

    print()
    print("| degradation | factor | method | mean PSNR (dB) | gain | mean SSIM | gain |")
    print("|:--|--:|:--|--:|--:|--:|--:|")
    for degradation in ("box", "bicubic"):
        for scale in args.factors:
            subset = [r for r in rows if r["degradation"] == degradation and r["scale"] == scale]
            methods = list(dict.fromkeys(r["method"] for r in subset))
            base_p = np.mean([r["psnr"] for r in subset if r["method"] == "lanczos3"])
            base_s = np.mean([r["ssim"] for r in subset if r["method"] == "lanczos3"])
            for method in methods:
                p = np.mean([r["psnr"] for r in subset if r["method"] == method])
                s = np.mean([r["ssim"] for r in subset if r["method"] == method])
                print(f"| {degradation} | ×{scale} | {method} | {p:.2f} | {p - base_p:+.2f} | {s:.4f} | {s - base_s:+.4f} |")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
