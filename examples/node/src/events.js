'use strict';
// chat's realtime events (NOTIFY on channel "chat") and ids inside JSON.
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

// A dedicated connection that LISTENs (a pooled one would go back to the pool and stop hearing).
// Events arrive after their transaction commits, never for one that rolled back. Whatever happens
// while disconnected is lost: catch up with chat.messages(thread_id, viewer, after => last_id).
async function listen(config, onEvent, onError = () => {}) {
  const client = new Client(config);
  await client.connect();
  client.on('notification', (msg) => {
    try {
      onEvent(parseEvent(msg.payload));
    } catch (err) {
      onError(err, msg.payload);
    }
  });
  await client.query('LISTEN chat');
  return client; // client.end() stops listening
}

module.exports = { jsonId, parseEvent, reactionSummary, listen };
