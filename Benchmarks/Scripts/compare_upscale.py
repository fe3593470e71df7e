#!/usr/bin/env python3
"""Side-by-side upscaling throughput: StoryForge's `upscale` CLI against OpenCV and Pillow.

For each factor and thread setting, alternating the tools in one run, it times the resize alone
(the image already decoded in memory on every side) and reports output megapixels per second and
the ratio to OpenCV's INTER_CUBIC, the fastest interpolating kernel a user would pick instead.

    python3 Benchmarks/Scripts/compare_upscale.py --storyforge .build/release/upscale \
        --input .bench-inputs/photo-1024.png [--markdown FILE]

Needs: pip install opencv-python-headless pillow numpy. StoryForge's side runs
`upscale IN - --scale K --method M --threads T --repeat N` and reads `resize_ms=` from it.

With `--vips` (needs `vips` on PATH, Debian: libvips-tools) it also times
`vips resize IN.v OUT.v K --kernel lanczos3 --vips-concurrency T` on the input converted to libvips'
own format in /dev/shm: the whole command (process start, mapping the input, writing the output to
memory), since the CLI cannot time its resize alone. That row is therefore an upper bound.
"""
import argparse
import os
import platform
import shutil
import subprocess
import tempfile
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
    parser.add_argument("--vips", action="store_true", help="also time the libvips CLI (whole command)")
    args = parser.parse_args()
    vips_in = vips_out = None
    if args.vips and shutil.which("vips"):
        scratch = tempfile.mkdtemp(dir="/dev/shm" if os.path.isdir("/dev/shm") else None)
        vips_in = os.path.join(scratch, "in.v")
        vips_out = os.path.join(scratch, "out.v")
        subprocess.run(["vips", "copy", args.input, vips_in], check=True)

    rgb = np.asarray(Image.open(args.input).convert("RGB"))
    bgr = np.ascontiguousarray(rgb[..., ::-1])
    pil = Image.fromarray(rgb)
    h, w = rgb.shape[:2]
    cores = os.cpu_count() or 1
    rows = []
    pillow_lanczos = {}
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
                if vips_in:
                    command = ["vips", "resize", vips_in, vips_out, str(factor), "--kernel", "lanczos3",
                               "--vips-concurrency", str(threads)]
                    key = "libvips lanczos3 (whole command)"
                    best[key] = min(best.get(key, float("inf")),
                                    best_of(lambda: subprocess.run(command, check=True), repeat))
                    # Start-up and reading the input alone, to subtract by eye.
                    baseline = ["vips", "avg", vips_in, "--vips-concurrency", str(threads)]
                    key = "libvips start-up (vips avg)"
                    best[key] = min(best.get(key, float("inf")),
                                    best_of(lambda: subprocess.run(baseline, check=True, capture_output=True),
                                            repeat))
                for method in ("lanczos3", "catmullRom"):
                    key = f"StoryForge {method}"
                    best[key] = min(best.get(key, float("inf")),
                                    storyforge_ms(args.storyforge, args.input, factor, method, threads, repeat))
            reference = best["OpenCV INTER_CUBIC"]
            # Pillow is single-threaded: its one-thread time is the reference for every thread count.
            pillow = best.get("Pillow LANCZOS", pillow_lanczos.get(factor))
            pillow_lanczos[factor] = pillow
            for name, ms in best.items():
                rows.append((f"x{factor}", threads, name, ms, mpix / ms * 1000, reference / ms, pillow / ms))
    header = ("| factor | threads | resizer | ms | output Mpix/s | vs OpenCV INTER_CUBIC | vs Pillow LANCZOS |\n"
              "|:--|--:|:--|--:|--:|--:|--:|\n")
    table = header + "".join(f"| {f} | {t} | {n} | {ms:.2f} | {rate:.0f} | {ratio:.2f} | {p:.1f} |\n"
                             for f, t, n, ms, rate, ratio, p in rows)
    info = (f"input {args.input} ({w}x{h} RGB8); CPU {platform.processor() or platform.machine()}, {cores} logical; "
            f"OpenCV {cv2.__version__}; Pillow {Image.__version__}; "
            + (subprocess.run(["vips", "--version"], capture_output=True, text=True).stdout.strip() + "; "
               if vips_in else "")
            + f"min over {args.rounds} alternating rounds\n\n")
    print(info + table)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(info + table)
    if vips_in:
        shutil.rmtree(os.path.dirname(vips_in), ignore_errors=True)


if __name__ == "__main__":
    main()
