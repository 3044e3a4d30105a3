
/* ========================================================================
 * api/search.sql: full-text search over the messages a user may read
 *
 * chat.message.search_vector holds the words of each text message's current
 * content (src/search.c); message_search_idx (GIN) finds a word's messages in
 * every thread.  A user may read the messages of the threads they are a
 * member of, deleted ones excepted, and does not search the threads in their
 * "deleted" folder (the inbox hides those too).  The plans, chosen at run
 * time, since no statistics of words are kept (security.sql):
 *
 * - sample: the newest messages of the database (5,000; 20,000 newest
 *   first), checked one by one.  Newest first, a common word fills the page
 *   from them; and how many of them match tells a common query from a rare
 *   one.
 * - by word: the index's matches in all threads, each kept when the viewer
 *   may read it (one probe of chat.member's primary key).  Its cost follows
 *   the query's matches in the whole database: the plan for a rare word, used
 *   while there are at most "probe" (20,000) of them.
 * - by thread: each of the viewer's threads (or the one asked for) and its
 *   matching messages.  Its cost follows the viewer's messages: the plan for
 *   a common word.
 *
 * Ranking (ts_rank) covers the matches only, the snippet (ts_headline) the
 * page only.
 * ======================================================================== */

CREATE FUNCTION chat.search(viewer chat.user_id DEFAULT chat.current_user_id(),
                            query text DEFAULT NULL,
                            in_thread bigint DEFAULT NULL,
                            sort text DEFAULT 'rank',
                            before text DEFAULT NULL,
                            page_size integer DEFAULT 20)
    RETURNS TABLE (thread_id bigint, message_id bigint, sender_id chat.user_id, subject text,
                   sent_at timestamptz, edited boolean, snippet text, rank real, cursor text)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    /* the rank in a cursor is printed exactly, whatever the session's setting */
    SET extra_float_digits = 3
    /* without statistics of words, estimates would compile plans that run for milliseconds */
    SET jit = off
    /* plans for this call's values: a generic plan cannot tell a page of 20 from a whole thread */
    SET plan_cache_mode = force_custom_plan
    AS $$
#variable_conflict use_column
DECLARE
    v chat.user_id;
    tid bigint;
    by_rank boolean;
    n integer;
    cfg regconfig;
    q tsquery;
    c_rank real;
    c_id bigint;
    parts text[];
    probe integer;
    walk integer;
    sampled bigint;
    matched bigint;
    by_word boolean;
    done boolean;
    threads bigint[];
    page_tids bigint[];
    page_ids bigint[];
    page_ranks real[];
BEGIN
    PERFORM chat._act(viewer);
    v := search.viewer;
    tid := search.in_thread;
    n := search.page_size;
    c_rank := 'Infinity';
    c_id := 9223372036854775807;
    probe := 20000;          -- the word plan while the query has at most this many matches in the database
    by_word := false;
    done := false;
    PERFORM chat._not_null(v, 'viewer');
    PERFORM chat._not_null(search.query, 'query');
    PERFORM chat._not_null(search.sort, 'sort');
    IF search.sort NOT IN ('rank', 'newest') THEN
        RAISE EXCEPTION 'invalid sort "%"', chat._shown(search.sort)
            USING ERRCODE = '22023', COLUMN = 'sort', HINT = 'Sort by "rank" (best match first) or "newest".';
    END IF;
    by_rank := search.sort = 'rank';
    walk := CASE WHEN by_rank THEN 5000 ELSE 20000 END;   -- the newest messages of the database sampled
    PERFORM chat._check_page_size(n);
    PERFORM chat._check_query(search.query);
    IF tid IS NOT NULL THEN
        PERFORM chat._member_row(tid, v);
    END IF;
    IF search.before IS NOT NULL THEN
        parts := CASE WHEN by_rank THEN regexp_match(search.before, '^(\d{1,20}(?:\.\d{1,20})?(?:e[+-]?\d{1,2})?):(\d{1,19})$')
                      ELSE regexp_match(search.before, '^()(\d{1,19})$') END;
        IF parts IS NULL OR parts[2]::numeric > 9223372036854775807
           OR (by_rank AND parts[1]::numeric <> 0 AND parts[1]::numeric NOT BETWEEN 1e-45 AND 3.4e38) THEN
            RAISE EXCEPTION 'invalid cursor "%"', chat._shown(search.before)
                USING ERRCODE = '22023', COLUMN = 'before',
                      HINT = 'Pass the cursor column of the last row of the previous page, with the same sort.';
        END IF;
        c_id := parts[2]::bigint;
        IF by_rank THEN
            c_rank := parts[1]::real;
        END IF;
    END IF;

    cfg := chat._search_config();
    q := chat._search_query(cfg, search.query);
    IF q IS NULL THEN
        RETURN;      -- no word to find (only stop words or punctuation)
    END IF;

    IF tid IS NOT NULL THEN
        /* one thread: nothing while it is in the viewer's deleted folder */
        IF NOT (SELECT mb.hidden_id IS NULL
                       OR mb.hidden_id < CASE WHEN mb.large THEN (SELECT coalesce(t.last_message_id, 0)
                                                                    FROM chat.thread t WHERE t.id = mb.thread_id)
                                              ELSE mb.activity_id END
                  FROM chat.member mb WHERE mb.thread_id = tid AND mb.user_id = v) THEN
            RETURN;
        END IF;
        threads := ARRAY[tid];
        /* a long thread: by word first */
        by_word := (SELECT t.message_count FROM chat.thread t WHERE t.id = tid) > probe;
    ELSE
        /* the sample, and newest first the page when it holds one */
        SELECT count(*), count(*) FILTER (WHERE x.hit),
               (array_agg(x.thread_id ORDER BY x.id DESC) FILTER (WHERE x.hit AND x.seen))[1:n],
               (array_agg(x.id ORDER BY x.id DESC) FILTER (WHERE x.hit AND x.seen))[1:n],
               NOT by_rank AND (count(*) FILTER (WHERE x.hit AND x.seen) >= n OR count(*) < walk)
          INTO sampled, matched, page_tids, page_ids, done
          FROM (SELECT w.thread_id, w.id, w.hit,
                       w.hit AND NOT by_rank
                       AND (SELECT mb.hidden_id IS NULL
                                   OR mb.hidden_id < CASE WHEN mb.large
                                                          THEN (SELECT coalesce(t.last_message_id, 0) FROM chat.thread t
                                                                 WHERE t.id = mb.thread_id)
                                                          ELSE mb.activity_id END
                              FROM chat.member mb WHERE mb.thread_id = w.thread_id AND mb.user_id = v) AS seen
                  FROM (SELECT m.thread_id, m.id, m.search_vector @@ q AND m.deleted_at IS NULL AS hit
                          FROM chat.message m
                         WHERE m.id < CASE WHEN by_rank THEN 9223372036854775807 ELSE c_id END
                         ORDER BY m.id DESC
                         LIMIT walk) w) x;
        IF done THEN
            page_ranks := array_fill(0::real, ARRAY[coalesce(cardinality(page_ids), 0)]);
        ELSE
            /* by word first, unless the sample's share of matches puts the query far above probe */
            by_word := NOT (sampled = walk
                            AND matched::float8 / greatest(sampled, 1)
                                * (SELECT c.reltuples FROM pg_class c WHERE c.oid = 'chat.message'::regclass) > 2 * probe);
        END IF;
    END IF;

    IF by_word THEN
        /*
         * By word: the index's matches (in the thread), at most probe + 1 of
         * them read; with no more than probe, they are all, and the page is
         * those the viewer may read.  Else the plan by thread answers.
         */
        WITH g AS MATERIALIZED (
            SELECT m.thread_id, m.id, CASE WHEN by_rank THEN ts_rank(m.search_vector, q) ELSE 0 END::real AS r
              FROM chat.message m
             WHERE m.search_vector @@ q AND m.deleted_at IS NULL
               AND m.id < CASE WHEN by_rank THEN 9223372036854775807 ELSE c_id END
               AND (tid IS NULL OR m.thread_id = tid)
             LIMIT probe + 1),
        c AS (SELECT count(*) <= probe AS few FROM g)
        SELECT (SELECT c.few FROM c), array_agg(x.thread_id ORDER BY x.r DESC, x.id DESC),
               array_agg(x.id ORDER BY x.r DESC, x.id DESC), array_agg(x.r ORDER BY x.r DESC, x.id DESC)
          INTO done, page_tids, page_ids, page_ranks
          FROM (SELECT g.thread_id, g.id, g.r
                  FROM g
                 WHERE (SELECT c.few FROM c)
                   /* a scalar subquery, never turned into a join: one primary-key probe per match */
                   AND (SELECT mb.hidden_id IS NULL
                               OR mb.hidden_id < CASE WHEN mb.large
                                                      THEN (SELECT coalesce(t.last_message_id, 0) FROM chat.thread t
                                                             WHERE t.id = mb.thread_id)
                                                      ELSE mb.activity_id END
                          FROM chat.member mb WHERE mb.thread_id = g.thread_id AND mb.user_id = v)
                   AND (NOT by_rank OR g.r < c_rank OR (g.r = c_rank AND g.id < c_id))
                 ORDER BY g.r DESC, g.id DESC
                 LIMIT n) x;
    END IF;
    IF NOT done AND tid IS NULL THEN
        threads := ARRAY(SELECT s.thread_id FROM chat._membership(v) s WHERE s.visible);
    END IF;

    IF NOT done THEN
        /* by thread: each thread's matches (newest first: its newest n), then the best of all */
        SELECT array_agg(x.thread_id ORDER BY x.r DESC, x.id DESC), array_agg(x.id ORDER BY x.r DESC, x.id DESC),
               array_agg(x.r ORDER BY x.r DESC, x.id DESC)
          INTO page_tids, page_ids, page_ranks
          FROM (SELECT g.thread_id, g.id, g.r
                  FROM unnest(threads) th(id),
                       /* the thread's messages from its key, each checked: never the word's index (OFFSET 0) */
                       LATERAL (SELECT t.thread_id, t.id,
                                       CASE WHEN by_rank THEN ts_rank(t.search_vector, q) ELSE 0 END::real AS r
                                  FROM (SELECT m.thread_id, m.id, m.search_vector
                                          FROM chat.message m
                                         WHERE m.thread_id = th.id AND m.deleted_at IS NULL
                                           AND m.id < CASE WHEN by_rank THEN 9223372036854775807 ELSE c_id END
                                         ORDER BY m.id DESC
                                        OFFSET 0) t
                                 WHERE t.search_vector @@ q
                                 LIMIT CASE WHEN by_rank THEN NULL ELSE n END) g
                 WHERE NOT by_rank OR g.r < c_rank OR (g.r = c_rank AND g.id < c_id)
                 ORDER BY g.r DESC, g.id DESC
                 LIMIT n) x;
    END IF;

    /* the page: its rows, subjects and snippets */
    RETURN QUERY
    SELECT m.thread_id, m.id, m.sender_id, t.subject, m.sent_at, m.edited_at IS NOT NULL,
           chat._snippet(cfg, m.content, q), CASE WHEN by_rank THEN u.r END,
           CASE WHEN by_rank THEN u.r::text || ':' || u.id ELSE u.id::text END
      FROM unnest(page_tids, page_ids, page_ranks) WITH ORDINALITY u(tid, id, r, pos)
      JOIN chat.message m ON m.thread_id = u.tid AND m.id = u.id
      JOIN chat.thread t ON t.id = u.tid
     ORDER BY u.pos;
END
$$;
COMMENT ON FUNCTION chat.search(chat.user_id, text, bigint, text, text, integer) IS
    'Full-text search of the messages the viewer may read (optionally in one thread): best match first (sort rank) or newest first; a highlighted snippet per match; pass the last row''s cursor as "before" for the next page';
