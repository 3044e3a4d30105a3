/*
 * chat 0.6 -> 0.7: applications in the real world (Django, Node, PostgREST).
 *
 * - Deleting users of a bound users table works for any role allowed to
 *   delete them: the triggers the cascades reach run with the definer's
 *   rights; chat.thread's keys to the users table are checked at commit, so
 *   a thread created earlier in the same transaction does not fail the
 *   delete (on_delete "anonymize").
 * - A display-name function that fails gives NULL names instead of failing
 *   the call (src/events.c); chat.user_id and JWT claims naming two users
 *   are refused (src/identity.c).
 * - use_user_table accepts an id column PostgreSQL can compare with chat's
 *   ids (integer with bigint).
 * - chat.reactions() returns its users as chat.user_ids, a domain over the
 *   base type's array, which drivers decode.
 * - Refusals carry a reason in the CONSTRAINT field, argument errors the
 *   argument in the COLUMN field; a caller with no acting user is told so.
 * - Registrations are checked when made: a function given by OID must
 *   exist, a hook must not return a set; text settings are measured in
 *   bytes (NOTIFY's limit); object keys must not be blank; an empty JWT
 *   "sub" is no user; max_members is 10,000 by default.
 */

\echo Use "ALTER EXTENSION chat UPDATE TO '0.7'" to load this file. \quit

/* Lists of user ids in results (sql/src/schema/types.sql). */
DO $$
BEGIN
    EXECUTE pg_catalog.format('CREATE DOMAIN chat.user_ids AS %s[]',
                              (SELECT pg_catalog.format_type(t.typbasetype, NULL) FROM pg_catalog.pg_type t
                                WHERE t.oid = 'chat.user_id'::pg_catalog.regtype));
END
$$;
COMMENT ON DOMAIN chat.user_ids IS
    'A list of user ids as returned to clients: an array of chat.user_id''s base type';

/* Functions whose result type changes are dropped and created again. */
DROP FUNCTION chat._user_fkeys(text);
DROP FUNCTION chat.reactions(bigint,chat.user_id);

/* ---- sql/src/api/edit.sql ---- */

CREATE OR REPLACE FUNCTION chat.delete_message(message_id bigint, actor chat.user_id DEFAULT chat.current_user_id())
    RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    m chat.message;
    who chat.member;
BEGIN
    PERFORM chat._act(actor);
    PERFORM chat._not_null(message_id, 'message_id');
    PERFORM chat._not_null(actor, 'actor');
    m := chat._message_row(message_id);
    who := chat._member_row(m.thread_id, actor);
    IF m.sender_id IS NOT DISTINCT FROM actor THEN
        IF NOT ('delete_own_messages' = ANY (who.permissions)) THEN
            RAISE EXCEPTION 'permission denied to delete message %', message_id
                USING ERRCODE = '42501', CONSTRAINT = 'missing_permission', DETAIL = 'The permission "delete_own_messages" was revoked.';
        END IF;
    ELSIF NOT ('delete_messages' = ANY (who.permissions)) THEN
        RAISE EXCEPTION 'permission denied to delete message %', message_id
            USING ERRCODE = '42501', CONSTRAINT = 'missing_permission',
                  DETAIL = 'Only its sender or a member with the permission "delete_messages" (owners and admins) may delete a message.';
    END IF;
    UPDATE chat.message mg SET deleted_at = clock_timestamp()
     WHERE mg.thread_id = m.thread_id AND mg.id = m.id AND mg.deleted_at IS NULL;
    IF FOUND THEN
        PERFORM chat._emit('message_deleted', m.thread_id, m.id, actor);
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION chat.edit_message(message_id bigint,
                                             editor chat.user_id DEFAULT chat.current_user_id(),
                                             content text DEFAULT NULL)
    RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    m chat.message;
    who chat.member;
BEGIN
    PERFORM chat._act(editor);
    PERFORM chat._not_null(message_id, 'message_id');
    PERFORM chat._not_null(editor, 'editor');
    PERFORM chat._check_content(content);
    m := chat._message_row(message_id);
    who := chat._member_row(m.thread_id, editor);
    IF m.kind = 'system' THEN
        RAISE EXCEPTION 'cannot edit system message %', message_id USING ERRCODE = '55000';
    END IF;
    IF m.sender_id IS NOT DISTINCT FROM editor THEN
        IF NOT ('edit_own_messages' = ANY (who.permissions)) THEN
            RAISE EXCEPTION 'permission denied to edit message %', message_id
                USING ERRCODE = '42501', CONSTRAINT = 'missing_permission', DETAIL = 'The permission "edit_own_messages" was revoked.';
        END IF;
    ELSIF NOT ('edit_messages' = ANY (who.permissions)) THEN
        RAISE EXCEPTION 'permission denied to edit message %', message_id
            USING ERRCODE = '42501', CONSTRAINT = 'missing_permission', DETAIL = 'Only its sender may edit a message, or a member with the permission "edit_messages".';
    END IF;
    UPDATE chat.message mg SET content = edit_message.content
     WHERE mg.thread_id = m.thread_id AND mg.id = m.id AND mg.deleted_at IS NULL;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'cannot edit deleted message %', message_id USING ERRCODE = '55000';
    END IF;
    PERFORM chat._emit('message_edited', m.thread_id, m.id, editor);
    RETURN m.id;
END
$$;

/* ---- sql/src/api/hooks.sql ---- */

CREATE OR REPLACE FUNCTION chat.add_hook(event text, fn regprocedure, pos integer DEFAULT NULL)
    RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    p pg_proc;
BEGIN
    PERFORM chat._require_server('register hooks');
    PERFORM chat._require_execute(fn);
    PERFORM chat._check_event(event);
    IF fn IS NULL THEN
        RAISE EXCEPTION 'argument "fn" must not be null' USING ERRCODE = '22004', COLUMN = 'fn';
    END IF;
    p := chat._function_row(fn, 'fn');
    IF p.pronargs <> 1 OR p.proargtypes[0] <> 'jsonb'::regtype OR p.prokind <> 'f'
       OR p.prorettype = 'trigger'::regtype OR p.proretset THEN
        RAISE EXCEPTION 'function % cannot be a hook', fn
            USING ERRCODE = '42883', COLUMN = 'fn',
                  DETAIL = 'A hook is a function taking one argument of type jsonb and returning one value (or void).',
                  HINT = 'CREATE FUNCTION my_hook(event jsonb) RETURNS void ...';
    END IF;
    IF pos IS NOT NULL AND EXISTS (SELECT 1 FROM chat.hook h
                                    WHERE h.event = add_hook.event AND h.position = pos
                                      AND h.function <> fn) THEN
        RAISE EXCEPTION 'position % of event "%" is taken', pos, event
            USING ERRCODE = '23505', HINT = 'SELECT * FROM chat.hook shows the hooks and their positions.';
    END IF;
    IF EXISTS (SELECT 1 FROM chat.hook h WHERE h.event = add_hook.event AND h.function = fn) THEN
        IF pos IS NOT NULL THEN
            UPDATE chat.hook h SET position = pos
             WHERE h.event = add_hook.event AND h.function = fn;
        END IF;
        RETURN false;
    END IF;
    INSERT INTO chat.hook (event, function, position)
    VALUES (event, fn, coalesce(pos, (SELECT coalesce(max(h.position), 0) + 1
                                            FROM chat.hook h WHERE h.event = add_hook.event)));
    RETURN true;
END
$$;

CREATE OR REPLACE FUNCTION chat.remove_hook(event text, fn regprocedure) RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    PERFORM chat._require_server('remove hooks');
    PERFORM chat._check_event(event);
    IF fn IS NULL THEN
        RAISE EXCEPTION 'argument "fn" must not be null' USING ERRCODE = '22004', COLUMN = 'fn';
    END IF;
    DELETE FROM chat.hook h WHERE h.event = remove_hook.event AND h.function = fn;
    RETURN FOUND;
END
$$;

/* ---- sql/src/api/membership.sql ---- */

CREATE OR REPLACE FUNCTION chat.add_members(thread_id bigint,
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
        PERFORM chat._system_message(t.id, actor,
            format('%s added %s', chat._label(actor),
                   (SELECT string_agg(chat._label(x), ', ' ORDER BY x) FROM unnest(added) AS x)));
        FOREACH u IN ARRAY added LOOP
            PERFORM chat._emit('member_added', t.id, NULL, u, jsonb_build_object('by', actor, 'role', r));
        END LOOP;
    END IF;
    RETURN cardinality(added);
END
$$;

CREATE OR REPLACE FUNCTION chat.join_thread(thread_id bigint, "user" chat.user_id DEFAULT chat.current_user_id())
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
    PERFORM chat._system_message(t.id, join_thread."user", format('%s joined', chat._label(join_thread."user")));
    PERFORM chat._emit('member_added', t.id, NULL, join_thread."user", jsonb_build_object('joined', true));
END
$$;

/* ---- sql/src/api/models.sql ---- */

CREATE OR REPLACE FUNCTION chat.swap_renderer(model text, fn regprocedure) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
#variable_conflict use_variable
DECLARE
    k record;
    p pg_proc;
BEGIN
    PERFORM chat._require_server('swap renderers');
    PERFORM chat._require_execute(fn);
    k := chat._model_key(model);
    PERFORM chat._check_model_admin();
    IF fn IS NULL THEN
        UPDATE chat.model md SET renderer = NULL WHERE md.model = swap_renderer.model AND md.tbl IS NOT NULL;
        DELETE FROM chat.model md WHERE md.model = swap_renderer.model AND md.tbl IS NULL;
        RETURN;
    END IF;
    p := chat._function_row(fn, 'fn');
    IF p.pronargs <> 1 OR p.proargtypes[0] <> 'jsonb'::regtype OR p.prorettype <> 'jsonb'::regtype
       OR p.proretset OR p.prokind <> 'f' THEN
        RAISE EXCEPTION 'function % cannot render model "%"', fn, model
            USING ERRCODE = '42883', COLUMN = 'fn',
                  DETAIL = 'A renderer takes one argument of type jsonb and returns jsonb.',
                  HINT = 'CREATE FUNCTION my_renderer(extra jsonb) RETURNS jsonb ...';
    END IF;
    INSERT INTO chat.model AS md (model, renderer) VALUES (model, fn)
        ON CONFLICT ON CONSTRAINT model_pkey DO UPDATE SET renderer = excluded.renderer;
END
$$;

/* ---- sql/src/api/permissions.sql ---- */

CREATE OR REPLACE FUNCTION chat.set_role(thread_id bigint,
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
END
$$;

/* ---- sql/src/api/reactions.sql ---- */

CREATE FUNCTION chat.reactions(message_id bigint, viewer chat.user_id DEFAULT chat.current_user_id())
    RETURNS TABLE (reaction text, count bigint, users chat.user_ids, reacted_by_viewer boolean)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
#variable_conflict use_column
DECLARE
    m chat.message;
BEGIN
    PERFORM chat._act(viewer);
    PERFORM chat._not_null(reactions.message_id, 'message_id');
    PERFORM chat._not_null(reactions.viewer, 'viewer');
    m := chat._message_row(reactions.message_id);
    PERFORM chat._member_row(m.thread_id, reactions.viewer);
    RETURN QUERY
    SELECT r.reaction, count(*), array_agg(r.user_id ORDER BY r.created_at, r.user_id)::chat.user_ids,
           bool_or(r.user_id = reactions.viewer)
      FROM chat.reaction r
     WHERE r.thread_id = m.thread_id AND r.message_id = m.id AND m.deleted_at IS NULL
     GROUP BY r.reaction
     ORDER BY min(r.created_at), r.reaction;
END
$$;
COMMENT ON FUNCTION chat.reactions(bigint, chat.user_id) IS
    'Reactions to a message for a member of its thread, by first use: each with its count, its users (oldest first) and whether the viewer is one; none for a deleted message';
REVOKE EXECUTE ON FUNCTION chat.reactions(bigint, chat.user_id) FROM PUBLIC;  -- as privileges.sql leaves it
GRANT EXECUTE ON FUNCTION chat.reactions(bigint, chat.user_id) TO PUBLIC;

/* ---- sql/src/api/read.sql ---- */

CREATE OR REPLACE FUNCTION chat.inbox(viewer chat.user_id DEFAULT chat.current_user_id(),
                           folder text DEFAULT 'inbox',
                           before text DEFAULT NULL,
                           page_size integer DEFAULT 50)
    RETURNS TABLE (thread_id bigint, kind text, subject text,
                   last_message_id bigint, last_sender_id chat.user_id,
                   last_preview text, last_sent_at timestamptz,
                   unread_count bigint, unread boolean, muted boolean,
                   member_count integer, cursor text, extra jsonb)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    /* custom plans for the first calls of a session join all large threads */
    SET plan_cache_mode = force_generic_plan
    AS $$
#variable_conflict use_column
DECLARE
    v chat.user_id;
    f text;
    n integer;
    c_act bigint;
    c_tid bigint;
    parts text[];
BEGIN
    PERFORM chat._act(viewer);
    v := inbox.viewer;
    f := inbox.folder;
    n := inbox.page_size;
    c_act := 9223372036854775807;
    c_tid := 9223372036854775807;
    PERFORM chat._not_null(v, 'viewer');
    PERFORM chat._check_folder(f);
    PERFORM chat._check_page_size(n);
    IF inbox.before IS NOT NULL THEN
        parts := regexp_match(inbox.before, '^(\d{1,19}):(\d{1,19})$');
        IF parts IS NULL OR parts[1]::numeric > 9223372036854775807
           OR parts[2]::numeric > 9223372036854775807 THEN
            RAISE EXCEPTION 'invalid cursor "%"', inbox.before
                USING ERRCODE = '22023', COLUMN = 'before',
                      HINT = 'Pass the cursor column of the last row of the previous page.';
        END IF;
        c_act := parts[1]::bigint;
        c_tid := parts[2]::bigint;
    END IF;

    /*
     * Each arm is ordered and limited by itself: the small-thread arm is then
     * the first page_size entries of member_inbox_idx whatever the planner
     * estimates, and the large-thread arm sorts only the user's few large
     * threads.  The folder test is spelled out in both arms for that reason.
     */
    IF NOT EXISTS (SELECT 1 FROM chat.model md WHERE md.model = 'thread' AND md.tbl IS NOT NULL) THEN
        RETURN QUERY
        SELECT t.id, t.kind::text, t.subject, t.last_message_id, t.last_sender_id,
               t.last_preview, t.last_sent_at,
               t.message_count - mb.read_count, t.message_count > mb.read_count,
               mb.muted, t.member_count, p.activity || ':' || p.thread_id, NULL::jsonb
          FROM ((SELECT s.thread_id, s.activity
                   FROM (SELECT mb.thread_id, mb.activity_id AS activity,
                                mb.hidden_id IS NULL OR mb.hidden_id < mb.activity_id AS visible,
                                mb.archived, mb.message_count - mb.read_count AS unread
                           FROM chat.member mb
                          WHERE mb.user_id = v AND NOT mb.large
                            AND (mb.activity_id, mb.thread_id) < (c_act, c_tid)) s
                  WHERE CASE f
                          WHEN 'inbox' THEN s.visible AND NOT s.archived
                          WHEN 'unread' THEN s.visible AND NOT s.archived AND s.unread > 0
                          WHEN 'deleted' THEN NOT s.visible
                          WHEN 'archived' THEN s.visible AND s.archived
                          ELSE EXISTS (SELECT 1 FROM chat.thread st
                                        WHERE st.id = s.thread_id AND st.created_by = v)
                        END
                  ORDER BY s.activity DESC, s.thread_id DESC
                  LIMIT n)
                UNION ALL
                (SELECT s.thread_id, s.activity
                   FROM (SELECT mb.thread_id, coalesce(lt.last_message_id, 0) AS activity,
                                mb.hidden_id IS NULL OR mb.hidden_id < coalesce(lt.last_message_id, 0) AS visible,
                                mb.archived, lt.message_count - mb.read_count AS unread,
                                lt.created_by
                           FROM chat.member mb
                           JOIN chat.thread lt ON lt.id = mb.thread_id
                          WHERE mb.user_id = v AND mb.large) s
                  WHERE (s.activity, s.thread_id) < (c_act, c_tid)
                    AND CASE f
                          WHEN 'inbox' THEN s.visible AND NOT s.archived
                          WHEN 'unread' THEN s.visible AND NOT s.archived AND s.unread > 0
                          WHEN 'deleted' THEN NOT s.visible
                          WHEN 'archived' THEN s.visible AND s.archived
                          ELSE s.created_by = v
                        END
                  ORDER BY s.activity DESC, s.thread_id DESC
                  LIMIT n)
                ORDER BY 2 DESC, 1 DESC
                LIMIT n) p
          JOIN chat.thread t ON t.id = p.thread_id
          JOIN chat.member mb ON mb.thread_id = p.thread_id AND mb.user_id = v
         ORDER BY p.activity DESC, p.thread_id DESC;
        RETURN;
    END IF;

    /* the same page, rendered by one call of chat._extras */
    RETURN QUERY
    WITH p AS (
        (SELECT s.thread_id, s.activity
           FROM (SELECT mb.thread_id, mb.activity_id AS activity,
                        mb.hidden_id IS NULL OR mb.hidden_id < mb.activity_id AS visible,
                        mb.archived, mb.message_count - mb.read_count AS unread
                   FROM chat.member mb
                  WHERE mb.user_id = v AND NOT mb.large
                    AND (mb.activity_id, mb.thread_id) < (c_act, c_tid)) s
          WHERE CASE f
                  WHEN 'inbox' THEN s.visible AND NOT s.archived
                  WHEN 'unread' THEN s.visible AND NOT s.archived AND s.unread > 0
                  WHEN 'deleted' THEN NOT s.visible
                  WHEN 'archived' THEN s.visible AND s.archived
                  ELSE EXISTS (SELECT 1 FROM chat.thread st
                                WHERE st.id = s.thread_id AND st.created_by = v)
                END
          ORDER BY s.activity DESC, s.thread_id DESC
          LIMIT n)
        UNION ALL
        (SELECT s.thread_id, s.activity
           FROM (SELECT mb.thread_id, coalesce(lt.last_message_id, 0) AS activity,
                        mb.hidden_id IS NULL OR mb.hidden_id < coalesce(lt.last_message_id, 0) AS visible,
                        mb.archived, lt.message_count - mb.read_count AS unread,
                        lt.created_by
                   FROM chat.member mb
                   JOIN chat.thread lt ON lt.id = mb.thread_id
                  WHERE mb.user_id = v AND mb.large) s
          WHERE (s.activity, s.thread_id) < (c_act, c_tid)
            AND CASE f
                  WHEN 'inbox' THEN s.visible AND NOT s.archived
                  WHEN 'unread' THEN s.visible AND NOT s.archived AND s.unread > 0
                  WHEN 'deleted' THEN NOT s.visible
                  WHEN 'archived' THEN s.visible AND s.archived
                  ELSE s.created_by = v
                END
          ORDER BY s.activity DESC, s.thread_id DESC
          LIMIT n)
        ORDER BY 2 DESC, 1 DESC
        LIMIT n)
    SELECT t.id, t.kind::text, t.subject, t.last_message_id, t.last_sender_id,
           t.last_preview, t.last_sent_at,
           t.message_count - mb.read_count, t.message_count > mb.read_count,
           mb.muted, t.member_count, p.activity || ':' || p.thread_id,
           (SELECT chat._extras('thread', array_agg(pe.thread_id)) FROM p pe) -> p.thread_id::text
      FROM p
      JOIN chat.thread t ON t.id = p.thread_id
      JOIN chat.member mb ON mb.thread_id = p.thread_id AND mb.user_id = v
     ORDER BY p.activity DESC, p.thread_id DESC;
END
$$;

/* ---- sql/src/api/read_state.sql ---- */

CREATE OR REPLACE FUNCTION chat.mark_delivered(reader chat.user_id DEFAULT chat.current_user_id(),
                                               thread_id bigint DEFAULT NULL,
                                               up_to bigint DEFAULT NULL)
    RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    tid bigint;
    target bigint;
    moved bigint;
BEGIN
    PERFORM chat._act(reader);
    tid := mark_delivered.thread_id;
    PERFORM chat._not_null(reader, 'reader');
    IF tid IS NULL THEN
        IF up_to IS NOT NULL THEN
            RAISE EXCEPTION 'up_to needs a thread_id' USING ERRCODE = '22023', COLUMN = 'thread_id';
        END IF;
        /* thread rows first, in id order, as everywhere: see chat._member_row */
        PERFORM FROM chat.thread t JOIN chat.member mb ON mb.thread_id = t.id
          WHERE mb.user_id = reader AND t.last_message_id > mb.delivered_id
          ORDER BY t.id
          FOR SHARE OF t;
        UPDATE chat.member mb
           SET delivered_id = t.last_message_id, delivered_at = clock_timestamp()
          FROM chat.thread t
         WHERE mb.user_id = reader AND t.id = mb.thread_id
           AND t.last_message_id > mb.delivered_id;
        GET DIAGNOSTICS moved = ROW_COUNT;
        RETURN moved;
    END IF;

    PERFORM chat._member_row(tid, reader, true);
    IF up_to IS NULL THEN
        SELECT coalesce(t.last_message_id, 0) INTO target FROM chat.thread t WHERE t.id = tid;
    ELSE
        target := (chat._message_in(tid, up_to)).id;
    END IF;
    UPDATE chat.member mb
       SET delivered_id = target, delivered_at = clock_timestamp()
     WHERE mb.thread_id = tid AND mb.user_id = reader AND mb.delivered_id < target;
    GET DIAGNOSTICS moved = ROW_COUNT;
    RETURN moved;
END
$$;

/* ---- sql/src/api/rooms.sql ---- */

CREATE OR REPLACE FUNCTION chat.direct_thread(user_a chat.user_id DEFAULT chat.current_user_id(),
                                   user_b chat.user_id DEFAULT NULL)
    RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    lo chat.user_id;
    hi chat.user_id;
    t chat.thread;
BEGIN
    PERFORM chat._act(user_a);
    lo := least(user_a, user_b);
    hi := greatest(user_a, user_b);
    PERFORM chat._not_null(user_a, 'user_a');
    PERFORM chat._not_null(user_b, 'user_b');
    IF user_a = user_b THEN
        RAISE EXCEPTION 'a direct thread needs two different users' USING ERRCODE = '22023', COLUMN = 'user_b',
            HINT = 'Send a note to yourself with chat.new_message(sender, ARRAY[sender], ...).';
    END IF;
    /* race-free: a concurrent creator of the same pair makes this wait, then find its row */
    INSERT INTO chat.thread AS th (kind, created_by, direct_low, direct_high)
    VALUES ('direct', user_a, lo, hi)
    ON CONFLICT (direct_low, direct_high) WHERE kind = 'direct' DO NOTHING
    RETURNING th.* INTO t;
    IF t.id IS NULL THEN
        RETURN (SELECT th.id FROM chat.thread th
                 WHERE th.kind = 'direct' AND th.direct_low = lo AND th.direct_high = hi);
    END IF;
    PERFORM chat._fill_extra('thread', t.id, NULL, NULL, NULL);
    PERFORM chat._insert_members(t, ARRAY[lo, hi], 'member');
    PERFORM chat._emit('thread_created', t.id, NULL, user_a,
                       jsonb_build_object('kind', 'direct', 'member_count', 2));
    RETURN t.id;
END
$$;

CREATE OR REPLACE FUNCTION chat.object_thread(object_type text,
                                   object_id text,
                                   creator chat.user_id DEFAULT chat.current_user_id(),
                                   title text DEFAULT NULL,
                                   kind text DEFAULT 'group',
                                   is_public boolean DEFAULT true)
    RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    tid bigint;
BEGIN
    PERFORM chat._act(creator);
    PERFORM chat._not_null(object_thread.object_type, 'object_type');
    PERFORM chat._not_null(object_thread.object_id, 'object_id');
    IF chat._is_blank(object_thread.object_type) OR chat._is_blank(object_thread.object_id) THEN
        RAISE EXCEPTION 'an object''s type and id must not be blank'
            USING ERRCODE = '22023',
                  COLUMN = CASE WHEN chat._is_blank(object_thread.object_type) THEN 'object_type' ELSE 'object_id' END;
    END IF;
    PERFORM chat._not_null(creator, 'creator');
    PERFORM chat._not_null(object_thread.kind, 'kind');
    IF object_thread.kind NOT IN ('group', 'channel') THEN
        RAISE EXCEPTION 'an object''s room is a group or a channel, not "%"', object_thread.kind
            USING ERRCODE = '22023', COLUMN = 'kind';
    END IF;
    IF title IS NOT NULL THEN
        PERFORM chat._check_subject(title);
    END IF;
    SELECT th.id INTO tid FROM chat.thread th
     WHERE th.object_type = object_thread.object_type AND th.object_id = object_thread.object_id;
    IF NOT FOUND THEN
        BEGIN
            tid := chat._create_room(object_thread.kind::chat.thread_kind, creator, title, '{}',
                                     is_public, NULL, object_thread.object_type, object_thread.object_id);
        EXCEPTION WHEN unique_violation THEN
            /* created at the same time by another session: that one is the room */
            SELECT th.id INTO tid FROM chat.thread th
             WHERE th.object_type = object_thread.object_type AND th.object_id = object_thread.object_id;
            IF tid IS NULL THEN
                /* REPEATABLE READ or SERIALIZABLE: our snapshot cannot see it */
                RAISE EXCEPTION 'could not serialize access: the room of % "%" was created concurrently',
                                object_thread.object_type, object_thread.object_id
                    USING ERRCODE = '40001', HINT = 'Retry the transaction.';
            END IF;
        END;
    END IF;
    /* get-or-create: an end user gets an existing private room only as its member */
    IF NOT chat.is_server_role()
       AND NOT EXISTS (SELECT 1 FROM chat.thread th WHERE th.id = tid AND th.is_public)
       AND NOT EXISTS (SELECT 1 FROM chat.member m WHERE m.thread_id = tid AND m.user_id = creator) THEN
        RAISE EXCEPTION 'user "%" is not a member of the room of % "%"',
                        creator, object_thread.object_type, object_thread.object_id
            USING ERRCODE = '42501', CONSTRAINT = 'not_member';
    END IF;
    RETURN tid;
END
$$;

/* ---- sql/src/api/send.sql ---- */

CREATE OR REPLACE FUNCTION chat.new_message(sender chat.user_id DEFAULT chat.current_user_id(),
                                            recipients chat.user_id[] DEFAULT NULL,
                                            subject text DEFAULT NULL,
                                            content text DEFAULT NULL,
                                            attachments jsonb DEFAULT NULL,
                                            extra jsonb DEFAULT NULL)
    RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    tid bigint;
    mid bigint;
    alone boolean;
BEGIN
    PERFORM chat._act(sender);
    PERFORM chat._not_null(sender, 'sender');
    PERFORM chat._not_null(recipients, 'recipients');
    IF array_ndims(recipients) > 1 THEN
        RAISE EXCEPTION 'recipients must be a one-dimensional array' USING ERRCODE = '22023', COLUMN = 'recipients';
    END IF;
    IF cardinality(recipients) = 0 THEN
        RAISE EXCEPTION 'recipients must not be empty' USING ERRCODE = '22023', COLUMN = 'recipients',
            HINT = 'Give at least one user id; send to yourself with ARRAY[sender].';
    END IF;
    IF array_position(recipients, NULL) IS NOT NULL THEN
        RAISE EXCEPTION 'recipients must not contain null' USING ERRCODE = '22004', COLUMN = 'recipients';
    END IF;
    PERFORM chat._check_subject(subject);
    IF attachments IS NULL OR content IS NOT NULL THEN
        PERFORM chat._check_content(content);
    END IF;
    IF attachments IS NOT NULL THEN
        PERFORM chat._check_attachments(attachments);
    END IF;

    INSERT INTO chat.thread AS t (kind, subject, created_by)
    VALUES ('private', subject, sender)
    RETURNING t.id INTO tid;

    INSERT INTO chat.member (thread_id, user_id, role)
    SELECT tid, u, CASE WHEN u = sender THEN 'owner'::chat.member_role ELSE 'member' END
      FROM (SELECT DISTINCT u FROM unnest(recipients || sender) AS u) r
     ORDER BY u;

    INSERT INTO chat.message AS m (thread_id, sender_id, content)
    VALUES (tid, sender, content)
    RETURNING m.id INTO mid;

    IF attachments IS NOT NULL THEN
        PERFORM chat._add_attachments(tid, mid, attachments);
    END IF;

    alone := recipients <@ ARRAY[sender];
    IF NOT alone AND chat._setting_value('mark_new_thread_as_deleted')::boolean THEN
        UPDATE chat.member mb SET hidden_id = mid
         WHERE mb.thread_id = tid AND mb.user_id = sender;
    END IF;

    PERFORM chat._fill_extra('thread', tid, NULL, NULL, NULL);
    PERFORM chat._fill_extra('member', tid, NULL, u, NULL)
       FROM (SELECT DISTINCT u FROM unnest(recipients || sender) AS u) r;
    PERFORM chat._fill_extra('message', tid, mid, NULL, extra);

    PERFORM chat._emit('thread_created', tid, NULL, sender,
                       jsonb_build_object('kind', 'private',
                                          'member_count', (SELECT t.member_count FROM chat.thread t WHERE t.id = tid)));
    PERFORM chat._emit('message_sent', tid, mid, sender,
                       jsonb_build_object('reply', false, 'kind', 'text'));
    RETURN mid;
END
$$;

/* ---- sql/src/api/settings.sql ---- */

CREATE OR REPLACE FUNCTION chat.get_setting(key text) RETURNS jsonb
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF key IS NULL THEN
        RAISE EXCEPTION 'argument "key" must not be null' USING ERRCODE = '22004', COLUMN = 'key';
    END IF;
    RETURN chat._setting_value(key);
END
$$;

CREATE OR REPLACE FUNCTION chat.set_setting(key text, value jsonb) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
#variable_conflict use_variable
DECLARE
    d chat.setting_default;
    n numeric;
    lim integer;
    bad text;
BEGIN
    PERFORM chat._require_server('change settings');
    IF key IS NULL THEN
        RAISE EXCEPTION 'argument "key" must not be null' USING ERRCODE = '22004', COLUMN = 'key';
    END IF;
    SELECT * INTO d FROM chat.setting_default sd WHERE sd.key = set_setting.key;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown setting "%"', key
            USING ERRCODE = '22023', COLUMN = 'key',
                  HINT = 'SELECT key FROM chat.settings lists the settings.';
    END IF;

    IF value IS NULL OR value = 'null'::jsonb THEN
        DELETE FROM chat.setting s WHERE s.key = d.key;
        RETURN d.value;
    END IF;

    IF d.type = 'boolean' AND jsonb_typeof(value) <> 'boolean' THEN
        RAISE EXCEPTION 'invalid value for setting "%": %', key, value
            USING ERRCODE = '22023', COLUMN = 'value', DETAIL = 'The setting takes true or false.';
    ELSIF d.type = 'integer' THEN
        IF jsonb_typeof(value) <> 'number' OR value::numeric <> trunc(value::numeric) THEN
            RAISE EXCEPTION 'invalid value for setting "%": %', key, value
                USING ERRCODE = '22023', COLUMN = 'value', DETAIL = 'The setting takes a whole number.';
        END IF;
        n := value::numeric;
        IF n < d.min_value OR n > d.max_value THEN
            RAISE EXCEPTION 'value % is out of range for setting "%"', value, key
                USING ERRCODE = '22023', COLUMN = 'value',
                      DETAIL = format('The setting takes a number from %s to %s.', d.min_value, d.max_value);
        END IF;
    ELSIF d.type = 'text' THEN
        IF jsonb_typeof(value) <> 'string' THEN
            RAISE EXCEPTION 'invalid value for setting "%": %', key, value
                USING ERRCODE = '22023', COLUMN = 'value', DETAIL = 'The setting takes a string.';
        END IF;
        n := octet_length(value #>> '{}');
        IF n < d.min_value OR n > d.max_value THEN
            RAISE EXCEPTION 'value % is out of range for setting "%"', value, key
                USING ERRCODE = '22023', COLUMN = 'value',
                      DETAIL = format('The setting takes a string of %s to %s bytes.', d.min_value, d.max_value);
        END IF;
    ELSIF d.type = 'reactions' THEN
        IF jsonb_typeof(value) = 'string' AND value #>> '{}' IN ('any', 'emoji') THEN
            NULL;
        ELSIF jsonb_typeof(value) <> 'array' OR jsonb_array_length(value) NOT BETWEEN 1 AND 200
              OR EXISTS (SELECT 1 FROM jsonb_array_elements(value) e WHERE jsonb_typeof(e) <> 'string')
              OR (SELECT count(DISTINCT e) <> count(*) FROM jsonb_array_elements(value) e) THEN
            RAISE EXCEPTION 'invalid value for setting "%": %', key, value
                USING ERRCODE = '22023', COLUMN = 'value',
                      DETAIL = 'The setting takes "any", "emoji" or a JSON array of 1 to 200 distinct reactions.';
        ELSE
            lim := chat._setting_value('max_reaction_length')::integer;
            SELECT e INTO bad FROM jsonb_array_elements_text(value) e
             WHERE chat._is_blank(e) OR char_length(e) > lim LIMIT 1;
            IF FOUND THEN
                RAISE EXCEPTION 'invalid reaction "%" in setting "%"', bad, key
                    USING ERRCODE = '22023', COLUMN = 'value',
                          DETAIL = format('A reaction is not blank and has at most %s characters (the setting "max_reaction_length").', lim);
            END IF;
        END IF;
    ELSIF d.type = 'mime_types' THEN
        IF jsonb_typeof(value) <> 'array' OR jsonb_array_length(value) NOT BETWEEN 1 AND 200
           OR EXISTS (SELECT 1 FROM jsonb_array_elements(value) e WHERE jsonb_typeof(e) <> 'string') THEN
            RAISE EXCEPTION 'invalid value for setting "%": %', key, value
                USING ERRCODE = '22023', COLUMN = 'value',
                      DETAIL = 'The setting takes null or a JSON array of 1 to 200 MIME types such as "image/png" or "image/*".';
        END IF;
        SELECT e INTO bad FROM jsonb_array_elements_text(value) e
         WHERE e !~ '^([A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*/([A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*|\*)|\*/\*)$' LIMIT 1;
        IF FOUND THEN
            RAISE EXCEPTION 'invalid MIME type "%" in setting "%"', bad, key
                USING ERRCODE = '22023', COLUMN = 'value',
                      HINT = 'Give types as "type/subtype", "type/*" or "*/*".';
        END IF;
    ELSIF d.type = 'roles' THEN
        PERFORM chat._check_roles(key, value);
    END IF;

    INSERT INTO chat.setting AS s (key, value) VALUES (d.key, value)
        ON CONFLICT ON CONSTRAINT setting_pkey DO UPDATE SET value = excluded.value;
    RETURN value;
END
$$;

/* ---- sql/src/api/users.sql ---- */

CREATE OR REPLACE FUNCTION chat.use_user_table(tbl regclass,
                                    id_column name DEFAULT 'id',
                                    on_delete text DEFAULT 'cascade',
                                    display_name regprocedure DEFAULT NULL)
    RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
#variable_conflict use_variable
DECLARE
    base regtype;
    rel pg_class;
    att pg_attribute;
    coltype regtype;
    fn pg_proc;
    missing bigint;
    examples text;
    k record;
BEGIN
    PERFORM chat._require_server('bind the users table');
    PERFORM chat._require_table_rights(tbl, 'REFERENCES');
    PERFORM chat._require_execute(display_name);
    base := (SELECT t.typbasetype FROM pg_type t WHERE t.oid = 'chat.user_id'::regtype);
    IF NOT pg_has_role((SELECT c.relowner FROM pg_class c WHERE c.oid = 'chat.member'::regclass), 'USAGE') THEN
        RAISE EXCEPTION 'permission denied to change chat''s user binding'
            USING ERRCODE = '42501', CONSTRAINT = 'extension_owner_only',
                  HINT = 'Only the owner of chat''s tables (the role that created the extension) or a superuser may bind chat to a users table.';
    END IF;
    /* one binder at a time; readers of the binding are not blocked */
    LOCK TABLE chat.user_binding IN SHARE ROW EXCLUSIVE MODE;

    IF tbl IS NULL THEN
        PERFORM chat._user_binding_drop();
        DELETE FROM chat.user_binding;
        RETURN;
    END IF;

    PERFORM chat._not_null(id_column, 'id_column');
    PERFORM chat._not_null(on_delete, 'on_delete');
    IF on_delete NOT IN ('cascade', 'restrict', 'anonymize') THEN
        RAISE EXCEPTION 'invalid on_delete "%"', on_delete
            USING ERRCODE = '22023', COLUMN = 'on_delete',
                  HINT = 'Valid values are "cascade", "restrict" and "anonymize".';
    END IF;

    SELECT * INTO rel FROM pg_class c WHERE c.oid = tbl;
    IF rel.relkind NOT IN ('r', 'p') THEN
        RAISE EXCEPTION '"%" is not a table', tbl
            USING ERRCODE = '42809',
                  DETAIL = 'Chat''s user columns can reference only a table.';
    END IF;
    IF rel.relpersistence <> 'p' THEN
        RAISE EXCEPTION '"%" is not a permanent table', tbl
            USING ERRCODE = '42809',
                  DETAIL = 'Chat''s tables are permanent; their foreign keys can reference only permanent tables.';
    END IF;

    SELECT * INTO att FROM pg_attribute a
     WHERE a.attrelid = tbl AND a.attname = id_column AND a.attnum > 0 AND NOT a.attisdropped;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'column "%" of table "%" does not exist', id_column, tbl
            USING ERRCODE = '42703',
                  HINT = 'Pass the name of the table''s user id column as id_column.';
    END IF;
    coltype := att.atttypid;
    /*
     * The key types PostgreSQL accepts for the foreign key: the same base
     * type, or one whose btree operators compare it with chat's (integer ids
     * with chat's bigint ones, as Django's auth_user has).
     */
    IF coalesce(nullif((SELECT t.typbasetype FROM pg_type t WHERE t.oid = coltype), 0), coltype) <> base
       AND NOT EXISTS (
           SELECT 1 FROM pg_opclass oc
             JOIN pg_amop ao ON ao.amopfamily = oc.opcfamily
            WHERE oc.opcmethod = (SELECT am.oid FROM pg_am am WHERE am.amname = 'btree') AND oc.opcdefault
              AND oc.opcintype = coalesce(nullif((SELECT t.typbasetype FROM pg_type t WHERE t.oid = coltype), 0), coltype)
              AND ao.amopstrategy = 3 AND ao.amoplefttype = oc.opcintype AND ao.amoprighttype = base) THEN
        RAISE EXCEPTION 'column "%" of table "%" is of type %, but chat''s user ids are of type %',
                        id_column, tbl, format_type(coltype, NULL), format_type(base, NULL)
            USING ERRCODE = '42804', COLUMN = 'id_column',
                  DETAIL = 'A foreign key from chat.user_id columns needs an id column PostgreSQL can compare with them (the same type, or integer with bigint).',
                  HINT = 'The type of chat''s user ids is chosen by the setting chat.user_id_type before CREATE EXTENSION chat.';
    END IF;
    IF NOT chat._is_unique(tbl, att.attnum) THEN
        RAISE EXCEPTION 'column "%" of table "%" has no unique constraint', id_column, tbl
            USING ERRCODE = '42P10',
                  HINT = 'A foreign key references a primary key or unique constraint on exactly that column.';
    END IF;

    IF display_name IS NOT NULL THEN
        fn := chat._function_row(display_name, 'display_name');
        IF fn.prokind <> 'f' OR fn.proretset OR fn.prorettype <> 'text'::regtype OR fn.pronargs <> 1
           OR fn.proargtypes[0] NOT IN ('chat.user_id'::regtype, base) THEN
            RAISE EXCEPTION 'function "%" cannot be a display name function', display_name
                USING ERRCODE = '42883', COLUMN = 'display_name',
                      DETAIL = format('A display name function takes one argument of type chat.user_id or %s and returns text.',
                                      format_type(base, NULL));
        END IF;
    END IF;

    /*
     * Every user id chat's rows hold must be in the table, or validating the
     * keys fails.  The locks keep new ids out until commit, so the count is
     * exact; they are the ones adding the keys takes.
     */
    LOCK TABLE chat.thread, chat.member, chat.message IN SHARE ROW EXCLUSIVE MODE;
    EXECUTE format($q$
        SELECT count(*), string_agg(format('"%%s"', u.id), ', ' ORDER BY u.id) FILTER (WHERE u.n <= 5)
          FROM (SELECT s.id, row_number() OVER (ORDER BY s.id) AS n
                  FROM (SELECT mb.user_id AS id FROM chat.member mb
                        UNION SELECT m.sender_id FROM chat.message m
                        UNION SELECT t.created_by FROM chat.thread t
                        UNION SELECT t.last_sender_id FROM chat.thread t) s
                 WHERE s.id IS NOT NULL
                   AND NOT EXISTS (SELECT 1 FROM %s x WHERE x.%I = s.id)) u$q$, tbl, id_column)
       INTO missing, examples;
    IF missing > 0 THEN
        RAISE EXCEPTION 'chat refers to users that are not in table "%"', tbl
            USING ERRCODE = '23503',
                  DETAIL = format('%s user id%s in chat''s tables %s missing from column "%s": %s%s.',
                                  missing, CASE WHEN missing = 1 THEN '' ELSE 's' END,
                                  CASE WHEN missing = 1 THEN 'is' ELSE 'are' END, id_column, examples,
                                  CASE WHEN missing > 5 THEN ', ...' ELSE '' END),
                  HINT = 'Add those users to the table, or delete chat''s rows that refer to them, then bind again.';
    END IF;

    /* the insert trigger adds the keys that differ from this binding's */
    DELETE FROM chat.user_binding;
    INSERT INTO chat.user_binding (tbl, id_column, on_delete, display_name)
    VALUES (tbl, id_column, on_delete, display_name);
    FOR k IN SELECT * FROM chat._user_fkeys(on_delete) LOOP
        EXECUTE format('ALTER TABLE %s VALIDATE CONSTRAINT %I', k.tbl, k.conname);
    END LOOP;
END
$$;

/* ---- sql/src/internal/checks.sql ---- */

CREATE OR REPLACE FUNCTION chat._check_folder(folder text) RETURNS void
    LANGUAGE plpgsql IMMUTABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF folder IS NULL THEN
        RAISE EXCEPTION 'argument "folder" must not be null' USING ERRCODE = '22004', COLUMN = 'folder';
    END IF;
    IF folder NOT IN ('inbox', 'unread', 'deleted', 'sent', 'archived') THEN
        RAISE EXCEPTION 'invalid folder "%"', folder
            USING ERRCODE = '22023', COLUMN = 'folder',
                  HINT = 'Folders are "inbox", "unread", "deleted", "sent" and "archived".';
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION chat._check_page_size(page_size integer) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    lim integer := chat._setting_value('max_page_size')::integer;
BEGIN
    IF page_size IS NULL THEN
        RAISE EXCEPTION 'argument "page_size" must not be null' USING ERRCODE = '22004', COLUMN = 'page_size';
    END IF;
    IF page_size < 1 OR page_size > lim THEN
        RAISE EXCEPTION 'page_size must be between 1 and %', lim
            USING ERRCODE = '22023', COLUMN = 'page_size',
                  DETAIL = format('The page_size given was %s.', page_size),
                  HINT = 'The upper limit is the setting "max_page_size".';
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION chat._check_subject(subject text) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    lim integer := chat._setting_value('max_subject_length')::integer;
BEGIN
    IF subject IS NULL THEN
        RAISE EXCEPTION 'argument "subject" must not be null' USING ERRCODE = '22004', COLUMN = 'subject';
    END IF;
    IF chat._is_blank(subject) THEN
        RAISE EXCEPTION 'subject must not be blank' USING ERRCODE = '22023', COLUMN = 'subject';
    END IF;
    IF char_length(subject) > lim THEN
        RAISE EXCEPTION 'subject is too long'
            USING ERRCODE = '22001', COLUMN = 'subject',
                  DETAIL = format('The subject has %s characters; the limit is %s.', char_length(subject), lim),
                  HINT = 'The limit is the setting "max_subject_length".';
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION chat._check_users(users chat.user_id[], name text) RETURNS void
    LANGUAGE plpgsql IMMUTABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    PERFORM chat._not_null(users, name);
    IF array_ndims(users) > 1 THEN
        RAISE EXCEPTION '% must be a one-dimensional array', name USING ERRCODE = '22023', COLUMN = name;
    END IF;
    IF array_position(users, NULL) IS NOT NULL THEN
        RAISE EXCEPTION '% must not contain null', name USING ERRCODE = '22004', COLUMN = name;
    END IF;
END
$$;

CREATE FUNCTION chat._function_row(fn regprocedure, name text) RETURNS pg_proc
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    p pg_proc;
BEGIN
    SELECT * INTO p FROM pg_proc pp WHERE pp.oid = fn;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'function with OID % does not exist', fn::oid
            USING ERRCODE = '42883', COLUMN = name;
    END IF;
    RETURN p;
END
$$;
REVOKE EXECUTE ON FUNCTION chat._function_row(regprocedure,text) FROM PUBLIC;

CREATE OR REPLACE FUNCTION chat._not_null(value anyelement, name text) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF value IS NULL THEN
        /* the acting user defaults to the session's: say so when there is none */
        IF name IN ('sender', 'actor', 'viewer', 'reader', 'user', 'creator', 'editor', 'user_a')
           AND chat.current_user_id() IS NULL THEN
            RAISE EXCEPTION 'argument "%" must not be null', name
                USING ERRCODE = '22004', COLUMN = name,
                      DETAIL = 'No acting user was given, and the session has no chat user to default to.',
                      HINT = format('Pass "%s", or set the session''s user: set_config(''chat.user_id'', $1, true) inside the transaction, a JWT "sub" claim, or chat.map_role().', name);
        END IF;
        RAISE EXCEPTION 'argument "%" must not be null', name USING ERRCODE = '22004', COLUMN = name;
    END IF;
END
$$;

/* ---- sql/src/internal/events.sql ---- */

CREATE OR REPLACE FUNCTION chat._check_event(event text) RETURNS void
    LANGUAGE plpgsql IMMUTABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF event IS NULL THEN
        RAISE EXCEPTION 'argument "event" must not be null' USING ERRCODE = '22004', COLUMN = 'event';
    END IF;
    IF event NOT IN ('message_sent', 'message_edited', 'message_deleted', 'thread_created',
                     'member_added', 'member_removed', 'reaction_added', 'reaction_removed',
                     'thread_read') THEN
        RAISE EXCEPTION 'unknown event "%"', event
            USING ERRCODE = '22023', COLUMN = 'event',
                  HINT = 'Events are "message_sent", "message_edited", "message_deleted", "thread_created", "member_added", "member_removed", "reaction_added", "reaction_removed" and "thread_read".';
    END IF;
END
$$;

/* ---- sql/src/internal/identity.sql ---- */

CREATE OR REPLACE FUNCTION chat._require_execute(fn regprocedure) RETURNS void
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

CREATE OR REPLACE FUNCTION chat._require_reader(thread_id bigint) RETURNS void
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

CREATE OR REPLACE FUNCTION chat._require_table_rights(tbl regclass, privileges text) RETURNS void
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

/* ---- sql/src/internal/interactions.sql ---- */

CREATE OR REPLACE FUNCTION chat._add_attachments(thread_id bigint, message_id bigint, attachments jsonb)
    RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    PERFORM chat._check_attachments(attachments);
    IF jsonb_array_length(attachments) = 0
       AND (SELECT m.content IS NULL FROM chat.message m
             WHERE m.thread_id = _add_attachments.thread_id AND m.id = _add_attachments.message_id) THEN
        RAISE EXCEPTION 'argument "content" must not be null'
            USING ERRCODE = '22004', COLUMN = 'content', DETAIL = 'A message without content needs at least one attachment.';
    END IF;
    INSERT INTO chat.attachment (thread_id, message_id, position, key, name, mime, size, meta)
    SELECT _add_attachments.thread_id, _add_attachments.message_id, e.ordinality,
           e.value ->> 'key', e.value ->> 'name', e.value ->> 'mime',
           (e.value ->> 'size')::bigint, nullif(e.value -> 'meta', 'null')
      FROM jsonb_array_elements(attachments) WITH ORDINALITY e;
END
$$;

CREATE OR REPLACE FUNCTION chat._check_attachments(attachments jsonb) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    lim integer := chat._setting_value('max_attachments')::integer;
    max_size bigint := (chat._setting_value('max_attachment_size') #>> '{}')::bigint;
    types jsonb := nullif(chat._setting_value('attachment_mime_types'), 'null');
    a jsonb;
    i bigint;
    f text;
BEGIN
    PERFORM chat._not_null(attachments, 'attachments');
    IF jsonb_typeof(attachments) <> 'array' THEN
        RAISE EXCEPTION 'attachments must be a JSON array'
            USING ERRCODE = '22023', COLUMN = 'attachments',
                  HINT = 'Give [{"key": "...", "name": "...", "mime": "...", "size": 123, "meta": {}}, ...].';
    END IF;
    IF jsonb_array_length(attachments) > lim THEN
        RAISE EXCEPTION 'too many attachments'
            USING ERRCODE = '54000', COLUMN = 'attachments',
                  DETAIL = format('The message has %s attachments; the limit is %s.', jsonb_array_length(attachments), lim),
                  HINT = 'The limit is the setting "max_attachments".';
    END IF;
    FOR a, i IN SELECT e.value, e.ordinality FROM jsonb_array_elements(attachments) WITH ORDINALITY e LOOP
        IF jsonb_typeof(a) <> 'object' THEN
            RAISE EXCEPTION 'attachment % must be a JSON object', i USING ERRCODE = '22023', COLUMN = 'attachments';
        END IF;
        SELECT k INTO f FROM jsonb_object_keys(a) k
         WHERE k NOT IN ('key', 'name', 'mime', 'size', 'meta') ORDER BY k LIMIT 1;
        IF FOUND THEN
            RAISE EXCEPTION 'attachment %: unknown field "%"', i, f
                USING ERRCODE = '22023', COLUMN = 'attachments',
                      HINT = 'The fields are "key", "name", "mime", "size" and "meta".';
        END IF;
        IF jsonb_typeof(a -> 'key') IS DISTINCT FROM 'string' OR chat._is_blank(a ->> 'key') THEN
            RAISE EXCEPTION 'attachment %: "key" must be a non-blank string', i USING ERRCODE = '22023', COLUMN = 'attachments';
        END IF;
        IF jsonb_typeof(a -> 'name') NOT IN ('string', 'null') THEN
            RAISE EXCEPTION 'attachment %: "name" must be a string', i USING ERRCODE = '22023', COLUMN = 'attachments';
        END IF;
        IF jsonb_typeof(a -> 'mime') NOT IN ('string', 'null')
           OR (a ->> 'mime') !~ '^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*$' THEN
            RAISE EXCEPTION 'attachment %: "mime" must be a MIME type such as "image/png"', i USING ERRCODE = '22023', COLUMN = 'attachments';
        END IF;
        IF jsonb_typeof(a -> 'size') NOT IN ('number', 'null') THEN
            RAISE EXCEPTION 'attachment %: "size" must be a whole number', i
                USING ERRCODE = '22023', COLUMN = 'attachments', DETAIL = 'The size is in bytes, 0 or more.';
        ELSIF jsonb_typeof(a -> 'size') = 'number' THEN
            IF (a ->> 'size')::numeric <> trunc((a ->> 'size')::numeric)
               OR (a ->> 'size')::numeric NOT BETWEEN 0 AND 9223372036854775807 THEN
                RAISE EXCEPTION 'attachment %: "size" must be a whole number', i
                    USING ERRCODE = '22023', COLUMN = 'attachments', DETAIL = 'The size is in bytes, 0 or more.';
            END IF;
        END IF;
        IF jsonb_typeof(a -> 'meta') NOT IN ('object', 'null') THEN
            RAISE EXCEPTION 'attachment %: "meta" must be a JSON object', i USING ERRCODE = '22023', COLUMN = 'attachments';
        END IF;
        IF types IS NOT NULL AND (a ->> 'mime') IS NULL THEN
            RAISE EXCEPTION 'attachment %: "mime" is required', i
                USING ERRCODE = '22023', COLUMN = 'attachments',
                      DETAIL = 'The setting "attachment_mime_types" limits the types, so each attachment must give one.';
        END IF;
        IF types IS NOT NULL AND NOT EXISTS (
               SELECT 1 FROM jsonb_array_elements_text(types) t
                WHERE lower(t) IN (lower(a ->> 'mime'), lower(split_part(a ->> 'mime', '/', 1)) || '/*', '*/*')) THEN
            RAISE EXCEPTION 'attachment %: MIME type "%" is not allowed', i, a ->> 'mime'
                USING ERRCODE = '22023', COLUMN = 'attachments',
                      HINT = format('Allowed types are %s (the setting "attachment_mime_types").',
                                    (SELECT string_agg(format('"%s"', t), ', ') FROM jsonb_array_elements_text(types) t));
        END IF;
        IF max_size IS NOT NULL THEN
            IF (a ->> 'size') IS NULL THEN
                RAISE EXCEPTION 'attachment %: "size" is required', i
                    USING ERRCODE = '22023', COLUMN = 'attachments',
                          DETAIL = 'The setting "max_attachment_size" limits the size, so each attachment must give one.';
            END IF;
            IF (a ->> 'size')::numeric > max_size THEN
                RAISE EXCEPTION 'attachment % is too large', i
                    USING ERRCODE = '54000', COLUMN = 'attachments',
                          DETAIL = format('Its size is %s bytes; the limit is %s.', a ->> 'size', max_size),
                          HINT = 'The limit is the setting "max_attachment_size".';
            END IF;
        END IF;
    END LOOP;
END
$$;

CREATE OR REPLACE FUNCTION chat._check_reaction(reaction text) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    allowed jsonb := chat._setting_value('reactions');
    lim integer := chat._setting_value('max_reaction_length')::integer;
BEGIN
    PERFORM chat._not_null(reaction, 'reaction');
    IF chat._is_blank(reaction) THEN
        RAISE EXCEPTION 'reaction must not be blank' USING ERRCODE = '22023', COLUMN = 'reaction';
    END IF;
    IF char_length(reaction) > lim THEN
        RAISE EXCEPTION 'reaction is too long'
            USING ERRCODE = '22001', COLUMN = 'reaction',
                  DETAIL = format('The reaction has %s characters; the limit is %s.', char_length(reaction), lim),
                  HINT = 'The limit is the setting "max_reaction_length".';
    END IF;
    IF allowed = '"emoji"' THEN
        IF NOT chat._is_emoji(reaction) THEN
            RAISE EXCEPTION 'reaction "%" is not an emoji', reaction
                USING ERRCODE = '22023', COLUMN = 'reaction',
                      HINT = 'The setting "reactions" is "emoji": a reaction is exactly one emoji.';
        END IF;
    ELSIF jsonb_typeof(allowed) = 'array' AND NOT allowed ? reaction THEN
        RAISE EXCEPTION 'reaction "%" is not allowed', reaction
            USING ERRCODE = '22023', COLUMN = 'reaction',
                  HINT = format('Allowed reactions are %s (the setting "reactions").',
                                (SELECT string_agg(format('"%s"', e), ', ') FROM jsonb_array_elements_text(allowed) e));
    END IF;
END
$$;

/* ---- sql/src/internal/membership.sql ---- */

CREATE OR REPLACE FUNCTION chat._member_row(thread bigint, who chat.user_id, lock boolean DEFAULT false)
    RETURNS chat.member
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    m chat.member;
BEGIN
    IF lock THEN
        PERFORM FROM chat.thread t WHERE t.id = thread FOR SHARE;
        SELECT * INTO m FROM chat.member mb
         WHERE mb.thread_id = thread AND mb.user_id = who FOR UPDATE;
    ELSE
        SELECT * INTO m FROM chat.member mb
         WHERE mb.thread_id = thread AND mb.user_id = who;
    END IF;
    IF NOT FOUND THEN
        IF NOT EXISTS (SELECT 1 FROM chat.thread t WHERE t.id = thread) THEN
            RAISE EXCEPTION 'thread % does not exist', thread USING ERRCODE = '42704';
        END IF;
        RAISE EXCEPTION 'user "%" is not a member of thread %', who, thread
            USING ERRCODE = '42501', CONSTRAINT = 'not_member';
    END IF;
    RETURN m;
END
$$;

/* ---- sql/src/internal/models.sql ---- */

CREATE OR REPLACE FUNCTION chat._check_model_admin() RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF NOT pg_has_role((SELECT c.relowner FROM pg_class c WHERE c.oid = 'chat.model'::regclass), 'USAGE') THEN
        RAISE EXCEPTION 'permission denied to change chat''s models'
            USING ERRCODE = '42501', CONSTRAINT = 'extension_owner_only',
                  HINT = 'Only the owner of chat''s tables (the role that created the extension) or a superuser may swap models and renderers.';
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION chat._fill_extra(model text, thread_id bigint, message_id bigint,
                                 user_id chat.user_id, extra jsonb)
    RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
#variable_conflict use_variable
DECLARE
    md chat.model;
    k record;
    field text;
    att pg_attribute;
    coldef text;
    cols text := '';
    vals text := '';
    coldefs text := '';
BEGIN
    IF extra IS NULL AND NOT EXISTS (SELECT 1 FROM chat.model m
                                      WHERE m.model = _fill_extra.model AND m.tbl IS NOT NULL) THEN
        RETURN;
    END IF;
    k := chat._model_key(model);
    md := chat._swapped(model);
    IF md IS NULL THEN
        RAISE EXCEPTION 'extra needs a swapped model'
            USING ERRCODE = '22023', COLUMN = 'extra',
                  DETAIL = format('No table extends model "%s", so its extra fields have nowhere to go.', model),
                  HINT = format('Register a table extending model "%s" with chat.swap_model(''%s'', table).',
                                model, model);
    END IF;
    IF extra IS NOT NULL AND jsonb_typeof(extra) <> 'object' THEN
        RAISE EXCEPTION 'extra must be a JSON object'
            USING ERRCODE = '22023', COLUMN = 'extra',
                  DETAIL = format('The value given is a JSON %s.', jsonb_typeof(extra)),
                  HINT = 'Pass the fields by name: ''{"priority": "high"}''.';
    END IF;
    PERFORM chat._not_null(thread_id, 'thread_id');
    IF model = 'message' THEN
        PERFORM chat._not_null(message_id, 'message_id');
    ELSIF model = 'member' THEN
        PERFORM chat._not_null(user_id, 'user_id');
    END IF;

    /*
     * Each field names a column, found in the catalog by its exact name; only
     * the catalog's name goes into the SQL, quoted.  Values are converted by
     * jsonb_to_record with the columns' types (JSON arrays to arrays, any JSON
     * to json and jsonb columns), first one field at a time to name the one
     * that fails.
     */
    FOR field IN SELECT e.key FROM jsonb_object_keys(coalesce(extra, '{}')) AS e(key) ORDER BY e.key LOOP
        SELECT * INTO att FROM pg_attribute a
         WHERE a.attrelid = md.tbl AND a.attname = field AND a.attnum > 0 AND NOT a.attisdropped;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'unknown field "%" for model "%"', field, model
                USING ERRCODE = '22023', COLUMN = 'extra',
                      HINT = format('The fields of model "%s" are the columns of %s: %s.', model, md.tbl,
                                    (SELECT string_agg(format('"%s"', a.attname), ', ' ORDER BY a.attnum)
                                       FROM pg_attribute a
                                      WHERE a.attrelid = md.tbl AND a.attnum > 0 AND NOT a.attisdropped
                                        AND a.attname <> ALL (k.keys)));
        END IF;
        IF field = ANY (k.keys) THEN
            RAISE EXCEPTION 'field "%" of model "%" cannot be set', field, model
                USING ERRCODE = '22023', COLUMN = 'extra',
                      DETAIL = format('(%s) is the key, which chat fills from the new %s.',
                                      array_to_string(k.keys, ', '), model);
        END IF;
        IF att.attgenerated <> '' OR att.attidentity = 'a' THEN
            RAISE EXCEPTION 'field "%" of model "%" cannot be set', field, model
                USING ERRCODE = '22023', COLUMN = 'extra',
                      DETAIL = format('Column "%s" of %s is generated.', field, md.tbl);
        END IF;
        coldef := format('%I %s', att.attname, format_type(att.atttypid, att.atttypmod));
        BEGIN
            EXECUTE format('SELECT FROM pg_catalog.jsonb_to_record($1) AS r(%s)', coldef)
                USING jsonb_build_object(field, extra -> field);
        EXCEPTION WHEN others THEN
            RAISE EXCEPTION 'invalid value for field "%": "%"', field, extra ->> field
                USING ERRCODE = '22P02', COLUMN = 'extra',
                      DETAIL = format('Field "%s" of model "%s" has the type %s.', field, model,
                                      format_type(att.atttypid, att.atttypmod));
        END;
        cols := cols || format(', %I', att.attname);
        vals := vals || format(', r.%I', att.attname);
        coldefs := coldefs || format(', %s', coldef);
    END LOOP;

    /* $1 thread_id, $2 message_id, $3 user_id, $4 extra */
    EXECUTE format('INSERT INTO %s (%s%s) SELECT %s%s%s',
                   md.tbl,
                   (SELECT string_agg(format('%I', kc), ', ') FROM unnest(k.keys) kc), cols,
                   CASE model WHEN 'message' THEN '$1, $2' WHEN 'thread' THEN '$1' ELSE '$1, $3' END, vals,
                   CASE WHEN coldefs <> ''
                        THEN format(' FROM pg_catalog.jsonb_to_record($4) AS r(%s)', substr(coldefs, 3))
                   END)
        USING thread_id, message_id, user_id, coalesce(extra, '{}');
END
$$;

/* ---- sql/src/internal/permissions.sql ---- */

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
            USING ERRCODE = '42501', CONSTRAINT = 'missing_permission',
                  DETAIL = 'An admin grants only permissions it holds itself; the owner grants any.';
    END IF;
    UPDATE chat.member mb
       SET permissions = CASE WHEN add THEN array(SELECT DISTINCT p FROM unnest(mb.permissions || permission) AS p ORDER BY p)
                              ELSE array_remove(mb.permissions, permission) END
     WHERE mb.thread_id = thread AND mb.user_id = member;
END
$$;

CREATE OR REPLACE FUNCTION chat._check_permission(permission text) RETURNS void
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
        RAISE EXCEPTION 'unknown permission "%"', permission
            USING ERRCODE = '22023', COLUMN = 'permission',
                  HINT = 'Permissions are "add_members", "remove_members", "post", "delete_messages", "delete_own_messages", "edit_messages", "edit_own_messages", "edit_thread" and "delete_thread".';
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION chat._check_role(role text) RETURNS chat.member_role
    LANGUAGE plpgsql IMMUTABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF role IS NULL THEN
        RAISE EXCEPTION 'argument "role" must not be null' USING ERRCODE = '22004', COLUMN = 'role';
    END IF;
    IF role NOT IN ('owner', 'admin', 'member') THEN
        RAISE EXCEPTION 'unknown role "%"', role
            USING ERRCODE = '22023', COLUMN = 'role', HINT = 'Roles are "owner", "admin" and "member".';
    END IF;
    RETURN role::chat.member_role;
END
$$;

CREATE OR REPLACE FUNCTION chat._require(m chat.member, permission text, doing text) RETURNS void
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

CREATE OR REPLACE FUNCTION chat._require_manager(actor chat.member, target chat.member, doing text) RETURNS void
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

/* ---- sql/src/internal/settings.sql ---- */

CREATE OR REPLACE FUNCTION chat._check_roles(key text, value jsonb) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    bad text;
BEGIN
    IF jsonb_typeof(value) <> 'array'
       OR EXISTS (SELECT 1 FROM jsonb_array_elements(value) e WHERE jsonb_typeof(e) <> 'string') THEN
        RAISE EXCEPTION 'invalid value for setting "%": %', key, value
            USING ERRCODE = '22023', COLUMN = 'value', DETAIL = 'The setting takes a JSON array of role names.';
    END IF;
    SELECT e INTO bad FROM jsonb_array_elements_text(value) e
     WHERE NOT EXISTS (SELECT 1 FROM pg_roles r WHERE r.rolname = e) LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'role "%" does not exist', bad
            USING ERRCODE = '22023', COLUMN = 'value', DETAIL = format('The setting "%s" names existing roles.', key);
    END IF;
END
$$;

/* ---- sql/src/internal/unread.sql ---- */

CREATE OR REPLACE FUNCTION chat._member_delete() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    PERFORM chat._member_count(ARRAY(SELECT DISTINCT thread_id FROM removed));
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION chat._message_delete() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    tid bigint;
BEGIN
    FOR tid IN SELECT DISTINCT o.thread_id FROM removed o
                JOIN chat.thread t ON t.id = o.thread_id ORDER BY 1
    LOOP
        PERFORM chat._recount(tid);
    END LOOP;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION chat._message_update() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF NEW.id <> OLD.id OR NEW.thread_id <> OLD.thread_id
       OR (NEW.sender_id IS DISTINCT FROM OLD.sender_id AND NEW.sender_id IS NOT NULL)
       OR NEW.kind <> OLD.kind THEN
        RAISE EXCEPTION 'cannot change the id, thread, sender or kind of message %', OLD.id
            USING ERRCODE = '55000';
    END IF;
    IF NEW.content IS DISTINCT FROM OLD.content THEN
        INSERT INTO chat.message_edit (thread_id, message_id, version, content, replaced_at)
        SELECT OLD.thread_id, OLD.id, coalesce(max(e.version), 0) + 1, OLD.content, clock_timestamp()
          FROM chat.message_edit e
         WHERE e.thread_id = OLD.thread_id AND e.message_id = OLD.id;
        NEW.edited_at := clock_timestamp();
    END IF;
    UPDATE chat.thread t
       SET last_preview = CASE WHEN NEW.deleted_at IS NULL THEN left(NEW.content, 100) END,
           last_sender_id = NEW.sender_id
     WHERE t.id = OLD.thread_id AND t.last_message_id = OLD.id;
    RETURN NEW;
END
$$;

/* ---- sql/src/internal/users.sql ---- */

CREATE OR REPLACE FUNCTION chat._user_binding_apply(b chat.user_binding) RETURNS boolean
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    att smallint := chat._column_number(b.tbl, b.id_column);
    k record;
    c pg_constraint;
BEGIN
    IF att IS NULL OR NOT chat._is_unique(b.tbl, att) THEN
        RETURN false;
    END IF;
    PERFORM chat._user_fkeys_check_now();
    FOR k IN SELECT * FROM chat._user_fkeys(b.on_delete) LOOP
        SELECT * INTO c FROM pg_constraint pc WHERE pc.conrelid = k.tbl AND pc.conname = k.conname;
        IF FOUND THEN
            CONTINUE WHEN c.contype = 'f' AND c.confrelid = b.tbl AND c.confkey = ARRAY[att]
                          AND c.confdeltype = k.deltype AND c.condeferred = k.deferred;
            EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', k.tbl, k.conname);
        END IF;
        EXECUTE format('ALTER TABLE %s ADD CONSTRAINT %I FOREIGN KEY (%I) REFERENCES %s (%I) ON DELETE %s %s NOT VALID',
                       k.tbl, k.conname, k.col, b.tbl, b.id_column, k.action,
                       CASE WHEN k.deferred THEN 'DEFERRABLE INITIALLY DEFERRED' ELSE '' END);
    END LOOP;
    RETURN true;
END
$$;

CREATE OR REPLACE FUNCTION chat._user_binding_drop() RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    k record;
BEGIN
    PERFORM chat._user_fkeys_check_now();
    FOR k IN SELECT f.tbl, f.conname FROM chat._user_fkeys('cascade') f
              JOIN pg_constraint c ON c.conrelid = f.tbl AND c.conname = f.conname LOOP
        EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', k.tbl, k.conname);
    END LOOP;
END
$$;

CREATE FUNCTION chat._user_fkeys(on_delete text)
    RETURNS TABLE (tbl regclass, col name, conname name, action text, deltype "char", deferred boolean)
    LANGUAGE sql IMMUTABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT v.tbl::regclass, v.col::name, v.conname::name, v.action,
           CASE v.action WHEN 'CASCADE' THEN 'c' WHEN 'RESTRICT' THEN 'r' ELSE 'n' END::"char",
           v.tbl = 'chat.thread'
      FROM (VALUES
            ('chat.member', 'user_id', 'member_user_fkey',
             CASE $1 WHEN 'restrict' THEN 'RESTRICT' ELSE 'CASCADE' END),
            ('chat.message', 'sender_id', 'message_sender_fkey',
             CASE $1 WHEN 'restrict' THEN 'RESTRICT' WHEN 'cascade' THEN 'CASCADE' ELSE 'SET NULL' END),
            ('chat.thread', 'created_by', 'thread_created_by_fkey',
             CASE $1 WHEN 'restrict' THEN 'RESTRICT' ELSE 'SET NULL' END),
            ('chat.thread', 'last_sender_id', 'thread_last_sender_fkey',
             CASE $1 WHEN 'restrict' THEN 'RESTRICT' ELSE 'SET NULL' END)) v (tbl, col, conname, action)
$$;
COMMENT ON FUNCTION chat._user_fkeys(text) IS
    'The foreign keys binding chat to a users table, with the ON DELETE action of a delete mode and whether the check waits for commit';
REVOKE EXECUTE ON FUNCTION chat._user_fkeys(text) FROM PUBLIC;

CREATE FUNCTION chat._user_fkeys_check_now() RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    k record;
BEGIN
    FOR k IN SELECT c.conname FROM pg_constraint c
              WHERE c.conrelid = 'chat.thread'::regclass AND c.contype = 'f' AND c.condeferrable
                AND c.conname IN (SELECT f.conname FROM chat._user_fkeys('cascade') f) LOOP
        EXECUTE format('SET CONSTRAINTS chat.%I IMMEDIATE', k.conname);
    END LOOP;
END
$$;
REVOKE EXECUTE ON FUNCTION chat._user_fkeys_check_now() FROM PUBLIC;

/*
 * Members of 0.1 and 0.2 had no seen pointer: what they had read is seen,
 * and must stay so when mark_unread moves the read pointer back.
 */
UPDATE chat.member SET seen_id = read_id WHERE seen_id < read_id;

/* A safe default for a room's size, which bounds what one call may add. */
UPDATE chat.setting_default SET value = '10000' WHERE key = 'max_members';

/* An existing binding gets chat.thread's keys checked at commit. */
DO $$
DECLARE
    b chat.user_binding;
BEGIN
    SELECT * INTO b FROM chat.user_binding;
    IF FOUND AND chat._user_binding_apply(b) THEN
        ALTER TABLE chat.thread VALIDATE CONSTRAINT thread_created_by_fkey;
        ALTER TABLE chat.thread VALIDATE CONSTRAINT thread_last_sender_fkey;
    END IF;
END
$$;
