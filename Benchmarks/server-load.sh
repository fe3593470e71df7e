#!/usr/bin/env bash
# story-server under load: while a story renders, 100 Server-Sent Events clients stay connected to its event
# stream and wrk (Debian's `wrk`) sends GET /v1/stories/{id} on 100 connections for 30 s. Reports requests/s,
# the latency distribution (p50, p99; goal p99 < 50 ms), errors (socket errors and non-2xx), the SSE clients'
# fate and the server's resident memory (VmRSS) before and after.
#
#   bash Benchmarks/server-load.sh                 # release build
#   BUILD=debug bash Benchmarks/server-load.sh     # debug build (quicker to build, slower to serve)
#   SECONDS_UNDER_LOAD=10 CONNECTIONS=50 bash Benchmarks/server-load.sh
#   ROUNDS=3 bash Benchmarks/server-load.sh      # three rounds (a new story each) on one server: is memory flat?
#   SERVER_ARGS='--render-niceness 0' bash Benchmarks/server-load.sh   # extra story-server options
#
# Needs wrk (`apt-get install -y wrk`) and python3. Everything runs on loopback with a store in a temporary folder,
# one in-process worker and no per-token rate limit (--rate 0: the load is one client, which the default limit of
# 10 requests/s would answer with 429s).
set -euo pipefail
cd "$(dirname "$0")/.."

build="${BUILD:-release}"
duration="${SECONDS_UNDER_LOAD:-30}"
connections="${CONNECTIONS:-100}"
sse_clients="${SSE_CLIENTS:-100}"
threads="${WRK_THREADS:-2}"
# Rounds of load, each with a story of its own, on one server: its memory after each shows whether it stays flat.
rounds="${ROUNDS:-1}"

command -v wrk >/dev/null || { echo "server-load: wrk is not installed (apt-get install -y wrk)" >&2; exit 2; }
swift build -c "$build" --product story-server >/dev/null
bin="$(swift build -c "$build" --show-bin-path)/story-server"

work="$(mktemp -d)"
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
base="http://127.0.0.1:$port"
"$bin" --host 127.0.0.1 --port "$port" --store "$work/store" --workers 1 --rate 0 ${SERVER_ARGS:-} >"$work/server.log" 2>&1 &
server=$!
cleanup() {
    kill "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

for _ in $(seq 1 300); do
    curl -fsS "$base/healthz" >/dev/null 2>&1 && break
    kill -0 "$server" 2>/dev/null || { cat "$work/server.log"; exit 1; }
    sleep 0.1
done
curl -fsS "$base/healthz" >/dev/null || { echo "server-load: the server did not come up" >&2; cat "$work/server.log"; exit 1; }

rss() { awk '/^VmRSS/ { print $2 " " $3 }' "/proc/$server/status"; }

round_of_load() {
    local round=$1
    # A story long enough to keep rendering through the run (the offline providers: no network, no key).
    id="$(curl -fsS -X POST "$base/v1/stories" -H 'Content-Type: application/json' \
        -d "{\"topic\": \"a lighthouse keeper who collects storms\", \"seed\": $((6 + round)), \"target_seconds\": 60}" |
        python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])')"
    echo "load before $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "story $id; $connections wrk connections ($threads threads) on GET /v1/stories/$id, $sse_clients SSE clients, ${duration} s"
    echo "server RSS before: $(rss)"

    python3 Benchmarks/server-load-sse.py --url "$base/v1/stories/$id/events" --clients "$sse_clients" \
        --seconds "$((duration + 5))" >"$work/sse.json" &
    sse=$!
    sleep 2 # let the SSE clients connect before the load starts
    curl -fsS "$base/metrics" | grep -E '^storyforge_sse_clients' || true

    wrk -t "$threads" -c "$connections" -d "${duration}s" --latency "$base/v1/stories/$id" >"$work/wrk.txt"
    cat "$work/wrk.txt"
    curl -fsS "$base/metrics" | grep -E '^storyforge_sse_clients' || true
    wait "$sse"
    echo "SSE clients: $(cat "$work/sse.json")"
    echo "server RSS after: $(rss)"
    # The clients have gone; the server notices each at its next write (an event or the 15 s heartbeat) and frees it.
    for waited in $(seq 0 30); do
        open="$(curl -fsS "$base/metrics" | awk '/^storyforge_sse_clients / { print $2 }')"
        [[ "${open%.*}" == "0" ]] && break
        sleep 1
    done
    echo "SSE streams still open ${waited} s after the clients left: $open"
    echo "server RSS after the streams closed: $(rss)"
    echo "story now: $(curl -fsS "$base/v1/stories/$id" | python3 -c 'import json, sys; s = json.load(sys.stdin); print(s["status"], s.get("stage"), s["fraction"])')"
    # Once the story has finished, the memory it rendered with is given back too: the figure to compare with "before".
    for _ in $(seq 1 120); do
        state="$(curl -fsS "$base/v1/stories/$id" | python3 -c 'import json, sys; print(json.load(sys.stdin)["status"])')"
        [[ "$state" == "succeeded" || "$state" == "failed" ]] && break
        sleep 1
    done
    echo "story finished ($state); server RSS then: $(rss)"
    echo "load after $(cut -d' ' -f1-3 /proc/loadavg)"
    python3 - "$work/wrk.txt" "$round" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
def ms(value, unit):
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
p = {m[0]: ms(m[1], m[2]) for m in re.findall(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)", text, re.M)}
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
socket = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
errors = sum(int(x) for x in socket.groups()) if socket else 0
non2xx = int(re.search(r"Non-2xx or 3xx responses: (\d+)", text).group(1)) if "Non-2xx" in text else 0
print(f"summary (round {sys.argv[2]}): {rps:.0f} requests/s, p50 {p.get('50', float('nan')):.2f} ms, p99 {p.get('99', float('nan')):.2f} ms, "
      f"socket errors {errors}, non-2xx {non2xx}; goal p99 < 50 ms: {'met' if p.get('99', 1e9) < 50 else 'NOT met'}")
PY
}

echo "== story-server ($build build), $(nproc) cores, $rounds round(s)"
for round in $(seq 1 "$rounds"); do
    echo "== round $round"
    round_of_load "$round"
done
