
/* ========================================================================
 * api/changes.sql: catch-up (changes), the relay's feed, pruning
 *
 * A cursor names a database and a snapshot: "<system id>.<database oid>.
 * <pg_current_snapshot()>".  The events new to it are those whose
 * transaction it did not see; the call's own snapshot is the next cursor.
 * So every event reaches a client once whatever order transactions commit
 * in (the caller's own transaction, which a snapshot of its own may or may
 * not list as running, is always new: its events are returned again by a
 * later call in the same transaction), and a cursor of another database (a restore, another cluster) or
 * older than what chat.prune_events removed says "reload".
 *
 * An event of a thread reaches its members as they are when it is read (a
 * reply's cost does not grow with the room: nothing is written per member),
 * and the users it names as recipients: a removed member gets its
 * member_removed and nothing later of the thread, the former members of a
 * dropped thread its thread_dropped, a user alone its per-user changes.
 * ======================================================================== */

/*
 * What begins every cursor: this cluster's system identifier and this
 * database's oid ("<system>.<database>"), so that a cursor of another
 * database (a restored copy, a replica promoted elsewhere) is told apart.
 */
CREATE FUNCTION chat._cursor_prefix() RETURNS text
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT format('%s.%s', (SELECT c.system_identifier FROM pg_control_system() c),
                  (SELECT d.oid FROM pg_database d WHERE d.datname = current_database()))
$$;

/* 22023 for what is no cursor. */
CREATE FUNCTION chat._invalid_cursor(cursor text) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    RAISE EXCEPTION 'invalid cursor "%"', chat._shown(cursor)
        USING ERRCODE = '22023', COLUMN = 'since',
              HINT = 'Pass the "cursor" of an earlier call, or NULL to start from now.';
END
$$;

/* The cursor of the current snapshot. */
CREATE FUNCTION chat._cursor() RETURNS text
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT chat._cursor_prefix() || '.' || pg_current_snapshot()
$$;

/*
 * The snapshot of a cursor, or NULL when it names another database; 22023
 * when it is no cursor.
 */
CREATE FUNCTION chat._cursor_snapshot(cursor text) RETURNS pg_snapshot
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    part text[] := regexp_match(cursor, '^([0-9]+\.[0-9]+)\.([0-9]+:[0-9]+:[0-9,]*)$');
    snap pg_snapshot;
BEGIN
    IF part IS NULL THEN
        PERFORM chat._invalid_cursor(cursor);
    END IF;
    BEGIN
        snap := part[2]::pg_snapshot;
    EXCEPTION WHEN invalid_text_representation OR numeric_value_out_of_range THEN
        PERFORM chat._invalid_cursor(cursor);
    END;
    IF part[1] <> chat._cursor_prefix() THEN
        RETURN NULL;
    END IF;
    RETURN snap;
END
$$;

/* 55000 when chat.event is not kept (the setting events is off). */
CREATE FUNCTION chat._require_events() RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF NOT chat._setting_value('events')::boolean THEN
        RAISE EXCEPTION 'events are not kept'
            USING ERRCODE = '55000',
                  HINT = 'The setting "events" is off: chat.changes and chat.feed need it on.';
    END IF;
END
$$;

/*
 * Must a client holding this snapshot reload (pruned events it has not seen)?
 * A pruned event was not seen when its transaction was not visible in the
 * snapshot: at or past its xmax, or in its list of running transactions.
 * Only the newest pruned transaction is kept (chat.event_pruned), so any
 * transaction of that list up to it that has committed since may have had
 * events pruned: reload.  One still running, or rolled back, has none, so a
 * long transaction open when the cursor was taken (which holds the
 * snapshot's xmin back) no longer makes every cursor reload after a prune.
 * (Until chat 0.9 the test was the pruned xid against the xmin.)
 */
CREATE FUNCTION chat._cursor_expired(snap pg_snapshot) RETURNS boolean
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT snap IS NULL
        OR pg_snapshot_xmax(snap) > pg_snapshot_xmax(pg_current_snapshot())
        OR EXISTS (SELECT FROM chat.event_pruned p
                    WHERE p.xid >= pg_snapshot_xmax(snap)
                       OR EXISTS (SELECT FROM pg_snapshot_xip(snap) x
                                   WHERE x <= p.xid
                                     AND coalesce(pg_xact_status(x), 'committed') = 'committed'))
$$;

/*
 * The start of chat.changes and chat.feed: the snapshot of the cursor to read
 * events since, or, when snap is NULL, the answer to give at once: a cursor to
 * start from (since NULL) or reload (an expired cursor).  55000 when events
 * are not kept.
 */
CREATE FUNCTION chat._changes_since(since text, OUT snap pg_snapshot, OUT answer jsonb)
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    PERFORM chat._require_events();
    IF since IS NULL THEN
        answer := chat._changes_answer(NULL, false);
        RETURN;
    END IF;
    snap := chat._cursor_snapshot(since);
    IF chat._cursor_expired(snap) THEN
        snap := NULL;
        answer := chat._changes_answer(NULL, true);
    END IF;
END
$$;

/*
 * The answer of chat.changes and chat.feed: the next cursor and the events
 * found, or reload with no events.
 */
CREATE FUNCTION chat._changes_answer(found jsonb, reload boolean) RETURNS jsonb
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    -- ($1: found, which PL/pgSQL's FOUND hides)
    answer jsonb := jsonb_build_object('cursor', chat._cursor(), 'reload', reload,
                                       'events', CASE WHEN reload THEN '[]'::jsonb ELSE coalesce($1, '[]'::jsonb) END);
BEGIN
    /*
     * A transaction may be seen before its commit record is on disk (early
     * lock release, the async_* settings): wait until everything this
     * snapshot saw is durable, so a crash cannot take back an event handed
     * out, nor let a cursor count as seen a transaction id that recovery
     * then gives to another transaction.
     */
    PERFORM chat._wal_flush();
    RETURN answer;
END
$$;

CREATE FUNCTION chat.changes(viewer chat.user_id DEFAULT chat.current_user_id(), since text DEFAULT NULL)
    RETURNS jsonb
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    snap pg_snapshot;
    early jsonb;
    lim bigint;
    n bigint;
    found_events jsonb;
BEGIN
    PERFORM chat._act(viewer);
    PERFORM chat._not_null(viewer, 'viewer');
    SELECT w.snap, w.answer INTO snap, early FROM chat._changes_since(since) w;
    IF snap IS NULL THEN
        RETURN early;
    END IF;
    lim := chat._setting_value('changes_limit')::bigint;
    /*
     * The events of the viewer's threads and those addressed to the viewer,
     * each thread found by its key (the cost follows the viewer's threads
     * and their events, not their members).  typing is news only live.
     */
    SELECT count(*), jsonb_agg(e.payload ORDER BY e.seq)
      INTO n, found_events
      FROM (SELECT e.seq, e.payload
              FROM chat.member mb
              JOIN chat.event e ON e.thread_id = mb.thread_id AND e.xid >= pg_snapshot_xmin(snap)
             WHERE mb.user_id = viewer AND NOT e.private AND e.event <> 'typing'
               AND (NOT pg_visible_in_snapshot(e.xid, snap) OR e.xid = pg_current_xact_id_if_assigned())
            UNION
            SELECT e.seq, e.payload
              FROM chat.event e
             WHERE e.recipients @> ARRAY[viewer] AND e.xid >= pg_snapshot_xmin(snap)
               AND e.event <> 'typing' AND (NOT pg_visible_in_snapshot(e.xid, snap) OR e.xid = pg_current_xact_id_if_assigned())
             ORDER BY 1
             LIMIT lim + 1) e;
    RETURN chat._changes_answer(found_events, n > lim);
END
$$;
COMMENT ON FUNCTION chat.changes(chat.user_id, text) IS
    'What changed for the viewer since the cursor of an earlier call (NULL: start now): {"cursor", "reload", "events": [payloads in seq order]}; reload true when the cursor is older than the kept events, names another database, or has more than changes_limit to catch up';

CREATE FUNCTION chat.feed(since text DEFAULT NULL)
    RETURNS jsonb
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    snap pg_snapshot;
    early jsonb;
    lim bigint;
    n bigint;
    found_events jsonb;
BEGIN
    PERFORM chat._require_server('read the feed');
    SELECT w.snap, w.answer INTO snap, early FROM chat._changes_since(since) w;
    IF snap IS NULL THEN
        RETURN early;
    END IF;
    lim := chat._setting_value('changes_limit')::bigint;
    SELECT count(*),
           jsonb_agg(jsonb_build_object('recipients', e.recipients, 'event', e.payload) ORDER BY e.seq)
      INTO n, found_events
      FROM (SELECT e.seq, e.payload,
                   CASE WHEN e.private THEN e.recipients
                        ELSE ARRAY(SELECT mb.user_id FROM chat.member mb WHERE mb.thread_id = e.thread_id
                                   UNION SELECT unnest(e.recipients) ORDER BY 1)
                   END AS recipients
              FROM chat.event e
             WHERE e.xid >= pg_snapshot_xmin(snap) AND (NOT pg_visible_in_snapshot(e.xid, snap) OR e.xid = pg_current_xact_id_if_assigned())
             ORDER BY e.seq
             LIMIT lim + 1) e;
    RETURN chat._changes_answer(found_events, n > lim);
END
$$;
COMMENT ON FUNCTION chat.feed(text) IS
    'Server roles: every event since the cursor of an earlier call (NULL: start now), each with the users who receive it: {"cursor", "reload", "events": [{"recipients", "event"}]}; one call per poll, not per event';

CREATE FUNCTION chat.prune_events() RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    n bigint;
    newest xid8;
BEGIN
    PERFORM chat._require_server('prune events');
    WITH gone AS (
        DELETE FROM chat.event e
         WHERE e.at < clock_timestamp() - make_interval(days => chat._setting_value('event_retention_days')::integer)
        RETURNING e.xid
    )
    SELECT count(*), max(g.xid) INTO n, newest FROM gone g;
    IF newest IS NOT NULL THEN
        INSERT INTO chat.event_pruned AS p (one, xid) VALUES (true, newest)
        ON CONFLICT (one) DO UPDATE SET xid = greatest(p.xid, excluded.xid);
    END IF;
    RETURN n;
END
$$;
COMMENT ON FUNCTION chat.prune_events() IS
    'Server roles: delete the events older than event_retention_days (run it daily, e.g. with pg_cron); returns how many';
