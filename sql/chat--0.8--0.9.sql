/*
 * chat 0.8 -> 0.9: realtime a client can rely on.
 *
 * - chat.event_kind lists every event, its receivers and its keys; hooks
 *   reference it (the CHECK on chat.hook.event is gone).
 * - chat.event keeps every event for chat.changes and chat.feed (not
 *   dumped); chat.event_pruned records what chat.prune_events removed.
 * - Settings notify_full_payload, events, event_retention_days,
 *   changes_limit.
 * - Every state change emits an event with a seq; thread_created says
 *   thread_kind; member_added says by and role.
 */

\echo Use "ALTER EXTENSION chat UPDATE TO '0.9'" to load this file. \quit


/*
 * Every event chat publishes, who receives it and the keys of its payload:
 * the one list the hooks, chat.event, the README's event reference and the
 * tests read.  Part of the extension, not dumped.
 */
CREATE TABLE chat.event_kind (
    name        text PRIMARY KEY,
    audience    text NOT NULL
                CONSTRAINT event_kind_audience_check
                CHECK (audience IN ('members', 'members and user', 'user', 'former members')),
    keys        text[] NOT NULL,
    hookable    boolean NOT NULL DEFAULT true,
    description text NOT NULL
);
COMMENT ON TABLE chat.event_kind IS
    'Every event chat publishes: who receives it and the keys of its payload (part of the extension, not dumped)';
COMMENT ON COLUMN chat.event_kind.name IS 'the event''s name, the payload''s "event"';
COMMENT ON COLUMN chat.event_kind.audience IS
    'who receives it: members (of the thread, when it is read), members and user (the members and the member it removed), user (only the user it concerns: a per-user change), former members (the members the thread had: it is gone)';
COMMENT ON COLUMN chat.event_kind.keys IS
    'the payload''s keys besides event, seq, thread_id and user_name (present when a display-name function is bound); those marked ? only where they apply';
COMMENT ON COLUMN chat.event_kind.hookable IS 'hooks may be registered for it (chat.add_hook)';
COMMENT ON COLUMN chat.event_kind.description IS 'what happened';

INSERT INTO chat.event_kind (name, audience, keys, hookable, description) VALUES
    ('thread_created', 'members', '{user_id,thread_kind,member_count}', true,
     'a thread was created by user_id (before its first message)'),
    ('message_sent', 'members', '{message_id,user_id,reply,kind,parent_id?,forwarded_from?}', true,
     'user_id sent a message (kind text or system; reply false for the first message of new_message)'),
    ('message_edited', 'members', '{message_id,user_id}', true, 'user_id edited a message'),
    ('message_deleted', 'members', '{message_id,user_id}', true, 'user_id deleted a message (soft delete)'),
    ('reaction_added', 'members', '{message_id,user_id,reaction}', true, 'user_id added a reaction'),
    ('reaction_removed', 'members', '{message_id,user_id,reaction}', true, 'user_id removed a reaction'),
    ('member_added', 'members', '{user_id,by,role}', true,
     'user_id became a member, added by "by" (by = user_id when they joined)'),
    ('member_removed', 'members and user', '{user_id,by}', true,
     'user_id left or was removed by "by"; the removed user receives it too'),
    ('member_updated', 'members', '{user_id,by,role,permissions}', true,
     'user_id''s role or permissions were changed by "by" (set_role, grant, revoke)'),
    ('thread_renamed', 'members', '{user_id,subject}', true, 'user_id changed the subject or title'),
    ('thread_dropped', 'former members', '{user_id}', true,
     'user_id deleted the thread for everyone (drop_thread): its rows are gone'),
    ('thread_read', 'members', '{message_id,user_id,read}', true,
     'user_id read up to message_id (read: how many messages that marked read)'),
    ('thread_delivered', 'members', '{message_id,user_id}', true, 'messages up to message_id reached user_id''s device'),
    ('thread_unread', 'user', '{message_id,user_id}', true,
     'user_id marked the thread unread from message_id on'),
    ('thread_muted', 'user', '{user_id}', true, 'user_id muted the thread'),
    ('thread_unmuted', 'user', '{user_id}', true, 'user_id unmuted the thread'),
    ('thread_archived', 'user', '{user_id}', true, 'user_id moved the thread to the archive'),
    ('thread_unarchived', 'user', '{user_id}', true, 'user_id moved the thread out of the archive'),
    ('thread_deleted', 'user', '{user_id}', true, 'user_id moved the thread to the deleted folder'),
    ('thread_restored', 'user', '{user_id}', true, 'user_id restored the thread from the deleted folder'),
    ('typing', 'members', '{user_id}', false,
     'user_id is typing (not kept for chat.changes: it is only news while it happens)');

ALTER TABLE chat.hook DROP CONSTRAINT hook_event_check;
ALTER TABLE chat.hook ADD FOREIGN KEY (event) REFERENCES chat.event_kind (name);
COMMENT ON COLUMN chat.hook.event IS
    'event the hook runs for: any hookable one of chat.event_kind';

CREATE SEQUENCE chat.event_seq;
COMMENT ON SEQUENCE chat.event_seq IS
    'seq of events: orders them and makes every payload unique, so NOTIFY never folds two';
-- dumped, so that seq keeps growing across a restore (the events are not)
SELECT pg_catalog.pg_extension_config_dump('chat.event_seq', '');

CREATE TABLE chat.event (
    thread_id  bigint NOT NULL,
    seq        bigint NOT NULL,
    xid        xid8 NOT NULL DEFAULT pg_current_xact_id(),
    event      text NOT NULL,
    private    boolean NOT NULL DEFAULT false,
    recipients chat.user_id[],
    payload    jsonb NOT NULL,
    at         timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX event_thread_xid_idx ON chat.event (thread_id, xid);
CREATE INDEX event_xid_idx ON chat.event (xid);
CREATE INDEX event_recipients_idx ON chat.event USING gin (recipients) WHERE recipients IS NOT NULL;
COMMENT ON TABLE chat.event IS
    'Every event of the last event_retention_days, for chat.changes and chat.feed (not dumped)';
COMMENT ON COLUMN chat.event.thread_id IS 'the thread the event is about';
COMMENT ON COLUMN chat.event.seq IS 'the payload''s seq, from chat.event_seq';
COMMENT ON COLUMN chat.event.xid IS 'the writing transaction: an event is new to a cursor when this was not visible in it';
COMMENT ON COLUMN chat.event.event IS 'the event''s name (chat.event_kind)';
COMMENT ON COLUMN chat.event.private IS
    'true: only the recipients receive it (a per-user change, a dropped thread); false: the thread''s members and the recipients';
COMMENT ON COLUMN chat.event.recipients IS
    'users who receive it besides the members (a removed member), or instead of them (private)';
COMMENT ON COLUMN chat.event.payload IS 'the payload, as hooks and listeners get it';
COMMENT ON COLUMN chat.event.at IS 'when it was written (chat.prune_events removes rows older than event_retention_days)';

/*
 * The newest transaction whose events chat.prune_events removed: a cursor
 * older than it may have missed some, and chat.changes says "reload".
 */
CREATE TABLE chat.event_pruned (
    one boolean PRIMARY KEY DEFAULT true CHECK (one),
    xid xid8 NOT NULL
);
COMMENT ON TABLE chat.event_pruned IS
    'One row: the newest transaction id among the events chat.prune_events removed (not dumped)';
COMMENT ON COLUMN chat.event_pruned.one IS 'always true: the table has at most one row';
COMMENT ON COLUMN chat.event_pruned.xid IS 'cursors whose snapshot may not have seen this transaction must reload';

INSERT INTO chat.setting_default (key, value, type, min_value, max_value, description) VALUES
    ('notify_interval_ms', '100', 'integer', 0, 60000,
     'A session rings the NOTIFY doorbell at most once per this many milliseconds (0: for every transaction with events): NOTIFY serialises commits; a relay polls chat.feed at least this often'),
    ('notify_full_payload', 'false', 'boolean', NULL, NULL,
     'NOTIFY carries each event''s whole payload, which every role that may LISTEN can read; off: only {"seq": n}, a doorbell for a relay that reads chat.feed'),
    ('events', 'true', 'boolean', NULL, NULL,
     'Keep every event in chat.event for chat.changes and chat.feed (off: no catch-up and no feed)'),
    ('event_retention_days', '7', 'integer', 1, 3650,
     'Days chat.prune_events keeps events; a client whose cursor is older reloads'),
    ('changes_limit', '10000', 'integer', 1, 1000000,
     'Most events one chat.changes call returns; a client with more to catch up reloads');

/* Functions whose result type changes are dropped and created again. */
DROP FUNCTION chat._emit(text,bigint,bigint,chat.user_id,jsonb);

/* ---- sql/src/api/changes.sql ---- */

CREATE FUNCTION chat._cursor() RETURNS text
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT format('%s.%s.%s', (SELECT c.system_identifier FROM pg_control_system() c),
                  (SELECT d.oid FROM pg_database d WHERE d.datname = current_database()),
                  pg_current_snapshot())
$$;
REVOKE EXECUTE ON FUNCTION chat._cursor() FROM PUBLIC;

CREATE FUNCTION chat._cursor_expired(snap pg_snapshot) RETURNS boolean
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT snap IS NULL
        OR pg_snapshot_xmax(snap) > pg_snapshot_xmax(pg_current_snapshot())
        OR EXISTS (SELECT FROM chat.event_pruned p WHERE p.xid >= pg_snapshot_xmin(snap))
$$;
REVOKE EXECUTE ON FUNCTION chat._cursor_expired(pg_snapshot) FROM PUBLIC;

CREATE FUNCTION chat._cursor_snapshot(cursor text) RETURNS pg_snapshot
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    part text[] := regexp_match(cursor, '^([0-9]+)\.([0-9]+)\.([0-9]+:[0-9]+:[0-9,]*)$');
    snap pg_snapshot;
BEGIN
    IF part IS NULL THEN
        RAISE EXCEPTION 'invalid cursor "%"', chat._shown(cursor)
            USING ERRCODE = '22023', COLUMN = 'since',
                  HINT = 'Pass the "cursor" of an earlier call, or NULL to start from now.';
    END IF;
    BEGIN
        snap := part[3]::pg_snapshot;
    EXCEPTION WHEN invalid_text_representation OR numeric_value_out_of_range THEN
        RAISE EXCEPTION 'invalid cursor "%"', chat._shown(cursor)
            USING ERRCODE = '22023', COLUMN = 'since',
                  HINT = 'Pass the "cursor" of an earlier call, or NULL to start from now.';
    END;
    IF part[1] <> (SELECT c.system_identifier::text FROM pg_control_system() c)
       OR part[2] <> (SELECT d.oid::text FROM pg_database d WHERE d.datname = current_database()) THEN
        RETURN NULL;
    END IF;
    RETURN snap;
END
$$;
REVOKE EXECUTE ON FUNCTION chat._cursor_snapshot(text) FROM PUBLIC;

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
REVOKE EXECUTE ON FUNCTION chat._require_events() FROM PUBLIC;

CREATE FUNCTION chat.changes(viewer chat.user_id DEFAULT chat.current_user_id(), since text DEFAULT NULL)
    RETURNS jsonb
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    snap pg_snapshot;
    lim bigint;
    n bigint;
    found_events jsonb;
BEGIN
    PERFORM chat._act(viewer);
    PERFORM chat._not_null(viewer, 'viewer');
    PERFORM chat._require_events();
    IF since IS NULL THEN
        RETURN jsonb_build_object('cursor', chat._cursor(), 'reload', false, 'events', '[]'::jsonb);
    END IF;
    snap := chat._cursor_snapshot(since);
    IF chat._cursor_expired(snap) THEN
        RETURN jsonb_build_object('cursor', chat._cursor(), 'reload', true, 'events', '[]'::jsonb);
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
               AND NOT pg_visible_in_snapshot(e.xid, snap)
            UNION
            SELECT e.seq, e.payload
              FROM chat.event e
             WHERE e.recipients @> ARRAY[viewer] AND e.xid >= pg_snapshot_xmin(snap)
               AND e.event <> 'typing' AND NOT pg_visible_in_snapshot(e.xid, snap)
             ORDER BY 1
             LIMIT lim + 1) e;
    IF n > lim THEN
        RETURN jsonb_build_object('cursor', chat._cursor(), 'reload', true, 'events', '[]'::jsonb);
    END IF;
    RETURN jsonb_build_object('cursor', chat._cursor(), 'reload', false,
                              'events', coalesce(found_events, '[]'::jsonb));
END
$$;
COMMENT ON FUNCTION chat.changes(chat.user_id, text) IS
    'What changed for the viewer since the cursor of an earlier call (NULL: start now): {"cursor", "reload", "events": [payloads in seq order]}; reload true when the cursor is older than the kept events, names another database, or has more than changes_limit to catch up';
REVOKE EXECUTE ON FUNCTION chat.changes(chat.user_id, text) FROM PUBLIC;  -- as privileges.sql leaves it
GRANT EXECUTE ON FUNCTION chat.changes(chat.user_id, text) TO PUBLIC;

CREATE FUNCTION chat.feed(since text DEFAULT NULL)
    RETURNS jsonb
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    snap pg_snapshot;
    lim bigint;
    n bigint;
    found_events jsonb;
BEGIN
    PERFORM chat._require_server('read the feed');
    PERFORM chat._require_events();
    IF since IS NULL THEN
        RETURN jsonb_build_object('cursor', chat._cursor(), 'reload', false, 'events', '[]'::jsonb);
    END IF;
    snap := chat._cursor_snapshot(since);
    IF chat._cursor_expired(snap) THEN
        RETURN jsonb_build_object('cursor', chat._cursor(), 'reload', true, 'events', '[]'::jsonb);
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
             WHERE e.xid >= pg_snapshot_xmin(snap) AND NOT pg_visible_in_snapshot(e.xid, snap)
             ORDER BY e.seq
             LIMIT lim + 1) e;
    IF n > lim THEN
        RETURN jsonb_build_object('cursor', chat._cursor(), 'reload', true, 'events', '[]'::jsonb);
    END IF;
    RETURN jsonb_build_object('cursor', chat._cursor(), 'reload', false,
                              'events', coalesce(found_events, '[]'::jsonb));
END
$$;
COMMENT ON FUNCTION chat.feed(text) IS
    'Server roles: every event since the cursor of an earlier call (NULL: start now), each with the users who receive it: {"cursor", "reload", "events": [{"recipients", "event"}]}; one call per poll, not per event';
REVOKE EXECUTE ON FUNCTION chat.feed(text) FROM PUBLIC;  -- as privileges.sql leaves it
GRANT EXECUTE ON FUNCTION chat.feed(text) TO PUBLIC;

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
REVOKE EXECUTE ON FUNCTION chat.prune_events() FROM PUBLIC;  -- as privileges.sql leaves it
GRANT EXECUTE ON FUNCTION chat.prune_events() TO PUBLIC;

/* ---- sql/src/api/folders.sql ---- */

CREATE OR REPLACE FUNCTION chat.archive_thread(thread_id bigint, actor chat.user_id DEFAULT chat.current_user_id())
    RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    PERFORM chat._act(actor);
    PERFORM chat._not_null(archive_thread.thread_id, 'thread_id');
    PERFORM chat._not_null(actor, 'actor');
    PERFORM chat._member_row(archive_thread.thread_id, actor, true);
    UPDATE chat.member mb SET archived = true
     WHERE mb.thread_id = archive_thread.thread_id AND mb.user_id = actor;
    PERFORM chat._emit('thread_archived', archive_thread.thread_id, NULL, actor, NULL, ARRAY[actor], true);
END
$$;

CREATE OR REPLACE FUNCTION chat.delete_thread(thread_id bigint, actor chat.user_id DEFAULT chat.current_user_id())
    RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    PERFORM chat._act(actor);
    PERFORM chat._not_null(delete_thread.thread_id, 'thread_id');
    PERFORM chat._not_null(actor, 'actor');
    PERFORM chat._member_row(delete_thread.thread_id, actor, true);
    UPDATE chat.member mb
       SET hidden_id = coalesce(t.last_message_id, 0)
      FROM chat.thread t
     WHERE t.id = delete_thread.thread_id
       AND mb.thread_id = t.id AND mb.user_id = actor;
    PERFORM chat._emit('thread_deleted', delete_thread.thread_id, NULL, actor, NULL, ARRAY[actor], true);
END
$$;

CREATE OR REPLACE FUNCTION chat.restore_thread(thread_id bigint, actor chat.user_id DEFAULT chat.current_user_id())
    RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    PERFORM chat._act(actor);
    PERFORM chat._not_null(restore_thread.thread_id, 'thread_id');
    PERFORM chat._not_null(actor, 'actor');
    PERFORM chat._member_row(restore_thread.thread_id, actor, true);
    UPDATE chat.member mb SET hidden_id = NULL
     WHERE mb.thread_id = restore_thread.thread_id AND mb.user_id = actor;
    PERFORM chat._emit('thread_restored', restore_thread.thread_id, NULL, actor, NULL, ARRAY[actor], true);
END
$$;

CREATE OR REPLACE FUNCTION chat.unarchive_thread(thread_id bigint, actor chat.user_id DEFAULT chat.current_user_id())
    RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    PERFORM chat._act(actor);
    PERFORM chat._not_null(unarchive_thread.thread_id, 'thread_id');
    PERFORM chat._not_null(actor, 'actor');
    PERFORM chat._member_row(unarchive_thread.thread_id, actor, true);
    UPDATE chat.member mb SET archived = false
     WHERE mb.thread_id = unarchive_thread.thread_id AND mb.user_id = actor;
    PERFORM chat._emit('thread_unarchived', unarchive_thread.thread_id, NULL, actor, NULL, ARRAY[actor], true);
END
$$;

/* ---- sql/src/api/membership.sql ---- */

CREATE OR REPLACE FUNCTION chat.add_members(thread_id bigint,
                                 actor chat.user_id DEFAULT chat.current_user_id(),
                                 users chat.user_id[] DEFAULT NULL,
                                 role text DEFAULT 'member')
    RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    r chat.member_role;
    t chat.thread;
    a chat.member;
    added chat.user_id[];
    u chat.user_id;
BEGIN
    PERFORM chat._act(actor);
    r := chat._check_role(add_members.role);
    t := chat._lock_thread(add_members.thread_id);
    PERFORM chat._not_null(actor, 'actor');
    PERFORM chat._check_users(users, 'users');
    a := chat._member_row(t.id, actor);
    IF t.kind = 'direct' THEN
        RAISE EXCEPTION 'cannot add members to direct thread %', t.id
            USING ERRCODE = '55000', DETAIL = 'A direct thread has exactly two members.',
                  HINT = 'Start a group with chat.create_group.';
    END IF;
    PERFORM chat._require(a, 'add_members', 'add members');
    IF r <> 'member' AND a.role NOT IN ('owner', 'admin') OR r = 'owner' AND a.role <> 'owner' THEN
        RAISE EXCEPTION 'permission denied to add members as % in thread %', r, t.id
            USING ERRCODE = '42501', CONSTRAINT = 'missing_permission',
                  DETAIL = 'Only owners add owners, and owners and admins add admins.';
    END IF;
    added := chat._insert_members(t, users, r);
    PERFORM chat._within(t.id, chat._held(t.id, actor), added);
    IF cardinality(added) > 0 THEN
        /* members before the message that announces them, as clients apply them */
        FOREACH u IN ARRAY added LOOP
            PERFORM chat._emit('member_added', t.id, NULL, u, jsonb_build_object('by', actor, 'role', r));
        END LOOP;
        PERFORM chat._system_message(t.id, actor,
            format('%s added %s', chat._label(actor),
                   (SELECT string_agg(chat._label(x), ', ' ORDER BY x) FROM unnest(added) AS x)));
    END IF;
    RETURN cardinality(added);
END
$$;

CREATE OR REPLACE FUNCTION chat.join_thread(thread_id bigint, "user" chat.user_id DEFAULT chat.current_user_id())
    RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    t chat.thread;
BEGIN
    PERFORM chat._act("user");
    t := chat._lock_thread(join_thread.thread_id);
    PERFORM chat._not_null(join_thread."user", 'user');
    IF EXISTS (SELECT 1 FROM chat.member mb WHERE mb.thread_id = t.id AND mb.user_id = join_thread."user") THEN
        RETURN;
    END IF;
    IF NOT t.is_public THEN
        RAISE EXCEPTION 'thread % is not public', t.id
            USING ERRCODE = '42501', CONSTRAINT = 'not_public',
                  HINT = 'A member with the permission "add_members" can add you.';
    END IF;
    PERFORM chat._insert_members(t, ARRAY[join_thread."user"], 'member');
    PERFORM chat._emit('member_added', t.id, NULL, join_thread."user",
                       jsonb_build_object('by', join_thread."user", 'role', 'member'));
    PERFORM chat._system_message(t.id, join_thread."user", format('%s joined', chat._label(join_thread."user")));
END
$$;

/* ---- sql/src/api/permissions.sql ---- */

CREATE OR REPLACE FUNCTION chat.set_role(thread_id bigint,
                              actor chat.user_id DEFAULT chat.current_user_id(),
                              member chat.user_id DEFAULT NULL,
                              role text DEFAULT NULL)
    RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    r chat.member_role;
    t chat.thread;
    a chat.member;
    m chat.member;
    held text[];
BEGIN
    PERFORM chat._act(actor);
    r := chat._check_role(set_role.role);
    t := chat._lock_thread(set_role.thread_id);
    PERFORM chat._not_null(actor, 'actor');
    PERFORM chat._not_null(member, 'member');
    a := chat._member_row(t.id, actor);
    held := chat._held(t.id, actor);
    SELECT * INTO m FROM chat.member mb WHERE mb.thread_id = t.id AND mb.user_id = member;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'user "%" is not a member of thread %', member, t.id USING ERRCODE = '42704';
    END IF;
    IF t.kind = 'direct' THEN
        RAISE EXCEPTION 'the members of direct thread % have no roles to change', t.id USING ERRCODE = '55000';
    END IF;
    PERFORM chat._require_manager(a, m, 'change roles');
    IF r = 'owner' AND a.role <> 'owner' THEN
        RAISE EXCEPTION 'permission denied to change roles in thread %', t.id
            USING ERRCODE = '42501', CONSTRAINT = 'missing_permission', DETAIL = 'Only an owner can make an owner.';
    END IF;
    IF m.role = 'owner' AND r <> 'owner' AND NOT EXISTS (
           SELECT 1 FROM chat.member mb WHERE mb.thread_id = t.id AND mb.role = 'owner' AND mb.user_id <> member) THEN
        RAISE EXCEPTION 'thread % would have no owner', t.id
            USING ERRCODE = '55000', HINT = 'Make another member owner first.';
    END IF;
    UPDATE chat.member mb
       SET role = r, permissions = d.permissions
      FROM chat.permission_default d
     WHERE mb.thread_id = t.id AND mb.user_id = member AND d.kind = t.kind AND d.role = r;
    PERFORM chat._within(t.id, held, ARRAY[member]);
    PERFORM chat._emit('member_updated', t.id, NULL, member,
                       (SELECT jsonb_build_object('by', actor, 'role', mb.role, 'permissions', mb.permissions)
                          FROM chat.member mb WHERE mb.thread_id = t.id AND mb.user_id = member));
END
$$;

/* ---- sql/src/api/read_state.sql ---- */

CREATE OR REPLACE FUNCTION chat.mark_delivered(reader chat.user_id DEFAULT chat.current_user_id(),
                                               thread_id bigint DEFAULT NULL,
                                               up_to bigint DEFAULT NULL)
    RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    tid bigint;
    target bigint;
    moved bigint;
BEGIN
    PERFORM chat._act(reader);
    tid := mark_delivered.thread_id;
    PERFORM chat._not_null(reader, 'reader');
    IF tid IS NULL THEN
        IF up_to IS NOT NULL THEN
            RAISE EXCEPTION 'up_to needs a thread_id' USING ERRCODE = '22023', COLUMN = 'thread_id';
        END IF;
        /* thread rows first, in id order, as everywhere: see chat._member_row */
        PERFORM FROM chat.thread t JOIN chat.member mb ON mb.thread_id = t.id
          WHERE mb.user_id = reader AND t.last_message_id > mb.delivered_id
          ORDER BY t.id
          FOR SHARE OF t;
        moved := 0;
        FOR tid, target IN
            UPDATE chat.member mb
               SET delivered_id = t.last_message_id, delivered_at = clock_timestamp()
              FROM chat.thread t
             WHERE mb.user_id = reader AND t.id = mb.thread_id
               AND t.last_message_id > mb.delivered_id
            RETURNING mb.thread_id, mb.delivered_id
        LOOP
            PERFORM chat._emit('thread_delivered', tid, target, reader);
            moved := moved + 1;
        END LOOP;
        RETURN moved;
    END IF;

    PERFORM chat._member_row(tid, reader, true);
    IF up_to IS NULL THEN
        SELECT coalesce(t.last_message_id, 0) INTO target FROM chat.thread t WHERE t.id = tid;
    ELSE
        target := (chat._message_in(tid, up_to)).id;
    END IF;
    UPDATE chat.member mb
       SET delivered_id = target, delivered_at = clock_timestamp()
     WHERE mb.thread_id = tid AND mb.user_id = reader AND mb.delivered_id < target;
    GET DIAGNOSTICS moved = ROW_COUNT;
    IF moved > 0 THEN
        PERFORM chat._emit('thread_delivered', tid, target, reader);
    END IF;
    RETURN moved;
END
$$;

CREATE OR REPLACE FUNCTION chat.mark_unread(thread_id bigint,
                                            reader chat.user_id DEFAULT chat.current_user_id(),
                                            from_message bigint DEFAULT NULL)
    RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    tid bigint;
    m chat.member;
    pos record;
BEGIN
    PERFORM chat._act(reader);
    tid := mark_unread.thread_id;
    PERFORM chat._not_null(tid, 'thread_id');
    PERFORM chat._not_null(reader, 'reader');
    m := chat._member_row(tid, reader, true);
    IF from_message IS NOT NULL THEN
        PERFORM chat._message_in(tid, from_message);
    END IF;
    pos := chat._read_position(tid, reader, from_message, true);
    IF pos.target >= m.read_id THEN
        RETURN 0;
    END IF;
    UPDATE chat.member mb
       SET read_id = pos.target, read_count = pos.read_count,
           seen_id = greatest(mb.seen_id, mb.read_id)
     WHERE mb.thread_id = tid AND mb.user_id = reader;
    PERFORM chat._emit('thread_unread', tid, pos.target, reader, NULL, ARRAY[reader], true);
    RETURN greatest(m.read_count - pos.read_count, 0);
END
$$;

/* ---- sql/src/api/rooms.sql ---- */

CREATE OR REPLACE FUNCTION chat.direct_thread(user_a chat.user_id DEFAULT chat.current_user_id(),
                                   user_b chat.user_id DEFAULT NULL)
    RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    lo chat.user_id;
    hi chat.user_id;
    t chat.thread;
BEGIN
    PERFORM chat._act(user_a);
    lo := least(user_a, user_b);
    hi := greatest(user_a, user_b);
    PERFORM chat._not_null(user_a, 'user_a');
    PERFORM chat._not_null(user_b, 'user_b');
    IF user_a = user_b THEN
        RAISE EXCEPTION 'a direct thread needs two different users' USING ERRCODE = '22023', COLUMN = 'user_b',
            HINT = 'Send a note to yourself with chat.new_message(sender, ARRAY[sender], ...).';
    END IF;
    /* race-free: a concurrent creator of the same pair makes this wait, then find its row */
    INSERT INTO chat.thread AS th (kind, created_by, direct_low, direct_high)
    VALUES ('direct', user_a, lo, hi)
    ON CONFLICT (direct_low, direct_high) WHERE kind = 'direct' DO NOTHING
    RETURNING th.* INTO t;
    IF t.id IS NULL THEN
        RETURN (SELECT th.id FROM chat.thread th
                 WHERE th.kind = 'direct' AND th.direct_low = lo AND th.direct_high = hi);
    END IF;
    PERFORM chat._fill_extra('thread', t.id, NULL, NULL, NULL);
    PERFORM chat._insert_members(t, ARRAY[lo, hi], 'member');
    PERFORM chat._emit('thread_created', t.id, NULL, user_a,
                       jsonb_build_object('thread_kind', 'direct', 'member_count', 2));
    RETURN t.id;
END
$$;

CREATE OR REPLACE FUNCTION chat.drop_thread(thread_id bigint, actor chat.user_id DEFAULT chat.current_user_id())
    RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    t chat.thread;
BEGIN
    PERFORM chat._act(actor);
    t := chat._lock_thread(drop_thread.thread_id);
    PERFORM chat._not_null(actor, 'actor');
    PERFORM chat._require(chat._member_row(t.id, actor), 'delete_thread', 'delete');
    /* its members are gone with it: the event names them */
    PERFORM chat._emit('thread_dropped', t.id, NULL, actor, NULL,
                       ARRAY(SELECT mb.user_id FROM chat.member mb WHERE mb.thread_id = t.id ORDER BY 1), true);
    DELETE FROM chat.thread th WHERE th.id = t.id;
END
$$;

CREATE OR REPLACE FUNCTION chat.mute(thread_id bigint, "user" chat.user_id DEFAULT chat.current_user_id(),
                          muted boolean DEFAULT true)
    RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    PERFORM chat._act("user");
    PERFORM chat._not_null(mute.thread_id, 'thread_id');
    PERFORM chat._not_null(mute."user", 'user');
    PERFORM chat._not_null(mute.muted, 'muted');
    PERFORM chat._member_row(mute.thread_id, mute."user", true);
    UPDATE chat.member mb SET muted = mute.muted
     WHERE mb.thread_id = mute.thread_id AND mb.user_id = mute."user";
    PERFORM chat._emit(CASE WHEN mute.muted THEN 'thread_muted' ELSE 'thread_unmuted' END,
                       mute.thread_id, NULL, mute."user", NULL, ARRAY[mute."user"], true);
END
$$;

CREATE OR REPLACE FUNCTION chat.rename_thread(thread_id bigint,
                                   actor chat.user_id DEFAULT chat.current_user_id(),
                                   title text DEFAULT NULL)
    RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    t chat.thread;
BEGIN
    PERFORM chat._act(actor);
    t := chat._lock_thread(rename_thread.thread_id);
    PERFORM chat._not_null(actor, 'actor');
    PERFORM chat._not_null(title, 'title');
    PERFORM chat._check_subject(title);
    PERFORM chat._require(chat._member_row(t.id, actor), 'edit_thread', 'rename');
    UPDATE chat.thread th SET subject = title WHERE th.id = t.id;
    PERFORM chat._emit('thread_renamed', t.id, NULL, actor, jsonb_build_object('subject', title));
    PERFORM chat._system_message(t.id, actor,
        format('%s renamed the %s to "%s"', chat._label(actor), chat._kind_word(t.kind), title));
END
$$;

/* ---- sql/src/api/send.sql ---- */

CREATE OR REPLACE FUNCTION chat.new_message(sender chat.user_id DEFAULT chat.current_user_id(),
                                            recipients chat.user_id[] DEFAULT NULL,
                                            subject text DEFAULT NULL,
                                            content text DEFAULT NULL,
                                            attachments jsonb DEFAULT NULL,
                                            extra jsonb DEFAULT NULL)
    RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    tid bigint;
    mid bigint;
    alone boolean;
BEGIN
    PERFORM chat._act(sender);
    PERFORM chat._not_null(sender, 'sender');
    PERFORM chat._not_null(recipients, 'recipients');
    IF array_ndims(recipients) > 1 THEN
        RAISE EXCEPTION 'recipients must be a one-dimensional array' USING ERRCODE = '22023', COLUMN = 'recipients';
    END IF;
    IF cardinality(recipients) = 0 THEN
        RAISE EXCEPTION 'recipients must not be empty' USING ERRCODE = '22023', COLUMN = 'recipients',
            HINT = 'Give at least one user id; send to yourself with ARRAY[sender].';
    END IF;
    IF array_position(recipients, NULL) IS NOT NULL THEN
        RAISE EXCEPTION 'recipients must not contain null' USING ERRCODE = '22004', COLUMN = 'recipients';
    END IF;
    PERFORM chat._check_subject(subject);
    IF attachments IS NULL OR content IS NOT NULL THEN
        PERFORM chat._check_content(content);
    END IF;
    IF attachments IS NOT NULL THEN
        PERFORM chat._check_attachments(attachments);
    END IF;
    PERFORM chat._check_new_size('private', recipients, sender, 'recipients');

    INSERT INTO chat.thread AS t (kind, subject, created_by)
    VALUES ('private', subject, sender)
    RETURNING t.id INTO tid;

    INSERT INTO chat.member (thread_id, user_id, role)
    SELECT tid, u, CASE WHEN u = sender THEN 'owner'::chat.member_role ELSE 'member' END
      FROM (SELECT DISTINCT u FROM unnest(recipients || sender) AS u) r
     ORDER BY u;

    INSERT INTO chat.message AS m (thread_id, sender_id, content)
    VALUES (tid, sender, content)
    RETURNING m.id INTO mid;

    IF attachments IS NOT NULL THEN
        PERFORM chat._add_attachments(tid, mid, attachments);
    END IF;

    alone := recipients <@ ARRAY[sender];
    IF NOT alone AND chat._setting_value('mark_new_thread_as_deleted')::boolean THEN
        UPDATE chat.member mb SET hidden_id = mid
         WHERE mb.thread_id = tid AND mb.user_id = sender;
    END IF;

    PERFORM chat._fill_extra('thread', tid, NULL, NULL, NULL);
    PERFORM chat._fill_extra('member', tid, NULL, u, NULL)
       FROM (SELECT DISTINCT u FROM unnest(recipients || sender) AS u) r;
    PERFORM chat._fill_extra('message', tid, mid, NULL, extra);

    PERFORM chat._emit('thread_created', tid, NULL, sender,
                       jsonb_build_object('thread_kind', 'private',
                                          'member_count', (SELECT t.member_count FROM chat.thread t WHERE t.id = tid)));
    PERFORM chat._emit('message_sent', tid, mid, sender,
                       jsonb_build_object('reply', false, 'kind', 'text'));
    RETURN mid;
END
$$;

/* ---- sql/src/internal/events.sql ---- */

CREATE OR REPLACE FUNCTION chat._check_event(event text) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF event IS NULL THEN
        RAISE EXCEPTION 'argument "event" must not be null' USING ERRCODE = '22004', COLUMN = 'event';
    END IF;
    IF NOT EXISTS (SELECT FROM chat.event_kind k WHERE k.name = event AND k.hookable) THEN
        RAISE EXCEPTION 'unknown event "%"', chat._shown(event)
            USING ERRCODE = '22023', COLUMN = 'event',
                  HINT = 'Events are ' || (SELECT string_agg(format('"%s"', k.name), ', ' ORDER BY k.name)
                                             FROM chat.event_kind k WHERE k.hookable) || '.';
    END IF;
END
$$;

CREATE FUNCTION chat._emit(event text, thread_id bigint, message_id bigint,
                           user_id chat.user_id, fields jsonb DEFAULT NULL,
                           recipients chat.user_id[] DEFAULT NULL, private boolean DEFAULT false)
    RETURNS void
    LANGUAGE c
    AS 'MODULE_PATHNAME', 'chat_emit_sql';
COMMENT ON FUNCTION chat._emit(text, bigint, bigint, chat.user_id, jsonb, chat.user_id[], boolean) IS
    'Describe an event as one jsonb object, keep it in chat.event for the thread''s members and recipients (private: the recipients only), run its hooks and queue its NOTIFY (src/events.c)';
REVOKE EXECUTE ON FUNCTION chat._emit(text,bigint,bigint,chat.user_id,jsonb,chat.user_id[],boolean) FROM PUBLIC;

/* ---- sql/src/internal/membership.sql ---- */

CREATE OR REPLACE FUNCTION chat._create_room(kind chat.thread_kind, creator chat.user_id, title text,
                                  members chat.user_id[], is_public boolean, extra jsonb,
                                  object_type text DEFAULT NULL, object_id text DEFAULT NULL)
    RETURNS bigint
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    t chat.thread;
BEGIN
    PERFORM chat._check_new_size(kind, members, creator, 'members');
    INSERT INTO chat.thread AS th (kind, subject, created_by, is_public, object_type, object_id)
    VALUES (kind, title, creator, coalesce(is_public, false), object_type, object_id)
    RETURNING th.* INTO t;
    PERFORM chat._fill_extra('thread', t.id, NULL, NULL, extra);
    PERFORM chat._insert_members(t, ARRAY[creator], 'owner');
    t := chat._lock_thread(t.id);
    PERFORM chat._insert_members(t, array_remove(members, creator), 'member');
    /* the thread's creation before its first message, as clients apply them */
    PERFORM chat._emit('thread_created', t.id, NULL, creator,
                       jsonb_build_object('thread_kind', kind,
                                          'member_count', (SELECT th.member_count FROM chat.thread th WHERE th.id = t.id)));
    PERFORM chat._system_message(t.id, creator,
                                 format('%s created the %s', chat._label(creator), chat._kind_word(kind)));
    RETURN t.id;
END
$$;

CREATE OR REPLACE FUNCTION chat._remove(t chat.thread, m chat.member, actor chat.user_id, content text) RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    PERFORM chat._system_message(t.id, actor, content);
    DELETE FROM chat.member mb WHERE mb.thread_id = t.id AND mb.user_id = m.user_id;
    /* the removed member is told too: it no longer receives the thread's events */
    PERFORM chat._emit('member_removed', t.id, NULL, m.user_id, jsonb_build_object('by', actor),
                       ARRAY[m.user_id]);
END
$$;

/* ---- sql/src/internal/permissions.sql ---- */

CREATE OR REPLACE FUNCTION chat._change_permission(thread bigint, actor chat.user_id, member chat.user_id,
                                        permission text, add boolean)
    RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    a chat.member;
    m chat.member;
BEGIN
    PERFORM chat._not_null(thread, 'thread_id');
    PERFORM chat._not_null(actor, 'actor');
    PERFORM chat._not_null(member, 'member');
    PERFORM chat._check_permission(permission);
    PERFORM chat._lock_thread(thread);
    a := chat._member_row(thread, actor);
    SELECT * INTO m FROM chat.member mb WHERE mb.thread_id = thread AND mb.user_id = member FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'user "%" is not a member of thread %', member, thread USING ERRCODE = '42704';
    END IF;
    PERFORM chat._require_manager(a, m, CASE WHEN add THEN 'grant permissions' ELSE 'revoke permissions' END);
    IF add AND a.role <> 'owner' AND NOT (permission = ANY (a.permissions)) THEN
        RAISE EXCEPTION 'permission denied to grant "%" in thread %', permission, thread
            USING ERRCODE = '42501', CONSTRAINT = 'missing_permission',
                  DETAIL = 'An admin grants only permissions it holds itself; the owner grants any.';
    END IF;
    UPDATE chat.member mb
       SET permissions = CASE WHEN add THEN array(SELECT DISTINCT p FROM unnest(mb.permissions || permission) AS p ORDER BY p)
                              ELSE array_remove(mb.permissions, permission) END
     WHERE mb.thread_id = thread AND mb.user_id = member
    RETURNING mb.* INTO m;
    PERFORM chat._emit('member_updated', thread, NULL, member,
                       jsonb_build_object('by', actor, 'role', m.role, 'permissions', m.permissions));
END
$$;



GRANT SELECT ON chat.event_kind TO PUBLIC;
