
/* ========================================================================
 * internal/users.sql: the user binding: foreign keys to the application's users table
 * ======================================================================== */

/*
 * The foreign keys of a binding: every user column of chat's tables, with
 * the ON DELETE action of each delete mode.  member.user_id is NOT NULL and
 * part of the key, so a membership goes with its user unless restricted.
 */
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

/*
 * chat.thread's keys are checked at commit, and PostgreSQL refuses to alter a
 * table with checks still pending: run them now, before a binding's keys are
 * replaced or dropped in a transaction that already wrote threads.
 */
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

/*
 * Give chat's user columns the binding's foreign keys, NOT VALID: each one
 * that exists as the binding wants it is kept, any other of the same name is
 * replaced.  Returns false, adding nothing, while the users table lacks the
 * column or a unique key on it (during a restore, until its primary key is
 * created).  NOT VALID checks every new row; chat.use_user_table validates.
 *
 * The keys of chat.thread (created_by, last_sender_id) are checked at commit:
 * deleting a user cascades to member and message rows, whose triggers update
 * the thread row, and a row written earlier in the same transaction is
 * checked again on every update; checked at once it would still name the
 * user before the cascade sets it to NULL.
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
    PERFORM chat._user_fkeys_check_now();
    FOR k IN SELECT f.tbl, f.conname FROM chat._user_fkeys('cascade') f
              JOIN pg_constraint c ON c.conrelid = f.tbl AND c.conname = f.conname LOOP
        EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', k.tbl, k.conname);
    END LOOP;
END
$$;

/* A binding row arrived (chat.use_user_table, or COPY on a restore): add its keys (not on a Citus placement). */
CREATE FUNCTION chat._user_binding_insert() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    /*
     * On Citus the trigger fires on each placement of the reference table
     * (chat.user_binding_<shard>), on every node: chat.use_user_table adds
     * the keys once, on the coordinator, and Citus propagates the DDL.
     */
    IF TG_TABLE_NAME <> 'user_binding' THEN
        RETURN NULL;
    END IF;
    PERFORM chat._user_binding_apply(NEW);
    RETURN NULL;
END
$$;

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

CREATE FUNCTION chat._display_name(fn oid, user_id chat.user_id) RETURNS text
    LANGUAGE c STABLE STRICT
    AS 'MODULE_PATHNAME', 'chat_call_as_caller';
COMMENT ON FUNCTION chat._display_name(oid, chat.user_id) IS
    'fn(user_id) for the registered display-name function, run as the current role';
