#!/usr/bin/env bash
# bench/workloads/h.sh: readers in a hot room (issue 15), in the P2 group of
# database bench_p2, in the write rounds (sourced by run.sh)
#   H   per round, each for a slice: the readers alone; the P2 writers alone
#       (N clients); writers and readers together.  The readers are one
#       pgbench client per call at a fixed rate (-R): mark_read of a random
#       member at BENCH_H_MARK_RATE/s (continuously), and unread_count, inbox
#       and messages of a random member at BENCH_H_READ_RATE/s each.  The
#       summary compares each call's p99 latency with writers to without, and
#       the writers' tps with readers to without, all from the same rounds.
IDS+=" H"
H_MARK_RATE=${BENCH_H_MARK_RATE:-100}
H_READ_RATE=${BENCH_H_READ_RATE:-25}
H_READERS="mark_read unread_count inbox messages"

# h_together ROUND SUFFIX WHO...: pgbench runs at once for a slice, recorded
# as H/<who>_<suffix>/chat; WHO is "writers" or a reader's call.  Each run
# records into a directory of its own (concurrent appends could interleave),
# merged into the run's records once all have finished.
h_together() {
    local round=$1 suffix=$2 who w i=0 dirs=()
    shift 2
    for who; do
        w=$WORK/h.$round.$suffix.$((i++))
        mkdir -p "$w/out" "$w/logs"
        dirs+=("$w")
        if [[ $who == writers ]]; then
            (WORK=$w DB=bench_p2 ROUND=$round run H "${who}_$suffix" chat p2_chat.pgbench "$CLIENTS" -T "$SLICE") \
                >"$w/report" &
        else
            (WORK=$w DB=bench_p2 ROUND=$round \
                RATE=$([[ $who == mark_read ]] && echo "$H_MARK_RATE" || echo "$H_READ_RATE") \
                run H "${who}_$suffix" chat "h_$who.pgbench" 1 -T "$SLICE") >"$w/report" &
        fi
    done
    wait
    for w in "${dirs[@]}"; do
        cat "$w/report"
        cat "$w/runs.tsv" >>"$WORK/runs.tsv"
        cat "$w/txns" >>"$WORK/txns" 2>/dev/null || true
    done
}

# h_slice ROUND: readers alone, writers alone, both
h_slice() {
    want H || return 0
    # shellcheck disable=SC2086  # the list of readers
    h_together "$1" idle $H_READERS
    h_together "$1" alone writers
    # shellcheck disable=SC2086
    h_together "$1" busy writers $H_READERS
}
