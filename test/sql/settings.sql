-- Settings: chat.settings, get_setting, set_setting
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS chat CASCADE;
CREATE EXTENSION chat;
\set VERBOSITY terse

SELECT key, value, changed FROM chat.settings ORDER BY key;
SELECT chat.get_setting('max_subject_length');
SELECT chat.set_setting('max_subject_length', '10');
SELECT chat.get_setting('max_subject_length');
SELECT chat.new_message(1, '{2}', 'This subject is long', 'x');
SELECT chat.new_message(1, '{2}', 'Short', 'x') > 0 AS sent;
SELECT chat.set_setting('max_content_length', '5');
SELECT chat.new_reply(1, 2, 'too long');
SELECT chat.set_setting('max_page_size', '2');
SELECT chat.inbox(1, page_size => 3);
SELECT key, value, changed FROM chat.settings WHERE changed ORDER BY key;
-- NULL restores the default
SELECT chat.set_setting('max_subject_length', NULL);
SELECT chat.get_setting('max_subject_length');
SELECT count(*) AS stored FROM chat.setting;

-- bad keys and values
SELECT chat.get_setting('colour');
SELECT chat.set_setting('colour', '"blue"');
SELECT chat.set_setting('mark_new_thread_as_deleted', '"yes"');
SELECT chat.set_setting('max_page_size', '2.5');
SELECT chat.set_setting('max_page_size', '0');
SELECT chat.set_setting('max_page_size', '"10"');
SELECT chat.get_setting(NULL);
-- text settings take a JSON string of their length range
SELECT chat.set_setting('notify_channel', '"chat_events"');
SELECT chat.set_setting('notify_channel', '42');
SELECT chat.set_setting('notify_channel', '""');
SELECT chat.set_setting('notify_channel', to_jsonb(repeat('c', 64)));
SELECT chat.set_setting('notify_channel', NULL);
-- nothing was stored by the refused calls
SELECT key, value FROM chat.setting ORDER BY key;

-- the cache follows a rollback
BEGIN;
SELECT chat.set_setting('max_page_size', '7');
SELECT chat.get_setting('max_page_size');
ROLLBACK;
SELECT chat.get_setting('max_page_size');
