'use strict';
// The users table chat is bound to (sql/schema.sql, on_delete 'anonymize'), and ids in realtime
// events and jsonb.
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const chat = require('../src/chat');
const { listen, parseEvent, reactionSummary, jsonId } = require('../src/events');
const { newPool, startApp, newUsers } = require('./helpers');

describe('users and events', () => {
  let pool;
  let app;
  before(async () => {
    pool = newPool();
    app = await startApp(pool);
  });
  after(async () => {
    await app.close();
    await pool.end();
  });

  it('signs up through the API', async () => {
    const r = await app.request('POST', '/users', { body: { name: 'Zoe' } });
    assert.equal(r.status, 201);
    assert.equal(r.body.name, 'Zoe');
    assert.match(r.body.id, /^\d+$/);
  });

  it('a user deletes their account as the app\'s non-superuser role (contract item 1)', async () => {
    const [alice, bob, carol] = await newUsers(pool, 'Alice', 'Bob', 'Carol');
    const { thread_id: thread } = (await app.request('POST', '/threads', {
      as: alice, body: { recipients: [bob, carol], subject: 'Bye', content: 'from Alice' },
    })).body;
    await app.request('POST', `/threads/${thread}/messages`, { as: bob, body: { content: 'from Bob' } });

    assert.equal((await app.request('DELETE', `/users/${bob}`, { as: alice })).status, 403, 'only one\'s own account');
    const r = await app.request('DELETE', `/users/${bob}`, { as: bob });
    assert.equal(r.status, 204, JSON.stringify(r.body));

    // Bob's membership is gone, his message stays without a sender; counters stay exact.
    const messages = (await app.request('GET', `/threads/${thread}/messages`, { as: carol })).body.messages;
    assert.deepEqual(messages.map((m) => [m.sender_id, m.content]), [[alice, 'from Alice'], [null, 'from Bob']]);
    const inbox = (await app.request('GET', '/inbox', { as: carol })).body;
    assert.deepEqual([inbox.threads[0].member_count, inbox.threads[0].unread_count, inbox.badge],
      [2, 2, { threads: 1, messages: 2 }]);
    assert.deepEqual((await pool.query('SELECT * FROM chat.verify_unread($1)', [thread])).rows, []);
    // A user who never chatted goes too.
    const [dan] = await newUsers(pool, 'Dan');
    assert.equal((await app.request('DELETE', `/users/${dan}`, { as: dan })).status, 204);
  });

  it('delivers events after commit; ids inside are JSON numbers, turned into strings', async () => {
    const [alice, bob] = await newUsers(pool, 'Alice', 'Bob');
    const events = [];
    const listener = await listen({}, (e) => events.push(e));
    try {
      const msg = await chat.newMessage(pool, { sender: alice, recipients: [bob], subject: 'Live', content: 'ping' });
      const thread = await chat.threadOf(pool, msg);
      const reply = await chat.newReply(pool, { threadId: thread, sender: bob, content: 'pong' });
      const mine = () => events.filter((e) => e.thread_id === thread && e.event === 'message_sent');
      for (let i = 0; i < 100 && mine().length < 2; i++) await new Promise((r) => setTimeout(r, 20));
      const [first, second] = mine();
      assert.ok(second, `two message_sent events for thread ${thread}, got ${JSON.stringify(events)}`);
      assert.deepEqual([first.message_id, first.user_id, first.user_name, first.reply], [msg, alice, 'Alice', false]);
      assert.deepEqual([second.message_id, second.user_id, second.user_name, second.reply], [reply, bob, 'Bob', true]);
    } finally {
      await listener.end();
    }
    // The raw payload has numbers: {"thread_id": 12, ...}, and parseEvent makes them strings.
    assert.deepEqual(parseEvent('{"event": "typing", "thread_id": 12, "user_id": 3}'),
      { event: 'typing', thread_id: '12', user_id: '3' });
  });

  it('ids beyond 2^53-1 are exact in columns, inexact in JSON: the app refuses them there', async () => {
    const big = '9007199254740993'; // 2^53 + 1
    await pool.query('INSERT INTO app.app_user (id, name) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING', [big, 'Big']);
    const [alice] = await newUsers(pool, 'Alice');
    const payloads = [];
    const listener = await listen({}, () => {}, (err, payload) => payloads.push([err, payload]));
    let msg;
    try {
      msg = await chat.newMessage(pool, { sender: big, recipients: [alice], subject: 'Big id', content: 'hi' });
      for (let i = 0; i < 100 && !payloads.some(([, p]) => p.includes(`"message_id": ${msg}`)); i++) {
        await new Promise((r) => setTimeout(r, 20));
      }
    } finally {
      await listener.end();
    }
    const [err, payload] = payloads.find(([, p]) => p.includes(`"message_id": ${msg}`)) ?? [];
    assert.ok(payload, 'the event arrived');
    assert.match(payload, /"user_id": 9007199254740993/, 'the payload itself is exact');
    assert.equal(JSON.parse(payload).user_id, 9007199254740992, 'JSON.parse rounds it');
    assert.ok(err instanceof RangeError, 'parseEvent refuses it instead');

    const thread = await chat.threadOf(pool, msg);
    const [m] = await chat.messages(pool, { threadId: thread, viewer: alice });
    assert.equal(m.sender_id, big, 'a bigint column is an exact string');
    await chat.toggleReaction(pool, { messageId: msg, user: big, reaction: 'wow' });
    const [withReaction] = await chat.messages(pool, { threadId: thread, viewer: alice });
    assert.throws(() => reactionSummary(withReaction.reactions), RangeError);
    assert.equal(jsonId(Number.MAX_SAFE_INTEGER), '9007199254740991');
  });
});
