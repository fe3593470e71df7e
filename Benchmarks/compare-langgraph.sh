#!/usr/bin/env bash
# PipelineKit and LangGraph side by side, in one run on one machine: per-stage overhead with a SQLite checkpointer,
# resume of a 1,000-stage run, and fan-out. LangGraph comes from PyPI into .venv-bench/ (git-ignored).
#
#   bash Benchmarks/compare-langgraph.sh            # full figures
#   LANGGRAPH_CHILDREN=10000 bash Benchmarks/compare-langgraph.sh
set -euo pipefail
cd "$(dirname "$0")/.."

swift build -c release --product pipeline-bench >/dev/null
if [ ! -x .venv-bench/bin/python ]; then
    python3 -m venv .venv-bench
    .venv-bench/bin/pip install --quiet langgraph langgraph-checkpoint-sqlite
fi

echo "== PipelineKit (release build, $(nproc) cores)"
.build/release/pipeline-bench --stages 100 --stages 1000 --resume-stages 1000 --children 10000 --repetitions 5
echo
echo "== LangGraph $(.venv-bench/bin/python -c 'import importlib.metadata as m; print(m.version("langgraph"), "with langgraph-checkpoint-sqlite", m.version("langgraph-checkpoint-sqlite"))')"
.venv-bench/bin/python Benchmarks/langgraph/langgraph_bench.py --stages 100 1000 --resume-stages 1000 \
    --children "${LANGGRAPH_CHILDREN:-1000}" --repetitions 3
