#!/usr/bin/env bash
# A throwaway Postgres on loopback for the tests: Debian's postgresql (installed when
# missing), a fresh data directory, trust authentication, a free port.
#
#   tests/postgres.sh start DIR   # prints the admin URL
#   tests/postgres.sh stop DIR
#
# The URL names the server's Unix socket in DIR (postgres://postgres@%2F...DIR:PORT/postgres),
# so tests that run in a network namespace of their own reach it too; it also listens on
# 127.0.0.1:PORT.
#
# `start` with `--durable` keeps fsync on (for benchmarks); tests run without it, since
# they kill fermata, never Postgres.
set -euo pipefail
cmd=${1:?start or stop}; dir=${2:?data directory}; durable=${3:-}

bindir() {
    local found
    found=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
    if [ -z "$found" ]; then
        echo "installing Debian's postgresql" >&2
        export DEBIAN_FRONTEND=noninteractive
        { apt-get update -qq && apt-get install -y -qq --no-install-recommends postgresql; } >&2
        found=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
    fi
    echo "$found"
}

# initdb and postgres refuse to run as root: run them as the package's postgres user.
as_owner() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "$cmd" in
start)
    bin=$(bindir)
    rm -rf "$dir"; mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    [ "$(id -u)" = 0 ] && chown postgres: "$dir"
    as_owner "$bin/initdb" -D "$dir/data" -U postgres --auth=trust --encoding=UTF8 --no-locale >"$dir/initdb.log"
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    settings=(-c listen_addresses=127.0.0.1 -c "port=$port" -c "unix_socket_directories=$dir" -c max_connections=400)
    [ "$durable" = --durable ] || settings+=(-c fsync=off -c synchronous_commit=off -c full_page_writes=off)
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -o "${settings[*]}" start >&2
    socket=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$dir")
    echo "postgres://postgres@$socket:$port/postgres"
    ;;
stop)
    bin=$(bindir)
    [ -d "$dir/data" ] && as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate stop >&2 || true
    ;;
*) echo "usage: $0 start|stop DIR [--durable]" >&2; exit 2 ;;
esac
