#!/usr/bin/env bash
# bench/workloads/q.sh: search and the directory of public rooms, 1 client, in
# database bench_q of their own (sourced by run.sh; loaded only when a Q
# workload is selected: minutes of loading, and nothing of database bench)
#   Q1  chat.search of a user in Q_THREADS 2-person threads, among Q_MESSAGES
#       messages, for a selective word ("zanzibar": 1 message in 50,000, 1 in
#       2,000 of the user's), ranked and newest first
#   Q2  the same for a word in 1 message in 1,000 ("quokka") and for the most
#       common word ("baba", in about half of the messages)
#   Q3  chat.directory of Q_ROOMS public rooms (and a tenth as many private
#       ones): the first page of all, of a rare word, of a common word
IDS+=" Q1 Q2 Q3"
Q_MESSAGES=${BENCH_Q_MESSAGES:-1000000}
Q_THREADS=${BENCH_Q_THREADS:-10000}
Q_PER_THREAD=${BENCH_Q_PER_THREAD:-10}
Q_ROOMS=${BENCH_Q_ROOMS:-100000}
Q_VIEWER=500000        # the searching user; thread k (1..Q_THREADS) is with user Q_VIEWER + k

q_load() {
    want Q1 Q2 Q3 || return 0
    local t0=$EPOCHREALTIME
    psql_q -d postgres -c "CREATE DATABASE bench_q"
    psql_q -d bench_q -c "CREATE EXTENSION chat" -c "SELECT chat.set_setting('notify', 'false')" >/dev/null
    psql_q -d bench_q -v q_viewer="$Q_VIEWER" -v q_threads="$Q_THREADS" -v q_per_thread="$Q_PER_THREAD" \
        -v q_messages="$Q_MESSAGES" -v q_rooms="$Q_ROOMS" -f "$BENCH/sql/load_q.sql" >/dev/null
    psql_q -d bench_q -c "VACUUM ANALYZE"
    echo "   Q: $(DB=bench_q sql "SELECT format('%s messages (%s of user %s, in %s threads), %s public rooms and %s private',
                                      (SELECT count(*) FROM chat.message),
                                      (SELECT count(*) FROM chat.message WHERE thread_id <= $Q_THREADS), $Q_VIEWER, $Q_THREADS,
                                      count(*) FILTER (WHERE is_public AND description IS NOT NULL),
                                      count(*) FILTER (WHERE NOT is_public AND description IS NOT NULL))
                              FROM chat.thread"), in database bench_q: $(since "$t0") s"
    pgb_var "q_viewer=$Q_VIEWER"
}

# the first page of each workload is the rules' (bench/sql/check_q.sql)
q_check() {
    want Q1 Q2 Q3 || return 0
    local got wrong
    got=$(DB=bench_q sql "$(cat "$BENCH/sql/check_q.sql")" | paste -sd ';')
    wrong=$(grep -c WRONG <<<"$got" || true)
    check Q "first pages of search and directory equal the rules': $got" [ "$wrong" = 0 ]
    echo "   Q: matches in the database: $(DB=bench_q sql "
        SELECT string_agg(format('%s %s', w, (SELECT count(*) FROM chat.message m WHERE m.search_vector @@ w::tsquery)), ', ')
          FROM unnest('{zanzibar,quokka,baba}'::text[]) w")"
}

q_run() {
    local s
    for s in 1 2; do
        local item=$([[ $s == 1 ]] && echo rank || echo newest)
        if want Q1; then DB=bench_q DEFS="q_sort=$s q_word=1" run Q1 "$item" chat q_search.pgbench 1 -t "$LAT_TXNS"; fi
        if want Q2; then
            [[ $s == 2 ]] || DB=bench_q DEFS="q_sort=$s q_word=2" run Q2 "medium_$item" chat q_search.pgbench 1 -t "$LAT_TXNS"
            DB=bench_q DEFS="q_sort=$s q_word=3" run Q2 "common_$item" chat q_search.pgbench 1 -t "$((LAT_TXNS / 10))"
        fi
    done
    if want Q3; then
        for s in 1 2 3; do
            local item=$(case $s in 1) echo all ;; 2) echo rare ;; 3) echo common ;; esac)
            DB=bench_q DEFS="q_query=$s" run Q3 "$item" chat q_directory.pgbench 1 -t "$LAT_TXNS"
        done
    fi
}
