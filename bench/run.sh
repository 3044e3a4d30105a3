#!/usr/bin/env bash
#
# bench/run.sh: the chat benchmark suite (SPEC §9), in one run.
#
# Starts its own throwaway PostgreSQL cluster (initdb under /tmp, run as the
# postgres user when started as root, Unix socket only, removed at the end),
# creates the installed `chat` extension, the bare-INSERT table
# (bench/sql/bare.sql) and the seeds' algorithm ported to SQL
# (bench/sql/seed.sql), loads the data set-based (bench/sql/load*.sql), then
# runs every workload with pgbench (bench/workloads/*.pgbench) against the same server:
#
#   LIMIT    bare INSERT of one message row, one index, N clients
#   P1       new_reply in 2-person threads, N clients       (chat and seed)
#   P2       new_reply in one 10,000-member group, N clients (chat and seed)
#   P2chan   new_reply in one 10,000-member channel by its owner/admins (chat)
#   P3       first inbox page of a user in 10,000 threads, 1 client (chat and seed)
#   P3mixed  first inbox page of a user in 10,000 rooms of every kind (chat)
#   P4       unread_count of the P3 user, 1 client         (chat)
#   P4mixed  unread_count of the P3mixed user, 1 client    (chat)
#   P5       mark_read of 50,000 unread messages, 1 client (chat)
#   P8       P1 with notify on                             (chat)
#   R1       mark_read in the P2 group after a new message, 1 and N clients (chat)
#   R2       receipts of one message of the P2 group (a third seen, a third
#            delivered), and its first page of messages (seen_count), 1 client
#   R3       toggle_reaction on a few messages of the P2 group, N clients;
#            0 failures and consistent reaction rows afterwards
#   S1-S4    the security layer (chat 0.4), the P3 user as an end user (a
#            login role mapped with chat.map_role) against the superuser:
#   S1       first inbox page, 1 client
#   S2       first page of messages of a 5,000-message thread and of a
#            10,000-member group, 1 client
#   S3       direct reads under row-level security (chat.message,
#            chat.member, a count of chat.thread), 1 client
#   S4       new_reply in the P3 user's 2-person threads, N clients
#   P1 also runs through bench.new_reply_invoker, chat.new_reply without
#   SECURITY DEFINER and its pinned search_path (bench/sql/security.sql)
#
# The rooms of P2, P2chan and P3mixed are built through chat's room API
# (create_group, create_channel, direct_thread, add_members, set_role: chat
# 0.3); with an older chat the P2 group is built from rows and P2chan,
# P3mixed and P4mixed are skipped.  The P2 rooms live in a second database,
# bench_p2, on the same server (see "consistency" below).
#
# and prints a summary: throughput and median latency (from pgbench's
# per-transaction logs), ratios to the bare-INSERT limit and to the seed
# port, PASS/MISS against each goal, and chat.verify_unread() afterwards.
#
# Usage:  bench/run.sh [WORKLOAD ...]  (about 6-7 minutes with the defaults)
#         With workload ids (LIMIT P1 P2 P2chan P3 P4 P3mixed P4mixed P5 P6 P8
#         R1 R2 R3 S1 S2 S3 S4, any case) only those run, after the same
#         loading and checks: "bench/run.sh S1 S2 S3 P1".  P1, P2, P2chan and
#         P8 bring LIMIT along (their reference), P3 its seed runs.
# Environment (defaults in brackets):
#   BENCH_SYNC_COMMIT [on]        synchronous_commit of the cluster
#   BENCH_SHARED_BUFFERS [256MB]  shared_buffers
#   BENCH_CLIENTS [4]             clients of the throughput workloads
#   BENCH_DURATION [15]           seconds per throughput workload (LIMIT, P1, P2 chat)
#   BENCH_ROUNDS [3]              LIMIT, P1 and P2 chat run interleaved, in this many
#                                 slices of BENCH_DURATION/BENCH_ROUNDS seconds each
#   BENCH_SEED_P2_DURATION [10]   seconds of the (very slow) seed P2 run
#   BENCH_SEED_P3_DURATION [10]   seconds of the seed inbox run
#   BENCH_LAT_TXNS [2000]         transactions of each 1-client chat latency workload
#   BENCH_PROTOCOL [prepared]     pgbench query mode (simple, extended, prepared)
#   BENCH_P1_THREADS [2000]       2-person threads of P1
#   BENCH_P2_MEMBERS [10000]      members of the P2 group and of the P2 channel
#   BENCH_P2C_ADMINS [4]          admins of the P2 channel (posters: the owner and them)
#   BENCH_P3_THREADS [10000]      threads of the P3 user
#   BENCH_P3M_ROOMS [10000]       rooms of the P3mixed user
#   BENCH_P5_MESSAGES [50000]     unread messages of the P5 thread
#   BENCH_P6_CLIENTS [8]          clients of the P6 mixed load
#   BENCH_P6_DURATION [20]        seconds of the P6 mixed load
#   BENCH_P5_RESET [update]       how P5 resets the read pointer between two
#                                 mark_read: "update" (one UPDATE leaving the
#                                 exact state chat.mark_unread leaves, checked
#                                 first) or "api" (chat.mark_unread itself)
#   BENCH_R_TXNS [200]            measured transactions of R1 and R2 (1 client)
#   BENCH_R_DURATION [5]          seconds of R1 and R3 with N clients
#   BENCH_R3_MESSAGES [5]         messages of R3 (posted by the P2 group's owner)
#   BENCH_R3_USERS [20]           users of R3 (members 2..21 of the P2 group)
#   BENCH_S_DURATION [6]          seconds of each S1-S3 run (end user, server,
#                                 body), in BENCH_S_ROUNDS interleaved slices
#   BENCH_S_ROUNDS [6]            slices of the S1-S3 runs
#   BENCH_S_MESSAGES [5000]       messages of the S thread (P3 user and one other)
#   BENCH_S_MEMBERS [10000]       members of the S group (the P3 user among them)
#   BENCH_S_GROUP_MESSAGES [1000] messages of the S group
#   BENCH_S_ROLE [chat_bench_user] login role of the end-user runs
#   BENCH_ROOM_API [auto]         "off": build the P2 group from rows and skip
#                                 P2chan, P3mixed, P4mixed, as for a chat before 0.3
#   BENCH_VERIFY_P2 [bench]       how the two P2 rooms are checked afterwards:
#                                 "bench" (bench.recount_unread, set-based) or
#                                 "chat" (also chat.verify_unread(), which
#                                 recounts member by member: about a minute)
#   BENCH_PORT [first free from 54320]
#   BENCH_KEEP [0]                1: keep the work directory (logs, pgbench output)
#   BENCH_STRICT [0]              1: exit 1 when a goal is missed
#   PG_BINDIR [/usr/lib/postgresql/15/bin, else pg_config --bindir]
#
# Exit status: 0 when every workload ran and verify_unread() found nothing
# (goals may still be MISS unless BENCH_STRICT=1), 1 otherwise.

# shellcheck disable=SC2317  # functions called through traps and verdict()
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

SYNC_COMMIT=${BENCH_SYNC_COMMIT:-on}
SHARED_BUFFERS=${BENCH_SHARED_BUFFERS:-256MB}
CLIENTS=${BENCH_CLIENTS:-4}
DURATION=${BENCH_DURATION:-15}
ROUNDS=${BENCH_ROUNDS:-3}
SEED_P2_DURATION=${BENCH_SEED_P2_DURATION:-10}
SEED_P3_DURATION=${BENCH_SEED_P3_DURATION:-10}
LAT_TXNS=${BENCH_LAT_TXNS:-2000}
PROTOCOL=${BENCH_PROTOCOL:-prepared}
P1_THREADS=${BENCH_P1_THREADS:-2000}
P2_MEMBERS=${BENCH_P2_MEMBERS:-10000}
P2C_ADMINS=${BENCH_P2C_ADMINS:-4}
P3_THREADS=${BENCH_P3_THREADS:-10000}
P3M_ROOMS=${BENCH_P3M_ROOMS:-10000}
VERIFY_P2=${BENCH_VERIFY_P2:-bench}
ROOM_API=${BENCH_ROOM_API:-auto}
P5_MESSAGES=${BENCH_P5_MESSAGES:-50000}
P5_RESET=${BENCH_P5_RESET:-update}
P6_CLIENTS=${BENCH_P6_CLIENTS:-8}
P6_DURATION=${BENCH_P6_DURATION:-20}
R_TXNS=${BENCH_R_TXNS:-200}
R_DURATION=${BENCH_R_DURATION:-5}
R3_MESSAGES=${BENCH_R3_MESSAGES:-5}
R3_USERS=${BENCH_R3_USERS:-20}
S_DURATION=${BENCH_S_DURATION:-6}
S_ROUNDS=${BENCH_S_ROUNDS:-6}
S_MESSAGES=${BENCH_S_MESSAGES:-5000}
S_MEMBERS=${BENCH_S_MEMBERS:-10000}
S_GROUP_MESSAGES=${BENCH_S_GROUP_MESSAGES:-1000}
S_ROLE=${BENCH_S_ROLE:-chat_bench_user}
KEEP=${BENCH_KEEP:-0}
STRICT=${BENCH_STRICT:-0}

# id layout of the data (see bench/sql/load.sql)
BARE_THREADS=100000
P2_THREAD=1000000
P2_BASE=1000000
P3_VIEWER=2000000
P5_THREAD=3000000
P5_SENDER=3000001
P5_READER=3000002
P3M_VIEWER=4000000
P2C_BASE=5000000
S_BASE=6000000

# the workloads to run: all, or those named on the command line
ALL_WORKLOADS="LIMIT P1 P2 P2CHAN P3 P4 P3MIXED P4MIXED P5 P6 P8 R1 R2 R3 S1 S2 S3 S4"
SELECTED=
for w in "$@"; do
    w=${w^^}
    [[ " $ALL_WORKLOADS " == *" $w "* ]] || {
        echo "run.sh: unknown workload \"$w\" (known: $ALL_WORKLOADS)" >&2
        exit 1
    }
    SELECTED+=" $w"
done
[[ -n $SELECTED ]] || SELECTED=" $ALL_WORKLOADS"
# the bare INSERT is the reference of every write workload's ratio
for w in P1 P2 P2CHAN P8; do
    [[ " $SELECTED " != *" $w "* ]] || SELECTED+=" LIMIT"
done
SELECTED+=" "
want() { # want ID...: is any of these workloads selected?
    local w
    for w in "$@"; do
        [[ $SELECTED != *" $w "* ]] || return 0
    done
    return 1
}

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
[[ $P5_RESET == update || $P5_RESET == api ]] || {
    echo "run.sh: BENCH_P5_RESET must be update or api" >&2
    exit 1
}
[[ $VERIFY_P2 == bench || $VERIFY_P2 == chat ]] || {
    echo "run.sh: BENCH_VERIFY_P2 must be bench or chat" >&2
    exit 1
}

NPROC=$(nproc 2>/dev/null || echo 2)
JOBS=$((CLIENTS < NPROC ? CLIENTS : NPROC))
T_START=$(date +%s)

# ---------------------------------------------------------------- cluster

WORK=$(mktemp -d /tmp/chat-bench.XXXXXX)
chmod 755 "$WORK"
mkdir -p "$WORK/pg" "$WORK/logs" "$WORK/out"
DATA=$WORK/pg/data
SOCK=$WORK/pg
SERVER_LOG=$WORK/pg/server.log

# run a server-side command as the cluster owner (initdb refuses root)
if [[ $(id -u) -eq 0 ]]; then
    chown postgres: "$WORK/pg"
    as_owner() { runuser -u postgres -- "$@"; }
else
    as_owner() { "$@"; }
fi

started=0
PGBENCH_PID=
cleanup() {
    local rc=$?
    if [[ -n $PGBENCH_PID ]]; then
        kill "$PGBENCH_PID" 2>/dev/null || true
        wait "$PGBENCH_PID" 2>/dev/null || true
    fi
    if [[ $started -eq 1 ]]; then
        as_owner "$PG_BINDIR/pg_ctl" -D "$DATA" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    if [[ $KEEP == 1 ]]; then
        echo "work directory kept: $WORK"
    else
        rm -rf "$WORK"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && [[ ! -e /tmp/.s.PGSQL.$1 ]]; }
PORT=${BENCH_PORT:-}
if [[ -z $PORT ]]; then
    for p in $(seq 54320 54420); do
        if port_free "$p"; then PORT=$p; break; fi
    done
    [[ -n $PORT ]] || { echo "run.sh: no free port in 54320-54420" >&2; exit 1; }
fi

echo "== chat benchmark ($(date -u '+%Y-%m-%d %H:%M:%S UTC'), $(uname -n), $NPROC cores)"
echo "-- cluster: initdb in $DATA, port $PORT, Unix socket $SOCK only"
as_owner "$PG_BINDIR/initdb" -D "$DATA" -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync \
    >"$WORK/out/initdb.log" 2>&1 || { cat "$WORK/out/initdb.log" >&2; exit 1; }

SERVER_OPTS="-c listen_addresses='' -c unix_socket_directories='$SOCK' -p $PORT"
SERVER_OPTS+=" -c synchronous_commit=$SYNC_COMMIT -c shared_buffers=$SHARED_BUFFERS"
SERVER_OPTS+=" -c max_wal_size=4GB -c checkpoint_timeout=30min -c max_connections=50"
as_owner "$PG_BINDIR/pg_ctl" -D "$DATA" -l "$SERVER_LOG" -w -t 60 -o "$SERVER_OPTS" start >/dev/null \
    || { cat "$SERVER_LOG" >&2; exit 1; }
started=1

export PGHOST=$SOCK PGPORT=$PORT PGUSER=postgres
psql_q() { "$PSQL" -X -q -v ON_ERROR_STOP=1 "$@"; }
sql() { "$PSQL" -X -q -A -t -v ON_ERROR_STOP=1 -d bench -c "$1"; }
sql_p2() { "$PSQL" -X -q -A -t -v ON_ERROR_STOP=1 -d bench_p2 -c "$1"; }

# bench: everything but the P2 rooms; bench_p2: the P2 group and channel, kept
# apart so that chat.verify_unread() of bench does not recount their 10,000
# members one by one (see "consistency" below and bench/sql/check.sql)
psql_q -d postgres -c "CREATE DATABASE bench" -c "CREATE DATABASE bench_p2"
psql_q -d bench -c "CREATE EXTENSION chat" -f "$HERE/sql/bare.sql" -f "$HERE/sql/seed.sql" \
    -f "$HERE/sql/check.sql"
psql_q -d bench_p2 -c "CREATE EXTENSION chat" -f "$HERE/sql/seed.sql" -f "$HERE/sql/check.sql"
# chat's room API (0.3): groups, channels, direct threads, members, roles
HAS_ROOMS=$(sql "SELECT count(*) = 5 FROM pg_proc
                  WHERE pronamespace = 'chat'::regnamespace
                    AND proname IN ('create_group', 'create_channel', 'direct_thread', 'add_members', 'set_role')")
[[ $ROOM_API != off ]] || HAS_ROOMS=off
# receipts and reactions (0.3): R1-R3
HAS_R=$(sql "SELECT count(*) = 4 FROM pg_proc
              WHERE pronamespace = 'chat'::regnamespace
                AND proname IN ('receipts', 'toggle_reaction', 'reactions', 'mark_delivered')")
# the security layer (0.4): role mappings and the checked entry points in
# front of chat_internal; S1-S4 and the P1 invoker run need it (and the API)
HAS_SEC=$(sql "SELECT to_regprocedure('chat.map_role(regrole, chat.user_id)') IS NOT NULL
                  AND to_regnamespace('chat_internal') IS NOT NULL")
[[ $HAS_ROOMS == t ]] || HAS_SEC=f
# the selected workloads, in the order above
SELECTED=" $(for w in $ALL_WORKLOADS; do if want "$w"; then printf '%s ' "$w"; fi; done)"

# ---------------------------------------------------------------- settings

echo "-- settings"
sql "SELECT format('   %-26s %s', name, current_setting(name))
       FROM unnest(ARRAY['server_version', 'synchronous_commit', 'shared_buffers', 'fsync',
                         'wal_level', 'max_wal_size', 'checkpoint_timeout', 'deadlock_timeout',
                         'autovacuum', 'jit']) AS name"
CHAT_SO=$("$PG_BINDIR/pg_config" --pkglibdir)/chat.so
sql "SELECT format('   %-26s %s (chat.so of %s)', 'chat extension', e.extversion,
                   '$(date -u -r "$CHAT_SO" '+%F %T UTC' 2>/dev/null || echo '?')')
       FROM pg_extension e WHERE e.extname = 'chat'"
EXTVERSION=$(sql "SELECT extversion FROM pg_extension WHERE extname = 'chat'")
# every installed script (install and update) against the tree's sql/
TREE_REV=$(git -C "$HERE/.." describe --always --dirty 2>/dev/null || echo 'not a git tree')
same=yes
for f in "$("$PG_BINDIR/pg_config" --sharedir)"/extension/chat--*.sql; do
    cmp -s "$f" "$HERE/../sql/$(basename "$f")" || same=no
done
if [[ $same == yes ]]; then
    printf '   %-26s %s\n' 'chat scripts' "version $EXTVERSION, same as sql/ of this tree ($TREE_REV)"
else
    printf '   %-26s %s\n' 'chat scripts' "version $EXTVERSION, DIFFER from sql/ of this tree ($TREE_REV): run make install"
fi
sql "SELECT format('   %-26s %s', 'chat inbox_fanout_limit', chat.get_setting('inbox_fanout_limit'))"
# NOTIFY is measured by P8 alone: every other workload runs with notify off
HAS_NOTIFY=$(sql "SELECT count(*) FROM chat.settings WHERE key = 'notify'")
notify() {
    [[ $HAS_NOTIFY == 0 ]] && return 0
    sql "SELECT chat.set_setting('notify', '$1')" >/dev/null
    sql_p2 "SELECT chat.set_setting('notify', '$1')" >/dev/null
}
notify false
printf '   %-26s %s\n' 'chat notify' "$([[ $HAS_NOTIFY == 0 ]] && echo 'not in this version' || echo 'off, on for P8 only')"
cat <<EOF
   clients (throughput)       $CLIENTS (pgbench threads: $JOBS)
   duration per workload      ${DURATION} s in $ROUNDS interleaved rounds (seed P2: ${SEED_P2_DURATION} s, seed P3: ${SEED_P3_DURATION} s)
   latency transactions       $LAT_TXNS per chat latency workload, 1 client
   pgbench query mode         $PROTOCOL, --max-tries=1 --failures-detailed
   data                       P1 $P1_THREADS 2-person threads, P2 1 group x $P2_MEMBERS members,
                              P2chan 1 channel x $P2_MEMBERS members ($P2C_ADMINS admins),
                              P3 1 user x $P3_THREADS threads, P3mixed 1 user x $P3M_ROOMS rooms,
                              P5 1 thread x $P5_MESSAGES unread
   R1-R3 (P2 group)           $([[ $HAS_R == t && $HAS_ROOMS == t ]] && echo "R1 and R2 $R_TXNS measured transactions (1 client), R1 and R3 $CLIENTS clients x $R_DURATION s; R3 $R3_USERS users x $R3_MESSAGES messages" || echo 'skipped (no receipts and reactions before chat 0.3)')
   chat room API              $(case $HAS_ROOMS in
                                    t) echo 'yes: the P2 group and channel and the P3mixed rooms are built through it' ;;
                                    off) echo 'not used (BENCH_ROOM_API=off): P2 group from rows; P2chan, P3mixed, P4mixed skipped' ;;
                                    *) echo 'no (before 0.3): P2 group from rows; P2chan, P3mixed, P4mixed skipped' ;;
                                  esac)
   P5 pointer reset           $P5_RESET
   P2 rooms checked by        $([[ $VERIFY_P2 == chat ]] && echo 'bench.recount_unread and chat.verify_unread' || echo 'bench.recount_unread (set-based; BENCH_VERIFY_P2=chat adds chat.verify_unread)')
   S1-S4 (security, P3 user)  $([[ $HAS_SEC == t ]] && echo "end user: role $S_ROLE mapped to user $P3_VIEWER; S1-S3 ${S_DURATION} s per run in $S_ROUNDS rounds, 1 client;
                              S thread $S_MESSAGES messages, S group $S_MEMBERS members x $S_GROUP_MESSAGES messages; S4 $CLIENTS clients x ${DURATION} s" || echo 'skipped (no role mappings before chat 0.4)')
   workloads                  $(sel=${SELECTED# }; echo "${sel% }")
EOF

# ---------------------------------------------------------------- data

echo "-- loading data"
API=$([[ $HAS_ROOMS == t ]] && echo true || echo false)
since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }
t_load=$(date +%s.%N)
t0=$(date +%s.%N)
psql_q -d bench -v p1_threads="$P1_THREADS" -v p3_viewer="$P3_VIEWER" -v p3_threads="$P3_THREADS" \
    -f "$HERE/sql/load.sql" -f "$HERE/sql/seed_copy.sql" >/dev/null
psql_q -d bench -v p5_thread="$P5_THREAD" -v p5_sender="$P5_SENDER" -v p5_reader="$P5_READER" \
    -v p5_messages="$P5_MESSAGES" -f "$HERE/sql/load_p5.sql" >/dev/null
echo "   bench: P1 and P3 (rows), their seed copy, P5: $(since "$t0") s"
t0=$(date +%s.%N)
psql_q -d bench_p2 -v api="$API" -v p2_base="$P2_BASE" -v p2_members="$P2_MEMBERS" -v p2_thread="$P2_THREAD" \
    -f "$HERE/sql/load_p2.sql" -f "$HERE/sql/seed_copy.sql" >/dev/null
if [[ $API == true ]]; then
    psql_q -d bench_p2 -v p2chan_base="$P2C_BASE" -v p2chan_members="$P2_MEMBERS" -v p2chan_admins="$P2C_ADMINS" \
        -f "$HERE/sql/load_p2chan.sql" >/dev/null
    echo "   bench_p2: P2 group (create_group, add_members x 1,000), its seed copy, P2 channel: $(since "$t0") s"
    t0=$(date +%s.%N)
    # statistics first: without them the plans that chat's functions cache
    # in this session scan chat.member (6,000 direct_thread calls: 18 s, not 2.5 s)
    psql_q -d bench -c "ANALYZE"
    psql_q -d bench -v p3mixed_viewer="$P3M_VIEWER" -v p3mixed_rooms="$P3M_ROOMS" \
        -f "$HERE/sql/load_p3mixed.sql" >/dev/null
    echo "   bench: P3mixed rooms and messages through the API: $(since "$t0") s"
else
    echo "   bench_p2: P2 group (rows), its seed copy: $(since "$t0") s"
fi
psql_q -d bench -c "VACUUM ANALYZE"
psql_q -d bench_p2 -c "VACUUM ANALYZE"
P2_THREAD=$(sql_p2 "SELECT thread_id FROM bench.room WHERE name = 'p2'")
P2C_THREAD=$(sql_p2 "SELECT coalesce((SELECT thread_id FROM bench.room WHERE name = 'p2chan'), 0)")
COUNTS="format('%s threads, %s members, %s messages; seed: %s threads, %s user_thread, %s messages',
               (SELECT count(*) FROM chat.thread), (SELECT count(*) FROM chat.member),
               (SELECT count(*) FROM chat.message), (SELECT count(*) FROM seed.thread),
               (SELECT count(*) FROM seed.user_thread), (SELECT count(*) FROM seed.message))"
echo "   bench:    chat: $(sql "SELECT $COUNTS")"
echo "   bench_p2: chat: $(sql_p2 "SELECT $COUNTS")"
echo "   loading and VACUUM ANALYZE: $(since "$t_load") s"

# sanity checks on the data and on the P5 method
problems=0
n=$(sql "SELECT count(*) FROM chat.verify_unread()")
n2=$(sql_p2 "SELECT count(*) FROM chat.verify_unread()")
n3=$(sql_p2 "SELECT count(*) FROM bench.room r, bench.recount_unread(r.thread_id)")
echo "   after loading: chat.verify_unread() $n rows (bench), $n2 rows (bench_p2); bench.recount_unread of the P2 rooms $n3 rows"
[[ $n == 0 && $n2 == 0 && $n3 == 0 ]] || problems=$((problems + 1))

# the P2 rooms: size, kind, "large", roles; in the channel a plain member may not post
P2_SHAPE="(SELECT format('%s, %s members%s%s', t.kind, t.member_count, CASE WHEN t.large THEN ', large' END,
                         (SELECT ', roles ' || string_agg(format('%s %s', n, role), ', ' ORDER BY role)
                            FROM (SELECT mb.role, count(*) AS n FROM chat.member mb
                                   WHERE mb.thread_id = t.id GROUP BY mb.role) r))
             FROM chat.thread t WHERE t.id ="
echo "   P2 group (thread $P2_THREAD): $(sql_p2 "SELECT $P2_SHAPE $P2_THREAD)")"
ok=$(sql_p2 "SELECT t.member_count = $P2_MEMBERS AND t.large FROM chat.thread t WHERE t.id = $P2_THREAD")
[[ $ok == t ]] || { echo "   -> the P2 group is not a large group of $P2_MEMBERS members"; problems=$((problems + 1)); }
if [[ $API == true ]]; then
    echo "   P2 channel (thread $P2C_THREAD): $(sql_p2 "SELECT $P2_SHAPE $P2C_THREAD)")"
    ok=$(sql_p2 "SELECT t.kind = 'channel' AND t.member_count = $P2_MEMBERS AND t.large
                        AND (SELECT count(*) FROM chat.member mb WHERE mb.thread_id = t.id AND mb.role <> 'member')
                            = 1 + $P2C_ADMINS
                   FROM chat.thread t WHERE t.id = $P2C_THREAD")
    [[ $ok == t ]] || { echo "   -> the P2 channel is not as loaded"; problems=$((problems + 1)); }
    states=$(sql_p2 "SELECT bench.sqlstate_of(format('SELECT chat.new_reply(thread_id => %s, sender => %s, content => %L)',
                                                     $P2C_THREAD, $P2C_BASE + u, 'x')) || '/'
                          FROM (VALUES ($P2_MEMBERS), (1 + $P2C_ADMINS), (1)) v(u)" | tr -d '\n')
    echo "   P2 channel new_reply (rolled back) by a plain member / the last admin / the owner: ${states%/} (want 42501/00000/00000)"
    [[ $states == 42501/00000/00000/ ]] || problems=$((problems + 1))
fi

same=$(sql "SELECT (SELECT array_agg(thread_id) FROM chat.inbox(viewer => $P3_VIEWER))
                 = (SELECT array_agg(thread_id) FROM seed.inbox($P3_VIEWER))
               AND (SELECT array_agg(thread_id) FROM seed.inbox($P3_VIEWER))
                 = (SELECT array_agg(thread_id) FROM seed.inbox_per_thread($P3_VIEWER))")
echo "   P3 first page identical in chat.inbox, seed.inbox and seed.inbox_per_thread: $same"
[[ $same == t ]] || problems=$((problems + 1))

if [[ $API == true ]]; then
    # the P3mixed user's rooms, and the first page against the thread rows:
    # the user's rooms not archived and not deleted, newest message first
    sql "SELECT format('   P3mixed user %s: %s rooms (%s), %s large; %s messages in them',
                       $P3M_VIEWER, count(*),
                       (SELECT string_agg(format('%s %s', n, kind), ', ' ORDER BY n DESC)
                          FROM (SELECT kind, count(*) AS n FROM bench.p3mixed GROUP BY kind) k),
                       count(*) FILTER (WHERE t.large), sum(t.message_count))
           FROM bench.p3mixed r JOIN chat.thread t ON t.id = r.thread_id"
    sql "SELECT format('   P3mixed user state: %s rooms with unread messages, %s muted, %s archived, %s deleted',
                       count(*) FILTER (WHERE t.message_count > mb.read_count), count(*) FILTER (WHERE mb.muted),
                       count(*) FILTER (WHERE mb.archived), count(*) FILTER (WHERE mb.hidden_id IS NOT NULL))
           FROM chat.member mb JOIN chat.thread t ON t.id = mb.thread_id WHERE mb.user_id = $P3M_VIEWER"
    P3M_VISIBLE="FROM chat.member mb JOIN chat.thread t ON t.id = mb.thread_id
                WHERE mb.user_id = $P3M_VIEWER AND NOT mb.archived
                  AND (mb.hidden_id IS NULL OR mb.hidden_id < coalesce(t.last_message_id, 0))"
    same=$(sql "SELECT (SELECT array_agg(thread_id) FROM chat.inbox(viewer => $P3M_VIEWER))
                     = (SELECT array_agg(id) FROM (SELECT t.id $P3M_VISIBLE
                                                    ORDER BY coalesce(t.last_message_id, 0) DESC, t.id DESC
                                                    LIMIT 50) p)
                   AND chat.inbox_count(viewer => $P3M_VIEWER) = (SELECT count(*) $P3M_VISIBLE)")
    echo "   P3mixed first page and inbox_count match the thread rows: $same;" \
         "$(sql "SELECT 'first page: ' || string_agg(format('%s %s', n, kind), ', ' ORDER BY n DESC)
                   FROM (SELECT CASE WHEN t.large THEN 'large ' ELSE '' END || i.kind AS kind, count(*) AS n
                           FROM chat.inbox(viewer => $P3M_VIEWER) i JOIN chat.thread t ON t.id = i.thread_id
                          GROUP BY 1) k")"
    [[ $same == t ]] || problems=$((problems + 1))
fi

P5_FIRST=$(sql "SELECT chat.first_message($P5_THREAD)")
unread=$(sql "SELECT t.message_count - m.read_count FROM chat.thread t JOIN chat.member m ON m.thread_id = t.id
               WHERE t.id = $P5_THREAD AND m.user_id = $P5_READER")
echo "   P5 reader's unread messages: $unread"
[[ $unread == "$P5_MESSAGES" ]] || problems=$((problems + 1))
if [[ $P5_RESET == update ]]; then
    # the UPDATE of p5_chat.pgbench must leave what chat.mark_unread leaves,
    # timestamps (joined_at, read_at...: when, not where the pointers are) aside
    P5_STATE="(SELECT jsonb_object_agg(e.key, e.value) FROM chat.member m, jsonb_each(to_jsonb(m)) e
                WHERE m.thread_id = $P5_THREAD AND m.user_id = $P5_READER AND e.key NOT LIKE '%\\_at')"
    eq=$(psql_q -d bench -A -t <<EOF
SELECT chat.mark_read(thread_id => $P5_THREAD, reader => $P5_READER) \gset
SELECT chat.mark_unread(thread_id => $P5_THREAD, reader => $P5_READER, from_message => $P5_FIRST) \gset
CREATE TEMP TABLE api AS SELECT $P5_STATE AS s;
SELECT chat.mark_read(thread_id => $P5_THREAD, reader => $P5_READER) \gset
UPDATE chat.member SET read_id = 0, read_count = 0, hidden_id = NULL
 WHERE thread_id = $P5_THREAD AND user_id = $P5_READER;
SELECT (SELECT s FROM api) = $P5_STATE;
EOF
)
    echo "   P5 reset by UPDATE leaves the state chat.mark_unread leaves: $eq"
    if [[ $eq != t ]]; then
        echo "   -> falling back to BENCH_P5_RESET=api"
        P5_RESET=api
    fi
fi
psql_q -d bench -c "VACUUM ANALYZE chat.member, chat.thread"
if [[ $HAS_SEC == t ]]; then
    # the end users' login role, mapped to the P3 user, and the P1 invoker twin
    psql_q -d bench -v s_role="$S_ROLE" -v s_viewer="$P3_VIEWER" -f "$HERE/sql/security.sql" >/dev/null
    echo "   role $S_ROLE: chat user $(psql_q -d bench -U "$S_ROLE" -A -t -c "SELECT chat.current_user_id()")" \
         "as end user (server role: $(psql_q -d bench -U "$S_ROLE" -A -t -c "SELECT chat.is_server_role()"))"
fi

# ---------------------------------------------------------------- runs

declare -A TPS MED N FAIL DEAD ABORT

PGB_COMMON=(-n -M "$PROTOCOL" --max-tries=1 --failures-detailed -r
            -D "bare_threads=$BARE_THREADS" -D "p1_threads=$P1_THREADS"
            -D "p2_thread=$P2_THREAD" -D "p2_base=$P2_BASE" -D "p2_members=$P2_MEMBERS"
            -D "p2chan_thread=$P2C_THREAD" -D "p2chan_base=$P2C_BASE" -D "p2chan_admins=$P2C_ADMINS"
            -D "p3_viewer=$P3_VIEWER" -D "p3_threads=$P3_THREADS" -D "p3mixed_viewer=$P3M_VIEWER"
            -D "p5_thread=$P5_THREAD" -D "p5_reader=$P5_READER" -D "p5_messages=$P5_MESSAGES"
            -D "p5_first=$P5_FIRST" -D phase=0)

# median of column 3 (microseconds) of the per-transaction logs, in ms;
# awk_filter selects lines (e.g. 'FNR % 2 == 0' for every second transaction)
median_ms() {
    local prefix=$1 filter=${2:-1}
    # shellcheck disable=SC2086  # prefix may hold a glob (the rounds)
    awk "($filter) && \$3 ~ /^[0-9]+\$/ { print \$3 }" $prefix.* 2>/dev/null | sort -n |
        awk '{ a[NR] = $1 } END {
                 if (NR == 0) { print "n/a"; exit }
                 m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
                 printf "%.3f\n", m / 1000 }' || true
}

# run NAME SCRIPT CLIENTS (-T secs | -t txns) [median filter]
# against database $DB (default bench: "DB=bench_p2 run ..." for the P2 rooms),
# connected as role $AS_ROLE (default postgres: "AS_ROLE=$S_ROLE run ..." for
# an end user), with the extra pgbench variables in $DEFS ("name=value ...")
# and query mode $QMODE (default BENCH_PROTOCOL)
run() {
    local name=$1 script=$2 clients=$3 mode=$4 amount=$5 filter=${6:-1}
    local jobs=$((clients < NPROC ? clients : NPROC))
    local out=$WORK/out/$name.txt prefix=$WORK/logs/$name rc=0 d
    local extra=(-U "${AS_ROLE:-postgres}")
    for d in ${DEFS:-}; do extra+=(-D "$d"); done
    [[ -z ${QMODE:-} ]] || extra+=(-M "$QMODE")
    printf -- '-- %-10s %s, %s client(s), %s %s%s%s ... ' "$name" "$script" "$clients" "$mode" "$amount" \
        "$([[ -z ${AS_ROLE:-} ]] || echo ", as $AS_ROLE")" "$([[ -z ${QMODE:-} ]] || echo ", -M $QMODE")"
    # in the background, so that a signal reaches the trap (and pgbench) at once
    "$PGBENCH" "${PGB_COMMON[@]}" "${extra[@]}" -c "$clients" -j "$jobs" "$mode" "$amount" \
        -l --log-prefix="$prefix" -f "$HERE/workloads/$script" "${DB:-bench}" >"$out" 2>&1 &
    PGBENCH_PID=$!
    wait "$PGBENCH_PID" || rc=$?
    PGBENCH_PID=
    TPS[$name]=$(sed -n 's/^tps = \([0-9.]*\) .*/\1/p' "$out" | head -1)
    N[$name]=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$out" | head -1)
    FAIL[$name]=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$out" | head -1)
    DEAD[$name]=$(sed -n 's/^number of deadlock failures: \([0-9]*\).*/\1/p' "$out" | head -1)
    MED[$name]=$(median_ms "$prefix" "$filter")
    ABORT[$name]=$(grep -c 'aborted' "$out" || true)
    [[ $rc -eq 0 ]] || ABORT[$name]=$(( ${ABORT[$name]} > 0 ? ${ABORT[$name]} : 1 ))
    printf 'tps %s, median %s ms, %s ok, %s failed (%s deadlocks)%s\n' \
        "${TPS[$name]:-?}" "${MED[$name]}" "${N[$name]:-0}" "${FAIL[$name]:-?}" "${DEAD[$name]:-?}" \
        "$([[ ${ABORT[$name]} -eq 0 ]] || echo ", CLIENT ABORTED (rc $rc)")"
    if [[ ${ABORT[$name]} -ne 0 ]]; then
        grep -E 'error|ERROR' "$out" | head -5 | sed 's/^/     /' || true
    fi
    if [[ $clients -eq 1 && $name != *_r[0-9]* ]]; then
        # the first calls of a session, where plans are not cached yet
        awk "($filter) && \$3 ~ /^[0-9]+\$/ { printf \" %.2f\", \$3 / 1000; if (++n == 6) exit }" "$prefix".* |
            sed 's/^/     first 6 measured transactions (ms):/' || true
        echo
    fi
    # per-statement latencies (ms), for finding what dominates (not per round)
    [[ $name != *_r[0-9]* ]] || return 0
    sed -n '/^statement latencies/,$p' "$out" | grep -vE '^\s+[0-9.]+\s+[0-9]+\s+[\]' | tail -n +2 |
        awk '{ lat = $1; $1 = ""; $2 = ""; sub(/^ +/, ""); printf "     %9.3f ms  %s\n", lat, substr($0, 1, 90) }' || true
}

# combine the rounds NAME_r1.. of a throughput workload into NAME: tps is the
# mean of the rounds' tps (equal durations), counts are summed, the median is
# taken over every round's per-transaction log
combine() {
    local name=$1 r tps=0 n=0 fail=0 dead=0 abort=0
    for r in $(seq 1 "$ROUNDS"); do
        tps=$(awk -v a="$tps" -v b="${TPS[${name}_r$r]:-0}" 'BEGIN { print a + b }')
        n=$((n + ${N[${name}_r$r]:-0}))
        fail=$((fail + ${FAIL[${name}_r$r]:-0}))
        dead=$((dead + ${DEAD[${name}_r$r]:-0}))
        abort=$((abort + ${ABORT[${name}_r$r]:-0}))
    done
    TPS[$name]=$(awk -v a="$tps" -v r="$ROUNDS" 'BEGIN { printf "%.3f", a / r }')
    N[$name]=$n FAIL[$name]=$fail DEAD[$name]=$dead ABORT[$name]=$abort
    MED[$name]=$(median_ms "$WORK/logs/${name}_r*")
    printf '   %-10s %s rounds: tps %s, median %s ms, %s ok, %s failed\n' \
        "$name" "$ROUNDS" "${TPS[$name]}" "${MED[$name]}" "$n" "$fail"
}

# LIMIT, P1, P8 and P2 chat (group and channel) take turns in ROUNDS slices of
# DURATION/ROUNDS seconds, so that a slow or busy moment of the host hits all
# of them alike; with chat 0.4, P1 also through bench.new_reply_invoker
SLICE=$(( (DURATION + ROUNDS - 1) / ROUNDS ))
P1_INV=$([[ $HAS_SEC == t ]] && want P1 && echo true || echo false)
P8_RUN=$([[ $HAS_NOTIFY != 0 ]] && want P8 && echo true || echo false)
P2C_RUN=$([[ $API == true ]] && want P2CHAN && echo true || echo false)
if want LIMIT; then
    echo "-- write workloads (${CLIENTS} clients; LIMIT, P1, P8, P2 chat in $ROUNDS interleaved rounds of ${SLICE} s)"
    for r in $(seq 1 "$ROUNDS"); do
        run "limit_r$r" limit_bare.pgbench "$CLIENTS" -T "$SLICE"
        if want P1; then
            run "p1_seed_r$r" p1_seed.pgbench "$CLIENTS" -T "$SLICE"
            # chat and the invoker twin take turns going first: every slice
            # adds row versions to the same threads, and later slices are slower
            if [[ $P1_INV == true && $((r % 2)) == 0 ]]; then
                run "p1_inv_r$r" p1_invoker.pgbench "$CLIENTS" -T "$SLICE"
            fi
            run "p1_chat_r$r" p1_chat.pgbench "$CLIENTS" -T "$SLICE"
            if [[ $P1_INV == true && $((r % 2)) == 1 ]]; then
                run "p1_inv_r$r" p1_invoker.pgbench "$CLIENTS" -T "$SLICE"
            fi
        fi
        if [[ $P8_RUN == true ]]; then
            notify true
            run "p8_chat_r$r" p1_chat.pgbench "$CLIENTS" -T "$SLICE"
            notify false
        fi
        ! want P2 || DB=bench_p2 run "p2_chat_r$r" p2_chat.pgbench "$CLIENTS" -T "$SLICE"
        [[ $P2C_RUN == false ]] ||
            DB=bench_p2 run "p2_chan_r$r" p2chan_chat.pgbench "$CLIENTS" -T "$SLICE"
    done
    combine limit
    ! want P1 || for w in p1_seed p1_chat; do combine "$w"; done
    [[ $P1_INV == false ]] || combine p1_inv
    [[ $P8_RUN == false ]] || combine p8_chat
    ! want P2 || combine p2_chat
    [[ $P2C_RUN == false ]] || combine p2_chan
fi
! want P2 || DB=bench_p2 run p2_seed p2_seed.pgbench "$CLIENTS" -T "$SEED_P2_DURATION"

# P6: the mixed load of SPEC §9 on the P1 threads; the recount at the end of
# the run covers it
if want P6; then
    echo "-- mixed load (${P6_CLIENTS} clients, ${P6_DURATION} s)"
    run p6_chat p6_chat.pgbench "$P6_CLIENTS" -T "$P6_DURATION"
fi

echo "-- read workloads (1 client)"
psql_q -d bench -c "VACUUM ANALYZE"
if want P3; then
    run p3_chat p3_chat.pgbench 1 -t "$LAT_TXNS"
    run p3_seed p3_seed.pgbench 1 -T "$SEED_P3_DURATION"
    run p3_seed_pt p3_seed_per_thread.pgbench 1 -T "$SEED_P3_DURATION"
fi
! want P4 || run p4_chat p4_chat.pgbench 1 -t "$LAT_TXNS"
if [[ $API == true ]]; then
    ! want P3MIXED || run p3_mixed p3mixed_chat.pgbench 1 -t "$LAT_TXNS"
    ! want P4MIXED || run p4_mixed p4mixed_chat.pgbench 1 -t "$LAT_TXNS"
fi

if want P5; then
    echo "-- mark_read (1 client; odd transactions reset the pointer, even ones are measured)"
    if [[ $P5_RESET == update ]]; then
        run p5_chat p5_chat.pgbench 1 -t $((2 * LAT_TXNS)) 'FNR % 2 == 0'
    else
        run p5_chat p5_chat_api.pgbench 1 -t $((2 * LAT_TXNS)) 'FNR % 2 == 0'
        MED[p5_unread]=$(median_ms "$WORK/logs/p5_chat" 'FNR % 2 == 1')
        echo "   chat.mark_unread (the reset) median: ${MED[p5_unread]} ms"
    fi
fi

# S1-S4 (0.4: the security layer): the P3 user as an end user (role S_ROLE,
# mapped to it) against the superuser acting for it.  The S rooms are loaded
# here, after P3 and P4 ran on the data set they always had.
S_RUN=$([[ $HAS_SEC == t ]] && want S1 S2 S3 S4 && echo true || echo false)
if [[ $S_RUN == true ]]; then
    echo "-- S1-S4: the P3 user as end user (role $S_ROLE) and as the superuser acting for it"
    t0=$(date +%s.%N)
    psql_q -d bench -v s_viewer="$P3_VIEWER" -v s_base="$S_BASE" -v s_messages="$S_MESSAGES" \
        -v s_members="$S_MEMBERS" -v s_group_messages="$S_GROUP_MESSAGES" -f "$HERE/sql/load_s.sql" >/dev/null
    psql_q -d bench -c "VACUUM ANALYZE chat.member, chat.thread, chat.message"
    S_THREAD=$(sql "SELECT thread_id FROM bench.room WHERE name = 's_thread'")
    S_GROUP=$(sql "SELECT thread_id FROM bench.room WHERE name = 's_group'")
    S_SMALL=$((P3_VIEWER + 1))
    S_SHAPE="(SELECT format('%s, %s members%s, %s messages', t.kind, t.member_count,
                            CASE WHEN t.large THEN ' (large)' END, t.message_count)
                FROM chat.thread t WHERE t.id ="
    echo "   S thread $S_THREAD: $(sql "SELECT $S_SHAPE $S_THREAD)"); S group $S_GROUP: $(sql "SELECT $S_SHAPE $S_GROUP)");" \
         "P3 thread $S_SMALL: $(sql "SELECT $S_SHAPE $S_SMALL)"); loaded in $(since "$t0") s"
    sql_user() { "$PSQL" -X -q -A -t -v ON_ERROR_STOP=1 -U "$S_ROLE" -d bench -c "$1"; }
    # the end user and the server must read the same rows (S3 thread: the
    # count written out by hand), and the end user nothing of another user's thread
    s_same() { # s_same WHAT QUERY_AS_USER QUERY_AS_SERVER
        local u v
        u=$(sql_user "$2") v=$(sql "$3")
        printf '   %-44s end user %s, server %s%s\n' "$1:" "${u:0:12}" "${v:0:12}" "$([[ $u == "$v" ]] || echo '  -> DIFFER')"
        [[ $u == "$v" ]] || problems=$((problems + 1))
    }
    HASH="SELECT md5(string_agg(r::text, '|')) FROM"
    s_same "S1 inbox page (md5)" "$HASH chat.inbox() r" "$HASH chat.inbox(viewer => $P3_VIEWER) r"
    for t in "$S_THREAD" "$S_GROUP"; do
        s_same "S2 messages page of $t (md5)" "$HASH chat.messages(thread_id => $t) r" \
            "$HASH chat.messages(thread_id => $t, viewer => $P3_VIEWER) r"
    done
    for t in "$S_THREAD" "$S_SMALL"; do
        q="$HASH (SELECT * FROM chat.message WHERE thread_id = $t ORDER BY id DESC LIMIT 50) r"
        s_same "S3 chat.message of $t (md5)" "$q" "$q"
    done
    for t in "$S_SMALL" "$S_GROUP"; do
        q="SELECT count(*) || ' ' || md5(string_agg(r::text, '|' ORDER BY r.user_id)) FROM chat.member r WHERE thread_id = $t"
        s_same "S3 chat.member of $t (rows, md5)" "$q" "$q"
    done
    s_same "S3 threads seen (count)" "SELECT count(*) FROM chat.thread" \
        "SELECT count(*) FROM chat.thread t WHERE EXISTS (SELECT 1 FROM chat.member m
                                                            WHERE m.thread_id = t.id AND m.user_id = $P3_VIEWER)"
    got=$(sql_user "SELECT (SELECT count(*) FROM chat.message WHERE thread_id = 1) + (SELECT count(*) FROM chat.member WHERE thread_id = 1)
                           + (SELECT count(*) FROM chat.thread WHERE id = 1)")
    echo "   rows of P1 thread 1 (not the P3 user's) the end user reads: $got (want 0)"
    [[ $got == 0 ]] || problems=$((problems + 1))
    # the plans row-level security gives the end user's direct reads
    s_plan() { # s_plan QUERY: EXPLAIN ANALYZE as the end user, the scans and subplans
        echo "   plan as end user: $1"
        sql_user "EXPLAIN (ANALYZE, COSTS OFF, SUMMARY OFF) $1" |
            grep -E 'Scan|SubPlan|InitPlan|ProjectSet|Limit|Aggregate|Index Cond|Filter:' |
            sed -E 's/ \(actual time=[0-9.]+\.\.[0-9.]+ / (/; s/^/     /' | cut -c 1-150 || true
    }
    s_plan "SELECT * FROM chat.message WHERE thread_id = $S_SMALL ORDER BY id DESC LIMIT 50"
    s_plan "SELECT * FROM chat.message WHERE thread_id = $S_THREAD ORDER BY id DESC LIMIT 50"
    s_plan "SELECT * FROM chat.member WHERE thread_id = $S_SMALL"
    s_plan "SELECT * FROM chat.member WHERE thread_id = $S_GROUP"
    s_plan "SELECT count(*) FROM chat.thread"

    # each workload: end user, server (and the function's body in
    # chat_internal), taking turns in S_ROUNDS slices; DEFS: the room
    S_SLICE=$(( (S_DURATION + S_ROUNDS - 1) / S_ROUNDS ))
    s_runs() { # s_runs NAME USER_SCRIPT SERVER_SCRIPT [BODY_SCRIPT]
        local name=$1 r
        for r in $(seq 1 "$S_ROUNDS"); do
            AS_ROLE=$S_ROLE run "${name}_user_r$r" "$2" 1 -T "$S_SLICE"
            run "${name}_server_r$r" "$3" 1 -T "$S_SLICE"
            [[ -z ${4:-} ]] || run "${name}_body_r$r" "$4" 1 -T "$S_SLICE"
        done
        ROUNDS=$S_ROUNDS combine "${name}_user"
        ROUNDS=$S_ROUNDS combine "${name}_server"
        [[ -z ${4:-} ]] || ROUNDS=$S_ROUNDS combine "${name}_body"
    }
    if want S1; then
        echo "-- S1: first inbox page, 1 client"
        s_runs s1 s1_inbox_user.pgbench p3_chat.pgbench s1_inbox_body.pgbench
    fi
    if want S2; then
        echo "-- S2: first page of messages, 1 client (S thread $S_THREAD, S group $S_GROUP)"
        DEFS="s_room=$S_THREAD" s_runs s2_thread s2_messages_user.pgbench s2_messages_server.pgbench s2_messages_body.pgbench
        DEFS="s_room=$S_GROUP" s_runs s2_group s2_messages_user.pgbench s2_messages_server.pgbench s2_messages_body.pgbench
    fi
    if want S3; then
        echo "-- S3: direct reads, end user (row-level security) and superuser, 1 client"
        DEFS="s_room=$S_SMALL" s_runs s3_msg_small s3_message.pgbench s3_message.pgbench
        DEFS="s_room=$S_THREAD" s_runs s3_msg_thread s3_message.pgbench s3_message.pgbench
        # the same without prepared statements: planned for the literal thread
        # id, with its own row estimate (see bench/README.md)
        QMODE=simple DEFS="s_room=$S_THREAD" s_runs s3_msg_simple s3_message.pgbench s3_message.pgbench
        DEFS="s_room=$S_SMALL" s_runs s3_mem_small s3_member.pgbench s3_member.pgbench
        DEFS="s_room=$S_GROUP" s_runs s3_mem_group s3_member.pgbench s3_member.pgbench
        s_runs s3_threads s3_thread_user.pgbench s3_thread_server.pgbench
    fi
    if want S4; then
        echo "-- S4: new_reply by the P3 user in its 2-person threads, $CLIENTS clients, $ROUNDS rounds of ${SLICE} s"
        # end user and server take turns going first (see P1 and its invoker twin)
        for r in $(seq 1 "$ROUNDS"); do
            [[ $((r % 2)) == 1 ]] || run "s4_server_r$r" s4_reply_server.pgbench "$CLIENTS" -T "$SLICE"
            AS_ROLE=$S_ROLE run "s4_user_r$r" s4_reply_user.pgbench "$CLIENTS" -T "$SLICE"
            [[ $((r % 2)) == 0 ]] || run "s4_server_r$r" s4_reply_server.pgbench "$CLIENTS" -T "$SLICE"
        done
        combine s4_user
        combine s4_server
    fi
fi

# R1-R3 (0.3: receipts and reactions): in the P2 group of bench_p2, after its
# write workloads (so it holds their messages and every member's pointers)
if [[ $API == true && $HAS_R == t ]]; then
    if want R1; then
        echo "-- R1: mark_read in the P2 group (odd transactions: the owner posts a reply; even ones are measured)"
        # the median: pgbench numbers each client's transactions from 1; r1_clients:
        # each client marks its own members (client_id modulo r1_clients) read
        PGB_COMMON+=(-D r1_clients=1)
        DB=bench_p2 run r1_chat r1_chat.pgbench 1 -t $((2 * R_TXNS)) '$2 % 2 == 0'
        PGB_COMMON+=(-D "r1_clients=$CLIENTS")
        DB=bench_p2 run r1_chat4 r1_chat.pgbench "$CLIENTS" -T "$R_DURATION" '$2 % 2 == 0'
        # the rate of mark_read: every client alternates reply and mark_read
        TPS[r1_chat4]=$(awk -v t="${TPS[r1_chat4]:-0}" 'BEGIN { printf "%.3f", t / 2 }')
        N[r1_chat4]=$(( ${N[r1_chat4]:-0} / 2 )) N[r1_chat]=$(( ${N[r1_chat]:-0} / 2 ))
        echo "   R1 with $CLIENTS clients: ${TPS[r1_chat4]} mark_read/s (pgbench tps / 2)"
    fi

    if want R2; then
        echo "-- R2: receipts of a message a third of the group has seen and a third has received"
        t0=$(date +%s.%N)
        R2_MESSAGE=$(sql_p2 "SELECT chat.new_reply(thread_id => $P2_THREAD, sender => $P2_BASE + 1,
                                                    content => 'R2: the message whose receipts are read')")
        R2_THIRD=$(( (P2_MEMBERS - 1) / 3 ))
        # members 2 .. 1+third read up to it, the next third receive it, the rest
        # (and the owner, its sender) stay before it; through the API
        sql_p2 "SELECT count(*) FROM generate_series(2, 1 + $R2_THIRD) i,
                       chat.mark_read(thread_id => $P2_THREAD, reader => $P2_BASE + i, up_to => $R2_MESSAGE)" >/dev/null
        sql_p2 "SELECT count(*) FROM generate_series(2 + $R2_THIRD, 1 + 2 * $R2_THIRD) i,
                       chat.mark_delivered(reader => $P2_BASE + i, thread_id => $P2_THREAD, up_to => $R2_MESSAGE)" >/dev/null
        psql_q -d bench_p2 -c "VACUUM ANALYZE chat.member, chat.thread, chat.message"
        got=$(sql_p2 "SELECT format('%s seen, %s delivered', count(*) FILTER (WHERE status = 'seen'),
                                    count(*) FILTER (WHERE status = 'delivered'))
                        FROM chat.receipts(message_id => $R2_MESSAGE, viewer => $P2_BASE + 1)")
        echo "   message $R2_MESSAGE: receipts $got (want $R2_THIRD seen, $R2_THIRD delivered); set up in $(since "$t0") s"
        [[ $got == "$R2_THIRD seen, $R2_THIRD delivered" ]] || problems=$((problems + 1))
        R2_PAGE=$(sql_p2 "SELECT format('%s messages, seen_count %s..%s', count(*), min(seen_count), max(seen_count))
                            FROM chat.messages(thread_id => $P2_THREAD, viewer => $P2_BASE + 1)")
        echo "   first page of the group for the owner: $R2_PAGE"
        PGB_COMMON+=(-D "r2_message=$R2_MESSAGE")
        DB=bench_p2 run r2_receipts r2_receipts.pgbench 1 -t "$R_TXNS"
        DB=bench_p2 run r2_messages r2_messages.pgbench 1 -t "$R_TXNS"
    fi

    if want R3; then
        echo "-- R3: toggle_reaction, $CLIENTS clients, $R3_USERS users x $R3_MESSAGES messages of the P2 group"
        R3_MSGS=$(sql_p2 "SELECT array_agg(chat.new_reply(thread_id => $P2_THREAD, sender => $P2_BASE + 1,
                                                          content => 'R3: react to this ' || i) ORDER BY i)
                            FROM generate_series(1, $R3_MESSAGES) i")
        PGB_COMMON+=(-D "r3_messages=$R3_MSGS" -D "r3_count=$R3_MESSAGES" -D "r3_users=$R3_USERS")
        DB=bench_p2 run r3_chat r3_chat.pgbench "$CLIENTS" -T "$R_DURATION"
        # afterwards: per message, rows of 👍 = distinct users = the count chat.reactions reports
        R3_CHECK=$(sql_p2 "SELECT format('%s of %s messages consistent, %s reactions present',
                                         count(*) FILTER (WHERE rows = users AND rows = coalesce(api, 0)),
                                         count(*), sum(rows))
                             FROM (SELECT m,
                                          (SELECT count(*) FROM chat.reaction r
                                            WHERE r.message_id = m AND r.reaction = '👍') AS rows,
                                          (SELECT count(DISTINCT r.user_id) FROM chat.reaction r
                                            WHERE r.message_id = m AND r.reaction = '👍') AS users,
                                          (SELECT x.count FROM chat.reactions(message_id => m, viewer => $P2_BASE + 1) x
                                            WHERE x.reaction = '👍') AS api
                                     FROM unnest('$R3_MSGS'::bigint[]) m) c")
        echo "   R3 reactions afterwards: $R3_CHECK"
        R3_OK=$([[ $R3_CHECK == "$R3_MESSAGES of $R3_MESSAGES messages consistent"* ]] && echo t || echo f)
        [[ $R3_OK == t ]] || problems=$((problems + 1))
    fi
fi

echo "-- consistency after the workloads"
t0=$(date +%s.%N)
VERIFY=$(sql "SELECT count(*) FROM chat.verify_unread()")
printf '   bench: chat.verify_unread(): %s rows (%s s)\n' "$VERIFY" "$(since "$t0")"
# the P2 rooms: chat.verify_unread() recounts each of their 10,000 members'
# unread messages with a scan of the messages after the member's pointer
# (members x messages: about a minute for both); bench.recount_unread does
# the same recount in one sort per room (bench/sql/check.sql)
t0=$(date +%s.%N)
v=$(sql_p2 "SELECT count(*) FROM bench.room r, bench.recount_unread(r.thread_id)")
printf '   bench_p2: bench.recount_unread() of the P2 rooms: %s rows (%s s)\n' "$v" "$(since "$t0")"
VERIFY=$((VERIFY + v))
if [[ $VERIFY_P2 == chat ]]; then
    t0=$(date +%s.%N)
    v=$(sql_p2 "SELECT count(*) FROM chat.verify_unread()")
    printf '   bench_p2: chat.verify_unread(): %s rows (%s s)\n' "$v" "$(since "$t0")"
    VERIFY=$((VERIFY + v))
fi
[[ $VERIFY == 0 ]] || problems=$((problems + 1))

# ---------------------------------------------------------------- summary

num() { [[ $1 =~ ^[0-9]+(\.[0-9]+)?$ ]]; }
ratio() { # a / b with the given decimals, "-" when either is missing
    if num "${1:-}" && num "${2:-}" && awk -v b="$2" 'BEGIN { exit !(b > 0) }'; then
        awk -v a="$1" -v b="$2" -v d="${3:-2}" 'BEGIN { printf "%.*f", d, a / b }'
    else
        echo -
    fi
}
ge() { num "${1:-}" && awk -v a="$1" -v b="$2" 'BEGIN { exit !(a >= b) }'; }
le() { num "${1:-}" && awk -v a="$1" -v b="$2" 'BEGIN { exit !(a <= b) }'; }
verdict() { if "$@"; then echo PASS; else echo MISS; fi; }
tps1() { if num "${TPS[$1]:-}"; then printf '%.1f' "${TPS[$1]}"; else echo -; fi; }
fails() { # failed transactions (deadlocks), share, and client aborts
    local f=${FAIL[$1]:-?} n=${N[$1]:-0}
    if [[ -n ${DEAD[$1]:-} && ${DEAD[$1]} != 0 ]]; then f="$f (${DEAD[$1]} dl)"; fi
    if num "${FAIL[$1]:-}" && [[ ${FAIL[$1]} != 0 ]]; then
        f="$f $(awk -v f="${FAIL[$1]}" -v n="$n" 'BEGIN { printf "%.1f%%", 100 * f / (f + n) }')"
    fi
    [[ ${ABORT[$1]} == 0 ]] || f="$f ABORTED"
    echo "$f"
}

BARE=${TPS[limit]:-}
r_p1_bare=$(ratio "${TPS[p1_chat]:-}" "$BARE")
r_p1s_bare=$(ratio "${TPS[p1_seed]:-}" "$BARE")
r_p1_seed=$(ratio "${TPS[p1_chat]:-}" "${TPS[p1_seed]:-}")
r_p1i_bare=$(ratio "${TPS[p1_inv]:-}" "$BARE")
r_p1_p1i=$(ratio "${TPS[p1_chat]:-}" "${TPS[p1_inv]:-}")
r_p8_bare=$(ratio "${TPS[p8_chat]:-}" "$BARE")
r_p8_p1=$(ratio "${TPS[p8_chat]:-}" "${TPS[p1_chat]:-}")
r_p2_bare=$(ratio "${TPS[p2_chat]:-}" "$BARE")
r_p2s_bare=$(ratio "${TPS[p2_seed]:-}" "$BARE" 5)
r_p2_seed=$(ratio "${TPS[p2_chat]:-}" "${TPS[p2_seed]:-}" 0)
r_p2c_bare=$(ratio "${TPS[p2_chan]:-}" "$BARE")
r_p2c_seed=$(ratio "${TPS[p2_chan]:-}" "${TPS[p2_seed]:-}" 0)
# the seeds order the inbox with one query per thread (SPEC §10.5): that is the
# baseline; the single correlated query is shown as a faster reference
r_p3_seed=$(ratio "${MED[p3_seed_pt]:-}" "${MED[p3_chat]:-}" 1)
r_p3_oneq=$(ratio "${MED[p3_seed]:-}" "${MED[p3_chat]:-}" 1)

# verdicts of the selected workloads only
p2_ok() { ge "$r_p2_bare" 0.6 && [[ ${FAIL[p2_chat]:-1} == 0 && ${ABORT[p2_chat]:-1} == 0 ]]; }
p3_ok() { le "${MED[p3_chat]:-}" 2 && ge "$r_p3_seed" 100; }
p5_ok() { le "${MED[p5_chat]:-}" 1 && [[ ${ABORT[p5_chat]:-1} == 0 ]]; }
p6_ok() { [[ ${FAIL[p6_chat]:-1} == 0 && ${ABORT[p6_chat]:-1} == 0 && ${DEAD[p6_chat]:-0} == 0 && $VERIFY == 0 ]]; }
p2c_ok() { ge "$r_p2c_bare" 0.6 && [[ ${FAIL[p2_chan]:-1} == 0 && ${ABORT[p2_chan]:-1} == 0 ]]; }
r3_ok() { [[ ${FAIL[r3_chat]:-1} == 0 && ${ABORT[r3_chat]:-1} == 0 && ${R3_OK:-f} == t ]]; }
RUN_R=$([[ $API == true && $HAS_R == t ]] && echo true || echo false)
! want P1 || v_p1=$(verdict ge "$r_p1_bare" 0.75)
! want P2 || v_p2=$(verdict p2_ok)
! want P3 || v_p3=$(verdict p3_ok)
! want P4 || v_p4=$(verdict le "${MED[p4_chat]:-}" 2)
! want P5 || v_p5=$(verdict p5_ok)
! want P6 || v_p6=$(verdict p6_ok)
v_ver=$(verdict test "$VERIFY" == 0)
if [[ $API == true ]]; then
    ! want P2CHAN || v_p2c=$(verdict p2c_ok)
    ! want P3MIXED || v_p3m=$(verdict le "${MED[p3_mixed]:-}" 2)
    ! want P4MIXED || v_p4m=$(verdict le "${MED[p4_mixed]:-}" 2)
fi
[[ $RUN_R == false ]] || ! want R3 || v_r3=$(verdict r3_ok)
# S1-S3: end user median / server median (S1, S2: under 1.20), server / body;
# S4: end user tps / server tps
declare -A SR SB SV
lt() { num "${1:-}" && awk -v a="$1" -v b="$2" 'BEGIN { exit !(a < b) }'; }
if [[ $S_RUN == true ]]; then
    for w in s1 s2_thread s2_group s3_msg_small s3_msg_thread s3_msg_simple s3_mem_small s3_mem_group s3_threads; do
        SR[$w]=$(ratio "${MED[${w}_user]:-}" "${MED[${w}_server]:-}")
        SB[$w]=$(ratio "${MED[${w}_server]:-}" "${MED[${w}_body]:-}")
    done
    SR[s4]=$(ratio "${TPS[s4_user]:-}" "${TPS[s4_server]:-}")
    ! want S1 || SV[s1]=$(verdict lt "$(ratio "${MED[s1_user]:-}" "${MED[s1_server]:-}" 4)" 1.2)
    if want S2; then
        for w in s2_thread s2_group; do
            SV[$w]=$(verdict lt "$(ratio "${MED[${w}_user]:-}" "${MED[${w}_server]:-}" 4)" 1.2)
        done
    fi
fi
verdicts=("${v_p1:-}" "${v_p2:-}" "${v_p3:-}" "${v_p4:-}" "${v_p5:-}" "${v_p6:-}" "$v_ver" "${v_p2c:-}"
          "${v_p3m:-}" "${v_p4m:-}" "${v_r3:-}" "${SV[s1]:-}" "${SV[s2_thread]:-}" "${SV[s2_group]:-}")
misses=$(printf '%s\n' "${verdicts[@]}" | grep -c MISS || true)

T_END=$(date +%s)
echo
echo "== summary: one server, one run; tps = successful transactions/s; median latency from pgbench's"
echo "   per-transaction logs; vs bare = tps / LIMIT tps; vs seed = chat tps / seed tps (P1, P2) or"
echo "   seed median / chat median (P3)"
fmt='%-7s %-30s %-9s %3s %7s %-17s %9s %10s %8s %8s  %-24s %s\n'
# shellcheck disable=SC2059  # one format for every row
row() { printf "$fmt" "$@"; }
row id workload impl cl "txns" failed tps "median ms" "vs bare" "vs seed" goal result
row ------- ------------------------------ --------- --- ------- ----------------- --------- ---------- -------- -------- ------------------------ ------
! want LIMIT ||
    row LIMIT "bare INSERT, 1 index" bare "$CLIENTS" "${N[limit]:-0}" "$(fails limit)" "$(tps1 limit)" "${MED[limit]}" 1.00 - "physical limit" ""
if want P1; then
    row P1 "new_reply, 2-person threads" seed "$CLIENTS" "${N[p1_seed]:-0}" "$(fails p1_seed)" "$(tps1 p1_seed)" "${MED[p1_seed]}" "$r_p1s_bare" - "baseline (SPEC 0.5-0.7x)" ""
    row P1 "new_reply, 2-person threads" chat "$CLIENTS" "${N[p1_chat]:-0}" "$(fails p1_chat)" "$(tps1 p1_chat)" "${MED[p1_chat]}" "$r_p1_bare" "${r_p1_seed}x" ">= 0.75 x bare" "$v_p1"
    [[ $P1_INV == false ]] ||
        row P1 "new_reply, 2-person threads" invoker "$CLIENTS" "${N[p1_inv]:-0}" "$(fails p1_inv)" "$(tps1 p1_inv)" "${MED[p1_inv]}" "$r_p1i_bare" - "measured (chat ${r_p1_p1i} x)" ""
fi
if want P2; then
    row P2 "new_reply, group of $P2_MEMBERS" seed "$CLIENTS" "${N[p2_seed]:-0}" "$(fails p2_seed)" "$(tps1 p2_seed)" "${MED[p2_seed]}" "$r_p2s_bare" - "baseline (SPEC ~0.0001x)" ""
    row P2 "new_reply, group of $P2_MEMBERS" chat "$CLIENTS" "${N[p2_chat]:-0}" "$(fails p2_chat)" "$(tps1 p2_chat)" "${MED[p2_chat]}" "$r_p2_bare" "${r_p2_seed}x" ">= 0.6 x bare, 0 failed" "$v_p2"
fi
[[ $P2C_RUN == false ]] ||
    row P2chan "new_reply, channel of $P2_MEMBERS" chat "$CLIENTS" "${N[p2_chan]:-0}" "$(fails p2_chan)" "$(tps1 p2_chan)" "${MED[p2_chan]}" "$r_p2c_bare" "${r_p2c_seed}x" ">= 0.6 x bare, 0 failed" "$v_p2c"
if want P3; then
    row P3 "inbox page 1, in $P3_THREADS threads" seed 1 "${N[p3_seed_pt]:-0}" "$(fails p3_seed_pt)" "$(tps1 p3_seed_pt)" "${MED[p3_seed_pt]}" - - "baseline (SPEC 382 ms)" ""
    row P3 "inbox page 1, in $P3_THREADS threads" seed/1query 1 "${N[p3_seed]:-0}" "$(fails p3_seed)" "$(tps1 p3_seed)" "${MED[p3_seed]}" - - "reference only" ""
    row P3 "inbox page 1, in $P3_THREADS threads" chat 1 "${N[p3_chat]:-0}" "$(fails p3_chat)" "$(tps1 p3_chat)" "${MED[p3_chat]}" - "${r_p3_seed}x" "<= 2 ms, >= 100x seed" "$v_p3"
fi
! want P4 ||
    row P4 "unread_count of that user" chat 1 "${N[p4_chat]:-0}" "$(fails p4_chat)" "$(tps1 p4_chat)" "${MED[p4_chat]}" - - "<= 2 ms" "$v_p4"
if [[ $API == true ]]; then
    ! want P3MIXED ||
        row P3mixed "inbox page 1, in $P3M_ROOMS rooms" chat 1 "${N[p3_mixed]:-0}" "$(fails p3_mixed)" "$(tps1 p3_mixed)" "${MED[p3_mixed]}" - - "<= 2 ms" "$v_p3m"
    ! want P4MIXED ||
        row P4mixed "unread_count of that user" chat 1 "${N[p4_mixed]:-0}" "$(fails p4_mixed)" "$(tps1 p4_mixed)" "${MED[p4_mixed]}" - - "<= 2 ms" "$v_p4m"
fi
[[ $P8_RUN == false ]] ||
    row P8 "P1 with notify on" chat "$CLIENTS" "${N[p8_chat]:-0}" "$(fails p8_chat)" "$(tps1 p8_chat)" "${MED[p8_chat]}" "$r_p8_bare" "-" "measured (${r_p8_p1} x P1)" ""
if [[ $RUN_R == true ]]; then
    if want R1; then
        row R1 "mark_read, group of $P2_MEMBERS" chat 1 "${N[r1_chat]:-0}" "$(fails r1_chat)" - "${MED[r1_chat]}" - - "measured" ""
        row R1 "mark_read, group of $P2_MEMBERS" chat "$CLIENTS" "${N[r1_chat4]:-0}" "$(fails r1_chat4)" "$(tps1 r1_chat4)" "${MED[r1_chat4]}" - - "measured" ""
    fi
    if want R2; then
        row R2 "receipts, 1/3 seen 1/3 deliv." chat 1 "${N[r2_receipts]:-0}" "$(fails r2_receipts)" "$(tps1 r2_receipts)" "${MED[r2_receipts]}" - - "measured" ""
        row R2 "messages page 1 (seen_count)" chat 1 "${N[r2_messages]:-0}" "$(fails r2_messages)" "$(tps1 r2_messages)" "${MED[r2_messages]}" - - "measured" ""
    fi
    ! want R3 ||
        row R3 "toggle_reaction, ${R3_USERS}u x ${R3_MESSAGES} msgs" chat "$CLIENTS" "${N[r3_chat]:-0}" "$(fails r3_chat)" "$(tps1 r3_chat)" "${MED[r3_chat]}" - - "0 failed, consistent" "$v_r3"
fi
! want P6 ||
    row P6 "mixed 70/20/10, P1 threads" chat "$P6_CLIENTS" "${N[p6_chat]:-0}" "$(fails p6_chat)" "$(tps1 p6_chat)" "${MED[p6_chat]}" - - "0 failed, counts exact" "$v_p6"
! want P5 ||
    row P5 "mark_read, $P5_MESSAGES unread" chat 1 "$(( ${N[p5_chat]:-0} / 2 ))" "$(fails p5_chat)" - "${MED[p5_chat]}" - - "<= 1 ms" "$v_p5"
row "" "verify_unread, P2 recount" chat - - - - "$VERIFY" - - "0 rows" "$v_ver"

if [[ $S_RUN == true ]]; then
    echo
    echo "   security layer (chat 0.4): the P3 user as end user (role $S_ROLE, mapped) and the superuser acting"
    echo "   for it; median ms, 1 client (S4: tps, $CLIENTS clients); body = the function in chat_internal"
    echo "   called directly (no checked entry point: chat before 0.4); user/server: end user median / server median"
    sfmt='%-4s %-42s %9s %9s %9s %11s %11s  %-14s %s\n'
    # shellcheck disable=SC2059
    srow() { printf "$sfmt" "$@"; }
    srow id workload "end user" server body user/server server/body goal result
    srow ---- ------------------------------------------ --------- --------- --------- ----------- ----------- -------------- ------
    s_row() { # s_row ID NAME WORKLOAD GOAL RESULT
        srow "$1" "$3" "${MED[${2}_user]:--}" "${MED[${2}_server]:--}" "${MED[${2}_body]:--}" \
             "${SR[$2]}" "$([[ -n ${MED[${2}_body]:-} ]] && echo "${SB[$2]}" || echo -)" "$4" "$5"
    }
    ! want S1 || s_row S1 s1 "inbox page 1 ($P3_THREADS + 2 threads)" "< 1.20" "${SV[s1]}"
    if want S2; then
        s_row S2 s2_thread "messages page 1, $S_MESSAGES-message thread" "< 1.20" "${SV[s2_thread]}"
        s_row S2 s2_group "messages page 1, $S_MEMBERS-member group" "< 1.20" "${SV[s2_group]}"
    fi
    if want S3; then
        s_row S3 s3_msg_small "chat.message 50 newest, 2-person thread" measured ""
        s_row S3 s3_msg_thread "chat.message 50 newest, $S_MESSAGES messages" measured ""
        s_row S3 s3_msg_simple "the same, -M simple (custom plans)" measured ""
        s_row S3 s3_mem_small "chat.member of a 2-person thread" measured ""
        s_row S3 s3_mem_group "chat.member of the $S_MEMBERS-member group" measured ""
        s_row S3 s3_threads "count(*) of chat.thread (the user's)" measured ""
    fi
    ! want S4 ||
        srow S4 "new_reply, 2-person threads (tps)" "$(tps1 s4_user)" "$(tps1 s4_server)" - "${SR[s4]}" - measured ""
fi
echo
if [[ $API == true ]]; then
    ! want P2 P2CHAN P3MIXED P4MIXED ||
        echo "   P2: group built by create_group + add_members; P2chan: channel, the owner and $P2C_ADMINS admins post"
    ! want P2 P2CHAN P3MIXED P4MIXED ||
        echo "   (vs seed: the seed P2 group's tps); P3mixed: $P3M_ROOMS rooms of every kind (bench/sql/load_p3mixed.sql)"
else
    echo "   P2chan, P3mixed, P4mixed: skipped (no room API before chat 0.3, or BENCH_ROOM_API=off); the P2 group is built from rows"
fi
if [[ $RUN_R == true ]]; then
    ! want R1 R2 R3 ||
        echo "   R1-R3 in the P2 group: R1 tps = mark_read/s, each client alternating it with the owner's reply"
    ! want R2 R3 ||
        echo "   (median: mark_read only); R2 message: ${R2_THIRD:--} seen, ${R2_THIRD:--} delivered; R3 after the run: ${R3_CHECK:--}"
else
    echo "   R1-R3: skipped (no receipts and reactions before chat 0.3, or no room API)"
fi
[[ $P1_INV == false ]] ||
    echo "   P1 invoker: bench.new_reply_invoker, chat.new_reply less SECURITY DEFINER and search_path (chat ${r_p1_p1i} x it)"
if want P3; then
    echo "   P3 baseline: the seeds' inbox, one query per thread for its latest message, run inside the"
    echo "   server (a client doing the same pays a round trip per thread on top); chat.inbox is ${r_p3_oneq}x"
    echo "   faster than the same ordering done in one correlated query (seed/1query)"
fi
! want P5 || echo "   P5 pointer reset: $P5_RESET"
echo "   workloads:${SELECTED% }"
echo "   settings: synchronous_commit=$SYNC_COMMIT shared_buffers=$SHARED_BUFFERS clients=$CLIENTS" \
     "duration=${DURATION}s (${ROUNDS} rounds) protocol=$PROTOCOL; $misses goal(s) missed; wall time $((T_END - T_START)) s"

status=0
if [[ $problems -gt 0 ]]; then
    echo "   $problems consistency problem(s): see above" >&2
    status=1
fi
for w in limit p1_chat p1_inv p2_chat p3_chat p4_chat p5_chat p2_chan p3_mixed p4_mixed \
         r1_chat r1_chat4 r2_receipts r2_messages r3_chat \
         s1_user s1_server s2_thread_user s2_thread_server s2_group_user s2_group_server \
         s3_msg_small_user s3_msg_thread_user s3_msg_simple_user s3_mem_small_user s3_mem_group_user s3_threads_user s4_user s4_server; do
    if [[ ${ABORT[$w]:-0} != 0 ]]; then
        echo "   $w: pgbench clients aborted (see its errors above)" >&2
        status=1
    fi
done
if [[ $STRICT == 1 && $misses -gt 0 ]]; then
    status=1
fi
exit "$status"
