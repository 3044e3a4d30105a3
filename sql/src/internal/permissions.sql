
/* ========================================================================
 * internal/permissions.sql: roles, permissions and who may manage whom
 * ======================================================================== */

/* Raise 22023 unless the name is one of the nine permissions. */
CREATE FUNCTION chat._check_permission(permission text) RETURNS void
    LANGUAGE plpgsql IMMUTABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF permission IS NULL THEN
        RAISE EXCEPTION 'argument "permission" must not be null' USING ERRCODE = '22004', COLUMN = 'permission';
    END IF;
    IF permission NOT IN ('add_members', 'remove_members', 'post', 'delete_messages',
                          'delete_own_messages', 'edit_messages', 'edit_own_messages',
                          'edit_thread', 'delete_thread') THEN
        RAISE EXCEPTION 'unknown permission "%"', chat._shown(permission)
            USING ERRCODE = '22023', COLUMN = 'permission',
                  HINT = 'Permissions are "add_members", "remove_members", "post", "delete_messages", "delete_own_messages", "edit_messages", "edit_own_messages", "edit_thread" and "delete_thread".';
    END IF;
END
$$;

/* Raise 22023 unless the name is a role. */
CREATE FUNCTION chat._check_role(role text) RETURNS chat.member_role
    LANGUAGE plpgsql IMMUTABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF role IS NULL THEN
        RAISE EXCEPTION 'argument "role" must not be null' USING ERRCODE = '22004', COLUMN = 'role';
    END IF;
    IF role NOT IN ('owner', 'admin', 'member') THEN
        RAISE EXCEPTION 'unknown role "%"', chat._shown(role)
            USING ERRCODE = '22023', COLUMN = 'role', HINT = 'Roles are "owner", "admin" and "member".';
    END IF;
    RETURN role::chat.member_role;
END
$$;

/* 42501 unless the member row has the permission; "doing" completes "permission denied to ...". */
CREATE FUNCTION chat._require(m chat.member, permission text, doing text) RETURNS void
    LANGUAGE plpgsql IMMUTABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF NOT (permission = ANY (m.permissions)) THEN
        RAISE EXCEPTION 'permission denied to % in thread %', doing, m.thread_id
            USING ERRCODE = '42501', CONSTRAINT = 'missing_permission',
                  DETAIL = format('User "%s" (%s) lacks the permission "%s".', m.user_id, m.role, permission);
    END IF;
END
$$;

/* 42501 unless the actor is an owner or an admin acting on a non-owner. */
CREATE FUNCTION chat._require_manager(actor chat.member, target chat.member, doing text) RETURNS void
    LANGUAGE plpgsql IMMUTABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF actor.role NOT IN ('owner', 'admin') THEN
        RAISE EXCEPTION 'permission denied to % in thread %', doing, actor.thread_id
            USING ERRCODE = '42501', CONSTRAINT = 'missing_permission', DETAIL = 'Only owners and admins may do that.';
    END IF;
    IF actor.role = 'admin' AND target.role = 'owner' THEN
        RAISE EXCEPTION 'permission denied to % in thread %', doing, actor.thread_id
            USING ERRCODE = '42501', CONSTRAINT = 'missing_permission', DETAIL = 'An admin cannot act on an owner.';
    END IF;
END
$$;

/*
 * A role's default permissions, given by an admin (set_role, add_members),
 * are cut to what that admin held before the call: an admin cannot hand
 * out, nor restore to itself, a permission the owner took away.  held is
 * chat._held(thread, actor), NULL for the owner (or a non-member, whom the
 * call refuses anyway).
 */
CREATE FUNCTION chat._held(thread bigint, actor chat.user_id) RETURNS text[]
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT m.permissions FROM chat.member m
     WHERE m.thread_id = thread AND m.user_id = actor AND m.role <> 'owner'
$$;

CREATE FUNCTION chat._within(thread bigint, held text[], members chat.user_id[])
    RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF held IS NOT NULL THEN
        UPDATE chat.member m
           SET permissions = ARRAY(SELECT p FROM unnest(m.permissions) p WHERE p = ANY (held) ORDER BY p)
         WHERE m.thread_id = thread AND m.user_id = ANY (members)
           AND NOT (m.permissions <@ held);
    END IF;
END
$$;

/*
 * grant and revoke: an admin grants only permissions it holds (it
 * could otherwise give itself the owner's delete_thread).
 */
CREATE FUNCTION chat._change_permission(thread bigint, actor chat.user_id, member chat.user_id,
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
