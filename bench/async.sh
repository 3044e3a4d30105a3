#!/usr/bin/env bash
#
# bench/async.sh: how replies commit in a hot room (issue 15, items 1 and 3).
# Four pgbench clients reply into one group of MEMBERS members with
# synchronous_commit = on, in ROUNDS interleaved rounds of SECONDS seconds
# each: a bare INSERT of one row into a table with one index (the limit),
# chat.new_reply with early_lock_release off (plain: PostgreSQL's own
# commit, each reply holding the thread's row through its flush), as shipped
# (durable: early lock release) and with the setting async_messages on.
# Prints each run's tps, the medians and the ratios to the bare INSERT, and
# checks that chat.verify_unread() of the room is empty afterwards.
#
# Like bench/import.sh it installs nothing and starts no cluster: it runs
# against the server that PGHOST, PGPORT and PGUSER (a superuser) name, where
# chat is installed, in a database of its own (dropped and created again,
# dropped at the end unless BENCH_ASYNC_KEEP=1).
#
# Usage: bench/async.sh [ROUNDS [SECONDS [MEMBERS]]]     default 3 8 10000
set -euo pipefail

ROUNDS=${1:-3}
SECONDS_EACH=${2:-8}
MEMBERS=${3:-10000}
DB=${BENCH_ASYNC_DB:-chat_bench_async}
PSQL=(psql -X -q -v ON_ERROR_STOP=1)
WORK=$(mktemp -d -t chat-async.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

"${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
"${PSQL[@]}" -d "$DB" -v members="$MEMBERS" <<'SQL' >/dev/null
SET client_min_messages = warning;
CREATE EXTENSION chat;
SELECT chat.set_setting('notify', 'false');
SELECT chat.create_group(1, 'hot room', ARRAY(SELECT g FROM generate_series(2, :members) g)::chat.user_id[]);
CREATE TABLE bare (id bigserial PRIMARY KEY, thread_id bigint, sender bigint, content text,
                   sent_at timestamptz DEFAULT now());
SQL
cat >"$WORK/chat.pgbench" <<EOF
\set u random(1, $MEMBERS)
SELECT chat.new_reply(1, :u, 'a reply in the hot room');
EOF
cat >"$WORK/bare.pgbench" <<EOF
\set u random(1, $MEMBERS)
INSERT INTO bare (thread_id, sender, content) VALUES (1, :u, 'a reply in the hot room');
EOF

echo "== async: 4 clients, a group of $MEMBERS members, synchronous_commit=on, $ROUNDS rounds of $SECONDS_EACH s"
for r in $(seq 1 "$ROUNDS"); do
    for kind in bare plain durable async; do
        script=$WORK/chat.pgbench
        case $kind in
            bare) script=$WORK/bare.pgbench ;;
            plain) "${PSQL[@]}" -d "$DB" -c "SELECT chat.set_setting('async_messages', 'false')" \
                                   -c "SELECT chat.set_setting('early_lock_release', 'false')" >/dev/null ;;
            durable) "${PSQL[@]}" -d "$DB" -c "SELECT chat.set_setting('early_lock_release', NULL)" >/dev/null ;;
            async) "${PSQL[@]}" -d "$DB" -c "SELECT chat.set_setting('async_messages', 'true')" >/dev/null ;;
        esac
        tps=$(pgbench -n -M prepared -c 4 -j 2 -T "$SECONDS_EACH" -f "$script" "$DB" 2>&1 |
              sed -n 's/^tps = \([0-9.]*\).*/\1/p')
        echo "   round $r $kind ${tps:-failed}"
        echo "$kind $tps" >>"$WORK/tps"
    done
done
median() { grep "^$1 " "$WORK/tps" | cut -d' ' -f2 | sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
awk -v b="$(median bare)" -v p="$(median plain)" -v d="$(median durable)" -v a="$(median async)" 'BEGIN {
    printf "   medians: bare %.0f tps, plain %.0f tps (%.2f x bare), durable (early lock release) %.0f tps (%.2f x bare), async_messages %.0f tps (%.2f x bare)\n", b, p, p / b, d, d / b, a, a / b }'
n=$("${PSQL[@]}" -At -d "$DB" -c "SELECT count(*) FROM chat.verify_unread(1)")
if [[ "$n" != 0 ]]; then echo "FAIL: chat.verify_unread(1) has $n rows" >&2; exit 1; fi
echo "   chat.verify_unread(1): empty"
[[ -n "${BENCH_ASYNC_KEEP:-}" ]] || "${PSQL[@]}" -d postgres -c "DROP DATABASE $DB"
