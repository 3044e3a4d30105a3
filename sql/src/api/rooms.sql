
/* ========================================================================
 * api/rooms.sql: direct chats, groups, channels, object rooms; rename, drop, mute
 * ======================================================================== */

CREATE FUNCTION chat.create_group(creator chat.user_id DEFAULT chat.current_user_id(),
                                  title text DEFAULT NULL,
                                  members chat.user_id[] DEFAULT '{}',
                                  is_public boolean DEFAULT false,
                                  extra jsonb DEFAULT NULL)
    RETURNS bigint
    LANGUAGE sql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT chat._act(creator);
SELECT chat._new_room('group', creator, title, members, is_public, extra) $$;
COMMENT ON FUNCTION chat.create_group(chat.user_id, text, chat.user_id[], boolean, jsonb) IS
    'A group chat: the creator is its owner, the members plain members; everybody posts and adds members. Returns the thread id';

CREATE FUNCTION chat.create_channel(creator chat.user_id DEFAULT chat.current_user_id(),
                                  title text DEFAULT NULL,
                                  members chat.user_id[] DEFAULT '{}',
                                  is_public boolean DEFAULT false,
                                  extra jsonb DEFAULT NULL)
    RETURNS bigint
    LANGUAGE sql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT chat._act(creator);
SELECT chat._new_room('channel', creator, title, members, is_public, extra) $$;
COMMENT ON FUNCTION chat.create_channel(chat.user_id, text, chat.user_id[], boolean, jsonb) IS
    'A broadcast channel: only its owner and admins post, everybody may add members. Returns the thread id';

CREATE FUNCTION chat.direct_thread(user_a chat.user_id DEFAULT chat.current_user_id(),
                                   user_b chat.user_id DEFAULT NULL)
    RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    lo chat.user_id;
    hi chat.user_id;
    t chat.thread;
    tid bigint;
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
    IF chat._citus() THEN
        /*
         * Distributed (citus.sql): no unique index on the pair; creators of
         * the same pair wait for each other on the coordinator instead
         */
        PERFORM pg_advisory_xact_lock(hashtextextended(format('chat.direct %s %s', lo, hi), 0));
        tid := (SELECT th.id FROM chat.thread th
                 WHERE th.kind = 'direct' AND th.direct_low = lo AND th.direct_high = hi);
        IF tid IS NOT NULL THEN
            RETURN tid;
        END IF;
        INSERT INTO chat.thread AS th (kind, created_by, direct_low, direct_high)
        VALUES ('direct', user_a, lo, hi)
        RETURNING th.* INTO t;
    ELSE
    /* race-free: a concurrent creator of the same pair makes this wait, then find its row */
    INSERT INTO chat.thread AS th (kind, created_by, direct_low, direct_high)
    VALUES ('direct', user_a, lo, hi)
    ON CONFLICT (direct_low, direct_high) WHERE kind = 'direct' DO NOTHING
    RETURNING th.* INTO t;
    IF t.id IS NULL THEN
        RETURN (SELECT th.id FROM chat.thread th
                 WHERE th.kind = 'direct' AND th.direct_low = lo AND th.direct_high = hi);
    END IF;
    END IF;
    PERFORM chat._fill_extra('thread', t.id, NULL, NULL, NULL);
    PERFORM chat._insert_members(t, ARRAY[lo, hi], 'member');
    PERFORM chat._emit('thread_created', t.id, NULL, user_a,
                       jsonb_build_object('thread_kind', 'direct', 'member_count', 2));
    RETURN t.id;
END
$$;
COMMENT ON FUNCTION chat.direct_thread(chat.user_id, chat.user_id) IS
    'The one direct thread of two users, created on first use (either order gives the same thread)';

CREATE FUNCTION chat.object_thread(object_type text,
                                   object_id text,
                                   creator chat.user_id DEFAULT chat.current_user_id(),
                                   title text DEFAULT NULL,
                                   kind text DEFAULT 'group',
                                   is_public boolean DEFAULT true)
    RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    tid bigint;
BEGIN
    PERFORM chat._act(creator);
    PERFORM chat._not_null(object_thread.object_type, 'object_type');
    PERFORM chat._not_null(object_thread.object_id, 'object_id');
    IF chat._is_blank(object_thread.object_type) OR chat._is_blank(object_thread.object_id) THEN
        RAISE EXCEPTION 'an object''s type and id must not be blank'
            USING ERRCODE = '22023',
                  COLUMN = CASE WHEN chat._is_blank(object_thread.object_type) THEN 'object_type' ELSE 'object_id' END;
    END IF;
    /* keys, not texts: short enough for the unique index that finds the room */
    IF char_length(object_thread.object_type) > 255 OR char_length(object_thread.object_id) > 255 THEN
        RAISE EXCEPTION 'an object''s type and id are at most 255 characters'
            USING ERRCODE = '22001',
                  COLUMN = CASE WHEN char_length(object_thread.object_type) > 255 THEN 'object_type' ELSE 'object_id' END;
    END IF;
    PERFORM chat._not_null(creator, 'creator');
    PERFORM chat._not_null(object_thread.kind, 'kind');
    IF object_thread.kind NOT IN ('group', 'channel') THEN
        RAISE EXCEPTION 'an object''s room is a group or a channel, not "%"', object_thread.kind
            USING ERRCODE = '22023', COLUMN = 'kind';
    END IF;
    IF title IS NOT NULL THEN
        PERFORM chat._check_subject(title);
    END IF;
    IF chat._citus() THEN
        /* distributed (citus.sql): no unique index on the object; its creators wait for each other */
        PERFORM pg_advisory_xact_lock(hashtextextended(
            format('chat.object %s %s', object_thread.object_type, object_thread.object_id), 0));
    END IF;
    SELECT th.id INTO tid FROM chat.thread th
     WHERE th.object_type = object_thread.object_type AND th.object_id = object_thread.object_id;
    IF NOT FOUND THEN
        BEGIN
            tid := chat._create_room(object_thread.kind::chat.thread_kind, creator, title, '{}',
                                     is_public, NULL, object_thread.object_type, object_thread.object_id);
        EXCEPTION WHEN unique_violation THEN
            /* created at the same time by another session: that one is the room */
            SELECT th.id INTO tid FROM chat.thread th
             WHERE th.object_type = object_thread.object_type AND th.object_id = object_thread.object_id;
            IF tid IS NULL THEN
                /* REPEATABLE READ or SERIALIZABLE: our snapshot cannot see it */
                RAISE EXCEPTION 'could not serialize access: the room of % "%" was created concurrently',
                                object_thread.object_type, object_thread.object_id
                    USING ERRCODE = '40001', HINT = 'Retry the transaction.';
            END IF;
        END;
    END IF;
    /*
     * get-or-create: an end user gets an existing private room only as its
     * member.  The role is asked in a statement of its own: on a Citus
     * cluster a statement reading the thread runs whole on its worker, where
     * this function's owner, not the caller, is the role.
     */
    IF NOT chat.is_server_role() THEN
        IF NOT EXISTS (SELECT 1 FROM chat.thread th WHERE th.id = tid AND th.is_public)
           AND NOT EXISTS (SELECT 1 FROM chat.member m WHERE m.thread_id = tid AND m.user_id = creator) THEN
            RAISE EXCEPTION 'user "%" is not a member of the room of % "%"',
                            creator, object_thread.object_type, object_thread.object_id
                USING ERRCODE = '42501', CONSTRAINT = 'not_member';
        END IF;
    END IF;
    RETURN tid;
END
$$;
COMMENT ON FUNCTION chat.object_thread(text, text, chat.user_id, text, text, boolean) IS
    'The room of an application object (object_type, object_id), created on first use with the creator as owner';

CREATE FUNCTION chat.rename_thread(thread_id bigint,
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
COMMENT ON FUNCTION chat.rename_thread(bigint, chat.user_id, text) IS
    'Change the subject or title (permission edit_thread)';

CREATE FUNCTION chat.drop_thread(thread_id bigint, actor chat.user_id DEFAULT chat.current_user_id())
    RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    t chat.thread;
    members chat.user_id[];
BEGIN
    PERFORM chat._act(actor);
    t := chat._lock_thread(drop_thread.thread_id);
    PERFORM chat._not_null(actor, 'actor');
    PERFORM chat._require(chat._member_row(t.id, actor), 'delete_thread', 'delete');
    /*
     * its members are gone with it: the event names them (read first: a
     * statement reading chat.member would run whole on a Citus worker)
     */
    SELECT coalesce(array_agg(mb.user_id ORDER BY mb.user_id), '{}') INTO members
      FROM chat.member mb WHERE mb.thread_id = t.id;
    PERFORM chat._emit('thread_dropped', t.id, NULL, actor, NULL, members, true);
    DELETE FROM chat.thread th WHERE th.id = t.id;
END
$$;
COMMENT ON FUNCTION chat.drop_thread(bigint, chat.user_id) IS
    'Delete a thread and everything in it for everyone (permission delete_thread)';

CREATE FUNCTION chat.mute(thread_id bigint, "user" chat.user_id DEFAULT chat.current_user_id(),
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
COMMENT ON FUNCTION chat.mute(bigint, chat.user_id, boolean) IS
    'Mute (or unmute) a thread for the user: still listed, left out of unread_count''s badge';

/*
 * The member's notification level: all (default: every message, unless
 * muted), mentions (only messages that mention the member, muted or not),
 * none (no notification, and out of the badges like a muted thread).
 */
CREATE FUNCTION chat.set_notify_level(thread_id bigint, level text,
                                      "user" chat.user_id DEFAULT chat.current_user_id())
    RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    PERFORM chat._act("user");
    PERFORM chat._not_null(set_notify_level.thread_id, 'thread_id');
    PERFORM chat._not_null(set_notify_level.level, 'level');
    PERFORM chat._not_null(set_notify_level."user", 'user');
    IF set_notify_level.level NOT IN ('all', 'mentions', 'none') THEN
        RAISE EXCEPTION 'invalid notification level "%"', chat._shown(set_notify_level.level)
            USING ERRCODE = '22023', COLUMN = 'level',
                  HINT = 'Levels are "all", "mentions" and "none".';
    END IF;
    PERFORM chat._member_row(set_notify_level.thread_id, set_notify_level."user", true);
    UPDATE chat.member mb SET notify_level = set_notify_level.level
     WHERE mb.thread_id = set_notify_level.thread_id AND mb.user_id = set_notify_level."user";
    PERFORM chat._emit('notify_level_set', set_notify_level.thread_id, NULL, set_notify_level."user",
                       jsonb_build_object('level', set_notify_level.level),
                       ARRAY[set_notify_level."user"], true);
END
$$;
COMMENT ON FUNCTION chat.set_notify_level(bigint, text, chat.user_id) IS
    'Set the user''s notification level for a thread: all (every message unless muted), mentions (only messages that mention the user, even when muted) or none (no notifications; left out of the badges)';
