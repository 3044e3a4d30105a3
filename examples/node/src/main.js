'use strict';
// Starts the API: PG* environment variables for the database (as the app's server role),
// PORT (default 3000), HOST (default 127.0.0.1), MODE ('server' or 'end-user').
const { createPool } = require('./db');
const { createServer } = require('./server');

const pool = createPool();
const server = createServer({
  pool,
  mode: process.env.MODE || 'server',
  log: (req, status, err) => {
    console.log(`${req.method} ${req.url} ${status}${err && status >= 500 ? ` ${err.code ?? ''} ${err.message}` : ''}`);
  },
});
server.listen(Number(process.env.PORT || 3000), process.env.HOST || '127.0.0.1', () => {
  const { address, port } = server.address();
  console.log(`chat example listening on http://${address}:${port}`);
});
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => server.close(() => pool.end()));
}
