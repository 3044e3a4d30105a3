'use strict';
// Shared by the tests: pools as the app's role (PG* from run-tests.sh), the HTTP server on an
// ephemeral port of 127.0.0.1, a tiny HTTP client and fresh users for each test.
const http = require('node:http');
const { createPool } = require('../src/db');
const { createServer } = require('../src/server');

// allowExitOnIdle: the test process may end while idle connections remain.
const newPool = (options = {}) => createPool({ max: 4, allowExitOnIdle: true, ...options });

// The app's API on 127.0.0.1, an ephemeral port.
async function startApp(pool, mode = 'server') {
  const server = createServer({ pool, mode });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${server.address().port}`;
  return {
    // -> { status, body }; `as` is the caller's user id (header X-User-Id)
    request: (method, path, { as, body } = {}) => request(base, method, path, as, body),
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

function request(base, method, path, as, body) {
  return new Promise((resolve, reject) => {
    const headers = { 'content-type': 'application/json' };
    if (as !== undefined) headers['x-user-id'] = String(as);
    const req = http.request(`${base}${path}`, { method, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => { text += chunk; });
      res.on('end', () => resolve({ status: res.statusCode, body: text ? JSON.parse(text) : null }));
    });
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

// Fresh users in the app's users table; ids as strings, the way node-postgres gives bigint.
async function newUsers(pool, ...names) {
  const { rows } = await pool.query(
    'INSERT INTO app.app_user (name) SELECT unnest($1::text[]) RETURNING id', [names]);
  return rows.map((r) => r.id);
}

// Runs fn and returns the error it throws (fails when it does not throw).
async function refusal(fn) {
  try {
    await fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected an error, got none');
}

module.exports = { newPool, startApp, newUsers, refusal };
