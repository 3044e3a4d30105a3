'use strict';
// Messaging over the HTTP API as the app's server role: send, reply, inbox, badge, mark read,
// groups and channels, reactions, and several chat calls in one transaction.
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const chat = require('../src/chat');
const { withUser } = require('../src/db');
const { newPool, startApp, newUsers, refusal } = require('./helpers');

describe('messaging over HTTP', () => {
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

  it('connects as a server role that is not a superuser', async () => {
    const { rows: [r] } = await pool.query(
      'SELECT current_user AS role, rolsuper, chat.is_server_role() AS server FROM pg_roles WHERE rolname = current_user');
    assert.equal(r.role, 'node_app');
    assert.equal(r.rolsuper, false);
    assert.equal(r.server, true);
  });

  it('sends, replies, lists the inbox with its badge and marks read', async () => {
    const [alice, bob, carol] = await newUsers(pool, 'Alice', 'Bob', 'Carol');
    const sent = await app.request('POST', '/threads', {
      as: alice, body: { recipients: [bob, carol], subject: 'Lunch', content: 'Pizza at noon?' },
    });
    assert.equal(sent.status, 201);
    const { thread_id: thread, message_id: first } = sent.body;
    assert.match(thread, /^\d+$/, 'bigint ids are strings');

    let inbox = await app.request('GET', '/inbox', { as: bob });
    assert.equal(inbox.status, 200);
    assert.deepEqual(inbox.body.badge, { threads: 1, messages: 1 });
    assert.equal(inbox.body.threads.length, 1);
    const row = inbox.body.threads[0];
    assert.equal(row.thread_id, thread);
    assert.equal(row.subject, 'Lunch');
    assert.equal(row.last_preview, 'Pizza at noon?');
    assert.equal(row.last_sender_id, alice);
    assert.equal(row.unread_count, 1);
    assert.equal(row.member_count, 3, 'an integer column is a number');

    const reply = await app.request('POST', `/threads/${thread}/messages`, {
      as: carol, body: { content: 'Yes!', parent_id: first },
    });
    assert.equal(reply.status, 201);
    inbox = await app.request('GET', '/inbox', { as: bob });
    assert.deepEqual(inbox.body.badge, { threads: 1, messages: 2 });
    assert.equal(inbox.body.threads[0].last_sender_id, carol);

    const page = await app.request('GET', `/threads/${thread}/messages`, { as: bob });
    assert.equal(page.status, 200);
    assert.deepEqual(page.body.messages.map((m) => [m.sender_id, m.content, m.parent_id]),
      [[alice, 'Pizza at noon?', null], [carol, 'Yes!', first]]);
    assert.ok(!Number.isNaN(Date.parse(page.body.messages[0].sent_at)), 'timestamptz as an ISO date');

    const read = await app.request('POST', `/threads/${thread}/read`, { as: bob });
    assert.equal(read.status, 200);
    assert.equal(read.body.read, 2);
    assert.deepEqual(read.body.badge, { threads: 0, messages: 0 });
    // Carol replied: nothing of her own is unread; Alice's message was read by replying.
    assert.deepEqual((await app.request('GET', '/inbox', { as: carol })).body.badge, { threads: 0, messages: 0 });
    assert.deepEqual((await app.request('GET', '/inbox', { as: alice })).body.badge, { threads: 1, messages: 1 });
  });

  it('creates groups and channels and adds members', async () => {
    const [owner, ann, ben, cid] = await newUsers(pool, 'Owner', 'Ann', 'Ben', 'Cid');
    const group = await app.request('POST', '/groups', { as: owner, body: { title: 'Book club', members: [ann] } });
    assert.equal(group.status, 201);
    const club = group.body.thread_id;

    // In a group, members may add members.
    const added = await app.request('POST', `/threads/${club}/members`, { as: ann, body: { users: [ben] } });
    assert.deepEqual([added.status, added.body], [200, { added: 1 }]);
    const members = await app.request('GET', `/threads/${club}/members`, { as: ben });
    assert.deepEqual(members.body.members.map((m) => [m.user_id, m.role]).sort(),
      [[ann, 'member'], [ben, 'member'], [owner, 'owner']].sort());

    assert.equal((await app.request('POST', `/threads/${club}/messages`, { as: ben, body: { content: 'Hi all' } })).status, 201);
    const inbox = (await app.request('GET', '/inbox', { as: ann })).body;
    assert.equal(inbox.threads[0].thread_id, club);
    assert.equal(inbox.threads[0].kind, 'group');
    assert.equal(inbox.threads[0].subject, 'Book club');
    assert.equal(inbox.threads[0].last_preview, 'Hi all');
    // "Ann added Ben" is Ann's own system message: never unread for her. "Hi all" is.
    assert.equal(inbox.threads[0].unread_count, 1);
    assert.deepEqual(inbox.badge, { threads: 1, messages: 1 });

    // A channel: only its owner and admins post.
    const channel = (await app.request('POST', '/groups', {
      as: owner, body: { title: 'News', members: [cid], channel: true },
    })).body.thread_id;
    assert.equal((await app.request('POST', `/threads/${channel}/messages`, { as: owner, body: { content: 'v2 is out' } })).status, 201);
    const news = (await app.request('GET', `/threads/${channel}/messages`, { as: cid })).body.messages;
    assert.deepEqual(news.map((m) => [m.kind, m.content]).at(-1), ['text', 'v2 is out']);
    assert.equal((await app.request('POST', `/threads/${channel}/messages`, { as: cid, body: { content: 'me too' } })).status,
      403, 'a member may not post in a channel (errors.test.js checks the reason)');
  });

  it('toggles reactions; users come back as arrays (contract item 7)', async () => {
    const [alice, bob] = await newUsers(pool, 'Alice', 'Bob');
    const { thread_id: thread, message_id: msg } = (await app.request('POST', '/threads', {
      as: alice, body: { recipients: [bob], subject: 'Photo', content: 'Look!' },
    })).body;

    for (const [who, reaction] of [[alice, '🎉'], [bob, '🎉'], [bob, '👍']]) {
      const r = await app.request('POST', `/messages/${msg}/reactions`, { as: who, body: { reaction } });
      assert.deepEqual([r.status, r.body], [200, { present: true }]);
    }
    // Toggling again removes it.
    assert.deepEqual((await app.request('POST', `/messages/${msg}/reactions`, { as: bob, body: { reaction: '👍' } })).body,
      { present: false });

    const list = await app.request('GET', `/messages/${msg}/reactions`, { as: bob });
    assert.equal(list.status, 200);
    assert.equal(list.body.reactions.length, 1, 'only 🎉 is left');
    const [party] = list.body.reactions;
    assert.equal(party.reaction, '🎉');
    assert.ok(Array.isArray(party.users), `users is an array, got ${JSON.stringify(party.users)}`);
    assert.deepEqual([...party.users].sort(), [alice, bob].sort());
    assert.equal(party.count, 2);
    assert.equal(party.reacted_by_viewer, true);

    // The same through messages(): jsonb, where the app turns ids into strings.
    const [message] = (await app.request('GET', `/threads/${thread}/messages`, { as: alice })).body.messages;
    assert.deepEqual(message.reactions.map((r) => [r.reaction, r.count, [...r.users].sort()]),
      [['🎉', 2, [alice, bob].sort()]]);
  });

  it('shows what node-postgres returns for each of chat\'s types', async () => {
    const [alice, bob] = await newUsers(pool, 'Alice', 'Bob');
    const msg = await chat.newMessage(pool, { sender: alice, recipients: [bob], subject: 'Types', content: 'x' });
    await chat.toggleReaction(pool, { messageId: msg, user: bob, reaction: 'ok' });
    assert.equal(typeof msg, 'string', 'a bigint return value is a string');

    const [r] = await chat.reactions(pool, { messageId: msg, viewer: alice });
    assert.equal(r.count, '1', 'bigint count: a string');
    assert.deepEqual(r.users, [bob], 'user ids array (contract item 7): an array of strings');

    const [m] = await chat.messages(pool, { threadId: await chat.threadOf(pool, msg), viewer: alice });
    assert.equal(m.sender_id, alice, 'chat.user_id column: a string');
    assert.ok(m.sent_at instanceof Date, 'timestamptz: a Date');
    assert.deepEqual(m.reactions, [{ reaction: 'ok', count: 1, users: [Number(bob)] }],
      'jsonb is parsed; ids inside are JSON numbers');
  });

  it('runs several calls in one transaction: all or nothing', async () => {
    const [alice, bob] = await newUsers(pool, 'Alice', 'Bob');
    // Commit: three calls acting as Alice through the transaction's chat.user_id.
    const thread = await withUser(pool, alice, async (c) => {
      const msg = await chat.newMessage(c, { recipients: [bob], subject: 'Plan', content: 'Step 1' });
      const t = await chat.threadOf(c, msg);
      await chat.newReply(c, { threadId: t, content: 'Step 2' });
      await chat.toggleReaction(c, { messageId: msg, reaction: 'done' });
      return t;
    });
    const msgs = await chat.messages(pool, { threadId: thread, viewer: bob });
    assert.deepEqual(msgs.map((m) => [m.sender_id, m.content]), [[alice, 'Step 1'], [alice, 'Step 2']]);

    // Rollback: the second call is refused, so the first is undone and nothing reaches Bob.
    const err = await refusal(() => withUser(pool, alice, async (c) => {
      await chat.newReply(c, { threadId: thread, content: 'Step 3' });
      await chat.newReply(c, { threadId: thread, content: '   ' }); // blank: 22023
    }));
    assert.equal(err.code, '22023');
    const after = await chat.messages(pool, { threadId: thread, viewer: bob });
    assert.equal(after.length, 2);
    assert.deepEqual(await chat.badge(pool, bob), { threads: 1, messages: 2 });
    const { rows } = await pool.query('SELECT * FROM chat.verify_unread($1)', [thread]);
    assert.deepEqual(rows, [], 'counters exact');
  });
});
