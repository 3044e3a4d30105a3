
/* ========================================================================
 * internal/import.sql: importing history: the checks and the bulk path
 *
 * A reply counts itself on its thread row and moves member rows, one
 * message at a time: a thread's history inserted message by message in one
 * transaction rewrites the same rows once per message (quadratic, SPEC's
 * 50,000 messages in minutes).  An import counts a whole batch at once, as
 * pg_restore's rows are counted: it draws the batch's ids, sets the thread's
 * counters to what they will be, then inserts the rows with their own ids,
 * which the insert trigger keeps as they are because the thread has counted
 * them already (src/unread.c, is_restored_row), and moves each member's
 * read pointer once.  Ids are drawn from chat.message_id_seq under the
 * thread's lock, in the order of sent_at, so they stay unique, increase
 * within the thread with sent_at, and the sequence stays past them (on a
 * Citus cluster, chat._citus_message_id, as the insert trigger draws them).
 *
 * Messages and members are JSON: arrays of objects, checked whole before
 * anything is written (the element at fault is named 0-based, as jsonb's ->
 * counts).  Timestamps are parsed inside an exception block that only reads,
 * so a bad one is a 22023 naming its element, and no subtransaction id is
 * spent on a good call.
 * ======================================================================== */

/*
 * A timestamp field of an import, parsed; 22023 naming "what" when it is no
 * timestamp.  Only read: the exception block costs no transaction id.
 */
CREATE FUNCTION chat._import_timestamp(value text, what text, arg text) RETURNS timestamptz
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    RETURN value::timestamptz;
EXCEPTION WHEN data_exception THEN
    RAISE EXCEPTION 'invalid timestamp in %: "%"', what, chat._shown(value)
        USING ERRCODE = '22023', COLUMN = arg,
              HINT = 'Give timestamps as ISO 8601 strings, such as "2024-05-01T09:30:00Z".';
END
$$;

/*
 * Check the messages of an import, whole, before anything is written; "arg"
 * is the argument they come in, "path" how error messages name them, "after"
 * the sent_at of the thread's newest message (an import appends).  Returns
 * how many there are.
 */
CREATE FUNCTION chat._check_import_messages(messages jsonb, arg text, path text, after timestamptz)
    RETURNS integer
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    lim integer := chat._setting_value('max_content_length')::integer;
    bad record;
    el record;
    wrong bigint;
    early bigint;
    parsed bigint;
BEGIN
    IF jsonb_typeof(messages) <> 'array' THEN
        RAISE EXCEPTION '% must be a JSON array of messages', path
            USING ERRCODE = '22023', COLUMN = arg,
                  HINT = 'Give [{"sender_id": 1, "sent_at": "2024-05-01T09:30:00Z", "content": "..."}, ...].';
    END IF;
    /*
     * The first element at fault, in one pass of plain expressions (a
     * lateral scan of each element's keys costs ten times more at 100,000
     * messages).
     */
    SELECT y.ord - 1 AS ord,
           CASE WHEN y.t <> 'object' THEN 'object'
                WHEN y.extra THEN 'key ' || (SELECT min(k) FROM jsonb_object_keys(y.m - y.allowed) AS k)
                WHEN y.sent_at = 'null' THEN 'null sent_at'
                WHEN y.sent_at <> 'string' THEN 'string sent_at'
                WHEN y.edited_at NOT IN ('null', 'string') THEN 'string edited_at'
                WHEN y.deleted_at NOT IN ('null', 'string') THEN 'string deleted_at'
                WHEN y.kind NOT IN ('null', 'string') OR coalesce(y.m ->> 'kind', 'text') NOT IN ('text', 'system') THEN 'kind'
                WHEN y.sender NOT IN ('null', 'number', 'string') THEN 'sender type'
                WHEN y.sender = 'null' AND coalesce(y.m ->> 'kind', 'text') = 'text' THEN 'null sender_id'
                WHEN y.content = 'null' THEN 'null content'
                WHEN y.content <> 'string' THEN 'string content'
                WHEN chat._is_blank(y.m ->> 'content') THEN 'blank'
                WHEN char_length(y.m ->> 'content') > lim THEN 'long'
           END AS problem
      INTO bad
      FROM (SELECT x.ord, x.m, jsonb_typeof(x.m) AS t, a.allowed,
                   CASE WHEN jsonb_typeof(x.m) = 'object' THEN x.m - a.allowed <> '{}' END AS extra,
                   coalesce(jsonb_typeof(x.m -> 'sent_at'), 'null') AS sent_at,
                   coalesce(jsonb_typeof(x.m -> 'edited_at'), 'null') AS edited_at,
                   coalesce(jsonb_typeof(x.m -> 'deleted_at'), 'null') AS deleted_at,
                   coalesce(jsonb_typeof(x.m -> 'kind'), 'null') AS kind,
                   coalesce(jsonb_typeof(x.m -> 'sender_id'), 'null') AS sender,
                   coalesce(jsonb_typeof(x.m -> 'content'), 'null') AS content
              FROM (SELECT '{sender_id,sent_at,content,kind,edited_at,deleted_at}'::text[] AS allowed) a,
                   jsonb_array_elements(messages) WITH ORDINALITY AS x(m, ord)
            OFFSET 0) y
     WHERE y.t <> 'object' OR y.extra OR y.sent_at <> 'string'
        OR y.edited_at NOT IN ('null', 'string') OR y.deleted_at NOT IN ('null', 'string')
        OR y.kind NOT IN ('null', 'string') OR coalesce(y.m ->> 'kind', 'text') NOT IN ('text', 'system')
        OR y.sender NOT IN ('null', 'number', 'string')
        OR (y.sender = 'null' AND coalesce(y.m ->> 'kind', 'text') = 'text')
        OR y.content <> 'string' OR chat._is_blank(y.m ->> 'content') OR char_length(y.m ->> 'content') > lim
     ORDER BY y.ord
     LIMIT 1;
    IF FOUND THEN
        CASE
        WHEN bad.problem = 'object' THEN
            RAISE EXCEPTION '%[%] must be a JSON object', path, bad.ord USING ERRCODE = '22023', COLUMN = arg;
        WHEN bad.problem LIKE 'key %' THEN
            RAISE EXCEPTION 'unknown field "%" in %[%]', chat._shown(substr(bad.problem, 5)), path, bad.ord
                USING ERRCODE = '22023', COLUMN = arg,
                      HINT = 'A message has "sender_id", "sent_at", "content", and optionally "kind" ("text" or "system"), "edited_at" and "deleted_at".';
        WHEN bad.problem LIKE 'null %' THEN
            RAISE EXCEPTION '%[%] has no %', path, bad.ord, substr(bad.problem, 6)
                USING ERRCODE = '22004', COLUMN = arg,
                      DETAIL = CASE substr(bad.problem, 6)
                               WHEN 'sender_id' THEN 'A text message needs its sender (a system message may have none).'
                               WHEN 'sent_at' THEN 'Imported messages keep the time they were sent.'
                               ELSE 'Imported messages have content.' END;
        WHEN bad.problem LIKE 'string %' THEN
            RAISE EXCEPTION '%[%].% must be a string', path, bad.ord, substr(bad.problem, 8)
                USING ERRCODE = '22023', COLUMN = arg;
        WHEN bad.problem = 'kind' THEN
            RAISE EXCEPTION 'invalid kind in %[%]', path, bad.ord
                USING ERRCODE = '22023', COLUMN = arg, HINT = 'A message''s kind is "text" (the default) or "system".';
        WHEN bad.problem = 'sender type' THEN
            RAISE EXCEPTION '%[%].sender_id must be a user id', path, bad.ord
                USING ERRCODE = '22023', COLUMN = arg, HINT = 'Give it as a JSON number or string.';
        WHEN bad.problem = 'blank' THEN
            RAISE EXCEPTION '%[%].content must not be blank', path, bad.ord USING ERRCODE = '22023', COLUMN = arg;
        ELSE
            RAISE EXCEPTION '%[%].content is too long', path, bad.ord
                USING ERRCODE = '22001', COLUMN = arg,
                      DETAIL = format('It has %s characters; the limit is %s.',
                                      char_length(messages -> (bad.ord::int) ->> 'content'), lim),
                      HINT = 'The limit is the setting "max_content_length".';
        END CASE;
    END IF;

    /* the timestamps: each parses, and sent_at is past, finite, not before the thread's newest */
    BEGIN
        SELECT min(x.ord) FILTER (WHERE NOT isfinite(x.sent_at) OR x.sent_at > clock_timestamp()),
               min(x.ord) FILTER (WHERE x.sent_at < after),
               count(x.edited_at) + count(x.deleted_at)
          INTO wrong, early, parsed
          FROM (SELECT e.ord - 1 AS ord, (e.m ->> 'sent_at')::timestamptz AS sent_at,
                       (e.m ->> 'edited_at')::timestamptz AS edited_at,
                       (e.m ->> 'deleted_at')::timestamptz AS deleted_at
                  FROM jsonb_array_elements(messages) WITH ORDINALITY AS e(m, ord)) x;
    EXCEPTION WHEN data_exception THEN
        /* name the first one that is no timestamp */
        FOR el IN SELECT x.ord - 1 AS ord, x.m FROM jsonb_array_elements(messages) WITH ORDINALITY AS x(m, ord) ORDER BY x.ord LOOP
            PERFORM chat._import_timestamp(el.m ->> f, format('%s[%s].%s', path, el.ord, f), arg)
               FROM unnest(ARRAY['sent_at', 'edited_at', 'deleted_at']) AS f;
        END LOOP;
        RAISE EXCEPTION 'invalid timestamp in %', path USING ERRCODE = '22023', COLUMN = arg, DETAIL = SQLERRM;
    END;
    IF wrong IS NOT NULL THEN
        RAISE EXCEPTION '%[%].sent_at is not a past time', path, wrong
            USING ERRCODE = '22023', COLUMN = arg,
                  DETAIL = format('It is "%s".', chat._shown(messages -> (wrong::int) ->> 'sent_at')),
                  HINT = 'Messages are imported with the time they were sent, which has passed.';
    END IF;
    IF early IS NOT NULL THEN
        RAISE EXCEPTION '%[%].sent_at is before the thread''s newest message', path, early
            USING ERRCODE = '22023', COLUMN = arg,
                  DETAIL = format('It is "%s"; the thread''s newest message was sent at %s.',
                                  chat._shown(messages -> (early::int) ->> 'sent_at'), after),
                  HINT = 'An import appends to a thread: import its older history with the thread itself (chat.import_thread).';
    END IF;
    RETURN jsonb_array_length(messages);
END
$$;

/*
 * Check the members of an import: with "complete" (a new thread) user_id, role,
 * joined_at, read_until, deleted, archived, muted; else (appending) user_id,
 * read_until and deleted.  Returns how many there are.
 */
CREATE FUNCTION chat._check_import_members(members jsonb, arg text, path text, complete boolean)
    RETURNS integer
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    allowed text[] := CASE WHEN complete THEN '{user_id,role,joined_at,read_until,deleted,archived,muted}'::text[]
                           ELSE '{user_id,read_until,deleted}'::text[] END;
    bad record;
    el record;
    dup chat.user_id;
BEGIN
    IF jsonb_typeof(members) <> 'array' THEN
        RAISE EXCEPTION '% must be a JSON array of members', path
            USING ERRCODE = '22023', COLUMN = arg, HINT = 'Give [{"user_id": 1}, ...].';
    END IF;
    SELECT x.ord - 1 AS ord,
           CASE WHEN jsonb_typeof(x.m) <> 'object' THEN 'object'
                WHEN k.key IS NOT NULL THEN 'key ' || k.key
                WHEN coalesce(jsonb_typeof(x.m -> 'user_id'), 'null') = 'null' THEN 'null'
                WHEN jsonb_typeof(x.m -> 'user_id') NOT IN ('number', 'string') THEN 'user_id'
                WHEN coalesce(jsonb_typeof(x.m -> 'role'), 'null') NOT IN ('null', 'string')
                     OR coalesce(x.m ->> 'role', 'member') NOT IN ('owner', 'admin', 'member') THEN 'role'
                WHEN coalesce(jsonb_typeof(x.m -> 'joined_at'), 'null') NOT IN ('null', 'string') THEN 'string joined_at'
                WHEN coalesce(jsonb_typeof(x.m -> 'read_until'), 'null') NOT IN ('null', 'string') THEN 'string read_until'
                WHEN coalesce(jsonb_typeof(x.m -> 'deleted'), 'null') NOT IN ('null', 'boolean') THEN 'boolean deleted'
                WHEN coalesce(jsonb_typeof(x.m -> 'archived'), 'null') NOT IN ('null', 'boolean') THEN 'boolean archived'
                WHEN coalesce(jsonb_typeof(x.m -> 'muted'), 'null') NOT IN ('null', 'boolean') THEN 'boolean muted'
           END AS problem
      INTO bad
      FROM jsonb_array_elements(members) WITH ORDINALITY AS x(m, ord)
      LEFT JOIN LATERAL (SELECT f.key FROM jsonb_object_keys(CASE jsonb_typeof(x.m) WHEN 'object' THEN x.m END) AS f(key)
                          WHERE f.key <> ALL (allowed) ORDER BY f.key LIMIT 1) k ON true
     WHERE jsonb_typeof(x.m) <> 'object' OR k.key IS NOT NULL
        OR coalesce(jsonb_typeof(x.m -> 'user_id'), 'null') NOT IN ('number', 'string')
        OR coalesce(jsonb_typeof(x.m -> 'role'), 'null') NOT IN ('null', 'string')
        OR coalesce(x.m ->> 'role', 'member') NOT IN ('owner', 'admin', 'member')
        OR coalesce(jsonb_typeof(x.m -> 'joined_at'), 'null') NOT IN ('null', 'string')
        OR coalesce(jsonb_typeof(x.m -> 'read_until'), 'null') NOT IN ('null', 'string')
        OR coalesce(jsonb_typeof(x.m -> 'deleted'), 'null') NOT IN ('null', 'boolean')
        OR coalesce(jsonb_typeof(x.m -> 'archived'), 'null') NOT IN ('null', 'boolean')
        OR coalesce(jsonb_typeof(x.m -> 'muted'), 'null') NOT IN ('null', 'boolean')
     ORDER BY x.ord
     LIMIT 1;
    IF FOUND THEN
        CASE
        WHEN bad.problem = 'object' THEN
            RAISE EXCEPTION '%[%] must be a JSON object', path, bad.ord USING ERRCODE = '22023', COLUMN = arg;
        WHEN bad.problem LIKE 'key %' THEN
            RAISE EXCEPTION 'unknown field "%" in %[%]', chat._shown(substr(bad.problem, 5)), path, bad.ord
                USING ERRCODE = '22023', COLUMN = arg,
                      HINT = format('A member has %s.', (SELECT string_agg(format('"%s"', a), ', ') FROM unnest(allowed) a));
        WHEN bad.problem = 'null' THEN
            RAISE EXCEPTION '%[%] has no user_id', path, bad.ord USING ERRCODE = '22004', COLUMN = arg;
        WHEN bad.problem = 'user_id' THEN
            RAISE EXCEPTION '%[%].user_id must be a user id', path, bad.ord
                USING ERRCODE = '22023', COLUMN = arg, HINT = 'Give it as a JSON number or string.';
        WHEN bad.problem = 'role' THEN
            RAISE EXCEPTION 'invalid role in %[%]', path, bad.ord
                USING ERRCODE = '22023', COLUMN = arg, HINT = 'Roles are "owner", "admin" and "member".';
        WHEN bad.problem LIKE 'string %' THEN
            RAISE EXCEPTION '%[%].% must be a string', path, bad.ord, substr(bad.problem, 8)
                USING ERRCODE = '22023', COLUMN = arg;
        ELSE
            RAISE EXCEPTION '%[%].% must be true or false', path, bad.ord, substr(bad.problem, 9)
                USING ERRCODE = '22023', COLUMN = arg;
        END CASE;
    END IF;
    BEGIN
        PERFORM count((x.m ->> 'joined_at')::timestamptz) + count((x.m ->> 'read_until')::timestamptz)
           FROM jsonb_array_elements(members) AS x(m);
    EXCEPTION WHEN data_exception THEN
        /* name the first one that is no timestamp */
        FOR el IN SELECT x.ord - 1 AS ord, x.m FROM jsonb_array_elements(members) WITH ORDINALITY AS x(m, ord)
                   ORDER BY x.ord LOOP
            PERFORM chat._import_timestamp(el.m ->> 'joined_at', format('%s[%s].joined_at', path, el.ord), arg),
                    chat._import_timestamp(el.m ->> 'read_until', format('%s[%s].read_until', path, el.ord), arg);
        END LOOP;
        RAISE EXCEPTION 'invalid timestamp in %', path USING ERRCODE = '22023', COLUMN = arg, DETAIL = SQLERRM;
    END;
    /* user ids of the wrong type fail here as everywhere (22P02, 22003) */
    SELECT u INTO dup FROM (SELECT (x.m ->> 'user_id')::chat.user_id AS u FROM jsonb_array_elements(members) x(m)) y
     GROUP BY u HAVING count(*) > 1 ORDER BY u LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'user "%" is listed twice in %', dup, path USING ERRCODE = '22023', COLUMN = arg;
    END IF;
    RETURN jsonb_array_length(members);
END
$$;

/*
 * Plans are cached by size: a plan made while chat.thread, chat.member and
 * chat.message were nearly empty (a new database whose empty tables a
 * VACUUM ANALYZE measured) scans them whole, and the insert trigger's kept
 * plan would read every thread for every message.  Outside a transaction
 * autovacuum soon measures the tables again, which drops such plans; a long
 * import in one transaction grows them where autovacuum cannot see, and turns
 * quadratic (import_pinax: 2,000 threads took 4 times as long as 1,000).  So
 * a table that grew past twice the size the planner believes is analyzed
 * here (ANALYZE counts this transaction's own rows), which also drops every
 * plan built on the old size: a few times as a table doubles, never on a
 * database whose statistics are current.
 */
CREATE FUNCTION chat._refresh_statistics() RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    tbl regclass;
BEGIN
    FOR tbl IN SELECT c.oid::regclass FROM pg_class c
                WHERE c.oid IN ('chat.thread'::regclass, 'chat.member'::regclass, 'chat.message'::regclass)
                  AND pg_relation_size(c.oid) / current_setting('block_size')::bigint > 2 * greatest(c.relpages, 0) + 8
                ORDER BY c.oid
    LOOP
        EXECUTE format('ANALYZE %s', tbl);
    END LOOP;
END
$$;

/*
 * The bulk path: append checked messages to the locked thread "tid" and set
 * its members' read state once.  "members" (checked) may say, per member,
 * read_until (every message sent by then is read; the pointer is set to the
 * newest such message, wherever it is in the thread) and deleted (true: in
 * the member's deleted folder until someone writes; false: out of it).  A
 * member it says nothing of keeps reading as it did: one without unread
 * messages has read the imported ones too, one with unread messages has
 * them unread as well, its own excepted.  Returns how many messages.
 */
CREATE FUNCTION chat._import_messages(tid bigint, messages jsonb, members jsonb)
    RETURNS integer
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    prev chat.thread;
    t chat.thread;
    n integer := coalesce(jsonb_array_length(messages), 0);
    ids bigint[];
    md chat.model;
    times timestamptz[];
    ids_by_time bigint[];
    l record;
BEGIN
    PERFORM chat._refresh_statistics();
    SELECT * INTO prev FROM chat.thread th WHERE th.id = tid;
    t := prev;
    IF n > 0 THEN
        /* the ids, increasing, drawn under the thread's lock */
        IF chat._citus() THEN
            /*
             * Citus (citus.sql): a message id is time | sequence | node, so
             * that ids follow time across nodes; the sequence alone would
             * put them below the thread's live messages
             */
            ids := '{}';
            FOR k IN 1..n LOOP
                ids := ids || chat._citus_message_id(coalesce(ids[k - 1], prev.last_message_id));
            END LOOP;
        ELSE
            ids := ARRAY(SELECT s.id FROM (SELECT nextval('chat.message_id_seq') AS id FROM generate_series(1, n)) s
                          ORDER BY s.id);
        END IF;
        /* first the thread counts them: the trigger then keeps each row as it comes */
        /*
         * the newest message read first, and no subscript in the SET: Citus
         * 13.2 crashes deparsing an UPDATE with either
         */
        SELECT ids[n] AS id, (x.m ->> 'sender_id')::chat.user_id AS sender_id, (x.m ->> 'sent_at')::timestamptz AS sent_at,
               x.m ->> 'content' AS content, (x.m ->> 'deleted_at')::timestamptz AS deleted_at
          INTO l
          FROM jsonb_array_elements(messages) WITH ORDINALITY AS x(m, ord)
         ORDER BY (x.m ->> 'sent_at')::timestamptz DESC, x.ord DESC
         LIMIT 1;
        UPDATE chat.thread th
           SET message_count = th.message_count + n,
               last_message_id = l.id,
               last_sender_id = l.sender_id,
               last_sent_at = l.sent_at,
               last_preview = CASE WHEN l.deleted_at IS NULL THEN left(l.content, 100) END
         WHERE th.id = tid
        RETURNING th.* INTO t;
        /* in the order of sent_at (ties: the order given), so the ids increase with it */
        INSERT INTO chat.message (thread_id, id, sender_id, kind, content, sent_at, edited_at, deleted_at)
        SELECT tid, ids[p.rank], p.sender_id, p.kind, p.content, p.sent_at, p.edited_at, p.deleted_at
          FROM (SELECT (x.m ->> 'sender_id')::chat.user_id AS sender_id,
                       coalesce(x.m ->> 'kind', 'text')::chat.message_kind AS kind,
                       x.m ->> 'content' AS content,
                       (x.m ->> 'sent_at')::timestamptz AS sent_at,
                       (x.m ->> 'edited_at')::timestamptz AS edited_at,
                       (x.m ->> 'deleted_at')::timestamptz AS deleted_at,
                       row_number() OVER (ORDER BY (x.m ->> 'sent_at')::timestamptz, x.ord) AS rank
                  FROM jsonb_array_elements(messages) WITH ORDINALITY AS x(m, ord)) p
         ORDER BY p.rank;
        /* a swapped message model: a row of defaults for each, as for every new message */
        md := chat._swapped('message');
        IF md.tbl IS NOT NULL THEN
            EXECUTE format('INSERT INTO %s (thread_id, message_id)
                            SELECT m.thread_id, m.id FROM chat.message m WHERE m.thread_id = $1 AND m.id > $2',
                           md.tbl)
                USING tid, coalesce(prev.last_message_id, 0);
        END IF;
    END IF;

    /*
     * Every member's read state, once.  A read_until is found by binary
     * search (width_bucket) in the thread's send times in id order, which
     * never decrease (an import sorts by sent_at and appends; a reply takes
     * the clock under the thread's lock): its position is how many messages
     * the member has read, the id there its pointer, and its own messages
     * after the pointer, found likewise in the ids it sent, count as read
     * too.  So members x log(messages), not members x messages.
     */
    IF EXISTS (SELECT FROM jsonb_array_elements(coalesce(members, '[]')) AS x(m) WHERE x.m ->> 'read_until' IS NOT NULL) THEN
        SELECT array_agg(m.sent_at ORDER BY m.id), array_agg(m.id ORDER BY m.id) INTO times, ids_by_time
          FROM chat.message m WHERE m.thread_id = tid;
    END IF;
    WITH said AS (
        SELECT (x.m ->> 'user_id')::chat.user_id AS user_id,
               (x.m ->> 'read_until')::timestamptz AS read_until,
               (x.m ->> 'deleted')::boolean AS deleted
          FROM jsonb_array_elements(coalesce(members, '[]')) AS x(m)
    ), sent AS (
        SELECT m.sender_id, array_agg(m.id ORDER BY m.id) AS ids
          FROM chat.message m
         WHERE m.thread_id = tid AND m.sender_id IS NOT NULL AND times IS NOT NULL
         GROUP BY m.sender_id
    ), own AS (
        SELECT m.sender_id, count(*) AS n
          FROM chat.message m
         WHERE m.thread_id = tid AND m.id > coalesce(prev.last_message_id, 0) AND m.sender_id IS NOT NULL
         GROUP BY m.sender_id
    ), placed AS MATERIALIZED (
        SELECT s.user_id, p.pos, CASE WHEN p.pos > 0 THEN ids_by_time[p.pos] ELSE 0 END AS target
          FROM said s,
               LATERAL (SELECT CASE WHEN times IS NULL THEN 0 ELSE width_bucket(s.read_until, times) END AS pos) p
         WHERE s.read_until IS NOT NULL
    ), state AS MATERIALIZED (
        SELECT mb.user_id, s.deleted,
               CASE WHEN pl.user_id IS NOT NULL THEN pl.target
                    WHEN mb.read_count >= prev.message_count THEN coalesce(t.last_message_id, 0)
                    ELSE mb.read_id END AS read_id,
               CASE WHEN pl.user_id IS NOT NULL
                        THEN pl.pos + coalesce(cardinality(se.ids) - width_bucket(pl.target, se.ids), 0)
                    WHEN mb.read_count >= prev.message_count THEN t.message_count
                    ELSE mb.read_count + coalesce(o.n, 0) END AS read_count
          FROM chat.member mb
          LEFT JOIN said s ON s.user_id = mb.user_id
          LEFT JOIN placed pl ON pl.user_id = mb.user_id
          LEFT JOIN sent se ON se.sender_id = mb.user_id AND pl.user_id IS NOT NULL
          LEFT JOIN own o ON o.sender_id = mb.user_id
         WHERE mb.thread_id = tid
    )
    UPDATE chat.member mb
       SET read_id = st.read_id,
           read_count = st.read_count,
           /* imported messages mention no one: recount where the pointer moved over old mentions */
           mention_count = CASE WHEN mb.last_mention_id IS NULL OR st.read_id = mb.read_id THEN mb.mention_count
                                ELSE (SELECT count(*) FROM chat.message m
                                       WHERE m.thread_id = tid AND m.id > st.read_id AND mb.user_id = ANY (m.mentions))
                           END,
           seen_id = CASE WHEN st.read_id < mb.read_id THEN greatest(mb.seen_id, mb.read_id) ELSE mb.seen_id END,
           delivered_id = greatest(mb.delivered_id, st.read_id),
           hidden_id = CASE WHEN st.deleted IS NULL THEN mb.hidden_id
                            WHEN st.deleted THEN coalesce(t.last_message_id, 0) END,
           activity_id = CASE WHEN mb.large THEN mb.activity_id ELSE coalesce(t.last_message_id, 0) END,
           message_count = CASE WHEN mb.large THEN mb.message_count ELSE t.message_count END
      FROM state st
     WHERE mb.thread_id = tid AND mb.user_id = st.user_id
       AND (mb.read_id, mb.read_count, mb.hidden_id, mb.activity_id, mb.message_count)
           IS DISTINCT FROM (st.read_id, st.read_count,
                             CASE WHEN st.deleted IS NULL THEN mb.hidden_id
                                  WHEN st.deleted THEN coalesce(t.last_message_id, 0) END,
                             CASE WHEN mb.large THEN mb.activity_id ELSE coalesce(t.last_message_id, 0) END,
                             CASE WHEN mb.large THEN mb.message_count ELSE t.message_count END);

    IF n > 0 THEN
        PERFORM chat._emit('messages_imported', tid, ids[n], NULL, jsonb_build_object('count', n));
    END IF;
    RETURN n;
END
$$;

/*
 * A new thread with its members and history, from one JSON object (see
 * chat.import_thread); every part is checked before anything is written.
 */
CREATE FUNCTION chat._import_thread(doc jsonb) RETURNS bigint
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    cap bigint := (chat._setting_value('max_members') #>> '{}')::bigint;
    lim integer := chat._setting_value('max_subject_length')::integer;
    k text;
    kind chat.thread_kind;
    subject text;
    n integer;
    users chat.user_id[];
    creator chat.user_id;
    created timestamptz;
    has_owner boolean;
    t chat.thread;
    members bigint;
BEGIN
    PERFORM chat._not_null(doc, 'thread');
    IF jsonb_typeof(doc) <> 'object' THEN
        RAISE EXCEPTION 'thread must be a JSON object' USING ERRCODE = '22023', COLUMN = 'thread',
            HINT = 'Give {"subject": "...", "members": [...], "messages": [...]}.';
    END IF;
    SELECT e.key INTO k FROM jsonb_object_keys(doc) AS e(key)
     WHERE e.key NOT IN ('kind', 'subject', 'created_by', 'created_at', 'is_public', 'members', 'messages')
     ORDER BY 1 LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'unknown field "%" in thread', chat._shown(k) USING ERRCODE = '22023', COLUMN = 'thread',
            HINT = 'A thread has "kind", "subject", "created_by", "created_at", "is_public", "members" and "messages".';
    END IF;

    IF coalesce(jsonb_typeof(doc -> 'kind'), 'null') NOT IN ('null', 'string')
       OR coalesce(doc ->> 'kind', 'private') NOT IN ('private', 'direct', 'group', 'channel') THEN
        RAISE EXCEPTION 'invalid kind in thread' USING ERRCODE = '22023', COLUMN = 'thread',
            HINT = 'Kinds are "private" (the default), "direct", "group" and "channel".';
    END IF;
    kind := coalesce(doc ->> 'kind', 'private');

    IF coalesce(jsonb_typeof(doc -> 'subject'), 'null') NOT IN ('null', 'string') THEN
        RAISE EXCEPTION 'thread.subject must be a string' USING ERRCODE = '22023', COLUMN = 'thread';
    END IF;
    subject := doc ->> 'subject';
    IF kind = 'direct' AND subject IS NOT NULL THEN
        RAISE EXCEPTION 'a direct thread has no subject' USING ERRCODE = '22023', COLUMN = 'thread';
    ELSIF kind <> 'direct' AND subject IS NULL THEN
        RAISE EXCEPTION 'thread.subject must not be null' USING ERRCODE = '22004', COLUMN = 'thread',
            DETAIL = format('A %s has a subject or title.', chat._kind_word(kind));
    ELSIF kind <> 'direct' AND chat._is_blank(subject) THEN
        RAISE EXCEPTION 'thread.subject must not be blank' USING ERRCODE = '22023', COLUMN = 'thread';
    ELSIF char_length(subject) > lim THEN
        RAISE EXCEPTION 'thread.subject is too long' USING ERRCODE = '22001', COLUMN = 'thread',
            DETAIL = format('The subject has %s characters; the limit is %s.', char_length(subject), lim),
            HINT = 'The limit is the setting "max_subject_length".';
    END IF;
    IF coalesce(jsonb_typeof(doc -> 'is_public'), 'null') NOT IN ('null', 'boolean') THEN
        RAISE EXCEPTION 'thread.is_public must be true or false' USING ERRCODE = '22023', COLUMN = 'thread';
    ELSIF kind = 'direct' AND (doc ->> 'is_public')::boolean THEN
        RAISE EXCEPTION 'a direct thread cannot be public' USING ERRCODE = '22023', COLUMN = 'thread';
    END IF;

    IF coalesce(jsonb_typeof(doc -> 'members'), 'null') = 'null' THEN
        RAISE EXCEPTION 'thread.members must not be null' USING ERRCODE = '22004', COLUMN = 'thread';
    END IF;
    n := chat._check_import_members(doc -> 'members', 'thread', 'thread.members', true);
    IF n = 0 THEN
        RAISE EXCEPTION 'thread.members must not be empty' USING ERRCODE = '22023', COLUMN = 'thread',
            HINT = 'A thread has at least one member.';
    END IF;
    users := ARRAY(SELECT (x.m ->> 'user_id')::chat.user_id
                     FROM jsonb_array_elements(doc -> 'members') WITH ORDINALITY AS x(m, ord) ORDER BY x.ord);
    IF kind = 'direct' AND (n <> 2 OR EXISTS (SELECT FROM jsonb_array_elements(doc -> 'members') x(m)
                                               WHERE coalesce(x.m ->> 'role', 'member') <> 'member')) THEN
        RAISE EXCEPTION 'a direct thread has two members, both of role member' USING ERRCODE = '22023', COLUMN = 'thread';
    END IF;
    IF cap IS NOT NULL AND n > cap THEN
        RAISE EXCEPTION 'too many members for a new %', chat._kind_word(kind)
            USING ERRCODE = '54000', COLUMN = 'thread',
                  DETAIL = format('It would have %s members; the limit is %s.', n, cap),
                  HINT = 'The limit is the setting "max_members".';
    END IF;

    IF coalesce(jsonb_typeof(doc -> 'messages'), 'null') <> 'null' THEN
        PERFORM chat._check_import_messages(doc -> 'messages', 'thread', 'thread.messages', NULL);
    END IF;

    IF coalesce(jsonb_typeof(doc -> 'created_by'), 'null') NOT IN ('null', 'number', 'string') THEN
        RAISE EXCEPTION 'thread.created_by must be a user id' USING ERRCODE = '22023', COLUMN = 'thread';
    END IF;
    /* by default who sent the first message, else the first owner, else the first member */
    creator := coalesce((doc ->> 'created_by')::chat.user_id,
                        (SELECT (x.m ->> 'sender_id')::chat.user_id
                           FROM jsonb_array_elements(coalesce(doc -> 'messages', '[]')) WITH ORDINALITY AS x(m, ord)
                          WHERE x.m ->> 'sender_id' IS NOT NULL
                          ORDER BY (x.m ->> 'sent_at')::timestamptz, x.ord LIMIT 1),
                        (SELECT (x.m ->> 'user_id')::chat.user_id
                           FROM jsonb_array_elements(doc -> 'members') WITH ORDINALITY AS x(m, ord)
                          WHERE x.m ->> 'role' = 'owner' ORDER BY x.ord LIMIT 1),
                        users[1]);
    IF coalesce(jsonb_typeof(doc -> 'created_at'), 'null') NOT IN ('null', 'string') THEN
        RAISE EXCEPTION 'thread.created_at must be a string' USING ERRCODE = '22023', COLUMN = 'thread';
    END IF;
    created := chat._import_timestamp(doc ->> 'created_at', 'thread.created_at', 'thread');
    IF NOT isfinite(created) OR created > clock_timestamp() THEN
        RAISE EXCEPTION 'thread.created_at is not a past time' USING ERRCODE = '22023', COLUMN = 'thread';
    END IF;
    created := coalesce(created,
                        (SELECT min((x.m ->> 'sent_at')::timestamptz)
                           FROM jsonb_array_elements(coalesce(doc -> 'messages', '[]')) AS x(m)),
                        now());

    /*
     * On Citus no unique index holds the pair (citus.sql): wait for its other
     * creators as chat.direct_thread does.  "SELECT 1": Citus cannot read
     * every shard for a sub-select without columns.
     */
    IF kind = 'direct' AND chat._citus() THEN
        PERFORM pg_advisory_xact_lock(hashtextextended(format('chat.direct %s %s', least(users[1], users[2]),
                                                              greatest(users[1], users[2])), 0));
    END IF;
    IF kind = 'direct' AND EXISTS (SELECT 1 FROM chat.thread th
                                    WHERE th.kind = 'direct' AND th.direct_low = least(users[1], users[2])
                                      AND th.direct_high = greatest(users[1], users[2])) THEN
        RAISE EXCEPTION 'users "%" and "%" have a direct thread already', least(users[1], users[2]),
                        greatest(users[1], users[2])
            USING ERRCODE = '23505', COLUMN = 'thread',
                  HINT = 'Append the history to it with chat.import_messages(chat.direct_thread(a, b), ...).';
    END IF;

    INSERT INTO chat.thread AS th (kind, subject, created_by, created_at, is_public, direct_low, direct_high)
    VALUES (kind, subject, creator, created, coalesce((doc ->> 'is_public')::boolean, false),
            CASE WHEN kind = 'direct' THEN least(users[1], users[2]) END,
            CASE WHEN kind = 'direct' THEN greatest(users[1], users[2]) END)
    RETURNING th.* INTO t;

    /* no owner named: the creator owns the room (a direct thread has none) */
    has_owner := EXISTS (SELECT FROM jsonb_array_elements(doc -> 'members') x(m) WHERE x.m ->> 'role' = 'owner');
    INSERT INTO chat.member (thread_id, user_id, role, joined_at, muted, archived)
    SELECT t.id, y.user_id,
           CASE WHEN y.role IS NOT NULL THEN y.role::chat.member_role
                WHEN kind <> 'direct' AND NOT has_owner AND y.user_id = creator THEN 'owner'
                ELSE 'member' END,
           coalesce(y.joined_at, created), coalesce(y.muted, false), coalesce(y.archived, false)
      FROM (SELECT (x.m ->> 'user_id')::chat.user_id AS user_id, x.m ->> 'role' AS role,
                   (x.m ->> 'joined_at')::timestamptz AS joined_at,
                   (x.m ->> 'muted')::boolean AS muted, (x.m ->> 'archived')::boolean AS archived
              FROM jsonb_array_elements(doc -> 'members') AS x(m)) y
     ORDER BY y.user_id;
    PERFORM chat._fill_extra('thread', t.id, NULL, NULL, NULL);
    PERFORM chat._fill_extra('member', t.id, NULL, u, NULL) FROM unnest(users) AS u;

    /* read first: a call with a query of chat's tables inside would run on a Citus worker */
    members := (SELECT th.member_count FROM chat.thread th WHERE th.id = t.id);
    PERFORM chat._emit('thread_created', t.id, NULL, creator,
                       jsonb_build_object('thread_kind', kind, 'member_count', members));
    PERFORM chat._import_messages(t.id, coalesce(nullif(doc -> 'messages', 'null'), '[]'), doc -> 'members');
    RETURN t.id;
END
$$;
