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
# of SCRIPT with synchronous_commit=off, N clients, SLICE seconds.
# Environment: DB [bench], DEFS ("name=value ..." more variables)
cpu_per_txn() {
    local a b n d out=$WORK/out/cpu.$1.txt args=()
    for d in ${DEFS:-}; do args+=(-D "$d"); done
    a=$(server_ticks)
    PGOPTIONS="-c synchronous_commit=off" "$PGBENCH" -n -M "$PROTOCOL" -c "$CLIENTS" \
        -j $((CLIENTS < NPROC ? CLIENTS : NPROC)) "${PGB_VARS[@]}" "${args[@]}" -T "$SLICE" \
        -f "$BENCH/workloads/$1" "${DB:-bench}" >"$out" 2>&1
    sleep 0.5 # the postmaster reaps the ended backends
    b=$(server_ticks)
    n=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$out" | head -1)
    awk -v t=$((b - a)) -v hz="$(getconf CLK_TCK)" -v n="${n:-0}" 'BEGIN { printf "%.1f", n ? t * 1e6 / hz / n : 0 }'
}

# cpu_rounds ID BARE_SCRIPT CHAT_DB CHAT_DEFS CHAT_SCRIPT [SEED_SCRIPT]: the
# interleaved rounds of a CPU comparison, their medians and the goal's check
cpu_rounds() {
    local id=$1 r impl us bare=() seed=() chat=() mb ms mc
    echo "-- $id: server CPU per transaction (synchronous_commit=off, $CLIENTS clients, $ROUNDS interleaved rounds of ${SLICE} s)"
    for r in $(seq 1 "$ROUNDS"); do
        for impl in bare seed chat; do
            case $impl in
                bare) us=$(cpu_per_txn "$2"); bare+=("$us") ;;
                seed) [[ -n ${6:-} ]] || continue; us=$(cpu_per_txn "$6"); seed+=("$us") ;;
                chat) us=$(DB=$3 DEFS=$4 cpu_per_txn "$5"); chat+=("$us") ;;
            esac
            printf '   r%d %-5s %8s us per transaction\n' "$r" "$impl" "$us"
        done
    done
    median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
    mb=$(median "${bare[@]}")
    mc=$(median "${chat[@]}")
    if [[ -n ${6:-} ]]; then
        ms=$(median "${seed[@]}")
        printf '   medians: bare INSERT %s us, seed port %s us (%.2f x bare), chat new_reply %s us (%.2f x bare)\n' \
            "$mb" "$ms" "$(bc -l <<<"$ms / $mb")" "$mc" "$(bc -l <<<"$mc / $mb")"
    else
        printf '   medians: bare INSERT %s us, chat new_reply %s us (%.2f x bare)\n' "$mb" "$mc" "$(bc -l <<<"$mc / $mb")"
    fi
    check "$id" "chat: server CPU per reply at most 3.5 x a bare INSERT's ($(printf '%.2f' "$(bc -l <<<"$mc / $mb")") x)" \
        [ "$(bc -l <<<"$mc <= 3.5 * $mb")" = 1 ]
}

p1_run() {
    want CPU || return 0
    cpu_rounds CPU limit_bare.pgbench bench "" p1_chat.pgbench p1_seed.pgbench
}
