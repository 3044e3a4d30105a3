
/* ========================================================================
 * api/admin.sql: verify_unread
 * ======================================================================== */

CREATE FUNCTION chat.verify_unread(thread_id bigint DEFAULT NULL)
    RETURNS TABLE (thread_id bigint, user_id chat.user_id, what text, stored bigint, recounted bigint)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT chat._require_server('run chat.verify_unread()');
    WITH t AS (
        SELECT t.*, (SELECT count(*) FROM chat.message m WHERE m.thread_id = t.id) AS n,
               (SELECT max(m.id) FROM chat.message m WHERE m.thread_id = t.id) AS last
          FROM chat.thread t WHERE $1 IS NULL OR t.id = $1
    )
    SELECT t.id, NULL::chat.user_id, 'message_count', t.message_count, t.n
      FROM t WHERE t.message_count <> t.n
    UNION ALL
    SELECT t.id, NULL, 'last_message_id', t.last_message_id, t.last
      FROM t WHERE t.last_message_id IS DISTINCT FROM t.last
    UNION ALL
    SELECT t.id, NULL, 'member_count', t.member_count,
           (SELECT count(*) FROM chat.member mb WHERE mb.thread_id = t.id)
      FROM t WHERE t.member_count <> (SELECT count(*) FROM chat.member mb WHERE mb.thread_id = t.id)
    UNION ALL
    SELECT u.thread_id, u.user_id, 'unread', u.stored, u.recounted
      FROM (SELECT mb.thread_id, mb.user_id, t.message_count - mb.read_count AS stored,
                   (SELECT count(*) FROM chat.message m
                     WHERE m.thread_id = t.id AND m.id > mb.read_id
                       AND m.sender_id IS DISTINCT FROM mb.user_id) AS recounted
              FROM t JOIN chat.member mb ON mb.thread_id = t.id) u
     WHERE u.stored <> u.recounted
    UNION ALL
    SELECT u.thread_id, u.user_id, 'mentions', u.stored, u.recounted
      FROM (SELECT mb.thread_id, mb.user_id, mb.mention_count AS stored,
                   (SELECT count(*) FROM chat.message m
                     WHERE m.thread_id = t.id AND m.id > mb.read_id
                       AND mb.user_id = ANY (m.mentions)) AS recounted
              FROM t JOIN chat.member mb ON mb.thread_id = t.id) u
     WHERE u.stored <> u.recounted
    UNION ALL
    SELECT mb.thread_id, mb.user_id, 'copy', mb.message_count, t.message_count
      FROM t JOIN chat.member mb ON mb.thread_id = t.id
     WHERE NOT mb.large AND (mb.message_count <> t.message_count
                             OR mb.activity_id <> coalesce(t.last_message_id, 0))
    UNION ALL
    SELECT mb.thread_id, mb.user_id, 'large', mb.large::int, t.large::int
      FROM t JOIN chat.member mb ON mb.thread_id = t.id
     WHERE mb.large <> t.large
$$;
COMMENT ON FUNCTION chat.verify_unread(bigint) IS
    'Counters that differ from a recount of the message rows (no rows: all exact). Unread = other members'' messages after the read pointer; mentions = messages after the read pointer that mention the member';
