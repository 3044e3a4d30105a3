'use strict';
// chat's refusals as HTTP responses. node-postgres puts the SQLSTATE in err.code, chat's
// machine-readable reason in err.constraint (42501 has seven) and the argument's name in
// err.column (22004, 22023, 22001, 54000).

// 42501 by reason.
const BY_REASON = {
  not_member: 403, // the acting user is not a member of the thread
  missing_permission: 403, // a member without the permission (post in a channel, edit another's message...)
  acting_as_other_user: 403, // an end user named another user as the acting user
  not_public: 403, // joining a thread that is not public
  no_user: 401, // the session has no chat user at all
  server_role_only: 403, // settings, hooks, bindings...: not for this caller
  identity_conflict: 500, // chat.user_id and the JWT disagree: a leftover identity, a server bug
};

// Everything else by SQLSTATE, then by class (first two characters).
const BY_CODE = {
  '42501': 403, // insufficient privilege (also plain PostgreSQL: "permission denied for table ...")
  '42704': 404, // thread or message not found, member not in the thread
  '22004': 400, // a required argument is NULL
  '22023': 400, // invalid argument (blank content, bad cursor...)
  '22001': 400, // too long
  '22P02': 400, // an `extra` value that does not convert
  '54000': 422, // a limit exceeded (max_members, max_attachments...)
  '55000': 409, // not in this state (edit a deleted message, leave a direct thread...)
  '23503': 409, // user binding: unknown user, deleting a user under `restrict`
  '40001': 503, // direct_thread/object_thread raced under REPEATABLE READ: retry
};
const BY_CLASS = { '22': 400, '23': 409, '40': 503 };

// The HTTP status for an error thrown by node-postgres (500 for anything that is not a refusal).
function statusOf(err) {
  if (err.status) return err.status; // our own HttpError
  if (!err.code) return 500;
  if (err.code === '42501' && BY_REASON[err.constraint]) return BY_REASON[err.constraint];
  return BY_CODE[err.code] ?? BY_CLASS[err.code.slice(0, 2)] ?? 500;
}

// The JSON body of an error response. 5xx hide the database's text (it may name internals);
// 4xx pass chat's message, which is written for callers (never `err.where`).
function bodyOf(err, status = statusOf(err)) {
  if (status >= 500 && !err.status) return { error: { status, code: err.code ?? null, message: 'internal error' } };
  const e = { status, code: err.code ?? null, reason: err.constraint ?? null, message: err.message };
  if (err.column) e.column = err.column;
  if (err.detail) e.detail = err.detail;
  if (err.hint) e.hint = err.hint;
  return { error: e };
}

class HttpError extends Error {
  constructor(status, message, reason) {
    super(message);
    this.status = status;
    this.constraint = reason;
  }
}

module.exports = { statusOf, bodyOf, HttpError, BY_REASON, BY_CODE };
