-- Every ```sql block of README.md outside its quick start, verbatim and in
-- README.md's order, in the session the Guide assumes: scripts/run.sh's, with
-- chat created and scripts/demo.sql loaded.  test/readme_check.sh checks that
-- the parts between the README.md markers are exactly those blocks.
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS chat CASCADE;
DROP SCHEMA IF EXISTS app, myapp CASCADE;
DROP FUNCTION IF EXISTS public.user_name(bigint);
DROP TABLE IF EXISTS public.app_user;
RESET client_min_messages;
-- roles the demo (alice, bob, carol, dan) and the blocks (authenticated,
-- erin) create: this file drops them at the end if it created them
SELECT count(*) = 0 AS demo_roles_new
  FROM pg_roles WHERE rolname IN ('alice', 'bob', 'carol', 'dan') \gset
SELECT count(*) = 0 AS guide_roles_new
  FROM pg_roles WHERE rolname IN ('authenticated', 'erin') \gset
\set VERBOSITY terse

-- Install: the type of user ids, read by CREATE EXTENSION
-- README.md: begin
SET chat.user_id_type = 'uuid';
CREATE EXTENSION chat;
-- README.md: end
SELECT format_type(typbasetype, NULL) AS user_id_type FROM pg_type WHERE oid = 'chat.user_id'::regtype;
DROP EXTENSION chat;
RESET chat.user_id_type;

-- the Guide's session: chat with bigint ids and the demo, as run.sh makes it
CREATE EXTENSION chat;
\i scripts/demo.sql
\set ON_ERROR_STOP off
\unset lunch
\unset team
\unset standup
\unset news
\set VERBOSITY terse

-- Sending and reading: a reply with a parent and an attachment
-- README.md: begin
SELECT chat.new_reply(1, 2, 'Which station?', parent_id => 3,
                      attachments => '[{"key": "s3://bucket/map.png", "name": "map.png",
                                        "mime": "image/png", "size": 48213}]') AS question \gset
SELECT id, parent_id, content, attachments FROM chat.messages(1, 3, after => 3);
-- README.md: end

-- Sending and reading: inbox pages and counts
-- README.md: begin
SELECT thread_id, subject, cursor FROM chat.inbox(2, page_size => 2);
SELECT cursor AS next FROM chat.inbox(2, page_size => 2) OFFSET 1 \gset
SELECT thread_id, subject FROM chat.inbox(2, before => :'next', page_size => 2);  -- the next page
SELECT chat.inbox_count(2), chat.inbox_count(2, 'unread');
-- README.md: end

-- Rooms
-- README.md: begin
SELECT chat.direct_thread(3, 2);              -- get-or-create: the demo's thread 6, either order
SELECT chat.create_group(1, 'Book club', '{2,3}') AS club \gset
SELECT chat.add_members(thread_id => :club, actor => 2, users => '{4}');  -- members add in a group
SELECT chat.object_thread('product', '42', 3, 'Questions about product 42') AS room \gset
SELECT chat.join_thread(:room, 1);            -- an object's room is public by default
SELECT user_id, role, permissions FROM chat.members(:club, 1);
SELECT sender_id, kind, content FROM chat.messages(:club, 1);
SELECT chat.new_reply(5, 2, 'Thanks!');       -- ERROR: only admins post in a channel
-- README.md: end

-- Room profiles, the directory, search
-- README.md: begin
SELECT chat.set_profile(5, 1, 'News from the office', 's3://rooms/announcements.png');
SELECT subject, description, member_count, joined FROM chat.directory(4);  -- public rooms, by name
SELECT subject FROM chat.directory(4, 'annou offi');   -- every word a prefix of a word of name or description
SELECT kind, description, avatar FROM chat.profile(5, 4);
SELECT chat.set_profile(5, 4, 'Dan''s news');   -- ERROR: Dan may not edit the channel
SELECT subject, snippet FROM chat.search(2, 'pizza');               -- Bob's messages that say "pizza"
SELECT snippet, cursor FROM chat.search(3, 'station', sort => 'newest', page_size => 1);
SELECT chat.set_setting('search_config', '"english"');   -- stems English words; re-indexes every message
SELECT snippet FROM chat.search(3, 'stations');
SELECT chat.set_setting('search_config', NULL);
-- README.md: end

-- Read state and receipts
-- README.md: begin
SELECT chat.mark_read(1, 3);                       -- Carol reads "Friday lunch"
SELECT chat.mark_unread(1, 3, from_message => 2);  -- ...and marks it unread from message 2 on
SELECT chat.mark_delivered(1);                     -- Alice's app received all her threads
SELECT user_id, status FROM chat.receipts(2, 2);   -- Bob's message 2: delivered to 1, seen by 3
SELECT * FROM chat.unread_count(2);
SELECT chat.mute(5, 2);
SELECT * FROM chat.unread_count(2);                -- the muted channel no longer counts
-- README.md: end

-- Reactions, attachments, forwarding
-- README.md: begin
SELECT chat.set_setting('reactions', '"emoji"');
SELECT chat.add_reaction(chat.latest_message(4), 3, '🎉');
SELECT chat.add_reaction(chat.latest_message(4), 3, 'yay');   -- ERROR: not an emoji
SELECT reaction, count, users, reacted_by_viewer FROM chat.reactions(chat.latest_message(4), 2);
SELECT chat.set_setting('reactions', NULL);   -- back to the default, "any"
SELECT chat.forward_message(chat.latest_message(5), 1, 1, comment => 'FYI');
SELECT sender_id, content, forwarded_from FROM chat.messages(1, 2) ORDER BY id DESC LIMIT 2;
-- README.md: end

-- Binding chat to your users table
-- README.md: begin
CREATE TABLE public.app_user (id bigint PRIMARY KEY, name text NOT NULL);
INSERT INTO public.app_user VALUES (1, 'Alice'), (2, 'Bob'), (3, 'Carol'), (4, 'Dan');
CREATE FUNCTION public.user_name(id bigint) RETURNS text LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    BEGIN ATOMIC SELECT u.name FROM public.app_user u WHERE u.id = user_name.id; END;
SELECT chat.use_user_table('public.app_user', display_name => 'public.user_name(bigint)');
SELECT chat.display_name(2);
SELECT chat.rename_thread(4, 1, 'Project team (Q3)');
SELECT content FROM chat.messages(4, 1, page_size => 1);
SELECT chat.add_members(4, 1, '{5}');         -- ERROR: user 5 is not in public.app_user
-- README.md: end

-- Hooks and realtime events
-- README.md: begin
CREATE SCHEMA app;
CREATE TABLE app.outbox (id bigserial PRIMARY KEY, event jsonb NOT NULL);
CREATE FUNCTION app.on_message(e jsonb) RETURNS void LANGUAGE sql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$ INSERT INTO app.outbox (event) VALUES (e) $$;                -- end users' events too
SELECT chat.add_hook('message_sent', 'app.on_message(jsonb)');     -- last; pos => 1 for first
SELECT chat.new_reply(1, 2, 'See you there');
SELECT event FROM app.outbox;
CREATE FUNCTION app.no_shouting(e jsonb) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF (SELECT m.content = upper(m.content) FROM chat.message m
         WHERE m.thread_id = (e ->> 'thread_id')::bigint AND m.id = (e ->> 'message_id')::bigint) THEN
        RAISE EXCEPTION 'no shouting, please';
    END IF;
END
$$;
SELECT chat.add_hook('message_sent', 'app.no_shouting(jsonb)');
SELECT chat.new_reply(1, 2, 'HELLO?');        -- ERROR: no shouting, please (nothing is written)
SELECT chat.remove_hook('message_sent', 'app.no_shouting(jsonb)');
SELECT event, function, position FROM chat.hook;
-- README.md: end

-- Swappable models
-- README.md: begin
CREATE SCHEMA myapp;
CREATE TABLE myapp.message_meta (
    thread_id   bigint,
    message_id  bigint,
    priority    text NOT NULL DEFAULT 'normal' CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
    is_pinned   boolean NOT NULL DEFAULT false,
    expiry_date timestamptz,
    PRIMARY KEY (thread_id, message_id),
    FOREIGN KEY (thread_id, message_id) REFERENCES chat.message (thread_id, id) ON DELETE CASCADE
);
SELECT chat.swap_model('message', 'myapp.message_meta');
SELECT chat.new_message(1, '{2}', 'Launch', 'We ship Friday',
                        extra => '{"priority": "urgent", "expiry_date": "2100-01-01T09:00:00Z"}') AS launch \gset
SELECT thread_id AS launch_thread FROM chat.message WHERE id = :launch \gset
SELECT content, extra ->> 'priority' AS priority, extra ->> 'is_pinned' AS is_pinned
  FROM chat.messages(:launch_thread, 2);
-- the custom serializer: receives chat's rendering, returns the one to use
CREATE FUNCTION myapp.render_message(extra jsonb) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT extra || jsonb_build_object('is_expired', (extra ->> 'expiry_date')::timestamptz < now())
$$;
SELECT chat.swap_renderer('message', 'myapp.render_message(jsonb)');
SELECT extra ->> 'is_expired' AS is_expired FROM chat.messages(:launch_thread, 2);
-- README.md: end

-- Notifications for push and e-mail
-- README.md: begin
SELECT chat.new_reply(4, 1, 'Standup moved to 9:30') AS standup \gset
-- a worker claims a batch: here only the new message's part of it is shown
SELECT user_id, sender_id, subject, preview, attempts
  FROM chat.claim_notifications('worker-1', batch => 100) WHERE message_id = :standup ORDER BY user_id;
SELECT min(id) AS first, max(id) AS last FROM chat.notification WHERE message_id = :standup \gset
SELECT chat.ack_notification(:first);                                    -- delivered
SELECT chat.fail_notification(:last, 'APNs said 503', retry_seconds => 60);  -- again in a minute
SELECT user_id, state, attempts, last_error FROM chat.notification WHERE message_id = :standup ORDER BY id;
SELECT user_id, thread_id, unread FROM chat.notification_digest(minutes => 0)
 WHERE thread_id = 4 ORDER BY user_id;                         -- for an e-mail digest
-- README.md: end

-- Mentions and notification levels
-- README.md: begin
SELECT chat.set_notify_level(4, 'mentions', 3);  -- Carol: only messages that mention her
SELECT chat.mute(4, 4);                          -- Dan mutes the team...
SELECT chat.set_notify_level(4, 'mentions', 4);  -- ...but still wants to hear when he is mentioned
SELECT chat.new_reply(4, 1, 'Can @{3} and @{4} review the deck? @{9} too') AS ask \gset
-- Bob gives the list himself: it replaces what the text says
SELECT chat.new_reply(4, 2, 'Notes are up', mentions => '{1}') AS notes \gset
SELECT id = :ask AS is_ask, mentions FROM chat.message WHERE id IN (:ask, :notes) ORDER BY id;
SELECT message_id = :ask AS is_ask, user_id
  FROM chat.claim_notifications('worker-1', batch => 100)
 WHERE message_id IN (:ask, :notes) ORDER BY message_id, user_id;  -- Bob read the question by answering
SELECT thread_id, subject FROM chat.inbox(3, 'mentions');  -- Carol's threads with unread mentions
SELECT * FROM chat.mention_count(3);                        -- her mention badge
SELECT chat.mark_read(4, 3);
SELECT * FROM chat.mention_count(3);
-- README.md: end

-- Security: PostgREST
-- README.md: begin
CREATE ROLE authenticated;                    -- PostgREST's role for signed-in requests
-- what PostgREST does for POST /rpc/new_reply {"thread_id": 1, "content": "hi"}
BEGIN;
SET LOCAL ROLE authenticated;
SELECT set_config('request.jwt.claims', '{"sub": "2", "role": "authenticated"}', true);
SELECT chat.new_reply(thread_id => 1, content => 'hi') > 0 AS sent;   -- as user 2, the JWT's "sub"
COMMIT;
-- README.md: end

-- Security: psql logins mapped to users
-- README.md: begin
CREATE ROLE erin LOGIN;
SELECT chat.map_role('erin', 2);              -- server roles only; chat.unmap_role('erin') undoes it
SET ROLE erin;                                -- as "psql -U erin" would be
SET chat.user_id = '3';                       -- changes nothing: the mapping wins
SELECT chat.current_user_id();
SELECT chat.new_reply(1, 3, 'as Carol');      -- ERROR: permission denied to act as user "3"
SELECT id, subject FROM chat.thread ORDER BY id;       -- direct reads: Bob's threads only
SELECT id, kind, subject FROM chat.public_thread;      -- every public room's metadata
RESET chat.user_id;
RESET ROLE;
-- README.md: end

-- Importing history: a thread with its history and read state, then more of it
-- README.md: begin
SELECT chat.import_thread('{
  "subject": "Old project",
  "members": [{"user_id": 1}, {"user_id": 2, "read_until": "2019-05-01T09:05:00Z"},
              {"user_id": 3, "deleted": true}],
  "messages": [{"sender_id": 1, "sent_at": "2019-05-01T09:00:00Z", "content": "Kick-off at ten"},
               {"sender_id": 2, "sent_at": "2019-05-01T09:05:00Z", "content": "Room 4?"},
               {"sender_id": 1, "sent_at": "2019-05-01T09:07:00Z", "content": "Room 4, yes"}]
}') AS old \gset
SELECT sender_id, content FROM chat.messages(:old, 2);
SELECT subject, unread_count FROM chat.inbox(2) WHERE thread_id = :old;      -- 1: Alice's answer
SELECT subject FROM chat.inbox(3, folder => 'deleted') WHERE thread_id = :old;
SELECT chat.import_messages(:old, '[{"sender_id": 3, "sent_at": "2019-05-02T08:00:00Z",
                                     "content": "Minutes attached"}]');
SELECT count(*) FROM chat.verify_unread();                                   -- 0: exact
-- README.md: end

-- Retention and purge: the imported history is older than a year
-- README.md: begin
SELECT chat.set_setting('retention_days', '365');   -- keep messages a year
SELECT chat.set_retention(5, 1, 0);                 -- the announcements forever
SELECT chat.purge();                                -- 4: the old project's history
SELECT message_count, last_message_id FROM chat.thread WHERE id = :old;
SELECT count(*) FROM chat.verify_unread();          -- 0: every counter exact
-- README.md: end

-- Reference: settings
-- README.md: begin
SELECT key, value, changed FROM chat.settings ORDER BY key;
SELECT chat.set_setting('max_members', '500');
SELECT chat.get_setting('max_members');
SELECT chat.set_setting('max_members', NULL);   -- back to the default
-- README.md: end

-- README.md: begin
SELECT chat.set_setting('async_messages', 'true');    -- new_message, new_reply, forward_message
SELECT chat.set_setting('async_read_state', 'true');  -- mark_read, mark_unread, mark_delivered
-- README.md: end
-- a reply now relaxes its own transaction's commit, and only that one
BEGIN;
SELECT chat.new_reply(4, 1, 'fast') > 0 AS sent;
SHOW synchronous_commit;
COMMIT;
SHOW synchronous_commit;
SELECT chat.set_setting('async_messages', NULL), chat.set_setting('async_read_state', NULL);

-- every counter still equals a recount from the rows
SELECT count(*) AS counters_wrong FROM chat.verify_unread();
-- leave the cluster as it was
SET client_min_messages = warning;
DROP EXTENSION chat CASCADE;
DROP SCHEMA app, myapp CASCADE;
DROP FUNCTION public.user_name(bigint);
DROP TABLE public.app_user;
RESET client_min_messages;
\if :demo_roles_new
DROP ROLE alice, bob, carol, dan;
\endif
\if :guide_roles_new
DROP ROLE authenticated, erin;
\endif
