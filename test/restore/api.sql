-- test/restore/api.sql: the API goes on working on a restored copy.
-- run.sh runs it on a file copy of the source (CREATE DATABASE ... TEMPLATE)
-- and on every restored database, and compares the outputs: the same ids,
-- counters, inboxes and hook calls.  Timestamps are left out.
SET client_min_messages = warning;
\set VERBOSITY terse
SET TimeZone = 'UTC';
SELECT id AS club FROM chat.thread WHERE subject = 'Book club 2' \gset
SELECT id AS town FROM chat.thread WHERE subject = 'Town hall' \gset
SELECT id AS everyone FROM chat.thread WHERE subject = 'Everyone' \gset

-- Erin, an end user through her role mapping
SET ROLE regress_restore_erin;
SELECT chat.current_user_id() AS erin, chat.is_server_role() AS server;
SELECT thread_id, kind, subject, last_message_id, last_sender_id, last_preview, unread_count,
       muted, member_count, extra
  FROM chat.inbox();
SELECT * FROM chat.unread_count();
SELECT chat.new_reply(:club, content => 'after the restore', extra => '{"priority": "high"}') AS reply;
SELECT chat.new_reply(:town, content => 'also in the large group') AS reply_large;
SELECT chat.mark_read(:everyone);
SELECT thread_id, subject, last_message_id, last_sender_id, last_preview, unread_count
  FROM chat.inbox();
SELECT id, sender_id, kind, content, edited, deleted, parent_id, forwarded_from, reactions,
       attachments, seen_count, extra
  FROM chat.messages(:club);
SELECT count(*) AS visible_messages FROM chat.message;
SELECT message_id, snippet, rank FROM chat.search(query => 'stations or restored', sort => 'rank');
SELECT subject, description, avatar FROM chat.directory(query => 'news');
RESET ROLE;

-- a server call, then the counters and the hook's log
SELECT chat.new_reply(:town, 10, 'server reply') AS server_reply;
SELECT thread_id, kind, subject, unread_count, member_count FROM chat.inbox(7);
SELECT count(*) AS drift FROM chat.verify_unread();
SELECT id, event, thread_id, message_id, user_id FROM app.event_log ORDER BY id DESC LIMIT 4;
SELECT chat.display_name(5) AS erin_name;
