
/* ========================================================================
 * internal/identity.sql: who calls: the acting user and the trust level of the current role
 * ======================================================================== */

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
            USING ERRCODE = '42501', CONSTRAINT = 'not_member';
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
            USING ERRCODE = '42501', CONSTRAINT = 'missing_privilege',
                  DETAIL = format('Role "%s" needs %s on it.', caller, privileges);
    END IF;
END
$$;

/* Registering application code: the registering role must be able to run it. */
CREATE FUNCTION chat._require_execute(fn regprocedure) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    caller text := coalesce(nullif(current_setting('role'), 'none'), session_user);
BEGIN
    IF fn IS NOT NULL AND NOT has_function_privilege(caller, fn, 'EXECUTE') THEN
        RAISE EXCEPTION 'permission denied for function %', fn
            USING ERRCODE = '42501', CONSTRAINT = 'missing_privilege',
                  DETAIL = format('Role "%s" needs EXECUTE on it.', caller);
    END IF;
END
$$;

CREATE FUNCTION chat._is_member(thread_id bigint) RETURNS boolean
    LANGUAGE c STABLE
    AS 'MODULE_PATHNAME', 'chat_is_member';
COMMENT ON FUNCTION chat._is_member(bigint) IS
    'Whether chat.current_user_id() is a member of the thread; used by row-level security, safe for anyone';
