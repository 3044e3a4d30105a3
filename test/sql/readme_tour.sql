-- README.md's quick start, run as in the session scripts/run.sh opens: a
-- database with chat created and scripts/demo.sql loaded (as
-- scripts/lib/session.sh does), then the tour's SQL blocks verbatim.  The
-- parts between the README.md markers are exactly the ```sql blocks under
-- README.md's "Quick start" heading: test/readme_check.sh compares them.
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS chat CASCADE;
CREATE EXTENSION chat;
RESET client_min_messages;
-- the demo creates the roles alice, bob, carol and dan when they are missing;
-- this file drops them at the end if it created them
SELECT count(*) = 0 AS demo_roles_new
  FROM pg_roles WHERE rolname IN ('alice', 'bob', 'carol', 'dan') \gset
-- pg_regress runs psql from the repository's root, as run.sh runs session.sh
\i scripts/demo.sql
-- what demo.sql leaves in psql is not in a run.sh session, which loads it
-- with another psql: its variables, and ON_ERROR_STOP
\set ON_ERROR_STOP off
\unset lunch
\unset team
\unset standup
\unset news
-- errors as one line each (their context names internal functions)
\set VERBOSITY terse

-- Bob's inbox, the project team, Carol's badge
-- README.md: begin
SELECT thread_id, kind, subject, last_preview, unread_count FROM chat.inbox(2);  -- Bob's inbox
SELECT sender_id, content, edited, reactions FROM chat.messages(4, 2);   -- the project team
SELECT * FROM chat.unread_count(3);                                     -- Carol's badge
-- README.md: end

-- a new thread, with ids kept by \gset
-- README.md: begin
SELECT chat.new_message(sender => 1, recipients => '{2,3}', subject => 'Lunch',
                        content => 'Pizza at noon?') AS msg \gset
SELECT thread_id AS lunch FROM chat.message WHERE id = :msg \gset
SELECT subject, unread_count FROM chat.inbox(2) LIMIT 1;             -- on top of Bob's inbox
SELECT chat.new_reply(thread_id => :lunch, sender => 2, content => 'Yes!');
SELECT unread_count FROM chat.inbox(3) WHERE thread_id = :lunch;     -- 2 for Carol
SELECT sender_id, content, seen_count FROM chat.messages(:lunch, 3);
SELECT chat.mark_read(:lunch, 3);                                    -- 2 messages became read
SELECT chat.delete_thread(:lunch, 3);                          -- into Carol's "deleted" folder...
SELECT subject FROM chat.inbox(3, folder => 'deleted');
SELECT chat.new_reply(:lunch, 1, 'Carol?');                    -- ...and back when someone writes
SELECT subject, unread_count FROM chat.inbox(3) LIMIT 1;
SELECT chat.edit_message(:msg, 1, 'Pizza at noon? My treat.');
SELECT content FROM chat.message_history(:msg, 2);                   -- the earlier text
SELECT chat.toggle_reaction(:msg, 3, '🍕');                          -- true: now there
SELECT content, edited, reactions FROM chat.messages(:lunch, 2) LIMIT 1;
-- README.md: end

-- the acting user: the setting chat.user_id, and the end user dan
-- README.md: begin
SET chat.user_id = '2';                       -- act as Bob through the setting
SELECT chat.new_reply(thread_id => :lunch, content => 'sent as Bob');
SELECT subject, last_sender_id, last_preview FROM chat.inbox() LIMIT 1;
RESET chat.user_id;
SET ROLE dan;
SELECT chat.current_user_id(), chat.is_server_role();
SELECT thread_id, subject, unread_count FROM chat.inbox();
SELECT count(*) FROM chat.message;            -- only the messages of Dan's threads
SELECT chat.new_reply(:lunch, 4, 'Me too?');  -- ERROR: Dan is not in the lunch thread
SELECT chat.new_reply(2, 1, 'as Alice');      -- ERROR: Dan may act only as user 4
RESET ROLE;
-- README.md: end

-- every counter still equals a recount from the rows
SELECT count(*) AS counters_wrong FROM chat.verify_unread();
-- leave the cluster's roles as they were
\if :demo_roles_new
DROP ROLE alice, bob, carol, dan;
\endif
