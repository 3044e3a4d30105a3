-- chat.user_id_type: the base type of user ids, chosen before CREATE EXTENSION
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS chat CASCADE;
\set VERBOSITY terse

-- the default is bigint
CREATE EXTENSION chat;
SELECT format_type(typbasetype, NULL) AS base FROM pg_type WHERE oid = 'chat.user_id'::regtype;
DROP EXTENSION chat;

-- uuid, as for Supabase's auth.users
SET chat.user_id_type = 'uuid';
CREATE EXTENSION chat;
SELECT format_type(typbasetype, NULL) AS base FROM pg_type WHERE oid = 'chat.user_id'::regtype;
SELECT chat.new_message('00000000-0000-0000-0000-00000000000a',
                        '{00000000-0000-0000-0000-00000000000b}', 'uuid', 'hello') > 0 AS sent;
SELECT chat.new_reply(1, '00000000-0000-0000-0000-00000000000b', 'hi') > 0 AS replied;
SELECT thread_id, last_sender_id, unread_count FROM chat.inbox('00000000-0000-0000-0000-00000000000a');
SELECT * FROM chat.unread_count('00000000-0000-0000-0000-00000000000a');
SELECT chat.mark_read(1, '00000000-0000-0000-0000-00000000000a');
SELECT chat.new_reply(1, '00000000-0000-0000-0000-00000000000c', 'stranger');
SELECT chat.new_message('not-a-uuid', '{00000000-0000-0000-0000-00000000000b}', 'x', 'x');
-- the session's user, as PostgREST sets it
SET request.jwt.claims = '{"sub": "00000000-0000-0000-0000-00000000000b"}';
SELECT chat.current_user_id();
SELECT chat.new_reply(1, content => 'from the JWT') > 0 AS replied;
SELECT last_sender_id, last_preview FROM chat.inbox('00000000-0000-0000-0000-00000000000a');
RESET request.jwt.claims;
DROP EXTENSION chat;

-- text and integer
SET chat.user_id_type = 'text';
CREATE EXTENSION chat;
SELECT chat.new_message('alice', '{bob}', 'text ids', 'hi') > 0 AS sent;
SELECT v AS viewer, unread_count FROM unnest('{alice,bob}'::text[]) v, chat.inbox(v) ORDER BY v;
SET chat.user_id = 'bob';
SELECT chat.current_user_id(), (chat.unread_count()).messages;
RESET chat.user_id;
DROP EXTENSION chat;
SET chat.user_id_type = 'integer';
CREATE EXTENSION chat;
SELECT format_type(typbasetype, NULL) AS base FROM pg_type WHERE oid = 'chat.user_id'::regtype;
SELECT chat.new_message(1, ARRAY[2, 3], 'int ids', 'hi') > 0 AS sent;
DROP EXTENSION chat;

-- anything else is refused
SET chat.user_id_type = 'float';
CREATE EXTENSION chat;
RESET chat.user_id_type;
CREATE EXTENSION chat;
SELECT format_type(typbasetype, NULL) AS base FROM pg_type WHERE oid = 'chat.user_id'::regtype;
