'use strict';
// Connections and per-request identity.
//
// The pool connects as a NON-superuser server role (a member of a role listed in chat's setting
// `server_roles`): such a role may act for any user, so every request must say for whom it acts,
// and nothing of one request may stay on the pooled connection for the next. Three ways:
//
//   1. pass the acting user to each call (sender => $2, viewer => $1...): one round trip, no
//      transaction needed; see chat.js, used by most routes;
//   2. withUser(): BEGIN; set_config('chat.user_id', $1, true); ...; COMMIT: the setting is
//      transaction-scoped (is_local = true), gone at COMMIT or ROLLBACK; for several calls;
//   3. asEndUser(): what PostgREST does per request: BEGIN; SET LOCAL ROLE authenticated;
//      set_config('request.jwt.claims', $1, true); ...; COMMIT. chat then treats the request as an
//      end user: it acts only as the JWT's `sub`, and row-level security filters direct reads.
//      With the setting, both call chat.propagate_identity(): on Citus it carries the identity to
//      the workers, where row-level security runs (PostgREST: db-pre-request); on one node nothing.
//
// Never `SET chat.user_id = ...` (session level) on a pooled connection: it outlives the request.
const { Pool } = require('pg');

// The pool. Connection settings come from the usual PG* environment variables (PGHOST, PGPORT,
// PGDATABASE, PGUSER, PGPASSWORD), which node-postgres reads itself.
function createPool(options = {}) {
  return new Pool({ max: 10, idleTimeoutMillis: 10000, ...options });
}

// Runs fn(client) inside BEGIN ... COMMIT on one pooled connection; ROLLBACK when fn throws.
// A connection whose ROLLBACK failed is destroyed instead of going back to the pool.
async function transaction(pool, fn) {
  const client = await pool.connect();
  let broken;
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    try {
      await client.query('ROLLBACK');
    } catch (rollbackErr) {
      broken = rollbackErr;
    }
    throw err;
  } finally {
    client.release(broken);
  }
}

// One query on a pool or a client. Unlike pool.query(), which destroys the connection after ANY
// error, a refusal (an error with a SQLSTATE: the server is fine) gives the connection back to the
// pool: chat refuses often (blank content, not a member...), and each refusal would cost a reconnect.
async function query(db, text, values) {
  if (!(db instanceof Pool)) return db.query(text, values);
  const client = await db.connect();
  let broken;
  try {
    return await client.query(text, values);
  } catch (err) {
    if (!err.code) broken = err; // not a refusal: a broken connection, a bad parameter...
    throw err;
  } finally {
    client.release(broken);
  }
}

// Pattern 2: a transaction whose chat calls act as userId when they name no acting user.
function withUser(pool, userId, fn) {
  return transaction(pool, async (client) => {
    // chat.propagate_identity() sends the setting to the workers on Citus (nothing on one node)
    await client.query("SELECT set_config('chat.user_id', $1, true), chat.propagate_identity()", [String(userId)]);
    return fn(client);
  });
}

// Pattern 3: a transaction as an end user, the way PostgREST runs a request with a verified JWT.
// `claims` must come from a token your server verified; `role` is the end-user role.
function asEndUser(pool, claims, fn, role = 'authenticated') {
  return transaction(pool, async (client) => {
    await client.query(`SET LOCAL ROLE ${client.escapeIdentifier(role)}`);
    // as PostgREST's db-pre-request: the claims reach the workers on Citus (nothing on one node)
    await client.query("SELECT set_config('request.jwt.claims', $1, true), chat.propagate_identity()",
      [JSON.stringify(claims)]);
    return fn(client);
  });
}

module.exports = { createPool, query, transaction, withUser, asEndUser };
