'use strict';
// Per-request identity on a pool of ONE connection, so that every request reuses the connection of
// the one before: nothing of a request's identity may reach the next.
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const chat = require('../src/chat');
const { withUser, asEndUser } = require('../src/db');
const { newPool, startApp, newUsers, refusal } = require('./helpers');

// What the (only) connection of the pool holds between requests.
async function leftovers(pool) {
  const { rows: [r] } = await pool.query(`SELECT pg_backend_pid() AS pid, current_user AS role,
      chat.current_user_id() AS user_id,
      nullif(current_setting('chat.user_id', true), '') AS setting,
      nullif(current_setting('request.jwt.claims', true), '') AS claims`);
  return r;
}

describe('identity on a pool of one connection', () => {
  let pool;
  let alice;
  let bob;
  let thread;
  let pid;
  before(async () => {
    pool = newPool({ max: 1 });
    [alice, bob] = await newUsers(pool, 'Alice', 'Bob');
    const msg = await chat.newMessage(pool, { sender: alice, recipients: [alice], subject: 'Alice only', content: 'a note' });
    thread = await chat.threadOf(pool, msg);
    ({ pid } = await leftovers(pool));
  });
  after(() => pool.end());

  const clean = async () => {
    const l = await leftovers(pool);
    assert.equal(l.pid, pid, 'still the same pooled connection');
    assert.deepEqual([l.role, l.user_id, l.setting, l.claims], ['node_app', null, null, null]);
  };

  it('passing the acting user explicitly leaves nothing on the connection', async () => {
    await chat.newReply(pool, { threadId: thread, sender: alice, content: 'explicit' });
    await clean();
    // A server role without an acting user is refused, it never guesses (contract item 8: the
    // argument's name in err.column, a detail saying no acting user was given, a hint).
    const err = await refusal(() => chat.inbox(pool, {}));
    assert.equal(err.code, '22004');
    assert.equal(err.column, 'viewer', 'contract item 8');
    assert.match(`${err.message} ${err.detail}`, /no acting user/i, 'contract item 8');
    assert.match(err.hint, /set_config/);
  });

  it('withUser: chat.user_id lasts one transaction, committed or rolled back', async () => {
    const seen = await withUser(pool, alice, async (c) => {
      const { rows: [r] } = await c.query('SELECT chat.current_user_id() AS me');
      return [r.me, (await chat.inbox(c, {})).map((t) => t.thread_id)];
    });
    assert.deepEqual(seen, [alice, [thread]]);
    await clean();

    await refusal(() => withUser(pool, bob, async (c) => {
      await chat.newReply(c, { threadId: thread, content: 'Bob is no member' });
    }));
    await clean();
  });

  it('over HTTP, requests for different users on one connection see only their own inbox', async () => {
    const app = await startApp(pool);
    try {
      const sent = await app.request('POST', '/threads', { as: bob, body: { recipients: [bob], subject: 'Bob only', content: 'b' } });
      assert.equal(sent.status, 201);
      const a = (await app.request('GET', '/inbox', { as: alice })).body.threads.map((t) => t.subject);
      const b = (await app.request('GET', '/inbox', { as: bob })).body.threads.map((t) => t.subject);
      assert.deepEqual([a, b], [['Alice only'], ['Bob only']]);
      await clean();
    } finally {
      await app.close();
    }
  });

  it('a session-level SET outlives the request: the reason to use set_config(..., true)', async () => {
    await pool.query("SELECT set_config('chat.user_id', $1, false)", [alice]); // what NOT to do
    try {
      assert.equal((await leftovers(pool)).user_id, alice, 'the next request still acts as Alice');
    } finally {
      await pool.query('RESET chat.user_id');
    }
    await clean();
  });

  it('a request with JWT claims cannot act as a leftover chat.user_id (contract item 4)', async () => {
    // A buggy earlier request left Alice on the connection; Bob's end-user request comes next.
    await pool.query("SELECT set_config('chat.user_id', $1, false)", [alice]);
    try {
      const err = await refusal(() => asEndUser(pool, { sub: bob, role: 'authenticated' },
        (c) => chat.inbox(c, {})));
      assert.equal(err.code, '42501', `refused, not acting as Alice (${err.message})`);
      assert.equal(err.constraint, 'identity_conflict');
      // Explicitly naming himself does not help Bob either.
      const again = await refusal(() => asEndUser(pool, { sub: bob, role: 'authenticated' },
        (c) => chat.newReply(c, { threadId: thread, sender: bob, content: 'hi' })));
      assert.equal(again.constraint, 'identity_conflict');
    } finally {
      await pool.query('RESET chat.user_id');
    }
    await clean();
    assert.deepEqual((await chat.messages(pool, { threadId: thread, viewer: alice })).map((m) => m.content),
      ['a note', 'explicit'], 'nothing was written as Alice');
  });
});
