#!/usr/bin/env bash
# bench/lib/cluster.sh: the throwaway PostgreSQL cluster of bench/run.sh
# (sourced): chat installed from this tree, initdb under /tmp, psql helpers.

if [[ -z ${PG_BINDIR:-} ]]; then
    if [[ -x /usr/lib/postgresql/15/bin/pg_ctl ]]; then
        PG_BINDIR=/usr/lib/postgresql/15/bin
    else
        PG_BINDIR=$(pg_config --bindir)
    fi
fi
PGBENCH=$PG_BINDIR/pgbench
PSQL=$PG_BINDIR/psql
[[ -x $PGBENCH && -x $PG_BINDIR/initdb && -x $PSQL ]] || {
    echo "run.sh: no pgbench/initdb/psql in $PG_BINDIR (set PG_BINDIR)" >&2
    exit 1
}

# new_cluster: the work directory (removed at exit, also on errors and ^C),
# chat installed from this tree, initdb, and the server started on the first
# free port from 54320 (or BENCH_PORT), on a Unix socket in the work
# directory only
new_cluster() {
    WORK=$(mktemp -d /tmp/chat-bench.XXXXXX)
    chmod 755 "$WORK"
    mkdir -p "$WORK/pg" "$WORK/logs" "$WORK/out"
    DATA=$WORK/pg/data
    trap cleanup EXIT
    trap 'exit 130' INT TERM
    [[ $(id -u) -ne 0 ]] || chown postgres: "$WORK/pg"
    install_chat

    local p opts
    PORT=${BENCH_PORT:-}
    for p in $(seq 54320 54420); do
        [[ -z $PORT ]] || break
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && [[ ! -e /tmp/.s.PGSQL.$p ]]; then PORT=$p; fi
    done
    [[ -n $PORT ]] || { echo "run.sh: no free port in 54320-54420" >&2; exit 1; }
    echo "-- cluster: initdb in $DATA, port $PORT, Unix socket $WORK/pg only"
    as_owner "$PG_BINDIR/initdb" -D "$DATA" -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync \
        >"$WORK/out/initdb.log" 2>&1 || { cat "$WORK/out/initdb.log" >&2; exit 1; }
    opts="-c listen_addresses='' -c unix_socket_directories='$WORK/pg' -p $PORT"
    opts+=" -c synchronous_commit=$SYNC_COMMIT -c shared_buffers=$SHARED_BUFFERS"
    opts+=" -c max_wal_size=4GB -c checkpoint_timeout=30min -c max_connections=50"
    as_owner "$PG_BINDIR/pg_ctl" -D "$DATA" -l "$WORK/pg/server.log" -w -t 60 -o "$opts" start >/dev/null ||
        { cat "$WORK/pg/server.log" >&2; exit 1; }
    STARTED=1
    export PGHOST=$WORK/pg PGPORT=$PORT PGUSER=postgres
}

# install chat from the tree this script lives in; the callers hold
# /tmp/chat-pg.lock, as for every make install into the system PostgreSQL
install_chat() {
    echo "-- make install in $ROOT ($(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo 'not a git tree'))"
    as_root make -C "$ROOT" -s install PG_CONFIG="$PG_BINDIR/pg_config" >"$WORK/out/install.log" 2>&1 ||
        { cat "$WORK/out/install.log" >&2; exit 1; }
}

# server-side commands run as the cluster owner (initdb refuses root)
if [[ $(id -u) -eq 0 ]]; then
    as_owner() { runuser -u postgres -- "$@"; }
    as_root() { "$@"; }
else
    as_owner() { "$@"; }
    as_root() { sudo "$@"; }
fi

PGBENCH_PID=
STARTED=0
# stop pgbench and the server, remove the work directory (BENCH_KEEP=1 keeps it)
cleanup() {
    local rc=$?
    if [[ -n $PGBENCH_PID ]]; then
        kill "$PGBENCH_PID" 2>/dev/null || true
        wait "$PGBENCH_PID" 2>/dev/null || true
    fi
    if [[ $STARTED -eq 1 ]]; then
        as_owner "$PG_BINDIR/pg_ctl" -D "$DATA" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    if [[ $KEEP == 1 ]]; then echo "work directory kept: $WORK"; else rm -rf "$WORK"; fi
    exit "$rc"
}

# psql_q ARGS...: psql, quiet, stopping at the first error
psql_q() { "$PSQL" -X -q -v ON_ERROR_STOP=1 "$@"; }
# sql QUERY: its result, unaligned, in database $DB (default bench)
sql() { psql_q -A -t -d "${DB:-bench}" -c "$1"; }

# since T0: seconds elapsed since T0 (an $EPOCHREALTIME), to a tenth
since() {
    local us=$(( ${EPOCHREALTIME/./} - ${1/./} ))
    printf '%d.%d' $((us / 1000000)) $((us / 100000 % 10))
}

# check ID WHAT TEST...: a consistency check of workload ID (or "data"):
# runs TEST (e.g. [ "$x" = t ]), prints it, counts a failure in PROBLEMS and
# records it for the summary's verdicts
PROBLEMS=0
check() {
    local id=$1 what=$2 ok=t
    shift 2
    "$@" || ok=f
    printf '   %-6s %s\n' "$([[ $ok == t ]] && echo ok || echo FAILED)" "$what"
    [[ $ok == t ]] || PROBLEMS=$((PROBLEMS + 1))
    printf '%s\t%s\t%s\n' "$id" "$ok" "$what" >>"$WORK/checks.tsv"
}
