'use strict';
// Thin wrappers over chat's SQL functions. `db` is a pool or a client inside a transaction.
//
// Calls use named notation (`"thread_id" => $1`), so an argument left undefined is left out and
// takes its default: for the acting user (sender, viewer, reader, actor, creator, user) that is
// chat.current_user_id(), i.e. chat.user_id or the JWT's sub (db.js). Pass it explicitly on a
// shared pool.
//
// Types as node-postgres returns them: bigint ids and counts are strings ("42"), user-id arrays
// are arrays of strings, jsonb is parsed (ids inside are numbers), timestamptz is a Date.

const { query } = require('./db');

// `SELECT chat.fn("a" => $1, ...)`: the argument names are chat's parameter names.
function callSql(fn, args) {
  if (!/^[a-z_]+$/.test(fn)) throw new Error(`bad function name ${fn}`);
  const names = Object.keys(args).filter((k) => args[k] !== undefined);
  const list = names.map((k, i) => `"${k}" => $${i + 1}`).join(', ');
  return { text: `chat.${fn}(${list})`, values: names.map((k) => args[k]) };
}

// A function returning one value (an id, a count, a boolean, void).
async function value(db, fn, args = {}) {
  const { text, values } = callSql(fn, args);
  const { rows } = await query(db, `SELECT ${text} AS value`, values);
  return rows[0].value;
}

// A set-returning or composite function: one object per row (never `SELECT chat.fn()`, which would
// give a composite as the text "(1,1)").
async function rows(db, fn, args = {}) {
  const { text, values } = callSql(fn, args);
  return (await query(db, `SELECT * FROM ${text}`, values)).rows;
}

const chat = {
  value,
  rows,
  newMessage: (db, { sender, recipients, subject, content, attachments }) =>
    value(db, 'new_message', { sender, recipients, subject, content, attachments }),
  newReply: (db, { threadId, sender, content, parentId }) =>
    value(db, 'new_reply', { thread_id: threadId, sender, content, parent_id: parentId }),
  inbox: (db, { viewer, folder, before, pageSize }) =>
    rows(db, 'inbox', { viewer, folder, before, page_size: pageSize }),
  // THE badge: unread threads and messages, muted and archived threads left out.
  badge: async (db, viewer) => {
    const [b] = await rows(db, 'unread_count', { viewer });
    return { threads: Number(b.threads), messages: Number(b.messages) };
  },
  messages: (db, { threadId, viewer, before, after, pageSize }) =>
    rows(db, 'messages', { thread_id: threadId, viewer, before, after, page_size: pageSize }),
  markRead: async (db, { threadId, reader, upTo }) =>
    Number(await value(db, 'mark_read', { thread_id: threadId, reader, up_to: upTo })),
  createGroup: (db, { creator, title, members, isPublic, channel }) =>
    value(db, channel ? 'create_channel' : 'create_group', { creator, title, members, is_public: isPublic }),
  addMembers: async (db, { threadId, actor, users, role }) =>
    Number(await value(db, 'add_members', { thread_id: threadId, actor, users, role })),
  members: (db, { threadId, viewer }) => rows(db, 'members', { thread_id: threadId, viewer }),
  toggleReaction: (db, { messageId, user, reaction }) =>
    value(db, 'toggle_reaction', { message_id: messageId, user, reaction }),
  reactions: (db, { messageId, viewer }) => rows(db, 'reactions', { message_id: messageId, viewer }),
  // The thread of a message (message ids are unique across threads). Row-level security lets an
  // end user see only the messages of their own threads.
  threadOf: async (db, messageId) =>
    (await query(db, 'SELECT thread_id FROM chat.message WHERE id = $1', [messageId])).rows[0]?.thread_id,
};

module.exports = chat;
