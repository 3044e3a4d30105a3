/*
 * bench/sql/seed_copy.sql: the seed port gets exactly the chat threads
 * first_thread .. last_thread as they are when it runs: same thread ids,
 * memberships, messages in the same order with the same sent_at.
 *
 * psql variables: first_thread last_thread
 */
\set ON_ERROR_STOP on
SET synchronous_commit = off;

INSERT INTO seed.thread (id, subject)
SELECT t.id, coalesce(t.subject, '') FROM chat.thread t
 WHERE t.id BETWEEN :first_thread AND :last_thread
 ORDER BY t.id;

/* unread = the member has unread messages; nobody has deleted a thread */
INSERT INTO seed.user_thread (thread_id, user_id, unread, deleted)
SELECT mb.thread_id, mb.user_id,
       coalesce(CASE WHEN mb.large THEN t.message_count ELSE mb.message_count END, 0) > mb.read_count,
       false
  FROM chat.member mb JOIN chat.thread t ON t.id = mb.thread_id
 WHERE t.id BETWEEN :first_thread AND :last_thread
 ORDER BY mb.thread_id, mb.user_id;

/* same order, same sent_at; seed ids come from its own sequence */
INSERT INTO seed.message (thread_id, sender_id, sent_at, content)
SELECT m.thread_id, m.sender_id, m.sent_at, m.content
  FROM chat.message m
 WHERE m.thread_id BETWEEN :first_thread AND :last_thread
 ORDER BY m.id;
