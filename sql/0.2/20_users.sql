
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
