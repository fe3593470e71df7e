#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for QueueKitPostgres's tests and benchmarks, in a temporary folder.
#
#   eval "$(bash Scripts/postgres-throwaway.sh start)"   # prints the exports: STORYFORGE_POSTGRES_URL, ..._DIR
#   bash Scripts/postgres-throwaway.sh stop "$STORYFORGE_POSTGRES_DIR"
#
# start installs Debian's `postgresql` when no server is found (apt-get, as root or through sudo), runs initdb and
# pg_ctl as the `postgres` user when started as root (the server refuses to run as root), listens on 127.0.0.1 at a
# free port and on a Unix socket inside the folder, trusts local connections (nothing outside the machine can
# reach it), and leaves durability off (fsync) because the data dies with the folder. Extra server settings come
# from POSTGRES_THROWAWAY_OPTIONS (e.g. "-c fsync=on -c synchronous_commit=on"). Only the exports go to stdout.
set -euo pipefail

log() { echo "postgres-throwaway: $*" >&2; }

find_bindir() {
    local candidate
    for candidate in /usr/lib/postgresql/*/bin; do
        if [[ -x "$candidate/initdb" && -x "$candidate/pg_ctl" ]]; then
            echo "$candidate"
        fi
    done | sort -V | tail -n 1
}

as_owner() {
    # Runs a command (an argument array, no shell) as the cluster's owner.
    if [[ $(id -u) -eq 0 ]]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

install_server() {
    local sudo=()
    if [[ $(id -u) -ne 0 ]]; then
        sudo=(sudo)
    fi
    log "installing postgresql"
    "${sudo[@]}" apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends postgresql >&2
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

start() {
    local bindir
    bindir="$(find_bindir)"
    if [[ -z "$bindir" ]]; then
        install_server
        bindir="$(find_bindir)"
    fi
    if [[ -z "$bindir" ]]; then
        log "no PostgreSQL server found under /usr/lib/postgresql after installing"
        exit 1
    fi
    local dir port
    dir="$(mktemp -d "${TMPDIR:-/tmp}/storyforge-postgres.XXXXXX")"
    if [[ $(id -u) -eq 0 ]]; then
        chown postgres: "$dir"
    fi
    chmod 700 "$dir"
    port="$(free_port)"
    as_owner "$bindir/initdb" --pgdata="$dir/data" --username=postgres --auth=trust --encoding=UTF8 \
        --no-instructions >"$dir/initdb.log" 2>&1 || {
        log "initdb failed:"
        cat "$dir/initdb.log" >&2
        exit 1
    }
    # max_connections 300: the tests run in parallel and each queue pools a few connections.
    local options="-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$dir"
    options+=" -c max_connections=300 -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    options+=" ${POSTGRES_THROWAWAY_OPTIONS:-}"
    as_owner "$bindir/pg_ctl" --pgdata="$dir/data" --log="$dir/server.log" --wait --timeout=60 \
        --options="$options" start >&2 || {
        log "the server did not start:"
        cat "$dir/server.log" >&2 || true
        exit 1
    }
    log "running in $dir on 127.0.0.1:$port"
    echo "export STORYFORGE_POSTGRES_DIR='$dir'"
    echo "export STORYFORGE_POSTGRES_URL='postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable'"
}

stop() {
    local dir="${1:-${STORYFORGE_POSTGRES_DIR:-}}"
    if [[ -z "$dir" || ! -d "$dir/data" ]]; then
        log "no cluster folder given (argument or STORYFORGE_POSTGRES_DIR)"
        exit 1
    fi
    local bindir
    bindir="$(find_bindir)"
    as_owner "$bindir/pg_ctl" --pgdata="$dir/data" --mode=fast --wait stop >&2 || true
    rm -rf "$dir"
    log "stopped and removed $dir"
}

case "${1:-}" in
start) start ;;
stop) stop "${2:-}" ;;
*)
    echo "usage: $0 start | stop [DIR]" >&2
    exit 2
    ;;
esac
