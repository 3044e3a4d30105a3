#!/usr/bin/env bash
# bench/workloads/p5.sh: mark_read of a long unread backlog (sourced by run.sh)
#   P5  chat.mark_read of a 2-person thread where the reader has 50,000 unread
#       messages, 1 client; odd transactions put the pointer back, even ones
#       are measured (bench/workloads/p5_chat.pgbench)
IDS+=" P5"
P5_MESSAGES=${BENCH_P5_MESSAGES:-50000}
P5_RESET=${BENCH_P5_RESET:-update} # or api: reset by chat.mark_unread
P5_THREAD=3000000 P5_SENDER=3000001 P5_READER=3000002
[[ $P5_RESET == update || $P5_RESET == api ]] || { echo "run.sh: BENCH_P5_RESET must be update or api" >&2; exit 1; }

p5_load() {
    local t0=$EPOCHREALTIME
    psql_q -d bench -v p5_thread="$P5_THREAD" -v p5_sender="$P5_SENDER" -v p5_reader="$P5_READER" \
        -v p5_messages="$P5_MESSAGES" -f "$BENCH/sql/load_p5.sql" >/dev/null
    P5_FIRST=$(sql "SELECT chat.first_message($P5_THREAD)")
    pgb_var "p5_thread=$P5_THREAD" "p5_reader=$P5_READER" "p5_messages=$P5_MESSAGES" "p5_first=$P5_FIRST"
    echo "   P5: one thread of $P5_MESSAGES messages, in batches of 50: $(since "$t0") s"
}

p5_check() {
    local unread state eq
    unread=$(sql "SELECT t.message_count - m.read_count FROM chat.thread t JOIN chat.member m ON m.thread_id = t.id
                   WHERE t.id = $P5_THREAD AND m.user_id = $P5_READER")
    check P5 "P5 reader's unread messages: $unread" [ "$unread" = "$P5_MESSAGES" ]
    [[ $P5_RESET == update ]] || return 0
    # the UPDATE of p5_chat.pgbench must leave what chat.mark_unread leaves,
    # timestamps (joined_at, read_at...: when, not where the pointers are) aside
    state="(SELECT jsonb_object_agg(e.key, e.value) FROM chat.member m, jsonb_each(to_jsonb(m)) e
             WHERE m.thread_id = $P5_THREAD AND m.user_id = $P5_READER AND e.key NOT LIKE '%\\_at')"
    eq=$(psql_q -d bench -A -t <<EOF
SELECT chat.mark_read(thread_id => $P5_THREAD, reader => $P5_READER) \gset
SELECT chat.mark_unread(thread_id => $P5_THREAD, reader => $P5_READER, from_message => $P5_FIRST) \gset
CREATE TEMP TABLE api AS SELECT $state AS s;
SELECT chat.mark_read(thread_id => $P5_THREAD, reader => $P5_READER) \gset
UPDATE chat.member SET read_id = 0, read_count = 0, hidden_id = NULL
 WHERE thread_id = $P5_THREAD AND user_id = $P5_READER;
SELECT (SELECT s FROM api) = $state;
EOF
)
    echo "   P5 reset by UPDATE leaves the state chat.mark_unread leaves: $eq"
    if [[ $eq != t ]]; then
        echo "   -> BENCH_P5_RESET=api"
        P5_RESET=api
    fi
}

p5_run() {
    want P5 || return 0
    echo "-- P5: mark_read (1 client; odd transactions reset the pointer ($P5_RESET), even ones are measured)"
    if [[ $P5_RESET == update ]]; then
        PARITY=0 run P5 '' chat p5_chat.pgbench 1 -t $((2 * LAT_TXNS))
    else
        PARITY=0 run P5 '' chat p5_chat_api.pgbench 1 -t $((2 * LAT_TXNS))
        also_record P5 '' reset 1 # the resets' median
    fi
}
