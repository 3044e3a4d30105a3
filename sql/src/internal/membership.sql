
/* ========================================================================
 * internal/membership.sql: member rows, thread locks, room creation and leaving
 * ======================================================================== */

/*
 * The member row of (thread, user); raises 42704 for an unknown thread and
 * 42501 for a non-member.  With lock, the member row is locked FOR UPDATE,
 * and in a small thread the thread row FOR SHARE before it: a reply there
 * locks the thread row and then every member row, so taking them in that
 * order keeps chat's operations free of deadlocks, even several in one
 * transaction.
 *
 * A large thread's row is not locked (chat 0.9 on): a reply there writes only
 * its sender's row and the mentioned members' rows, so the share lock would
 * only make a reader wait out every reply's commit flush, and each reply wait
 * out the reader's (issue 15).  The caller reads the thread's counters in one
 * statement instead: message ids increase in commit order, so a snapshot that
 * sees a message sees every message before it, and its count and newest id
 * agree.  A thread only ever becomes large, under its row's lock; the row
 * that turned large meanwhile is rechecked and left unlocked.  The cost: a
 * transaction that marks a large thread read and then replies in it can
 * deadlock (40P01) with a reply that mentions the reader, or is the reader's
 * own from another session.
 */
CREATE FUNCTION chat._member_row(thread bigint, who chat.user_id, lock boolean DEFAULT false)
    RETURNS chat.member
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    m chat.member;
BEGIN
    IF lock THEN
        PERFORM FROM chat.thread t WHERE t.id = thread AND NOT t.large FOR SHARE;
        SELECT * INTO m FROM chat.member mb
         WHERE mb.thread_id = thread AND mb.user_id = who FOR UPDATE;
    ELSE
        SELECT * INTO m FROM chat.member mb
         WHERE mb.thread_id = thread AND mb.user_id = who;
    END IF;
    IF NOT FOUND THEN
        IF NOT EXISTS (SELECT 1 FROM chat.thread t WHERE t.id = thread) THEN
            RAISE EXCEPTION 'thread % does not exist', thread USING ERRCODE = '42704';
        END IF;
        RAISE EXCEPTION 'user "%" is not a member of thread %', who, thread
            USING ERRCODE = '42501', CONSTRAINT = 'not_member';
    END IF;
    RETURN m;
END
$$;

/* The thread row locked against every other membership change; 42704 if none. */
CREATE FUNCTION chat._lock_thread(thread bigint) RETURNS chat.thread
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    t chat.thread;
BEGIN
    PERFORM chat._not_null(thread, 'thread_id');
    SELECT * INTO t FROM chat.thread th WHERE th.id = thread FOR NO KEY UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'thread % does not exist', thread USING ERRCODE = '42704';
    END IF;
    RETURN t;
END
$$;

/* 54000 when adding n members to the locked thread passes max_members. */
CREATE FUNCTION chat._check_cap(t chat.thread, n bigint) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    cap bigint := (chat._setting_value('max_members') #>> '{}')::bigint;
BEGIN
    IF cap IS NOT NULL AND t.member_count + n > cap THEN
        RAISE EXCEPTION 'thread % is full', t.id
            USING ERRCODE = '54000',
                  DETAIL = format('It has %s members; the limit is %s.', t.member_count, cap),
                  HINT = 'The limit is the setting "max_members".';
    END IF;
END
$$;

/*
 * Add users to the locked thread with a role; a new member's read pointer
 * starts at the thread's newest message, so what came before is not unread.
 * Returns the users actually added.
 */
CREATE FUNCTION chat._insert_members(t chat.thread, users chat.user_id[], role chat.member_role)
    RETURNS chat.user_id[]
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    added chat.user_id[];
BEGIN
    SELECT coalesce(array_agg(u ORDER BY u), '{}') INTO added
      FROM (SELECT DISTINCT u FROM unnest(users) AS u) x
     WHERE NOT EXISTS (SELECT 1 FROM chat.member mb WHERE mb.thread_id = t.id AND mb.user_id = x.u);
    PERFORM chat._check_cap(t, cardinality(added));
    INSERT INTO chat.member (thread_id, user_id, role, read_id, read_count, delivered_id)
    SELECT t.id, u, role, coalesce(t.last_message_id, 0), t.message_count, coalesce(t.last_message_id, 0)
      FROM unnest(added) AS u;
    PERFORM chat._fill_extra('member', t.id, NULL, u, NULL) FROM unnest(added) AS u;
    RETURN added;
END
$$;

/* A new member row without permissions gets its role's defaults. */
CREATE FUNCTION chat._member_defaults() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF NEW.permissions IS NULL THEN
        SELECT d.permissions INTO NEW.permissions
          FROM chat.thread t JOIN chat.permission_default d ON d.kind = t.kind AND d.role = NEW.role
         WHERE t.id = NEW.thread_id;
    END IF;
    RETURN NEW;
END
$$;

/*
 * Post a system message ("Alice added Bob"): activity for everyone, read for
 * its sender, the member who caused it.
 */
CREATE FUNCTION chat._system_message(thread bigint, actor chat.user_id, content text) RETURNS bigint
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    mid bigint;
BEGIN
    INSERT INTO chat.message AS m (thread_id, sender_id, kind, content)
    VALUES (thread, actor, 'system', content)
    RETURNING m.id INTO mid;
    PERFORM chat._emit('message_sent', thread, mid, actor,
                       jsonb_build_object('reply', true, 'kind', 'system'));
    RETURN mid;
END
$$;

/* How a user is named in system messages: the display name, else the id. */
CREATE FUNCTION chat._label(u chat.user_id) RETURNS text
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT coalesce(chat.display_name(u), u::text)
$$;

/* The word for a thread in system messages. */
CREATE FUNCTION chat._kind_word(kind chat.thread_kind) RETURNS text
    LANGUAGE sql IMMUTABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT CASE kind WHEN 'group' THEN 'group' WHEN 'channel' THEN 'channel' ELSE 'thread' END
$$;

/*
 * 54000 when a new thread of this kind, with these members and its creator,
 * would pass max_members: checked before the thread exists.  "name" is the
 * argument that lists the members.
 */
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

/* A group or channel with its creator as owner and a "created" message. */
CREATE FUNCTION chat._create_room(kind chat.thread_kind, creator chat.user_id, title text,
                                  members chat.user_id[], is_public boolean, extra jsonb,
                                  object_type text DEFAULT NULL, object_id text DEFAULT NULL)
    RETURNS bigint
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    t chat.thread;
    n integer;
BEGIN
    PERFORM chat._check_new_size(kind, members, creator, 'members');
    INSERT INTO chat.thread AS th (kind, subject, created_by, is_public, object_type, object_id)
    VALUES (kind, title, creator, coalesce(is_public, false), object_type, object_id)
    RETURNING th.* INTO t;
    PERFORM chat._fill_extra('thread', t.id, NULL, NULL, extra);
    PERFORM chat._insert_members(t, ARRAY[creator], 'owner');
    t := chat._lock_thread(t.id);
    PERFORM chat._insert_members(t, array_remove(members, creator), 'member');
    /* the thread's creation before its first message, as clients apply them */
    /* read first: a statement reading chat.thread would run whole on a Citus worker, hooks and all */
    n := (SELECT th.member_count FROM chat.thread th WHERE th.id = t.id);
    PERFORM chat._emit('thread_created', t.id, NULL, creator,
                       jsonb_build_object('thread_kind', kind, 'member_count', n));
    PERFORM chat._system_message(t.id, creator,
                                 format('%s created the %s', chat._label(creator), chat._kind_word(kind)));
    RETURN t.id;
END
$$;

/* create_group and create_channel: check the arguments, then create. */
CREATE FUNCTION chat._new_room(kind chat.thread_kind, creator chat.user_id, title text,
                               members chat.user_id[], is_public boolean, extra jsonb)
    RETURNS bigint
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    PERFORM chat._not_null(creator, 'creator');
    PERFORM chat._not_null(title, 'title');
    PERFORM chat._check_subject(title);
    PERFORM chat._check_users(members, 'members');
    RETURN chat._create_room(kind, creator, title, members, is_public, extra);
END
$$;

/* Remove a member row after its "left"/"removed" message. */
CREATE FUNCTION chat._remove(t chat.thread, m chat.member, actor chat.user_id, content text) RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    PERFORM chat._system_message(t.id, actor, content);
    DELETE FROM chat.member mb WHERE mb.thread_id = t.id AND mb.user_id = m.user_id;
    /* the removed member is told too: it no longer receives the thread's events */
    PERFORM chat._emit('member_removed', t.id, NULL, m.user_id, jsonb_build_object('by', actor),
                       ARRAY[m.user_id]);
END
$$;

/* Is m the only owner of t while others stay? */
CREATE FUNCTION chat._last_owner(t chat.thread, m chat.member) RETURNS boolean
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT m.role = 'owner'
       AND NOT EXISTS (SELECT 1 FROM chat.member mb
                        WHERE mb.thread_id = t.id AND mb.role = 'owner' AND mb.user_id <> m.user_id)
       AND EXISTS (SELECT 1 FROM chat.member mb WHERE mb.thread_id = t.id AND mb.user_id <> m.user_id)
$$;

/* The owner who would leave t last; the oldest admin or NULL when there is none. */
CREATE FUNCTION chat._successor(t chat.thread, leaving chat.user_id) RETURNS chat.user_id
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT mb.user_id FROM chat.member mb
     WHERE mb.thread_id = t.id AND mb.role = 'admin' AND mb.user_id <> leaving
     ORDER BY mb.joined_at, mb.user_id LIMIT 1
$$;

/*
 * A member leaves: leave_thread, and remove_member when the member removes
 * itself.  The last owner hands over to the oldest admin, or cannot leave
 * while other members stay.
 */
CREATE FUNCTION chat._leave(thread bigint, who chat.user_id) RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    t chat.thread;
    m chat.member;
    heir chat.user_id;
BEGIN
    t := chat._lock_thread(thread);
    PERFORM chat._not_null(who, 'user');
    m := chat._member_row(t.id, who);
    IF t.kind = 'direct' THEN
        RAISE EXCEPTION 'cannot leave direct thread %', t.id
            USING ERRCODE = '55000', DETAIL = 'A direct thread has exactly two members.',
                  HINT = 'chat.delete_thread hides it from your inbox.';
    END IF;
    IF chat._last_owner(t, m) THEN
        heir := chat._successor(t, m.user_id);
        IF heir IS NULL THEN
            RAISE EXCEPTION 'the last owner cannot leave thread %', t.id
                USING ERRCODE = '55000',
                      HINT = 'Make another member owner with chat.set_role first.';
        END IF;
        UPDATE chat.member mb
           SET role = 'owner', permissions = d.permissions
          FROM chat.permission_default d
         WHERE mb.thread_id = t.id AND mb.user_id = heir AND d.kind = t.kind AND d.role = 'owner';
        PERFORM chat._system_message(t.id, who,
                                     format('%s is now the owner', chat._label(heir)));
    END IF;
    PERFORM chat._remove(t, m, who, format('%s left', chat._label(who)));
END
$$;
