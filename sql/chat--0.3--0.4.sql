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
/* ------------------------------------------------------------------------
 * The public API as checked entry points
 *
 * The body of each public function of 0.3 moves, under the same name, to
 * schema chat_internal, which no end user may use; the public name becomes a
 * SECURITY DEFINER wrapper that first checks who calls: chat._act(actor) for
 * the acting user, chat._require_server() for what only server roles do,
 * chat._require_reader() for the thread lookups that take no user.  The
 * wrappers run as the extension owner, so end users need no write privilege
 * on chat's tables.  The bodies stay SECURITY INVOKER: called from a wrapper
 * they run as the owner, and granted to anyone else they would lend no right
 * the caller lacks.
 * ------------------------------------------------------------------------ */

CREATE SCHEMA chat_internal;
COMMENT ON SCHEMA chat_internal IS
    'The bodies of chat''s public functions, called by them once the caller is checked; not for direct use';
REVOKE ALL ON SCHEMA chat_internal FROM PUBLIC;

ALTER FUNCTION chat.set_setting(key text, value jsonb) SET SCHEMA chat_internal;
ALTER FUNCTION chat.new_message(sender chat.user_id, recipients chat.user_id[], subject text, content text, attachments jsonb, extra jsonb) SET SCHEMA chat_internal;
ALTER FUNCTION chat.inbox_count(viewer chat.user_id, folder text) SET SCHEMA chat_internal;
ALTER FUNCTION chat.unread_count(viewer chat.user_id, OUT threads bigint, OUT messages bigint) SET SCHEMA chat_internal;
ALTER FUNCTION chat.first_message(thread_id bigint) SET SCHEMA chat_internal;
ALTER FUNCTION chat.latest_message(thread_id bigint, exclude_user chat.user_id) SET SCHEMA chat_internal;
ALTER FUNCTION chat.earliest_message(thread_id bigint, exclude_user chat.user_id) SET SCHEMA chat_internal;
ALTER FUNCTION chat.started_by(thread_id bigint) SET SCHEMA chat_internal;
ALTER FUNCTION chat.mark_read(thread_id bigint, reader chat.user_id, up_to bigint) SET SCHEMA chat_internal;
ALTER FUNCTION chat.mark_unread(thread_id bigint, reader chat.user_id, from_message bigint) SET SCHEMA chat_internal;
ALTER FUNCTION chat.mark_delivered(reader chat.user_id, thread_id bigint, up_to bigint) SET SCHEMA chat_internal;
ALTER FUNCTION chat.delete_thread(thread_id bigint, actor chat.user_id) SET SCHEMA chat_internal;
ALTER FUNCTION chat.restore_thread(thread_id bigint, actor chat.user_id) SET SCHEMA chat_internal;
ALTER FUNCTION chat.archive_thread(thread_id bigint, actor chat.user_id) SET SCHEMA chat_internal;
ALTER FUNCTION chat.unarchive_thread(thread_id bigint, actor chat.user_id) SET SCHEMA chat_internal;
ALTER FUNCTION chat.edit_message(message_id bigint, editor chat.user_id, content text) SET SCHEMA chat_internal;
ALTER FUNCTION chat.delete_message(message_id bigint, actor chat.user_id) SET SCHEMA chat_internal;
ALTER FUNCTION chat.message_history(message_id bigint, viewer chat.user_id) SET SCHEMA chat_internal;
ALTER FUNCTION chat.verify_unread(thread_id bigint) SET SCHEMA chat_internal;
ALTER FUNCTION chat.add_hook(event text, fn regprocedure, pos integer) SET SCHEMA chat_internal;
ALTER FUNCTION chat.remove_hook(event text, fn regprocedure) SET SCHEMA chat_internal;
ALTER FUNCTION chat.typing(thread_id bigint, "user" chat.user_id) SET SCHEMA chat_internal;
ALTER FUNCTION chat.use_user_table(tbl regclass, id_column name, on_delete text, display_name regprocedure) SET SCHEMA chat_internal;
ALTER FUNCTION chat.swap_model(model text, tbl regclass) SET SCHEMA chat_internal;
ALTER FUNCTION chat.swap_renderer(model text, fn regprocedure) SET SCHEMA chat_internal;
ALTER FUNCTION chat.inbox(viewer chat.user_id, folder text, before text, page_size integer) SET SCHEMA chat_internal;
ALTER FUNCTION chat.messages(thread_id bigint, viewer chat.user_id, before bigint, after bigint, page_size integer) SET SCHEMA chat_internal;
ALTER FUNCTION chat.create_group(creator chat.user_id, title text, members chat.user_id[], is_public boolean, extra jsonb) SET SCHEMA chat_internal;
ALTER FUNCTION chat.create_channel(creator chat.user_id, title text, members chat.user_id[], is_public boolean, extra jsonb) SET SCHEMA chat_internal;
ALTER FUNCTION chat.direct_thread(user_a chat.user_id, user_b chat.user_id) SET SCHEMA chat_internal;
ALTER FUNCTION chat.object_thread(object_type text, object_id text, creator chat.user_id, title text, kind text, is_public boolean) SET SCHEMA chat_internal;
ALTER FUNCTION chat.add_members(thread_id bigint, actor chat.user_id, users chat.user_id[], role text) SET SCHEMA chat_internal;
ALTER FUNCTION chat.leave_thread(thread_id bigint, "user" chat.user_id) SET SCHEMA chat_internal;
ALTER FUNCTION chat.remove_member(thread_id bigint, actor chat.user_id, member chat.user_id) SET SCHEMA chat_internal;
ALTER FUNCTION chat.join_thread(thread_id bigint, "user" chat.user_id) SET SCHEMA chat_internal;
ALTER FUNCTION chat.can_join(thread_id bigint, "user" chat.user_id) SET SCHEMA chat_internal;
ALTER FUNCTION chat.can_leave(thread_id bigint, "user" chat.user_id) SET SCHEMA chat_internal;
ALTER FUNCTION chat.set_role(thread_id bigint, actor chat.user_id, member chat.user_id, role text) SET SCHEMA chat_internal;
ALTER FUNCTION chat."grant"(thread_id bigint, actor chat.user_id, member chat.user_id, permission text) SET SCHEMA chat_internal;
ALTER FUNCTION chat.revoke(thread_id bigint, actor chat.user_id, member chat.user_id, permission text) SET SCHEMA chat_internal;
ALTER FUNCTION chat.has_permission(thread_id bigint, "user" chat.user_id, permission text) SET SCHEMA chat_internal;
ALTER FUNCTION chat.mute(thread_id bigint, "user" chat.user_id, muted boolean) SET SCHEMA chat_internal;
ALTER FUNCTION chat.rename_thread(thread_id bigint, actor chat.user_id, title text) SET SCHEMA chat_internal;
ALTER FUNCTION chat.drop_thread(thread_id bigint, actor chat.user_id) SET SCHEMA chat_internal;
ALTER FUNCTION chat.members(thread_id bigint, viewer chat.user_id) SET SCHEMA chat_internal;
ALTER FUNCTION chat.receipts(message_id bigint, viewer chat.user_id) SET SCHEMA chat_internal;
ALTER FUNCTION chat.add_reaction(message_id bigint, "user" chat.user_id, reaction text) SET SCHEMA chat_internal;
ALTER FUNCTION chat.remove_reaction(message_id bigint, "user" chat.user_id, reaction text) SET SCHEMA chat_internal;
ALTER FUNCTION chat.toggle_reaction(message_id bigint, "user" chat.user_id, reaction text) SET SCHEMA chat_internal;
ALTER FUNCTION chat.reactions(message_id bigint, viewer chat.user_id) SET SCHEMA chat_internal;
ALTER FUNCTION chat.forward_message(message_id bigint, to_thread_id bigint, actor chat.user_id, comment text) SET SCHEMA chat_internal;

/* new_reply is C: it checks the sender itself (src/identity.c). */
ALTER FUNCTION chat.new_reply(bigint, chat.user_id, text, bigint, jsonb, jsonb)
    SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

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

/* The setting server_roles: a JSON array of existing role names. */
CREATE FUNCTION chat._check_roles(key text, value jsonb) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    bad text;
BEGIN
    IF jsonb_typeof(value) <> 'array'
       OR EXISTS (SELECT 1 FROM jsonb_array_elements(value) e WHERE jsonb_typeof(e) <> 'string') THEN
        RAISE EXCEPTION 'invalid value for setting "%": %', key, value
            USING ERRCODE = '22023', DETAIL = 'The setting takes a JSON array of role names.';
    END IF;
    SELECT e INTO bad FROM jsonb_array_elements_text(value) e
     WHERE NOT EXISTS (SELECT 1 FROM pg_roles r WHERE r.rolname = e) LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'role "%" does not exist', bad
            USING ERRCODE = '22023', DETAIL = format('The setting "%s" names existing roles.', key);
    END IF;
END
$$;

CREATE FUNCTION chat.set_setting(key text, value jsonb)
    RETURNS jsonb
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    PERFORM chat._require_server('change settings');
    IF key = 'server_roles' AND value IS NOT NULL AND value <> 'null'::jsonb THEN
        PERFORM chat._check_roles(key, value);
    END IF;
    RETURN chat_internal.set_setting($1, $2);
END
$$;

CREATE FUNCTION chat.new_message(sender chat.user_id DEFAULT chat.current_user_id(), recipients chat.user_id[] DEFAULT NULL::chat.user_id[], subject text DEFAULT NULL::text, content text DEFAULT NULL::text, attachments jsonb DEFAULT NULL::jsonb, extra jsonb DEFAULT NULL::jsonb)
    RETURNS bigint
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    RETURN chat_internal.new_message(chat._act($1), $2, $3, $4, $5, $6);
END
$$;

CREATE FUNCTION chat.inbox_count(viewer chat.user_id DEFAULT chat.current_user_id(), folder text DEFAULT 'inbox'::text)
    RETURNS bigint
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    RETURN chat_internal.inbox_count(chat._act($1), $2);
END
$$;

CREATE FUNCTION chat.unread_count(viewer chat.user_id DEFAULT chat.current_user_id(), OUT threads bigint, OUT messages bigint)
    RETURNS record
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    SELECT * INTO threads, messages FROM chat_internal.unread_count(chat._act($1));
END
$$;

CREATE FUNCTION chat.first_message(thread_id bigint)
    RETURNS bigint
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    PERFORM chat._require_reader($1);
    RETURN chat_internal.first_message($1);
END
$$;

CREATE FUNCTION chat.latest_message(thread_id bigint, exclude_user chat.user_id DEFAULT NULL)
    RETURNS bigint
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    PERFORM chat._require_reader($1);
    RETURN chat_internal.latest_message($1, $2);
END
$$;

CREATE FUNCTION chat.earliest_message(thread_id bigint, exclude_user chat.user_id DEFAULT NULL)
    RETURNS bigint
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    PERFORM chat._require_reader($1);
    RETURN chat_internal.earliest_message($1, $2);
END
$$;

CREATE FUNCTION chat.started_by(thread_id bigint)
    RETURNS chat.user_id
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    PERFORM chat._require_reader($1);
    RETURN chat_internal.started_by($1);
END
$$;

CREATE FUNCTION chat.mark_read(thread_id bigint, reader chat.user_id DEFAULT chat.current_user_id(), up_to bigint DEFAULT NULL)
    RETURNS bigint
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    RETURN chat_internal.mark_read($1, chat._act($2), $3);
END
$$;

CREATE FUNCTION chat.mark_unread(thread_id bigint, reader chat.user_id DEFAULT chat.current_user_id(), from_message bigint DEFAULT NULL)
    RETURNS bigint
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    RETURN chat_internal.mark_unread($1, chat._act($2), $3);
END
$$;

CREATE FUNCTION chat.mark_delivered(reader chat.user_id DEFAULT chat.current_user_id(), thread_id bigint DEFAULT NULL, up_to bigint DEFAULT NULL)
    RETURNS bigint
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    RETURN chat_internal.mark_delivered(chat._act($1), $2, $3);
END
$$;

CREATE FUNCTION chat.delete_thread(thread_id bigint, actor chat.user_id DEFAULT chat.current_user_id())
    RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    PERFORM chat_internal.delete_thread($1, chat._act($2));
END
$$;

CREATE FUNCTION chat.restore_thread(thread_id bigint, actor chat.user_id DEFAULT chat.current_user_id())
    RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    PERFORM chat_internal.restore_thread($1, chat._act($2));
END
$$;

CREATE FUNCTION chat.archive_thread(thread_id bigint, actor chat.user_id DEFAULT chat.current_user_id())
    RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    PERFORM chat_internal.archive_thread($1, chat._act($2));
END
$$;

CREATE FUNCTION chat.unarchive_thread(thread_id bigint, actor chat.user_id DEFAULT chat.current_user_id())
    RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    PERFORM chat_internal.unarchive_thread($1, chat._act($2));
END
$$;

CREATE FUNCTION chat.edit_message(message_id bigint, editor chat.user_id DEFAULT chat.current_user_id(), content text DEFAULT NULL::text)
    RETURNS bigint
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    RETURN chat_internal.edit_message($1, chat._act($2), $3);
END
$$;

CREATE FUNCTION chat.delete_message(message_id bigint, actor chat.user_id DEFAULT chat.current_user_id())
    RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    PERFORM chat_internal.delete_message($1, chat._act($2));
END
$$;

CREATE FUNCTION chat.message_history(message_id bigint, viewer chat.user_id DEFAULT chat.current_user_id())
    RETURNS TABLE(content text, replaced_at timestamp with time zone)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    RETURN QUERY SELECT * FROM chat_internal.message_history($1, chat._act($2));
END
$$;

CREATE FUNCTION chat.verify_unread(thread_id bigint DEFAULT NULL)
    RETURNS TABLE(thread_id bigint, user_id chat.user_id, what text, stored bigint, recounted bigint)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT chat._require_server('run chat.verify_unread()');
    SELECT * FROM chat_internal.verify_unread($1);
$$;

CREATE FUNCTION chat.add_hook(event text, fn regprocedure, pos integer DEFAULT NULL::integer)
    RETURNS boolean
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    PERFORM chat._require_server('register hooks');
    PERFORM chat._require_execute($2);
    RETURN chat_internal.add_hook($1, $2, $3);
END
$$;

CREATE FUNCTION chat.remove_hook(event text, fn regprocedure)
    RETURNS boolean
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    PERFORM chat._require_server('remove hooks');
    RETURN chat_internal.remove_hook($1, $2);
END
$$;

CREATE FUNCTION chat.typing(thread_id bigint, "user" chat.user_id DEFAULT chat.current_user_id())
    RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    PERFORM chat_internal.typing($1, chat._act($2));
END
$$;

CREATE FUNCTION chat.use_user_table(tbl regclass, id_column name DEFAULT 'id'::name, on_delete text DEFAULT 'cascade'::text, display_name regprocedure DEFAULT NULL::regprocedure)
    RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    PERFORM chat._require_server('bind the users table');
    PERFORM chat._require_table_rights($1, 'REFERENCES');
    PERFORM chat._require_execute($4);
    PERFORM chat_internal.use_user_table($1, $2, $3, $4);
END
$$;

CREATE FUNCTION chat.swap_model(model text, tbl regclass)
    RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    PERFORM chat._require_server('swap models');
    PERFORM chat._require_table_rights($2, 'SELECT, INSERT, UPDATE, DELETE');
    PERFORM chat_internal.swap_model($1, $2);
END
$$;

CREATE FUNCTION chat.swap_renderer(model text, fn regprocedure)
    RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    PERFORM chat._require_server('swap renderers');
    PERFORM chat._require_execute($2);
    PERFORM chat_internal.swap_renderer($1, $2);
END
$$;

CREATE FUNCTION chat.inbox(viewer chat.user_id DEFAULT chat.current_user_id(), folder text DEFAULT 'inbox'::text, before text DEFAULT NULL::text, page_size integer DEFAULT 50)
    RETURNS TABLE(thread_id bigint, kind text, subject text, last_message_id bigint, last_sender_id chat.user_id, last_preview text, last_sent_at timestamp with time zone, unread_count bigint, unread boolean, muted boolean, member_count integer, cursor text, extra jsonb)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    RETURN QUERY SELECT * FROM chat_internal.inbox(chat._act($1), $2, $3, $4);
END
$$;

CREATE FUNCTION chat.messages(thread_id bigint, viewer chat.user_id DEFAULT chat.current_user_id(), before bigint DEFAULT NULL, after bigint DEFAULT NULL, page_size integer DEFAULT 50)
    RETURNS TABLE(id bigint, sender_id chat.user_id, kind text, content text, sent_at timestamp with time zone, edited boolean, deleted boolean, parent_id bigint, forwarded_from bigint, reactions jsonb, attachments jsonb, seen_count bigint, extra jsonb)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    RETURN QUERY SELECT * FROM chat_internal.messages($1, chat._act($2), $3, $4, $5);
END
$$;

CREATE FUNCTION chat.create_group(creator chat.user_id DEFAULT chat.current_user_id(), title text DEFAULT NULL::text, members chat.user_id[] DEFAULT '{}'::chat.user_id[], is_public boolean DEFAULT false, extra jsonb DEFAULT NULL::jsonb)
    RETURNS bigint
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    RETURN chat_internal.create_group(chat._act($1), $2, $3, $4, $5);
END
$$;

CREATE FUNCTION chat.create_channel(creator chat.user_id DEFAULT chat.current_user_id(), title text DEFAULT NULL::text, members chat.user_id[] DEFAULT '{}'::chat.user_id[], is_public boolean DEFAULT false, extra jsonb DEFAULT NULL::jsonb)
    RETURNS bigint
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    RETURN chat_internal.create_channel(chat._act($1), $2, $3, $4, $5);
END
$$;

CREATE FUNCTION chat.direct_thread(user_a chat.user_id DEFAULT chat.current_user_id(), user_b chat.user_id DEFAULT NULL)
    RETURNS bigint
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    RETURN chat_internal.direct_thread(chat._act($1), $2);
END
$$;

CREATE FUNCTION chat.object_thread(object_type text, object_id text, creator chat.user_id DEFAULT chat.current_user_id(), title text DEFAULT NULL::text, kind text DEFAULT 'group'::text, is_public boolean DEFAULT true)
    RETURNS bigint
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    t bigint := chat_internal.object_thread($1, $2, chat._act($3), $4, $5, $6);
BEGIN
    -- get-or-create: an end user gets an existing private room only as its member
    IF NOT chat.is_server_role()
       AND NOT EXISTS (SELECT 1 FROM chat.thread th WHERE th.id = t AND th.is_public)
       AND NOT EXISTS (SELECT 1 FROM chat.member m WHERE m.thread_id = t AND m.user_id = $3) THEN
        RAISE EXCEPTION 'user "%" is not a member of the room of % "%"', $3, $1, $2
            USING ERRCODE = '42501';
    END IF;
    RETURN t;
END
$$;

CREATE FUNCTION chat.add_members(thread_id bigint, actor chat.user_id DEFAULT chat.current_user_id(), users chat.user_id[] DEFAULT NULL::chat.user_id[], role text DEFAULT 'member'::text)
    RETURNS integer
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    held text[] := chat._held($1, chat._act($2));
    newcomers chat.user_id[] := ARRAY(SELECT u FROM unnest($3) u
                                       WHERE NOT EXISTS (SELECT 1 FROM chat.member m
                                                          WHERE m.thread_id = $1 AND m.user_id = u));
    added integer := chat_internal.add_members($1, $2, $3, $4);
BEGIN
    PERFORM chat._within($1, held, newcomers);
    RETURN added;
END
$$;

CREATE FUNCTION chat.leave_thread(thread_id bigint, "user" chat.user_id DEFAULT chat.current_user_id())
    RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    PERFORM chat_internal.leave_thread($1, chat._act($2));
END
$$;

CREATE FUNCTION chat.remove_member(thread_id bigint, actor chat.user_id DEFAULT chat.current_user_id(), member chat.user_id DEFAULT NULL)
    RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    PERFORM chat_internal.remove_member($1, chat._act($2), $3);
END
$$;

CREATE FUNCTION chat.join_thread(thread_id bigint, "user" chat.user_id DEFAULT chat.current_user_id())
    RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    PERFORM chat_internal.join_thread($1, chat._act($2));
END
$$;

CREATE FUNCTION chat.can_join(thread_id bigint, "user" chat.user_id DEFAULT chat.current_user_id())
    RETURNS boolean
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    RETURN chat_internal.can_join($1, chat._act($2));
END
$$;

CREATE FUNCTION chat.can_leave(thread_id bigint, "user" chat.user_id DEFAULT chat.current_user_id())
    RETURNS boolean
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    RETURN chat_internal.can_leave($1, chat._act($2));
END
$$;

CREATE FUNCTION chat.set_role(thread_id bigint, actor chat.user_id DEFAULT chat.current_user_id(), member chat.user_id DEFAULT NULL, role text DEFAULT NULL::text)
    RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    held text[] := chat._held($1, chat._act($2));
BEGIN
    PERFORM chat_internal.set_role($1, $2, $3, $4);
    PERFORM chat._within($1, held, ARRAY[$3]);
END
$$;

CREATE FUNCTION chat."grant"(thread_id bigint, actor chat.user_id DEFAULT chat.current_user_id(), member chat.user_id DEFAULT NULL, permission text DEFAULT NULL::text)
    RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    PERFORM chat_internal."grant"($1, chat._act($2), $3, $4);
END
$$;

CREATE FUNCTION chat.revoke(thread_id bigint, actor chat.user_id DEFAULT chat.current_user_id(), member chat.user_id DEFAULT NULL, permission text DEFAULT NULL::text)
    RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    PERFORM chat_internal.revoke($1, chat._act($2), $3, $4);
END
$$;

CREATE FUNCTION chat.has_permission(thread_id bigint, "user" chat.user_id DEFAULT chat.current_user_id(), permission text DEFAULT NULL::text)
    RETURNS boolean
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    RETURN chat_internal.has_permission($1, chat._act($2), $3);
END
$$;

CREATE FUNCTION chat.mute(thread_id bigint, "user" chat.user_id DEFAULT chat.current_user_id(), muted boolean DEFAULT true)
    RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    PERFORM chat_internal.mute($1, chat._act($2), $3);
END
$$;

CREATE FUNCTION chat.rename_thread(thread_id bigint, actor chat.user_id DEFAULT chat.current_user_id(), title text DEFAULT NULL::text)
    RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    PERFORM chat_internal.rename_thread($1, chat._act($2), $3);
END
$$;

CREATE FUNCTION chat.drop_thread(thread_id bigint, actor chat.user_id DEFAULT chat.current_user_id())
    RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    PERFORM chat_internal.drop_thread($1, chat._act($2));
END
$$;

CREATE FUNCTION chat.members(thread_id bigint, viewer chat.user_id DEFAULT chat.current_user_id())
    RETURNS TABLE(user_id chat.user_id, role text, joined_at timestamp with time zone, muted boolean, permissions text[], extra jsonb)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    RETURN QUERY SELECT * FROM chat_internal.members($1, chat._act($2));
END
$$;

CREATE FUNCTION chat.receipts(message_id bigint, viewer chat.user_id DEFAULT chat.current_user_id())
    RETURNS TABLE(user_id chat.user_id, status text, at timestamp with time zone)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    RETURN QUERY SELECT * FROM chat_internal.receipts($1, chat._act($2));
END
$$;

CREATE FUNCTION chat.add_reaction(message_id bigint, "user" chat.user_id DEFAULT chat.current_user_id(), reaction text DEFAULT NULL::text)
    RETURNS boolean
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    RETURN chat_internal.add_reaction($1, chat._act($2), $3);
END
$$;

CREATE FUNCTION chat.remove_reaction(message_id bigint, "user" chat.user_id DEFAULT chat.current_user_id(), reaction text DEFAULT NULL::text)
    RETURNS boolean
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    RETURN chat_internal.remove_reaction($1, chat._act($2), $3);
END
$$;

CREATE FUNCTION chat.toggle_reaction(message_id bigint, "user" chat.user_id DEFAULT chat.current_user_id(), reaction text DEFAULT NULL::text)
    RETURNS boolean
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    RETURN chat_internal.toggle_reaction($1, chat._act($2), $3);
END
$$;

CREATE FUNCTION chat.reactions(message_id bigint, viewer chat.user_id DEFAULT chat.current_user_id())
    RETURNS TABLE(reaction text, count bigint, users chat.user_id[], reacted_by_viewer boolean)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    RETURN QUERY SELECT * FROM chat_internal.reactions($1, chat._act($2));
END
$$;

CREATE FUNCTION chat.forward_message(message_id bigint, to_thread_id bigint, actor chat.user_id DEFAULT chat.current_user_id(), comment text DEFAULT NULL::text)
    RETURNS bigint
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    RETURN chat_internal.forward_message($1, $2, chat._act($3), $4);
END
$$;


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

/* The public names keep the descriptions of 0.3; the bodies say what they are. */
DO $$
DECLARE
    f record;
BEGIN
    FOR f IN
        SELECT pub.oid AS pub, inner_fn.oid AS inner_fn, obj_description(inner_fn.oid, 'pg_proc') AS description
          FROM pg_proc pub
          JOIN pg_proc inner_fn ON inner_fn.pronamespace = 'chat_internal'::regnamespace
                               AND inner_fn.proname = pub.proname
                               AND inner_fn.proargtypes = pub.proargtypes
         WHERE pub.pronamespace = 'chat'::regnamespace AND pub.prosecdef
    LOOP
        EXECUTE format('COMMENT ON FUNCTION %s IS %L', f.pub::regprocedure, f.description);
        EXECUTE format('COMMENT ON FUNCTION %s IS %L', f.inner_fn::regprocedure,
                       format('Internal: the body of %s, called once the caller is checked',
                              f.pub::regprocedure));
    END LOOP;
END
$$;

/* ------------------------------------------------------------------------
 * Row-level security
 *
 * End users read chat's tables directly only where they belong: the rows of
 * threads they are members of (and public threads' own rows).  Only SELECT
 * has policies, so a direct INSERT is refused (42501) and UPDATE or DELETE
 * match nothing, even for a role an administrator granted them to.  chat's
 * functions run as the table owner, whom row-level security does not apply
 * to; server roles see every row.
 *
 * Identity is an InitPlan, computed once per statement; membership is a
 * lookup of chat.member's primary key (thread_id, user_id) per row, and
 * chat.member itself uses chat._my_threads(), computed once per statement.
 * ------------------------------------------------------------------------ */

/* The threads the session's user belongs to (for chat.member's policy). */
CREATE FUNCTION chat._my_threads() RETURNS SETOF bigint
    LANGUAGE sql STABLE SECURITY DEFINER ROWS 100
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT m.thread_id FROM chat.member m
     WHERE m.user_id = chat.current_user_id() AND NOT m.large
    UNION ALL
    SELECT m.thread_id FROM chat.member m
     WHERE m.user_id = chat.current_user_id() AND m.large
$$;
COMMENT ON FUNCTION chat._my_threads() IS
    'The threads chat.current_user_id() is a member of; used by row-level security, safe for anyone';

ALTER TABLE chat.member ENABLE ROW LEVEL SECURITY;
CREATE POLICY member_read ON chat.member FOR SELECT
    USING ((SELECT chat.is_server_role())
           OR user_id = (SELECT chat.current_user_id())
           OR thread_id IN (SELECT chat._my_threads()));

ALTER TABLE chat.thread ENABLE ROW LEVEL SECURITY;
CREATE POLICY thread_read ON chat.thread FOR SELECT
    USING ((SELECT chat.is_server_role())
           OR EXISTS (SELECT 1 FROM chat.member m
                       WHERE m.thread_id = thread.id
                         AND m.user_id = (SELECT chat.current_user_id())));

/*
 * Public threads' metadata for everyone, without what only members read
 * (the last message's preview, sender and time).  The view reads as its
 * owner; security_barrier keeps a caller's functions from seeing the rows
 * it filters out.
 */
CREATE VIEW chat.public_thread WITH (security_barrier = true) AS
SELECT t.id, t.kind, t.subject, t.created_by, t.created_at, t.object_type, t.object_id,
       t.member_count
  FROM chat.thread t
 WHERE t.is_public;
COMMENT ON VIEW chat.public_thread IS
    'Public threads (listed and joinable by anyone): their metadata, readable by every role';

/* A deleted message's row stays for its sender only: its content is kept. */
ALTER TABLE chat.message ENABLE ROW LEVEL SECURITY;
CREATE POLICY message_read ON chat.message FOR SELECT
    USING ((SELECT chat.is_server_role())
           OR (EXISTS (SELECT 1 FROM chat.member m
                        WHERE m.thread_id = message.thread_id
                          AND m.user_id = (SELECT chat.current_user_id()))
               AND (deleted_at IS NULL OR sender_id = (SELECT chat.current_user_id()))));

/* What belongs to a message is seen with the message. */
ALTER TABLE chat.message_edit ENABLE ROW LEVEL SECURITY;
CREATE POLICY message_edit_read ON chat.message_edit FOR SELECT
    USING ((SELECT chat.is_server_role())
           OR EXISTS (SELECT 1 FROM chat.message mg
                       WHERE mg.thread_id = message_edit.thread_id AND mg.id = message_edit.message_id));

ALTER TABLE chat.reaction ENABLE ROW LEVEL SECURITY;
CREATE POLICY reaction_read ON chat.reaction FOR SELECT
    USING ((SELECT chat.is_server_role())
           OR EXISTS (SELECT 1 FROM chat.message mg
                       WHERE mg.thread_id = reaction.thread_id AND mg.id = reaction.message_id));

ALTER TABLE chat.attachment ENABLE ROW LEVEL SECURITY;
CREATE POLICY attachment_read ON chat.attachment FOR SELECT
    USING ((SELECT chat.is_server_role())
           OR EXISTS (SELECT 1 FROM chat.message mg
                       WHERE mg.thread_id = attachment.thread_id AND mg.id = attachment.message_id));

/* Configuration is readable by all and written only through chat's functions. */
ALTER TABLE chat.setting ENABLE ROW LEVEL SECURITY;
CREATE POLICY setting_read ON chat.setting FOR SELECT USING (true);
ALTER TABLE chat.setting_default ENABLE ROW LEVEL SECURITY;
CREATE POLICY setting_default_read ON chat.setting_default FOR SELECT USING (true);
ALTER TABLE chat.permission_default ENABLE ROW LEVEL SECURITY;
CREATE POLICY permission_default_read ON chat.permission_default FOR SELECT USING (true);
ALTER TABLE chat.hook ENABLE ROW LEVEL SECURITY;
CREATE POLICY hook_read ON chat.hook FOR SELECT USING (true);
ALTER TABLE chat.model ENABLE ROW LEVEL SECURITY;
CREATE POLICY model_read ON chat.model FOR SELECT USING (true);
ALTER TABLE chat.user_binding ENABLE ROW LEVEL SECURITY;
CREATE POLICY user_binding_read ON chat.user_binding FOR SELECT USING (true);

/* A role sees its own mapping; server roles see them all. */
ALTER TABLE chat.role_map ENABLE ROW LEVEL SECURITY;
CREATE POLICY role_map_read ON chat.role_map FOR SELECT
    USING ((SELECT chat.is_server_role()) OR pg_has_role(role, 'MEMBER'));

/*
 * The planner's statistics of a column show its common values to anyone
 * whose query uses the column, row-level security or not: keep none of the
 * texts users write (chat never filters on them).
 */
ALTER TABLE chat.message ALTER COLUMN content SET STATISTICS 0;
ALTER TABLE chat.message_edit ALTER COLUMN content SET STATISTICS 0;
ALTER TABLE chat.thread ALTER COLUMN subject SET STATISTICS 0;
ALTER TABLE chat.thread ALTER COLUMN last_preview SET STATISTICS 0;
ALTER TABLE chat.attachment ALTER COLUMN key SET STATISTICS 0;
ALTER TABLE chat.attachment ALTER COLUMN name SET STATISTICS 0;
ALTER TABLE chat.attachment ALTER COLUMN meta SET STATISTICS 0;
ALTER TABLE chat.reaction ALTER COLUMN reaction SET STATISTICS 0;

/* Views read as the querying role, so the policies above apply to them. */
ALTER VIEW chat.member_view SET (security_invoker = true);
ALTER VIEW chat.message_view SET (security_invoker = true);
ALTER VIEW chat.message_receipt SET (security_invoker = true);
ALTER VIEW chat.settings SET (security_invoker = true);

/* ------------------------------------------------------------------------
 * Privileges out of the box
 *
 * Every role may use chat: the public functions check identity themselves,
 * the tables and views are readable under the policies above.  Internal
 * functions (a leading underscore) are not executable by PUBLIC, except the
 * few the policies and checks call, which are safe for anyone.  Sequences get
 * nothing: never grant TRUNCATE, TRIGGER, REFERENCES or sequence UPDATE on
 * chat's objects to end users (row-level security does not guard them).
 * ------------------------------------------------------------------------ */

GRANT USAGE ON SCHEMA chat TO PUBLIC;

GRANT SELECT ON chat.thread, chat.member, chat.message, chat.message_edit, chat.reaction,
    chat.attachment, chat.setting, chat.setting_default, chat.permission_default, chat.hook,
    chat.model, chat.user_binding, chat.role_map,
    chat.member_view, chat.message_view, chat.message_receipt, chat.settings, chat.public_thread
    TO PUBLIC;

DO $$
DECLARE
    f regprocedure;
BEGIN
    FOR f IN
        SELECT p.oid::regprocedure FROM pg_proc p
         WHERE p.pronamespace = 'chat_internal'::regnamespace
            OR (p.pronamespace = 'chat'::regnamespace AND p.proname LIKE '\_%')
    LOOP
        EXECUTE format('REVOKE EXECUTE ON FUNCTION %s FROM PUBLIC', f);
    END LOOP;
END
$$;

GRANT EXECUTE ON FUNCTION chat._my_threads() TO PUBLIC;

