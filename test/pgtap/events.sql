-- Every state change is an event (issue 13): each public function that
-- changes state emits one, with the keys chat.event_kind documents for its
-- name, a seq that orders events and makes every payload unique, and the
-- thread's creation before anything else of it.  chat.changes gives each
-- user exactly what concerns them (members, a removed member, former members
-- of a dropped thread; per-user changes to that user only), says "reload"
-- when it cannot, and refuses a bad cursor.
SET client_min_messages = warning;
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
DROP EXTENSION IF EXISTS chat CASCADE;
SET LOCAL chat.user_id_type = 'bigint';
SET LOCAL chat.user_id = '';
CREATE EXTENSION chat;
SELECT chat.set_setting('notify', 'false') \g /dev/null

SELECT plan(37);

SELECT chat.changes(1) ->> 'cursor' AS start \gset

/*
 * One call of every public function that changes what a client shows, and
 * the event it must emit.  Users 1 (owner), 2, 3 in group g and thread p.
 */
CREATE TEMP TABLE call (n serial, fn text, sql text, event text);
CREATE TEMP TABLE seen (n int, fn text, event text, emitted text[]);
CREATE FUNCTION pg_temp.run(fn text, sql text, event text) RETURNS void
    LANGUAGE plpgsql AS $$
DECLARE
    before bigint := (SELECT coalesce(max(seq), 0) FROM chat.event);
BEGIN
    INSERT INTO call (fn, sql, event) VALUES (fn, sql, event);
    EXECUTE sql;
    INSERT INTO seen
    SELECT currval('call_n_seq'), fn, event,
           ARRAY(SELECT e.event FROM chat.event e WHERE e.seq > before ORDER BY e.seq);
END
$$;

SELECT pg_temp.run('new_message', $$SELECT chat.new_message(1, '{2,3}', 'p', 'hello')$$, 'message_sent');
SELECT id AS p FROM chat.thread WHERE subject = 'p' \gset
SELECT pg_temp.run('new_reply', format($$SELECT chat.new_reply(%s, 2, 'hi')$$, :p), 'message_sent');
SELECT max(id) AS m2 FROM chat.message WHERE thread_id = :p \gset
SELECT pg_temp.run('forward_message', format($$SELECT chat.forward_message(%s, %s, 1)$$, :m2, :p), 'message_sent');
SELECT pg_temp.run('edit_message', format($$SELECT chat.edit_message(%s, 2, 'hi!')$$, :m2), 'message_edited');
SELECT pg_temp.run('add_reaction', format($$SELECT chat.add_reaction(%s, 3, 'ok')$$, :m2), 'reaction_added');
SELECT pg_temp.run('remove_reaction', format($$SELECT chat.remove_reaction(%s, 3, 'ok')$$, :m2), 'reaction_removed');
SELECT pg_temp.run('toggle_reaction', format($$SELECT chat.toggle_reaction(%s, 3, 'yes')$$, :m2), 'reaction_added');
SELECT pg_temp.run('mark_read', format($$SELECT chat.mark_read(%s, 3)$$, :p), 'thread_read');
SELECT pg_temp.run('mark_unread', format($$SELECT chat.mark_unread(%s, 3, %s)$$, :p, :m2), 'thread_unread');
SELECT pg_temp.run('mark_delivered', format($$SELECT chat.mark_delivered(2, %s)$$, :p), 'thread_delivered');
SELECT pg_temp.run('mute', format($$SELECT chat.mute(%s, 3)$$, :p), 'thread_muted');
SELECT pg_temp.run('mute', format($$SELECT chat.mute(%s, 3, false)$$, :p), 'thread_unmuted');
SELECT pg_temp.run('mute', format($$SELECT chat.mute(%s, 3)$$, :p), 'thread_muted');
SELECT pg_temp.run('set_notify_level', format($$SELECT chat.set_notify_level(%s, 'mentions', 3)$$, :p), 'notify_level_set');
SELECT pg_temp.run('archive_thread', format($$SELECT chat.archive_thread(%s, 3)$$, :p), 'thread_archived');
SELECT pg_temp.run('unarchive_thread', format($$SELECT chat.unarchive_thread(%s, 3)$$, :p), 'thread_unarchived');
SELECT pg_temp.run('delete_thread', format($$SELECT chat.delete_thread(%s, 3)$$, :p), 'thread_deleted');
SELECT pg_temp.run('restore_thread', format($$SELECT chat.restore_thread(%s, 3)$$, :p), 'thread_restored');
SELECT pg_temp.run('typing', format($$SELECT chat.typing(%s, 2)$$, :p), 'typing');
SELECT pg_temp.run('delete_message', format($$SELECT chat.delete_message(%s, 2)$$, :m2), 'message_deleted');
SELECT pg_temp.run('create_group', $$SELECT chat.create_group(1, 'g', '{2,3}', is_public => true)$$, 'thread_created');
SELECT id AS g FROM chat.thread WHERE subject = 'g' \gset
SELECT pg_temp.run('create_channel', $$SELECT chat.create_channel(1, 'c', '{2}')$$, 'thread_created');
SELECT pg_temp.run('direct_thread', $$SELECT chat.direct_thread(1, 4)$$, 'thread_created');
SELECT pg_temp.run('object_thread', $$SELECT chat.object_thread('product', '42', 1)$$, 'thread_created');
SELECT pg_temp.run('add_members', format($$SELECT chat.add_members(%s, 1, '{5}')$$, :g), 'member_added');
SELECT pg_temp.run('join_thread', format($$SELECT chat.join_thread(%s, 6)$$, :g), 'member_added');
SELECT pg_temp.run('set_role', format($$SELECT chat.set_role(%s, 1, 2, 'admin')$$, :g), 'member_updated');
SELECT pg_temp.run('grant', format($$SELECT chat.grant(%s, 1, 3, 'edit_thread')$$, :g), 'member_updated');
SELECT pg_temp.run('revoke', format($$SELECT chat.revoke(%s, 1, 3, 'post')$$, :g), 'member_updated');
SELECT pg_temp.run('rename_thread', format($$SELECT chat.rename_thread(%s, 1, 'g2')$$, :g), 'thread_renamed');
SELECT pg_temp.run('set_profile', format($$SELECT chat.set_profile(%s, 1, 'what g is about', 's3://b/g.png')$$, :g), 'thread_updated');
SELECT pg_temp.run('remove_member', format($$SELECT chat.remove_member(%s, 1, 5)$$, :g), 'member_removed');
SELECT pg_temp.run('leave_thread', format($$SELECT chat.leave_thread(%s, 6)$$, :g), 'member_removed');
SELECT pg_temp.run('drop_thread', format($$SELECT chat.drop_thread(%s, 1)$$, :g), 'thread_dropped');
-- history: imports and retention
SELECT pg_temp.run('import_thread', $$SELECT chat.import_thread('{"subject": "old", "members": [{"user_id": 1}, {"user_id": 2}],
                                       "messages": [{"sender_id": 1, "sent_at": "2020-01-01T00:00:00Z", "content": "long ago"}]}')$$,
                   'thread_created');
SELECT id AS old FROM chat.thread WHERE subject = 'old' \gset
SELECT pg_temp.run('import_messages', format($$SELECT chat.import_messages(%s, '[{"sender_id": 2, "sent_at": "2020-01-02T00:00:00Z",
                                                                              "content": "still long ago"}]')$$, :old),
                   'messages_imported');
CREATE TABLE public.user_messages_thread (id integer PRIMARY KEY, subject text NOT NULL);
CREATE TABLE public.user_messages_userthread (id integer PRIMARY KEY, thread_id integer NOT NULL, user_id integer NOT NULL,
                                              unread boolean NOT NULL, deleted boolean NOT NULL);
CREATE TABLE public.user_messages_message (id integer PRIMARY KEY, thread_id integer NOT NULL, sender_id integer NOT NULL,
                                           sent_at timestamptz NOT NULL, content text NOT NULL);
INSERT INTO public.user_messages_thread VALUES (1, 'pinax');
INSERT INTO public.user_messages_userthread VALUES (1, 1, 1, false, false), (2, 1, 2, true, false);
INSERT INTO public.user_messages_message VALUES (1, 1, 1, '2019-05-01 10:00+00', 'from pinax');
SELECT pg_temp.run('import_pinax', $$SELECT count(*) FROM chat.import_pinax()$$, 'thread_created');
SELECT pg_temp.run('set_retention', format($$SELECT chat.set_retention(%s, 1, 30)$$, :old), 'message_sent');
SELECT pg_temp.run('purge', $$SELECT chat.purge()$$, 'messages_purged');

/* ---- 1. every state change is an event ------------------------------------ */
SELECT is_empty($$SELECT fn, event, emitted FROM seen WHERE NOT (event = ANY (emitted))$$,
                'every call emitted its event');
-- the functions that change state, by their volatility, are exactly those
-- called above and the configuration ones (settings, registries, pruning),
-- which change no state a client shows, and propagate_identity (a transaction's settings)
SELECT set_eq($$SELECT p.proname::text FROM pg_proc p
                 WHERE p.pronamespace = 'chat'::regnamespace AND p.proname !~ '^_' AND p.provolatile = 'v'$$,
              $$SELECT fn FROM call
                UNION SELECT unnest('{set_setting,add_hook,remove_hook,swap_model,swap_renderer,use_user_table,
                                      map_role,unmap_role,prune_events,distribute,propagate_identity,
                                      claim_notifications,ack_notification,fail_notification,prune_notifications}'::text[])$$,
              'every public function that changes state is called here (or is configuration, or the notification queue''s)');
SELECT set_eq($$SELECT name FROM chat.event_kind$$, $$SELECT DISTINCT unnest(emitted) FROM seen$$,
              'every documented event was emitted, and no other');

/* ---- keys: one documented key set per event name ---------------------------- */
CREATE TEMP VIEW key_check AS
SELECT e.seq, e.event, k.key,
       k.key = ANY (ARRAY['event', 'seq', 'thread_id', 'user_name']
                    || ARRAY(SELECT rtrim(x, '?') FROM unnest(ek.keys) x)) AS documented
  FROM chat.event e JOIN chat.event_kind ek ON ek.name = e.event, jsonb_object_keys(e.payload) AS k(key);
SELECT is_empty($$SELECT * FROM key_check WHERE NOT documented$$,
                'every key of every payload is documented for its event');
SELECT is_empty($$SELECT e.seq, e.event, x FROM chat.event e JOIN chat.event_kind ek ON ek.name = e.event,
                         unnest(ek.keys || '{event,seq,thread_id}'::text[]) x
                   WHERE x !~ '\?$' AND NOT e.payload ? x$$,
                'every payload has every key its event always has');
SELECT is_empty($$SELECT e.seq FROM chat.event e
                   WHERE (e.payload ->> 'seq')::bigint IS DISTINCT FROM e.seq
                      OR e.payload ->> 'event' IS DISTINCT FROM e.event
                      OR (e.payload ->> 'thread_id')::bigint IS DISTINCT FROM e.thread_id$$,
                'seq, event and thread_id of a payload are those of its row');
SELECT is((SELECT count(DISTINCT seq) = count(*) FROM chat.event), true, 'no two events share a seq');

/* ---- causal order: a thread's creation before anything else of it ----------- */
SELECT is_empty($$SELECT e.thread_id FROM chat.event e
                   GROUP BY e.thread_id
                  HAVING min(e.seq) FILTER (WHERE e.event = 'thread_created')
                         IS DISTINCT FROM min(e.seq)$$,
                'every thread''s first event is its thread_created');
SELECT is((SELECT array_agg(e.event ORDER BY e.seq) FROM chat.event e WHERE e.thread_id = :g AND e.seq <=
             (SELECT min(seq) FROM chat.event WHERE thread_id = :g AND event = 'message_sent')),
          '{thread_created,message_sent}', 'a group: created, then its first (system) message');
SELECT is((SELECT array_agg(x.event ORDER BY x.seq)
             FROM (SELECT e.event, e.seq FROM chat.event e
                    WHERE e.thread_id = :g AND e.event IN ('member_added', 'message_sent')
                    ORDER BY e.seq LIMIT 5) x),
          '{message_sent,member_added,message_sent,member_added,message_sent}',
          'a member is added before the message that announces it (add_members, join_thread)');

/* ---- no folding: the same change twice in one transaction is two events ---- */
SELECT chat.new_message(7, '{8}', 'fold', 'x') AS fm \gset
SELECT max(seq) AS before_fold FROM chat.event \gset
SELECT chat.add_reaction(:fm, 8, 'ok'), chat.remove_reaction(:fm, 8, 'ok'), chat.add_reaction(:fm, 8, 'ok');
SELECT is((SELECT array_agg(event ORDER BY seq) FROM chat.event WHERE seq > :before_fold),
          '{reaction_added,reaction_removed,reaction_added}', 'add, remove, add: three events in order');
SELECT is((SELECT count(DISTINCT payload) FROM chat.event WHERE seq > :before_fold), 3::bigint,
          'with three different payloads (NOTIFY folds identical ones only)');

/* ---- 2/3. who receives what: chat.changes ------------------------------------- */
CREATE FUNCTION pg_temp.got(u int) RETURNS text[] LANGUAGE sql AS $$
    SELECT ARRAY(SELECT format('%s:%s', x ->> 'event', x ->> 'thread_id')
                   FROM jsonb_array_elements(chat.changes(u, current_setting('tap.start')) -> 'events') x)
$$;
SELECT set_config('tap.start', :'start', true) \g /dev/null
SELECT ok(format('thread_muted:%s', :p) = ANY (pg_temp.got(3)), 'user 3 sees its own mute');
SELECT ok(NOT (format('thread_muted:%s', :p) = ANY (pg_temp.got(2))), 'user 2 does not see user 3''s mute');
SELECT ok(NOT (format('thread_unread:%s', :p) = ANY (pg_temp.got(1))), 'nor does user 1 see user 3''s mark_unread');
SELECT ok(format('thread_read:%s', :p) = ANY (pg_temp.got(1)), 'a read receipt reaches the other members');
SELECT ok(format('member_removed:%s', :g) = ANY (pg_temp.got(5)), 'a removed member receives its member_removed');
SELECT ok(format('thread_dropped:%s', :g) = ANY (pg_temp.got(3)), 'a dropped thread''s former members receive thread_dropped');
SELECT ok(NOT (format('thread_dropped:%s', :g) = ANY (pg_temp.got(5))), 'one removed before the drop does not');
SELECT ok(NOT (format('typing:%s', :p) = ANY (pg_temp.got(1))), 'typing is news only live: not in changes');
SELECT ok(NOT (format('message_sent:%s', :p) = ANY (pg_temp.got(9))), 'a stranger gets nothing of the thread');
SELECT is((SELECT array_agg((x ->> 'seq')::bigint ORDER BY o) = array_agg((x ->> 'seq')::bigint ORDER BY (x ->> 'seq')::bigint)
             FROM jsonb_array_elements(chat.changes(1, :'start') -> 'events') WITH ORDINALITY AS e(x, o)),
          true, 'changes come in seq order');
SELECT is(chat.changes(1, NULL) -> 'events', '[]'::jsonb, 'no cursor: start now, nothing to catch up');
SELECT is(chat.changes(1, NULL) ->> 'reload', 'false', '... and no reload');

/* ---- reload: another database, too much to catch up ---------------------------- */
SELECT chat.changes(1, NULL) ->> 'cursor' AS c1 \gset
SELECT is(chat.changes(1, regexp_replace(:'c1', '^([0-9]+)\.([0-9]+)\.', '\1.1.')) ->> 'reload', 'true',
          'a cursor of another database: reload');
SELECT is(chat.changes(1, regexp_replace(:'c1', '^[0-9]+\.', '1.')) ->> 'reload', 'true',
          'a cursor of another cluster: reload');
SELECT chat.set_setting('changes_limit', '3') \g /dev/null
SELECT is(chat.changes(1, :'start') ->> 'reload', 'true', 'more than changes_limit to catch up: reload');
SELECT is(chat.changes(1, :'start') -> 'events', '[]'::jsonb, '... with no events (never silently fewer)');
SELECT chat.set_setting('changes_limit', NULL) \g /dev/null
/* (cursors moving forward, the feed and pruning need transactions of their own: test/sql/changes.sql) */

/* ---- an event's row: written by chat directly, or by its INSERT when chat.event is not plain ---- */
SELECT chat.new_reply(:p, 2, 'the same row', mentions => '{1}') \g /dev/null
CREATE TEMP TABLE kept AS SELECT 'direct'::text AS how, e.* FROM chat.event e ORDER BY e.seq DESC LIMIT 1;
SELECT is((SELECT xid = pg_current_xact_id() AND at IS NOT NULL AND payload ->> 'event' = 'message_sent'
             FROM kept), true,
          'a reply''s event row, written directly: this transaction''s xid, a time, the payload');
CREATE FUNCTION pg_temp.keep_row() RETURNS trigger LANGUAGE plpgsql
    AS $$ BEGIN PERFORM set_config('chat_test.event_trigger', 'fired', true); RETURN NEW; END $$;
CREATE TRIGGER keep_row BEFORE INSERT ON chat.event FOR EACH ROW EXECUTE FUNCTION pg_temp.keep_row();
SELECT chat.new_reply(:p, 2, 'the same row', mentions => '{1}') \g /dev/null
INSERT INTO kept SELECT 'insert', e.* FROM chat.event e ORDER BY e.seq DESC LIMIT 1;
DROP TRIGGER keep_row ON chat.event;
SELECT is(current_setting('chat_test.event_trigger', true), 'fired', '... through chat.event''s INSERT then (its trigger ran)');
SELECT is((SELECT count(DISTINCT (thread_id, xid, event, private, recipients, payload - 'seq' - 'message_id'))
             FROM kept), 1::bigint,
          '... the same row as chat.event''s INSERT writes (with a trigger on chat.event), but for seq and message_id');

/* ---- refused ------------------------------------------------------------------ */
SELECT throws_ok($$SELECT chat.changes(1, 'not a cursor')$$, '22023', 'invalid cursor "not a cursor"',
                 'a malformed cursor: 22023');
SELECT throws_ok($$SELECT chat.changes(1, '1.2.30:20:')$$, '22023', 'invalid cursor "1.2.30:20:"',
                 'a cursor whose snapshot is impossible: 22023');
SELECT throws_ok($$SELECT chat.changes(NULL, NULL)$$, '22004', 'argument "viewer" must not be null',
                 'no viewer: 22004');
SELECT throws_ok($$SELECT chat.set_setting('changes_limit', '0')$$, '22023', NULL, 'changes_limit below 1: 22023');
SELECT chat.set_setting('events', 'false') \g /dev/null
SELECT throws_ok($$SELECT chat.changes(1, NULL)$$, '55000', 'events are not kept', 'events off: changes refuses (55000)');
SELECT throws_ok($$SELECT chat.feed(NULL)$$, '55000', 'events are not kept', 'events off: feed refuses (55000)');
SELECT chat.set_setting('events', NULL) \g /dev/null

SELECT * FROM finish();
ROLLBACK;
