
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
