-- Folders: inbox, unread, deleted, sent, archived; ordering and keyset paging
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS chat CASCADE;
CREATE EXTENSION chat;
\set VERBOSITY terse

-- three threads for Bob (2), oldest first
SELECT chat.new_message(1, '{2}', 'First', 'a');
SELECT chat.new_message(3, '{2}', 'Second', 'b');
SELECT chat.new_message(2, '{4}', 'Third', 'c');
SELECT thread_id, subject, unread_count FROM chat.inbox(2);

-- a reply brings the oldest thread to the top
SELECT chat.new_reply(1, 1, 'bump');
SELECT thread_id, subject, last_preview FROM chat.inbox(2);

-- paging: each page continues after the cursor of the previous page's last row
SELECT cursor AS c1 FROM chat.inbox(2, page_size => 1) \gset
SELECT thread_id, subject FROM chat.inbox(2, page_size => 1);
SELECT thread_id, subject FROM chat.inbox(2, before => :'c1', page_size => 1);
SELECT cursor AS c2 FROM chat.inbox(2, before => :'c1', page_size => 1) \gset
SELECT thread_id, subject FROM chat.inbox(2, before => :'c2', page_size => 1);
SELECT cursor AS c3 FROM chat.inbox(2, before => :'c2', page_size => 1) \gset
SELECT count(*) AS past_the_end FROM chat.inbox(2, before => :'c3');

-- unread folder and counts
SELECT thread_id, subject FROM chat.inbox(2, 'unread');
SELECT chat.mark_read(2, 2);
SELECT thread_id, subject FROM chat.inbox(2, 'unread');
SELECT f AS folder, chat.inbox_count(2, f) FROM unnest('{inbox,unread,deleted,sent,archived}'::text[]) f;

-- delete: gone from the inbox until somebody else writes
SELECT chat.delete_thread(1, 2);
SELECT thread_id FROM chat.inbox(2, 'deleted');
SELECT thread_id, subject FROM chat.inbox(2);
SELECT chat.new_reply(1, 1, 'are you there?');
SELECT thread_id, subject, unread_count FROM chat.inbox(2);
SELECT count(*) AS deleted FROM chat.inbox(2, 'deleted');

-- delete then restore
SELECT chat.delete_thread(2, 2);
SELECT chat.restore_thread(2, 2);
SELECT thread_id, subject FROM chat.inbox(2);

-- the replier's own copy comes back too
SELECT chat.delete_thread(2, 3);
SELECT chat.new_reply(2, 3, 'back again');
SELECT thread_id, subject FROM chat.inbox(3);

-- archive: out of the inbox, into archived, and stays there when messages arrive
SELECT chat.archive_thread(1, 2);
SELECT thread_id FROM chat.inbox(2, 'archived');
SELECT chat.new_reply(1, 1, 'still archived');
SELECT thread_id FROM chat.inbox(2);
SELECT thread_id FROM chat.inbox(2, 'archived');
SELECT chat.unarchive_thread(1, 2);
SELECT thread_id FROM chat.inbox(2);

-- sent: the threads a user started, whatever their state
SELECT thread_id, subject FROM chat.inbox(2, 'sent');
SELECT thread_id, subject FROM chat.inbox(1, 'sent');

-- mark_new_thread_as_deleted: the pinax creator's copy starts deleted
SELECT chat.set_setting('mark_new_thread_as_deleted', 'true');
SELECT chat.new_message(5, '{6}', 'Pinax style', 'hello') AS m \gset
SELECT chat.inbox_count(5) AS inbox, chat.inbox_count(5, 'deleted') AS deleted,
       chat.inbox_count(5, 'sent') AS sent;
SELECT chat.new_reply(currval('chat.thread_id_seq'), 6, 'hi back');
SELECT chat.inbox_count(5) AS inbox, chat.inbox_count(5, 'deleted') AS deleted;
-- except a note to oneself
SELECT chat.new_message(5, '{5}', 'Self', 'note');
SELECT subject FROM chat.inbox(5);
SELECT chat.set_setting('mark_new_thread_as_deleted', NULL);

-- errors
SELECT chat.inbox(2, 'spam');
SELECT chat.inbox(2, NULL);
SELECT chat.inbox(2, page_size => 0);
SELECT chat.inbox(2, page_size => 501);
SELECT chat.inbox(2, before => 'not-a-cursor');
SELECT chat.inbox(2, before => '9999999999999999999:1');
SELECT chat.inbox_count(2, 'trash');
SELECT chat.inbox(NULL);
SELECT chat.delete_thread(1, 9);
SELECT chat.archive_thread(77, 2);
SELECT count(*) AS drift FROM chat.verify_unread();
