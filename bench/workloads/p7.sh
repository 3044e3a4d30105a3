#!/usr/bin/env bash
# bench/workloads/p7.sh: P1-P6 at real scale (SPEC §9 P7: 1 M users, 1 M
# threads, 10 M messages), in database bench_p7 of its own (sourced by
# run.sh; loaded only when a P7 workload is selected: minutes of loading,
# gigabytes, and nothing of database bench)
#   P7-P1  new_reply in a random one of the ~940,000 2-person threads by one of
#          its members, N clients, in the write rounds beside LIMIT
#   P7-P2  new_reply in a group of 10,000 members (room 1) by a random member,
#          N clients, in the write rounds
#   P7-P3  first inbox page of user 1, in 10,000 threads of every kind (9,005
#          2-person, 900 groups, 90 large groups, the 5 rooms), 1 client
#   P7-P4  unread_count of user 1, 1 client
#   P7-P5  mark_read of a 2-person thread with 50,000 unread messages (as P5)
#   P7-P6  mixed load on the 2-person threads (70 % new_reply, 20 % inbox, 10 %
#          mark_read), P6's clients and duration; every counter of the
#          database recounted afterwards (bench.p7_recount)
#   P7-CPU server CPU per P7-P1 reply against the bare INSERT's (as CPU, p1.sh:
#          synchronous_commit=off, interleaved rounds, medians)
IDS+=" P7-P1 P7-P2 P7-P3 P7-P4 P7-P5 P7-P6 P7-CPU"
P7_USERS=${BENCH_P7_USERS:-1000000}   # even (load_p7.sql)
P7_THREADS=${BENCH_P7_THREADS:-1000000}
P7_ROOMS=${BENCH_P7_ROOMS:-5}
P7_ROOM_MEMBERS=${BENCH_P7_ROOM_MEMBERS:-10000}
P7_ROOM_MESSAGES=${BENCH_P7_ROOM_MESSAGES:-50000}
P7_LARGE_GROUPS=${BENCH_P7_LARGE_GROUPS:-200}
P7_GROUPS=${BENCH_P7_GROUPS:-50000}
P7_P5_MESSAGES=${BENCH_P7_P5_MESSAGES:-50000}
P7_LOAD_GOAL=900 # seconds (issue 15)
P7_VIEWER=1
P7_LOAD_S='' P7_SIZE_MB='' P7_MESSAGES=''

p7_load() {
    want P7-P1 P7-P2 P7-P3 P7-P4 P7-P5 P7-P6 P7-CPU || return 0
    local t0=$EPOCHREALTIME
    psql_q -d postgres -c "CREATE DATABASE bench_p7"
    psql_q -d bench_p7 -c "CREATE EXTENSION chat" -c "SELECT chat.set_setting('notify', 'false')" \
        -f "$BENCH/sql/check.sql" >/dev/null
    psql_q -d bench_p7 -v p7_users="$P7_USERS" -v p7_threads="$P7_THREADS" -v p7_rooms="$P7_ROOMS" \
        -v p7_room_members="$P7_ROOM_MEMBERS" -v p7_room_messages="$P7_ROOM_MESSAGES" \
        -v p7_large_groups="$P7_LARGE_GROUPS" -v p7_groups="$P7_GROUPS" -v p5_messages="$P7_P5_MESSAGES" \
        -e -f "$BENCH/sql/load_p7.sql" >"$WORK/out/load_p7.txt"
    psql_q -d bench_p7 -c "VACUUM ANALYZE"
    P7_LOAD_S=$(since "$t0")
    psql_q -d bench_p7 -f "$BENCH/sql/check_p7.sql"
    # the steps of the load that took more than 5 s
    awk '/^Time: / && $2 > 5000 { printf "     %6.1f s  %s\n", $2 / 1000, what }
         /^(CREATE|INSERT|ALTER|SELECT)/ { what = substr($0, 1, 90) }' "$WORK/out/load_p7.txt" || true
    local l
    l=$(DB=bench_p7 sql "SELECT first_pair, last_pair - first_pair + 1, viewer_pairs, p5_thread, p5_reader
                           FROM bench.p7_layout")
    IFS='|' read -r P7_FIRST_PAIR P7_PAIRS P7_VIEWER_PAIRS P7_P5_THREAD P7_P5_READER <<<"$l"
    P7_P5_FIRST=$(DB=bench_p7 sql "SELECT chat.first_message($P7_P5_THREAD)")
    read -r P7_MESSAGES P7_SIZE_MB < <(DB=bench_p7 sql "
        SELECT (SELECT count(*) FROM chat.message), round(pg_database_size(current_database()) / 1048576.0)" | tr '|' ' ')
    echo "   P7: $(DB=bench_p7 sql "
        SELECT format('%s users in threads (ids 1-%s), %s threads (%s), %s members, %s messages',
                      (SELECT count(DISTINCT user_id) FROM chat.member), $P7_USERS, count(*),
                      (SELECT string_agg(format('%s %s%s', n, CASE WHEN large THEN 'large ' ELSE '' END, kind), ', ' ORDER BY n DESC)
                         FROM (SELECT kind, large, count(*) AS n FROM chat.thread GROUP BY 1, 2) k),
                      sum(member_count), sum(message_count))
          FROM chat.thread")"
    printf '   P7: loaded and VACUUM ANALYZE in %s s (goal <= %s s: %s); database %s MB, %s MB per million messages\n' \
        "$P7_LOAD_S" "$P7_LOAD_GOAL" "$([[ ${P7_LOAD_S%.*} -lt $P7_LOAD_GOAL ]] && echo PASS || echo MISS)" \
        "$P7_SIZE_MB" "$(printf '%.0f' "$(bc -l <<<"$P7_SIZE_MB * 1000000 / $P7_MESSAGES")")"
    echo "   P7: $(DB=bench_p7 sql "
        SELECT string_agg(format('%s %s', relname, pg_size_pretty(pg_total_relation_size(oid))), ', '
                          ORDER BY pg_total_relation_size(oid) DESC)
          FROM pg_class WHERE relnamespace = 'chat'::regnamespace AND relkind = 'r'
           AND pg_total_relation_size(oid) > 10000000") (with indexes)"
}

# p7_sql QUERY: its result in database bench_p7
p7_sql() { DB=bench_p7 sql "$1"; }

# the load's state: what chat keeps besides counters, a sample recounted by
# chat.verify_unread, the rooms by bench.recount_unread, threads replayed
# through chat (rolled back); every counter is recounted after the runs
p7_check() {
    want P7-P1 P7-P2 P7-P3 P7-P4 P7-P5 P7-P6 || return 0
    local n t0
    t0=$EPOCHREALTIME
    n=$(p7_sql "SELECT coalesce(string_agg(format('%s: %s', what, differ), '; '), '') FROM bench.p7_state() WHERE differ > 0")
    check P7 "P7 state chat keeps besides counters (bench.p7_state): ${n:-no difference} ($(since "$t0") s)" [ -z "$n" ]
    # chat.verify_unread(thread) plans "$1 IS NULL OR t.id = $1": a scan of the
    # 1 M thread rows per call; and it scans a room's messages once per member
    t0=$EPOCHREALTIME
    n=$(p7_sql "SELECT count(*)
                  FROM ((SELECT id FROM chat.thread WHERE id >= $P7_FIRST_PAIR ORDER BY hashint8(id) LIMIT 5)
                        UNION ALL (SELECT id FROM chat.thread WHERE kind = 'group' AND NOT large ORDER BY hashint8(id) LIMIT 5)
                        UNION ALL (SELECT id FROM chat.thread WHERE kind = 'group' AND large AND id > $P7_ROOMS
                                    ORDER BY hashint8(id) LIMIT 2)) s,
                       chat.verify_unread(s.id)")
    check P7 "P7 chat.verify_unread() of 12 threads (2-person, groups, large groups): $n rows ($(since "$t0") s)" [ "$n" = 0 ]
    t0=$EPOCHREALTIME
    n=$(p7_sql "SELECT count(*) FROM chat.thread t, bench.recount_unread(t.id)
                 WHERE t.id <= $P7_P5_THREAD OR t.large OR hashint8(t.id) % 500 = 0")
    check P7 "P7 bench.recount_unread() of the rooms, the P5 thread, the large groups and 1 thread in 500: $n rows ($(since "$t0") s)" [ "$n" = 0 ]
    t0=$EPOCHREALTIME
    n=$(psql_q -d bench_p7 -A -t <<EOF
BEGIN;
SELECT count(*) FROM ((SELECT id FROM chat.thread WHERE id >= $P7_FIRST_PAIR + $P7_VIEWER_PAIRS ORDER BY hashint8(id) LIMIT 20)
                      UNION ALL (SELECT id FROM chat.thread WHERE id >= $P7_FIRST_PAIR ORDER BY id LIMIT 10)
                      UNION ALL (SELECT id FROM chat.thread WHERE kind = 'group' AND NOT large ORDER BY hashint8(id) LIMIT 20)
                      UNION ALL (SELECT id FROM chat.thread WHERE kind = 'group' AND large AND id > $P7_ROOMS
                                  ORDER BY hashint8(id) LIMIT 2)) s,
                     bench.p7_replay(s.id);
ROLLBACK;
EOF
)
    check P7 "P7 52 threads replayed through chat (new_reply, mark_read; rolled back) equal the loaded ones: $n rows differ ($(since "$t0") s)" [ "$n" = 0 ]
    n=$(p7_sql "SELECT t.message_count - m.read_count FROM chat.thread t JOIN chat.member m ON m.thread_id = t.id
                 WHERE t.id = $P7_P5_THREAD AND m.user_id = $P7_P5_READER")
    check P7 "P7 P5 reader's unread messages: $n" [ "$n" = "$P7_P5_MESSAGES" ]
    echo "   P7 user $P7_VIEWER: $(p7_sql "
        SELECT format('%s threads (%s), %s with unread messages (%s unread); chat.unread_count: %s',
                      count(*), (SELECT string_agg(format('%s %s%s', n, CASE WHEN large THEN 'large ' ELSE '' END, kind), ', ' ORDER BY n DESC)
                                   FROM (SELECT t.kind, t.large, count(*) AS n FROM chat.member mb JOIN chat.thread t ON t.id = mb.thread_id
                                          WHERE mb.user_id = $P7_VIEWER GROUP BY 1, 2) k),
                      count(*) FILTER (WHERE t.message_count > mb.read_count), sum(t.message_count - mb.read_count),
                      (SELECT row(u.*)::text FROM chat.unread_count(viewer => $P7_VIEWER) u))
          FROM chat.member mb JOIN chat.thread t ON t.id = mb.thread_id WHERE mb.user_id = $P7_VIEWER")"
}

P7_DEFS() { echo "p7_first_pair=$P7_FIRST_PAIR p7_pairs=$P7_PAIRS p7_viewer_pairs=$P7_VIEWER_PAIRS p7_users=$P7_USERS"; }

# p7_slice ROUND: the P7-P1 and P7-P2 runs of one round of the write workloads
p7_slice() {
    if want P7-P1; then DB=bench_p7 DEFS=$(P7_DEFS) ROUND=$1 run P7-P1 '' chat p7-p1_chat.pgbench "$CLIENTS" -T "$SLICE"; fi
    if want P7-P2; then
        # room 1: a group of user 1 and users 2 .. P7_ROOM_MEMBERS
        DB=bench_p7 DEFS="p2_thread=1 p2_base=1 p2_members=$((P7_ROOM_MEMBERS - 1))" ROUND=$1 \
            run P7-P2 '' chat p2_chat.pgbench "$CLIENTS" -T "$SLICE"
    fi
}

p7_run() {
    want P7-P1 P7-P2 P7-P3 P7-P4 P7-P5 P7-P6 P7-CPU || return 0
    echo "-- P7: database bench_p7 ($P7_MESSAGES messages)"
    if want P7-CPU; then cpu_rounds P7-CPU limit_bare.pgbench bench_p7 "$(P7_DEFS)" p7-p1_chat.pgbench; fi
    if want P7-P6; then DB=bench_p7 DEFS=$(P7_DEFS) run P7-P6 '' chat p7-p6_chat.pgbench "$P6_CLIENTS" -T "$P6_DURATION"; fi
    psql_q -d bench_p7 -c "VACUUM ANALYZE chat.member, chat.thread"
    if want P7-P3; then DB=bench_p7 DEFS="p3_viewer=$P7_VIEWER" run P7-P3 '' chat p3_chat.pgbench 1 -t "$LAT_TXNS"; fi
    if want P7-P4; then DB=bench_p7 DEFS="p3_viewer=$P7_VIEWER" run P7-P4 '' chat p4_chat.pgbench 1 -t "$LAT_TXNS"; fi
    if want P7-P5; then
        DB=bench_p7 DEFS="p5_thread=$P7_P5_THREAD p5_reader=$P7_P5_READER p5_messages=$P7_P5_MESSAGES p5_first=$P7_P5_FIRST" \
            PARITY=0 run P7-P5 '' chat p5_chat.pgbench 1 -t $((2 * LAT_TXNS))
    fi
    local n t0=$EPOCHREALTIME
    n=$(DB=bench_p7 sql "SELECT count(*) FROM bench.p7_recount()")
    check P7-P6 "bench_p7: bench.p7_recount() of every counter after the P7 runs: $n rows ($(since "$t0") s)" [ "$n" = 0 ]
}
