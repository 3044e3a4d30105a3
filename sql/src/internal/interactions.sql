
/* ========================================================================
 * internal/interactions.sql: reactions and attachments: checks and summaries
 * ======================================================================== */

CREATE FUNCTION chat._is_emoji(value text) RETURNS boolean
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'chat_is_emoji';
COMMENT ON FUNCTION chat._is_emoji(text) IS
    'True when the text is exactly one emoji (sequences with ZWJ, skin tones, flags, keycaps; src/emoji.c)';

/*
 * The message a user may react to: it exists (42704), the user is a member
 * of its thread (42501) and it is not deleted (55000).
 */
CREATE FUNCTION chat._reactable(message bigint, who chat.user_id) RETURNS chat.message
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    m chat.message;
BEGIN
    PERFORM chat._not_null(message, 'message_id');
    PERFORM chat._not_null(who, 'user');
    m := chat._message_row(message);
    PERFORM chat._member_row(m.thread_id, who);
    /* held as a foreign key would hold it: the message stays until the reaction is in */
    PERFORM FROM chat.message mg WHERE mg.thread_id = m.thread_id AND mg.id = m.id FOR KEY SHARE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'message % does not exist', message USING ERRCODE = '42704';
    END IF;
    IF m.deleted_at IS NOT NULL THEN
        RAISE EXCEPTION 'cannot react to deleted message %', message USING ERRCODE = '55000';
    END IF;
    RETURN m;
END
$$;

/* The key of a reaction's row in the swapped reaction model, for chat._fill_model. */
CREATE FUNCTION chat._reaction_key(m chat.message, who chat.user_id, reaction text) RETURNS jsonb
    LANGUAGE sql IMMUTABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT jsonb_build_object('thread_id', m.thread_id, 'message_id', m.id, 'user_id', who, 'reaction', reaction)
$$;
COMMENT ON FUNCTION chat._reaction_key(chat.message, chat.user_id, text) IS
    'The key of a reaction''s row in the swapped reaction model, as chat._fill_model takes it';

/* A reaction allowed by the settings "reactions" and "max_reaction_length". */
CREATE FUNCTION chat._check_reaction(reaction text) RETURNS void
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
            RAISE EXCEPTION 'reaction "%" is not an emoji', chat._shown(reaction)
                USING ERRCODE = '22023', COLUMN = 'reaction',
                      HINT = 'The setting "reactions" is "emoji": a reaction is exactly one emoji.';
        END IF;
    ELSIF jsonb_typeof(allowed) = 'array' AND NOT allowed ? reaction THEN
        RAISE EXCEPTION 'reaction "%" is not allowed', chat._shown(reaction)
            USING ERRCODE = '22023', COLUMN = 'reaction',
                  HINT = format('Allowed reactions are %s (the setting "reactions").',
                                (SELECT string_agg(format('"%s"', e), ', ') FROM jsonb_array_elements_text(allowed) e));
    END IF;
END
$$;

/*
 * The rendered rows of a message's reactions or attachments in the swapped
 * model's table: {"reaction": {"user id": extra}} for reactions,
 * {"position": extra} for attachments; NULL when the model is not swapped.
 */
CREATE FUNCTION chat._part_extras(model text, thread bigint, message bigint) RETURNS jsonb
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    md chat.model;
    k record;
    result jsonb;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM chat.model m WHERE m.model = _part_extras.model AND m.tbl IS NOT NULL) THEN
        RETURN NULL;
    END IF;
    md := chat._swapped(model);
    k := chat._model_key(model);
    IF model = 'reaction' THEN
        EXECUTE format('SELECT coalesce(jsonb_object_agg(e.reaction, e.extras), ''{}'')
                          FROM (SELECT x.reaction::text AS reaction,
                                       jsonb_object_agg(x.user_id::text, to_jsonb(x) - $3) AS extras
                                  FROM %s x
                                 WHERE x.thread_id = $1 AND x.message_id = $2
                                 GROUP BY x.reaction::text) e',
                       md.tbl)
            INTO result USING thread, message, k.keys;
    ELSIF model = 'attachment' THEN
        EXECUTE format('SELECT coalesce(jsonb_object_agg(x.position::text, to_jsonb(x) - $3), ''{}'')
                          FROM %s x
                         WHERE x.thread_id = $1 AND x.message_id = $2',
                       md.tbl)
            INTO result USING thread, message, k.keys;
    ELSE
        RAISE EXCEPTION 'chat._part_extras does not read model "%"', model;
    END IF;
    /* rendered here, after the query (chat._render_object) */
    IF md.renderer IS NOT NULL AND model = 'reaction' THEN
        result := (SELECT coalesce(jsonb_object_agg(e.key, chat._render_object(md.renderer::oid, e.value, true)), '{}')
                     FROM jsonb_each(result) e);
    ELSIF md.renderer IS NOT NULL THEN
        result := coalesce(chat._render_object(md.renderer::oid, result, true), '{}');
    END IF;
    RETURN result;
END
$$;
COMMENT ON FUNCTION chat._part_extras(text, bigint, bigint) IS
    'The rendered swapped-model rows of a message''s reactions (by reaction and user) or attachments (by position); NULL when the model is not swapped';

/*
 * The reactions column of chat.messages: [{"reaction", "count", "users"}] by
 * first use, with "extra": {"user id": extra} when the reaction model is swapped.
 */
CREATE FUNCTION chat._reaction_summary(thread bigint, message bigint) RETURNS jsonb
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT coalesce(jsonb_agg(jsonb_build_object('reaction', s.reaction, 'count', s.n, 'users', s.users)
                              || CASE WHEN x.extras IS NOT NULL
                                      THEN jsonb_build_object('extra', coalesce(x.extras -> s.reaction, '{}'))
                                      ELSE '{}' END
                              ORDER BY s.first, s.reaction), '[]')
      FROM (SELECT r.reaction, count(*) AS n, jsonb_agg(r.user_id ORDER BY r.created_at, r.user_id) AS users,
                   min(r.created_at) AS first
              FROM chat.reaction r
             WHERE r.thread_id = thread AND r.message_id = message
             GROUP BY r.reaction) s,
           /* no call at all when nothing is swapped: messages reads a page of these */
           (SELECT CASE WHEN EXISTS (SELECT 1 FROM chat.model m WHERE m.model = 'reaction' AND m.tbl IS NOT NULL)
                        THEN chat._part_extras('reaction', thread, message) END AS extras) x
$$;

/*
 * Check the attachments argument of new_message and new_reply: a JSON array
 * of at most max_attachments objects with a "key" and optionally "name",
 * "mime", "size", "meta" and "extra" (the swapped attachment model's fields,
 * checked when stored); the type and size limits of the settings.
 */
CREATE FUNCTION chat._check_attachments(attachments jsonb) RETURNS void
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
                  HINT = 'Give [{"key": "...", "name": "...", "mime": "...", "size": 123, "meta": {}, "extra": {}}, ...].';
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
         WHERE k NOT IN ('key', 'name', 'mime', 'size', 'meta', 'extra') ORDER BY k LIMIT 1;
        IF FOUND THEN
            RAISE EXCEPTION 'attachment %: unknown field "%"', i, f
                USING ERRCODE = '22023', COLUMN = 'attachments',
                      HINT = 'The fields are "key", "name", "mime", "size", "meta" and "extra".';
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
        IF jsonb_typeof(a -> 'extra') NOT IN ('object', 'null') THEN
            RAISE EXCEPTION 'attachment %: "extra" must be a JSON object', i
                USING ERRCODE = '22023', COLUMN = 'attachments',
                      HINT = 'Its fields fill the swapped attachment model''s table (chat.swap_model).';
        END IF;
        IF types IS NOT NULL AND (a ->> 'mime') IS NULL THEN
            RAISE EXCEPTION 'attachment %: "mime" is required', i
                USING ERRCODE = '22023', COLUMN = 'attachments',
                      DETAIL = 'The setting "attachment_mime_types" limits the types, so each attachment must give one.';
        END IF;
        IF types IS NOT NULL AND NOT EXISTS (
               SELECT 1 FROM jsonb_array_elements_text(types) t
                WHERE lower(t) IN (lower(a ->> 'mime'), lower(split_part(a ->> 'mime', '/', 1)) || '/*', '*/*')) THEN
            RAISE EXCEPTION 'attachment %: MIME type "%" is not allowed', i, chat._shown(a ->> 'mime')
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
COMMENT ON FUNCTION chat._check_attachments(jsonb) IS
    'Raise 22023 / 54000 unless the attachments argument is a JSON array of valid attachments within the settings';

/*
 * Check and store the attachments of a message just inserted, in order
 * (called by new_message, new_reply in C, forward_message never: it copies),
 * and their rows of the swapped attachment model, filled from each one's "extra".
 * A message without content needs at least one attachment (22004).
 */
CREATE FUNCTION chat._add_attachments(thread_id bigint, message_id bigint, attachments jsonb)
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
    /* the swapped model's rows, each from its attachment's "extra" (JSON null: none given) */
    IF EXISTS (SELECT 1 FROM chat.model m WHERE m.model = 'attachment' AND m.tbl IS NOT NULL)
       OR EXISTS (SELECT 1 FROM jsonb_array_elements(attachments) e WHERE jsonb_typeof(e.value -> 'extra') = 'object') THEN
        PERFORM chat._fill_model('attachment',
                                 jsonb_build_object('thread_id', _add_attachments.thread_id,
                                                    'message_id', _add_attachments.message_id,
                                                    'position', e.ordinality),
                                 nullif(e.value -> 'extra', 'null'))
           FROM jsonb_array_elements(attachments) WITH ORDINALITY e
          ORDER BY e.ordinality;
    END IF;
END
$$;
COMMENT ON FUNCTION chat._add_attachments(bigint, bigint, jsonb) IS
    'Check the attachments argument and store it as the message''s ordered attachment rows, with their swapped-model rows filled from each one''s extra';

/*
 * The attachments column of chat.messages, in position order; each with its
 * "extra" (the swapped model's row, NULL for one without) when the attachment
 * model is swapped.
 */
CREATE FUNCTION chat._attachment_list(thread bigint, message bigint) RETURNS jsonb
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT coalesce(jsonb_agg(jsonb_build_object('position', a.position, 'key', a.key, 'name', a.name,
                                                 'mime', a.mime, 'size', a.size, 'meta', a.meta)
                              || CASE WHEN x.extras IS NOT NULL
                                      THEN jsonb_build_object('extra', x.extras -> a.position::text)
                                      ELSE '{}' END
                              ORDER BY a.position), '[]')
      FROM chat.attachment a,
           (SELECT CASE WHEN EXISTS (SELECT 1 FROM chat.model m WHERE m.model = 'attachment' AND m.tbl IS NOT NULL)
                        THEN chat._part_extras('attachment', thread, message) END AS extras) x
     WHERE a.thread_id = thread AND a.message_id = message
$$;
