-- Importing history (issue 14, item 6): chat.import_thread, chat.import_messages
-- and chat.import_pinax keep the original authors, times and read state,
-- draw ids that increase with sent_at and stay unique, leave every counter,
-- pointer and inbox exact (chat.verify_unread() and a recount), give the
-- thread to live calls afterwards, and survive a purge; the refusals, each
-- changing nothing: every malformed part of the JSON, a direct pair that
-- exists, the member cap, end users and roles without rights on pinax's
-- tables (entered with SET ROLE).
SET client_min_messages = warning;
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
DROP EXTENSION IF EXISTS chat CASCADE;
SET LOCAL chat.user_id_type = 'bigint';
SET LOCAL chat.user_id = '';
SET LOCAL request.jwt.claims = '';
CREATE EXTENSION chat;
SELECT chat.set_setting('notify', 'false') \g /dev/null
SELECT chat.set_setting('inbox_fanout_limit', '3') \g /dev/null

SELECT plan(172);

CREATE ROLE regress_import_alice;      -- user 1, an end user
CREATE ROLE regress_import_nobody;     -- no chat user
CREATE ROLE regress_import_server;     -- in server_roles, not a superuser
SELECT chat.map_role('regress_import_alice', 1) \g /dev/null
SELECT chat.set_setting('server_roles', '["regress_import_server"]') \g /dev/null
CREATE FUNCTION pg_temp.as_role(r text, sql text) RETURNS text
    LANGUAGE sql AS $$ SELECT format('SET LOCAL ROLE %I; %s; RESET ROLE', r, sql) $$;

CREATE FUNCTION pg_temp.state() RETURNS text
    LANGUAGE sql AS $$
    SELECT format('threads=%s members=%s messages=%s drift=%s seq=%s md5=%s',
                  (SELECT count(*) FROM chat.thread), (SELECT count(*) FROM chat.member),
                  (SELECT count(*) FROM chat.message), (SELECT count(*) FROM chat.verify_unread()),
                  (SELECT count(*) FROM chat.event),
                  md5(concat_ws('|',
                      (SELECT string_agg(t::text, ',' ORDER BY t.id) FROM chat.thread t),
                      (SELECT string_agg(m::text, ',' ORDER BY m.thread_id, m.user_id) FROM chat.member m),
                      (SELECT string_agg(m::text, ',' ORDER BY m.thread_id, m.id) FROM chat.message m))))
$$;
CREATE TEMP TABLE baseline AS SELECT pg_temp.state() AS state;
\ir lib/fails.sql

/* ---- a private thread with its history ------------------------------------------------------ */
/*
 * Given out of order (chat sorts by sent_at, ties in the order given).  1
 * wrote first; 2 read up to 10:02; 3 deleted the thread; 4 archived and
 * muted it; 5 read nothing; a system notice; a message deleted and one
 * edited in the old application.
 */
SELECT coalesce(max(id), 0) AS before_max FROM chat.message \gset
SELECT chat.import_thread($${
    "subject": "Quarterly report",
    "members": [{"user_id": 1}, {"user_id": 2, "read_until": "2021-03-01T10:02:00Z"},
                {"user_id": 3, "deleted": true}, {"user_id": 4, "archived": true, "muted": true},
                {"user_id": 5, "read_until": "-infinity"}],
    "messages": [{"sender_id": 2, "sent_at": "2021-03-01T10:02:00Z", "content": "second"},
                 {"sender_id": 1, "sent_at": "2021-03-01T10:00:00Z", "content": "first"},
                 {"sender_id": 3, "sent_at": "2021-03-01T10:05:00Z", "content": "fourth", "edited_at": "2021-03-01T10:06:00Z"},
                 {"sender_id": 4, "sent_at": "2021-03-01T10:03:00Z", "content": "third, deleted", "deleted_at": "2021-03-01T11:00:00Z"},
                 {"kind": "system", "sent_at": "2021-03-01T10:05:00Z", "content": "5 joined"},
                 {"sender_id": 2, "sent_at": "2021-03-01T10:07:00Z", "content": "fifth"}]
}$$) AS q \gset
SELECT results_eq(format($$SELECT kind::text, subject, created_by::bigint, created_at, message_count, member_count,
                                  last_sent_at, last_preview, large
                             FROM chat.thread WHERE id = %s$$, :q),
                  $$VALUES ('private', 'Quarterly report', 1::bigint, '2021-03-01 10:00:00+00'::timestamptz, 6::bigint, 5,
                            '2021-03-01 10:07:00+00'::timestamptz, 'fifth', true)$$,
                  'import_thread: the thread, its creator (the first sender), times, counts and last message');
SELECT is(ARRAY(SELECT content FROM chat.message WHERE thread_id = :q ORDER BY id),
          ARRAY['first', 'second', 'third, deleted', 'fourth', '5 joined', 'fifth'],
          'ids follow sent_at (ties in the order given)');
SELECT is((SELECT bool_and(id > :before_max) FROM chat.message WHERE thread_id = :q), true,
          'new ids, drawn after every existing one');
SELECT cmp_ok(nextval('chat.message_id_seq'), '>', (SELECT max(id) FROM chat.message), 'the sequence is past them');
SELECT is(ARRAY(SELECT sent_at FROM chat.message WHERE thread_id = :q ORDER BY id),
          ARRAY(SELECT sent_at FROM chat.message WHERE thread_id = :q ORDER BY sent_at, id), 'and sent_at increases with id');
SELECT results_eq(format($$SELECT sender_id::bigint, kind::text, edited_at IS NOT NULL, deleted_at IS NOT NULL
                             FROM chat.message WHERE thread_id = %s ORDER BY id$$, :q),
                  $$VALUES (1::bigint, 'text', false, false), (2, 'text', false, false), (4, 'text', false, true),
                           (3, 'text', true, false), (NULL, 'system', false, false), (2, 'text', false, false)$$,
                  'authors, kinds, edits and deletes as they were');
SELECT is_empty('SELECT * FROM chat.verify_unread()', 'every counter exact');
SELECT is((SELECT count(*) FROM chat.search(2, 'fifth') WHERE thread_id = :q), 1::bigint,
          'imported messages are searchable (chat.search)');
SELECT results_eq(format($$SELECT user_id::bigint, role::text, permissions = (SELECT d.permissions FROM chat.permission_default d
                                                                              WHERE d.kind = 'private' AND d.role = mb.role),
                                  muted, archived
                             FROM chat.member mb WHERE thread_id = %s ORDER BY user_id$$, :q),
                  $$VALUES (1::bigint, 'owner', true, false, false), (2, 'member', true, false, false), (3, 'member', true, false, false),
                           (4, 'member', true, true, true), (5, 'member', true, false, false)$$,
                  'the creator owns it; roles'' default permissions; muted and archived as given');
SELECT results_eq(format($$SELECT u, (SELECT unread_count FROM chat.inbox(u, f) WHERE thread_id = %s)
                             FROM (VALUES (1, 'inbox'), (2, 'inbox'), (3, 'deleted'), (4, 'archived'), (5, 'inbox')) v(u, f)
                            ORDER BY u$$, :q),
                  $$VALUES (1, 0::bigint), (2, 3::bigint), (3, 0::bigint), (4, 0::bigint), (5, 6::bigint)$$,
                  'read state: 1 and the others read all; 2 up to 10:02 (3 unread, its own excepted); 5 nothing');
SELECT is((SELECT count(*) FROM chat.inbox(3) WHERE thread_id = :q), 0::bigint, '3 deleted it: not in its inbox');
SELECT is((SELECT (threads, messages)::text FROM chat.unread_count(4)), '(0,0)', '4 muted and archived it: no badge');
SELECT results_eq(format($$SELECT content, edited, deleted FROM chat.messages(%s, 2)$$, :q),
                  $$VALUES ('first', false, false), ('second', false, false), (NULL, false, true), ('fourth', true, false),
                           ('5 joined', false, false), ('fifth', false, false)$$,
                  'messages() shows them as the old application did');
SELECT is(ARRAY(SELECT event FROM chat.event WHERE thread_id = :q ORDER BY seq), ARRAY['thread_created', 'messages_imported'],
          'events: thread_created, then one messages_imported (no message_sent: history is not news)');
SELECT is((SELECT payload ->> 'count' FROM chat.event WHERE thread_id = :q AND event = 'messages_imported'), '6',
          'messages_imported counts them');
SELECT is((SELECT (payload ->> 'message_id')::bigint FROM chat.event WHERE thread_id = :q AND event = 'messages_imported'),
          (SELECT max(id) FROM chat.message WHERE thread_id = :q), '... and names the newest');

/* ---- appending ------------------------------------------------------------------------------ */
SELECT is(chat.import_messages(:q, $$[{"sender_id": 2, "sent_at": "2021-03-02T09:00:00Z", "content": "next day"},
                                      {"sender_id": 1, "sent_at": "2021-03-02T09:30:00Z", "content": "next day, 1"}]$$),
          2, 'import_messages appends two');
SELECT is_empty('SELECT * FROM chat.verify_unread()', 'exact');
SELECT results_eq(format($$SELECT u, (SELECT unread_count FROM chat.inbox(u, f) WHERE thread_id = %s)
                             FROM (VALUES (1, 'inbox'), (2, 'inbox'), (3, 'inbox'), (5, 'inbox')) v(u, f) ORDER BY u$$, :q),
                  $$VALUES (1, 0::bigint), (2, 4::bigint), (3, 0::bigint), (5, 8::bigint)$$,
                  'each member reads on as before: 1 and 3 had read all (3 sees the thread again), 2 and 5 had unread and have the new ones too, their own excepted');
SELECT chat.import_messages(:q, $$[{"sender_id": 3, "sent_at": "2021-03-03T08:00:00Z", "content": "third day"}]$$,
                            $$[{"user_id": 1, "read_until": "2021-03-01T10:03:00Z", "deleted": true},
                               {"user_id": 5, "read_until": "2021-03-03T08:00:00Z"},
                               {"user_id": 3, "deleted": false}]$$) \g /dev/null
SELECT is_empty('SELECT * FROM chat.verify_unread()', 'members'' read state set on append: exact');
SELECT results_eq(format($$SELECT user_id::bigint, read_id = (SELECT id FROM chat.message WHERE thread_id = %1$s AND content = 'third, deleted'),
                                  seen_id >= (SELECT max(id) FROM chat.message WHERE thread_id = %1$s AND content = 'next day, 1'),
                                  hidden_id IS NOT NULL
                             FROM chat.member WHERE thread_id = %1$s AND user_id IN (1, 3) ORDER BY 1$$, :q),
                  $$VALUES (1::bigint, true, true, true), (3, false, false, false)$$,
                  '1 read up to 10:03 (its pointer went back, its "seen" stays) and deleted it; 3 has it back');
SELECT is((SELECT unread_count FROM chat.inbox(5) WHERE thread_id = :q), 0::bigint, '5 read everything up to the end');
SELECT is((SELECT unread_count FROM chat.inbox(1, 'deleted') WHERE thread_id = :q), 5::bigint,
          '1: 5 unread, its own not counted, in the deleted folder');
SELECT pg_temp.rebase();
SELECT pg_temp.fails(format($$SELECT chat.import_messages(%s, '[{"sender_id": 2, "sent_at": "2021-03-01T00:00:00Z", "content": "too early"}]')$$, :q),
                     '22023', 'messages[0].sent_at is before the thread''s newest message', 'an import appends: nothing older than the newest');
SELECT pg_temp.fails(format($$SELECT chat.import_messages(%s, '[]', '[{"user_id": 9}]')$$, :q), '42704',
                     format('user "9" is not a member of thread %s', :q), 'members of import_messages are the thread''s');
SELECT pg_temp.fails(format($$SELECT chat.import_messages(%s, '[]', '[{"user_id": 2, "role": "owner"}]')$$, :q), '22023',
                     'unknown field "role" in members[0]', 'appending sets read state and folders only');

/* ---- live afterwards -------------------------------------------------------------------------- */
SELECT ok(chat.new_reply(:q, 4, 'live again') > (SELECT max(id) FROM chat.message WHERE thread_id = :q AND content = 'third day'),
          'a live reply comes after the history');
SELECT is((SELECT sent_at > '2021-03-03' FROM chat.message WHERE thread_id = :q ORDER BY id DESC LIMIT 1), true, 'with today''s time');
SELECT ok(chat.mark_read(:q, 2) > 0, 'mark_read works on imported history');
SELECT ok(chat.mark_unread(:q, 2, (SELECT min(id) FROM chat.message WHERE thread_id = :q)) > 0, 'so does mark_unread');
SELECT chat.leave_thread(:q, 5) \g /dev/null
SELECT is_empty('SELECT * FROM chat.verify_unread()', 'exact after live calls');
SELECT is(ARRAY(SELECT user_id::int FROM chat.receipts((SELECT min(id) FROM chat.message WHERE thread_id = :q), 1) WHERE status = 'seen'),
          ARRAY[2, 3, 4], 'receipts of an imported message: seen by those whose pointer passed it');

/* ---- other kinds ------------------------------------------------------------------------------- */
SELECT chat.import_thread($${"kind": "direct", "members": [{"user_id": 7}, {"user_id": 6, "read_until": "2020-01-01"}],
                             "messages": [{"sender_id": 7, "sent_at": "2020-01-02T00:00:00Z", "content": "hi 6"}]}$$) AS dq \gset
SELECT results_eq(format('SELECT kind::text, subject, direct_low::bigint, direct_high::bigint FROM chat.thread WHERE id = %s', :dq),
                  $$VALUES ('direct', NULL::text, 6::bigint, 7::bigint)$$, 'a direct thread, its pair ordered');
SELECT is(chat.direct_thread(6, 7), :'dq'::bigint, 'direct_thread finds it');
SELECT is((SELECT unread_count FROM chat.inbox(6) WHERE thread_id = :dq), 1::bigint, '6 has 7''s message unread');
SELECT chat.import_thread($${"kind": "channel", "subject": "news", "is_public": true, "created_by": 8,
                             "members": [{"user_id": 8, "role": "owner"}, {"user_id": 9, "role": "admin"},
                                         {"user_id": 10}, {"user_id": 11}, {"user_id": 12, "joined_at": "2020-06-01T00:00:00Z"}],
                             "messages": [{"sender_id": 9, "sent_at": "2020-05-01T00:00:00Z", "content": "by the admin"},
                                          {"sender_id": 10, "sent_at": "2020-05-02T00:00:00Z", "content": "by a former poster"}]}$$) AS cq \gset
SELECT results_eq(format('SELECT kind::text, is_public, large, member_count FROM chat.thread WHERE id = %s', :cq),
                  $$VALUES ('channel', true, true, 5)$$, 'a public channel, large (5 members > inbox_fanout_limit 3)');
SELECT results_eq(format('SELECT user_id::bigint, role::text, large FROM chat.member WHERE thread_id = %s ORDER BY 1', :cq),
                  $$VALUES (8::bigint, 'owner', true), (9, 'admin', true), (10, 'member', true), (11, 'member', true), (12, 'member', true)$$,
                  'roles as given, every member row large');
SELECT is((SELECT joined_at FROM chat.member WHERE thread_id = :cq AND user_id = 12), '2020-06-01 00:00:00+00'::timestamptz,
          'joined_at as given');
SELECT is((SELECT joined_at FROM chat.member WHERE thread_id = :cq AND user_id = 10), '2020-05-01 00:00:00+00'::timestamptz,
          'else the thread''s creation');
SELECT is((SELECT count(*) FROM chat.message WHERE thread_id = :cq AND sender_id = 10), 1::bigint,
          'history keeps messages of members who could not post now');
SELECT throws_ok(format($$SELECT chat.new_reply(%s, 10, 'now')$$, :cq), '42501', NULL, '... while a live one is refused as ever');
SELECT is_empty('SELECT * FROM chat.verify_unread()', 'exact');
SELECT chat.import_thread('{"kind": "group", "subject": "empty", "members": [{"user_id": 1}, {"user_id": 2, "deleted": true}]}') AS eq \gset
SELECT results_eq(format('SELECT message_count, last_message_id, member_count FROM chat.thread WHERE id = %s', :eq),
                  $$VALUES (0::bigint, NULL::bigint, 2)$$, 'a thread without history');
SELECT is((SELECT count(*) FROM chat.inbox(2, 'deleted') WHERE thread_id = :eq), 1::bigint, '... deleted for 2 until someone writes');
SELECT is(chat.import_messages(:eq, $$[{"sender_id": 1, "sent_at": "2022-01-01T00:00:00Z", "content": "later"}]$$), 1,
          'then history appended');
SELECT is((SELECT count(*) FROM chat.inbox(2) WHERE thread_id = :eq), 1::bigint, '... brings it back for 2');

/* ---- history appended to a live room with mentions -------------------------------------------- */
SELECT chat.create_group(30, 'live', '{31,32}') AS lq \gset
SELECT chat.new_reply(:lq, 30, 'hi @{31}', mentions => '{31}') \g /dev/null
SELECT chat.mark_read(:lq, 31) \g /dev/null
SELECT chat.new_reply(:lq, 32, 'and @{31} again', mentions => '{31}') \g /dev/null
SELECT is((SELECT mention_count FROM chat.member WHERE thread_id = :lq AND user_id = 31), 1::bigint, '31 has one unread mention');
SELECT chat.import_messages(:lq, format('[{"sender_id": 30, "sent_at": "%s", "content": "imported"}]', clock_timestamp())::jsonb,
                            '[{"user_id": 31, "read_until": "-infinity"}]') \g /dev/null
SELECT is((SELECT mention_count FROM chat.member WHERE thread_id = :lq AND user_id = 31), 2::bigint,
          'read nothing: both mentions unread again');
SELECT is_empty('SELECT * FROM chat.verify_unread()', 'unread and mention counts exact');

/* ---- bigger: 2,000 messages and 40 members in one call, each with its read time ----------------- */
SELECT chat.import_thread(jsonb_build_object(
    'kind', 'group', 'subject', 'big',
    'members', (SELECT jsonb_agg(jsonb_build_object('user_id', 100 + u, 'read_until',
                                                    (timestamptz '2019-01-01' + make_interval(mins => u * 50))::text)
                                 ORDER BY u) FROM generate_series(1, 40) u),
    'messages', (SELECT jsonb_agg(jsonb_build_object('sender_id', 100 + 1 + j % 40,
                                                     'sent_at', (timestamptz '2019-01-01' + make_interval(mins => j))::text,
                                                     'content', 'big message ' || j)) FROM generate_series(1, 2000) j))) AS bq \gset
SELECT is((SELECT message_count FROM chat.thread WHERE id = :bq), 2000::bigint, '2,000 messages in one call');
SELECT is_empty(format('SELECT * FROM chat.verify_unread(%s)', :bq), 'exact');
SELECT is((SELECT unread_count FROM chat.inbox(101) WHERE thread_id = :bq),
          (SELECT count(*) FROM chat.message WHERE thread_id = :bq AND sent_at > '2019-01-01 00:50+00' AND sender_id <> 101),
          'member 101 read until 00:50: the rest is unread, its own excepted');

/* ---- a swapped message model gets its rows ---------------------------------------------------- */
CREATE TABLE public.message_note (thread_id bigint, message_id bigint, note text NOT NULL DEFAULT 'none',
                                  PRIMARY KEY (thread_id, message_id),
                                  FOREIGN KEY (thread_id, message_id) REFERENCES chat.message (thread_id, id) ON DELETE CASCADE);
SELECT chat.swap_model('message', 'public.message_note') \g /dev/null
SELECT chat.import_thread('{"subject": "noted", "members": [{"user_id": 1}],
                            "messages": [{"sender_id": 1, "sent_at": "2020-01-01T00:00:00Z", "content": "a"},
                                         {"sender_id": 1, "sent_at": "2020-01-01T00:01:00Z", "content": "b"}]}') AS nq \gset
SELECT is((SELECT count(*) FROM public.message_note WHERE thread_id = :nq), 2::bigint,
          'a swapped message model gets a row of defaults per imported message');
SELECT is((SELECT extra ->> 'note' FROM chat.messages(:nq, 1) LIMIT 1), 'none', 'which messages() shows');
SELECT chat.swap_model('message', NULL) \g /dev/null

/* ---- recount after import and purge ------------------------------------------------------------ */
SELECT chat.set_setting('retention_days', '1000') \g /dev/null
SELECT cmp_ok(chat.purge(100000), '>', 0::bigint, 'imported history older than retention_days is purged');
SELECT is(chat.purge(), 0::bigint, '... all of it');
SELECT is((SELECT count(*) FROM chat.message WHERE sent_at < now() - interval '1000 days'), 0::bigint, 'none is left');
SELECT is_empty('SELECT * FROM chat.verify_unread()', 'every counter exact after import and purge');
SELECT chat.set_setting('retention_days', NULL) \g /dev/null

/* ---- refusals ------------------------------------------------------------------------------------- */
SELECT pg_temp.rebase();
CREATE FUNCTION pg_temp.bad(doc text, code text, msg text, what text) RETURNS SETOF text
    LANGUAGE sql AS $$ SELECT pg_temp.fails(format('SELECT chat.import_thread(%L)', doc), code, msg, what) $$;
CREATE FUNCTION pg_temp.bad_message(m text, code text, msg text, what text) RETURNS SETOF text
    LANGUAGE sql AS $$
    SELECT pg_temp.bad(format('{"subject": "s", "members": [{"user_id": 1}], "messages": [%s]}', m), code, msg, what)
$$;
SELECT pg_temp.fails('SELECT chat.import_thread(NULL)', '22004', 'argument "thread" must not be null', 'NULL thread');
SELECT pg_temp.bad('[]', '22023', 'thread must be a JSON object', 'not an object');
SELECT pg_temp.bad('{"subject": "s", "members": [{"user_id": 1}], "colour": "red"}', '22023', 'unknown field "colour" in thread',
                   'an unknown field');
SELECT pg_temp.bad('{"kind": "club", "subject": "s", "members": [{"user_id": 1}]}', '22023', 'invalid kind in thread', 'a bad kind');
SELECT pg_temp.bad('{"members": [{"user_id": 1}]}', '22004', 'thread.subject must not be null', 'no subject');
SELECT pg_temp.bad('{"subject": "  ", "members": [{"user_id": 1}]}', '22023', 'thread.subject must not be blank', 'a blank subject');
SELECT pg_temp.bad(format('{"subject": "%s", "members": [{"user_id": 1}]}', repeat('x', 256)), '22001', 'thread.subject is too long',
                   'a subject over max_subject_length');
SELECT pg_temp.bad('{"kind": "direct", "subject": "s", "members": [{"user_id": 1}, {"user_id": 2}]}', '22023',
                   'a direct thread has no subject', 'a direct thread with a subject');
SELECT pg_temp.bad('{"kind": "direct", "members": [{"user_id": 1}]}', '22023',
                   'a direct thread has two members, both of role member', 'a direct thread of one');
SELECT pg_temp.bad('{"kind": "direct", "members": [{"user_id": 7}, {"user_id": 6}]}', '23505',
                   'users "6" and "7" have a direct thread already', 'a direct pair that has its thread');
SELECT pg_temp.bad('{"subject": "s"}', '22004', 'thread.members must not be null', 'no members');
SELECT pg_temp.bad('{"subject": "s", "members": []}', '22023', 'thread.members must not be empty', 'no member');
SELECT pg_temp.bad('{"subject": "s", "members": {"user_id": 1}}', '22023', 'thread.members must be a JSON array of members',
                   'members not an array');
SELECT pg_temp.bad('{"subject": "s", "members": [1]}', '22023', 'thread.members[0] must be a JSON object', 'a member not an object');
SELECT pg_temp.bad('{"subject": "s", "members": [{}]}', '22004', 'thread.members[0] has no user_id', 'a member without user_id');
SELECT pg_temp.bad('{"subject": "s", "members": [{"user_id": 1}, {"user_id": 1}]}', '22023',
                   'user "1" is listed twice in thread.members', 'a member twice');
SELECT pg_temp.bad('{"subject": "s", "members": [{"user_id": "one"}]}', '22P02', 'invalid input syntax for type bigint: "one"',
                   'a user id of the wrong type');
SELECT pg_temp.bad('{"subject": "s", "members": [{"user_id": 1e30}]}', '22003', NULL, 'a user id out of range');
SELECT pg_temp.bad('{"subject": "s", "members": [{"user_id": 1, "role": "boss"}]}', '22023', 'invalid role in thread.members[0]',
                   'a bad role');
SELECT pg_temp.bad('{"subject": "s", "members": [{"user_id": 1, "read_until": "yesterday-ish"}]}', '22023',
                   'invalid timestamp in thread.members[0].read_until: "yesterday-ish"', 'a bad read_until');
SELECT pg_temp.bad('{"subject": "s", "members": [{"user_id": 1, "muted": "yes"}]}', '22023',
                   'thread.members[0].muted must be true or false', 'a bad flag');
SELECT pg_temp.bad('{"subject": "s", "members": [{"user_id": 1, "nickname": "x"}]}', '22023',
                   'unknown field "nickname" in thread.members[0]', 'an unknown member field');
SELECT chat.set_setting('max_members', '3') \g /dev/null
SELECT pg_temp.rebase();
SELECT pg_temp.bad('{"subject": "s", "members": [{"user_id": 1}, {"user_id": 2}, {"user_id": 3}, {"user_id": 4}]}', '54000',
                   'too many members for a new thread', 'past max_members');
SELECT chat.set_setting('max_members', NULL) \g /dev/null
SELECT pg_temp.rebase();
SELECT pg_temp.bad('{"subject": "s", "members": [{"user_id": 1}], "messages": {}}', '22023',
                   'thread.messages must be a JSON array of messages', 'messages not an array');
SELECT pg_temp.bad_message('"hi"', '22023', 'thread.messages[0] must be a JSON object', 'a message not an object');
SELECT pg_temp.bad_message('{"sender_id": 1, "content": "x"}', '22004', 'thread.messages[0] has no sent_at', 'no sent_at');
SELECT pg_temp.bad_message('{"sender_id": 1, "sent_at": 5, "content": "x"}', '22023', 'thread.messages[0].sent_at must be a string',
                           'sent_at not a string');
SELECT pg_temp.bad_message('{"sender_id": 1, "sent_at": "soon", "content": "x"}', '22023',
                           'invalid timestamp in thread.messages[0].sent_at: "soon"', 'sent_at not a time');
SELECT pg_temp.bad_message('{"sender_id": 1, "sent_at": "2021-02-30T00:00:00Z", "content": "x"}', '22023',
                           'invalid timestamp in thread.messages[0].sent_at: "2021-02-30T00:00:00Z"', 'sent_at not a date');
SELECT pg_temp.bad_message('{"sender_id": 1, "sent_at": "2999-01-01T00:00:00Z", "content": "x"}', '22023',
                           'thread.messages[0].sent_at is not a past time', 'sent_at in the future');
SELECT pg_temp.bad_message('{"sender_id": 1, "sent_at": "infinity", "content": "x"}', '22023',
                           'thread.messages[0].sent_at is not a past time', 'sent_at infinity');
SELECT pg_temp.bad_message('{"sent_at": "2020-01-01", "content": "x"}', '22004', 'thread.messages[0] has no sender_id',
                           'a text message without sender');
SELECT pg_temp.bad_message('{"sender_id": [1], "sent_at": "2020-01-01", "content": "x"}', '22023',
                           'thread.messages[0].sender_id must be a user id', 'a sender that is no id');
SELECT pg_temp.bad_message('{"sender_id": 1, "sent_at": "2020-01-01"}', '22004', 'thread.messages[0] has no content', 'no content');
SELECT pg_temp.bad_message('{"sender_id": 1, "sent_at": "2020-01-01", "content": " \t "}', '22023',
                           'thread.messages[0].content must not be blank', 'blank content');
SELECT pg_temp.bad_message(format('{"sender_id": 1, "sent_at": "2020-01-01", "content": "%s"}', repeat('x', 65537)), '22001',
                           'thread.messages[0].content is too long', 'content over max_content_length');
SELECT pg_temp.bad_message('{"sender_id": 1, "sent_at": "2020-01-01", "content": "x", "kind": "shout"}', '22023',
                           'invalid kind in thread.messages[0]', 'a bad message kind');
SELECT pg_temp.bad_message('{"sender_id": 1, "sent_at": "2020-01-01", "content": "x", "likes": 3}', '22023',
                           'unknown field "likes" in thread.messages[0]', 'an unknown message field');
SELECT pg_temp.bad_message('{"sender_id": 1, "sent_at": "2020-01-01", "content": "x"}, {"sender_id": 1, "sent_at": "2020-01-02", "content": ""}',
                           '22023', 'thread.messages[1].content must not be blank', 'the element at fault is named');
SELECT pg_temp.fails('SELECT chat.import_messages(NULL, ''[]'')', '22004', 'argument "thread_id" must not be null',
                     'import_messages: NULL thread');
SELECT pg_temp.fails('SELECT chat.import_messages(999999, ''[]'')', '42704', 'thread 999999 does not exist',
                     'import_messages: unknown thread');
SELECT pg_temp.fails(format('SELECT chat.import_messages(%s, NULL)', :q), '22004', 'argument "messages" must not be null',
                     'import_messages: NULL messages');

/* end users may not import; server roles may */
SELECT pg_temp.fails(pg_temp.as_role('regress_import_alice', $$SELECT chat.import_thread('{"subject": "s", "members": [{"user_id": 1}]}')$$),
                     '42501', 'permission denied to import messages', 'import_thread: an end user');
SELECT pg_temp.fails(pg_temp.as_role('regress_import_alice',
                                     format($$SELECT chat.import_messages(%s, '[{"sender_id": 2, "sent_at": "2021-12-01", "content": "forged"}]')$$, :q)),
                     '42501', 'permission denied to import messages', 'import_messages: an end user, into her own thread');
SELECT pg_temp.fails(pg_temp.as_role('regress_import_alice', 'SELECT * FROM chat.import_pinax()'),
                     '42501', 'permission denied to import messages', 'import_pinax: an end user');
SELECT pg_temp.fails(pg_temp.as_role('regress_import_nobody', $$SELECT chat.import_thread('{"subject": "s", "members": [{"user_id": 1}]}')$$),
                     '42501', 'permission denied to import messages', 'import_thread: a role with no chat user');
SELECT lives_ok(pg_temp.as_role('regress_import_server', $$SELECT chat.import_thread('{"subject": "by the server", "members": [{"user_id": 1}],
                                   "messages": [{"sender_id": 1, "sent_at": "2020-01-01", "content": "x"}]}')$$),
                'a server role that is not a superuser imports');
SELECT is_empty('SELECT * FROM chat.verify_unread()', 'exact');

/* ---- pinax-messages' tables ------------------------------------------------------------------------ */
/* as Django creates them (user_messages, the app pinax-messages grew from) */
CREATE SCHEMA pinax;
CREATE TABLE pinax.user_messages_thread (id serial PRIMARY KEY, subject varchar(150) NOT NULL);
CREATE TABLE pinax.user_messages_userthread (id serial PRIMARY KEY,
    thread_id integer NOT NULL REFERENCES pinax.user_messages_thread, user_id integer NOT NULL,
    unread boolean NOT NULL, deleted boolean NOT NULL);
CREATE TABLE pinax.user_messages_message (id serial PRIMARY KEY,
    thread_id integer NOT NULL REFERENCES pinax.user_messages_thread, sender_id integer NOT NULL,
    sent_at timestamptz NOT NULL, content text NOT NULL);
INSERT INTO pinax.user_messages_thread (subject) VALUES ('Lunch'), ('Nobody''s');
INSERT INTO pinax.user_messages_message (thread_id, sender_id, sent_at, content) VALUES
    (1, 21, '2016-04-01 12:00+00', 'Pizza?'), (1, 22, '2016-04-01 12:05+00', 'Yes!'),
    (1, 21, '2016-04-01 12:06+00', 'Noon then'), (1, 23, '2016-04-01 12:30+00', 'Me too'),
    (2, 24, '2016-05-01 00:00+00', 'lost');
-- 21 wrote first and deleted it (pinax hides a new thread from its sender);
-- 22 replied, then got 21's and 23's messages; 23 replied last, read
INSERT INTO pinax.user_messages_userthread (thread_id, user_id, unread, deleted) VALUES
    (1, 21, true, true), (1, 22, true, false), (1, 23, false, false);
GRANT USAGE ON SCHEMA pinax TO regress_import_server;
SELECT pg_temp.rebase();
SELECT pg_temp.fails(pg_temp.as_role('regress_import_server', $$SELECT * FROM chat.import_pinax('pinax')$$), '42501',
                     'permission denied for table pinax.user_messages_thread', 'import_pinax: a server role that may not read pinax''s tables');
SELECT pg_temp.fails($$SELECT * FROM chat.import_pinax()$$, '42P01', 'relation "public.user_messages_thread" does not exist',
                     'import_pinax: no tables there');
SELECT pg_temp.fails($$SELECT * FROM chat.import_pinax('pinax', 'pinax_messages')$$, '42P01',
                     'relation "pinax.pinax_messages_thread" does not exist', 'import_pinax: another prefix');
SELECT pg_temp.fails($$SELECT * FROM chat.import_pinax(NULL)$$, '22004', 'argument "schema" must not be null',
                     'import_pinax: NULL schema');
UPDATE pinax.user_messages_message SET content = ' ' WHERE id = 2;
SELECT pg_temp.fails($$SELECT * FROM chat.import_pinax('pinax')$$, '22023', 'pinax message 2 (thread 1) has blank content',
                     'import_pinax: bad data is named by pinax''s ids before anything is written');
UPDATE pinax.user_messages_message SET content = 'Yes!' WHERE id = 2;
GRANT SELECT ON ALL TABLES IN SCHEMA pinax TO regress_import_server;
SET LOCAL ROLE regress_import_server;
CREATE TEMP TABLE pinax_map AS SELECT * FROM chat.import_pinax('pinax');
RESET ROLE;
SELECT is((SELECT count(*) FROM pinax_map), 1::bigint, 'import_pinax: the thread with members, not the one nobody belongs to');
SELECT pinax_thread_id AS pin, thread_id AS lunch FROM pinax_map \gset
SELECT is(:pin, 1, 'mapped from pinax''s id');
SELECT results_eq(format('SELECT subject, created_by::bigint, created_at, message_count FROM chat.thread WHERE id = %s', :lunch),
                  $$VALUES ('Lunch', 21::bigint, '2016-04-01 12:00:00+00'::timestamptz, 4::bigint)$$,
                  'subject, creator (the first sender), times, messages');
SELECT results_eq(format($$SELECT sender_id::bigint, sent_at, content FROM chat.message WHERE thread_id = %s ORDER BY id$$, :lunch),
                  $$SELECT sender_id::bigint, sent_at, content FROM pinax.user_messages_message WHERE thread_id = 1 ORDER BY sent_at$$,
                  'every message with its author and time');
SELECT results_eq(format($$SELECT u, f, (SELECT unread_count FROM chat.inbox(u, f) WHERE thread_id = %s)
                             FROM (VALUES (21, 'deleted'), (22, 'inbox'), (23, 'inbox')) v(u, f) ORDER BY u$$, :lunch),
                  $$VALUES (21, 'deleted', 1::bigint), (22, 'inbox', 2::bigint), (23, 'inbox', 0::bigint)$$,
                  'unread: what came after one''s own last message; deleted: the deleted folder');
SELECT is((SELECT role::text FROM chat.member WHERE thread_id = :lunch AND user_id = 21), 'owner', 'the first sender owns it');
SELECT is_empty('SELECT * FROM chat.verify_unread()', 'exact after the pinax import');

SELECT * FROM finish();
ROLLBACK;
