
/* ------------------------------------------------------------------------
 * Receipts, reactions, attachments, reply-to and forwarding (SPEC §4.3)
 *
 * Receipts are not rows: a member has seen every message up to their seen
 * pointer, greatest(read_id, seen_id), and received every message up to
 * delivered_id.  seen_id keeps the furthest the read pointer ever went, so
 * mark_unread (which moves read_id back) never takes a "seen" back.
 * ------------------------------------------------------------------------ */

CREATE FUNCTION chat._is_emoji(value text) RETURNS boolean
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'chat_is_emoji';
COMMENT ON FUNCTION chat._is_emoji(text) IS
    'True when the text is exactly one emoji (sequences with ZWJ, skin tones, flags, keycaps; src/emoji.c)';

ALTER TABLE chat.member
    ADD COLUMN seen_id bigint NOT NULL DEFAULT 0,
    ADD COLUMN read_at timestamptz,
    ADD COLUMN delivered_at timestamptz;
COMMENT ON COLUMN chat.member.seen_id IS
    'Furthest the read pointer ever went (kept when mark_unread moves read_id back); seen = up to greatest(read_id, seen_id)';
COMMENT ON COLUMN chat.member.read_at IS
    'When mark_read last moved the read pointer forward (NULL: never, or before 0.3)';
COMMENT ON COLUMN chat.member.delivered_at IS
    'When mark_delivered or mark_read last moved the delivered pointer forward (NULL: never, or before 0.3)';

/* ------------------------------------------------------------------------
 * Settings of reactions and attachments
 * ------------------------------------------------------------------------ */

ALTER TABLE chat.setting_default DROP CONSTRAINT setting_default_type_check;
ALTER TABLE chat.setting_default ADD CONSTRAINT setting_default_type_check
    CHECK (type IN ('boolean', 'integer', 'text', 'reactions', 'mime_types'));

INSERT INTO chat.setting_default (key, value, type, min_value, max_value, description) VALUES
    ('reactions', '"any"', 'reactions', NULL, NULL,
     'Allowed reactions: "any" (any text up to max_reaction_length), "emoji" (exactly one emoji) or a JSON array of the allowed ones'),
    ('max_reaction_length', '32', 'integer', 1, 1000,
     'Longest reaction, in characters'),
    ('max_attachments', '10', 'integer', 0, 1000,
     'Most attachments per message; more are refused (54000)'),
    ('max_attachment_size', 'null', 'integer', 0, 9223372036854775807,
     'Largest attachment size in bytes (null: no limit); larger ones are refused (54000)'),
    ('attachment_mime_types', 'null', 'mime_types', NULL, NULL,
     'JSON array of allowed attachment MIME types or patterns such as "image/*" (null: any type)');

/* 0.2's set_setting, plus the types "reactions" and "mime_types". */
CREATE OR REPLACE FUNCTION chat.set_setting(key text, value jsonb) RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
#variable_conflict use_variable
DECLARE
    d chat.setting_default;
    n numeric;
    lim integer;
    bad text;
BEGIN
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
    END IF;

    INSERT INTO chat.setting AS s (key, value) VALUES (d.key, value)
        ON CONFLICT ON CONSTRAINT setting_pkey DO UPDATE SET value = excluded.value;
    RETURN value;
END
$$;

/* ------------------------------------------------------------------------
 * Receipts
 * ------------------------------------------------------------------------ */

/* 0.2's mark_read; also keeps the seen pointer and the times of the moves. */
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

/* 0.1's mark_unread; the read pointer goes back, the seen pointer stays. */
CREATE OR REPLACE FUNCTION chat.mark_unread(thread_id bigint,
                                            reader chat.user_id DEFAULT chat.current_user_id(),
                                            from_message bigint DEFAULT NULL)
    RETURNS bigint
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    tid bigint := mark_unread.thread_id;
    m chat.member;
    pos record;
BEGIN
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

/* 0.1's mark_delivered; also records when the pointer moved. */
CREATE OR REPLACE FUNCTION chat.mark_delivered(reader chat.user_id DEFAULT chat.current_user_id(),
                                               thread_id bigint DEFAULT NULL,
                                               up_to bigint DEFAULT NULL)
    RETURNS bigint
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    tid bigint := mark_delivered.thread_id;
    target bigint;
    moved bigint;
BEGIN
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

/*
 * The receipt of one member for one message: 'seen', 'delivered' or NULL,
 * and when.  The time is that of the member's last pointer move, shown only
 * when it is not older than the message: a pointer moved by the member's own
 * sending has no time of its own, so the receipt's time is then unknown.
 */
/*
 * Receipts row by row, derived from the members' pointers: the one place the
 * rule is written.  A view, so that the planner inlines it (a function with
 * SET search_path is never inlined, and calling one per member was 8 times
 * slower in a 10,000-member group).
 */
CREATE VIEW chat.message_receipt WITH (security_invoker = true) AS
    SELECT m.id AS message_id, mb.user_id,
           CASE WHEN greatest(mb.read_id, mb.seen_id) >= m.id THEN 'seen' ELSE 'delivered' END AS status,
           CASE WHEN greatest(mb.read_id, mb.seen_id) >= m.id
                THEN CASE WHEN mb.read_at >= m.sent_at THEN mb.read_at END
                ELSE CASE WHEN mb.delivered_at >= m.sent_at THEN mb.delivered_at END
           END AS at
      FROM chat.message m
      JOIN chat.member mb ON mb.thread_id = m.thread_id
                         AND mb.user_id IS DISTINCT FROM m.sender_id
                         AND greatest(mb.read_id, mb.seen_id, mb.delivered_id) >= m.id;
COMMENT ON VIEW chat.message_receipt IS
    'Receipts row by row (the seeds'' MessageReadReceipt), derived from the members'' pointers: filter by message_id, a whole scan joins every message with every member';

CREATE FUNCTION chat.receipts(message_id bigint, viewer chat.user_id DEFAULT chat.current_user_id())
    RETURNS TABLE (user_id chat.user_id, status text, at timestamptz)
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
#variable_conflict use_column
DECLARE
    m chat.message;
BEGIN
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
COMMENT ON FUNCTION chat.receipts(bigint, chat.user_id) IS
    'Delivery and read receipts of a message for a member of its thread: one row per other member who received it (status "delivered") or saw it ("seen"); at is when their pointer last moved, NULL when unknown';

/* ------------------------------------------------------------------------
 * Reactions
 * ------------------------------------------------------------------------ */

CREATE TABLE chat.reaction (
    thread_id  bigint NOT NULL,
    message_id bigint NOT NULL,
    user_id    chat.user_id NOT NULL,
    reaction   text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (thread_id, message_id, user_id, reaction),
    FOREIGN KEY (thread_id, message_id) REFERENCES chat.message (thread_id, id) ON DELETE CASCADE
);
COMMENT ON TABLE chat.reaction IS 'One row per (message, user, reaction): chat.add_reaction, chat.toggle_reaction';
COMMENT ON COLUMN chat.reaction.created_at IS 'When the reaction was added; reactions are listed by first use';
SELECT pg_catalog.pg_extension_config_dump('chat.reaction', '');

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
    IF m.deleted_at IS NOT NULL THEN
        RAISE EXCEPTION 'cannot react to deleted message %', message USING ERRCODE = '55000';
    END IF;
    RETURN m;
END
$$;

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
        RAISE EXCEPTION 'reaction must not be blank' USING ERRCODE = '22023';
    END IF;
    IF char_length(reaction) > lim THEN
        RAISE EXCEPTION 'reaction is too long'
            USING ERRCODE = '22001',
                  DETAIL = format('The reaction has %s characters; the limit is %s.', char_length(reaction), lim),
                  HINT = 'The limit is the setting "max_reaction_length".';
    END IF;
    IF allowed = '"emoji"' THEN
        IF NOT chat._is_emoji(reaction) THEN
            RAISE EXCEPTION 'reaction "%" is not an emoji', reaction
                USING ERRCODE = '22023',
                      HINT = 'The setting "reactions" is "emoji": a reaction is exactly one emoji.';
        END IF;
    ELSIF jsonb_typeof(allowed) = 'array' AND NOT allowed ? reaction THEN
        RAISE EXCEPTION 'reaction "%" is not allowed', reaction
            USING ERRCODE = '22023',
                  HINT = format('Allowed reactions are %s (the setting "reactions").',
                                (SELECT string_agg(format('"%s"', e), ', ') FROM jsonb_array_elements_text(allowed) e));
    END IF;
END
$$;

CREATE FUNCTION chat.add_reaction(message_id bigint,
                                  "user" chat.user_id DEFAULT chat.current_user_id(),
                                  reaction text DEFAULT NULL)
    RETURNS boolean
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    m chat.message := chat._reactable(add_reaction.message_id, add_reaction."user");
BEGIN
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
COMMENT ON FUNCTION chat.add_reaction(bigint, chat.user_id, text) IS
    'React to a message of a thread the user belongs to (the setting "reactions" says what is allowed); returns false when the user had that reaction already';

CREATE FUNCTION chat.remove_reaction(message_id bigint,
                                     "user" chat.user_id DEFAULT chat.current_user_id(),
                                     reaction text DEFAULT NULL)
    RETURNS boolean
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    m chat.message := chat._reactable(remove_reaction.message_id, remove_reaction."user");
BEGIN
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
COMMENT ON FUNCTION chat.remove_reaction(bigint, chat.user_id, text) IS
    'Take back the user''s reaction to a message; returns false when there was none';

/*
 * Delete the reaction, or add it when there was none.  Two toggles racing
 * for the same row both win in turn: the second one's insert waits for the
 * first one's and, finding the row, goes round again and deletes it.
 */
CREATE FUNCTION chat.toggle_reaction(message_id bigint,
                                     "user" chat.user_id DEFAULT chat.current_user_id(),
                                     reaction text DEFAULT NULL)
    RETURNS boolean
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    m chat.message := chat._reactable(toggle_reaction.message_id, toggle_reaction."user");
BEGIN
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
COMMENT ON FUNCTION chat.toggle_reaction(bigint, chat.user_id, text) IS
    'Remove the user''s reaction if present, else add it; returns true when it is now present';

CREATE FUNCTION chat.reactions(message_id bigint, viewer chat.user_id DEFAULT chat.current_user_id())
    RETURNS TABLE (reaction text, count bigint, users chat.user_id[], reacted_by_viewer boolean)
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
#variable_conflict use_column
DECLARE
    m chat.message;
BEGIN
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
COMMENT ON FUNCTION chat.reactions(bigint, chat.user_id) IS
    'Reactions to a message for a member of its thread, by first use: each with its count, its users (oldest first) and whether the viewer is one; none for a deleted message';

/* The reactions column of chat.messages: [{"reaction", "count", "users"}] by first use. */
CREATE FUNCTION chat._reaction_summary(thread bigint, message bigint) RETURNS jsonb
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT coalesce(jsonb_agg(jsonb_build_object('reaction', s.reaction, 'count', s.n, 'users', s.users)
                              ORDER BY s.first, s.reaction), '[]')
      FROM (SELECT r.reaction, count(*) AS n, jsonb_agg(r.user_id ORDER BY r.created_at, r.user_id) AS users,
                   min(r.created_at) AS first
              FROM chat.reaction r
             WHERE r.thread_id = thread AND r.message_id = message
             GROUP BY r.reaction) s
$$;

/* ------------------------------------------------------------------------
 * Attachments
 * ------------------------------------------------------------------------ */

CREATE TABLE chat.attachment (
    thread_id  bigint NOT NULL,
    message_id bigint NOT NULL,
    position   integer NOT NULL CHECK (position > 0),
    key        text NOT NULL,
    name       text,
    mime       text,
    size       bigint CHECK (size >= 0),
    meta       jsonb,
    PRIMARY KEY (thread_id, message_id, position),
    FOREIGN KEY (thread_id, message_id) REFERENCES chat.message (thread_id, id) ON DELETE CASCADE
);
COMMENT ON TABLE chat.attachment IS
    'Files of a message, in order: the bytes live in the application''s storage under key';
COMMENT ON COLUMN chat.attachment.position IS 'Order within the message, from 1';
COMMENT ON COLUMN chat.attachment.key IS 'Storage key or URL of the file';
COMMENT ON COLUMN chat.attachment.name IS 'File name shown to users';
COMMENT ON COLUMN chat.attachment.mime IS 'MIME type, checked against the setting "attachment_mime_types"';
COMMENT ON COLUMN chat.attachment.size IS 'Size in bytes, checked against the setting "max_attachment_size"';
COMMENT ON COLUMN chat.attachment.meta IS 'Any JSON object the application keeps with the file (width, height, duration...)';
SELECT pg_catalog.pg_extension_config_dump('chat.attachment', '');

/*
 * Check the attachments argument of new_message and new_reply: a JSON array
 * of at most max_attachments objects with a "key" and optionally "name",
 * "mime", "size" and "meta"; the type and size limits of the settings.
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
            USING ERRCODE = '22023',
                  HINT = 'Give [{"key": "...", "name": "...", "mime": "...", "size": 123, "meta": {}}, ...].';
    END IF;
    IF jsonb_array_length(attachments) > lim THEN
        RAISE EXCEPTION 'too many attachments'
            USING ERRCODE = '54000',
                  DETAIL = format('The message has %s attachments; the limit is %s.', jsonb_array_length(attachments), lim),
                  HINT = 'The limit is the setting "max_attachments".';
    END IF;
    FOR a, i IN SELECT e.value, e.ordinality FROM jsonb_array_elements(attachments) WITH ORDINALITY e LOOP
        IF jsonb_typeof(a) <> 'object' THEN
            RAISE EXCEPTION 'attachment % must be a JSON object', i USING ERRCODE = '22023';
        END IF;
        SELECT k INTO f FROM jsonb_object_keys(a) k
         WHERE k NOT IN ('key', 'name', 'mime', 'size', 'meta') ORDER BY k LIMIT 1;
        IF FOUND THEN
            RAISE EXCEPTION 'attachment %: unknown field "%"', i, f
                USING ERRCODE = '22023',
                      HINT = 'The fields are "key", "name", "mime", "size" and "meta".';
        END IF;
        IF jsonb_typeof(a -> 'key') IS DISTINCT FROM 'string' OR chat._is_blank(a ->> 'key') THEN
            RAISE EXCEPTION 'attachment %: "key" must be a non-blank string', i USING ERRCODE = '22023';
        END IF;
        IF jsonb_typeof(a -> 'name') NOT IN ('string', 'null') THEN
            RAISE EXCEPTION 'attachment %: "name" must be a string', i USING ERRCODE = '22023';
        END IF;
        IF jsonb_typeof(a -> 'mime') NOT IN ('string', 'null')
           OR (a ->> 'mime') !~ '^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*$' THEN
            RAISE EXCEPTION 'attachment %: "mime" must be a MIME type such as "image/png"', i USING ERRCODE = '22023';
        END IF;
        IF jsonb_typeof(a -> 'size') NOT IN ('number', 'null') THEN
            RAISE EXCEPTION 'attachment %: "size" must be a whole number', i
                USING ERRCODE = '22023', DETAIL = 'The size is in bytes, 0 or more.';
        ELSIF jsonb_typeof(a -> 'size') = 'number' THEN
            IF (a ->> 'size')::numeric <> trunc((a ->> 'size')::numeric)
               OR (a ->> 'size')::numeric NOT BETWEEN 0 AND 9223372036854775807 THEN
                RAISE EXCEPTION 'attachment %: "size" must be a whole number', i
                    USING ERRCODE = '22023', DETAIL = 'The size is in bytes, 0 or more.';
            END IF;
        END IF;
        IF jsonb_typeof(a -> 'meta') NOT IN ('object', 'null') THEN
            RAISE EXCEPTION 'attachment %: "meta" must be a JSON object', i USING ERRCODE = '22023';
        END IF;
        IF types IS NOT NULL AND (a ->> 'mime') IS NULL THEN
            RAISE EXCEPTION 'attachment %: "mime" is required', i
                USING ERRCODE = '22023',
                      DETAIL = 'The setting "attachment_mime_types" limits the types, so each attachment must give one.';
        END IF;
        IF types IS NOT NULL AND NOT EXISTS (
               SELECT 1 FROM jsonb_array_elements_text(types) t
                WHERE lower(t) IN (lower(a ->> 'mime'), lower(split_part(a ->> 'mime', '/', 1)) || '/*', '*/*')) THEN
            RAISE EXCEPTION 'attachment %: MIME type "%" is not allowed', i, a ->> 'mime'
                USING ERRCODE = '22023',
                      HINT = format('Allowed types are %s (the setting "attachment_mime_types").',
                                    (SELECT string_agg(format('"%s"', t), ', ') FROM jsonb_array_elements_text(types) t));
        END IF;
        IF max_size IS NOT NULL THEN
            IF (a ->> 'size') IS NULL THEN
                RAISE EXCEPTION 'attachment %: "size" is required', i
                    USING ERRCODE = '22023',
                          DETAIL = 'The setting "max_attachment_size" limits the size, so each attachment must give one.';
            END IF;
            IF (a ->> 'size')::numeric > max_size THEN
                RAISE EXCEPTION 'attachment % is too large', i
                    USING ERRCODE = '54000',
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
 * (called by new_message, new_reply in C, forward_message never: it copies).
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
            USING ERRCODE = '22004', DETAIL = 'A message without content needs at least one attachment.';
    END IF;
    INSERT INTO chat.attachment (thread_id, message_id, position, key, name, mime, size, meta)
    SELECT _add_attachments.thread_id, _add_attachments.message_id, e.ordinality,
           e.value ->> 'key', e.value ->> 'name', e.value ->> 'mime',
           (e.value ->> 'size')::bigint, nullif(e.value -> 'meta', 'null')
      FROM jsonb_array_elements(attachments) WITH ORDINALITY e;
END
$$;
COMMENT ON FUNCTION chat._add_attachments(bigint, bigint, jsonb) IS
    'Check the attachments argument and store it as the message''s ordered attachment rows';

/* The attachments column of chat.messages, in position order. */
CREATE FUNCTION chat._attachment_list(thread bigint, message bigint) RETURNS jsonb
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT coalesce(jsonb_agg(jsonb_build_object('position', a.position, 'key', a.key, 'name', a.name,
                                                 'mime', a.mime, 'size', a.size, 'meta', a.meta)
                              ORDER BY a.position), '[]')
      FROM chat.attachment a
     WHERE a.thread_id = thread AND a.message_id = message
$$;

/* 0.2's new_message; a message of attachments only may have NULL content. */
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

/* ------------------------------------------------------------------------
 * Forwarding
 * ------------------------------------------------------------------------ */

CREATE FUNCTION chat.forward_message(message_id bigint,
                                     to_thread_id bigint,
                                     actor chat.user_id DEFAULT chat.current_user_id(),
                                     comment text DEFAULT NULL)
    RETURNS bigint
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    m chat.message;
    mid bigint;
BEGIN
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
COMMENT ON FUNCTION chat.forward_message(bigint, bigint, chat.user_id, text) IS
    'Copy a message (content and attachments) into another thread the actor may post in, with forwarded_from set; a comment follows it as a message of its own. Returns the copy''s id';

/* ------------------------------------------------------------------------
 * chat.messages with reactions, attachments and seen counts
 *
 * seen_count of a page comes from one pass over the thread's seen pointers:
 * the page ids and the pointers at or after the page's oldest id are sorted
 * together, newest first, and a running count of pointers gives, at each
 * page id, how many members have seen it; the sender's own pointer is
 * subtracted.  That is O((page + members) log) per page instead of a scan of
 * the members for every message.  Reactions and attachments are index
 * look-ups per message; a deleted message shows neither.
 * ------------------------------------------------------------------------ */

CREATE OR REPLACE FUNCTION chat.messages(thread_id bigint,
                                         viewer chat.user_id DEFAULT chat.current_user_id(),
                                         before bigint DEFAULT NULL,
                                         after bigint DEFAULT NULL,
                                         page_size integer DEFAULT 50)
    RETURNS TABLE (id bigint, sender_id chat.user_id, kind text, content text,
                   sent_at timestamptz, edited boolean, deleted boolean,
                   parent_id bigint, forwarded_from bigint,
                   reactions jsonb, attachments jsonb, seen_count bigint, extra jsonb)
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
#variable_conflict use_column
DECLARE
    tid bigint := messages.thread_id;
    lo bigint := coalesce(messages.after, 0);
    hi bigint := coalesce(messages.before, 9223372036854775807);
    n integer := messages.page_size;
    oldest_first boolean := messages.after IS NOT NULL AND messages.before IS NULL;
    swapped boolean;
BEGIN
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
COMMENT ON FUNCTION chat.messages(bigint, chat.user_id, bigint, bigint, integer) IS
    'A page of a thread for one of its members, oldest first: the newest page, the page before "before", or the page after "after"; reactions by first use and attachments in order ([] when deleted), seen_count = other members who have seen it. extra is the message''s row in the table swapped for model "message"';
