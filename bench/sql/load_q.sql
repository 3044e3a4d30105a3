/*
 * bench/sql/load_q.sql: the Q workloads' data (search and the directory), in
 * a database of their own, set-based through chat's tables and triggers (the
 * message trigger assigns ids, counters and pointers; the search trigger
 * computes each message's words).
 *
 * psql variables:
 *   q_viewer    the searching user
 *   q_threads   the viewer's 2-person threads (10,000), q_per_thread
 *               messages each, from either side
 *   q_messages  messages in all, the rest in 2-person threads of other users,
 *               10 each
 *   q_rooms     public rooms of the directory (100,000), and a tenth as many
 *               private ones, with a name and a description
 *
 * Text: words of a made-up language (two to four syllables) drawn with a
 * Zipf-like law (the rank of a word is exp(uniform(0, ln 100000))): the most
 * common word, "baba", is in about half of the messages, and most words are
 * rare.  Planted words: "zanzibar" (selective: 1 message in 50,000, and 1 in
 * 2,000 of the viewer's), "quokka" (1 in 1,000 everywhere).  Directory:
 * "zanzibar" in 1 room in 5,000, "quokka" in 1 in 100, "baba" in about 40 %.
 *
 * The GIN index of the message words is dropped during the load and built
 * after it (as a restore builds it): the bulk insert is then 2-3 times
 * faster.  Messages go in batches of 200,000 in random order, so that no
 * thread row gets long chains of row versions in one transaction.
 */
\set ON_ERROR_STOP on
SET synchronous_commit = off;
SELECT setseed(0.14) \g /dev/null

CREATE SCHEMA IF NOT EXISTS bench;

/* word i of the made-up language: 2 syllables below 400, 3 below 8,000, else 4 */
CREATE TABLE bench.q_vocab (i int PRIMARY KEY, w text NOT NULL);
INSERT INTO bench.q_vocab
SELECT i, substr(s, 1 + 2 * (i % 20), 2) || substr(s, 1 + 2 * (i / 20 % 20), 2)
          || CASE WHEN i >= 400 THEN substr(s, 1 + 2 * (i / 400 % 20), 2) ELSE '' END
          || CASE WHEN i >= 8000 THEN substr(s, 1 + 2 * (i / 8000 % 20), 2) ELSE '' END
  FROM generate_series(0, 99999) i, (SELECT 'bacedifoguhajekilomunaperisotuvawexiyozu'::text AS s) c;
/* texts 1..n of 4 to 14 words (text k has 4 + k % 11), Zipf-like */
CREATE FUNCTION bench.q_texts(n bigint) RETURNS TABLE (k bigint, content text) LANGUAGE sql VOLATILE AS $$
    SELECT x.k, string_agg(v.w, ' ' ORDER BY x.pos)
      FROM (SELECT k, pos, (exp(random() * 11.5))::int - 1 AS r
              FROM generate_series(1, n) k, generate_series(1, 4 + (k % 11)::int) pos) x
      JOIN bench.q_vocab v ON v.i = x.r
     GROUP BY x.k
$$;

/* ---- the viewer's threads and the others --------------------------------- */
SELECT :q_threads AS q_other_first \gset
SELECT greatest(0, (:q_messages - :q_threads * :q_per_thread) / 10) AS q_others \gset

/* members in batches of 1,000 threads: the member trigger's work grows with
   the square of one statement's rows */
INSERT INTO chat.thread (id, kind, subject, created_by)
SELECT k, 'private', 'q thread ' || k, :q_viewer FROM generate_series(1, :q_threads) k;
INSERT INTO chat.thread (id, kind, subject, created_by)
SELECT :q_other_first + j, 'private', 'other thread ' || j, 1000000000 + 2 * j FROM generate_series(1, :q_others) j;
SELECT format('INSERT INTO chat.member (thread_id, user_id, role)
               SELECT k, CASE WHEN k <= %1$s THEN %2$s ELSE 1000000000 + 2 * (k - %1$s) END, ''owner''
                 FROM generate_series(%3$s, %4$s) k',
              :q_threads, :q_viewer, b * 1000 + 1, least(b * 1000 + 1000, :q_threads + :q_others)),
       format('INSERT INTO chat.member (thread_id, user_id, role)
               SELECT k, CASE WHEN k <= %1$s THEN %2$s + k ELSE 1000000000 + 2 * (k - %1$s) + 1 END, ''member''
                 FROM generate_series(%3$s, %4$s) k',
              :q_threads, :q_viewer, b * 1000 + 1, least(b * 1000 + 1000, :q_threads + :q_others))
  FROM generate_series(0, (:q_threads + :q_others - 1) / 1000) b
\gexec

/* ---- messages ---------------------------------------------------------------- */
DROP INDEX chat.message_search_idx;

/* (thread, sender, text) of every message, in random order */
CREATE TABLE bench.q_plan (n bigint, thread_id bigint, sender_id bigint, content text);
INSERT INTO bench.q_plan
SELECT row_number() OVER (ORDER BY x.shuffle), x.thread_id, x.sender_id,
       t.content || CASE WHEN hashint8(x.k) % x.sel = 0 THEN ' zanzibar' ELSE '' END
                 || CASE WHEN hashint8(x.k + 1) % 1000 = 0 THEN ' quokka' ELSE '' END
  FROM (SELECT row_number() OVER () AS k, random() AS shuffle, y.* FROM
         (SELECT k AS thread_id, CASE WHEN i % 2 = 0 THEN :q_viewer ELSE :q_viewer + k END AS sender_id,
                 2000 AS sel
            FROM generate_series(1, :q_threads) k, generate_series(1, :q_per_thread) i
          UNION ALL
          SELECT :q_other_first + j, 1000000000 + 2 * j + i % 2, 50000
            FROM generate_series(1, :q_others) j, generate_series(1, 10) i) y) x
  JOIN bench.q_texts(:q_threads * :q_per_thread + :q_others * 10) t ON t.k = x.k;
CREATE INDEX ON bench.q_plan (n);

SELECT format('INSERT INTO chat.message (thread_id, sender_id, content)
               SELECT p.thread_id, p.sender_id, p.content FROM bench.q_plan p WHERE p.n BETWEEN %s AND %s ORDER BY p.n',
              b * 200000 + 1, b * 200000 + 200000)
  FROM generate_series(0, ((SELECT count(*) FROM bench.q_plan) - 1) / 200000) b
\gexec

CREATE INDEX message_search_idx ON chat.message USING gin (search_vector) WHERE search_vector IS NOT NULL;
DROP TABLE bench.q_plan;

/* ---- the directory: public rooms and a few private ones ------------------- */
INSERT INTO chat.thread (id, kind, subject, description, created_by, is_public)
SELECT 3000000000 + t.k, 'group', initcap(n.content),
       t.content || CASE WHEN t.k % 5000 = 17 THEN ' zanzibar' ELSE '' END
                 || CASE WHEN t.k % 100 = 3 THEN ' quokka' ELSE '' END,
       2000000000 + t.k, t.k % 11 <> 0
  FROM bench.q_texts(:q_rooms * 11 / 10) t
  JOIN (SELECT k, string_agg(w, ' ') AS content
          FROM (SELECT k, v.w FROM generate_series(1, :q_rooms * 11 / 10) k,
                       LATERAL (SELECT (exp(random() * 11.5 + k * 0))::int - 1 AS r FROM generate_series(1, 2 + (k % 2)::int)) x
                  JOIN bench.q_vocab v ON v.i = x.r) w
         GROUP BY k) n ON n.k = t.k;
