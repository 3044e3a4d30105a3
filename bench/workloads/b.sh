#!/usr/bin/env bash
# bench/workloads/b.sh: many calls in one transaction (sourced by run.sh)
#   B1  one transaction of N new_message calls (a two-person thread each, as
#       a bulk import or a test fixture makes them), for N = 1,000, 4,000 and
#       16,000, beside the same number of bare INSERTs made one call at a
#       time in one transaction.  Linear means the cost per call does not grow
#       with N: the check is that it grows by at most half from 1,000 to
#       16,000 calls (0.7 took 4.6 times as long per call at 16,000).
#       In database bench_b of its own, so the other families see none of it.
IDS+=" B1"
B1_SIZES=${BENCH_B1_SIZES:-1000 4000 16000}

b_load() {
    want B1 || return 0
    psql_q -d postgres -c "CREATE DATABASE bench_b"
    psql_q -d bench_b -c "CREATE EXTENSION chat" -c "SELECT chat.set_setting('notify', 'false')" \
        -f "$BENCH/sql/bare.sql" -f "$BENCH/sql/load_b.sql"
}

b_run() {
    want B1 || return 0
    local n impl us first=() last=()
    echo "-- B1: N calls in one transaction, 1 client (microseconds per call)"
    for impl in bare chat; do
        for n in $B1_SIZES; do
            DB=bench_b DEFS="n=$n" run B1 "$n" "$impl" "b1_$impl.pgbench" 1 -t 1 >/dev/null
            us=$(cut -d' ' -f3 "$WORK/logs/$LAST_RUN".* | head -1)
            printf '   %-5s %6d calls: %8.1f us per call\n' "$impl" "$n" "$(bc -l <<<"$us / $n")"
            [[ ${#first[@]} -gt 0 && ${first[0]} == "$impl" ]] || first=("$impl" "$n" "$us")
            last=("$impl" "$n" "$us")
        done
        local growth
        growth=$(bc -l <<<"(${last[2]} / ${last[1]}) / (${first[2]} / ${first[1]})")
        printf '   %-5s cost per call at %d calls / at %d calls: %.2f\n' "$impl" "${last[1]}" "${first[1]}" "$growth"
        if [[ $impl == chat ]]; then
            check B1 "chat: cost per call grows by at most half from ${first[1]} to ${last[1]} calls in one transaction ($(printf '%.2f' "$growth"))" \
                [ "$(bc -l <<<"$growth <= 1.5")" = 1 ]
            printf '   chat / bare per call at %d calls: %.1f\n' "${last[1]}" \
                "$(bc -l <<<"(${last[2]} / ${last[1]}) / ($BARE_LAST / ${last[1]})")"
        else
            BARE_LAST=${last[2]}
        fi
        first=()
    done
    n=$(DB=bench_b sql "SELECT count(*) FROM chat.verify_unread()")
    check B1 "bench_b: chat.verify_unread(): $n rows" [ "$n" = 0 ]
}
