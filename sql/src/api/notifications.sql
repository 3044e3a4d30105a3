
/* ========================================================================
 * api/notifications.sql: the notification queue for push and e-mail workers
 *
 * claim_notifications, ack_notification, fail_notification,
 * notification_digest, prune_notifications: server roles only.  A worker
 * claims a batch, delivers each notification, and acknowledges it or
 * reports its failure.  Delivery is at least once: a claim not acknowledged
 * within its visibility timeout is claimed again, as with pgmq.
 * ======================================================================== */

CREATE FUNCTION chat.claim_notifications(worker text, batch integer DEFAULT 10,
                                         visibility_seconds integer DEFAULT NULL)
    RETURNS TABLE (id bigint, user_id chat.user_id, thread_id bigint, message_id bigint, attempts integer,
                   sender_id chat.user_id, sender_name text, thread_kind text, subject text,
                   preview text, sent_at timestamptz, extra jsonb)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
#variable_conflict use_column
DECLARE
    vt integer;
    max_attempts integer;
    ids bigint[];
    due_ids bigint[];
    due_threads bigint[];
    due_messages bigint[];
    due_users chat.user_id[];
    live_ids bigint[];
    extras jsonb;
BEGIN
    PERFORM chat._require_server('claim notifications');
    PERFORM chat._not_null(worker, 'worker');
    PERFORM chat._not_null(batch, 'batch');
    IF chat._is_blank(worker) THEN
        RAISE EXCEPTION 'worker must not be blank' USING ERRCODE = '22023', COLUMN = 'worker',
            HINT = 'Name the worker, e.g. its host and process id: it is kept with each claim.';
    END IF;
    IF char_length(worker) > 255 THEN
        RAISE EXCEPTION 'worker is too long'
            USING ERRCODE = '22001', COLUMN = 'worker',
                  DETAIL = format('The worker''s name has %s characters; the limit is 255.', char_length(worker));
    END IF;
    PERFORM chat._check_range(batch, 1, 1000, 'batch');
    PERFORM chat._check_range(visibility_seconds, 1, 86400, 'visibility_seconds');
    PERFORM chat._require_events();
    vt := coalesce(visibility_seconds, chat._setting_value('notification_visibility_seconds')::integer);
    max_attempts := chat._setting_value('notification_max_attempts')::integer;

    PERFORM chat._expand_notifications();

    /*
     * The due rows no other worker holds, oldest first.  A row whose message
     * was deleted, or whose user left, read the message or changed mute or
     * notification level so as not to be notified of it meanwhile, is withdrawn; one whose last allowed claim timed out is
     * dead; the others are claimed: invisible for vt seconds, one more
     * attempt.
     */
    SELECT coalesce(array_agg(n.id), '{}'), coalesce(array_agg(n.thread_id), '{}'),
           coalesce(array_agg(n.message_id), '{}'), coalesce(array_agg(n.user_id), '{}')
      INTO due_ids, due_threads, due_messages, due_users
      FROM (SELECT n.id, n.thread_id, n.message_id, n.user_id
              FROM chat.notification n
             WHERE n.state = 'pending' AND n.visible_at <= clock_timestamp()
             ORDER BY n.visible_at, n.id
             LIMIT batch
               FOR UPDATE OF n SKIP LOCKED) n;
    IF cardinality(due_ids) = 0 THEN
        RETURN;
    END IF;
    /* which are still to be sent: a statement of its own, the rows as arrays (Citus) */
    SELECT coalesce(array_agg(d.id), '{}') INTO live_ids
      FROM unnest(due_ids, due_threads, due_messages, due_users) AS d (id, thread_id, message_id, user_id)
      JOIN chat.message m ON m.thread_id = d.thread_id AND m.id = d.message_id
      JOIN chat.member mb ON mb.thread_id = d.thread_id AND mb.user_id = d.user_id
     WHERE m.deleted_at IS NULL AND mb.read_id < d.message_id
       AND CASE mb.notify_level WHEN 'all' THEN NOT mb.muted
                                WHEN 'mentions' THEN coalesce(mb.user_id = ANY (m.mentions), false)
                                ELSE false END;

    WITH due AS (
        SELECT n.id, n.attempts, n.id = ANY (live_ids) AS live
          FROM chat.notification n
         WHERE n.id = ANY (due_ids)
    ), withdrawn AS (
        UPDATE chat.notification n SET state = 'withdrawn', done_at = clock_timestamp()
          FROM due d WHERE n.id = d.id AND NOT d.live
        RETURNING n.id
    ), timed_out AS (
        UPDATE chat.notification n
           SET state = 'dead', done_at = clock_timestamp(),
               last_error = coalesce(n.last_error, 'not acknowledged within the visibility timeout')
          FROM due d WHERE n.id = d.id AND d.live AND d.attempts >= max_attempts
        RETURNING n.id
    ), claimed AS (
        UPDATE chat.notification n
           SET attempts = n.attempts + 1, claimed_at = clock_timestamp(), claimed_by = worker,
               visible_at = clock_timestamp() + make_interval(secs => vt)
          FROM due d WHERE n.id = d.id AND d.live AND d.attempts < max_attempts
        RETURNING n.id
    )
    SELECT coalesce(array_agg(c.id ORDER BY c.id), '{}') INTO ids FROM claimed c;

    IF cardinality(ids) = 0 THEN
        RETURN;
    END IF;
    extras := chat._notification_extras(ids);
    /* the rows first (materialized), then the names: on Citus display_name is not pushed to a shard */
    RETURN QUERY
    WITH r AS MATERIALIZED (
        SELECT n.id, n.user_id, n.thread_id, n.message_id, n.attempts, m.sender_id,
               t.kind::text AS kind, t.subject, left(m.content, 100) AS preview, m.sent_at
          FROM chat.notification n
          JOIN chat.message m ON m.thread_id = n.thread_id AND m.id = n.message_id
          JOIN chat.thread t ON t.id = n.thread_id
         WHERE n.id = ANY (ids)
    )
    SELECT r.id, r.user_id, r.thread_id, r.message_id, r.attempts, r.sender_id,
           CASE WHEN r.sender_id IS NOT NULL THEN chat.display_name(r.sender_id) END,
           r.kind, r.subject, r.preview, r.sent_at, extras -> r.id::text
      FROM r
     ORDER BY r.id;
END
$$;
COMMENT ON FUNCTION chat.claim_notifications(text, integer, integer) IS
    'Server roles: expand the messages sent since the last call into notifications, then claim up to batch due ones for the worker (FOR UPDATE SKIP LOCKED), invisible to other workers for visibility_seconds (default notification_visibility_seconds); returns what a push needs: ids, attempts, sender, thread, preview and the swapped model''s extra';

CREATE FUNCTION chat.ack_notification(id bigint, extra jsonb DEFAULT NULL) RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
#variable_conflict use_variable
DECLARE
    st text;
BEGIN
    PERFORM chat._require_server('acknowledge notifications');
    PERFORM chat._not_null(id, 'id');
    SELECT n.state INTO st FROM chat.notification n WHERE n.id = ack_notification.id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'notification % does not exist', id
            USING ERRCODE = '42704', HINT = 'Delivered, dead and withdrawn notifications are removed by chat.prune_notifications.';
    END IF;
    IF extra IS NOT NULL THEN
        PERFORM chat._set_notification_extra(id, extra);
    END IF;
    IF st = 'delivered' THEN
        RETURN false;
    END IF;
    UPDATE chat.notification n SET state = 'delivered', done_at = clock_timestamp()
     WHERE n.id = ack_notification.id;
    RETURN true;
END
$$;
COMMENT ON FUNCTION chat.ack_notification(bigint, jsonb) IS
    'Server roles: the notification was delivered (kept as delivered until chat.prune_notifications); extra fills the swapped notification model''s row (a provider''s message id...). False when it was delivered already';

CREATE FUNCTION chat.fail_notification(id bigint, error text, retry_seconds integer DEFAULT NULL,
                                       extra jsonb DEFAULT NULL)
    RETURNS text
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
#variable_conflict use_variable
DECLARE
    nt chat.notification;
    delay numeric;
BEGIN
    PERFORM chat._require_server('report failed notifications');
    PERFORM chat._not_null(id, 'id');
    PERFORM chat._not_null(error, 'error');
    PERFORM chat._check_range(retry_seconds, 0, 86400, 'retry_seconds');
    SELECT * INTO nt FROM chat.notification n WHERE n.id = fail_notification.id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'notification % does not exist', id
            USING ERRCODE = '42704', HINT = 'Delivered, dead and withdrawn notifications are removed by chat.prune_notifications.';
    END IF;
    IF extra IS NOT NULL THEN
        PERFORM chat._set_notification_extra(id, extra);
    END IF;
    IF nt.state <> 'pending' THEN
        RETURN nt.state;        /* delivered by another claim, dead or withdrawn: so it stays */
    END IF;
    IF nt.attempts >= chat._setting_value('notification_max_attempts')::integer THEN
        UPDATE chat.notification n SET state = 'dead', done_at = clock_timestamp(), last_error = left(error, 1000)
         WHERE n.id = fail_notification.id;
        RETURN 'dead';
    END IF;
    delay := coalesce(retry_seconds,
                      least(chat._setting_value('notification_retry_seconds')::numeric
                            * power(2::numeric, greatest(nt.attempts - 1, 0)), 86400));
    UPDATE chat.notification n
       SET visible_at = clock_timestamp() + make_interval(secs => delay::double precision),
           last_error = left(error, 1000)
     WHERE n.id = fail_notification.id;
    RETURN 'pending';
END
$$;
COMMENT ON FUNCTION chat.fail_notification(bigint, text, integer, jsonb) IS
    'Server roles: an attempt to deliver the notification failed: dead once it had notification_max_attempts attempts, else claimable again after retry_seconds (default notification_retry_seconds, doubled per earlier attempt, at most a day). Returns its state: pending, dead, or delivered / withdrawn (unchanged)';

CREATE FUNCTION chat.notification_digest(minutes integer)
    RETURNS TABLE (user_id chat.user_id, thread_id bigint, unread bigint, oldest_unread_at timestamptz,
                   last_message_id bigint)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
#variable_conflict use_column
BEGIN
    PERFORM chat._require_server('read notification digests');
    PERFORM chat._not_null(minutes, 'minutes');
    PERFORM chat._check_range(minutes, 0, 5256000, 'minutes');
    /*
     * The badge's threads (unread_count: inbox folder, muted and archived
     * ones out) whose oldest unread message is older than the given minutes.
     */
    RETURN QUERY
    SELECT u.user_id, u.thread_id, u.unread, o.sent_at, u.last_id
      FROM (SELECT mb.user_id, mb.thread_id, mb.read_id, mb.message_count - mb.read_count AS unread,
                   mb.activity_id AS last_id
              FROM chat.member mb
             WHERE NOT mb.large AND mb.message_count > mb.read_count AND NOT mb.muted AND mb.notify_level <> 'none' AND NOT mb.archived
               AND (mb.hidden_id IS NULL OR mb.hidden_id < mb.activity_id)
            UNION ALL
            SELECT mb.user_id, mb.thread_id, mb.read_id, t.message_count - mb.read_count, t.last_message_id
              FROM chat.member mb
              JOIN chat.thread t ON t.id = mb.thread_id
             WHERE mb.large AND t.message_count > mb.read_count AND NOT mb.muted AND mb.notify_level <> 'none' AND NOT mb.archived
               AND (mb.hidden_id IS NULL OR mb.hidden_id < coalesce(t.last_message_id, 0))) u
     CROSS JOIN LATERAL (SELECT m.sent_at FROM chat.message m
                          WHERE m.thread_id = u.thread_id AND m.id > u.read_id
                            AND m.sender_id IS DISTINCT FROM u.user_id
                          ORDER BY m.id
                          LIMIT 1) o
     WHERE o.sent_at < clock_timestamp() - make_interval(mins => minutes)
     ORDER BY u.user_id, u.thread_id;
END
$$;
COMMENT ON FUNCTION chat.notification_digest(integer) IS
    'Server roles: for e-mail digests, per user the threads with messages unread for more than the given minutes (the unread badge''s threads: muted, archived and level-none ones left out), with the unread count, when the oldest unread message was sent and the newest message''s id';

CREATE FUNCTION chat.prune_notifications() RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    n bigint;
BEGIN
    PERFORM chat._require_server('prune notifications');
    DELETE FROM chat.notification nt
     WHERE nt.state <> 'pending'
       AND nt.done_at < clock_timestamp()
                        - make_interval(days => chat._setting_value('notification_retention_days')::integer);
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;
COMMENT ON FUNCTION chat.prune_notifications() IS
    'Server roles: delete the delivered, dead and withdrawn notifications older than notification_retention_days (run it daily); returns how many';
