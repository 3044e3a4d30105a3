'use strict';
// chat's refusals as HTTP statuses: SQLSTATE (err.code) and reason (err.constraint), with the
// argument's name (err.column) for argument errors.
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { statusOf, bodyOf } = require('../src/errors');
const { newPool, startApp, newUsers } = require('./helpers');

describe('error mapping', () => {
  let pool;
  let app;
  let alice;
  let bob;
  let carol;
  let thread;
  before(async () => {
    pool = newPool();
    app = await startApp(pool);
    [alice, bob, carol] = await newUsers(pool, 'Alice', 'Bob', 'Carol');
    thread = (await app.request('POST', '/threads', {
      as: alice, body: { recipients: [bob], subject: 'Errors', content: 'hello' },
    })).body.thread_id;
  });
  after(async () => {
    await app.close();
    await pool.end();
  });

  it('maps SQLSTATE and reason to a status', () => {
    const cases = [
      [{ code: '42501', constraint: 'not_member' }, 403],
      [{ code: '42501', constraint: 'missing_permission' }, 403],
      [{ code: '42501', constraint: 'acting_as_other_user' }, 403],
      [{ code: '42501', constraint: 'no_user' }, 401],
      [{ code: '42501', constraint: 'identity_conflict' }, 500],
      [{ code: '42501' }, 403], // plain PostgreSQL: permission denied for table ...
      [{ code: '42704' }, 404],
      [{ code: '22023', column: 'content' }, 400],
      [{ code: '22004' }, 400],
      [{ code: '22001' }, 400],
      [{ code: '54000' }, 422],
      [{ code: '55000' }, 409],
      [{ code: '23503' }, 409],
      [{ code: '40001' }, 503],
      [{ code: 'XX000' }, 500],
      [new Error('no SQLSTATE'), 500],
    ];
    for (const [err, status] of cases) assert.equal(statusOf(err), status, JSON.stringify(err));
  });

  it('not a member: 403 not_member (contract item 8)', async () => {
    const r = await app.request('POST', `/threads/${thread}/messages`, { as: carol, body: { content: 'hi?' } });
    assert.equal(r.status, 403);
    assert.equal(r.body.error.code, '42501');
    assert.equal(r.body.error.reason, 'not_member');
  });

  it('a channel member posting: 403 missing_permission (contract item 8)', async () => {
    const channel = (await app.request('POST', '/groups', { as: alice, body: { title: 'News', members: [bob], channel: true } })).body.thread_id;
    const r = await app.request('POST', `/threads/${channel}/messages`, { as: bob, body: { content: 'me too' } });
    assert.equal(r.status, 403);
    assert.equal(r.body.error.code, '42501');
    assert.equal(r.body.error.reason, 'missing_permission');
  });

  it('unknown thread: 404 (42704)', async () => {
    const r = await app.request('GET', '/threads/999999999999/messages', { as: alice });
    assert.equal(r.status, 404);
    assert.equal(r.body.error.code, '42704');
    assert.match(r.body.error.message, /999999999999/);
  });

  it('blank content: 400 (22023) naming the argument (contract item 8: column)', async () => {
    const r = await app.request('POST', `/threads/${thread}/messages`, { as: bob, body: { content: '  ' } });
    assert.equal(r.status, 400);
    assert.equal(r.body.error.code, '22023');
    assert.equal(r.body.error.column, 'content');
  });

  it('empty recipients: 400 (22023) with column and hint (contract item 8: column)', async () => {
    const r = await app.request('POST', '/threads', { as: alice, body: { recipients: [], subject: 's', content: 'c' } });
    assert.equal(r.status, 400);
    assert.equal(r.body.error.code, '22023');
    assert.ok(r.body.error.hint, 'chat explains what to do');
    assert.equal(r.body.error.column, 'recipients');
  });

  it('an unknown user: 409 (23503, the bound users table)', async () => {
    const r = await app.request('POST', '/threads', { as: alice, body: { recipients: ['999999999'], subject: 's', content: 'c' } });
    assert.equal(r.status, 409);
    assert.equal(r.body.error.code, '23503');
  });

  it('no caller, no route, no body: 401, 404 and 400', async () => {
    const anonymous = await app.request('GET', '/inbox');
    assert.deepEqual([anonymous.status, anonymous.body.error.reason], [401, 'no_user']);
    assert.equal((await app.request('GET', '/nowhere', { as: alice })).status, 404);
    assert.equal((await app.request('POST', `/threads/${thread}/messages`, { as: alice, body: undefined })).status, 400,
      'no body: content is NULL (22004)');
  });

  it('a 4xx passes chat\'s message, hint and column; a 5xx hides the database\'s text', () => {
    const refusal = { code: '22001', message: 'subject is too long', hint: 'shorter', column: 'subject', where: 'PL/pgSQL ...' };
    assert.deepEqual(bodyOf(refusal), { error: {
      status: 400, code: '22001', reason: null, message: 'subject is too long', column: 'subject', hint: 'shorter',
    } });
    assert.deepEqual(bodyOf({ code: 'XX000', message: 'internal detail' }),
      { error: { status: 500, code: 'XX000', message: 'internal error' } });
  });
});
