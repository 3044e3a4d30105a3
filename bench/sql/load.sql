/*
 * bench/sql/load.sql: the data of P1 and P3, set-based, through chat's own
 * tables and triggers (member rows through the member trigger, messages
 * through the C message trigger, which assigns ids, counters and pointers).
 * run.sh then copies the same state into the seed port (seed_copy.sql).
 * The P2 rooms live in their own database (load_p2.sql).
 *
 * psql variables (set by run.sh):
 *   p1_threads                      P1: 2-person threads 1..p1_threads,
 *                                   thread t has users 2t-1 (starter) and 2t
 *   p3_viewer p3_threads            P3: threads p3_viewer+k (k = 1..p3_threads) between
 *                                   the viewer and user p3_viewer+k, 1-4 messages each
 */
\set ON_ERROR_STOP on
SET synchronous_commit = off;
SELECT setseed(0.42);

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

/* ---- P3: one viewer in p3_threads 2-person threads, varied activity ---- */
INSERT INTO chat.thread (id, kind, subject, created_by)
SELECT :p3_viewer + k, 'private', 'p3 thread ' || k,
       CASE WHEN k % 2 = 0 THEN :p3_viewer ELSE :p3_viewer + k END
  FROM generate_series(1, :p3_threads) k;

INSERT INTO chat.member (thread_id, user_id, role)
SELECT :p3_viewer + k, CASE WHEN k % 2 = 0 THEN :p3_viewer ELSE :p3_viewer + k END, 'owner'
  FROM generate_series(1, :p3_threads) k;
INSERT INTO chat.member (thread_id, user_id, role)
SELECT :p3_viewer + k, CASE WHEN k % 2 = 0 THEN :p3_viewer + k ELSE :p3_viewer END, 'member'
  FROM generate_series(1, :p3_threads) k;

/* 1-4 messages per thread, from either side, inserted in random order so
   that each thread's latest activity (and the inbox order) is random */
INSERT INTO chat.message (thread_id, sender_id, content)
SELECT :p3_viewer + k,
       CASE WHEN random() < 0.5 THEN :p3_viewer ELSE :p3_viewer + k END,
       'message ' || j || ' of thread ' || k || ', some words to make it look like a chat line'
  FROM generate_series(1, :p3_threads) k,
       LATERAL generate_series(1, 1 + (k * 7919) % 4) j
 ORDER BY random();
