/*
 * bench/sql/load_p1.sql: the P1 threads, set-based, through chat's own tables
 * and triggers (member rows through the member trigger, messages through the
 * C message trigger, which assigns ids, counters and pointers).
 *
 * psql variables: p1_threads.  2-person threads 1..p1_threads; thread t has
 * users 2t-1 (starter) and 2t.
 */
\set ON_ERROR_STOP on
SET synchronous_commit = off;

/* ---- P1: 2-person private threads, one first message each ---- */
INSERT INTO chat.thread (id, kind, subject, created_by)
SELECT t, 'private', 'p1 thread ' || t, 2 * t - 1
  FROM generate_series(1, :p1_threads) t;

/* roles as plain literals in separate statements: they coerce to the role
   column's type, whatever it is (text or enum) */
INSERT INTO chat.member (thread_id, user_id, role)
SELECT t, 2 * t - 1, 'owner' FROM generate_series(1, :p1_threads) t;
INSERT INTO chat.member (thread_id, user_id, role)
SELECT t, 2 * t, 'member' FROM generate_series(1, :p1_threads) t;

INSERT INTO chat.message (thread_id, sender_id, content)
SELECT t, 2 * t - 1, 'hello, this is the first message of thread ' || t
  FROM generate_series(1, :p1_threads) t;
