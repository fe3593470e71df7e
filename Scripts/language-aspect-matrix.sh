#!/usr/bin/env bash
# Runs the whole story pipeline offline in English, German, Spanish and Japanese at 9:16, 16:9, 1:1 and 4:5 (16
# runs; `full`, the default, at full frame size, minutes each on a busy machine; `small` at a third of each size),
# and prints each run's quality-gate result, the subtitle text
# pixels found in a frame, and the QC pass rate. The text of the non-English stories comes from a scripted
# OpenAI-compatible server on loopback (Tests/StoryPipelineTests/LanguageAspectRunTests.swift), since the offline
# template writer writes English.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build --build-tests
STORYFORGE_LANGUAGE_MATRIX="${1:-full}" swift test --skip-build --no-parallel \
    --filter 'LanguageAspectRunTests/everyLanguageAtEveryAspectRatioPassesTheGate' 2>&1 |
    grep -E '^(en|de|es|ja)	|QC pass rate|passed|failed|error'
