-- Upgrading: a database created at 0.1 is updated to the current version,
-- keeps its rows and counters, and gains the new features
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS chat CASCADE;
CREATE EXTENSION chat VERSION '0.1';
\set VERBOSITY terse
SELECT extversion FROM pg_extension WHERE extname = 'chat';

SELECT chat.new_message(1, '{2,3}', 'Before', 'written at 0.1') AS m1 \gset
SELECT chat.new_reply(1, 2, 'a reply at 0.1');
SELECT chat.edit_message(:m1, 1, 'written at 0.1, edited');
SELECT chat.set_setting('max_page_size', '77');
SELECT chat.mark_read(1, 3);
SELECT chat.delete_thread(1, 2);
-- the 0.1 function of a newer library: extra is refused as 0.1 always did
SELECT chat.new_reply(1, 2, 'x', extra => '{"a": 1}');

ALTER EXTENSION chat UPDATE;
SELECT extversion FROM pg_extension WHERE extname = 'chat';

-- rows, counters and settings are as they were
SELECT id, subject, member_count, message_count FROM chat.thread;
SELECT user_id, role, read_count, hidden_id IS NOT NULL AS deleted FROM chat.member ORDER BY user_id;
-- members of 0.1 threads get their role's permissions
SELECT user_id, permissions FROM chat.member ORDER BY user_id;
SELECT content FROM chat.message_history(:m1, 1);
SELECT key, value FROM chat.setting ORDER BY key;
SELECT count(*) AS drift FROM chat.verify_unread();

-- and the new version's features work on it
SELECT key, value FROM chat.settings WHERE key LIKE 'notify%' ORDER BY key;
CREATE FUNCTION pg_temp.count_sent(e jsonb) RETURNS void LANGUAGE plpgsql
    AS $$ BEGIN RAISE NOTICE 'message_sent %', e ->> 'message_id'; END $$;
SET client_min_messages = notice;
SELECT chat.add_hook('message_sent', 'pg_temp.count_sent(jsonb)');
SELECT chat.new_reply(1, 3, 'after the update') > 0 AS replied;
SELECT chat.new_message(3, '{1}', 'After', 'a new thread') > 0 AS sent;
SET client_min_messages = warning;
SELECT v AS viewer, thread_id, unread_count FROM unnest('{1,2,3}'::bigint[]) v, chat.inbox(v) ORDER BY 1, 2;
SELECT count(*) AS drift FROM chat.verify_unread();

-- 0.3 to 0.4: data written at 0.3 comes under the security rules at once
DROP EXTENSION chat CASCADE;
CREATE EXTENSION chat VERSION '0.3';
SELECT chat.create_group(1, 'Before 0.4', '{2}') AS g \gset
SELECT chat.new_reply(:g, 2, 'written at 0.3') > 0 AS replied;
SELECT chat.new_message(3, '{4}', 'Not for Alice', 'private') > 0 AS sent;
ALTER EXTENSION chat UPDATE TO '0.4';
SELECT extversion FROM pg_extension WHERE extname = 'chat';
DROP ROLE IF EXISTS regress_upgrade_alice;
CREATE ROLE regress_upgrade_alice;
SELECT chat.map_role('regress_upgrade_alice', 1);
SET ROLE regress_upgrade_alice;
SELECT thread_id, subject, unread_count FROM chat.inbox();
SELECT subject FROM chat.thread ORDER BY id;
SELECT chat.new_reply(:g, 2, 'as Bob');
SELECT chat.mark_read(:g);
RESET ROLE;
SELECT count(*) AS drift FROM chat.verify_unread();
DROP EXTENSION chat CASCADE;
DROP ROLE regress_upgrade_alice;

-- 0.1 to the current version: what 0.1 members read stays seen after mark_unread
-- (0.1 had no seen pointer; the update to 0.7 takes it from the read pointer)
DROP EXTENSION chat CASCADE;
CREATE EXTENSION chat VERSION '0.1';
SELECT chat.new_message(1, '{2}', 'Read at 0.1', 'one') AS r1 \gset
SELECT chat.new_reply(1, 1, 'two') > 0 AS replied;
SELECT chat.mark_read(1, 2);
ALTER EXTENSION chat UPDATE;
SELECT chat.mark_unread(1, 2, :r1);
SELECT message_id = :r1 AS first, status FROM chat.message_receipt WHERE user_id = 2 ORDER BY message_id;
DROP EXTENSION chat CASCADE;
