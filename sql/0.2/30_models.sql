
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
