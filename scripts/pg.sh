#!/usr/bin/env bash
# Runs a command with a throwaway PostgreSQL server on loopback, then stops and deletes it.
#
#   bash scripts/pg.sh cargo test -p trellis-relay
#
# Installs PostgreSQL from apt if `initdb` is missing, initializes a cluster in a temporary
# directory, starts it on 127.0.0.1 on a free port from 54329 up (unix socket in the same
# directory), and runs the command with TRELLIS_TEST_POSTGRES set to a superuser URL, e.g.
# postgres://postgres@127.0.0.1:54329/postgres. The relay test fixtures then make a fresh
# database per test on it. Durability is off (fsync, synchronous_commit): the cluster is
# deleted when the command ends, whatever its outcome. As root, the server runs as the
# `postgres` user (PostgreSQL refuses to run as root).
set -euo pipefail

if [ "$#" -eq 0 ]; then
    echo "usage: bash scripts/pg.sh COMMAND [ARGS...]" >&2
    exit 2
fi

find_bin() {
    local name=$1 found
    found=$(command -v "$name" 2>/dev/null || true)
    if [ -z "$found" ]; then
        found=$(ls -d /usr/lib/postgresql/*/bin/"$name" 2>/dev/null | sort -V | tail -n 1 || true)
    fi
    echo "$found"
}

INITDB=$(find_bin initdb)
if [ -z "$INITDB" ]; then
    echo "=== installing PostgreSQL from apt"
    export DEBIAN_FRONTEND=noninteractive
    SUDO=""
    [ "$(id -u)" -ne 0 ] && SUDO=sudo
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq postgresql >/dev/null
    INITDB=$(find_bin initdb)
fi
BIN=$(dirname "$INITDB")
PG_CTL="$BIN/pg_ctl"

DIR=$(mktemp -d /tmp/trellis-pg.XXXXXX)
chmod 755 "$DIR"
AS=()
if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --home-dir "$DIR" --shell /bin/false postgres
    chown postgres "$DIR"
    AS=(runuser -u postgres --)
fi

port_free() {
    ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}
PORT=${TRELLIS_PG_PORT:-54329}
while ! port_free "$PORT"; do
    PORT=$((PORT + 1))
done

stop() {
    "${AS[@]}" "$PG_CTL" -D "$DIR/data" stop -m immediate >/dev/null 2>&1 || true
    rm -rf "$DIR"
}
trap stop EXIT

"${AS[@]}" "$INITDB" -D "$DIR/data" -U postgres --auth=trust --encoding=UTF8 --no-sync \
    >"$DIR/initdb.log" 2>&1 || { cat "$DIR/initdb.log" >&2; exit 1; }
if ! "${AS[@]}" "$PG_CTL" -D "$DIR/data" -l "$DIR/server.log" -w -t 60 start -o \
    "-c listen_addresses=127.0.0.1 -c port=$PORT -c unix_socket_directories=$DIR \
     -c max_connections=400 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
    >/dev/null; then
    cat "$DIR/server.log" >&2
    exit 1
fi
export TRELLIS_TEST_POSTGRES="postgres://postgres@127.0.0.1:$PORT/postgres"
echo "=== PostgreSQL $("$BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PORT (throwaway)"
"$@"
