-- Security (chat 0.4) as a psql user sees it: identity, the two trust
-- levels, end users from psql logins and from PostgREST, and direct reads
-- under row-level security.  Alice is 1, Bob 2, Carol 3.
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS chat CASCADE;
CREATE EXTENSION chat;
\set VERBOSITY terse
DROP ROLE IF EXISTS regress_alice, regress_bob, regress_web, regress_app, regress_app_worker;
CREATE ROLE regress_alice;
CREATE ROLE regress_bob;
CREATE ROLE regress_web;          -- PostgREST's "authenticated": identity from the JWT
CREATE ROLE regress_app;          -- the application server's role
CREATE ROLE regress_app_worker IN ROLE regress_app;

-- the superuser running this file is a server role: it acts for anyone
SELECT chat.is_server_role();
SELECT chat.new_message(1, '{2}', 'Lunch', 'Pizza?') AS lunch \gset
SELECT chat.new_message(2, '{3}', 'Secret', 'Bob and Carol only') AS secret \gset
SELECT chat.create_group(3, 'Open room', '{}', is_public => true) AS open_room \gset
SELECT thread_id AS lunch_t FROM chat.message WHERE id = :lunch \gset
SELECT thread_id AS secret_t FROM chat.message WHERE id = :secret \gset

-- psql logins that are people: map them
SELECT chat.map_role('regress_alice', 1);
SELECT chat.map_role('regress_bob', 2);
SELECT role, user_id FROM chat.role_map ORDER BY user_id;

SET ROLE regress_alice;
SELECT chat.current_user_id(), chat.is_server_role();
SELECT thread_id, subject, unread_count FROM chat.inbox();
SELECT chat.new_reply(:lunch_t, content => 'Noon?') IS NOT NULL AS sent;
-- the mapping wins over the settings
SET chat.user_id = '2';
SELECT set_config('request.jwt.claims', '{"sub": "2"}', false) IS NOT NULL AS claims_set;
SELECT chat.current_user_id();
-- acting as someone else, or where one does not belong
SELECT chat.new_reply(:lunch_t, 2, 'as Bob');
SELECT * FROM chat.inbox(2);
SELECT * FROM chat.messages(:secret_t);
SELECT chat.mark_read(:secret_t);
-- configuration belongs to server roles
SELECT chat.set_setting('notify', 'false');
SELECT chat.set_setting('server_roles', '["regress_alice"]');
SELECT chat.map_role('regress_alice', 2);
SELECT chat.add_hook('message_sent', 'pg_catalog.jsonb_typeof(jsonb)');
-- direct reads: only Alice's thread; public rooms are listed apart, without
-- their last message
SELECT id, subject, is_public FROM chat.thread ORDER BY id;
SELECT id, kind, subject, member_count FROM chat.public_thread;
SELECT thread_id, user_id FROM chat.member ORDER BY thread_id, user_id;
SELECT thread_id, sender_id, content FROM chat.message ORDER BY id;
SELECT role, user_id FROM chat.role_map;
-- the internals are closed
SELECT * FROM chat._membership(2);
SELECT chat._emit('typing', :secret_t, NULL, 1, NULL);
RESET ROLE;
RESET chat.user_id;
SELECT set_config('request.jwt.claims', '', false) IS NOT NULL AS claims_cleared;

-- PostgREST: the request's role plus verified claims
SET ROLE regress_web;
SELECT chat.current_user_id();
SELECT chat.inbox();
RESET ROLE;
BEGIN;
SET LOCAL ROLE regress_web;
SELECT set_config('request.jwt.claims', '{"sub": "3", "role": "authenticated"}', true) IS NOT NULL AS claims_set;
SELECT chat.current_user_id();
SELECT thread_id, subject FROM chat.inbox();
SELECT chat.mark_read(:secret_t);
SELECT count(*) AS messages_visible FROM chat.message;
COMMIT;
-- an application server's role passes the acting user explicitly
SET ROLE regress_app_worker;
SELECT chat.is_server_role();
SELECT chat.new_reply(:lunch_t, 2, 'Bob, sent by the server');
RESET ROLE;
SELECT chat.set_setting('server_roles', '["regress_app"]');
SET ROLE regress_app_worker;
SELECT chat.is_server_role();
SELECT chat.new_reply(:lunch_t, 2, 'Bob, sent by the server') IS NOT NULL AS sent;
SELECT count(*) AS messages_visible FROM chat.message;
RESET ROLE;
SELECT chat.set_setting('server_roles', '["no_such_role"]');
SELECT chat.set_setting('server_roles', '"regress_app"');

-- unmapping gives the settings back
SELECT chat.unmap_role('regress_bob');
SELECT chat.unmap_role('regress_bob');
SET ROLE regress_bob;
SELECT chat.current_user_id();
SELECT chat.inbox();
RESET ROLE;

SELECT * FROM chat.verify_unread();
RESET ROLE;
DROP EXTENSION chat CASCADE;
DROP ROLE regress_alice, regress_bob, regress_web, regress_app_worker, regress_app;
