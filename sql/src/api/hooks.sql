
/* ========================================================================
 * api/hooks.sql: add_hook, remove_hook, typing
 * ======================================================================== */

CREATE FUNCTION chat.add_hook(event text, fn regprocedure, pos integer DEFAULT NULL)
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
    /* the next position read first: Citus refuses a sub-select in an INSERT's VALUES */
    pos := coalesce(pos, (SELECT coalesce(max(h.position), 0) + 1 FROM chat.hook h WHERE h.event = add_hook.event));
    INSERT INTO chat.hook (event, function, position) VALUES (event, fn, pos);
    RETURN true;
END
$$;
COMMENT ON FUNCTION chat.add_hook(text, regprocedure, integer) IS
    'Run fn(jsonb) inside the transaction of every event of this kind, in position order (pos; default: after the others); an error in fn aborts the operation. Returns false when fn was already registered';

CREATE FUNCTION chat.remove_hook(event text, fn regprocedure) RETURNS boolean
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
COMMENT ON FUNCTION chat.remove_hook(text, regprocedure) IS
    'Stop running fn for the event; returns false when it was not registered';

CREATE FUNCTION chat.typing(thread_id bigint, "user" chat.user_id DEFAULT chat.current_user_id())
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
COMMENT ON FUNCTION chat.typing(bigint, chat.user_id) IS
    'Publish a typing event for the thread (NOTIFY only, nothing is written)';
