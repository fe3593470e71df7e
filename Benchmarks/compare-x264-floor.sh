#!/usr/bin/env bash
# The composer against its floor, in one run: VideoComposer with StillFrameRenderer (frames drawn in Swift,
# libass subtitles, x264, the two-pass audio mastering) against x264 alone encoding the very same frames from a
# raw yuv420p file with the same settings. Default: the default story's shape (43.1 s, six shots, 1080×1920 at
# 30 fps, veryfast crf 20, burned subtitles). Extra arguments go to compose-bench (e.g. --zoompan to time the old
# zoompan path as well, --clip-shots 6 to make every shot a 1920×1080 video clip).
#
# `clips` as the first argument runs the stills and then the same story with every shot a clip, back to back, so
# the two ratios come from one run on the same machine and load.
#
#   bash Benchmarks/compare-x264-floor.sh
#   bash Benchmarks/compare-x264-floor.sh --zoompan
#   bash Benchmarks/compare-x264-floor.sh clips
set -euo pipefail
cd "$(dirname "$0")/.."
# BUILD_PATH: another build folder (a release build beside the debug one; default .build).
build="${BUILD_PATH:-.build}"
swift build -c release --product compose-bench --build-path "$build" >/dev/null
if [[ "${1:-}" == "clips" ]]; then
    shift
    echo "== stills"
    "$build/release/compose-bench" --mode ratio "$@"
    echo "== clips (every shot a 1920x1080 x264 clip, decoded by ffmpeg)"
    "$build/release/compose-bench" --mode ratio --clip-shots 6 "$@"
else
    "$build/release/compose-bench" --mode ratio "$@"
fi
