-- What chat's foreign keys did, done by triggers (there are none between
-- chat's tables: pg_restore -j loads them in parallel).  A thread takes its
-- members and messages with it; a message its history, reactions and
-- attachments, and its replies lose their parent; TRUNCATE empties what hangs
-- on the truncated table; the counters stay exact.
SET client_min_messages = warning;
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
DROP EXTENSION IF EXISTS chat CASCADE;
SET LOCAL chat.user_id_type = 'bigint';
SET LOCAL chat.user_id = '';
CREATE EXTENSION chat;
SELECT chat.set_setting('notify', 'false') \g /dev/null

SELECT plan(22);

/*
 * Fixture: thread t1 of 1, 2, 3: m1 by 1 (edited, with a reaction of 2),
 * m2 by 2 replying to m1 with an attachment, m3 by 3; thread t2 of 8 and 9.
 */
SELECT chat.new_message(1, '{2,3}', 'fixture', 'first') AS m1 \gset
SELECT thread_id AS t1 FROM chat.message WHERE id = :m1 \gset
SELECT chat.new_reply(:t1, 2, 'second', parent_id => :m1,
                      attachments => '[{"key": "k1", "mime": "image/png", "size": 10}]') AS m2 \gset
SELECT chat.new_reply(:t1, 3, 'third') AS m3 \gset
SELECT chat.edit_message(:m1, 1, 'first, edited') \g /dev/null
SELECT chat.add_reaction(:m1, 2, 'ok') \g /dev/null
SELECT chat.new_message(8, '{9}', 'other', 'elsewhere') AS m4 \gset
SELECT thread_id AS t2 FROM chat.message WHERE id = :m4 \gset

/* The rows of thread t in each table that hangs on a thread or a message. */
CREATE FUNCTION pg_temp.rows_of(t bigint) RETURNS text
    LANGUAGE sql AS $$
    SELECT format('member %s message %s edit %s reaction %s attachment %s',
                  (SELECT count(*) FROM chat.member WHERE thread_id = t),
                  (SELECT count(*) FROM chat.message WHERE thread_id = t),
                  (SELECT count(*) FROM chat.message_edit WHERE thread_id = t),
                  (SELECT count(*) FROM chat.reaction WHERE thread_id = t),
                  (SELECT count(*) FROM chat.attachment WHERE thread_id = t))
$$;

SELECT is(pg_temp.rows_of(:t1), 'member 3 message 3 edit 1 reaction 1 attachment 1', 'the fixture');

/* ---- a hard delete of a message (as a bound users table's cascade does) ---- */
DELETE FROM chat.message WHERE thread_id = :t1 AND id = :m1;
SELECT is((SELECT count(*) FROM chat.message_edit WHERE message_id = :m1), 0::bigint,
          'a deleted message takes its history with it');
SELECT is((SELECT count(*) FROM chat.reaction WHERE message_id = :m1), 0::bigint,
          'a deleted message takes its reactions with it');
SELECT is((SELECT parent_id FROM chat.message WHERE id = :m2), NULL,
          'a reply to a deleted message keeps its place without a parent');
SELECT is((SELECT message_count FROM chat.thread WHERE id = :t1), 2::bigint,
          'the thread is recounted');
SELECT is_empty('SELECT * FROM chat.verify_unread()', 'verify_unread is clean after the delete');

DELETE FROM chat.message WHERE thread_id = :t1 AND id = :m2;
SELECT is((SELECT count(*) FROM chat.attachment WHERE message_id = :m2), 0::bigint,
          'a deleted message takes its attachments with it');

/* ---- drop_thread, as its owner ------------------------------------------- */
SELECT chat.new_reply(:t1, 2, 'again', attachments => '[{"key": "k2"}]') AS m5 \gset
SELECT chat.add_reaction(:m5, 3, 'yes') \g /dev/null
SELECT chat.edit_message(:m5, 2, 'again, edited') \g /dev/null
SELECT is(pg_temp.rows_of(:t1), 'member 3 message 2 edit 1 reaction 1 attachment 1', 'the thread before drop_thread');
SELECT lives_ok(format('SELECT chat.drop_thread(%s, 1)', :t1), 'drop_thread');
SELECT is(pg_temp.rows_of(:t1), 'member 0 message 0 edit 0 reaction 0 attachment 0',
          'a dropped thread leaves no row behind');
SELECT is(pg_temp.rows_of(:t2), 'member 2 message 1 edit 0 reaction 0 attachment 0',
          'the other thread is untouched');

/* ---- a direct DELETE on chat.thread cascades as well ------------------------ */
DELETE FROM chat.thread WHERE id = :t2;
SELECT is(pg_temp.rows_of(:t2), 'member 0 message 0 edit 0 reaction 0 attachment 0',
          'DELETE FROM chat.thread takes members and messages with it');

/* ---- TRUNCATE ------------------------------------------------------------ */
SELECT chat.new_message(1, '{2}', 'again', 'hello', attachments => '[{"key": "k3"}]') AS m6 \gset
SELECT thread_id AS t3 FROM chat.message WHERE id = :m6 \gset
SELECT chat.add_reaction(:m6, 2, 'ok') \g /dev/null
TRUNCATE chat.message;
SELECT is((SELECT count(*) FROM chat.reaction) + (SELECT count(*) FROM chat.attachment)
          + (SELECT count(*) FROM chat.message_edit), 0::bigint,
          'TRUNCATE chat.message empties history, reactions and attachments');
SELECT is((SELECT count(*) FROM chat.member WHERE thread_id = :t3), 2::bigint,
          '... and leaves the members');
TRUNCATE chat.thread;
SELECT is((SELECT count(*) FROM chat.member), 0::bigint, 'TRUNCATE chat.thread empties chat.member');
SELECT lives_ok($$SELECT chat.new_message(1, '{2}', 'after', 'works')$$, 'and chat works after it');

/*
 * ---- rows restored in any order ---------------------------------------------
 * pg_restore -j loads each table in a transaction of its own, in no order.
 * Here the children arrive before their thread and message, as they can
 * there: each is kept as it is, and once the thread row is in, the counters
 * agree and chat goes on.
 */
SELECT setval('chat.message_id_seq', 1000) \g /dev/null
SELECT lives_ok($$INSERT INTO chat.reaction (thread_id, message_id, user_id, reaction) VALUES (900, 1000, 2, 'ok')$$,
                'a reaction restored before its message is kept');
SELECT lives_ok($$INSERT INTO chat.member (thread_id, user_id, role, permissions, read_id, read_count, delivered_id,
                                          activity_id, message_count)
                  VALUES (900, 1, 'owner', '{post}', 1000, 1, 1000, 1000, 1),
                         (900, 2, 'member', '{post}', 0, 0, 0, 1000, 1)$$,
                'members restored before their thread are kept');
SELECT lives_ok($$INSERT INTO chat.message (thread_id, id, sender_id, content, sent_at)
                  VALUES (900, 1000, 1, 'restored', now())$$,
                'a message restored before its thread is kept');
INSERT INTO chat.thread (id, kind, subject, created_by, member_count, message_count, last_message_id,
                         last_sender_id, last_sent_at, last_preview)
VALUES (900, 'private', 'restored', 1, 2, 1, 1000, 1, now(), 'restored');
SELECT is((SELECT format('%s %s %s', id, content, sender_id) FROM chat.message WHERE thread_id = 900),
          '1000 restored 1', 'the restored message kept its id');
SELECT is_empty('SELECT * FROM chat.verify_unread(900)', 'the restored thread''s counters agree');
SELECT is(chat.new_reply(900, 2, 'after the restore') > 1000, true, 'a reply after it gets a new id');

SELECT * FROM finish();
ROLLBACK;
