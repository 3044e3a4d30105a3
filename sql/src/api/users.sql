
/* ========================================================================
 * api/users.sql: use_user_table, display_name
 * ======================================================================== */

CREATE FUNCTION chat.use_user_table(tbl regclass,
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
    missing_fn boolean;
    missing bigint;
    examples text;
    k record;
    bound chat.user_binding;
BEGIN
    PERFORM chat._require_server('bind the users table');
    PERFORM chat._require_table_rights(tbl, 'REFERENCES');
    PERFORM chat._require_execute(display_name);
    base := (SELECT t.typbasetype FROM pg_type t WHERE t.oid = 'chat.user_id'::regtype);
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
        RAISE EXCEPTION 'invalid on_delete "%"', chat._shown(on_delete)
            USING ERRCODE = '22023', COLUMN = 'on_delete',
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

    IF chat._citus() THEN
        /*
         * Citus's rule for foreign keys to reference tables: one connection
         * per node for the whole transaction, chosen before the reads below
         * (the setting ends with this function)
         */
        PERFORM set_config('citus.multi_shard_modify_mode', 'sequential', true);
        /*
         * chat's distributed tables reference the users table on every node:
         * it must be a reference table.  Made one here for its owner, who may
         * not be able to alone (Citus propagates the owning role, which only
         * a superuser may); anyone else is refused.
         */
        IF NOT chat._citus_reference(tbl) THEN
            IF NOT pg_has_role(coalesce(nullif(current_setting('role'), 'none'), session_user), rel.relowner, 'USAGE') THEN
                RAISE EXCEPTION 'table "%" is not a Citus reference table', tbl
                    USING ERRCODE = '42809',
                          DETAIL = 'On a Citus cluster chat''s foreign keys can reference only a reference table, and chat makes the users table one only when its owner binds it.',
                          HINT = format('Bind it as its owner, or make it one on the coordinator first: SELECT create_reference_table(%L);', tbl::text);
            END IF;
            EXECUTE 'SELECT pg_catalog.create_reference_table($1)' USING tbl;
        END IF;
    END IF;

    SELECT * INTO att FROM pg_attribute a
     WHERE a.attrelid = tbl AND a.attname = id_column AND a.attnum > 0 AND NOT a.attisdropped;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'column "%" of table "%" does not exist', id_column, tbl
            USING ERRCODE = '42703',
                  HINT = 'Pass the name of the table''s user id column as id_column.';
    END IF;
    coltype := att.atttypid;
    /*
     * The key types PostgreSQL accepts for the foreign key: the same base
     * type, or one whose btree operators compare it with chat's (integer ids
     * with chat's bigint ones, as Django's auth_user has).
     */
    IF coalesce(nullif((SELECT t.typbasetype FROM pg_type t WHERE t.oid = coltype), 0), coltype) <> base
       AND NOT EXISTS (
           SELECT 1 FROM pg_opclass oc
             JOIN pg_amop ao ON ao.amopfamily = oc.opcfamily
            WHERE oc.opcmethod = (SELECT am.oid FROM pg_am am WHERE am.amname = 'btree') AND oc.opcdefault
              AND oc.opcintype = coalesce(nullif((SELECT t.typbasetype FROM pg_type t WHERE t.oid = coltype), 0), coltype)
              AND ao.amopstrategy = 3 AND ao.amoplefttype = oc.opcintype AND ao.amoprighttype = base) THEN
        RAISE EXCEPTION 'column "%" of table "%" is of type %, but chat''s user ids are of type %',
                        id_column, tbl, format_type(coltype, NULL), format_type(base, NULL)
            USING ERRCODE = '42804', COLUMN = 'id_column',
                  DETAIL = 'A foreign key from chat.user_id columns needs an id column PostgreSQL can compare with them (the same type, or integer with bigint).',
                  HINT = 'The type of chat''s user ids is chosen by the setting chat.user_id_type before CREATE EXTENSION chat.';
    END IF;
    IF NOT chat._is_unique(tbl, att.attnum) THEN
        RAISE EXCEPTION 'column "%" of table "%" has no unique constraint', id_column, tbl
            USING ERRCODE = '42P10',
                  HINT = 'A foreign key references a primary key or unique constraint on exactly that column.';
    END IF;

    IF display_name IS NOT NULL THEN
        fn := chat._function_row(display_name, 'display_name');
        IF fn.prokind <> 'f' OR fn.proretset OR fn.prorettype <> 'text'::regtype OR fn.pronargs <> 1
           OR fn.proargtypes[0] NOT IN ('chat.user_id'::regtype, base) THEN
            RAISE EXCEPTION 'function "%" cannot be a display name function', display_name
                USING ERRCODE = '42883', COLUMN = 'display_name',
                      DETAIL = format('A display name function takes one argument of type chat.user_id or %s and returns text.',
                                      format_type(base, NULL));
        END IF;
        IF chat._citus() THEN
            /*
             * Citus 13.2 cannot run a SQL-standard RETURN body that reads one
             * of its tables ("syntax error at or near RETURN", on every node);
             * the users table has just become one.  BEGIN ATOMIC and quoted
             * bodies run.
             */
            IF pg_get_function_sqlbody(display_name) LIKE 'RETURN%'
               AND EXISTS (SELECT FROM pg_depend d
                            WHERE d.classid = 'pg_proc'::regclass AND d.objid = display_name
                              AND d.refclassid = 'pg_class'::regclass AND d.refobjid = tbl) THEN
                RAISE EXCEPTION 'function "%" cannot be a display name function on a Citus cluster', display_name
                    USING ERRCODE = '0A000', COLUMN = 'display_name',
                          DETAIL = format('Its body is a RETURN expression reading table "%s", which Citus 13.2 cannot run once the table is distributed.', tbl),
                          HINT = 'Write its body as BEGIN ATOMIC SELECT ...; END, or as a string constant (AS ''SELECT ...'').';
            END IF;
            /*
             * The binding's row names the function on every node (workers
             * run the calls that name users): Citus creates it there, with
             * its owner, unless it already did.
             */
            EXECUTE 'SELECT NOT EXISTS (SELECT FROM pg_catalog.pg_dist_object o
                                         WHERE o.classid = ''pg_proc''::regclass AND o.objid = $1)'
               INTO missing_fn USING display_name;
            IF missing_fn THEN
                EXECUTE 'SELECT pg_catalog.create_distributed_function($1)' USING display_name;
            END IF;
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
    IF chat._citus() THEN
        /* the insert trigger skips Citus placements: the keys once, here, propagated by Citus */
        bound := ROW(true, tbl, id_column, on_delete, display_name);
        PERFORM chat._user_binding_apply(bound);
    END IF;
    /*
     * Only the keys not valid yet (just added, or restored by pg_dump): an
     * ALTER TABLE refuses to run in a transaction that wrote the table
     * with deferred checks pending, which on Citus it finds on the workers'
     * shards, where SET CONSTRAINTS on the coordinator does not reach.
     * Binding again as before, after writes, then alters nothing.
     */
    FOR k IN SELECT f.* FROM chat._user_fkeys(on_delete) f
               JOIN pg_constraint c ON c.conrelid = f.tbl AND c.conname = f.conname
              WHERE NOT c.convalidated LOOP
        EXECUTE format('ALTER TABLE %s VALIDATE CONSTRAINT %I', k.tbl, k.conname);
    END LOOP;
END
$$;
COMMENT ON FUNCTION chat.use_user_table(regclass, name, text, regprocedure) IS
    'Bind chat to the application''s users table: foreign keys from every user column of chat''s tables to tbl(id_column), deleting a user does on_delete ("cascade", "restrict" or "anonymize"); display_name(user_id) names users in views and events (on Citus it is created on every node; a RETURN body reading tbl is refused there). Calling it again replaces the binding (and validates keys restored by pg_dump); use_user_table(NULL) removes it';

/* Open to everyone: the display-name function runs as the current role (chat._display_name). */
CREATE FUNCTION chat.display_name(user_id chat.user_id) RETURNS text
    LANGUAGE sql STABLE STRICT SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT chat._display_name(b.display_name::oid, $1)
      FROM chat.user_binding b
     WHERE b.display_name IS NOT NULL
$$;
COMMENT ON FUNCTION chat.display_name(chat.user_id) IS
    'The user''s name from the display name function registered with chat.use_user_table, NULL when none is registered';
