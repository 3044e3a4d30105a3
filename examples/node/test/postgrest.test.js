'use strict';
// The end-user path, as PostgREST runs a request: BEGIN; SET LOCAL ROLE authenticated;
// set_config('request.jwt.claims', ..., true); ...; COMMIT. chat then acts only as the JWT's sub,
// and row-level security filters direct reads to the user's own threads.
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const chat = require('../src/chat');
const { asEndUser } = require('../src/db');
const { newPool, startApp, newUsers, refusal } = require('./helpers');

describe('end users (PostgREST style)', () => {
  let pool;
  let alice;
  let bob;
  let carol;
  let aliceAndBob;
  let aliceAndCarol;
  const as = (user, fn) => asEndUser(pool, { sub: user, role: 'authenticated' }, fn);

  before(async () => {
    pool = newPool();
    [alice, bob, carol] = await newUsers(pool, 'Alice', 'Bob', 'Carol');
    const m1 = await chat.newMessage(pool, { sender: alice, recipients: [bob], subject: 'A+B', content: 'for Bob' });
    const m2 = await chat.newMessage(pool, { sender: alice, recipients: [carol], subject: 'A+C', content: 'for Carol' });
    aliceAndBob = await chat.threadOf(pool, m1);
    aliceAndCarol = await chat.threadOf(pool, m2);
  });
  after(() => pool.end());

  it('reaches only the user\'s own threads, through the functions and direct reads', async () => {
    const seen = await as(bob, async (c) => {
      const { rows: [who] } = await c.query('SELECT current_user AS role, chat.current_user_id() AS me, chat.is_server_role() AS server');
      const inbox = (await chat.inbox(c, {})).map((t) => t.subject);
      const threads = (await c.query('SELECT id FROM chat.thread WHERE id = ANY($1)', [[aliceAndBob, aliceAndCarol]])).rows;
      const messages = (await c.query('SELECT content FROM chat.message WHERE thread_id = ANY($1)', [[aliceAndBob, aliceAndCarol]])).rows;
      return { who, inbox, threads: threads.map((t) => t.id), messages: messages.map((m) => m.content) };
    });
    assert.deepEqual(seen, {
      who: { role: 'authenticated', me: bob, server: false },
      inbox: ['A+B'],
      threads: [aliceAndBob],
      messages: ['for Bob'],
    });
  });

  it('sends and reads as itself (display names through a SECURITY DEFINER function)', async () => {
    const id = await as(bob, (c) => chat.newReply(c, { threadId: aliceAndBob, content: 'hi Alice' }));
    assert.match(id, /^\d+$/);
    const [last] = (await chat.messages(pool, { threadId: aliceAndBob, viewer: alice })).slice(-1);
    assert.deepEqual([last.sender_id, last.content], [bob, 'hi Alice']);
    const { rows } = await as(bob, (c) => c.query(
      'SELECT sender_name FROM chat.message_view WHERE thread_id = $1 ORDER BY id', [aliceAndBob]));
    assert.deepEqual(rows.map((r) => r.sender_name), ['Alice', 'Bob']);
  });

  it('refuses direct writes to chat\'s tables', async () => {
    const err = await refusal(() => as(bob, (c) => c.query(
      'INSERT INTO chat.message (thread_id, sender_id, content) VALUES ($1, $2, $3)', [aliceAndBob, bob, 'sneaky'])));
    assert.equal(err.code, '42501');
    const del = await refusal(() => as(bob, (c) => c.query('DELETE FROM chat.message WHERE thread_id = $1', [aliceAndBob])));
    assert.equal(del.code, '42501', 'the end-user role has no DELETE grant');
    assert.equal((await chat.messages(pool, { threadId: aliceAndBob, viewer: alice })).length, 2);
  });

  it('refuses acting as another user (contract item 8: acting_as_other_user)', async () => {
    const err = await refusal(() => as(bob, (c) => chat.newReply(c, { threadId: aliceAndBob, sender: alice, content: 'as Alice' })));
    assert.equal(err.code, '42501');
    assert.equal(err.constraint, 'acting_as_other_user');
  });

  it('refuses a thread the user is not in (contract item 8: not_member)', async () => {
    const err = await refusal(() => as(bob, (c) => chat.messages(c, { threadId: aliceAndCarol })));
    assert.equal(err.code, '42501');
    assert.equal(err.constraint, 'not_member');
  });

  it('refuses a request without a sub (contract item 8: no_user)', async () => {
    const err = await refusal(() => asEndUser(pool, { role: 'authenticated' }, (c) => chat.inbox(c, {})));
    assert.equal(err.code, '42501');
    assert.equal(err.constraint, 'no_user');
  });

  it('serves the HTTP API in end-user mode', async () => {
    const app = await startApp(pool, 'end-user');
    try {
      const sent = await app.request('POST', '/threads', { as: carol, body: { recipients: [alice], subject: 'C+A', content: 'from Carol' } });
      assert.equal(sent.status, 201);
      const inbox = await app.request('GET', '/inbox', { as: alice });
      assert.equal(inbox.status, 200);
      assert.deepEqual(inbox.body.threads.map((t) => t.subject), ['C+A', 'A+B', 'A+C']);
      assert.equal((await app.request('POST', `/threads/${sent.body.thread_id}/read`, { as: alice })).body.read, 1);

      const refused = await app.request('GET', `/threads/${aliceAndCarol}/messages`, { as: bob });
      assert.equal(refused.status, 403);
      assert.equal(refused.body.error.reason, 'not_member', 'contract item 8');
    } finally {
      await app.close();
    }
  });
});
