'use strict';
// The relay's one dedicated connection to chat: LISTEN on the doorbell channel (chat's setting
// notify_channel, "chat" by default) and read chat.feed(cursor) at each ring and on a timer. The
// timer is needed: a session rings at most once per notify_interval_ms (chat's setting, 100 by
// default: its later events within that interval ring nothing), and with the setting notify off
// nothing rings at all. So the relay also reads the feed every notify_interval_ms (every 1000 ms
// when that is 0, as then every transaction rings).
//
// The doorbell's payload is only {"seq": n} (any role may LISTEN); what happened is read with
// chat.feed, which only server roles may call: each event since the cursor with the users who
// receive it, and the next cursor. A cursor is a snapshot, so an event reaches the relay once,
// whatever order transactions commit in. The connection is dedicated: a pooled one would go back
// to the pool and stop hearing.
const { Client } = require('pg');

// One row per event in seq order (one row with event NULL when there is none). The payload stays
// JSON text and the recipients text: the relay forwards ids exactly as chat wrote them.
const FEED_SQL = `
SELECT f ->> 'cursor' AS cursor, (f ->> 'reload')::boolean AS reload,
       (e.item -> 'event')::text AS event,
       ARRAY(SELECT jsonb_array_elements_text(e.item -> 'recipients')) AS recipients
  FROM chat.feed($1) f
  LEFT JOIN LATERAL jsonb_array_elements(f -> 'events') WITH ORDINALITY AS e(item, n) ON true
 ORDER BY e.n`;

// Starts reading the feed. onBatch(cursor, [{event: json text, recipients: [id text]}]) gets each
// non-empty batch; onReload(cursor) is called when chat says the cursor can no longer be caught up
// (more than changes_limit events, pruned events): every client must reload its state.
// pollMs (optional) overrides the timer's period. Resolves once listening, with { stop(), pull() };
// rejects when the first connection fails. A connection lost later is made again every second,
// from the same cursor.
async function startFeed({ connection = {}, pollMs = null, onBatch, onReload, log = () => {} }) {
  let client = null;
  let period = pollMs ?? 1000;
  let timer = null;
  let cursor = null;
  let stopped = false;
  let pulling = null; // the running pull, if any
  let again = false; // a ring came during a pull: pull once more

  async function connect() {
    const c = new Client(connection);
    c.on('notification', () => pull());
    c.on('error', (err) => lost(c, err));
    c.on('end', () => lost(c, new Error('connection ended')));
    try {
      await c.connect();
      const { rows: [setting] } = await c.query(`
        SELECT chat.get_setting('notify_channel') #>> '{}' AS channel,
               chat.get_setting('notify_interval_ms')::int AS ms`);
      await c.query(`LISTEN ${c.escapeIdentifier(setting.channel)}`);
      if (cursor === null) {
        cursor = (await c.query("SELECT chat.feed() ->> 'cursor' AS cursor")).rows[0].cursor;
      }
      if (pollMs === null) period = setting.ms > 0 ? setting.ms : 1000;
    } catch (err) {
      c.end().catch(() => {});
      throw err;
    }
    client = c;
    pull(); // what committed while (re)connecting
  }

  function lost(c, err) {
    if (client !== c) return;
    client = null;
    c.end().catch(() => {});
    if (stopped) return;
    log(`feed connection lost (${err.message}); reconnecting`);
    const retry = () => {
      if (stopped) return;
      connect().then(() => log('feed connection back'), () => setTimeout(retry, 1000));
    };
    setTimeout(retry, 1000);
  }

  // Reads the feed once (again if a ring came meanwhile). Never two reads at once.
  function pull() {
    if (pulling) {
      again = true;
      return pulling;
    }
    pulling = (async () => {
      do {
        again = false;
        const c = client;
        if (!c || stopped) return;
        let rows;
        try {
          ({ rows } = await c.query(FEED_SQL, [cursor]));
        } catch (err) {
          if (err.code === '22023') { // a cursor chat no longer reads: start anew, clients reload
            log(`feed refused the cursor (${err.message}); starting from now`);
            cursor = (await c.query("SELECT chat.feed() ->> 'cursor' AS cursor")).rows[0].cursor;
            onReload(cursor);
          } else {
            log(`feed read failed: ${err.message}`);
          }
          return;
        }
        const next = rows[0].cursor;
        if (rows[0].reload) {
          log('feed says reload: clients reload their state');
          onReload(next);
        } else {
          const events = rows.filter((r) => r.event !== null)
            .map((r) => ({ event: r.event, recipients: r.recipients }));
          if (events.length > 0) onBatch(next, events);
        }
        cursor = next;
      } while (again);
    })().catch((err) => log(`feed: ${err.message}`)).finally(() => { pulling = null; });
    return pulling;
  }

  await connect();
  const tick = () => {
    pull();
    timer = setTimeout(tick, period);
  };
  timer = setTimeout(tick, period);
  log(`reading chat.feed at each doorbell and every ${period} ms`);
  return {
    pull,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await pulling;
      const c = client;
      client = null;
      if (c) await c.end().catch(() => {});
    },
  };
}

module.exports = { startFeed, FEED_SQL };
