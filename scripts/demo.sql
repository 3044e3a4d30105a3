-- A small demo for scripts/run.sh: Alice (1), Bob (2), Carol (3), Dan (4).
\set ON_ERROR_STOP on
\o /dev/null
SELECT chat.new_message(sender => 1, recipients => '{2,3}', subject => 'Friday lunch',
                        content => 'Pizza at noon on Friday?') AS lunch \gset
SELECT chat.new_reply(thread_id => 1, sender => 2, content => 'Yes, count me in.');
SELECT chat.new_reply(1, 3, 'Same here. The place by the station?', parent_id => :lunch);
SELECT chat.new_message(4, '{2}', 'Release 1.2', 'The build is green, can you tag it?');
SELECT chat.new_message(2, '{1}', 'Keys', 'I left the office keys on your desk.');
SELECT chat.mark_read(2, 2);                       -- Bob reads Dan's thread
SELECT chat.edit_message(:lunch, 1, 'Pizza at noon on Friday? My treat.');
-- a group, a channel, a direct chat and a reaction (chat 0.3)
SELECT chat.create_group(1, 'Project team', '{2,3,4}') AS team \gset
SELECT chat.new_reply(:team, 4, 'Standup moved to 10:00.') AS standup \gset
SELECT chat.add_reaction(:standup, 2, '👍');
SELECT chat.create_channel(1, 'Announcements', '{2,3,4}', is_public => true) AS news \gset
SELECT chat.new_reply(:news, 1, 'The office is closed on Monday.');
SELECT chat.new_reply(chat.direct_thread(2, 3), 2, 'Coffee later?');
-- end users (chat 0.4): SET ROLE alice, and chat.inbox() is Alice's and nobody else's
DO $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT * FROM (VALUES ('alice', 1), ('bob', 2), ('carol', 3), ('dan', 4)) v(name, id) LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r.name) THEN
            EXECUTE format('CREATE ROLE %I', r.name);
        END IF;
        PERFORM chat.map_role(r.name::regrole, r.id);
    END LOOP;
END
$$;
\o
