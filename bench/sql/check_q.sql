/*
 * bench/sql/check_q.sql: the Q workloads' first pages against the rules, in
 * database bench_q: one line per query, "word sort: ok" or "... WRONG".
 * The user of the Q threads is 500000 (bench/workloads/q.sh).
 */
SELECT format('%s %s: %s', w, s,
              CASE WHEN (SELECT array_agg(x.message_id) FROM chat.search(500000, w, sort => s) x)
                        IS NOT DISTINCT FROM
                        (SELECT array_agg(y.id) FROM
                           (SELECT m.id FROM chat.message m
                              JOIN chat.member mb ON mb.thread_id = m.thread_id AND mb.user_id = 500000
                             WHERE m.search_vector @@ w::tsquery AND m.deleted_at IS NULL
                             ORDER BY CASE WHEN s = 'rank' THEN ts_rank(m.search_vector, w::tsquery) END DESC NULLS LAST,
                                      m.id DESC
                             LIMIT 20) y)
                   THEN 'ok' ELSE 'WRONG' END)
  FROM unnest('{zanzibar,quokka}'::text[]) w, unnest('{rank,newest}'::text[]) s
UNION ALL
SELECT format('directory %s: %s', coalesce(q, 'all'),
              CASE WHEN (SELECT array_agg(d.thread_id) FROM chat.directory(500000, q) d)
                        IS NOT DISTINCT FROM
                        (SELECT array_agg(y.id) FROM
                           (SELECT t.id FROM chat.thread t
                             WHERE t.is_public
                               AND (q IS NULL OR to_tsvector('simple', coalesce(t.subject, '') || ' ' || coalesce(t.description, ''))
                                                 @@ (q || ':*')::tsquery)
                             ORDER BY lower(coalesce(t.subject, '')), t.id
                             LIMIT 50) y)
                   THEN 'ok' ELSE 'WRONG' END)
  FROM unnest(ARRAY[NULL, 'zanzibar', 'baba']) q;
