'use strict';
// The HTTP JSON API, on node's built-in http module.
//
// Who is calling: the header `X-User-Id`, standing in for your authentication (a session cookie,
// a verified JWT). Two modes:
//   'server'   (default) the app's server role acts for the caller: reads pass the acting user
//              explicitly (one round trip), writes of several calls run in withUser();
//   'end-user' every request runs as the end-user role with the caller's claims (asEndUser), as
//              PostgREST would: chat and row-level security then enforce who may do what.
const http = require('node:http');
const chat = require('./chat');
const { query, withUser, asEndUser } = require('./db');
const { statusOf, bodyOf, HttpError } = require('./errors');
const { reactionSummary } = require('./events');

const count = (n) => Number(n); // counts are bigint (strings); they stay far below 2^53

// Each handler gets { db, me, tx, params, query, body } and returns [status, json] or json.
// `db` runs one query (the pool, or the end user's transaction); `tx(fn)` runs fn(client) in one
// transaction where chat acts as `me` by default.
const routes = [
  // Sign-up: a row in the app's users table, which chat is bound to (sql/schema.sql).
  ['POST', '/users', async ({ db, body }) => {
    const { rows } = await query(db, 'INSERT INTO app.app_user (name) VALUES ($1) RETURNING id, name', [body.name]);
    return [201, rows[0]];
  }, { anonymous: true }],

  // Account deletion: chat forgets the user's memberships and keeps their messages without a sender
  // (on_delete 'anonymize'), in the same statement.
  ['DELETE', '/users/:id', async ({ tx, me, params }) => {
    if (params.id !== me) throw new HttpError(403, 'you may delete only your own account');
    const { rowCount } = await tx((c) => c.query('DELETE FROM app.app_user WHERE id = $1', [me]));
    if (!rowCount) throw new HttpError(404, `user ${me} does not exist`);
    return [204, null];
  }],

  // The inbox with the badge: chat.unread_count is the badge (muted and archived threads left out).
  ['GET', '/inbox', async ({ db, me, query }) => {
    const threads = await chat.inbox(db, {
      viewer: me, folder: query.folder, before: query.before, pageSize: query.page_size,
    });
    return {
      badge: await chat.badge(db, me),
      threads: threads.map((t) => ({ ...t, unread_count: count(t.unread_count) })),
    };
  }],

  // A new private thread. Two calls in one transaction acting as `me` (withUser): neither names
  // the sender, chat takes it from chat.user_id.
  ['POST', '/threads', async ({ tx, body }) => tx(async (c) => {
    const messageId = await chat.newMessage(c, {
      recipients: body.recipients, subject: body.subject, content: body.content,
    });
    return [201, { thread_id: await chat.threadOf(c, messageId), message_id: messageId }];
  })],

  ['GET', '/threads/:id/messages', async ({ db, me, params, query }) => {
    const messages = await chat.messages(db, {
      threadId: params.id, viewer: me, before: query.before, after: query.after, pageSize: query.page_size,
    });
    return { messages: messages.map((m) => ({ ...m, reactions: reactionSummary(m.reactions) })) };
  }],

  ['POST', '/threads/:id/messages', async ({ db, me, params, body }) => {
    const id = await chat.newReply(db, {
      threadId: params.id, sender: me, content: body.content, parentId: body.parent_id,
    });
    return [201, { message_id: id }];
  }],

  ['POST', '/threads/:id/read', async ({ db, me, params, body }) => ({
    read: await chat.markRead(db, { threadId: params.id, reader: me, upTo: body.up_to }),
    badge: await chat.badge(db, me),
  })],

  ['GET', '/threads/:id/members', async ({ db, me, params }) => ({
    members: await chat.members(db, { threadId: params.id, viewer: me }),
  })],

  ['POST', '/threads/:id/members', async ({ db, me, params, body }) => ({
    added: await chat.addMembers(db, { threadId: params.id, actor: me, users: body.users, role: body.role }),
  })],

  // A group, or a channel (only admins post) with {"channel": true}.
  ['POST', '/groups', async ({ db, me, body }) => {
    const id = await chat.createGroup(db, {
      creator: me, title: body.title, members: body.members, isPublic: body.is_public, channel: body.channel,
    });
    return [201, { thread_id: id }];
  }],

  ['GET', '/messages/:id/reactions', async ({ db, me, params }) => ({
    reactions: (await chat.reactions(db, { messageId: params.id, viewer: me }))
      .map((r) => ({ ...r, count: count(r.count) })),
  })],

  // Toggle: {"present": true} when the reaction is now there.
  ['POST', '/messages/:id/reactions', async ({ db, me, params, body }) => ({
    present: await chat.toggleReaction(db, { messageId: params.id, user: me, reaction: body.reaction }),
  })],
].map(([method, path, handler, options = {}]) => ({
  method,
  handler,
  ...options,
  // '/threads/:id/messages' -> /^\/threads\/(\d+)\/messages$/ (ids are digits, kept as strings)
  pattern: new RegExp(`^${path.replace(/:id/g, '(\\d+)')}$`),
}));

async function readJson(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > 1 << 20) throw new HttpError(413, 'request body too large');
    chunks.push(chunk);
  }
  if (!size) return {};
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new HttpError(400, 'request body is not JSON');
  }
}

function send(res, status, json) {
  const body = json === null ? '' : JSON.stringify(json);
  res.writeHead(status, json === null ? {} : { 'content-type': 'application/json' });
  res.end(body);
}

// Runs one request: finds the route, the caller and the database context for the mode.
async function handle(pool, mode, req, res, log) {
  const url = new URL(req.url, 'http://localhost');
  const route = routes.find((r) => r.method === req.method && r.pattern.test(url.pathname));
  if (!route) throw new HttpError(404, `no route ${req.method} ${url.pathname}`);
  const me = req.headers['x-user-id'];
  if (!route.anonymous && !/^\d+$/.test(me ?? '')) throw new HttpError(401, 'X-User-Id missing', 'no_user');
  const request = {
    me,
    params: { id: route.pattern.exec(url.pathname)[1] },
    query: Object.fromEntries(url.searchParams),
    body: await readJson(req),
  };
  const result = mode === 'end-user'
    ? await asEndUser(pool, { sub: me, role: 'authenticated' },
      (client) => route.handler({ ...request, db: client, tx: (fn) => fn(client) }))
    : await route.handler({ ...request, db: pool, tx: (fn) => withUser(pool, me, fn) });
  const [status, json] = Array.isArray(result) ? result : [200, result];
  send(res, status, json);
  log(req, status);
}

function createServer({ pool, mode = 'server', log = () => {} }) {
  if (!['server', 'end-user'].includes(mode)) throw new Error(`unknown mode ${mode}`);
  return http.createServer((req, res) => {
    handle(pool, mode, req, res, log).catch((err) => {
      const status = statusOf(err);
      send(res, status, bodyOf(err, status));
      log(req, status, err);
    });
  });
}

module.exports = { createServer, routes };
