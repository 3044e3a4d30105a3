-- chat 0.4: identity and security (SPEC section 5).
--
-- Who calls: chat.current_user_id() and the trust level of the current role
-- are computed in C (src/identity.c).  Server roles (superusers, the
-- extension owner, members of the roles in the setting "server_roles") act
-- for any user; every other role is an end user, acting only as its own user.

\echo Use "ALTER EXTENSION chat UPDATE TO '0.4'" to load this file. \quit

/* ------------------------------------------------------------------------
 * Role mappings: a database role that is one chat user, whatever the
 * session's settings say
 * ------------------------------------------------------------------------ */

CREATE TABLE chat.role_map (
    role    regrole PRIMARY KEY,
    user_id chat.user_id NOT NULL
);
COMMENT ON TABLE chat.role_map IS
    'Database roles mapped to chat users (chat.map_role): such a role is that user, and settings cannot change it';
SELECT pg_catalog.pg_extension_config_dump('chat.role_map', '');

-- each backend caches its role's mapping; a change drops the caches
CREATE TRIGGER role_map_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON chat.role_map
    FOR EACH STATEMENT EXECUTE FUNCTION chat._registry_changed();

/* ------------------------------------------------------------------------
 * The setting server_roles
 * ------------------------------------------------------------------------ */

ALTER TABLE chat.setting_default DROP CONSTRAINT setting_default_type_check;
ALTER TABLE chat.setting_default ADD CONSTRAINT setting_default_type_check
    CHECK (type IN ('boolean', 'integer', 'text', 'reactions', 'mime_types', 'roles'));

INSERT INTO chat.setting_default (key, value, type, min_value, max_value, description) VALUES
    ('server_roles', '[]', 'roles', NULL, NULL,
     'JSON array of role names whose members may act for any user, as the extension owner and superusers do (application servers)');

/* ------------------------------------------------------------------------
 * Identity and trust, in C
 * ------------------------------------------------------------------------ */

CREATE OR REPLACE FUNCTION chat.current_user_id() RETURNS chat.user_id
    LANGUAGE c STABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'chat_current_user_id';
COMMENT ON FUNCTION chat.current_user_id() IS
    'The session''s chat user: the user the current role is mapped to (chat.map_role), else the setting chat.user_id, else the "sub" claim of request.jwt.claims, else NULL';

CREATE FUNCTION chat.is_server_role() RETURNS boolean
    LANGUAGE c STABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'chat_is_server_role';
COMMENT ON FUNCTION chat.is_server_role() IS
    'Whether the current role may act for any user: a superuser, the extension owner, or a member of a role in the setting server_roles';

CREATE FUNCTION chat._act(actor chat.user_id) RETURNS chat.user_id
    LANGUAGE c STABLE
    AS 'MODULE_PATHNAME', 'chat_act';
COMMENT ON FUNCTION chat._act(chat.user_id) IS
    'actor, once the current role may act as that user: a server role acts for anyone, an end user only as chat.current_user_id() (42501)';

CREATE FUNCTION chat._require_server(what text) RETURNS void
    LANGUAGE c STABLE
    AS 'MODULE_PATHNAME', 'chat_require_server_sql';
COMMENT ON FUNCTION chat._require_server(text) IS
    'Refuse an end user (42501): "permission denied to <what>"';

/* An end user reads a thread's details only as one of its members. */
CREATE FUNCTION chat._require_reader(thread_id bigint) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    me chat.user_id;
BEGIN
    IF chat.is_server_role() THEN
        RETURN;
    END IF;
    me := chat._act(chat.current_user_id());
    IF thread_id IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM chat.member m WHERE m.thread_id = _require_reader.thread_id AND m.user_id = me)
    THEN
        RAISE EXCEPTION 'user "%" is not a member of thread %', me, thread_id
            USING ERRCODE = '42501';
    END IF;
END
$$;

/*
 * A server role that is not a superuser registers only tables it may use
 * itself: chat's functions run as the extension owner, who may be a
 * superuser, and must not lend it rights over other tables.
 */
CREATE FUNCTION chat._require_table_rights(tbl regclass, privileges text) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    caller text := nullif(current_setting('role'), 'none');
BEGIN
    caller := coalesce(caller, session_user);
    IF tbl IS NOT NULL AND NOT has_table_privilege(caller, tbl, privileges) THEN
        RAISE EXCEPTION 'permission denied for table %', tbl
            USING ERRCODE = '42501',
                  DETAIL = format('Role "%s" needs %s on it.', caller, privileges);
    END IF;
END
$$;

/* ------------------------------------------------------------------------
 * map_role / unmap_role
 * ------------------------------------------------------------------------ */

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
