#!/usr/bin/env bash
# test/citus/suites.sh: chat's pgTAP files run through a Citus coordinator.
#
#   suites.sh [--neutralise] [FILE...]     (default: every test/pgtap/*.sql)
#
# Needs a cluster started with test/citus/cluster.sh (CITUS_PORT, PG_CONFIG as
# there).  Each file gets a fresh database with citus on the three nodes and
# the workers registered (citus_add_node is per database), 4 shards, then is
# run by psql on the coordinator; the database is dropped after.  One line per
# file: planned, ok, not ok, not run (the file stopped), seconds.  A survey,
# not a pass/fail stage: README "Running on Citus" says which assertions
# cannot hold on a cluster.  Output of each file in $OUT (default /tmp/chat-suites).
# --neutralise runs each file as test/citus/neutralise.py rewrites it (in $OUT/neutral/): the
# files' own constructs that Citus cannot run no longer stop them, so what fails is more often
# chat's (each statement in a savepoint, the assertions evaluated on the coordinator).
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
: "${PG_CONFIG:=pg_config}"
: "${CITUS_PORT:=5484}"
: "${OUT:=/tmp/chat-suites}"
BIN=$("$PG_CONFIG" --bindir)
ports=("$CITUS_PORT" "$((CITUS_PORT + 1))" "$((CITUS_PORT + 2))")
mkdir -p "$OUT"
if [[ "$(id -u)" == 0 ]]; then chown postgres "$OUT"; fi

as_pg() {
    if [[ "$(id -u)" == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}
psql_node() {   # psql_node PORT DB SQL
    as_pg "$BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$1" -U postgres -d "$2" -c "$3" >/dev/null
}

neutralise=
if [[ "${1:-}" == --neutralise ]]; then neutralise=1; shift; fi
files=("$@")
[[ ${#files[@]} -eq 0 ]] && files=(test/pgtap/*.sql)
if [[ -n "$neutralise" ]]; then
    mkdir -p "$OUT/neutral/lib"
    cp test/pgtap/lib/*.sql "$OUT/neutral/lib/"
    for i in "${!files[@]}"; do
        python3 test/citus/neutralise.py "${files[$i]}" >"$OUT/neutral/$(basename "${files[$i]}")" || exit 1
        files[$i]=$OUT/neutral/$(basename "${files[$i]}")
    done
    if [[ "$(id -u)" == 0 ]]; then chown -R postgres "$OUT/neutral"; fi
fi
printf "%-16s %5s %5s %6s %7s %5s\n" file plan ok "not ok" "not run" s
for f in "${files[@]}"; do
    n=$(basename "$f" .sql)
    db=chat_suite_$n
    for p in "${ports[@]}"; do
        psql_node "$p" postgres "DROP DATABASE IF EXISTS $db WITH (FORCE)" 2>/dev/null
        psql_node "$p" postgres "CREATE DATABASE $db"
        psql_node "$p" "$db" "CREATE EXTENSION citus"
    done
    psql_node "${ports[0]}" "$db" "SELECT citus_set_coordinator_host('127.0.0.1', ${ports[0]})"
    psql_node "${ports[0]}" "$db" "SELECT citus_add_node('127.0.0.1', ${ports[1]})"
    psql_node "${ports[0]}" "$db" "SELECT citus_add_node('127.0.0.1', ${ports[2]})"
    psql_node "${ports[0]}" postgres "ALTER DATABASE $db SET citus.shard_count = 4"
    t0=$SECONDS
    as_pg timeout 600 "$BIN/psql" -X -q -h 127.0.0.1 -p "${ports[0]}" -U postgres -d "$db" -f "$f" \
        >"$OUT/$n.out" 2>"$OUT/$n.err"
    plan=$(grep -m1 -oE '^ *1\.\.[0-9]+' "$OUT/$n.out" | sed 's/.*\.\.//')
    ok=$(grep -cE '^ *ok [0-9]+' "$OUT/$n.out")
    nok=$(grep -cE '^ *not ok [0-9]+' "$OUT/$n.out")
    for p in "${ports[@]}"; do psql_node "$p" postgres "DROP DATABASE IF EXISTS $db WITH (FORCE)" 2>/dev/null; done
    printf "%-16s %5s %5s %6s %7s %5s\n" "$n" "${plan:-0}" "$ok" "$nok" $(( ${plan:-0} - ok - nok )) $((SECONDS - t0))
done
