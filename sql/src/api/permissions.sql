
/* ========================================================================
 * api/permissions.sql: set_role, grant, revoke, has_permission
 * ======================================================================== */

CREATE FUNCTION chat.set_role(thread_id bigint,
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
    payload jsonb;
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
    /* read first: a call with a query of chat's tables inside would run on a Citus worker */
    payload := (SELECT jsonb_build_object('by', actor, 'role', mb.role, 'permissions', mb.permissions)
                  FROM chat.member mb WHERE mb.thread_id = t.id AND mb.user_id = member);
    PERFORM chat._emit('member_updated', t.id, NULL, member, payload);
END
$$;
COMMENT ON FUNCTION chat.set_role(bigint, chat.user_id, chat.user_id, text) IS
    'Change a member''s role (owners and admins; an admin cannot act on an owner nor make one); the member''s permissions become the role''s defaults';

CREATE FUNCTION chat."grant"(thread_id bigint,
                             actor chat.user_id DEFAULT chat.current_user_id(),
                             member chat.user_id DEFAULT NULL,
                             permission text DEFAULT NULL)
    RETURNS void
    LANGUAGE sql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT chat._act(actor);
    SELECT chat._change_permission($1, $2, $3, $4, true);
$$;
COMMENT ON FUNCTION chat."grant"(bigint, chat.user_id, chat.user_id, text) IS
    'Give a member one permission (owners and admins; an admin cannot act on an owner)';

CREATE FUNCTION chat."revoke"(thread_id bigint,
                              actor chat.user_id DEFAULT chat.current_user_id(),
                              member chat.user_id DEFAULT NULL,
                              permission text DEFAULT NULL)
    RETURNS void
    LANGUAGE sql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT chat._act(actor);
    SELECT chat._change_permission($1, $2, $3, $4, false);
$$;
COMMENT ON FUNCTION chat."revoke"(bigint, chat.user_id, chat.user_id, text) IS
    'Take one permission from a member (owners and admins; an admin cannot act on an owner)';

CREATE FUNCTION chat.has_permission(thread_id bigint,
                                    "user" chat.user_id DEFAULT chat.current_user_id(),
                                    permission text DEFAULT NULL)
    RETURNS boolean
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    PERFORM chat._act("user");
    PERFORM chat._check_permission(permission);
    RETURN coalesce((SELECT permission = ANY (mb.permissions) FROM chat.member mb
                      WHERE mb.thread_id = has_permission.thread_id AND mb.user_id = has_permission."user"),
                    false);
END
$$;
COMMENT ON FUNCTION chat.has_permission(bigint, chat.user_id, text) IS
    'May the user do this in the thread? False for a non-member';
