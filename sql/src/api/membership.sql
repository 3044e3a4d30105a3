
/* ========================================================================
 * api/membership.sql: add_members, join_thread, leave_thread, remove_member, can_join, can_leave
 * ======================================================================== */

CREATE FUNCTION chat.add_members(thread_id bigint,
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
COMMENT ON FUNCTION chat.add_members(bigint, chat.user_id, chat.user_id[], text) IS
    'Add users to a thread (permission add_members; never to a direct thread); returns how many were not members yet. New members start with earlier messages read';

CREATE FUNCTION chat.join_thread(thread_id bigint, "user" chat.user_id DEFAULT chat.current_user_id())
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
COMMENT ON FUNCTION chat.join_thread(bigint, chat.user_id) IS
    'Join a public thread (no-op for a member); earlier messages start read';

CREATE FUNCTION chat.leave_thread(thread_id bigint, "user" chat.user_id DEFAULT chat.current_user_id())
    RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    PERFORM chat._act("user");
    PERFORM chat._leave(leave_thread.thread_id, leave_thread."user");
END
$$;
COMMENT ON FUNCTION chat.leave_thread(bigint, chat.user_id) IS
    'Leave a thread (not a direct one). The last owner hands over to the oldest admin, or cannot leave while other members stay';

CREATE FUNCTION chat.remove_member(thread_id bigint,
                                   actor chat.user_id DEFAULT chat.current_user_id(),
                                   member chat.user_id DEFAULT NULL)
    RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    t chat.thread;
    a chat.member;
    m chat.member;
BEGIN
    PERFORM chat._act(actor);
    PERFORM chat._not_null(remove_member.thread_id, 'thread_id');
    PERFORM chat._not_null(actor, 'actor');
    PERFORM chat._not_null(member, 'member');
    IF member = actor THEN
        PERFORM chat._leave(remove_member.thread_id, actor);
        RETURN;
    END IF;
    t := chat._lock_thread(remove_member.thread_id);
    a := chat._member_row(t.id, actor);
    SELECT * INTO m FROM chat.member mb WHERE mb.thread_id = t.id AND mb.user_id = member;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'user "%" is not a member of thread %', member, t.id USING ERRCODE = '42704';
    END IF;
    IF t.kind = 'direct' THEN
        RAISE EXCEPTION 'cannot remove a member of direct thread %', t.id
            USING ERRCODE = '55000', DETAIL = 'A direct thread has exactly two members.';
    END IF;
    PERFORM chat._require(a, 'remove_members', 'remove members');
    PERFORM chat._require_manager(a, m, 'remove members');
    PERFORM chat._remove(t, m, actor, format('%s removed %s', chat._label(actor), chat._label(member)));
END
$$;
COMMENT ON FUNCTION chat.remove_member(bigint, chat.user_id, chat.user_id) IS
    'Remove a member (permission remove_members; an admin cannot remove an owner)';

CREATE FUNCTION chat.can_join(thread_id bigint, "user" chat.user_id DEFAULT chat.current_user_id())
    RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT chat._act("user");
    SELECT coalesce((SELECT t.is_public AND t.kind <> 'direct'
                            AND NOT EXISTS (SELECT 1 FROM chat.member mb WHERE mb.thread_id = t.id AND mb.user_id = $2)
                            AND (t.member_count < (chat._setting_value('max_members') #>> '{}')::bigint
                                 OR chat._setting_value('max_members') = 'null')
                       FROM chat.thread t WHERE t.id = $1), false)
$$;
COMMENT ON FUNCTION chat.can_join(bigint, chat.user_id) IS
    'Could the user join the thread now (public, not yet a member, not full)? False for an unknown thread';

CREATE FUNCTION chat.can_leave(thread_id bigint, "user" chat.user_id DEFAULT chat.current_user_id())
    RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT chat._act("user");
    SELECT coalesce((SELECT t.kind <> 'direct'
                            AND (NOT chat._last_owner(t, m) OR chat._successor(t, m.user_id) IS NOT NULL)
                       FROM chat.thread t JOIN chat.member m ON m.thread_id = t.id AND m.user_id = $2
                      WHERE t.id = $1), false)
$$;
COMMENT ON FUNCTION chat.can_leave(bigint, chat.user_id) IS
    'Could the user leave the thread now (a member, not of a direct thread, not the last owner without an admin to take over)?';
