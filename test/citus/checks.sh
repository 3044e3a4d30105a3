# test/citus/checks.sh: the checks of the Citus suite, sourced by test/citus/run.sh
# (helpers q, is, is_on, like, pass, fail; ports COORD, W1, W2).
# shellcheck shell=bash

# ---------------------------------------------------------------- distribution
# 2 shards per worker, as README "Running on Citus" advises for a small cluster
q "$COORD" "ALTER DATABASE chat_dist SET citus.shard_count = 4" >/dev/null
echo "# CREATE EXTENSION chat on the coordinator distributes chat"
t0=$(date +%s%N)
is "CREATE EXTENSION chat on the coordinator" "" "CREATE EXTENSION chat"
echo "# CREATE EXTENSION chat took $(( ($(date +%s%N) - t0) / 1000000 )) ms"
version=$(q "$COORD" "SELECT extversion FROM pg_extension WHERE extname = 'chat'")
is_on "$W1" "chat on worker 1, same version" "$version" "SELECT extversion FROM pg_extension WHERE extname = 'chat'"
is_on "$W2" "chat on worker 2, same version" "$version" "SELECT extversion FROM pg_extension WHERE extname = 'chat'"
is "8 reference tables" \
   "attachment|h
event|h
member|h
message|h
message_edit|h
reaction|h
thread|h
event_kind|n
hook|n
model|n
permission_default|n
role_map|n
setting|n
setting_default|n
user_binding|n" \
   "SELECT c.relname || '|' || p.partmethod::text FROM pg_dist_partition p JOIN pg_class c ON c.oid = p.logicalrelid
     WHERE c.relnamespace = 'chat'::regnamespace ORDER BY p.partmethod, c.relname"
is "the 7 per-thread tables in one colocation group" "1" \
   "SELECT count(DISTINCT colocationid) FROM pg_dist_partition WHERE partmethod = 'h' AND logicalrelid::text LIKE 'chat.%'"
is "distributed by the thread id" "chat.attachment:thread_id,chat.event:thread_id,chat.member:thread_id,chat.message:thread_id,chat.message_edit:thread_id,chat.reaction:thread_id,chat.thread:id" \
   "SELECT string_agg(logicalrelid::text || ':' || column_to_column_name(logicalrelid, partkey), ',' ORDER BY logicalrelid::text)
      FROM pg_dist_partition WHERE partmethod = 'h' AND logicalrelid::text LIKE 'chat.%'"
is "shards of the per-thread tables on both workers only" "$W1|14
$W2|14" \
   "SELECT n.nodeport || '|' || count(*) FROM pg_dist_shard s JOIN pg_dist_placement pl USING (shardid)
      JOIN pg_dist_node n ON n.groupid = pl.groupid
     WHERE s.logicalrelid::text LIKE 'chat.%' AND s.shardminvalue IS NOT NULL
     GROUP BY n.nodeport ORDER BY 1"
is "new_reply, mark_read and messages delegated by their thread id, none forced in transaction blocks" \
   "mark_read|0|false
messages|0|false
new_reply|0|false" \
   "SELECT p.proname || '|' || o.distribution_argument_index || '|' || coalesce(o.force_delegation, false)
      FROM pg_dist_object o JOIN pg_proc p ON o.classid = 'pg_proc'::regclass AND o.objid = p.oid
     WHERE p.pronamespace = 'chat'::regnamespace ORDER BY 1"
is_on "$W1" "worker 1 draws ids from its own range (group 1 << 48)" "281474976710657|281474976710657" \
   "SELECT (SELECT seqmin FROM pg_sequence WHERE seqrelid = 'chat.message_id_seq'::regclass) || '|' ||
           (SELECT seqmin FROM pg_sequence WHERE seqrelid = 'chat.thread_id_seq'::regclass)"
is_on "$W2" "worker 2 draws ids from its own range (group 2 << 48)" "562949953421313|562949953421313" \
   "SELECT (SELECT seqmin FROM pg_sequence WHERE seqrelid = 'chat.message_id_seq'::regclass) || '|' ||
           (SELECT seqmin FROM pg_sequence WHERE seqrelid = 'chat.thread_id_seq'::regclass)"
is_on "$W1" "chat's event triggers off on a worker (they would fire for shard DDL)" "D|D|D" \
   "SELECT string_agg(evtenabled::text, '|' ORDER BY evtname) FROM pg_event_trigger WHERE evtname LIKE 'chat_%'"
is "chat.distribute() again: nothing to distribute twice" "chat is distributed already; functions adapted again" \
   "SELECT chat.distribute()"

# ---------------------------------------------------------------- the API as a server role
echo "# the API through the coordinator"
is "new_message starts a thread" "t
1" \
   "SELECT chat.new_message(1, '{2,3}', 'Hello', 'first') > 0" "SELECT count(*) FROM chat.thread"
t1=$(q "$COORD" "SELECT max(id) FROM chat.thread")
like "new_reply answers in it" '^[0-9]+$' "SELECT chat.new_reply($t1, 2, 'second')"
is "inbox of a recipient: the thread, 2 unread" "$t1|second|2" \
   "SELECT thread_id || '|' || last_preview || '|' || unread_count FROM chat.inbox(3)"
is "unread_count of a recipient" "1|2" "SELECT threads || '|' || messages FROM chat.unread_count(3)"
is "mark_read reads both" "2" "SELECT chat.mark_read($t1, 3)"
is "unread_count after mark_read" "0|0" "SELECT threads || '|' || messages FROM chat.unread_count(3)"
is "messages: both, oldest first" "first
second" "SELECT content FROM chat.messages($t1, 2)"
g=$(q "$COORD" "SELECT chat.create_group(1, 'Team', '{2,3,4}')")
like "create_group" '^[0-9]+$' "SELECT $g"
is "add_members" "1" "SELECT chat.add_members($g, 1, '{5}')"
is "members: 5 with their roles" "1:owner,2:member,3:member,4:member,5:member" \
   "SELECT string_agg(user_id || ':' || role, ',' ORDER BY user_id) FROM chat.members($g, 1)"
is "remove_member" "
4" "SELECT chat.remove_member($g, 1, 5)" "SELECT count(*) FROM chat.members($g, 1)"
is "direct_thread: one thread whatever the order" "t" \
   "SELECT chat.direct_thread(7, 8) = chat.direct_thread(8, 7)"
is "object_thread: the same room twice" "t" \
   "SELECT chat.object_thread('product', '42', 1) = chat.object_thread('product', '42', 1)"
m=$(q "$COORD" "SELECT chat.new_reply($g, 2, 'typo')")
is "edit_message keeps the earlier text" "t
typo" \
   "SELECT chat.edit_message($m, 2, 'fixed') IS NOT NULL" \
   "SELECT string_agg(content, '|') FROM chat.message_edit WHERE message_id = $m"
is "message_history" "t" "SELECT count(*) >= 1 FROM chat.message_history($m, 2)"
is "add_reaction" "t" "SELECT chat.add_reaction($m, 3, '+1') IS NOT NULL"
# a bare call: with a WHERE around it Citus runs messages() on the coordinator (README)
like "the reaction in messages()" '\[\{"count": 1, "users": \[3\], "reaction": "\+1"\}\]' \
   "SELECT reactions FROM chat.messages($g, 3)"
is "delete_message marks it deleted" "
t" \
   "SELECT chat.delete_message($m, 2)" \
   "SELECT deleted_at IS NOT NULL FROM chat.message WHERE id = $m"
is "mark_unread" "t" "SELECT chat.mark_unread($g, 3) >= 0"
is "mark_delivered of all a user's threads" "t" "SELECT chat.mark_delivered(3) >= 0"
d=$(q "$COORD" "SELECT chat.create_group(1, 'Doomed', '{2}')")
is "drop_thread takes its messages and members" "
0|0|0" \
   "SELECT chat.drop_thread($d, 1)" \
   "SELECT (SELECT count(*) FROM chat.thread WHERE id = $d) || '|' || (SELECT count(*) FROM chat.message WHERE thread_id = $d)
           || '|' || (SELECT count(*) FROM chat.member WHERE thread_id = $d)"

# A server role that is not a superuser reading chat's table: the worker runs the query on its
# shard, where the row-level security policy's chat.is_server_role() fills the settings cache
# (a nested read of reference tables, which Citus refuses unless allowed).
q "$COORD" "CREATE ROLE chat_srv LOGIN" "GRANT USAGE ON SCHEMA chat TO chat_srv" \
  "SELECT chat.set_setting('server_roles', (SELECT value FROM chat.settings WHERE key = 'server_roles') || '[\"chat_srv\"]')" >/dev/null 2>&1
is "a server role (not a superuser) reads chat.message by id" "1" \
   "SET ROLE chat_srv" "SELECT count(*) FROM chat.message WHERE id = $m"

# ---------------------------------------------------------------- calls the pgTAP suites found broken on a cluster
echo "# replies to a message, mentions, mark_unread, roles, hooks, import (pgTAP on the coordinator)"
p=$(q "$COORD" "SELECT chat.create_group(1, 'Parents', '{2,3}')")
pm=$(q "$COORD" "SELECT chat.new_reply($p, 1, 'parent')")
like "new_reply with a parent_id of the thread" '^[0-9]+$' "SELECT chat.new_reply($p, 2, 'child', parent_id => $pm)"
like "new_reply with a parent of another thread: 22023" 'is not in thread' "SELECT chat.new_reply($p, 2, 'x', parent_id => $m)"
like "new_reply with a parent that does not exist: 42704" 'message 1 does not exist' "SELECT chat.new_reply($p, 2, 'x', parent_id => 1)"
is "a reply mentioning two members" "t" "SELECT chat.new_reply($p, 1, 'hi', mentions => '{2,3}') > 0"
is "mention counts after the mentioning reply" "0|1|1" \
   "SELECT string_agg(mention_count::text, '|' ORDER BY user_id) FROM chat.member WHERE thread_id = $p"
is "mark_unread over a mention: unread again, the mention counted again" "t
3
1" \
   "SELECT chat.mark_read($p, 3) >= 0" "SELECT chat.mark_unread($p, 3, $pm)" \
   "SELECT mention_count FROM chat.member WHERE thread_id = $p AND user_id = 3"
is "set_role" "
admin" "SELECT chat.set_role($p, 1, 2, 'admin')" "SELECT role FROM chat.member WHERE thread_id = $p AND user_id = 2"
is "add_hook and remove_hook" "t
t" \
   "CREATE FUNCTION public.citus_hook(e jsonb) RETURNS void LANGUAGE sql AS ''" \
   "SELECT chat.add_hook('thread_renamed', 'public.citus_hook(jsonb)')" \
   "SELECT chat.remove_hook('thread_renamed', 'public.citus_hook(jsonb)')"
it=$(q "$COORD" "SELECT chat.import_thread('{\"subject\": \"old\", \"members\": [{\"user_id\": 1}, {\"user_id\": 2}],
                  \"messages\": [{\"sender_id\": 1, \"sent_at\": \"2020-01-01T00:00:00Z\", \"content\": \"long ago\"}]}')")
is "import_thread: the thread with its history" "1|long ago" \
   "SELECT message_count || '|' || last_preview FROM chat.thread WHERE id = '$it'"
is "verify_unread after them" "" "SELECT * FROM chat.verify_unread()"

# settings and hooks live in reference tables, whose triggers fire on a shard (chat.setting_102009)
# on each node: every node's cache of chat.setting and of the registries must drop all the same.
# One session each, its caches (coordinator and the worker's pooled session) filled first.
echo "# settings and hooks changed: seen at once by the coordinator and the workers"
like "max_content_length lowered in the caller's transaction: the worker's insert trigger refuses" \
   'message content is too long' \
   "SELECT chat.new_reply($p, 1, 'warm')" "BEGIN" "SELECT chat.set_setting('max_content_length', '10')" \
   "SELECT chat.new_reply($p, 1, '12345678901')" "ROLLBACK"
like "max_subject_length lowered in the caller's transaction: the coordinator refuses" \
   'subject is too long' \
   "SELECT chat.rename_thread($p, 1, 'Parents')" "BEGIN" "SELECT chat.set_setting('max_subject_length', '5')" \
   "SELECT chat.create_group(1, '123456', '{2}')" "ROLLBACK"
like "max_content_length committed: a delegated reply is refused" 'message content is too long' \
   "SELECT chat.new_reply($p, 1, 'warm')" "SELECT chat.set_setting('max_content_length', '10')" \
   "SELECT chat.new_reply($p, 1, '12345678901')"
like "back to the default: accepted again" '[0-9]+$' \
   "SELECT chat.new_reply($p, 1, 'warm')" "SELECT chat.set_setting('max_content_length', NULL)" \
   "SELECT chat.new_reply($p, 1, '12345678901')"
q "$COORD" "CREATE FUNCTION public.citus_refuse(e jsonb) RETURNS void LANGUAGE plpgsql AS
            \$f\$BEGIN IF e->>'event' = 'message_sent' THEN RAISE EXCEPTION 'refused by hook'; END IF; END\$f\$" >/dev/null
like "add_hook: a delegated reply runs the new hook" 'refused by hook' \
   "SELECT chat.new_reply($p, 1, 'before the hook')" \
   "SELECT chat.add_hook('message_sent', 'public.citus_refuse(jsonb)')" "SELECT chat.new_reply($p, 1, 'hooked')"
like "remove_hook: a delegated reply no longer runs it" '^t.[0-9]+$' \
   "SELECT chat.remove_hook('message_sent', 'public.citus_refuse(jsonb)')" \
   "SELECT chat.new_reply($p, 1, 'unhooked')"

# the notification queue (local to the coordinator) joined with the distributed tables: one
# statement per kind of table, the rows passed as arrays (Citus lost its intermediate results)
is "claim_notifications expands and claims on a cluster" "t" \
   "SELECT count(*) >= 0 FROM chat.claim_notifications('citus', 5)"

# ---------------------------------------------------------------- ids and order across nodes
echo "# threads on both workers"
q "$COORD" "SELECT chat.new_message(10, ARRAY[11], 'spread ' || i, 'm') FROM generate_series(1, 12) i" >/dev/null
shards=$(q "$COORD" "SELECT string_agg(get_shard_id_for_distribution_column('chat.thread', id)::text, ',') FROM chat.thread WHERE subject LIKE 'spread %'")
is "threads on both workers" "2" \
   "SELECT count(DISTINCT groupid) FROM pg_dist_placement WHERE shardid IN ($shards)"
is "message ids unique across nodes" "t" "SELECT count(*) = count(DISTINCT id) FROM chat.message"
# replies in a known order, one per thread, alternating workers: the inbox must list them newest first
q "$COORD" "SELECT chat.new_reply(t.id, 10, 'order ' || t.subject) FROM (SELECT id, subject FROM chat.thread WHERE subject LIKE 'spread %' ORDER BY id) t" >/dev/null 2>&1 ||
    for t in $(q "$COORD" "SELECT id FROM chat.thread WHERE subject LIKE 'spread %' ORDER BY id"); do
        q "$COORD" "SELECT chat.new_reply($t, 10, 'order')" >/dev/null
    done
is "inbox order is reply order across workers (newest first)" "t" \
   "SELECT array_agg(thread_id) = (SELECT array_agg(id ORDER BY id DESC) FROM chat.thread WHERE subject LIKE 'spread %')
      FROM (SELECT thread_id FROM chat.inbox(11) LIMIT 12) i"
# the inbox's page is one query over every shard (chat._citus_adapt), not four rounds with
# intermediate results
is "inbox: one query over every shard, no intermediate result" "0" \
   "SELECT count(*) FROM regexp_matches(pg_get_functiondef('chat.inbox(chat.user_id,text,text,integer)'::regprocedure), 'UNION ALL', 'g')"
out=$(q "$COORD" "SET client_min_messages = debug1" "SELECT count(*) FROM chat.inbox(11)")
if [[ "$out" != *"generating subplan"* && "$out" =~ (^|$'\n')12$ ]]; then
    pass "inbox: called, no subplan (no intermediate result), the 12 threads"
else
    fail "inbox: called, no subplan (no intermediate result), the 12 threads" "got: $out"
fi
is "inbox folders agree with inbox_count" "t" \
   "SELECT bool_and((SELECT count(*) FROM chat.inbox(11, f, page_size => 500)) = chat.inbox_count(11, f))
      FROM unnest(ARRAY['inbox', 'unread', 'sent', 'archived', 'deleted', 'mentions']) f"
is "verify_unread: counters equal a recount" "" "SELECT * FROM chat.verify_unread()"

# ---------------------------------------------------------------- more of the API
echo "# more of the API: calls the pgTAP suites stopped at on a cluster"
# search: its single-node plans check each match's member row in a correlated sub-select, which
# Citus refuses over every shard; on a cluster the matches are one join (chat._citus_adapt)
s1=$(q "$COORD" "SELECT chat.new_message(41, '{42}', 'quokka one', 'a quokka here')")
s2=$(q "$COORD" "SELECT chat.new_message(43, '{42}', 'quokka two', 'quokka quokka there')")
q "$COORD" "SELECT chat.new_message(43, '{44}', 'quokka three', 'not for 42: quokka')" >/dev/null
st1=$(q "$COORD" "SELECT thread_id FROM chat.message WHERE id = $s1")
is "search: the viewer's matches in every thread, best first" "$s2 $s1" \
   "SELECT string_agg(message_id::text, ' ' ORDER BY rank DESC, message_id DESC) FROM chat.search(42, 'quokka')"
is "search newest first, page by page" "$s2|$s1" \
   "SELECT (SELECT message_id FROM chat.search(42, 'quokka', sort => 'newest', page_size => 1))
           || '|' || (SELECT message_id FROM chat.search(42, 'quokka', sort => 'newest', page_size => 1,
                                                           before => $s2::text))"
is "search in one thread" "$s1" "SELECT message_id FROM chat.search(42, 'quokka', in_thread => $st1)"
is "search: nothing in a thread in the viewer's deleted folder" "" \
   "SELECT chat.delete_thread($st1, 42)" "SELECT message_id FROM chat.search(42, 'quokka', in_thread => $st1)"

# the directory with a query: its sub-plan over every shard had no columns, and a match's member
# row is a sub-select Citus refuses beside a sub-query in FROM (chat._citus_adapt)
q "$COORD" "SELECT chat.create_group(41, 'Wombat club', '{42}', is_public => true)" \
   "SELECT chat.create_group(43, 'Wombat fans', '{}', is_public => true)" >/dev/null
is "directory with a query: the matching public rooms, joined or not" "Wombat club:true,Wombat fans:false" \
   "SELECT string_agg(subject || ':' || joined, ',' ORDER BY cursor) FROM chat.directory(42, 'wombat')"

# can_leave passed the thread's and member's rows to a function inside the shard's query
lt=$(q "$COORD" "SELECT chat.create_group(70, 'leavers', '{71}')")
is "can_leave: a member may, the last owner without an admin may not, a stranger may not" "true|false|false" \
   "SELECT chat.can_leave($lt, 71) || '|' || chat.can_leave($lt, 70) || '|' || chat.can_leave($lt, 72)"

# import: a direct pair found across every shard (its check had no columns) and serialized with
# direct_thread; history appended to a live thread gets ids after its live messages'
echo "# importing history on a cluster"
di=$(q "$COORD" "SELECT chat.import_thread('{\"kind\": \"direct\", \"members\": [{\"user_id\": 60}, {\"user_id\": 61}]}')")
is "import_thread of a direct pair: direct_thread finds it" "t" "SELECT chat.direct_thread(61, 60) = '$di'"
like "import_thread of the same pair again: refused" 'users "60" and "61" have a direct thread already' \
   "SELECT chat.import_thread('{\"kind\": \"direct\", \"members\": [{\"user_id\": 60}, {\"user_id\": 61}]}')"
lv=$(q "$COORD" "SELECT chat.create_group(62, 'live', '{63}')")
q "$COORD" "SELECT chat.new_reply($lv, 62, 'live one')" "SELECT chat.new_reply($lv, 63, 'live two')" >/dev/null
is "import_messages after live replies: the newest message, its id after theirs" "1
imported|true" \
   "SELECT chat.import_messages($lv, format('[{\"sender_id\": 62, \"sent_at\": \"%s\", \"content\": \"imported\"}]', clock_timestamp())::jsonb)" \
   "SELECT last_preview || '|' || (last_message_id = (SELECT max(id) FROM chat.message WHERE thread_id = $lv))
      FROM chat.thread WHERE id = $lv"
is "verify_unread after the imports" "" "SELECT * FROM chat.verify_unread($lv)"

# swappable models: chat.model (a reference table) names the table on every node, where each
# thread's rows are; a table on the coordinator alone failed on the workers (relation does not exist)
echo "# a swapped model on a cluster"
q "$COORD" "CREATE TABLE public.cm_meta (thread_id bigint, message_id bigint, mood text DEFAULT 'calm',
              PRIMARY KEY (thread_id, message_id),
              FOREIGN KEY (thread_id, message_id) REFERENCES chat.message (thread_id, id) ON DELETE CASCADE)" >/dev/null
like "swap_model of a table on the coordinator only: refused, the hint says how to distribute it" \
   'is not distributed with chat.s threads.*HINT:.*create_distributed_table\(.public.cm_meta., .thread_id., colocate_with => .chat.thread.\)' \
   "SELECT chat.swap_model('message', 'public.cm_meta')"
is "distributed with chat.thread (colocated): swap_model accepts it" "" \
   "SELECT create_distributed_table('public.cm_meta', 'thread_id', colocate_with => 'chat.thread')" \
   "SELECT chat.swap_model('message', 'public.cm_meta')"
cm=$(q "$COORD" "SELECT chat.new_reply($lv, 62, 'moody', extra => '{\"mood\": \"happy\"}')")
is "a delegated reply with extra fills the model's table on the worker" "happy" \
   "SELECT mood FROM public.cm_meta WHERE thread_id = $lv AND message_id = $cm"
like "messages returns the model's row as extra" 'happy$' "SELECT extra ->> 'mood' FROM chat.messages($lv, 62)"
like "swap_model of notifications: refused on a cluster (chat.notification stays on the coordinator)" \
   'the notification model cannot be swapped on a Citus cluster' \
   "CREATE TABLE public.cm_note (notification_id bigint PRIMARY KEY REFERENCES chat.notification (id) ON DELETE CASCADE)" \
   "SELECT chat.swap_model('notification', 'public.cm_note')"
q "$COORD" "SELECT chat.swap_model('message', NULL)" "DROP TABLE public.cm_meta" "DROP TABLE IF EXISTS public.cm_note" >/dev/null

# ---------------------------------------------------------------- routing
echo "# routing: per-thread calls run on the node holding the thread"
like "EXPLAIN new_reply: one task" 'Task Count: 1' "EXPLAIN (COSTS OFF) SELECT chat.new_reply($t1, 2, 'x')"
like "EXPLAIN mark_read: one task" 'Task Count: 1' "EXPLAIN (COSTS OFF) SELECT chat.mark_read($t1, 3)"
like "EXPLAIN messages: one task" 'Task Count: 1' "EXPLAIN (COSTS OFF) SELECT * FROM chat.messages($t1, 3)"
like "new_reply is pushed down to the worker" 'pushing down the function call' \
   "SET client_min_messages = debug1" "SELECT chat.new_reply($t1, 2, 'delegated')"
holder=$(q "$COORD" "SELECT nodeport FROM pg_dist_node WHERE groupid = (SELECT groupid FROM pg_dist_placement
                      WHERE shardid = get_shard_id_for_distribution_column('chat.thread', $t1))")
is "a delegated reply's id names the worker that drew it" "t" \
   "SELECT (chat.new_reply($t1, 2, 'range') & 63) = (SELECT groupid FROM pg_dist_node WHERE nodeport = $holder)"

# ---------------------------------------------------------------- races
echo "# races"
for i in 1 2 3 4; do
    q "$COORD" "SELECT chat.direct_thread(20, 21)" >"$DIR/direct.$i" &
done
wait
is "4 sessions at once: one direct thread of a pair, the same answer to all" "1
1" \
   "SELECT count(*) FROM chat.thread WHERE kind = 'direct' AND direct_low = 20" \
   "SELECT count(DISTINCT x) FROM unnest(ARRAY[$(cat "$DIR"/direct.* | paste -sd,)]::bigint[]) x"
for i in 1 2 3 4; do
    ( for k in $(seq 1 15); do q "$COORD" "SELECT chat.new_reply($g, $((i % 4 + 1)), 'race $i $k')" >/dev/null; done ) &
done
wait
is "4 writers in one thread: every message counted" "t" \
   "SELECT message_count = (SELECT count(*) FROM chat.message WHERE thread_id = $g) FROM chat.thread WHERE id = $g"
is "verify_unread after the races" "" "SELECT * FROM chat.verify_unread()"

# ---------------------------------------------------------------- events
echo "# events: LISTEN on the coordinator"
q "$COORD" "SELECT chat.set_setting('notify', 'true')" >/dev/null
# a call inside a transaction block runs on the coordinator (only its statements go to the worker):
# its event is sent by the coordinator at commit
ev=$(as_pg "$BIN/psql" -X -q -h 127.0.0.1 -p "$COORD" -U postgres -d chat_dist <<EOF 2>&1
LISTEN chat;
BEGIN;
SELECT chat.new_reply($t1, 2, 'heard?');
COMMIT;
SELECT pg_sleep(0.2);
EOF
)
if grep -q 'Asynchronous notification "chat"' <<<"$ev"; then
    pass "the event of a reply in a transaction block reaches a listener on the coordinator at commit"
else
    fail "the event of a reply in a transaction block reaches a listener on the coordinator at commit" "$ev"
fi
# heard CHANNEL SQL...: one session on the coordinator LISTENs on CHANNEL, runs each SQL, then
# SELECT 'end'. psql prints a notification after the statement whose answer came with it: one
# printed before "end" had reached the coordinator when the call returned
heard() {
    local channel=$1 s
    shift
    local args=(-c "LISTEN $channel")
    for s in "$@"; do args+=(-c "$s"); done
    args+=(-c "SELECT 'end'")
    as_pg "$BIN/psql" -X -A -t -q -h 127.0.0.1 -p "$COORD" -U postgres -d chat_dist "${args[@]}" 2>&1
}
# notified OUTPUT: the payloads of the notifications printed before "end", one a line
notified() { sed -n '/^end$/q; s/^Asynchronous notification "[^"]*" with payload "\(.*\)" received from server process with PID [0-9]*\.$/\1/p' <<<"$1"; }
# is_heard NAME WANT_REGEX OUTPUT: the notifications (joined by |) match
is_heard() {
    local got
    got=$(notified "$3" | paste -sd'|')
    if [[ "$got" =~ $2 ]]; then pass "$1"; else fail "$1" "expected notifications matching: $2" "got: $3"; fi
}

# a delegated call runs on the worker holding the thread; its events are sent from the coordinator
# when the worker's transaction has committed (src/relay.c)
q "$COORD" "SELECT chat.set_setting('notify_full_payload', 'true')" >/dev/null
ev=$(heard chat "SET client_min_messages = debug1" "SELECT chat.new_reply($t1, 2, 'delegated event')")
mid=$(grep -E '^[0-9]+$' <<<"$ev" | head -1)
if grep -q 'pushing down the function call' <<<"$ev" && [[ -n "$mid" ]]; then
    pass "a reply called alone is delegated to the worker"
else
    fail "a reply called alone is delegated to the worker" "$ev"
fi
is_heard "a delegated reply's event reaches a listener on the coordinator when the call returns" \
    "^\{\"seq\": [0-9]+, .*\"event\": \"message_sent\", .*\"user_id\": 2, \"thread_id\": $t1, \"message_id\": $mid\}$" "$ev"
ev=$(heard chat "SELECT chat.mark_read($t1, 3)")
is_heard "a delegated mark_read's event reaches a listener on the coordinator when the call returns" \
    "^\{.*\"event\": \"thread_read\", .*\"user_id\": 3, \"thread_id\": $t1, \"message_id\": $mid\}$" "$ev"

# never after a rollback: a message_sent hook that reads the thread (mark_read emits thread_read),
# then raises for a message 'vetoed'; for a message 'kept' it raises inside a savepoint of its own
# after a second mark_read, and catches it: only that thread_read is undone
q "$COORD" "CREATE FUNCTION public.chat_test_veto(e jsonb) RETURNS void LANGUAGE plpgsql AS \$f\$
DECLARE
    body text := (SELECT m.content FROM chat.message m
                   WHERE m.thread_id = $t1 AND m.id = (e->>'message_id')::bigint);
BEGIN
    IF (e->>'thread_id')::bigint <> $t1 OR body NOT IN ('vetoed', 'kept') THEN
        RETURN;
    END IF;
    PERFORM chat.mark_read($t1, 3);
    IF body = 'vetoed' THEN
        RAISE EXCEPTION 'vetoed';
    END IF;
    BEGIN
        PERFORM chat.mark_read($t1, 1);
        RAISE EXCEPTION 'undone';
    EXCEPTION WHEN raise_exception THEN
        NULL;
    END;
END
\$f\$" >/dev/null
is "add_hook on a cluster" "t" "SELECT chat.add_hook('message_sent', 'public.chat_test_veto(jsonb)')"
# (an event sent at the abort would come after the error: the session waits for it a while)
ev=$(heard chat "SELECT chat.new_reply($t1, 2, 'vetoed')" "SELECT pg_sleep(0.5)")
if grep -q 'vetoed' <<<"$ev" && [[ -z "$(notified "$ev")" ]]; then
    pass "a delegated reply that fails after its hook emitted an event: nothing reaches the coordinator"
else
    fail "a delegated reply that fails after its hook emitted an event: nothing reaches the coordinator" "$ev"
fi
ev=$(heard chat "SELECT chat.new_reply($t1, 2, 'kept')")
is_heard "a savepoint rolled back in a delegated reply: its event is dropped, the others arrive" \
    "^\{[^|]*\"event\": \"thread_read\", [^|]*\"user_id\": 3, \"thread_id\": $t1, [^|]*\}\|\{[^|]*\"event\": \"message_sent\", [^|]*\"user_id\": 2, \"thread_id\": $t1, [^|]*\}$" "$ev"
is "remove_hook on a cluster" "t" "SELECT chat.remove_hook('message_sent', 'public.chat_test_veto(jsonb)')"

# the doorbell ({"seq": n}, at most once per notify_interval_ms by a backend) on a channel of one's own
q "$COORD" "SELECT chat.set_setting('notify_full_payload', 'false')" "SELECT chat.set_setting('notify_channel', '\"chat_bell\"')" \
    "SELECT chat.set_setting('notify_interval_ms', '0')" >/dev/null
ev=$(heard chat_bell "SELECT chat.new_reply($t1, 2, 'ring')" "SELECT chat.new_reply($t1, 2, 'ring again')")
is_heard "doorbell on notify_channel: a delegated reply rings it on the coordinator, every time with interval 0" \
    '^\{"seq": [0-9]+\}\|\{"seq": [0-9]+\}$' "$ev"
q "$COORD" "SELECT chat.set_setting('notify_interval_ms', '60000')" >/dev/null
ev=$(heard chat_bell "SELECT chat.new_reply($t1, 2, 'ring')" "SELECT chat.new_reply($t1, 2, 'ring again')" \
    "SELECT chat.new_reply($t1, 2, 'and again')")
is_heard "doorbell: a worker's backend rings at most once per notify_interval_ms" '^(\{"seq": [0-9]+\})?$' "$ev"
q "$COORD" "SELECT chat.set_setting('notify_channel', NULL)" "SELECT chat.set_setting('notify_interval_ms', NULL)" \
    "SELECT chat.set_setting('notify_full_payload', 'true')" >/dev/null

# a worker that cannot reach the coordinator: the call commits, a WARNING says the events were lost
# (citus.node_conninfo, which the relay uses as Citus does, names a missing root certificate)
holder_dir=$DIR/worker$(( holder - COORD ))
q "$holder" "ALTER SYSTEM SET citus.node_conninfo = 'sslmode=verify-full sslrootcert=/nonexistent/root.crt'" \
    "SELECT pg_reload_conf()" >/dev/null
sleep 0.5
ev=$(heard chat "SELECT chat.new_reply($t1, 2, 'unheard')" "SELECT pg_sleep(0.5)")
q "$holder" "ALTER SYSTEM RESET citus.node_conninfo" "SELECT pg_reload_conf()" >/dev/null
sleep 0.5
if [[ -z "$(notified "$ev")" ]] && [[ "$(q "$COORD" "SELECT count(*) FROM chat.message WHERE thread_id = $t1 AND content = 'unheard'")" == 1 ]] &&
    as_pg grep -q 'could not send 1 event notifications to the Citus coordinator' "$holder_dir/log"; then
    pass "coordinator unreachable from the worker: the reply commits, the worker logs a WARNING"
else
    fail "coordinator unreachable from the worker: the reply commits, the worker logs a WARNING" "$ev" \
        "$(as_pg tail -5 "$holder_dir/log")"
fi
ev=$(heard chat "SELECT chat.new_reply($t1, 2, 'heard again')")
is_heard "and once it is reachable again, the events arrive" '"event": "message_sent"' "$ev"
# a prepared transaction cannot carry NOTIFYs (PostgreSQL refuses them too), nor a worker's relay
ev=$(q "$holder" "BEGIN" "SELECT chat.new_reply($t1, 2, 'prepared')" "PREPARE TRANSACTION 'chat_relay_check'")
if grep -q 'cannot PREPARE a transaction that has chat events to send to the Citus coordinator' <<<"$ev" &&
    [[ "$(q "$holder" "SELECT count(*) FROM pg_prepared_xacts WHERE gid = 'chat_relay_check'")" == 0 ]]; then
    pass "PREPARE TRANSACTION after a chat event on a worker is refused"
else
    fail "PREPARE TRANSACTION after a chat event on a worker is refused" "$ev"
    q "$holder" "ROLLBACK PREPARED 'chat_relay_check'" >/dev/null 2>&1
fi
ev=$(as_pg "$BIN/psql" -X -q -h 127.0.0.1 -p "$COORD" -U postgres -d chat_dist <<EOF 2>&1
LISTEN chat;
BEGIN;
SELECT chat.new_reply($t1, 2, 'rolled back');
ROLLBACK;
SELECT pg_sleep(0.2);
EOF
)
if grep -q 'Asynchronous notification "chat"' <<<"$ev"; then
    fail "no event after a rollback" "a notification arrived"
else
    pass "no event after a rollback"
fi

# ---------------------------------------------------------------- an end user
echo "# an end user (a mapped role)"
q "$COORD" "CREATE ROLE chat_dan LOGIN" "GRANT USAGE ON SCHEMA chat TO chat_dan" "SELECT chat.map_role('chat_dan', 3)" >/dev/null 2>&1
is "current_user_id() of a mapped role" "3" "SET ROLE chat_dan" "SELECT chat.current_user_id()"
is "an end user's inbox" "t" "SET ROLE chat_dan" "SELECT count(*) > 0 FROM chat.inbox()"
like "an end user's reply" '^[0-9]+$' "SET ROLE chat_dan" "SELECT chat.new_reply($t1, content => 'from dan')"
# the check of the caller's role ran on the worker with the room's rows, as chat's owner
q "$COORD" "SELECT chat.object_thread('product', '77', 1, 'private room', is_public => false)" >/dev/null
like "an end user asking for the private room of an object she is not in: refused" \
   'user "3" is not a member of the room of product "77"' "SET ROLE chat_dan" "SELECT chat.object_thread('product', '77')"
# the worker's session is the end user's (Citus connects as the current user): so is the relay's
ev=$(heard chat "SET ROLE chat_dan" "SELECT chat.new_reply($t1, content => 'dan heard')")
is_heard "an end user's delegated reply: its event reaches the coordinator" \
    "^\{.*\"event\": \"message_sent\", .*\"user_id\": 3, \"thread_id\": $t1, .*\}$" "$ev"
q "$COORD" "CREATE ROLE chat_web LOGIN" "GRANT USAGE ON SCHEMA chat TO chat_web" >/dev/null 2>&1
is "an end user by JWT claims (request.jwt.claims): current_user_id()" "f
4" \
   "SET ROLE chat_web" "SELECT set_config('request.jwt.claims', '{\"sub\": \"4\"}', false) IS NULL" \
   "SELECT chat.current_user_id()"
is "an end user by JWT claims: unread_count" "f
t" \
   "SET ROLE chat_web" "SELECT set_config('request.jwt.claims', '{\"sub\": \"4\"}', false) IS NULL" \
   "SELECT threads >= 0 FROM chat.unread_count()"
# as PostgREST calls: claims set in the request's transaction; new_reply and mark_read then run on
# the coordinator and see them
like "an end user by JWT claims in a transaction (PostgREST): a reply" '^f
[0-9]+$' \
   "BEGIN" "SET LOCAL ROLE chat_web" "SELECT set_config('request.jwt.claims', '{\"sub\": \"4\"}', true) IS NULL" \
   "SELECT chat.new_reply($g, content => 'from claims')" "COMMIT"
like "an end user by JWT claims in a transaction: mark_read" '^f
[0-9]+$' \
   "BEGIN" "SET LOCAL ROLE chat_web" "SELECT set_config('request.jwt.claims', '{\"sub\": \"4\"}', true) IS NULL" \
   "SELECT chat.mark_read($g)" "COMMIT"
# a call delegated to a worker does not see the caller's claims: refused there, saying what to do
# (README "Running on Citus")
like "an end user by claims alone in autocommit: the delegated call is refused with a hint" \
   'has no chat user.*HINT:.*map the role' \
   "SET ROLE chat_web" "SELECT set_config('request.jwt.claims', '{\"sub\": \"4\"}', false) IS NULL" \
   "SELECT chat.mark_read($g, 4)"
# messages in a transaction runs on the coordinator; its per-message reads (reactions) run in the
# shard's query on the worker
last=$(q "$COORD" "SELECT max(id) FROM chat.message WHERE thread_id = $g AND deleted_at IS NULL")
q "$COORD" "SELECT chat.add_reaction($last, 4, '+1')" >/dev/null
like "an end user by JWT claims in a transaction: messages, with their reactions" '^f
[1-9][0-9]*\|true$' \
   "BEGIN" "SET LOCAL ROLE chat_web" "SELECT set_config('request.jwt.claims', '{\"sub\": \"4\"}', true) IS NULL" \
   "SELECT count(*) || '|' || bool_or(reactions <> '[]') FROM chat.messages($g, page_size => 200)" "COMMIT"
like "an end user by claims alone in autocommit: messages (delegated) is refused with the hint" \
   'has no chat user.*HINT:.*map the role' \
   "SET ROLE chat_web" "SELECT set_config('request.jwt.claims', '{\"sub\": \"4\"}', false) IS NULL" \
   "SELECT count(*) FROM chat.messages($g, 4)"
like "a mapped role's call is delegated and works" 'pushing down the function call.*
[0-9]+$' \
   "SET ROLE chat_dan" "SET client_min_messages = debug1" "SELECT chat.mark_read($g)"
is "a mapped role's messages (delegated)" "t" "SET ROLE chat_dan" "SELECT count(*) > 0 FROM chat.messages($g)"
is "verify_unread at the end" "" "SELECT * FROM chat.verify_unread()"

# ---------------------------------------------------------------- users table
# chat.use_user_table on a cluster: the users table must be a reference table, made one when its
# owner binds it and refused otherwise; the keys are added once, on the coordinator (the binding's
# insert trigger fires on each placement and skips them), and deleting a user cascades on the
# workers as on one node
echo "# a users table bound with chat.use_user_table"
q "$COORD" "CREATE ROLE cu_other LOGIN" "GRANT USAGE ON SCHEMA chat TO cu_other" \
  "SELECT chat.set_setting('server_roles', (SELECT value FROM chat.settings WHERE key = 'server_roles') || '[\"cu_other\"]')" \
  "CREATE TABLE public.cu_user (id bigint PRIMARY KEY)" "GRANT REFERENCES ON public.cu_user TO cu_other" \
  "INSERT INTO public.cu_user SELECT DISTINCT u FROM (SELECT user_id FROM chat.member UNION SELECT sender_id FROM chat.message
     UNION SELECT created_by FROM chat.thread UNION SELECT last_sender_id FROM chat.thread
     UNION SELECT 90001 UNION SELECT 90002 UNION SELECT 90003) s (u) WHERE u IS NOT NULL" \
  "CREATE FUNCTION public.cu_name(id bigint) RETURNS text LANGUAGE sql STABLE
     AS \$\$SELECT 'user ' || u.id FROM public.cu_user u WHERE u.id = \$1\$\$" >/dev/null 2>&1
like "a local users table bound by a role that does not own it is refused; the hint names create_reference_table" \
   'is not a Citus reference table.*HINT:.*create_reference_table' \
   "SET ROLE cu_other" "SELECT chat.use_user_table('public.cu_user')"
is "bound by its owner, a local users table becomes a reference table" "
n|t" \
   "SET client_min_messages = warning" "SELECT chat.use_user_table('public.cu_user', display_name => 'public.cu_name(bigint)')" \
   "SELECT partmethod::text || '|' || repmodel::text FROM pg_dist_partition WHERE logicalrelid = 'public.cu_user'::regclass"
# with a quoted body Citus sends it to the workers (README "Running on Citus")
is_on "$W1" "the display-name function runs on worker 1" "user 90001" "SELECT public.cu_name(90001)"
is "its four keys, validated" "member_user_fkey|true|c
message_sender_fkey|true|c
thread_created_by_fkey|true|n
thread_last_sender_fkey|true|n" \
   "SELECT conname || '|' || convalidated || '|' || confdeltype::text FROM pg_constraint
     WHERE confrelid = 'public.cu_user'::regclass ORDER BY 1"
is_on "$W1" "the keys on worker 1's shards" "t" \
   "SELECT count(*) > 0 FROM pg_constraint WHERE conname LIKE 'member\_user\_fkey\_%'"
cu=$(q "$COORD" "SELECT chat.new_message(90001, '{90002,90003}', 'users table', 'hello')")
cut=$(q "$COORD" "SELECT thread_id FROM chat.message WHERE id = $cu")
q "$COORD" "SELECT chat.new_reply($cut, 90002, 'hi')" >/dev/null
is "deleting a user cascades to his member and message rows" "0|0" \
   "DELETE FROM public.cu_user WHERE id = 90002" \
   "SELECT (SELECT count(*) FROM chat.member WHERE user_id = 90002) || '|' ||
           (SELECT count(*) FROM chat.message WHERE sender_id = 90002)"
is "and the thread's counters follow" "2" "SELECT member_count FROM chat.thread WHERE id = $cut"
is "restrict: a user chat knows cannot be deleted" "" "SELECT chat.use_user_table('public.cu_user', on_delete => 'restrict')"
like "restrict: refused" 'violates foreign key constraint' "DELETE FROM public.cu_user WHERE id = 90003"
is "anonymize: binds" "" "SELECT chat.use_user_table('public.cu_user', on_delete => 'anonymize')"
is "anonymize: the creator deleted, the thread keeps its messages" "true|1" \
   "DELETE FROM public.cu_user WHERE id = 90001" \
   "SELECT (created_by IS NULL) || '|' || (SELECT count(*) FROM chat.message WHERE thread_id = $cut AND sender_id IS NULL)
      FROM chat.thread WHERE id = $cut"
is "unbinding drops the keys everywhere" "
0|0" "SELECT chat.use_user_table(NULL)" \
   "SELECT count(*) || '|' || (SELECT count(*) FROM pg_constraint WHERE conname LIKE 'member\_user\_fkey%')
      FROM pg_constraint WHERE confrelid = 'public.cu_user'::regclass"
is "verify_unread after the users table" "" "SELECT * FROM chat.verify_unread()"
q "$COORD" "DROP FUNCTION public.cu_name(bigint)" "DROP TABLE public.cu_user" "SELECT chat.set_setting('server_roles', (SELECT value FROM chat.settings WHERE key = 'server_roles') - 'cu_other')" "DROP OWNED BY cu_other" "DROP ROLE cu_other" >/dev/null

# ---------------------------------------------------------------- TRUNCATE
# the truncate trigger fires on every shard too; the coordinator's empties the dependent tables
is "TRUNCATE chat.message empties the edits and reactions with it" "0|0|0" \
   "TRUNCATE chat.message" \
   "SELECT (SELECT count(*) FROM chat.message) || '|' || (SELECT count(*) FROM chat.message_edit) || '|' ||
           (SELECT count(*) FROM chat.reaction)"

# ---------------------------------------------------------------- drop and reinstall
echo "# DROP EXTENSION and a new CREATE EXTENSION"
q "$COORD" "DROP EXTENSION chat CASCADE" "DROP SCHEMA IF EXISTS chat CASCADE" >/dev/null 2>&1
is "no chat table left in the Citus metadata" "0" \
   "SELECT count(*) FROM pg_dist_partition WHERE logicalrelid::text LIKE 'chat.%'"
is_on "$W1" "no chat shard left on worker 1" "0" \
   "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'chat'"
is_on "$W2" "no chat shard left on worker 2" "0" \
   "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'chat'"
is "CREATE EXTENSION chat again distributes again" "15" \
   "CREATE EXTENSION chat" "SELECT count(*) FROM pg_dist_partition WHERE logicalrelid::text LIKE 'chat.%'"
is "and works" "t" "SELECT chat.new_message(1, '{2}', 'again', 'x') > 0"

# ---------------------------------------------------------------- update from the last release
# ALTER EXTENSION chat UPDATE on a coordinator: Citus updates the workers after the
# coordinator's script, so the script only says (a WARNING) to distribute; chat.distribute() then
# distributes the rows the release kept in plain tables.
echo "# chat 0.8 on the coordinator, ALTER EXTENSION chat UPDATE, chat.distribute()"
q "$COORD" "DROP EXTENSION chat CASCADE" "DROP SCHEMA IF EXISTS chat CASCADE" >/dev/null 2>&1
is "chat 0.8 installs on a coordinator, undistributed" "0.8 0" \
   "CREATE EXTENSION chat VERSION '0.8'" \
   "SELECT (SELECT extversion FROM pg_extension WHERE extname = 'chat') || ' ' || (SELECT count(*) FROM pg_dist_partition WHERE logicalrelid::text LIKE 'chat.%')"
q "$COORD" "SELECT chat.new_message(1, '{2,3}', 'before', 'hello')" \
   "SELECT chat.new_reply(1, 2, 'a reply under 0.8')" "SELECT chat.new_reply(1, 3, 'another')" >/dev/null
is "history written under 0.8" "3" "SELECT count(*) FROM chat.message"
like "the update says to distribute" 'chat.distribute' "ALTER EXTENSION chat UPDATE"
is "every node at the new version" "$(q "$COORD" "SELECT default_version FROM pg_available_extensions WHERE name = 'chat'")" \
   "SELECT extversion FROM pg_extension WHERE extname = 'chat'"
is_on "$W1" "worker 1 updated by Citus" "$(q "$COORD" "SELECT extversion FROM pg_extension WHERE extname = 'chat'")" \
   "SELECT extversion FROM pg_extension WHERE extname = 'chat'"
q "$COORD" "SELECT chat.distribute()" >/dev/null
is "chat.distribute() after the update distributes chat and its rows" "15 3" \
   "SELECT (SELECT count(*) FROM pg_dist_partition WHERE logicalrelid::text LIKE 'chat.%') || ' ' || (SELECT count(*) FROM chat.message)"
is "the updated history counts exactly" "" "SELECT * FROM chat.verify_unread()"
like "a reply in the updated thread runs on its worker" 'Task Count: 1' "EXPLAIN SELECT chat.new_reply(1, 2, 'after')"
is "its id comes after the history's" "t" \
   "SELECT chat.new_reply(1, 2, 'after the update') > (SELECT max(id) FROM chat.message WHERE content <> 'after the update')"
is "and every counter is exact" "" "SELECT * FROM chat.verify_unread()"
