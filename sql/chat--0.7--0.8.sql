/*
 * chat 0.7 -> 0.8: restores and limits.
 *
 * - A thread becomes "large" only when its membership grows past
 *   inbox_fanout_limit: restored member rows (which the restored thread row
 *   already counts) no longer flip it, whatever the limit when they arrive.
 */

\echo Use "ALTER EXTENSION chat UPDATE TO '0.8'" to load this file. \quit

/* ---- sql/src/internal/unread.sql ---- */

CREATE OR REPLACE FUNCTION chat._member_count(changed bigint[]) RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    lim bigint := chat._setting_value('inbox_fanout_limit')::bigint;
BEGIN
    PERFORM FROM chat.thread t WHERE t.id = ANY (changed) ORDER BY t.id FOR NO KEY UPDATE;
    UPDATE chat.thread t
       SET member_count = c.n,
           large = t.large OR (c.n > lim AND c.n > t.member_count)
      FROM (SELECT t2.id, (SELECT count(*) FROM chat.member mb WHERE mb.thread_id = t2.id) AS n
              FROM chat.thread t2 WHERE t2.id = ANY (changed)) c
     WHERE t.id = c.id AND (t.member_count <> c.n OR (NOT t.large AND c.n > lim AND c.n > t.member_count));
END
$$;


