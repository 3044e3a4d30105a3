
/* ========================================================================
 * internal/events.sql: hooks and NOTIFY: the event names, dispatch and rendering
 * ======================================================================== */

/* Raise 22023 for a name that is not a hook event (chat.event_kind). */
CREATE FUNCTION chat._check_event(event text) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF event IS NULL THEN
        RAISE EXCEPTION 'argument "event" must not be null' USING ERRCODE = '22004', COLUMN = 'event';
    END IF;
    IF NOT EXISTS (SELECT FROM chat.event_kind k WHERE k.name = event AND k.hookable) THEN
        RAISE EXCEPTION 'unknown event "%"', chat._shown(event)
            USING ERRCODE = '22023', COLUMN = 'event',
                  HINT = 'Events are ' || (SELECT string_agg(format('"%s"', k.name), ', ' ORDER BY k.name)
                                             FROM chat.event_kind k WHERE k.hookable) || '.';
    END IF;
END
$$;

CREATE FUNCTION chat._registry_changed() RETURNS trigger
    LANGUAGE c
    AS 'MODULE_PATHNAME', 'chat_registry_changed';
COMMENT ON FUNCTION chat._registry_changed() IS
    'Statement trigger of chat''s registries: drop every backend''s cached copy';

CREATE FUNCTION chat._emit(event text, thread_id bigint, message_id bigint,
                           user_id chat.user_id, fields jsonb DEFAULT NULL,
                           recipients chat.user_id[] DEFAULT NULL, private boolean DEFAULT false)
    RETURNS void
    LANGUAGE c
    AS 'MODULE_PATHNAME', 'chat_emit_sql';
COMMENT ON FUNCTION chat._emit(text, bigint, bigint, chat.user_id, jsonb, chat.user_id[], boolean) IS
    'Describe an event as one jsonb object, keep it in chat.event for the thread''s members and recipients (private: the recipients only), run its hooks and queue its NOTIFY (src/events.c)';

CREATE FUNCTION chat._render(fn oid, value jsonb) RETURNS jsonb
    LANGUAGE c STABLE STRICT
    AS 'MODULE_PATHNAME', 'chat_call_as_caller';
COMMENT ON FUNCTION chat._render(oid, jsonb) IS
    'fn(value) for a registered renderer, run as the current role';
