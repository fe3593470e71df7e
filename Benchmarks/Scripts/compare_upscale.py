#!/usr/bin/env python3
"""Side-by-side upscaling throughput: StoryForge's `upscale` CLI against OpenCV and Pillow.

For each factor and thread setting, alternating the tools in one run, it times the resize alone
(the image already decoded in memory on every side) and reports output megapixels per second and
the ratio to OpenCV's INTER_CUBIC, the fastest interpolating kernel a user would pick instead.

    python3 Benchmarks/Scripts/compare_upscale.py --storyforge .build/release/upscale \
        --input .bench-inputs/photo-1024.png [--markdown FILE]

Needs: pip install opencv-python-headless pillow numpy. StoryForge's side runs
`upscale IN - --scale K --method M --threads T --repeat N` and reads `resize_ms=` from it.
"""
import argparse
import os
import platform
import subprocess
import time

import cv2
import numpy as np
from PIL import Image


def best_of(fn, repeat):
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best * 1000


def storyforge_ms(binary, path, factor, method, threads, repeat):
    out = subprocess.run(
        [binary, path, "-", "--scale", str(factor), "--method", method, "--threads", str(threads), "--repeat", str(repeat)],
        check=True, capture_output=True, text=True,
    ).stdout
    return float(out.split("resize_ms=")[1].split()[0])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--storyforge", default=".build/release/upscale")
    parser.add_argument("--input", default=".bench-inputs/photo-1024.png")
    parser.add_argument("--factors", default="2,4")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--markdown")
    args = parser.parse_args()

    rgb = np.asarray(Image.open(args.input).convert("RGB"))
    bgr = np.ascontiguousarray(rgb[..., ::-1])
    pil = Image.fromarray(rgb)
    h, w = rgb.shape[:2]
    cores = os.cpu_count() or 1
    rows = []
    for factor in [int(f) for f in args.factors.split(",")]:
        size = (w * factor, h * factor)
        mpix = size[0] * size[1] / 1e6
        repeat = 10 if factor <= 2 else 4
        for threads in (1, cores):
            cv2.setNumThreads(threads)
            best = {}
            for _ in range(args.rounds):
                for name, fn in [
                    ("OpenCV INTER_CUBIC", lambda: cv2.resize(bgr, size, interpolation=cv2.INTER_CUBIC)),
                    ("OpenCV INTER_LANCZOS4", lambda: cv2.resize(bgr, size, interpolation=cv2.INTER_LANCZOS4)),
                    ("Pillow LANCZOS", lambda: pil.resize(size, Image.LANCZOS)),
                    ("Pillow BICUBIC", lambda: pil.resize(size, Image.BICUBIC)),
                ]:
                    if name.startswith("Pillow") and threads > 1:
                        continue  # Pillow's resize is single-threaded
                    best[name] = min(best.get(name, float("inf")), best_of(fn, repeat))
                for method in ("lanczos3", "catmullRom"):
                    key = f"StoryForge {method}"
                    best[key] = min(best.get(key, float("inf")),
                                    storyforge_ms(args.storyforge, args.input, factor, method, threads, repeat))
            reference = best["OpenCV INTER_CUBIC"]
            for name, ms in best.items():
                rows.append((f"x{factor}", threads, name, ms, mpix / ms * 1000, reference / ms))
    header = "| factor | threads | resizer | ms | output Mpix/s | vs OpenCV INTER_CUBIC |\n|:--|--:|:--|--:|--:|--:|\n"
    table = header + "".join(f"| {f} | {t} | {n} | {ms:.2f} | {rate:.0f} | {ratio:.2f} |\n" for f, t, n, ms, rate, ratio in rows)
    info = (f"input {args.input} ({w}x{h} RGB8); CPU {platform.processor() or platform.machine()}, {cores} logical; "
            f"OpenCV {cv2.__version__}; Pillow {Image.__version__}; min over {args.rounds} alternating rounds\n\n")
    print(info + table)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(info + table)


if __name__ == "__main__":
    main()
