#!/usr/bin/env bash
# Long videos, side by side in one go: the default offline story-demo (release, fresh store each run) at 45 s, 5 min
# and 20 min of target length, at 1080×1920 and 1920×1080. For each run: wall time, wall time per second of video,
# the stages' own times (story-demo's summary), the QC stage's share of the assemble stage, the peak resident memory
# of the whole process tree (story-demo and its ffmpeg/espeak-ng children summed, polled every 0.1 s by
# Benchmarks/long-video/rss-poll.py) and each process's own peak; then the ratios of every longer run to the 45 s run
# of its orientation (goals: memory and time per video-second within 10 %, QC ≤ 5 % of assembly).
#
#   bash Benchmarks/long-video.sh                     # 45, 300 and 1200 s at both orientations
#   LENGTHS="45 300" bash Benchmarks/long-video.sh    # what a loaded machine allows
#   ASPECTS="9:16" LENGTHS="45 300" bash Benchmarks/long-video.sh
#   BUILD_PATH=.build-release bash Benchmarks/long-video.sh
set -euo pipefail
cd "$(dirname "$0")/.."
lengths="${LENGTHS:-45 300 1200}"
aspects="${ASPECTS:-9:16 16:9}"
# BUILD_PATH: another build folder (a release build beside the debug one; default .build).
build="${BUILD_PATH:-.build}"
swift build -c release --product story-demo --build-path "$build" >/dev/null

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.1f GB", $2 / 1048576}' /proc/meminfo); load before $(cut -d' ' -f1-3 /proc/loadavg)"

for aspect in $aspects; do
    for length in $lengths; do
        name="${aspect/:/x}-$length"
        echo "== $name: target $length s, aspect $aspect, load $(cut -d' ' -f1-3 /proc/loadavg)"
        /usr/bin/time -v -o "$work/$name.time" python3 Benchmarks/long-video/rss-poll.py --summary "$work/$name.json" -- \
            "$build/release/story-demo" --store "$work/store-$name" --output "$work/out-$name" \
            --target-seconds "$length" --aspect "$aspect" >"$work/$name.log" 2>&1 || { tail -40 "$work/$name.log"; exit 1; }
        sed -n '/— .* s of video/p; /^quality gate/p; /^stages:/,/^wall time/p' "$work/$name.log"
        grep -E "Maximum resident set size|Percent of CPU" "$work/$name.time" | sed 's/^\s*/  /'
        echo "  process tree: $(cat "$work/$name.json")"
        echo "  load after $(cut -d' ' -f1-3 /proc/loadavg)"
        # The files that grow with the length besides the video: subtitles and the manifest.
        find "$work/out-$name" -maxdepth 1 -type f \( -name '*.ass' -o -name '*.srt' -o -name '*.vtt' -o -name 'manifest.json' \) \
            -printf '  %f %s bytes\n' | sort
        rm -rf "$work/store-$name" "$work/out-$name"
    done
done

python3 - "$work" "$lengths" "$aspects" <<'PY'
import json, re, sys
work, lengths, aspects = sys.argv[1], sys.argv[2].split(), sys.argv[3].split()
def stage(log, name):
    # story-demo's summary lines look like "  assemble  97.2 s ..." (the first number after the name).
    m = re.search(r"^\s+" + re.escape(name) + r"\b\D*?([0-9]+(?:\.[0-9]+)?) s", log, re.M)
    return float(m.group(1)) if m else float("nan")
rows = {}
for aspect in aspects:
    for length in lengths:
        name = f"{aspect.replace(':', 'x')}-{length}"
        log = open(f"{work}/{name}.log").read()
        summary = json.load(open(f"{work}/{name}.json"))
        video = float(re.search(r"— ([0-9.]+) s of video", log).group(1))
        maxrss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", open(f"{work}/{name}.time").read()).group(1))
        assemble, qc = stage(log, "assemble"), stage(log, "qc")
        rows[(aspect, length)] = dict(video=video, wall=summary["wall_s"], per=summary["wall_s"] / video,
            rss=summary["peak_total_mb"], procs=summary["peak_by_name_mb"], maxrss=maxrss / 1024,
            assemble=assemble, qc=qc, qc_share=qc / assemble if assemble else float("nan"))
print()
print("| length × orientation | video | wall | wall per video-second | assemble | qc (share of assemble) | peak RSS, whole tree | peak RSS per process |")
print("|---|---|---|---|---|---|---|---|")
for (aspect, length), r in rows.items():
    procs = ", ".join(f"{k} {v:.0f} MB" for k, v in r["procs"].items() if v >= 1)
    print(f"| {length} s × {aspect} | {r['video']:.1f} s | {r['wall']:.1f} s | {r['per']:.3f} s | {r['assemble']:.1f} s | "
          f"{r['qc']:.1f} s ({100 * r['qc_share']:.1f} %) | {r['rss']:.0f} MB | {procs} |")
print()
for aspect in aspects:
    base = rows[(aspect, lengths[0])]
    for length in lengths[1:]:
        r = rows[(aspect, length)]
        print(f"{aspect} {length} s vs {lengths[0]} s: time per video-second {r['per'] / base['per']:.2f}×, "
              f"peak RSS (tree) {r['rss'] / base['rss']:.2f}×, largest process {r['maxrss'] / base['maxrss']:.2f}×")
PY
