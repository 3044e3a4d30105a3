-- Swappable models: the seeds' walkthrough (a CustomMessage with priority,
-- is_pinned and expiry_date, and its custom serializer) in SQL
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS chat CASCADE;
CREATE EXTENSION chat;
\set VERBOSITY terse
\set SHOW_CONTEXT never
SET TimeZone = 'UTC';
DROP SCHEMA IF EXISTS myapp CASCADE;
CREATE SCHEMA myapp;

-- Without a swapped model there is no extra: the column is NULL, and passing
-- extra is an error rather than silently dropped
SELECT chat.new_message(1, '{2}', 'Before', 'no model yet') AS m0 \gset
SELECT id, content, extra FROM chat.messages(1, 2);
\set VERBOSITY default
SELECT chat.new_message(1, '{2}', 'Oops', 'with extra', extra => '{"priority": "high"}');
\set VERBOSITY terse

-- Step 2 of the seeds, the model: the application's table, keyed by chat's key
-- (thread_id, message_id) and referencing chat.message
CREATE TABLE myapp.message_meta (
    thread_id   bigint,
    message_id  bigint,
    priority    text NOT NULL DEFAULT 'normal' CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
    is_pinned   boolean NOT NULL DEFAULT false,
    expiry_date timestamptz,
    PRIMARY KEY (thread_id, message_id),
    FOREIGN KEY (thread_id, message_id) REFERENCES chat.message (thread_id, id) ON DELETE CASCADE
);

-- Step 3, the registration (the seeds' REALTIME_CHAT_MESSAGING["MODELS"])
SELECT chat.swap_model('message', 'myapp.message_meta');
SELECT model, tbl, renderer FROM chat.model;

-- Sending with extra fills the message's row; fields left out take the
-- table's defaults, and a message sent without extra gets a row of defaults
SELECT chat.new_message(1, '{2,3}', 'Launch', 'We ship on Friday',
                        extra => '{"priority": "urgent", "is_pinned": true,
                                   "expiry_date": "2999-01-01T09:00:00Z"}') AS m1 \gset
SELECT thread_id AS t1 FROM chat.message WHERE id = :m1 \gset
SELECT chat.new_reply(:t1, 2, 'Noted', extra => '{"priority": "low"}') AS m2 \gset
SELECT chat.new_reply(:t1, 3, 'Great') AS m3 \gset
SELECT chat.new_reply(:t1, 2, 'Offer ended', extra => '{"expiry_date": "2001-01-01T00:00:00Z"}') AS m4 \gset
SELECT message_id - :m1 AS after_m1, priority, is_pinned, expiry_date
  FROM myapp.message_meta ORDER BY message_id;

-- The reading function returns the row as extra, without its key
SELECT id - :m1 AS after_m1, content, extra FROM chat.messages(:t1, 3);
-- Messages sent before the swap have no row: extra stays NULL
SELECT id = :m0 AS is_m0, extra IS NULL AS no_extra FROM chat.messages(1, 2);

-- JSON null stores NULL; the application may change its rows as it likes
SELECT chat.new_reply(:t1, 1, 'No expiry', extra => '{"expiry_date": null, "priority": "high"}') AS m5 \gset
UPDATE myapp.message_meta SET is_pinned = true WHERE message_id = :m2;
SELECT id - :m1 AS after_m1, extra FROM chat.messages(:t1, 1) WHERE id IN (:m2, :m5);

-- Step 4, the custom serializer: a renderer receives chat's rendering and
-- returns the one to use; here it renames is_pinned and adds is_expired
CREATE FUNCTION myapp.render_message(extra jsonb) RETURNS jsonb
    LANGUAGE sql STABLE
    AS $$
    SELECT (extra - 'is_pinned')
           || jsonb_build_object('pinned', extra -> 'is_pinned',
                                 'is_expired', coalesce((extra ->> 'expiry_date')::timestamptz < now(), false))
$$;
SELECT chat.swap_renderer('message', 'myapp.render_message(jsonb)');
SELECT model, tbl, renderer FROM chat.model;
SELECT id - :m1 AS after_m1, content, extra FROM chat.messages(:t1, 3);
-- a page is rendered like the whole thread
SELECT id - :m1 AS after_m1, extra ->> 'is_expired' AS is_expired
  FROM chat.messages(:t1, 3, before => :m5, page_size => 2);

-- Every bad field is refused, naming it, and nothing is sent
SELECT count(*) AS messages_before, (SELECT count(*) FROM chat.thread) AS threads_before FROM chat.message;
SELECT chat.new_reply(:t1, 2, 'x', extra => '{"colour": "red"}');
SELECT chat.new_reply(:t1, 2, 'x', extra => '{"expiry_date": "next week"}');
SELECT chat.new_reply(:t1, 2, 'x', extra => '{"is_pinned": "maybe"}');
SELECT chat.new_reply(:t1, 2, 'x', extra => '{"message_id": 1}');
SELECT chat.new_reply(:t1, 2, 'x', extra => '["urgent"]');
SELECT chat.new_message(1, '{2}', 'x', 'x', extra => '{"expiry_date": "2999-13-01"}');
-- the table's own constraints apply
SELECT chat.new_reply(:t1, 2, 'x', extra => '{"priority": "critical"}');
SELECT count(*) AS messages_after, (SELECT count(*) FROM chat.thread) AS threads_after FROM chat.message;

-- with DETAIL and HINT: what a user reads in psql
\set VERBOSITY default
SELECT chat.new_reply(:t1, 2, 'x', extra => '{"colour": "red"}');
SELECT chat.new_reply(:t1, 2, 'x', extra => '{"expiry_date": "next week"}');
\set VERBOSITY terse

-- A thread model: new threads get a row of defaults (threads are created
-- without extra in this version), the inbox returns it as extra
CREATE TABLE myapp.thread_meta (
    thread_id bigint PRIMARY KEY REFERENCES chat.thread (id) ON DELETE CASCADE,
    topic     text NOT NULL DEFAULT 'general',
    color     text
);
SELECT chat.swap_model('thread', 'myapp.thread_meta');
SELECT chat.new_message(2, '{1}', 'Lunch', 'Pizza?') AS m6 \gset
SELECT thread_id AS t2 FROM chat.message WHERE id = :m6 \gset
SELECT thread_id = :t2 AS is_t2, topic, color FROM myapp.thread_meta;
-- older threads get theirs from the application, by hand
INSERT INTO myapp.thread_meta (thread_id, topic, color) VALUES (:t1, 'release', 'red');
UPDATE myapp.thread_meta SET topic = 'food' WHERE thread_id = :t2;
SELECT thread_id, subject, extra FROM chat.inbox(1) ORDER BY thread_id;
-- no renderer for threads: the default rendering
SELECT model, tbl, renderer FROM chat.model ORDER BY model;

-- Bad registrations
CREATE TABLE myapp.no_unique (thread_id bigint, message_id bigint,
    FOREIGN KEY (thread_id, message_id) REFERENCES chat.message (thread_id, id));
CREATE TABLE myapp.no_fkey (thread_id bigint, message_id bigint, PRIMARY KEY (thread_id, message_id));
CREATE TABLE myapp.wrong_fkey (thread_id bigint, message_id bigint, PRIMARY KEY (thread_id, message_id),
    FOREIGN KEY (thread_id) REFERENCES chat.thread (id));
CREATE VIEW myapp.meta_view AS SELECT * FROM myapp.message_meta;
SELECT chat.swap_model('messages', 'myapp.message_meta');
SELECT chat.swap_model(NULL, 'myapp.message_meta');
SELECT chat.swap_model('reaction', 'myapp.message_meta');
SELECT chat.swap_model('attachment', 'myapp.thread_meta');
SELECT chat.swap_model('message', 'myapp.meta_view');
SELECT chat.swap_model('message', 'myapp.thread_meta');
SELECT chat.swap_model('message', 'myapp.no_unique');
SELECT chat.swap_model('message', 'myapp.wrong_fkey');
SELECT chat.swap_renderer('message', 'upper(text)');
\set VERBOSITY default
SELECT chat.swap_model('message', 'myapp.no_fkey');
\set VERBOSITY terse
-- the registrations are unchanged
SELECT model, tbl, renderer FROM chat.model ORDER BY model;

-- swap_model(model, NULL) unregisters the table and keeps the renderer; new
-- messages get no row, extra is refused again, and the reading functions
-- show no extra
SELECT chat.swap_model('message', NULL);
SELECT model, tbl, renderer FROM chat.model ORDER BY model;
SELECT chat.new_reply(:t1, 1, 'After') AS m7 \gset
SELECT count(*) AS rows_for_m7 FROM myapp.message_meta WHERE message_id = :m7;
SELECT chat.new_reply(:t1, 1, 'x', extra => '{"priority": "low"}');
SELECT count(*) FILTER (WHERE extra IS NOT NULL) AS with_extra FROM chat.messages(:t1, 1);
SELECT chat.swap_renderer('message', NULL);
SELECT model, tbl, renderer FROM chat.model ORDER BY model;

-- Registering the table again shows the rows it kept (twice is harmless);
-- dropping a swapped table unregisters it
SELECT chat.swap_model('message', 'myapp.message_meta');
SELECT chat.swap_model('message', 'myapp.message_meta');
SELECT count(*) FILTER (WHERE extra IS NOT NULL) AS with_extra FROM chat.messages(:t1, 1);
DROP TABLE myapp.thread_meta;
SELECT model, tbl, renderer FROM chat.model ORDER BY model;
SELECT thread_id, extra FROM chat.inbox(1) ORDER BY thread_id;

-- Reactions: the application's table keyed by chat.reaction's key; extra goes
-- in through add_reaction and toggle_reaction, and comes out in messages'
-- reactions as "extra", an object by user id
CREATE TABLE myapp.reaction_meta (
    thread_id  bigint,
    message_id bigint,
    user_id    bigint,
    reaction   text,
    weight     integer NOT NULL DEFAULT 1 CHECK (weight BETWEEN 1 AND 5),
    note       text,
    PRIMARY KEY (thread_id, message_id, user_id, reaction),
    FOREIGN KEY (thread_id, message_id, user_id, reaction) REFERENCES chat.reaction ON DELETE CASCADE
);
SELECT chat.swap_model('reaction', 'myapp.reaction_meta');
SELECT chat.add_reaction(:m1, 2, 'up', extra => '{"weight": 3, "note": "agreed"}');
SELECT chat.add_reaction(:m1, 1, 'up');
SELECT chat.toggle_reaction(:m1, 2, 'down', extra => '{"note": "but"}');
SELECT reaction, user_id, weight, note FROM myapp.reaction_meta ORDER BY reaction, user_id;
SELECT jsonb_pretty(reactions) AS reactions FROM chat.messages(:t1, 1) WHERE id = :m1;
-- and one row per user and reaction with its extra
SELECT reaction, user_id, extra FROM chat.reaction_users(:m1, 3);
-- refused, nothing written: an unknown field, a bad value, the key
SELECT chat.add_reaction(:m1, 1, 'down', extra => '{"color": "red"}');
SELECT chat.add_reaction(:m1, 1, 'down', extra => '{"weight": "heavy"}');
SELECT chat.add_reaction(:m1, 1, 'down', extra => '{"reaction": "x"}');
SELECT chat.add_reaction(:m1, 1, 'down', extra => '{"weight": 9}');
SELECT count(*) AS reactions_of_m1 FROM chat.reaction WHERE message_id = :m1;
-- a reaction taken back takes its row with it (the application's ON DELETE CASCADE)
SELECT chat.toggle_reaction(:m1, 2, 'down');
SELECT chat.remove_reaction(:m1, 1, 'up');
SELECT reaction, user_id, weight, note FROM myapp.reaction_meta ORDER BY reaction, user_id;

-- Attachments: each attachment's "extra" fills its row; messages' attachments
-- carry it as "extra" (NULL for an attachment without a row)
CREATE TABLE myapp.attachment_meta (
    thread_id  bigint,
    message_id bigint,
    position   integer,
    scanned    boolean NOT NULL DEFAULT false,
    thumbnail  text,
    PRIMARY KEY (thread_id, message_id, position),
    FOREIGN KEY (thread_id, message_id, position) REFERENCES chat.attachment ON DELETE CASCADE
);
SELECT chat.swap_model('attachment', 'myapp.attachment_meta');
SELECT chat.new_reply(:t1, 1, 'Slides', attachments => '[{"key": "s/1.pdf", "mime": "application/pdf"},
    {"key": "s/2.png", "extra": {"scanned": true, "thumbnail": "s/2-small.png"}}]') AS m8 \gset
SELECT position, scanned, thumbnail FROM myapp.attachment_meta WHERE message_id = :m8 ORDER BY position;
SELECT jsonb_pretty(attachments) AS attachments FROM chat.messages(:t1, 1) WHERE id = :m8;
-- a renderer applies as for the other models
CREATE FUNCTION myapp.render_attachment(extra jsonb) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT extra - 'thumbnail' || jsonb_build_object('preview', extra -> 'thumbnail')
$$;
SELECT chat.swap_renderer('attachment', 'myapp.render_attachment(jsonb)');
SELECT a ->> 'key' AS key, a -> 'extra' AS extra
  FROM chat.messages(:t1, 1) m, jsonb_array_elements(m.attachments) a WHERE m.id = :m8;
-- refused, nothing written: an unknown field, extra that is not an object
SELECT chat.new_reply(:t1, 1, 'x', attachments => '[{"key": "k", "extra": {"virus": false}}]');
SELECT chat.new_reply(:t1, 1, 'x', attachments => '[{"key": "k", "extra": "scanned"}]');
SELECT count(*) AS messages_of_t1 FROM chat.message WHERE thread_id = :t1;
-- a forwarded message's attachments keep their rows
SELECT chat.forward_message(:m8, :t2, 1) AS m9 \gset
SELECT position, scanned, thumbnail FROM myapp.attachment_meta WHERE message_id = :m9 ORDER BY position;
-- unswapped, extra has nowhere to go
SELECT chat.swap_model('attachment', NULL);
SELECT chat.new_reply(:t1, 1, 'x', attachments => '[{"key": "k", "extra": {"scanned": true}}]');
SELECT model, tbl, renderer FROM chat.model ORDER BY model;

-- counters are still exact
SELECT count(*) AS drift FROM chat.verify_unread();
DROP SCHEMA myapp CASCADE;
