#!/usr/bin/env bash
# The composer against its floor, in one run: VideoComposer with StillFrameRenderer (frames drawn in Swift,
# libass subtitles, x264, the two-pass audio mastering) against x264 alone encoding the very same frames from a
# raw yuv420p file with the same settings. Default: the default story's shape (43.1 s, six shots, 1080×1920 at
# 30 fps, veryfast crf 20, burned subtitles). Extra arguments go to compose-bench (e.g. --zoompan to time the old
# zoompan path as well).
#
#   bash Benchmarks/compare-x264-floor.sh
#   bash Benchmarks/compare-x264-floor.sh --zoompan
set -euo pipefail
cd "$(dirname "$0")/.."
# BUILD_PATH: another build folder (a release build beside the debug one; default .build).
build="${BUILD_PATH:-.build}"
swift build -c release --product compose-bench --build-path "$build" >/dev/null
"$build/release/compose-bench" --mode ratio "$@"
