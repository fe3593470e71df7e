#!/usr/bin/env bash
# StoryForge's PostgresJobQueue beside pgqueuer (PyPI) on one loopback PostgreSQL, in the same run: empty-job
# throughput (enqueue + claim + complete) at 1, 2, 4 and 8 workers, the ratio at each, then the recovery time of a
# killed worker's job.
#
#   bash Benchmarks/queue/compare.sh [JOBS] [WORKERS]       # defaults: 4000 jobs, 1,2,4,8 workers
#   QUEUE_BENCH=path/to/queue-bench-postgres bash Benchmarks/queue/compare.sh
#
# Uses STORYFORGE_POSTGRES_URL when set, else starts a throwaway cluster (Scripts/postgres-throwaway.sh) and removes
# it at the end. Builds queue-bench-postgres in release mode and a virtual environment with pgqueuer in
# .venv-bench (git-ignored). Each worker count runs StoryForge, then pgqueuer, then StoryForge again: on a shared,
# noisy machine the ratio uses the mean of the two StoryForge runs against the pgqueuer run between them.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

jobs="${1:-4000}"
workers="${2:-1,2,4,8}"

if [[ -z "${STORYFORGE_POSTGRES_URL:-}" ]]; then
    eval "$(bash Scripts/postgres-throwaway.sh start)"
    trap 'bash Scripts/postgres-throwaway.sh stop "$STORYFORGE_POSTGRES_DIR"' EXIT
fi
export STORYFORGE_POSTGRES_URL

if [[ ! -x .venv-bench/bin/python ]]; then
    python3 -m venv .venv-bench
fi
if ! .venv-bench/bin/python -c "import pgqueuer" 2>/dev/null; then
    .venv-bench/bin/pip install --quiet pgqueuer asyncpg
fi
pgqueuer_version="$(.venv-bench/bin/python -c 'import importlib.metadata as m; print(m.version("pgqueuer"))')"

# QUEUE_BENCH: a queue-bench-postgres built already (release), e.g. from a copy of the tree built beside this one.
bench="${QUEUE_BENCH:-}"
if [[ -z "$bench" ]]; then
    swift build -c release --product queue-bench-postgres >&2
    bench="$(swift build -c release --show-bin-path)/queue-bench-postgres"
fi

echo "server: $(psql "${STORYFORGE_POSTGRES_URL}" -Atc 'SHOW server_version' 2>/dev/null || echo unknown)," \
    "pgqueuer $pgqueuer_version, $jobs jobs per run, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
# storyforge: one job per claim and per completion, as JobWorker runs jobs (the mean of a run before and one after
# pgqueuer's); storyforge-batch10: claims and completions of up to 10 jobs per statement, pgqueuer's default batch.
printf '%-8s %14s %18s %12s %10s %12s\n' workers storyforge/s storyforge-batch10/s pgqueuer/s ratio ratio-batch
IFS=',' read -ra counts <<<"$workers"
rate() { sed -E 's/.*jobs_per_s=([0-9.]+).*/\1/' <<<"$1"; }
for count in "${counts[@]}"; do
    a="$("$bench" throughput --workers "$count" --jobs "$jobs")"
    batched="$("$bench" throughput --workers "$count" --jobs "$jobs" --batch 10)"
    p="$(.venv-bench/bin/python Benchmarks/queue/pgqueuer_bench.py --workers "$count" --jobs "$jobs")"
    b="$("$bench" throughput --workers "$count" --jobs "$jobs")"
    printf '%s\n' "$a" "$batched" "$p" "$b" >&2
    python3 - "$count" "$(rate "$a")" "$(rate "$b")" "$(rate "$batched")" "$(rate "$p")" <<'PY'
import sys
count, a, b, batched, p = sys.argv[1], *map(float, sys.argv[2:])
single = (a + b) / 2
print(f"{count:<8} {single:14.1f} {batched:18.1f} {p:12.1f} {single / p:9.2f}x {batched / p:11.2f}x")
PY
done

echo "recovery (lease 2 s, idle worker polling every 30 s):"
"$bench" recovery --lease 2 --rounds 5 --poll 30
