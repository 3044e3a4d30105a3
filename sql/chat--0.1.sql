/*
 * chat 0.1: threads, members, messages, unread state and the pinax-style API.
 *
 * Read state is a pointer per member plus counters (see src/unread.c): the
 * thread row counts its messages, each member row counts the messages it has
 * read, and unread = thread.message_count - member.read_count.
 */

\echo Use "CREATE EXTENSION chat" to load this file. \quit

/*
 * chat.user_id: the type of every user column.  Its base type is chosen once
 * per database by the setting chat.user_id_type before CREATE EXTENSION.
 */
DO $$
DECLARE
    base text := coalesce(nullif(pg_catalog.current_setting('chat.user_id_type', true), ''), 'bigint');
BEGIN
    IF base NOT IN ('bigint', 'integer', 'uuid', 'text') THEN
        RAISE EXCEPTION 'invalid value for setting "chat.user_id_type": "%"', base
            USING ERRCODE = '22023',
                  HINT = 'Valid values are "bigint", "integer", "uuid" and "text".';
    END IF;
    EXECUTE pg_catalog.format('CREATE DOMAIN chat.user_id AS %s', base);
END
$$;
COMMENT ON DOMAIN chat.user_id IS
    'The application''s user id; base type chosen by chat.user_id_type before CREATE EXTENSION';

/* ------------------------------------------------------------------------
 * Settings
 * ------------------------------------------------------------------------ */

CREATE TABLE chat.setting_default (
    key         text PRIMARY KEY,
    value       jsonb NOT NULL,
    type        text NOT NULL CHECK (type IN ('boolean', 'integer')),
    min_value   bigint,
    max_value   bigint,
    description text NOT NULL
);
COMMENT ON TABLE chat.setting_default IS
    'Every setting chat knows, with its default, type and range (part of the extension, not dumped)';

INSERT INTO chat.setting_default (key, value, type, min_value, max_value, description) VALUES
    ('mark_new_thread_as_deleted', 'false', 'boolean', NULL, NULL,
     'A new private thread starts deleted for its sender until someone replies (pinax behaviour)'),
    ('max_subject_length', '255', 'integer', 1, 10000,
     'Longest subject or title, in characters'),
    ('max_content_length', '65536', 'integer', 1, 10000000,
     'Longest message content, in characters'),
    ('max_page_size', '500', 'integer', 1, 100000,
     'Largest page_size accepted by inbox and messages'),
    ('inbox_fanout_limit', '100', 'integer', 0, 1000000,
     'Threads with up to this many members copy each new message''s position into every member row; larger threads are merged into the inbox from the thread row');

CREATE TABLE chat.setting (
    key   text PRIMARY KEY REFERENCES chat.setting_default (key),
    value jsonb NOT NULL
);
COMMENT ON TABLE chat.setting IS
    'Settings changed from their defaults (use chat.set_setting); dumped by pg_dump';
SELECT pg_catalog.pg_extension_config_dump('chat.setting', '');

CREATE VIEW chat.settings AS
    SELECT d.key,
           coalesce(s.value, d.value) AS value,
           d.value AS default_value,
           s.key IS NOT NULL AS changed,
           d.description
      FROM chat.setting_default d
      LEFT JOIN chat.setting s USING (key);
COMMENT ON VIEW chat.settings IS 'Every setting with its value, default and meaning';

CREATE FUNCTION chat._setting_value(key text) RETURNS jsonb
    LANGUAGE c STABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'chat_setting';
COMMENT ON FUNCTION chat._setting_value(text) IS
    'Effective value of a setting, from a per-backend cache invalidated when chat.setting changes';

CREATE FUNCTION chat._setting_changed() RETURNS trigger
    LANGUAGE c
    AS 'MODULE_PATHNAME', 'chat_setting_changed';

CREATE TRIGGER setting_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON chat.setting
    FOR EACH STATEMENT EXECUTE FUNCTION chat._setting_changed();

CREATE FUNCTION chat.get_setting(key text) RETURNS jsonb
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF key IS NULL THEN
        RAISE EXCEPTION 'argument "key" must not be null' USING ERRCODE = '22004';
    END IF;
    RETURN chat._setting_value(key);
END
$$;
COMMENT ON FUNCTION chat.get_setting(text) IS
    'Current value of a chat setting (see the view chat.settings for the list)';

CREATE FUNCTION chat.set_setting(key text, value jsonb) RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
#variable_conflict use_variable
DECLARE
    d chat.setting_default;
    n numeric;
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
    END IF;

    INSERT INTO chat.setting AS s (key, value) VALUES (d.key, value)
        ON CONFLICT ON CONSTRAINT setting_pkey DO UPDATE SET value = excluded.value;
    RETURN value;
END
$$;
COMMENT ON FUNCTION chat.set_setting(text, jsonb) IS
    'Change a chat setting for the database; a NULL value restores the default. Returns the new value';

/* ------------------------------------------------------------------------
 * Identity
 * ------------------------------------------------------------------------ */

CREATE FUNCTION chat.current_user_id() RETURNS chat.user_id
    LANGUAGE sql STABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT coalesce(nullif(current_setting('chat.user_id', true), ''),
                    nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub'
           )::chat.user_id
$$;
COMMENT ON FUNCTION chat.current_user_id() IS
    'The session''s chat user: the setting chat.user_id, else the "sub" claim of request.jwt.claims, else NULL';

/* ------------------------------------------------------------------------
 * Threads, members, messages
 * ------------------------------------------------------------------------ */

/*
 * Kinds and roles are enums rather than CHECK constraints: PostgreSQL 15
 * re-reads a table's CHECK constraints for every statement that writes it,
 * and the thread and member rows are written by every message.
 */
CREATE TYPE chat.thread_kind AS ENUM ('private', 'direct', 'group', 'channel');
CREATE TYPE chat.member_role AS ENUM ('owner', 'admin', 'member');
CREATE TYPE chat.message_kind AS ENUM ('text', 'system');
COMMENT ON TYPE chat.thread_kind IS 'private (pinax thread with a subject), direct (1:1), group, channel';
COMMENT ON TYPE chat.member_role IS 'Role of a member in a thread';
COMMENT ON TYPE chat.message_kind IS 'text (written by a member) or system (e.g. "Alice added Bob")';

CREATE SEQUENCE chat.thread_id_seq;
CREATE SEQUENCE chat.message_id_seq;
COMMENT ON SEQUENCE chat.message_id_seq IS
    'Message ids: taken while the thread row is locked, so they increase within a thread in commit order';

CREATE TABLE chat.thread (
    id              bigint PRIMARY KEY DEFAULT nextval('chat.thread_id_seq'),
    kind            chat.thread_kind NOT NULL DEFAULT 'private',
    subject         text,
    created_by      chat.user_id,
    created_at      timestamptz NOT NULL DEFAULT now(),
    is_public       boolean NOT NULL DEFAULT false,
    object_type     text,
    object_id       text,
    member_count    integer NOT NULL DEFAULT 0,
    large           boolean NOT NULL DEFAULT false,
    message_count   bigint NOT NULL DEFAULT 0,
    last_message_id bigint,
    last_sender_id  chat.user_id,
    last_sent_at    timestamptz,
    last_preview    text,
    CONSTRAINT thread_object_check CHECK ((object_type IS NULL) = (object_id IS NULL))
);
ALTER SEQUENCE chat.thread_id_seq OWNED BY chat.thread.id;
CREATE INDEX thread_created_by_idx ON chat.thread (created_by);

COMMENT ON TABLE chat.thread IS 'A conversation: private thread, direct chat, group or channel';
COMMENT ON COLUMN chat.thread.subject IS 'Subject of a private thread, title of a group or channel';
COMMENT ON COLUMN chat.thread.created_by IS 'Who started the thread (the "sent" folder)';
COMMENT ON COLUMN chat.thread.member_count IS 'Number of members, kept by trigger';
COMMENT ON COLUMN chat.thread.large IS
    'More members than inbox_fanout_limit at some point: new messages no longer touch other members'' rows';
COMMENT ON COLUMN chat.thread.message_count IS 'Number of messages, kept by the message trigger';
COMMENT ON COLUMN chat.thread.last_message_id IS 'Newest message; the thread''s position in inboxes';
COMMENT ON COLUMN chat.thread.last_preview IS 'First 100 characters of the newest message, NULL once deleted';

CREATE TABLE chat.member (
    thread_id     bigint NOT NULL REFERENCES chat.thread (id) ON DELETE CASCADE,
    user_id       chat.user_id NOT NULL,
    role          chat.member_role NOT NULL DEFAULT 'member',
    joined_at     timestamptz NOT NULL DEFAULT now(),
    muted         boolean NOT NULL DEFAULT false,
    archived      boolean NOT NULL DEFAULT false,
    hidden_id     bigint,
    read_id       bigint NOT NULL DEFAULT 0,
    read_count    bigint NOT NULL DEFAULT 0,
    delivered_id  bigint NOT NULL DEFAULT 0,
    large         boolean NOT NULL DEFAULT false,
    activity_id   bigint NOT NULL DEFAULT 0,
    message_count bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (thread_id, user_id)
);
/*
 * A user's small threads in activity order: the inbox is a scan of this index.
 * (Partial, not a "large" key column: the planner turns "large = false" into
 * "NOT large", which does not fix the column for ordering.)
 */
CREATE INDEX member_inbox_idx ON chat.member (user_id, activity_id DESC, thread_id DESC) WHERE NOT large;
/* a user's large threads, merged into the inbox from the thread row */
CREATE INDEX member_large_idx ON chat.member (user_id) WHERE large;
/* small threads with unread messages, for badge counts */
CREATE INDEX member_unread_idx ON chat.member (user_id) WHERE NOT large AND message_count > read_count;

COMMENT ON TABLE chat.member IS 'One row per (thread, user): role, folders and read state';
COMMENT ON COLUMN chat.member.hidden_id IS
    'Deleted by this user when the thread''s newest message was this id; visible again once a newer message exists';
COMMENT ON COLUMN chat.member.read_id IS 'Read pointer: every message up to this id is read';
COMMENT ON COLUMN chat.member.read_count IS
    'Messages counted as read (up to the pointer, plus the member''s own later ones); unread = thread.message_count - read_count';
COMMENT ON COLUMN chat.member.delivered_id IS 'Delivered pointer: every message up to this id is delivered';
COMMENT ON COLUMN chat.member.large IS 'Copy of thread.large; activity_id and message_count are kept only when false';
COMMENT ON COLUMN chat.member.activity_id IS 'Copy of thread.last_message_id (small threads): the inbox order';
COMMENT ON COLUMN chat.member.message_count IS 'Copy of thread.message_count (small threads): badge counts without the thread row';

CREATE TABLE chat.message (
    thread_id      bigint NOT NULL REFERENCES chat.thread (id) ON DELETE CASCADE,
    id             bigint NOT NULL,
    sender_id      chat.user_id,
    kind           chat.message_kind NOT NULL DEFAULT 'text',
    content        text,
    sent_at        timestamptz NOT NULL DEFAULT now(),
    edited_at      timestamptz,
    deleted_at     timestamptz,
    parent_id      bigint,
    forwarded_from bigint,
    PRIMARY KEY (thread_id, id),
    CONSTRAINT message_parent_fkey FOREIGN KEY (thread_id, parent_id)
        REFERENCES chat.message (thread_id, id) ON DELETE SET NULL (parent_id),
    CONSTRAINT message_forward_not_reply CHECK (forwarded_from IS NULL OR parent_id IS NULL)
);
CREATE INDEX message_id_idx ON chat.message (id);

COMMENT ON TABLE chat.message IS
    'Messages; ids are assigned by trigger and increase within a thread in commit order (a row restored by pg_dump keeps its id)';
COMMENT ON COLUMN chat.message.sender_id IS 'Sender; NULL for anonymous system messages';
COMMENT ON COLUMN chat.message.content IS 'Text; kept after a soft delete but no longer shown by chat.messages';
COMMENT ON COLUMN chat.message.deleted_at IS 'Soft delete: set by chat.delete_message';
COMMENT ON COLUMN chat.message.parent_id IS 'The message this one replies to, in the same thread';
COMMENT ON COLUMN chat.message.forwarded_from IS 'The message this one is a forwarded copy of';

CREATE TABLE chat.message_edit (
    thread_id   bigint NOT NULL,
    message_id  bigint NOT NULL,
    version     integer NOT NULL,
    content     text,
    replaced_at timestamptz NOT NULL,
    PRIMARY KEY (thread_id, message_id, version),
    FOREIGN KEY (thread_id, message_id) REFERENCES chat.message (thread_id, id) ON DELETE CASCADE
);
COMMENT ON TABLE chat.message_edit IS 'Earlier versions of edited messages, written by trigger';
COMMENT ON COLUMN chat.message_edit.replaced_at IS 'When this version was replaced by the next';

SELECT pg_catalog.pg_extension_config_dump('chat.thread', '');
SELECT pg_catalog.pg_extension_config_dump('chat.thread_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('chat.member', '');
SELECT pg_catalog.pg_extension_config_dump('chat.message', '');
SELECT pg_catalog.pg_extension_config_dump('chat.message_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('chat.message_edit', '');

/* ------------------------------------------------------------------------
 * Triggers that keep counters, pointers and history
 * ------------------------------------------------------------------------ */

CREATE FUNCTION chat._message_insert() RETURNS trigger
    LANGUAGE c
    AS 'MODULE_PATHNAME', 'chat_message_insert';
COMMENT ON FUNCTION chat._message_insert() IS
    'Assigns the message id under the thread lock, counts the message and moves read state (src/unread.c)';

CREATE TRIGGER message_insert
    BEFORE INSERT ON chat.message
    FOR EACH ROW EXECUTE FUNCTION chat._message_insert();

/* Edits keep history; the preview follows the newest message; keys never change. */
CREATE FUNCTION chat._message_update() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF NEW.id <> OLD.id OR NEW.thread_id <> OLD.thread_id
       OR NEW.sender_id IS DISTINCT FROM OLD.sender_id OR NEW.kind <> OLD.kind THEN
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
       SET last_preview = CASE WHEN NEW.deleted_at IS NULL THEN left(NEW.content, 100) END
     WHERE t.id = OLD.thread_id AND t.last_message_id = OLD.id;
    RETURN NEW;
END
$$;

CREATE TRIGGER message_update
    BEFORE UPDATE ON chat.message
    FOR EACH ROW
    WHEN (OLD.content IS DISTINCT FROM NEW.content
          OR OLD.deleted_at IS DISTINCT FROM NEW.deleted_at
          OR OLD.id <> NEW.id OR OLD.thread_id <> NEW.thread_id
          OR OLD.sender_id IS DISTINCT FROM NEW.sender_id OR OLD.kind <> NEW.kind)
    EXECUTE FUNCTION chat._message_update();

/*
 * Recompute a thread's counters and every member's read state from the
 * message rows.  Used after hard deletes; slow but exact.
 */
CREATE FUNCTION chat._recount(thread bigint) RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    UPDATE chat.thread t
       SET message_count = s.n,
           last_message_id = s.last_id,
           last_sender_id = l.sender_id,
           last_sent_at = l.sent_at,
           last_preview = CASE WHEN l.deleted_at IS NULL THEN left(l.content, 100) END
      FROM (SELECT count(*) AS n, max(m.id) AS last_id
              FROM chat.message m WHERE m.thread_id = thread) s
      LEFT JOIN chat.message l ON l.thread_id = thread AND l.id = s.last_id
     WHERE t.id = thread;

    UPDATE chat.member mb
       SET read_count = t.message_count
                        - (SELECT count(*) FROM chat.message m
                            WHERE m.thread_id = mb.thread_id AND m.id > mb.read_id
                              AND m.sender_id IS DISTINCT FROM mb.user_id),
           activity_id = coalesce(t.last_message_id, 0),
           message_count = t.message_count
      FROM chat.thread t
     WHERE t.id = thread AND mb.thread_id = thread;
END
$$;

CREATE FUNCTION chat._message_delete() RETURNS trigger
    LANGUAGE plpgsql
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

CREATE TRIGGER message_delete
    AFTER DELETE ON chat.message
    REFERENCING OLD TABLE AS removed
    FOR EACH STATEMENT EXECUTE FUNCTION chat._message_delete();

/*
 * Member rows: keep thread.member_count, give new rows the thread's current
 * position, and switch a thread to "large" once it passes the fan-out limit.
 * The thread row is locked first, as every writer of several member rows does;
 * the statement after the lock sees every membership committed before it, so
 * member_count is a recount, exact under concurrency and when pg_dump restores
 * member rows of a thread whose row already counts them.
 */
CREATE FUNCTION chat._member_count(changed bigint[]) RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    lim bigint := chat._setting_value('inbox_fanout_limit')::bigint;
BEGIN
    PERFORM FROM chat.thread t WHERE t.id = ANY (changed) ORDER BY t.id FOR NO KEY UPDATE;
    UPDATE chat.thread t
       SET member_count = c.n,
           large = t.large OR c.n > lim
      FROM (SELECT t2.id, (SELECT count(*) FROM chat.member mb WHERE mb.thread_id = t2.id) AS n
              FROM chat.thread t2 WHERE t2.id = ANY (changed)) c
     WHERE t.id = c.id AND (t.member_count <> c.n OR (NOT t.large AND c.n > lim));
END
$$;

CREATE FUNCTION chat._member_insert() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    PERFORM chat._member_count(ARRAY(SELECT DISTINCT thread_id FROM added));

    UPDATE chat.member mb
       SET activity_id = coalesce(t.last_message_id, 0),
           message_count = t.message_count,
           large = t.large
      FROM added a
      JOIN chat.thread t ON t.id = a.thread_id
     WHERE mb.thread_id = a.thread_id AND mb.user_id = a.user_id AND NOT t.large
       AND (mb.activity_id, mb.message_count, mb.large)
           IS DISTINCT FROM (coalesce(t.last_message_id, 0), t.message_count, t.large);

    UPDATE chat.member mb
       SET large = true
      FROM chat.thread t
     WHERE t.id IN (SELECT DISTINCT thread_id FROM added)
       AND t.large AND mb.thread_id = t.id AND NOT mb.large;
    RETURN NULL;
END
$$;

CREATE TRIGGER member_insert
    AFTER INSERT ON chat.member
    REFERENCING NEW TABLE AS added
    FOR EACH STATEMENT EXECUTE FUNCTION chat._member_insert();

CREATE FUNCTION chat._member_delete() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    PERFORM chat._member_count(ARRAY(SELECT DISTINCT thread_id FROM removed));
    RETURN NULL;
END
$$;

CREATE TRIGGER member_delete
    AFTER DELETE ON chat.member
    REFERENCING OLD TABLE AS removed
    FOR EACH STATEMENT EXECUTE FUNCTION chat._member_delete();

/* ------------------------------------------------------------------------
 * Internal checks shared by the API
 * ------------------------------------------------------------------------ */

/* Raise 22004 naming the argument when it is NULL. */
CREATE FUNCTION chat._not_null(value anyelement, name text) RETURNS void
    LANGUAGE plpgsql IMMUTABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF value IS NULL THEN
        RAISE EXCEPTION 'argument "%" must not be null', name USING ERRCODE = '22004';
    END IF;
END
$$;

/* Only white space, ASCII or Unicode (src/send.c). */
CREATE FUNCTION chat._is_blank(value text) RETURNS boolean
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'chat_is_blank';

/* Message text: not NULL, not blank, not longer than max_content_length (src/send.c). */
CREATE FUNCTION chat._check_content(content text) RETURNS void
    LANGUAGE c STABLE
    AS 'MODULE_PATHNAME', 'chat_check_content_sql';

/* Subject or title: not NULL, not longer than max_subject_length. */
CREATE FUNCTION chat._check_subject(subject text) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    lim integer := chat._setting_value('max_subject_length')::integer;
BEGIN
    IF subject IS NULL THEN
        RAISE EXCEPTION 'argument "subject" must not be null' USING ERRCODE = '22004';
    END IF;
    IF chat._is_blank(subject) THEN
        RAISE EXCEPTION 'subject must not be blank' USING ERRCODE = '22023';
    END IF;
    IF char_length(subject) > lim THEN
        RAISE EXCEPTION 'subject is too long'
            USING ERRCODE = '22001',
                  DETAIL = format('The subject has %s characters; the limit is %s.', char_length(subject), lim),
                  HINT = 'The limit is the setting "max_subject_length".';
    END IF;
END
$$;

/* page_size within 1 .. max_page_size. */
CREATE FUNCTION chat._check_page_size(page_size integer) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    lim integer := chat._setting_value('max_page_size')::integer;
BEGIN
    IF page_size IS NULL THEN
        RAISE EXCEPTION 'argument "page_size" must not be null' USING ERRCODE = '22004';
    END IF;
    IF page_size < 1 OR page_size > lim THEN
        RAISE EXCEPTION 'page_size must be between 1 and %', lim
            USING ERRCODE = '22023',
                  DETAIL = format('The page_size given was %s.', page_size),
                  HINT = 'The upper limit is the setting "max_page_size".';
    END IF;
END
$$;

/*
 * The member row of (thread, user); raises 42704 for an unknown thread and
 * 42501 for a non-member.  With lock, the thread row is locked FOR SHARE
 * before the member row FOR UPDATE: new_reply locks the thread row before
 * member rows, so every chat operation takes them in that order and none
 * deadlocks with another, even several in one transaction.  The share lock
 * also waits out a reply in progress and keeps new ones out until commit, so
 * the thread's counters do not move under the caller.
 */
CREATE FUNCTION chat._member_row(thread bigint, who chat.user_id, lock boolean DEFAULT false)
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
            USING ERRCODE = '42501';
    END IF;
    RETURN m;
END
$$;

/* The message row by id; raises 42704 when there is none. */
CREATE FUNCTION chat._message_row(message bigint) RETURNS chat.message
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    m chat.message;
BEGIN
    SELECT * INTO m FROM chat.message mg WHERE mg.id = message;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'message % does not exist', message USING ERRCODE = '42704';
    END IF;
    RETURN m;
END
$$;

/* Refuse arguments of later capabilities rather than ignore them. */
CREATE FUNCTION chat._not_yet(attachments jsonb, extra jsonb) RETURNS void
    LANGUAGE plpgsql IMMUTABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF attachments IS NOT NULL THEN
        RAISE EXCEPTION 'attachments are not supported by chat 0.1' USING ERRCODE = '0A000';
    END IF;
    IF extra IS NOT NULL THEN
        RAISE EXCEPTION 'extra is not supported by chat 0.1'
            USING ERRCODE = '0A000', HINT = 'extra fills a swapped model, which chat 0.1 does not have.';
    END IF;
END
$$;

/* ------------------------------------------------------------------------
 * Sending
 * ------------------------------------------------------------------------ */

CREATE FUNCTION chat.new_message(sender chat.user_id DEFAULT chat.current_user_id(),
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
    PERFORM chat._not_yet(attachments, extra);

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
    RETURN mid;
END
$$;
COMMENT ON FUNCTION chat.new_message(chat.user_id, chat.user_id[], text, text, jsonb, jsonb) IS
    'Start a private thread from sender to recipients (de-duplicated) with a first message; returns the message id';

CREATE FUNCTION chat.new_reply(thread_id bigint,
                               sender chat.user_id DEFAULT chat.current_user_id(),
                               content text DEFAULT NULL,
                               parent_id bigint DEFAULT NULL,
                               attachments jsonb DEFAULT NULL,
                               extra jsonb DEFAULT NULL)
    RETURNS bigint
    LANGUAGE c
    AS 'MODULE_PATHNAME', 'chat_new_reply';
COMMENT ON FUNCTION chat.new_reply(bigint, chat.user_id, text, bigint, jsonb, jsonb) IS
    'Append a message to a thread the sender belongs to; marks it read for the sender and unread for the others; returns the message id';

/* ------------------------------------------------------------------------
 * Inbox
 * ------------------------------------------------------------------------ */

CREATE FUNCTION chat._check_folder(folder text) RETURNS void
    LANGUAGE plpgsql IMMUTABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF folder IS NULL THEN
        RAISE EXCEPTION 'argument "folder" must not be null' USING ERRCODE = '22004';
    END IF;
    IF folder NOT IN ('inbox', 'unread', 'deleted', 'sent', 'archived') THEN
        RAISE EXCEPTION 'invalid folder "%"', folder
            USING ERRCODE = '22023',
                  HINT = 'Folders are "inbox", "unread", "deleted", "sent" and "archived".';
    END IF;
END
$$;

/*
 * Every thread of a user with what the folders need.  Small threads come from
 * the member row alone (its copies are current); large threads take their
 * position and counts from the thread row.  chat.inbox spells the same union
 * out inline: a function with SET search_path is never inlined, and the inbox
 * must read each branch in order and stop at the page size.
 */
CREATE FUNCTION chat._membership(viewer chat.user_id)
    RETURNS TABLE (thread_id bigint, activity bigint, visible boolean, archived boolean,
                   muted boolean, unread bigint)
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT mb.thread_id, mb.activity_id,
           mb.hidden_id IS NULL OR mb.hidden_id < mb.activity_id,
           mb.archived, mb.muted, mb.message_count - mb.read_count
      FROM chat.member mb
     WHERE mb.user_id = viewer AND NOT mb.large
    UNION ALL
    SELECT mb.thread_id, coalesce(t.last_message_id, 0),
           mb.hidden_id IS NULL OR mb.hidden_id < coalesce(t.last_message_id, 0),
           mb.archived, mb.muted, t.message_count - mb.read_count
      FROM chat.member mb
      JOIN chat.thread t ON t.id = mb.thread_id
     WHERE mb.user_id = viewer AND mb.large
$$;

CREATE FUNCTION chat.inbox(viewer chat.user_id DEFAULT chat.current_user_id(),
                           folder text DEFAULT 'inbox',
                           before text DEFAULT NULL,
                           page_size integer DEFAULT 50)
    RETURNS TABLE (thread_id bigint, kind text, subject text,
                   last_message_id bigint, last_sender_id chat.user_id,
                   last_preview text, last_sent_at timestamptz,
                   unread_count bigint, unread boolean, muted boolean,
                   member_count integer, cursor text)
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    /* custom plans for the first calls of a session join all large threads */
    SET plan_cache_mode = force_generic_plan
    AS $$
#variable_conflict use_column
DECLARE
    v chat.user_id := inbox.viewer;
    f text := inbox.folder;
    n integer := inbox.page_size;
    c_act bigint := 9223372036854775807;
    c_tid bigint := 9223372036854775807;
    parts text[];
BEGIN
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
    RETURN QUERY
    SELECT t.id, t.kind::text, t.subject, t.last_message_id, t.last_sender_id,
           t.last_preview, t.last_sent_at,
           t.message_count - mb.read_count, t.message_count > mb.read_count,
           mb.muted, t.member_count, p.activity || ':' || p.thread_id
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
END
$$;
COMMENT ON FUNCTION chat.inbox(chat.user_id, text, text, integer) IS
    'A page of the viewer''s threads in a folder (inbox, unread, deleted, sent, archived), newest activity first; pass the last row''s cursor as "before" for the next page';

CREATE FUNCTION chat.inbox_count(viewer chat.user_id DEFAULT chat.current_user_id(),
                                 folder text DEFAULT 'inbox')
    RETURNS bigint
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
#variable_conflict use_column
DECLARE
    v chat.user_id := inbox_count.viewer;
    f text := inbox_count.folder;
BEGIN
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
COMMENT ON FUNCTION chat.inbox_count(chat.user_id, text) IS 'Number of threads in one of the viewer''s folders';

CREATE FUNCTION chat.unread_count(viewer chat.user_id DEFAULT chat.current_user_id(),
                                  OUT threads bigint, OUT messages bigint)
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
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
COMMENT ON FUNCTION chat.unread_count(chat.user_id) IS
    'Badge counts: threads with unread messages and unread messages in them (inbox folder, muted threads left out)';

/* ------------------------------------------------------------------------
 * Reading a thread
 * ------------------------------------------------------------------------ */

CREATE FUNCTION chat.messages(thread_id bigint,
                              viewer chat.user_id DEFAULT chat.current_user_id(),
                              before bigint DEFAULT NULL,
                              after bigint DEFAULT NULL,
                              page_size integer DEFAULT 50)
    RETURNS TABLE (id bigint, sender_id chat.user_id, kind text, content text,
                   sent_at timestamptz, edited boolean, deleted boolean,
                   parent_id bigint, forwarded_from bigint,
                   reactions jsonb, attachments jsonb, seen_count bigint)
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
BEGIN
    PERFORM chat._not_null(tid, 'thread_id');
    PERFORM chat._not_null(messages.viewer, 'viewer');
    PERFORM chat._check_page_size(n);
    PERFORM chat._member_row(tid, messages.viewer);

    RETURN QUERY
    SELECT p.id, p.sender_id, p.kind::text,
           CASE WHEN p.deleted_at IS NULL THEN p.content END,
           p.sent_at, p.edited_at IS NOT NULL, p.deleted_at IS NOT NULL,
           p.parent_id, p.forwarded_from,
           '[]'::jsonb, '[]'::jsonb,
           (SELECT count(*) FROM chat.member r
             WHERE r.thread_id = tid AND r.read_id >= p.id
               AND r.user_id IS DISTINCT FROM p.sender_id)
      FROM ((SELECT * FROM chat.message m
              WHERE oldest_first AND m.thread_id = tid AND m.id > lo AND m.id < hi
              ORDER BY m.id LIMIT n)
            UNION ALL
            (SELECT * FROM chat.message m
              WHERE NOT oldest_first AND m.thread_id = tid AND m.id > lo AND m.id < hi
              ORDER BY m.id DESC LIMIT n)) p
     ORDER BY p.id;
END
$$;
COMMENT ON FUNCTION chat.messages(bigint, chat.user_id, bigint, bigint, integer) IS
    'A page of a thread for one of its members, oldest first: the newest page, the page before "before", or the page after "after"';

CREATE FUNCTION chat.first_message(thread_id bigint) RETURNS bigint
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT m.id FROM chat.message m WHERE m.thread_id = $1 ORDER BY m.id LIMIT 1
$$;
COMMENT ON FUNCTION chat.first_message(bigint) IS 'The thread''s first message, NULL when none';

CREATE FUNCTION chat.latest_message(thread_id bigint, exclude_user chat.user_id DEFAULT NULL)
    RETURNS bigint
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT m.id FROM chat.message m
     WHERE m.thread_id = $1 AND ($2 IS NULL OR m.sender_id IS DISTINCT FROM $2)
     ORDER BY m.id DESC LIMIT 1
$$;
COMMENT ON FUNCTION chat.latest_message(bigint, chat.user_id) IS
    'The thread''s newest message, optionally not counting one user''s; NULL when none';

CREATE FUNCTION chat.earliest_message(thread_id bigint, exclude_user chat.user_id DEFAULT NULL)
    RETURNS bigint
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT m.id FROM chat.message m
     WHERE m.thread_id = $1 AND ($2 IS NULL OR m.sender_id IS DISTINCT FROM $2)
     ORDER BY m.id LIMIT 1
$$;
COMMENT ON FUNCTION chat.earliest_message(bigint, chat.user_id) IS
    'The thread''s oldest message, optionally not counting one user''s; NULL when none';

CREATE FUNCTION chat.started_by(thread_id bigint) RETURNS chat.user_id
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT m.sender_id FROM chat.message m WHERE m.thread_id = $1 ORDER BY m.id LIMIT 1
$$;
COMMENT ON FUNCTION chat.started_by(bigint) IS 'Sender of the thread''s first message, NULL when none';

/* ------------------------------------------------------------------------
 * Read state
 * ------------------------------------------------------------------------ */

/*
 * Where a member's read pointer goes and how many messages it then counts as
 * read: all but the other members' messages after the pointer.  One statement,
 * so the thread's total and the count come from the same snapshot.  "upto"
 * NULL means the newest message; "before" true means just before "upto".
 */
CREATE FUNCTION chat._read_position(thread bigint, reader chat.user_id, upto bigint, before boolean,
                                    OUT target bigint, OUT read_count bigint)
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT p.target,
           CASE WHEN p.target >= p.last THEN p.total
                ELSE p.total - (SELECT count(*) FROM chat.message m
                                 WHERE m.thread_id = thread AND m.id > p.target
                                   AND m.sender_id IS DISTINCT FROM reader)
           END
      FROM (SELECT CASE WHEN NOT before THEN coalesce(upto, t.last_message_id, 0)
                        ELSE coalesce((SELECT max(mg.id) FROM chat.message mg
                                        WHERE mg.thread_id = thread
                                          AND mg.id < coalesce(upto, t.last_message_id, 0)), 0)
                   END AS target,
                   coalesce(t.last_message_id, 0) AS last,
                   t.message_count AS total
              FROM chat.thread t
             WHERE t.id = thread) p
$$;

/* A message of the given thread, or 42704 / 22023. */
CREATE FUNCTION chat._message_in(thread bigint, message bigint) RETURNS chat.message
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    m chat.message := chat._message_row(message);
BEGIN
    IF m.thread_id <> thread THEN
        RAISE EXCEPTION 'message % is not in thread %', message, thread USING ERRCODE = '22023';
    END IF;
    RETURN m;
END
$$;

CREATE FUNCTION chat.mark_read(thread_id bigint,
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
    RETURN greatest(pos.read_count - m.read_count, 0);
END
$$;
COMMENT ON FUNCTION chat.mark_read(bigint, chat.user_id, bigint) IS
    'Move the reader''s read pointer forward (never back) to up_to or the newest message; returns how many messages became read';

CREATE FUNCTION chat.mark_unread(thread_id bigint,
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
       SET read_id = pos.target, read_count = pos.read_count
     WHERE mb.thread_id = tid AND mb.user_id = reader;
    RETURN greatest(m.read_count - pos.read_count, 0);
END
$$;
COMMENT ON FUNCTION chat.mark_unread(bigint, chat.user_id, bigint) IS
    'Move the reader''s read pointer back to just before from_message (default: the newest message); returns how many messages became unread. The reader''s own messages never count as unread';

CREATE FUNCTION chat.mark_delivered(reader chat.user_id DEFAULT chat.current_user_id(),
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
           SET delivered_id = t.last_message_id
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
       SET delivered_id = target
     WHERE mb.thread_id = tid AND mb.user_id = reader AND mb.delivered_id < target;
    GET DIAGNOSTICS moved = ROW_COUNT;
    RETURN moved;
END
$$;
COMMENT ON FUNCTION chat.mark_delivered(chat.user_id, bigint, bigint) IS
    'Move the reader''s delivered pointer forward in one thread (or in all of them); returns how many threads moved';

/* ------------------------------------------------------------------------
 * Per-user folders
 * ------------------------------------------------------------------------ */

CREATE FUNCTION chat.delete_thread(thread_id bigint, actor chat.user_id DEFAULT chat.current_user_id())
    RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
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
COMMENT ON FUNCTION chat.delete_thread(bigint, chat.user_id) IS
    'Move a thread to the actor''s deleted folder, until someone posts in it again';

CREATE FUNCTION chat.restore_thread(thread_id bigint, actor chat.user_id DEFAULT chat.current_user_id())
    RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    PERFORM chat._not_null(restore_thread.thread_id, 'thread_id');
    PERFORM chat._not_null(actor, 'actor');
    PERFORM chat._member_row(restore_thread.thread_id, actor, true);
    UPDATE chat.member mb SET hidden_id = NULL
     WHERE mb.thread_id = restore_thread.thread_id AND mb.user_id = actor;
END
$$;
COMMENT ON FUNCTION chat.restore_thread(bigint, chat.user_id) IS 'Bring a deleted thread back to the actor''s inbox';

CREATE FUNCTION chat.archive_thread(thread_id bigint, actor chat.user_id DEFAULT chat.current_user_id())
    RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    PERFORM chat._not_null(archive_thread.thread_id, 'thread_id');
    PERFORM chat._not_null(actor, 'actor');
    PERFORM chat._member_row(archive_thread.thread_id, actor, true);
    UPDATE chat.member mb SET archived = true
     WHERE mb.thread_id = archive_thread.thread_id AND mb.user_id = actor;
END
$$;
COMMENT ON FUNCTION chat.archive_thread(bigint, chat.user_id) IS
    'Move a thread to the actor''s archived folder; it stays there when new messages arrive';

CREATE FUNCTION chat.unarchive_thread(thread_id bigint, actor chat.user_id DEFAULT chat.current_user_id())
    RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    PERFORM chat._not_null(unarchive_thread.thread_id, 'thread_id');
    PERFORM chat._not_null(actor, 'actor');
    PERFORM chat._member_row(unarchive_thread.thread_id, actor, true);
    UPDATE chat.member mb SET archived = false
     WHERE mb.thread_id = unarchive_thread.thread_id AND mb.user_id = actor;
END
$$;
COMMENT ON FUNCTION chat.unarchive_thread(bigint, chat.user_id) IS 'Move an archived thread back to the actor''s inbox';

/* ------------------------------------------------------------------------
 * Editing and deleting messages
 * ------------------------------------------------------------------------ */

CREATE FUNCTION chat.edit_message(message_id bigint,
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
    RETURN m.id;
END
$$;
COMMENT ON FUNCTION chat.edit_message(bigint, chat.user_id, text) IS
    'Replace a message''s content, keeping the previous text in its history; returns the message id';

CREATE FUNCTION chat.delete_message(message_id bigint, actor chat.user_id DEFAULT chat.current_user_id())
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
END
$$;
COMMENT ON FUNCTION chat.delete_message(bigint, chat.user_id) IS
    'Soft-delete a message: it stays in the thread as a deleted marker without content';

CREATE FUNCTION chat.message_history(message_id bigint, viewer chat.user_id DEFAULT chat.current_user_id())
    RETURNS TABLE (content text, replaced_at timestamptz)
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
#variable_conflict use_column
DECLARE
    m chat.message;
BEGIN
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
COMMENT ON FUNCTION chat.message_history(bigint, chat.user_id) IS
    'Earlier versions of a message, newest first (none once the message is deleted)';

/* ------------------------------------------------------------------------
 * Consistency check
 * ------------------------------------------------------------------------ */

CREATE FUNCTION chat.verify_unread(thread_id bigint DEFAULT NULL)
    RETURNS TABLE (thread_id bigint, user_id chat.user_id, what text, stored bigint, recounted bigint)
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
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
COMMENT ON FUNCTION chat.verify_unread(bigint) IS
    'Counters that differ from a recount of the message rows (no rows: all exact). Unread = other members'' messages after the read pointer';
