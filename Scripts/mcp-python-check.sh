#!/usr/bin/env bash
# The MCP server against a third-party client: the Python `mcp` SDK (PyPI) over Streamable HTTP at /mcp and over
# `story-server mcp` on stdio (Scripts/mcp-python-client.py). Needs a built story-server (swift build) and network
# access to PyPI for the virtual environment. Usage: Scripts/mcp-python-check.sh [path/to/story-server]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
server="${1:-$root/.build/debug/story-server}"
[ -x "$server" ] || { echo "no story-server at $server: run swift build first" >&2; exit 1; }
work="$(mktemp -d)"
pid=""
cleanup() { if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi; rm -rf "$work"; }
trap cleanup EXIT

python3 -m venv "$work/venv"
# mcp 2.x: the Python SDK whose streamable_http_client and stdio_client this script's client uses.
"$work/venv/bin/pip" install --quiet 'mcp>=2.3,<3'

alice="$(openssl rand -hex 32)"
bob="$(openssl rand -hex 32)"
printf '%s\n' "$alice" | "$server" hash-token --name alice > "$work/tokens"
printf '%s\n' "$bob" | "$server" hash-token --name bob >> "$work/tokens"

"$server" --port 0 --store "$work/http-store" --tokens "$work/tokens" > "$work/server.out" 2> "$work/server.log" &
pid=$!
for _ in $(seq 1 100); do
    grep -q "listening on" "$work/server.out" 2>/dev/null && break
    sleep 0.2
done
url="$(sed -n 's/^story-server listening on \(http:[^ ]*\)$/\1/p' "$work/server.out" | head -1)"
[ -n "$url" ] || { echo "story-server did not start:" >&2; cat "$work/server.log" >&2; exit 1; }

"$work/venv/bin/python" "$root/Scripts/mcp-python-client.py" http "$url/mcp" "$alice" "$bob" \
    || { tail -50 "$work/server.log" >&2; exit 1; }
"$work/venv/bin/python" "$root/Scripts/mcp-python-client.py" stdio "$server" "$work/stdio-store"
