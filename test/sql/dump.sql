-- pg_dump keeps threads, members, messages, history, settings and sequences;
-- a restored database goes on exactly where the original stopped
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS chat CASCADE;
CREATE EXTENSION chat;
\set VERBOSITY terse

DROP SCHEMA IF EXISTS app CASCADE;
CREATE SCHEMA app;
CREATE TABLE app.sent_log (message_id bigint);
CREATE FUNCTION app.log_sent(e jsonb) RETURNS void LANGUAGE sql
    AS $$ INSERT INTO app.sent_log VALUES ((e ->> 'message_id')::bigint) $$;
SELECT chat.add_hook('message_sent', 'app.log_sent(jsonb)');
CREATE TABLE app.message_meta (thread_id bigint, message_id bigint,
                               priority text NOT NULL DEFAULT 'normal',
                               PRIMARY KEY (thread_id, message_id),
                               FOREIGN KEY (thread_id, message_id) REFERENCES chat.message (thread_id, id) ON DELETE CASCADE);
SELECT chat.swap_model('message', 'app.message_meta');
SELECT chat.set_setting('max_page_size', '77');
SELECT chat.set_setting('inbox_fanout_limit', '2');
SELECT chat.new_message(1, '{2,3}', 'Large', 'hello') AS m1 \gset
SELECT chat.new_message(1, '{2}', 'Small', 'hi');
SELECT chat.new_reply(1, 2, 'reply', extra => '{"priority": "high"}');
SELECT chat.new_reply(2, 2, 'reply');
SELECT chat.edit_message(:m1, 1, 'hello!');
SELECT chat.delete_thread(1, 3);
SELECT chat.mark_read(2, 1);

CREATE TEMP TABLE state_before AS
SELECT (SELECT string_agg(format('%s:%s:%s:%s:%s', id, kind, member_count, message_count, last_message_id), ' ' ORDER BY id) FROM chat.thread) AS threads,
       (SELECT string_agg(format('%s/%s %s r%s c%s h%s a%s', thread_id, user_id, role, read_id, read_count, hidden_id, activity_id), ' ' ORDER BY thread_id, user_id) FROM chat.member) AS members,
       (SELECT string_agg(format('%s@%s %s', id, sent_at, content), ' ' ORDER BY id) FROM chat.message) AS messages,
       (SELECT string_agg(content, ' ') FROM chat.message_edit) AS history;

SELECT current_database() AS db \gset
\setenv PGDATABASE :db
-- (pg_dump notes the self-referencing parent key of chat.message; the rows restore in one COPY)
\! pg_dump --no-comments -f /tmp/chat_regress_dump.sql 2>&1 | grep -Ev '^pg_dump: (warning: there are circular|detail: message|hint: )'
DROP DATABASE IF EXISTS chat_dump_restored;
\! createdb chat_dump_restored && psql -X -q -o /dev/null -d chat_dump_restored -f /tmp/chat_regress_dump.sql 2>&1 | grep -v 'circular foreign-key' ; rm -f /tmp/chat_regress_dump.sql

-- the restored rows are the same rows, with the same counters
SELECT threads, members, messages, history FROM state_before \gset b_
\c chat_dump_restored
SET client_min_messages = warning;
\set VERBOSITY terse
SELECT string_agg(format('%s:%s:%s:%s:%s', id, kind, member_count, message_count, last_message_id), ' ' ORDER BY id) = :'b_threads' AS same_threads FROM chat.thread;
SELECT string_agg(format('%s/%s %s r%s c%s h%s a%s', thread_id, user_id, role, read_id, read_count, hidden_id, activity_id), ' ' ORDER BY thread_id, user_id) = :'b_members' AS same_members FROM chat.member;
SELECT string_agg(format('%s@%s %s', id, sent_at, content), ' ' ORDER BY id) = :'b_messages' AS same_messages FROM chat.message;
SELECT string_agg(content, ' ') = :'b_history' AS same_history FROM chat.message_edit;
SELECT key, value FROM chat.setting ORDER BY key;
SELECT event, function, position FROM chat.hook;
SELECT model, tbl FROM chat.model;
SELECT content, extra FROM chat.messages(1, 2) ORDER BY id;
SELECT count(*) AS drift FROM chat.verify_unread();

-- and it goes on, firing the same hooks: new ids continue, counters stay exact
SELECT chat.new_reply(1, 3, 'after the restore') > (SELECT max(id) FROM chat.message WHERE content <> 'after the restore') AS new_id_continues;
SELECT chat.new_message(5, '{6}', 'New', 'new thread') > 0 AS sent;
SELECT id, member_count, message_count FROM chat.thread ORDER BY id;
SELECT v AS viewer, thread_id, unread_count FROM unnest('{1,2,3}'::bigint[]) v, chat.inbox(v) ORDER BY v, thread_id;
SELECT count(*) AS drift FROM chat.verify_unread();
-- 1 to 4 were logged before the dump (app.sent_log was restored too); the
-- restored database's hook logged the two messages sent since
SELECT message_id FROM app.sent_log ORDER BY message_id;

\c :db
SET client_min_messages = warning;
DROP DATABASE chat_dump_restored;
DROP SCHEMA app CASCADE;
