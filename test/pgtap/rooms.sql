-- Rooms (chat 0.3): the catalog shape of the room functions, every error
-- path with its SQLSTATE and proof that the failed call changed nothing, the
-- default permission matrix (4 kinds x 3 roles x 9 permissions) and what
-- grant, revoke and set_role change.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
DROP EXTENSION IF EXISTS chat CASCADE;
SET LOCAL chat.user_id_type = 'bigint';
SET LOCAL chat.user_id = '';
CREATE EXTENSION chat;
-- chat stays off the path, so types print schema-qualified (chat.user_id)
SET LOCAL search_path = public, pg_catalog;

SELECT plan(559);

/* ---- catalog shape --------------------------------------------------------- */

CREATE TEMP TABLE api (name text, args text[], returns text, argnames text[]);
INSERT INTO api VALUES
    ('create_group', '{chat.user_id,text,chat.user_id[],boolean,jsonb}', 'bigint',
     '{creator,title,members,is_public,extra}'),
    ('create_channel', '{chat.user_id,text,chat.user_id[],boolean,jsonb}', 'bigint',
     '{creator,title,members,is_public,extra}'),
    ('direct_thread', '{chat.user_id,chat.user_id}', 'bigint', '{user_a,user_b}'),
    ('object_thread', '{text,text,chat.user_id,text,text,boolean}', 'bigint',
     '{object_type,object_id,creator,title,kind,is_public}'),
    ('add_members', '{bigint,chat.user_id,chat.user_id[],text}', 'integer', '{thread_id,actor,users,role}'),
    ('remove_member', '{bigint,chat.user_id,chat.user_id}', 'void', '{thread_id,actor,member}'),
    ('join_thread', '{bigint,chat.user_id}', 'void', '{thread_id,user}'),
    ('leave_thread', '{bigint,chat.user_id}', 'void', '{thread_id,user}'),
    ('can_join', '{bigint,chat.user_id}', 'boolean', '{thread_id,user}'),
    ('can_leave', '{bigint,chat.user_id}', 'boolean', '{thread_id,user}'),
    ('set_role', '{bigint,chat.user_id,chat.user_id,text}', 'void', '{thread_id,actor,member,role}'),
    ('grant', '{bigint,chat.user_id,chat.user_id,text}', 'void', '{thread_id,actor,member,permission}'),
    ('revoke', '{bigint,chat.user_id,chat.user_id,text}', 'void', '{thread_id,actor,member,permission}'),
    ('has_permission', '{bigint,chat.user_id,text}', 'boolean', '{thread_id,user,permission}'),
    ('mute', '{bigint,chat.user_id,boolean}', 'void', '{thread_id,user,muted}'),
    ('rename_thread', '{bigint,chat.user_id,text}', 'void', '{thread_id,actor,title}'),
    ('drop_thread', '{bigint,chat.user_id}', 'void', '{thread_id,actor}'),
    ('members', '{bigint,chat.user_id}', 'setof record', '{thread_id,viewer}');

SELECT has_function('chat', name, args, format('chat.%s(%s) exists', name, array_to_string(args, ', ')))
  FROM api ORDER BY name;
SELECT function_returns('chat', name, args, returns, format('chat.%s returns %s', name, returns))
  FROM api ORDER BY name;
-- public parameter names, for named notation
SELECT is(p.proargnames[1:cardinality(a.argnames)], a.argnames,
          format('chat.%s takes (%s)', a.name, array_to_string(a.argnames, ', ')))
  FROM api a
  JOIN pg_proc p ON p.proname = a.name AND p.pronamespace = 'chat'::regnamespace
   AND p.pronargs = cardinality(a.args)
 ORDER BY a.name;
-- the acting user defaults to chat.current_user_id()
SELECT ok(pg_get_function_arguments(p.oid) ~ (quote_ident(a.argnames[a.i]) || ' chat.user_id DEFAULT chat.current_user_id\(\)'),
          format('chat.%s: %s defaults to chat.current_user_id()', a.name, a.argnames[a.i]))
  FROM (SELECT a.*, CASE WHEN a.name IN ('create_group', 'create_channel') THEN 1
                         WHEN a.name = 'object_thread' THEN 3
                         WHEN a.name = 'direct_thread' THEN 1
                         ELSE 2 END AS i
          FROM api a) a
  JOIN pg_proc p ON p.proname = a.name AND p.pronamespace = 'chat'::regnamespace
   AND p.pronargs = cardinality(a.args)
 ORDER BY a.name;
-- pinned search_path (or C), and a comment for \df+
SELECT ok(p.prolang = (SELECT oid FROM pg_language WHERE lanname = 'c')
          OR 'search_path=pg_catalog, pg_temp' = ANY (p.proconfig),
          format('chat.%s has a pinned search_path', a.name))
  FROM api a
  JOIN pg_proc p ON p.proname = a.name AND p.pronamespace = 'chat'::regnamespace
   AND p.pronargs = cardinality(a.args)
 ORDER BY a.name;
SELECT ok(obj_description(p.oid, 'pg_proc') IS NOT NULL, format('chat.%s has a comment', a.name))
  FROM api a
  JOIN pg_proc p ON p.proname = a.name AND p.pronamespace = 'chat'::regnamespace
   AND p.pronargs = cardinality(a.args)
 ORDER BY a.name;
-- members() columns
SELECT is((SELECT array_agg(n ORDER BY o) FROM unnest(p.proargnames, p.proargmodes) WITH ORDINALITY u(n, m, o)
            WHERE m = 't'),
          '{user_id,role,joined_at,muted,permissions,extra}'::text[], 'chat.members returns its columns')
  FROM pg_proc p WHERE p.proname = 'members' AND p.pronamespace = 'chat'::regnamespace;
SELECT is(format_type(t, NULL), 'text[]', 'chat.members.permissions is text[]')
  FROM pg_proc p, unnest(p.proallargtypes, p.proargnames) u(t, n)
 WHERE p.proname = 'members' AND p.pronamespace = 'chat'::regnamespace AND u.n = 'permissions';
SELECT is(extversion, (SELECT default_version FROM pg_available_extensions WHERE name = 'chat'),
          'chat is at its default version') FROM pg_extension WHERE extname = 'chat';

/* ---- fixture ---------------------------------------------------------------- */

/*
 * Users 1 (owner), 2 (admin) and 3 (member) in a private thread :p, a group
 * :g and a channel :c; 1 and 2 in the direct thread :d.  :pub is a public
 * group of 1 (owner) and 3 (member).  9 belongs to none of them.
 */
SELECT chat.new_message(1, '{2,3}', 'private', 'hello') AS pm \gset
SELECT thread_id AS p FROM chat.message WHERE id = :pm \gset
SELECT chat.direct_thread(1, 2) AS d \gset
SELECT chat.create_group(1, 'group', '{2,3}') AS g \gset
SELECT chat.create_channel(1, 'channel', '{2,3}') AS c \gset
SELECT chat.create_group(1, 'public', '{3}', is_public => true) AS pub \gset
SELECT chat.set_role(t, 1, 2, 'admin') FROM unnest(ARRAY[:p, :g, :c]::bigint[]) t \g /dev/null
SELECT chat.new_reply(:g, 2, 'by the admin') AS m2 \gset
SELECT chat.new_reply(:g, 3, 'by the member') AS m3 \gset
SELECT chat.new_reply(:d, 1, 'direct') AS md \gset

SELECT is_empty('SELECT * FROM chat.verify_unread()', 'fixture counters are exact');

/* Everything a failed call could have touched: every table of schema chat. */
CREATE FUNCTION pg_temp.state() RETURNS text
    LANGUAGE plpgsql AS $$
DECLARE
    r record;
    h text;
    acc text := '';
BEGIN
    FOR r IN SELECT c.relname FROM pg_class c
              WHERE c.relnamespace = 'chat'::regnamespace AND c.relkind IN ('r', 'p')
              ORDER BY c.relname LOOP
        EXECUTE format('SELECT count(*) || '':'' || coalesce(md5(string_agg(t::text, '','' ORDER BY t::text)), '''') FROM chat.%I t',
                       r.relname) INTO h;
        acc := acc || r.relname || '=' || h || ' ';
    END LOOP;
    RETURN acc || 'drift=' || (SELECT count(*) FROM chat.verify_unread());
END
$$;
CREATE TEMP TABLE baseline AS SELECT pg_temp.state() AS state;

\ir lib/fails.sql

/* ---- default permissions: 4 kinds x 3 roles x 9 permissions ---------------- */

CREATE TEMP TABLE perm (name text PRIMARY KEY);
INSERT INTO perm VALUES ('add_members'), ('remove_members'), ('post'), ('delete_messages'),
    ('delete_own_messages'), ('edit_messages'), ('edit_own_messages'), ('edit_thread'), ('delete_thread');
CREATE TEMP TABLE fixture_member (thread_id bigint, kind text, user_id bigint, role text);
INSERT INTO fixture_member VALUES
    (:p, 'private', 1, 'owner'), (:p, 'private', 2, 'admin'), (:p, 'private', 3, 'member'),
    (:d, 'direct', 1, 'member'), (:d, 'direct', 2, 'member'),
    (:g, 'group', 1, 'owner'), (:g, 'group', 2, 'admin'), (:g, 'group', 3, 'member'),
    (:c, 'channel', 1, 'owner'), (:c, 'channel', 2, 'admin'), (:c, 'channel', 3, 'member');
-- SPEC §3 and the df-chat use cases
CREATE TEMP TABLE default_perm (kind text, role text, perms text[]);
INSERT INTO default_perm VALUES
    ('private', 'owner', '{add_members,remove_members,post,delete_messages,delete_own_messages,edit_own_messages,edit_thread,delete_thread}'),
    ('private', 'admin', '{add_members,remove_members,post,delete_messages,delete_own_messages,edit_own_messages,edit_thread}'),
    ('private', 'member', '{post,edit_own_messages,delete_own_messages}'),
    ('direct', 'member', '{post,edit_own_messages,delete_own_messages,delete_thread}'),
    ('group', 'owner', '{add_members,remove_members,post,delete_messages,delete_own_messages,edit_own_messages,edit_thread,delete_thread}'),
    ('group', 'admin', '{add_members,remove_members,post,delete_messages,delete_own_messages,edit_own_messages,edit_thread}'),
    ('group', 'member', '{post,add_members,edit_own_messages,delete_own_messages}'),
    ('channel', 'owner', '{add_members,remove_members,post,delete_messages,delete_own_messages,edit_own_messages,edit_thread,delete_thread}'),
    ('channel', 'admin', '{add_members,remove_members,post,delete_messages,delete_own_messages,edit_own_messages,edit_thread}'),
    ('channel', 'member', '{add_members,edit_own_messages,delete_own_messages}');

SELECT is((SELECT role::text FROM chat.member WHERE thread_id = f.thread_id AND user_id = f.user_id), f.role,
          format('%s: user %s is %s', f.kind, f.user_id, f.role))
  FROM fixture_member f ORDER BY f.kind, f.user_id;
/*
 * Editing others' messages (edit_messages) is nobody's by default: SPEC §3
 * gives owners and admins removing members, renaming, deleting others'
 * messages and roles, not editing others' words (README: "grant it").
 */
CREATE TEMP VIEW matrix AS
SELECT f.thread_id, f.kind, f.role, f.user_id, p.name AS permission, p.name = ANY (d.perms) AS expected,
       false AS disputed
  FROM fixture_member f JOIN default_perm d USING (kind, role) CROSS JOIN perm p;
SELECT is(chat.has_permission(m.thread_id, m.user_id, m.permission), m.expected,
          format('%s %s (user %s): %s %s', m.kind, m.role, m.user_id,
                 CASE WHEN m.expected THEN 'has' ELSE 'lacks' END, m.permission))
  FROM matrix m WHERE NOT m.disputed
 ORDER BY m.kind, m.user_id, m.permission;
-- members() shows the same set
SELECT is((SELECT ARRAY(SELECT x FROM unnest(m.permissions) x WHERE x <> 'edit_messages' ORDER BY 1)
             FROM chat.members(f.thread_id, f.user_id) m WHERE m.user_id = f.user_id),
          ARRAY(SELECT x FROM unnest(d.perms) x WHERE x <> 'edit_messages' ORDER BY 1),
          format('members(): %s %s permissions (edit_messages aside)', f.kind, f.role))
  FROM fixture_member f JOIN default_perm d USING (kind, role)
 ORDER BY f.kind, f.user_id;
SELECT is(chat.has_permission(m.thread_id, m.user_id, m.permission), m.expected,
          format('%s %s (user %s): %s %s', m.kind, m.role, m.user_id,
                 CASE WHEN m.expected THEN 'has' ELSE 'lacks' END, m.permission))
  FROM matrix m WHERE m.disputed
 ORDER BY m.kind, m.user_id, m.permission;
SELECT is(chat.has_permission(t, 9, 'post'), false, format('a non-member has no permission in the %s thread', k))
  FROM (VALUES (:p, 'private'), (:d, 'direct'), (:g, 'group'), (:c, 'channel')) v(t, k);
SELECT is(chat.has_permission(:pub, 3, 'add_members'), true, 'a member of a public group adds members');

/* ---- what the permissions allow ---------------------------------------------- */

-- post
SELECT lives_ok(format($$SELECT chat.new_reply(%s, 3, 'group member posts')$$, :g), 'group: a member posts');
SELECT lives_ok(format($$SELECT chat.new_reply(%s, 3, 'private member posts')$$, :p), 'private: a member posts');
SELECT lives_ok(format($$SELECT chat.new_reply(%s, 2, 'direct member posts')$$, :d), 'direct: both members post');
SELECT lives_ok(format($$SELECT chat.new_reply(%s, 2, 'channel admin posts')$$, :c), 'channel: an admin posts');
SELECT lives_ok(format($$SELECT chat.new_reply(%s, 1, 'channel owner posts')$$, :c), 'channel: the owner posts');
SELECT pg_temp.rebase() \g /dev/null
SELECT pg_temp.fails(format($$SELECT chat.new_reply(%s, 3, 'channel member posts')$$, :c), '42501',
                     format('permission denied to post in thread %s', :c), 'channel: a member does not post');
SELECT pg_temp.fails(format($$INSERT INTO chat.message (thread_id, sender_id, content) VALUES (%s, 3, 'direct insert')$$, :c), '42501',
                     format('permission denied to post in thread %s', :c), 'channel: nor by a direct INSERT');

-- grant and revoke post
SELECT lives_ok(format($$SELECT chat.grant(%s, 2, 3, 'post')$$, :c), 'channel: an admin grants post to a member');
SELECT is(chat.has_permission(:c, 3, 'post'), true, 'the member has post');
SELECT lives_ok(format($$SELECT chat.new_reply(%s, 3, 'granted')$$, :c), 'and posts');
SELECT lives_ok(format($$SELECT chat.grant(%s, 2, 3, 'post')$$, :c), 'granting again is no error');
SELECT is((SELECT count(*)::int FROM chat.members(:c, 3) m, unnest(m.permissions) x WHERE m.user_id = 3 AND x = 'post'),
          1, 'and keeps one post permission');
SELECT lives_ok(format($$SELECT chat.revoke(%s, 1, 3, 'post')$$, :c), 'the owner revokes it');
SELECT is(chat.has_permission(:c, 3, 'post'), false, 'the member lacks post again');
SELECT lives_ok(format($$SELECT chat.revoke(%s, 1, 3, 'post')$$, :c), 'revoking again is no error');
SELECT lives_ok(format($$SELECT chat.revoke(%s, 1, 3, 'post')$$, :g), 'group: the owner revokes post from a member');
SELECT pg_temp.rebase() \g /dev/null
SELECT pg_temp.fails(format($$SELECT chat.new_reply(%s, 3, 'silenced')$$, :g), '42501',
                     format('permission denied to post in thread %s', :g), 'group: a member without post');
-- set_role resets to the role's defaults
SELECT lives_ok(format($$SELECT chat.set_role(%s, 1, 3, 'member')$$, :g), 'set_role to the same role');
SELECT is(chat.has_permission(:g, 3, 'post'), true, 'set_role gave post back (defaults of the role)');
SELECT lives_ok(format($$SELECT chat.grant(%s, 1, 3, 'delete_thread')$$, :g), 'grant delete_thread to a member');
SELECT lives_ok(format($$SELECT chat.set_role(%s, 1, 3, 'admin')$$, :g), 'then make it an admin');
SELECT is(chat.has_permission(:g, 3, 'delete_thread'), false, 'the granted permission is gone with the new role');
SELECT is(chat.has_permission(:g, 3, 'remove_members'), true, 'and the admin''s defaults are there');
SELECT lives_ok(format($$SELECT chat.set_role(%s, 1, 3, 'member')$$, :g), 'and back to member');
SELECT is(chat.has_permission(:g, 3, 'remove_members'), false, 'without the admin''s permissions');

-- edit and delete: own messages and others'
SELECT lives_ok(format($$SELECT chat.edit_message(%s, 3, 'by the member, edited')$$, :m3), 'a member edits its own message');
SELECT throws_ok(format($$SELECT chat.edit_message(%s, 2, 'by the member, edited by the admin')$$, :m3),
                 '42501', format('permission denied to edit message %s', :m3),
                 'an admin does not edit another''s message without edit_messages');
SELECT lives_ok(format($$SELECT chat.grant(%s, 1, 2, 'edit_messages')$$, :g), 'the owner grants edit_messages to the admin');
SELECT lives_ok(format($$SELECT chat.edit_message(%s, 2, 'by the member, edited by a moderator')$$, :m3),
                'who edits another''s message');
SELECT is((SELECT content FROM chat.message WHERE id = :m3), 'by the member, edited by a moderator', 'the edit is stored');
SELECT pg_temp.rebase() \g /dev/null
SELECT pg_temp.fails(format($$SELECT chat.edit_message(%s, 3, 'not mine')$$, :m2), '42501',
                     format('permission denied to edit message %s', :m2), 'a member edits another''s message');
SELECT pg_temp.fails(format($$SELECT chat.delete_message(%s, 3)$$, :m2), '42501',
                     format('permission denied to delete message %s', :m2), 'a member deletes another''s message');
SELECT lives_ok(format($$SELECT chat.revoke(%s, 1, 3, 'edit_own_messages')$$, :g), 'revoke edit_own_messages');
SELECT pg_temp.rebase() \g /dev/null
SELECT pg_temp.fails(format($$SELECT chat.edit_message(%s, 3, 'mine, but')$$, :m3), '42501',
                     format('permission denied to edit message %s', :m3), 'a member without edit_own_messages');
SELECT lives_ok(format($$SELECT chat.revoke(%s, 1, 3, 'delete_own_messages')$$, :g), 'revoke delete_own_messages');
SELECT pg_temp.rebase() \g /dev/null
SELECT pg_temp.fails(format($$SELECT chat.delete_message(%s, 3)$$, :m3), '42501',
                     format('permission denied to delete message %s', :m3), 'a member without delete_own_messages');
SELECT lives_ok(format($$SELECT chat.grant(%s, 1, 3, 'delete_messages')$$, :g), 'grant delete_messages to a member');
SELECT lives_ok(format($$SELECT chat.delete_message(%s, 3)$$, :m2), 'who deletes another''s message');
SELECT lives_ok(format($$SELECT chat.set_role(%s, 1, 3, 'member')$$, :g), 'reset the member');

-- edit_thread
SELECT lives_ok(format($$SELECT chat.rename_thread(%s, 2, 'group, renamed')$$, :g), 'an admin renames');
SELECT is((SELECT subject FROM chat.thread WHERE id = :g), 'group, renamed', 'the subject changed');
SELECT pg_temp.rebase() \g /dev/null
SELECT pg_temp.fails(format($$SELECT chat.rename_thread(%s, 3, 'mine now')$$, :g), '42501',
                     format('permission denied to rename in thread %s', :g), 'a member renames');
SELECT lives_ok(format($$SELECT chat.grant(%s, 2, 3, 'edit_thread')$$, :g), 'an admin grants edit_thread');
SELECT lives_ok(format($$SELECT chat.rename_thread(%s, 3, 'group')$$, :g), 'and the member renames');
SELECT lives_ok(format($$SELECT chat.set_role(%s, 1, 3, 'member')$$, :g), 'reset the member');

-- add_members and remove_members
SELECT is(chat.add_members(:g, 3, '{4}'), 1, 'group: a member adds one user');
SELECT is(chat.add_members(:g, 3, '{4,5,5}'), 1, 'existing members are skipped, duplicates once');
SELECT is(chat.add_members(:c, 3, '{4}'), 1, 'channel: a member adds');
SELECT is(chat.add_members(:p, 1, '{4}'), 1, 'private: the owner adds');
SELECT is(chat.add_members(:g, 3, '{}'), 0, 'an empty list adds nobody');
SELECT lives_ok(format($$SELECT chat.revoke(%s, 1, 3, 'add_members')$$, :g), 'revoke add_members from a group member');
SELECT pg_temp.rebase() \g /dev/null
SELECT pg_temp.fails(format($$SELECT chat.add_members(%s, 3, '{6}')$$, :g), '42501',
                     format('permission denied to add members in thread %s', :g), 'group: a member without add_members');
SELECT pg_temp.fails(format($$SELECT chat.add_members(%s, 3, '{6}')$$, :p), '42501',
                     format('permission denied to add members in thread %s', :p), 'private: a member adds');
SELECT pg_temp.fails(format($$SELECT chat.add_members(%s, 9, '{6}')$$, :g), '42501',
                     format('user "9" is not a member of thread %s', :g), 'a non-member adds');
SELECT pg_temp.fails(format($$SELECT chat.add_members(%s, 4, '{6}', 'admin')$$, :c), '42501',
                     format('permission denied to add members as admin in thread %s', :c), 'a member adds an admin');
SELECT pg_temp.fails(format($$SELECT chat.add_members(%s, 4, '{6}', 'owner')$$, :c), '42501',
                     format('permission denied to add members as owner in thread %s', :c), 'a member adds an owner');
SELECT pg_temp.fails(format($$SELECT chat.remove_member(%s, 3, 4)$$, :g), '42501',
                     format('permission denied to remove members in thread %s', :g), 'a member removes another');
SELECT pg_temp.fails(format($$SELECT chat.remove_member(%s, 2, 1)$$, :g), '42501',
                     format('permission denied to remove members in thread %s', :g), 'an admin removes the owner');
SELECT lives_ok(format($$SELECT chat.remove_member(%s, 2, 4)$$, :g), 'an admin removes a member');
SELECT is(chat.has_permission(:g, 4, 'post'), false, 'who has no permission any more');
SELECT lives_ok(format($$SELECT chat.remove_member(%s, 4, 4)$$, :c), 'a member removes itself (leaves)');
SELECT lives_ok(format($$SELECT chat.set_role(%s, 1, 3, 'member')$$, :g), 'reset the member');

-- roles: an admin cannot act on an owner nor make one
SELECT pg_temp.rebase() \g /dev/null
SELECT pg_temp.fails(format($$SELECT chat.set_role(%s, 2, 1, 'member')$$, :g), '42501',
                     format('permission denied to change roles in thread %s', :g), 'an admin changes the owner''s role');
SELECT pg_temp.fails(format($$SELECT chat.set_role(%s, 2, 3, 'owner')$$, :g), '42501',
                     format('permission denied to change roles in thread %s', :g), 'an admin makes an owner');
SELECT pg_temp.fails(format($$SELECT chat.set_role(%s, 3, 3, 'admin')$$, :g), '42501',
                     format('permission denied to change roles in thread %s', :g), 'a member makes itself admin');
SELECT pg_temp.fails(format($$SELECT chat.grant(%s, 2, 1, 'post')$$, :g), '42501',
                     format('permission denied to grant permissions in thread %s', :g), 'an admin grants to the owner');
SELECT pg_temp.fails(format($$SELECT chat.revoke(%s, 2, 1, 'post')$$, :g), '42501',
                     format('permission denied to revoke permissions in thread %s', :g), 'an admin revokes from the owner');
SELECT pg_temp.fails(format($$SELECT chat.grant(%s, 3, 3, 'remove_members')$$, :g), '42501',
                     format('permission denied to grant permissions in thread %s', :g), 'a member grants itself');
SELECT pg_temp.fails(format($$SELECT chat.revoke(%s, 3, 2, 'post')$$, :g), '42501',
                     format('permission denied to revoke permissions in thread %s', :g), 'a member revokes from an admin');
SELECT lives_ok(format($$SELECT chat.set_role(%s, 2, 3, 'admin')$$, :g), 'an admin makes an admin');
SELECT lives_ok(format($$SELECT chat.set_role(%s, 2, 3, 'member')$$, :g), 'and demotes an admin');
SELECT lives_ok(format($$SELECT chat.set_role(%s, 1, 3, 'owner')$$, :g), 'the owner makes an owner');
SELECT lives_ok(format($$SELECT chat.set_role(%s, 3, 1, 'admin')$$, :g), 'an owner changes another owner''s role');
SELECT lives_ok(format($$SELECT chat.set_role(%s, 3, 1, 'owner')$$, :g), 'and back');
SELECT lives_ok(format($$SELECT chat.set_role(%s, 1, 3, 'member')$$, :g), 'owner 1 demotes owner 3');
SELECT is((SELECT string_agg(user_id || ':' || role, ' ' ORDER BY user_id) FROM chat.member WHERE thread_id = :g),
          '1:owner 2:admin 3:member 5:member', 'group roles after the round trip');

-- delete_thread
SELECT pg_temp.rebase() \g /dev/null
SELECT pg_temp.fails(format($$SELECT chat.drop_thread(%s, 2)$$, :g), '42501',
                     format('permission denied to delete in thread %s', :g), 'group: an admin drops');
SELECT pg_temp.fails(format($$SELECT chat.drop_thread(%s, 3)$$, :g), '42501',
                     format('permission denied to delete in thread %s', :g), 'group: a member drops');
SELECT pg_temp.fails(format($$SELECT chat.drop_thread(%s, 3)$$, :c), '42501',
                     format('permission denied to delete in thread %s', :c), 'channel: a member drops');
SELECT pg_temp.fails(format($$SELECT chat.drop_thread(%s, 3)$$, :p), '42501',
                     format('permission denied to delete in thread %s', :p), 'private: a member drops');
SELECT pg_temp.fails(format($$SELECT chat.drop_thread(%s, 9)$$, :g), '42501',
                     format('user "9" is not a member of thread %s', :g), 'a non-member drops');

/* ---- mute ---------------------------------------------------------------------- */

SELECT lives_ok(format($$SELECT chat.mute(%s, 3)$$, :g), 'mute');
SELECT is((SELECT muted FROM chat.members(:g, 3) WHERE user_id = 3), true, 'muted');
SELECT lives_ok(format($$SELECT chat.mute(%s, 3, false)$$, :g), 'unmute');
SELECT is((SELECT muted FROM chat.members(:g, 3) WHERE user_id = 3), false, 'not muted');

/* ---- 22004: a required argument is NULL ---------------------------------------- */

SELECT pg_temp.rebase() \g /dev/null
SELECT pg_temp.fails($$SELECT chat.create_group(NULL, 'x')$$, '22004',
                     'argument "creator" must not be null', 'create_group: NULL creator');
SELECT pg_temp.fails($$SELECT chat.create_group(title => 'x')$$, '22004',
                     'argument "creator" must not be null', 'create_group: creator defaults to chat.current_user_id(), unset');
SELECT pg_temp.fails($$SELECT chat.create_group(1, NULL)$$, '22004',
                     'argument "title" must not be null', 'create_group: NULL title');
SELECT pg_temp.fails($$SELECT chat.create_channel(1, NULL)$$, '22004',
                     'argument "title" must not be null', 'create_channel: NULL title');
SELECT pg_temp.fails($$SELECT chat.create_group(1, 'x', NULL)$$, '22004',
                     'argument "members" must not be null', 'create_group: NULL members');
SELECT pg_temp.fails($$SELECT chat.create_group(1, 'x', '{2,NULL}')$$, '22004',
                     'members must not contain null', 'create_group: NULL in members');
SELECT pg_temp.fails($$SELECT chat.direct_thread(1, NULL)$$, '22004',
                     'argument "user_b" must not be null', 'direct_thread: NULL user_b');
SELECT pg_temp.fails($$SELECT chat.direct_thread(NULL, 1)$$, '22004',
                     'argument "user_a" must not be null', 'direct_thread: NULL user_a');
SELECT pg_temp.fails($$SELECT chat.object_thread(NULL, '1', 1)$$, '22004',
                     'argument "object_type" must not be null', 'object_thread: NULL object_type');
SELECT pg_temp.fails($$SELECT chat.object_thread('t', NULL, 1)$$, '22004',
                     'argument "object_id" must not be null', 'object_thread: NULL object_id');
SELECT pg_temp.fails($$SELECT chat.object_thread('t', '1', NULL)$$, '22004',
                     'argument "creator" must not be null', 'object_thread: NULL creator');
SELECT pg_temp.fails($$SELECT chat.object_thread('t', '1', 1, kind => NULL)$$, '22004',
                     'argument "kind" must not be null', 'object_thread: NULL kind');
SELECT pg_temp.fails($$SELECT chat.add_members(NULL, 1, '{4}')$$, '22004',
                     'argument "thread_id" must not be null', 'add_members: NULL thread_id');
SELECT pg_temp.fails(format($$SELECT chat.add_members(%s, NULL, '{4}')$$, :g), '22004',
                     'argument "actor" must not be null', 'add_members: NULL actor');
SELECT pg_temp.fails(format($$SELECT chat.add_members(%s, 1, NULL)$$, :g), '22004',
                     'argument "users" must not be null', 'add_members: NULL users');
SELECT pg_temp.fails(format($$SELECT chat.add_members(%s, 1, '{6,NULL}')$$, :g), '22004',
                     'users must not contain null', 'add_members: NULL in users');
SELECT pg_temp.fails(format($$SELECT chat.add_members(%s, 1, '{6}', NULL)$$, :g), '22004',
                     'argument "role" must not be null', 'add_members: NULL role');
SELECT pg_temp.fails(format($$SELECT chat.remove_member(%s, 1, NULL)$$, :g), '22004',
                     'argument "member" must not be null', 'remove_member: NULL member');
SELECT pg_temp.fails(format($$SELECT chat.join_thread(%s, NULL)$$, :pub), '22004',
                     'argument "user" must not be null', 'join_thread: NULL user');
SELECT pg_temp.fails(format($$SELECT chat.join_thread(%s)$$, :pub), '22004',
                     'argument "user" must not be null', 'join_thread: user defaults to chat.current_user_id(), unset');
SELECT pg_temp.fails(format($$SELECT chat.leave_thread(%s, NULL)$$, :pub), '22004',
                     'argument "user" must not be null', 'leave_thread: NULL user');
SELECT pg_temp.fails(format($$SELECT chat.set_role(%s, 1, 3, NULL)$$, :g), '22004',
                     'argument "role" must not be null', 'set_role: NULL role');
SELECT pg_temp.fails(format($$SELECT chat.set_role(%s, 1, NULL, 'admin')$$, :g), '22004',
                     'argument "member" must not be null', 'set_role: NULL member');
SELECT pg_temp.fails(format($$SELECT chat.grant(%s, 1, 3, NULL)$$, :g), '22004',
                     'argument "permission" must not be null', 'grant: NULL permission');
SELECT pg_temp.fails(format($$SELECT chat.revoke(%s, 1, 3, NULL)$$, :g), '22004',
                     'argument "permission" must not be null', 'revoke: NULL permission');
SELECT pg_temp.fails(format($$SELECT chat.mute(%s, 3, NULL)$$, :g), '22004',
                     'argument "muted" must not be null', 'mute: NULL muted');
SELECT pg_temp.fails(format($$SELECT chat.rename_thread(%s, 1, NULL)$$, :g), '22004',
                     'argument "title" must not be null', 'rename_thread: NULL title');
SELECT pg_temp.fails(format($$SELECT chat.drop_thread(%s, NULL)$$, :g), '22004',
                     'argument "actor" must not be null', 'drop_thread: NULL actor');
SELECT pg_temp.fails(format($$SELECT * FROM chat.members(%s, NULL)$$, :g), '22004',
                     'argument "viewer" must not be null', 'members: NULL viewer');

/* ---- 22023: invalid argument ------------------------------------------------ */

SELECT pg_temp.fails($$SELECT chat.create_group(1, '   ')$$, '22023',
                     'subject must not be blank', 'create_group: blank title');
SELECT pg_temp.fails($$SELECT chat.create_group(1, '')$$, '22023',
                     'subject must not be blank', 'create_group: empty title');
SELECT pg_temp.fails($$SELECT chat.create_channel(1, E'\t\n')$$, '22023',
                     'subject must not be blank', 'create_channel: blank title');
SELECT pg_temp.fails($$SELECT chat.create_group(1, 'x', '{{2,3}}')$$, '22023',
                     'members must be a one-dimensional array', 'create_group: two-dimensional members');
SELECT pg_temp.fails($$SELECT chat.direct_thread(4, 4)$$, '22023',
                     'a direct thread needs two different users', 'direct_thread: a user with itself');
SELECT pg_temp.fails($$SELECT chat.object_thread('t', '1', 1, kind => 'direct')$$, '22023',
                     'an object''s room is a group or a channel, not "direct"', 'object_thread: kind direct');
SELECT pg_temp.fails($$SELECT chat.object_thread('t', '1', 1, kind => 'private')$$, '22023',
                     'an object''s room is a group or a channel, not "private"', 'object_thread: kind private');
SELECT pg_temp.fails($$SELECT chat.object_thread('t', '1', 1, kind => 'room')$$, '22023',
                     'an object''s room is a group or a channel, not "room"', 'object_thread: unknown kind');
SELECT pg_temp.fails(format($$SELECT chat.add_members(%s, 1, '{6}', 'boss')$$, :g), '22023',
                     'unknown role "boss"', 'add_members: unknown role');
SELECT pg_temp.fails(format($$SELECT chat.set_role(%s, 1, 3, 'boss')$$, :g), '22023',
                     'unknown role "boss"', 'set_role: unknown role');
SELECT pg_temp.fails(format($$SELECT chat.set_role(%s, 1, 3, 'Admin')$$, :g), '22023',
                     'unknown role "Admin"', 'set_role: roles are lower case');
SELECT pg_temp.fails(format($$SELECT chat.grant(%s, 1, 3, 'fly')$$, :g), '22023',
                     'unknown permission "fly"', 'grant: unknown permission');
SELECT pg_temp.fails(format($$SELECT chat.revoke(%s, 1, 3, 'can_fly')$$, :g), '22023',
                     'unknown permission "can_fly"', 'revoke: unknown permission');
SELECT pg_temp.fails(format($$SELECT chat.has_permission(%s, 3, 'fly')$$, :g), '22023',
                     'unknown permission "fly"', 'has_permission: unknown permission');
SELECT pg_temp.fails(format($$SELECT chat.grant(%s, 1, 3, 'can_create_messages')$$, :g), '22023',
                     'unknown permission "can_create_messages"', 'grant: df-chat''s own spelling is not a permission');
SELECT pg_temp.fails(format($$SELECT chat.rename_thread(%s, 1, '  ')$$, :g), '22023',
                     'subject must not be blank', 'rename_thread: blank title');

/* ---- 22001: text longer than its limit --------------------------------------- */

SELECT pg_temp.fails(format($$SELECT chat.create_group(1, %L)$$, repeat('x', 256)), '22001',
                     'subject is too long', 'create_group: title over max_subject_length');
SELECT pg_temp.fails(format($$SELECT chat.create_channel(1, %L)$$, repeat('é', 256)), '22001',
                     'subject is too long', 'create_channel: title over max_subject_length, in characters');
SELECT pg_temp.fails(format($$SELECT chat.object_thread('t', '1', 1, %L)$$, repeat('x', 256)), '22001',
                     'subject is too long', 'object_thread: title over max_subject_length');
SELECT pg_temp.fails(format($$SELECT chat.rename_thread(%s, 1, %L)$$, :g, repeat('x', 256)), '22001',
                     'subject is too long', 'rename_thread: title over max_subject_length');
SELECT lives_ok(format($$SELECT chat.create_group(1, %L)$$, repeat('x', 255)), 'a title of exactly 255 characters');
SELECT pg_temp.rebase() \g /dev/null

/* ---- 42704: thread (or user) not found ---------------------------------------- */

SELECT pg_temp.fails($$SELECT chat.add_members(999999, 1, '{4}')$$, '42704',
                     'thread 999999 does not exist', 'add_members: unknown thread');
SELECT pg_temp.fails($$SELECT chat.remove_member(999999, 1, 2)$$, '42704',
                     'thread 999999 does not exist', 'remove_member: unknown thread');
SELECT pg_temp.fails($$SELECT chat.join_thread(999999, 1)$$, '42704',
                     'thread 999999 does not exist', 'join_thread: unknown thread');
SELECT pg_temp.fails($$SELECT chat.leave_thread(999999, 1)$$, '42704',
                     'thread 999999 does not exist', 'leave_thread: unknown thread');
SELECT pg_temp.fails($$SELECT chat.set_role(999999, 1, 2, 'admin')$$, '42704',
                     'thread 999999 does not exist', 'set_role: unknown thread');
SELECT pg_temp.fails($$SELECT chat.grant(999999, 1, 2, 'post')$$, '42704',
                     'thread 999999 does not exist', 'grant: unknown thread');
SELECT pg_temp.fails($$SELECT chat.revoke(999999, 1, 2, 'post')$$, '42704',
                     'thread 999999 does not exist', 'revoke: unknown thread');
SELECT pg_temp.fails($$SELECT chat.mute(999999, 1)$$, '42704',
                     'thread 999999 does not exist', 'mute: unknown thread');
SELECT pg_temp.fails($$SELECT chat.rename_thread(999999, 1, 'x')$$, '42704',
                     'thread 999999 does not exist', 'rename_thread: unknown thread');
SELECT pg_temp.fails($$SELECT chat.drop_thread(999999, 1)$$, '42704',
                     'thread 999999 does not exist', 'drop_thread: unknown thread');
SELECT pg_temp.fails($$SELECT * FROM chat.members(999999, 1)$$, '42704',
                     'thread 999999 does not exist', 'members: unknown thread');
-- the target of set_role, grant, revoke, remove_member is not a member
SELECT pg_temp.fails(format($$SELECT chat.set_role(%s, 1, 9, 'admin')$$, :g), '42704',
                     format('user "9" is not a member of thread %s', :g), 'set_role: the member is not in the thread');
SELECT pg_temp.fails(format($$SELECT chat.grant(%s, 1, 9, 'post')$$, :g), '42704',
                     format('user "9" is not a member of thread %s', :g), 'grant: the member is not in the thread');
SELECT pg_temp.fails(format($$SELECT chat.revoke(%s, 1, 9, 'post')$$, :g), '42704',
                     format('user "9" is not a member of thread %s', :g), 'revoke: the member is not in the thread');
SELECT pg_temp.fails(format($$SELECT chat.remove_member(%s, 1, 9)$$, :g), '42704',
                     format('user "9" is not a member of thread %s', :g), 'remove_member: the member is not in the thread');

/* ---- 42501: not a member, permission denied ----------------------------------- */

SELECT pg_temp.fails(format($$SELECT chat.join_thread(%s, 9)$$, :g), '42501',
                     format('thread %s is not public', :g), 'join_thread: a private group');
SELECT pg_temp.fails(format($$SELECT chat.join_thread(%s, 9)$$, :c), '42501',
                     format('thread %s is not public', :c), 'join_thread: a private channel');
SELECT pg_temp.fails(format($$SELECT chat.join_thread(%s, 9)$$, :p), '42501',
                     format('thread %s is not public', :p), 'join_thread: a private thread');
SELECT pg_temp.fails(format($$SELECT chat.join_thread(%s, 9)$$, :d), '42501',
                     format('thread %s is not public', :d), 'join_thread: a direct thread');
SELECT pg_temp.fails(format($$SELECT chat.leave_thread(%s, 9)$$, :g), '42501',
                     format('user "9" is not a member of thread %s', :g), 'leave_thread: a non-member');
SELECT pg_temp.fails(format($$SELECT chat.mute(%s, 9)$$, :g), '42501',
                     format('user "9" is not a member of thread %s', :g), 'mute: a non-member');
SELECT pg_temp.fails(format($$SELECT * FROM chat.members(%s, 9)$$, :g), '42501',
                     format('user "9" is not a member of thread %s', :g), 'members: a non-member');
SELECT pg_temp.fails(format($$SELECT chat.set_role(%s, 9, 3, 'admin')$$, :g), '42501',
                     format('user "9" is not a member of thread %s', :g), 'set_role: a non-member actor');
SELECT pg_temp.fails(format($$SELECT chat.grant(%s, 9, 3, 'post')$$, :g), '42501',
                     format('user "9" is not a member of thread %s', :g), 'grant: a non-member actor');
SELECT pg_temp.fails(format($$SELECT chat.remove_member(%s, 9, 3)$$, :g), '42501',
                     format('user "9" is not a member of thread %s', :g), 'remove_member: a non-member actor');
SELECT pg_temp.fails(format($$SELECT chat.rename_thread(%s, 9, 'x')$$, :g), '42501',
                     format('user "9" is not a member of thread %s', :g), 'rename_thread: a non-member');
SELECT pg_temp.fails(format($$SELECT chat.remove_member(%s, 3, 1)$$, :p), '42501',
                     format('permission denied to remove members in thread %s', :p), 'private: a member removes the owner');

/* ---- 55000: not allowed in this state ----------------------------------------- */

SELECT pg_temp.fails(format($$SELECT chat.add_members(%s, 1, '{3}')$$, :d), '55000',
                     format('cannot add members to direct thread %s', :d), 'add_members: a direct thread');
SELECT pg_temp.fails(format($$SELECT chat.leave_thread(%s, 2)$$, :d), '55000',
                     format('cannot leave direct thread %s', :d), 'leave_thread: a direct thread');
SELECT pg_temp.fails(format($$SELECT chat.remove_member(%s, 1, 1)$$, :d), '55000',
                     format('cannot leave direct thread %s', :d), 'remove_member: oneself from a direct thread');
SELECT pg_temp.fails(format($$SELECT chat.set_role(%s, 1, 2, 'admin')$$, :d), '55000',
                     format('the members of direct thread %s have no roles to change', :d), 'set_role: in a direct thread');
SELECT pg_temp.fails(format($$SELECT chat.leave_thread(%s, 1)$$, :pub), '55000',
                     format('the last owner cannot leave thread %s', :pub), 'leave_thread: the last owner with members');
SELECT pg_temp.fails(format($$SELECT chat.remove_member(%s, 1, 1)$$, :pub), '55000',
                     format('the last owner cannot leave thread %s', :pub), 'remove_member: the last owner removes itself');
SELECT pg_temp.fails(format($$SELECT chat.set_role(%s, 1, 1, 'member')$$, :pub), '55000',
                     format('thread %s would have no owner', :pub), 'set_role: the last owner demotes itself');
SELECT is(chat.can_leave(:pub, 1), false, 'can_leave: not the last owner');
SELECT is(chat.can_leave(:pub, 3), true, 'can_leave: a member');
SELECT is(chat.can_leave(:pub, 9), false, 'can_leave: not a non-member');
SELECT is(chat.can_leave(:d, 1), false, 'can_leave: not a direct thread');
SELECT is(chat.can_join(:pub, 9), true, 'can_join: a public group');
SELECT is(chat.can_join(:pub, 3), false, 'can_join: not a member');
SELECT is(chat.can_join(:g, 9), false, 'can_join: not a private group');
SELECT is(chat.can_join(:d, 9), false, 'can_join: not a direct thread');

/* ---- 54000: the member cap ------------------------------------------------------ */

SELECT chat.set_setting('max_members', '3') \g /dev/null
SELECT pg_temp.rebase() \g /dev/null
SELECT lives_ok(format($$SELECT chat.join_thread(%s, 4)$$, :pub), 'the third member joins');
SELECT is(chat.can_join(:pub, 5), false, 'can_join: not a full thread');
SELECT pg_temp.rebase() \g /dev/null
SELECT pg_temp.fails(format($$SELECT chat.join_thread(%s, 5)$$, :pub), '54000',
                     format('thread %s is full', :pub), 'join_thread: a full thread');
SELECT pg_temp.fails(format($$SELECT chat.add_members(%s, 1, '{5}')$$, :pub), '54000',
                     format('thread %s is full', :pub), 'add_members: a full thread');
SELECT pg_temp.fails(format($$SELECT chat.add_members(%s, 1, '{5,6}')$$, :c), '54000',
                     format('thread %s is full', :c), 'add_members: more than the cap allows');
-- (the message names the id the refused group would have had, so only the code is checked)
SELECT pg_temp.fails($$SELECT chat.create_group(1, 'big', '{2,3,4}')$$, '54000',
                     NULL, 'create_group: more members than the cap');
SELECT is(chat.add_members(:pub, 1, '{3,4}'), 0, 'a full thread: existing members are skipped without error');
SELECT chat.set_setting('max_members', NULL) \g /dev/null
SELECT pg_temp.rebase() \g /dev/null

/* ---- unknown threads in the predicates, unknown users with a users table -------- */

SELECT is(chat.can_join(999999, 9), false, 'can_join: false for an unknown thread');
SELECT is(chat.can_leave(999999, 1), false, 'can_leave: false for an unknown thread');
SELECT is(chat.has_permission(999999, 1, 'post'), false, 'has_permission: false for an unknown thread');
CREATE TABLE public.rooms_person (id bigint PRIMARY KEY);
INSERT INTO public.rooms_person SELECT generate_series(1, 99);
SELECT lives_ok($$SELECT chat.use_user_table('public.rooms_person')$$, 'bind a users table');
SELECT pg_temp.rebase() \g /dev/null
-- a user the application does not know: the binding's foreign key refuses it
-- (23503; SPEC §6 would say 42704 "user not found")
SELECT pg_temp.fails(format($$SELECT chat.add_members(%s, 1, '{999}')$$, :g), '23503',
                     'insert or update on table "member" violates foreign key constraint "member_user_fkey"',
                     'add_members: a user not in the users table');
SELECT pg_temp.fails(format($$SELECT chat.join_thread(%s, 999)$$, :pub), '23503',
                     'insert or update on table "member" violates foreign key constraint "member_user_fkey"',
                     'join_thread: a user not in the users table');
SELECT pg_temp.fails($$SELECT chat.direct_thread(1, 999)$$, '23503', NULL,
                     'direct_thread: a user not in the users table');
SELECT pg_temp.fails($$SELECT chat.create_group(999, 'x')$$, '23503', NULL,
                     'create_group: a creator not in the users table');
SELECT pg_temp.fails($$SELECT chat.create_group(1, 'x', '{2,999}')$$, '23503', NULL,
                     'create_group: a member not in the users table');
SELECT lives_ok($$SELECT chat.use_user_table(NULL)$$, 'unbind the users table');
SELECT pg_temp.rebase() \g /dev/null

/* ---- leaving hands over ownership --------------------------------------------- */

SELECT lives_ok(format($$SELECT chat.leave_thread(%s, 3)$$, :g), 'a member leaves');
SELECT is(chat.has_permission(:g, 3, 'post'), false, 'and has no permissions');
SELECT pg_temp.rebase() \g /dev/null
SELECT pg_temp.fails(format($$SELECT * FROM chat.messages(%s, 3)$$, :g), '42501',
                     format('user "3" is not a member of thread %s', :g), 'who left reads nothing');
SELECT lives_ok(format($$SELECT chat.leave_thread(%s, 1)$$, :g), 'the owner leaves with an admin there');
SELECT is((SELECT role::text FROM chat.member WHERE thread_id = :g AND user_id = 2), 'owner', 'the admin is the owner');
SELECT is(chat.has_permission(:g, 2, 'delete_thread'), true, 'with the owner''s permissions');
SELECT is_empty('SELECT * FROM chat.verify_unread()', 'counters are exact at the end');

SELECT * FROM finish();
ROLLBACK;
