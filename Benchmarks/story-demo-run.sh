#!/usr/bin/env bash
# The default offline story-demo run, timed: wall time, per stage (story-demo's own summary) and peak resident
# memory (GNU time's "Maximum resident set size": the largest of story-demo and its ffmpeg children), with a fresh
# store so nothing comes from the cache. With --compare, the same run with the assemble stage's old zoompan path
# (stages.assemble.parameters.renderer = "zoompan") follows, for a ratio measured in the same session.
#
#   bash Benchmarks/story-demo-run.sh
#   bash Benchmarks/story-demo-run.sh --compare
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product story-demo >/dev/null

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
echo "{\"pipeline\": {\"stages\": {\"assemble\": {\"parameters\": {\"renderer\": \"zoompan\"}}}}}" >"$work/zoompan.json"

run() { # name, extra arguments...
    local name="$1"
    shift
    echo "== $name: $(nproc) cores, load before $(cut -d' ' -f1-3 /proc/loadavg)"
    /usr/bin/time -v -o "$work/$name.time" .build/release/story-demo --store "$work/store-$name" \
        --output "$work/out-$name" "$@" >"$work/$name.log" 2>&1 || { cat "$work/$name.log"; exit 1; }
    sed -n '/^stages:/,/^wall time/p' "$work/$name.log"
    grep -E "Elapsed \(wall clock\)|Maximum resident set size|Percent of CPU|User time|System time" "$work/$name.time"
    sed -n 's/.*wall time: \([0-9.]*\) s.*/\1/p' "$work/$name.log" >"$work/$name.wall"
    echo "load after $(cut -d' ' -f1-3 /proc/loadavg)"
}

run frames
if [ "${1:-}" = "--compare" ]; then
    run zoompan --config "$work/zoompan.json"
    python3 -c "
frames = float(open('$work/frames.wall').read()); zoompan = float(open('$work/zoompan.wall').read())
print(f'wall: frame renderer {frames:.1f} s, zoompan {zoompan:.1f} s, ratio {zoompan / frames:.2f}x')"
fi
