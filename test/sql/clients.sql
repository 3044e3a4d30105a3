-- What applications see: the type of user ids chosen by the database's
-- setting in the same session, user-id lists as base-type arrays, and the
-- three unread numbers side by side.
SET client_min_messages = warning;
\set VERBOSITY terse

-- ALTER DATABASE ... SET then CREATE EXTENSION in one session (the stored
-- value reaches only later sessions; CREATE EXTENSION reads it anyway)
DROP DATABASE IF EXISTS regress_chat_clients;
CREATE DATABASE regress_chat_clients;
\c regress_chat_clients
SET client_min_messages = warning;
\set VERBOSITY terse
ALTER DATABASE regress_chat_clients SET chat.user_id_type = 'integer';
CREATE EXTENSION chat;
SELECT format_type(t.typbasetype, NULL) AS user_id_base
  FROM pg_type t WHERE t.oid = 'chat.user_id'::regtype;
-- a session value that contradicts the stored one is refused
DROP EXTENSION chat;
SET chat.user_id_type = 'uuid';
CREATE EXTENSION chat;
RESET chat.user_id_type;
CREATE EXTENSION chat;
SELECT format_type(t.typbasetype, NULL) AS user_id_base
  FROM pg_type t WHERE t.oid = 'chat.user_id'::regtype;
\c contrib_regression
SET client_min_messages = warning;
\set VERBOSITY terse
DROP DATABASE regress_chat_clients;

DROP EXTENSION IF EXISTS chat CASCADE;
CREATE EXTENSION chat;

-- user-id lists reach clients as the base type's array (bigint[], OID 1016)
SELECT chat.new_message(1, '{2,3}', 'Lunch', 'Pizza?') AS m \gset
SELECT chat.add_reaction(:m, 2, 'yes'), chat.add_reaction(:m, 3, 'yes');
SELECT reaction, users, pg_typeof(users) AS declared,
       (SELECT t.typbasetype::regtype FROM pg_type t WHERE t.oid = pg_typeof(users)) AS sent_as
  FROM chat.reactions(:m, 1);

-- the badge: unread_count leaves muted threads out; the "unread" folder and
-- the inbox rows count them
SELECT chat.new_message(1, '{2}', 'Muted', 'one') \g /dev/null
SELECT chat.new_message(1, '{2}', 'Muted', 'two') AS m2 \gset
SELECT chat.mute(thread_id, 2) FROM chat.message WHERE id = :m2;
SELECT threads, messages FROM chat.unread_count(2);
SELECT chat.inbox_count(2, 'unread') AS unread_folder;
SELECT sum(unread_count) AS inbox_rows_unread, count(*) FILTER (WHERE muted) AS muted_rows FROM chat.inbox(2);
