#!/usr/bin/env bash
# StoryForge's composer and moviepy 2 side by side, in one run on one machine: the same six stills (generated
# 1080×1920 test patterns), each zoomed over its shot, 0.5 s crossfades, the same voice, no subtitles, libx264
# High veryfast crf 20 yuv420p BT.709 + AAC. moviepy comes from PyPI into .venv-moviepy/ (git-ignored).
#
#   bash Benchmarks/compare-moviepy.sh                 # 43.1 s of video, the default story's length
#   SECONDS_OF_VIDEO=10 bash Benchmarks/compare-moviepy.sh
set -euo pipefail
cd "$(dirname "$0")/.."

length="${SECONDS_OF_VIDEO:-43.1}"
# BUILD_PATH: another build folder (a release build beside the debug one; default .build).
build="${BUILD_PATH:-.build}"
swift build -c release --product compose-bench --build-path "$build" >/dev/null
if [ ! -x .venv-moviepy/bin/python ]; then
    python3 -m venv .venv-moviepy
    .venv-moviepy/bin/pip install --quiet "moviepy>=2.1,<3"
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# Smooth, picture-like patterns: the binary noise of lavfi's life and cellauto would make x264 the whole story.
sources=(testsrc2 mandelbrot smptehdbars rgbtestsrc gradients testsrc)
images=()
for index in 0 1 2 3 4 5; do
    still="$work/still-$index.png"
    ffmpeg -hide_banner -loglevel error -nostdin -f lavfi -i "${sources[$index]}=size=1080x1920" -frames:v 1 -y "$still"
    images+=("$still")
done
ffmpeg -hide_banner -loglevel error -nostdin -f lavfi -i "sine=frequency=180:sample_rate=48000:duration=$length" \
    -af volume=-12dB -y "$work/voice.wav"

echo "== $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $length s of 1080×1920 at 30 fps"
image_flags=()
for still in "${images[@]}"; do image_flags+=(--image "$still"); done
echo "== StoryForge VideoComposer + StillFrameRenderer (release build)"
"$build/release/compose-bench" --mode compose --no-subtitles --seconds "$length" "${image_flags[@]}" \
    --voice "$work/voice.wav" --output "$work/storyforge.mp4" | tee "$work/storyforge.log"
storyforge="$(sed -n 's/^compose_seconds=//p' "$work/storyforge.log")"
storyforge_cpu="$(sed -n 's/^compose_cpu_seconds=//p' "$work/storyforge.log")"
echo "== moviepy $(.venv-moviepy/bin/python -c 'import importlib.metadata as m; print(m.version("moviepy"))'), load $(cut -d' ' -f1-3 /proc/loadavg)"
.venv-moviepy/bin/python Benchmarks/moviepy/compose_moviepy.py "${image_flags[@]}" --voice "$work/voice.wav" \
    --seconds "$length" --output "$work/moviepy.mp4" | tee "$work/moviepy.log"
moviepy="$(sed -n 's/^moviepy_seconds=//p' "$work/moviepy.log")"
moviepy_cpu="$(sed -n 's/^moviepy_cpu_seconds=//p' "$work/moviepy.log")"
for file in storyforge moviepy; do
    frames="$(ffprobe -v error -count_packets -select_streams v:0 -show_entries stream=nb_read_packets -of csv=p=0 \
        "$work/$file.mp4")"
    echo "$file.mp4: $frames frames, $(stat -c %s "$work/$file.mp4") bytes"
done
echo "load after $(cut -d' ' -f1-3 /proc/loadavg)"
python3 -c "print(f'ratio moviepy / StoryForge: {$moviepy / $storyforge:.1f}x wall, {$moviepy_cpu / $storyforge_cpu:.1f}x CPU')"
