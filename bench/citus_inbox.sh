#!/usr/bin/env bash
# bench/citus_inbox.sh: the first inbox page on a Citus cluster against one node, by shard count.
#
#   CITUS_PORT=5424 PG_CONFIG=.../pg_config bench/citus_inbox.sh [ROUNDS [SECONDS [SHARDS...]]]
#
# Starts a coordinator and two workers on loopback (test/citus/cluster.sh; Citus and chat installed
# under PG_CONFIG), and makes one database per shard count (Citus on every node, chat distributed
# with citus.shard_count = S) and one without Citus on the coordinator's server (the single-node
# reference). Each gets the same data: user 1 in THREADS two-person threads (default 1,000), the
# other member having replied in every other one. Then ROUNDS interleaved rounds (default 3) of
# SECONDS each (default 5): pgbench -M prepared, 1 client, `SELECT * FROM chat.inbox(1)`, every
# database in turn (the order rotates each round). Prints each run's average latency, then per
# database the median and its ratio to the single-node median of the same rounds. The cluster is
# removed at exit.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${PG_CONFIG:=pg_config}"
: "${CITUS_PORT:=5424}"
: "${THREADS:=1000}"
rounds=${1:-3}
seconds=${2:-5}
shift $(( $# > 2 ? 2 : $# ))
shards=("${@:-2 4 8 32}")
read -r -a shards <<<"${shards[*]}"
bin=$("$PG_CONFIG" --bindir)
ports=("$CITUS_PORT" "$((CITUS_PORT + 1))" "$((CITUS_PORT + 2))")
dir=$(mktemp -d /tmp/chat-citus-inbox.XXXXXX)
export CITUS_PORT PG_CONFIG

as_pg() { if [[ "$(id -u)" == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }
psql_at() {   # psql_at PORT DB SQL...
    local port=$1 db=$2; shift 2
    local args=() s
    for s in "$@"; do args+=(-c "$s"); done
    as_pg "$bin/psql" -X -A -t -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres -d "$db" "${args[@]}"
}
cleanup() { test/citus/cluster.sh stop "$dir" >/dev/null 2>&1 || true; rm -rf "$dir"; }
trap cleanup EXIT

test/citus/cluster.sh start "$dir" >/dev/null
load="SELECT chat.new_message(1, ARRAY[1000 + i]::chat.user_id[], 'thread ' || i, 'hello ' || i) FROM generate_series(1, $THREADS) i;
      DO \$\$ DECLARE r record; BEGIN
          -- one call each: an API call inside a query over chat's tables runs on a shard (README)
          FOR r IN SELECT mb.thread_id, mb.user_id FROM chat.member mb WHERE mb.user_id > 1000 AND mb.user_id % 2 = 0 LOOP
              PERFORM chat.new_reply(r.thread_id, r.user_id, 'reply');
          END LOOP;
      END \$\$;"
dbs=(one_node)
psql_at "${ports[0]}" postgres "CREATE DATABASE one_node"
psql_at "${ports[0]}" one_node "SET client_min_messages = warning" "CREATE EXTENSION chat" >/dev/null
for s in "${shards[@]}"; do
    db=shards_$s
    for p in "${ports[@]:1}"; do
        psql_at "$p" postgres "CREATE DATABASE $db"
        psql_at "$p" "$db" "CREATE EXTENSION citus"
    done
    psql_at "${ports[0]}" postgres "CREATE DATABASE $db" "ALTER DATABASE $db SET citus.shard_count = $s"
    psql_at "${ports[0]}" "$db" "CREATE EXTENSION citus" \
        "SELECT citus_set_coordinator_host('127.0.0.1', ${ports[0]})" \
        "SELECT citus_add_node('127.0.0.1', ${ports[1]})" "SELECT citus_add_node('127.0.0.1', ${ports[2]})" \
        "SET client_min_messages = warning" "CREATE EXTENSION chat" >/dev/null
    dbs+=("$db")
done
for db in "${dbs[@]}"; do
    # a pgbench -f file per statement keeps psql's -c single-statement rule out of the way
    echo "$load" | as_pg "$bin/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "${ports[0]}" -U postgres -d "$db" >/dev/null
    echo "# $db: $(psql_at "${ports[0]}" "$db" "SELECT count(*) || ' threads, ' || sum(unread_count) || ' unread in the first page' FROM chat.inbox(1)")"
done
echo 'SELECT * FROM chat.inbox(1);' >"$dir/inbox.sql"
chmod 644 "$dir/inbox.sql"

declare -A lat
for ((r = 0; r < rounds; r++)); do
    n=${#dbs[@]}
    for ((k = 0; k < n; k++)); do
        db=${dbs[$(( (k + r) % n ))]}
        ms=$(as_pg "$bin/pgbench" -n -M prepared -c 1 -T "$seconds" -f "$dir/inbox.sql" -h 127.0.0.1 -p "${ports[0]}" -U postgres "$db" 2>/dev/null |
            sed -n 's/^latency average = \([0-9.]*\) ms$/\1/p')
        echo "round $((r + 1)) $db ${ms:-failed} ms"
        lat[$db]+="${ms:-nan} "
    done
done
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR] = $1} END {print (NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2)}'; }
base=$(median <<<"${lat[one_node]}")
printf '%-10s %10s %8s\n' database "median ms" "x one node"
for db in "${dbs[@]}"; do
    m=$(median <<<"${lat[$db]}")
    printf '%-10s %10.3f %8.2f\n' "$db" "$m" "$(awk -v a="$m" -v b="$base" 'BEGIN {print a / b}')"
done
