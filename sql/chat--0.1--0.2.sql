/*
 * chat 0.1 -> 0.2: hooks and realtime events, the user binding, swappable
 * models.  Released 2026-11-21; never edited.
 */

\echo Use "ALTER EXTENSION chat UPDATE TO '0.2'" to load this file. \quit

/* ------------------------------------------------------------------------
 * Registries of hooks, swapped models and the user binding
 *
 * Each is read by the C module into a per-backend cache (src/registry.c);
 * a statement trigger sends a relcache invalidation for the table, so a
 * change made in one session is seen by the next call in every other.
 * ------------------------------------------------------------------------ */

CREATE FUNCTION chat._registry_changed() RETURNS trigger
    LANGUAGE c
    AS 'MODULE_PATHNAME', 'chat_registry_changed';
COMMENT ON FUNCTION chat._registry_changed() IS
    'Statement trigger of chat''s registries: drop every backend''s cached copy';

CREATE TABLE chat.hook (
    event    text NOT NULL
             CONSTRAINT hook_event_check CHECK (event IN (
                 'message_sent', 'message_edited', 'message_deleted', 'thread_created',
                 'member_added', 'member_removed', 'reaction_added', 'reaction_removed',
                 'thread_read')),
    function regprocedure NOT NULL,
    position integer NOT NULL,
    PRIMARY KEY (event, function),
    UNIQUE (event, position)
);
COMMENT ON TABLE chat.hook IS
    'Functions fn(jsonb) run inside the transaction of every event, in position order (chat.add_hook)';
SELECT pg_catalog.pg_extension_config_dump('chat.hook', '');
CREATE TRIGGER hook_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON chat.hook
    FOR EACH STATEMENT EXECUTE FUNCTION chat._registry_changed();

CREATE TABLE chat.model (
    model    text PRIMARY KEY
             CONSTRAINT model_model_check CHECK (model IN ('message', 'thread', 'member', 'reaction', 'attachment')),
    tbl      regclass,
    renderer regprocedure,
    CONSTRAINT model_something_check CHECK (tbl IS NOT NULL OR renderer IS NOT NULL)
);
COMMENT ON TABLE chat.model IS
    'Swapped models: the application''s table extending a chat record (chat.swap_model) and its renderer (chat.swap_renderer)';
SELECT pg_catalog.pg_extension_config_dump('chat.model', '');
CREATE TRIGGER model_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON chat.model
    FOR EACH STATEMENT EXECUTE FUNCTION chat._registry_changed();

CREATE TABLE chat.user_binding (
    singleton    boolean PRIMARY KEY DEFAULT true CONSTRAINT user_binding_singleton CHECK (singleton),
    tbl          regclass NOT NULL,
    id_column    name NOT NULL,
    on_delete    text NOT NULL CONSTRAINT user_binding_on_delete_check CHECK (on_delete IN ('cascade', 'restrict', 'anonymize')),
    display_name regprocedure
);
COMMENT ON TABLE chat.user_binding IS
    'The application''s users table chat is bound to (chat.use_user_table), at most one row';
SELECT pg_catalog.pg_extension_config_dump('chat.user_binding', '');
CREATE TRIGGER user_binding_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON chat.user_binding
    FOR EACH STATEMENT EXECUTE FUNCTION chat._registry_changed();

/* Settings of a text type (the NOTIFY channel) */
ALTER TABLE chat.setting_default DROP CONSTRAINT setting_default_type_check;
ALTER TABLE chat.setting_default ADD CONSTRAINT setting_default_type_check
    CHECK (type IN ('boolean', 'integer', 'text'));
COMMENT ON COLUMN chat.setting_default.min_value IS 'Smallest value (integer) or shortest text (text)';
COMMENT ON COLUMN chat.setting_default.max_value IS 'Largest value (integer) or longest text (text)';

CREATE OR REPLACE FUNCTION chat.set_setting(key text, value jsonb) RETURNS jsonb
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
    END IF;

    INSERT INTO chat.setting AS s (key, value) VALUES (d.key, value)
        ON CONFLICT ON CONSTRAINT setting_pkey DO UPDATE SET value = excluded.value;
    RETURN value;
END
$$;

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

/* ------------------------------------------------------------------------
 * The user binding (SPEC §2): foreign keys from chat's user columns to the
 * application's users table, what deleting a user does, display names
 *
 * The binding lives in the registry row chat.user_binding, which pg_dump
 * keeps; the foreign keys, like every constraint added to an extension's
 * tables, are not dumped.  So the row is the truth and the constraints
 * follow it: inserting the row adds them (use_user_table, or COPY on a
 * restore), and once the users table has its unique key, which a restore
 * creates after the data, an event trigger adds whatever is still missing.
 * ------------------------------------------------------------------------ */

/*
 * Messages keep their sender, except that it may become NULL: deleting a user
 * bound with on_delete "anonymize" keeps their messages without a sender.
 * The thread's last sender follows its newest message.
 */
CREATE OR REPLACE FUNCTION chat._message_update() RETURNS trigger
    LANGUAGE plpgsql
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

/*
 * The foreign keys of a binding: every user column of chat's tables, with
 * the ON DELETE action of each delete mode.  member.user_id is NOT NULL and
 * part of the key, so a membership goes with its user unless restricted.
 */
CREATE FUNCTION chat._user_fkeys(on_delete text)
    RETURNS TABLE (tbl regclass, col name, conname name, action text, deltype "char")
    LANGUAGE sql IMMUTABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT v.tbl::regclass, v.col::name, v.conname::name, v.action,
           CASE v.action WHEN 'CASCADE' THEN 'c' WHEN 'RESTRICT' THEN 'r' ELSE 'n' END::"char"
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
    'The foreign keys binding chat to a users table, with the ON DELETE action of a delete mode';

/* Attribute number of a live user column of a table, NULL when there is none. */
CREATE FUNCTION chat._column_number(tbl regclass, col name) RETURNS smallint
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT a.attnum FROM pg_attribute a
     WHERE a.attrelid = $1 AND a.attname = $2 AND a.attnum > 0 AND NOT a.attisdropped
$$;

/* A unique key on exactly this column, as a foreign key needs one. */
CREATE FUNCTION chat._is_unique(tbl regclass, attnum smallint) RETURNS boolean
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT EXISTS (SELECT 1 FROM pg_index i
                    WHERE i.indrelid = $1 AND i.indisunique AND i.indimmediate AND i.indisvalid
                      AND i.indnkeyatts = 1 AND i.indkey[0] = $2
                      AND i.indpred IS NULL AND i.indexprs IS NULL)
$$;

/*
 * Give chat's user columns the binding's foreign keys, NOT VALID: each one
 * that exists as the binding wants it is kept, any other of the same name is
 * replaced.  Returns false, adding nothing, while the users table lacks the
 * column or a unique key on it (during a restore, until its primary key is
 * created).  NOT VALID checks every new row; chat.use_user_table validates.
 */
CREATE FUNCTION chat._user_binding_apply(b chat.user_binding) RETURNS boolean
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
    FOR k IN SELECT * FROM chat._user_fkeys(b.on_delete) LOOP
        SELECT * INTO c FROM pg_constraint pc WHERE pc.conrelid = k.tbl AND pc.conname = k.conname;
        IF FOUND THEN
            CONTINUE WHEN c.contype = 'f' AND c.confrelid = b.tbl AND c.confkey = ARRAY[att]
                          AND c.confdeltype = k.deltype;
            EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', k.tbl, k.conname);
        END IF;
        EXECUTE format('ALTER TABLE %s ADD CONSTRAINT %I FOREIGN KEY (%I) REFERENCES %s (%I) ON DELETE %s NOT VALID',
                       k.tbl, k.conname, k.col, b.tbl, b.id_column, k.action);
    END LOOP;
    RETURN true;
END
$$;
COMMENT ON FUNCTION chat._user_binding_apply(chat.user_binding) IS
    'Add the binding''s missing foreign keys (NOT VALID); false while the users table has no unique key on its id column';

/* Drop every foreign key a binding may have added. */
CREATE FUNCTION chat._user_binding_drop() RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    k record;
BEGIN
    FOR k IN SELECT f.tbl, f.conname FROM chat._user_fkeys('cascade') f
              JOIN pg_constraint c ON c.conrelid = f.tbl AND c.conname = f.conname LOOP
        EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', k.tbl, k.conname);
    END LOOP;
END
$$;

/* A binding row arrived (chat.use_user_table, or COPY on a restore): add its keys. */
CREATE FUNCTION chat._user_binding_insert() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    PERFORM chat._user_binding_apply(NEW);
    RETURN NULL;
END
$$;

CREATE TRIGGER user_binding_apply
    AFTER INSERT ON chat.user_binding
    FOR EACH ROW EXECUTE FUNCTION chat._user_binding_insert();

/*
 * DDL on the bound users table: a restore creates its primary key after the
 * rows, so that is when the keys of a restored binding can be added; a
 * renamed id column is followed.  Definer's rights, because any role may run
 * DDL on its own tables and must not need rights on chat for it; a failure
 * becomes a warning, never the failure of the application's DDL.
 */
CREATE FUNCTION chat._user_binding_ddl() RETURNS event_trigger
    LANGUAGE plpgsql
    SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    b chat.user_binding;
    renamed name;
BEGIN
    SELECT * INTO b FROM chat.user_binding;
    IF NOT FOUND OR NOT EXISTS (
        SELECT 1 FROM pg_event_trigger_ddl_commands() cmd
         WHERE cmd.classid = 'pg_class'::regclass
           AND (cmd.objid = b.tbl
                OR cmd.objid IN (SELECT i.indexrelid FROM pg_index i WHERE i.indrelid = b.tbl))) THEN
        RETURN;
    END IF;
    BEGIN
        SELECT a.attname INTO renamed
          FROM pg_constraint c
          JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = c.confkey[1]
         WHERE c.conrelid = 'chat.member'::regclass AND c.conname = 'member_user_fkey'
           AND c.confrelid = b.tbl AND a.attname <> b.id_column;
        IF FOUND THEN
            UPDATE chat.user_binding SET id_column = renamed;
            b.id_column := renamed;
        END IF;
        PERFORM chat._user_binding_apply(b);
    EXCEPTION WHEN OTHERS THEN
        RAISE WARNING 'could not add chat''s foreign keys to users table "%": %', b.tbl, SQLERRM
            USING HINT = 'Call chat.use_user_table() again to bind chat to the table.';
    END;
END
$$;
COMMENT ON FUNCTION chat._user_binding_ddl() IS
    'Event trigger: after DDL on the bound users table, add the binding''s missing foreign keys and follow a renamed id column';

/*
 * The bound table or its id column was dropped (with CASCADE, which dropped
 * chat's foreign keys): forget the binding, so that a dump does not carry a
 * binding to nothing.  A dropped display-name function is forgotten too.
 */
CREATE FUNCTION chat._user_binding_dropped() RETURNS event_trigger
    LANGUAGE plpgsql
    SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    b chat.user_binding;
    what text;
BEGIN
    IF to_regclass('chat.user_binding') IS NULL THEN
        RETURN;                 /* DROP EXTENSION chat */
    END IF;
    SELECT * INTO b FROM chat.user_binding;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    IF chat._column_number(b.tbl, b.id_column) IS NULL THEN
        SELECT d.object_type || ' ' || d.object_identity INTO what
          FROM pg_event_trigger_dropped_objects() d
         WHERE d.classid = 'pg_class'::regclass AND d.objid = b.tbl
         ORDER BY d.objsubid LIMIT 1;
        DELETE FROM chat.user_binding;
        RAISE WARNING 'chat is no longer bound to a users table'
            USING DETAIL = format('The bound %s was dropped.', coalesce(what, b.tbl::text));
    ELSIF NOT EXISTS (SELECT 1 FROM pg_proc p WHERE p.oid = b.display_name) AND b.display_name IS NOT NULL THEN
        UPDATE chat.user_binding SET display_name = NULL;
        RAISE WARNING 'chat has no display name function any more'
            USING DETAIL = format('Function %s was dropped.', b.display_name);
    END IF;
END
$$;
COMMENT ON FUNCTION chat._user_binding_dropped() IS
    'Event trigger: forget the user binding when its table or id column is dropped, and a dropped display name function';

CREATE EVENT TRIGGER chat_user_binding_ddl ON ddl_command_end
    WHEN TAG IN ('ALTER TABLE', 'CREATE INDEX')
    EXECUTE FUNCTION chat._user_binding_ddl();
CREATE EVENT TRIGGER chat_user_binding_dropped ON sql_drop
    EXECUTE FUNCTION chat._user_binding_dropped();

/* ------------------------------------------------------------------------
 * chat.use_user_table
 * ------------------------------------------------------------------------ */

CREATE FUNCTION chat.use_user_table(tbl regclass,
                                    id_column name DEFAULT 'id',
                                    on_delete text DEFAULT 'cascade',
                                    display_name regprocedure DEFAULT NULL)
    RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
#variable_conflict use_variable
DECLARE
    base regtype := (SELECT t.typbasetype FROM pg_type t WHERE t.oid = 'chat.user_id'::regtype);
    rel pg_class;
    att pg_attribute;
    coltype regtype;
    fn pg_proc;
    missing bigint;
    examples text;
    k record;
BEGIN
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
COMMENT ON FUNCTION chat.use_user_table(regclass, name, text, regprocedure) IS
    'Bind chat to the application''s users table: foreign keys from every user column of chat''s tables to tbl(id_column), deleting a user does on_delete ("cascade", "restrict" or "anonymize"); display_name(user_id) names users in views and events. Calling it again replaces the binding (and validates keys restored by pg_dump); use_user_table(NULL) removes it';

/* ------------------------------------------------------------------------
 * Display names
 * ------------------------------------------------------------------------ */

CREATE FUNCTION chat.display_name(user_id chat.user_id) RETURNS text
    LANGUAGE plpgsql STABLE STRICT
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    call text;
    result text;
BEGIN
    SELECT format('SELECT %I.%I($1::%s)', n.nspname, p.proname, format_type(p.proargtypes[0], NULL))
      INTO call
      FROM chat.user_binding b
      JOIN pg_proc p ON p.oid = b.display_name
      JOIN pg_namespace n ON n.oid = p.pronamespace;
    IF call IS NULL THEN
        RETURN NULL;
    END IF;
    EXECUTE call INTO result USING user_id;
    RETURN result;
END
$$;
COMMENT ON FUNCTION chat.display_name(chat.user_id) IS
    'The user''s name from the display name function registered with chat.use_user_table, NULL when none is registered';

CREATE VIEW chat.member_view WITH (security_invoker = true) AS
    SELECT mb.thread_id, mb.user_id, chat.display_name(mb.user_id) AS display_name,
           mb.role, mb.joined_at, mb.muted
      FROM chat.member mb;
COMMENT ON VIEW chat.member_view IS 'Members of threads with their display names';
COMMENT ON COLUMN chat.member_view.display_name IS 'chat.display_name(user_id): NULL when no display name function is registered';

CREATE VIEW chat.message_view WITH (security_invoker = true) AS
    SELECT m.thread_id, m.id, m.sender_id, chat.display_name(m.sender_id) AS sender_name,
           m.kind, CASE WHEN m.deleted_at IS NULL THEN m.content END AS content,
           m.sent_at, m.edited_at IS NOT NULL AS edited, m.deleted_at IS NOT NULL AS deleted,
           m.parent_id, m.forwarded_from
      FROM chat.message m;
COMMENT ON VIEW chat.message_view IS 'Messages with their senders'' display names, as chat.messages shows them';
COMMENT ON COLUMN chat.message_view.sender_name IS
    'chat.display_name(sender_id): NULL when no display name function is registered or the sender is NULL';
COMMENT ON COLUMN chat.message_view.content IS 'NULL once the message is deleted';

REVOKE ALL ON FUNCTION chat.use_user_table(regclass, name, text, regprocedure) FROM PUBLIC;
REVOKE ALL ON FUNCTION chat._user_fkeys(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION chat._column_number(regclass, name) FROM PUBLIC;
REVOKE ALL ON FUNCTION chat._is_unique(regclass, smallint) FROM PUBLIC;
REVOKE ALL ON FUNCTION chat._user_binding_apply(chat.user_binding) FROM PUBLIC;
REVOKE ALL ON FUNCTION chat._user_binding_drop() FROM PUBLIC;
REVOKE ALL ON FUNCTION chat._user_binding_insert() FROM PUBLIC;
REVOKE ALL ON FUNCTION chat._user_binding_ddl() FROM PUBLIC;
REVOKE ALL ON FUNCTION chat._user_binding_dropped() FROM PUBLIC;

/* ------------------------------------------------------------------------
 * Swappable models: the application's own columns on chat's records
 *
 * The seeds let an application swap a model for its own subclass with more
 * fields, and a serializer for its own.  Here the application creates a table
 * keyed by chat's key and referencing chat's row, e.g.
 *     myapp.message_meta (thread_id, message_id, priority, ...)
 *         FOREIGN KEY (thread_id, message_id) REFERENCES chat.message (thread_id, id)
 * and registers it with chat.swap_model.  Every record of that model created
 * from then on gets its row, filled from the creating function's extra
 * argument (chat._fill_extra), and the reading functions return the row as
 * their extra column, through the function registered with chat.swap_renderer.
 * ------------------------------------------------------------------------ */

/*
 * The key of a model's extension table and the columns of chat's table it
 * references; an error for a model chat does not have (yet).
 */
CREATE FUNCTION chat._model_key(model text, OUT keys text[], OUT target regclass, OUT target_keys text[])
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    PERFORM chat._not_null(model, 'model');
    CASE model
        WHEN 'message' THEN
            keys := '{thread_id,message_id}'; target := 'chat.message'; target_keys := '{thread_id,id}';
        WHEN 'thread' THEN
            keys := '{thread_id}'; target := 'chat.thread'; target_keys := '{id}';
        WHEN 'member' THEN
            keys := '{thread_id,user_id}'; target := 'chat.member'; target_keys := '{thread_id,user_id}';
        WHEN 'reaction', 'attachment' THEN
            RAISE EXCEPTION 'model "%" is not available in chat 0.2', model
                USING ERRCODE = '0A000',
                      DETAIL = format('chat 0.2 has no %s table to extend; a later version adds it.', model),
                      HINT = 'The models of chat 0.2 are "message", "thread" and "member".';
        ELSE
            RAISE EXCEPTION 'unknown model "%"', model
                USING ERRCODE = '22023',
                      HINT = 'The models of chat 0.2 are "message", "thread" and "member".';
    END CASE;
END
$$;
COMMENT ON FUNCTION chat._model_key(text) IS
    'Key columns of a model''s extension table and the chat table and columns they reference';

/* Models are the administrator's: refuse other roles (42501). */
CREATE FUNCTION chat._check_model_admin() RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF NOT pg_has_role((SELECT c.relowner FROM pg_class c WHERE c.oid = 'chat.model'::regclass), 'USAGE') THEN
        RAISE EXCEPTION 'permission denied to change chat''s models'
            USING ERRCODE = '42501',
                  HINT = 'Only the owner of chat''s tables (the role that created the extension) or a superuser may swap models and renderers.';
    END IF;
END
$$;
COMMENT ON FUNCTION chat._check_model_admin() IS
    'Raise 42501 unless the current role may change chat.model';

CREATE FUNCTION chat.swap_model(model text, tbl regclass) RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
#variable_conflict use_variable
DECLARE
    k record := chat._model_key(model);
    rel pg_class;
    keylist text := array_to_string(k.keys, ', ');
    missing text;
BEGIN
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
COMMENT ON FUNCTION chat.swap_model(text, regclass) IS
    'Extend a chat model (message, thread, member) with the application''s table, keyed by chat''s key and referencing it: new records get a row, filled from the extra argument, and the reading functions return it as extra. NULL unregisters the table';

CREATE FUNCTION chat.swap_renderer(model text, fn regprocedure) RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
#variable_conflict use_variable
DECLARE
    k record := chat._model_key(model);
    p pg_proc;
BEGIN
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
COMMENT ON FUNCTION chat.swap_renderer(text, regprocedure) IS
    'Render a model with fn(jsonb) returns jsonb: it receives chat''s default rendering (the extension row without its keys, or an event payload) and returns the one to use. NULL unregisters it';

/*
 * The registration of a model whose table is swapped, NULL when none; an
 * error when the table or the renderer was dropped after registering.
 */
CREATE FUNCTION chat._swapped(model text) RETURNS chat.model
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    md chat.model;
BEGIN
    SELECT * INTO md FROM chat.model m WHERE m.model = _swapped.model AND m.tbl IS NOT NULL;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_class c WHERE c.oid = md.tbl) THEN
        RAISE EXCEPTION 'the table of model "%" no longer exists', model
            USING ERRCODE = '42P01',
                  DETAIL = format('chat.model names the table with oid %s, which was dropped.', md.tbl::oid),
                  HINT = format('Register its successor with chat.swap_model(''%s'', ...), or unregister it with chat.swap_model(''%s'', NULL).',
                                model, model);
    END IF;
    IF md.renderer IS NOT NULL AND NOT EXISTS (SELECT 1 FROM pg_proc p WHERE p.oid = md.renderer) THEN
        RAISE EXCEPTION 'the renderer of model "%" no longer exists', model
            USING ERRCODE = '42883',
                  DETAIL = format('chat.model names the function with oid %s, which was dropped.', md.renderer::oid),
                  HINT = format('Register its successor with chat.swap_renderer(''%s'', ...), or unregister it with chat.swap_renderer(''%s'', NULL).',
                                model, model);
    END IF;
    RETURN md;
END
$$;
COMMENT ON FUNCTION chat._swapped(text) IS
    'The chat.model row of a model with a swapped table, NULL when none';

/*
 * A swapped table or a renderer was dropped: forget it, so that neither the
 * creating and reading functions nor a dump carry a registration of nothing.
 * Definer's rights, because any role may drop its own objects and must not
 * need rights on chat for it.
 */
CREATE FUNCTION chat._model_dropped() RETURNS event_trigger
    LANGUAGE plpgsql
    SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    md chat.model;
BEGIN
    IF to_regclass('chat.model') IS NULL THEN
        RETURN;                 /* DROP EXTENSION chat */
    END IF;
    FOR md IN SELECT * FROM chat.model m
               WHERE (m.tbl IS NOT NULL AND NOT EXISTS (SELECT 1 FROM pg_class c WHERE c.oid = m.tbl))
                  OR (m.renderer IS NOT NULL AND NOT EXISTS (SELECT 1 FROM pg_proc p WHERE p.oid = m.renderer)) LOOP
        IF md.tbl IS NOT NULL AND NOT EXISTS (SELECT 1 FROM pg_class c WHERE c.oid = md.tbl) THEN
            RAISE WARNING 'model "%" is no longer swapped', md.model
                USING DETAIL = format('Its table (oid %s) was dropped.', md.tbl::oid);
            md.tbl := NULL;
        END IF;
        IF md.renderer IS NOT NULL AND NOT EXISTS (SELECT 1 FROM pg_proc p WHERE p.oid = md.renderer) THEN
            RAISE WARNING 'model "%" has no renderer any more', md.model
                USING DETAIL = format('Its renderer (oid %s) was dropped.', md.renderer::oid);
            md.renderer := NULL;
        END IF;
        IF md.tbl IS NULL AND md.renderer IS NULL THEN
            DELETE FROM chat.model m WHERE m.model = md.model;
        ELSE
            UPDATE chat.model m SET tbl = md.tbl, renderer = md.renderer WHERE m.model = md.model;
        END IF;
    END LOOP;
END
$$;
COMMENT ON FUNCTION chat._model_dropped() IS
    'Event trigger: forget a swapped table or renderer that was dropped';
CREATE EVENT TRIGGER chat_model_dropped ON sql_drop
    EXECUTE FUNCTION chat._model_dropped();

/*
 * Give a record just created its row in the model's table: the key from the
 * arguments, the other columns from extra.  Only the fields present in extra
 * are listed in the INSERT, so the table's defaults fill the others; JSON
 * null stores NULL.  Called by every function that creates a record of a
 * model, with extra NULL when it has no extra argument.
 */
CREATE FUNCTION chat._fill_extra(model text, thread_id bigint, message_id bigint,
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
            USING ERRCODE = '22023',
                  DETAIL = format('No table extends model "%s", so its extra fields have nowhere to go.', model),
                  HINT = format('Register a table extending model "%s" with chat.swap_model(''%s'', table).',
                                model, model);
    END IF;
    IF extra IS NOT NULL AND jsonb_typeof(extra) <> 'object' THEN
        RAISE EXCEPTION 'extra must be a JSON object'
            USING ERRCODE = '22023',
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
                USING ERRCODE = '22023',
                      HINT = format('The fields of model "%s" are the columns of %s: %s.', model, md.tbl,
                                    (SELECT string_agg(format('"%s"', a.attname), ', ' ORDER BY a.attnum)
                                       FROM pg_attribute a
                                      WHERE a.attrelid = md.tbl AND a.attnum > 0 AND NOT a.attisdropped
                                        AND a.attname <> ALL (k.keys)));
        END IF;
        IF field = ANY (k.keys) THEN
            RAISE EXCEPTION 'field "%" of model "%" cannot be set', field, model
                USING ERRCODE = '22023',
                      DETAIL = format('(%s) is the key, which chat fills from the new %s.',
                                      array_to_string(k.keys, ', '), model);
        END IF;
        IF att.attgenerated <> '' OR att.attidentity = 'a' THEN
            RAISE EXCEPTION 'field "%" of model "%" cannot be set', field, model
                USING ERRCODE = '22023',
                      DETAIL = format('Column "%s" of %s is generated.', field, md.tbl);
        END IF;
        coldef := format('%I %s', att.attname, format_type(att.atttypid, att.atttypmod));
        BEGIN
            EXECUTE format('SELECT FROM pg_catalog.jsonb_to_record($1) AS r(%s)', coldef)
                USING jsonb_build_object(field, extra -> field);
        EXCEPTION WHEN others THEN
            RAISE EXCEPTION 'invalid value for field "%": "%"', field, extra ->> field
                USING ERRCODE = '22P02',
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
COMMENT ON FUNCTION chat._fill_extra(text, bigint, bigint, chat.user_id, jsonb) IS
    'Insert the swapped table''s row of a record just created, its fields from extra (22023 for extra without a swapped model)';

/*
 * The swapped table's rows of a page of records, rendered, in one query: a
 * jsonb object from each record's id (message id or thread id) to its extra.
 * The page is given by its threads and, for messages, the message ids (which
 * are unique across threads, so the two lists need not be paired).  Records
 * without a row are left out.
 */
CREATE FUNCTION chat._extras(model text, thread_ids bigint[], message_ids bigint[] DEFAULT NULL)
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
        render := format('%I.%I(%s)',
                         (SELECT n.nspname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                           WHERE p.oid = md.renderer),
                         (SELECT p.proname FROM pg_proc p WHERE p.oid = md.renderer),
                         render);
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
COMMENT ON FUNCTION chat._extras(text, bigint[], bigint[]) IS
    'The rendered extra of a page of messages or threads, as an object keyed by id (one query for the page)';

/* ------------------------------------------------------------------------
 * Reading functions with the extra column
 *
 * A new result column changes the result type, hence DROP and CREATE.  When
 * no table extends the model, the page is read by 0.1's query unchanged (with
 * extra NULL): one look-up of chat.model is all a model costs then.  When
 * one does, the same page is a CTE, so that one call of chat._extras renders
 * all of it.  Spelled once for both cases, the page would be a CTE always:
 * materializing and re-sorting it costs about 30 us of an inbox page's 180
 * (measured in the server, 50 rows), 5 us for the look-up.  The pgTAP test
 * models.sql checks that both spellings return the same pages.
 * ------------------------------------------------------------------------ */

DROP FUNCTION chat.inbox(chat.user_id, text, text, integer);
CREATE FUNCTION chat.inbox(viewer chat.user_id DEFAULT chat.current_user_id(),
                           folder text DEFAULT 'inbox',
                           before text DEFAULT NULL,
                           page_size integer DEFAULT 50)
    RETURNS TABLE (thread_id bigint, kind text, subject text,
                   last_message_id bigint, last_sender_id chat.user_id,
                   last_preview text, last_sent_at timestamptz,
                   unread_count bigint, unread boolean, muted boolean,
                   member_count integer, cursor text, extra jsonb)
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
COMMENT ON FUNCTION chat.inbox(chat.user_id, text, text, integer) IS
    'A page of the viewer''s threads in a folder (inbox, unread, deleted, sent, archived), newest activity first; pass the last row''s cursor as "before" for the next page. extra is the thread''s row in the table swapped for model "thread"';

DROP FUNCTION chat.messages(bigint, chat.user_id, bigint, bigint, integer);
CREATE FUNCTION chat.messages(thread_id bigint,
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
BEGIN
    PERFORM chat._not_null(tid, 'thread_id');
    PERFORM chat._not_null(messages.viewer, 'viewer');
    PERFORM chat._check_page_size(n);
    PERFORM chat._member_row(tid, messages.viewer);

    IF NOT EXISTS (SELECT 1 FROM chat.model md WHERE md.model = 'message' AND md.tbl IS NOT NULL) THEN
        RETURN QUERY
        SELECT p.id, p.sender_id, p.kind::text,
               CASE WHEN p.deleted_at IS NULL THEN p.content END,
               p.sent_at, p.edited_at IS NOT NULL, p.deleted_at IS NOT NULL,
               p.parent_id, p.forwarded_from,
               '[]'::jsonb, '[]'::jsonb,
               (SELECT count(*) FROM chat.member r
                 WHERE r.thread_id = tid AND r.read_id >= p.id
                   AND r.user_id IS DISTINCT FROM p.sender_id),
               NULL::jsonb
          FROM ((SELECT * FROM chat.message m
                  WHERE oldest_first AND m.thread_id = tid AND m.id > lo AND m.id < hi
                  ORDER BY m.id LIMIT n)
                UNION ALL
                (SELECT * FROM chat.message m
                  WHERE NOT oldest_first AND m.thread_id = tid AND m.id > lo AND m.id < hi
                  ORDER BY m.id DESC LIMIT n)) p
         ORDER BY p.id;
        RETURN;
    END IF;

    /* the same page, rendered by one call of chat._extras */
    RETURN QUERY
    WITH p AS (
        (SELECT * FROM chat.message m
          WHERE oldest_first AND m.thread_id = tid AND m.id > lo AND m.id < hi
          ORDER BY m.id LIMIT n)
        UNION ALL
        (SELECT * FROM chat.message m
          WHERE NOT oldest_first AND m.thread_id = tid AND m.id > lo AND m.id < hi
          ORDER BY m.id DESC LIMIT n))
    SELECT p.id, p.sender_id, p.kind::text,
           CASE WHEN p.deleted_at IS NULL THEN p.content END,
           p.sent_at, p.edited_at IS NOT NULL, p.deleted_at IS NOT NULL,
           p.parent_id, p.forwarded_from,
           '[]'::jsonb, '[]'::jsonb,
           (SELECT count(*) FROM chat.member r
             WHERE r.thread_id = tid AND r.read_id >= p.id
               AND r.user_id IS DISTINCT FROM p.sender_id),
           (SELECT chat._extras('message', ARRAY[tid], array_agg(pe.id)) FROM p pe) -> p.id::text
      FROM p
     ORDER BY p.id;
END
$$;
COMMENT ON FUNCTION chat.messages(bigint, chat.user_id, bigint, bigint, integer) IS
    'A page of a thread for one of its members, oldest first: the newest page, the page before "before", or the page after "after". extra is the message''s row in the table swapped for model "message"';

/*
 * Only the administrator swaps.  chat._fill_extra and chat._extras stay
 * executable by PUBLIC: chat's functions call them with the caller's rights,
 * which also apply to the application's table.
 */
REVOKE ALL ON FUNCTION chat.swap_model(text, regclass) FROM PUBLIC;
REVOKE ALL ON FUNCTION chat.swap_renderer(text, regprocedure) FROM PUBLIC;
REVOKE ALL ON FUNCTION chat._model_dropped() FROM PUBLIC;
