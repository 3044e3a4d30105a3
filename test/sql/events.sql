-- Hooks: the seeds' signals, run inside the transaction of every event
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS chat CASCADE;
CREATE EXTENSION chat;
\set VERBOSITY terse
SELECT chat.set_setting('notify', 'false');

DROP SCHEMA IF EXISTS app CASCADE;
CREATE SCHEMA app;
CREATE TABLE app.event_log (n serial, hook text, payload jsonb);
CREATE FUNCTION app.log_event(e jsonb) RETURNS void LANGUAGE sql
    AS $$ INSERT INTO app.event_log (hook, payload) VALUES ('log', e) $$;
CREATE FUNCTION app.second(e jsonb) RETURNS void LANGUAGE sql
    AS $$ INSERT INTO app.event_log (hook, payload) VALUES ('second', e - 'event') $$;
-- a hook sees the row that caused the event, and vetoes it by raising
CREATE FUNCTION app.no_spam(e jsonb) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF (SELECT content FROM chat.message WHERE id = (e ->> 'message_id')::bigint) ILIKE '%spam%' THEN
        RAISE EXCEPTION 'message % looks like spam', e ->> 'message_id' USING ERRCODE = 'P0001';
    END IF;
END
$$;

SELECT chat.add_hook('message_sent', 'app.log_event(jsonb)');
SELECT chat.add_hook('message_sent', 'app.no_spam(jsonb)');
SELECT chat.add_hook('message_sent', 'app.second(jsonb)');
-- registering again changes nothing
SELECT chat.add_hook('message_sent', 'app.log_event(jsonb)');
SELECT event, function, position FROM chat.hook ORDER BY event, position;

SELECT chat.new_message(1, '{2}', 'Signals', 'hello') AS m1 \gset
SELECT chat.new_reply(1, 2, 'hi back');
SELECT n, hook, payload FROM app.event_log ORDER BY n;

-- the veto leaves nothing behind: no message, no event logged, no counter moved
TRUNCATE app.event_log RESTART IDENTITY;
SELECT chat.new_reply(1, 2, 'cheap spam here');
SELECT count(*) AS spam, (SELECT message_count FROM chat.thread WHERE id = 1) AS message_count
  FROM chat.message WHERE content LIKE '%spam%';
SELECT count(*) AS logged FROM app.event_log;

-- ordering: a position puts a hook first
SELECT chat.add_hook('message_sent', 'app.second(jsonb)', pos => 0);
SELECT chat.new_reply(1, 1, 'ordered');
SELECT n, hook FROM app.event_log ORDER BY n;
SELECT chat.remove_hook('message_sent', 'app.second(jsonb)');
SELECT chat.remove_hook('message_sent', 'app.second(jsonb)') AS again;

-- every event of this version, once each
TRUNCATE app.event_log RESTART IDENTITY;
SELECT chat.remove_hook('message_sent', 'app.no_spam(jsonb)');
SELECT chat.add_hook(e, 'app.log_event(jsonb)')
  FROM unnest('{thread_created,message_edited,message_deleted,thread_read}'::text[]) e;
SELECT chat.new_message(3, '{4,5}', 'Events', 'one') AS m2 \gset
SELECT chat.edit_message(:m2, 3, 'one, edited');
SELECT chat.mark_read(2, 4);
SELECT chat.mark_read(2, 4) AS nothing_to_read;
SELECT chat.delete_message(:m2, 3);
SELECT chat.delete_message(:m2, 3) AS already_deleted;
SELECT n, payload - 'user_id' AS payload, payload -> 'user_id' AS user_id FROM app.event_log ORDER BY n;

-- with a users table bound and a display-name function, payloads carry user_name
CREATE TABLE app.person (id bigint PRIMARY KEY, name text NOT NULL);
INSERT INTO app.person SELECT g, 'user ' || g FROM generate_series(1, 9) g;
CREATE FUNCTION app.person_name(id bigint) RETURNS text LANGUAGE sql STABLE
    AS $$ SELECT name FROM app.person WHERE person.id = person_name.id $$;
SELECT chat.use_user_table('app.person', display_name => 'app.person_name(bigint)');
TRUNCATE app.event_log RESTART IDENTITY;
SELECT chat.new_reply(2, 4, 'named');
SELECT payload ->> 'event' AS event, payload -> 'user_id' AS user_id, payload ->> 'user_name' AS user_name
  FROM app.event_log ORDER BY n;
SELECT chat.use_user_table(NULL);

-- refused registrations
SELECT chat.add_hook('message_posted', 'app.log_event(jsonb)');
SELECT chat.add_hook('message_sent', 'pg_catalog.lower(text)');
SELECT chat.add_hook('message_sent', 'public.no_such_hook(jsonb)');
SELECT chat.add_hook('message_sent', NULL);
SELECT chat.add_hook(NULL, 'app.log_event(jsonb)');
SELECT chat.add_hook('message_sent', 'app.second(jsonb)', pos => 1);
SELECT chat.remove_hook('message_posted', 'app.log_event(jsonb)');

-- typing needs membership
SELECT chat.typing(2, 4);
SELECT chat.typing(2, 9);
SELECT chat.typing(99, 4);
SELECT count(*) AS drift FROM chat.verify_unread();
DROP SCHEMA app CASCADE;
