/*
 * bench/sql/check_p7.sql: the checks of the P7 data (database bench_p7),
 * set-based: chat.verify_unread() recounts each member with one index scan
 * of the messages after its read pointer, hours for 10,000-member rooms of
 * 50,000 messages and 2.6 M members in all.
 *
 *   bench.p7_recount()  chat.verify_unread() for every thread at once, same
 *                       checks and row shape, in two sorts of every message
 *                       and read pointer (as bench.recount_unread of one
 *                       thread, check.sql)
 *   bench.p7_state()    what chat's triggers and functions keep besides the
 *                       counters, for every row: the thread's newest message
 *                       (sender, time, preview), "large" against the fan-out
 *                       limit, permissions of the role, pointers in order,
 *                       the words of a sample of messages; one row per kind
 *                       of difference, with how many rows differ
 *   bench.p7_replay(t)  thread t built again through chat: its row and member
 *                       rows inserted (chat's triggers on), its messages sent
 *                       in order with chat.new_reply, then chat.mark_read by
 *                       every member who has read (seen_id > 0); the rows
 *                       that differ from the loaded ones, pointers compared
 *                       as positions in the thread (ids differ).  Run it in a
 *                       transaction that is rolled back.
 */
CREATE FUNCTION bench.p7_recount()
    RETURNS TABLE (thread_id bigint, user_id chat.user_id, what text, stored bigint, recounted bigint)
    LANGUAGE sql STABLE
    SET work_mem = '1GB'
    AS $$
    WITH tot AS (
        SELECT m.thread_id, count(*) AS n, max(m.id) AS last FROM chat.message m GROUP BY m.thread_id
    ), mc AS (
        SELECT mb.thread_id, count(*) AS n FROM chat.member mb GROUP BY mb.thread_id
    ), ev AS (
        /* messages (k = 0) sort before a read pointer equal to their id (k = 1) */
        SELECT m.thread_id, m.id AS pos, 0 AS k, m.sender_id AS who FROM chat.message m
        UNION ALL
        SELECT mb.thread_id, mb.read_id, 1, mb.user_id FROM chat.member mb
    ), w AS (
        SELECT ev.thread_id, ev.k, ev.who,
               count(*) FILTER (WHERE ev.k = 0)
                   OVER (PARTITION BY ev.thread_id ORDER BY ev.pos, ev.k ROWS UNBOUNDED PRECEDING) AS upto_all,
               count(*) FILTER (WHERE ev.k = 0)
                   OVER (PARTITION BY ev.thread_id, ev.who ORDER BY ev.pos, ev.k ROWS UNBOUNDED PRECEDING) AS upto_own,
               count(*) FILTER (WHERE ev.k = 0) OVER (PARTITION BY ev.thread_id, ev.who) AS own
          FROM ev
    )
    SELECT t.id, NULL::chat.user_id, 'message_count', t.message_count, coalesce(tot.n, 0)
      FROM chat.thread t LEFT JOIN tot ON tot.thread_id = t.id WHERE t.message_count <> coalesce(tot.n, 0)
    UNION ALL
    SELECT t.id, NULL, 'last_message_id', t.last_message_id, tot.last
      FROM chat.thread t LEFT JOIN tot ON tot.thread_id = t.id WHERE t.last_message_id IS DISTINCT FROM tot.last
    UNION ALL
    SELECT t.id, NULL, 'member_count', t.member_count, coalesce(mc.n, 0)
      FROM chat.thread t LEFT JOIN mc ON mc.thread_id = t.id WHERE t.member_count <> coalesce(mc.n, 0)
    UNION ALL
    /* unread = messages after the read pointer not sent by the member */
    SELECT mb.thread_id, mb.user_id, 'unread', t.message_count - mb.read_count,
           (coalesce(tot.n, 0) - w.upto_all) - (w.own - w.upto_own)
      FROM w
      JOIN chat.member mb ON mb.thread_id = w.thread_id AND mb.user_id = w.who
      JOIN chat.thread t ON t.id = mb.thread_id
      LEFT JOIN tot ON tot.thread_id = mb.thread_id
     WHERE w.k = 1 AND t.message_count - mb.read_count <> (coalesce(tot.n, 0) - w.upto_all) - (w.own - w.upto_own)
    UNION ALL
    /* no message of the P7 data mentions anyone: every mention_count is 0 */
    SELECT mb.thread_id, mb.user_id, 'mentions', mb.mention_count, 0
      FROM chat.member mb WHERE mb.mention_count <> 0
    UNION ALL
    SELECT m.thread_id, NULL, 'mentions in a message', m.id, 0
      FROM chat.message m WHERE m.mentions IS NOT NULL
    UNION ALL
    SELECT mb.thread_id, mb.user_id, 'copy', mb.message_count, t.message_count
      FROM chat.member mb JOIN chat.thread t ON t.id = mb.thread_id
     WHERE NOT mb.large AND (mb.message_count <> t.message_count OR mb.activity_id <> coalesce(t.last_message_id, 0))
    UNION ALL
    SELECT mb.thread_id, mb.user_id, 'large', mb.large::int, t.large::int
      FROM chat.member mb JOIN chat.thread t ON t.id = mb.thread_id
     WHERE mb.large <> t.large
$$;

CREATE FUNCTION bench.p7_state() RETURNS TABLE (what text, differ bigint)
    LANGUAGE sql STABLE
    AS $$
    SELECT 'thread: newest message''s sender, time or preview', count(*)
      FROM chat.thread t LEFT JOIN chat.message m ON m.thread_id = t.id AND m.id = t.last_message_id
     WHERE (t.last_sender_id, t.last_sent_at, t.last_preview) IS DISTINCT FROM (m.sender_id, m.sent_at, left(m.content, 100))
    UNION ALL
    SELECT 'thread: large is not member_count > inbox_fanout_limit', count(*)
      FROM chat.thread t WHERE t.large <> (t.member_count > chat.get_setting('inbox_fanout_limit')::text::bigint)
    UNION ALL
    SELECT 'member: permissions are not its role''s defaults', count(*)
      FROM chat.member mb JOIN chat.thread t ON t.id = mb.thread_id
      LEFT JOIN chat.permission_default d ON d.kind = t.kind AND d.role = mb.role
     WHERE mb.permissions IS DISTINCT FROM d.permissions
    UNION ALL
    SELECT 'member: pointers out of order (read <= delivered <= newest, seen 0 or = read)', count(*)
      FROM chat.member mb JOIN chat.thread t ON t.id = mb.thread_id
     WHERE NOT (mb.read_id <= mb.delivered_id AND mb.delivered_id <= coalesce(t.last_message_id, 0)
                AND (mb.seen_id = 0 OR mb.seen_id <= mb.read_id))
    UNION ALL
    SELECT 'thread: not exactly one owner', count(*)
      FROM chat.thread t
     WHERE (SELECT count(*) FROM chat.member mb WHERE mb.thread_id = t.id AND mb.role = 'owner') <> 1
    UNION ALL
    SELECT 'message: ids not increasing with sent_at in a thread (sample)', count(*)
      FROM (SELECT m.id, m.sent_at, lag(m.sent_at) OVER (PARTITION BY m.thread_id ORDER BY m.id) AS before
              FROM chat.message m WHERE m.thread_id % 100 = 7) s
     WHERE s.sent_at <= s.before
    UNION ALL
    SELECT 'message: words not those of its content (1 % sample)', count(*)
      FROM chat.message m TABLESAMPLE SYSTEM (1)
     WHERE m.search_vector IS DISTINCT FROM nullif(to_tsvector(chat._search_config(), m.content), ''::tsvector)
$$;

CREATE FUNCTION bench.p7_replay(t bigint)
    RETURNS TABLE (thread_id bigint, user_id chat.user_id, what text, loaded text, replayed text)
    LANGUAGE plpgsql
    AS $$
DECLARE
    n bigint := nextval('chat.thread_id_seq');
    m record;
BEGIN
    INSERT INTO chat.thread (id, kind, subject, created_by)
    SELECT n, th.kind, th.subject, th.created_by FROM chat.thread th WHERE th.id = t;
    INSERT INTO chat.member (thread_id, user_id, role)
    SELECT n, mb.user_id, mb.role FROM chat.member mb WHERE mb.thread_id = t ORDER BY mb.user_id;
    FOR m IN SELECT msg.sender_id, msg.content FROM chat.message msg WHERE msg.thread_id = t ORDER BY msg.id LOOP
        PERFORM chat.new_reply(thread_id => n, sender => m.sender_id, content => m.content);
    END LOOP;
    FOR m IN SELECT mb.user_id FROM chat.member mb WHERE mb.thread_id = t AND mb.seen_id > 0 ORDER BY mb.user_id LOOP
        PERFORM chat.mark_read(thread_id => n, reader => m.user_id);
    END LOOP;
    /* a pointer as the number of the thread's messages up to it */
    RETURN QUERY
    WITH state AS (
        SELECT th.id AS tid, NULL::chat.user_id AS uid,
               jsonb_build_object('kind', th.kind, 'member_count', th.member_count, 'large', th.large,
                                  'message_count', th.message_count, 'last_sender_id', th.last_sender_id,
                                  'last_preview', th.last_preview) AS s
          FROM chat.thread th WHERE th.id IN (t, n)
        UNION ALL
        SELECT mb.thread_id, mb.user_id,
               to_jsonb(mb) - '{thread_id,joined_at,read_id,delivered_id,activity_id,seen_id,read_at,delivered_at}'::text[]
               || jsonb_build_object(
                      'read', (SELECT count(*) FROM chat.message x WHERE x.thread_id = mb.thread_id AND x.id <= mb.read_id),
                      'delivered', (SELECT count(*) FROM chat.message x WHERE x.thread_id = mb.thread_id AND x.id <= mb.delivered_id),
                      'activity', (SELECT count(*) FROM chat.message x WHERE x.thread_id = mb.thread_id AND x.id <= mb.activity_id),
                      'seen', (SELECT count(*) FROM chat.message x WHERE x.thread_id = mb.thread_id AND x.id <= mb.seen_id),
                      'read_at', mb.read_at IS NOT NULL, 'delivered_at', mb.delivered_at IS NOT NULL)
          FROM chat.member mb WHERE mb.thread_id IN (t, n)
    )
    SELECT t, a.uid, 'state', a.s::text, b.s::text
      FROM (SELECT * FROM state WHERE tid = t) a
      FULL JOIN (SELECT * FROM state WHERE tid = n) b ON coalesce(a.uid::bigint, -1) = coalesce(b.uid::bigint, -1)
     WHERE a.s IS DISTINCT FROM b.s;
END
$$;
