#!/usr/bin/env bash
# bench/workloads/p1.sh: chat.new_reply in 2-person threads (sourced by run.sh)
#   P1  by one of the thread's two members, N clients, in the write rounds:
#       chat, the seed port (seed.new_reply), and chat.new_reply declared
#       without SECURITY DEFINER and its search_path (bench/sql/invoker.sql)
#   P8  the cost of events: P1 with chat's events setting off (no chat.event,
#       no NOTIFY: the reference), and P1 with events and the NOTIFY doorbell
#       on; P1 itself runs with events on and notify off (a relay polls
#       chat.feed), as every other workload
IDS+=" P1 P8"
P1_THREADS=${BENCH_P1_THREADS:-2000}

# notify true|false: chat's notify setting in both databases
notify() {
    DB=bench sql "SELECT chat.set_setting('notify', '$1')" >/dev/null
    DB=bench_p2 sql "SELECT chat.set_setting('notify', '$1')" >/dev/null
}

# events true|false: chat's events setting (chat.event kept) in both databases
events() {
    DB=bench sql "SELECT chat.set_setting('events', '$1')" >/dev/null
    DB=bench_p2 sql "SELECT chat.set_setting('events', '$1')" >/dev/null
}

p1_load() {
    local t0=$EPOCHREALTIME
    psql_q -d bench -v p1_threads="$P1_THREADS" -v first_thread=1 -v last_thread="$P1_THREADS" \
        -f "$BENCH/sql/load_p1.sql" -f "$BENCH/sql/seed_copy.sql" -f "$BENCH/sql/invoker.sql" >/dev/null
    notify false
    pgb_var "p1_threads=$P1_THREADS"
    echo "   P1: $P1_THREADS 2-person threads (rows), their seed copy, bench.new_reply_invoker: $(since "$t0") s"
}

# p1_slice ROUND: the P1 and P8 runs of one round of the write workloads
p1_slice() {
    if want P1; then
        ROUND=$1 run P1 '' seed p1_seed.pgbench "$CLIENTS" -T "$SLICE"
        # chat and the invoker twin take turns going first: every slice adds
        # row versions to the same threads, and later slices are slower
        if (($1 % 2 == 0)); then ROUND=$1 run P1 '' invoker p1_invoker.pgbench "$CLIENTS" -T "$SLICE"; fi
        ROUND=$1 run P1 '' chat p1_chat.pgbench "$CLIENTS" -T "$SLICE"
        if want P8; then also_record P8 polled chat '\N'; fi
        if (($1 % 2 == 1)); then ROUND=$1 run P1 '' invoker p1_invoker.pgbench "$CLIENTS" -T "$SLICE"; fi
    fi
    if want P8; then
        events false
        ROUND=$1 run P8 events_off chat p1_chat.pgbench "$CLIENTS" -T "$SLICE"
        events true
        notify true
        ROUND=$1 run P8 '' chat p1_chat.pgbench "$CLIENTS" -T "$SLICE"
        notify false
    fi
}
