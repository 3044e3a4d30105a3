#!/usr/bin/env bash
# bench/lib/pgbench.sh: pgbench runs and their records (sourced by
# bench/run.sh).  Each run appends one row to $WORK/runs.tsv and its
# per-transaction latencies to $WORK/txns; bench/sql/summary.sql turns them
# into tps, medians, ratios and verdicts.

NPROC=$(nproc 2>/dev/null || echo 2)
PGB_VARS=(-D phase=0)

# pgb_var NAME=VALUE...: pgbench variables (-D) of every later run
pgb_var() {
    local d
    for d; do PGB_VARS+=(-D "$d"); done
}

# run ID ITEM IMPL SCRIPT CLIENTS -T SECONDS|-t TRANSACTIONS
#   one pgbench run of bench/workloads/SCRIPT, recorded as workload ID, ITEM
#   (the room or variant, may be empty) and IMPL (chat, seed, bare, user...).
#   Environment: DB [bench]; AS_ROLE [postgres]; QMODE [$PROTOCOL]; DEFS
#   ("name=value ..." more variables); PARITY (0 or 1: only the even or odd
#   transactions are measured, the others set up; tps and counts are halved);
#   ROUND (a slice of interleaved rounds: a one-line report); RATE (pgbench
#   -R: transactions per second, a schedule instead of as fast as possible)
run() {
    local id=$1 item=$2 impl=$3 script=$4 clients=$5 mode=$6 amount=$7 rc=0 d
    local name=$id.${item:-_}.$impl.$clients.${ROUND:-0}
    LAST_RUN=$name
    local out=$WORK/out/$name.txt log=$WORK/logs/$name
    local args=(-n -M "${QMODE:-$PROTOCOL}" --max-tries=1 --failures-detailed -r -l --log-prefix="$log"
                -U "${AS_ROLE:-postgres}" -c "$clients" -j $((clients < NPROC ? clients : NPROC))
                "${PGB_VARS[@]}" "$mode" "$amount" -f "$BENCH/workloads/$script")
    for d in ${DEFS:-}; do args+=(-D "$d"); done
    [[ -z ${RATE:-} ]] || args+=(-R "$RATE")
    printf -- '-- %-24s %s, %s client(s), %s %s%s ... ' "$id ${item:+$item }$impl${ROUND:+ r$ROUND}" \
        "$script" "$clients" "$mode" "$amount" "${AS_ROLE:+, as $AS_ROLE}${QMODE:+, -M $QMODE}${RATE:+, -R $RATE}"
    # in the background, so that a signal reaches the trap (and pgbench) at once
    "$PGBENCH" "${args[@]}" "${DB:-bench}" >"$out" 2>&1 &
    PGBENCH_PID=$!
    wait "$PGBENCH_PID" || rc=$?
    PGBENCH_PID=

    local tps n failed dead aborted
    tps=$(sed -n 's/^tps = \([0-9.]*\) .*/\1/p' "$out" | head -1)
    n=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$out" | head -1)
    failed=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$out" | head -1)
    dead=$(sed -n 's/^number of deadlock failures: \([0-9]*\).*/\1/p' "$out" | head -1)
    aborted=$(grep -c 'aborted' "$out" || true)
    [[ $rc -eq 0 || $aborted -gt 0 ]] || aborted=1
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$id" "$item" "$impl" "$clients" \
        "${tps:-\\N}" "${n:-0}" "${failed:-\\N}" "${dead:-\\N}" "$aborted" "${PARITY:-\\N}" >>"$WORK/runs.tsv"
    # with RATE, pgbench counts a transaction's latency from its scheduled
    # start: the time waited behind the previous one (the lag, column 7) is
    # taken off, so that the latency is the call's own
    if [[ -n ${RATE:-} ]]; then
        awk -v n="$name" '{ print n, $2, ($3 ~ /^[0-9]+$/ && $7 ~ /^[0-9]+$/) ? $3 - $7 : $3 }' "$log".* \
            2>/dev/null >>"$WORK/txns" || true
    else
        cut -d' ' -f2,3 "$log".* 2>/dev/null | sed "s/^/$name /" >>"$WORK/txns" || true
    fi

    printf 'tps %s, %s ok, %s failed (%s deadlocks), latency average %s ms%s\n' "${tps:-?}" "${n:-0}" \
        "${failed:-?}" "${dead:-?}" "$(sed -n 's/^latency average = \([0-9.]*\) ms.*/\1/p' "$out")" \
        "$([[ $aborted -eq 0 ]] || echo ", CLIENT ABORTED (rc $rc)")"
    [[ $aborted -eq 0 ]] || grep -E 'error|ERROR' "$out" | head -5 | sed 's/^/     /' || true
    [[ -z ${ROUND:-} ]] || return 0
    if [[ $clients -eq 1 ]]; then
        first6 "$log"
    fi
    # per-statement latencies (ms), for finding what dominates
    sed -n '/^statement latencies/,$p' "$out" | tail -n +2 | grep -vE '^\s+[0-9.]+\s+[0-9]+\s+[\]' |
        cut -c 1-110 | sed 's/^ */     /' || true
}

# first6 LOG: the first six measured transactions of a 1-client run (ms),
# where the session's plans are not cached yet
first6() {
    local no us k=0
    printf '     first 6 measured transactions (ms):'
    while read -r no us; do
        [[ $us =~ ^[0-9]+$ && ( -z ${PARITY:-} || $((no % 2)) == "$PARITY" ) ]] || continue
        printf ' %.2f' "${us}e-3"
        ((++k < 6)) || break
    done < <(cut -d' ' -f2,3 "$1".*)
    echo
}

# also_record ID ITEM IMPL PARITY: count the transactions of the last run
# again under another workload row (e.g. the odd transactions of P5's run)
also_record() {
    local row
    row=$(grep "^$LAST_RUN"$'\t' "$WORK/runs.tsv" | tail -1)
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$LAST_RUN" "$1" "$2" "$3" "$(cut -f5-10 <<<"$row")" "$4" >>"$WORK/runs.tsv"
}

# summarize VAR=VALUE...: load the records into database bench_result and
# print the summary (bench/sql/summary.sql, with the given psql variables)
summarize() {
    local v args=()
    for v; do args+=(-v "$v"); done
    psql_q -d postgres -c "CREATE DATABASE bench_result"
    : >>"$WORK/checks.tsv"
    : >>"$WORK/runs.tsv" # none when only CPU or B1 ran
    : >>"$WORK/txns"
    psql_q -d bench_result "${args[@]}" -v work="$WORK" -f "$BENCH/sql/summary.sql"
}
