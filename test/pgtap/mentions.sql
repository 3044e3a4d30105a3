-- Mentions (issue 14, item 4): "@{id}" in the text and explicit lists, only
-- members mentioned, per-member unread mention counts exact after replies,
-- mark_read, mark_unread and hard deletes (chat.verify_unread recounts
-- them), the mentions folder and badge, large threads (a mention writes only
-- the mentioned member's row), notification levels and claims (a muted
-- thread at level "mentions" still notifies a mention), the message_sent
-- event's "mentions", refusals that change nothing, an end user via SET ROLE.
--
-- Not one transaction: notifications are expanded from committed messages
-- only, so each step commits.  The file drops what it made at the end.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;
DROP EXTENSION IF EXISTS chat CASCADE;
DROP ROLE IF EXISTS regress_mention_user;
SET chat.user_id_type = 'bigint';
SET chat.user_id = '';
CREATE EXTENSION chat;
RESET chat.user_id_type;
SELECT chat.set_setting('notify', 'false') \g /dev/null

SELECT plan(84);

CREATE FUNCTION pg_temp.counts(tid bigint) RETURNS TABLE (user_id bigint, mentions bigint)
    LANGUAGE sql AS $$
    SELECT mb.user_id, mb.mention_count FROM chat.member mb WHERE mb.thread_id = tid ORDER BY 1
$$;
CREATE FUNCTION pg_temp.drift() RETURNS bigint
    LANGUAGE sql AS $$ SELECT count(*) FROM chat.verify_unread() $$;
CREATE FUNCTION pg_temp.claimed(tid bigint) RETURNS bigint[]
    LANGUAGE sql AS $$
    SELECT coalesce(array_agg(c.user_id ORDER BY c.message_id, c.user_id), '{}')
      FROM chat.claim_notifications('test', 1000) c WHERE c.thread_id = tid
$$;

/* ---- the syntax ------------------------------------------------------------------ */

SELECT is(chat._parse_mentions('no mention here'), NULL, 'text without "@{" mentions no one');
SELECT is(chat._parse_mentions('mail me at a@b.c or @bob'), NULL, '"@" without braces is text');
SELECT is(chat._parse_mentions('@{2} and @{-3}, @{2} again'), '{2,-3,2}'::chat.user_id[],
          '"@{id}" in order, repeats kept (the trigger drops them)');
SELECT is(chat._parse_mentions('@{abc} @{1234567890123456789} @{} @{4'), NULL,
          'tokens that are not ids of the type are text: letters, too many digits, empty, unclosed');
SELECT is(chat._parse_mentions('@{@{5}}'), '{5}'::chat.user_id[], 'a nested "@{" starts over');
SELECT is(cardinality(chat._parse_mentions(repeat('@{7} ', 1500))), 1000, 'text mentions past 1000 are text');

/* ---- who is mentioned, and the counts ---------------------------------------------- */

/* Alice (1) writes to 2, 3, 4: mentions 2, 9 (no member), herself and 3 */
SELECT chat.new_message(1, '{2,3,4}', 'p', 'hi @{2}, @{9}, @{1} and @{3} @{2}') AS m1 \gset
SELECT thread_id AS p FROM chat.message WHERE id = :m1 \gset
SELECT is((SELECT mentions FROM chat.message WHERE id = :m1), '{2,3}'::chat.user_id[],
          'new_message keeps the members mentioned, sorted, once, without the sender or non-members');
SELECT results_eq(format('SELECT * FROM pg_temp.counts(%s)', :p),
                  $$VALUES (1::bigint, 0::bigint), (2, 1), (3, 1), (4, 0)$$, 'each mentioned member counts one');
SELECT is((SELECT last_mention_id FROM chat.member WHERE thread_id = :p AND user_id = 2), :m1::bigint,
          'last_mention_id is the message');

SELECT chat.new_reply(:p, 2, 'to @{3}', mentions => '{1,4,77}') AS m2 \gset
SELECT is((SELECT mentions FROM chat.message WHERE id = :m2), '{1,4}'::chat.user_id[],
          'an explicit list replaces the text''s mentions; non-members are ignored');
SELECT results_eq(format('SELECT * FROM pg_temp.counts(%s)', :p),
                  $$VALUES (1::bigint, 1::bigint), (2, 0), (3, 1), (4, 1)$$,
                  'the sender has read its mentions; the others count theirs');
SELECT chat.new_reply(:p, 3, 'hey @{1}', mentions => '{}') AS m3 \gset
SELECT is((SELECT mentions FROM chat.message WHERE id = :m3), NULL, 'an empty list mentions no one, whatever the text says');
SELECT chat.new_reply(:p, 3, 'no one') AS m4 \gset
SELECT is((SELECT mentions FROM chat.message WHERE id = :m4), NULL, 'text without mentions: NULL');
SELECT chat.new_reply(:p, 3, '@{4} @{1}') AS m5 \gset
SELECT chat.new_reply(:p, 2, 'again @{4}') AS m6 \gset
SELECT results_eq(format('SELECT * FROM pg_temp.counts(%s)', :p),
                  $$VALUES (1::bigint, 2::bigint), (2, 0), (3, 0), (4, 3)$$, 'counts after six messages');
SELECT is(pg_temp.drift(), 0::bigint, 'verify_unread finds them exact');

/* ---- read state ------------------------------------------------------------------ */

SELECT chat.mark_read(:p, 4, :m5) \g /dev/null
SELECT is((SELECT mention_count FROM chat.member WHERE thread_id = :p AND user_id = 4), 1::bigint,
          'mark_read up to a message: the mentions after it stay');
SELECT chat.mark_unread(:p, 4, :m2) \g /dev/null
SELECT is((SELECT mention_count FROM chat.member WHERE thread_id = :p AND user_id = 4), 3::bigint,
          'mark_unread: the mentions after the new pointer count again');
SELECT chat.mark_unread(:p, 4, :m6) \g /dev/null
SELECT is((SELECT mention_count FROM chat.member WHERE thread_id = :p AND user_id = 4), 3::bigint,
          'mark_unread forward of the pointer changes nothing');
SELECT chat.mark_read(:p, 4) \g /dev/null
SELECT is((SELECT mention_count FROM chat.member WHERE thread_id = :p AND user_id = 4), 0::bigint,
          'mark_read to the newest: none left');
SELECT chat.mark_unread(:p, 4, :m1) \g /dev/null
SELECT is((SELECT mention_count FROM chat.member WHERE thread_id = :p AND user_id = 4), 3::bigint,
          'mark_unread to the first message: all three again');
SELECT is(pg_temp.drift(), 0::bigint, 'verify_unread: exact after the moves');

/* ---- the folder and the badge --------------------------------------------------------- */

SELECT chat.new_message(1, '{4}', 'q', 'nothing for you') AS q1 \gset
SELECT thread_id AS q FROM chat.message WHERE id = :q1 \gset
SELECT results_eq($$SELECT thread_id FROM chat.inbox(4, 'mentions')$$, ARRAY[:p::bigint],
                  'the mentions folder: the threads with unread mentions');
SELECT is(chat.inbox_count(4, 'mentions'), 1::bigint, 'inbox_count counts it');
SELECT results_eq(format($$SELECT unread_count, mention_count FROM chat.inbox(4) WHERE thread_id IN (%s, %s) ORDER BY thread_id$$, :p, :q),
                  format($$VALUES (%s::bigint, 3::bigint), (1, 0)$$,
                         (SELECT t.message_count - mb.read_count FROM chat.thread t JOIN chat.member mb ON mb.thread_id = t.id
                           WHERE t.id = :p AND mb.user_id = 4)),
                  'inbox rows carry the mention count beside the unread count');
SELECT is((SELECT mention_count FROM chat.inbox(4, 'mentions')), (SELECT mentions FROM chat.mention_count(4, :p)),
          'and it is mention_count(viewer, thread)');
SELECT results_eq($$SELECT threads, mentions FROM chat.mention_count(4)$$, $$VALUES (1::bigint, 3::bigint)$$,
                  'mention_count: the badge');
SELECT results_eq(format($$SELECT threads, mentions FROM chat.mention_count(4, %s)$$, :q),
                  $$VALUES (0::bigint, 0::bigint)$$, 'mention_count of one thread');
SELECT chat.mute(:p, 4) \g /dev/null
SELECT results_eq($$SELECT threads, mentions FROM chat.mention_count(4)$$, $$VALUES (1::bigint, 3::bigint)$$,
                  'a muted thread''s mentions still count');
SELECT chat.set_notify_level(:p, 'none', 4) \g /dev/null
SELECT results_eq($$SELECT threads, mentions FROM chat.mention_count(4)$$, $$VALUES (0::bigint, 0::bigint)$$,
                  'a thread at level none is left out of the mention badge');
SELECT chat.mute(:p, 4, false) \g /dev/null
SELECT is((SELECT threads FROM chat.unread_count(4)), 1::bigint, 'and of the unread badge, like a muted thread');
SELECT chat.set_notify_level(:p, 'all', 4) \g /dev/null
SELECT is((SELECT threads FROM chat.unread_count(4)), 2::bigint, 'level all: counted again');
SELECT chat.archive_thread(:p, 4) \g /dev/null
SELECT is(chat.inbox_count(4, 'mentions'), 0::bigint, 'an archived thread leaves the mentions folder');
SELECT chat.unarchive_thread(:p, 4) \g /dev/null
SELECT chat.mark_read(:p, 4) \g /dev/null
SELECT is(chat.inbox_count(4, 'mentions'), 0::bigint, 'read: out of the folder');

/* ---- hard deletes are recounted ----------------------------------------------------- */

SELECT chat.mark_unread(:p, 4, :m1) \g /dev/null
DELETE FROM chat.message WHERE thread_id = :p AND id = :m6;
SELECT results_eq(format('SELECT * FROM pg_temp.counts(%s)', :p),
                  $$VALUES (1::bigint, 2::bigint), (2, 0), (3, 0), (4, 2)$$,
                  'a hard-deleted message takes its mentions with it');
SELECT is((SELECT last_mention_id FROM chat.member WHERE thread_id = :p AND user_id = 4), :m5::bigint,
          'last_mention_id goes back to the newest left');
SELECT is(pg_temp.drift(), 0::bigint, 'verify_unread: exact after the delete');
/* a soft delete keeps the message and so its mention, as it keeps it unread */
SELECT chat.delete_message(:m5, 3) \g /dev/null
SELECT is((SELECT mention_count FROM chat.member WHERE thread_id = :p AND user_id = 4), 2::bigint,
          'a soft delete changes no count');
SELECT is(pg_temp.drift(), 0::bigint, 'verify_unread agrees');

/* ---- verify_unread catches a wrong count --------------------------------------------- */

UPDATE chat.member SET mention_count = 7 WHERE thread_id = :p AND user_id = 3;
SELECT results_eq(format($$SELECT what, stored, recounted FROM chat.verify_unread(%s)$$, :p),
                  $$VALUES ('mentions'::text, 7::bigint, 0::bigint)$$, 'verify_unread reports a drifted mention count');
UPDATE chat.member SET mention_count = 0 WHERE thread_id = :p AND user_id = 3;

/* ---- large threads: a mention writes only the mentioned member's row --------------------- */

SELECT chat.set_setting('inbox_fanout_limit', '3') \g /dev/null
SELECT chat.create_group(1, 'big', '{2,3,4,5,6}') AS big \gset
SELECT is((SELECT large FROM chat.thread WHERE id = :big), true, 'the group is large');
CREATE TEMP TABLE before_rows AS SELECT user_id, xmin::text AS x FROM chat.member WHERE thread_id = :big;
SELECT chat.new_reply(:big, 2, 'ping @{5}') AS b1 \gset
SELECT results_eq(format($$SELECT mb.user_id::bigint FROM chat.member mb JOIN before_rows b USING (user_id)
                            WHERE mb.thread_id = %s AND mb.xmin::text <> b.x ORDER BY 1$$, :big),
                  ARRAY[2::bigint, 5], 'only the sender''s and the mentioned member''s rows were written');
SELECT results_eq(format('SELECT * FROM pg_temp.counts(%s)', :big),
                  $$VALUES (1::bigint, 0::bigint), (2, 0), (3, 0), (4, 0), (5, 1), (6, 0)$$, 'the count in a large thread');
SELECT results_eq($$SELECT thread_id FROM chat.inbox(5, 'mentions')$$, ARRAY[:big::bigint],
                  'a large thread in the mentions folder');
SELECT is((SELECT mention_count FROM chat.inbox(5) WHERE thread_id = :big), 1::bigint,
          'its inbox row says one mention');
SELECT chat.mark_read(:big, 5) \g /dev/null
SELECT is((SELECT mention_count FROM chat.member WHERE thread_id = :big AND user_id = 5), 0::bigint,
          'read in a large thread');
SELECT is(pg_temp.drift(), 0::bigint, 'verify_unread: exact in the large thread');
SELECT chat.set_setting('inbox_fanout_limit', '100') \g /dev/null

/* ---- events ------------------------------------------------------------------------ */

SELECT is((SELECT payload -> 'mentions' FROM chat.event WHERE event = 'message_sent' AND (payload ->> 'message_id')::bigint = :m1),
          '[2, 3]'::jsonb, 'message_sent of new_message has "mentions"');
SELECT is((SELECT payload -> 'mentions' FROM chat.event WHERE event = 'message_sent' AND (payload ->> 'message_id')::bigint = :m2),
          '[1, 4]'::jsonb, 'and of new_reply');
SELECT ok((SELECT NOT payload ? 'mentions' FROM chat.event WHERE event = 'message_sent' AND (payload ->> 'message_id')::bigint = :m4),
          'no key without mentions');
SELECT is((SELECT payload - 'seq' FROM chat.event WHERE event = 'notify_level_set' ORDER BY seq DESC LIMIT 1),
          jsonb_build_object('event', 'notify_level_set', 'thread_id', :p, 'user_id', 4, 'level', 'all'),
          'notify_level_set: the level');
SELECT is((SELECT keys FROM chat.event_kind WHERE name = 'message_sent'),
          '{message_id,user_id,reply,kind,parent_id?,forwarded_from?,mentions?}', 'the key is documented');

/* ---- notification levels and claims -------------------------------------------------- */

/*
 * Thread n: 1 writes to 2..6.  2 level all; 3 muted (level all); 4 level
 * mentions; 5 muted at level mentions; 6 level none.
 */
SELECT pg_temp.claimed(0) \g /dev/null
SELECT chat.new_message(1, '{2,3,4,5,6}', 'n', 'start') AS n1 \gset
SELECT thread_id AS n FROM chat.message WHERE id = :n1 \gset
SELECT chat.mark_read(:n, u) FROM generate_series(2, 6) u \g /dev/null
SELECT pg_temp.claimed(:n) \g /dev/null
SELECT chat.mute(:n, 3) \g /dev/null
SELECT chat.set_notify_level(:n, 'mentions', 4) \g /dev/null
SELECT chat.mute(:n, 5) \g /dev/null
SELECT chat.set_notify_level(:n, 'mentions', 5) \g /dev/null
SELECT chat.set_notify_level(:n, 'none', 6) \g /dev/null
SELECT results_eq($$SELECT user_id::bigint, notify_level FROM chat.member WHERE thread_id = $$ || :n || $$ ORDER BY 1$$,
                  $$VALUES (1::bigint, 'all'::text), (2, 'all'), (3, 'all'), (4, 'mentions'), (5, 'mentions'), (6, 'none')$$,
                  'the levels as set (default all)');
SELECT chat.new_reply(:n, 1, 'plain') AS n2 \gset
SELECT is(pg_temp.claimed(:n), '{2}'::bigint[], 'no mention: only level all, unmuted, is notified');
SELECT chat.new_reply(:n, 1, '@{2} @{3} @{4} @{5} @{6}') AS n3 \gset
SELECT is(pg_temp.claimed(:n), '{2,4,5}'::bigint[],
          'a mention of all: level all unmuted, level mentions, and muted at level mentions; not muted at all, not none');
SELECT chat.new_reply(:n, 1, 'only @{5}') AS n4 \gset
SELECT chat.set_notify_level(:n, 'none', 5) \g /dev/null
SELECT is(pg_temp.claimed(:n), '{2}'::bigint[], 'a level changed to none before the claim: not notified');
SELECT chat.set_notify_level(:n, 'mentions', 2) \g /dev/null
SELECT chat.new_reply(:n, 1, 'for @{4}') AS n5 \gset
SELECT is((SELECT count(*) FROM chat.claim_notifications('w', 1000) c WHERE c.thread_id = :n), 1::bigint,
          'level mentions: the mentioned member only');
SELECT is(pg_temp.drift(), 0::bigint, 'verify_unread: exact');

/* ---- refusals change nothing ----------------------------------------------------------- */

CREATE FUNCTION pg_temp.state() RETURNS text
    LANGUAGE sql AS $$
    SELECT md5(concat_ws('|',
               (SELECT string_agg(t::text, ',' ORDER BY t.id) FROM chat.thread t),
               (SELECT string_agg(m::text, ',' ORDER BY m.thread_id, m.user_id) FROM chat.member m),
               (SELECT string_agg(m::text, ',' ORDER BY m.thread_id, m.id) FROM chat.message m)))
$$;
CREATE TEMP TABLE baseline AS SELECT pg_temp.state() AS state;
\ir lib/fails.sql
SELECT pg_temp.fails(format($$SELECT chat.set_notify_level(%s, 'some', 4)$$, :p), '22023',
                     'invalid notification level "some"', 'set_notify_level: an unknown level');
SELECT pg_temp.fails(format($$SELECT chat.set_notify_level(%s, NULL, 4)$$, :p), '22004',
                     'argument "level" must not be null', 'set_notify_level: NULL level');
SELECT pg_temp.fails(format($$SELECT chat.set_notify_level(%s, 'none', 9)$$, :p), '42501',
                     format('user "9" is not a member of thread %s', :p), 'set_notify_level: not a member');
SELECT pg_temp.fails(format($$SELECT chat.new_reply(%s, 2, 'x', mentions => '{{1},{3}}')$$, :p), '22023',
                     'mentions must be a one-dimensional array', 'new_reply: a two-dimensional list');
SELECT pg_temp.fails(format($$SELECT chat.new_reply(%s, 2, 'x', mentions => '{1,NULL}')$$, :p), '22004',
                     'mentions must not contain null', 'new_reply: NULL in the list');
SELECT pg_temp.fails($$SELECT chat.new_message(1, '{2}', 's', 'x', mentions => '{NULL}')$$, '22004',
                     'mentions must not contain null', 'new_message: NULL in the list');
SELECT pg_temp.fails(format($$SELECT chat.new_reply(%s, 2, 'x', mentions => (SELECT array_agg(u) FROM generate_series(1, 1001) u))$$, :p),
                     '54000', 'too many mentions', 'new_reply: more than 1000 ids');
SELECT pg_temp.fails($$SELECT chat.new_message(1, '{2}', 's', 'x', mentions => (SELECT array_agg(u) FROM generate_series(1, 1001) u))$$,
                     '54000', 'too many mentions', 'new_message: more than 1000 ids');
SELECT pg_temp.fails($$SELECT * FROM chat.inbox(4, 'mention')$$, '22023',
                     'invalid folder "mention"', 'inbox: the folder is "mentions"');

/* ---- an end user ------------------------------------------------------------------------ */

CREATE ROLE regress_mention_user;
SELECT chat.map_role('regress_mention_user', 4) \g /dev/null
SET ROLE regress_mention_user;
SELECT lives_ok(format($$SELECT chat.new_reply(%s, content => 'see @{1}')$$, :p), 'an end user mentions');
SELECT lives_ok(format($$SELECT chat.set_notify_level(%s, 'mentions')$$, :p), 'sets its level');
SELECT results_eq($$SELECT threads FROM chat.mention_count()$$, ARRAY[1::bigint], 'reads its mention badge');
SELECT throws_ok($$SELECT * FROM chat.mention_count(1)$$, '42501', NULL, 'not another''s');
SELECT throws_ok(format($$SELECT chat.set_notify_level(%s, 'none', 1)$$, :p), '42501', NULL,
                 'nor sets another''s level');
SELECT throws_ok($$UPDATE chat.member SET mention_count = 0$$, '42501', NULL, 'nor writes the counts');
RESET ROLE;
SELECT is((SELECT mention_count FROM chat.member WHERE thread_id = :p AND user_id = 1), 3::bigint,
          'the end user''s mention counted');
SELECT is((SELECT notify_level FROM chat.member WHERE thread_id = :p AND user_id = 4), 'mentions', 'its level set');
SELECT is(pg_temp.drift(), 0::bigint, 'verify_unread: exact at the end');

SELECT * FROM finish();

DROP EXTENSION chat CASCADE;
DROP ROLE regress_mention_user;
