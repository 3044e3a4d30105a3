-- Editing and deleting single messages
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS chat CASCADE;
CREATE EXTENSION chat;
\set VERBOSITY terse

SELECT chat.new_message(1, '{2,3}', 'Typos', 'helo') AS m1 \gset
SELECT chat.new_reply(1, 2, 'hi') AS m2 \gset

-- edits keep every earlier version, newest first
SELECT chat.edit_message(:m1, 1, 'hello') = :m1 AS edited;
SELECT chat.edit_message(:m1, 1, 'hello everyone') = :m1 AS edited;
SELECT content FROM chat.message_history(:m1, 3);
SELECT count(*) AS history_of_m2 FROM chat.message_history(:m2, 3);
SELECT id = :m1 AS is_m1, content, edited, deleted FROM chat.messages(1, 3);

-- editing the newest message updates the inbox preview
SELECT chat.edit_message(:m2, 2, 'hi there');
SELECT last_preview FROM chat.inbox(3);
-- editing does not make anything unread
SELECT unread_count FROM chat.inbox(1);

-- only the sender edits
SELECT chat.edit_message(:m1, 2, 'hijacked');
SELECT chat.edit_message(:m1, 1, '  ');

-- delete: a marker without content; history hidden; preview cleared
SELECT chat.delete_message(:m2, 2);
SELECT content IS NULL AS no_content, deleted, edited FROM chat.messages(1, 1) WHERE id = :m2;
SELECT count(*) AS history FROM chat.message_history(:m2, 1);
SELECT last_preview IS NULL AS preview_cleared FROM chat.inbox(1);
SELECT chat.delete_message(:m2, 2) AS deleting_twice_is_harmless;
SELECT chat.edit_message(:m2, 2, 'undo?');

-- a plain member cannot delete others' messages; the owner (the thread's starter) can
SELECT chat.new_reply(1, 3, 'spam') AS m3 \gset
SELECT chat.delete_message(:m3, 2);
SELECT role FROM chat.member WHERE thread_id = 1 AND user_id = 1;
SELECT chat.delete_message(:m3, 1);
SELECT id = :m3 AS is_m3, deleted FROM chat.messages(1, 3) WHERE deleted;

-- deleted messages still count as messages of the thread
SELECT message_count FROM chat.thread WHERE id = 1;
SELECT count(*) AS drift FROM chat.verify_unread();

-- errors
SELECT chat.edit_message(424242, 1, 'x');
SELECT chat.delete_message(424242, 1);
SELECT * FROM chat.message_history(424242, 1);
SELECT * FROM chat.message_history(:m1, 9);
SELECT chat.edit_message(:m1, 9, 'x');
UPDATE chat.message SET sender_id = 3 WHERE id = :m1;
