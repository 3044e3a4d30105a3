#!/usr/bin/env bash
# test/citus/examples.sh: the example applications' own test suites run through a Citus coordinator.
#
#   examples.sh [EXAMPLE...]    (default: django node realtime)
#   examples.sh newdb DB        (used by the runners: Citus in DB on the three nodes)
#
# Needs a cluster started with test/citus/cluster.sh (CITUS_PORT, PG_CONFIG as there). Each
# examples/<name>/run-tests.sh runs as on one node (PGHOST, PGPORT: the coordinator; PGUSER: its
# superuser), with CHAT_EXAMPLE_NEW_DB pointing back here: each database a runner makes gets Citus
# on the coordinator and both workers, the workers registered (citus_add_node is per database) and 4
# shards, before the runner installs chat in it. So chat is distributed as on a real cluster. Output
# of each example in $OUT/<name>.log (default /tmp/chat-examples); one line per example with its
# "N passed, M failed" and seconds, then the total as the last line. Exit status 1 when a test failed.
set -uo pipefail
cd "$(dirname "$0")/../.." || { echo "0 passed, 1 failed"; exit 1; }
export LC_ALL=C.UTF-8
: "${PG_CONFIG:=pg_config}"
: "${CITUS_PORT:=5484}"
: "${OUT:=/tmp/chat-examples}"
BIN=$("$PG_CONFIG" --bindir)
ports=("$CITUS_PORT" "$((CITUS_PORT + 1))" "$((CITUS_PORT + 2))")
# The databases the runners make (Django's test database is made directly: see its run-tests.sh).
DBS=(test_chatsite chat_node_example chat_realtime_example)

as_pg() {
    if [[ "$(id -u)" == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}
psql_node() {   # psql_node PORT DB SQL
    as_pg "$BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$1" -U postgres -d "$2" -c "$3" >/dev/null
}

# Citus in database $1, made by a runner on the coordinator: the same database on the workers
# (made again), citus on the three, the workers registered.
newdb() {
    local db=$1 p
    for p in "${ports[@]:1}"; do
        psql_node "$p" postgres "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" &&
            psql_node "$p" postgres "CREATE DATABASE \"$db\"" &&
            psql_node "$p" "$db" "CREATE EXTENSION citus" || return 1
    done
    psql_node "${ports[0]}" postgres "ALTER DATABASE \"$db\" SET citus.shard_count = 4" &&
        psql_node "${ports[0]}" "$db" "CREATE EXTENSION citus" &&
        psql_node "${ports[0]}" "$db" "SELECT citus_set_coordinator_host('127.0.0.1', ${ports[0]})" &&
        psql_node "${ports[0]}" "$db" "SELECT citus_add_node('127.0.0.1', ${ports[1]})" &&
        psql_node "${ports[0]}" "$db" "SELECT citus_add_node('127.0.0.1', ${ports[2]})" || return 1
    # The runner made its roles on the coordinator only: the same on the workers (cluster.sh's
    # nodes trust loopback, so no passwords), with their memberships.
    local roles
    roles=$(as_pg "$BIN/psql" -X -A -t -q -h 127.0.0.1 -p "${ports[0]}" -U postgres -d "$db" -v ON_ERROR_STOP=1 <<'SQL'
SELECT format('SELECT ''CREATE ROLE %I'' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = %L) \gexec', rolname, rolname)
       || E'\n' || format('ALTER ROLE %I %s;', rolname, CASE WHEN rolcanlogin THEN 'LOGIN' ELSE 'NOLOGIN' END)
  FROM pg_roles WHERE rolname !~ '^pg_' AND NOT rolsuper;
SELECT format('GRANT %I TO %I;', r.rolname, m.rolname)
  FROM pg_auth_members a JOIN pg_roles r ON r.oid = a.roleid JOIN pg_roles m ON m.oid = a.member
 WHERE r.rolname !~ '^pg_' AND NOT m.rolsuper;
SQL
) || return 1
    for p in "${ports[@]:1}"; do
        echo "SET client_min_messages = warning; $roles" | as_pg "$BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$p" -U postgres -d postgres >/dev/null || return 1
    done
}

# Drops what the runners left (the coordinator first: it holds connections to the workers).
dropdbs() {
    local db p
    for db in "${DBS[@]}"; do
        for p in "${ports[@]}"; do
            psql_node "$p" postgres "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" 2>/dev/null
        done
    done
}

if [[ "${1:-}" == newdb ]]; then
    newdb "${2:?usage: examples.sh newdb DB}"
    exit
fi

examples=("$@")
[[ ${#examples[@]} -eq 0 ]] && examples=(django node realtime)
mkdir -p "$OUT"
total_pass=0
total_fail=0
for ex in "${examples[@]}"; do
    t0=$SECONDS
    # The runners connect as the coordinator's superuser, then as their own roles (trust on loopback).
    PGHOST=127.0.0.1 PGPORT=${ports[0]} PGUSER=postgres PGDATABASE=postgres PATH="$BIN:$PATH" \
        CHAT_EXAMPLE_NEW_DB="$PWD/test/citus/examples.sh newdb" \
        timeout --kill-after=10 "${EXAMPLE_TIMEOUT:-600}" "examples/$ex/run-tests.sh" >"$OUT/$ex.log" 2>&1
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$OUT/$ex.log" | tail -n1)
    [[ -n "$line" ]] || line="0 passed, 1 failed"
    read -r p _ f _ <<<"$line"
    total_pass=$((total_pass + p))
    total_fail=$((total_fail + f))
    printf '%-10s %s (%d s)\n' "$ex" "$line" $((SECONDS - t0))
    dropdbs
done
echo "$total_pass passed, $total_fail failed"
[[ "$total_fail" -eq 0 ]]
