#!/usr/bin/env bash
# bench/workloads/r.sh: receipts and reactions in the P2 group of database
# bench_p2, after its write workloads (sourced by run.sh)
#   R1  mark_read by a random member right after the owner's reply, 1 client
#       (median of mark_read alone) and N clients (mark_read/s)
#   R2  receipts of one message a third of the group has seen and a third has
#       received, and the group's first page of messages (seen_count), 1 client
#   R3  toggle_reaction on a few messages by a few members, N clients; 0
#       failures and consistent reaction rows afterwards
IDS+=" R1 R2 R3"
R_TXNS=${BENCH_R_TXNS:-200}
R_DURATION=${BENCH_R_DURATION:-5}
R3_MESSAGES=${BENCH_R3_MESSAGES:-5}
R3_USERS=${BENCH_R3_USERS:-20}

r_run() {
    if want R1; then
        echo "-- R1: mark_read in the P2 group (odd transactions: the owner posts a reply; even ones are measured)"
        # each client marks its own members read (client_id modulo r1_clients)
        DB=bench_p2 PARITY=0 DEFS=r1_clients=1 run R1 '' chat r1_chat.pgbench 1 -t $((2 * R_TXNS))
        DB=bench_p2 PARITY=0 DEFS=r1_clients=$CLIENTS run R1 '' chat r1_chat.pgbench "$CLIENTS" -T "$R_DURATION"
    fi
    if want R2; then
        r2_setup
        DB=bench_p2 run R2 receipts chat r2_receipts.pgbench 1 -t "$R_TXNS"
        DB=bench_p2 run R2 messages chat r2_messages.pgbench 1 -t "$R_TXNS"
    fi
    if want R3; then r3_run; fi
}

# a new message of the group: members 2 .. 1+third read up to it, the next
# third receive it, the rest (and the owner, its sender) stay before it
r2_setup() {
    local t0=$EPOCHREALTIME third message got
    echo "-- R2: receipts of a message a third of the group has seen and a third has received"
    third=$(((P2_MEMBERS - 1) / 3))
    message=$(DB=bench_p2 sql "SELECT chat.new_reply(thread_id => $P2_THREAD, sender => $P2_BASE + 1,
                                                     content => 'R2: the message whose receipts are read')")
    DB=bench_p2 sql "SELECT count(*) FROM generate_series(2, 1 + $third) i,
                            chat.mark_read(thread_id => $P2_THREAD, reader => $P2_BASE + i, up_to => $message)" >/dev/null
    DB=bench_p2 sql "SELECT count(*) FROM generate_series(2 + $third, 1 + 2 * $third) i,
                            chat.mark_delivered(reader => $P2_BASE + i, thread_id => $P2_THREAD, up_to => $message)" >/dev/null
    psql_q -d bench_p2 -c "VACUUM ANALYZE chat.member, chat.thread, chat.message"
    got=$(DB=bench_p2 sql "SELECT format('%s seen, %s delivered', count(*) FILTER (WHERE status = 'seen'),
                                         count(*) FILTER (WHERE status = 'delivered'))
                             FROM chat.receipts(message_id => $message, viewer => $P2_BASE + 1)")
    check R2 "message $message: receipts $got (want $third each); set up in $(since "$t0") s" \
        [ "$got" = "$third seen, $third delivered" ]
    echo "   first page of the group for the owner: $(DB=bench_p2 sql "
        SELECT format('%s messages, seen_count %s..%s', count(*), min(seen_count), max(seen_count))
          FROM chat.messages(thread_id => $P2_THREAD, viewer => $P2_BASE + 1)")"
    pgb_var "r2_message=$message"
}

# R3, then per message: rows of 👍 = distinct users = the count chat.reactions reports
r3_run() {
    local messages result
    echo "-- R3: toggle_reaction, $CLIENTS clients, $R3_USERS users x $R3_MESSAGES messages of the P2 group"
    messages=$(DB=bench_p2 sql "SELECT array_agg(chat.new_reply(thread_id => $P2_THREAD, sender => $P2_BASE + 1,
                                                                content => 'R3: react to this ' || i) ORDER BY i)
                                  FROM generate_series(1, $R3_MESSAGES) i")
    DB=bench_p2 DEFS="r3_messages=$messages r3_count=$R3_MESSAGES r3_users=$R3_USERS" \
        run R3 '' chat r3_chat.pgbench "$CLIENTS" -T "$R_DURATION"
    result=$(DB=bench_p2 sql "
        SELECT format('%s of %s messages consistent, %s reactions present',
                      count(*) FILTER (WHERE rows = users AND rows = coalesce(api, 0)), count(*), sum(rows))
          FROM (SELECT m,
                       (SELECT count(*) FROM chat.reaction r WHERE r.message_id = m AND r.reaction = '👍') AS rows,
                       (SELECT count(DISTINCT r.user_id) FROM chat.reaction r
                         WHERE r.message_id = m AND r.reaction = '👍') AS users,
                       (SELECT x.count FROM chat.reactions(message_id => m, viewer => $P2_BASE + 1) x
                         WHERE x.reaction = '👍') AS api
                  FROM unnest('$messages'::bigint[]) m) c")
    check R3 "R3 reactions afterwards: $result" [ "${result%% messages*}" = "$R3_MESSAGES of $R3_MESSAGES" ]
}
