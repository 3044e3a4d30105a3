
/* ------------------------------------------------------------------------
 * Events: hooks (the seeds' signals) and realtime NOTIFY
 * ------------------------------------------------------------------------ */

INSERT INTO chat.setting_default (key, value, type, min_value, max_value, description) VALUES
    ('notify', 'true', 'boolean', NULL, NULL,
     'Publish every event with NOTIFY at commit (costs throughput: NOTIFY serialises commits)'),
    ('notify_channel', '"chat"', 'text', 1, 63,
     'The NOTIFY channel events are published on');

CREATE FUNCTION chat._emit(event text, thread_id bigint, message_id bigint,
                           user_id chat.user_id, fields jsonb DEFAULT NULL)
    RETURNS void
    LANGUAGE c
    AS 'MODULE_PATHNAME', 'chat_emit_sql';
COMMENT ON FUNCTION chat._emit(text, bigint, bigint, chat.user_id, jsonb) IS
    'Describe an event as one jsonb object, run its hooks and queue its NOTIFY (src/events.c)';

/* Raise 22023 for a name that is not a hook event. */
CREATE FUNCTION chat._check_event(event text) RETURNS void
    LANGUAGE plpgsql IMMUTABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF event IS NULL THEN
        RAISE EXCEPTION 'argument "event" must not be null' USING ERRCODE = '22004';
    END IF;
    IF event NOT IN ('message_sent', 'message_edited', 'message_deleted', 'thread_created',
                     'member_added', 'member_removed', 'reaction_added', 'reaction_removed',
                     'thread_read') THEN
        RAISE EXCEPTION 'unknown event "%"', event
            USING ERRCODE = '22023',
                  HINT = 'Events are "message_sent", "message_edited", "message_deleted", "thread_created", "member_added", "member_removed", "reaction_added", "reaction_removed" and "thread_read".';
    END IF;
END
$$;

CREATE FUNCTION chat.add_hook(event text, fn regprocedure, pos integer DEFAULT NULL)
    RETURNS boolean
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    p pg_proc;
BEGIN
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
COMMENT ON FUNCTION chat.add_hook(text, regprocedure, integer) IS
    'Run fn(jsonb) inside the transaction of every event of this kind, in position order (pos; default: after the others); an error in fn aborts the operation. Returns false when fn was already registered';

CREATE FUNCTION chat.remove_hook(event text, fn regprocedure) RETURNS boolean
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    PERFORM chat._check_event(event);
    IF fn IS NULL THEN
        RAISE EXCEPTION 'argument "fn" must not be null' USING ERRCODE = '22004';
    END IF;
    DELETE FROM chat.hook h WHERE h.event = remove_hook.event AND h.function = fn;
    RETURN FOUND;
END
$$;
COMMENT ON FUNCTION chat.remove_hook(text, regprocedure) IS
    'Stop running fn for the event; returns false when it was not registered';

CREATE FUNCTION chat.typing(thread_id bigint, "user" chat.user_id DEFAULT chat.current_user_id())
    RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    PERFORM chat._not_null(typing.thread_id, 'thread_id');
    PERFORM chat._not_null(typing."user", 'user');
    PERFORM chat._member_row(typing.thread_id, typing."user");
    PERFORM chat._emit('typing', typing.thread_id, NULL, typing."user");
END
$$;
COMMENT ON FUNCTION chat.typing(bigint, chat.user_id) IS
    'Publish a typing event for the thread (NOTIFY only, nothing is written)';

/* The sending and reading functions of 0.1, now publishing their events. */

CREATE OR REPLACE FUNCTION chat.new_message(sender chat.user_id DEFAULT chat.current_user_id(),
                                            recipients chat.user_id[] DEFAULT NULL,
                                            subject text DEFAULT NULL,
                                            content text DEFAULT NULL,
                                            attachments jsonb DEFAULT NULL,
                                            extra jsonb DEFAULT NULL)
    RETURNS bigint
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    tid bigint;
    mid bigint;
    alone boolean;
BEGIN
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
    PERFORM chat._check_content(content);
    IF attachments IS NOT NULL THEN
        RAISE EXCEPTION 'attachments are not supported yet' USING ERRCODE = '0A000';
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

CREATE OR REPLACE FUNCTION chat.edit_message(message_id bigint,
                                             editor chat.user_id DEFAULT chat.current_user_id(),
                                             content text DEFAULT NULL)
    RETURNS bigint
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    m chat.message;
BEGIN
    PERFORM chat._not_null(message_id, 'message_id');
    PERFORM chat._not_null(editor, 'editor');
    PERFORM chat._check_content(content);
    m := chat._message_row(message_id);
    PERFORM chat._member_row(m.thread_id, editor);
    IF m.sender_id IS DISTINCT FROM editor THEN
        RAISE EXCEPTION 'permission denied to edit message %', message_id
            USING ERRCODE = '42501', DETAIL = 'Only its sender may edit a message.';
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
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    m chat.message;
    who chat.member;
BEGIN
    PERFORM chat._not_null(message_id, 'message_id');
    PERFORM chat._not_null(actor, 'actor');
    m := chat._message_row(message_id);
    who := chat._member_row(m.thread_id, actor);
    IF m.sender_id IS DISTINCT FROM actor AND who.role NOT IN ('owner', 'admin') THEN
        RAISE EXCEPTION 'permission denied to delete message %', message_id
            USING ERRCODE = '42501',
                  DETAIL = 'Only its sender or the thread''s owners and admins may delete a message.';
    END IF;
    UPDATE chat.message mg SET deleted_at = clock_timestamp()
     WHERE mg.thread_id = m.thread_id AND mg.id = m.id AND mg.deleted_at IS NULL;
    IF FOUND THEN
        PERFORM chat._emit('message_deleted', m.thread_id, m.id, actor);
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION chat.mark_read(thread_id bigint,
                                          reader chat.user_id DEFAULT chat.current_user_id(),
                                          up_to bigint DEFAULT NULL)
    RETURNS bigint
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    tid bigint := mark_read.thread_id;
    m chat.member;
    pos record;
BEGIN
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
    UPDATE chat.member mb
       SET read_id = pos.target, read_count = pos.read_count,
           delivered_id = greatest(mb.delivered_id, pos.target)
     WHERE mb.thread_id = tid AND mb.user_id = reader;
    PERFORM chat._emit('thread_read', tid, pos.target, reader,
                       jsonb_build_object('read', greatest(pos.read_count - m.read_count, 0)));
    RETURN greatest(pos.read_count - m.read_count, 0);
END
$$;
