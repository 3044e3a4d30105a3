/*
 * chat 0.2 -> 0.3: direct chats, groups, channels and object rooms,
 * membership, roles and permissions; receipts, reactions, attachments and
 * forwarding.  Released 2026-11-21; never edited.
 */

\echo Use "ALTER EXTENSION chat UPDATE TO '0.3'" to load this file. \quit

/* ------------------------------------------------------------------------
 * Rooms: direct chats, groups, channels, object rooms
 * ------------------------------------------------------------------------ */

INSERT INTO chat.setting_default (key, value, type, min_value, max_value, description) VALUES
    ('max_members', 'null', 'integer', 1, 10000000,
     'Most members a thread may have (null: no cap); joining or adding past it is refused (54000)');

/* the one direct thread of each unordered pair, and the room of each object */
ALTER TABLE chat.thread ADD COLUMN direct_low chat.user_id, ADD COLUMN direct_high chat.user_id;
/*
 * No CHECK ties direct_low/direct_high to kind = 'direct': chat.thread is
 * written by every message, and PostgreSQL 15 re-reads a table's CHECK
 * constraints for every statement that writes it (about 10 % of a reply).
 * chat.direct_thread is the one writer of the pair; the index below makes
 * the pair unique.
 */
COMMENT ON COLUMN chat.thread.direct_low IS 'Direct thread: the smaller of its two user ids';
COMMENT ON COLUMN chat.thread.direct_high IS 'Direct thread: the larger of its two user ids';
CREATE UNIQUE INDEX thread_direct_key ON chat.thread (direct_low, direct_high) WHERE kind = 'direct';
CREATE UNIQUE INDEX thread_object_key ON chat.thread (object_type, object_id) WHERE object_type IS NOT NULL;

/* ------------------------------------------------------------------------
 * Permissions
 * ------------------------------------------------------------------------ */

CREATE TABLE chat.permission_default (
    kind        chat.thread_kind NOT NULL,
    role        chat.member_role NOT NULL,
    permissions text[] NOT NULL,
    PRIMARY KEY (kind, role)
);
COMMENT ON TABLE chat.permission_default IS
    'What each role may do in each kind of thread; a member starts with its role''s set (chat.grant / chat.revoke change it)';

INSERT INTO chat.permission_default (kind, role, permissions) VALUES
    ('private', 'owner',  '{add_members,remove_members,post,delete_messages,delete_own_messages,edit_own_messages,edit_thread,delete_thread}'),
    ('private', 'admin',  '{add_members,remove_members,post,delete_messages,delete_own_messages,edit_own_messages,edit_thread}'),
    ('private', 'member', '{post,delete_own_messages,edit_own_messages}'),
    ('direct',  'owner',  '{post,delete_own_messages,edit_own_messages,delete_thread}'),
    ('direct',  'admin',  '{post,delete_own_messages,edit_own_messages,delete_thread}'),
    ('direct',  'member', '{post,delete_own_messages,edit_own_messages,delete_thread}'),
    ('group',   'owner',  '{add_members,remove_members,post,delete_messages,delete_own_messages,edit_own_messages,edit_thread,delete_thread}'),
    ('group',   'admin',  '{add_members,remove_members,post,delete_messages,delete_own_messages,edit_own_messages,edit_thread}'),
    ('group',   'member', '{add_members,post,delete_own_messages,edit_own_messages}'),
    ('channel', 'owner',  '{add_members,remove_members,post,delete_messages,delete_own_messages,edit_own_messages,edit_thread,delete_thread}'),
    ('channel', 'admin',  '{add_members,remove_members,post,delete_messages,delete_own_messages,edit_own_messages,edit_thread}'),
    ('channel', 'member', '{add_members,delete_own_messages,edit_own_messages}');

ALTER TABLE chat.member ADD COLUMN permissions text[];
COMMENT ON COLUMN chat.member.permissions IS
    'What the member may do: its role''s defaults (chat.permission_default), changed by chat.grant / chat.revoke, reset by chat.set_role';
UPDATE chat.member mb
   SET permissions = d.permissions
  FROM chat.thread t, chat.permission_default d
 WHERE t.id = mb.thread_id AND d.kind = t.kind AND d.role = mb.role;
ALTER TABLE chat.member ALTER COLUMN permissions SET NOT NULL;

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
CREATE TRIGGER member_defaults
    BEFORE INSERT ON chat.member
    FOR EACH ROW EXECUTE FUNCTION chat._member_defaults();

/* Raise 22023 unless the name is one of the nine permissions. */
CREATE FUNCTION chat._check_permission(permission text) RETURNS void
    LANGUAGE plpgsql IMMUTABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF permission IS NULL THEN
        RAISE EXCEPTION 'argument "permission" must not be null' USING ERRCODE = '22004';
    END IF;
    IF permission NOT IN ('add_members', 'remove_members', 'post', 'delete_messages',
                          'delete_own_messages', 'edit_messages', 'edit_own_messages',
                          'edit_thread', 'delete_thread') THEN
        RAISE EXCEPTION 'unknown permission "%"', permission
            USING ERRCODE = '22023',
                  HINT = 'Permissions are "add_members", "remove_members", "post", "delete_messages", "delete_own_messages", "edit_messages", "edit_own_messages", "edit_thread" and "delete_thread".';
    END IF;
END
$$;

/* Raise 22023 unless the name is a role. */
CREATE FUNCTION chat._check_role(role text) RETURNS chat.member_role
    LANGUAGE plpgsql IMMUTABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF role IS NULL THEN
        RAISE EXCEPTION 'argument "role" must not be null' USING ERRCODE = '22004';
    END IF;
    IF role NOT IN ('owner', 'admin', 'member') THEN
        RAISE EXCEPTION 'unknown role "%"', role
            USING ERRCODE = '22023', HINT = 'Roles are "owner", "admin" and "member".';
    END IF;
    RETURN role::chat.member_role;
END
$$;

/* 42501 unless the member row has the permission; "doing" completes "permission denied to ...". */
CREATE FUNCTION chat._require(m chat.member, permission text, doing text) RETURNS void
    LANGUAGE plpgsql IMMUTABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF NOT (permission = ANY (m.permissions)) THEN
        RAISE EXCEPTION 'permission denied to % in thread %', doing, m.thread_id
            USING ERRCODE = '42501',
                  DETAIL = format('User "%s" (%s) lacks the permission "%s".', m.user_id, m.role, permission);
    END IF;
END
$$;

/* 42501 unless the actor is an owner or an admin acting on a non-owner. */
CREATE FUNCTION chat._require_manager(actor chat.member, target chat.member, doing text) RETURNS void
    LANGUAGE plpgsql IMMUTABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF actor.role NOT IN ('owner', 'admin') THEN
        RAISE EXCEPTION 'permission denied to % in thread %', doing, actor.thread_id
            USING ERRCODE = '42501', DETAIL = 'Only owners and admins may do that.';
    END IF;
    IF actor.role = 'admin' AND target.role = 'owner' THEN
        RAISE EXCEPTION 'permission denied to % in thread %', doing, actor.thread_id
            USING ERRCODE = '42501', DETAIL = 'An admin cannot act on an owner.';
    END IF;
END
$$;

/* ------------------------------------------------------------------------
 * Helpers of membership
 * ------------------------------------------------------------------------ */

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

/* Check a list of users: not NULL, one-dimensional, no NULL element. */
CREATE FUNCTION chat._check_users(users chat.user_id[], name text) RETURNS void
    LANGUAGE plpgsql IMMUTABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    PERFORM chat._not_null(users, name);
    IF array_ndims(users) > 1 THEN
        RAISE EXCEPTION '% must be a one-dimensional array', name USING ERRCODE = '22023';
    END IF;
    IF array_position(users, NULL) IS NOT NULL THEN
        RAISE EXCEPTION '% must not contain null', name USING ERRCODE = '22004';
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
    cap bigint := (chat._setting_value('max_members') #>> '{}')::bigint;
    n bigint := (SELECT count(DISTINCT u) FROM unnest(members || creator) AS u);
BEGIN
    IF cap IS NOT NULL AND n > cap THEN
        RAISE EXCEPTION 'too many members for a new %', chat._kind_word(kind)
            USING ERRCODE = '54000',
                  DETAIL = format('It would have %s members; the limit is %s.', n, cap),
                  HINT = 'The limit is the setting "max_members".';
    END IF;
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

/* ------------------------------------------------------------------------
 * Creating rooms
 * ------------------------------------------------------------------------ */

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

CREATE FUNCTION chat.create_group(creator chat.user_id DEFAULT chat.current_user_id(),
                                  title text DEFAULT NULL,
                                  members chat.user_id[] DEFAULT '{}',
                                  is_public boolean DEFAULT false,
                                  extra jsonb DEFAULT NULL)
    RETURNS bigint
    LANGUAGE sql
    SET search_path = pg_catalog, pg_temp
    AS $$ SELECT chat._new_room('group', creator, title, members, is_public, extra) $$;
COMMENT ON FUNCTION chat.create_group(chat.user_id, text, chat.user_id[], boolean, jsonb) IS
    'A group chat: the creator is its owner, the members plain members; everybody posts and adds members. Returns the thread id';

CREATE FUNCTION chat.create_channel(creator chat.user_id DEFAULT chat.current_user_id(),
                                  title text DEFAULT NULL,
                                  members chat.user_id[] DEFAULT '{}',
                                  is_public boolean DEFAULT false,
                                  extra jsonb DEFAULT NULL)
    RETURNS bigint
    LANGUAGE sql
    SET search_path = pg_catalog, pg_temp
    AS $$ SELECT chat._new_room('channel', creator, title, members, is_public, extra) $$;
COMMENT ON FUNCTION chat.create_channel(chat.user_id, text, chat.user_id[], boolean, jsonb) IS
    'A broadcast channel: only its owner and admins post, everybody may add members. Returns the thread id';

CREATE FUNCTION chat.direct_thread(user_a chat.user_id DEFAULT chat.current_user_id(),
                                   user_b chat.user_id DEFAULT NULL)
    RETURNS bigint
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    lo chat.user_id := least(user_a, user_b);
    hi chat.user_id := greatest(user_a, user_b);
    t chat.thread;
BEGIN
    PERFORM chat._not_null(user_a, 'user_a');
    PERFORM chat._not_null(user_b, 'user_b');
    IF user_a = user_b THEN
        RAISE EXCEPTION 'a direct thread needs two different users' USING ERRCODE = '22023',
            HINT = 'Send a note to yourself with chat.new_message(sender, ARRAY[sender], ...).';
    END IF;
    /* race-free: a concurrent creator of the same pair makes this wait, then find its row */
    INSERT INTO chat.thread AS th (kind, created_by, direct_low, direct_high)
    VALUES ('direct', user_a, lo, hi)
    ON CONFLICT (direct_low, direct_high) WHERE kind = 'direct' DO NOTHING
    RETURNING th.* INTO t;
    IF t.id IS NULL THEN
        RETURN (SELECT th.id FROM chat.thread th
                 WHERE th.kind = 'direct' AND th.direct_low = lo AND th.direct_high = hi);
    END IF;
    PERFORM chat._fill_extra('thread', t.id, NULL, NULL, NULL);
    PERFORM chat._insert_members(t, ARRAY[lo, hi], 'member');
    PERFORM chat._emit('thread_created', t.id, NULL, user_a,
                       jsonb_build_object('kind', 'direct', 'member_count', 2));
    RETURN t.id;
END
$$;
COMMENT ON FUNCTION chat.direct_thread(chat.user_id, chat.user_id) IS
    'The one direct thread of two users, created on first use (either order gives the same thread)';

CREATE FUNCTION chat.object_thread(object_type text,
                                   object_id text,
                                   creator chat.user_id DEFAULT chat.current_user_id(),
                                   title text DEFAULT NULL,
                                   kind text DEFAULT 'group',
                                   is_public boolean DEFAULT true)
    RETURNS bigint
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    tid bigint;
BEGIN
    PERFORM chat._not_null(object_thread.object_type, 'object_type');
    PERFORM chat._not_null(object_thread.object_id, 'object_id');
    PERFORM chat._not_null(creator, 'creator');
    PERFORM chat._not_null(object_thread.kind, 'kind');
    IF object_thread.kind NOT IN ('group', 'channel') THEN
        RAISE EXCEPTION 'an object''s room is a group or a channel, not "%"', object_thread.kind
            USING ERRCODE = '22023';
    END IF;
    IF title IS NOT NULL THEN
        PERFORM chat._check_subject(title);
    END IF;
    SELECT th.id INTO tid FROM chat.thread th
     WHERE th.object_type = object_thread.object_type AND th.object_id = object_thread.object_id;
    IF FOUND THEN
        RETURN tid;
    END IF;
    BEGIN
        RETURN chat._create_room(object_thread.kind::chat.thread_kind, creator, title, '{}',
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
        RETURN tid;
    END;
END
$$;
COMMENT ON FUNCTION chat.object_thread(text, text, chat.user_id, text, text, boolean) IS
    'The room of an application object (object_type, object_id), created on first use with the creator as owner';

/* ------------------------------------------------------------------------
 * Membership
 * ------------------------------------------------------------------------ */

CREATE FUNCTION chat.add_members(thread_id bigint,
                                 actor chat.user_id DEFAULT chat.current_user_id(),
                                 users chat.user_id[] DEFAULT NULL,
                                 role text DEFAULT 'member')
    RETURNS integer
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    r chat.member_role := chat._check_role(add_members.role);
    t chat.thread := chat._lock_thread(add_members.thread_id);
    a chat.member;
    added chat.user_id[];
    u chat.user_id;
BEGIN
    PERFORM chat._not_null(actor, 'actor');
    PERFORM chat._check_users(users, 'users');
    a := chat._member_row(t.id, actor);
    IF t.kind = 'direct' THEN
        RAISE EXCEPTION 'cannot add members to direct thread %', t.id
            USING ERRCODE = '55000', DETAIL = 'A direct thread has exactly two members.',
                  HINT = 'Start a group with chat.create_group.';
    END IF;
    PERFORM chat._require(a, 'add_members', 'add members');
    IF r <> 'member' AND a.role NOT IN ('owner', 'admin') OR r = 'owner' AND a.role <> 'owner' THEN
        RAISE EXCEPTION 'permission denied to add members as % in thread %', r, t.id
            USING ERRCODE = '42501', DETAIL = 'Only owners add owners, and owners and admins add admins.';
    END IF;
    added := chat._insert_members(t, users, r);
    IF cardinality(added) > 0 THEN
        PERFORM chat._system_message(t.id, actor,
            format('%s added %s', chat._label(actor),
                   (SELECT string_agg(chat._label(x), ', ' ORDER BY x) FROM unnest(added) AS x)));
        FOREACH u IN ARRAY added LOOP
            PERFORM chat._emit('member_added', t.id, NULL, u, jsonb_build_object('by', actor, 'role', r));
        END LOOP;
    END IF;
    RETURN cardinality(added);
END
$$;
COMMENT ON FUNCTION chat.add_members(bigint, chat.user_id, chat.user_id[], text) IS
    'Add users to a thread (permission add_members; never to a direct thread); returns how many were not members yet. New members start with earlier messages read';

/* Remove a member row after its "left"/"removed" message. */
CREATE FUNCTION chat._remove(t chat.thread, m chat.member, actor chat.user_id, content text) RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    PERFORM chat._system_message(t.id, actor, content);
    DELETE FROM chat.member mb WHERE mb.thread_id = t.id AND mb.user_id = m.user_id;
    PERFORM chat._emit('member_removed', t.id, NULL, m.user_id, jsonb_build_object('by', actor));
END
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

CREATE FUNCTION chat.leave_thread(thread_id bigint, "user" chat.user_id DEFAULT chat.current_user_id())
    RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    t chat.thread := chat._lock_thread(leave_thread.thread_id);
    m chat.member;
    heir chat.user_id;
BEGIN
    PERFORM chat._not_null(leave_thread."user", 'user');
    m := chat._member_row(t.id, leave_thread."user");
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
        PERFORM chat._system_message(t.id, leave_thread."user",
                                     format('%s is now the owner', chat._label(heir)));
    END IF;
    PERFORM chat._remove(t, m, leave_thread."user", format('%s left', chat._label(leave_thread."user")));
END
$$;
COMMENT ON FUNCTION chat.leave_thread(bigint, chat.user_id) IS
    'Leave a thread (not a direct one). The last owner hands over to the oldest admin, or cannot leave while other members stay';

CREATE FUNCTION chat.remove_member(thread_id bigint,
                                   actor chat.user_id DEFAULT chat.current_user_id(),
                                   member chat.user_id DEFAULT NULL)
    RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    t chat.thread;
    a chat.member;
    m chat.member;
BEGIN
    PERFORM chat._not_null(remove_member.thread_id, 'thread_id');
    PERFORM chat._not_null(actor, 'actor');
    PERFORM chat._not_null(member, 'member');
    IF member = actor THEN
        PERFORM chat.leave_thread(remove_member.thread_id, actor);
        RETURN;
    END IF;
    t := chat._lock_thread(remove_member.thread_id);
    a := chat._member_row(t.id, actor);
    SELECT * INTO m FROM chat.member mb WHERE mb.thread_id = t.id AND mb.user_id = member;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'user "%" is not a member of thread %', member, t.id USING ERRCODE = '42704';
    END IF;
    IF t.kind = 'direct' THEN
        RAISE EXCEPTION 'cannot remove a member of direct thread %', t.id
            USING ERRCODE = '55000', DETAIL = 'A direct thread has exactly two members.';
    END IF;
    PERFORM chat._require(a, 'remove_members', 'remove members');
    PERFORM chat._require_manager(a, m, 'remove members');
    PERFORM chat._remove(t, m, actor, format('%s removed %s', chat._label(actor), chat._label(member)));
END
$$;
COMMENT ON FUNCTION chat.remove_member(bigint, chat.user_id, chat.user_id) IS
    'Remove a member (permission remove_members; an admin cannot remove an owner)';

CREATE FUNCTION chat.join_thread(thread_id bigint, "user" chat.user_id DEFAULT chat.current_user_id())
    RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    t chat.thread := chat._lock_thread(join_thread.thread_id);
BEGIN
    PERFORM chat._not_null(join_thread."user", 'user');
    IF EXISTS (SELECT 1 FROM chat.member mb WHERE mb.thread_id = t.id AND mb.user_id = join_thread."user") THEN
        RETURN;
    END IF;
    IF NOT t.is_public THEN
        RAISE EXCEPTION 'thread % is not public', t.id
            USING ERRCODE = '42501', HINT = 'A member with the permission "add_members" can add you.';
    END IF;
    PERFORM chat._insert_members(t, ARRAY[join_thread."user"], 'member');
    PERFORM chat._system_message(t.id, join_thread."user", format('%s joined', chat._label(join_thread."user")));
    PERFORM chat._emit('member_added', t.id, NULL, join_thread."user", jsonb_build_object('joined', true));
END
$$;
COMMENT ON FUNCTION chat.join_thread(bigint, chat.user_id) IS
    'Join a public thread (no-op for a member); earlier messages start read';

CREATE FUNCTION chat.can_join(thread_id bigint, "user" chat.user_id DEFAULT chat.current_user_id())
    RETURNS boolean
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT coalesce((SELECT t.is_public AND t.kind <> 'direct'
                            AND NOT EXISTS (SELECT 1 FROM chat.member mb WHERE mb.thread_id = t.id AND mb.user_id = $2)
                            AND (t.member_count < (chat._setting_value('max_members') #>> '{}')::bigint
                                 OR chat._setting_value('max_members') = 'null')
                       FROM chat.thread t WHERE t.id = $1), false)
$$;
COMMENT ON FUNCTION chat.can_join(bigint, chat.user_id) IS
    'Could the user join the thread now (public, not yet a member, not full)? False for an unknown thread';

CREATE FUNCTION chat.can_leave(thread_id bigint, "user" chat.user_id DEFAULT chat.current_user_id())
    RETURNS boolean
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT coalesce((SELECT t.kind <> 'direct'
                            AND (NOT chat._last_owner(t, m) OR chat._successor(t, m.user_id) IS NOT NULL)
                       FROM chat.thread t JOIN chat.member m ON m.thread_id = t.id AND m.user_id = $2
                      WHERE t.id = $1), false)
$$;
COMMENT ON FUNCTION chat.can_leave(bigint, chat.user_id) IS
    'Could the user leave the thread now (a member, not of a direct thread, not the last owner without an admin to take over)?';

/* ------------------------------------------------------------------------
 * Roles and permissions
 * ------------------------------------------------------------------------ */

CREATE FUNCTION chat.set_role(thread_id bigint,
                              actor chat.user_id DEFAULT chat.current_user_id(),
                              member chat.user_id DEFAULT NULL,
                              role text DEFAULT NULL)
    RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    r chat.member_role := chat._check_role(set_role.role);
    t chat.thread := chat._lock_thread(set_role.thread_id);
    a chat.member;
    m chat.member;
BEGIN
    PERFORM chat._not_null(actor, 'actor');
    PERFORM chat._not_null(member, 'member');
    a := chat._member_row(t.id, actor);
    SELECT * INTO m FROM chat.member mb WHERE mb.thread_id = t.id AND mb.user_id = member;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'user "%" is not a member of thread %', member, t.id USING ERRCODE = '42704';
    END IF;
    IF t.kind = 'direct' THEN
        RAISE EXCEPTION 'the members of direct thread % have no roles to change', t.id USING ERRCODE = '55000';
    END IF;
    PERFORM chat._require_manager(a, m, 'change roles');
    IF r = 'owner' AND a.role <> 'owner' THEN
        RAISE EXCEPTION 'permission denied to change roles in thread %', t.id
            USING ERRCODE = '42501', DETAIL = 'Only an owner can make an owner.';
    END IF;
    IF m.role = 'owner' AND r <> 'owner' AND NOT EXISTS (
           SELECT 1 FROM chat.member mb WHERE mb.thread_id = t.id AND mb.role = 'owner' AND mb.user_id <> member) THEN
        RAISE EXCEPTION 'thread % would have no owner', t.id
            USING ERRCODE = '55000', HINT = 'Make another member owner first.';
    END IF;
    UPDATE chat.member mb
       SET role = r, permissions = d.permissions
      FROM chat.permission_default d
     WHERE mb.thread_id = t.id AND mb.user_id = member AND d.kind = t.kind AND d.role = r;
END
$$;
COMMENT ON FUNCTION chat.set_role(bigint, chat.user_id, chat.user_id, text) IS
    'Change a member''s role (owners and admins; an admin cannot act on an owner nor make one); the member''s permissions become the role''s defaults';

/* Grant or revoke one permission of a member. */
CREATE FUNCTION chat._change_permission(thread bigint, actor chat.user_id, member chat.user_id,
                                        permission text, add boolean)
    RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    a chat.member;
    m chat.member;
BEGIN
    PERFORM chat._not_null(thread, 'thread_id');
    PERFORM chat._not_null(actor, 'actor');
    PERFORM chat._not_null(member, 'member');
    PERFORM chat._check_permission(permission);
    PERFORM chat._lock_thread(thread);
    a := chat._member_row(thread, actor);
    SELECT * INTO m FROM chat.member mb WHERE mb.thread_id = thread AND mb.user_id = member FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'user "%" is not a member of thread %', member, thread USING ERRCODE = '42704';
    END IF;
    PERFORM chat._require_manager(a, m, CASE WHEN add THEN 'grant permissions' ELSE 'revoke permissions' END);
    UPDATE chat.member mb
       SET permissions = CASE WHEN add THEN array(SELECT DISTINCT p FROM unnest(mb.permissions || permission) AS p ORDER BY p)
                              ELSE array_remove(mb.permissions, permission) END
     WHERE mb.thread_id = thread AND mb.user_id = member;
END
$$;

CREATE FUNCTION chat."grant"(thread_id bigint,
                             actor chat.user_id DEFAULT chat.current_user_id(),
                             member chat.user_id DEFAULT NULL,
                             permission text DEFAULT NULL)
    RETURNS void
    LANGUAGE sql
    SET search_path = pg_catalog, pg_temp
    AS $$ SELECT chat._change_permission($1, $2, $3, $4, true) $$;
COMMENT ON FUNCTION chat."grant"(bigint, chat.user_id, chat.user_id, text) IS
    'Give a member one permission (owners and admins; an admin cannot act on an owner)';

CREATE FUNCTION chat."revoke"(thread_id bigint,
                              actor chat.user_id DEFAULT chat.current_user_id(),
                              member chat.user_id DEFAULT NULL,
                              permission text DEFAULT NULL)
    RETURNS void
    LANGUAGE sql
    SET search_path = pg_catalog, pg_temp
    AS $$ SELECT chat._change_permission($1, $2, $3, $4, false) $$;
COMMENT ON FUNCTION chat."revoke"(bigint, chat.user_id, chat.user_id, text) IS
    'Take one permission from a member (owners and admins; an admin cannot act on an owner)';

CREATE FUNCTION chat.has_permission(thread_id bigint,
                                    "user" chat.user_id DEFAULT chat.current_user_id(),
                                    permission text DEFAULT NULL)
    RETURNS boolean
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    PERFORM chat._check_permission(permission);
    RETURN coalesce((SELECT permission = ANY (mb.permissions) FROM chat.member mb
                      WHERE mb.thread_id = has_permission.thread_id AND mb.user_id = has_permission."user"),
                    false);
END
$$;
COMMENT ON FUNCTION chat.has_permission(bigint, chat.user_id, text) IS
    'May the user do this in the thread? False for a non-member';

/* ------------------------------------------------------------------------
 * Thread settings
 * ------------------------------------------------------------------------ */

CREATE FUNCTION chat.mute(thread_id bigint, "user" chat.user_id DEFAULT chat.current_user_id(),
                          muted boolean DEFAULT true)
    RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    PERFORM chat._not_null(mute.thread_id, 'thread_id');
    PERFORM chat._not_null(mute."user", 'user');
    PERFORM chat._not_null(mute.muted, 'muted');
    PERFORM chat._member_row(mute.thread_id, mute."user", true);
    UPDATE chat.member mb SET muted = mute.muted
     WHERE mb.thread_id = mute.thread_id AND mb.user_id = mute."user";
END
$$;
COMMENT ON FUNCTION chat.mute(bigint, chat.user_id, boolean) IS
    'Mute (or unmute) a thread for the user: still listed, left out of unread_count''s badge';

CREATE FUNCTION chat.rename_thread(thread_id bigint,
                                   actor chat.user_id DEFAULT chat.current_user_id(),
                                   title text DEFAULT NULL)
    RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    t chat.thread := chat._lock_thread(rename_thread.thread_id);
BEGIN
    PERFORM chat._not_null(actor, 'actor');
    PERFORM chat._not_null(title, 'title');
    PERFORM chat._check_subject(title);
    PERFORM chat._require(chat._member_row(t.id, actor), 'edit_thread', 'rename');
    UPDATE chat.thread th SET subject = title WHERE th.id = t.id;
    PERFORM chat._system_message(t.id, actor,
        format('%s renamed the %s to "%s"', chat._label(actor), chat._kind_word(t.kind), title));
END
$$;
COMMENT ON FUNCTION chat.rename_thread(bigint, chat.user_id, text) IS
    'Change the subject or title (permission edit_thread)';

CREATE FUNCTION chat.drop_thread(thread_id bigint, actor chat.user_id DEFAULT chat.current_user_id())
    RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    t chat.thread := chat._lock_thread(drop_thread.thread_id);
BEGIN
    PERFORM chat._not_null(actor, 'actor');
    PERFORM chat._require(chat._member_row(t.id, actor), 'delete_thread', 'delete');
    DELETE FROM chat.thread th WHERE th.id = t.id;
END
$$;
COMMENT ON FUNCTION chat.drop_thread(bigint, chat.user_id) IS
    'Delete a thread and everything in it for everyone (permission delete_thread)';

CREATE FUNCTION chat.members(thread_id bigint, viewer chat.user_id DEFAULT chat.current_user_id())
    RETURNS TABLE (user_id chat.user_id, role text, joined_at timestamptz, muted boolean,
                   permissions text[], extra jsonb)
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
#variable_conflict use_column
DECLARE
    md chat.model := chat._swapped('member');
    extras jsonb;
BEGIN
    PERFORM chat._not_null(members.thread_id, 'thread_id');
    PERFORM chat._not_null(viewer, 'viewer');
    PERFORM chat._member_row(members.thread_id, viewer);
    IF md.tbl IS NOT NULL THEN
        EXECUTE format('SELECT jsonb_object_agg(x.user_id::text, %s) FROM %s x WHERE x.thread_id = $1',
                       CASE WHEN md.renderer IS NULL THEN $q$to_jsonb(x) - 'thread_id' - 'user_id'$q$
                            ELSE format($q$%s(to_jsonb(x) - 'thread_id' - 'user_id')$q$, md.renderer::regproc) END,
                       md.tbl)
           INTO extras USING members.thread_id;
    END IF;
    RETURN QUERY
    SELECT mb.user_id, mb.role::text, mb.joined_at, mb.muted, mb.permissions, extras -> (mb.user_id::text)
      FROM chat.member mb
     WHERE mb.thread_id = members.thread_id
     ORDER BY mb.role, mb.joined_at, mb.user_id;
END
$$;
COMMENT ON FUNCTION chat.members(bigint, chat.user_id) IS
    'The members of a thread the viewer belongs to: role, join time, muted, permissions and the member model''s extra';

/* ------------------------------------------------------------------------
 * Permissions in the functions of 0.1 and 0.2
 *
 * new_reply's "post" is checked by the message trigger (src/unread.c), from
 * the sender's row it updates anyway.
 * ------------------------------------------------------------------------ */

CREATE OR REPLACE FUNCTION chat.edit_message(message_id bigint,
                                             editor chat.user_id DEFAULT chat.current_user_id(),
                                             content text DEFAULT NULL)
    RETURNS bigint
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    m chat.message;
    who chat.member;
BEGIN
    PERFORM chat._not_null(message_id, 'message_id');
    PERFORM chat._not_null(editor, 'editor');
    PERFORM chat._check_content(content);
    m := chat._message_row(message_id);
    who := chat._member_row(m.thread_id, editor);
    IF m.kind = 'system' THEN
        RAISE EXCEPTION 'cannot edit system message %', message_id USING ERRCODE = '55000';
    END IF;
    IF m.sender_id IS NOT DISTINCT FROM editor THEN
        IF NOT ('edit_own_messages' = ANY (who.permissions)) THEN
            RAISE EXCEPTION 'permission denied to edit message %', message_id
                USING ERRCODE = '42501', DETAIL = 'The permission "edit_own_messages" was revoked.';
        END IF;
    ELSIF NOT ('edit_messages' = ANY (who.permissions)) THEN
        RAISE EXCEPTION 'permission denied to edit message %', message_id
            USING ERRCODE = '42501', DETAIL = 'Only its sender may edit a message, or a member with the permission "edit_messages".';
    END IF;
    UPDATE chat.message mg SET content = edit_message.content
     WHERE mg.thread_id = m.thread_id AND mg.id = m.id AND mg.deleted_at IS NULL;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'cannot edit deleted message %', message_id USING ERRCODE = '55000';
    END IF;
    PERFORM chat._emit('message_edited', m.thread_id, m.id, editor);
    RETURN m.id;
END
$$;

CREATE OR REPLACE FUNCTION chat.delete_message(message_id bigint, actor chat.user_id DEFAULT chat.current_user_id())
    RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    m chat.message;
    who chat.member;
BEGIN
    PERFORM chat._not_null(message_id, 'message_id');
    PERFORM chat._not_null(actor, 'actor');
    m := chat._message_row(message_id);
    who := chat._member_row(m.thread_id, actor);
    IF m.sender_id IS NOT DISTINCT FROM actor THEN
        IF NOT ('delete_own_messages' = ANY (who.permissions)) THEN
            RAISE EXCEPTION 'permission denied to delete message %', message_id
                USING ERRCODE = '42501', DETAIL = 'The permission "delete_own_messages" was revoked.';
        END IF;
    ELSIF NOT ('delete_messages' = ANY (who.permissions)) THEN
        RAISE EXCEPTION 'permission denied to delete message %', message_id
            USING ERRCODE = '42501',
                  DETAIL = 'Only its sender or a member with the permission "delete_messages" (owners and admins) may delete a message.';
    END IF;
    UPDATE chat.message mg SET deleted_at = clock_timestamp()
     WHERE mg.thread_id = m.thread_id AND mg.id = m.id AND mg.deleted_at IS NULL;
    IF FOUND THEN
        PERFORM chat._emit('message_deleted', m.thread_id, m.id, actor);
    END IF;
END
$$;

/*
 * unread_count: the custom plans PostgreSQL makes for the first five calls of
 * a session misjudge a user's large rooms and read all of chat.thread (4-7 ms
 * for a user in 10,000 rooms); the generic plan is the one to keep, as inbox
 * does since 0.1.
 */
ALTER FUNCTION chat.unread_count(chat.user_id) SET plan_cache_mode = force_generic_plan;

/* ------------------------------------------------------------------------
 * Receipts, reactions, attachments, reply-to and forwarding (SPEC §4.3)
 *
 * Receipts are not rows: a member has seen every message up to their seen
 * pointer, greatest(read_id, seen_id), and received every message up to
 * delivered_id.  seen_id keeps the furthest the read pointer ever went, so
 * mark_unread (which moves read_id back) never takes a "seen" back.
 * ------------------------------------------------------------------------ */

CREATE FUNCTION chat._is_emoji(value text) RETURNS boolean
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'chat_is_emoji';
COMMENT ON FUNCTION chat._is_emoji(text) IS
    'True when the text is exactly one emoji (sequences with ZWJ, skin tones, flags, keycaps; src/emoji.c)';

ALTER TABLE chat.member
    ADD COLUMN seen_id bigint NOT NULL DEFAULT 0,
    ADD COLUMN read_at timestamptz,
    ADD COLUMN delivered_at timestamptz;
COMMENT ON COLUMN chat.member.seen_id IS
    'Furthest the read pointer ever went (kept when mark_unread moves read_id back); seen = up to greatest(read_id, seen_id)';
COMMENT ON COLUMN chat.member.read_at IS
    'When mark_read last moved the read pointer forward (NULL: never, or before 0.3)';
COMMENT ON COLUMN chat.member.delivered_at IS
    'When mark_delivered or mark_read last moved the delivered pointer forward (NULL: never, or before 0.3)';

/* ------------------------------------------------------------------------
 * Settings of reactions and attachments
 * ------------------------------------------------------------------------ */

ALTER TABLE chat.setting_default DROP CONSTRAINT setting_default_type_check;
ALTER TABLE chat.setting_default ADD CONSTRAINT setting_default_type_check
    CHECK (type IN ('boolean', 'integer', 'text', 'reactions', 'mime_types'));

INSERT INTO chat.setting_default (key, value, type, min_value, max_value, description) VALUES
    ('reactions', '"any"', 'reactions', NULL, NULL,
     'Allowed reactions: "any" (any text up to max_reaction_length), "emoji" (exactly one emoji) or a JSON array of the allowed ones'),
    ('max_reaction_length', '32', 'integer', 1, 1000,
     'Longest reaction, in characters'),
    ('max_attachments', '10', 'integer', 0, 1000,
     'Most attachments per message; more are refused (54000)'),
    ('max_attachment_size', 'null', 'integer', 0, 9223372036854775807,
     'Largest attachment size in bytes (null: no limit); larger ones are refused (54000)'),
    ('attachment_mime_types', 'null', 'mime_types', NULL, NULL,
     'JSON array of allowed attachment MIME types or patterns such as "image/*" (null: any type)');

/* 0.2's set_setting, plus the types "reactions" and "mime_types". */
CREATE OR REPLACE FUNCTION chat.set_setting(key text, value jsonb) RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
#variable_conflict use_variable
DECLARE
    d chat.setting_default;
    n numeric;
    lim integer;
    bad text;
BEGIN
    IF key IS NULL THEN
        RAISE EXCEPTION 'argument "key" must not be null' USING ERRCODE = '22004';
    END IF;
    SELECT * INTO d FROM chat.setting_default sd WHERE sd.key = set_setting.key;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown setting "%"', key
            USING ERRCODE = '22023',
                  HINT = 'SELECT key FROM chat.settings lists the settings.';
    END IF;

    IF value IS NULL OR value = 'null'::jsonb THEN
        DELETE FROM chat.setting s WHERE s.key = d.key;
        RETURN d.value;
    END IF;

    IF d.type = 'boolean' AND jsonb_typeof(value) <> 'boolean' THEN
        RAISE EXCEPTION 'invalid value for setting "%": %', key, value
            USING ERRCODE = '22023', DETAIL = 'The setting takes true or false.';
    ELSIF d.type = 'integer' THEN
        IF jsonb_typeof(value) <> 'number' OR value::numeric <> trunc(value::numeric) THEN
            RAISE EXCEPTION 'invalid value for setting "%": %', key, value
                USING ERRCODE = '22023', DETAIL = 'The setting takes a whole number.';
        END IF;
        n := value::numeric;
        IF n < d.min_value OR n > d.max_value THEN
            RAISE EXCEPTION 'value % is out of range for setting "%"', value, key
                USING ERRCODE = '22023',
                      DETAIL = format('The setting takes a number from %s to %s.', d.min_value, d.max_value);
        END IF;
    ELSIF d.type = 'text' THEN
        IF jsonb_typeof(value) <> 'string' THEN
            RAISE EXCEPTION 'invalid value for setting "%": %', key, value
                USING ERRCODE = '22023', DETAIL = 'The setting takes a string.';
        END IF;
        n := char_length(value #>> '{}');
        IF n < d.min_value OR n > d.max_value THEN
            RAISE EXCEPTION 'value % is out of range for setting "%"', value, key
                USING ERRCODE = '22023',
                      DETAIL = format('The setting takes a string of %s to %s characters.', d.min_value, d.max_value);
        END IF;
    ELSIF d.type = 'reactions' THEN
        IF jsonb_typeof(value) = 'string' AND value #>> '{}' IN ('any', 'emoji') THEN
            NULL;
        ELSIF jsonb_typeof(value) <> 'array' OR jsonb_array_length(value) NOT BETWEEN 1 AND 200
              OR EXISTS (SELECT 1 FROM jsonb_array_elements(value) e WHERE jsonb_typeof(e) <> 'string')
              OR (SELECT count(DISTINCT e) <> count(*) FROM jsonb_array_elements(value) e) THEN
            RAISE EXCEPTION 'invalid value for setting "%": %', key, value
                USING ERRCODE = '22023',
                      DETAIL = 'The setting takes "any", "emoji" or a JSON array of 1 to 200 distinct reactions.';
        ELSE
            lim := chat._setting_value('max_reaction_length')::integer;
            SELECT e INTO bad FROM jsonb_array_elements_text(value) e
             WHERE chat._is_blank(e) OR char_length(e) > lim LIMIT 1;
            IF FOUND THEN
                RAISE EXCEPTION 'invalid reaction "%" in setting "%"', bad, key
                    USING ERRCODE = '22023',
                          DETAIL = format('A reaction is not blank and has at most %s characters (the setting "max_reaction_length").', lim);
            END IF;
        END IF;
    ELSIF d.type = 'mime_types' THEN
        IF jsonb_typeof(value) <> 'array' OR jsonb_array_length(value) NOT BETWEEN 1 AND 200
           OR EXISTS (SELECT 1 FROM jsonb_array_elements(value) e WHERE jsonb_typeof(e) <> 'string') THEN
            RAISE EXCEPTION 'invalid value for setting "%": %', key, value
                USING ERRCODE = '22023',
                      DETAIL = 'The setting takes null or a JSON array of 1 to 200 MIME types such as "image/png" or "image/*".';
        END IF;
        SELECT e INTO bad FROM jsonb_array_elements_text(value) e
         WHERE e !~ '^([A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*/([A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*|\*)|\*/\*)$' LIMIT 1;
        IF FOUND THEN
            RAISE EXCEPTION 'invalid MIME type "%" in setting "%"', bad, key
                USING ERRCODE = '22023',
                      HINT = 'Give types as "type/subtype", "type/*" or "*/*".';
        END IF;
    END IF;

    INSERT INTO chat.setting AS s (key, value) VALUES (d.key, value)
        ON CONFLICT ON CONSTRAINT setting_pkey DO UPDATE SET value = excluded.value;
    RETURN value;
END
$$;

/* ------------------------------------------------------------------------
 * Receipts
 * ------------------------------------------------------------------------ */

/* 0.2's mark_read; also keeps the seen pointer and the times of the moves. */
CREATE OR REPLACE FUNCTION chat.mark_read(thread_id bigint,
                                          reader chat.user_id DEFAULT chat.current_user_id(),
                                          up_to bigint DEFAULT NULL)
    RETURNS bigint
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    tid bigint := mark_read.thread_id;
    m chat.member;
    pos record;
BEGIN
    PERFORM chat._not_null(tid, 'thread_id');
    PERFORM chat._not_null(reader, 'reader');
    m := chat._member_row(tid, reader, true);
    IF up_to IS NOT NULL THEN
        PERFORM chat._message_in(tid, up_to);
    END IF;
    pos := chat._read_position(tid, reader, up_to, false);
    IF pos.target <= m.read_id THEN
        RETURN 0;
    END IF;
    /* clock_timestamp: taken after the snapshot, so after the messages' commit */
    UPDATE chat.member mb
       SET read_id = pos.target, read_count = pos.read_count,
           seen_id = greatest(mb.seen_id, pos.target),
           read_at = clock_timestamp(),
           delivered_at = CASE WHEN pos.target > mb.delivered_id THEN clock_timestamp() ELSE mb.delivered_at END,
           delivered_id = greatest(mb.delivered_id, pos.target)
     WHERE mb.thread_id = tid AND mb.user_id = reader;
    PERFORM chat._emit('thread_read', tid, pos.target, reader,
                       jsonb_build_object('read', greatest(pos.read_count - m.read_count, 0)));
    RETURN greatest(pos.read_count - m.read_count, 0);
END
$$;

/* 0.1's mark_unread; the read pointer goes back, the seen pointer stays. */
CREATE OR REPLACE FUNCTION chat.mark_unread(thread_id bigint,
                                            reader chat.user_id DEFAULT chat.current_user_id(),
                                            from_message bigint DEFAULT NULL)
    RETURNS bigint
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    tid bigint := mark_unread.thread_id;
    m chat.member;
    pos record;
BEGIN
    PERFORM chat._not_null(tid, 'thread_id');
    PERFORM chat._not_null(reader, 'reader');
    m := chat._member_row(tid, reader, true);
    IF from_message IS NOT NULL THEN
        PERFORM chat._message_in(tid, from_message);
    END IF;
    pos := chat._read_position(tid, reader, from_message, true);
    IF pos.target >= m.read_id THEN
        RETURN 0;
    END IF;
    UPDATE chat.member mb
       SET read_id = pos.target, read_count = pos.read_count,
           seen_id = greatest(mb.seen_id, mb.read_id)
     WHERE mb.thread_id = tid AND mb.user_id = reader;
    RETURN greatest(m.read_count - pos.read_count, 0);
END
$$;

/* 0.1's mark_delivered; also records when the pointer moved. */
CREATE OR REPLACE FUNCTION chat.mark_delivered(reader chat.user_id DEFAULT chat.current_user_id(),
                                               thread_id bigint DEFAULT NULL,
                                               up_to bigint DEFAULT NULL)
    RETURNS bigint
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    tid bigint := mark_delivered.thread_id;
    target bigint;
    moved bigint;
BEGIN
    PERFORM chat._not_null(reader, 'reader');
    IF tid IS NULL THEN
        IF up_to IS NOT NULL THEN
            RAISE EXCEPTION 'up_to needs a thread_id' USING ERRCODE = '22023';
        END IF;
        /* thread rows first, in id order, as everywhere: see chat._member_row */
        PERFORM FROM chat.thread t JOIN chat.member mb ON mb.thread_id = t.id
          WHERE mb.user_id = reader AND t.last_message_id > mb.delivered_id
          ORDER BY t.id
          FOR SHARE OF t;
        UPDATE chat.member mb
           SET delivered_id = t.last_message_id, delivered_at = clock_timestamp()
          FROM chat.thread t
         WHERE mb.user_id = reader AND t.id = mb.thread_id
           AND t.last_message_id > mb.delivered_id;
        GET DIAGNOSTICS moved = ROW_COUNT;
        RETURN moved;
    END IF;

    PERFORM chat._member_row(tid, reader, true);
    IF up_to IS NULL THEN
        SELECT coalesce(t.last_message_id, 0) INTO target FROM chat.thread t WHERE t.id = tid;
    ELSE
        target := (chat._message_in(tid, up_to)).id;
    END IF;
    UPDATE chat.member mb
       SET delivered_id = target, delivered_at = clock_timestamp()
     WHERE mb.thread_id = tid AND mb.user_id = reader AND mb.delivered_id < target;
    GET DIAGNOSTICS moved = ROW_COUNT;
    RETURN moved;
END
$$;

/*
 * The receipt of one member for one message: 'seen', 'delivered' or NULL,
 * and when.  The time is that of the member's last pointer move, shown only
 * when it is not older than the message: a pointer moved by the member's own
 * sending has no time of its own, so the receipt's time is then unknown.
 */
/*
 * Receipts row by row, derived from the members' pointers: the one place the
 * rule is written.  A view, so that the planner inlines it (a function with
 * SET search_path is never inlined, and calling one per member was 8 times
 * slower in a 10,000-member group).
 */
CREATE VIEW chat.message_receipt WITH (security_invoker = true) AS
    SELECT m.id AS message_id, mb.user_id,
           CASE WHEN greatest(mb.read_id, mb.seen_id) >= m.id THEN 'seen' ELSE 'delivered' END AS status,
           CASE WHEN greatest(mb.read_id, mb.seen_id) >= m.id
                THEN CASE WHEN mb.read_at >= m.sent_at THEN mb.read_at END
                ELSE CASE WHEN mb.delivered_at >= m.sent_at THEN mb.delivered_at END
           END AS at
      FROM chat.message m
      JOIN chat.member mb ON mb.thread_id = m.thread_id
                         AND mb.user_id IS DISTINCT FROM m.sender_id
                         AND greatest(mb.read_id, mb.seen_id, mb.delivered_id) >= m.id;
COMMENT ON VIEW chat.message_receipt IS
    'Receipts row by row (the seeds'' MessageReadReceipt), derived from the members'' pointers: filter by message_id, a whole scan joins every message with every member';

CREATE FUNCTION chat.receipts(message_id bigint, viewer chat.user_id DEFAULT chat.current_user_id())
    RETURNS TABLE (user_id chat.user_id, status text, at timestamptz)
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
#variable_conflict use_column
DECLARE
    m chat.message;
BEGIN
    PERFORM chat._not_null(receipts.message_id, 'message_id');
    PERFORM chat._not_null(receipts.viewer, 'viewer');
    m := chat._message_row(receipts.message_id);
    PERFORM chat._member_row(m.thread_id, receipts.viewer);
    RETURN QUERY
    SELECT r.user_id, r.status, r.at
      FROM chat.message_receipt r
     WHERE r.message_id = m.id
     ORDER BY r.user_id;
END
$$;
COMMENT ON FUNCTION chat.receipts(bigint, chat.user_id) IS
    'Delivery and read receipts of a message for a member of its thread: one row per other member who received it (status "delivered") or saw it ("seen"); at is when their pointer last moved, NULL when unknown';

/* ------------------------------------------------------------------------
 * Reactions
 * ------------------------------------------------------------------------ */

CREATE TABLE chat.reaction (
    thread_id  bigint NOT NULL,
    message_id bigint NOT NULL,
    user_id    chat.user_id NOT NULL,
    reaction   text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (thread_id, message_id, user_id, reaction),
    FOREIGN KEY (thread_id, message_id) REFERENCES chat.message (thread_id, id) ON DELETE CASCADE
);
COMMENT ON TABLE chat.reaction IS 'One row per (message, user, reaction): chat.add_reaction, chat.toggle_reaction';
COMMENT ON COLUMN chat.reaction.created_at IS 'When the reaction was added; reactions are listed by first use';
SELECT pg_catalog.pg_extension_config_dump('chat.reaction', '');

/*
 * The message a user may react to: it exists (42704), the user is a member
 * of its thread (42501) and it is not deleted (55000).
 */
CREATE FUNCTION chat._reactable(message bigint, who chat.user_id) RETURNS chat.message
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
    IF m.deleted_at IS NOT NULL THEN
        RAISE EXCEPTION 'cannot react to deleted message %', message USING ERRCODE = '55000';
    END IF;
    RETURN m;
END
$$;

/* A reaction allowed by the settings "reactions" and "max_reaction_length". */
CREATE FUNCTION chat._check_reaction(reaction text) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    allowed jsonb := chat._setting_value('reactions');
    lim integer := chat._setting_value('max_reaction_length')::integer;
BEGIN
    PERFORM chat._not_null(reaction, 'reaction');
    IF chat._is_blank(reaction) THEN
        RAISE EXCEPTION 'reaction must not be blank' USING ERRCODE = '22023';
    END IF;
    IF char_length(reaction) > lim THEN
        RAISE EXCEPTION 'reaction is too long'
            USING ERRCODE = '22001',
                  DETAIL = format('The reaction has %s characters; the limit is %s.', char_length(reaction), lim),
                  HINT = 'The limit is the setting "max_reaction_length".';
    END IF;
    IF allowed = '"emoji"' THEN
        IF NOT chat._is_emoji(reaction) THEN
            RAISE EXCEPTION 'reaction "%" is not an emoji', reaction
                USING ERRCODE = '22023',
                      HINT = 'The setting "reactions" is "emoji": a reaction is exactly one emoji.';
        END IF;
    ELSIF jsonb_typeof(allowed) = 'array' AND NOT allowed ? reaction THEN
        RAISE EXCEPTION 'reaction "%" is not allowed', reaction
            USING ERRCODE = '22023',
                  HINT = format('Allowed reactions are %s (the setting "reactions").',
                                (SELECT string_agg(format('"%s"', e), ', ') FROM jsonb_array_elements_text(allowed) e));
    END IF;
END
$$;

CREATE FUNCTION chat.add_reaction(message_id bigint,
                                  "user" chat.user_id DEFAULT chat.current_user_id(),
                                  reaction text DEFAULT NULL)
    RETURNS boolean
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    m chat.message := chat._reactable(add_reaction.message_id, add_reaction."user");
BEGIN
    PERFORM chat._check_reaction(add_reaction.reaction);
    INSERT INTO chat.reaction AS r (thread_id, message_id, user_id, reaction)
    VALUES (m.thread_id, m.id, add_reaction."user", add_reaction.reaction)
    ON CONFLICT ON CONSTRAINT reaction_pkey DO NOTHING;
    IF NOT FOUND THEN
        RETURN false;
    END IF;
    PERFORM chat._emit('reaction_added', m.thread_id, m.id, add_reaction."user",
                       jsonb_build_object('reaction', add_reaction.reaction));
    RETURN true;
END
$$;
COMMENT ON FUNCTION chat.add_reaction(bigint, chat.user_id, text) IS
    'React to a message of a thread the user belongs to (the setting "reactions" says what is allowed); returns false when the user had that reaction already';

CREATE FUNCTION chat.remove_reaction(message_id bigint,
                                     "user" chat.user_id DEFAULT chat.current_user_id(),
                                     reaction text DEFAULT NULL)
    RETURNS boolean
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    m chat.message := chat._reactable(remove_reaction.message_id, remove_reaction."user");
BEGIN
    /* not checked against the settings: a reaction allowed once can always be removed */
    PERFORM chat._not_null(remove_reaction.reaction, 'reaction');
    DELETE FROM chat.reaction r
     WHERE r.thread_id = m.thread_id AND r.message_id = m.id
       AND r.user_id = remove_reaction."user" AND r.reaction = remove_reaction.reaction;
    IF NOT FOUND THEN
        RETURN false;
    END IF;
    PERFORM chat._emit('reaction_removed', m.thread_id, m.id, remove_reaction."user",
                       jsonb_build_object('reaction', remove_reaction.reaction));
    RETURN true;
END
$$;
COMMENT ON FUNCTION chat.remove_reaction(bigint, chat.user_id, text) IS
    'Take back the user''s reaction to a message; returns false when there was none';

/*
 * Delete the reaction, or add it when there was none.  Two toggles racing
 * for the same row both win in turn: the second one's insert waits for the
 * first one's and, finding the row, goes round again and deletes it.
 */
CREATE FUNCTION chat.toggle_reaction(message_id bigint,
                                     "user" chat.user_id DEFAULT chat.current_user_id(),
                                     reaction text DEFAULT NULL)
    RETURNS boolean
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    m chat.message := chat._reactable(toggle_reaction.message_id, toggle_reaction."user");
BEGIN
    PERFORM chat._not_null(toggle_reaction.reaction, 'reaction');
    LOOP
        DELETE FROM chat.reaction r
         WHERE r.thread_id = m.thread_id AND r.message_id = m.id
           AND r.user_id = toggle_reaction."user" AND r.reaction = toggle_reaction.reaction;
        IF FOUND THEN
            PERFORM chat._emit('reaction_removed', m.thread_id, m.id, toggle_reaction."user",
                               jsonb_build_object('reaction', toggle_reaction.reaction));
            RETURN false;
        END IF;
        PERFORM chat._check_reaction(toggle_reaction.reaction);
        INSERT INTO chat.reaction AS r (thread_id, message_id, user_id, reaction)
        VALUES (m.thread_id, m.id, toggle_reaction."user", toggle_reaction.reaction)
        ON CONFLICT ON CONSTRAINT reaction_pkey DO NOTHING;
        IF FOUND THEN
            PERFORM chat._emit('reaction_added', m.thread_id, m.id, toggle_reaction."user",
                               jsonb_build_object('reaction', toggle_reaction.reaction));
            RETURN true;
        END IF;
    END LOOP;
END
$$;
COMMENT ON FUNCTION chat.toggle_reaction(bigint, chat.user_id, text) IS
    'Remove the user''s reaction if present, else add it; returns true when it is now present';

CREATE FUNCTION chat.reactions(message_id bigint, viewer chat.user_id DEFAULT chat.current_user_id())
    RETURNS TABLE (reaction text, count bigint, users chat.user_id[], reacted_by_viewer boolean)
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
#variable_conflict use_column
DECLARE
    m chat.message;
BEGIN
    PERFORM chat._not_null(reactions.message_id, 'message_id');
    PERFORM chat._not_null(reactions.viewer, 'viewer');
    m := chat._message_row(reactions.message_id);
    PERFORM chat._member_row(m.thread_id, reactions.viewer);
    RETURN QUERY
    SELECT r.reaction, count(*), array_agg(r.user_id ORDER BY r.created_at, r.user_id),
           bool_or(r.user_id = reactions.viewer)
      FROM chat.reaction r
     WHERE r.thread_id = m.thread_id AND r.message_id = m.id AND m.deleted_at IS NULL
     GROUP BY r.reaction
     ORDER BY min(r.created_at), r.reaction;
END
$$;
COMMENT ON FUNCTION chat.reactions(bigint, chat.user_id) IS
    'Reactions to a message for a member of its thread, by first use: each with its count, its users (oldest first) and whether the viewer is one; none for a deleted message';

/* The reactions column of chat.messages: [{"reaction", "count", "users"}] by first use. */
CREATE FUNCTION chat._reaction_summary(thread bigint, message bigint) RETURNS jsonb
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT coalesce(jsonb_agg(jsonb_build_object('reaction', s.reaction, 'count', s.n, 'users', s.users)
                              ORDER BY s.first, s.reaction), '[]')
      FROM (SELECT r.reaction, count(*) AS n, jsonb_agg(r.user_id ORDER BY r.created_at, r.user_id) AS users,
                   min(r.created_at) AS first
              FROM chat.reaction r
             WHERE r.thread_id = thread AND r.message_id = message
             GROUP BY r.reaction) s
$$;

/* ------------------------------------------------------------------------
 * Attachments
 * ------------------------------------------------------------------------ */

CREATE TABLE chat.attachment (
    thread_id  bigint NOT NULL,
    message_id bigint NOT NULL,
    position   integer NOT NULL CHECK (position > 0),
    key        text NOT NULL,
    name       text,
    mime       text,
    size       bigint CHECK (size >= 0),
    meta       jsonb,
    PRIMARY KEY (thread_id, message_id, position),
    FOREIGN KEY (thread_id, message_id) REFERENCES chat.message (thread_id, id) ON DELETE CASCADE
);
COMMENT ON TABLE chat.attachment IS
    'Files of a message, in order: the bytes live in the application''s storage under key';
COMMENT ON COLUMN chat.attachment.position IS 'Order within the message, from 1';
COMMENT ON COLUMN chat.attachment.key IS 'Storage key or URL of the file';
COMMENT ON COLUMN chat.attachment.name IS 'File name shown to users';
COMMENT ON COLUMN chat.attachment.mime IS 'MIME type, checked against the setting "attachment_mime_types"';
COMMENT ON COLUMN chat.attachment.size IS 'Size in bytes, checked against the setting "max_attachment_size"';
COMMENT ON COLUMN chat.attachment.meta IS 'Any JSON object the application keeps with the file (width, height, duration...)';
SELECT pg_catalog.pg_extension_config_dump('chat.attachment', '');

/*
 * Check the attachments argument of new_message and new_reply: a JSON array
 * of at most max_attachments objects with a "key" and optionally "name",
 * "mime", "size" and "meta"; the type and size limits of the settings.
 */
CREATE FUNCTION chat._check_attachments(attachments jsonb) RETURNS void
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
            USING ERRCODE = '22023',
                  HINT = 'Give [{"key": "...", "name": "...", "mime": "...", "size": 123, "meta": {}}, ...].';
    END IF;
    IF jsonb_array_length(attachments) > lim THEN
        RAISE EXCEPTION 'too many attachments'
            USING ERRCODE = '54000',
                  DETAIL = format('The message has %s attachments; the limit is %s.', jsonb_array_length(attachments), lim),
                  HINT = 'The limit is the setting "max_attachments".';
    END IF;
    FOR a, i IN SELECT e.value, e.ordinality FROM jsonb_array_elements(attachments) WITH ORDINALITY e LOOP
        IF jsonb_typeof(a) <> 'object' THEN
            RAISE EXCEPTION 'attachment % must be a JSON object', i USING ERRCODE = '22023';
        END IF;
        SELECT k INTO f FROM jsonb_object_keys(a) k
         WHERE k NOT IN ('key', 'name', 'mime', 'size', 'meta') ORDER BY k LIMIT 1;
        IF FOUND THEN
            RAISE EXCEPTION 'attachment %: unknown field "%"', i, f
                USING ERRCODE = '22023',
                      HINT = 'The fields are "key", "name", "mime", "size" and "meta".';
        END IF;
        IF jsonb_typeof(a -> 'key') IS DISTINCT FROM 'string' OR chat._is_blank(a ->> 'key') THEN
            RAISE EXCEPTION 'attachment %: "key" must be a non-blank string', i USING ERRCODE = '22023';
        END IF;
        IF jsonb_typeof(a -> 'name') NOT IN ('string', 'null') THEN
            RAISE EXCEPTION 'attachment %: "name" must be a string', i USING ERRCODE = '22023';
        END IF;
        IF jsonb_typeof(a -> 'mime') NOT IN ('string', 'null')
           OR (a ->> 'mime') !~ '^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*$' THEN
            RAISE EXCEPTION 'attachment %: "mime" must be a MIME type such as "image/png"', i USING ERRCODE = '22023';
        END IF;
        IF jsonb_typeof(a -> 'size') NOT IN ('number', 'null') THEN
            RAISE EXCEPTION 'attachment %: "size" must be a whole number', i
                USING ERRCODE = '22023', DETAIL = 'The size is in bytes, 0 or more.';
        ELSIF jsonb_typeof(a -> 'size') = 'number' THEN
            IF (a ->> 'size')::numeric <> trunc((a ->> 'size')::numeric)
               OR (a ->> 'size')::numeric NOT BETWEEN 0 AND 9223372036854775807 THEN
                RAISE EXCEPTION 'attachment %: "size" must be a whole number', i
                    USING ERRCODE = '22023', DETAIL = 'The size is in bytes, 0 or more.';
            END IF;
        END IF;
        IF jsonb_typeof(a -> 'meta') NOT IN ('object', 'null') THEN
            RAISE EXCEPTION 'attachment %: "meta" must be a JSON object', i USING ERRCODE = '22023';
        END IF;
        IF types IS NOT NULL AND (a ->> 'mime') IS NULL THEN
            RAISE EXCEPTION 'attachment %: "mime" is required', i
                USING ERRCODE = '22023',
                      DETAIL = 'The setting "attachment_mime_types" limits the types, so each attachment must give one.';
        END IF;
        IF types IS NOT NULL AND NOT EXISTS (
               SELECT 1 FROM jsonb_array_elements_text(types) t
                WHERE lower(t) IN (lower(a ->> 'mime'), lower(split_part(a ->> 'mime', '/', 1)) || '/*', '*/*')) THEN
            RAISE EXCEPTION 'attachment %: MIME type "%" is not allowed', i, a ->> 'mime'
                USING ERRCODE = '22023',
                      HINT = format('Allowed types are %s (the setting "attachment_mime_types").',
                                    (SELECT string_agg(format('"%s"', t), ', ') FROM jsonb_array_elements_text(types) t));
        END IF;
        IF max_size IS NOT NULL THEN
            IF (a ->> 'size') IS NULL THEN
                RAISE EXCEPTION 'attachment %: "size" is required', i
                    USING ERRCODE = '22023',
                          DETAIL = 'The setting "max_attachment_size" limits the size, so each attachment must give one.';
            END IF;
            IF (a ->> 'size')::numeric > max_size THEN
                RAISE EXCEPTION 'attachment % is too large', i
                    USING ERRCODE = '54000',
                          DETAIL = format('Its size is %s bytes; the limit is %s.', a ->> 'size', max_size),
                          HINT = 'The limit is the setting "max_attachment_size".';
            END IF;
        END IF;
    END LOOP;
END
$$;
COMMENT ON FUNCTION chat._check_attachments(jsonb) IS
    'Raise 22023 / 54000 unless the attachments argument is a JSON array of valid attachments within the settings';

/*
 * Check and store the attachments of a message just inserted, in order
 * (called by new_message, new_reply in C, forward_message never: it copies).
 * A message without content needs at least one attachment (22004).
 */
CREATE FUNCTION chat._add_attachments(thread_id bigint, message_id bigint, attachments jsonb)
    RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    PERFORM chat._check_attachments(attachments);
    IF jsonb_array_length(attachments) = 0
       AND (SELECT m.content IS NULL FROM chat.message m
             WHERE m.thread_id = _add_attachments.thread_id AND m.id = _add_attachments.message_id) THEN
        RAISE EXCEPTION 'argument "content" must not be null'
            USING ERRCODE = '22004', DETAIL = 'A message without content needs at least one attachment.';
    END IF;
    INSERT INTO chat.attachment (thread_id, message_id, position, key, name, mime, size, meta)
    SELECT _add_attachments.thread_id, _add_attachments.message_id, e.ordinality,
           e.value ->> 'key', e.value ->> 'name', e.value ->> 'mime',
           (e.value ->> 'size')::bigint, nullif(e.value -> 'meta', 'null')
      FROM jsonb_array_elements(attachments) WITH ORDINALITY e;
END
$$;
COMMENT ON FUNCTION chat._add_attachments(bigint, bigint, jsonb) IS
    'Check the attachments argument and store it as the message''s ordered attachment rows';

/* The attachments column of chat.messages, in position order. */
CREATE FUNCTION chat._attachment_list(thread bigint, message bigint) RETURNS jsonb
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT coalesce(jsonb_agg(jsonb_build_object('position', a.position, 'key', a.key, 'name', a.name,
                                                 'mime', a.mime, 'size', a.size, 'meta', a.meta)
                              ORDER BY a.position), '[]')
      FROM chat.attachment a
     WHERE a.thread_id = thread AND a.message_id = message
$$;

/* 0.2's new_message; a message of attachments only may have NULL content. */
CREATE OR REPLACE FUNCTION chat.new_message(sender chat.user_id DEFAULT chat.current_user_id(),
                                            recipients chat.user_id[] DEFAULT NULL,
                                            subject text DEFAULT NULL,
                                            content text DEFAULT NULL,
                                            attachments jsonb DEFAULT NULL,
                                            extra jsonb DEFAULT NULL)
    RETURNS bigint
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    tid bigint;
    mid bigint;
    alone boolean;
BEGIN
    PERFORM chat._not_null(sender, 'sender');
    PERFORM chat._not_null(recipients, 'recipients');
    IF array_ndims(recipients) > 1 THEN
        RAISE EXCEPTION 'recipients must be a one-dimensional array' USING ERRCODE = '22023';
    END IF;
    IF cardinality(recipients) = 0 THEN
        RAISE EXCEPTION 'recipients must not be empty' USING ERRCODE = '22023',
            HINT = 'Give at least one user id; send to yourself with ARRAY[sender].';
    END IF;
    IF array_position(recipients, NULL) IS NOT NULL THEN
        RAISE EXCEPTION 'recipients must not contain null' USING ERRCODE = '22004';
    END IF;
    PERFORM chat._check_subject(subject);
    IF attachments IS NULL OR content IS NOT NULL THEN
        PERFORM chat._check_content(content);
    END IF;
    IF attachments IS NOT NULL THEN
        PERFORM chat._check_attachments(attachments);
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

/* ------------------------------------------------------------------------
 * Forwarding
 * ------------------------------------------------------------------------ */

CREATE FUNCTION chat.forward_message(message_id bigint,
                                     to_thread_id bigint,
                                     actor chat.user_id DEFAULT chat.current_user_id(),
                                     comment text DEFAULT NULL)
    RETURNS bigint
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    m chat.message;
    mid bigint;
BEGIN
    PERFORM chat._not_null(forward_message.message_id, 'message_id');
    PERFORM chat._not_null(to_thread_id, 'to_thread_id');
    PERFORM chat._not_null(actor, 'actor');
    m := chat._message_row(forward_message.message_id);
    PERFORM chat._member_row(m.thread_id, actor);
    IF m.deleted_at IS NOT NULL THEN
        RAISE EXCEPTION 'cannot forward deleted message %', m.id USING ERRCODE = '55000';
    END IF;
    IF m.kind = 'system' THEN
        RAISE EXCEPTION 'cannot forward system message %', m.id USING ERRCODE = '55000';
    END IF;
    IF comment IS NOT NULL THEN
        PERFORM chat._check_content(comment);
    END IF;

    /* the trigger refuses an unknown thread (42704) and a sender who may not post there (42501) */
    INSERT INTO chat.message AS mg (thread_id, sender_id, content, forwarded_from)
    VALUES (to_thread_id, actor, m.content, m.id)
    RETURNING mg.id INTO mid;
    INSERT INTO chat.attachment (thread_id, message_id, position, key, name, mime, size, meta)
    SELECT to_thread_id, mid, a.position, a.key, a.name, a.mime, a.size, a.meta
      FROM chat.attachment a
     WHERE a.thread_id = m.thread_id AND a.message_id = m.id;
    PERFORM chat._fill_extra('message', to_thread_id, mid, NULL, NULL);
    PERFORM chat._emit('message_sent', to_thread_id, mid, actor,
                       jsonb_build_object('reply', true, 'kind', 'text', 'forwarded_from', m.id));

    IF comment IS NOT NULL THEN
        PERFORM chat.new_reply(to_thread_id, actor, comment);
    END IF;
    RETURN mid;
END
$$;
COMMENT ON FUNCTION chat.forward_message(bigint, bigint, chat.user_id, text) IS
    'Copy a message (content and attachments) into another thread the actor may post in, with forwarded_from set; a comment follows it as a message of its own. Returns the copy''s id';

/* ------------------------------------------------------------------------
 * chat.messages with reactions, attachments and seen counts
 *
 * seen_count of a page comes from one pass over the thread's seen pointers:
 * the page ids and the pointers at or after the page's oldest id are sorted
 * together, newest first, and a running count of pointers gives, at each
 * page id, how many members have seen it; the sender's own pointer is
 * subtracted.  That is O((page + members) log) per page instead of a scan of
 * the members for every message.  Reactions and attachments are index
 * look-ups per message; a deleted message shows neither.
 * ------------------------------------------------------------------------ */

CREATE OR REPLACE FUNCTION chat.messages(thread_id bigint,
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
    swapped boolean;
BEGIN
    PERFORM chat._not_null(tid, 'thread_id');
    PERFORM chat._not_null(messages.viewer, 'viewer');
    PERFORM chat._check_page_size(n);
    PERFORM chat._member_row(tid, messages.viewer);
    swapped := EXISTS (SELECT 1 FROM chat.model md WHERE md.model = 'message' AND md.tbl IS NOT NULL);

    RETURN QUERY
    WITH p AS (
        (SELECT * FROM chat.message m
          WHERE oldest_first AND m.thread_id = tid AND m.id > lo AND m.id < hi
          ORDER BY m.id LIMIT n)
        UNION ALL
        (SELECT * FROM chat.message m
          WHERE NOT oldest_first AND m.thread_id = tid AND m.id > lo AND m.id < hi
          ORDER BY m.id DESC LIMIT n)),
    s AS (
        SELECT mb.user_id, greatest(mb.read_id, mb.seen_id) AS seen
          FROM chat.member mb
         WHERE mb.thread_id = tid
           AND greatest(mb.read_id, mb.seen_id) >= (SELECT min(pm.id) FROM p pm)),
    c AS (
        SELECT x.id, x.n
          FROM (SELECT u.k AS id, u.is_page,
                       count(*) FILTER (WHERE NOT u.is_page)
                           OVER (ORDER BY u.k DESC, u.is_page ROWS UNBOUNDED PRECEDING) AS n
                  FROM (SELECT pp.id AS k, true AS is_page FROM p pp
                        UNION ALL
                        SELECT ss.seen, false FROM s ss) u) x
         WHERE x.is_page)
    SELECT p.id, p.sender_id, p.kind::text,
           CASE WHEN p.deleted_at IS NULL THEN p.content END,
           p.sent_at, p.edited_at IS NOT NULL, p.deleted_at IS NOT NULL,
           p.parent_id, p.forwarded_from,
           CASE WHEN p.deleted_at IS NULL THEN chat._reaction_summary(tid, p.id) ELSE '[]'::jsonb END,
           CASE WHEN p.deleted_at IS NULL THEN chat._attachment_list(tid, p.id) ELSE '[]'::jsonb END,
           c.n - CASE WHEN own.seen >= p.id THEN 1 ELSE 0 END,
           CASE WHEN swapped
                THEN (SELECT chat._extras('message', ARRAY[tid], array_agg(pe.id)) FROM p pe) -> p.id::text
           END
      FROM p
      JOIN c ON c.id = p.id
      LEFT JOIN s own ON own.user_id = p.sender_id
     ORDER BY p.id;
END
$$;
COMMENT ON FUNCTION chat.messages(bigint, chat.user_id, bigint, bigint, integer) IS
    'A page of a thread for one of its members, oldest first: the newest page, the page before "before", or the page after "after"; reactions by first use and attachments in order ([] when deleted), seen_count = other members who have seen it. extra is the message''s row in the table swapped for model "message"';
