/*
 * chat 0.5 -> 0.6: one living source, one layer of entry points.
 *
 * Nothing a caller sees changes.  Each public function becomes one
 * definition whose first statement checks its caller (0.4 and 0.5 called a
 * SECURITY DEFINER wrapper that checked, then the body in schema
 * chat_internal); the schema chat_internal goes, and with it the unused
 * chat._not_yet.  add_members and set_role compute the permissions an admin
 * hands out under the thread lock (0.5 chose the newcomers before it, so a
 * user joining meanwhile could lose permissions).  remove_member of oneself
 * calls chat._leave instead of the public leave_thread.  Every column gets
 * a comment.  The function texts are those of sql/src/ at the release; a
 * database updated by this script equals a fresh install of 0.6
 * (test/sql/catalog.sql).
 */

\echo Use "ALTER EXTENSION chat UPDATE TO '0.6'" to load this file. \quit

/* A member leaves (leave_thread; remove_member of oneself). */
CREATE FUNCTION chat._leave(thread bigint, who chat.user_id) RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    t chat.thread;
    m chat.member;
    heir chat.user_id;
BEGIN
    t := chat._lock_thread(thread);
    PERFORM chat._not_null(who, 'user');
    m := chat._member_row(t.id, who);
    IF t.kind = 'direct' THEN
        RAISE EXCEPTION 'cannot leave direct thread %', t.id
            USING ERRCODE = '55000', DETAIL = 'A direct thread has exactly two members.',
                  HINT = 'chat.delete_thread hides it from your inbox.';
    END IF;
    IF chat._last_owner(t, m) THEN
        heir := chat._successor(t, m.user_id);
        IF heir IS NULL THEN
            RAISE EXCEPTION 'the last owner cannot leave thread %', t.id
                USING ERRCODE = '55000',
                      HINT = 'Make another member owner with chat.set_role first.';
        END IF;
        UPDATE chat.member mb
           SET role = 'owner', permissions = d.permissions
          FROM chat.permission_default d
         WHERE mb.thread_id = t.id AND mb.user_id = heir AND d.kind = t.kind AND d.role = 'owner';
        PERFORM chat._system_message(t.id, who,
                                     format('%s is now the owner', chat._label(heir)));
    END IF;
    PERFORM chat._remove(t, m, who, format('%s left', chat._label(who)));
END
$$;


/* ------------------------------------------------------------------------
 * sql/src/api/admin.sql
 * ------------------------------------------------------------------------ */

CREATE OR REPLACE FUNCTION chat.verify_unread(thread_id bigint DEFAULT NULL)
    RETURNS TABLE (thread_id bigint, user_id chat.user_id, what text, stored bigint, recounted bigint)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT chat._require_server('run chat.verify_unread()');
    WITH t AS (
        SELECT t.*, (SELECT count(*) FROM chat.message m WHERE m.thread_id = t.id) AS n,
               (SELECT max(m.id) FROM chat.message m WHERE m.thread_id = t.id) AS last
          FROM chat.thread t WHERE $1 IS NULL OR t.id = $1
    )
    SELECT t.id, NULL::chat.user_id, 'message_count', t.message_count, t.n
      FROM t WHERE t.message_count <> t.n
    UNION ALL
    SELECT t.id, NULL, 'last_message_id', t.last_message_id, t.last
      FROM t WHERE t.last_message_id IS DISTINCT FROM t.last
    UNION ALL
    SELECT t.id, NULL, 'member_count', t.member_count,
           (SELECT count(*) FROM chat.member mb WHERE mb.thread_id = t.id)
      FROM t WHERE t.member_count <> (SELECT count(*) FROM chat.member mb WHERE mb.thread_id = t.id)
    UNION ALL
    SELECT u.thread_id, u.user_id, 'unread', u.stored, u.recounted
      FROM (SELECT mb.thread_id, mb.user_id, t.message_count - mb.read_count AS stored,
                   (SELECT count(*) FROM chat.message m
                     WHERE m.thread_id = t.id AND m.id > mb.read_id
                       AND m.sender_id IS DISTINCT FROM mb.user_id) AS recounted
              FROM t JOIN chat.member mb ON mb.thread_id = t.id) u
     WHERE u.stored <> u.recounted
    UNION ALL
    SELECT mb.thread_id, mb.user_id, 'copy', mb.message_count, t.message_count
      FROM t JOIN chat.member mb ON mb.thread_id = t.id
     WHERE NOT mb.large AND (mb.message_count <> t.message_count
                             OR mb.activity_id <> coalesce(t.last_message_id, 0))
    UNION ALL
    SELECT mb.thread_id, mb.user_id, 'large', mb.large::int, t.large::int
      FROM t JOIN chat.member mb ON mb.thread_id = t.id
     WHERE mb.large <> t.large
$$;


/* ------------------------------------------------------------------------
 * sql/src/api/edit.sql
 * ------------------------------------------------------------------------ */

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
                USING ERRCODE = '42501', DETAIL = 'The permission "edit_own_messages" was revoked.';
        END IF;
    ELSIF NOT ('edit_messages' = ANY (who.permissions)) THEN
        RAISE EXCEPTION 'permission denied to edit message %', message_id
            USING ERRCODE = '42501', DETAIL = 'Only its sender may edit a message, or a member with the permission "edit_messages".';
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
                USING ERRCODE = '42501', DETAIL = 'The permission "delete_own_messages" was revoked.';
        END IF;
    ELSIF NOT ('delete_messages' = ANY (who.permissions)) THEN
        RAISE EXCEPTION 'permission denied to delete message %', message_id
            USING ERRCODE = '42501',
                  DETAIL = 'Only its sender or a member with the permission "delete_messages" (owners and admins) may delete a message.';
    END IF;
    UPDATE chat.message mg SET deleted_at = clock_timestamp()
     WHERE mg.thread_id = m.thread_id AND mg.id = m.id AND mg.deleted_at IS NULL;
    IF FOUND THEN
        PERFORM chat._emit('message_deleted', m.thread_id, m.id, actor);
    END IF;
END
$$;


/* ------------------------------------------------------------------------
 * sql/src/api/folders.sql
 * ------------------------------------------------------------------------ */

CREATE OR REPLACE FUNCTION chat.delete_thread(thread_id bigint, actor chat.user_id DEFAULT chat.current_user_id())
    RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    PERFORM chat._act(actor);
    PERFORM chat._not_null(delete_thread.thread_id, 'thread_id');
    PERFORM chat._not_null(actor, 'actor');
    PERFORM chat._member_row(delete_thread.thread_id, actor, true);
    UPDATE chat.member mb
       SET hidden_id = coalesce(t.last_message_id, 0)
      FROM chat.thread t
     WHERE t.id = delete_thread.thread_id
       AND mb.thread_id = t.id AND mb.user_id = actor;
END
$$;

CREATE OR REPLACE FUNCTION chat.restore_thread(thread_id bigint, actor chat.user_id DEFAULT chat.current_user_id())
    RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    PERFORM chat._act(actor);
    PERFORM chat._not_null(restore_thread.thread_id, 'thread_id');
    PERFORM chat._not_null(actor, 'actor');
    PERFORM chat._member_row(restore_thread.thread_id, actor, true);
    UPDATE chat.member mb SET hidden_id = NULL
     WHERE mb.thread_id = restore_thread.thread_id AND mb.user_id = actor;
END
$$;

CREATE OR REPLACE FUNCTION chat.archive_thread(thread_id bigint, actor chat.user_id DEFAULT chat.current_user_id())
    RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    PERFORM chat._act(actor);
    PERFORM chat._not_null(archive_thread.thread_id, 'thread_id');
    PERFORM chat._not_null(actor, 'actor');
    PERFORM chat._member_row(archive_thread.thread_id, actor, true);
    UPDATE chat.member mb SET archived = true
     WHERE mb.thread_id = archive_thread.thread_id AND mb.user_id = actor;
END
$$;

CREATE OR REPLACE FUNCTION chat.unarchive_thread(thread_id bigint, actor chat.user_id DEFAULT chat.current_user_id())
    RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    PERFORM chat._act(actor);
    PERFORM chat._not_null(unarchive_thread.thread_id, 'thread_id');
    PERFORM chat._not_null(actor, 'actor');
    PERFORM chat._member_row(unarchive_thread.thread_id, actor, true);
    UPDATE chat.member mb SET archived = false
     WHERE mb.thread_id = unarchive_thread.thread_id AND mb.user_id = actor;
END
$$;


/* ------------------------------------------------------------------------
 * sql/src/api/hooks.sql
 * ------------------------------------------------------------------------ */

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
        RAISE EXCEPTION 'argument "fn" must not be null' USING ERRCODE = '22004';
    END IF;
    SELECT * INTO p FROM pg_proc WHERE oid = fn;
    IF p.pronargs <> 1 OR p.proargtypes[0] <> 'jsonb'::regtype OR p.prokind <> 'f'
       OR p.prorettype = 'trigger'::regtype THEN
        RAISE EXCEPTION 'function % cannot be a hook', fn
            USING ERRCODE = '42883',
                  DETAIL = 'A hook is a function taking one argument of type jsonb.',
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
        RAISE EXCEPTION 'argument "fn" must not be null' USING ERRCODE = '22004';
    END IF;
    DELETE FROM chat.hook h WHERE h.event = remove_hook.event AND h.function = fn;
    RETURN FOUND;
END
$$;

CREATE OR REPLACE FUNCTION chat.typing(thread_id bigint, "user" chat.user_id DEFAULT chat.current_user_id())
    RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    PERFORM chat._act("user");
    PERFORM chat._not_null(typing.thread_id, 'thread_id');
    PERFORM chat._not_null(typing."user", 'user');
    PERFORM chat._member_row(typing.thread_id, typing."user");
    PERFORM chat._emit('typing', typing.thread_id, NULL, typing."user");
END
$$;


/* ------------------------------------------------------------------------
 * sql/src/api/membership.sql
 * ------------------------------------------------------------------------ */

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
            USING ERRCODE = '42501', DETAIL = 'Only owners add owners, and owners and admins add admins.';
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
            USING ERRCODE = '42501', HINT = 'A member with the permission "add_members" can add you.';
    END IF;
    PERFORM chat._insert_members(t, ARRAY[join_thread."user"], 'member');
    PERFORM chat._system_message(t.id, join_thread."user", format('%s joined', chat._label(join_thread."user")));
    PERFORM chat._emit('member_added', t.id, NULL, join_thread."user", jsonb_build_object('joined', true));
END
$$;

CREATE OR REPLACE FUNCTION chat.leave_thread(thread_id bigint, "user" chat.user_id DEFAULT chat.current_user_id())
    RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    PERFORM chat._act("user");
    PERFORM chat._leave(leave_thread.thread_id, leave_thread."user");
END
$$;

CREATE OR REPLACE FUNCTION chat.remove_member(thread_id bigint,
                                   actor chat.user_id DEFAULT chat.current_user_id(),
                                   member chat.user_id DEFAULT NULL)
    RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    t chat.thread;
    a chat.member;
    m chat.member;
BEGIN
    PERFORM chat._act(actor);
    PERFORM chat._not_null(remove_member.thread_id, 'thread_id');
    PERFORM chat._not_null(actor, 'actor');
    PERFORM chat._not_null(member, 'member');
    IF member = actor THEN
        PERFORM chat._leave(remove_member.thread_id, actor);
        RETURN;
    END IF;
    t := chat._lock_thread(remove_member.thread_id);
    a := chat._member_row(t.id, actor);
    SELECT * INTO m FROM chat.member mb WHERE mb.thread_id = t.id AND mb.user_id = member;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'user "%" is not a member of thread %', member, t.id USING ERRCODE = '42704';
    END IF;
    IF t.kind = 'direct' THEN
        RAISE EXCEPTION 'cannot remove a member of direct thread %', t.id
            USING ERRCODE = '55000', DETAIL = 'A direct thread has exactly two members.';
    END IF;
    PERFORM chat._require(a, 'remove_members', 'remove members');
    PERFORM chat._require_manager(a, m, 'remove members');
    PERFORM chat._remove(t, m, actor, format('%s removed %s', chat._label(actor), chat._label(member)));
END
$$;

CREATE OR REPLACE FUNCTION chat.can_join(thread_id bigint, "user" chat.user_id DEFAULT chat.current_user_id())
    RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT chat._act("user");
    SELECT coalesce((SELECT t.is_public AND t.kind <> 'direct'
                            AND NOT EXISTS (SELECT 1 FROM chat.member mb WHERE mb.thread_id = t.id AND mb.user_id = $2)
                            AND (t.member_count < (chat._setting_value('max_members') #>> '{}')::bigint
                                 OR chat._setting_value('max_members') = 'null')
                       FROM chat.thread t WHERE t.id = $1), false)
$$;

CREATE OR REPLACE FUNCTION chat.can_leave(thread_id bigint, "user" chat.user_id DEFAULT chat.current_user_id())
    RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT chat._act("user");
    SELECT coalesce((SELECT t.kind <> 'direct'
                            AND (NOT chat._last_owner(t, m) OR chat._successor(t, m.user_id) IS NOT NULL)
                       FROM chat.thread t JOIN chat.member m ON m.thread_id = t.id AND m.user_id = $2
                      WHERE t.id = $1), false)
$$;


/* ------------------------------------------------------------------------
 * sql/src/api/models.sql
 * ------------------------------------------------------------------------ */

CREATE OR REPLACE FUNCTION chat.swap_model(model text, tbl regclass) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
#variable_conflict use_variable
DECLARE
    k record;
    rel pg_class;
    keylist text;
    missing text;
BEGIN
    PERFORM chat._require_server('swap models');
    PERFORM chat._require_table_rights(tbl, 'SELECT, INSERT, UPDATE, DELETE');
    k := chat._model_key(model);
    keylist := array_to_string(k.keys, ', ');
    PERFORM chat._check_model_admin();
    IF tbl IS NULL THEN
        UPDATE chat.model md SET tbl = NULL WHERE md.model = swap_model.model AND md.renderer IS NOT NULL;
        DELETE FROM chat.model md WHERE md.model = swap_model.model AND md.renderer IS NULL;
        RETURN;
    END IF;

    SELECT * INTO rel FROM pg_class c WHERE c.oid = tbl;
    IF rel.relkind IS NULL OR rel.relkind NOT IN ('r', 'p') THEN
        RAISE EXCEPTION '"%" is not a table', tbl
            USING ERRCODE = '42809',
                  DETAIL = format('A model is extended by a table keyed by (%s).', keylist);
    END IF;
    IF rel.relpersistence = 't' THEN
        RAISE EXCEPTION 'table "%" is temporary', tbl
            USING ERRCODE = '42809',
                  DETAIL = 'The registration outlives the session; a temporary table does not.';
    END IF;

    SELECT kc INTO missing
      FROM unnest(k.keys) WITH ORDINALITY AS u(kc, i)
     WHERE NOT EXISTS (SELECT 1 FROM pg_attribute a
                        WHERE a.attrelid = tbl AND a.attname = u.kc AND a.attnum > 0 AND NOT a.attisdropped)
     ORDER BY u.i
     LIMIT 1;
    IF missing IS NOT NULL THEN
        RAISE EXCEPTION 'table "%" has no column "%"', tbl, missing
            USING ERRCODE = '42703',
                  DETAIL = format('A table extending model "%s" is keyed by (%s).', model, keylist);
    END IF;

    /* one row per record: a unique index (not partial) on key columns only */
    IF NOT EXISTS (
        SELECT 1 FROM pg_index i
         WHERE i.indrelid = tbl AND i.indisunique AND i.indisvalid AND i.indpred IS NULL
           AND (i.indkey::int2[])[0:i.indnkeyatts - 1] <@
               ARRAY(SELECT a.attnum FROM pg_attribute a
                      WHERE a.attrelid = tbl AND a.attname = ANY (k.keys))) THEN
        RAISE EXCEPTION 'table "%" has no unique key on (%)', tbl, keylist
            USING ERRCODE = '42P10',
                  DETAIL = format('A table extending model "%s" holds one row per %s.', model, model),
                  HINT = format('Add one: ALTER TABLE %s ADD PRIMARY KEY (%s).', tbl, keylist);
    END IF;

    /* a foreign key from exactly the key columns to chat's key */
    IF NOT EXISTS (
        SELECT 1 FROM pg_constraint c
         WHERE c.conrelid = tbl AND c.contype = 'f' AND c.confrelid = k.target
           AND ARRAY(SELECT a.attname || '=' || r.attname
                       FROM unnest(c.conkey, c.confkey) AS p(col, ref)
                       JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = p.col
                       JOIN pg_attribute r ON r.attrelid = c.confrelid AND r.attnum = p.ref
                      ORDER BY 1)
             = ARRAY(SELECT u.kc || '=' || u.rc FROM unnest(k.keys, k.target_keys) AS u(kc, rc) ORDER BY 1)) THEN
        RAISE EXCEPTION 'table "%" has no foreign key to %', tbl, k.target
            USING ERRCODE = '42830',
                  DETAIL = format('A table extending model "%s" references %s (%s) by (%s).',
                                  model, k.target, array_to_string(k.target_keys, ', '), keylist),
                  HINT = format('Add it: ALTER TABLE %s ADD FOREIGN KEY (%s) REFERENCES %s (%s) ON DELETE CASCADE.',
                                tbl, keylist, k.target, array_to_string(k.target_keys, ', '));
    END IF;

    INSERT INTO chat.model AS md (model, tbl) VALUES (model, tbl)
        ON CONFLICT ON CONSTRAINT model_pkey DO UPDATE SET tbl = excluded.tbl;
END
$$;

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
    SELECT * INTO p FROM pg_proc pp WHERE pp.oid = fn;
    IF p.pronargs <> 1 OR p.proargtypes[0] <> 'jsonb'::regtype OR p.prorettype <> 'jsonb'::regtype
       OR p.proretset OR p.prokind <> 'f' THEN
        RAISE EXCEPTION 'function % cannot render model "%"', fn, model
            USING ERRCODE = '42883',
                  DETAIL = 'A renderer takes one argument of type jsonb and returns jsonb.',
                  HINT = 'CREATE FUNCTION my_renderer(extra jsonb) RETURNS jsonb ...';
    END IF;
    INSERT INTO chat.model AS md (model, renderer) VALUES (model, fn)
        ON CONFLICT ON CONSTRAINT model_pkey DO UPDATE SET renderer = excluded.renderer;
END
$$;


/* ------------------------------------------------------------------------
 * sql/src/api/permissions.sql
 * ------------------------------------------------------------------------ */

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
            USING ERRCODE = '42501', DETAIL = 'Only an owner can make an owner.';
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

CREATE OR REPLACE FUNCTION chat."grant"(thread_id bigint,
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

CREATE OR REPLACE FUNCTION chat."revoke"(thread_id bigint,
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

CREATE OR REPLACE FUNCTION chat.has_permission(thread_id bigint,
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


/* ------------------------------------------------------------------------
 * sql/src/api/reactions.sql
 * ------------------------------------------------------------------------ */

CREATE OR REPLACE FUNCTION chat.add_reaction(message_id bigint,
                                  "user" chat.user_id DEFAULT chat.current_user_id(),
                                  reaction text DEFAULT NULL)
    RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    m chat.message;
BEGIN
    PERFORM chat._act("user");
    m := chat._reactable(add_reaction.message_id, add_reaction."user");
    PERFORM chat._check_reaction(add_reaction.reaction);
    INSERT INTO chat.reaction AS r (thread_id, message_id, user_id, reaction)
    VALUES (m.thread_id, m.id, add_reaction."user", add_reaction.reaction)
    ON CONFLICT ON CONSTRAINT reaction_pkey DO NOTHING;
    IF NOT FOUND THEN
        RETURN false;
    END IF;
    PERFORM chat._emit('reaction_added', m.thread_id, m.id, add_reaction."user",
                       jsonb_build_object('reaction', add_reaction.reaction));
    RETURN true;
END
$$;

CREATE OR REPLACE FUNCTION chat.remove_reaction(message_id bigint,
                                     "user" chat.user_id DEFAULT chat.current_user_id(),
                                     reaction text DEFAULT NULL)
    RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    m chat.message;
BEGIN
    PERFORM chat._act("user");
    m := chat._reactable(remove_reaction.message_id, remove_reaction."user");
    /* not checked against the settings: a reaction allowed once can always be removed */
    PERFORM chat._not_null(remove_reaction.reaction, 'reaction');
    DELETE FROM chat.reaction r
     WHERE r.thread_id = m.thread_id AND r.message_id = m.id
       AND r.user_id = remove_reaction."user" AND r.reaction = remove_reaction.reaction;
    IF NOT FOUND THEN
        RETURN false;
    END IF;
    PERFORM chat._emit('reaction_removed', m.thread_id, m.id, remove_reaction."user",
                       jsonb_build_object('reaction', remove_reaction.reaction));
    RETURN true;
END
$$;

CREATE OR REPLACE FUNCTION chat.toggle_reaction(message_id bigint,
                                     "user" chat.user_id DEFAULT chat.current_user_id(),
                                     reaction text DEFAULT NULL)
    RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    m chat.message;
BEGIN
    PERFORM chat._act("user");
    m := chat._reactable(toggle_reaction.message_id, toggle_reaction."user");
    PERFORM chat._not_null(toggle_reaction.reaction, 'reaction');
    LOOP
        DELETE FROM chat.reaction r
         WHERE r.thread_id = m.thread_id AND r.message_id = m.id
           AND r.user_id = toggle_reaction."user" AND r.reaction = toggle_reaction.reaction;
        IF FOUND THEN
            PERFORM chat._emit('reaction_removed', m.thread_id, m.id, toggle_reaction."user",
                               jsonb_build_object('reaction', toggle_reaction.reaction));
            RETURN false;
        END IF;
        PERFORM chat._check_reaction(toggle_reaction.reaction);
        INSERT INTO chat.reaction AS r (thread_id, message_id, user_id, reaction)
        VALUES (m.thread_id, m.id, toggle_reaction."user", toggle_reaction.reaction)
        ON CONFLICT ON CONSTRAINT reaction_pkey DO NOTHING;
        IF FOUND THEN
            PERFORM chat._emit('reaction_added', m.thread_id, m.id, toggle_reaction."user",
                               jsonb_build_object('reaction', toggle_reaction.reaction));
            RETURN true;
        END IF;
    END LOOP;
END
$$;

CREATE OR REPLACE FUNCTION chat.reactions(message_id bigint, viewer chat.user_id DEFAULT chat.current_user_id())
    RETURNS TABLE (reaction text, count bigint, users chat.user_id[], reacted_by_viewer boolean)
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
    SELECT r.reaction, count(*), array_agg(r.user_id ORDER BY r.created_at, r.user_id),
           bool_or(r.user_id = reactions.viewer)
      FROM chat.reaction r
     WHERE r.thread_id = m.thread_id AND r.message_id = m.id AND m.deleted_at IS NULL
     GROUP BY r.reaction
     ORDER BY min(r.created_at), r.reaction;
END
$$;


/* ------------------------------------------------------------------------
 * sql/src/api/read.sql
 * ------------------------------------------------------------------------ */

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
                USING ERRCODE = '22023',
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

CREATE OR REPLACE FUNCTION chat.inbox_count(viewer chat.user_id DEFAULT chat.current_user_id(),
                                 folder text DEFAULT 'inbox')
    RETURNS bigint
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
#variable_conflict use_column
DECLARE
    v chat.user_id;
    f text;
BEGIN
    PERFORM chat._act(viewer);
    v := inbox_count.viewer;
    f := inbox_count.folder;
    PERFORM chat._not_null(v, 'viewer');
    PERFORM chat._check_folder(f);
    RETURN (SELECT count(*)
              FROM chat._membership(v) s
             WHERE CASE f
                     WHEN 'inbox' THEN s.visible AND NOT s.archived
                     WHEN 'unread' THEN s.visible AND NOT s.archived AND s.unread > 0
                     WHEN 'deleted' THEN NOT s.visible
                     WHEN 'archived' THEN s.visible AND s.archived
                     ELSE EXISTS (SELECT 1 FROM chat.thread st
                                   WHERE st.id = s.thread_id AND st.created_by = v)
                   END);
END
$$;

CREATE OR REPLACE FUNCTION chat.unread_count(viewer chat.user_id DEFAULT chat.current_user_id(),
                                  OUT threads bigint, OUT messages bigint)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    SET plan_cache_mode = force_generic_plan
    AS $$
BEGIN
    PERFORM chat._act(viewer);
    PERFORM chat._not_null(viewer, 'viewer');
    SELECT count(*), coalesce(sum(u.unread), 0)
      INTO threads, messages
      FROM (SELECT mb.hidden_id IS NULL OR mb.hidden_id < mb.activity_id AS visible,
                   mb.archived, mb.muted, mb.message_count - mb.read_count AS unread
              FROM chat.member mb
             WHERE mb.user_id = viewer AND NOT mb.large AND mb.message_count > mb.read_count
            UNION ALL
            SELECT mb.hidden_id IS NULL OR mb.hidden_id < coalesce(t.last_message_id, 0),
                   mb.archived, mb.muted, t.message_count - mb.read_count
              FROM chat.member mb
              JOIN chat.thread t ON t.id = mb.thread_id
             WHERE mb.user_id = viewer AND mb.large) u
     WHERE u.visible AND NOT u.archived AND NOT u.muted AND u.unread > 0;
END
$$;

CREATE OR REPLACE FUNCTION chat.messages(thread_id bigint,
                                         viewer chat.user_id DEFAULT chat.current_user_id(),
                                         before bigint DEFAULT NULL,
                                         after bigint DEFAULT NULL,
                                         page_size integer DEFAULT 50)
    RETURNS TABLE (id bigint, sender_id chat.user_id, kind text, content text,
                   sent_at timestamptz, edited boolean, deleted boolean,
                   parent_id bigint, forwarded_from bigint,
                   reactions jsonb, attachments jsonb, seen_count bigint, extra jsonb)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
#variable_conflict use_column
DECLARE
    tid bigint;
    lo bigint;
    hi bigint;
    n integer;
    oldest_first boolean;
    swapped boolean;
BEGIN
    PERFORM chat._act(viewer);
    tid := messages.thread_id;
    lo := coalesce(messages.after, 0);
    hi := coalesce(messages.before, 9223372036854775807);
    n := messages.page_size;
    oldest_first := messages.after IS NOT NULL AND messages.before IS NULL;
    PERFORM chat._not_null(tid, 'thread_id');
    PERFORM chat._not_null(messages.viewer, 'viewer');
    PERFORM chat._check_page_size(n);
    PERFORM chat._member_row(tid, messages.viewer);
    swapped := EXISTS (SELECT 1 FROM chat.model md WHERE md.model = 'message' AND md.tbl IS NOT NULL);

    RETURN QUERY
    WITH p AS (
        (SELECT * FROM chat.message m
          WHERE oldest_first AND m.thread_id = tid AND m.id > lo AND m.id < hi
          ORDER BY m.id LIMIT n)
        UNION ALL
        (SELECT * FROM chat.message m
          WHERE NOT oldest_first AND m.thread_id = tid AND m.id > lo AND m.id < hi
          ORDER BY m.id DESC LIMIT n)),
    s AS (
        SELECT mb.user_id, greatest(mb.read_id, mb.seen_id) AS seen
          FROM chat.member mb
         WHERE mb.thread_id = tid
           AND greatest(mb.read_id, mb.seen_id) >= (SELECT min(pm.id) FROM p pm)),
    c AS (
        SELECT x.id, x.n
          FROM (SELECT u.k AS id, u.is_page,
                       count(*) FILTER (WHERE NOT u.is_page)
                           OVER (ORDER BY u.k DESC, u.is_page ROWS UNBOUNDED PRECEDING) AS n
                  FROM (SELECT pp.id AS k, true AS is_page FROM p pp
                        UNION ALL
                        SELECT ss.seen, false FROM s ss) u) x
         WHERE x.is_page)
    SELECT p.id, p.sender_id, p.kind::text,
           CASE WHEN p.deleted_at IS NULL THEN p.content END,
           p.sent_at, p.edited_at IS NOT NULL, p.deleted_at IS NOT NULL,
           p.parent_id, p.forwarded_from,
           CASE WHEN p.deleted_at IS NULL THEN chat._reaction_summary(tid, p.id) ELSE '[]'::jsonb END,
           CASE WHEN p.deleted_at IS NULL THEN chat._attachment_list(tid, p.id) ELSE '[]'::jsonb END,
           c.n - CASE WHEN own.seen >= p.id THEN 1 ELSE 0 END,
           CASE WHEN swapped
                THEN (SELECT chat._extras('message', ARRAY[tid], array_agg(pe.id)) FROM p pe) -> p.id::text
           END
      FROM p
      JOIN c ON c.id = p.id
      LEFT JOIN s own ON own.user_id = p.sender_id
     ORDER BY p.id;
END
$$;

CREATE OR REPLACE FUNCTION chat.message_history(message_id bigint, viewer chat.user_id DEFAULT chat.current_user_id())
    RETURNS TABLE (content text, replaced_at timestamptz)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
#variable_conflict use_column
DECLARE
    m chat.message;
BEGIN
    PERFORM chat._act(viewer);
    PERFORM chat._not_null(message_history.message_id, 'message_id');
    PERFORM chat._not_null(viewer, 'viewer');
    m := chat._message_row(message_history.message_id);
    PERFORM chat._member_row(m.thread_id, viewer);
    RETURN QUERY
    SELECT e.content, e.replaced_at
      FROM chat.message_edit e
     WHERE e.thread_id = m.thread_id AND e.message_id = m.id AND m.deleted_at IS NULL
     ORDER BY e.version DESC;
END
$$;

CREATE OR REPLACE FUNCTION chat.members(thread_id bigint, viewer chat.user_id DEFAULT chat.current_user_id())
    RETURNS TABLE (user_id chat.user_id, role text, joined_at timestamptz, muted boolean,
                   permissions text[], extra jsonb)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
#variable_conflict use_column
DECLARE
    md chat.model;
    extras jsonb;
BEGIN
    PERFORM chat._act(viewer);
    md := chat._swapped('member');
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

CREATE OR REPLACE FUNCTION chat.first_message(thread_id bigint) RETURNS bigint
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT chat._require_reader(thread_id);
    SELECT m.id FROM chat.message m WHERE m.thread_id = $1 ORDER BY m.id LIMIT 1
$$;

CREATE OR REPLACE FUNCTION chat.latest_message(thread_id bigint, exclude_user chat.user_id DEFAULT NULL)
    RETURNS bigint
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT chat._require_reader(thread_id);
    SELECT m.id FROM chat.message m
     WHERE m.thread_id = $1 AND ($2 IS NULL OR m.sender_id IS DISTINCT FROM $2)
     ORDER BY m.id DESC LIMIT 1
$$;

CREATE OR REPLACE FUNCTION chat.earliest_message(thread_id bigint, exclude_user chat.user_id DEFAULT NULL)
    RETURNS bigint
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT chat._require_reader(thread_id);
    SELECT m.id FROM chat.message m
     WHERE m.thread_id = $1 AND ($2 IS NULL OR m.sender_id IS DISTINCT FROM $2)
     ORDER BY m.id LIMIT 1
$$;

CREATE OR REPLACE FUNCTION chat.started_by(thread_id bigint) RETURNS chat.user_id
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT chat._require_reader(thread_id);
    SELECT m.sender_id FROM chat.message m WHERE m.thread_id = $1 ORDER BY m.id LIMIT 1
$$;


/* ------------------------------------------------------------------------
 * sql/src/api/read_state.sql
 * ------------------------------------------------------------------------ */

CREATE OR REPLACE FUNCTION chat.mark_read(thread_id bigint,
                                          reader chat.user_id DEFAULT chat.current_user_id(),
                                          up_to bigint DEFAULT NULL)
    RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    tid bigint;
    m chat.member;
    pos record;
BEGIN
    PERFORM chat._act(reader);
    tid := mark_read.thread_id;
    PERFORM chat._not_null(tid, 'thread_id');
    PERFORM chat._not_null(reader, 'reader');
    m := chat._member_row(tid, reader, true);
    IF up_to IS NOT NULL THEN
        PERFORM chat._message_in(tid, up_to);
    END IF;
    pos := chat._read_position(tid, reader, up_to, false);
    IF pos.target <= m.read_id THEN
        RETURN 0;
    END IF;
    /* clock_timestamp: taken after the snapshot, so after the messages' commit */
    UPDATE chat.member mb
       SET read_id = pos.target, read_count = pos.read_count,
           seen_id = greatest(mb.seen_id, pos.target),
           read_at = clock_timestamp(),
           delivered_at = CASE WHEN pos.target > mb.delivered_id THEN clock_timestamp() ELSE mb.delivered_at END,
           delivered_id = greatest(mb.delivered_id, pos.target)
     WHERE mb.thread_id = tid AND mb.user_id = reader;
    PERFORM chat._emit('thread_read', tid, pos.target, reader,
                       jsonb_build_object('read', greatest(pos.read_count - m.read_count, 0)));
    RETURN greatest(pos.read_count - m.read_count, 0);
END
$$;

CREATE OR REPLACE FUNCTION chat.mark_unread(thread_id bigint,
                                            reader chat.user_id DEFAULT chat.current_user_id(),
                                            from_message bigint DEFAULT NULL)
    RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    tid bigint;
    m chat.member;
    pos record;
BEGIN
    PERFORM chat._act(reader);
    tid := mark_unread.thread_id;
    PERFORM chat._not_null(tid, 'thread_id');
    PERFORM chat._not_null(reader, 'reader');
    m := chat._member_row(tid, reader, true);
    IF from_message IS NOT NULL THEN
        PERFORM chat._message_in(tid, from_message);
    END IF;
    pos := chat._read_position(tid, reader, from_message, true);
    IF pos.target >= m.read_id THEN
        RETURN 0;
    END IF;
    UPDATE chat.member mb
       SET read_id = pos.target, read_count = pos.read_count,
           seen_id = greatest(mb.seen_id, mb.read_id)
     WHERE mb.thread_id = tid AND mb.user_id = reader;
    RETURN greatest(m.read_count - pos.read_count, 0);
END
$$;

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
            RAISE EXCEPTION 'up_to needs a thread_id' USING ERRCODE = '22023';
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

CREATE OR REPLACE FUNCTION chat.receipts(message_id bigint, viewer chat.user_id DEFAULT chat.current_user_id())
    RETURNS TABLE (user_id chat.user_id, status text, at timestamptz)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
#variable_conflict use_column
DECLARE
    m chat.message;
BEGIN
    PERFORM chat._act(viewer);
    PERFORM chat._not_null(receipts.message_id, 'message_id');
    PERFORM chat._not_null(receipts.viewer, 'viewer');
    m := chat._message_row(receipts.message_id);
    PERFORM chat._member_row(m.thread_id, receipts.viewer);
    RETURN QUERY
    SELECT r.user_id, r.status, r.at
      FROM chat.message_receipt r
     WHERE r.message_id = m.id
     ORDER BY r.user_id;
END
$$;


/* ------------------------------------------------------------------------
 * sql/src/api/rooms.sql
 * ------------------------------------------------------------------------ */

CREATE OR REPLACE FUNCTION chat.create_group(creator chat.user_id DEFAULT chat.current_user_id(),
                                  title text DEFAULT NULL,
                                  members chat.user_id[] DEFAULT '{}',
                                  is_public boolean DEFAULT false,
                                  extra jsonb DEFAULT NULL)
    RETURNS bigint
    LANGUAGE sql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT chat._act(creator);
SELECT chat._new_room('group', creator, title, members, is_public, extra) $$;

CREATE OR REPLACE FUNCTION chat.create_channel(creator chat.user_id DEFAULT chat.current_user_id(),
                                  title text DEFAULT NULL,
                                  members chat.user_id[] DEFAULT '{}',
                                  is_public boolean DEFAULT false,
                                  extra jsonb DEFAULT NULL)
    RETURNS bigint
    LANGUAGE sql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT chat._act(creator);
SELECT chat._new_room('channel', creator, title, members, is_public, extra) $$;

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
        RAISE EXCEPTION 'a direct thread needs two different users' USING ERRCODE = '22023',
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
    PERFORM chat._not_null(creator, 'creator');
    PERFORM chat._not_null(object_thread.kind, 'kind');
    IF object_thread.kind NOT IN ('group', 'channel') THEN
        RAISE EXCEPTION 'an object''s room is a group or a channel, not "%"', object_thread.kind
            USING ERRCODE = '22023';
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
            USING ERRCODE = '42501';
    END IF;
    RETURN tid;
END
$$;

CREATE OR REPLACE FUNCTION chat.rename_thread(thread_id bigint,
                                   actor chat.user_id DEFAULT chat.current_user_id(),
                                   title text DEFAULT NULL)
    RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    t chat.thread;
BEGIN
    PERFORM chat._act(actor);
    t := chat._lock_thread(rename_thread.thread_id);
    PERFORM chat._not_null(actor, 'actor');
    PERFORM chat._not_null(title, 'title');
    PERFORM chat._check_subject(title);
    PERFORM chat._require(chat._member_row(t.id, actor), 'edit_thread', 'rename');
    UPDATE chat.thread th SET subject = title WHERE th.id = t.id;
    PERFORM chat._system_message(t.id, actor,
        format('%s renamed the %s to "%s"', chat._label(actor), chat._kind_word(t.kind), title));
END
$$;

CREATE OR REPLACE FUNCTION chat.drop_thread(thread_id bigint, actor chat.user_id DEFAULT chat.current_user_id())
    RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    t chat.thread;
BEGIN
    PERFORM chat._act(actor);
    t := chat._lock_thread(drop_thread.thread_id);
    PERFORM chat._not_null(actor, 'actor');
    PERFORM chat._require(chat._member_row(t.id, actor), 'delete_thread', 'delete');
    DELETE FROM chat.thread th WHERE th.id = t.id;
END
$$;

CREATE OR REPLACE FUNCTION chat.mute(thread_id bigint, "user" chat.user_id DEFAULT chat.current_user_id(),
                          muted boolean DEFAULT true)
    RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    PERFORM chat._act("user");
    PERFORM chat._not_null(mute.thread_id, 'thread_id');
    PERFORM chat._not_null(mute."user", 'user');
    PERFORM chat._not_null(mute.muted, 'muted');
    PERFORM chat._member_row(mute.thread_id, mute."user", true);
    UPDATE chat.member mb SET muted = mute.muted
     WHERE mb.thread_id = mute.thread_id AND mb.user_id = mute."user";
END
$$;


/* ------------------------------------------------------------------------
 * sql/src/api/send.sql
 * ------------------------------------------------------------------------ */

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
        RAISE EXCEPTION 'recipients must be a one-dimensional array' USING ERRCODE = '22023';
    END IF;
    IF cardinality(recipients) = 0 THEN
        RAISE EXCEPTION 'recipients must not be empty' USING ERRCODE = '22023',
            HINT = 'Give at least one user id; send to yourself with ARRAY[sender].';
    END IF;
    IF array_position(recipients, NULL) IS NOT NULL THEN
        RAISE EXCEPTION 'recipients must not contain null' USING ERRCODE = '22004';
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

CREATE OR REPLACE FUNCTION chat.forward_message(message_id bigint,
                                     to_thread_id bigint,
                                     actor chat.user_id DEFAULT chat.current_user_id(),
                                     comment text DEFAULT NULL)
    RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    m chat.message;
    mid bigint;
BEGIN
    PERFORM chat._act(actor);
    PERFORM chat._not_null(forward_message.message_id, 'message_id');
    PERFORM chat._not_null(to_thread_id, 'to_thread_id');
    PERFORM chat._not_null(actor, 'actor');
    m := chat._message_row(forward_message.message_id);
    PERFORM chat._member_row(m.thread_id, actor);
    IF m.deleted_at IS NOT NULL THEN
        RAISE EXCEPTION 'cannot forward deleted message %', m.id USING ERRCODE = '55000';
    END IF;
    IF m.kind = 'system' THEN
        RAISE EXCEPTION 'cannot forward system message %', m.id USING ERRCODE = '55000';
    END IF;
    IF comment IS NOT NULL THEN
        PERFORM chat._check_content(comment);
    END IF;

    /* the trigger refuses an unknown thread (42704) and a sender who may not post there (42501) */
    INSERT INTO chat.message AS mg (thread_id, sender_id, content, forwarded_from)
    VALUES (to_thread_id, actor, m.content, m.id)
    RETURNING mg.id INTO mid;
    INSERT INTO chat.attachment (thread_id, message_id, position, key, name, mime, size, meta)
    SELECT to_thread_id, mid, a.position, a.key, a.name, a.mime, a.size, a.meta
      FROM chat.attachment a
     WHERE a.thread_id = m.thread_id AND a.message_id = m.id;
    PERFORM chat._fill_extra('message', to_thread_id, mid, NULL, NULL);
    PERFORM chat._emit('message_sent', to_thread_id, mid, actor,
                       jsonb_build_object('reply', true, 'kind', 'text', 'forwarded_from', m.id));

    IF comment IS NOT NULL THEN
        PERFORM chat.new_reply(to_thread_id, actor, comment);
    END IF;
    RETURN mid;
END
$$;


/* ------------------------------------------------------------------------
 * sql/src/api/settings.sql
 * ------------------------------------------------------------------------ */

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
        RAISE EXCEPTION 'argument "key" must not be null' USING ERRCODE = '22004';
    END IF;
    SELECT * INTO d FROM chat.setting_default sd WHERE sd.key = set_setting.key;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown setting "%"', key
            USING ERRCODE = '22023',
                  HINT = 'SELECT key FROM chat.settings lists the settings.';
    END IF;

    IF value IS NULL OR value = 'null'::jsonb THEN
        DELETE FROM chat.setting s WHERE s.key = d.key;
        RETURN d.value;
    END IF;

    IF d.type = 'boolean' AND jsonb_typeof(value) <> 'boolean' THEN
        RAISE EXCEPTION 'invalid value for setting "%": %', key, value
            USING ERRCODE = '22023', DETAIL = 'The setting takes true or false.';
    ELSIF d.type = 'integer' THEN
        IF jsonb_typeof(value) <> 'number' OR value::numeric <> trunc(value::numeric) THEN
            RAISE EXCEPTION 'invalid value for setting "%": %', key, value
                USING ERRCODE = '22023', DETAIL = 'The setting takes a whole number.';
        END IF;
        n := value::numeric;
        IF n < d.min_value OR n > d.max_value THEN
            RAISE EXCEPTION 'value % is out of range for setting "%"', value, key
                USING ERRCODE = '22023',
                      DETAIL = format('The setting takes a number from %s to %s.', d.min_value, d.max_value);
        END IF;
    ELSIF d.type = 'text' THEN
        IF jsonb_typeof(value) <> 'string' THEN
            RAISE EXCEPTION 'invalid value for setting "%": %', key, value
                USING ERRCODE = '22023', DETAIL = 'The setting takes a string.';
        END IF;
        n := char_length(value #>> '{}');
        IF n < d.min_value OR n > d.max_value THEN
            RAISE EXCEPTION 'value % is out of range for setting "%"', value, key
                USING ERRCODE = '22023',
                      DETAIL = format('The setting takes a string of %s to %s characters.', d.min_value, d.max_value);
        END IF;
    ELSIF d.type = 'reactions' THEN
        IF jsonb_typeof(value) = 'string' AND value #>> '{}' IN ('any', 'emoji') THEN
            NULL;
        ELSIF jsonb_typeof(value) <> 'array' OR jsonb_array_length(value) NOT BETWEEN 1 AND 200
              OR EXISTS (SELECT 1 FROM jsonb_array_elements(value) e WHERE jsonb_typeof(e) <> 'string')
              OR (SELECT count(DISTINCT e) <> count(*) FROM jsonb_array_elements(value) e) THEN
            RAISE EXCEPTION 'invalid value for setting "%": %', key, value
                USING ERRCODE = '22023',
                      DETAIL = 'The setting takes "any", "emoji" or a JSON array of 1 to 200 distinct reactions.';
        ELSE
            lim := chat._setting_value('max_reaction_length')::integer;
            SELECT e INTO bad FROM jsonb_array_elements_text(value) e
             WHERE chat._is_blank(e) OR char_length(e) > lim LIMIT 1;
            IF FOUND THEN
                RAISE EXCEPTION 'invalid reaction "%" in setting "%"', bad, key
                    USING ERRCODE = '22023',
                          DETAIL = format('A reaction is not blank and has at most %s characters (the setting "max_reaction_length").', lim);
            END IF;
        END IF;
    ELSIF d.type = 'mime_types' THEN
        IF jsonb_typeof(value) <> 'array' OR jsonb_array_length(value) NOT BETWEEN 1 AND 200
           OR EXISTS (SELECT 1 FROM jsonb_array_elements(value) e WHERE jsonb_typeof(e) <> 'string') THEN
            RAISE EXCEPTION 'invalid value for setting "%": %', key, value
                USING ERRCODE = '22023',
                      DETAIL = 'The setting takes null or a JSON array of 1 to 200 MIME types such as "image/png" or "image/*".';
        END IF;
        SELECT e INTO bad FROM jsonb_array_elements_text(value) e
         WHERE e !~ '^([A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*/([A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*|\*)|\*/\*)$' LIMIT 1;
        IF FOUND THEN
            RAISE EXCEPTION 'invalid MIME type "%" in setting "%"', bad, key
                USING ERRCODE = '22023',
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


/* ------------------------------------------------------------------------
 * sql/src/api/users.sql
 * ------------------------------------------------------------------------ */

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
            USING ERRCODE = '42501',
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
            USING ERRCODE = '22023',
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
    IF coalesce(nullif((SELECT t.typbasetype FROM pg_type t WHERE t.oid = coltype), 0), coltype) <> base THEN
        RAISE EXCEPTION 'column "%" of table "%" is of type %, but chat''s user ids are of type %',
                        id_column, tbl, format_type(coltype, NULL), format_type(base, NULL)
            USING ERRCODE = '42804',
                  DETAIL = 'A foreign key from chat.user_id columns needs an id column of their base type.',
                  HINT = 'The type of chat''s user ids is chosen by the setting chat.user_id_type before CREATE EXTENSION chat.';
    END IF;
    IF NOT chat._is_unique(tbl, att.attnum) THEN
        RAISE EXCEPTION 'column "%" of table "%" has no unique constraint', id_column, tbl
            USING ERRCODE = '42P10',
                  HINT = 'A foreign key references a primary key or unique constraint on exactly that column.';
    END IF;

    IF display_name IS NOT NULL THEN
        SELECT * INTO fn FROM pg_proc p WHERE p.oid = display_name;
        IF fn.prokind <> 'f' OR fn.proretset OR fn.prorettype <> 'text'::regtype OR fn.pronargs <> 1
           OR fn.proargtypes[0] NOT IN ('chat.user_id'::regtype, base) THEN
            RAISE EXCEPTION 'function "%" cannot be a display name function', display_name
                USING ERRCODE = '42883',
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


/* The bodies of 0.4 and 0.5, and what nothing calls. */
DROP SCHEMA chat_internal CASCADE;
DROP FUNCTION chat._not_yet(jsonb, jsonb);

/* Privileges as sql/src/privileges.sql grants them: the public API, one list. */
REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA chat FROM PUBLIC;

-- api/settings.sql
GRANT EXECUTE ON FUNCTION chat.get_setting(text) TO PUBLIC;
GRANT EXECUTE ON FUNCTION chat.set_setting(text, jsonb) TO PUBLIC;

-- api/identity.sql
GRANT EXECUTE ON FUNCTION chat.current_user_id() TO PUBLIC;
GRANT EXECUTE ON FUNCTION chat.is_server_role() TO PUBLIC;
GRANT EXECUTE ON FUNCTION chat.map_role(regrole, chat.user_id) TO PUBLIC;
GRANT EXECUTE ON FUNCTION chat.unmap_role(regrole) TO PUBLIC;

-- api/send.sql
GRANT EXECUTE ON FUNCTION chat.new_message(chat.user_id, chat.user_id[], text, text, jsonb, jsonb) TO PUBLIC;
GRANT EXECUTE ON FUNCTION chat.new_reply(bigint, chat.user_id, text, bigint, jsonb, jsonb) TO PUBLIC;
GRANT EXECUTE ON FUNCTION chat.forward_message(bigint, bigint, chat.user_id, text) TO PUBLIC;

-- api/read.sql
GRANT EXECUTE ON FUNCTION chat.inbox(chat.user_id, text, text, integer) TO PUBLIC;
GRANT EXECUTE ON FUNCTION chat.inbox_count(chat.user_id, text) TO PUBLIC;
GRANT EXECUTE ON FUNCTION chat.unread_count(chat.user_id) TO PUBLIC;
GRANT EXECUTE ON FUNCTION chat.messages(bigint, chat.user_id, bigint, bigint, integer) TO PUBLIC;
GRANT EXECUTE ON FUNCTION chat.message_history(bigint, chat.user_id) TO PUBLIC;
GRANT EXECUTE ON FUNCTION chat.members(bigint, chat.user_id) TO PUBLIC;
GRANT EXECUTE ON FUNCTION chat.first_message(bigint) TO PUBLIC;
GRANT EXECUTE ON FUNCTION chat.latest_message(bigint, chat.user_id) TO PUBLIC;
GRANT EXECUTE ON FUNCTION chat.earliest_message(bigint, chat.user_id) TO PUBLIC;
GRANT EXECUTE ON FUNCTION chat.started_by(bigint) TO PUBLIC;

-- api/read_state.sql
GRANT EXECUTE ON FUNCTION chat.mark_read(bigint, chat.user_id, bigint) TO PUBLIC;
GRANT EXECUTE ON FUNCTION chat.mark_unread(bigint, chat.user_id, bigint) TO PUBLIC;
GRANT EXECUTE ON FUNCTION chat.mark_delivered(chat.user_id, bigint, bigint) TO PUBLIC;
GRANT EXECUTE ON FUNCTION chat.receipts(bigint, chat.user_id) TO PUBLIC;

-- api/folders.sql
GRANT EXECUTE ON FUNCTION chat.delete_thread(bigint, chat.user_id) TO PUBLIC;
GRANT EXECUTE ON FUNCTION chat.restore_thread(bigint, chat.user_id) TO PUBLIC;
GRANT EXECUTE ON FUNCTION chat.archive_thread(bigint, chat.user_id) TO PUBLIC;
GRANT EXECUTE ON FUNCTION chat.unarchive_thread(bigint, chat.user_id) TO PUBLIC;

-- api/edit.sql
GRANT EXECUTE ON FUNCTION chat.edit_message(bigint, chat.user_id, text) TO PUBLIC;
GRANT EXECUTE ON FUNCTION chat.delete_message(bigint, chat.user_id) TO PUBLIC;

-- api/rooms.sql
GRANT EXECUTE ON FUNCTION chat.create_group(chat.user_id, text, chat.user_id[], boolean, jsonb) TO PUBLIC;
GRANT EXECUTE ON FUNCTION chat.create_channel(chat.user_id, text, chat.user_id[], boolean, jsonb) TO PUBLIC;
GRANT EXECUTE ON FUNCTION chat.direct_thread(chat.user_id, chat.user_id) TO PUBLIC;
GRANT EXECUTE ON FUNCTION chat.object_thread(text, text, chat.user_id, text, text, boolean) TO PUBLIC;
GRANT EXECUTE ON FUNCTION chat.rename_thread(bigint, chat.user_id, text) TO PUBLIC;
GRANT EXECUTE ON FUNCTION chat.drop_thread(bigint, chat.user_id) TO PUBLIC;
GRANT EXECUTE ON FUNCTION chat.mute(bigint, chat.user_id, boolean) TO PUBLIC;

-- api/membership.sql
GRANT EXECUTE ON FUNCTION chat.add_members(bigint, chat.user_id, chat.user_id[], text) TO PUBLIC;
GRANT EXECUTE ON FUNCTION chat.join_thread(bigint, chat.user_id) TO PUBLIC;
GRANT EXECUTE ON FUNCTION chat.leave_thread(bigint, chat.user_id) TO PUBLIC;
GRANT EXECUTE ON FUNCTION chat.remove_member(bigint, chat.user_id, chat.user_id) TO PUBLIC;
GRANT EXECUTE ON FUNCTION chat.can_join(bigint, chat.user_id) TO PUBLIC;
GRANT EXECUTE ON FUNCTION chat.can_leave(bigint, chat.user_id) TO PUBLIC;

-- api/permissions.sql
GRANT EXECUTE ON FUNCTION chat.set_role(bigint, chat.user_id, chat.user_id, text) TO PUBLIC;
GRANT EXECUTE ON FUNCTION chat."grant"(bigint, chat.user_id, chat.user_id, text) TO PUBLIC;
GRANT EXECUTE ON FUNCTION chat.revoke(bigint, chat.user_id, chat.user_id, text) TO PUBLIC;
GRANT EXECUTE ON FUNCTION chat.has_permission(bigint, chat.user_id, text) TO PUBLIC;

-- api/reactions.sql
GRANT EXECUTE ON FUNCTION chat.add_reaction(bigint, chat.user_id, text) TO PUBLIC;
GRANT EXECUTE ON FUNCTION chat.remove_reaction(bigint, chat.user_id, text) TO PUBLIC;
GRANT EXECUTE ON FUNCTION chat.toggle_reaction(bigint, chat.user_id, text) TO PUBLIC;
GRANT EXECUTE ON FUNCTION chat.reactions(bigint, chat.user_id) TO PUBLIC;

-- api/users.sql
GRANT EXECUTE ON FUNCTION chat.use_user_table(regclass, name, text, regprocedure) TO PUBLIC;
GRANT EXECUTE ON FUNCTION chat.display_name(chat.user_id) TO PUBLIC;

-- api/models.sql
GRANT EXECUTE ON FUNCTION chat.swap_model(text, regclass) TO PUBLIC;
GRANT EXECUTE ON FUNCTION chat.swap_renderer(text, regprocedure) TO PUBLIC;

-- api/hooks.sql
GRANT EXECUTE ON FUNCTION chat.add_hook(text, regprocedure, integer) TO PUBLIC;
GRANT EXECUTE ON FUNCTION chat.remove_hook(text, regprocedure) TO PUBLIC;
GRANT EXECUTE ON FUNCTION chat.typing(bigint, chat.user_id) TO PUBLIC;

-- api/admin.sql
GRANT EXECUTE ON FUNCTION chat.verify_unread(bigint) TO PUBLIC;

-- row-level security (security.sql)
GRANT EXECUTE ON FUNCTION chat._is_member(bigint) TO PUBLIC;

/* Every column says what it holds. */
COMMENT ON COLUMN chat.setting_default.key IS
    'name of the setting, as given to chat.get_setting and chat.set_setting';
COMMENT ON COLUMN chat.setting_default.value IS
    'default value, as JSON; JSON null where null means no limit or any (max_members, max_attachment_size, attachment_mime_types)';
COMMENT ON COLUMN chat.setting_default.type IS
    'what chat.set_setting accepts: boolean, integer (whole number from min_value to max_value), text (string of min_value to max_value characters), reactions ("any", "emoji" or an array of reactions), mime_types (array of MIME types) or roles (array of role names)';
COMMENT ON COLUMN chat.setting_default.min_value IS 'Smallest value (integer) or shortest text (text)';
COMMENT ON COLUMN chat.setting_default.max_value IS 'Largest value (integer) or longest text (text)';
COMMENT ON COLUMN chat.setting_default.description IS
    'what the setting means, shown by the view chat.settings';
COMMENT ON COLUMN chat.setting.key IS 'setting changed from its default (chat.setting_default.key)';
COMMENT ON COLUMN chat.setting.value IS
    'value set by chat.set_setting, as JSON, used instead of the default; never JSON null (setting null deletes the row, restoring the default)';
COMMENT ON COLUMN chat.thread.id IS 'thread id, from chat.thread_id_seq';
COMMENT ON COLUMN chat.thread.kind IS
    'private (pinax thread with a subject), direct (the one 1:1 thread of two users), group or channel (by default only owners and admins post)';
COMMENT ON COLUMN chat.thread.subject IS 'Subject of a private thread, title of a group or channel';
COMMENT ON COLUMN chat.thread.created_by IS 'Who started the thread (the "sent" folder)';
COMMENT ON COLUMN chat.thread.created_at IS 'when the thread was created (start of the creating transaction)';
COMMENT ON COLUMN chat.thread.is_public IS
    'listed in chat.public_thread and open to chat.join_thread for anyone (false: members are added by members with the permission add_members)';
COMMENT ON COLUMN chat.thread.object_type IS
    'type of the application object whose room this is (chat.object_thread); NULL for other threads';
COMMENT ON COLUMN chat.thread.object_id IS
    'id of that application object, as text; NULL exactly when object_type is NULL; (object_type, object_id) is unique';
COMMENT ON COLUMN chat.thread.member_count IS 'Number of members, kept by trigger';
COMMENT ON COLUMN chat.thread.large IS
    'More members than inbox_fanout_limit at some point: new messages no longer touch other members'' rows';
COMMENT ON COLUMN chat.thread.message_count IS 'Number of messages, kept by the message trigger';
COMMENT ON COLUMN chat.thread.last_message_id IS 'Newest message; the thread''s position in inboxes';
COMMENT ON COLUMN chat.thread.last_sender_id IS
    'sender of the newest message (NULL: no message yet, a system message without sender, or a sender deleted from the bound users table)';
COMMENT ON COLUMN chat.thread.last_sent_at IS
    'when the newest message was sent (its sent_at); NULL: no message yet';
COMMENT ON COLUMN chat.thread.last_preview IS 'First 100 characters of the newest message, NULL once deleted';
COMMENT ON COLUMN chat.thread.direct_low IS 'Direct thread: the smaller of its two user ids';
COMMENT ON COLUMN chat.thread.direct_high IS 'Direct thread: the larger of its two user ids';
COMMENT ON COLUMN chat.member.thread_id IS 'the thread; the membership is deleted with it';
COMMENT ON COLUMN chat.member.user_id IS 'the member''s user id';
COMMENT ON COLUMN chat.member.role IS
    'owner, admin or member (both members of a direct thread are member); chat.set_role changes it';
COMMENT ON COLUMN chat.member.joined_at IS
    'when the user became a member (start of that transaction); the oldest admin takes over from a leaving last owner';
COMMENT ON COLUMN chat.member.muted IS
    'muted by this member (chat.mute): still listed, left out of chat.unread_count''s badge';
COMMENT ON COLUMN chat.member.archived IS
    'in this member''s archived folder (chat.archive_thread); stays there when new messages arrive';
COMMENT ON COLUMN chat.member.hidden_id IS
    'Deleted by this user when the thread''s newest message was this id; visible again once a newer message exists';
COMMENT ON COLUMN chat.member.read_id IS 'Read pointer: every message up to this id is read';
COMMENT ON COLUMN chat.member.read_count IS
    'Messages counted as read (up to the pointer, plus the member''s own later ones); unread = thread.message_count - read_count';
COMMENT ON COLUMN chat.member.delivered_id IS 'Delivered pointer: every message up to this id is delivered';
COMMENT ON COLUMN chat.member.large IS
    'Copy of thread.large; activity_id and message_count are kept only when false';
COMMENT ON COLUMN chat.member.activity_id IS
    'Copy of thread.last_message_id (small threads): the inbox order';
COMMENT ON COLUMN chat.member.message_count IS
    'Copy of thread.message_count (small threads): badge counts without the thread row';
COMMENT ON COLUMN chat.member.permissions IS
    'what the member may do: its role''s defaults (chat.permission_default), cut to the actor''s own permissions when a non-owner adds the member or an admin sets its role; changed by chat.grant / chat.revoke, reset by chat.set_role';
COMMENT ON COLUMN chat.member.seen_id IS
    'high-water mark of the read pointer saved by mark_read and mark_unread (0: neither yet; sending and joining move only read_id), so mark_unread never takes a "seen" back; seen = every message up to greatest(read_id, seen_id)';
COMMENT ON COLUMN chat.member.read_at IS
    'When mark_read last moved the read pointer forward (NULL: never, or before 0.3)';
COMMENT ON COLUMN chat.member.delivered_at IS
    'When mark_delivered or mark_read last moved the delivered pointer forward (NULL: never, or before 0.3)';
COMMENT ON COLUMN chat.message.thread_id IS 'the thread; the message is deleted with it';
COMMENT ON COLUMN chat.message.id IS
    'message id from chat.message_id_seq, set by the insert trigger: unique across threads, increasing within a thread in commit order, gaps possible';
COMMENT ON COLUMN chat.message.sender_id IS
    'sender; NULL for a system message without sender, or once the sender is deleted from a users table bound with on_delete anonymize';
COMMENT ON COLUMN chat.message.kind IS
    'text (written by a member) or system (a notice such as "Alice added Bob", sent by the member who caused it)';
COMMENT ON COLUMN chat.message.content IS
    'Text; kept after a soft delete but no longer shown by chat.messages';
COMMENT ON COLUMN chat.message.sent_at IS
    'when the message was sent: clock time taken by the insert trigger under the thread''s lock, so it increases with id (a row restored by pg_dump keeps its own)';
COMMENT ON COLUMN chat.message.edited_at IS
    'when the content last changed (chat.edit_message); NULL: never edited';
COMMENT ON COLUMN chat.message.deleted_at IS 'Soft delete: set by chat.delete_message';
COMMENT ON COLUMN chat.message.parent_id IS 'The message this one replies to, in the same thread';
COMMENT ON COLUMN chat.message.forwarded_from IS 'The message this one is a forwarded copy of';
COMMENT ON COLUMN chat.message_edit.thread_id IS 'thread of the edited message';
COMMENT ON COLUMN chat.message_edit.message_id IS 'the edited message; its history is deleted with it';
COMMENT ON COLUMN chat.message_edit.version IS
    'number of this earlier version, 1 for the original text and up by one per edit; the current text is chat.message.content';
COMMENT ON COLUMN chat.message_edit.content IS
    'the text of this version (NULL: the message had only attachments then)';
COMMENT ON COLUMN chat.message_edit.replaced_at IS 'When this version was replaced by the next';
COMMENT ON COLUMN chat.permission_default.kind IS 'kind of thread these defaults apply to';
COMMENT ON COLUMN chat.permission_default.role IS 'member role these defaults apply to';
COMMENT ON COLUMN chat.permission_default.permissions IS
    'permissions a member of this role starts with, copied into chat.member.permissions when a member is added or changes role (a change here does not touch existing members)';
COMMENT ON COLUMN chat.reaction.thread_id IS 'thread of the message reacted to';
COMMENT ON COLUMN chat.reaction.message_id IS 'the message reacted to; its reactions are deleted with it';
COMMENT ON COLUMN chat.reaction.user_id IS 'the user who reacted';
COMMENT ON COLUMN chat.reaction.reaction IS
    'the reaction: any text up to max_reaction_length characters, exactly one emoji, or one of a list, as the setting "reactions" says when it is added';
COMMENT ON COLUMN chat.reaction.created_at IS
    'When the reaction was added; reactions are listed by first use';
COMMENT ON COLUMN chat.attachment.thread_id IS 'thread of the message the file belongs to';
COMMENT ON COLUMN chat.attachment.message_id IS
    'the message the file belongs to; its attachments are deleted with it';
COMMENT ON COLUMN chat.attachment.position IS 'Order within the message, from 1';
COMMENT ON COLUMN chat.attachment.key IS 'Storage key or URL of the file';
COMMENT ON COLUMN chat.attachment.name IS 'File name shown to users';
COMMENT ON COLUMN chat.attachment.mime IS 'MIME type, checked against the setting "attachment_mime_types"';
COMMENT ON COLUMN chat.attachment.size IS 'Size in bytes, checked against the setting "max_attachment_size"';
COMMENT ON COLUMN chat.attachment.meta IS
    'Any JSON object the application keeps with the file (width, height, duration...)';
COMMENT ON COLUMN chat.hook.event IS
    'event the hook runs for: message_sent, message_edited, message_deleted, thread_created, member_added, member_removed, reaction_added, reaction_removed or thread_read';
COMMENT ON COLUMN chat.hook.function IS
    'the hook fn(jsonb): called with the event''s payload inside the operation''s transaction, as the current role; an error aborts the operation; skipped once dropped';
COMMENT ON COLUMN chat.hook.position IS
    'order among the event''s hooks, lowest first (chat.add_hook''s pos, default after the others); unique per event';
COMMENT ON COLUMN chat.model.model IS
    'the chat model extended or rendered: message, thread or member (reaction and attachment not available yet)';
COMMENT ON COLUMN chat.model.tbl IS
    'the application''s table extending the model, keyed by chat''s key (chat.swap_model); its row is the record''s extra; NULL: only a renderer is registered';
COMMENT ON COLUMN chat.model.renderer IS
    'fn(jsonb) returns jsonb rendering the model''s extra and its events (chat.swap_renderer), run as the current role; NULL: extra is the row without its keys';
COMMENT ON COLUMN chat.user_binding.singleton IS 'always true: the key that allows at most one binding';
COMMENT ON COLUMN chat.user_binding.tbl IS
    'the application''s users table that chat''s user columns reference (chat.use_user_table)';
COMMENT ON COLUMN chat.user_binding.id_column IS
    'its user id column (unique, of the base type of chat.user_id); followed when renamed';
COMMENT ON COLUMN chat.user_binding.on_delete IS
    'what deleting a user does: cascade (memberships and messages deleted), restrict (refused while chat refers to the user) or anonymize (memberships deleted, messages kept without sender)';
COMMENT ON COLUMN chat.user_binding.display_name IS
    'fn(user_id) returns text naming users in chat.display_name, member_view, message_view, system messages and events, run as the current role; NULL: none (names are NULL, system messages use ids)';
COMMENT ON COLUMN chat.role_map.role IS
    'database role mapped to a chat user (chat.map_role), kept by OID: unmap it before dropping the role';
COMMENT ON COLUMN chat.role_map.user_id IS
    'the chat user that role is: chat.current_user_id() in its sessions, whatever chat.user_id or JWT claims say';
COMMENT ON COLUMN chat.settings.key IS 'name of the setting';
COMMENT ON COLUMN chat.settings.value IS 'effective value: the one in chat.setting, else the default';
COMMENT ON COLUMN chat.settings.default_value IS 'default value (chat.setting_default.value)';
COMMENT ON COLUMN chat.settings.changed IS
    'true when chat.setting holds a value for it (set by chat.set_setting)';
COMMENT ON COLUMN chat.settings.description IS 'what the setting means';
COMMENT ON COLUMN chat.member_view.thread_id IS 'the thread';
COMMENT ON COLUMN chat.member_view.user_id IS 'the member''s user id';
COMMENT ON COLUMN chat.member_view.display_name IS
    'chat.display_name(user_id): NULL when no display name function is registered';
COMMENT ON COLUMN chat.member_view.role IS 'owner, admin or member';
COMMENT ON COLUMN chat.member_view.joined_at IS 'when the user became a member';
COMMENT ON COLUMN chat.member_view.muted IS 'muted by this member: left out of chat.unread_count''s badge';
COMMENT ON COLUMN chat.message_view.thread_id IS 'the thread';
COMMENT ON COLUMN chat.message_view.id IS 'message id, increasing within the thread';
COMMENT ON COLUMN chat.message_view.sender_id IS
    'sender (NULL: a system message without sender, or an anonymized sender)';
COMMENT ON COLUMN chat.message_view.sender_name IS
    'chat.display_name(sender_id): NULL when no display name function is registered or the sender is NULL';
COMMENT ON COLUMN chat.message_view.kind IS 'text or system';
COMMENT ON COLUMN chat.message_view.content IS 'NULL once the message is deleted';
COMMENT ON COLUMN chat.message_view.sent_at IS 'when the message was sent';
COMMENT ON COLUMN chat.message_view.edited IS
    'the content was edited (earlier versions in chat.message_edit)';
COMMENT ON COLUMN chat.message_view.deleted IS 'the message was soft-deleted (chat.delete_message)';
COMMENT ON COLUMN chat.message_view.parent_id IS 'the message this one replies to (NULL: not a reply)';
COMMENT ON COLUMN chat.message_view.forwarded_from IS
    'the message this one is a forwarded copy of (NULL: not forwarded)';
COMMENT ON COLUMN chat.message_receipt.message_id IS
    'the message; filter by it, a whole scan joins every message with every member';
COMMENT ON COLUMN chat.message_receipt.user_id IS
    'a member other than the sender whose pointers reached the message';
COMMENT ON COLUMN chat.message_receipt.status IS
    'seen (up to greatest(read_id, seen_id)) or delivered (up to delivered_id only)';
COMMENT ON COLUMN chat.message_receipt.at IS
    'the member''s read_at (seen) or delivered_at (delivered) when not older than the message; NULL: unknown (pointer moved by the member''s own sending or joining, or before 0.3)';
COMMENT ON COLUMN chat.public_thread.id IS 'thread id';
COMMENT ON COLUMN chat.public_thread.kind IS 'private, direct, group or channel';
COMMENT ON COLUMN chat.public_thread.subject IS 'subject or title (NULL: none)';
COMMENT ON COLUMN chat.public_thread.created_by IS
    'who started the thread (NULL: deleted from the bound users table)';
COMMENT ON COLUMN chat.public_thread.created_at IS 'when the thread was created';
COMMENT ON COLUMN chat.public_thread.object_type IS
    'type of the application object whose room this is; NULL for other threads';
COMMENT ON COLUMN chat.public_thread.object_id IS
    'id of that object, as text; NULL exactly when object_type is NULL';
COMMENT ON COLUMN chat.public_thread.member_count IS 'number of members';
