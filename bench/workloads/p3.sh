#!/usr/bin/env bash
# bench/workloads/p3.sh: a user's inbox and badge counts, 1 client (sourced
# by run.sh)
#   P3       first inbox page of a user in 10,000 2-person threads: chat, the
#            seed port (one query per thread, the baseline) and the seed's
#            ordering in one correlated query (a faster reference)
#   P4       unread_count of the P3 user
#   P3mixed  first inbox page of a user in 10,000 rooms of every kind
#   P4mixed  unread_count of the P3mixed user
#   C1       chat.changes of the P3 user with 100 events to catch up (replies
#            in 100 of its threads since its cursor)
#   C1mixed  the same for the P3mixed user, whose rooms include groups and
#            channels of thousands of members: the cost follows the user's
#            rooms and the events, not their members
IDS+=" P3 P4 P3mixed P4mixed C1 C1mixed"
P3_THREADS=${BENCH_P3_THREADS:-10000}
P3MIXED_ROOMS=${BENCH_P3MIXED_ROOMS:-10000}
SEED_P3_DURATION=${BENCH_SEED_P3_DURATION:-10}
P3_VIEWER=2000000      # threads P3_VIEWER+k with user P3_VIEWER+k
P3MIXED_VIEWER=4000000 # then blocks of users per kind of room (load_p3mixed.sql)

p3_load() {
    local t0=$EPOCHREALTIME
    psql_q -d bench -v p3_viewer="$P3_VIEWER" -v p3_threads="$P3_THREADS" -f "$BENCH/sql/load_p3.sql" \
        -v first_thread=$((P3_VIEWER + 1)) -v last_thread=$((P3_VIEWER + P3_THREADS)) \
        -f "$BENCH/sql/seed_copy.sql" >/dev/null
    echo "   P3: $P3_THREADS 2-person threads of one user (rows), their seed copy: $(since "$t0") s"
    t0=$EPOCHREALTIME
    # statistics first: without them the plans that chat's functions cache
    # in this session scan chat.member (6,000 direct_thread calls: 18 s, not 2.5 s)
    psql_q -d bench -c "ANALYZE"
    psql_q -d bench -v p3mixed_viewer="$P3MIXED_VIEWER" -v p3mixed_rooms="$P3MIXED_ROOMS" \
        -f "$BENCH/sql/load_p3mixed.sql" >/dev/null
    echo "   P3mixed: $P3MIXED_ROOMS rooms of every kind of one user, through the API: $(since "$t0") s"
    pgb_var "p3_viewer=$P3_VIEWER" "p3_threads=$P3_THREADS" "p3mixed_viewer=$P3MIXED_VIEWER"
}

p3_check() {
    local same visible
    same=$(sql "SELECT (SELECT array_agg(thread_id) FROM chat.inbox(viewer => $P3_VIEWER))
                     = (SELECT array_agg(thread_id) FROM seed.inbox($P3_VIEWER))
                   AND (SELECT array_agg(thread_id) FROM seed.inbox($P3_VIEWER))
                     = (SELECT array_agg(thread_id) FROM seed.inbox_per_thread($P3_VIEWER))")
    check P3 "P3 first page identical in chat.inbox, seed.inbox and seed.inbox_per_thread" [ "$same" = t ]
    sql "SELECT format('   P3mixed user %s: %s rooms (%s), %s large; %s messages in them',
                       $P3MIXED_VIEWER, count(*),
                       (SELECT string_agg(format('%s %s', n, kind), ', ' ORDER BY n DESC)
                          FROM (SELECT kind, count(*) AS n FROM bench.p3mixed GROUP BY kind) k),
                       count(*) FILTER (WHERE t.large), sum(t.message_count))
           FROM bench.p3mixed r JOIN chat.thread t ON t.id = r.thread_id"
    sql "SELECT format('   P3mixed user state: %s rooms with unread messages, %s muted, %s archived, %s deleted',
                       count(*) FILTER (WHERE t.message_count > mb.read_count), count(*) FILTER (WHERE mb.muted),
                       count(*) FILTER (WHERE mb.archived), count(*) FILTER (WHERE mb.hidden_id IS NOT NULL))
           FROM chat.member mb JOIN chat.thread t ON t.id = mb.thread_id WHERE mb.user_id = $P3MIXED_VIEWER"
    # the first page against the thread rows: the user's rooms not archived
    # and not deleted, newest message first
    visible="FROM chat.member mb JOIN chat.thread t ON t.id = mb.thread_id
            WHERE mb.user_id = $P3MIXED_VIEWER AND NOT mb.archived
              AND (mb.hidden_id IS NULL OR mb.hidden_id < coalesce(t.last_message_id, 0))"
    same=$(sql "SELECT (SELECT array_agg(thread_id) FROM chat.inbox(viewer => $P3MIXED_VIEWER))
                     = (SELECT array_agg(id) FROM (SELECT t.id $visible
                                                    ORDER BY coalesce(t.last_message_id, 0) DESC, t.id DESC
                                                    LIMIT 50) p)
                   AND chat.inbox_count(viewer => $P3MIXED_VIEWER) = (SELECT count(*) $visible)")
    check P3mixed "P3mixed first page and inbox_count match the thread rows; $(sql "
        SELECT 'first page: ' || string_agg(format('%s %s', n, kind), ', ' ORDER BY n DESC)
          FROM (SELECT CASE WHEN t.large THEN 'large ' ELSE '' END || i.kind AS kind, count(*) AS n
                  FROM chat.inbox(viewer => $P3MIXED_VIEWER) i JOIN chat.thread t ON t.id = i.thread_id
                 GROUP BY 1) k")" [ "$same" = t ]
}

p3_run() {
    if want P3; then
        echo "-- P3: first inbox page, 1 client"
        run P3 '' chat p3_chat.pgbench 1 -t "$LAT_TXNS"
        run P3 1query seed p3_seed.pgbench 1 -T "$SEED_P3_DURATION"
        run P3 '' seed p3_seed_per_thread.pgbench 1 -T "$SEED_P3_DURATION"
    fi
    if want P4; then run P4 '' chat p4_chat.pgbench 1 -t "$LAT_TXNS"; fi
    if want P3mixed; then run P3mixed '' chat p3mixed_chat.pgbench 1 -t "$LAT_TXNS"; fi
    if want P4mixed; then run P4mixed '' chat p4mixed_chat.pgbench 1 -t "$LAT_TXNS"; fi
    if want C1 C1mixed; then
        # each user's cursor, then a reply by another member in 100 of its rooms
        psql_q -d bench -c "CREATE TABLE IF NOT EXISTS bench.change_cursor (viewer bigint PRIMARY KEY, cursor text)" \
            -c "INSERT INTO bench.change_cursor VALUES ($P3_VIEWER, chat.changes($P3_VIEWER) ->> 'cursor'),
                    ($P3MIXED_VIEWER, chat.changes($P3MIXED_VIEWER) ->> 'cursor')
                ON CONFLICT (viewer) DO UPDATE SET cursor = excluded.cursor" >/dev/null
        for v in $P3_VIEWER $P3MIXED_VIEWER; do
            sql "SELECT count(chat.new_reply(t.thread_id, t.other, 'catch this'))
                   FROM (SELECT mb.thread_id,
                                (SELECT o.user_id FROM chat.member o
                                  WHERE o.thread_id = mb.thread_id AND o.user_id <> $v
                                    AND 'post' = ANY (o.permissions) LIMIT 1) AS other
                           FROM chat.member mb WHERE mb.user_id = $v ORDER BY mb.thread_id LIMIT 300) t
                  WHERE t.other IS NOT NULL LIMIT 100" >/dev/null
        done
    fi
    if want C1; then DEFS="c1_viewer=$P3_VIEWER" run C1 '' chat c1_chat.pgbench 1 -t "$LAT_TXNS"; fi
    if want C1mixed; then DEFS="c1_viewer=$P3MIXED_VIEWER" run C1mixed '' chat c1_chat.pgbench 1 -t "$LAT_TXNS"; fi
}
