/*
 * bench/sql/load_p3.sql: the P3 user's threads, set-based, as load_p1.sql.
 *
 * psql variables: p3_viewer p3_threads.  Threads p3_viewer+k (k = 1 ..
 * p3_threads) between the viewer and user p3_viewer+k, 1-4 messages each.
 */
\set ON_ERROR_STOP on
SET synchronous_commit = off;
SELECT setseed(0.42);

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
