-- Unread state: counters and pointers kept by the message trigger
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS chat CASCADE;
CREATE EXTENSION chat;
\set VERBOSITY terse

SELECT chat.new_message(1, '{2}', 'Chat', 'one') AS m1 \gset
SELECT chat.new_reply(1, 1, 'two') AS m2 \gset
SELECT chat.new_reply(1, 1, 'three') AS m3 \gset
SELECT * FROM chat.unread_count(2);

-- reading up to a message, then everything; the pointer never moves back
SELECT chat.mark_read(1, 2, up_to => :m2) AS became_read;
SELECT * FROM chat.unread_count(2);
SELECT chat.mark_read(1, 2, up_to => :m1) AS moved_back;
SELECT chat.mark_read(1, 2) AS became_read;
SELECT chat.mark_read(1, 2) AS again;
SELECT * FROM chat.unread_count(2);

-- mark unread from a message: it and everything after it are unread again
SELECT chat.mark_unread(1, 2, from_message => :m2) AS became_unread;
SELECT unread_count, unread FROM chat.inbox(2);
-- default: just the newest message
SELECT chat.mark_read(1, 2);
SELECT chat.mark_unread(1, 2) AS became_unread;
SELECT unread_count FROM chat.inbox(2);

-- one's own messages are never unread, even after mark_unread
SELECT chat.mark_unread(1, 1, from_message => :m1) AS own_messages;
SELECT unread_count FROM chat.inbox(1);
SELECT chat.new_reply(1, 2, 'four');
SELECT unread_count FROM chat.inbox(1);

-- sending marks the thread read for the sender
SELECT chat.new_reply(1, 1, 'five');
SELECT v AS viewer, unread_count FROM unnest('{1,2}'::bigint[]) v, chat.inbox(v) ORDER BY v;

-- delivered pointers move forward only
SELECT chat.mark_delivered(2, 1) AS threads_moved;
SELECT chat.mark_delivered(2, 1) AS again;
SELECT delivered_id = (SELECT last_message_id FROM chat.thread WHERE id = 1) AS delivered_all
  FROM chat.member WHERE thread_id = 1 AND user_id = 2;
SELECT chat.mark_delivered(2) AS all_threads;

-- unread_count sums over threads; muted threads are not in the badge
SELECT chat.new_message(3, '{2}', 'Other', 'hi');
SELECT chat.new_reply(2, 3, 'hello?');
SELECT * FROM chat.unread_count(2);
UPDATE chat.member SET muted = true WHERE thread_id = 2 AND user_id = 2;
SELECT * FROM chat.unread_count(2);
SELECT thread_id, unread_count, muted FROM chat.inbox(2);
UPDATE chat.member SET muted = false WHERE thread_id = 2 AND user_id = 2;

-- Large threads (more members than inbox_fanout_limit) keep no per-member copies:
-- a message writes only the thread row and the sender's row, counts stay exact
SELECT chat.set_setting('inbox_fanout_limit', '3');
SELECT chat.new_message(10, '{11,12,13,14}', 'Big', 'welcome') AS big1 \gset
SELECT large, member_count FROM chat.thread WHERE id = 3;
SELECT chat.new_reply(3, 11, 'hi all');
SELECT chat.new_reply(3, 12, 'hey');
SELECT v AS viewer, unread_count, unread FROM unnest('{10,11,12,13,14}'::bigint[]) v, chat.inbox(v)
 WHERE thread_id = 3 ORDER BY v;
SELECT user_id, activity_id = 0 OR activity_id < (SELECT last_message_id FROM chat.thread WHERE id = 3) AS copy_not_kept
  FROM chat.member WHERE thread_id = 3 AND user_id IN (13, 14) ORDER BY user_id;
SELECT chat.mark_read(3, 13);
SELECT * FROM chat.unread_count(13);

-- a thread that grows past the limit becomes large
SELECT chat.new_message(20, '{21,22}', 'Grows', 'hi') AS g \gset
SELECT large FROM chat.thread WHERE id = 4;
INSERT INTO chat.member (thread_id, user_id) VALUES (4, 23), (4, 24);
SELECT t.large, t.member_count, bool_and(m.large) AS members_large
  FROM chat.thread t JOIN chat.member m ON m.thread_id = t.id WHERE t.id = 4 GROUP BY 1, 2;
SELECT chat.new_reply(4, 21, 'more people now');
SELECT v AS viewer, unread_count FROM unnest('{20,21,22,23,24}'::bigint[]) v, chat.inbox(v) ORDER BY v;

-- hard deletes recount the thread
DELETE FROM chat.message WHERE thread_id = 1 AND content = 'five';
SELECT message_count, last_preview FROM chat.thread WHERE id = 1;
SELECT v AS viewer, unread_count FROM unnest('{1,2}'::bigint[]) v, chat.inbox(v) WHERE thread_id = 1 ORDER BY v;

-- every counter equals a recount
SELECT * FROM chat.verify_unread();

-- errors
SELECT chat.mark_read(1, 5);
SELECT chat.mark_read(99, 1);
SELECT chat.mark_read(1, 1, up_to => 999999);
SELECT chat.mark_read(1, 1, up_to => :big1);
SELECT chat.mark_unread(1, NULL);
SELECT chat.mark_delivered(1, up_to => 5);
