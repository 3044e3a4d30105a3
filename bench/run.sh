#!/usr/bin/env bash
#
# bench/run.sh: the chat benchmark suite (SPEC §9) in one run.  Installs chat
# from this tree (make install: run it under flock /tmp/chat-pg.lock), starts
# a throwaway cluster, loads the data of every workload family
# (bench/workloads/*.sh), runs the selected workloads with pgbench and prints
# the summary (bench/sql/summary.sql).  Workloads and settings: bench/README.md.
#
# Usage: bench/run.sh [ID ...]      e.g. bench/run.sh S1 S2 S3 S4 P1

# shellcheck disable=SC1091  # sourced files are found through $BENCH
set -euo pipefail
umask 022 # the server (user postgres) reads the run's records

BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$BENCH")

# settings of every family (each family's own are at the top of its file)
SYNC_COMMIT=${BENCH_SYNC_COMMIT:-on}
SHARED_BUFFERS=${BENCH_SHARED_BUFFERS:-256MB}
CLIENTS=${BENCH_CLIENTS:-4}
DURATION=${BENCH_DURATION:-15}
ROUNDS=${BENCH_ROUNDS:-3}
LAT_TXNS=${BENCH_LAT_TXNS:-2000}
PROTOCOL=${BENCH_PROTOCOL:-prepared}
VERIFY_P2=${BENCH_VERIFY_P2:-bench}
KEEP=${BENCH_KEEP:-0}
STRICT=${BENCH_STRICT:-0}
SLICE=$(((DURATION + ROUNDS - 1) / ROUNDS))
BARE_THREADS=100000

# the families, in the order they load and run; a VACUUM ANALYZE of
# database bench separates the write families from the read families
WRITES="p1 p2 h p6 b"
READS="p3 p5 s r q p7"
IDS="LIMIT"
source "$BENCH/lib/cluster.sh"
source "$BENCH/lib/pgbench.sh"
# shellcheck source=/dev/null  # the families: bench/workloads/*.sh
for f in $WRITES $READS; do source "$BENCH/workloads/$f.sh"; done

# hook NAME [ARG]: NAME (load, check, slice, run) of each family in $ONLY
# (default: all) that has it: p1_load, p2_slice 1 ...
hook() {
    local f
    for f in ${ONLY:-$WRITES $READS}; do
        if declare -F "${f}_$1" >/dev/null; then "${f}_$1" "${@:2}"; fi
    done
}
want() { # want ID...: is any of them selected?
    local w
    for w; do [[ $SELECTED != *" $w "* ]] || return 0; done
    return 1
}

# the workloads named on the command line (any case), else all
SELECTED=" "
for w in "$@"; do
    for id in $IDS; do [[ ${id,,} != "${w,,}" ]] || continue 2; done
    echo "run.sh: unknown workload \"$w\" (known: $IDS)" >&2
    exit 1
done
for id in $IDS; do
    for w in "${@:-$id}"; do [[ ${id,,} != "${w,,}" ]] || SELECTED+="$id "; done
done
# the bare INSERT is the reference of every write workload's ratio
! want P1 P2 P2chan P8 H P7-P1 P7-P2 || want LIMIT || SELECTED=" LIMIT$SELECTED"
# P8 compares with P1's chat run (events kept, NOTIFY off)
! want P8 || want P1 || SELECTED+="P1 "
[[ $VERIFY_P2 == bench || $VERIFY_P2 == chat ]] || { echo "run.sh: BENCH_VERIFY_P2 must be bench or chat" >&2; exit 1; }

echo "== chat benchmark ($(date -u '+%Y-%m-%d %H:%M:%S UTC'), $(uname -n), $NPROC cores)"
new_cluster
# bench: everything but the P2 rooms; bench_p2: the P2 group and channel
psql_q -d postgres -c "CREATE DATABASE bench" -c "CREATE DATABASE bench_p2"
psql_q -d bench -c "CREATE EXTENSION chat" -f "$BENCH/sql/bare.sql" -f "$BENCH/sql/seed.sql" \
    -f "$BENCH/sql/check.sql"
psql_q -d bench_p2 -c "CREATE EXTENSION chat" -f "$BENCH/sql/seed.sql" -f "$BENCH/sql/check.sql"

# BENCH_CHAT_SETTINGS="key=value ...": chat settings changed in both databases
# before loading (e.g. early_lock_release=false for an A/B run)
for kv in ${BENCH_CHAT_SETTINGS:-}; do
    for db in bench bench_p2; do
        DB=$db sql "SELECT chat.set_setting('${kv%%=*}', '${kv#*=}')" >/dev/null
    done
done

echo "-- settings"
sql "SELECT format('   %-26s %s', name, current_setting(name))
       FROM unnest(ARRAY['server_version', 'synchronous_commit', 'shared_buffers', 'fsync', 'wal_level',
                         'max_wal_size', 'checkpoint_timeout', 'autovacuum', 'jit']) AS name"
printf '   %-26s %s (chat.so of %s)\n' 'chat extension' "$(sql "SELECT extversion FROM pg_extension WHERE extname = 'chat'")" \
    "$(date -u -r "$("$PG_BINDIR/pg_config" --pkglibdir)/chat.so" '+%F %T UTC')"
sql "SELECT format('   %-26s %s', 'chat inbox_fanout_limit', chat.get_setting('inbox_fanout_limit'))"
sql "SELECT format('   %-26s %s', 'chat early_lock_release', chat.get_setting('early_lock_release'))"
[[ -z ${BENCH_CHAT_SETTINGS:-} ]] || printf '   %-26s %s\n' 'chat settings changed' "$BENCH_CHAT_SETTINGS"
cat <<EOF
   write workloads            $CLIENTS clients (pgbench threads: $((CLIENTS < NPROC ? CLIENTS : NPROC))), ${DURATION} s each in $ROUNDS interleaved rounds of ${SLICE} s
   latency workloads          $LAT_TXNS transactions, 1 client
   pgbench                    -M $PROTOCOL --max-tries=1 --failures-detailed
   workloads                  $(sel=${SELECTED# }; echo "${sel% }")
EOF

echo "-- loading data (all of it, whatever is selected, so that every run measures the same database)"
t0=$EPOCHREALTIME
hook load
psql_q -d bench -c "VACUUM ANALYZE"
psql_q -d bench_p2 -c "VACUUM ANALYZE"
COUNTS="format('%s threads, %s members, %s messages; seed: %s threads, %s user_thread, %s messages',
               (SELECT count(*) FROM chat.thread), (SELECT count(*) FROM chat.member),
               (SELECT count(*) FROM chat.message), (SELECT count(*) FROM seed.thread),
               (SELECT count(*) FROM seed.user_thread), (SELECT count(*) FROM seed.message))"
echo "   bench:    chat: $(sql "SELECT $COUNTS")"
echo "   bench_p2: chat: $(DB=bench_p2 sql "SELECT $COUNTS")"
echo "   loading and VACUUM ANALYZE: $(since "$t0") s"
n=$(sql "SELECT count(*) FROM chat.verify_unread()")
n2=$(DB=bench_p2 sql "SELECT count(*) FROM chat.verify_unread()")
check data "after loading: chat.verify_unread() $n rows (bench), $n2 rows (bench_p2)" [ "$n$n2" = 00 ]
hook check
psql_q -d bench -c "VACUUM ANALYZE chat.member, chat.thread"

pgb_var "bare_threads=$BARE_THREADS"
if want LIMIT; then
    echo "-- write workloads ($CLIENTS clients, $ROUNDS interleaved rounds of ${SLICE} s)"
    for r in $(seq 1 "$ROUNDS"); do
        ROUND=$r run LIMIT '' bare limit_bare.pgbench "$CLIENTS" -T "$SLICE"
        hook slice "$r"
    done
fi
ONLY=$WRITES hook run
echo "-- VACUUM ANALYZE of database bench before the read workloads"
psql_q -d bench -c "VACUUM ANALYZE"
ONLY=$READS hook run

echo "-- consistency after the workloads"
t0=$EPOCHREALTIME
n=$(sql "SELECT count(*) FROM chat.verify_unread()")
check verify "bench: chat.verify_unread(): $n rows ($(since "$t0") s)" [ "$n" = 0 ]
# the P2 rooms: chat.verify_unread() recounts each of their 10,000 members
# with a scan of the messages after the member's pointer (about a minute for
# both); bench.recount_unread does the same in one sort per room (check.sql)
t0=$EPOCHREALTIME
n=$(DB=bench_p2 sql "SELECT count(*) FROM bench.room r, bench.recount_unread(r.thread_id)")
check verify "bench_p2: bench.recount_unread() of the P2 rooms: $n rows ($(since "$t0") s)" [ "$n" = 0 ]
if [[ $VERIFY_P2 == chat ]]; then
    t0=$EPOCHREALTIME
    n=$(DB=bench_p2 sql "SELECT count(*) FROM chat.verify_unread()")
    check verify "bench_p2: chat.verify_unread(): $n rows ($(since "$t0") s)" [ "$n" = 0 ]
fi

summarize clients="$CLIENTS" p2_members="$P2_MEMBERS" p3_threads="$P3_THREADS" p3mixed_rooms="$P3MIXED_ROOMS" \
    p5_messages="$P5_MESSAGES" r3_users="$R3_USERS" r3_messages="$R3_MESSAGES" s_messages="$S_MESSAGES" \
    s_members="$S_MEMBERS" q_messages="$Q_MESSAGES" q_threads="$Q_THREADS" q_rooms="$Q_ROOMS" \
    p7_load="$P7_LOAD_S" p7_load_goal="$P7_LOAD_GOAL" p7_size_mb="$P7_SIZE_MB" p7_messages="$P7_MESSAGES" \
    p7_room_members="$P7_ROOM_MEMBERS" p7_p5_messages="$P7_P5_MESSAGES"
read -r aborted misses < <(DB=bench_result sql "
    SELECT (SELECT count(*) FROM result WHERE aborted > 0),
           (SELECT count(*) FROM line l WHERE NOT l.pass AND EXISTS (SELECT FROM result r WHERE r.k = l.k))
           + (SELECT count(*) FROM sline WHERE NOT pass)" | tr '|' ' ')
echo "   settings: synchronous_commit=$SYNC_COMMIT shared_buffers=$SHARED_BUFFERS clients=$CLIENTS" \
    "duration=${DURATION}s (${ROUNDS} rounds) protocol=$PROTOCOL; $misses goal(s) missed;" \
    "$aborted run(s) with aborted clients; wall time $SECONDS s"
[[ $PROBLEMS -eq 0 && $aborted -eq 0 && ($STRICT != 1 || $misses -eq 0) ]]
