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
 * - new_message refuses a thread over max_members; swap_model refuses a
 *   table whose NOT NULL columns outside the key have no default; the owner
 *   checks that asked about the definer are gone (server roles may bind and
 *   swap, as documented).
 * - object_thread refuses object keys over 255 characters (22001).
 * - Error messages show at most 256 characters of a refused value
 *   (chat._shown).
 * - No foreign keys between chat's own tables: pg_restore -j loaded
 *   messages, members, reactions, attachments and edits before their parents
 *   were committed, and lost them.  Deletes cascade through the triggers
 *   thread_delete and message_delete (and TRUNCATE through thread_truncate,
 *   message_truncate); a message restored with its own id is kept even when
 *   its thread is not committed yet; reactions hold their message FOR KEY
 *   SHARE as the key did.
 */

\echo Use "ALTER EXTENSION chat UPDATE TO '0.8'" to load this file. \quit

ALTER TABLE chat.member DROP CONSTRAINT member_thread_id_fkey;
ALTER TABLE chat.message DROP CONSTRAINT message_thread_id_fkey;
ALTER TABLE chat.message DROP CONSTRAINT message_parent_fkey;
ALTER TABLE chat.message_edit DROP CONSTRAINT message_edit_thread_id_message_id_fkey;
ALTER TABLE chat.reaction DROP CONSTRAINT reaction_thread_id_message_id_fkey;
ALTER TABLE chat.attachment DROP CONSTRAINT attachment_thread_id_message_id_fkey;

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

/* ---- sql/src/api/read.sql ---- */

CREATE OR REPLACE FUNCTION chat.inbox(viewer chat.user_id DEFAULT chat.current_user_id(),
                           folder text DEFAULT 'inbox',
                           before text DEFAULT NULL,
                           page_size integer DEFAULT 50)
    RETURNS TABLE (thread_id bigint, kind text, subject text,
                   last_message_id bigint, last_sender_id chat.user_id,
                   last_preview text, last_sent_at timestamptz,
                   unread_count bigint, unread boolean, muted boolean,
                   member_count integer, cursor text, extra jsonb)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    /* custom plans for the first calls of a session join all large threads */
    SET plan_cache_mode = force_generic_plan
    AS $$
#variable_conflict use_column
DECLARE
    v chat.user_id;
    f text;
    n integer;
    c_act bigint;
    c_tid bigint;
    parts text[];
BEGIN
    PERFORM chat._act(viewer);
    v := inbox.viewer;
    f := inbox.folder;
    n := inbox.page_size;
    c_act := 9223372036854775807;
    c_tid := 9223372036854775807;
    PERFORM chat._not_null(v, 'viewer');
    PERFORM chat._check_folder(f);
    PERFORM chat._check_page_size(n);
    IF inbox.before IS NOT NULL THEN
        parts := regexp_match(inbox.before, '^(\d{1,19}):(\d{1,19})$');
        IF parts IS NULL OR parts[1]::numeric > 9223372036854775807
           OR parts[2]::numeric > 9223372036854775807 THEN
            RAISE EXCEPTION 'invalid cursor "%"', chat._shown(inbox.before)
                USING ERRCODE = '22023', COLUMN = 'before',
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

/* ---- sql/src/api/rooms.sql ---- */

CREATE OR REPLACE FUNCTION chat.object_thread(object_type text,
                                   object_id text,
                                   creator chat.user_id DEFAULT chat.current_user_id(),
                                   title text DEFAULT NULL,
                                   kind text DEFAULT 'group',
                                   is_public boolean DEFAULT true)
    RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    tid bigint;
BEGIN
    PERFORM chat._act(creator);
    PERFORM chat._not_null(object_thread.object_type, 'object_type');
    PERFORM chat._not_null(object_thread.object_id, 'object_id');
    IF chat._is_blank(object_thread.object_type) OR chat._is_blank(object_thread.object_id) THEN
        RAISE EXCEPTION 'an object''s type and id must not be blank'
            USING ERRCODE = '22023',
                  COLUMN = CASE WHEN chat._is_blank(object_thread.object_type) THEN 'object_type' ELSE 'object_id' END;
    END IF;
    /* keys, not texts: short enough for the unique index that finds the room */
    IF char_length(object_thread.object_type) > 255 OR char_length(object_thread.object_id) > 255 THEN
        RAISE EXCEPTION 'an object''s type and id are at most 255 characters'
            USING ERRCODE = '22001',
                  COLUMN = CASE WHEN char_length(object_thread.object_type) > 255 THEN 'object_type' ELSE 'object_id' END;
    END IF;
    PERFORM chat._not_null(creator, 'creator');
    PERFORM chat._not_null(object_thread.kind, 'kind');
    IF object_thread.kind NOT IN ('group', 'channel') THEN
        RAISE EXCEPTION 'an object''s room is a group or a channel, not "%"', object_thread.kind
            USING ERRCODE = '22023', COLUMN = 'kind';
    END IF;
    IF title IS NOT NULL THEN
        PERFORM chat._check_subject(title);
    END IF;
    SELECT th.id INTO tid FROM chat.thread th
     WHERE th.object_type = object_thread.object_type AND th.object_id = object_thread.object_id;
    IF NOT FOUND THEN
        BEGIN
            tid := chat._create_room(object_thread.kind::chat.thread_kind, creator, title, '{}',
                                     is_public, NULL, object_thread.object_type, object_thread.object_id);
        EXCEPTION WHEN unique_violation THEN
            /* created at the same time by another session: that one is the room */
            SELECT th.id INTO tid FROM chat.thread th
             WHERE th.object_type = object_thread.object_type AND th.object_id = object_thread.object_id;
            IF tid IS NULL THEN
                /* REPEATABLE READ or SERIALIZABLE: our snapshot cannot see it */
                RAISE EXCEPTION 'could not serialize access: the room of % "%" was created concurrently',
                                object_thread.object_type, object_thread.object_id
                    USING ERRCODE = '40001', HINT = 'Retry the transaction.';
            END IF;
        END;
    END IF;
    /* get-or-create: an end user gets an existing private room only as its member */
    IF NOT chat.is_server_role()
       AND NOT EXISTS (SELECT 1 FROM chat.thread th WHERE th.id = tid AND th.is_public)
       AND NOT EXISTS (SELECT 1 FROM chat.member m WHERE m.thread_id = tid AND m.user_id = creator) THEN
        RAISE EXCEPTION 'user "%" is not a member of the room of % "%"',
                        creator, object_thread.object_type, object_thread.object_id
            USING ERRCODE = '42501', CONSTRAINT = 'not_member';
    END IF;
    RETURN tid;
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
    PERFORM chat._check_new_size('private', recipients, sender, 'recipients');

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

/* ---- sql/src/api/settings.sql ---- */

CREATE OR REPLACE FUNCTION chat.set_setting(key text, value jsonb) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
#variable_conflict use_variable
DECLARE
    d chat.setting_default;
    n numeric;
    lim integer;
    bad text;
BEGIN
    PERFORM chat._require_server('change settings');
    IF key IS NULL THEN
        RAISE EXCEPTION 'argument "key" must not be null' USING ERRCODE = '22004', COLUMN = 'key';
    END IF;
    SELECT * INTO d FROM chat.setting_default sd WHERE sd.key = set_setting.key;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown setting "%"', chat._shown(key)
            USING ERRCODE = '22023', COLUMN = 'key',
                  HINT = 'SELECT key FROM chat.settings lists the settings.';
    END IF;

    IF value IS NULL OR value = 'null'::jsonb THEN
        DELETE FROM chat.setting s WHERE s.key = d.key;
        RETURN d.value;
    END IF;

    IF d.type = 'boolean' AND jsonb_typeof(value) <> 'boolean' THEN
        RAISE EXCEPTION 'invalid value for setting "%": %', key, chat._shown(value::text)
            USING ERRCODE = '22023', COLUMN = 'value', DETAIL = 'The setting takes true or false.';
    ELSIF d.type = 'integer' THEN
        IF jsonb_typeof(value) <> 'number' OR value::numeric <> trunc(value::numeric) THEN
            RAISE EXCEPTION 'invalid value for setting "%": %', key, chat._shown(value::text)
                USING ERRCODE = '22023', COLUMN = 'value', DETAIL = 'The setting takes a whole number.';
        END IF;
        n := value::numeric;
        IF n < d.min_value OR n > d.max_value THEN
            RAISE EXCEPTION 'value % is out of range for setting "%"', chat._shown(value::text), key
                USING ERRCODE = '22023', COLUMN = 'value',
                      DETAIL = format('The setting takes a number from %s to %s.', d.min_value, d.max_value);
        END IF;
    ELSIF d.type = 'text' THEN
        IF jsonb_typeof(value) <> 'string' THEN
            RAISE EXCEPTION 'invalid value for setting "%": %', key, chat._shown(value::text)
                USING ERRCODE = '22023', COLUMN = 'value', DETAIL = 'The setting takes a string.';
        END IF;
        n := octet_length(value #>> '{}');
        IF n < d.min_value OR n > d.max_value THEN
            RAISE EXCEPTION 'value % is out of range for setting "%"', chat._shown(value::text), key
                USING ERRCODE = '22023', COLUMN = 'value',
                      DETAIL = format('The setting takes a string of %s to %s bytes.', d.min_value, d.max_value);
        END IF;
    ELSIF d.type = 'reactions' THEN
        IF jsonb_typeof(value) = 'string' AND value #>> '{}' IN ('any', 'emoji') THEN
            NULL;
        ELSIF jsonb_typeof(value) <> 'array' OR jsonb_array_length(value) NOT BETWEEN 1 AND 200
              OR EXISTS (SELECT 1 FROM jsonb_array_elements(value) e WHERE jsonb_typeof(e) <> 'string')
              OR (SELECT count(DISTINCT e) <> count(*) FROM jsonb_array_elements(value) e) THEN
            RAISE EXCEPTION 'invalid value for setting "%": %', key, chat._shown(value::text)
                USING ERRCODE = '22023', COLUMN = 'value',
                      DETAIL = 'The setting takes "any", "emoji" or a JSON array of 1 to 200 distinct reactions.';
        ELSE
            lim := chat._setting_value('max_reaction_length')::integer;
            SELECT e INTO bad FROM jsonb_array_elements_text(value) e
             WHERE chat._is_blank(e) OR char_length(e) > lim LIMIT 1;
            IF FOUND THEN
                RAISE EXCEPTION 'invalid reaction "%" in setting "%"', bad, key
                    USING ERRCODE = '22023', COLUMN = 'value',
                          DETAIL = format('A reaction is not blank and has at most %s characters (the setting "max_reaction_length").', lim);
            END IF;
        END IF;
    ELSIF d.type = 'mime_types' THEN
        IF jsonb_typeof(value) <> 'array' OR jsonb_array_length(value) NOT BETWEEN 1 AND 200
           OR EXISTS (SELECT 1 FROM jsonb_array_elements(value) e WHERE jsonb_typeof(e) <> 'string') THEN
            RAISE EXCEPTION 'invalid value for setting "%": %', key, chat._shown(value::text)
                USING ERRCODE = '22023', COLUMN = 'value',
                      DETAIL = 'The setting takes null or a JSON array of 1 to 200 MIME types such as "image/png" or "image/*".';
        END IF;
        SELECT e INTO bad FROM jsonb_array_elements_text(value) e
         WHERE e !~ '^([A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*/([A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*|\*)|\*/\*)$' LIMIT 1;
        IF FOUND THEN
            RAISE EXCEPTION 'invalid MIME type "%" in setting "%"', bad, key
                USING ERRCODE = '22023', COLUMN = 'value',
                      HINT = 'Give types as "type/subtype", "type/*" or "*/*".';
        END IF;
    ELSIF d.type = 'roles' THEN
        PERFORM chat._check_roles(key, value);
    END IF;

    INSERT INTO chat.setting AS s (key, value) VALUES (d.key, value)
        ON CONFLICT ON CONSTRAINT setting_pkey DO UPDATE SET value = excluded.value;
    RETURN value;
END
$$;

/* ---- sql/src/api/users.sql ---- */

CREATE OR REPLACE FUNCTION chat.use_user_table(tbl regclass,
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
    missing bigint;
    examples text;
    k record;
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

/* ---- sql/src/internal/checks.sql ---- */

CREATE OR REPLACE FUNCTION chat._check_folder(folder text) RETURNS void
    LANGUAGE plpgsql IMMUTABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF folder IS NULL THEN
        RAISE EXCEPTION 'argument "folder" must not be null' USING ERRCODE = '22004', COLUMN = 'folder';
    END IF;
    IF folder NOT IN ('inbox', 'unread', 'deleted', 'sent', 'archived') THEN
        RAISE EXCEPTION 'invalid folder "%"', chat._shown(folder)
            USING ERRCODE = '22023', COLUMN = 'folder',
                  HINT = 'Folders are "inbox", "unread", "deleted", "sent" and "archived".';
    END IF;
END
$$;

CREATE FUNCTION chat._shown(value text) RETURNS text
    LANGUAGE sql IMMUTABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT CASE WHEN char_length(value) > 256 THEN left(value, 256) || '...' ELSE value END
$$;
REVOKE EXECUTE ON FUNCTION chat._shown(text) FROM PUBLIC;

/* ---- sql/src/internal/events.sql ---- */

CREATE OR REPLACE FUNCTION chat._check_event(event text) RETURNS void
    LANGUAGE plpgsql IMMUTABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF event IS NULL THEN
        RAISE EXCEPTION 'argument "event" must not be null' USING ERRCODE = '22004', COLUMN = 'event';
    END IF;
    IF event NOT IN ('message_sent', 'message_edited', 'message_deleted', 'thread_created',
                     'member_added', 'member_removed', 'reaction_added', 'reaction_removed',
                     'thread_read') THEN
        RAISE EXCEPTION 'unknown event "%"', chat._shown(event)
            USING ERRCODE = '22023', COLUMN = 'event',
                  HINT = 'Events are "message_sent", "message_edited", "message_deleted", "thread_created", "member_added", "member_removed", "reaction_added", "reaction_removed" and "thread_read".';
    END IF;
END
$$;

/* ---- sql/src/internal/interactions.sql ---- */

CREATE OR REPLACE FUNCTION chat._check_attachments(attachments jsonb) RETURNS void
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
            USING ERRCODE = '22023', COLUMN = 'attachments',
                  HINT = 'Give [{"key": "...", "name": "...", "mime": "...", "size": 123, "meta": {}}, ...].';
    END IF;
    IF jsonb_array_length(attachments) > lim THEN
        RAISE EXCEPTION 'too many attachments'
            USING ERRCODE = '54000', COLUMN = 'attachments',
                  DETAIL = format('The message has %s attachments; the limit is %s.', jsonb_array_length(attachments), lim),
                  HINT = 'The limit is the setting "max_attachments".';
    END IF;
    FOR a, i IN SELECT e.value, e.ordinality FROM jsonb_array_elements(attachments) WITH ORDINALITY e LOOP
        IF jsonb_typeof(a) <> 'object' THEN
            RAISE EXCEPTION 'attachment % must be a JSON object', i USING ERRCODE = '22023', COLUMN = 'attachments';
        END IF;
        SELECT k INTO f FROM jsonb_object_keys(a) k
         WHERE k NOT IN ('key', 'name', 'mime', 'size', 'meta') ORDER BY k LIMIT 1;
        IF FOUND THEN
            RAISE EXCEPTION 'attachment %: unknown field "%"', i, f
                USING ERRCODE = '22023', COLUMN = 'attachments',
                      HINT = 'The fields are "key", "name", "mime", "size" and "meta".';
        END IF;
        IF jsonb_typeof(a -> 'key') IS DISTINCT FROM 'string' OR chat._is_blank(a ->> 'key') THEN
            RAISE EXCEPTION 'attachment %: "key" must be a non-blank string', i USING ERRCODE = '22023', COLUMN = 'attachments';
        END IF;
        IF jsonb_typeof(a -> 'name') NOT IN ('string', 'null') THEN
            RAISE EXCEPTION 'attachment %: "name" must be a string', i USING ERRCODE = '22023', COLUMN = 'attachments';
        END IF;
        IF jsonb_typeof(a -> 'mime') NOT IN ('string', 'null')
           OR (a ->> 'mime') !~ '^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*$' THEN
            RAISE EXCEPTION 'attachment %: "mime" must be a MIME type such as "image/png"', i USING ERRCODE = '22023', COLUMN = 'attachments';
        END IF;
        IF jsonb_typeof(a -> 'size') NOT IN ('number', 'null') THEN
            RAISE EXCEPTION 'attachment %: "size" must be a whole number', i
                USING ERRCODE = '22023', COLUMN = 'attachments', DETAIL = 'The size is in bytes, 0 or more.';
        ELSIF jsonb_typeof(a -> 'size') = 'number' THEN
            IF (a ->> 'size')::numeric <> trunc((a ->> 'size')::numeric)
               OR (a ->> 'size')::numeric NOT BETWEEN 0 AND 9223372036854775807 THEN
                RAISE EXCEPTION 'attachment %: "size" must be a whole number', i
                    USING ERRCODE = '22023', COLUMN = 'attachments', DETAIL = 'The size is in bytes, 0 or more.';
            END IF;
        END IF;
        IF jsonb_typeof(a -> 'meta') NOT IN ('object', 'null') THEN
            RAISE EXCEPTION 'attachment %: "meta" must be a JSON object', i USING ERRCODE = '22023', COLUMN = 'attachments';
        END IF;
        IF types IS NOT NULL AND (a ->> 'mime') IS NULL THEN
            RAISE EXCEPTION 'attachment %: "mime" is required', i
                USING ERRCODE = '22023', COLUMN = 'attachments',
                      DETAIL = 'The setting "attachment_mime_types" limits the types, so each attachment must give one.';
        END IF;
        IF types IS NOT NULL AND NOT EXISTS (
               SELECT 1 FROM jsonb_array_elements_text(types) t
                WHERE lower(t) IN (lower(a ->> 'mime'), lower(split_part(a ->> 'mime', '/', 1)) || '/*', '*/*')) THEN
            RAISE EXCEPTION 'attachment %: MIME type "%" is not allowed', i, chat._shown(a ->> 'mime')
                USING ERRCODE = '22023', COLUMN = 'attachments',
                      HINT = format('Allowed types are %s (the setting "attachment_mime_types").',
                                    (SELECT string_agg(format('"%s"', t), ', ') FROM jsonb_array_elements_text(types) t));
        END IF;
        IF max_size IS NOT NULL THEN
            IF (a ->> 'size') IS NULL THEN
                RAISE EXCEPTION 'attachment %: "size" is required', i
                    USING ERRCODE = '22023', COLUMN = 'attachments',
                          DETAIL = 'The setting "max_attachment_size" limits the size, so each attachment must give one.';
            END IF;
            IF (a ->> 'size')::numeric > max_size THEN
                RAISE EXCEPTION 'attachment % is too large', i
                    USING ERRCODE = '54000', COLUMN = 'attachments',
                          DETAIL = format('Its size is %s bytes; the limit is %s.', a ->> 'size', max_size),
                          HINT = 'The limit is the setting "max_attachment_size".';
            END IF;
        END IF;
    END LOOP;
END
$$;

CREATE OR REPLACE FUNCTION chat._check_reaction(reaction text) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    allowed jsonb := chat._setting_value('reactions');
    lim integer := chat._setting_value('max_reaction_length')::integer;
BEGIN
    PERFORM chat._not_null(reaction, 'reaction');
    IF chat._is_blank(reaction) THEN
        RAISE EXCEPTION 'reaction must not be blank' USING ERRCODE = '22023', COLUMN = 'reaction';
    END IF;
    IF char_length(reaction) > lim THEN
        RAISE EXCEPTION 'reaction is too long'
            USING ERRCODE = '22001', COLUMN = 'reaction',
                  DETAIL = format('The reaction has %s characters; the limit is %s.', char_length(reaction), lim),
                  HINT = 'The limit is the setting "max_reaction_length".';
    END IF;
    IF allowed = '"emoji"' THEN
        IF NOT chat._is_emoji(reaction) THEN
            RAISE EXCEPTION 'reaction "%" is not an emoji', chat._shown(reaction)
                USING ERRCODE = '22023', COLUMN = 'reaction',
                      HINT = 'The setting "reactions" is "emoji": a reaction is exactly one emoji.';
        END IF;
    ELSIF jsonb_typeof(allowed) = 'array' AND NOT allowed ? reaction THEN
        RAISE EXCEPTION 'reaction "%" is not allowed', chat._shown(reaction)
            USING ERRCODE = '22023', COLUMN = 'reaction',
                  HINT = format('Allowed reactions are %s (the setting "reactions").',
                                (SELECT string_agg(format('"%s"', e), ', ') FROM jsonb_array_elements_text(allowed) e));
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION chat._reactable(message bigint, who chat.user_id) RETURNS chat.message
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
    /* held as a foreign key would hold it: the message stays until the reaction is in */
    PERFORM FROM chat.message mg WHERE mg.thread_id = m.thread_id AND mg.id = m.id FOR KEY SHARE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'message % does not exist', message USING ERRCODE = '42704';
    END IF;
    IF m.deleted_at IS NOT NULL THEN
        RAISE EXCEPTION 'cannot react to deleted message %', message USING ERRCODE = '55000';
    END IF;
    RETURN m;
END
$$;

/* ---- sql/src/internal/membership.sql ---- */

CREATE FUNCTION chat._check_new_size(kind chat.thread_kind, members chat.user_id[], creator chat.user_id,
                                     name text)
    RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    cap bigint := (chat._setting_value('max_members') #>> '{}')::bigint;
    n bigint;
BEGIN
    IF cap IS NULL THEN
        RETURN;
    END IF;
    n := (SELECT count(DISTINCT u) FROM unnest(members || creator) AS u);
    IF n > cap THEN
        RAISE EXCEPTION 'too many members for a new %', chat._kind_word(kind)
            USING ERRCODE = '54000', COLUMN = name,
                  DETAIL = format('It would have %s members; the limit is %s.', n, cap),
                  HINT = 'The limit is the setting "max_members".';
    END IF;
END
$$;
REVOKE EXECUTE ON FUNCTION chat._check_new_size(chat.thread_kind,chat.user_id[],chat.user_id,text) FROM PUBLIC;

CREATE OR REPLACE FUNCTION chat._create_room(kind chat.thread_kind, creator chat.user_id, title text,
                                  members chat.user_id[], is_public boolean, extra jsonb,
                                  object_type text DEFAULT NULL, object_id text DEFAULT NULL)
    RETURNS bigint
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    t chat.thread;
BEGIN
    PERFORM chat._check_new_size(kind, members, creator, 'members');
    INSERT INTO chat.thread AS th (kind, subject, created_by, is_public, object_type, object_id)
    VALUES (kind, title, creator, coalesce(is_public, false), object_type, object_id)
    RETURNING th.* INTO t;
    PERFORM chat._fill_extra('thread', t.id, NULL, NULL, extra);
    PERFORM chat._insert_members(t, ARRAY[creator], 'owner');
    t := chat._lock_thread(t.id);
    PERFORM chat._insert_members(t, array_remove(members, creator), 'member');
    PERFORM chat._system_message(t.id, creator,
                                 format('%s created the %s', chat._label(creator), chat._kind_word(kind)));
    PERFORM chat._emit('thread_created', t.id, NULL, creator,
                       jsonb_build_object('kind', kind,
                                          'member_count', (SELECT th.member_count FROM chat.thread th WHERE th.id = t.id)));
    RETURN t.id;
END
$$;

/* ---- sql/src/internal/models.sql ---- */

CREATE OR REPLACE FUNCTION chat._check_model_admin() RETURNS void
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

CREATE OR REPLACE FUNCTION chat._model_key(model text, OUT keys text[], OUT target regclass, OUT target_keys text[])
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
            RAISE EXCEPTION 'unknown model "%"', chat._shown(model)
                USING ERRCODE = '22023',
                      HINT = 'The models of chat 0.2 are "message", "thread" and "member".';
    END CASE;
END
$$;

/* ---- sql/src/internal/permissions.sql ---- */

CREATE OR REPLACE FUNCTION chat._check_permission(permission text) RETURNS void
    LANGUAGE plpgsql IMMUTABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF permission IS NULL THEN
        RAISE EXCEPTION 'argument "permission" must not be null' USING ERRCODE = '22004', COLUMN = 'permission';
    END IF;
    IF permission NOT IN ('add_members', 'remove_members', 'post', 'delete_messages',
                          'delete_own_messages', 'edit_messages', 'edit_own_messages',
                          'edit_thread', 'delete_thread') THEN
        RAISE EXCEPTION 'unknown permission "%"', chat._shown(permission)
            USING ERRCODE = '22023', COLUMN = 'permission',
                  HINT = 'Permissions are "add_members", "remove_members", "post", "delete_messages", "delete_own_messages", "edit_messages", "edit_own_messages", "edit_thread" and "delete_thread".';
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION chat._check_role(role text) RETURNS chat.member_role
    LANGUAGE plpgsql IMMUTABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF role IS NULL THEN
        RAISE EXCEPTION 'argument "role" must not be null' USING ERRCODE = '22004', COLUMN = 'role';
    END IF;
    IF role NOT IN ('owner', 'admin', 'member') THEN
        RAISE EXCEPTION 'unknown role "%"', chat._shown(role)
            USING ERRCODE = '22023', COLUMN = 'role', HINT = 'Roles are "owner", "admin" and "member".';
    END IF;
    RETURN role::chat.member_role;
END
$$;

/* ---- sql/src/internal/settings.sql ---- */

CREATE OR REPLACE FUNCTION chat._check_roles(key text, value jsonb) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    bad text;
BEGIN
    IF jsonb_typeof(value) <> 'array'
       OR EXISTS (SELECT 1 FROM jsonb_array_elements(value) e WHERE jsonb_typeof(e) <> 'string') THEN
        RAISE EXCEPTION 'invalid value for setting "%": %', key, chat._shown(value::text)
            USING ERRCODE = '22023', COLUMN = 'value', DETAIL = 'The setting takes a JSON array of role names.';
    END IF;
    SELECT e INTO bad FROM jsonb_array_elements_text(value) e
     WHERE NOT EXISTS (SELECT 1 FROM pg_roles r WHERE r.rolname = e) LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'role "%" does not exist', bad
            USING ERRCODE = '22023', COLUMN = 'value', DETAIL = format('The setting "%s" names existing roles.', key);
    END IF;
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

CREATE OR REPLACE FUNCTION chat._message_delete() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    tid bigint;
BEGIN
    DELETE FROM chat.message_edit e USING removed o
     WHERE e.thread_id = o.thread_id AND e.message_id = o.id;
    DELETE FROM chat.reaction r USING removed o
     WHERE r.thread_id = o.thread_id AND r.message_id = o.id;
    DELETE FROM chat.attachment a USING removed o
     WHERE a.thread_id = o.thread_id AND a.message_id = o.id;
    UPDATE chat.message m SET parent_id = NULL
      FROM removed o
     WHERE m.thread_id = o.thread_id AND m.parent_id = o.id;
    FOR tid IN SELECT DISTINCT o.thread_id FROM removed o
                JOIN chat.thread t ON t.id = o.thread_id ORDER BY 1
    LOOP
        PERFORM chat._recount(tid);
    END LOOP;
    RETURN NULL;
END
$$;

CREATE FUNCTION chat._thread_delete() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    DELETE FROM chat.message m USING removed o WHERE m.thread_id = o.id;
    DELETE FROM chat.member mb USING removed o WHERE mb.thread_id = o.id;
    RETURN NULL;
END
$$;
REVOKE EXECUTE ON FUNCTION chat._thread_delete() FROM PUBLIC;

CREATE FUNCTION chat._truncate_dependents() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    dependent regclass;
    nonempty boolean;
BEGIN
    FOREACH dependent IN ARRAY CASE TG_TABLE_NAME
        WHEN 'thread' THEN ARRAY['chat.member', 'chat.message']::regclass[]
        ELSE ARRAY['chat.message_edit', 'chat.reaction', 'chat.attachment']::regclass[] END
    LOOP
        EXECUTE format('SELECT EXISTS (SELECT FROM %s)', dependent) INTO nonempty;
        IF nonempty THEN
            EXECUTE format('TRUNCATE %s', dependent);
        END IF;
    END LOOP;
    RETURN NULL;
END
$$;
REVOKE EXECUTE ON FUNCTION chat._truncate_dependents() FROM PUBLIC;



CREATE TRIGGER message_truncate
    AFTER TRUNCATE ON chat.message
    FOR EACH STATEMENT EXECUTE FUNCTION chat._truncate_dependents();
CREATE TRIGGER thread_delete
    AFTER DELETE ON chat.thread
    REFERENCING OLD TABLE AS removed
    FOR EACH STATEMENT EXECUTE FUNCTION chat._thread_delete();
CREATE TRIGGER thread_truncate
    AFTER TRUNCATE ON chat.thread
    FOR EACH STATEMENT EXECUTE FUNCTION chat._truncate_dependents();
