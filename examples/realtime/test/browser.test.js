'use strict';
// The relay and the page in a real browser (headless Chromium through puppeteer-core): users 1
// and 2 chat in a thread, user 3 watches. One scenario, step by step; after a failed step the
// later ones are skipped (each needs the ones before). PG* name the relay's role (run-tests.sh).
// Screenshots go to CHAT_REALTIME_SHOTS (run-tests.sh prints where).
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { Client } = require('pg');
const puppeteer = require('puppeteer-core');
const { startRelay } = require('./relay');

const SHOTS = process.env.CHAT_REALTIME_SHOTS || fs.mkdtempSync('/tmp/chat-realtime-shots.');
const WAIT = { timeout: 5000 };
const LONG_WAIT = { timeout: 10000 };

let relay; // { child, url, port, stop() }
let browser;
const pages = {}; // user id -> puppeteer Page
let sql; // the relay's role, for SQL "from elsewhere"
let threadId; // users 1 and 2's thread
let firstId; // its first message
let shot = 0;

async function screenshot(user, name) {
  shot += 1;
  const file = path.join(SHOTS, `${String(shot).padStart(2, '0')}-user${user}-${name}.png`);
  await pages[user].screenshot({ path: file });
  return file;
}

// Clicks what matches selector once it is there and still: the page re-renders its lists at each
// event, and a locator (unlike page.click) tries again when its element was replaced meanwhile.
const click = (page, selector) => page.locator(selector).setTimeout(WAIT.timeout).click();

// Texts of the open thread's messages.
const contents = (page) => page.$$eval('#messages .content', (els) => els.map((e) => e.textContent));

const waitForContents = (page, texts, options = WAIT) => page.waitForFunction(
  (want) => {
    const have = [...document.querySelectorAll('#messages .content')].map((e) => e.textContent);
    return want.every((t) => have.includes(t));
  }, options, texts);

const waitForStatus = (page, s, options = WAIT) => page.waitForFunction(
  (want) => document.querySelector('#status')?.dataset.state === want, options, s);

// Each user's page in a browser context of its own (a window of its own, so every page is visible
// and runs its animation frames, as on two screens; no shared cookies or storage).
const waitForPreview = (page, thread, text) => page.waitForFunction(
  (t, want) => document.querySelector(`#inbox li[data-thread-id="${t}"] .preview`)?.textContent === want,
  WAIT, thread, text);

async function openPage(user) {
  const page = await (await browser.createBrowserContext()).newPage();
  await page.setViewport({ width: 1000, height: 620 });
  page.on('pageerror', (err) => console.error(`page of user ${user}: ${err.message}`));
  page.on('console', (m) => {
    if (m.type() === 'warn') console.error(`page of user ${user}: ${m.text()}`);
  });
  await page.goto(`${relay.url}/?user=${user}`);
  await waitForStatus(page, 'live');
  // The first open's catch-up is done when it counted.
  await page.waitForFunction(() => window.chatDebug.catchUps >= 1, WAIT);
  pages[user] = page;
}

async function reply(sender, content) {
  const { rows: [r] } = await sql.query(
    'SELECT chat.new_reply(thread_id => $1, sender => $2, content => $3) AS id', [threadId, sender, content]);
  return r.id;
}

// A scenario step: skipped once an earlier step failed; a failing step leaves screenshots.
let failed = null;
function step(name, fn) {
  test(name, { timeout: 30000 }, async (t) => {
    if (failed) {
      t.skip(`needs "${failed}", which failed`);
      return;
    }
    try {
      await fn(t);
    } catch (err) {
      failed = name;
      for (const user of Object.keys(pages)) await screenshot(user, 'FAILED').catch(() => {});
      throw err;
    }
  });
}

before(async () => {
  sql = new Client();
  await sql.connect();
  relay = await startRelay();
  browser = await puppeteer.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    protocolTimeout: 15000, // a stuck page fails its step in seconds, not minutes
    // As root Chromium's sandbox cannot start; the pages are our own.
    args: process.getuid?.() === 0 ? ['--no-sandbox'] : [],
  });
  for (const user of ['1', '2', '3']) await openPage(user);
});

after(async () => {
  await browser?.close();
  await relay?.stop();
  await sql?.end();
});

step('page 1 starts a thread with user 2; page 2 shows it with its unread badge', async () => {
  const p1 = pages[1];
  const p2 = pages[2];
  await p1.type('#to', '2');
  await p1.type('#subject', 'Lunch');
  await p1.type('#first', 'Pizza at noon?');
  await click(p1, '#new-thread button');
  await waitForContents(p1, ['Pizza at noon?']);
  threadId = await p1.$eval('#thread', (e) => e.dataset.threadId);
  await p1.waitForSelector(`#inbox li.open[data-thread-id="${threadId}"]`, WAIT);
  firstId = await p1.$eval('#messages li', (li) => li.dataset.messageId);
  await p2.waitForFunction((t) => {
    const badge = document.querySelector(`#inbox li[data-thread-id="${t}"] .badge`);
    return badge && !badge.hidden && badge.textContent === '1';
  }, WAIT, threadId);
  assert.equal(await p2.$eval('#badge', (b) => (b.hidden ? 'hidden' : b.textContent)), '1');
  assert.equal(await p2.$eval(`#inbox li[data-thread-id="${threadId}"] .preview`, (e) => e.textContent), 'Pizza at noon?');
  await screenshot(2, 'unread-badge');
});

step('page 2 opens the thread: the message shows, the badges clear', async () => {
  const p2 = pages[2];
  await click(p2, `#inbox li[data-thread-id="${threadId}"]`);
  await waitForContents(p2, ['Pizza at noon?']);
  await p2.waitForFunction(() => document.querySelector('#badge').hidden, WAIT);
  assert.equal(await p2.$eval(`#inbox li[data-thread-id="${threadId}"] .badge`, (b) => b.hidden), true);
});

step('typing on page 2 shows on page 1', async () => {
  await pages[2].type('#text', 'Sure');
  await pages[1].waitForFunction(() => {
    const t = document.querySelector('#typing');
    return !t.hidden && t.textContent === 'User 2 is typing…';
  }, WAIT);
  await screenshot(1, 'typing');
});

step('page 2 sends: page 1 shows the message, the typing indicator goes', async () => {
  await click(pages[2], '#send');
  await waitForContents(pages[1], ['Pizza at noon?', 'Sure']);
  await pages[1].waitForFunction(() => document.querySelector('#typing').hidden, WAIT);
  // page 1 has the thread open: what arrives there is read, no badge
  assert.equal(await pages[1].$eval('#badge', (b) => b.hidden), true);
});

step('a reaction on page 2 shows on page 1', async () => {
  await click(pages[2], `#messages li[data-message-id="${firstId}"] .react`);
  await pages[1].waitForFunction((m) => {
    const r = document.querySelector(`#messages li[data-message-id="${m}"] .reaction[data-reaction="❤️"]`);
    return r && r.dataset.count === '1';
  }, WAIT, firstId);
});

step('an edit on page 1 shows on page 2', async () => {
  const p1 = pages[1];
  await click(p1, `#messages li[data-message-id="${firstId}"] .edit`);
  await p1.$eval('#text', (e) => { e.value = ''; });
  await p1.type('#text', 'Pizza at one?');
  await click(p1, '#send');
  await pages[2].waitForFunction((m) => {
    const li = document.querySelector(`#messages li[data-message-id="${m}"]`);
    return li && li.querySelector('.content').textContent === 'Pizza at one?' && li.querySelector('.edited');
  }, WAIT, firstId);
  await screenshot(1, 'after-edit');
  await screenshot(2, 'after-edit');
});

step('the relay is killed and restarted: page 2 catches up with what was sent meanwhile', async () => {
  const p2 = pages[2];
  const catchUps = await p2.evaluate(() => window.chatDebug.catchUps);
  await relay.kill();
  await waitForStatus(p2, 'reconnecting');
  const meanwhile = ['While you', 'were away', 'three messages'];
  const ids = [];
  for (const text of meanwhile) ids.push(await reply('1', text));
  await screenshot(2, 'relay-down');
  relay = await startRelay(relay.port);
  await waitForContents(p2, meanwhile, LONG_WAIT);
  await waitForStatus(p2, 'live');
  // Through the catch-up, not the relay: the new relay starts from its own new cursor.
  const sources = await p2.evaluate((want) => window.chatDebug.applied
    .filter((e) => e.event === 'message_sent' && want.includes(String(e.message_id))).map((e) => e.source), ids);
  assert.deepEqual(sources, ['catch-up', 'catch-up', 'catch-up']);
  assert.equal(await p2.evaluate(() => window.chatDebug.catchUps), catchUps + 1);
  await waitForContents(pages[1], meanwhile, LONG_WAIT);
  await waitForPreview(p2, threadId, 'three messages');
  await screenshot(2, 'caught-up');
});

step('after the restart live events flow again; each event is applied once', async () => {
  await pages[1].type('#text', 'Back online');
  await click(pages[1], '#send');
  await waitForContents(pages[2], ['Back online']);
  const { seqs, live } = await pages[2].evaluate(() => ({
    seqs: window.chatDebug.applied.map((e) => e.seq),
    live: window.chatDebug.applied.filter((e) => e.source === 'live').length,
  }));
  assert.equal(new Set(seqs).size, seqs.length);
  assert.ok(live > 0);
  assert.deepEqual(await contents(pages[2]),
    ['Pizza at one?', 'Sure', 'While you', 'were away', 'three messages', 'Back online']);
});

step('with the setting notify off, the relay still delivers (it reads the feed on a timer too)', async () => {
  await sql.query("SELECT chat.set_setting('notify', 'false')");
  try {
    await sql.query('LISTEN chat');
    let rang = 0;
    const onNotification = () => { rang += 1; };
    sql.on('notification', onNotification);
    await reply('1', 'No doorbell');
    await waitForContents(pages[2], ['No doorbell']);
    sql.off('notification', onNotification);
    await sql.query('UNLISTEN chat');
    assert.equal(rang, 0, 'notify is off: no doorbell rang');
  } finally {
    await sql.query("SELECT chat.set_setting('notify', NULL)");
  }
});

step('more events at once than changes_limit: the relay tells the pages to reload', async () => {
  const reloads = await pages[2].evaluate(() => window.chatDebug.reloads);
  await sql.query("SELECT chat.set_setting('changes_limit', '3')");
  const burst = ['one', 'two', 'three', 'four', 'five'].map((w) => `Burst ${w}`);
  try {
    await sql.query('BEGIN'); // one transaction: five events in one read of the feed
    try {
      for (const text of burst) await reply('2', text);
      await sql.query('COMMIT');
    } catch (err) {
      await sql.query('ROLLBACK');
      throw err;
    }
    await waitForContents(pages[2], burst);
    await waitForContents(pages[1], burst);
  } finally {
    await sql.query("SELECT chat.set_setting('changes_limit', NULL)");
  }
  assert.equal(await pages[2].evaluate(() => window.chatDebug.reloads), reloads + 1);
});

step("user 3's page gets its own events and none of users 1 and 2's thread", async () => {
  const p3 = pages[3];
  await sql.query("SELECT chat.new_message(sender => 1, recipients => '{3}', subject => 'Hi Carol', content => 'For you only')");
  await p3.waitForFunction(() => [...document.querySelectorAll('#inbox .preview')].some((e) => e.textContent === 'For you only'), WAIT);
  const { received, threads } = await p3.evaluate(() => ({
    received: window.chatDebug.received.map((e) => String(e.thread_id)),
    threads: [...document.querySelectorAll('#inbox li')].map((li) => li.dataset.threadId),
  }));
  assert.ok(received.length > 0, 'page 3 received its own events');
  assert.equal(received.filter((t) => t === threadId).length, 0, "none of the other thread's events");
  assert.ok(!threads.includes(threadId));
  await screenshot(3, 'own-thread-only');
});
