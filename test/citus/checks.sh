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
event_shard|h
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
is "the 7 per-thread tables and chat.event_shard in one colocation group" "1" \
   "SELECT count(DISTINCT colocationid) FROM pg_dist_partition WHERE partmethod = 'h' AND logicalrelid::text LIKE 'chat.%'"
is "distributed by the thread id" "chat.attachment:thread_id,chat.event:thread_id,chat.event_shard:thread_id,chat.member:thread_id,chat.message:thread_id,chat.message_edit:thread_id,chat.reaction:thread_id,chat.thread:id" \
   "SELECT string_agg(logicalrelid::text || ':' || column_to_column_name(logicalrelid, partkey), ',' ORDER BY logicalrelid::text)
      FROM pg_dist_partition WHERE partmethod = 'h' AND logicalrelid::text LIKE 'chat.%'"
is "shards of the per-thread tables on both workers only" "$W1|16
$W2|16" \
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
# until swap_model distributed it itself (0.9): a table still on the coordinator is distributed by thread_id with chat.thread
echo "# a swapped model on a cluster"
q "$COORD" "CREATE TABLE public.cm_meta (thread_id bigint, message_id bigint, mood text DEFAULT 'calm' CHECK (mood <> 'angry'),
              tags text[], data jsonb, PRIMARY KEY (thread_id, message_id),
              FOREIGN KEY (thread_id, message_id) REFERENCES chat.message (thread_id, id) ON DELETE CASCADE)" >/dev/null
lm=$(q "$COORD" "SELECT max(id) FROM chat.message WHERE thread_id = $lv")
q "$COORD" "GRANT SELECT, INSERT, UPDATE, DELETE ON public.cm_meta TO chat_srv" \
  "INSERT INTO public.cm_meta VALUES ($lv, $lm, 'early')" >/dev/null
is "swap_model of a table on the coordinator only, by a server role (not a superuser): distributed with chat.thread, its row kept" \
   "swapped
true|early" \
   "SET client_min_messages = warning" "SET ROLE chat_srv" "SELECT 'swapped' FROM chat.swap_model('message', 'public.cm_meta')" "RESET ROLE" \
   "SELECT (SELECT p.colocationid = c.colocationid AND column_to_column_name(p.logicalrelid, p.partkey) = 'thread_id'
              FROM pg_dist_partition p, pg_dist_partition c
             WHERE p.logicalrelid = 'public.cm_meta'::regclass AND c.logicalrelid = 'chat.thread'::regclass)
           || '|' || (SELECT string_agg(mood, ',') FROM public.cm_meta)"
is "swapping the distributed table again: accepted, nothing moves" "swapped
1" \
   "SELECT 'swapped' FROM chat.swap_model('message', 'public.cm_meta')" "SELECT count(*) FROM public.cm_meta"
cm=$(q "$COORD" "SELECT chat.new_reply($lv, 62, 'moody', extra => '{\"mood\": \"happy\"}')")
is "a delegated reply with extra fills the model's table on the worker" "happy" \
   "SELECT mood FROM public.cm_meta WHERE thread_id = $lv AND message_id = $cm"
like "messages returns the model's row as extra" 'happy$' "SELECT extra ->> 'mood' FROM chat.messages($lv, 62)"
# Citus sent chat's INSERT ... SELECT of a model's row as COPY, whose errors came back as XX000;
# the row is now one routed INSERT ... VALUES, and the table's own SQLSTATE reaches the caller
like "a delegated reply whose extra breaks the model table's CHECK: 23514, as on one node" \
   'ERROR:  23514: new row for relation "cm_meta_[0-9]+" violates check constraint "cm_meta_mood_check"' \
   "\\set VERBOSITY verbose" "SELECT chat.new_reply($lv, 62, 'cross', extra => '{\"mood\": \"angry\"}')"
like "the same in a transaction block (run on the coordinator): 23514" \
   'ERROR:  23514: new row for relation "cm_meta_[0-9]+" violates check constraint "cm_meta_mood_check"' \
   "\\set VERBOSITY verbose" "BEGIN" "SELECT chat.new_reply($lv, 62, 'cross', extra => '{\"mood\": \"angry\"}')"
like "the same as a server role (not a superuser), in a transaction block: 23514" \
   'ERROR:  23514: new row for relation "cm_meta_[0-9]+" violates check constraint "cm_meta_mood_check"' \
   "\\set VERBOSITY verbose" "SET ROLE chat_srv" "BEGIN" "SELECT chat.new_reply($lv, 62, 'cross', extra => '{\"mood\": \"angry\"}')"
is "and neither reply was written" "0" "SELECT count(*) FROM chat.message WHERE thread_id = $lv AND content = 'cross'"
cm2=$(q "$COORD" "BEGIN" "SELECT chat.new_reply($lv, 62, 'fields', extra => \$\${\"tags\": [\"a\", \"b c\", null, \"it's\"], \"data\": {\"x\": [1, \"it's\\\\\"]}}\$\$)" "COMMIT")
is "a reply's fields of other types in a transaction block: an array and JSON stored as given" \
   '{a,"b c",NULL,it'"'"'s}|{"x": [1, "it'"'"'s\\"]}|calm' \
   "SELECT tags::text || '|' || data::text || '|' || mood FROM public.cm_meta WHERE thread_id = $lv AND message_id = ${cm2%%$'\n'*}"
# a renderer is this node's function: chat renders after the query that read the rows, which
# Citus may run whole on the worker, where the coordinator's oid of the function names nothing
q "$COORD" "CREATE TABLE public.cm_react (thread_id bigint, message_id bigint, user_id chat.user_id, reaction text,
              weight int DEFAULT 1, PRIMARY KEY (thread_id, message_id, user_id, reaction),
              FOREIGN KEY (thread_id, message_id, user_id, reaction)
                  REFERENCES chat.reaction (thread_id, message_id, user_id, reaction) ON DELETE CASCADE)" \
  "CREATE FUNCTION public.cm_render(extra jsonb) RETURNS jsonb LANGUAGE sql AS \$\$ SELECT extra || '{\"rendered\": true}' \$\$" \
  "SET client_min_messages = warning" "SELECT chat.swap_model('reaction', 'public.cm_react')" \
  "SELECT chat.swap_renderer('reaction', 'public.cm_render(jsonb)')" "SELECT chat.add_reaction($cm, 62, 'up')" >/dev/null
is "reaction_users (run on the coordinator) renders a reaction's extra with a registered renderer" "up|62|3|true" \
   "SELECT reaction || '|' || user_id || '|' || (extra ->> 'weight')::int + 2 || '|' || (extra ->> 'rendered')
      FROM chat.reaction_users($cm, 62)"
is "and as a server role (not a superuser)" "true" \
   "SET ROLE chat_srv" "SELECT extra ->> 'rendered' FROM chat.reaction_users($cm, 62)"
is "and a delegated messages() renders it on the worker" "true" \
   "SELECT reactions -> 0 -> 'extra' -> '62' ->> 'rendered' FROM chat.messages($lv, 62) WHERE id = $cm"
q "$COORD" "SELECT chat.swap_renderer('reaction', NULL)" "SELECT chat.swap_model('reaction', NULL)" \
  "DROP TABLE public.cm_react" "DROP FUNCTION public.cm_render(jsonb)" >/dev/null
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
# a coordinator that does not answer: a session there holds the lock every NOTIFY takes at commit
# (it notified, and its commit waits for a synchronous standby that does not exist), so the relay's
# pg_notify waits. A worker session's first commit with events waits 2 s and warns; its next ones
# within 10 s do not wait for the coordinator again, and say so
q "$COORD" "ALTER SYSTEM SET synchronous_standby_names = 'chat_nobody'" "SELECT pg_reload_conf()" >/dev/null
sleep 1
q "$COORD" "BEGIN" "SET LOCAL synchronous_commit = on" "CREATE TEMP TABLE chat_hold ()" "NOTIFY chat_hold" "COMMIT" >/dev/null 2>&1 &
hold=$!
sleep 1
ev=$(q "$holder" "SELECT chat.new_reply($t1, 2, 'unanswered 1') > 0" "SELECT chat.new_reply($t1, 2, 'unanswered 2') > 0")
q "$COORD" "ALTER SYSTEM RESET synchronous_standby_names" "SELECT pg_reload_conf()" >/dev/null
wait "$hold" || true
sleep 0.5
if grep -q 'could not send 1 event notifications to the Citus coordinator "[^"]*": timeout expired' <<<"$ev" &&
    grep -q 'HINT:  The coordinator did not answer within 2 s' <<<"$ev" &&
    grep -Eq 'could not send 1 event notifications to the Citus coordinator "[^"]*": it did not answer in time [0-9]+ ms ago' <<<"$ev" &&
    [[ "$(grep -c '^t$' <<<"$ev")" == 2 ]]; then
    pass "a coordinator that does not answer: the session's next commit does not wait for it again"
else
    fail "a coordinator that does not answer: the session's next commit does not wait for it again" "$ev"
fi
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

# ---------------------------------------------------------------- changes, feed, notifications by cursor
# Event rows live on the worker holding their thread, written with that worker's transaction id; a
# cursor holds one snapshot per shard, each taken on its worker by the statement reading that
# shard's events (README "Running on Citus"). Threads on both workers; two on worker 1, so that a
# transaction open there (an older xid) commits after a newer one of the same node.
echo "# chat.changes, chat.feed and claim_notifications across both workers"
q "$COORD" "SELECT chat.new_message(60, ARRAY[61], 'cursor ' || i, 'start') FROM generate_series(1, 8) i" >/dev/null
on_worker() {   # on_worker PORT: the threads of 'cursor %' held by that worker
    local t out=()
    for t in $(q "$COORD" "SELECT id FROM chat.thread WHERE subject LIKE 'cursor %' ORDER BY id"); do
        [[ "$(q "$COORD" "SELECT n.nodeport FROM pg_dist_placement pl JOIN pg_dist_node n USING (groupid)
                           WHERE pl.shardid = get_shard_id_for_distribution_column('chat.thread', $t)")" == "$1" ]] && out+=("$t")
    done
    echo "${out[*]}"
}
read -r a1 a2 _ <<<"$(on_worker "$W1")"
read -r b1 _ <<<"$(on_worker "$W2")"
is "threads for the cursor checks: two on worker 1, one on worker 2" "t" \
   "SELECT $a1 > 0 AND $a2 > 0 AND $b1 > 0"
# ids SINCE: the message ids of the message_sent events chat.changes(61, SINCE) returns, in its order
ids() {
    q "$COORD" "SELECT coalesce(string_agg(e->>'message_id', ',' ORDER BY o), '')
                  FROM jsonb_array_elements(chat.changes(61, '$1')->'events') WITH ORDINALITY x (e, o)
                 WHERE e->>'event' = 'message_sent'"
}
q "$COORD" "SELECT count(*) FROM chat.claim_notifications('cursor checks', 1000)" >/dev/null
c0=$(q "$COORD" "SELECT chat.changes(61)->>'cursor'")
like "a cursor holds a snapshot of each shard of chat.event" \
   "^[0-9]+\.[0-9]+\.[0-9]+/[12]/[0-9]+:[0-9]+:[0-9,]*(~[0-9]+/[12]/[0-9]+:[0-9]+:[0-9,]*){3}$" "SELECT '$c0'"
# a transaction open on worker 1 (its xid older) while a newer one there and one on worker 2 commit:
# a session fed through a fifo, left idle in its transaction until told to commit
mkfifo "$DIR/slow.fifo"
as_pg "$BIN/psql" -X -A -t -q -h 127.0.0.1 -p "$COORD" -U postgres -d "dbname=chat_dist application_name=chat_slow" \
    <"$DIR/slow.fifo" >"$DIR/slow.out" 2>&1 &
slow_pid=$!
exec 3>"$DIR/slow.fifo"
echo "BEGIN; SELECT chat.new_reply($a1, 60, 'slow');" >&3
for _ in $(seq 1 100); do
    [[ "$(q "$COORD" "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'chat_slow' AND state = 'idle in transaction'")" == 1 ]] && break
    sleep 0.1
done
fast=$(q "$COORD" "SELECT chat.new_reply($a2, 60, 'fast')")
other=$(q "$COORD" "SELECT chat.new_reply($b1, 60, 'other')")
r1=$(q "$COORD" "SELECT chat.changes(61, '$c0')")
c1=$(q "$COORD" "SELECT '$r1'::jsonb->>'cursor'")
is "changes while a transaction is open on worker 1: the committed replies of both workers, in order" "$fast,$other" \
   "SELECT coalesce(string_agg(e->>'message_id', ',' ORDER BY o), '') FROM jsonb_array_elements('$r1'::jsonb->'events') WITH ORDINALITY x (e, o)
     WHERE e->>'event' = 'message_sent'"
is "claim_notifications meanwhile: the committed replies of both workers" "$fast,$other" \
   "SELECT string_agg(message_id::text, ',' ORDER BY message_id) FROM chat.claim_notifications('cursor checks', 1000) WHERE user_id = 61"
echo "COMMIT;" >&3
exec 3>&-
wait "$slow_pid"
slow=$(grep -E '^[0-9]+$' "$DIR/slow.out" | head -1)
is "the open transaction committed: the next call returns its reply alone" "$slow" "SELECT '$(ids "$c1")'"
is "from the first cursor: the three replies once each, as written" "$slow,$fast,$other" "SELECT '$(ids "$c0")'"
c2=$(q "$COORD" "SELECT chat.changes(61, '$c1')->>'cursor'")
is "and nothing after them" "" "SELECT '$(ids "$c2")'"
is "feed on the coordinator: the three replies with their recipients" \
   "$slow:[60, 61]|$fast:[60, 61]|$other:[60, 61]" \
   "SELECT string_agg((e->'event'->>'message_id') || ':' || (e->'recipients')::text, '|' ORDER BY o)
      FROM jsonb_array_elements(chat.feed('$c0')->'events') WITH ORDINALITY x (e, o) WHERE e->'event'->>'event' = 'message_sent'"
is "feed: nothing twice across calls" "0" \
   "SELECT jsonb_array_length(chat.feed(chat.feed('$c0')->>'cursor')->'events')"
q "$COORD" "BEGIN" "SELECT chat.new_reply($b1, 60, 'rolled back')" "ROLLBACK" >/dev/null
is "nothing after a rollback on worker 2" "" "SELECT '$(ids "$c2")'"
out=$(q "$COORD" "BEGIN" "SELECT chat.new_reply($b1, 60, 'mine')" \
        "SELECT string_agg(e->>'message_id', ',') FROM jsonb_array_elements(chat.changes(61, '$c2')->'events') e" "COMMIT")
mine=$(head -1 <<<"$out")
if [[ "$mine" =~ ^[0-9]+$ && "$out" == "$mine"$'\n'"$mine" ]]; then
    pass "a reply in the caller's transaction: returned by changes inside it, as on one node"
else
    fail "a reply in the caller's transaction: returned by changes inside it, as on one node" "got: $out"
fi
is "and after its commit, once" "$mine" "SELECT '$(ids "$c2")'"
is "claim_notifications: every reply of both workers notified exactly once, none rolled back" "t
true|true" \
   "SELECT count(*) >= 0 FROM chat.claim_notifications('cursor checks', 1000)" \
   "SELECT (count(*) = count(DISTINCT message_id)) || '|' ||
           (array_agg(message_id ORDER BY message_id) = (SELECT array_agg(m.id ORDER BY m.id) FROM chat.message m
                                                          WHERE m.thread_id IN ($a1, $a2, $b1) AND m.sender_id = 60))
      FROM chat.notification WHERE user_id = 61 AND thread_id IN ($a1, $a2, $b1)"
like "a garbage cursor: 22023 invalid cursor" 'invalid cursor "garbage"' "SELECT chat.changes(61, 'garbage')"
like "a cursor shaped like a cluster's with a broken snapshot: invalid cursor" 'invalid cursor' \
   "SELECT chat.feed('1.2.3/1/9:5:')"
is "a cursor of another cluster: reload" "true|0" \
   "SELECT (r->>'reload') || '|' || jsonb_array_length(r->'events') FROM chat.changes(61, '1.${c0#*.}') r"
is "a cursor of one node (before chat was distributed): reload" "true" \
   "SELECT chat.changes(61, '${c0%%.*}.$(q "$COORD" "SELECT oid FROM pg_database WHERE datname = current_database()")' || '.1:1:')->>'reload'"
is "a cursor whose shards differ from today's: reload" "true" "SELECT chat.changes(61, '${c2%~*}')->>'reload'"
cp=$(q "$COORD" "SELECT chat.changes(61)->>'cursor'")
q "$COORD" "SELECT chat.new_reply($a1, 60, 'to prune')" "SELECT count(*) FROM chat.claim_notifications('cursor checks', 1000)" \
  "SELECT chat.set_setting('event_retention_days', '1')" \
  "UPDATE chat.event SET at = '2000-01-01' WHERE thread_id = $a1" >/dev/null
is "prune_events on a cluster; a cursor that had not seen the pruned events: reload" "t
true
false" \
   "SELECT chat.prune_events() > 0" "SELECT chat.changes(61, '$cp')->>'reload'" \
   "SELECT chat.changes(61, chat.changes(61)->>'cursor')->>'reload'"
q "$COORD" "SELECT chat.set_setting('event_retention_days', NULL)" >/dev/null
# a shard moved to the other worker: its events carry the xids of the node they came from
cm=$(q "$COORD" "SELECT chat.changes(61)->>'cursor'")
msh=$(q "$COORD" "SELECT get_shard_id_for_distribution_column('chat.thread', $b1)")
q "$COORD" "SELECT citus_move_shard_placement($msh, '127.0.0.1', $W2, '127.0.0.1', $W1, shard_transfer_mode => 'block_writes')" >/dev/null 2>&1
is "a shard moved to worker 1: a cursor from before says reload" "true" "SELECT chat.changes(61, '$cm')->>'reload'"
like "claim_notifications waits for chat.distribute() after the move (a WARNING), losing nothing elsewhere" \
   'notifications wait: a shard of chat.event moved' "SELECT count(*) FROM chat.claim_notifications('cursor checks', 1000)"
is "chat.distribute() after the move" "chat is distributed already; functions adapted again" "SELECT chat.distribute()"
cm=$(q "$COORD" "SELECT chat.changes(61)->>'cursor'")
moved=$(q "$COORD" "SELECT chat.new_reply($b1, 60, 'after the move')")
near=$(q "$COORD" "SELECT chat.new_reply($a2, 60, 'beside the move')")
is "then the moved thread's new reply and another's, once each" "$moved,$near" "SELECT '$(ids "$cm")'"
is "and claim_notifications expands them" "$moved,$near" \
   "SELECT string_agg(message_id::text, ',' ORDER BY message_id) FROM chat.claim_notifications('cursor checks', 1000) WHERE user_id = 61"

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
# direct reads under row-level security: the policies run on each shard's worker, where
# chat._is_member probes the thread's member shard (the shell chat.member holds no rows)
mine=$(q "$COORD" "SELECT count(*) || '|' || count(DISTINCT thread_id) FROM chat.message
                    WHERE deleted_at IS NULL AND thread_id IN (SELECT thread_id FROM chat.member WHERE user_id = 3)")
is "a mapped role reads chat.message directly: its threads' messages, none of the others" "$mine" \
   "SET ROLE chat_dan" "SELECT count(*) || '|' || count(DISTINCT thread_id) FROM chat.message WHERE deleted_at IS NULL"
is "and chat.member_view: the members of its threads only, display_name run on the workers" \
   "$(q "$COORD" "SELECT count(*) FROM chat.member WHERE thread_id IN (SELECT thread_id FROM chat.member WHERE user_id = 3)")" \
   "SET ROLE chat_dan" "SELECT count(*) FROM chat.member_view"
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
# direct reads by claims set with set_config: row-level security runs on the workers, where only
# SET LOCAL reaches (citus.propagate_set_commands = local); chat.propagate_identity() re-sets them
# so (PostgREST's db-pre-request), before the transaction's first read (README "Running on Citus")
mine4=$(q "$COORD" "SELECT count(*) FROM chat.message WHERE deleted_at IS NULL AND thread_id IN (SELECT thread_id FROM chat.member WHERE user_id = 4)")
is "an end user by claims (set_config) reads chat.message directly: the workers do not see the claims (no rows)" "f
0" \
   "BEGIN" "SET LOCAL ROLE chat_web" "SELECT set_config('request.jwt.claims', '{\"sub\": \"4\"}', true) IS NULL" \
   "SELECT count(*) FROM chat.message WHERE deleted_at IS NULL" "COMMIT"
is "... after chat.propagate_identity(): her threads' messages ($mine4), and chat.member_view" "f

$mine4
t" \
   "BEGIN" "SET LOCAL ROLE chat_web" "SELECT set_config('request.jwt.claims', '{\"sub\": \"4\"}', true) IS NULL" \
   "SELECT chat.propagate_identity()" "SELECT count(*) FROM chat.message WHERE deleted_at IS NULL" \
   "SELECT count(*) > 0 FROM chat.member_view" "COMMIT"
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
is "bound again as before after writes in the same transaction (a migration run at every start): nothing altered, no error" "t" \
   "BEGIN" "SELECT chat.new_reply($cut, 90003, 'before binding again') > 0" \
   "SET client_min_messages = warning" "SELECT chat.use_user_table('public.cu_user', display_name => 'public.cu_name(bigint)')" \
   "COMMIT"
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

# A display-name function that reads the users table, created while the table was local: Citus
# keeps it on the coordinator, and cannot run a RETURN body once the table is distributed
echo "# a display-name function reading the users table"
q "$COORD" "CREATE TABLE public.cn_user (id bigint PRIMARY KEY, name text NOT NULL)" \
  "INSERT INTO public.cn_user SELECT DISTINCT u, 'name ' || u FROM (SELECT user_id FROM chat.member UNION SELECT sender_id FROM chat.message
     UNION SELECT created_by FROM chat.thread UNION SELECT last_sender_id FROM chat.thread) s (u) WHERE u IS NOT NULL" \
  "CREATE FUNCTION public.cn_return(id bigint) RETURNS text LANGUAGE sql STABLE
     RETURN (SELECT u.name FROM public.cn_user u WHERE u.id = cn_return.id)" \
  "CREATE FUNCTION public.cn_atomic(id bigint) RETURNS text LANGUAGE sql STABLE
     BEGIN ATOMIC SELECT u.name FROM public.cn_user u WHERE u.id = cn_atomic.id; END" >/dev/null 2>&1
like "a RETURN body reading the users table is refused (0A000), the hint says how to write it" \
   'ERROR:  0A000: function "public.cn_return\(bigint\)" cannot be a display name function on a Citus cluster.*HINT:  Write its body as BEGIN ATOMIC' \
   "\set VERBOSITY verbose" "SELECT chat.use_user_table('public.cn_user', display_name => 'public.cn_return(bigint)')"
is "and nothing of it stays: the table is local, nothing bound" "0|0" \
   "SELECT (SELECT count(*) FROM pg_dist_partition WHERE logicalrelid = 'public.cn_user'::regclass) || '|' ||
           (SELECT count(*) FROM chat.user_binding)"
is "a BEGIN ATOMIC body binds; the table becomes a reference table" "
n" \
   "SET client_min_messages = warning" "SELECT chat.use_user_table('public.cn_user', display_name => 'public.cn_atomic(bigint)')" \
   "SELECT partmethod::text FROM pg_dist_partition WHERE logicalrelid = 'public.cn_user'::regclass"
is_on "$W2" "the function, created on the coordinator alone, now runs on worker 2" "name 2" "SELECT public.cn_atomic(2)"
ev=$(heard chat "SELECT chat.new_reply($t1, 2, 'named')")
is_heard "a delegated reply's event names its sender through it, on the worker" '"user_name": "name 2"' "$ev"
# Citus sends a multi-row insert of members as COPY, whose errors lose their SQLSTATE (XX000)
like "a new thread's member missing from the users table: 23503 member_user_fkey, as on one node" \
   'ERROR:  23503: insert or update on table "member" violates foreign key constraint "member_user_fkey".*DETAIL:  Key \(user_id\)=\(99999\) is not present in table "cn_user"' \
   "\set VERBOSITY verbose" "SELECT chat.new_message(1, '{2,99999}', 'unknown', 'x')"
like "add_members of a user missing from it: 23503 too" 'ERROR:  23503: .*member_user_fkey' \
   "\set VERBOSITY verbose" "SELECT chat.add_members($g, 1, '{99999}')"
q "$COORD" "SELECT chat.use_user_table(NULL)" "DROP FUNCTION public.cn_atomic(bigint)" "DROP FUNCTION public.cn_return(bigint)" \
  "DROP TABLE public.cn_user" >/dev/null

# ---------------------------------------------------------------- a shard moved
# A thread with history moved to the other worker and back. block_writes: the test nodes do not
# run with wal_level = logical, which Citus's default transfer (logical replication) needs.
echo "# a shard moved to the other worker and back"
t0=$(date +%s)
# node_of THREAD: the port of the worker holding the thread
node_of() {
    q "$COORD" "SELECT n.nodeport FROM pg_dist_placement pl JOIN pg_dist_node n USING (groupid)
                 WHERE pl.shardid = get_shard_id_for_distribution_column('chat.thread', $1)"
}
# move_thread THREAD TO_PORT: moves the thread's shard group to the worker on TO_PORT
move_thread() {
    q "$COORD" "SELECT citus_move_shard_placement(get_shard_id_for_distribution_column('chat.thread', $1),
                  '127.0.0.1', $(node_of "$1"), '127.0.0.1', $2, shard_transfer_mode => 'block_writes')" >/dev/null
}
m1=$(q "$COORD" "SELECT chat.new_message(60, '{61,62}', 'moving', 'm1')")
mv=$(q "$COORD" "SELECT thread_id FROM chat.message WHERE id = $m1")
for k in 2 3 4 5; do q "$COORD" "SELECT chat.new_reply($mv, $((60 + k % 2)), 'm$k')" >/dev/null; done
q "$COORD" "SELECT chat.mark_read($mv, 62, (SELECT id FROM chat.message WHERE thread_id = $mv AND content = 'm3'))" >/dev/null
e1=$(q "$COORD" "SELECT chat.new_message(70, '{61}', 'elsewhere', 'x')")
el=$(q "$COORD" "SELECT thread_id FROM chat.message WHERE id = $e1")
from=$(node_of "$mv")
to=$W1; [[ "$from" == "$W1" ]] && to=$W2
before=$(q "$COORD" "SELECT max(id) FROM chat.message WHERE thread_id = $mv")
move_thread "$mv" "$to"
is "citus_move_shard_placement moves a thread's shards (all its tables) to the other worker" "$to|8" \
   "SELECT min(n.nodeport) || '|' || count(*) FROM pg_dist_shard s JOIN pg_dist_placement pl USING (shardid)
      JOIN pg_dist_node n USING (groupid)
     WHERE s.shardid IN (SELECT shardid FROM pg_dist_shard WHERE logicalrelid::text LIKE 'chat.%'
                           AND shardminvalue IS NOT NULL AND get_shard_id_for_distribution_column(logicalrelid, $mv) = shardid)"
is "after the move: the counters recount exactly" "" "SELECT * FROM chat.verify_unread($mv)"
like "after the move: a reply is delegated to the thread's new worker" 'pushing down the function call' \
   "SET client_min_messages = debug1" "SELECT chat.new_reply($mv, 62, 'm6')"
is "its id is above the history's and names the new worker's group" "t|t" \
   "SELECT (max(id) > $before)::int::bool::text::char || '|' ||
           ((max(id) & 63) = (SELECT groupid FROM pg_dist_node WHERE nodeport = $to))::text::char
      FROM chat.message WHERE thread_id = $mv"
is "ids increase with the order of sending, across the move" "t" \
   "SELECT array_agg(id ORDER BY id) = array_agg(id ORDER BY sent_at, id) FROM chat.message WHERE thread_id = $mv"
# the new worker's clock behind the old one's by a second: the thread's last id is then "in the
# future"; the next is still above it (chat._citus_message_id) and still names the new worker
is_on "$to" "a new worker whose clock is 1 s behind: the next id is above the thread's last, names the new worker" "t|t" \
   "SELECT (n > x)::text::char || '|' || ((n & 63) = (SELECT groupid FROM pg_dist_local_group))::text::char
      FROM (SELECT x, chat._citus_message_id(x) AS n
              FROM (SELECT (floor((extract(epoch FROM clock_timestamp()) + 1 - 1735689600) * 10000)::bigint << 20)
                           | (5 << 6) | $(q "$COORD" "SELECT groupid FROM pg_dist_node WHERE nodeport = $from") AS x) a) b"
is "messages() after the move, in order" "m1,m2,m3,m4,m5,m6" \
   "SELECT string_agg(content, ',') FROM chat.messages($mv, 61)"
is "unread after the move: none for 62 (read m3, sent m6), m6 for 61 (sent m5)" "0|1" \
   "SELECT (SELECT unread_count FROM chat.inbox(62) WHERE thread_id = $mv) || '|' ||
           (SELECT unread_count FROM chat.inbox(61) WHERE thread_id = $mv)"
is "mark_read after the move" "1
0" "SELECT chat.mark_read($mv, 61)" "SELECT unread_count FROM chat.inbox(61) WHERE thread_id = $mv"
is "inbox order: the moved thread, replied to last, first" "$mv,$el" \
   "SELECT string_agg(thread_id::text, ',') FROM (SELECT thread_id FROM chat.inbox(61) LIMIT 2) i"
q "$COORD" "SELECT chat.new_reply($el, 70, 'newer elsewhere')" >/dev/null
is "inbox order: then a later reply in another thread puts that one first" "$el,$mv" \
   "SELECT string_agg(thread_id::text, ',') FROM (SELECT thread_id FROM chat.inbox(61) LIMIT 2) i"
ev=$(heard chat "SELECT chat.new_reply($mv, 61, 'm7')")
is_heard "after the move: a reply's event reaches a listener on the coordinator" \
    "^\{.*\"event\": \"message_sent\", .*\"thread_id\": $mv, .*\}$" "$ev"
# back to the first worker, whose pooled sessions served the thread before (cached plans, chat's
# caches) and where the moved-away shards waited to be dropped
q "$COORD" "CALL citus_cleanup_orphaned_resources()" >/dev/null
move_thread "$mv" "$from"
is "moved back to its first worker" "$from" "SELECT n.nodeport FROM pg_dist_placement pl JOIN pg_dist_node n USING (groupid)
     WHERE pl.shardid = get_shard_id_for_distribution_column('chat.message', $mv)"
m7=$(q "$COORD" "SELECT max(id) FROM chat.message WHERE thread_id = $mv")
m8=$(q "$COORD" "SELECT chat.new_reply($mv, 60, 'm8')")
is "back: a reply, its id above the last" "t" "SELECT '$m8' ~ '^[0-9]+$' AND '$m8'::bigint > $m7"
is "back: mark_read and messages" "2
m1,m2,m3,m4,m5,m6,m7,m8" "SELECT chat.mark_read($mv, 62)" "SELECT string_agg(content, ',') FROM chat.messages($mv, 60)"
is "message ids unique across the cluster, counters exact after the moves" "t" \
   "SELECT count(*) = count(DISTINCT id) FROM chat.message" "SELECT * FROM chat.verify_unread()"
echo "# moved there and back and checked in $(( $(date +%s) - t0 )) s"

# ---------------------------------------------------------------- a worker added
# A fourth node (test/citus/cluster.sh worker) registered after chat is installed: Citus installs
# chat there inside citus_add_node, whose install script makes the node ready as on the first
# workers; a rebalance then moves a shard group there, the reference tables first.
echo "# a worker added after install"
W3=$((CITUS_PORT + 3))
t0=$(date +%s)
if ! test/citus/cluster.sh worker "$DIR" >/dev/null 2>&1; then
    fail "a fourth node starts"
else
    # Citus does not reuse a group id: after 64 additions a node's group shares its remainder
    # modulo 64, which names the node in message ids, with an earlier one's
    like "a node whose group id shares worker 1's remainder modulo 64 is refused, with a hint" \
       'group 65 and group 1 would draw the same chat message ids.*HINT:.*groupid =>' \
       "SELECT citus_add_node('127.0.0.1', $W3, groupid => 65)"
    is "and is not registered" "3" "SELECT count(*) FROM pg_dist_node"
    is "citus_add_node after chat is installed" "t" "SELECT citus_add_node('127.0.0.1', $W3) > 0"
    g3=$(q "$COORD" "SELECT groupid FROM pg_dist_node WHERE nodeport = $W3")
    is_on "$W3" "Citus installs chat on the added worker, same version" "$version" \
       "SELECT extversion FROM pg_extension WHERE extname = 'chat'"
    is_on "$W3" "its event triggers off" "D|D|D" \
       "SELECT string_agg(evtenabled::text, '|' ORDER BY evtname) FROM pg_event_trigger WHERE evtname LIKE 'chat_%'"
    is_on "$W3" "its id range (group $g3 << 48)" "$(( (g3 << 48) + 1 ))" \
       "SELECT seqmin FROM pg_sequence WHERE seqrelid = 'chat.thread_id_seq'::regclass"
    is_on "$W3" "its functions adapted for Citus (chat._citus_adapt)" "plpgsql|1" \
       "SELECT (SELECT l.lanname FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
                 WHERE p.oid = 'chat.first_message(bigint)'::regprocedure) || '|' ||
               (SELECT count(*) FROM pg_proc WHERE proname = '_citus_verify_unread')"
    q "$COORD" "SELECT rebalance_table_shards('chat.thread', shard_transfer_mode => 'block_writes')" >/dev/null 2>&1
    is "rebalance_table_shards: a shard group of every per-thread table on the added worker, its reference tables copied" "t|8|8" \
       "SELECT (count(*) FILTER (WHERE s.shardminvalue IS NOT NULL) % 8 = 0 AND count(*) > 8)::text::char || '|' ||
               count(DISTINCT s.logicalrelid) FILTER (WHERE s.shardminvalue IS NOT NULL) || '|' ||
               count(*) FILTER (WHERE s.shardminvalue IS NULL)
          FROM pg_dist_shard s JOIN pg_dist_placement pl USING (shardid)
         WHERE pl.groupid = $g3 AND s.logicalrelid::text LIKE 'chat.%'"
    # the placements are the coordinator's own tables: looked up apart from chat's (Citus joins neither)
    spread=$(q "$COORD" "SELECT string_agg(id::text, ',' ORDER BY id) FROM chat.thread WHERE subject LIKE 'spread %'")
    on3=$(q "$COORD" "SELECT min(t) FROM unnest('{$spread}'::bigint[]) t
                       WHERE (SELECT groupid FROM pg_dist_placement
                               WHERE shardid = get_shard_id_for_distribution_column('chat.thread', t)) = $g3")
    if [[ ! "$on3" =~ ^[0-9]+$ ]]; then
        fail "a thread with history on the added worker" "got: $on3"
    else
        like "a reply in a thread now on the added worker: delegated there" 'pushing down the function call' \
           "SET client_min_messages = debug1" "SELECT chat.new_reply($on3, 10, 'on the added worker')"
        is "its id names the added worker's group" "$g3" \
           "SELECT max(id) & 63 FROM chat.message WHERE thread_id = $on3"
        like "mark_read and messages there" '^[0-9]+
.*[|]on the added worker$' \
           "SELECT chat.mark_read($on3, 11)" "SELECT string_agg(content, '|') FROM chat.messages($on3, 11)"
        ev=$(heard chat "SELECT chat.new_reply($on3, 11, 'heard from the added worker')")
        is_heard "its events reach a listener on the coordinator (the added worker's relay)" \
            "^\{.*\"event\": \"message_sent\", .*\"thread_id\": $on3, .*\}$" "$ev"
    fi
    # replies one per thread in thread order: on three workers now, the inbox lists them newest first
    for t in $(q "$COORD" "SELECT id FROM chat.thread WHERE subject LIKE 'spread %' ORDER BY id"); do
        q "$COORD" "SELECT chat.new_reply($t, 10, 'again')" >/dev/null
    done
    is "the threads on the three workers" "3" \
       "SELECT count(DISTINCT (SELECT groupid FROM pg_dist_placement
                                WHERE shardid = get_shard_id_for_distribution_column('chat.thread', t)))
          FROM unnest('{$spread}'::bigint[]) t"
    is "inbox order is reply order across them (newest first)" "t" \
       "SELECT array_agg(thread_id) = (SELECT array_agg(t ORDER BY t DESC) FROM unnest('{$spread}'::bigint[]) t)
          FROM (SELECT thread_id FROM chat.inbox(11) LIMIT 12) i"
    is "message ids unique across the four nodes, counters exact" "t" \
       "SELECT count(*) = count(DISTINCT id) FROM chat.message" "SELECT * FROM chat.verify_unread()"
    echo "# a worker added, rebalanced and checked in $(( $(date +%s) - t0 )) s"
fi

# ---------------------------------------------------------------- pg_dump and restore
# pg_dump of the coordinator: chat's tables are extension configuration tables, whose data Citus
# reads from every shard (COPY ... TO through the coordinator); no Citus metadata. Restored into a
# database with Citus on every node and the workers registered (here the coordinator and the first
# two workers), the dump's CREATE EXTENSION chat distributes chat and its COPYs load the rows
# through the coordinator onto the shards (README "Running on Citus").
echo "# pg_dump of the coordinator, pg_restore -j 2 into a new Citus database"
t0=$(date +%s)
ports=("$COORD" "$W1" "$W2")
# qdb PORT DB SQL...: q in database DB
qdb() {
    local port=$1 db=$2; shift 2
    local args=() s
    for s in "$@"; do args+=(-c "$s"); done
    as_pg "$BIN/psql" -X -A -t -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres -d "$db" "${args[@]}" 2>&1
}
out=$(as_pg "$BIN/pg_dump" -Fc -h 127.0.0.1 -p "$COORD" -U postgres -d chat_dist -f "$DIR/chat_dist.dump" 2>&1)
for p in "${ports[@]}"; do
    qdb "$p" postgres "DROP DATABASE IF EXISTS chat_restored WITH (FORCE)" >/dev/null
    out+=$(qdb "$p" postgres "CREATE DATABASE chat_restored")
    out+=$(qdb "$p" chat_restored "CREATE EXTENSION citus")
done
out+=$(qdb "$COORD" postgres "ALTER DATABASE chat_restored SET citus.shard_count = 4")
out+=$(qdb "$COORD" chat_restored "SELECT citus_set_coordinator_host('127.0.0.1', $COORD)" >/dev/null)
for p in "${ports[@]:1}"; do out+=$(qdb "$COORD" chat_restored "SELECT citus_add_node('127.0.0.1', $p)" >/dev/null); done
out+=$(as_pg "$BIN/pg_restore" -j 2 -h 127.0.0.1 -p "$COORD" -U postgres -d chat_restored "$DIR/chat_dist.dump" 2>&1)
if [[ -z "$out" ]]; then pass "pg_dump of the coordinator, pg_restore -j 2 into a Citus database: no error"
else fail "pg_dump of the coordinator, pg_restore -j 2 into a Citus database: no error" "$out"; fi
is_in() {   # is_in DB NAME EXPECTED SQL...
    local db=$1 name=$2 want=$3; shift 3
    local got
    got=$(qdb "$COORD" "$db" "$@")
    if [[ "$got" == "$want" ]]; then pass "$name"; else fail "$name" "expected: $want" "got: $got"; fi
}
is_in chat_restored "the restored database: chat distributed, 4 shards per table" "16|4" \
   "SELECT count(*) || '|' || (SELECT count(*) FROM pg_dist_shard WHERE logicalrelid = 'chat.message'::regclass)
      FROM pg_dist_partition WHERE logicalrelid::text LIKE 'chat.%'"
# every row of chat's dumped tables, compared as text (sequences: the coordinator's thread ids)
fp="SELECT string_agg(x, E'\n' ORDER BY x) FROM (
      SELECT 'thread ' || md5(string_agg(t::text, ',' ORDER BY t.id)) FROM chat.thread t
      UNION ALL SELECT 'member ' || md5(string_agg(m::text, ',' ORDER BY m.thread_id, m.user_id)) FROM chat.member m
      UNION ALL SELECT 'message ' || md5(string_agg(m::text, ',' ORDER BY m.thread_id, m.id)) FROM chat.message m
      UNION ALL SELECT 'message_edit ' || md5(string_agg(e::text, ',' ORDER BY e.thread_id, e.message_id, e.version)) FROM chat.message_edit e
      UNION ALL SELECT 'reaction ' || md5(string_agg(r::text, ',' ORDER BY r::text)) FROM chat.reaction r
      UNION ALL SELECT 'attachment ' || md5(coalesce(string_agg(a::text, ',' ORDER BY a::text), '')) FROM chat.attachment a
      UNION ALL SELECT 'setting ' || string_agg(s.key || '=' || s.value, ',' ORDER BY s.key) FROM chat.setting s
      UNION ALL SELECT 'role_map ' || string_agg(r::text, ',' ORDER BY r::text) FROM chat.role_map r
      UNION ALL SELECT 'thread_id_seq ' || last_value FROM chat.thread_id_seq) f (x)"
is_in chat_restored "every row of chat's tables, the settings, role mappings and the thread id sequence restored" \
   "$(q "$COORD" "$fp")" "$fp"
is_in chat_restored "the restored counters recount exactly" "" "SELECT * FROM chat.verify_unread()"
is_in chat_restored "the restored cluster: a reply, its id above the thread's, ids unique" "t
t|t" \
   "SELECT chat.new_reply($mv, 61, 'restored') > $m8 IS NOT NULL" \
   "SELECT (max(id) > $m8)::text::char || '|' || (count(*) = count(DISTINCT id))::text::char FROM chat.message WHERE thread_id = $mv"
is_in chat_restored "a new thread's id follows the restored ones; inbox, counters" "t
t|$mv|0" \
   "SELECT chat.new_message(61, '{60}', 'after the restore', 'x') > 0" \
   "SELECT ((SELECT max(id) FROM chat.thread) > $(q "$COORD" "SELECT max(id) FROM chat.thread"))::text::char || '|' ||
           (SELECT thread_id FROM chat.inbox(61) LIMIT 1 OFFSET 1) || '|' || (SELECT count(*) FROM chat.verify_unread())"
for p in "${ports[@]}"; do qdb "$p" postgres "DROP DATABASE IF EXISTS chat_restored WITH (FORCE)" >/dev/null; done
echo "# dumped, restored and checked in $(( $(date +%s) - t0 )) s"

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
is "CREATE EXTENSION chat again distributes again, in as many shards as citus.shard_count says when set" "16|3" \
   "SET citus.shard_count = 3" "CREATE EXTENSION chat" \
   "SELECT count(*) || '|' || (SELECT count(*) FROM pg_dist_shard WHERE logicalrelid = 'chat.thread'::regclass)
      FROM pg_dist_partition WHERE logicalrelid::text LIKE 'chat.%'"
is "and works" "t" "SELECT chat.new_message(1, '{2}', 'again', 'x') > 0"

# Citus installs chat on the workers outside the coordinator's transaction, without its session's
# chat.user_id_type; CREATE EXTENSION chat gives them the coordinator's chat (chat._citus_prepare_workers)
echo "# a rolled-back install, and user ids chosen in the session"
wtype="SELECT format_type(typbasetype, NULL) FROM pg_type WHERE oid = to_regtype('chat.user_id')"
q "$COORD" "DROP EXTENSION chat CASCADE" "DROP SCHEMA IF EXISTS chat CASCADE" >/dev/null 2>&1
q "$COORD" "BEGIN" "SET LOCAL chat.user_id_type = 'text'" "CREATE EXTENSION chat" "ROLLBACK" >/dev/null 2>&1
is_on "$W1" "a rolled-back CREATE EXTENSION chat with text user ids (SET LOCAL) leaves chat on a worker (Citus's, outside the transaction)" \
   "text" "$wtype"
is "CREATE EXTENSION chat afterwards (bigint user ids, the default) works" "t" \
   "CREATE EXTENSION chat" "SELECT chat.new_message(1, '{2}', 'after a rollback', 'x') > 0"
is_on "$W1" "and replaced that leftover: worker 1's user ids are bigint" "bigint" "$wtype"
is_on "$W2" "worker 2's too" "bigint" "$wtype"
like "DROP EXTENSION chat and CREATE EXTENSION chat with other user ids in one transaction: 55006, with the hint" \
   'ERROR:  55006: cannot replace chat on worker .*HINT:  Commit DROP EXTENSION chat first, then CREATE EXTENSION chat' \
   "\\set VERBOSITY verbose" "BEGIN" "DROP EXTENSION chat CASCADE" "SET LOCAL chat.user_id_type = 'uuid'" "CREATE EXTENSION chat"
is "and chat stays as it was" "true|bigint" \
   "SELECT (chat.new_message(1, '{3}', 'still there', 'x') > 0) || '|' || ($wtype)"
q "$COORD" "DROP EXTENSION chat CASCADE" "DROP SCHEMA IF EXISTS chat CASCADE" >/dev/null 2>&1
q "$W1" "SET citus.enable_ddl_propagation = off" "CREATE SCHEMA chat" "CREATE TABLE chat.thread (in_the_way int)" >/dev/null
like "a worker that cannot take chat (a table of its own in the way): 55000, naming the worker and what it said, nothing installed" \
   "ERROR:  55000: cannot install chat [0-9.]+ with text user ids on worker 127.0.0.1:$W1.*DETAIL:  The worker said: ERROR:  relation \"thread\" already exists.*
0" \
   "\\set VERBOSITY verbose" "\\set ON_ERROR_STOP off" "SET chat.user_id_type = 'text'" "CREATE EXTENSION chat" \
   "SELECT count(*) FROM pg_extension WHERE extname = 'chat'"
q "$W1" "SET citus.enable_ddl_propagation = off" "DROP SCHEMA chat CASCADE" >/dev/null
is "user ids chosen by a session SET before CREATE EXTENSION reach the workers: uuid users through the coordinator" \
   "true|uuid" \
   "SET chat.user_id_type = 'uuid'" "CREATE EXTENSION chat" \
   "SELECT (chat.new_message('00000000-0000-0000-0000-000000000001', '{00000000-0000-0000-0000-000000000002}', 's', 'x') > 0)::text
           || '|' || (SELECT string_agg(DISTINCT result, ',') FROM run_command_on_workers(\$\$$wtype\$\$))"

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
# citus.shard_count not set: 2 shards per node that takes shards (Citus's default is 32)
q "$COORD" "ALTER DATABASE chat_dist RESET citus.shard_count" >/dev/null
q "$COORD" "SELECT chat.distribute()" >/dev/null
holders=$(q "$COORD" "SELECT count(*) FROM pg_dist_node WHERE isactive AND noderole = 'primary' AND shouldhaveshards")
is "chat.distribute() without citus.shard_count set: 2 shards per node holding shards ($holders)" "$((2 * holders))" \
   "SELECT count(*) FROM pg_dist_shard WHERE logicalrelid = 'chat.thread'::regclass"
is "chat.distribute() after the update distributes chat and its rows" "16 3" \
   "SELECT (SELECT count(*) FROM pg_dist_partition WHERE logicalrelid::text LIKE 'chat.%') || ' ' || (SELECT count(*) FROM chat.message)"
is "the updated history counts exactly" "" "SELECT * FROM chat.verify_unread()"
like "a reply in the updated thread runs on its worker" 'Task Count: 1' "EXPLAIN SELECT chat.new_reply(1, 2, 'after')"
is "its id comes after the history's" "t" \
   "SELECT chat.new_reply(1, 2, 'after the update') > (SELECT max(id) FROM chat.message WHERE content <> 'after the update')"
is "and every counter is exact" "" "SELECT * FROM chat.verify_unread()"
