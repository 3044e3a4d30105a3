-- Rooms (chat 0.3): direct chats, groups, channels and object rooms;
-- membership, roles and permissions, as the seeds document them
-- (django-df-chat's three use cases, django-messaging's can_user_join /
-- can_user_leave and roles, realtime-chat-messaging's one-to-one and group
-- invariants).  Alice is 1, Bob 2, Carol 3, Dan 4, Erin 5, Frank 6, Gina 7.
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS chat CASCADE;
CREATE EXTENSION chat;
\set VERBOSITY terse

-- What the scenarios show, without ids or timestamps
CREATE FUNCTION pg_temp.log(t bigint) RETURNS TABLE (sender_id bigint, kind text, content text)
    LANGUAGE sql AS $$
    SELECT m.sender_id, m.kind::text, m.content FROM chat.message m WHERE m.thread_id = t ORDER BY m.id
$$;
CREATE FUNCTION pg_temp.roles(t bigint) RETURNS text
    LANGUAGE sql AS $$
    SELECT coalesce(string_agg(mb.user_id || ':' || mb.role, ' ' ORDER BY mb.user_id), '(nobody)')
      FROM chat.member mb WHERE mb.thread_id = t
$$;

/* ---- Groups: df-chat "create a chat on 3 people" -------------------------- */

-- Alice creates a group with Bob and Carol (Bob twice, Alice herself in the
-- list): she is its owner (realtime-chat-messaging: the creator is a
-- participant and an admin), they are members, and a system message says so
SELECT chat.create_group(1, 'Project Team', '{2,3,2,1}') AS g \gset
SELECT kind, subject, created_by, is_public, object_type, member_count, message_count
  FROM chat.thread WHERE id = :g;
SELECT user_id, role, muted, permissions FROM chat.members(:g, 2);
SELECT * FROM pg_temp.log(:g);
-- the system message is activity: unread for Bob and Carol, not for Alice
SELECT v AS viewer, i.kind, i.subject, i.last_sender_id, i.last_preview, i.unread_count, i.unread,
       i.member_count
  FROM unnest('{1,2,3}'::bigint[]) v, chat.inbox(v) i ORDER BY v;

-- df-chat group: everybody creates messages and adds users
SELECT chat.new_reply(:g, 2, 'Hi team') > 0 AS bob_posted;
SELECT chat.new_reply(:g, 3, 'Hello!') > 0 AS carol_posted;
-- Carol, a plain member, adds Dan: one system message by Carol; Dan starts
-- with the history read and only that message unread
SELECT chat.add_members(:g, 3, '{4}') AS added;
SELECT * FROM pg_temp.log(:g);
SELECT v AS viewer, i.unread_count, i.last_sender_id, i.last_preview
  FROM unnest('{1,2,3,4}'::bigint[]) v, chat.inbox(v) i WHERE i.thread_id = :g ORDER BY v;
SELECT sender_id, kind, content FROM chat.messages(:g, 4);
-- members already there are skipped; nobody added, nothing said
SELECT chat.add_members(:g, 2, '{1,4,4}') AS added;
SELECT count(*) AS messages FROM chat.message WHERE thread_id = :g;
-- several at once: one message names them all
SELECT chat.add_members(:g, 2, '{6,5,6}') AS added;
SELECT content FROM pg_temp.log(:g) OFFSET 4;
SELECT pg_temp.roles(:g);
SELECT count(*) AS drift FROM chat.verify_unread();

-- only owners and admins add with a role above member
SELECT chat.add_members(:g, 3, '{7}', 'admin');
SELECT chat.add_members(:g, 1, '{7}', 'admin') AS added;
SELECT chat.add_members(:g, 1, '{7}', 'boss');
SELECT pg_temp.roles(:g);

-- df-chat group: only the owner deletes the room; removing members and
-- renaming belong to owners and admins
SELECT chat.drop_thread(:g, 3);
SELECT chat.drop_thread(:g, 7);
SELECT chat.remove_member(:g, 3, 2);
SELECT chat.rename_thread(:g, 3, 'Carol''s team');
SELECT chat.rename_thread(:g, 7, 'Team') AS renamed;
SELECT subject FROM chat.thread WHERE id = :g;
SELECT content FROM pg_temp.log(:g) OFFSET 6;

-- Gina (admin) removes Frank: he no longer sees the thread nor reads it
SELECT chat.remove_member(:g, 7, 6) AS removed;
SELECT content FROM pg_temp.log(:g) OFFSET 7;
SELECT count(*) AS franks_threads FROM chat.inbox(6);
SELECT * FROM chat.messages(:g, 6);
SELECT chat.new_reply(:g, 6, 'Am I still here?');
-- an admin cannot remove the owner, nor make someone owner, nor change the
-- owner's role
SELECT chat.remove_member(:g, 7, 1);
SELECT chat.set_role(:g, 7, 3, 'owner');
SELECT chat.set_role(:g, 7, 1, 'member');
-- an admin makes a member an admin and back
SELECT chat.set_role(:g, 7, 5, 'admin') AS promoted;
SELECT chat.set_role(:g, 7, 5, 'member') AS demoted;
-- a plain member changes no roles
SELECT chat.set_role(:g, 3, 5, 'admin');
SELECT chat.set_role(:g, 1, 5, 'king');
SELECT pg_temp.roles(:g);
SELECT count(*) AS drift FROM chat.verify_unread();

-- Moderation: admins delete anyone's messages (delete_messages); members
-- edit and delete only their own.  (The contract gives owners and admins
-- edit_messages too; chat 0.3 gives it to nobody by default, so the admin's
-- edit is refused until the owner grants it.)
SELECT id AS bob_hi FROM chat.message WHERE thread_id = :g AND content = 'Hi team' \gset
SELECT id AS carol_hello FROM chat.message WHERE thread_id = :g AND content = 'Hello!' \gset
SELECT chat.edit_message(:bob_hi, 3, 'Carol was here');
SELECT chat.delete_message(:bob_hi, 3);
SELECT chat.edit_message(:carol_hello, 3, 'Hello, all!') = :carol_hello AS own_edit;
SELECT chat.edit_message(:bob_hi, 7, 'Hi team (edited by an admin)') = :bob_hi AS admin_edit;
SELECT chat.grant(:g, 1, 7, 'edit_messages') AS granted;
SELECT chat.edit_message(:bob_hi, 7, 'Hi team (edited by an admin)') = :bob_hi AS admin_edit;
SELECT chat.delete_message(:carol_hello, 7) AS admin_delete;
-- system messages are not edited
SELECT chat.edit_message((SELECT min(id) FROM chat.message WHERE thread_id = :g), 1, 'I did not');
SELECT sender_id, content, edited, deleted FROM chat.messages(:g, 2) WHERE kind = 'text';

/* ---- Channels: df-chat "create a news channel" ---------------------------- */

SELECT chat.create_channel(1, 'News', '{2,3}') AS ch \gset
SELECT kind, subject, is_public, member_count FROM chat.thread WHERE id = :ch;
SELECT user_id, role, permissions FROM chat.members(:ch, 3);
SELECT * FROM pg_temp.log(:ch);
-- only admins create messages: the owner posts, a member gets the hint
SELECT chat.new_reply(:ch, 1, 'First news') > 0 AS owner_posted;
\set VERBOSITY default
\set SHOW_CONTEXT never
SELECT chat.new_reply(:ch, 2, 'May I post?');
\set VERBOSITY terse
-- everybody adds users: Bob adds Dan
SELECT chat.add_members(:ch, 2, '{4}') AS added;
-- df-chat: the user who posts news gets the permissions; Bob becomes an admin
SELECT chat.set_role(:ch, 1, 2, 'admin') AS promoted;
SELECT chat.new_reply(:ch, 2, 'News from Bob') > 0 AS admin_posted;
-- or a member is granted post alone, and loses it again
SELECT chat.grant(:ch, 1, 3, 'post') AS granted;
SELECT chat.has_permission(:ch, 3, 'post') AS carol_may_post;
SELECT chat.new_reply(:ch, 3, 'Carol writes news too') > 0 AS granted_posted;
SELECT chat.revoke(:ch, 2, 3, 'post') AS revoked;
SELECT chat.has_permission(:ch, 3, 'post') AS carol_may_post;
SELECT * FROM pg_temp.log(:ch);
SELECT v AS viewer, i.unread_count FROM unnest('{1,2,3,4}'::bigint[]) v, chat.inbox(v) i
 WHERE i.thread_id = :ch ORDER BY v;
-- only the owner deletes the channel
SELECT chat.drop_thread(:ch, 2);
SELECT count(*) AS drift FROM chat.verify_unread();

/* ---- Direct chats: df-chat "private messages", one-to-one uniqueness ------ */

-- get-or-create, whichever way round the pair is given
SELECT chat.direct_thread(1, 2) AS d \gset
SELECT chat.direct_thread(2, 1) = :d AS same_reversed,
       chat.direct_thread(user_a => 1, user_b => 2) = :d AS same_again;
SELECT kind, subject, created_by IS NOT NULL AS has_creator, is_public, member_count, message_count
  FROM chat.thread WHERE id = :d;
SELECT user_id, role, permissions FROM chat.members(:d, 2);
SELECT chat.direct_thread(3, 1) <> :d AS other_pair;
SELECT count(*) AS direct_threads FROM chat.thread WHERE kind = 'direct';
-- no system message; both write
SELECT chat.new_reply(:d, 1, 'Hi Bob') > 0 AS alice_wrote;
SELECT chat.new_reply(:d, 2, 'Hi Alice') > 0 AS bob_wrote;
SELECT * FROM pg_temp.log(:d);
-- nobody adds users; two members forever; roles never change
SELECT chat.add_members(:d, 1, '{3}');
SELECT chat.leave_thread(:d, 2);
SELECT chat.set_role(:d, 1, 2, 'admin');
SELECT chat.remove_member(:d, 1, 2);
SELECT chat.join_thread(:d, 3);
SELECT chat.can_leave(:d, 1) AS can_leave, chat.can_join(:d, 3) AS can_join;
SELECT chat.direct_thread(4, 4);
SELECT pg_temp.roles(:d);
-- both can delete the room: Bob does, and everything in it goes
SELECT chat.has_permission(:d, 1, 'delete_thread') AS alice_may, chat.has_permission(:d, 2, 'delete_thread') AS bob_may;
SELECT chat.drop_thread(:d, 2) AS dropped;
SELECT (SELECT count(*) FROM chat.thread WHERE id = :d) AS threads,
       (SELECT count(*) FROM chat.member WHERE thread_id = :d) AS members,
       (SELECT count(*) FROM chat.message WHERE thread_id = :d) AS messages;
-- the pair gets a new one
SELECT chat.direct_thread(2, 1) <> :d AS new_direct;
SELECT count(*) AS direct_threads FROM chat.thread WHERE kind = 'direct';
SELECT count(*) AS drift FROM chat.verify_unread();

/* ---- Private threads: the pinax threads of 0.1 get the private defaults --- */

SELECT chat.new_message(1, '{2,3}', 'Lunch', 'Pizza?') AS pm \gset
SELECT thread_id AS p FROM chat.message WHERE id = :pm \gset
SELECT user_id, role, permissions FROM chat.members(:p, 1);
-- the owner adds, members do not
SELECT chat.add_members(:p, 2, '{4}');
SELECT chat.add_members(:p, 1, '{4}') AS added;
SELECT * FROM pg_temp.log(:p);
SELECT chat.drop_thread(:p, 2);
SELECT count(*) AS drift FROM chat.verify_unread();

/* ---- Object rooms: the seeds' generic foreign key ------------------------- */

SELECT chat.object_thread('shop.product', '42', 1, 'Product 42') AS o \gset
-- the same object gives the same room; the caller is not added
SELECT chat.object_thread('shop.product', '42', 2) = :o AS same_room,
       chat.object_thread('shop.product', '42', 2, 'Another title', 'channel', false) = :o AS still_same;
SELECT kind, subject, created_by, is_public, object_type, object_id, member_count
  FROM chat.thread WHERE id = :o;
SELECT pg_temp.roles(:o);
SELECT * FROM pg_temp.log(:o);
-- public by default: Bob joins
SELECT chat.can_join(:o, 2) AS can_join;
SELECT chat.join_thread(:o, 2) AS joined;
SELECT pg_temp.roles(:o);
-- another object, another room; a channel, not public
SELECT chat.object_thread('shop.order', '42', 3, kind => 'channel', is_public => false) AS o2 \gset
SELECT :o2 <> :o AS other_room;
SELECT kind, subject, is_public, object_type, object_id FROM chat.thread WHERE id = :o2;
SELECT chat.object_thread('shop.product', '43', 3, kind => 'direct');
SELECT chat.object_thread('shop.product', '43', 3, kind => 'private');
SELECT chat.object_thread('shop.product', NULL, 3);
SELECT count(*) AS object_rooms FROM chat.thread WHERE object_type IS NOT NULL;
SELECT count(*) AS drift FROM chat.verify_unread();

/* ---- Joining and leaving: django-messaging can_user_join / can_user_leave - */

SELECT chat.create_group(10, 'Open room', '{11}', is_public => true) AS pub \gset
SELECT chat.create_group(10, 'Closed room', '{11}') AS closed \gset
SELECT u AS "user", chat.can_join(:pub, u) AS join_open, chat.can_join(:closed, u) AS join_closed,
       chat.can_leave(:pub, u) AS leave_open, chat.can_leave(:closed, u) AS leave_closed
  FROM unnest('{10,11,12}'::bigint[]) u ORDER BY u;
-- Gil (12) joins the public room; again is a no-op; his own message is not unread
SELECT chat.join_thread(:pub, 12) AS joined;
SELECT chat.join_thread(:pub, 12) AS again;
SELECT * FROM pg_temp.log(:pub);
SELECT v AS viewer, i.unread_count, i.last_sender_id, i.member_count
  FROM unnest('{10,11,12}'::bigint[]) v, chat.inbox(v) i WHERE i.thread_id = :pub ORDER BY v;
SELECT sender_id, kind, content FROM chat.messages(:pub, 12);
-- a private room is not joined, it is added to
\set VERBOSITY default
\set SHOW_CONTEXT never
SELECT chat.join_thread(:closed, 12);
-- the last owner does not leave members behind without an owner
SELECT chat.leave_thread(:pub, 10);
\set VERBOSITY terse
SELECT pg_temp.roles(:pub);

-- with admins, the oldest admin (earliest joined) becomes the owner: Gil is
-- made admin first, but Hal (11) joined before him
SELECT chat.set_role(:pub, 10, 12, 'admin') AS gil_admin;
SELECT chat.set_role(:pub, 10, 11, 'admin') AS hal_admin;
SELECT chat.can_leave(:pub, 10) AS owner_can_leave;
SELECT chat.leave_thread(:pub, 10) AS left;
SELECT user_id, role, permissions FROM chat.members(:pub, 11);
SELECT content FROM pg_temp.log(:pub) OFFSET 2;
SELECT count(*) AS threads_of_10 FROM chat.inbox(10);
SELECT * FROM chat.messages(:pub, 10);
SELECT chat.can_join(:pub, 10) AS can_join_again;

-- leaving and joining again: what was said meanwhile is not unread
SELECT chat.leave_thread(:pub, 12) AS gil_left;
SELECT chat.new_reply(:pub, 11, 'Gil is gone') > 0;
SELECT chat.new_reply(:pub, 11, 'Really gone') > 0;
SELECT chat.join_thread(:pub, 12) AS gil_back;
SELECT i.unread_count, i.unread FROM chat.inbox(12) i WHERE i.thread_id = :pub;
SELECT user_id, role FROM chat.members(:pub, 12);
SELECT chat.new_reply(:pub, 11, 'Welcome back') > 0;
SELECT i.unread_count FROM chat.inbox(12) i WHERE i.thread_id = :pub;
-- and added back by someone: only the message about it is unread
SELECT chat.leave_thread(:pub, 12) AS gil_left;
SELECT chat.new_reply(:pub, 11, 'Gone again') > 0;
SELECT chat.add_members(:pub, 11, '{12}') AS added;
SELECT i.unread_count, i.last_preview FROM chat.inbox(12) i WHERE i.thread_id = :pub;
-- removing oneself is leaving, whatever one's permissions
SELECT chat.remove_member(:pub, 12, 12) AS removed_self;
SELECT sender_id, content FROM pg_temp.log(:pub) OFFSET 8;
SELECT pg_temp.roles(:pub);

-- alone, the last owner leaves; the room stays, empty
SELECT chat.create_group(20, 'Solo') AS solo \gset
SELECT chat.can_leave(:solo, 20) AS can_leave;
SELECT chat.leave_thread(:solo, 20) AS left;
SELECT subject, member_count, message_count FROM chat.thread WHERE id = :solo;
SELECT * FROM pg_temp.log(:solo);
-- a non-member neither leaves nor is told he can
SELECT chat.can_leave(:solo, 20) AS can_leave;
SELECT chat.leave_thread(:solo, 20);
SELECT count(*) AS drift FROM chat.verify_unread();

/* ---- Member cap --------------------------------------------------------------- */

SELECT chat.set_setting('max_members', '3');
SELECT chat.create_group(30, 'Capped', '{31}', is_public => true) AS cap \gset
SELECT chat.can_join(:cap, 32) AS can_join;
SELECT chat.join_thread(:cap, 32) AS joined;
SELECT chat.can_join(:cap, 33) AS can_join;
SELECT chat.join_thread(:cap, 33);
SELECT chat.add_members(:cap, 30, '{33}');
SELECT chat.create_group(30, 'Too big', '{31,32,33}');
SELECT chat.leave_thread(:cap, 32) AS left;
SELECT chat.add_members(:cap, 30, '{33,34}');
SELECT chat.add_members(:cap, 30, '{33}') AS added;
SELECT member_count FROM chat.thread WHERE id = :cap;
SELECT chat.set_setting('max_members', NULL);
SELECT chat.join_thread(:cap, 34) AS joined_without_cap;
SELECT count(*) AS drift FROM chat.verify_unread();

/* ---- Permissions: grant, revoke, set_role -------------------------------- */

SELECT chat.create_group(40, 'Perms', '{41,42}') AS pg \gset
SELECT chat.set_role(:pg, 40, 41, 'admin') AS admin;
-- a member's own messages: revoking edit_own_messages and delete_own_messages
SELECT chat.new_reply(:pg, 42, 'mine') AS mine \gset
SELECT chat.revoke(:pg, 41, 42, 'edit_own_messages') AS revoked;
SELECT chat.revoke(:pg, 41, 42, 'delete_own_messages') AS revoked;
SELECT chat.edit_message(:mine, 42, 'mine, edited');
SELECT chat.delete_message(:mine, 42);
-- revoking post silences; granting delete_messages makes a moderator
SELECT chat.revoke(:pg, 40, 42, 'post') AS revoked;
SELECT chat.new_reply(:pg, 42, 'hello?');
SELECT chat.grant(:pg, 40, 42, 'delete_messages') AS granted;
SELECT chat.grant(:pg, 40, 42, 'delete_messages') AS granted_again;
SELECT user_id, role, permissions FROM chat.members(:pg, 40) WHERE user_id = 42;
-- set_role resets the permissions to the new role's defaults
SELECT chat.set_role(:pg, 40, 42, 'member') AS reset;
SELECT user_id, role, permissions FROM chat.members(:pg, 40) WHERE user_id = 42;
SELECT chat.new_reply(:pg, 42, 'I can talk again') > 0 AS posted;
-- the only owner cannot step down without a successor
SELECT chat.set_role(:pg, 40, 40, 'admin');
-- an admin cannot touch the owner's permissions; members grant nothing
SELECT chat.revoke(:pg, 41, 40, 'post');
SELECT chat.grant(:pg, 42, 42, 'edit_thread');
SELECT chat.grant(:pg, 40, 42, 'fly');
SELECT chat.revoke(:pg, 40, 42, NULL);
SELECT chat.has_permission(:pg, 42, 'fly');
SELECT chat.grant(:pg, 40, 43, 'post');
-- has_permission: false for a non-member or an unknown thread
SELECT chat.has_permission(:pg, 43, 'post') AS non_member, chat.has_permission(999999, 40, 'post') AS no_thread;
SELECT count(*) AS drift FROM chat.verify_unread();

/* ---- Mute ---------------------------------------------------------------------- */

SELECT chat.new_reply(:pg, 40, 'unread for 41') > 0;
SELECT * FROM chat.unread_count(41);
SELECT chat.mute(:pg, 41) AS muted;
SELECT * FROM chat.unread_count(41);
SELECT i.muted, i.unread_count FROM chat.inbox(41) i WHERE i.thread_id = :pg;
SELECT user_id, muted FROM chat.members(:pg, 41) ORDER BY user_id;
SELECT chat.mute(:pg, 41, false) AS unmuted;
SELECT * FROM chat.unread_count(41);
SELECT chat.mute(:pg, 43);

/* ---- members(): by role, then joined_at, then user id --------------------- */

SELECT chat.create_group(52, 'Order', '{51}') AS ord \gset
SELECT chat.add_members(:ord, 52, '{56,55}') AS added;
SELECT chat.add_members(:ord, 52, '{54}', 'admin') AS added;
SELECT chat.add_members(:ord, 52, '{53}', 'owner') AS added;
SELECT chat.set_role(:ord, 52, 51, 'admin') AS promoted;
SELECT user_id, role FROM chat.members(:ord, 55);
SELECT * FROM chat.members(:ord, 99);
SELECT count(*) AS drift FROM chat.verify_unread();

/* ---- One inbox for every kind, newest activity first ---------------------- */

SELECT chat.direct_thread(1, 4) AS d14 \gset
SELECT chat.new_reply(:d14, 4, 'Hi Alice, Dan here') > 0;
SELECT i.ordinality AS pos, i.kind, i.subject, i.last_sender_id, i.last_preview, i.unread_count,
       i.muted, i.member_count
  FROM chat.inbox(1) WITH ORDINALITY i ORDER BY i.ordinality;
SELECT chat.inbox_count(1) AS threads, (SELECT threads FROM chat.unread_count(1)) AS unread_threads;
SELECT count(*) AS drift FROM chat.verify_unread();

/* ---- Events and display names --------------------------------------------- */

DROP SCHEMA IF EXISTS rooms_app CASCADE;
CREATE SCHEMA rooms_app;
CREATE TABLE rooms_app.person (id bigint PRIMARY KEY, name text NOT NULL);
INSERT INTO rooms_app.person VALUES (1, 'Alice'), (2, 'Bob'), (3, 'Carol'), (4, 'Dan'), (5, 'Erin');
-- everyone chat knows so far, so that the binding's keys validate; 999 is nobody
INSERT INTO rooms_app.person SELECT g, 'user ' || g FROM generate_series(6, 99) g;
CREATE FUNCTION rooms_app.person_name(id bigint) RETURNS text LANGUAGE sql STABLE
    AS $$ SELECT p.name FROM rooms_app.person p WHERE p.id = $1 $$;
CREATE TABLE rooms_app.event_log (n serial, payload jsonb);
CREATE FUNCTION rooms_app.log_event(e jsonb) RETURNS void LANGUAGE sql
    AS $$ INSERT INTO rooms_app.event_log (payload) VALUES (e) $$;
SELECT chat.set_setting('notify', 'false');
SELECT chat.add_hook(e, 'rooms_app.log_event(jsonb)')
  FROM unnest('{thread_created,member_added,member_removed,message_sent}'::text[]) e;
-- system messages name users by the display name once a function is bound
SELECT chat.use_user_table('rooms_app.person', display_name => 'rooms_app.person_name(bigint)');
SELECT chat.create_group(1, 'Named', '{2}') AS named \gset
SELECT chat.add_members(:named, 1, '{4,3}') AS added;
SELECT chat.rename_thread(:named, 1, 'Renamed') AS renamed;
SELECT chat.remove_member(:named, 1, 4) AS removed;
SELECT chat.leave_thread(:named, 3) AS left;
SELECT chat.set_role(:named, 1, 2, 'admin') AS promoted;
SELECT * FROM pg_temp.log(:named);
SELECT payload ->> 'event' AS event, payload -> 'user_id' AS user_id, payload ->> 'user_name' AS user_name,
       payload - '{event,thread_id,message_id,user_id,user_name}'::text[] AS other_keys
  FROM rooms_app.event_log ORDER BY n;
-- a user the users table does not have cannot be added
SELECT chat.add_members(:named, 1, '{999}');
SELECT chat.direct_thread(1, 999);
SELECT chat.use_user_table(NULL);
SELECT count(*) AS drift FROM chat.verify_unread();
DROP SCHEMA rooms_app CASCADE;

/* ---- drop_thread is a hard delete ----------------------------------------- */

SELECT count(*) AS threads_before FROM chat.thread \gset
SELECT chat.drop_thread(:g, 1) AS dropped;
SELECT (SELECT count(*) FROM chat.thread) = :threads_before - 1 AS one_less,
       (SELECT count(*) FROM chat.member WHERE thread_id = :g) AS members,
       (SELECT count(*) FROM chat.message WHERE thread_id = :g) AS messages,
       (SELECT count(*) FROM chat.message_edit WHERE thread_id = :g) AS edits;
SELECT count(*) AS threads_of_2 FROM chat.inbox(2) WHERE thread_id = :g;
SELECT chat.drop_thread(:g, 1);

/* ---- Bad arguments: every one leaves nothing behind ----------------------- */

SELECT count(*) AS threads_before FROM chat.thread \gset
SELECT count(*) AS messages_before FROM chat.message \gset
SELECT chat.create_group(1, NULL);
SELECT chat.create_group(1, '   ');
SELECT chat.create_group(1, repeat('x', 256));
SELECT chat.create_group(NULL, 'No creator');
SELECT chat.create_group(1, 'Null member', '{2,NULL}');
SELECT chat.create_group(1, 'Square', '{{2,3},{4,5}}');
SELECT chat.create_channel(1, '');
SELECT chat.direct_thread(1, NULL);
SELECT chat.object_thread(NULL, '1', 1);
SELECT chat.add_members(999999, 1, '{2}');
SELECT chat.add_members(:pg, 40, NULL);
SELECT chat.join_thread(999999, 1);
SELECT chat.leave_thread(999999, 1);
SELECT chat.set_role(:pg, 40, 42, NULL);
SELECT chat.set_role(:pg, 40, 43, 'admin');
SELECT chat.remove_member(:pg, 40, 43);
SELECT chat.rename_thread(:pg, 40, NULL);
SELECT chat.rename_thread(:pg, 40, ' ');
SELECT count(*) = :threads_before AS no_thread_written, (SELECT count(*) FROM chat.message) = :messages_before AS no_message_written
  FROM chat.thread;
SELECT count(*) AS drift FROM chat.verify_unread();
