
/* ========================================================================
 * api/read.sql: inbox, counts, messages, members and the thread lookups
 * ======================================================================== */

CREATE FUNCTION chat.inbox(viewer chat.user_id DEFAULT chat.current_user_id(),
                           folder text DEFAULT 'inbox',
                           before text DEFAULT NULL,
                           page_size integer DEFAULT 50)
    RETURNS TABLE (thread_id bigint, kind text, subject text,
                   last_message_id bigint, last_sender_id chat.user_id,
                   last_preview text, last_sent_at timestamptz,
                   unread_count bigint, unread boolean, muted boolean,
                   member_count integer, cursor text, mention_count bigint, extra jsonb)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    /* custom plans for the first calls of a session join all large threads */
    SET plan_cache_mode = force_generic_plan
    AS $$
#variable_conflict use_column
DECLARE
    v chat.user_id;
    f text;
    n integer;
    c_act bigint;
    c_tid bigint;
    parts text[];
BEGIN
    PERFORM chat._act(viewer);
    v := inbox.viewer;
    f := inbox.folder;
    n := inbox.page_size;
    c_act := 9223372036854775807;
    c_tid := 9223372036854775807;
    PERFORM chat._not_null(v, 'viewer');
    PERFORM chat._check_folder(f);
    PERFORM chat._check_page_size(n);
    IF inbox.before IS NOT NULL THEN
        parts := regexp_match(inbox.before, '^(\d{1,19}):(\d{1,19})$');
        IF parts IS NULL OR parts[1]::numeric > 9223372036854775807
           OR parts[2]::numeric > 9223372036854775807 THEN
            RAISE EXCEPTION 'invalid cursor "%"', chat._shown(inbox.before)
                USING ERRCODE = '22023', COLUMN = 'before',
                      HINT = 'Pass the cursor column of the last row of the previous page.';
        END IF;
        c_act := parts[1]::bigint;
        c_tid := parts[2]::bigint;
    END IF;

    /*
     * Each arm is ordered and limited by itself: the small-thread arm is then
     * the first page_size entries of member_inbox_idx whatever the planner
     * estimates, and the large-thread arm sorts only the user's few large
     * threads.  The folder test is spelled out in both arms for that reason.
     */
    IF NOT EXISTS (SELECT 1 FROM chat.model md WHERE md.model = 'thread' AND md.tbl IS NOT NULL) THEN
        RETURN QUERY
        SELECT t.id, t.kind::text, t.subject, t.last_message_id, t.last_sender_id,
               t.last_preview, t.last_sent_at,
               t.message_count - mb.read_count, t.message_count > mb.read_count,
               mb.muted, t.member_count, p.activity || ':' || p.thread_id, mb.mention_count,
               NULL::jsonb
          FROM ((SELECT s.thread_id, s.activity
                   FROM (SELECT mb.thread_id, mb.activity_id AS activity,
                                mb.hidden_id IS NULL OR mb.hidden_id < mb.activity_id AS visible,
                                mb.archived, mb.message_count - mb.read_count AS unread,
                                mb.mention_count AS mentions
                           FROM chat.member mb
                          WHERE mb.user_id = v AND NOT mb.large
                            AND (mb.activity_id, mb.thread_id) < (c_act, c_tid)) s
                  WHERE CASE f
                          WHEN 'inbox' THEN s.visible AND NOT s.archived
                          WHEN 'unread' THEN s.visible AND NOT s.archived AND s.unread > 0
                          WHEN 'deleted' THEN NOT s.visible
                          WHEN 'archived' THEN s.visible AND s.archived
                          WHEN 'mentions' THEN s.visible AND NOT s.archived AND s.mentions > 0
                          ELSE EXISTS (SELECT 1 FROM chat.thread st
                                        WHERE st.id = s.thread_id AND st.created_by = v)
                        END
                  ORDER BY s.activity DESC, s.thread_id DESC
                  LIMIT n)
                UNION ALL
                (SELECT s.thread_id, s.activity
                   FROM (SELECT mb.thread_id, coalesce(lt.last_message_id, 0) AS activity,
                                mb.hidden_id IS NULL OR mb.hidden_id < coalesce(lt.last_message_id, 0) AS visible,
                                mb.archived, lt.message_count - mb.read_count AS unread, mb.mention_count AS mentions,
                                lt.created_by
                           FROM chat.member mb
                           JOIN chat.thread lt ON lt.id = mb.thread_id
                          WHERE mb.user_id = v AND mb.large) s
                  WHERE (s.activity, s.thread_id) < (c_act, c_tid)
                    AND CASE f
                          WHEN 'inbox' THEN s.visible AND NOT s.archived
                          WHEN 'unread' THEN s.visible AND NOT s.archived AND s.unread > 0
                          WHEN 'deleted' THEN NOT s.visible
                          WHEN 'archived' THEN s.visible AND s.archived
                          WHEN 'mentions' THEN s.visible AND NOT s.archived AND s.mentions > 0
                          ELSE s.created_by = v
                        END
                  ORDER BY s.activity DESC, s.thread_id DESC
                  LIMIT n)
                ORDER BY 2 DESC, 1 DESC
                LIMIT n) p
          JOIN chat.thread t ON t.id = p.thread_id
          JOIN chat.member mb ON mb.thread_id = p.thread_id AND mb.user_id = v
         ORDER BY p.activity DESC, p.thread_id DESC;
        RETURN;
    END IF;

    /* the same page, rendered by one call of chat._extras */
    RETURN QUERY
    WITH p AS (
        (SELECT s.thread_id, s.activity
           FROM (SELECT mb.thread_id, mb.activity_id AS activity,
                        mb.hidden_id IS NULL OR mb.hidden_id < mb.activity_id AS visible,
                        mb.archived, mb.message_count - mb.read_count AS unread,
                        mb.mention_count AS mentions
                   FROM chat.member mb
                  WHERE mb.user_id = v AND NOT mb.large
                    AND (mb.activity_id, mb.thread_id) < (c_act, c_tid)) s
          WHERE CASE f
                  WHEN 'inbox' THEN s.visible AND NOT s.archived
                  WHEN 'unread' THEN s.visible AND NOT s.archived AND s.unread > 0
                  WHEN 'deleted' THEN NOT s.visible
                  WHEN 'archived' THEN s.visible AND s.archived
                  WHEN 'mentions' THEN s.visible AND NOT s.archived AND s.mentions > 0
                  ELSE EXISTS (SELECT 1 FROM chat.thread st
                                WHERE st.id = s.thread_id AND st.created_by = v)
                END
          ORDER BY s.activity DESC, s.thread_id DESC
          LIMIT n)
        UNION ALL
        (SELECT s.thread_id, s.activity
           FROM (SELECT mb.thread_id, coalesce(lt.last_message_id, 0) AS activity,
                        mb.hidden_id IS NULL OR mb.hidden_id < coalesce(lt.last_message_id, 0) AS visible,
                        mb.archived, lt.message_count - mb.read_count AS unread, mb.mention_count AS mentions,
                        lt.created_by
                   FROM chat.member mb
                   JOIN chat.thread lt ON lt.id = mb.thread_id
                  WHERE mb.user_id = v AND mb.large) s
          WHERE (s.activity, s.thread_id) < (c_act, c_tid)
            AND CASE f
                  WHEN 'inbox' THEN s.visible AND NOT s.archived
                  WHEN 'unread' THEN s.visible AND NOT s.archived AND s.unread > 0
                  WHEN 'deleted' THEN NOT s.visible
                  WHEN 'archived' THEN s.visible AND s.archived
                  WHEN 'mentions' THEN s.visible AND NOT s.archived AND s.mentions > 0
                  ELSE s.created_by = v
                END
          ORDER BY s.activity DESC, s.thread_id DESC
          LIMIT n)
        ORDER BY 2 DESC, 1 DESC
        LIMIT n)
    SELECT t.id, t.kind::text, t.subject, t.last_message_id, t.last_sender_id,
           t.last_preview, t.last_sent_at,
           t.message_count - mb.read_count, t.message_count > mb.read_count,
           mb.muted, t.member_count, p.activity || ':' || p.thread_id, mb.mention_count,
           (SELECT chat._extras('thread', array_agg(pe.thread_id)) FROM p pe) -> p.thread_id::text
      FROM p
      JOIN chat.thread t ON t.id = p.thread_id
      JOIN chat.member mb ON mb.thread_id = p.thread_id AND mb.user_id = v
     ORDER BY p.activity DESC, p.thread_id DESC;
END
$$;
COMMENT ON FUNCTION chat.inbox(chat.user_id, text, text, integer) IS
    'A page of the viewer''s threads in a folder (inbox, unread, deleted, sent, archived, mentions: threads with unread mentions of the viewer), newest activity first; pass the last row''s cursor as "before" for the next page. extra is the thread''s row in the table swapped for model "thread"; mention_count is the viewer''s unread mentions in the thread';

CREATE FUNCTION chat.inbox_count(viewer chat.user_id DEFAULT chat.current_user_id(),
                                 folder text DEFAULT 'inbox')
    RETURNS bigint
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
#variable_conflict use_column
DECLARE
    v chat.user_id;
    f text;
BEGIN
    PERFORM chat._act(viewer);
    v := inbox_count.viewer;
    f := inbox_count.folder;
    PERFORM chat._not_null(v, 'viewer');
    PERFORM chat._check_folder(f);
    RETURN (SELECT count(*)
              FROM chat._membership(v) s
             WHERE CASE f
                     WHEN 'inbox' THEN s.visible AND NOT s.archived
                     WHEN 'unread' THEN s.visible AND NOT s.archived AND s.unread > 0
                     WHEN 'deleted' THEN NOT s.visible
                     WHEN 'archived' THEN s.visible AND s.archived
                     WHEN 'mentions' THEN s.visible AND NOT s.archived AND s.mentions > 0
                     ELSE EXISTS (SELECT 1 FROM chat.thread st
                                   WHERE st.id = s.thread_id AND st.created_by = v)
                   END);
END
$$;
COMMENT ON FUNCTION chat.inbox_count(chat.user_id, text) IS 'Number of threads in one of the viewer''s folders';

CREATE FUNCTION chat.unread_count(viewer chat.user_id DEFAULT chat.current_user_id(),
                                  OUT threads bigint, OUT messages bigint)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    SET plan_cache_mode = force_generic_plan
    AS $$
BEGIN
    PERFORM chat._act(viewer);
    PERFORM chat._not_null(viewer, 'viewer');
    /*
     * The small threads' arm states member_unread_idx's predicate, so the
     * index holds exactly the rows to count (read from it alone where the
     * visibility map allows); the large threads' counts are the thread rows'.
     */
    SELECT count(*), coalesce(sum(u.unread), 0)
      INTO threads, messages
      FROM (SELECT mb.message_count - mb.read_count AS unread
              FROM chat.member mb
             WHERE mb.user_id = viewer AND NOT mb.large AND mb.message_count > mb.read_count
               AND NOT mb.archived AND NOT mb.muted AND mb.notify_level <> 'none'
               AND (mb.hidden_id IS NULL OR mb.hidden_id < mb.activity_id)
            UNION ALL
            SELECT t.message_count - mb.read_count
              FROM chat.member mb
              JOIN chat.thread t ON t.id = mb.thread_id
             WHERE mb.user_id = viewer AND mb.large
               AND NOT mb.archived AND NOT mb.muted AND mb.notify_level <> 'none'
               AND (mb.hidden_id IS NULL OR mb.hidden_id < coalesce(t.last_message_id, 0))
               AND t.message_count > mb.read_count) u;
END
$$;
COMMENT ON FUNCTION chat.unread_count(chat.user_id) IS
    'Badge counts: threads with unread messages and unread messages in them (inbox folder, muted threads and threads at notification level none left out)';

/*
 * Unread mentions (Mattermost's MentionCount): one thread's, or the badge of
 * every thread of the inbox folder, muted ones included (a mention is meant
 * to be seen), threads at notification level none left out.  The badge reads
 * the user's rows as unread_count does, through member_inbox_idx and
 * member_large_idx: no index on mention_count (see schema/threads.sql).
 */
CREATE FUNCTION chat.mention_count(viewer chat.user_id DEFAULT chat.current_user_id(),
                                   thread_id bigint DEFAULT NULL,
                                   OUT threads bigint, OUT mentions bigint)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    m chat.member;
BEGIN
    PERFORM chat._act(viewer);
    PERFORM chat._not_null(viewer, 'viewer');
    IF mention_count.thread_id IS NOT NULL THEN
        m := chat._member_row(mention_count.thread_id, viewer);
        threads := (m.mention_count > 0)::int;
        mentions := m.mention_count;
        RETURN;
    END IF;
    SELECT count(*), coalesce(sum(u.n), 0)
      INTO threads, mentions
      FROM (SELECT mb.mention_count AS n, mb.hidden_id IS NULL OR mb.hidden_id < mb.activity_id AS visible,
                   mb.archived, mb.notify_level
              FROM chat.member mb
             WHERE mb.user_id = viewer AND NOT mb.large AND mb.mention_count > 0
            UNION ALL
            SELECT mb.mention_count, mb.hidden_id IS NULL OR mb.hidden_id < coalesce(t.last_message_id, 0),
                   mb.archived, mb.notify_level
              FROM chat.member mb
              JOIN chat.thread t ON t.id = mb.thread_id
             WHERE mb.user_id = viewer AND mb.large AND mb.mention_count > 0) u
     WHERE u.visible AND NOT u.archived AND u.notify_level <> 'none';
END
$$;
COMMENT ON FUNCTION chat.mention_count(chat.user_id, bigint) IS
    'Unread mentions of the viewer: in one thread (threads 0 or 1), or the badge: threads of the inbox folder with unread mentions and their number (muted threads included, threads at notification level none left out)';

CREATE FUNCTION chat.messages(thread_id bigint,
                                         viewer chat.user_id DEFAULT chat.current_user_id(),
                                         before bigint DEFAULT NULL,
                                         after bigint DEFAULT NULL,
                                         page_size integer DEFAULT 50)
    RETURNS TABLE (id bigint, sender_id chat.user_id, kind text, content text,
                   sent_at timestamptz, edited boolean, deleted boolean,
                   parent_id bigint, forwarded_from bigint,
                   reactions jsonb, attachments jsonb, seen_count bigint, extra jsonb)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
#variable_conflict use_column
DECLARE
    tid bigint;
    lo bigint;
    hi bigint;
    n integer;
    oldest_first boolean;
    swapped boolean;
BEGIN
    PERFORM chat._act(viewer);
    tid := messages.thread_id;
    lo := coalesce(messages.after, 0);
    hi := coalesce(messages.before, 9223372036854775807);
    n := messages.page_size;
    oldest_first := messages.after IS NOT NULL AND messages.before IS NULL;
    PERFORM chat._not_null(tid, 'thread_id');
    PERFORM chat._not_null(messages.viewer, 'viewer');
    PERFORM chat._check_page_size(n);
    PERFORM chat._member_row(tid, messages.viewer);
    swapped := EXISTS (SELECT 1 FROM chat.model md WHERE md.model = 'message' AND md.tbl IS NOT NULL);

    RETURN QUERY
    WITH p AS (
        (SELECT * FROM chat.message m
          WHERE oldest_first AND m.thread_id = tid AND m.id > lo AND m.id < hi
          ORDER BY m.id LIMIT n)
        UNION ALL
        (SELECT * FROM chat.message m
          WHERE NOT oldest_first AND m.thread_id = tid AND m.id > lo AND m.id < hi
          ORDER BY m.id DESC LIMIT n)),
    /*
     * seen_count: the members whose pointer (the greater of read and seen)
     * is at or past each message.  One pass over the thread's member rows
     * from the page's first message on counts those at or past its last
     * (in a busy room nearly all of them) and keeps only the pointers inside
     * the page, which a window then counts message by message, and the
     * pointers of the page's senders, who are not counted for their own.
     */
    b AS (
        SELECT min(pm.id) AS lo, max(pm.id) AS hi,
               array_agg(DISTINCT pm.sender_id) FILTER (WHERE pm.sender_id IS NOT NULL) AS senders
          FROM p pm),
    ptr AS (
        SELECT count(*) FILTER (WHERE v.seen >= b.hi) AS above,
               array_agg(v.seen) FILTER (WHERE v.seen < b.hi) AS mids,
               jsonb_object_agg(v.user_id::text, v.seen) FILTER (WHERE v.user_id = ANY (b.senders)) AS own
          FROM b,
               LATERAL (SELECT mb.user_id, greatest(mb.read_id, mb.seen_id) AS seen
                          FROM chat.member mb
                         WHERE mb.thread_id = tid AND greatest(mb.read_id, mb.seen_id) >= b.lo) v),
    /* the page's messages that have reactions or attachments: only theirs are summarised */
    rx AS (
        SELECT coalesce(array_agg(DISTINCT r.message_id), '{}') AS ids
          FROM b, chat.reaction r
         WHERE r.thread_id = tid AND r.message_id BETWEEN b.lo AND b.hi),
    ax AS (
        SELECT coalesce(array_agg(DISTINCT a.message_id), '{}') AS ids
          FROM b, chat.attachment a
         WHERE a.thread_id = tid AND a.message_id BETWEEN b.lo AND b.hi),
    c AS (
        SELECT x.id, x.n
          FROM (SELECT u.k AS id, u.is_page,
                       count(*) FILTER (WHERE NOT u.is_page)
                           OVER (ORDER BY u.k DESC, u.is_page ROWS UNBOUNDED PRECEDING) AS n
                  FROM (SELECT pp.id AS k, true AS is_page FROM p pp
                        UNION ALL
                        SELECT ms.seen, false FROM ptr, unnest(ptr.mids) AS ms(seen)) u) x
         WHERE x.is_page)
    SELECT p.id, p.sender_id, p.kind::text,
           CASE WHEN p.deleted_at IS NULL THEN p.content END,
           p.sent_at, p.edited_at IS NOT NULL, p.deleted_at IS NOT NULL,
           p.parent_id, p.forwarded_from,
           CASE WHEN p.deleted_at IS NULL AND p.id = ANY (rx.ids) THEN chat._reaction_summary(tid, p.id) ELSE '[]'::jsonb END,
           CASE WHEN p.deleted_at IS NULL AND p.id = ANY (ax.ids) THEN chat._attachment_list(tid, p.id) ELSE '[]'::jsonb END,
           coalesce(ptr.above, 0) + c.n - CASE WHEN (ptr.own ->> p.sender_id::text)::bigint >= p.id THEN 1 ELSE 0 END,
           CASE WHEN swapped
                THEN (SELECT chat._extras('message', ARRAY[tid], array_agg(pe.id)) FROM p pe) -> p.id::text
           END
      FROM p
      JOIN c ON c.id = p.id
      CROSS JOIN ptr
      CROSS JOIN rx
      CROSS JOIN ax
     ORDER BY p.id;
END
$$;
COMMENT ON FUNCTION chat.messages(bigint, chat.user_id, bigint, bigint, integer) IS
    'A page of a thread for one of its members, oldest first: the newest page, the page before "before", or the page after "after"; reactions by first use and attachments in order ([] when deleted), seen_count = other members who have seen it. extra is the message''s row in the table swapped for model "message"';

CREATE FUNCTION chat.message_history(message_id bigint, viewer chat.user_id DEFAULT chat.current_user_id())
    RETURNS TABLE (content text, replaced_at timestamptz)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
#variable_conflict use_column
DECLARE
    m chat.message;
BEGIN
    PERFORM chat._act(viewer);
    PERFORM chat._not_null(message_history.message_id, 'message_id');
    PERFORM chat._not_null(viewer, 'viewer');
    m := chat._message_row(message_history.message_id);
    PERFORM chat._member_row(m.thread_id, viewer);
    RETURN QUERY
    SELECT e.content, e.replaced_at
      FROM chat.message_edit e
     WHERE e.thread_id = m.thread_id AND e.message_id = m.id AND m.deleted_at IS NULL
     ORDER BY e.version DESC;
END
$$;
COMMENT ON FUNCTION chat.message_history(bigint, chat.user_id) IS
    'Earlier versions of a message, newest first (none once the message is deleted)';

/* The members of a thread with their swapped-model extra, rendered through chat._render. */

CREATE FUNCTION chat.members(thread_id bigint, viewer chat.user_id DEFAULT chat.current_user_id())
    RETURNS TABLE (user_id chat.user_id, role text, joined_at timestamptz, muted boolean,
                   permissions text[], extra jsonb)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
#variable_conflict use_column
DECLARE
    md chat.model;
    extras jsonb;
BEGIN
    PERFORM chat._act(viewer);
    md := chat._swapped('member');
    PERFORM chat._not_null(members.thread_id, 'thread_id');
    PERFORM chat._not_null(viewer, 'viewer');
    PERFORM chat._member_row(members.thread_id, viewer);
    IF md.tbl IS NOT NULL THEN
        EXECUTE format($q$SELECT jsonb_object_agg(x.user_id::text, to_jsonb(x) - 'thread_id' - 'user_id')
                            FROM %s x WHERE x.thread_id = $1$q$, md.tbl)
           INTO extras USING members.thread_id;
        /* rendered here, after the query (chat._render_object) */
        IF md.renderer IS NOT NULL THEN
            extras := chat._render_object(md.renderer::oid, extras, true);
        END IF;
    END IF;
    RETURN QUERY
    SELECT mb.user_id, mb.role::text, mb.joined_at, mb.muted, mb.permissions, extras -> (mb.user_id::text)
      FROM chat.member mb
     WHERE mb.thread_id = members.thread_id
     ORDER BY mb.role, mb.joined_at, mb.user_id;
END
$$;
COMMENT ON FUNCTION chat.members(bigint, chat.user_id) IS
    'The members of a thread the viewer belongs to: role, join time, muted, permissions and the member model''s extra';

CREATE FUNCTION chat.first_message(thread_id bigint) RETURNS bigint
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT chat._require_reader(thread_id);
    SELECT m.id FROM chat.message m WHERE m.thread_id = $1 ORDER BY m.id LIMIT 1
$$;
COMMENT ON FUNCTION chat.first_message(bigint) IS 'The thread''s first message, NULL when none';

CREATE FUNCTION chat.latest_message(thread_id bigint, exclude_user chat.user_id DEFAULT NULL)
    RETURNS bigint
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT chat._require_reader(thread_id);
    SELECT m.id FROM chat.message m
     WHERE m.thread_id = $1 AND ($2 IS NULL OR m.sender_id IS DISTINCT FROM $2)
     ORDER BY m.id DESC LIMIT 1
$$;
COMMENT ON FUNCTION chat.latest_message(bigint, chat.user_id) IS
    'The thread''s newest message, optionally not counting one user''s; NULL when none';

CREATE FUNCTION chat.earliest_message(thread_id bigint, exclude_user chat.user_id DEFAULT NULL)
    RETURNS bigint
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT chat._require_reader(thread_id);
    SELECT m.id FROM chat.message m
     WHERE m.thread_id = $1 AND ($2 IS NULL OR m.sender_id IS DISTINCT FROM $2)
     ORDER BY m.id LIMIT 1
$$;
COMMENT ON FUNCTION chat.earliest_message(bigint, chat.user_id) IS
    'The thread''s oldest message, optionally not counting one user''s; NULL when none';

CREATE FUNCTION chat.started_by(thread_id bigint) RETURNS chat.user_id
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT chat._require_reader(thread_id);
    SELECT m.sender_id FROM chat.message m WHERE m.thread_id = $1 ORDER BY m.id LIMIT 1
$$;
COMMENT ON FUNCTION chat.started_by(bigint) IS 'Sender of the thread''s first message, NULL when none';
