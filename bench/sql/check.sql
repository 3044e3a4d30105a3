/*
 * bench/sql/check.sql: helpers of run.sh's checks, in schema bench (both
 * databases).
 *
 *   bench.room               the rooms the loaders built through chat's API,
 *                            by name (their ids come from chat's sequence)
 *   bench.sqlstate_of(sql)   runs a statement, returns its SQLSTATE ('00000'
 *                            when it succeeds); the statement's effects are
 *                            rolled back either way
 *   bench.recount_unread(t)  chat.verify_unread(t) for ONE thread, set-based
 *
 * Why bench.recount_unread: chat.verify_unread() recounts each member's
 * unread messages with one index range scan per member (messages after the
 * member's read pointer), so a thread costs members x messages: the 10,000-
 * member P2 group and channel, after their runs (tens of thousands of
 * messages each), take 20-60 s each.  Here the same recount is one sort of
 * the thread's messages and read pointers: a window function counts, for
 * every read pointer, the messages up to it (all, and the member's own).
 * run.sh uses it for the two P2 rooms only (BENCH_VERIFY_P2=chat uses
 * chat.verify_unread there too) and chat.verify_unread() for everything else.
 * Same checks, same row shape as chat.verify_unread.
 */
SET client_min_messages = warning;
CREATE SCHEMA IF NOT EXISTS bench;
RESET client_min_messages;

CREATE TABLE bench.room (
    name      text PRIMARY KEY,
    thread_id bigint NOT NULL
);

CREATE FUNCTION bench.sqlstate_of(statement text) RETURNS text
    LANGUAGE plpgsql
    AS $$
BEGIN
    BEGIN
        EXECUTE statement;
        RAISE EXCEPTION USING ERRCODE = 'ZZ000';  -- undo what succeeded
    EXCEPTION WHEN SQLSTATE 'ZZ000' THEN
        RETURN '00000';
    END;
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE;
END
$$;

CREATE FUNCTION bench.recount_unread(thread bigint)
    RETURNS TABLE (thread_id bigint, user_id chat.user_id, what text, stored bigint, recounted bigint)
    LANGUAGE sql STABLE
    AS $$
    WITH t AS (
        SELECT th.* FROM chat.thread th WHERE th.id = thread
    ), msg AS (
        SELECT m.id, m.sender_id FROM chat.message m WHERE m.thread_id = thread
    ), tot AS (
        SELECT count(*) AS n, max(msg.id) AS last FROM msg
    ), mbs AS (
        SELECT mb.* FROM chat.member mb WHERE mb.thread_id = thread
    ), ev AS (
        /* messages (k = 0) sort before a read pointer equal to their id (k = 1) */
        SELECT msg.id AS pos, 0 AS k, msg.sender_id AS who FROM msg
        UNION ALL
        SELECT mbs.read_id, 1, mbs.user_id FROM mbs
    ), w AS (
        SELECT ev.k, ev.who,
               count(*) FILTER (WHERE ev.k = 0)
                   OVER (ORDER BY ev.pos, ev.k ROWS UNBOUNDED PRECEDING) AS upto_all,
               count(*) FILTER (WHERE ev.k = 0)
                   OVER (PARTITION BY ev.who ORDER BY ev.pos, ev.k ROWS UNBOUNDED PRECEDING) AS upto_own,
               count(*) FILTER (WHERE ev.k = 0) OVER (PARTITION BY ev.who) AS own
          FROM ev
    )
    SELECT t.id, NULL::chat.user_id, 'message_count', t.message_count, tot.n
      FROM t, tot WHERE t.message_count <> tot.n
    UNION ALL
    SELECT t.id, NULL, 'last_message_id', t.last_message_id, tot.last
      FROM t, tot WHERE t.last_message_id IS DISTINCT FROM tot.last
    UNION ALL
    SELECT t.id, NULL, 'member_count', t.member_count, c.n
      FROM t, (SELECT count(*) AS n FROM mbs) c WHERE t.member_count <> c.n
    UNION ALL
    /* unread = messages after the read pointer not sent by the member */
    SELECT t.id, mbs.user_id, 'unread', t.message_count - mbs.read_count,
           (tot.n - w.upto_all) - (w.own - w.upto_own)
      FROM w JOIN mbs ON mbs.user_id = w.who, t, tot
     WHERE w.k = 1 AND t.message_count - mbs.read_count <> (tot.n - w.upto_all) - (w.own - w.upto_own)
    UNION ALL
    SELECT t.id, mbs.user_id, 'copy', mbs.message_count, t.message_count
      FROM t, mbs
     WHERE NOT mbs.large AND (mbs.message_count <> t.message_count
                              OR mbs.activity_id <> coalesce(t.last_message_id, 0))
    UNION ALL
    SELECT t.id, mbs.user_id, 'large', mbs.large::int, t.large::int
      FROM t, mbs WHERE mbs.large <> t.large
$$;
