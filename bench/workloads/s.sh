#!/usr/bin/env bash
# bench/workloads/s.sh: the security layer, the P3 user as an end user (a
# login role mapped with chat.map_role) against the superuser acting for it
# (sourced by run.sh); the S rooms are loaded after P3 and P4 ran
#   S1  first inbox page, 1 client (and the body: bench/sql/body.sql)
#   S2  first page of messages of a 5,000-message thread and of a
#       10,000-member group, 1 client (and the body)
#   S3  direct reads under row-level security (chat.message, chat.member, a
#       count of chat.thread), 1 client
#   S4  new_reply in the P3 user's 2-person threads, N clients
IDS+=" S1 S2 S3 S4"
S_DURATION=${BENCH_S_DURATION:-6}
S_ROUNDS=${BENCH_S_ROUNDS:-6}
S_MESSAGES=${BENCH_S_MESSAGES:-5000}
S_MEMBERS=${BENCH_S_MEMBERS:-10000}
S_GROUP_MESSAGES=${BENCH_S_GROUP_MESSAGES:-1000}
S_ROLE=${BENCH_S_ROLE:-chat_bench_user}
S_SLICE=$(((S_DURATION + S_ROUNDS - 1) / S_ROUNDS))
S_BASE=6000000 # users of the S rooms

s_check() {
    psql_q -d bench -v s_role="$S_ROLE" -v s_viewer="$P3_VIEWER" -f "$BENCH/sql/end_user.sql" \
        -f "$BENCH/sql/body.sql" >/dev/null
    echo "   role $S_ROLE: chat user $(sql_user "SELECT chat.current_user_id()")" \
        "as end user (server role: $(sql_user "SELECT chat.is_server_role()"))"
}

sql_user() { psql_q -A -t -U "$S_ROLE" -d bench -c "$1"; }

# s_same WHAT QUERY_AS_USER QUERY_AS_SERVER: the end user reads what the server reads
s_same() {
    local u v
    u=$(sql_user "$2") v=$(sql "$3")
    check S "$(printf '%-44s end user %s, server %s' "$1:" "${u:0:12}" "${v:0:12}")" [ "$u" = "$v" ]
}

# s_plan QUERY: the scans and subplans of EXPLAIN ANALYZE as the end user
s_plan() {
    echo "   plan as end user: $1"
    sql_user "EXPLAIN (ANALYZE, COSTS OFF, SUMMARY OFF) $1" |
        grep -E 'Scan|SubPlan|InitPlan|ProjectSet|Limit|Aggregate|Index Cond|Filter:' |
        sed -E 's/ \(actual time=[0-9.]+\.\.[0-9.]+ / (/; s/^/     /' | cut -c 1-150 || true
}

# s_rounds ID ITEM USER_SCRIPT SERVER_SCRIPT [BODY_SCRIPT]: end user, server
# (and body) take turns in S_ROUNDS slices; DEFS: the room
s_rounds() {
    local r
    for r in $(seq 1 "$S_ROUNDS"); do
        ROUND=$r AS_ROLE=$S_ROLE run "$1" "$2" user "$3" 1 -T "$S_SLICE"
        ROUND=$r run "$1" "$2" server "$4" 1 -T "$S_SLICE"
        if [[ -n ${5:-} ]]; then ROUND=$r run "$1" "$2" body "$5" 1 -T "$S_SLICE"; fi
    done
}

s_load_rooms() {
    local t0=$EPOCHREALTIME shape hash q t got
    psql_q -d bench -v s_viewer="$P3_VIEWER" -v s_base="$S_BASE" -v s_messages="$S_MESSAGES" \
        -v s_members="$S_MEMBERS" -v s_group_messages="$S_GROUP_MESSAGES" -f "$BENCH/sql/load_s.sql" >/dev/null
    psql_q -d bench -c "VACUUM ANALYZE chat.member, chat.thread, chat.message"
    S_THREAD=$(sql "SELECT thread_id FROM bench.room WHERE name = 's_thread'")
    S_GROUP=$(sql "SELECT thread_id FROM bench.room WHERE name = 's_group'")
    S_SMALL=$((P3_VIEWER + 1))
    shape="(SELECT format('%s, %s members%s, %s messages', t.kind, t.member_count,
                          CASE WHEN t.large THEN ' (large)' END, t.message_count)
              FROM chat.thread t WHERE t.id ="
    echo "   S thread $S_THREAD: $(sql "SELECT $shape $S_THREAD)"); S group $S_GROUP: $(sql "SELECT $shape $S_GROUP)");" \
        "P3 thread $S_SMALL: $(sql "SELECT $shape $S_SMALL)"); loaded in $(since "$t0") s"
    # the end user and the server read the same rows (S3 thread: the count
    # written out by hand), the end user nothing of another user's thread
    hash="SELECT md5(string_agg(r::text, '|')) FROM"
    s_same "S1 inbox page (md5)" "$hash chat.inbox() r" "$hash chat.inbox(viewer => $P3_VIEWER) r"
    for t in "$S_THREAD" "$S_GROUP"; do
        s_same "S2 messages page of $t (md5)" "$hash chat.messages(thread_id => $t) r" \
            "$hash chat.messages(thread_id => $t, viewer => $P3_VIEWER) r"
    done
    for t in "$S_THREAD" "$S_SMALL"; do
        q="$hash (SELECT * FROM chat.message WHERE thread_id = $t ORDER BY id DESC LIMIT 50) r"
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
    check S "rows of P1 thread 1 (not the P3 user's) the end user reads: $got" [ "$got" = 0 ]
    s_plan "SELECT * FROM chat.message WHERE thread_id = $S_SMALL ORDER BY id DESC LIMIT 50"
    s_plan "SELECT * FROM chat.message WHERE thread_id = $S_THREAD ORDER BY id DESC LIMIT 50"
    s_plan "SELECT * FROM chat.member WHERE thread_id = $S_SMALL"
    s_plan "SELECT * FROM chat.member WHERE thread_id = $S_GROUP"
    s_plan "SELECT count(*) FROM chat.thread"
}

s_run() {
    local r
    want S1 S2 S3 S4 || return 0
    echo "-- S1-S4: the P3 user as end user (role $S_ROLE) and as the superuser acting for it"
    s_load_rooms
    if want S1; then
        echo "-- S1: first inbox page, 1 client"
        s_rounds S1 '' s1_inbox_user.pgbench p3_chat.pgbench s1_inbox_body.pgbench
    fi
    if want S2; then
        echo "-- S2: first page of messages, 1 client (S thread $S_THREAD, S group $S_GROUP)"
        DEFS="s_room=$S_THREAD" s_rounds S2 thread s2_messages_user.pgbench s2_messages_server.pgbench s2_messages_body.pgbench
        DEFS="s_room=$S_GROUP" s_rounds S2 group s2_messages_user.pgbench s2_messages_server.pgbench s2_messages_body.pgbench
    fi
    if want S3; then
        echo "-- S3: direct reads, end user (row-level security) and superuser, 1 client"
        DEFS="s_room=$S_SMALL" s_rounds S3 msg_small s3_message.pgbench s3_message.pgbench
        DEFS="s_room=$S_THREAD" s_rounds S3 msg_thread s3_message.pgbench s3_message.pgbench
        # the same without prepared statements: planned for the literal
        # thread id, with its own row estimate (see bench/README.md)
        QMODE=simple DEFS="s_room=$S_THREAD" s_rounds S3 msg_simple s3_message.pgbench s3_message.pgbench
        DEFS="s_room=$S_SMALL" s_rounds S3 mem_small s3_member.pgbench s3_member.pgbench
        DEFS="s_room=$S_GROUP" s_rounds S3 mem_group s3_member.pgbench s3_member.pgbench
        s_rounds S3 threads s3_thread_user.pgbench s3_thread_server.pgbench
    fi
    if want S4; then
        echo "-- S4: new_reply by the P3 user in its 2-person threads, $CLIENTS clients, $ROUNDS rounds of ${SLICE} s"
        # end user and server take turns going first (as P1 and its invoker twin)
        for r in $(seq 1 "$ROUNDS"); do
            if ((r % 2 == 0)); then ROUND=$r run S4 '' server s4_reply_server.pgbench "$CLIENTS" -T "$SLICE"; fi
            ROUND=$r AS_ROLE=$S_ROLE run S4 '' user s4_reply_user.pgbench "$CLIENTS" -T "$SLICE"
            if ((r % 2 == 1)); then ROUND=$r run S4 '' server s4_reply_server.pgbench "$CLIENTS" -T "$SLICE"; fi
        done
    fi
}
