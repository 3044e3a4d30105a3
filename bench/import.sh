#!/usr/bin/env bash
#
# bench/import.sh: import throughput (issue 14): THREADS threads of MESSAGES
# messages (3 members each, one with a read time) imported with one
# chat.import_thread call per thread, by CLIENTS pgbench clients, as an
# application moving its history in would; then the same history through
# chat.import_pinax from pinax-messages' tables (one call); then a purge of
# all of it.  Prints each step's wall time, messages per second and checks
# that chat.verify_unread() is empty after each.
#
# Unlike bench/run.sh it installs nothing and starts no cluster: it runs
# against the server that PGHOST, PGPORT and PGUSER (a superuser) name, where
# chat is installed, in two databases of its own (dropped and created again,
# dropped at the end unless BENCH_IMPORT_KEEP=1).
#
# Usage: bench/import.sh [THREADS [MESSAGES [CLIENTS]]]     default 10000 100 1
#   e.g. PGHOST=/tmp PGPORT=5495 PGUSER=postgres bench/import.sh 10000 100 1
set -euo pipefail

THREADS=${1:-10000}
MESSAGES=${2:-100}
CLIENTS=${3:-1}
DB=${BENCH_IMPORT_DB:-chat_bench_import}
DB_PINAX=${DB}_pinax
TOTAL=$((THREADS * MESSAGES))
PSQL=(psql -X -q -v ON_ERROR_STOP=1)
WORK=$(mktemp -d -t chat-import.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

now() { date +%s.%N; }
rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.1f s, %.0f messages/s", s, n / s }'; }
check() { # check DB: chat.verify_unread() must be empty
    local n
    n=$("${PSQL[@]}" -At -d "$1" -c "SELECT count(*) FROM chat.verify_unread()")
    if [[ "$n" != 0 ]]; then echo "FAIL: chat.verify_unread() in $1 has $n rows" >&2; exit 1; fi
    echo "   chat.verify_unread(): empty"
}

echo "== import: $THREADS threads x $MESSAGES messages = $TOTAL messages, $CLIENTS client(s)"
echo "   server: $("${PSQL[@]}" -At -d postgres -c 'SELECT version()' | cut -d, -f1)"
for d in "$DB" "$DB_PINAX"; do
    "${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS $d" -c "CREATE DATABASE $d"
    "${PSQL[@]}" -d "$d" -c "CREATE EXTENSION chat" -c "SELECT chat.set_setting('notify', 'false')" >/dev/null
done

# The history, staged as the application would send it: one JSON document
# per thread (not timed).  Thread i: users i, i+1, i+2; i+1 has read the
# first half; messages a minute apart from 2019 on, 60-80 characters.
t0=$(now)
"${PSQL[@]}" -d "$DB" -v threads="$THREADS" -v messages="$MESSAGES" <<'SQL'
CREATE SCHEMA bench_import;
CREATE TABLE bench_import.doc (i integer PRIMARY KEY, doc jsonb NOT NULL);
CREATE SEQUENCE bench_import.next;
INSERT INTO bench_import.doc
SELECT i, jsonb_build_object(
    'subject', 'imported thread ' || i,
    'members', jsonb_build_array(
        jsonb_build_object('user_id', i),
        jsonb_build_object('user_id', i + 1,
                           'read_until', (timestamptz '2019-01-01' + make_interval(mins => i + :messages / 2))::text),
        jsonb_build_object('user_id', i + 2)),
    'messages', (SELECT jsonb_agg(jsonb_build_object(
                     'sender_id', i + j % 3,
                     'sent_at', (timestamptz '2019-01-01' + make_interval(mins => i + j))::text,
                     'content', format('message %s of thread %s, as long as a short chat message is', j, i)))
                   FROM generate_series(1, :messages) j))
  FROM generate_series(1, :threads) i;
SQL
echo "   staged $THREADS documents in $(awk -v s="$(now)" -v t="$t0" 'BEGIN { printf "%.1f", s - t }') s"

# One import_thread per transaction, as a client sends them.
cat >"$WORK/import.pgbench" <<'SQL'
SELECT chat.import_thread(d.doc) FROM bench_import.doc d WHERE d.i = (SELECT nextval('bench_import.next'));
SQL
t0=$(now)
pgbench -n -M prepared -c "$CLIENTS" -j "$CLIENTS" -t $((THREADS / CLIENTS)) -f "$WORK/import.pgbench" "$DB" \
    >"$WORK/pgbench.out"
t1=$(now)
n=$("${PSQL[@]}" -At -d "$DB" -c "SELECT count(*) FROM chat.message")
echo "-- chat.import_thread, one call per thread: $n messages in $(rate "$n" "$(awk -v a="$t1" -v b="$t0" 'BEGIN { print a - b }')")"
grep -E '^(tps|latency average)' "$WORK/pgbench.out" | sed 's/^/   /'
check "$DB"

# The same history in pinax-messages' tables, then one chat.import_pinax().
"${PSQL[@]}" -d "$DB_PINAX" -v threads="$THREADS" -v messages="$MESSAGES" <<'SQL'
CREATE TABLE user_messages_thread (id serial PRIMARY KEY, subject varchar(150) NOT NULL);
CREATE TABLE user_messages_userthread (id serial PRIMARY KEY, thread_id integer NOT NULL, user_id integer NOT NULL,
                                       unread boolean NOT NULL, deleted boolean NOT NULL);
CREATE TABLE user_messages_message (id serial PRIMARY KEY, thread_id integer NOT NULL, sender_id integer NOT NULL,
                                    sent_at timestamptz NOT NULL, content text NOT NULL);
INSERT INTO user_messages_thread (subject) SELECT 'imported thread ' || i FROM generate_series(1, :threads) i;
INSERT INTO user_messages_userthread (thread_id, user_id, unread, deleted)
SELECT i, i + k, k = 1, false FROM generate_series(1, :threads) i, generate_series(0, 2) k;
INSERT INTO user_messages_message (thread_id, sender_id, sent_at, content)
SELECT i, i + j % 3, timestamptz '2019-01-01' + make_interval(mins => i + j),
       format('message %s of thread %s, as long as a short chat message is', j, i)
  FROM generate_series(1, :threads) i, generate_series(1, :messages) j;
-- Django's indexes of the foreign keys
CREATE INDEX ON user_messages_userthread (thread_id);
CREATE INDEX ON user_messages_message (thread_id);
ANALYZE;
SQL
t0=$(now)
"${PSQL[@]}" -At -d "$DB_PINAX" -c "SELECT count(*) FROM chat.import_pinax()" >/dev/null
t1=$(now)
n=$("${PSQL[@]}" -At -d "$DB_PINAX" -c "SELECT count(*) FROM chat.message")
echo "-- chat.import_pinax(), one call: $n messages in $(rate "$n" "$(awk -v a="$t1" -v b="$t0" 'BEGIN { print a - b }')")"
check "$DB_PINAX"

# Everything is older than 1 day: purge it, 1,000 messages per transaction.
"${PSQL[@]}" -d "$DB" -c "SELECT chat.set_setting('retention_days', '1')" >/dev/null
t0=$(now)
"${PSQL[@]}" -d "$DB" -c 'DO $$ BEGIN WHILE chat.purge() > 0 LOOP COMMIT; END LOOP; END $$'
t1=$(now)
echo "-- chat.purge() until nothing is left: $n messages in $(rate "$n" "$(awk -v a="$t1" -v b="$t0" 'BEGIN { print a - b }')")"
echo "   left: $("${PSQL[@]}" -At -d "$DB" -c "SELECT count(*) FROM chat.message") messages"
check "$DB"

if [[ "${BENCH_IMPORT_KEEP:-0}" != 1 ]]; then
    for d in "$DB" "$DB_PINAX"; do "${PSQL[@]}" -d postgres -c "DROP DATABASE $d"; done
fi
