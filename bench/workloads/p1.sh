#!/usr/bin/env bash
# bench/workloads/p1.sh: chat.new_reply in 2-person threads (sourced by run.sh)
#   P1  by one of the thread's two members, N clients, in the write rounds:
#       chat, the seed port (seed.new_reply), and chat.new_reply declared
#       without SECURITY DEFINER and its search_path (bench/sql/invoker.sql)
#   P8  the cost of events: P1 with chat's events setting off (no chat.event,
#       no NOTIFY: the reference), and P1 with events and the NOTIFY doorbell
#       on; P1 itself runs with events on and notify off (a relay polls
#       chat.feed), as every other workload
#   CPU the server CPU of a P1 reply (SPEC §9, issue 15: at most 3.5 x a bare
#       INSERT's), with synchronous_commit=off so that the disk does not hide
#       it: per round, the bare INSERT (LIMIT's script), the seed port and
#       chat, N clients; the CPU is the postmaster's children's (the backends
#       that ended, and the background processes), read from /proc before
#       and after each run, divided by its transactions.  Medians of the
#       rounds; the ratio is the medians'.
IDS+=" P1 P8 CPU"
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

# server_ticks: the CPU the server's processes have used, in clock ticks: the
# postmaster's ended children (cutime, cstime) and its live ones (utime, stime)
server_ticks() {
    local pm c t
    pm=$(head -1 "$DATA/postmaster.pid")
    t=$(awk '{ print $16 + $17 }' "/proc/$pm/stat")
    for c in $(cat "/proc/$pm/task/$pm/children"); do
        t=$((t + $(awk '{ print $14 + $15 }' "/proc/$c/stat" 2>/dev/null || echo 0)))
    done
    echo "$t"
}

# cpu_per_txn SCRIPT: microseconds of server CPU per transaction of one run
# of SCRIPT with synchronous_commit=off, N clients, SLICE seconds
cpu_per_txn() {
    local a b n out=$WORK/out/cpu.$1.txt
    a=$(server_ticks)
    PGOPTIONS="-c synchronous_commit=off" "$PGBENCH" -n -M "$PROTOCOL" -c "$CLIENTS" \
        -j $((CLIENTS < NPROC ? CLIENTS : NPROC)) "${PGB_VARS[@]}" -T "$SLICE" \
        -f "$BENCH/workloads/$1" bench >"$out" 2>&1
    sleep 0.5 # the postmaster reaps the ended backends
    b=$(server_ticks)
    n=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$out" | head -1)
    awk -v t=$((b - a)) -v hz="$(getconf CLK_TCK)" -v n="${n:-0}" 'BEGIN { printf "%.1f", n ? t * 1e6 / hz / n : 0 }'
}

p1_run() {
    want CPU || return 0
    local r impl us bare=() seed=() chat=()
    echo "-- CPU: server CPU per transaction (synchronous_commit=off, $CLIENTS clients, $ROUNDS interleaved rounds of ${SLICE} s)"
    for r in $(seq 1 "$ROUNDS"); do
        for impl in bare seed chat; do
            case $impl in
                bare) us=$(cpu_per_txn limit_bare.pgbench); bare+=("$us") ;;
                seed) us=$(cpu_per_txn p1_seed.pgbench); seed+=("$us") ;;
                chat) us=$(cpu_per_txn p1_chat.pgbench); chat+=("$us") ;;
            esac
            printf '   r%d %-5s %8s us per transaction\n' "$r" "$impl" "$us"
        done
    done
    local mb ms mc
    mb=$(printf '%s\n' "${bare[@]}" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
    ms=$(printf '%s\n' "${seed[@]}" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
    mc=$(printf '%s\n' "${chat[@]}" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
    printf '   medians: bare INSERT %s us, seed port %s us (%.2f x bare), chat new_reply %s us (%.2f x bare)\n' \
        "$mb" "$ms" "$(bc -l <<<"$ms / $mb")" "$mc" "$(bc -l <<<"$mc / $mb")"
    check CPU "chat: server CPU per P1 reply at most 3.5 x a bare INSERT's ($(printf '%.2f' "$(bc -l <<<"$mc / $mb")") x)" \
        [ "$(bc -l <<<"$mc <= 3.5 * $mb")" = 1 ]
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
