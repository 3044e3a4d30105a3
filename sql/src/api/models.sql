
/* ========================================================================
 * api/models.sql: swap_model, swap_renderer
 * ======================================================================== */

CREATE FUNCTION chat.swap_model(model text, tbl regclass) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
#variable_conflict use_variable
DECLARE
    k record;
    rel pg_class;
    keylist text;
    missing text;
BEGIN
    PERFORM chat._require_server('swap models');
    PERFORM chat._require_table_rights(tbl, 'SELECT, INSERT, UPDATE, DELETE');
    k := chat._model_key(model);
    keylist := array_to_string(k.keys, ', ');
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

    /*
     * Every record gets its row from the keys and the caller's extra, so a
     * column outside the key must take NULL or have a default: otherwise
     * every later call that creates a record without it would fail.
     */
    SELECT a.attname INTO missing FROM pg_attribute a
     WHERE a.attrelid = tbl AND a.attnum > 0 AND NOT a.attisdropped AND a.attnotnull
       AND NOT a.atthasdef AND a.attidentity = '' AND a.attgenerated = ''
       AND NOT a.attname = ANY (k.keys)
     ORDER BY a.attnum
     LIMIT 1;
    IF missing IS NOT NULL THEN
        RAISE EXCEPTION 'column "%" of table "%" is NOT NULL without a default', missing, tbl
            USING ERRCODE = '42P16', COLUMN = 'tbl',
                  DETAIL = 'A record created without that field in its extra would be refused.',
                  HINT = 'Give the column a default, or let it take NULL.';
    END IF;

    IF chat._citus() THEN
        PERFORM chat._citus_model_table(model, tbl);
    END IF;

    INSERT INTO chat.model AS md (model, tbl) VALUES (model, tbl)
        ON CONFLICT ON CONSTRAINT model_pkey DO UPDATE SET tbl = excluded.tbl;
END
$$;
COMMENT ON FUNCTION chat.swap_model(text, regclass) IS
    'Extend a chat model (message, thread, member, reaction, attachment, notification) with the application''s table, keyed by chat''s key and referencing it: new records get a row, filled from the extra argument, and the reading functions return it as extra. NULL unregisters the table';

CREATE FUNCTION chat.swap_renderer(model text, fn regprocedure) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
#variable_conflict use_variable
DECLARE
    k record;
    p pg_proc;
BEGIN
    PERFORM chat._require_server('swap renderers');
    PERFORM chat._require_execute(fn);
    k := chat._model_key(model);
    PERFORM chat._check_model_admin();
    IF fn IS NULL THEN
        UPDATE chat.model md SET renderer = NULL WHERE md.model = swap_renderer.model AND md.tbl IS NOT NULL;
        DELETE FROM chat.model md WHERE md.model = swap_renderer.model AND md.tbl IS NULL;
        RETURN;
    END IF;
    p := chat._function_row(fn, 'fn');
    IF p.pronargs <> 1 OR p.proargtypes[0] <> 'jsonb'::regtype OR p.prorettype <> 'jsonb'::regtype
       OR p.proretset OR p.prokind <> 'f' THEN
        RAISE EXCEPTION 'function % cannot render model "%"', fn, model
            USING ERRCODE = '42883', COLUMN = 'fn',
                  DETAIL = 'A renderer takes one argument of type jsonb and returns jsonb.',
                  HINT = 'CREATE FUNCTION my_renderer(extra jsonb) RETURNS jsonb ...';
    END IF;
    INSERT INTO chat.model AS md (model, renderer) VALUES (model, fn)
        ON CONFLICT ON CONSTRAINT model_pkey DO UPDATE SET renderer = excluded.renderer;
END
$$;
COMMENT ON FUNCTION chat.swap_renderer(text, regprocedure) IS
    'Render a model with fn(jsonb) returns jsonb: it receives chat''s default rendering (the extension row without its keys, or an event payload) and returns the one to use. NULL unregisters it';
