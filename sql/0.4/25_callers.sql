
/* ------------------------------------------------------------------------
 * The application's code runs as the caller
 *
 * Hooks already run as the current role (src/events.c).  Renderers and the
 * display-name function are called from SQL too: through chat._render and
 * chat._display_name, which switch to the current role the same way, so a
 * function registered by a server role never runs with the extension
 * owner's rights.  The three functions that called them by name follow.
 * ------------------------------------------------------------------------ */

CREATE FUNCTION chat._render(fn oid, value jsonb) RETURNS jsonb
    LANGUAGE c STABLE STRICT
    AS 'MODULE_PATHNAME', 'chat_call_as_caller';
COMMENT ON FUNCTION chat._render(oid, jsonb) IS
    'fn(value) for a registered renderer, run as the current role';

CREATE FUNCTION chat._display_name(fn oid, user_id chat.user_id) RETURNS text
    LANGUAGE c STABLE STRICT
    AS 'MODULE_PATHNAME', 'chat_call_as_caller';
COMMENT ON FUNCTION chat._display_name(oid, chat.user_id) IS
    'fn(user_id) for the registered display-name function, run as the current role';

/* 0.2's display_name, through chat._display_name; open to everyone. */
CREATE OR REPLACE FUNCTION chat.display_name(user_id chat.user_id) RETURNS text
    LANGUAGE sql STABLE STRICT SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT chat._display_name(b.display_name::oid, $1)
      FROM chat.user_binding b
     WHERE b.display_name IS NOT NULL
$$;

/* 0.2's _extras, rendering through chat._render. */
CREATE OR REPLACE FUNCTION chat._extras(model text, thread_ids bigint[], message_ids bigint[] DEFAULT NULL)
    RETURNS jsonb
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    md chat.model := chat._swapped(model);
    k record := chat._model_key(model);
    render text := 'to_jsonb(x) - $3';
    result jsonb;
BEGIN
    IF md IS NULL THEN
        RETURN NULL;
    END IF;
    IF md.renderer IS NOT NULL THEN
        render := format('chat._render(%s::pg_catalog.oid, %s)', md.renderer::oid, render);
    END IF;
    IF model = 'message' THEN
        EXECUTE format('SELECT jsonb_object_agg(e.id, e.extra) FILTER (WHERE e.extra IS NOT NULL)
                          FROM (SELECT x.message_id::text AS id, %s AS extra
                                  FROM %s x
                                 WHERE x.thread_id = ANY ($1) AND x.message_id = ANY ($2)) e',
                       render, md.tbl)
            INTO result USING thread_ids, message_ids, k.keys;
    ELSIF model = 'thread' THEN
        EXECUTE format('SELECT jsonb_object_agg(e.id, e.extra) FILTER (WHERE e.extra IS NOT NULL)
                          FROM (SELECT x.thread_id::text AS id, %s AS extra
                                  FROM %s x
                                 WHERE x.thread_id = ANY ($1)) e',
                       render, md.tbl)
            INTO result USING thread_ids, message_ids, k.keys;
    ELSE
        RAISE EXCEPTION 'chat._extras does not read model "%"', model;
    END IF;
    RETURN result;
END
$$;

/* 0.3's members, rendering through chat._render. */
CREATE OR REPLACE FUNCTION chat_internal.members(thread_id bigint, viewer chat.user_id DEFAULT chat.current_user_id())
    RETURNS TABLE (user_id chat.user_id, role text, joined_at timestamptz, muted boolean,
                   permissions text[], extra jsonb)
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
#variable_conflict use_column
DECLARE
    md chat.model := chat._swapped('member');
    extras jsonb;
BEGIN
    PERFORM chat._not_null(members.thread_id, 'thread_id');
    PERFORM chat._not_null(viewer, 'viewer');
    PERFORM chat._member_row(members.thread_id, viewer);
    IF md.tbl IS NOT NULL THEN
        EXECUTE format('SELECT jsonb_object_agg(x.user_id::text, %s) FROM %s x WHERE x.thread_id = $1',
                       CASE WHEN md.renderer IS NULL THEN $q$to_jsonb(x) - 'thread_id' - 'user_id'$q$
                            ELSE format($q$chat._render(%s::pg_catalog.oid, to_jsonb(x) - 'thread_id' - 'user_id')$q$,
                                        md.renderer::oid) END,
                       md.tbl)
           INTO extras USING members.thread_id;
    END IF;
    RETURN QUERY
    SELECT mb.user_id, mb.role::text, mb.joined_at, mb.muted, mb.permissions, extras -> (mb.user_id::text)
      FROM chat.member mb
     WHERE mb.thread_id = members.thread_id
     ORDER BY mb.role, mb.joined_at, mb.user_id;
END
$$;

/*
 * 0.3's _change_permission: an admin grants only permissions it holds (it
 * could otherwise give itself the owner's delete_thread).
 */
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
            USING ERRCODE = '42501',
                  DETAIL = 'An admin grants only permissions it holds itself; the owner grants any.';
    END IF;
    UPDATE chat.member mb
       SET permissions = CASE WHEN add THEN array(SELECT DISTINCT p FROM unnest(mb.permissions || permission) AS p ORDER BY p)
                              ELSE array_remove(mb.permissions, permission) END
     WHERE mb.thread_id = thread AND mb.user_id = member;
END
$$;

/* get_setting reads chat._setting_value, which end users may not call. */
ALTER FUNCTION chat.get_setting(text) SECURITY DEFINER;

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
            USING ERRCODE = '42501',
                  DETAIL = format('Role "%s" needs EXECUTE on it.', caller);
    END IF;
END
$$;
