-- test/restore/populate.sql: the source database of the dump/restore suite.
-- Run by run.sh with psql -v ON_ERROR_STOP=1 in a fresh database, as a
-- superuser, after it created the roles regress_restore_erin (an end user,
-- mapped here to user 5) and regress_restore_server (listed in server_roles).
-- Every table of schema chat gets rows, and so do the application's own
-- tables (schema app): users, a hook's log, the swapped models.
SET client_min_messages = warning;
CREATE EXTENSION chat;

-- the application: a users table with a display-name function
CREATE SCHEMA app;
GRANT USAGE ON SCHEMA app TO PUBLIC;
CREATE TABLE app.users (id bigint PRIMARY KEY, name text NOT NULL);
INSERT INTO app.users VALUES (1, 'Alice'), (2, 'Bob'), (3, 'Carol'), (4, 'Dan'), (5, 'Erin'),
                             (6, 'Frank'), (7, 'Grace'), (8, 'Heidi'), (9, 'Ivan'), (10, 'Judy');
INSERT INTO app.users SELECT g, 'user ' || g FROM generate_series(11, 400) g;
CREATE FUNCTION app.user_name(id bigint) RETURNS text
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    AS $$ SELECT u.name FROM app.users u WHERE u.id = $1 $$;
SELECT chat.use_user_table('app.users', display_name => 'app.user_name(bigint)');

-- a hook writing a log of events (definer's rights: end users' events too)
CREATE TABLE app.event_log (id bigserial PRIMARY KEY, event text NOT NULL,
                            thread_id bigint, message_id bigint, user_id bigint);
CREATE FUNCTION app.log_event(e jsonb) RETURNS void
    LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    AS $$ INSERT INTO app.event_log (event, thread_id, message_id, user_id)
          VALUES (e ->> 'event', (e ->> 'thread_id')::bigint, (e ->> 'message_id')::bigint,
                  coalesce(e ->> 'sender_id', e ->> 'user_id')::bigint) $$;
SELECT chat.add_hook('message_sent', 'app.log_event(jsonb)');
SELECT chat.add_hook('member_added', 'app.log_event(jsonb)');
SELECT chat.add_hook('reaction_added', 'app.log_event(jsonb)', 5);

-- swapped models: messages with a priority (and a renderer), threads with a topic
CREATE TABLE app.message_meta (
    thread_id  bigint,
    message_id bigint,
    priority   text NOT NULL DEFAULT 'normal',
    PRIMARY KEY (thread_id, message_id),
    FOREIGN KEY (thread_id, message_id) REFERENCES chat.message (thread_id, id) ON DELETE CASCADE);
SELECT chat.swap_model('message', 'app.message_meta');
CREATE FUNCTION app.render_message(extra jsonb) RETURNS jsonb LANGUAGE sql STABLE
    AS $$ SELECT extra || jsonb_build_object('urgent', extra ->> 'priority' = 'high') $$;
SELECT chat.swap_renderer('message', 'app.render_message(jsonb)');
CREATE TABLE app.thread_meta (
    thread_id bigint PRIMARY KEY REFERENCES chat.thread (id) ON DELETE CASCADE,
    topic     text NOT NULL DEFAULT 'general');
SELECT chat.swap_model('thread', 'app.thread_meta');
-- reactions with a weight (and a renderer), attachments with a scan result: keyed by
-- chat.reaction's and chat.attachment's keys, which chat's own tables reference nothing by
CREATE TABLE app.reaction_meta (
    thread_id  bigint,
    message_id bigint,
    user_id    bigint,
    reaction   text,
    weight     integer NOT NULL DEFAULT 1,
    PRIMARY KEY (thread_id, message_id, user_id, reaction),
    FOREIGN KEY (thread_id, message_id, user_id, reaction) REFERENCES chat.reaction ON DELETE CASCADE);
SELECT chat.swap_model('reaction', 'app.reaction_meta');
CREATE FUNCTION app.render_reaction(extra jsonb) RETURNS jsonb LANGUAGE sql STABLE
    AS $$ SELECT extra || jsonb_build_object('heavy', (extra ->> 'weight')::int > 1) $$;
SELECT chat.swap_renderer('reaction', 'app.render_reaction(jsonb)');
CREATE TABLE app.attachment_meta (
    thread_id  bigint,
    message_id bigint,
    position   integer,
    scanned    boolean NOT NULL DEFAULT false,
    PRIMARY KEY (thread_id, message_id, position),
    FOREIGN KEY (thread_id, message_id, position) REFERENCES chat.attachment ON DELETE CASCADE);
SELECT chat.swap_model('attachment', 'app.attachment_meta');

-- roles: an end user mapped to Erin (5), a server role
SELECT chat.map_role('regress_restore_erin', 5);

-- changed settings (inbox_fanout_limit is raised here, lowered below)
SELECT chat.set_setting('max_page_size', '77');
SELECT chat.set_setting('max_attachments', '4');
SELECT chat.set_setting('max_attachment_size', '10000000');
SELECT chat.set_setting('attachment_mime_types', '["image/*", "application/pdf"]');
SELECT chat.set_setting('reactions', '["👍", "🎉", "❤️", "ok"]');
SELECT chat.set_setting('server_roles', '["regress_restore_server"]');
SELECT chat.set_setting('notify_channel', '"chat_restore"');
SELECT chat.set_setting('max_reaction_length', '8');
SELECT chat.set_setting('inbox_fanout_limit', '1000');
-- search: messages indexed under english (their vectors must come back as they are)
SELECT chat.set_setting('search_config', '"english"');

-- private threads: replies, edits, soft deletes, attachments, reactions
SELECT chat.new_message(1, '{2,3,5}', 'Lunch', 'Pizza at noon?', extra => '{"priority": "high"}') AS lunch_m1 \gset
SELECT thread_id AS lunch FROM chat.message WHERE id = :lunch_m1 \gset
SELECT chat.new_reply(:lunch, 2, 'Yes!', parent_id => :lunch_m1) AS lunch_m2 \gset
SELECT chat.new_reply(:lunch, 3, 'Count me in', parent_id => :lunch_m2,
                      attachments => '[{"key": "s3://b/menu.pdf", "name": "menu.pdf", "mime": "application/pdf", "size": 48213},
                                       {"key": "s3://b/map.png", "name": "map.png", "mime": "image/png", "size": 1200, "meta": {"width": 640},
                                        "extra": {"scanned": true}}]') AS lunch_m3 \gset
SELECT chat.new_reply(:lunch, 5, 'Where?') AS lunch_m4 \gset
SELECT chat.edit_message(:lunch_m1, 1, 'Pizza at noon? My treat.');
SELECT chat.edit_message(:lunch_m1, 1, 'Pizza at 12:30? My treat.');
SELECT chat.edit_message(:lunch_m4, 5, 'Where? Which station?');
SELECT chat.delete_message(:lunch_m2, 2);
SELECT chat.add_reaction(:lunch_m1, 2, '👍');
SELECT chat.add_reaction(:lunch_m1, 3, '👍');
SELECT chat.add_reaction(:lunch_m1, 3, '🎉', extra => '{"weight": 3}');
SELECT chat.add_reaction(:lunch_m3, 5, 'ok');
SELECT chat.toggle_reaction(:lunch_m3, 1, '❤️', extra => '{"weight": 2}');
SELECT chat.mark_read(:lunch, 2);
SELECT chat.mark_read(:lunch, 3);
SELECT chat.mark_unread(:lunch, 3, from_message => :lunch_m2);
SELECT chat.mark_delivered(1);
SELECT chat.archive_thread(:lunch, 2);

SELECT chat.new_message(2, '{4}', 'Keys', 'Where are the keys?') AS keys_m1 \gset
SELECT thread_id AS keys FROM chat.message WHERE id = :keys_m1 \gset
SELECT chat.new_reply(:keys, 4, 'In the drawer');
SELECT chat.delete_thread(:keys, 4);
SELECT chat.mute(:keys, 2);
SELECT chat.new_message(3, '{3}', 'Note', 'a note to myself');
-- pinax behaviour: a new private thread starts in its sender's deleted folder
SELECT chat.set_setting('mark_new_thread_as_deleted', 'true');
SELECT chat.new_message(6, '{7,8}', 'Hidden start', 'nobody answered yet') AS hidden_m1 \gset
SELECT chat.new_message(7, '{6}', 'Answered', 'ping') AS ans_m1 \gset
SELECT thread_id AS answered FROM chat.message WHERE id = :ans_m1 \gset
SELECT chat.new_reply(:answered, 6, 'pong');
-- a thread dropped for good leaves gaps in both sequences
SELECT chat.new_message(9, '{10}', 'Gone', 'to be dropped') AS gone_m1 \gset
SELECT thread_id AS gone FROM chat.message WHERE id = :gone_m1 \gset
SELECT chat.new_reply(:gone, 10, 'bye');
SELECT chat.drop_thread(:gone, 9);

-- direct chats: one with messages and a forward, one still empty
SELECT chat.direct_thread(2, 1) AS dm \gset
SELECT chat.new_reply(:dm, 1, 'hi Bob') AS dm_m1 \gset
SELECT chat.new_reply(:dm, 2, 'hi Alice', parent_id => :dm_m1);
SELECT chat.forward_message(:lunch_m3, :dm, 1, comment => 'see this');
SELECT chat.mark_read(:dm, 2, up_to => :dm_m1);
SELECT chat.direct_thread(3, 4) AS dm_empty \gset

-- a group: roles, permissions, leaving, removing, renaming
SELECT chat.create_group(1, 'Book club', '{2,3,4,5}', extra => '{"topic": "books"}') AS club \gset
SELECT chat.set_role(:club, 1, 2, 'admin');
SELECT chat.grant(:club, 1, 3, 'edit_messages');
SELECT chat.revoke(:club, 1, 4, 'add_members');
SELECT chat.add_members(:club, 2, '{6,7}');
SELECT chat.new_reply(:club, 1, 'First book: Dune') AS club_m1 \gset
SELECT chat.new_reply(:club, 5, 'Read it twice', parent_id => :club_m1, extra => '{"priority": "low"}') AS club_m2 \gset
SELECT chat.new_reply(:club, 6, 'Not yet') AS club_m3;
SELECT chat.edit_message(:club_m2, 3, 'Read it twice (edited by Carol)');
SELECT chat.leave_thread(:club, 7);
SELECT chat.remove_member(:club, 2, 6);
SELECT chat.rename_thread(:club, 1, 'Book club 2');
SELECT chat.mark_read(:club, 4);
SELECT chat.mark_delivered(5, :club);
SELECT chat.mute(:club, 3);

-- a public channel: only admins post, anyone joins
SELECT chat.create_channel(1, 'Announcements', '{2,3}', is_public => true) AS chan \gset
SELECT chat.set_profile(:chan, 1, 'News for everyone', 's3://b/announcements.png');
SELECT chat.join_thread(:chan, 5);
SELECT chat.join_thread(:chan, 8);
SELECT chat.new_reply(:chan, 1, 'Release 1.2 is out') AS chan_m1 \gset
SELECT chat.add_reaction(:chan_m1, 5, '🎉');
SELECT chat.new_reply(:chan, 1, 'and 1.2.1');
SELECT chat.mark_read(:chan, 5, up_to => :chan_m1);

-- an object's room
SELECT chat.object_thread('product', '42', 3, 'Questions about product 42') AS room \gset
SELECT chat.join_thread(:room, 4);
SELECT chat.join_thread(:room, 5);
SELECT chat.new_reply(:room, 4, 'Is it waterproof?') AS room_m1 \gset
SELECT chat.new_reply(:room, 3, 'Yes', parent_id => :room_m1);

-- groups created under the raised inbox_fanout_limit (1000), neither of them
-- large: 110 members (over the default limit, under the final one) and 150
-- (over both)
SELECT chat.create_group(2, 'Hundred and ten', ARRAY(SELECT g FROM generate_series(1, 110) g)::chat.user_id[]) AS h110 \gset
SELECT chat.new_reply(:h110, 3, 'one hundred and ten of us');
SELECT chat.mark_read(:h110, 5);
SELECT chat.create_group(1, 'Everyone', ARRAY(SELECT g FROM generate_series(2, 150) g)::chat.user_id[]) AS everyone \gset
SELECT chat.new_reply(:everyone, 1, 'welcome all') AS every_m1 \gset
SELECT chat.new_reply(:everyone, 5, 'hello from Erin');
SELECT chat.mark_read(:everyone, 2);
SELECT chat.mark_read(:everyone, 3, up_to => :every_m1);
SELECT chat.archive_thread(:everyone, 4);

-- the limit lowered below that group's size: a group that passes it now is "large"
SELECT chat.set_setting('inbox_fanout_limit', '120');
SELECT chat.create_group(10, 'Town hall', ARRAY(SELECT g FROM generate_series(1, 130) g)::chat.user_id[]) AS town \gset
SELECT chat.new_reply(:town, 10, 'agenda attached',
                      attachments => '[{"key": "s3://b/agenda.pdf", "mime": "application/pdf", "size": 99}]') AS town_m1 \gset
SELECT chat.new_reply(:town, 5, 'thanks', parent_id => :town_m1);
SELECT chat.add_reaction(:town_m1, 7, '👍');
SELECT chat.mark_read(:town, 7);
SELECT chat.mark_unread(:town, 7, from_message => :town_m1);
SELECT chat.delete_thread(:town, 8);
SELECT chat.mute(:town, 9);

-- a refused message consumes an id (Erin is not in "Keys")
DO $$ BEGIN PERFORM chat.new_reply((SELECT id FROM chat.thread WHERE subject = 'Keys'), 5, 'x');
EXCEPTION WHEN insufficient_privilege THEN NULL; END $$;
SELECT chat.new_reply(:lunch, 1, 'last word in Lunch');

-- notifications for push and e-mail: a swapped model referencing chat.notification (a key a
-- parallel restore adds in its second step), a claimed batch, one delivered with extra, one failed
CREATE TABLE app.notification_meta (
    notification_id bigint PRIMARY KEY REFERENCES chat.notification (id) ON DELETE CASCADE,
    channel         text NOT NULL DEFAULT 'push',
    provider_id     text);
SELECT chat.swap_model('notification', 'app.notification_meta');
SELECT count(*) > 0 AS claimed FROM chat.claim_notifications('restore-worker', 20);
SELECT chat.ack_notification(min(id), '{"provider_id": "apns-1"}') FROM chat.notification WHERE attempts > 0;
SELECT chat.fail_notification(max(id), 'bounced') FROM chat.notification WHERE attempts > 0;

-- history (issue 14): an imported thread with a room period of its own (a column of chat.thread),
-- its oldest message purged (10 years), the rest kept with their original times and read state
SELECT chat.import_thread('{"subject": "Imported", "members": [{"user_id": 1}, {"user_id": 2, "read_until": "2020-01-01T10:00:00Z"}],
                            "messages": [{"sender_id": 1, "sent_at": "2010-01-01T10:00:00Z", "content": "very old"},
                                         {"sender_id": 2, "sent_at": "2020-01-01T10:00:00Z", "content": "old"},
                                         {"sender_id": 1, "sent_at": "2020-06-01T10:00:00Z", "content": "less old"}]}') AS imported \gset
SELECT chat.set_retention(:imported, 1, 3650);
SELECT chat.purge() AS purged;
