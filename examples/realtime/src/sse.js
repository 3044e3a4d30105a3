'use strict';
// The browsers connected with Server-Sent Events, by user id, and what each one is sent.
//
// Per feed batch, each connected recipient gets ONE message `event: batch` whose data is
// {"cursor": <the batch's feed cursor>, "events": [<its events of the batch, in seq order>]}:
// a browser dispatches an SSE message only once it is whole, so the cursor it keeps always comes
// with every event before it. `event: reload` {"cursor"} tells every page to reload its state.

const RETRY_MS = 500; // how soon a browser reconnects after the relay went away
const KEEPALIVE_MS = 15000; // a comment line now and then, so idle proxies keep the stream

function createHub() {
  const byUser = new Map(); // user id (text) -> Set of http.ServerResponse

  // Takes over an HTTP response as the event stream of user `user`.
  function subscribe(user, req, res) {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
    });
    res.write(`retry: ${RETRY_MS}\n\n`);
    let set = byUser.get(user);
    if (!set) byUser.set(user, (set = new Set()));
    set.add(res);
    const keepalive = setInterval(() => res.write(': keepalive\n\n'), KEEPALIVE_MS);
    req.on('close', () => {
      clearInterval(keepalive);
      set.delete(res);
      if (set.size === 0 && byUser.get(user) === set) byUser.delete(user);
    });
  }

  // A feed batch: each event goes to the connected users among its recipients, and nowhere else.
  function deliver(cursor, events) {
    const perUser = new Map(); // user -> [event json text]
    for (const { event, recipients } of events) {
      for (const user of recipients) {
        if (!byUser.has(user)) continue;
        if (!perUser.has(user)) perUser.set(user, []);
        perUser.get(user).push(event);
      }
    }
    for (const [user, list] of perUser) {
      const data = `{"cursor":${JSON.stringify(cursor)},"events":[${list.join(',')}]}`;
      for (const res of byUser.get(user)) res.write(`event: batch\ndata: ${data}\n\n`);
    }
  }

  // The feed cannot be caught up: every page reloads its state.
  function reloadAll(cursor) {
    const data = JSON.stringify({ cursor });
    for (const set of byUser.values()) for (const res of set) res.write(`event: reload\ndata: ${data}\n\n`);
  }

  // Ends every stream (the relay is stopping).
  function closeAll() {
    for (const set of byUser.values()) for (const res of set) res.end();
    byUser.clear();
  }

  const count = () => [...byUser.values()].reduce((n, set) => n + set.size, 0);

  return { subscribe, deliver, reloadAll, closeAll, count };
}

module.exports = { createHub };
