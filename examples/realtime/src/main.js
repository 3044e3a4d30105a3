'use strict';
// Starts the relay. The database comes from the usual PG* environment variables (PGHOST, PGPORT,
// PGDATABASE, PGUSER, PGPASSWORD), as a role that is a server role and not a superuser.
// PORT (default 3000; 0 picks a free one), HOST (default 127.0.0.1), POLL_MS (how often the feed is
// read without a doorbell; default: chat's setting notify_interval_ms, or 1000 when that is 0).
const { Pool } = require('pg');
const { startFeed } = require('./feed');
const { createHub } = require('./sse');
const { createServer } = require('./server');

const log = (line) => console.log(`relay: ${line}`);

async function main() {
  const pool = new Pool({ max: 5, idleTimeoutMillis: 10000 });
  pool.on('error', (err) => log(`idle pool connection: ${err.message}`));
  const hub = createHub();
  const feed = await startFeed({
    pollMs: process.env.POLL_MS ? Number(process.env.POLL_MS) : null,
    onBatch: hub.deliver,
    onReload: hub.reloadAll,
    log,
  });
  const server = createServer({ pool, hub, log });
  server.listen(Number(process.env.PORT ?? 3000), process.env.HOST || '127.0.0.1', () => {
    const { address, port } = server.address();
    log(`listening on http://${address}:${port}`);
  });
  const stop = async () => {
    hub.closeAll();
    server.close();
    await feed.stop();
    await pool.end();
  };
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => stop().then(() => process.exit(0)));
}

main().catch((err) => {
  log(`could not start: ${err.message}`);
  process.exit(1);
});
