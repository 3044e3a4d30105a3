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

