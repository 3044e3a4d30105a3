
/* ========================================================================
 * api/identity.sql: current_user_id, is_server_role, map_role, unmap_role
 * ======================================================================== */

CREATE FUNCTION chat.current_user_id() RETURNS chat.user_id
    LANGUAGE c STABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'chat_current_user_id';
COMMENT ON FUNCTION chat.current_user_id() IS
    'The session''s chat user: the user the current role is mapped to (chat.map_role), else the setting chat.user_id, else the "sub" claim of request.jwt.claims, else NULL';

CREATE FUNCTION chat.is_server_role() RETURNS boolean
    LANGUAGE c STABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'chat_is_server_role';
COMMENT ON FUNCTION chat.is_server_role() IS
    'Whether the current role may act for any user: a superuser, the extension owner, or a member of a role in the setting server_roles';

CREATE FUNCTION chat.map_role(role regrole, user_id chat.user_id) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    PERFORM chat._require_server('map roles to users');
    PERFORM chat._not_null(role, 'role');
    PERFORM chat._not_null(user_id, 'user_id');
    IF NOT EXISTS (SELECT 1 FROM pg_roles r WHERE r.oid = $1) THEN
        RAISE EXCEPTION 'role with OID % does not exist', $1::oid USING ERRCODE = '42704';
    END IF;
    INSERT INTO chat.role_map AS r (role, user_id) VALUES ($1, $2)
        ON CONFLICT ON CONSTRAINT role_map_pkey DO UPDATE SET user_id = excluded.user_id;
END
$$;
COMMENT ON FUNCTION chat.map_role(regrole, chat.user_id) IS
    'Make a database role that chat user for good: chat.current_user_id() then ignores chat.user_id and JWT claims in its sessions (server roles only)';

CREATE FUNCTION chat.unmap_role(role regrole) RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    PERFORM chat._require_server('map roles to users');
    PERFORM chat._not_null(role, 'role');
    DELETE FROM chat.role_map r WHERE r.role = $1;
    RETURN FOUND;
END
$$;
COMMENT ON FUNCTION chat.unmap_role(regrole) IS
    'Remove a role''s mapping; true when there was one (server roles only)';
