/*
 * chat 0.7 -> 0.8: restores and limits.
 *
 * - A thread becomes "large" only when its membership grows past
 *   inbox_fanout_limit: restored member rows (which the restored thread row
 *   already counts) no longer flip it, whatever the limit when they arrive.
 * - chat._member_count updates thread by thread, each found by its key: its
 *   cached plan no longer scans every row version of chat.thread, which made
 *   many calls in one transaction quadratic.
 */

\echo Use "ALTER EXTENSION chat UPDATE TO '0.8'" to load this file. \quit

/* ---- sql/src/internal/unread.sql ---- */

CREATE OR REPLACE FUNCTION chat._member_count(changed bigint[]) RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    lim bigint := chat._setting_value('inbox_fanout_limit')::bigint;
    tid bigint;
    n bigint;
BEGIN
    PERFORM FROM chat.thread t WHERE t.id = ANY (changed) ORDER BY t.id FOR NO KEY UPDATE;
    /*
     * Thread by thread, each found by its key: a plan joining chat.thread
     * would be made once, while the table is small, and scan every row
     * version of it ever after (quadratic in a transaction of many calls).
     */
    FOREACH tid IN ARRAY changed LOOP
        n := (SELECT count(*) FROM chat.member mb WHERE mb.thread_id = tid);
        UPDATE chat.thread t
           SET member_count = n,
               large = t.large OR (n > lim AND n > t.member_count)
         WHERE t.id = tid AND (t.member_count <> n OR (NOT t.large AND n > lim AND n > t.member_count));
    END LOOP;
END
$$;


