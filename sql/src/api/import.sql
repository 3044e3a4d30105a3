
/* ========================================================================
 * api/import.sql: importing history: import_thread, import_messages, import_pinax
 *
 * For server roles: moving an existing application's conversations into
 * chat with their original authors, times and read state, at bulk speed
 * (internal/import.sql).  An import writes no message_sent event (hooks
 * and notifications are for news, not history): a thread_created for a new
 * thread and one messages_imported per call.
 * ======================================================================== */

CREATE FUNCTION chat.import_thread(thread jsonb)
    RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    PERFORM chat._require_server('import messages');
    RETURN chat._import_thread(thread);
END
$$;
COMMENT ON FUNCTION chat.import_thread(jsonb) IS
    'Server roles: create a thread with its members, read state and history from one JSON object {kind, subject, created_by, created_at, is_public, members: [{user_id, role, joined_at, read_until, deleted, archived, muted}], messages: [{sender_id, sent_at, content, kind, edited_at, deleted_at}]}, counted at bulk speed; returns the thread id';

CREATE FUNCTION chat.import_messages(thread_id bigint, messages jsonb, members jsonb DEFAULT NULL)
    RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    t chat.thread;
    stranger chat.user_id;
BEGIN
    PERFORM chat._require_server('import messages');
    t := chat._lock_thread(import_messages.thread_id);
    PERFORM chat._not_null(messages, 'messages');
    PERFORM chat._check_import_messages(messages, 'messages', 'messages', t.last_sent_at);
    IF members IS NOT NULL THEN
        PERFORM chat._check_import_members(members, 'members', 'members', false);
        SELECT (x.m ->> 'user_id')::chat.user_id INTO stranger
          FROM jsonb_array_elements(members) WITH ORDINALITY AS x(m, ord)
         WHERE NOT EXISTS (SELECT FROM chat.member mb
                            WHERE mb.thread_id = t.id AND mb.user_id = (x.m ->> 'user_id')::chat.user_id)
         ORDER BY x.ord LIMIT 1;
        IF FOUND THEN
            RAISE EXCEPTION 'user "%" is not a member of thread %', stranger, t.id
                USING ERRCODE = '42704', COLUMN = 'members';
        END IF;
    END IF;
    RETURN chat._import_messages(t.id, messages, members);
END
$$;
COMMENT ON FUNCTION chat.import_messages(bigint, jsonb, jsonb) IS
    'Server roles: append history to a thread (each message sent at or after its newest one) at bulk speed; members [{user_id, read_until, deleted}] sets their read state, the others read on as they did; returns how many messages';

/*
 * One table of pinax-messages (or of its predecessor user-messages):
 * 42P01 when missing, 42501 when the calling role may not read it (chat's
 * functions run as the extension owner), 42703 when a column is missing.
 */
CREATE FUNCTION chat._pinax_table(schema name, prefix text, suffix text, columns text[]) RETURNS regclass
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    tbl regclass := to_regclass(format('%I.%I', schema, prefix || '_' || suffix));
    col text;
BEGIN
    IF tbl IS NULL THEN
        RAISE EXCEPTION 'relation "%.%" does not exist', schema, chat._shown(prefix || '_' || suffix)
            USING ERRCODE = '42P01',
                  HINT = 'chat.import_pinax reads <prefix>_thread, <prefix>_userthread and <prefix>_message: prefix "user_messages" (the default) or "pinax_messages".';
    END IF;
    PERFORM chat._require_table_rights(tbl, 'SELECT');
    SELECT c INTO col FROM unnest(columns) AS c
     WHERE NOT EXISTS (SELECT FROM pg_attribute a
                        WHERE a.attrelid = tbl AND a.attname = c AND a.attnum > 0 AND NOT a.attisdropped)
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'column "%" of relation % does not exist', col, tbl USING ERRCODE = '42703';
    END IF;
    RETURN tbl;
END
$$;

CREATE FUNCTION chat.import_pinax(schema name DEFAULT 'public', prefix text DEFAULT 'user_messages')
    RETURNS TABLE (pinax_thread_id bigint, thread_id bigint)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    threads regclass;
    userthreads regclass;
    msgs regclass;
    lim integer;
    bad record;
    after bigint;
    ids bigint[];
    docs jsonb[];
BEGIN
    PERFORM chat._require_server('import messages');
    PERFORM chat._not_null(schema, 'schema');
    PERFORM chat._not_null(prefix, 'prefix');
    threads := chat._pinax_table(schema, prefix, 'thread', '{id,subject}');
    userthreads := chat._pinax_table(schema, prefix, 'userthread', '{thread_id,user_id,unread,deleted}');
    msgs := chat._pinax_table(schema, prefix, 'message', '{id,thread_id,sender_id,sent_at,content}');

    /* what chat refuses, named by pinax's ids before anything is written */
    lim := chat._setting_value('max_subject_length')::integer;
    EXECUTE format('SELECT t.id, t.subject FROM %s t
                     WHERE (t.subject IS NULL OR chat._is_blank(t.subject) OR char_length(t.subject) > $1)
                       AND EXISTS (SELECT FROM %s ut WHERE ut.thread_id = t.id)
                     ORDER BY t.id LIMIT 1', threads, userthreads)
        INTO bad USING lim;
    IF bad.id IS NOT NULL THEN
        RAISE EXCEPTION 'pinax thread % has % subject', bad.id,
                        CASE WHEN bad.subject IS NULL THEN 'no' WHEN chat._is_blank(bad.subject) THEN 'a blank'
                             ELSE 'too long a' END
            USING ERRCODE = CASE WHEN bad.subject IS NULL THEN '22004' WHEN chat._is_blank(bad.subject) THEN '22023'
                                 ELSE '22001' END,
                  COLUMN = 'prefix', HINT = 'Correct it in pinax''s table first: chat needs a subject for a private thread.';
    END IF;
    lim := chat._setting_value('max_content_length')::integer;
    EXECUTE format('SELECT m.id, m.thread_id,
                           CASE WHEN m.sender_id IS NULL THEN ''has no sender''
                                WHEN m.sent_at IS NULL THEN ''has no sent_at''
                                WHEN m.sent_at::timestamptz > clock_timestamp() THEN ''was sent in the future''
                                WHEN m.content IS NULL THEN ''has no content''
                                WHEN chat._is_blank(m.content) THEN ''has blank content''
                                ELSE ''is too long'' END AS problem
                      FROM %s m
                     WHERE (m.sender_id IS NULL OR m.sent_at IS NULL OR m.sent_at::timestamptz > clock_timestamp()
                            OR m.content IS NULL OR chat._is_blank(m.content) OR char_length(m.content) > $1)
                       AND EXISTS (SELECT FROM %s ut WHERE ut.thread_id = m.thread_id)
                     ORDER BY m.id LIMIT 1', msgs, userthreads)
        INTO bad USING lim;
    IF bad.id IS NOT NULL THEN
        RAISE EXCEPTION 'pinax message % (thread %) %', bad.id, bad.thread_id, bad.problem
            USING ERRCODE = CASE WHEN bad.problem LIKE 'has no %' THEN '22004' WHEN bad.problem = 'is too long' THEN '22001'
                                 ELSE '22023' END,
                  COLUMN = 'prefix',
                  HINT = CASE WHEN bad.problem = 'is too long' THEN 'Raise the setting "max_content_length" for the import, or correct it in pinax''s table.'
                              ELSE 'Correct it in pinax''s table first.' END;
    END IF;

    /*
     * One thread at a time, through the import of one thread: a member who
     * had the thread unread has read up to its own last message (pinax keeps
     * no pointer: a reply marks everything before it read), one who had it
     * deleted finds it in the deleted folder.  Threads nobody belongs to are
     * left out: nobody could see them.
     */
    /* 100 threads at a time: no query stays open while chat's tables grow */
    LOOP
        EXECUTE format($q$
            SELECT array_agg(d.id ORDER BY d.id), array_agg(d.doc ORDER BY d.id)
              FROM (SELECT t.id::bigint AS id,
                           jsonb_build_object(
                               'kind', 'private',
                               'subject', t.subject,
                               'members', (SELECT jsonb_agg(jsonb_build_object('user_id', u.user_id, 'deleted', u.deleted)
                                                            || CASE WHEN u.unread THEN jsonb_build_object('read_until',
                                                                   coalesce((SELECT max(m.sent_at::timestamptz) FROM %3$s m
                                                                              WHERE m.thread_id = t.id AND m.sender_id = u.user_id),
                                                                            '-infinity'::timestamptz))
                                                               ELSE '{}'::jsonb END
                                                            ORDER BY u.user_id)
                                             FROM (SELECT ut.user_id, bool_or(ut.unread) AS unread, bool_and(ut.deleted) AS deleted
                                                     FROM %2$s ut WHERE ut.thread_id = t.id GROUP BY ut.user_id) u),
                               'messages', coalesce((SELECT jsonb_agg(jsonb_build_object('sender_id', m.sender_id,
                                                                                         'sent_at', m.sent_at::timestamptz,
                                                                                         'content', m.content)
                                                                      ORDER BY m.sent_at, m.id)
                                                       FROM %3$s m WHERE m.thread_id = t.id), '[]'::jsonb)) AS doc
                      FROM %1$s t
                     WHERE EXISTS (SELECT FROM %2$s ut WHERE ut.thread_id = t.id) AND ($1 IS NULL OR t.id > $1)
                     ORDER BY t.id
                     LIMIT 100) d
            $q$, threads, userthreads, msgs)
            INTO ids, docs USING after;
        EXIT WHEN ids IS NULL;
        FOR i IN 1 .. cardinality(ids) LOOP
            pinax_thread_id := ids[i];
            thread_id := chat._import_thread(docs[i]);
            RETURN NEXT;
        END LOOP;
        after := ids[cardinality(ids)];
    END LOOP;
END
$$;
COMMENT ON FUNCTION chat.import_pinax(name, text) IS
    'Server roles: import every thread of pinax-messages'' tables <schema>.<prefix>_thread, _userthread and _message (prefix user_messages or pinax_messages) with their members, authors, times, unread and deleted flags; returns each pinax thread id with its new chat thread id. One transaction: all or nothing';
