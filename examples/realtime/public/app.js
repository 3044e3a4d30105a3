'use strict';
// The page: one user's inbox and one open thread, live through the relay's event stream.
//
// Start: GET /api/state gives the inbox and the cursor it was read at (one snapshot). Then the
// EventSource /events: at each open (the first, and every reconnection after an error, e.g. the
// relay restarted) the page calls /api/changes?since=<last cursor> once and applies what it
// missed; batches arriving meanwhile wait, then apply. Every event is applied once (by seq: seq
// orders events but commits may land out of seq order, so the page remembers the seqs it saw).
// Events are hints: the page re-reads messages and inbox through the API (payloads carry ids,
// never a message's content). "reload" (too much missed) reloads the whole state.
//
// DEMO ONLY: the user is ?user=N in the address; a real app authenticates its users.

const me = new URLSearchParams(location.search).get('user') || '';
const $ = (sel) => document.querySelector(sel);

const state = {
  cursor: null, // the last cursor received (state, catch-up or batch)
  seen: new Set(), // seqs applied
  open: null, // the open thread's id (text)
  synced: false, // caught up since the stream's last open: batches may move the cursor
  buffer: [], // batches received while catching up
  generation: 0, // one per stream open; an older catch-up stops
  typing: new Map(), // user id -> timer
  editing: null, // the message being edited
  es: null,
};
// What the page did, for the tests and for curious readers (in the console: chatDebug).
const chatDebug = (window.chatDebug = { received: [], applied: [], catchUps: 0, reloads: 0 });

const userName = (id) => `User ${id}`;

async function api(method, path, body) {
  const sep = path.includes('?') ? '&' : '?';
  const res = await fetch(`${path}${sep}user=${encodeURIComponent(me)}`, {
    method,
    headers: body ? { 'content-type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = await res.json();
  if (!res.ok) throw Object.assign(new Error(json.error?.message || `HTTP ${res.status}`), { status: res.status });
  return json;
}

function setStatus(s) {
  $('#status').dataset.state = s;
  $('#status').textContent = s;
}

// ---- rendering ----

function el(tag, props = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'dataset') Object.assign(e.dataset, v);
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e[k] = v;
  }
  e.append(...children);
  return e;
}

function renderInbox({ threads, unread }) {
  const badge = $('#badge');
  badge.dataset.count = unread.messages;
  badge.textContent = unread.messages;
  badge.hidden = unread.messages === 0;
  badge.title = `${unread.threads} unread thread(s)`;
  $('#inbox').replaceChildren(...threads.map((t) => el('li', {
    dataset: { threadId: t.thread_id, unread: t.unread_count },
    className: String(t.thread_id) === state.open ? 'open' : '',
    onclick: () => openThread(String(t.thread_id)),
  }, el('div', { className: 'text' },
    el('div', { className: 'subject', textContent: t.subject || `Thread ${t.thread_id}` }),
    el('div', { className: 'preview', textContent: t.last_preview || '' })),
  el('span', { className: 'badge', textContent: t.unread_count, hidden: t.unread_count === 0 }))));
  const open = threads.find((t) => String(t.thread_id) === state.open);
  if (open) $('#thread-title').textContent = open.subject || `Thread ${open.thread_id}`;
}

function renderMessages(messages) {
  $('#messages').replaceChildren(...messages.map((m) => {
    const mine = String(m.sender_id) === me;
    const tools = el('span', { className: 'tools' },
      el('button', { className: 'react', textContent: '❤️', title: 'react', onclick: () => react(m.id, '❤️') }));
    if (mine && !m.deleted) tools.append(el('button', { className: 'edit', textContent: 'edit', onclick: () => startEdit(m) }));
    return el('li', { dataset: { messageId: m.id }, className: mine ? 'mine' : '' },
      tools,
      el('span', { className: 'sender', textContent: m.sender_id ? userName(m.sender_id) : 'system' }),
      el('span', { className: 'content', textContent: m.deleted ? '(deleted)' : m.content }),
      m.edited ? el('span', { className: 'edited', textContent: '(edited)' }) : '',
      el('div', { className: 'reactions' }, ...(m.reactions || []).map((r) => el('span', {
        className: r.users.map(String).includes(me) ? 'reaction mine' : 'reaction',
        dataset: { reaction: r.reaction, count: r.count },
        textContent: `${r.reaction} ${r.count}`,
        onclick: () => react(m.id, r.reaction),
      }))));
  }));
  const list = $('#messages');
  list.lastElementChild?.scrollIntoView({ block: 'nearest' });
}

function renderTyping() {
  const who = [...state.typing.keys()].map(userName);
  $('#typing').hidden = who.length === 0;
  $('#typing').textContent = who.length ? `${who.join(', ')} ${who.length > 1 ? 'are' : 'is'} typing…` : '';
}

function showTyping(user) {
  clearTimeout(state.typing.get(user));
  state.typing.set(user, setTimeout(() => { state.typing.delete(user); renderTyping(); }, 4000));
  renderTyping();
}

function clearTyping() {
  for (const t of state.typing.values()) clearTimeout(t);
  state.typing.clear();
  renderTyping();
}

// ---- reading through the API, coalesced ----

const dirty = { inbox: false, messages: false, read: false };
let refreshing = null;

// Re-reads what is dirty, one request of each kind at a time.
function refresh() {
  if (!refreshing) {
    refreshing = (async () => {
      while (dirty.inbox || dirty.messages || dirty.read) {
        const d = { ...dirty };
        dirty.inbox = dirty.messages = dirty.read = false;
        const thread = state.open;
        try {
          if (d.messages && thread) {
            const { messages } = await api('GET', `/api/threads/${thread}/messages`);
            if (thread === state.open) renderMessages(messages);
          }
          if (d.read && thread) renderInbox(await api('POST', `/api/threads/${thread}/read`));
          else if (d.inbox || d.read) renderInbox(await api('GET', '/api/inbox'));
        } catch (err) {
          console.warn('refresh failed', err);
        }
      }
    })().finally(() => { refreshing = null; });
  }
  return refreshing;
}

// ---- events ----

// Applies events once each, in seq order; source is 'live' or 'catch-up'.
function applyEvents(events, source) {
  for (const e of [...events].sort((a, b) => a.seq - b.seq)) {
    chatDebug.received.push({ ...e, source });
    if (state.seen.has(e.seq)) continue;
    state.seen.add(e.seq);
    chatDebug.applied.push({ ...e, source });
    const inOpen = state.open !== null && String(e.thread_id) === state.open;
    const other = String(e.user_id) !== me;
    switch (e.event) {
      case 'typing':
        if (inOpen && other) showTyping(String(e.user_id));
        break;
      case 'message_sent':
        if (inOpen) {
          dirty.messages = true;
          if (other) {
            dirty.read = true; // the thread is open: what arrives is read
            state.typing.delete(String(e.user_id));
            renderTyping();
          }
        }
        dirty.inbox = true;
        break;
      case 'message_edited':
      case 'message_deleted':
      case 'reaction_added':
      case 'reaction_removed':
        if (inOpen) dirty.messages = true;
        dirty.inbox = true;
        break;
      default: // thread_created, thread_read, member_added, ...: the inbox and its badges
        dirty.inbox = true;
    }
  }
  refresh();
}

// A batch from the stream: {cursor, events}. Its cursor is kept only once the page has caught up
// since the stream opened (before, events between the last cursor and the stream's open may be
// missing).
function onBatch(batch) {
  if (!state.synced) {
    state.buffer.push(batch);
    return;
  }
  applyEvents(batch.events, 'live');
  state.cursor = batch.cursor;
}

// Once per stream open: what was missed since the last cursor, then the batches that waited.
async function catchUp(generation) {
  for (;;) {
    try {
      // A cursor chat refuses (400: not one of its cursors) can only be answered by a reload.
      const changes = await api('GET', `/api/changes?since=${encodeURIComponent(state.cursor)}`)
        .catch((err) => { if (err.status === 400) return { reload: true }; throw err; });
      if (generation !== state.generation) return;
      chatDebug.catchUps += 1;
      if (changes.reload) {
        await reload();
      } else {
        applyEvents(changes.events, 'catch-up');
        state.cursor = changes.cursor;
      }
      state.synced = true;
      const waiting = state.buffer;
      state.buffer = [];
      waiting.forEach(onBatch);
      return;
    } catch (err) {
      if (generation !== state.generation) return;
      console.warn('catch-up failed, again in 1 s', err);
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

function connect() {
  const es = new EventSource(`/events?user=${encodeURIComponent(me)}`);
  state.es = es;
  es.onopen = () => {
    setStatus('live');
    state.synced = false;
    state.generation += 1;
    catchUp(state.generation);
  };
  es.addEventListener('batch', (m) => onBatch(JSON.parse(m.data)));
  es.addEventListener('reload', () => reload().catch((err) => console.warn('reload failed', err)));
  es.onerror = () => {
    setStatus('reconnecting');
    state.synced = false;
    state.generation += 1;
    state.buffer = [];
    if (es.readyState === EventSource.CLOSED) { // the browser gave up (an HTTP error): we don't
      setTimeout(() => { if (state.es === es) connect(); }, 1000);
    }
  };
}

// The whole state again, from a new cursor (the cursor was too old, or the relay says reload).
async function reload() {
  chatDebug.reloads += 1;
  const s = await api('GET', '/api/state');
  state.cursor = s.cursor;
  renderInbox(s);
  if (state.open) {
    dirty.messages = true;
    refresh();
  }
}

// ---- actions ----

async function openThread(id) {
  state.open = id;
  $('#thread').dataset.threadId = id;
  stopEdit();
  clearTyping();
  $('#thread').hidden = false;
  $('#messages').replaceChildren();
  for (const li of document.querySelectorAll('#inbox li')) li.classList.toggle('open', li.dataset.threadId === id);
  dirty.messages = dirty.read = true;
  await refresh();
}

async function react(messageId, reaction) {
  await api('POST', `/api/messages/${messageId}/reactions`, { reaction });
  dirty.messages = true;
  refresh();
}

function startEdit(m) {
  state.editing = String(m.id);
  $('#compose').dataset.editing = m.id;
  $('#text').value = m.content;
  $('#send').textContent = 'Save';
  $('#cancel-edit').hidden = false;
  $('#text').focus();
}

function stopEdit() {
  state.editing = null;
  delete $('#compose').dataset.editing;
  $('#text').value = '';
  $('#send').textContent = 'Send';
  $('#cancel-edit').hidden = true;
}

let lastTyping = 0;
$('#text').addEventListener('input', () => {
  if (!state.open || state.editing || Date.now() - lastTyping < 2000) return;
  lastTyping = Date.now();
  api('POST', `/api/threads/${state.open}/typing`).catch((err) => console.warn(err));
});

$('#compose').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const content = $('#text').value;
  if (state.editing) {
    await api('PATCH', `/api/messages/${state.editing}`, { content });
    stopEdit();
  } else {
    await api('POST', `/api/threads/${state.open}/messages`, { content });
    $('#text').value = '';
    lastTyping = 0;
  }
  dirty.messages = dirty.inbox = true;
  refresh();
});
$('#cancel-edit').addEventListener('click', stopEdit);

$('#new-thread').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const to = $('#to').value.split(/[\s,]+/).filter(Boolean);
  const { thread_id: threadId } = await api('POST', '/api/threads', {
    to, subject: $('#subject').value || null, content: $('#first').value,
  });
  ev.target.reset();
  dirty.inbox = true;
  await openThread(String(threadId));
});

// ---- start ----

(async () => {
  if (!/^[0-9]+$/.test(me)) {
    document.body.textContent = 'Open this page as /?user=N (N: a user id), e.g. /?user=1';
    return;
  }
  $('#me').textContent = `${userName(me)}`;
  document.title = `${userName(me)}: chat`;
  const s = await api('GET', '/api/state');
  state.cursor = s.cursor;
  renderInbox(s);
  connect();
})();
