
/* ========================================================================
 * internal/models.sql: swappable models: the application's tables extending chat's records
 * ======================================================================== */

/*
 * The key of a model's extension table and the columns of chat's table it
 * references; an error for a model chat does not have.
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
        WHEN 'notification' THEN
            keys := '{notification_id}'; target := 'chat.notification'; target_keys := '{id}';
        WHEN 'reaction' THEN
            keys := '{thread_id,message_id,user_id,reaction}'; target := 'chat.reaction';
            target_keys := '{thread_id,message_id,user_id,reaction}';
        WHEN 'attachment' THEN
            keys := '{thread_id,message_id,position}'; target := 'chat.attachment';
            target_keys := '{thread_id,message_id,position}';
        ELSE
            RAISE EXCEPTION 'unknown model "%"', chat._shown(model)
                USING ERRCODE = '22023',
                      HINT = 'The models are "message", "thread", "member", "reaction", "attachment" and "notification".';
    END CASE;
END
$$;
COMMENT ON FUNCTION chat._model_key(text) IS
    'Key columns of a model''s extension table and the chat table and columns they reference';

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

/* Models are the server roles': refuse other roles (42501). */
CREATE FUNCTION chat._check_model_admin() RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    /* the calling role (pg_has_role here would ask about the definer) */
    IF NOT chat.is_server_role() THEN
        RAISE EXCEPTION 'permission denied to change chat''s models'
            USING ERRCODE = '42501', CONSTRAINT = 'server_role_only',
                  HINT = 'Only server roles may swap models and renderers.';
    END IF;
END
$$;
COMMENT ON FUNCTION chat._check_model_admin() IS
    'Raise 42501 unless the current role may change chat.model';

/*
 * The fields of extra for the swapped table tbl of a model whose key
 * columns are keys: each field names a column, found in the catalog by its
 * exact name; only the catalog's name goes into the SQL, quoted.  Values are
 * converted by jsonb_to_record with the columns' types (JSON arrays to
 * arrays, any JSON to json and jsonb columns), first one field at a time to
 * name the one that fails.  Returns the columns (", a, b"), the same read
 * from the record r (", r.a, r.b") and their definitions for
 * jsonb_to_record (", a text, b integer"); 22023 for an unknown, key or
 * generated field, 22P02 for a value of the wrong type.
 */
CREATE FUNCTION chat._extra_fields(model text, tbl regclass, keys text[], extra jsonb,
                                   OUT cols text, OUT vals text, OUT coldefs text)
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
#variable_conflict use_variable
DECLARE
    field text;
    att pg_attribute;
    coldef text;
BEGIN
    cols := '';
    vals := '';
    coldefs := '';
    FOR field IN SELECT e.key FROM jsonb_object_keys(coalesce(extra, '{}')) AS e(key) ORDER BY e.key LOOP
        SELECT * INTO att FROM pg_attribute a
         WHERE a.attrelid = tbl AND a.attname = field AND a.attnum > 0 AND NOT a.attisdropped;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'unknown field "%" for model "%"', chat._shown(field), model
                USING ERRCODE = '22023', COLUMN = 'extra',
                      HINT = format('The fields of model "%s" are the columns of %s: %s.', model, tbl,
                                    (SELECT string_agg(format('"%s"', a.attname), ', ' ORDER BY a.attnum)
                                       FROM pg_attribute a
                                      WHERE a.attrelid = tbl AND a.attnum > 0 AND NOT a.attisdropped
                                        AND a.attname <> ALL (keys)));
        END IF;
        IF field = ANY (keys) THEN
            RAISE EXCEPTION 'field "%" of model "%" cannot be set', field, model
                USING ERRCODE = '22023', COLUMN = 'extra',
                      DETAIL = format('(%s) is the key, which chat fills from the new %s.',
                                      array_to_string(keys, ', '), model);
        END IF;
        IF att.attgenerated <> '' OR att.attidentity = 'a' THEN
            RAISE EXCEPTION 'field "%" of model "%" cannot be set', field, model
                USING ERRCODE = '22023', COLUMN = 'extra',
                      DETAIL = format('Column "%s" of %s is generated.', field, tbl);
        END IF;
        coldef := format('%I %s', att.attname, format_type(att.atttypid, att.atttypmod));
        BEGIN
            EXECUTE format('SELECT FROM pg_catalog.jsonb_to_record($1) AS r(%s)', coldef)
                USING jsonb_build_object(field, extra -> field);
        EXCEPTION WHEN others THEN
            RAISE EXCEPTION 'invalid value for field "%": "%"', field, chat._shown(extra ->> field)
                USING ERRCODE = '22P02', COLUMN = 'extra',
                      DETAIL = format('Field "%s" of model "%s" has the type %s.', field, model,
                                      format_type(att.atttypid, att.atttypmod));
        END;
        cols := cols || format(', %I', att.attname);
        vals := vals || format(', r.%I', att.attname);
        coldefs := coldefs || format(', %s', coldef);
    END LOOP;
END
$$;

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
    cols text;
    vals text;
    coldefs text;
    keyargs text;
BEGIN
    IF extra IS NULL AND NOT EXISTS (SELECT 1 FROM chat.model m
                                      WHERE m.model = _fill_extra.model AND m.tbl IS NOT NULL) THEN
        RETURN;
    END IF;
    k := chat._model_key(model);
    IF model NOT IN ('message', 'thread', 'member') THEN
        /* reactions and attachments: chat._fill_model; notifications: chat._expand_notifications */
        RAISE EXCEPTION 'chat._fill_extra does not fill model "%"', model;
    END IF;
    md := chat._swapped(model);
    IF md IS NULL THEN
        RAISE EXCEPTION 'extra needs a swapped model'
            USING ERRCODE = '22023', COLUMN = 'extra',
                  DETAIL = format('No table extends model "%s", so its extra fields have nowhere to go.', model),
                  HINT = format('Register a table extending model "%s" with chat.swap_model(''%s'', table).',
                                model, model);
    END IF;
    IF extra IS NOT NULL AND jsonb_typeof(extra) <> 'object' THEN
        RAISE EXCEPTION 'extra must be a JSON object'
            USING ERRCODE = '22023', COLUMN = 'extra',
                  DETAIL = format('The value given is a JSON %s.', jsonb_typeof(extra)),
                  HINT = 'Pass the fields by name: ''{"priority": "high"}''.';
    END IF;
    PERFORM chat._not_null(thread_id, 'thread_id');
    IF model = 'message' THEN
        PERFORM chat._not_null(message_id, 'message_id');
    ELSIF model = 'member' THEN
        PERFORM chat._not_null(user_id, 'user_id');
    END IF;

    SELECT f.cols, f.vals, f.coldefs INTO cols, vals, coldefs FROM chat._extra_fields(model, md.tbl, k.keys, extra) f;

    /*
     * $1 thread_id, $2 message_id, $3 user_id, $4 extra.  On a cluster the
     * fields go as literals of a one-row VALUES, which Citus routes keeping
     * the SQLSTATE of the table's errors (chat._citus_literals).
     */
    keyargs := CASE model WHEN 'message' THEN '$1, $2' WHEN 'thread' THEN '$1' ELSE '$1, $3' END;
    EXECUTE format('INSERT INTO %s (%s%s) %s',
                   md.tbl, (SELECT string_agg(format('%I', kc), ', ') FROM unnest(k.keys) kc), cols,
                   CASE WHEN chat._citus()
                        THEN format('VALUES (%s%s)', keyargs,
                                    CASE WHEN coldefs <> '' THEN ', ' || chat._citus_literals(extra, NULL, coldefs) ELSE '' END)
                        ELSE format('SELECT %s%s%s', keyargs, vals,
                                    CASE WHEN coldefs <> ''
                                         THEN format(' FROM pg_catalog.jsonb_to_record($4) AS r(%s)', substr(coldefs, 3))
                                         ELSE '' END)
                   END)
        USING thread_id, message_id, user_id, coalesce(extra, '{}');
END
$$;
COMMENT ON FUNCTION chat._fill_extra(text, bigint, bigint, chat.user_id, jsonb) IS
    'Insert the swapped table''s row of a record just created, its fields from extra (22023 for extra without a swapped model)';

/*
 * The same for the models keyed by more than chat's ids (reaction: thread_id,
 * message_id, user_id, reaction; attachment: thread_id, message_id,
 * position): key is a JSON object holding the key columns by name, converted
 * to the types of the application's key columns.  With check_only the fields
 * are checked and nothing is written (add_reaction's extra for a reaction the
 * user had already).
 */
CREATE FUNCTION chat._fill_model(model text, key jsonb, extra jsonb, check_only boolean DEFAULT false)
    RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
#variable_conflict use_variable
DECLARE
    md chat.model;
    k record;
    coldef text;
    cols text;
    vals text;
    coldefs text;
BEGIN
    IF extra IS NULL AND NOT EXISTS (SELECT 1 FROM chat.model m
                                      WHERE m.model = _fill_model.model AND m.tbl IS NOT NULL) THEN
        RETURN;
    END IF;
    k := chat._model_key(model);
    md := chat._swapped(model);
    IF md IS NULL THEN
        RAISE EXCEPTION 'extra needs a swapped model'
            USING ERRCODE = '22023', COLUMN = 'extra',
                  DETAIL = format('No table extends model "%s", so its extra fields have nowhere to go.', model),
                  HINT = format('Register a table extending model "%s" with chat.swap_model(''%s'', table).',
                                model, model);
    END IF;
    IF extra IS NOT NULL AND jsonb_typeof(extra) <> 'object' THEN
        RAISE EXCEPTION 'extra must be a JSON object'
            USING ERRCODE = '22023', COLUMN = 'extra',
                  DETAIL = format('The value given is a JSON %s.', jsonb_typeof(extra)),
                  HINT = 'Pass the fields by name: ''{"weight": 2}''.';
    END IF;

    SELECT f.cols, f.coldefs INTO cols, coldefs FROM chat._extra_fields(model, md.tbl, k.keys, extra) f;
    IF check_only THEN
        RETURN;
    END IF;

    /* the key columns with the types of the application's table, then the fields */
    SELECT string_agg(format('%I', a.attname), ', ' ORDER BY u.i),
           string_agg(format('%I %s', a.attname, format_type(a.atttypid, a.atttypmod)), ', ' ORDER BY u.i)
      INTO vals, coldef
      FROM unnest(k.keys) WITH ORDINALITY AS u(kc, i)
      JOIN pg_attribute a ON a.attrelid = md.tbl AND a.attname = u.kc AND a.attnum > 0 AND NOT a.attisdropped;
    /* on a cluster one routed row of literals, as in chat._fill_extra */
    EXECUTE format('INSERT INTO %s (%s%s) %s', md.tbl, vals, cols,
                   CASE WHEN chat._citus()
                        THEN format('VALUES (%s)', chat._citus_literals(coalesce(extra, '{}') || key, k.keys,
                                                                        ', ' || coldef || coldefs))
                        ELSE format('SELECT %s%s FROM pg_catalog.jsonb_to_record($1) AS r(%s%s)', vals, cols, coldef, coldefs)
                   END)
        USING coalesce(extra, '{}') || key;
END
$$;
COMMENT ON FUNCTION chat._fill_model(text, jsonb, jsonb, boolean) IS
    'Insert the swapped table''s row of a reaction or attachment just created, its key from key and its fields from extra (22023 for extra without a swapped model)';

/*
 * forward_message's copies of attachments: each copy gets the application's
 * row of the attachment it copies (the same file, so the same fields), or a
 * row of defaults when the original has none.
 */
CREATE FUNCTION chat._copy_attachment_rows(from_thread bigint, from_message bigint,
                                           to_thread bigint, to_message bigint)
    RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    md chat.model := chat._swapped('attachment');
    cols text;
    xcols text;
BEGIN
    IF md IS NULL THEN
        RETURN;
    END IF;
    SELECT string_agg(format(', %I', a.attname), '' ORDER BY a.attnum),
           string_agg(format(', x.%I', a.attname), '' ORDER BY a.attnum) INTO cols, xcols
      FROM pg_attribute a
     WHERE a.attrelid = md.tbl AND a.attnum > 0 AND NOT a.attisdropped
       AND a.attgenerated = '' AND a.attidentity <> 'a'
       AND a.attname NOT IN ('thread_id', 'message_id', 'position');
    EXECUTE format('INSERT INTO %1$s (thread_id, message_id, position%2$s)
                    SELECT $3, $4, x.position%3$s FROM %1$s x
                     WHERE x.thread_id = $1 AND x.message_id = $2',
                   md.tbl, coalesce(cols, ''), coalesce(xcols, ''))
        USING from_thread, from_message, to_thread, to_message;
    EXECUTE format('INSERT INTO %s (thread_id, message_id, position)
                    SELECT a.thread_id, a.message_id, a.position FROM chat.attachment a
                     WHERE a.thread_id = $1 AND a.message_id = $2
                       AND NOT EXISTS (SELECT FROM %s x
                                        WHERE x.thread_id = a.thread_id AND x.message_id = a.message_id
                                          AND x.position = a.position)',
                   md.tbl, md.tbl)
        USING to_thread, to_message;
END
$$;
COMMENT ON FUNCTION chat._copy_attachment_rows(bigint, bigint, bigint, bigint) IS
    'Give a forwarded message''s attachments the swapped table''s rows of the originals (defaults when an original has none)';

/*
 * Renders the values of an object of extras ({"key": extra}) through the
 * model's renderer fn: keep_null keeps a NULL that the renderer returns as
 * JSON null, else the key is left out (NULL when none is left).  Called
 * after the query that read the model's rows, never inside it: on a Citus
 * cluster a query about one thread runs whole on its worker, where fn, the
 * oid of this node's function, names nothing or another function.
 */
CREATE FUNCTION chat._render_object(fn oid, obj jsonb, keep_null boolean) RETURNS jsonb
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    RETURN (SELECT jsonb_object_agg(e.key, coalesce(r.v, 'null'::jsonb))
              FROM jsonb_each(obj) e, LATERAL (SELECT chat._render(fn, e.value) AS v) r
             WHERE keep_null OR r.v IS NOT NULL);
END
$$;
COMMENT ON FUNCTION chat._render_object(oid, jsonb, boolean) IS
    'Each value of an object of extras through a renderer, on this node (after the query that read them)';

/* The swapped-model extra of messages or threads, rendered through chat._render. */
CREATE FUNCTION chat._extras(model text, thread_ids bigint[], message_ids bigint[] DEFAULT NULL)
    RETURNS jsonb
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    md chat.model := chat._swapped(model);
    k record := chat._model_key(model);
    result jsonb;
BEGIN
    IF md IS NULL THEN
        RETURN NULL;
    END IF;
    IF model = 'message' THEN
        EXECUTE format('SELECT jsonb_object_agg(x.message_id::text, to_jsonb(x) - $3) FROM %s x
                         WHERE x.thread_id = ANY ($1) AND x.message_id = ANY ($2)', md.tbl)
            INTO result USING thread_ids, message_ids, k.keys;
    ELSIF model = 'thread' THEN
        EXECUTE format('SELECT jsonb_object_agg(x.thread_id::text, to_jsonb(x) - $3) FROM %s x
                         WHERE x.thread_id = ANY ($1)', md.tbl)
            INTO result USING thread_ids, message_ids, k.keys;
    ELSE
        RAISE EXCEPTION 'chat._extras does not read model "%"', model;
    END IF;
    IF md.renderer IS NOT NULL THEN
        result := chat._render_object(md.renderer::oid, result, false);
    END IF;
    RETURN result;
END
$$;
COMMENT ON FUNCTION chat._extras(text, bigint[], bigint[]) IS
    'The rendered extra of a page of messages or threads, as an object keyed by id (one query for the page)';

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
