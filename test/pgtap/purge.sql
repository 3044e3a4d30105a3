-- Retention and purge (issue 14, item 5): what expires (the setting
-- retention_days, a room's own period, a room kept forever); chat.purge
-- deletes it in bounded batches, oldest first, with its edits, reactions and
-- attachments; every counter, pointer, inbox position and receipt stays exact
-- (chat.verify_unread() empty after every call, inboxes and badges equal to
-- a recount); clients hear of it (messages_purged, hooks before the rows
-- go); hard deletes of any shape keep the counters exact (chat._uncount);
-- and the refusals, each changing nothing: bad arguments, members without
-- the permission, end users entered with SET ROLE.
SET client_min_messages = warning;
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
DROP EXTENSION IF EXISTS chat CASCADE;
SET LOCAL chat.user_id_type = 'bigint';
SET LOCAL chat.user_id = '';
SET LOCAL request.jwt.claims = '';
CREATE EXTENSION chat;
SELECT chat.set_setting('notify', 'false') \g /dev/null
-- threads of more than 3 members are "large": purge must keep both kinds exact
SELECT chat.set_setting('inbox_fanout_limit', '3') \g /dev/null

SELECT plan(125);

/* ---- roles: end users and an application server ------------------------------------- */
CREATE ROLE regress_purge_alice;        -- user 1
CREATE ROLE regress_purge_bob;          -- user 2
CREATE ROLE regress_purge_nobody;       -- no chat user
CREATE ROLE regress_purge_server;       -- in server_roles, not a superuser
SELECT chat.map_role('regress_purge_alice', 1) \g /dev/null
SELECT chat.map_role('regress_purge_bob', 2) \g /dev/null
SELECT chat.set_setting('server_roles', '["regress_purge_server"]') \g /dev/null

/* ---- conversations -------------------------------------------------------------------- */
/*
 * p: Alice's private thread with 2 and 3 (small); g: Alice's group with 2-5
 * (large); c: a channel kept forever; r: Dan's (4) group with its own 5 days;
 * d: the direct thread of 2 and 3; e: 6's thread with 7, all of it old.
 * Each gets 12 messages from its members in turn, then some replies,
 * reactions, edits, attachments and a soft delete.
 */
SELECT chat.new_message(1, '{2,3}', 'p', 'p hello') AS pm \gset
SELECT thread_id AS p FROM chat.message WHERE id = :pm \gset
SELECT chat.create_group(1, 'g', '{2,3,4,5}') AS g \gset
SELECT chat.create_channel(1, 'c', '{2,3}') AS c \gset
SELECT chat.create_group(4, 'r', '{5}') AS r \gset
SELECT chat.direct_thread(2, 3) AS d \gset
SELECT chat.new_message(6, '{7}', 'e', 'e hello') AS em \gset
SELECT thread_id AS e FROM chat.message WHERE id = :em \gset
SELECT chat.set_retention(:c, 1, 0) \g /dev/null
SELECT chat.set_retention(:r, 4, 5) \g /dev/null
SELECT chat.new_reply(t.id, mb.user_id, format('%s message %s', coalesce(t.subject, 'direct'), i))
  FROM generate_series(1, 12) i
  JOIN chat.thread t ON true
  JOIN LATERAL (SELECT m.user_id FROM chat.member m WHERE m.thread_id = t.id
                 ORDER BY m.user_id OFFSET i % t.member_count LIMIT 1) mb ON true
 WHERE t.kind <> 'channel' OR mb.user_id = 1
 ORDER BY i, t.id \g /dev/null
-- replies to the oldest text messages, which expire, and to the newest, which stay
SELECT chat.new_reply(t.id, 1, 'reply to an old one', parent_id => (SELECT min(m.id) FROM chat.message m WHERE m.thread_id = t.id AND m.kind = 'text'))
  FROM chat.thread t WHERE t.id IN (:p, :g) \g /dev/null
SELECT chat.new_reply(:p, 2, 'reply to a recent one', parent_id => (SELECT max(m.id) FROM chat.message m WHERE m.thread_id = :p)) AS recent_reply \gset
SELECT chat.add_reaction(m.id, CASE WHEN m.thread_id = :e THEN 7 ELSE 2 END, 'ok')
  FROM chat.message m WHERE m.thread_id IN (:p, :g, :e) \g /dev/null
SELECT chat.edit_message(m.id, m.sender_id, m.content || ' (edited)')
  FROM chat.message m WHERE m.thread_id IN (:p, :g) AND m.kind = 'text' AND m.id % 3 = 0 \g /dev/null
SELECT chat.new_reply(:g, 2, 'with a file', attachments => '[{"key": "s3://old/1"}]') AS attached \gset
SELECT chat.new_reply(:g, 3, 'regret') AS regret \gset
SELECT chat.delete_message(:regret, 3) \g /dev/null
SELECT chat.new_reply(t.id, mb.user_id, 'newest of ' || coalesce(t.subject, 'the direct thread'))
  FROM chat.thread t
  JOIN LATERAL (SELECT m.user_id FROM chat.member m WHERE m.thread_id = t.id ORDER BY m.user_id LIMIT 1) mb ON true \g /dev/null

/* read state: pointers at every place, folders */
SELECT chat.mark_read(:p, 2, (SELECT id FROM chat.message WHERE thread_id = :p ORDER BY id OFFSET 3 LIMIT 1)) \g /dev/null
SELECT chat.mark_read(:p, 3) \g /dev/null
SELECT chat.mark_unread(:p, 3, (SELECT id FROM chat.message WHERE thread_id = :p ORDER BY id DESC OFFSET 2 LIMIT 1)) \g /dev/null
SELECT chat.mark_read(:g, 3, (SELECT id FROM chat.message WHERE thread_id = :g ORDER BY id OFFSET 8 LIMIT 1)) \g /dev/null
SELECT chat.mark_read(:g, 5, (SELECT id FROM chat.message WHERE thread_id = :g ORDER BY id DESC OFFSET 1 LIMIT 1)) \g /dev/null
SELECT chat.mark_delivered(4) \g /dev/null
SELECT chat.delete_thread(:p, 2) \g /dev/null
SELECT chat.delete_thread(:e, 7) \g /dev/null
SELECT chat.archive_thread(:g, 4) \g /dev/null

/*
 * Ages: in each thread the k-th newest message is k days old (e's 20 days
 * more), keeping sent_at increasing with the id as the insert trigger does.
 */
UPDATE chat.message m
   SET sent_at = now() - make_interval(days => a.age)
  FROM (SELECT x.thread_id, x.id,
               (row_number() OVER (PARTITION BY x.thread_id ORDER BY x.id DESC) - 1
                + CASE WHEN x.thread_id = :e THEN 20 ELSE 0 END)::int AS age
          FROM chat.message x) a
 WHERE m.thread_id = a.thread_id AND m.id = a.id;
SELECT chat.set_setting('retention_days', '10') \g /dev/null

/* ---- what a refusal must not change ---------------------------------------------------- */
CREATE FUNCTION pg_temp.state() RETURNS text
    LANGUAGE sql AS $$
    SELECT format('threads=%s members=%s messages=%s edits=%s reactions=%s attachments=%s drift=%s md5=%s',
                  (SELECT count(*) FROM chat.thread), (SELECT count(*) FROM chat.member),
                  (SELECT count(*) FROM chat.message), (SELECT count(*) FROM chat.message_edit),
                  (SELECT count(*) FROM chat.reaction), (SELECT count(*) FROM chat.attachment),
                  (SELECT count(*) FROM chat.verify_unread()),
                  md5(concat_ws('|',
                      (SELECT string_agg(t::text, ',' ORDER BY t.id) FROM chat.thread t),
                      (SELECT string_agg(m::text, ',' ORDER BY m.thread_id, m.user_id) FROM chat.member m),
                      (SELECT string_agg(m::text, ',' ORDER BY m.thread_id, m.id) FROM chat.message m),
                      (SELECT string_agg(s::text, ',' ORDER BY s.key) FROM chat.setting s),
                      (SELECT string_agg(p::text, ',') FROM chat.purge_progress p))))
$$;
CREATE TEMP TABLE baseline AS SELECT pg_temp.state() AS state;
\ir lib/fails.sql

/* Run "sql" as role "r" and come back (an error undoes the SET LOCAL ROLE anyway). */
CREATE FUNCTION pg_temp.as_role(r text, sql text) RETURNS text
    LANGUAGE sql AS $$ SELECT format('SET LOCAL ROLE %I; %s; RESET ROLE', r, sql) $$;

SELECT is_empty('SELECT * FROM chat.verify_unread()', 'fixture: counters exact');

/* ---- refusals ----------------------------------------------------------------------------- */
SELECT pg_temp.fails($$SELECT chat.purge(NULL)$$, '22004', 'argument "batch" must not be null', 'purge: NULL batch');
SELECT pg_temp.fails($$SELECT chat.purge(0)$$, '22023', 'batch must be between 1 and 1000000', 'purge: batch 0');
SELECT pg_temp.fails($$SELECT chat.purge(1000001)$$, '22023', 'batch must be between 1 and 1000000', 'purge: batch too large');
SELECT pg_temp.fails(pg_temp.as_role('regress_purge_alice', 'SELECT chat.purge()'), '42501',
                     'permission denied to purge messages', 'purge: an end user');
SELECT pg_temp.fails(pg_temp.as_role('regress_purge_nobody', 'SELECT chat.purge()'), '42501',
                     'permission denied to purge messages', 'purge: a role with no chat user');
SELECT pg_temp.fails($$SELECT chat.set_setting('retention_days', '0')$$, '22023', NULL, 'retention_days 0');
SELECT pg_temp.fails($$SELECT chat.set_setting('retention_days', '36501')$$, '22023', NULL, 'retention_days over 100 years');
SELECT pg_temp.fails($$SELECT chat.set_setting('retention_days', '1.5')$$, '22023', NULL, 'retention_days not whole');
SELECT pg_temp.fails($$SELECT chat.set_setting('retention_days', '"7"')$$, '22023', NULL, 'retention_days a string');
SELECT pg_temp.fails(pg_temp.as_role('regress_purge_alice', $$SELECT chat.set_setting('retention_days', NULL)$$), '42501',
                     'permission denied to change settings', 'retention_days: an end user');
SELECT pg_temp.fails($$SELECT chat.set_retention(NULL, 1, 5)$$, '22004', 'argument "thread_id" must not be null',
                     'set_retention: NULL thread');
SELECT pg_temp.fails($$SELECT chat.set_retention(999999, 1, 5)$$, '42704', 'thread 999999 does not exist',
                     'set_retention: unknown thread');
SELECT pg_temp.fails(format($$SELECT chat.set_retention(%s, NULL, 5)$$, :p), '22004', 'argument "actor" must not be null',
                     'set_retention: NULL actor');
SELECT pg_temp.fails(format($$SELECT chat.set_retention(%s, 1, -1)$$, :p), '22023', 'days must be between 0 and 36500',
                     'set_retention: negative days');
SELECT pg_temp.fails(format($$SELECT chat.set_retention(%s, 1, 36501)$$, :p), '22023', 'days must be between 0 and 36500',
                     'set_retention: too many days');
SELECT pg_temp.fails(format($$SELECT chat.set_retention(%s, 9, 5)$$, :p), '42501',
                     format('user "9" is not a member of thread %s', :p), 'set_retention: not a member');
SELECT pg_temp.fails(format($$SELECT chat.set_retention(%s, 2, 5)$$, :g), '42501',
                     format('permission denied to change the retention in thread %s', :g),
                     'set_retention: a member without edit_thread');
SELECT pg_temp.fails(pg_temp.as_role('regress_purge_bob', format($$SELECT chat.set_retention(%s, 1, 5)$$, :p)), '42501',
                     'permission denied to act as user "1"', 'set_retention: an end user acting as another');
SELECT pg_temp.fails(pg_temp.as_role('regress_purge_alice', format($$SELECT chat.set_retention(%s, days => 30)$$, :p)), '42501',
                     format('permission denied to keep the messages of thread %s longer than retention_days', :p),
                     'set_retention: an end user owner keeps longer than the setting');
SELECT pg_temp.fails(pg_temp.as_role('regress_purge_alice', format($$SELECT chat.set_retention(%s, days => 0)$$, :p)), '42501',
                     format('permission denied to keep the messages of thread %s longer than retention_days', :p),
                     'set_retention: an end user owner keeps forever');
CREATE FUNCTION pg_temp.reason(sql text) RETURNS text
    LANGUAGE plpgsql AS $$
DECLARE
    r text;
BEGIN
    EXECUTE sql;
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS r = CONSTRAINT_NAME;
    RETURN r;
END
$$;
SELECT is(pg_temp.reason(pg_temp.as_role('regress_purge_alice', format($$SELECT chat.set_retention(%s, days => 30)$$, :p))),
          'server_role_only', 'keeping a room''s messages longer: reason server_role_only');
SELECT is(pg_temp.reason(pg_temp.as_role('regress_purge_alice', 'SELECT chat.purge()')),
          'server_role_only', 'purging as an end user: reason server_role_only');

/* ---- who may set a room's retention ---------------------------------------------------------- */
SELECT lives_ok(pg_temp.as_role('regress_purge_alice', format($$SELECT chat.set_retention(%s, days => 10)$$, :p)),
                'an end user owner sets the setting''s own period');
SELECT lives_ok(pg_temp.as_role('regress_purge_bob', format($$SELECT chat.set_retention(%s, days => 8)$$, :d)),
                'either member of a direct thread may shorten it');
SELECT is((SELECT retention_days FROM chat.thread WHERE id = :d), 8, 'the direct thread keeps 8 days');
SELECT is((SELECT content FROM chat.message WHERE thread_id = :d ORDER BY id DESC LIMIT 1), '2 set messages to be deleted after 8 days',
          'a system message says so');
SELECT lives_ok(pg_temp.as_role('regress_purge_server', format($$SELECT chat.set_retention(%s, 2, NULL)$$, :d)),
                'a server role puts it back to the default');
SELECT lives_ok(pg_temp.as_role('regress_purge_server', format($$SELECT chat.set_retention(%s, 1, 3650)$$, :c)),
                'a server role keeps a channel longer than the setting');
SELECT chat.set_retention(:c, 1, 0) \g /dev/null
SELECT is((SELECT array_agg(retention_days ORDER BY id) FROM chat.thread WHERE id IN (:p, :c, :r, :d)),
          ARRAY[10, 0, 5, NULL], 'p 10 days, c forever, r 5 days, d the default');
SELECT is((SELECT count(*) FROM chat.message WHERE thread_id = :p AND kind = 'system'), 1::bigint,
          'setting the same period again posts nothing (p had none before 10)')
  FROM (SELECT chat.set_retention(:p, 1, 10)) x;
-- the system messages just posted are news: they stay; take the state anew
SELECT pg_temp.rebase();

/* ---- what expires ------------------------------------------------------------------------------- */
CREATE TEMP TABLE expired AS
SELECT m.thread_id, m.id FROM chat.message m JOIN chat.thread t ON t.id = m.thread_id
 WHERE coalesce(t.retention_days, 10) > 0
   AND m.sent_at < now() - make_interval(days => coalesce(t.retention_days, 10));
CREATE TEMP TABLE kept AS SELECT m.thread_id, m.id FROM chat.message m EXCEPT SELECT * FROM expired;
CREATE TEMP TABLE receipts_before AS
SELECT r.* FROM chat.message_receipt r WHERE r.message_id IN (SELECT id FROM kept);
SELECT cmp_ok((SELECT count(*) FROM expired), '>', 30::bigint, 'the fixture has expired messages');
SELECT is((SELECT count(*) FROM expired WHERE thread_id = :c), 0::bigint, 'none in the channel kept forever');
SELECT is((SELECT count(*) FROM kept WHERE thread_id = :e), 0::bigint, 'all of thread e');

/* a hook sees the purged rows: it runs before they go */
CREATE TABLE public.purge_log (thread_id bigint, message_id bigint, count int, still_there bigint, with_reactions bigint);
CREATE FUNCTION public.log_purge(e jsonb) RETURNS void LANGUAGE sql AS $$
    INSERT INTO public.purge_log
    SELECT (e ->> 'thread_id')::bigint, (e ->> 'message_id')::bigint, (e ->> 'count')::int,
           (SELECT count(*) FROM chat.message m
             WHERE m.thread_id = (e ->> 'thread_id')::bigint AND m.id <= (e ->> 'message_id')::bigint),
           (SELECT count(*) FROM chat.reaction r
             WHERE r.thread_id = (e ->> 'thread_id')::bigint AND r.message_id <= (e ->> 'message_id')::bigint)
$$;
GRANT INSERT ON public.purge_log TO PUBLIC;   -- hooks run as the current role
SELECT chat.add_hook('messages_purged', 'public.log_purge(jsonb)') \g /dev/null

/* ---- purge, 7 at a time, as a server role that is not a superuser --------------------------- */
CREATE TEMP TABLE run (n serial, deleted bigint, drift bigint);
GRANT ALL ON run, run_n_seq TO regress_purge_server;
CREATE FUNCTION pg_temp.purge_all(batch int) RETURNS void
    LANGUAGE plpgsql AS $$
BEGIN
    FOR i IN 1 .. 200 LOOP
        INSERT INTO run (deleted) VALUES (chat.purge(batch));
        UPDATE run SET drift = (SELECT count(*) FROM chat.verify_unread()) WHERE n = currval('run_n_seq');
        EXIT WHEN (SELECT deleted FROM run WHERE n = currval('run_n_seq')) = 0;
    END LOOP;
END
$$;
SET LOCAL ROLE regress_purge_server;
SELECT pg_temp.purge_all(7);
RESET ROLE;

SELECT is((SELECT max(deleted) FROM run), 7::bigint, 'no call deleted more than its batch');
SELECT is((SELECT deleted FROM run ORDER BY n DESC LIMIT 1), 0::bigint, 'the last call found nothing left');
SELECT is((SELECT count(*) FROM run WHERE deleted = 0), 1::bigint, '... and only the last');
SELECT is((SELECT sum(deleted)::bigint FROM run), (SELECT count(*) FROM expired), 'together they deleted every expired message');
SELECT is((SELECT max(drift) FROM run), 0::bigint, 'chat.verify_unread() was empty after every call');
SELECT is((SELECT thread_id FROM chat.purge_progress), 0::bigint, 'and the next purge starts from the first thread');

/* ---- what is left ------------------------------------------------------------------------- */
SELECT set_eq('SELECT thread_id, id FROM chat.message', 'SELECT thread_id, id FROM kept',
              'exactly the messages within their retention are left');
SELECT is_empty('SELECT * FROM chat.verify_unread()', 'chat.verify_unread(): every counter exact');
SELECT is_empty($$SELECT e.* FROM chat.message_edit e
                   WHERE NOT EXISTS (SELECT FROM chat.message m WHERE m.thread_id = e.thread_id AND m.id = e.message_id)$$,
                'the edits of purged messages are gone');
SELECT is_empty($$SELECT r.* FROM chat.reaction r
                   WHERE NOT EXISTS (SELECT FROM chat.message m WHERE m.thread_id = r.thread_id AND m.id = r.message_id)$$,
                'so are their reactions');
SELECT is_empty($$SELECT a.* FROM chat.attachment a
                   WHERE NOT EXISTS (SELECT FROM chat.message m WHERE m.thread_id = a.thread_id AND m.id = a.message_id)$$,
                'and their attachments');
SELECT cmp_ok((SELECT count(*) FROM chat.reaction), '>', 0::bigint, 'the reactions of kept messages stay');
SELECT is((SELECT count(*) FROM chat.attachment WHERE message_id = :attached), 1::bigint, 'so does a kept attachment');
SELECT is_empty($$SELECT m.id FROM chat.message m
                   WHERE m.parent_id IS NOT NULL
                     AND NOT EXISTS (SELECT FROM chat.message x WHERE x.thread_id = m.thread_id AND x.id = m.parent_id)$$,
                'no reply points to a purged message');
SELECT isnt((SELECT parent_id FROM chat.message WHERE id = :recent_reply), NULL, 'a reply to a kept message keeps its parent');
SELECT is((SELECT count(*) FROM chat.message WHERE content LIKE 'reply to an old one%' AND parent_id IS NULL), 2::bigint,
          'replies to purged messages are kept without their parent');
SELECT results_eq(format($$SELECT message_count, last_message_id, last_sent_at, last_preview FROM chat.thread WHERE id = %s$$, :e),
                  $$VALUES (0::bigint, NULL::bigint, NULL::timestamptz, NULL::text)$$,
                  'a thread whose every message expired is empty: no last message');
SELECT is((SELECT member_count FROM chat.thread WHERE id = :e), 2, '... and keeps its members');
SELECT is((SELECT count(*) FROM chat.message WHERE thread_id = :c), (SELECT count(*) FROM kept WHERE thread_id = :c),
          'the channel kept forever lost nothing');
SELECT is((SELECT min(sent_at) >= now() - interval '5 days' FROM chat.message WHERE thread_id = :r), true,
          'room r kept 5 days of messages');
SELECT is((SELECT min(sent_at) >= now() - interval '10 days' FROM chat.message WHERE thread_id = :g), true,
          'group g kept 10 days, the setting''s');
SELECT results_eq($$SELECT * FROM chat.message_receipt WHERE message_id IN (SELECT id FROM kept) ORDER BY 1, 2$$,
                  $$SELECT * FROM receipts_before ORDER BY 1, 2$$,
                  'the receipts of every kept message are unchanged');

/* every user's inbox and badge against a recount from the rows */
CREATE FUNCTION pg_temp.recount_inbox(u bigint)
    RETURNS TABLE (thread_id bigint, last_message_id bigint, last_preview text, unread_count bigint)
    LANGUAGE sql AS $$
    SELECT t.id, l.id, CASE WHEN l.deleted_at IS NULL THEN left(l.content, 100) END,
           (SELECT count(*) FROM chat.message m
             WHERE m.thread_id = t.id AND m.id > mb.read_id AND m.sender_id IS DISTINCT FROM u)
      FROM chat.member mb
      JOIN chat.thread t ON t.id = mb.thread_id
      LEFT JOIN LATERAL (SELECT * FROM chat.message m WHERE m.thread_id = t.id ORDER BY m.id DESC LIMIT 1) l ON true
     WHERE mb.user_id = u AND NOT mb.archived
       AND (mb.hidden_id IS NULL OR mb.hidden_id < coalesce(l.id, 0))
     ORDER BY coalesce(l.id, 0) DESC, t.id DESC
$$;
SELECT results_eq(format('SELECT thread_id, last_message_id, last_preview, unread_count FROM chat.inbox(%s)', u),
                  format('SELECT * FROM pg_temp.recount_inbox(%s)', u),
                  format('user %s: the inbox (order, last messages, unread counts) equals a recount', u))
  FROM generate_series(1, 7) u;
SELECT is((SELECT (threads, messages)::text FROM chat.unread_count(u)),
          (SELECT (count(*) FILTER (WHERE r.unread_count > 0), coalesce(sum(r.unread_count), 0))::text
             FROM pg_temp.recount_inbox(u) r
            WHERE NOT EXISTS (SELECT FROM chat.member mb WHERE mb.thread_id = r.thread_id AND mb.user_id = u AND mb.muted)),
          format('user %s: the badge equals a recount', u))
  FROM generate_series(1, 7) u;
SELECT is((SELECT count(*) FROM chat.inbox(4, 'archived') WHERE thread_id = :g), 1::bigint,
          'an archived thread stays archived');
SELECT is((SELECT count(*) FROM chat.inbox(7, 'deleted') WHERE thread_id = :e), 1::bigint,
          '... also once it is empty');

/* ---- what clients hear --------------------------------------------------------------------- */
SELECT is((SELECT sum((payload ->> 'count')::int)::bigint FROM chat.event WHERE event = 'messages_purged'),
          (SELECT count(*) FROM expired), 'messages_purged counts every purged message');
SELECT is_empty($$SELECT * FROM purge_log WHERE still_there <> count$$,
                'hooks run before the delete: each saw every message it announced');
SELECT is((SELECT count(*) FROM purge_log), (SELECT count(*) FROM chat.event WHERE event = 'messages_purged'),
          'one hook call per event');
SELECT cmp_ok((SELECT sum(with_reactions) FROM purge_log), '>', 0::numeric, '... and their reactions');
SELECT is_empty($$SELECT e.payload FROM chat.event e
                   WHERE e.event = 'messages_purged'
                     AND (e.payload ->> 'message_id')::bigint NOT IN (SELECT id FROM expired)$$,
                'each names a purged message, the newest of its batch');
SELECT set_eq($$SELECT DISTINCT thread_id FROM chat.event WHERE event = 'messages_purged'$$,
              $$SELECT DISTINCT thread_id FROM expired$$, 'one or more per thread that lost messages, none for others');

/* ---- afterwards ---------------------------------------------------------------------------------- */
SELECT is(chat.purge(), 0::bigint, 'a new purge finds nothing');
SELECT ok(chat.new_reply(:e, 7, 'back again') > 0, 'an emptied thread takes new messages');
SELECT ok(chat.new_reply(:p, 3, 'still here') > 0, 'and so do the others');
SELECT chat.mark_read(:g, 2) \g /dev/null
SELECT is_empty('SELECT * FROM chat.verify_unread()', 'counters stay exact');
SELECT is((SELECT unread_count FROM chat.inbox(7, 'inbox') WHERE thread_id = :e), 0::bigint,
          'the emptied thread came back into 7''s inbox with its own reply, read');
SELECT is((SELECT unread_count FROM chat.inbox(6) WHERE thread_id = :e), 1::bigint, 'and unread for 6');

/* ---- a room's period shortened later; the setting unset ------------------------------------- */
SELECT pg_temp.rebase();
SELECT chat.set_setting('retention_days', NULL) \g /dev/null
SELECT is(chat.purge(), 0::bigint, 'no setting and no room period due: nothing to purge');
UPDATE chat.message SET sent_at = sent_at - interval '2 days' WHERE thread_id = :r;
SELECT cmp_ok(chat.purge(1000), '>', 0::bigint, 'without the setting, a room''s own period still applies');
SELECT is((SELECT min(sent_at) >= now() - interval '5 days' FROM chat.message WHERE thread_id = :r), true,
          '... and only in that room');
SELECT is((SELECT count(*) FROM chat.message WHERE thread_id = :g AND sent_at < now() - interval '9 days'), 1::bigint,
          'the others keep their messages');
SELECT is_empty('SELECT * FROM chat.verify_unread()', 'counters stay exact');

/* ---- hard deletes of any shape take their messages off the counters exactly ---------------- */
/*
 * chat._uncount replaces a recount of the thread: random subsets deleted
 * directly (as a superuser may, and as a user deleted from a bound users
 * table with on_delete cascade does) in small and large threads, with read
 * pointers before, inside and after them, after a random workload.
 */
SELECT setseed(0.14);
DO $$
DECLARE
    t bigint;
    u bigint;
BEGIN
    FOR i IN 1 .. 600 LOOP
        SELECT th.id INTO t FROM chat.thread th WHERE th.kind <> 'channel' ORDER BY random() LIMIT 1;
        SELECT mb.user_id INTO u FROM chat.member mb WHERE mb.thread_id = t ORDER BY random() LIMIT 1;
        CASE floor(random() * 6)::int
            WHEN 0, 1 THEN PERFORM chat.new_reply(t, u, 'random ' || i);
            WHEN 2 THEN PERFORM chat.new_reply(t, u, 'mentioning ' || i,
                                               mentions => ARRAY(SELECT mb.user_id FROM chat.member mb
                                                                  WHERE mb.thread_id = t ORDER BY random() LIMIT 2));
            WHEN 3 THEN PERFORM chat.mark_read(t, u);
            WHEN 4 THEN PERFORM chat.mark_unread(t, u, (SELECT m.id FROM chat.message m WHERE m.thread_id = t
                                                           ORDER BY random() LIMIT 1));
            ELSE PERFORM chat.mark_read(t, u, (SELECT m.id FROM chat.message m WHERE m.thread_id = t
                                                 ORDER BY random() LIMIT 1));
        END CASE;
    END LOOP;
END
$$;
SELECT is_empty('SELECT * FROM chat.verify_unread()', 'random workload: exact');
SELECT cmp_ok((SELECT sum(mention_count) FROM chat.member), '>', 0::numeric, 'with unread mentions');
DELETE FROM chat.message WHERE random() < 0.15;
SELECT is_empty('SELECT * FROM chat.verify_unread()', 'a random 15 % deleted at once: exact');
DELETE FROM chat.message m WHERE m.thread_id = :g AND m.id > (SELECT max(id) - 4 FROM chat.message WHERE thread_id = :g);
SELECT is_empty('SELECT * FROM chat.verify_unread()', 'the newest messages of a large thread deleted: exact');
DELETE FROM chat.message WHERE sender_id = 3;
SELECT is_empty('SELECT * FROM chat.verify_unread()', 'every message of one sender deleted: exact');
SELECT is_empty($$SELECT mb.thread_id, mb.user_id FROM chat.member mb
                   WHERE mb.last_mention_id IS DISTINCT FROM
                         (SELECT max(m.id) FROM chat.message m WHERE m.thread_id = mb.thread_id AND mb.user_id = ANY (m.mentions))
                     AND (mb.last_mention_id IS NOT NULL OR mb.mention_count <> 0)$$,
                'each member''s last mention follows the deletes (unread mentions, chat.verify_unread)');
SELECT is((SELECT last_message_id FROM chat.thread WHERE id = :p), (SELECT max(id) FROM chat.message WHERE thread_id = :p),
          'the thread''s newest message follows');
DELETE FROM chat.message WHERE thread_id = :d;
SELECT results_eq(format('SELECT message_count, last_message_id FROM chat.thread WHERE id = %s', :d),
                  $$VALUES (0::bigint, NULL::bigint)$$, 'a thread emptied by a delete has no last message');
SELECT is_empty('SELECT * FROM chat.verify_unread()', 'exact');
SELECT results_eq(format('SELECT thread_id, last_message_id, last_preview, unread_count FROM chat.inbox(%s)', u),
                  format('SELECT * FROM pg_temp.recount_inbox(%s)', u),
                  format('user %s: the inbox still equals a recount', u))
  FROM generate_series(1, 7) u;

SELECT * FROM finish();
ROLLBACK;
