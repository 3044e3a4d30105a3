-- Migrating from pinax-messages (issue 14, item 6), as a psql user sees it:
-- the three tables a pinax site has, chat.import_pinax(), and each user's
-- inbox, folders, unread counts and messages afterwards.
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS chat CASCADE;
SET chat.user_id_type = 'bigint';
CREATE EXTENSION chat;
SELECT chat.set_setting('notify', 'false') \g /dev/null
RESET client_min_messages;
SET TimeZone = 'UTC';
\set VERBOSITY terse

-- The tables as Django makes them for user_messages (pinax-messages: prefix pinax_messages).
CREATE TABLE user_messages_thread (id serial PRIMARY KEY, subject varchar(150) NOT NULL);
CREATE TABLE user_messages_userthread (
    id serial PRIMARY KEY,
    thread_id integer NOT NULL REFERENCES user_messages_thread,
    user_id integer NOT NULL,
    unread boolean NOT NULL,
    deleted boolean NOT NULL
);
CREATE TABLE user_messages_message (
    id serial PRIMARY KEY,
    thread_id integer NOT NULL REFERENCES user_messages_thread,
    sender_id integer NOT NULL,
    sent_at timestamptz NOT NULL,
    content text NOT NULL
);
CREATE INDEX ON user_messages_userthread (thread_id);
CREATE INDEX ON user_messages_message (thread_id);

-- Alice (1), Bob (2), Carol (3).  "Lunch": Alice asked Bob and Carol; Bob
-- answered; Alice answered Bob; Carol has read nothing.  "Keys": Bob to
-- Alice, unanswered; Bob's copy is deleted, as pinax does for a new thread's
-- sender.  "Old news": Carol and Alice, read, deleted by Alice.
INSERT INTO user_messages_thread (subject) VALUES ('Lunch'), ('Keys'), ('Old news');
INSERT INTO user_messages_message (thread_id, sender_id, sent_at, content) VALUES
    (1, 1, '2017-06-01 11:00', 'Lunch at noon?'),
    (1, 2, '2017-06-01 11:10', 'Yes, the usual place'),
    (1, 1, '2017-06-01 11:12', 'Great, see you'),
    (2, 2, '2017-06-02 09:00', 'Did you take my keys?'),
    (3, 3, '2016-01-10 08:00', 'Happy new year'),
    (3, 1, '2016-01-10 09:00', 'Same to you');
INSERT INTO user_messages_userthread (thread_id, user_id, unread, deleted) VALUES
    (1, 1, false, false), (1, 2, true, false), (1, 3, true, false),
    (2, 2, false, true), (2, 1, true, false),
    (3, 3, false, false), (3, 1, false, true);

-- The migration: one call, one transaction; it returns pinax' ids with chat's.
CREATE TEMP TABLE migrated AS SELECT * FROM chat.import_pinax();
SELECT m.pinax_thread_id, t.subject, t.kind, t.created_by, t.created_at, t.message_count
  FROM migrated m JOIN chat.thread t ON t.id = m.thread_id
 ORDER BY 1;

-- Each user's folders and unread counts.
SELECT u AS user_id, f AS folder, i.subject, i.unread_count, i.last_sender_id, i.last_preview
  FROM generate_series(1, 3) u, unnest('{inbox,deleted,sent}'::text[]) f, chat.inbox(u, f) i
 ORDER BY 1, 2, i.last_sent_at DESC;
SELECT u AS user_id, c.threads, c.messages FROM generate_series(1, 3) u, chat.unread_count(u) c ORDER BY 1;

-- Lunch as Carol reads it: authors and times kept, none read yet.
SELECT m.thread_id AS lunch FROM chat.message m WHERE m.content = 'Lunch at noon?' \gset
SELECT sender_id, sent_at, content, seen_count FROM chat.messages(:lunch, 3);
SELECT chat.started_by(:lunch), chat.first_message(:lunch) = (SELECT min(id) FROM chat.message WHERE thread_id = :lunch) AS first;

-- Counters are exact, and the threads live on.
SELECT count(*) AS drift FROM chat.verify_unread();
SELECT chat.new_reply(:lunch, 3, 'Sorry, only saw this now') > 0 AS replied;
SELECT u AS user_id, unread_count FROM generate_series(1, 3) u, chat.inbox(u) i WHERE i.thread_id = :lunch ORDER BY 1;
SELECT count(*) AS drift FROM chat.verify_unread();

-- Refused: tables that are not there, or not pinax's.
SELECT * FROM chat.import_pinax('public', 'pinax_messages');
CREATE TABLE broken_thread (id integer PRIMARY KEY, title text);
CREATE TABLE broken_userthread (thread_id integer, user_id integer, unread boolean, deleted boolean);
CREATE TABLE broken_message (id integer, thread_id integer, sender_id integer, sent_at timestamptz, content text);
SELECT * FROM chat.import_pinax('public', 'broken');
DROP TABLE migrated, user_messages_message, user_messages_userthread, user_messages_thread,
           broken_thread, broken_userthread, broken_message;
