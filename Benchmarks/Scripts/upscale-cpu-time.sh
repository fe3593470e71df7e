#!/usr/bin/env bash
# CPU time of one upscale, StoryForge against OpenCV's INTER_CUBIC, robust to a busy machine:
# `perf stat -e task-clock` counts the process's own CPU time, and the difference between 11 runs
# and 1 run cancels start-up and decoding. Usage: upscale-cpu-time.sh [FACTOR] [INPUT] [UPSCALE-BIN]
# Needs perf (Debian: linux-perf), python3 with opencv-python-headless.
set -euo pipefail
factor=${1:-2}
input=${2:-.bench-inputs/photo-1024.png}
binary=${3:-.build/release/upscale}

cpu_ms() { perf stat -x, -e task-clock "$@" 2>&1 >/dev/null | grep task-clock | cut -d, -f1 | cut -d. -f1; }
per_run() { echo $(( ($(cpu_ms "$@" 11) - $(cpu_ms "$@" 1)) / 10 )); }

storyforge() { taskset -c 0 "$binary" "$input" - --scale "$factor" --threads 1 --method "$method" --repeat "$1"; }
opencv() {
    taskset -c 0 python3 -c "
import cv2, sys
cv2.setNumThreads(1)
image = cv2.imread(sys.argv[1]); h, w = image.shape[:2]; f = int(sys.argv[2])
for _ in range(int(sys.argv[3])): cv2.resize(image, (w * f, h * f), interpolation=cv2.INTER_CUBIC)
" "$input" "$factor" "$1"
}

for method in lanczos3 catmullRom; do
    echo "StoryForge $method x$factor: $(per_run storyforge) ms CPU"
done
echo "OpenCV INTER_CUBIC x$factor: $(per_run opencv) ms CPU"
