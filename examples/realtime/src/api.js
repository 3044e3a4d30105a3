'use strict';
// The page's JSON API, on a pool of connections (not the feed's). The pool's role is a server role
// (a member of a role in chat's setting server_roles): it acts for the user each request names by
// passing that id to chat's functions, so nothing of a request stays on a pooled connection.
//
// DEMO ONLY: the user is whatever `?user=N` says. A real application takes it from its
// authentication (a session cookie, a verified token), never from the request as here.

// Node-postgres gives bigint columns as strings: ids stay strings, counts become numbers.
const count = (n) => Number(n);

class HttpError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

// chat's SQLSTATEs as HTTP statuses; anything else is a 500 without the database's text.
const BY_CODE = { '42501': 403, '42704': 404, '55000': 409, '54000': 422 };
const statusOf = (err) => err.status ?? (err.code ? BY_CODE[err.code] ?? (err.code.startsWith('22') ? 400 : 500) : 500);

// One query on the pool. pool.query() would destroy the connection after a refusal too; a refusal
// (an error with a SQLSTATE) leaves the connection fine, so it goes back to the pool.
async function query(pool, text, values) {
  const client = await pool.connect();
  let broken;
  try {
    return await client.query(text, values);
  } catch (err) {
    if (!err.code) broken = err;
    throw err;
  } finally {
    client.release(broken);
  }
}

// Runs fn(client) in one transaction of the given mode.
async function transaction(pool, mode, fn) {
  const client = await pool.connect();
  let broken;
  try {
    await client.query(`BEGIN ${mode}`);
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch((e) => { broken = e; });
    throw err;
  } finally {
    client.release(broken);
  }
}

const INBOX_SQL = `
SELECT thread_id, kind, subject, last_message_id, last_sender_id, last_preview, unread_count
  FROM chat.inbox(viewer => $1)`;
const BADGE_SQL = 'SELECT threads, messages FROM chat.unread_count(viewer => $1)';

async function inbox(db, me) {
  const threads = (await db.query(INBOX_SQL, [me])).rows
    .map((t) => ({ ...t, unread_count: count(t.unread_count) }));
  const [b] = (await db.query(BADGE_SQL, [me])).rows;
  return { threads, unread: { threads: count(b.threads), messages: count(b.messages) } };
}

const id = (value, name) => {
  if (!/^[0-9]{1,18}$/.test(String(value ?? ''))) throw new HttpError(400, `${name} must be an id`);
  return String(value);
};

// [method, path pattern, handler({ pool, me, params, query, body }) -> JSON value or raw JSON text]
const routes = [
  // The page's starting point: the cursor and the state it applies to, in ONE snapshot (a
  // repeatable-read transaction), so no event falls between them.
  ['GET', '/api/state', ({ pool, me }) => transaction(pool, 'ISOLATION LEVEL REPEATABLE READ READ ONLY', async (c) => {
    const { rows: [{ cursor }] } = await c.query("SELECT chat.changes(viewer => $1) ->> 'cursor' AS cursor", [me]);
    return { cursor, ...(await inbox(c, me)) };
  })],

  ['GET', '/api/inbox', ({ pool, me }) => inbox({ query: (t, v) => query(pool, t, v) }, me)],

  // What the user missed since a cursor: {"cursor", "reload", "events"}, as chat wrote it.
  ['GET', '/api/changes', async ({ pool, me, query: q }) => {
    const { rows: [r] } = await query(pool, 'SELECT chat.changes(viewer => $1, since => $2)::text AS changes',
      [me, q.since || null]);
    return { raw: r.changes };
  }],

  ['GET', '/api/threads/:id/messages', async ({ pool, me, params }) => ({
    messages: (await query(pool, `
      SELECT id, sender_id, kind, content, sent_at, edited, deleted, reactions
        FROM chat.messages(thread_id => $1, viewer => $2)`, [id(params.id, 'thread'), me])).rows,
  })],

  // A new private thread: {to: [user ids], subject, content}.
  ['POST', '/api/threads', async ({ pool, me, body }) => {
    const to = (Array.isArray(body.to) ? body.to : [body.to]).map((u) => id(u, 'to'));
    const { rows: [{ message_id: messageId }] } = await query(pool, `
      SELECT chat.new_message(sender => $1, recipients => $2::text[]::chat.user_id[],
                              subject => $3, content => $4) AS message_id`,
    [me, to, body.subject ?? null, body.content ?? null]);
    const { rows: [r] } = await query(pool,
      'SELECT thread_id, id AS message_id FROM chat.message WHERE id = $1', [messageId]);
    return r;
  }],

  ['POST', '/api/threads/:id/messages', async ({ pool, me, params, body }) => {
    const { rows: [r] } = await query(pool,
      'SELECT chat.new_reply(thread_id => $1, sender => $2, content => $3) AS message_id',
      [id(params.id, 'thread'), me, body.content ?? null]);
    return r;
  }],

  ['PATCH', '/api/messages/:id', async ({ pool, me, params, body }) => {
    await query(pool, 'SELECT chat.edit_message(message_id => $1, editor => $2, content => $3)',
      [id(params.id, 'message'), me, body.content ?? null]);
    return { ok: true };
  }],

  // Adds the reaction, or removes it when the user had it.
  ['POST', '/api/messages/:id/reactions', async ({ pool, me, params, body }) => {
    const { rows: [r] } = await query(pool,
      'SELECT chat.toggle_reaction(message_id => $1, "user" => $2, reaction => $3) AS added',
      [id(params.id, 'message'), me, body.reaction ?? null]);
    return r;
  }],

  ['POST', '/api/threads/:id/typing', async ({ pool, me, params }) => {
    await query(pool, 'SELECT chat.typing(thread_id => $1, "user" => $2)', [id(params.id, 'thread'), me]);
    return { ok: true };
  }],

  ['POST', '/api/threads/:id/read', async ({ pool, me, params }) => {
    await query(pool, 'SELECT chat.mark_read(thread_id => $1, reader => $2)', [id(params.id, 'thread'), me]);
    return inbox({ query: (t, v) => query(pool, t, v) }, me);
  }],
];

// Finds the route of a request: [handler, params] or null.
function match(method, pathname) {
  for (const [m, pattern, handler] of routes) {
    if (m !== method) continue;
    const names = [];
    const re = new RegExp(`^${pattern.replace(/:(\w+)/g, (_, n) => { names.push(n); return '([^/]+)'; })}$`);
    const found = re.exec(pathname);
    if (found) return [handler, Object.fromEntries(names.map((n, i) => [n, decodeURIComponent(found[i + 1])]))];
  }
  return null;
}

module.exports = { match, id, statusOf, HttpError };
