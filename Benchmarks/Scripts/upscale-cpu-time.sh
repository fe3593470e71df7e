#!/usr/bin/env bash
# CPU time of one upscale, StoryForge against OpenCV's INTER_CUBIC, robust to a busy machine:
# `perf stat -e task-clock` counts the process's own CPU time, and the difference between 11 runs
# and 1 run cancels start-up and decoding. Usage: upscale-cpu-time.sh [FACTOR] [INPUT] [UPSCALE-BIN]
# Needs perf (Debian: linux-perf), python3 with opencv-python-headless.
set -euo pipefail
factor=${1:-2}
input=${2:-.bench-inputs/photo-1024.png}
binary=${3:-.build/release/upscale}
opencv_loop='
import cv2, sys
cv2.setNumThreads(1)
image = cv2.imread(sys.argv[1]); h, w = image.shape[:2]; f = int(sys.argv[2])
for _ in range(int(sys.argv[3])): cv2.resize(image, (w * f, h * f), interpolation=cv2.INTER_CUBIC)
'

# Milliseconds of CPU time of the command given as arguments.
cpu_ms() { perf stat -x, -e task-clock -- taskset -c 0 "$@" 2>&1 >/dev/null | grep task-clock | cut -d, -f1 | cut -d. -f1; }

for method in lanczos3 catmullRom; do
    one=$(cpu_ms "$binary" "$input" - --scale "$factor" --threads 1 --method "$method" --repeat 1)
    eleven=$(cpu_ms "$binary" "$input" - --scale "$factor" --threads 1 --method "$method" --repeat 11)
    echo "StoryForge $method x$factor: $(((eleven - one) / 10)) ms CPU"
done
one=$(cpu_ms python3 -c "$opencv_loop" "$input" "$factor" 1)
eleven=$(cpu_ms python3 -c "$opencv_loop" "$input" "$factor" 11)
echo "OpenCV INTER_CUBIC x$factor: $(((eleven - one) / 10)) ms CPU"
