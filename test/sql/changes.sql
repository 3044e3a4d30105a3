-- Catching up: chat.changes(viewer, since) and the relay's chat.feed(since).
-- Each statement here is a transaction of its own, as a client's calls are:
-- a cursor returned by one call gives, in the next, exactly what committed
-- in between (test/specs/changes_order.spec: whatever order transactions
-- commit in).  Cursors and seq are not printed: they change from run to run.
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS chat CASCADE;
CREATE EXTENSION chat;
\set VERBOSITY terse
SELECT chat.set_setting('notify', 'false');

-- a client starts: its cursor first, then it loads what it shows
SELECT chat.changes(2) ->> 'cursor' AS bob \gset
SELECT chat.changes(3) ->> 'cursor' AS carol \gset
SELECT chat.new_message(1, '{2,3}', 'Plans', 'Lunch?') AS m1 \gset
SELECT thread_id AS t FROM chat.message WHERE id = :m1 \gset
SELECT chat.new_reply(:t, 3, 'Yes');
SELECT chat.add_reaction(:m1, 3, 'ok');
SELECT chat.mark_read(:t, 3);
SELECT chat.archive_thread(:t, 3);
SELECT chat.typing(:t, 1);

-- Bob was away: one call brings everything that concerns him, in order
SELECT chat.changes(2, :'bob') AS r \gset
SELECT (:'r'::jsonb) ->> 'reload' AS reload, jsonb_array_length((:'r'::jsonb) -> 'events') AS n;
SELECT x ->> 'event' AS event, x ->> 'user_id' AS user_id, x ->> 'message_id' IS NOT NULL AS has_message
  FROM jsonb_array_elements((:'r'::jsonb) -> 'events') x;
-- (Carol's archive is hers only; typing is not kept for catching up)

-- the returned cursor: nothing new, then exactly the next change
SELECT (:'r'::jsonb) ->> 'cursor' AS bob \gset
SELECT jsonb_array_length(chat.changes(2, :'bob') -> 'events') AS n;
SELECT chat.edit_message(:m1, 1, 'Lunch at noon?') > 0 AS edited;
SELECT x ->> 'event' AS event FROM jsonb_array_elements(chat.changes(2, :'bob') -> 'events') x;

-- Carol sees her archive on her other devices
SELECT x ->> 'event' AS event FROM jsonb_array_elements(chat.changes(3, :'carol') -> 'events') x
 WHERE x ->> 'event' LIKE 'thread_%';

-- the relay: one call per poll, every event once, with who receives it
SELECT chat.feed() ->> 'cursor' AS relay \gset
SELECT chat.mute(:t, 2);
SELECT chat.new_reply(:t, 1, 'See you');
SELECT chat.remove_member(:t, 1, 3);
SELECT x #>> '{event,event}' AS event, x -> 'recipients' AS recipients
  FROM jsonb_array_elements(chat.feed(:'relay') -> 'events') x;

-- events kept for event_retention_days: an older cursor must reload
SELECT chat.changes(2) ->> 'cursor' AS late \gset
SELECT chat.new_reply(:t, 1, 'Anyone?');
UPDATE chat.event SET at = at - interval '8 days';
SELECT chat.prune_events() > 0 AS pruned;
SELECT chat.changes(2, :'late') - 'cursor' AS late_client;
SELECT chat.changes(2, :'bob') ->> 'reload' AS older_client_reloads;
SELECT chat.feed(:'relay') ->> 'reload' AS relay_reloads;
-- a new cursor works again
SELECT chat.changes(2) ->> 'cursor' AS bob \gset
SELECT chat.new_reply(:t, 1, 'Back');
SELECT chat.changes(2, :'bob') #>> '{events,0,event}' AS event;

-- the setting "events" off: nothing is kept, and changes and feed refuse (55000)
SELECT chat.set_setting('events', 'false');
SELECT chat.changes(2, :'bob');
SELECT chat.feed(:'relay');
SELECT chat.set_setting('events', NULL);

DROP EXTENSION chat CASCADE;
