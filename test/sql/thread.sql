-- Private threads: new_message, new_reply, messages and the thread helpers
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS chat CASCADE;
CREATE EXTENSION chat;
\set VERBOSITY terse

-- Alice (1) writes to Bob (2) and Carol (3); Bob is listed twice, Alice once
SELECT chat.new_message(sender => 1, recipients => '{2,3,2}', subject => 'Lunch',
                        content => 'Pizza at noon?') AS m1 \gset
SELECT id, kind, subject, created_by, member_count, message_count, last_message_id = :m1 AS last_is_m1
  FROM chat.thread;
SELECT user_id, role FROM chat.member ORDER BY user_id;

-- Bob and Carol see it unread; Alice has read her own message
SELECT v AS viewer, i.thread_id, i.subject, i.last_sender_id, i.last_preview,
       i.unread_count, i.unread, i.member_count
  FROM unnest('{1,2,3}'::bigint[]) v, chat.inbox(v) i ORDER BY v;

-- Bob replies: Carol has two unread, Alice one, Bob none
SELECT chat.new_reply(thread_id => 1, sender => 2, content => 'Yes!') AS m2 \gset
SELECT v AS viewer, i.unread_count, i.last_sender_id, i.last_preview
  FROM unnest('{1,2,3}'::bigint[]) v, chat.inbox(v) i ORDER BY v;

-- a reply to a message of the same thread
SELECT chat.new_reply(1, 3, 'Count me in', parent_id => :m1) AS m3 \gset
SELECT id = :m3 AS is_m3, sender_id, content, parent_id = :m1 AS replies_to_m1,
       edited, deleted, seen_count
  FROM chat.messages(1, 3) ORDER BY id DESC LIMIT 1;

-- the whole thread as Carol sees it; seen_count counts other members past the message
SELECT sender_id, kind, content, edited, deleted, seen_count, reactions, attachments
  FROM chat.messages(1, 3);

-- message ids increase within the thread
SELECT bool_and(id > prev) AS increasing
  FROM (SELECT id, lag(id) OVER (ORDER BY sent_at, id) AS prev FROM chat.message WHERE thread_id = 1) s
 WHERE prev IS NOT NULL;

-- thread helpers (pinax first_message / latest_message, drf earliest_message and started_by)
SELECT chat.first_message(1) = :m1 AS first_is_m1,
       chat.latest_message(1) = :m3 AS latest_is_m3,
       chat.latest_message(1, exclude_user => 3) = :m2 AS latest_not_carol_is_m2,
       chat.earliest_message(1) = :m1 AS earliest_is_m1,
       chat.earliest_message(1, exclude_user => 1) = :m2 AS earliest_not_alice_is_m2,
       chat.started_by(1) AS started_by;
-- NULL, never an error, for a thread that does not exist or has no such message
SELECT chat.first_message(999) IS NULL AS no_first, chat.latest_message(999) IS NULL AS no_latest,
       chat.earliest_message(999) IS NULL AS no_earliest, chat.started_by(999) IS NULL AS no_starter;

-- a message to oneself is a self-thread in one's own inbox
SELECT chat.new_message(4, '{4}', 'Note to self', 'Buy milk') AS self_msg \gset
SELECT thread_id, subject, unread_count, member_count FROM chat.inbox(4);

-- errors leave nothing behind
SELECT count(*) AS threads_before FROM chat.thread \gset
SELECT chat.new_message(1, '{}', 'x', 'x');
SELECT chat.new_message(1, '{2}', 'x', '   ');
SELECT chat.new_message(1, '{2,NULL}', 'x', 'x');
SELECT chat.new_reply(1, 9, 'I am not in this thread');
SELECT chat.new_reply(42, 1, 'No such thread');
SELECT chat.new_reply(1, 1, 'wrong parent', parent_id => :self_msg);
SELECT chat.new_message(1, '{{2,3}}', 'x', 'x');
SELECT chat.new_message(1, '{2}', '   ', 'a blank subject');
SELECT chat.new_reply(1, 1, E'\u00a0\u3000\u2003 ');
INSERT INTO chat.message (thread_id, sender_id, content) VALUES (1, NULL, 'who wrote this?');
SELECT count(*) = :threads_before AS nothing_written FROM chat.thread;
SELECT count(*) AS messages FROM chat.message;
SELECT count(*) AS drift FROM chat.verify_unread();
