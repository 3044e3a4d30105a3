/*
 * bench/sql/load.sql: the data of P1, P2 and P3, set-based, through chat's
 * own tables and triggers (member rows through the member trigger, messages
 * through the C message trigger, which assigns ids, counters and pointers),
 * then the same state copied into the seed port.
 *
 * psql variables (set by run.sh):
 *   p1_threads                      P1: 2-person threads 1..p1_threads,
 *                                   thread t has users 2t-1 (starter) and 2t
 *   p2_thread p2_base p2_members    P2: one group, users p2_base+1 .. p2_base+p2_members
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

/* ---- P2: one group with p2_members members (a "large" thread) ---- */
INSERT INTO chat.thread (id, kind, subject, created_by)
VALUES (:p2_thread, 'group', 'p2 group', :p2_base + 1);

INSERT INTO chat.member (thread_id, user_id, role)
VALUES (:p2_thread, :p2_base + 1, 'owner');
INSERT INTO chat.member (thread_id, user_id, role)
SELECT :p2_thread, :p2_base + i, 'member' FROM generate_series(2, :p2_members) i;

INSERT INTO chat.message (thread_id, sender_id, content)
VALUES (:p2_thread, :p2_base + 1, 'welcome to the group');

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

/* ---- the seed port gets exactly the same threads, members and messages ---- */
INSERT INTO seed.thread (id, subject)
SELECT t.id, t.subject FROM chat.thread t ORDER BY t.id;

/* unread = the member has unread messages; nobody has deleted a thread */
INSERT INTO seed.user_thread (thread_id, user_id, unread, deleted)
SELECT mb.thread_id, mb.user_id,
       coalesce(CASE WHEN mb.large THEN t.message_count ELSE mb.message_count END, 0) > mb.read_count,
       false
  FROM chat.member mb JOIN chat.thread t ON t.id = mb.thread_id
 ORDER BY mb.thread_id, mb.user_id;

/* same order, same sent_at; seed ids come from its own sequence */
INSERT INTO seed.message (thread_id, sender_id, sent_at, content)
SELECT m.thread_id, m.sender_id, m.sent_at, m.content
  FROM chat.message m ORDER BY m.id;
