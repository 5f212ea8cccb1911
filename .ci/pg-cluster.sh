#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the test suite: trust auth, 127.0.0.1 only, a free port.
#
#   eval "$(.ci/pg-cluster.sh start)"   # prints export PG_CLUSTER_DIR=… TEST_DATABASE_URL=…
#   make test                           # the whole suite, now on PostgreSQL
#   .ci/pg-cluster.sh stop "$PG_CLUSTER_DIR"
#
# `start --install` installs Debian's `postgresql` package when no server binaries are found
# (root only). Exit status 3 means PostgreSQL is not available here: nothing was started.
set -euo pipefail

say() { echo "pg-cluster: $*" >&2; }
# runuser and useradd live in sbin, which a minimal PATH may lack.
export PATH="$PATH:/usr/sbin:/sbin"

# The directory holding initdb, pg_ctl and postgres: PATH, /usr/local/bin, then the newest
# Debian version under /usr/lib/postgresql.
find_bindir() {
    local dir candidates=()
    local on_path
    on_path=$(command -v initdb 2>/dev/null || true)
    [[ -n $on_path ]] && candidates+=("$(dirname "$on_path")")
    candidates+=(/usr/local/bin)
    while IFS= read -r dir; do candidates+=("$dir"); done < <(
        ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5,5 -n -r
    )
    for dir in "${candidates[@]}"; do
        if [[ -x $dir/initdb && -x $dir/pg_ctl && -x $dir/postgres ]]; then
            echo "$dir"
            return 0
        fi
    done
    return 1
}

install_postgresql() {
    if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null; then
        say "cannot install PostgreSQL here (needs root and apt-get)"
        return 1
    fi
    say "installing Debian's postgresql package"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2 || return 1
    # Only the binaries: no "main" cluster left running as a system service.
    apt-get install -y -qq --no-install-recommends postgresql-common >&2 || return 1
    sed -ri 's/^#?[[:space:]]*create_main_cluster.*/create_main_cluster = false/' \
        /etc/postgresql-common/createcluster.conf || true
    apt-get install -y -qq --no-install-recommends postgresql postgresql-client >&2 || return 1
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# PostgreSQL refuses to run as root: run its commands as `postgres` (created if missing).
as_owner() {
    if [[ $(id -u) -eq 0 ]]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

start() {
    local install=0
    [[ ${1:-} == --install ]] && install=1
    local bindir
    if ! bindir=$(find_bindir); then
        if [[ $install -eq 1 ]] && install_postgresql && bindir=$(find_bindir); then
            :
        else
            say "PostgreSQL server binaries (initdb, pg_ctl, postgres) not found"
            exit 3
        fi
    fi
    if [[ $(id -u) -eq 0 ]] && ! id postgres >/dev/null 2>&1; then
        useradd --system --user-group --no-create-home --shell /usr/sbin/nologin postgres
    fi
    local dir port
    if [[ $(id -u) -eq 0 ]]; then
        # Under /tmp, where the postgres user can reach it (TMPDIR may be inside /root).
        dir=$(mktemp -d /tmp/binhdan-pg.XXXXXX)
        chown postgres: "$dir"
    else
        dir=$(mktemp -d "${TMPDIR:-/tmp}/binhdan-pg.XXXXXX")
    fi
    port=$(free_port)
    if ! as_owner "$bindir/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 \
        --no-sync >"$dir/initdb.log" 2>&1; then
        cat "$dir/initdb.log" >&2
        rm -rf "$dir"
        say "initdb failed"
        exit 1
    fi
    # Durability is pointless for a cluster that lives for one test run.
    if ! as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off \
            -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
        start >&2; then
        cat "$dir/server.log" >&2 || true
        rm -rf "$dir"
        say "the server did not start"
        exit 1
    fi
    echo "$bindir" >"$dir/bindir"
    say "PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') on 127.0.0.1:$port ($dir)"
    echo "export PG_CLUSTER_DIR=$dir"
    echo "export TEST_DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:$port/postgres"
}

stop() {
    local dir=${1:-${PG_CLUSTER_DIR:-}}
    if [[ -z $dir || ! -f $dir/bindir ]]; then
        say "usage: $0 stop DIR (the PG_CLUSTER_DIR printed by start)"
        exit 2
    fi
    as_owner "$(cat "$dir/bindir")/pg_ctl" -D "$dir/data" -m immediate -w stop >&2 || true
    rm -rf "$dir"
}

case ${1:-} in
    start) shift; start "$@" ;;
    stop) shift; stop "$@" ;;
    *) say "usage: $0 start [--install] | stop DIR"; exit 2 ;;
esac
