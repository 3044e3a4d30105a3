-- chat.verify_unread (chat 0.9: one sort per thread instead of one scan per member) finds what
-- the per-member recount of chat 0.8 found: every kind of drift (message_count, last_message_id,
-- member_count, unread, mentions, copy, large), in small and large threads, for the whole
-- database and for one thread.  The 0.8 query is kept here as the reference.
BEGIN;
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;
DROP EXTENSION IF EXISTS chat CASCADE;
SET chat.user_id_type = 'bigint';
SET chat.user_id = '';
CREATE EXTENSION chat;
RESET chat.user_id_type;
SELECT chat.set_setting('notify', 'false') \g /dev/null
SELECT chat.set_setting('inbox_fanout_limit', '3') \g /dev/null

SELECT plan(12);

/* the recount of chat 0.8, one scan of the messages after each member's pointer */
CREATE FUNCTION pg_temp.reference(bigint)
    RETURNS TABLE (thread_id bigint, user_id chat.user_id, what text, stored bigint, recounted bigint)
    LANGUAGE sql STABLE AS $$
    WITH t AS (
        SELECT t.*, (SELECT count(*) FROM chat.message m WHERE m.thread_id = t.id) AS n,
               (SELECT max(m.id) FROM chat.message m WHERE m.thread_id = t.id) AS last
          FROM chat.thread t WHERE $1 IS NULL OR t.id = $1
    )
    SELECT t.id, NULL::chat.user_id, 'message_count', t.message_count, t.n
      FROM t WHERE t.message_count <> t.n
    UNION ALL
    SELECT t.id, NULL, 'last_message_id', t.last_message_id, t.last
      FROM t WHERE t.last_message_id IS DISTINCT FROM t.last
    UNION ALL
    SELECT t.id, NULL, 'member_count', t.member_count,
           (SELECT count(*) FROM chat.member mb WHERE mb.thread_id = t.id)
      FROM t WHERE t.member_count <> (SELECT count(*) FROM chat.member mb WHERE mb.thread_id = t.id)
    UNION ALL
    SELECT u.thread_id, u.user_id, 'unread', u.stored, u.recounted
      FROM (SELECT mb.thread_id, mb.user_id, t.message_count - mb.read_count AS stored,
                   (SELECT count(*) FROM chat.message m
                     WHERE m.thread_id = t.id AND m.id > mb.read_id
                       AND m.sender_id IS DISTINCT FROM mb.user_id) AS recounted
              FROM t JOIN chat.member mb ON mb.thread_id = t.id) u
     WHERE u.stored <> u.recounted
    UNION ALL
    SELECT u.thread_id, u.user_id, 'mentions', u.stored, u.recounted
      FROM (SELECT mb.thread_id, mb.user_id, mb.mention_count AS stored,
                   (SELECT count(*) FROM chat.message m
                     WHERE m.thread_id = t.id AND m.id > mb.read_id
                       AND mb.user_id = ANY (m.mentions)) AS recounted
              FROM t JOIN chat.member mb ON mb.thread_id = t.id) u
     WHERE u.stored <> u.recounted
    UNION ALL
    SELECT mb.thread_id, mb.user_id, 'copy', mb.message_count, t.message_count
      FROM t JOIN chat.member mb ON mb.thread_id = t.id
     WHERE NOT mb.large AND (mb.message_count <> t.message_count
                             OR mb.activity_id <> coalesce(t.last_message_id, 0))
    UNION ALL
    SELECT mb.thread_id, mb.user_id, 'large', mb.large::int, t.large::int
      FROM t JOIN chat.member mb ON mb.thread_id = t.id
     WHERE mb.large <> t.large
$$;
CREATE FUNCTION pg_temp.same(thread bigint) RETURNS TABLE (ok boolean, new bigint, ref bigint)
    LANGUAGE sql AS $$
    WITH a AS (SELECT * FROM chat.verify_unread(thread)), b AS (SELECT * FROM pg_temp.reference(thread))
    SELECT NOT EXISTS (SELECT * FROM a EXCEPT ALL SELECT * FROM b) AND NOT EXISTS (SELECT * FROM b EXCEPT ALL SELECT * FROM a),
           (SELECT count(*) FROM a), (SELECT count(*) FROM b)
$$;

/* threads: two direct, a small group, a large group (6 members > 3), a channel; replies, mentions, reads */
SELECT chat.direct_thread(1, 2) AS d1 \gset
SELECT chat.direct_thread(3, 4) AS d2 \gset
SELECT chat.create_group(1, 'small', '{2,3}') AS g \gset
SELECT chat.create_group(1, 'large', '{2,3,4,5,6}') AS lg \gset
SELECT chat.create_channel(1, 'news', '{2,3,4,5}') AS ch \gset
SELECT count(chat.new_reply(t, u, 'm ' || i || ' @{' || (1 + (i * 7) % 6) || '}'))
  FROM (VALUES (:d1, 1), (:d1, 2), (:d2, 3), (:g, 1), (:g, 2), (:g, 3), (:lg, 1), (:lg, 4), (:lg, 6), (:ch, 1)) v(t, u),
       generate_series(1, 5) i \g /dev/null
SELECT chat.mark_read(:d1, 2) \g /dev/null
SELECT chat.mark_read(:lg, 5) \g /dev/null
SELECT chat.mark_read(:g, 3, (SELECT id FROM chat.message WHERE thread_id = :g ORDER BY id OFFSET 3 LIMIT 1)) \g /dev/null
SELECT chat.mark_unread(:lg, 2, (SELECT id FROM chat.message WHERE thread_id = :lg ORDER BY id OFFSET 2 LIMIT 1)) \g /dev/null

SELECT is((SELECT count(*) FROM chat.verify_unread()), 0::bigint, 'exact after replies, mentions and reads');
SELECT ok((SELECT ok FROM pg_temp.same(NULL)), 'and the reference agrees');
SELECT ok((SELECT sum(mention_count) FROM chat.member) > 0, 'there are unread mentions to recount');

/* every kind of drift, written behind chat's back */
UPDATE chat.thread SET message_count = message_count + 2 WHERE id = :d1;
UPDATE chat.thread SET last_message_id = last_message_id - 1 WHERE id = :d2;
UPDATE chat.thread SET member_count = 9 WHERE id = :g;
UPDATE chat.member SET read_count = read_count - 1 WHERE thread_id = :lg AND user_id = 5;
UPDATE chat.member SET mention_count = mention_count + 3 WHERE thread_id = :g AND user_id = 2;
UPDATE chat.member SET mention_count = 0 WHERE thread_id = :lg AND mention_count > 0;
UPDATE chat.member SET message_count = message_count - 1 WHERE thread_id = :g AND user_id = 3;
UPDATE chat.member SET large = NOT large WHERE thread_id = :ch AND user_id = 4;
UPDATE chat.member SET read_id = 0, read_count = 0 WHERE thread_id = :d2 AND user_id = 4;

SELECT results_eq($$SELECT what, count(*) FROM chat.verify_unread() GROUP BY 1 ORDER BY 1$$,
                  $$SELECT what, count(*) FROM pg_temp.reference(NULL) GROUP BY 1 ORDER BY 1$$,
                  'each kind of drift is found as the per-member recount finds it');
SELECT ok((SELECT count(DISTINCT what) FROM chat.verify_unread()) >= 7, 'all seven kinds');
SELECT ok((SELECT ok FROM pg_temp.same(NULL)), 'the same rows and values as the reference, whole database');
SELECT ok((SELECT bool_and(ok) FROM (VALUES (:d1), (:d2), (:g), (:lg), (:ch)) v(t), pg_temp.same(v.t)),
          'and for each thread alone');
SELECT is((SELECT count(*) FROM chat.verify_unread(:ch)), 2::bigint, 'one thread: only its drift (a member row flagged large, so no copy check)');
SELECT results_eq(format($$SELECT what, stored, recounted FROM chat.verify_unread(%s) WHERE what = 'message_count'$$, :d1),
                  $$VALUES ('message_count'::text, 12::bigint, 10::bigint)$$, 'the stored and recounted values');

/* a message read and mentioned exactly at a pointer counts as read */
SELECT is((SELECT count(*) FROM chat.verify_unread(:lg) WHERE what = 'mentions'),
          (SELECT count(*) FROM pg_temp.reference(:lg) WHERE what = 'mentions'), 'mentions at the pointer: as the reference');

/* end users may not run it */
CREATE ROLE regress_verify_user;
SET LOCAL ROLE regress_verify_user;
SELECT throws_ok($$SELECT * FROM chat.verify_unread()$$, '42501', NULL, 'an end user may not run it');
RESET ROLE;
SELECT is((SELECT count(*) FROM chat.verify_unread(-1)), 0::bigint, 'an unknown thread: nothing');

SELECT * FROM finish();
ROLLBACK;
