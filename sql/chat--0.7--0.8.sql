/*
 * chat 0.7 -> 0.8: restores and limits.
 *
 * - A thread becomes "large" only when its membership grows past
 *   inbox_fanout_limit: restored member rows (which the restored thread row
 *   already counts) no longer flip it, whatever the limit when they arrive.
 * - chat._member_count and chat._member_insert update thread by thread,
 *   each found by its key: their cached plans no longer scan every row
 *   version of chat.thread, which made many calls in one transaction
 *   quadratic.
 */

\echo Use "ALTER EXTENSION chat UPDATE TO '0.8'" to load this file. \quit

/* ---- sql/src/api/models.sql ---- */

CREATE OR REPLACE FUNCTION chat.swap_model(model text, tbl regclass) RETURNS void
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

    INSERT INTO chat.model AS md (model, tbl) VALUES (model, tbl)
        ON CONFLICT ON CONSTRAINT model_pkey DO UPDATE SET tbl = excluded.tbl;
END
$$;

/* ---- sql/src/api/send.sql ---- */

CREATE OR REPLACE FUNCTION chat.new_message(sender chat.user_id DEFAULT chat.current_user_id(),
                                            recipients chat.user_id[] DEFAULT NULL,
                                            subject text DEFAULT NULL,
                                            content text DEFAULT NULL,
                                            attachments jsonb DEFAULT NULL,
                                            extra jsonb DEFAULT NULL)
    RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    tid bigint;
    mid bigint;
    alone boolean;
    cap bigint;
    n bigint;
BEGIN
    PERFORM chat._act(sender);
    PERFORM chat._not_null(sender, 'sender');
    PERFORM chat._not_null(recipients, 'recipients');
    IF array_ndims(recipients) > 1 THEN
        RAISE EXCEPTION 'recipients must be a one-dimensional array' USING ERRCODE = '22023', COLUMN = 'recipients';
    END IF;
    IF cardinality(recipients) = 0 THEN
        RAISE EXCEPTION 'recipients must not be empty' USING ERRCODE = '22023', COLUMN = 'recipients',
            HINT = 'Give at least one user id; send to yourself with ARRAY[sender].';
    END IF;
    IF array_position(recipients, NULL) IS NOT NULL THEN
        RAISE EXCEPTION 'recipients must not contain null' USING ERRCODE = '22004', COLUMN = 'recipients';
    END IF;
    PERFORM chat._check_subject(subject);
    IF attachments IS NULL OR content IS NOT NULL THEN
        PERFORM chat._check_content(content);
    END IF;
    IF attachments IS NOT NULL THEN
        PERFORM chat._check_attachments(attachments);
    END IF;
    /* the room size limit, before the thread exists (as for groups) */
    cap := (chat._setting_value('max_members') #>> '{}')::bigint;
    n := (SELECT count(DISTINCT u) FROM unnest(recipients || sender) AS u);
    IF cap IS NOT NULL AND n > cap THEN
        RAISE EXCEPTION 'too many members for a new thread'
            USING ERRCODE = '54000', COLUMN = 'recipients',
                  DETAIL = format('It would have %s members; the limit is %s.', n, cap),
                  HINT = 'The limit is the setting "max_members".';
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

/* ---- sql/src/internal/unread.sql ---- */

CREATE OR REPLACE FUNCTION chat._member_count(changed bigint[]) RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    lim bigint := chat._setting_value('inbox_fanout_limit')::bigint;
    tid bigint;
    n bigint;
BEGIN
    PERFORM FROM chat.thread t WHERE t.id = ANY (changed) ORDER BY t.id FOR NO KEY UPDATE;
    /*
     * Thread by thread, each found by its key: a plan joining chat.thread
     * would be made once, while the table is small, and scan every row
     * version of it ever after (quadratic in a transaction of many calls).
     */
    FOREACH tid IN ARRAY changed LOOP
        n := (SELECT count(*) FROM chat.member mb WHERE mb.thread_id = tid);
        UPDATE chat.thread t
           SET member_count = n,
               large = t.large OR (n > lim AND n > t.member_count)
         WHERE t.id = tid AND (t.member_count <> n OR (NOT t.large AND n > lim AND n > t.member_count));
    END LOOP;
END
$$;

CREATE OR REPLACE FUNCTION chat._member_insert() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    changed bigint[] := ARRAY(SELECT DISTINCT a.thread_id FROM added a ORDER BY 1);
    tid bigint;
BEGIN
    PERFORM chat._member_count(changed);
    /* thread by thread, by key, as chat._member_count does */
    FOREACH tid IN ARRAY changed LOOP
        UPDATE chat.member mb
           SET activity_id = coalesce(t.last_message_id, 0),
               message_count = t.message_count,
               large = t.large
          FROM chat.thread t
         WHERE t.id = tid AND NOT t.large
           AND mb.thread_id = tid AND mb.user_id IN (SELECT a.user_id FROM added a WHERE a.thread_id = tid)
           AND (mb.activity_id, mb.message_count, mb.large)
               IS DISTINCT FROM (coalesce(t.last_message_id, 0), t.message_count, t.large);

        UPDATE chat.member mb
           SET large = true
          FROM chat.thread t
         WHERE t.id = tid AND t.large AND mb.thread_id = tid AND NOT mb.large;
    END LOOP;
    RETURN NULL;
END
$$;


