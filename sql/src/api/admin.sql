
/* ========================================================================
 * api/admin.sql: verify_unread
 * ======================================================================== */

/*
 * One sort per thread, whatever its members: every message and every read
 * pointer of a thread in one ordered list (a message before a pointer equal
 * to its id), where a running count gives each pointer the messages up to
 * it, all of them and the member's own.  Until chat 0.9 each member was
 * recounted by a scan of the messages after its pointer: members x messages,
 * minutes for one 10,000-member room, hours for the P7 database.  Mentions
 * are few: each is matched to its member's pointer.
 */
CREATE FUNCTION chat.verify_unread(thread_id bigint DEFAULT NULL)
    RETURNS TABLE (thread_id bigint, user_id chat.user_id, what text, stored bigint, recounted bigint)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT chat._require_server('run chat.verify_unread()');
    WITH t AS (
        SELECT t.* FROM chat.thread t WHERE $1 IS NULL OR t.id = $1
    ), m AS (
        /* each thread's messages by its key (OFFSET 0: not joined as a whole) */
        SELECT x.* FROM t, LATERAL (SELECT m.thread_id, m.id, m.sender_id, m.mentions
                                      FROM chat.message m WHERE m.thread_id = t.id OFFSET 0) x
    ), mb AS (
        SELECT x.*, t.message_count AS t_count, t.last_message_id AS t_last, t.large AS t_large
          FROM t, LATERAL (SELECT mb.* FROM chat.member mb WHERE mb.thread_id = t.id OFFSET 0) x
    ), tot AS (
        SELECT t.id, t.message_count, t.last_message_id, t.member_count,
               coalesce(c.n, 0) AS n, c.last, coalesce(d.members, 0) AS members
          FROM t
          LEFT JOIN (SELECT m.thread_id, count(*) AS n, max(m.id) AS last FROM m GROUP BY 1) c ON c.thread_id = t.id
          LEFT JOIN (SELECT mb.thread_id, count(*) AS members FROM mb GROUP BY 1) d ON d.thread_id = t.id
    ), ev AS (
        SELECT m.thread_id, m.id AS pos, 0 AS k, m.sender_id AS who FROM m
        UNION ALL
        SELECT mb.thread_id, mb.read_id, 1, mb.user_id FROM mb
    ), w AS (
        SELECT ev.thread_id, ev.k, ev.who,
               count(*) FILTER (WHERE ev.k = 0)
                   OVER (PARTITION BY ev.thread_id ORDER BY ev.pos, ev.k ROWS UNBOUNDED PRECEDING) AS upto_all,
               count(*) FILTER (WHERE ev.k = 0)
                   OVER (PARTITION BY ev.thread_id, ev.who ORDER BY ev.pos, ev.k ROWS UNBOUNDED PRECEDING) AS upto_own,
               count(*) FILTER (WHERE ev.k = 0) OVER (PARTITION BY ev.thread_id, ev.who) AS own
          FROM ev
    ), said AS (
        /* the unread mentions: each mention after its member's read pointer */
        SELECT mb.thread_id, mb.user_id, count(*) AS n
          FROM m CROSS JOIN LATERAL unnest(m.mentions) u(who)
          JOIN mb ON mb.thread_id = m.thread_id AND mb.user_id = u.who
         WHERE m.id > mb.read_id
         GROUP BY 1, 2
    )
    SELECT tot.id, NULL::chat.user_id, 'message_count', tot.message_count, tot.n
      FROM tot WHERE tot.message_count <> tot.n
    UNION ALL
    SELECT tot.id, NULL, 'last_message_id', tot.last_message_id, tot.last
      FROM tot WHERE tot.last_message_id IS DISTINCT FROM tot.last
    UNION ALL
    SELECT tot.id, NULL, 'member_count', tot.member_count, tot.members
      FROM tot WHERE tot.member_count <> tot.members
    UNION ALL
    SELECT u.thread_id, u.user_id, 'unread', u.stored, u.recounted
      FROM (SELECT mb.thread_id, mb.user_id, mb.t_count - mb.read_count AS stored,
                   (tot.n - w.upto_all) - (w.own - w.upto_own) AS recounted
              FROM w
              JOIN mb ON mb.thread_id = w.thread_id AND mb.user_id = w.who
              JOIN tot ON tot.id = w.thread_id
             WHERE w.k = 1) u
     WHERE u.stored <> u.recounted
    UNION ALL
    SELECT mb.thread_id, mb.user_id, 'mentions', mb.mention_count, coalesce(said.n, 0)
      FROM mb LEFT JOIN said ON said.thread_id = mb.thread_id AND said.user_id = mb.user_id
     WHERE mb.mention_count <> coalesce(said.n, 0)
    UNION ALL
    SELECT mb.thread_id, mb.user_id, 'copy', mb.message_count, mb.t_count
      FROM mb
     WHERE NOT mb.large AND (mb.message_count <> mb.t_count
                             OR mb.activity_id <> coalesce(mb.t_last, 0))
    UNION ALL
    SELECT mb.thread_id, mb.user_id, 'large', mb.large::int, mb.t_large::int
      FROM mb WHERE mb.large <> mb.t_large
$$;
COMMENT ON FUNCTION chat.verify_unread(bigint) IS
    'Counters that differ from a recount of the message rows (no rows: all exact). Unread = other members'' messages after the read pointer; mentions = messages after the read pointer that mention the member';
