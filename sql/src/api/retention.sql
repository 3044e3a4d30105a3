
/* ========================================================================
 * api/retention.sql: how long messages are kept (set_retention) and purge
 *
 * A message expires once it is older than its room's retention_days, or the
 * setting retention_days when the room has none (NULL: kept forever; a room
 * with 0 keeps its messages forever whatever the setting).  chat.purge
 * deletes expired messages in bounded batches: each call one short
 * transaction, at most "batch" messages, thread after thread in id order
 * (each thread's row locked, as a reply locks it, until the call commits).
 * Within a thread sent_at increases with the id, so what expires is always
 * the thread's oldest messages: purge deletes a prefix of the thread, up to
 * the first message that has not expired, and says so in one
 * messages_purged event per thread.  The delete trigger takes the messages'
 * edits, reactions and attachments with them and takes them off the
 * counters (chat._uncount), so read state, receipts and inboxes stay exact.
 * ======================================================================== */

CREATE FUNCTION chat.set_retention(thread_id bigint,
                                   actor chat.user_id DEFAULT chat.current_user_id(),
                                   days integer DEFAULT NULL)
    RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    t chat.thread;
    m chat.member;
    global_days integer;
BEGIN
    PERFORM chat._act(actor);
    t := chat._lock_thread(set_retention.thread_id);
    PERFORM chat._not_null(actor, 'actor');
    IF days < 0 OR days > 36500 THEN
        RAISE EXCEPTION 'days must be between 0 and 36500' USING ERRCODE = '22023', COLUMN = 'days',
            DETAIL = format('The days given were %s.', days),
            HINT = 'Give a number of days, 0 to keep the messages forever, or NULL to follow the setting "retention_days".';
    END IF;
    m := chat._member_row(t.id, actor);
    /* a direct thread's two members have no edit_thread: either may choose */
    IF t.kind <> 'direct' THEN
        PERFORM chat._require(m, 'edit_thread', 'change the retention');
    END IF;
    global_days := (chat._setting_value('retention_days') #>> '{}')::integer;
    IF global_days IS NOT NULL AND (days = 0 OR days > global_days) AND NOT chat.is_server_role() THEN
        RAISE EXCEPTION 'permission denied to keep the messages of thread % longer than retention_days', t.id
            USING ERRCODE = '42501', CONSTRAINT = 'server_role_only',
                  DETAIL = format('The setting "retention_days" keeps messages %s days; only server roles may keep a room''s longer.', global_days);
    END IF;
    IF t.retention_days IS NOT DISTINCT FROM days THEN
        RETURN;
    END IF;
    UPDATE chat.thread th SET retention_days = days WHERE th.id = t.id;
    PERFORM chat._system_message(t.id, actor, format('%s set messages to be %s', chat._label(actor),
        CASE WHEN days IS NULL THEN 'kept for the default time'
             WHEN days = 0 THEN 'kept forever'
             WHEN days = 1 THEN 'deleted after 1 day'
             ELSE format('deleted after %s days', days) END));
END
$$;
COMMENT ON FUNCTION chat.set_retention(bigint, chat.user_id, integer) IS
    'Set how many days the room keeps its messages before chat.purge deletes them (0: forever; NULL: the setting retention_days); permission edit_thread (either member of a direct thread); only server roles may keep them longer than retention_days. Posts a system message';

CREATE FUNCTION chat.purge(batch integer DEFAULT 1000)
    RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    global_days integer;
    start bigint;
    budget bigint;
    pass integer;
    lo bigint;
    hi bigint;
    locked boolean;
    candidates refcursor;
    tid bigint;
    cutoff timestamptz;
    ids bigint[];
    n integer;
    deleted bigint;
BEGIN
    PERFORM chat._require_server('purge messages');
    PERFORM chat._not_null(batch, 'batch');
    IF batch < 1 OR batch > 1000000 THEN
        RAISE EXCEPTION 'batch must be between 1 and 1000000' USING ERRCODE = '22023', COLUMN = 'batch',
            DETAIL = format('The batch given was %s.', batch);
    END IF;
    global_days := (chat._setting_value('retention_days') #>> '{}')::integer;

    /* one purge at a time; it goes on after the thread the last one reached */
    INSERT INTO chat.purge_progress AS p (one, thread_id) VALUES (true, 0) ON CONFLICT (one) DO NOTHING;
    SELECT p.thread_id INTO start FROM chat.purge_progress p FOR UPDATE;
    budget := batch;
    locked := false;
    deleted := 0;

    /*
     * Pass 1: the threads after "start"; pass 2, from the first thread up to
     * "start", only when pass 1 locked no thread, so that one call locks
     * threads in id order only (as every other multi-thread lock does).
     */
    FOR pass IN 1 .. 2 LOOP
        EXIT WHEN pass = 2 AND (locked OR start = 0);
        lo := CASE pass WHEN 1 THEN start ELSE 0 END;
        hi := CASE pass WHEN 1 THEN NULL ELSE start END;
        /*
         * Threads whose oldest message has expired, found by key (one probe
         * per thread, no index on sent_at for every message to maintain).
         * Without the setting only rooms with a retention of their own.
         */
        IF global_days IS NULL THEN
            OPEN candidates FOR
                SELECT th.id, now() - make_interval(days => th.retention_days)
                  FROM chat.thread th
                 WHERE th.retention_days IS NOT NULL AND th.retention_days > 0
                   AND th.id > lo AND (hi IS NULL OR th.id <= hi)
                   AND (SELECT m.sent_at FROM chat.message m WHERE m.thread_id = th.id ORDER BY m.id LIMIT 1)
                       < now() - make_interval(days => th.retention_days)
                 ORDER BY th.id;
        ELSE
            OPEN candidates FOR
                SELECT th.id, now() - make_interval(days => coalesce(th.retention_days, global_days))
                  FROM chat.thread th
                 WHERE (th.retention_days IS NULL OR th.retention_days > 0)
                   AND th.id > lo AND (hi IS NULL OR th.id <= hi)
                   AND (SELECT m.sent_at FROM chat.message m WHERE m.thread_id = th.id ORDER BY m.id LIMIT 1)
                       < now() - make_interval(days => coalesce(th.retention_days, global_days))
                 ORDER BY th.id;
        END IF;
        LOOP
            FETCH candidates INTO tid, cutoff;
            EXIT WHEN NOT FOUND;
            /* as a reply does: the thread's counters and pointers stay put until commit */
            PERFORM FROM chat.thread th WHERE th.id = tid FOR NO KEY UPDATE;
            CONTINUE WHEN NOT FOUND;
            locked := true;
            /* the expired prefix: the oldest messages up to the first one kept */
            SELECT array_agg(x.id ORDER BY x.id) INTO ids
              FROM (SELECT p.id, bool_and(p.sent_at < cutoff) OVER (ORDER BY p.id) AS expired
                      FROM (SELECT m.id, m.sent_at FROM chat.message m
                             WHERE m.thread_id = tid ORDER BY m.id LIMIT budget) p) x
             WHERE x.expired;
            n := coalesce(cardinality(ids), 0);
            CONTINUE WHEN n = 0;
            /* before the delete: a hook can still read what goes (to remove attachments' files) */
            PERFORM chat._emit('messages_purged', tid, ids[n], NULL, jsonb_build_object('count', n));
            DELETE FROM chat.message m WHERE m.thread_id = tid AND m.id <= ids[n];
            deleted := deleted + n;
            budget := budget - n;
            IF budget = 0 THEN
                /* this thread may have more: the next call starts with it */
                CLOSE candidates;
                UPDATE chat.purge_progress p SET thread_id = tid - 1;
                RETURN deleted;
            END IF;
        END LOOP;
        CLOSE candidates;
    END LOOP;
    /* every thread was seen: the next call starts from the first one */
    UPDATE chat.purge_progress p SET thread_id = 0;
    RETURN deleted;
END
$$;
COMMENT ON FUNCTION chat.purge(integer) IS
    'Server roles: delete at most batch expired messages (older than their room''s retention_days or the setting retention_days), with their edits, reactions and attachments, keeping every counter exact; returns how many (0: none is left). One short transaction per call: call it again until it returns 0';
