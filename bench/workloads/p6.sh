#!/usr/bin/env bash
# bench/workloads/p6.sh: the mixed load of SPEC §9 (sourced by run.sh)
#   P6  on the P1 threads, per transaction 70 % new_reply, 20 % inbox, 10 %
#       mark_read; the recount at the end of the run covers it
IDS+=" P6"
P6_CLIENTS=${BENCH_P6_CLIENTS:-8}
P6_DURATION=${BENCH_P6_DURATION:-20}

p6_run() {
    want P6 || return 0
    echo "-- P6: mixed load ($P6_CLIENTS clients, $P6_DURATION s)"
    run P6 '' chat p6_chat.pgbench "$P6_CLIENTS" -T "$P6_DURATION"
}
