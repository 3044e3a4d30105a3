'use strict';
// chat's realtime events and ids inside JSON.  NOTIFY on channel "chat" is only a doorbell
// ({"seq": n}: any role may LISTEN, so it carries nothing private); the events themselves are read
// with chat.feed(cursor), which only server roles may call and which says who receives each one.
//
// In columns node-postgres gives bigint ids as strings ("42"); inside jsonb (messages().reactions)
// and in event payloads they are JSON numbers, which JSON.parse turns into doubles: exact up to
// 2^53-1 (Number.MAX_SAFE_INTEGER), silently rounded above. This app turns every id it reads from
// JSON into a string (the same type as in columns) and refuses one that lost precision, instead of
// acting on the wrong user or thread.
const { Client } = require('pg');

// A JSON number holding an id, as the string node-postgres would give for the column.
function jsonId(n) {
  if (n === null || n === undefined || typeof n === 'string') return n; // null, or uuid/text ids
  if (!Number.isSafeInteger(n)) {
    throw new RangeError(`id ${n} is beyond 2^53-1: JSON.parse lost its exact value`);
  }
  return String(n);
}

const EVENT_IDS = ['thread_id', 'message_id', 'user_id', 'parent_id', 'forwarded_from', 'by'];

// Parses a NOTIFY payload; its ids become strings.
function parseEvent(payload) {
  const event = JSON.parse(payload);
  for (const key of EVENT_IDS) if (key in event) event[key] = jsonId(event[key]);
  return event;
}

// messages().reactions: [{reaction, count, users: [1, 2]}] with users as strings.
function reactionSummary(reactions) {
  return (reactions ?? []).map((r) => ({ ...r, users: r.users.map(jsonId) }));
}

// A dedicated connection that LISTENs (a pooled one would go back to the pool and stop hearing) and,
// at each doorbell and at least every notify_interval_ms (a session rings at most that often, so a
// busy one's later events are found by this poll), reads what committed since its cursor with
// chat.feed: one query per doorbell or tick, not per event.  Events arrive after their transaction commits, never for one that rolled back, once
// each.  onEvent gets each event (ids as strings) and the users who receive it.  The connection's role
// must be a server role.  Events are read as JSON text, so parseEvent sees exact numbers.
async function listen(config, onEvent, onError = () => {}) {
  const client = new Client(config);
  await client.connect();
  let cursor = (await client.query("SELECT chat.feed() ->> 'cursor' AS cursor")).rows[0].cursor;
  let pulling = Promise.resolve();
  const pull = async () => {
    const { rows: [feed] } = await client.query(
      `SELECT f ->> 'cursor' AS cursor, f ->> 'reload' AS reload,
              ARRAY(SELECT (e -> 'event')::text FROM jsonb_array_elements(f -> 'events') e) AS events,
              ARRAY(SELECT (e -> 'recipients')::text FROM jsonb_array_elements(f -> 'events') e) AS recipients
         FROM chat.feed($1) f`, [cursor]);
    cursor = feed.cursor;
    if (feed.reload === 'true') onError(new Error('the feed says reload: too much was missed'), null);
    feed.events.forEach((payload, i) => {
      try {
        onEvent(parseEvent(payload), JSON.parse(feed.recipients[i]).map(jsonId));
      } catch (err) {
        onError(err, payload);
      }
    });
  };
  const ring = () => {
    pulling = pulling.then(pull, pull).catch((err) => onError(err, null));
  };
  client.on('notification', ring);
  await client.query('LISTEN chat');
  const { rows: [{ ms }] } = await client.query("SELECT chat.get_setting('notify_interval_ms')::int AS ms");
  const timer = setInterval(ring, Math.max(ms, 20));
  return {
    end: async () => {
      clearInterval(timer);
      await pulling.catch(() => {});
      await client.end();
    },
  };
}

module.exports = { jsonId, parseEvent, reactionSummary, listen };
