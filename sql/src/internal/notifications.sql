
/* ========================================================================
 * internal/notifications.sql: expanding messages into notifications, their extra
 * ======================================================================== */

/*
 * The notifications of the given messages (threads, messages and their
 * events' seqs, in the order to notify): one per member to notify, the
 * thread's members as they are now, less the sender, members whose
 * notification level leaves the message out, and members who already read
 * it; with a row of defaults in the swapped notification model.  A statement
 * of its own, the messages passed as arrays (on Citus an INSERT into the
 * local chat.notification cannot read a CTE over the distributed tables).
 * Returns how many it wrote.
 */
CREATE FUNCTION chat._notify_members(t_threads bigint[], t_messages bigint[], t_seqs bigint[]) RETURNS bigint
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    ids bigint[];
    md chat.model;
BEGIN
    WITH ins AS (
        INSERT INTO chat.notification (user_id, thread_id, message_id, seq)
        SELECT mb.user_id, t.thread_id, t.message_id, t.seq
          FROM unnest(t_threads, t_messages, t_seqs) WITH ORDINALITY AS t (thread_id, message_id, seq, ord)
          JOIN chat.message m ON m.thread_id = t.thread_id AND m.id = t.message_id
          JOIN chat.member mb ON mb.thread_id = t.thread_id
         WHERE mb.user_id IS DISTINCT FROM m.sender_id AND mb.read_id < t.message_id
           AND CASE mb.notify_level WHEN 'all' THEN NOT mb.muted
                                    WHEN 'mentions' THEN coalesce(mb.user_id = ANY (m.mentions), false)
                                    ELSE false END
         ORDER BY t.ord, mb.user_id
        ON CONFLICT ON CONSTRAINT notification_message_user_key DO NOTHING
        RETURNING id
    )
    SELECT ARRAY(SELECT i.id FROM ins i) INTO ids;

    /* the swapped model: a row of defaults per new notification, as for other records */
    IF cardinality(ids) > 0 AND EXISTS (SELECT 1 FROM chat.model m WHERE m.model = 'notification' AND m.tbl IS NOT NULL) THEN
        md := chat._swapped('notification');
        EXECUTE format('INSERT INTO %s (notification_id) SELECT pg_catalog.unnest($1)', md.tbl) USING ids;
    END IF;
    RETURN cardinality(ids);
END
$$;
COMMENT ON FUNCTION chat._notify_members(bigint[], bigint[], bigint[]) IS
    'Write the notifications of the given messages, one per member to notify (chat._expand_notifications); returns how many';

/*
 * Expand the message_sent events (kind text) committed since the notifier's
 * cursor into one chat.notification per member to notify: the thread's
 * members as they are now, less the sender, members whose notification level
 * leaves the message out, and members who already read the message (which
 * includes those who joined after it).  Levels: all (every message unless
 * the member muted the thread), mentions (only messages that mention the
 * member, muted or not), none.  Called by chat.claim_notifications, never in a reply's
 * transaction, so a reply's cost does not grow with its room.
 *
 * Concurrent workers expand once: the cursor row is locked, and a worker
 * that finds it locked leaves the expansion to its holder (SKIP LOCKED).
 * The events new to the cursor are those of transactions its snapshot did
 * not see (api/changes.sql); a window ends at a snapshot taken now, so only
 * committed events are expanded, whatever order their transactions commit
 * in.  One call expands about notification_expand_limit notifications (at
 * least one message's, by the thread's member count); the rest of the window
 * waits, in (xid, seq) order, for the next call.  Returns how many
 * notifications it wrote.
 */
CREATE FUNCTION chat._expand_notifications() RETURNS bigint
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    nf chat.notifier;
    s_from pg_snapshot;
    s_to pg_snapshot;
    budget bigint;
    n_cand bigint;
    n_taken bigint;
    last_xid xid8;
    last_seq bigint;
    t_threads bigint[];
    t_messages bigint[];
    t_seqs bigint[];
    n bigint;
BEGIN
    SELECT * INTO nf FROM chat.notifier FOR UPDATE SKIP LOCKED;
    IF NOT FOUND THEN
        /* another worker is expanding; or the row is missing, then from now on */
        INSERT INTO chat.notifier (cursor) SELECT chat._cursor()
         WHERE NOT EXISTS (SELECT FROM chat.notifier)
        ON CONFLICT ON CONSTRAINT notifier_pkey DO NOTHING;
        RETURN 0;
    END IF;
    s_from := chat._cursor_snapshot(nf.cursor);
    IF nf.window_end IS NOT NULL THEN
        s_to := chat._cursor_snapshot(nf.window_end);
    END IF;
    IF s_from IS NULL OR (nf.window_end IS NOT NULL AND s_to IS NULL) THEN
        /* a cursor of another database (made from a template): from now on */
        UPDATE chat.notifier SET cursor = chat._cursor(), window_end = NULL, done_xid = NULL, done_seq = NULL;
        RETURN 0;
    END IF;
    IF chat._cursor_expired(s_from) THEN
        RAISE WARNING 'messages sent before % were not all notified', now()
            USING DETAIL = 'Events were pruned, or the cursor is of another cluster, before chat.claim_notifications expanded them.',
                  HINT = 'Claim notifications more often than event_retention_days.';
        UPDATE chat.notifier SET cursor = chat._cursor(), window_end = NULL, done_xid = NULL, done_seq = NULL;
        RETURN 0;
    END IF;
    IF s_to IS NULL THEN
        nf.window_end := chat._cursor();
        s_to := chat._cursor_snapshot(nf.window_end);
    END IF;
    budget := chat._setting_value('notification_expand_limit')::bigint;

    /*
     * The window's next messages, then their notifications: two statements,
     * the messages passed as arrays (on Citus an INSERT into the local
     * chat.notification cannot read a CTE over the distributed tables).
     */
    WITH cand AS (
        SELECT e.xid, e.seq, e.thread_id, m.id AS message_id,
               greatest(coalesce(t.member_count, 0), 1)::bigint AS weight
          FROM chat.event e
          JOIN chat.message m ON m.thread_id = e.thread_id AND m.id = (e.payload ->> 'message_id')::bigint
          LEFT JOIN chat.thread t ON t.id = e.thread_id
         WHERE e.xid >= pg_snapshot_xmin(s_from) AND e.xid < pg_snapshot_xmax(s_to)
           AND (nf.done_xid IS NULL OR (e.xid, e.seq) > (nf.done_xid, nf.done_seq))
           AND e.event = 'message_sent' AND e.payload ->> 'kind' = 'text'
           AND NOT pg_visible_in_snapshot(e.xid, s_from) AND pg_visible_in_snapshot(e.xid, s_to)
           AND m.kind = 'text' AND m.deleted_at IS NULL
         ORDER BY e.xid, e.seq
         LIMIT budget + 1
    ), run AS (
        SELECT c.*, sum(c.weight) OVER (ORDER BY c.xid, c.seq) - c.weight AS before FROM cand c
    ), taken AS (
        SELECT r.* FROM run r WHERE r.before < budget
    )
    SELECT (SELECT count(*) FROM cand), (SELECT count(*) FROM taken),
           (SELECT t.xid FROM taken t ORDER BY t.xid DESC, t.seq DESC LIMIT 1),
           (SELECT t.seq FROM taken t ORDER BY t.xid DESC, t.seq DESC LIMIT 1),
           ARRAY(SELECT t.thread_id FROM taken t ORDER BY t.xid, t.seq),
           ARRAY(SELECT t.message_id FROM taken t ORDER BY t.xid, t.seq),
           ARRAY(SELECT t.seq FROM taken t ORDER BY t.xid, t.seq)
      INTO n_cand, n_taken, last_xid, last_seq, t_threads, t_messages, t_seqs;

    n := chat._notify_members(t_threads, t_messages, t_seqs);

    IF n_taken = n_cand AND n_cand <= budget THEN
        /* the window is done: the next one starts where it ended */
        UPDATE chat.notifier SET cursor = nf.window_end, window_end = NULL, done_xid = NULL, done_seq = NULL;
    ELSE
        UPDATE chat.notifier SET window_end = nf.window_end, done_xid = last_xid, done_seq = last_seq;
    END IF;

    RETURN n;
END
$$;
COMMENT ON FUNCTION chat._expand_notifications() IS
    'Expand the messages committed since the notifier''s cursor into notifications, at most about notification_expand_limit per call; nothing when another worker holds the cursor';

/*
 * Store extra in the swapped notification model's row of a notification
 * (inserted when the notification has none, e.g. from before the swap):
 * the fields present in extra, each checked by chat._extra_fields as for a new
 * record (22023 unknown, key or generated field, not an object, nothing
 * swapped; 22P02 a value that does not convert).
 */
CREATE FUNCTION chat._set_notification_extra(notification_id bigint, extra jsonb) RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
#variable_conflict use_variable
DECLARE
    md chat.model;
    cols text;
    vals text;
    coldefs text;
    sets text;
BEGIN
    md := chat._swapped('notification');
    IF md IS NULL THEN
        RAISE EXCEPTION 'extra needs a swapped model'
            USING ERRCODE = '22023', COLUMN = 'extra',
                  DETAIL = 'No table extends model "notification", so its extra fields have nowhere to go.',
                  HINT = 'Register a table extending model "notification" with chat.swap_model(''notification'', table).';
    END IF;
    IF jsonb_typeof(extra) <> 'object' THEN
        RAISE EXCEPTION 'extra must be a JSON object'
            USING ERRCODE = '22023', COLUMN = 'extra',
                  DETAIL = format('The value given is a JSON %s.', jsonb_typeof(extra)),
                  HINT = 'Pass the fields by name: ''{"provider_id": "abc"}''.';
    END IF;
    SELECT f.cols, f.vals, f.coldefs INTO cols, vals, coldefs
      FROM chat._extra_fields('notification', md.tbl, ARRAY['notification_id'], extra) f;
    IF coldefs = '' THEN
        EXECUTE format('INSERT INTO %s (notification_id) VALUES ($1) ON CONFLICT (notification_id) DO NOTHING', md.tbl)
            USING notification_id;
    ELSE
        /* every field of extra is the exact name of a column (chat._extra_fields checked) */
        sets := (SELECT string_agg(format('%I = excluded.%I', e.key, e.key), ', ' ORDER BY e.key)
                   FROM jsonb_object_keys(extra) AS e(key));
        EXECUTE format('INSERT INTO %s (notification_id%s) SELECT $1%s FROM pg_catalog.jsonb_to_record($2) AS r(%s)
                        ON CONFLICT (notification_id) DO UPDATE SET %s',
                       md.tbl, cols, vals, substr(coldefs, 3), sets)
            USING notification_id, extra;
    END IF;
END
$$;
COMMENT ON FUNCTION chat._set_notification_extra(bigint, jsonb) IS
    'Write the fields of extra into the swapped notification model''s row of a notification (22023 without a swapped model)';

/* The rendered extra of notifications, as an object keyed by id; NULL when nothing is swapped. */
CREATE FUNCTION chat._notification_extras(ids bigint[]) RETURNS jsonb
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    md chat.model := chat._swapped('notification');
    result jsonb;
BEGIN
    IF md IS NULL THEN
        RETURN NULL;
    END IF;
    EXECUTE format($q$SELECT jsonb_object_agg(x.notification_id::text, to_jsonb(x) - 'notification_id')
                        FROM %s x WHERE x.notification_id = ANY ($1)$q$, md.tbl)
        INTO result USING ids;
    /* rendered after the query, as the other models' extras (chat._render_object) */
    IF md.renderer IS NOT NULL THEN
        result := chat._render_object(md.renderer::oid, result, false);
    END IF;
    RETURN result;
END
$$;
COMMENT ON FUNCTION chat._notification_extras(bigint[]) IS
    'The rendered extra of the given notifications, keyed by id (one query for a claimed batch)';

/* 22023 naming the argument unless value is within lo .. hi (NULL passes). */
CREATE FUNCTION chat._check_range(value integer, lo integer, hi integer, name text) RETURNS void
    LANGUAGE plpgsql IMMUTABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF value < lo OR value > hi THEN
        RAISE EXCEPTION '% must be between % and %', name, lo, hi
            USING ERRCODE = '22023', COLUMN = name,
                  DETAIL = format('The %s given was %s.', name, value);
    END IF;
END
$$;
COMMENT ON FUNCTION chat._check_range(integer, integer, integer, text) IS
    'Raise 22023 naming the argument unless the value is within lo .. hi (NULL passes)';
