/*
 * chat 0.7 -> 0.8: restores and limits.
 *
 * - A thread becomes "large" only when its membership grows past
 *   inbox_fanout_limit: restored member rows (which the restored thread row
 *   already counts) no longer flip it, whatever the limit when they arrive.
 * - chat._member_count and chat._member_insert update thread by thread,
 *   each found by its key: their cached plans no longer scan every row
 *   version of chat.thread, which made many calls in one transaction
 *   quadratic.
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

CREATE OR REPLACE FUNCTION chat._member_insert() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    changed bigint[] := ARRAY(SELECT DISTINCT a.thread_id FROM added a ORDER BY 1);
    tid bigint;
BEGIN
    PERFORM chat._member_count(changed);
    /* thread by thread, by key, as chat._member_count does */
    FOREACH tid IN ARRAY changed LOOP
        UPDATE chat.member mb
           SET activity_id = coalesce(t.last_message_id, 0),
               message_count = t.message_count,
               large = t.large
          FROM chat.thread t
         WHERE t.id = tid AND NOT t.large
           AND mb.thread_id = tid AND mb.user_id IN (SELECT a.user_id FROM added a WHERE a.thread_id = tid)
           AND (mb.activity_id, mb.message_count, mb.large)
               IS DISTINCT FROM (coalesce(t.last_message_id, 0), t.message_count, t.large);

        UPDATE chat.member mb
           SET large = true
          FROM chat.thread t
         WHERE t.id = tid AND t.large AND mb.thread_id = tid AND NOT mb.large;
    END LOOP;
    RETURN NULL;
END
$$;


