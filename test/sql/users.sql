-- chat.use_user_table: chat bound to the application's users table, what
-- deleting a user does in each mode, display names, and pg_dump
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS chat CASCADE;
CREATE EXTENSION chat;
\set VERBOSITY terse

DROP TABLE IF EXISTS public.app_user, public.app_account, public.app_guest, public.app_user_copy CASCADE;
DROP VIEW IF EXISTS public.app_user_names;
DROP FUNCTION IF EXISTS public.app_user_name(bigint);
CREATE TABLE public.app_user (id bigint PRIMARY KEY, name text NOT NULL);
INSERT INTO public.app_user VALUES (1, 'Alice'), (2, 'Bob'), (3, 'Carol'), (4, 'Dan'), (5, 'Erin');
CREATE FUNCTION public.app_user_name(id bigint) RETURNS text
    LANGUAGE sql STABLE AS $$ SELECT u.name FROM public.app_user u WHERE u.id = $1 $$;

-- What the scenarios show: the binding's keys, threads, messages, every inbox
CREATE TEMP VIEW keys AS
SELECT conrelid::regclass AS "table", conname, pg_get_constraintdef(oid) AS definition, convalidated
  FROM pg_constraint WHERE contype = 'f' AND confrelid = 'public.app_user'::regclass
 ORDER BY conname;
CREATE TEMP VIEW threads AS
SELECT id, subject, created_by, member_count, message_count, last_sender_id, last_preview
  FROM chat.thread ORDER BY id;
CREATE TEMP VIEW messages AS
SELECT thread_id, id, sender_id, sender_name, content, parent_id FROM chat.message_view ORDER BY id;
CREATE TEMP VIEW inboxes AS
SELECT u.id AS viewer, i.thread_id, i.last_sender_id, i.unread_count, i.member_count,
       (SELECT c.messages FROM chat.unread_count(u.id) c) AS badge
  FROM public.app_user u, chat.inbox(u.id) i ORDER BY 1, 2;

-- The conversation each scenario starts from: Alice writes to Bob and Carol,
-- Bob answers her, Carol answers Bob, Alice reads, Bob writes again; Bob and
-- Dan have a thread of their own
CREATE FUNCTION pg_temp.conversation() RETURNS void
    LANGUAGE plpgsql AS $$
DECLARE
    m1 bigint;
    m2 bigint;
    t1 bigint;
    t2 bigint;
BEGIN
    DELETE FROM chat.thread;
    INSERT INTO public.app_user VALUES (2, 'Bob') ON CONFLICT DO NOTHING;
    m1 := chat.new_message(1, '{2,3}', 'Lunch', 'Pizza at noon?');
    t1 := (SELECT thread_id FROM chat.message WHERE id = m1);
    m2 := chat.new_reply(t1, 2, 'Yes!', parent_id => m1);
    PERFORM chat.new_reply(t1, 3, 'Count me in', parent_id => m2);
    PERFORM chat.mark_read(t1, 1);
    PERFORM chat.new_reply(t1, 2, 'I booked a table');
    m1 := chat.new_message(2, '{4}', 'Hi', 'Hello Dan');
    t2 := (SELECT thread_id FROM chat.message WHERE id = m1);
    PERFORM chat.new_reply(t2, 4, 'Hi Bob');
END
$$;

-- Bound with the defaults: table public.app_user, column "id", on_delete "cascade"
SELECT pg_temp.conversation();
SELECT chat.use_user_table('public.app_user');
SELECT * FROM chat.user_binding;
SELECT * FROM keys;
SELECT * FROM threads;
SELECT * FROM messages;
SELECT * FROM inboxes;

-- cascade: Bob's memberships and messages go; Carol's answer to him stays,
-- no longer a reply; counters, inboxes and badges are exact
DELETE FROM public.app_user WHERE id = 2;
SELECT * FROM threads;
SELECT * FROM messages;
SELECT * FROM inboxes;
SELECT count(*) AS drift FROM chat.verify_unread();
-- a user that is not in the table cannot join chat any more
SELECT chat.new_message(1, '{2}', 'Still there?', 'Bob?');
SELECT chat.new_message(9, '{1}', 'Who am I?', 'nobody');

-- anonymize: Bob's messages stay without a sender, his memberships go
SELECT pg_temp.conversation();
SELECT chat.use_user_table('public.app_user', on_delete => 'anonymize');
SELECT * FROM keys;
DELETE FROM public.app_user WHERE id = 2;
SELECT * FROM threads;
SELECT * FROM messages;
SELECT * FROM inboxes;
SELECT count(*) AS drift FROM chat.verify_unread();
-- a sender can be removed, never replaced
UPDATE chat.message SET sender_id = 3 WHERE sender_id IS NULL;

-- restrict: a user chat refers to cannot be deleted; one it does not can
SELECT pg_temp.conversation();
SELECT chat.use_user_table('public.app_user', on_delete => 'restrict');
SELECT * FROM keys;
DELETE FROM public.app_user WHERE id = 2;
DELETE FROM public.app_user WHERE id = 5 RETURNING name;
SELECT count(*) AS messages, (SELECT count(*) FROM chat.member) AS members FROM chat.message;
SELECT count(*) AS drift FROM chat.verify_unread();
INSERT INTO public.app_user VALUES (5, 'Erin');

-- Display names: none until a function is registered
SELECT chat.display_name(1) AS name_of_1, chat.display_name(NULL) AS name_of_null;
SELECT chat.use_user_table('public.app_user', display_name => 'public.app_user_name(bigint)');
SELECT tbl, id_column, on_delete, display_name FROM chat.user_binding;
SELECT chat.display_name(1) AS name_of_1, chat.display_name(9) AS name_of_9;
SELECT thread_id, user_id, display_name, role, muted FROM chat.member_view ORDER BY thread_id, user_id;
SELECT chat.delete_message((SELECT max(id) FROM chat.message WHERE sender_id = 4), 4);
SELECT chat.edit_message((SELECT min(id) FROM chat.message), 1, 'Pizza at one?') IS NOT NULL AS edited;
SELECT thread_id, id, sender_id, sender_name, kind, content, edited, deleted, parent_id
  FROM chat.message_view ORDER BY id;

-- Removing the binding drops the keys; binding again adds them
SELECT chat.use_user_table(NULL);
SELECT count(*) AS bindings FROM chat.user_binding;
SELECT * FROM keys;
SELECT chat.use_user_table('public.app_user', display_name => 'public.app_user_name(bigint)');
SELECT count(*) AS keys FROM keys;

-- Every refusal names what is wrong and leaves the binding as it was
CREATE TABLE public.app_account (id bigint, name text, uid text UNIQUE);
CREATE VIEW public.app_user_names AS SELECT id, name FROM public.app_user;
CREATE UNLOGGED TABLE public.app_guest (id bigint PRIMARY KEY);
\set VERBOSITY default
\set SHOW_CONTEXT never
SELECT chat.use_user_table('public.app_user', id_column => NULL);
SELECT chat.use_user_table('public.app_user', on_delete => NULL);
SELECT chat.use_user_table('public.app_user', on_delete => 'delete');
SELECT chat.use_user_table('public.app_user_names');
SELECT chat.use_user_table('public.app_guest');
SELECT chat.use_user_table('public.app_user', id_column => 'user_id');
SELECT chat.use_user_table('public.app_account', id_column => 'uid');
SELECT chat.use_user_table('public.app_account');
SELECT chat.use_user_table('public.app_user', display_name => 'pg_catalog.abs(bigint)');
-- Bob and Dan are not accounts: the keys could not be validated
INSERT INTO public.app_account SELECT id, name FROM public.app_user WHERE id IN (1, 3);
ALTER TABLE public.app_account ADD PRIMARY KEY (id);
SELECT chat.use_user_table('public.app_account');
SELECT tbl, id_column, on_delete, display_name FROM chat.user_binding;
\set VERBOSITY terse
SELECT count(*) AS keys FROM keys;
DROP TABLE public.app_account, public.app_guest;
DROP VIEW public.app_user_names;
-- only a server role may bind; a server role that is not a superuser binds
-- only a table it may reference
DROP ROLE IF EXISTS regress_chat_app;
CREATE ROLE regress_chat_app;
SET ROLE regress_chat_app;
SELECT chat.use_user_table(NULL);
RESET ROLE;
SELECT chat.set_setting('server_roles', '["regress_chat_app"]');
SET ROLE regress_chat_app;
SELECT chat.use_user_table('public.app_user');
RESET ROLE;
SELECT chat.set_setting('server_roles', NULL);
DROP ROLE regress_chat_app;
SELECT count(*) AS keys FROM keys;

-- The binding follows the users table: a renamed id column, a dropped
-- display name function, and the table dropped with CASCADE
ALTER TABLE public.app_user RENAME COLUMN id TO user_id;
SELECT tbl, id_column FROM chat.user_binding;
ALTER TABLE public.app_user RENAME COLUMN user_id TO id;
DROP FUNCTION public.app_user_name(bigint);
SELECT tbl, id_column, display_name FROM chat.user_binding;
CREATE TABLE public.app_user_copy (LIKE public.app_user INCLUDING ALL);
INSERT INTO public.app_user_copy SELECT * FROM public.app_user;
SELECT chat.use_user_table('public.app_user_copy');
DROP TABLE public.app_user_copy;
DROP TABLE public.app_user_copy CASCADE;
SELECT count(*) AS bindings FROM chat.user_binding;
DROP VIEW keys, inboxes;
DROP TABLE public.app_user;

-- pg_dump keeps the binding row, not the keys (no constraint added to an
-- extension's tables is dumped): the restored row adds them again, NOT VALID,
-- once the users table has its primary key (created after the rows).  In a
-- database of its own, so that nothing else is in the dump.
SELECT current_database() AS db \gset
DROP DATABASE IF EXISTS chat_users_dumped;
DROP DATABASE IF EXISTS chat_users_restored;
CREATE DATABASE chat_users_dumped;
\c chat_users_dumped
SET client_min_messages = warning;
\set VERBOSITY terse
CREATE EXTENSION chat;
CREATE TABLE public.app_user (id bigint PRIMARY KEY, name text NOT NULL);
INSERT INTO public.app_user VALUES (1, 'Alice'), (2, 'Bob'), (3, 'Carol');
CREATE FUNCTION public.app_user_name(id bigint) RETURNS text
    LANGUAGE sql STABLE AS $$ SELECT u.name FROM public.app_user u WHERE u.id = $1 $$;
SELECT chat.new_message(1, '{2,3}', 'Lunch', 'Pizza at noon?') AS m1 \gset
SELECT chat.new_reply(1, 2, 'Yes!', parent_id => :m1) AS m2 \gset
SELECT chat.new_reply(1, 3, 'Count me in', parent_id => :m2) AS m3 \gset
SELECT chat.use_user_table('public.app_user', display_name => 'public.app_user_name(bigint)');
\setenv PGDATABASE chat_users_dumped
\! pg_dump --no-comments -f /tmp/chat_regress_users_dump.sql 2>&1 | grep -Ev '^pg_dump: (warning: there are circular|detail: message|hint: )'
\! createdb chat_users_restored && psql -X -q -o /dev/null -d chat_users_restored -f /tmp/chat_regress_users_dump.sql 2>&1 | grep -v 'circular foreign-key' ; rm -f /tmp/chat_regress_users_dump.sql
\c chat_users_restored
SET client_min_messages = warning;
\set VERBOSITY terse
SELECT tbl, id_column, on_delete, display_name FROM chat.user_binding;
SELECT conrelid::regclass AS "table", conname, pg_get_constraintdef(oid) AS definition, convalidated
  FROM pg_constraint WHERE contype = 'f' AND confrelid = 'public.app_user'::regclass ORDER BY conname;
SELECT thread_id, id, sender_id, sender_name, content, parent_id FROM chat.message_view ORDER BY id;
-- deleting a user cascades in the restored database too
DELETE FROM public.app_user WHERE id = 2;
SELECT thread_id, id, sender_id, sender_name, content, parent_id FROM chat.message_view ORDER BY id;
SELECT id, created_by, member_count, message_count, last_sender_id FROM chat.thread ORDER BY id;
SELECT v AS viewer, i.thread_id, i.last_sender_id, i.unread_count, i.member_count
  FROM unnest('{1,3}'::bigint[]) v, chat.inbox(v) i ORDER BY v;
SELECT count(*) AS drift FROM chat.verify_unread();
-- the NOT VALID keys guard every new row
SELECT chat.new_message(2, '{1}', 'Back?', 'It is Bob');
-- binding again validates the restored keys
SELECT chat.use_user_table('public.app_user', display_name => 'public.app_user_name(bigint)');
SELECT conname, convalidated FROM pg_constraint
 WHERE contype = 'f' AND confrelid = 'public.app_user'::regclass ORDER BY conname;
\c :db
DROP DATABASE chat_users_dumped;
DROP DATABASE chat_users_restored;
