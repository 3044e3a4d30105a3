
/* ========================================================================
 * internal/unread.sql: triggers and helpers that keep counters, pointers and history exact
 * ======================================================================== */

CREATE FUNCTION chat._message_insert() RETURNS trigger
    LANGUAGE c
    AS 'MODULE_PATHNAME', 'chat_message_insert';
COMMENT ON FUNCTION chat._message_insert() IS
    'Assigns the message id under the thread lock, counts the message and moves read state (src/unread.c)';

/*
 * Messages keep their sender, except that it may become NULL: deleting a user
 * bound with on_delete "anonymize" keeps their messages without a sender.
 * The thread's last sender follows its newest message.
 *
 * This trigger, message_delete and member_delete run with the definer's
 * rights: a role that deletes users from the bound users table reaches them
 * through the foreign keys' cascades, with no right on chat's tables and
 * functions of its own.  Nobody else fires them: end users may not write
 * chat's tables, and a write that row-level security filters out changes no
 * row.
 */
CREATE FUNCTION chat._message_update() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF NEW.id <> OLD.id OR NEW.thread_id <> OLD.thread_id
       OR (NEW.sender_id IS DISTINCT FROM OLD.sender_id AND NEW.sender_id IS NOT NULL)
       OR NEW.kind <> OLD.kind THEN
        RAISE EXCEPTION 'cannot change the id, thread, sender or kind of message %', OLD.id
            USING ERRCODE = '55000';
    END IF;
    IF NEW.parent_id IS NOT NULL AND NEW.forwarded_from IS NOT NULL THEN
        RAISE EXCEPTION 'new row for relation "message" violates check constraint "message_forward_not_reply"'
            USING ERRCODE = '23514', SCHEMA = 'chat', TABLE = 'message', CONSTRAINT = 'message_forward_not_reply',
                  DETAIL = 'A forwarded message cannot be a reply.';
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
 * Recompute a thread's counters and every member's read state from the
 * message rows.  Used after hard deletes; slow but exact.
 */
CREATE FUNCTION chat._recount(thread bigint) RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    UPDATE chat.thread t
       SET message_count = s.n,
           last_message_id = s.last_id,
           last_sender_id = l.sender_id,
           last_sent_at = l.sent_at,
           last_preview = CASE WHEN l.deleted_at IS NULL THEN left(l.content, 100) END
      FROM (SELECT count(*) AS n, max(m.id) AS last_id
              FROM chat.message m WHERE m.thread_id = thread) s
      LEFT JOIN chat.message l ON l.thread_id = thread AND l.id = s.last_id
     WHERE t.id = thread;

    UPDATE chat.member mb
       SET read_count = t.message_count
                        - (SELECT count(*) FROM chat.message m
                            WHERE m.thread_id = mb.thread_id AND m.id > mb.read_id
                              AND m.sender_id IS DISTINCT FROM mb.user_id),
           activity_id = coalesce(t.last_message_id, 0),
           message_count = t.message_count
      FROM chat.thread t
     WHERE t.id = thread AND mb.thread_id = thread;

    /* mentions: only the rows that have or had some */
    UPDATE chat.member mb
       SET mention_count = (SELECT count(*) FROM chat.message m
                             WHERE m.thread_id = thread AND m.id > mb.read_id
                               AND mb.user_id = ANY (m.mentions)),
           last_mention_id = (SELECT max(m.id) FROM chat.message m
                               WHERE m.thread_id = thread AND mb.user_id = ANY (m.mentions))
     WHERE mb.thread_id = thread AND mb.last_mention_id IS NOT NULL;
END
$$;

/*
 * Take deleted messages off a thread's counters: "ids" (ascending) are the
 * thread's messages just deleted and "senders" their senders, in the same
 * order.  Exact when the counters were, and its cost grows with the deleted
 * messages and the thread's members, never with the messages left (a recount
 * of a large room counts every member's unread messages):
 *   message_count loses them all; the newest message is found again by key
 *   when it was among them;
 *   a member's read_count = message_count - unread loses the deleted
 *   messages up to its read pointer and its own after it (others' after it
 *   were unread, and are no longer counted at all).  width_bucket counts the
 *   ids up to the pointer by binary search in the sorted array;
 *   a member's mention_count loses the deleted messages after its pointer
 *   that mentioned it ("mentioned" and "mention_ids": one pair per deleted
 *   message and user it mentions), and its last_mention_id, when deleted, is
 *   found again looking back from it.
 * The thread row is locked first, as by every writer of several member rows,
 * so the member rows do not move under the statement that updates them.
 */
CREATE FUNCTION chat._uncount(thread bigint, ids bigint[], senders chat.user_id[],
                              mentioned chat.user_id[] DEFAULT '{}', mention_ids bigint[] DEFAULT '{}')
    RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    n integer := cardinality(ids);
    t chat.thread;
BEGIN
    UPDATE chat.thread th SET message_count = th.message_count - n
     WHERE th.id = thread
    RETURNING th.* INTO t;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    IF t.last_message_id <= ids[n] THEN
        UPDATE chat.thread th
           SET last_message_id = l.id, last_sender_id = l.sender_id, last_sent_at = l.sent_at,
               last_preview = CASE WHEN l.deleted_at IS NULL THEN left(l.content, 100) END
          FROM (SELECT NULL) one
          LEFT JOIN LATERAL (SELECT m.id, m.sender_id, m.sent_at, m.deleted_at, m.content
                               FROM chat.message m WHERE m.thread_id = thread
                              ORDER BY m.id DESC LIMIT 1) l ON true
         WHERE th.id = thread
        RETURNING th.* INTO t;
    END IF;

    WITH own AS (
        SELECT r.sender, array_agg(r.id ORDER BY r.id) AS sent
          FROM unnest(ids, senders) AS r(id, sender)
         WHERE r.sender IS NOT NULL
         GROUP BY r.sender
    ), gone AS (
        SELECT mb.user_id,
               width_bucket(mb.read_id, ids)
               + coalesce(cardinality(o.sent) - width_bucket(mb.read_id, o.sent), 0) AS read_gone
          FROM chat.member mb
          LEFT JOIN own o ON o.sender = mb.user_id
         WHERE mb.thread_id = thread
    )
    UPDATE chat.member mb
       SET read_count = mb.read_count - g.read_gone,
           activity_id = CASE WHEN mb.large THEN mb.activity_id ELSE coalesce(t.last_message_id, 0) END,
           message_count = CASE WHEN mb.large THEN mb.message_count ELSE t.message_count END
      FROM gone g
     WHERE mb.thread_id = thread AND mb.user_id = g.user_id
       AND (g.read_gone <> 0 OR NOT mb.large);

    IF cardinality(mention_ids) > 0 THEN
        WITH gone AS (
            SELECT x.user_id, x.id FROM unnest(mentioned, mention_ids) AS x(user_id, id)
        )
        UPDATE chat.member mb
           SET mention_count = mb.mention_count
                               - (SELECT count(*) FROM gone g WHERE g.user_id = mb.user_id AND g.id > mb.read_id),
               last_mention_id = CASE WHEN EXISTS (SELECT FROM gone g WHERE g.user_id = mb.user_id AND g.id = mb.last_mention_id)
                                      THEN (SELECT m.id FROM chat.message m
                                             WHERE m.thread_id = thread AND m.id < mb.last_mention_id
                                               AND mb.user_id = ANY (m.mentions)
                                             ORDER BY m.id DESC LIMIT 1)
                                      ELSE mb.last_mention_id END
         WHERE mb.thread_id = thread AND mb.user_id IN (SELECT g.user_id FROM gone g);
    END IF;
END
$$;

/*
 * Deleted messages take their history, reactions and attachments with them;
 * replies to them keep their place without a parent.  Then each thread that
 * is left loses them from its counters (chat._uncount; before 0.9 a recount
 * of the whole thread, chat._recount).  (Hard deletes only: a thread's
 * deletion, a user deleted from a bound users table with on_delete cascade,
 * chat.purge.)
 */
CREATE FUNCTION chat._message_delete() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    tid bigint;
    ids bigint[];
    senders chat.user_id[];
    mentioned chat.user_id[];
    mention_ids bigint[];
BEGIN
    IF chat._citus() THEN
        /*
         * distributed (citus.sql): thread by thread, the removed ids as an
         * array, so each statement runs on the thread's node (Citus cannot
         * ship a transition table)
         */
        FOR tid, ids IN SELECT o.thread_id, array_agg(o.id) FROM removed o GROUP BY 1 ORDER BY 1 LOOP
            DELETE FROM chat.message_edit e WHERE e.thread_id = tid AND e.message_id = ANY (ids);
            DELETE FROM chat.reaction r WHERE r.thread_id = tid AND r.message_id = ANY (ids);
            DELETE FROM chat.attachment a WHERE a.thread_id = tid AND a.message_id = ANY (ids);
            UPDATE chat.message m SET parent_id = NULL WHERE m.thread_id = tid AND m.parent_id = ANY (ids);
        END LOOP;
    ELSE
        DELETE FROM chat.message_edit e USING removed o
         WHERE e.thread_id = o.thread_id AND e.message_id = o.id;
        DELETE FROM chat.reaction r USING removed o
         WHERE r.thread_id = o.thread_id AND r.message_id = o.id;
        DELETE FROM chat.attachment a USING removed o
         WHERE a.thread_id = o.thread_id AND a.message_id = o.id;
        UPDATE chat.message m SET parent_id = NULL
          FROM removed o
         WHERE m.thread_id = o.thread_id AND m.parent_id = o.id;
    END IF;
    FOR tid, ids, senders, mentioned, mention_ids IN
        SELECT o.thread_id, array_agg(o.id ORDER BY o.id), array_agg(o.sender_id ORDER BY o.id),
               coalesce((SELECT array_agg(u ORDER BY x.id, u) FROM removed x, unnest(x.mentions) u
                          WHERE x.thread_id = o.thread_id), '{}'),
               coalesce((SELECT array_agg(x.id ORDER BY x.id, u) FROM removed x, unnest(x.mentions) u
                          WHERE x.thread_id = o.thread_id), '{}')
          FROM removed o
         GROUP BY o.thread_id ORDER BY 1
    LOOP
        /* a thread being deleted needs no recount */
        IF EXISTS (SELECT FROM chat.thread t WHERE t.id = tid) THEN
            PERFORM chat._uncount(tid, ids, senders, mentioned, mention_ids);
        END IF;
    END LOOP;
    RETURN NULL;
END
$$;

/* A deleted thread takes its messages (and theirs) and its members with it. */
CREATE FUNCTION chat._thread_delete() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    tid bigint;
BEGIN
    IF chat._citus() THEN
        /* distributed (citus.sql): thread by thread, so each statement runs on the thread's node */
        FOR tid IN SELECT o.id FROM removed o ORDER BY 1 LOOP
            DELETE FROM chat.message m WHERE m.thread_id = tid;
            DELETE FROM chat.member mb WHERE mb.thread_id = tid;
        END LOOP;
        RETURN NULL;
    END IF;
    DELETE FROM chat.message m USING removed o WHERE m.thread_id = o.id;
    DELETE FROM chat.member mb USING removed o WHERE mb.thread_id = o.id;
    RETURN NULL;
END
$$;

/*
 * TRUNCATE of chat.thread or chat.message empties the tables that hang on it.
 * Those the same statement truncated are empty already and left alone: a
 * table a running TRUNCATE holds cannot be truncated again (Django's flush
 * truncates every table in one statement).  On a Citus cluster the trigger
 * fires for each shard too (chat.thread_102016): the coordinator's, on the
 * table itself, truncates the dependents; "SELECT 1" since Citus cannot read
 * every shard for a sub-select without columns.
 */
CREATE FUNCTION chat._truncate_dependents() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    dependent regclass;
    nonempty boolean;
BEGIN
    IF TG_TABLE_NAME NOT IN ('thread', 'message') THEN
        RETURN NULL;     -- a Citus shard
    END IF;
    FOREACH dependent IN ARRAY CASE TG_TABLE_NAME
        WHEN 'thread' THEN ARRAY['chat.member', 'chat.message']::regclass[]
        ELSE ARRAY['chat.message_edit', 'chat.reaction', 'chat.attachment']::regclass[] END
    LOOP
        EXECUTE format('SELECT EXISTS (SELECT 1 FROM %s)', dependent) INTO nonempty;
        IF nonempty THEN
            EXECUTE format('TRUNCATE %s', dependent);
        END IF;
    END LOOP;
    RETURN NULL;
END
$$;

/*
 * Member rows: keep thread.member_count, give new rows the thread's current
 * position, and switch a thread to "large" once it passes the fan-out limit.
 * The thread row is locked first, as every writer of several member rows does;
 * the statement after the lock sees every membership committed before it, so
 * member_count is a recount, exact under concurrency and when pg_dump restores
 * member rows of a thread whose row already counts them.  A thread becomes
 * large only when its membership grows past the limit: restored member rows
 * do not grow a restored thread row (it counts them already), so a restore
 * keeps each thread's flag whatever the limit is when the rows arrive.
 */
CREATE FUNCTION chat._member_count(changed bigint[]) RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    lim bigint := chat._setting_value('inbox_fanout_limit')::bigint;
    tid bigint;
    n bigint;
BEGIN
    /*
     * The threads locked in id order (changed is sorted), each by its key: on
     * Citus a lock over "= ANY" of several is refused (multi-shard FOR UPDATE),
     * as when deleting a user cascades to his member rows on a worker.
     */
    FOREACH tid IN ARRAY changed LOOP
        PERFORM FROM chat.thread t WHERE t.id = tid FOR NO KEY UPDATE;
    END LOOP;
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

CREATE FUNCTION chat._member_insert() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    changed bigint[] := ARRAY(SELECT DISTINCT a.thread_id FROM added a ORDER BY 1);
    tid bigint;
    users chat.user_id[];
BEGIN
    PERFORM chat._member_count(changed);
    /*
     * thread by thread, by key, as chat._member_count does; the new members
     * as an array, not a join with the transition table (Citus cannot ship
     * one to the shard)
     */
    FOREACH tid IN ARRAY changed LOOP
        users := ARRAY(SELECT a.user_id FROM added a WHERE a.thread_id = tid);
        UPDATE chat.member mb
           SET activity_id = coalesce(t.last_message_id, 0),
               message_count = t.message_count,
               large = t.large
          FROM chat.thread t
         WHERE t.id = tid AND NOT t.large
           AND mb.thread_id = tid AND mb.user_id = ANY (users)
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

CREATE FUNCTION chat._member_delete() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    PERFORM chat._member_count(ARRAY(SELECT DISTINCT thread_id FROM removed ORDER BY 1));
    RETURN NULL;
END
$$;

/*
 * Every thread of a user with what the folders need.  Small threads come from
 * the member row alone (its copies are current); large threads take their
 * position and counts from the thread row.  chat.inbox spells the same union
 * out inline: a function with SET search_path is never inlined, and the inbox
 * must read each branch in order and stop at the page size.
 */
CREATE FUNCTION chat._membership(viewer chat.user_id)
    RETURNS TABLE (thread_id bigint, activity bigint, visible boolean, archived boolean,
                   muted boolean, unread bigint, mentions bigint)
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT mb.thread_id, mb.activity_id,
           mb.hidden_id IS NULL OR mb.hidden_id < mb.activity_id,
           mb.archived, mb.muted, mb.message_count - mb.read_count, mb.mention_count
      FROM chat.member mb
     WHERE mb.user_id = viewer AND NOT mb.large
    UNION ALL
    SELECT mb.thread_id, coalesce(t.last_message_id, 0),
           mb.hidden_id IS NULL OR mb.hidden_id < coalesce(t.last_message_id, 0),
           mb.archived, mb.muted, t.message_count - mb.read_count, mb.mention_count
      FROM chat.member mb
      JOIN chat.thread t ON t.id = mb.thread_id
     WHERE mb.user_id = viewer AND mb.large
$$;

/*
 * Where a member's read pointer goes and how many messages it then counts as
 * read: all but the other members' messages after the pointer.  One statement,
 * so the thread's total and the count come from the same snapshot.  "upto"
 * NULL means the newest message; "before" true means just before "upto".
 */
CREATE FUNCTION chat._read_position(thread bigint, reader chat.user_id, upto bigint, before boolean,
                                    OUT target bigint, OUT read_count bigint)
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT p.target,
           CASE WHEN p.target >= p.last THEN p.total
                ELSE p.total - (SELECT count(*) FROM chat.message m
                                 WHERE m.thread_id = thread AND m.id > p.target
                                   AND m.sender_id IS DISTINCT FROM reader)
           END
      FROM (SELECT CASE WHEN NOT before THEN coalesce(upto, t.last_message_id, 0)
                        ELSE coalesce((SELECT max(mg.id) FROM chat.message mg
                                        WHERE mg.thread_id = thread
                                          AND mg.id < coalesce(upto, t.last_message_id, 0)), 0)
                   END AS target,
                   coalesce(t.last_message_id, 0) AS last,
                   t.message_count AS total
              FROM chat.thread t
             WHERE t.id = thread) p
$$;
