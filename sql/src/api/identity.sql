
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

/*
 * On Citus, an end user's direct reads of chat's tables and views are
 * filtered by row-level security on the workers, where the claims an
 * application set with set_config() (PostgREST does) are not: Citus carries
 * only SET LOCAL commands, and only with citus.propagate_set_commands =
 * 'local'.  Called in the transaction (PostgREST's db-pre-request), this
 * sets those the caller has again, with SET LOCAL, so that Citus sends them
 * to the workers for the rest of the transaction.  Without Citus it does
 * nothing; outside a transaction block it lasts only for its own statement.  No SET clause: one would
 * undo the SET LOCAL at the function's end; so every name is qualified
 * (test/sql/hostile.sql calls it under a hostile search_path).  It is
 * SECURITY INVOKER and sets only what the caller has already set.
 */
CREATE FUNCTION chat.propagate_identity() RETURNS void
    LANGUAGE plpgsql
    AS $$
DECLARE
    name pg_catalog.text;
    value pg_catalog.text;
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_extension e WHERE e.extname OPERATOR(pg_catalog.=) 'citus') THEN
        RETURN;
    END IF;
    SET LOCAL citus.propagate_set_commands = 'local';
    FOREACH name IN ARRAY ARRAY['request.jwt.claims', 'request.jwt.claim.sub', 'chat.user_id'] LOOP
        value := pg_catalog.current_setting(name, true);
        IF value OPERATOR(pg_catalog.<>) '' THEN
            EXECUTE pg_catalog.format('SET LOCAL %s = %L', name, value);
        END IF;
    END LOOP;
END
$$;
COMMENT ON FUNCTION chat.propagate_identity() IS
    'Citus: send the JWT claims and chat.user_id set with set_config() to the workers for the rest of the transaction (SET LOCAL with citus.propagate_set_commands = local), so that direct reads under row-level security see the caller there; PostgREST''s db-pre-request. Does nothing without Citus';
