/*
 * bench/sql/load_p7.sql: the P7 data (SPEC §9: 1 M users, 1 M threads, 10 M
 * messages), in database bench_p7 of its own, in minutes.
 *
 * How: the final state of every thread, member and message is computed in
 * one pass over a plan of the messages, as a restore brings it: rows with
 * their ids, counters and read pointers, written with chat's triggers off
 * (session_replication_role = replica) into tables whose indexes are built
 * afterwards.  What the triggers would have done is done here set-based,
 * in the same order of events as the other loaders: every member joins
 * before the first message, the messages are sent in id order (members'
 * read pointers move with their own messages: chat's message trigger), then
 * some members read their threads to the newest message (chat.mark_read).
 * run.sh checks the result against a recount of every counter
 * (bench.p7_recount, bench/sql/check_p7.sql) and chat.verify_unread on a
 * sample.
 *
 * psql variables:
 *   p7_users          users 1..p7_users (1,000,000)
 *   p7_threads        threads in all (1,000,000): p7_rooms rooms, the P5
 *                     thread, p7_large_groups groups of 150-500 members,
 *                     p7_groups groups of 3-20, the rest 2-person threads
 *   p7_rooms          rooms of p7_room_members members (5 of 10,000; the
 *                     first three groups, the others channels: owner and 4
 *                     admins post), p7_room_messages messages each
 *   p7_large_groups   groups of 150-500 members ("large"), 1,000 messages each
 *   p7_groups         groups of 3-20 members, 1-59 messages (30 on average)
 *   p5_messages       the P5 thread: 2 users, messages all by one, none read
 *                     by the other (users p7_users - 1 and p7_users)
 * 2-person threads have 1-16 messages (8.5 on average), from either side.
 *
 * Thread ids: rooms 1..p7_rooms, the P5 thread, the large groups, the
 * groups, the 2-person threads (bench.p7_layout says where each kind
 * starts).  User 1 (the viewer of P3 and P4) is a member of every room, of
 * the first 90 large groups, of the first 900 groups and of the first
 * 9,005 2-person threads: 10,000 threads.  2-person thread i (from 0) is
 * between users a and b:
 *   i < 9,005:  a = 1, b = 2 + i
 *   else:       a = i % p7_users + 1, b = (i * 7919 + 1) % p7_users + 1
 * (pgbench computes the same; a <> b when p7_users is even: i * 7918 is
 * even, and so is p7_users, but not -1).  Two permutations of the users:
 * nearly every user is in a 2-person thread.  Groups of thread t: the viewer when it is
 * one, then users start .. start + n - 1, the first the owner.  Messages go
 * on a time line: a thread's first and last message at random times, its
 * messages evenly between; message ids follow the time line (sent_at, one
 * second per id); the heap is in id order, as a live database's.
 *
 * Read state: a member reads its thread to the newest message (mark_read)
 * with a chance of 80 % in 2-person threads, 60 % in small groups, 30 % in
 * large groups and rooms; else its pointer is at its own last message (0:
 * none).  The P5 reader reads nothing.  Messages carry no mentions.
 */
\set ON_ERROR_STOP on
SET synchronous_commit = off;
SET work_mem = '1GB';
SET maintenance_work_mem = '1GB';
SET max_parallel_maintenance_workers = 1;
SET max_parallel_workers_per_gather = 1;
\timing on

SELECT :p7_users % 2 = 1 AS odd \gset
\if :odd
SELECT 1 / 0 AS p7_users_must_be_even;
\endif

SET client_min_messages = warning;
CREATE SCHEMA IF NOT EXISTS bench;
RESET client_min_messages;

/* a pseudo-random whole number 0 .. 2^31 - 1 of (x, salt) */
CREATE FUNCTION bench.p7_h(x bigint, salt int) RETURNS bigint LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT hashint8(x * 1000003 + salt)::bigint & 2147483647 $$;

/* the text of message j of thread t: a chat line of 30-70 characters */
CREATE FUNCTION bench.p7_text(t bigint, j int) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
    SELECT (ARRAY['sure, see you at the station at seven',
                  'did you get the files I sent this morning?',
                  'thanks a lot, that helps',
                  'the meeting moved to thursday afternoon, room four',
                  'can you review the draft before lunch please',
                  'ok',
                  'haha yes exactly what I thought',
                  'running late, start without me',
                  'new build is green, deploying to staging now',
                  'who has the key to the storage room?',
                  'happy birthday!! have a great day',
                  'I will call you back in ten minutes',
                  'the invoice is attached, due by the end of the month',
                  'lunch at the italian place again?',
                  'fixed it, the cache was stale',
                  'let me check with the team and get back to you'])[1 + (t * 31 + j) % 16]
           || ' #' || j
$$;

/* ---- the layout ---------------------------------------------------------- */
CREATE TABLE bench.p7_layout AS
SELECT :p7_users::bigint AS users, :p7_rooms::bigint AS rooms, :p7_room_members::bigint AS room_members,
       :p7_room_messages::bigint AS room_messages,
       :p7_rooms + 1::bigint AS p5_thread, :p7_users - 1::bigint AS p5_sender, :p7_users::bigint AS p5_reader,
       :p7_rooms + 2::bigint AS first_large, :p7_rooms + 2 + :p7_large_groups::bigint AS first_group,
       :p7_rooms + 2 + :p7_large_groups + :p7_groups::bigint AS first_pair,
       :p7_threads::bigint AS last_pair, 9005::bigint AS viewer_pairs;
SELECT * FROM bench.p7_layout \gset l_
SELECT chat.get_setting('inbox_fanout_limit')::text::bigint AS fanout, chat._search_config() AS search_config \gset

/*
 * Every thread: kind, its members (a, b for 2-person threads; else the
 * viewer or not, then n users from start), messages k, the chance of
 * reading (percent), and who posts (posters: the first posters of the
 * member list, 0: everyone).
 */
CREATE UNLOGGED TABLE bench.p7_thread (
    id bigint PRIMARY KEY, kind chat.thread_kind, viewer boolean, a bigint, b bigint,
    start bigint, n bigint, k bigint, readp int, posters int
);
INSERT INTO bench.p7_thread
SELECT r, CASE WHEN r <= 3 THEN 'group' ELSE 'channel' END::chat.thread_kind, true, NULL, NULL,
       2 + (r - 1) * (:l_room_members - 1), :l_room_members - 1, :l_room_messages, 30,
       CASE WHEN r <= 3 THEN 0 ELSE 5 END
  FROM generate_series(1, :l_rooms) r
UNION ALL
SELECT :l_p5_thread, 'private', false, :l_p5_sender, :l_p5_reader, NULL, 2, :p5_messages, 0, 1
UNION ALL
SELECT t, 'group', t - :l_first_large < 90, NULL, NULL,
       2 + bench.p7_h(t, 1) % (:l_users - 600), 150 + bench.p7_h(t, 2) % 351, 1000, 30, 0
  FROM generate_series(:l_first_large, :l_first_group - 1) t
UNION ALL
SELECT t, 'group', t - :l_first_group < 900, NULL, NULL,
       2 + bench.p7_h(t, 1) % (:l_users - 30), 3 + bench.p7_h(t, 2) % 18, 1 + bench.p7_h(t, 3) % 59, 60, 0
  FROM generate_series(:l_first_group, :l_first_pair - 1) t
UNION ALL
SELECT t, 'private', false,
       CASE WHEN i < :l_viewer_pairs THEN 1 ELSE i % :l_users + 1 END,
       CASE WHEN i < :l_viewer_pairs THEN 2 + i ELSE (i * 7919 + 1) % :l_users + 1 END,
       NULL, 2, 1 + bench.p7_h(t, 3) % 16, 80, 0
  FROM generate_series(:l_first_pair::bigint, :l_last_pair) t, LATERAL (SELECT t - :l_first_pair AS i) x;
/* a member count that counts the viewer */
UPDATE bench.p7_thread SET n = n + 1 WHERE viewer;

/* ---- the plan of every message, in id order ------------------------------- */
/* message j (1..k) of thread t at time s + (e - s) * (j - 0.5) / k */
CREATE UNLOGGED TABLE bench.p7_msg AS
SELECT row_number() OVER (ORDER BY x.at) AS id, x.thread_id, x.j, x.sender_id
  FROM (SELECT t.id AS thread_id, j::int AS j,
               CASE WHEN t.a IS NOT NULL THEN
                        CASE WHEN t.posters = 1 OR bench.p7_h(t.id * 65536 + j, 4) % 2 = 0 THEN t.a ELSE t.b END
                    ELSE
                        /* member p (0..n-1) of the list: the viewer first when it is one */
                        (SELECT CASE WHEN t.viewer AND p = 0 THEN 1 ELSE t.start + p - t.viewer::int END
                           FROM (SELECT bench.p7_h(t.id * 65536 + j, 4)
                                        % CASE WHEN t.posters > 0 THEN t.posters ELSE t.n END
                                        + CASE WHEN t.posters > 0 AND t.viewer THEN 1 ELSE 0 END AS p) q)
               END AS sender_id,
               s + (e - s) * (j - 0.5) / t.k AS at
          FROM bench.p7_thread t,
               LATERAL (SELECT bench.p7_h(t.id, 5) / 2147483648.0 AS s) s1,
               LATERAL (SELECT s + (1 - s) * bench.p7_h(t.id, 6) / 2147483648.0 AS e) e1,
               LATERAL generate_series(1, t.k) j) x;

/* ---- members: the final read state ------------------------------------------ */
CREATE UNLOGGED TABLE bench.p7_own AS
SELECT thread_id, sender_id AS user_id, max(id) AS own_id, max(j) AS own_j
  FROM bench.p7_msg GROUP BY thread_id, sender_id;
CREATE UNLOGGED TABLE bench.p7_last AS
SELECT m.thread_id, m.id, m.sender_id, m.j FROM bench.p7_msg m JOIN bench.p7_thread t ON t.id = m.thread_id AND m.j = t.k;

/* users of each thread, in list order (pos 0: the owner) */
CREATE UNLOGGED TABLE bench.p7_member AS
SELECT t.id AS thread_id, t.a AS user_id, 0 AS pos FROM bench.p7_thread t WHERE t.a IS NOT NULL
UNION ALL
SELECT t.id, t.b, 1 FROM bench.p7_thread t WHERE t.a IS NOT NULL
UNION ALL
SELECT t.id, t.start + p, p FROM bench.p7_thread t, generate_series(0, t.n - 1 - t.viewer::int) p WHERE t.a IS NULL
UNION ALL
SELECT t.id, 1, -1 FROM bench.p7_thread t WHERE t.a IS NULL AND t.viewer;

/* ---- chat's tables, written as a restore writes them ------------------------ */
/* their indexes and constraints, rebuilt after the rows are in */
CREATE TABLE bench.p7_index AS
SELECT i.indexrelid::regclass::text AS name, c.conname, i.indrelid::regclass::text AS tab,
       CASE WHEN c.conname IS NOT NULL
            THEN format('ALTER TABLE %s ADD CONSTRAINT %I %s', i.indrelid::regclass, c.conname, pg_get_constraintdef(c.oid))
            ELSE pg_get_indexdef(i.indexrelid) END AS ddl
  FROM pg_index i
  LEFT JOIN pg_constraint c ON c.conindid = i.indexrelid AND c.contype IN ('p', 'u')
 WHERE i.indrelid IN ('chat.thread'::regclass, 'chat.member'::regclass, 'chat.message'::regclass);
SELECT CASE WHEN conname IS NOT NULL THEN format('ALTER TABLE %s DROP CONSTRAINT %I', tab, conname)
            ELSE format('DROP INDEX %s', name) END
  FROM bench.p7_index
\gexec

SET session_replication_role = replica;

INSERT INTO chat.thread (id, kind, subject, created_by, created_at, member_count, large, message_count,
                         last_message_id, last_sender_id, last_sent_at, last_preview)
SELECT t.id, t.kind, CASE WHEN t.kind = 'private' THEN 'thread ' ELSE t.kind || ' ' END || t.id,
       coalesce(t.a, t.start), timestamptz '2026-01-01 00:00:00+00', t.n,
       t.n > :fanout, t.k,
       l.id, l.sender_id, timestamptz '2026-01-01 00:00:00+00' + l.id * interval '1 second',
       left(bench.p7_text(t.id, l.j), 100)
  FROM bench.p7_thread t JOIN bench.p7_last l ON l.thread_id = t.id
 ORDER BY t.id;

INSERT INTO chat.member (thread_id, user_id, role, joined_at, read_id, read_count, delivered_id, large,
                         activity_id, message_count, permissions, seen_id, read_at, delivered_at)
SELECT mb.thread_id, mb.user_id, r.role, timestamptz '2026-01-01 00:00:00+00',
       CASE WHEN x.reads THEN l.id ELSE coalesce(o.own_id, 0) END,
       CASE WHEN x.reads THEN t.k ELSE coalesce(o.own_j, 0) END,
       CASE WHEN x.reads THEN l.id ELSE coalesce(o.own_id, 0) END,
       x.large,
       CASE WHEN NOT x.large THEN l.id ELSE coalesce(o.own_id, 0) END,
       CASE WHEN NOT x.large THEN t.k ELSE coalesce(o.own_j, 0) END,
       d.permissions,
       CASE WHEN x.reads THEN l.id ELSE 0 END,
       CASE WHEN x.reads THEN timestamptz '2026-06-01 00:00:00+00' END,
       CASE WHEN x.reads THEN timestamptz '2026-06-01 00:00:00+00' END
  FROM bench.p7_member mb
  JOIN bench.p7_thread t ON t.id = mb.thread_id
  JOIN bench.p7_last l ON l.thread_id = mb.thread_id
  LEFT JOIN bench.p7_own o ON o.thread_id = mb.thread_id AND o.user_id = mb.user_id
  CROSS JOIN LATERAL (SELECT CASE WHEN mb.pos = 0 THEN 'owner'
                                  WHEN t.kind = 'channel' AND mb.pos BETWEEN 1 AND 4 THEN 'admin'
                                  ELSE 'member' END::chat.member_role AS role) r
  JOIN chat.permission_default d ON d.kind = t.kind AND d.role = r.role
  CROSS JOIN LATERAL (SELECT t.n > :fanout AS large,
                             /* mark_read moves nothing when the newest message is the member's own */
                             bench.p7_h(mb.thread_id * 2097152 + mb.user_id, 7) % 100 < t.readp
                             AND o.own_id IS DISTINCT FROM l.id AS reads) x
 ORDER BY mb.thread_id, mb.user_id;

INSERT INTO chat.message (thread_id, id, sender_id, kind, content, sent_at, search_vector)
SELECT m.thread_id, m.id, m.sender_id, 'text', c.content,
       timestamptz '2026-01-01 00:00:00+00' + m.id * interval '1 second',
       nullif(to_tsvector(:'search_config'::regconfig, c.content), ''::tsvector)
  FROM bench.p7_msg m, LATERAL (SELECT bench.p7_text(m.thread_id, m.j) AS content) c
 ORDER BY m.id;

RESET session_replication_role;
SELECT setval('chat.thread_id_seq', (SELECT max(id) FROM chat.thread));
SELECT setval('chat.message_id_seq', (SELECT max(id) FROM chat.message));

SELECT ddl FROM bench.p7_index ORDER BY conname IS NULL, name
\gexec

DROP TABLE bench.p7_msg, bench.p7_own, bench.p7_last, bench.p7_member;
