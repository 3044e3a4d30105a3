#!/usr/bin/env bash
# bench/workloads/p2.sh: chat.new_reply in one 10,000-member room, in
# database bench_p2 (sourced by run.sh)
#   P2      a group (create_group, add_members), by a random member, N clients
#           in the write rounds; the seed port (seed.new_reply) after them
#   P2chan  a channel (create_channel, add_members, set_role), by its owner or
#           one of its admins (only they may post), N clients in the write rounds
IDS+=" P2 P2chan"
P2_MEMBERS=${BENCH_P2_MEMBERS:-10000}
P2CHAN_ADMINS=${BENCH_P2CHAN_ADMINS:-4}
SEED_P2_DURATION=${BENCH_SEED_P2_DURATION:-10}
P2_BASE=1000000     # users P2_BASE+1 (owner) .. P2_BASE+P2_MEMBERS
P2CHAN_BASE=5000000 # users P2CHAN_BASE+1 (owner), then the admins, then the members

p2_load() {
    local t0=$EPOCHREALTIME
    psql_q -d bench_p2 -v p2_base="$P2_BASE" -v p2_members="$P2_MEMBERS" -f "$BENCH/sql/load_p2.sql" >/dev/null
    P2_THREAD=$(DB=bench_p2 sql "SELECT thread_id FROM bench.room WHERE name = 'p2'")
    psql_q -d bench_p2 -v first_thread="$P2_THREAD" -v last_thread="$P2_THREAD" -f "$BENCH/sql/seed_copy.sql" \
        -v p2chan_base="$P2CHAN_BASE" -v p2chan_members="$P2_MEMBERS" -v p2chan_admins="$P2CHAN_ADMINS" \
        -f "$BENCH/sql/load_p2chan.sql" >/dev/null
    P2CHAN_THREAD=$(DB=bench_p2 sql "SELECT thread_id FROM bench.room WHERE name = 'p2chan'")
    pgb_var "p2_thread=$P2_THREAD" "p2_base=$P2_BASE" "p2_members=$P2_MEMBERS" \
        "p2chan_thread=$P2CHAN_THREAD" "p2chan_base=$P2CHAN_BASE" "p2chan_admins=$P2CHAN_ADMINS"
    echo "   bench_p2: P2 group (create_group, add_members x 1,000), its seed copy, P2chan channel: $(since "$t0") s"
}

# the rooms' size, kind, "large", roles; in the channel a plain member may not post
p2_check() {
    local shape ok states
    shape="(SELECT format('%s, %s members%s%s', t.kind, t.member_count, CASE WHEN t.large THEN ', large' END,
                          (SELECT ', roles ' || string_agg(format('%s %s', n, role), ', ' ORDER BY role)
                             FROM (SELECT mb.role, count(*) AS n FROM chat.member mb
                                    WHERE mb.thread_id = t.id GROUP BY mb.role) r))
              FROM chat.thread t WHERE t.id ="
    ok=$(DB=bench_p2 sql "SELECT t.member_count = $P2_MEMBERS AND t.large FROM chat.thread t WHERE t.id = $P2_THREAD")
    check P2 "P2 group (thread $P2_THREAD): $(DB=bench_p2 sql "SELECT $shape $P2_THREAD)")" [ "$ok" = t ]
    ok=$(DB=bench_p2 sql "SELECT t.kind = 'channel' AND t.member_count = $P2_MEMBERS AND t.large
                                 AND (SELECT count(*) FROM chat.member mb WHERE mb.thread_id = t.id AND mb.role <> 'member')
                                     = 1 + $P2CHAN_ADMINS
                            FROM chat.thread t WHERE t.id = $P2CHAN_THREAD")
    check P2chan "P2chan channel (thread $P2CHAN_THREAD): $(DB=bench_p2 sql "SELECT $shape $P2CHAN_THREAD)")" [ "$ok" = t ]
    states=$(DB=bench_p2 sql "SELECT string_agg(bench.sqlstate_of(format(
                                  'SELECT chat.new_reply(thread_id => %s, sender => %s, content => %L)',
                                  $P2CHAN_THREAD, $P2CHAN_BASE + u, 'x')), '/' ORDER BY o)
                                FROM (VALUES (1, $P2_MEMBERS), (2, 1 + $P2CHAN_ADMINS), (3, 1)) v(o, u)")
    check P2chan "P2chan new_reply (rolled back) by a plain member / the last admin / the owner: $states" \
        [ "$states" = 42501/00000/00000 ]
}

# p2_slice ROUND: the P2 and P2chan runs of one round of the write workloads
p2_slice() {
    if want P2; then DB=bench_p2 ROUND=$1 run P2 '' chat p2_chat.pgbench "$CLIENTS" -T "$SLICE"; fi
    if want P2chan; then DB=bench_p2 ROUND=$1 run P2chan '' chat p2chan_chat.pgbench "$CLIENTS" -T "$SLICE"; fi
}

p2_run() {
    want P2 || return 0
    echo "-- P2: the seed port (deadlocks expected)"
    DB=bench_p2 run P2 '' seed p2_seed.pgbench "$CLIENTS" -T "$SEED_P2_DURATION"
}
