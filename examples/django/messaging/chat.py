"""chat's SQL API for Django.

Every function here calls one of chat's functions and

* runs it in a savepoint (transaction.atomic()), so that a refusal rolls back only that call and the
  request's transaction (ATOMIC_REQUESTS, a TestCase) goes on;
* turns chat's refusals into ChatError subclasses, from the SQLSTATE and the reason chat puts in the
  error's CONSTRAINT field (psycopg2: e.__cause__.pgcode, e.__cause__.diag.constraint_name);
* decodes jsonb: Django 3.1+ makes psycopg2 return json/jsonb as str through connection.cursor();
* takes the acting user explicitly (a User or an id). Passing None leaves the argument out, so chat
  falls back to the session's identity: use acting_as() for that.

Ids are ints (chat's bigint; auth_user.id is an integer and fits).
"""
import json
from contextlib import contextmanager

from django.conf import settings
from django.db import DatabaseError, connection, transaction

JSON_TYPES = {114, 3802}     # the type OIDs of json and jsonb
_OMIT = object()             # an argument left out of the call (chat uses its default)


# ---------------------------------------------------------------------------------------------- errors

class ChatError(Exception):
    """A refusal from chat. `status` is the HTTP status a view answers with."""
    status = 400

    def __init__(self, message, sqlstate, reason=None, column=None, detail=None, hint=None):
        super().__init__(message)
        self.message = message
        self.sqlstate = sqlstate
        self.reason = reason          # 42501: not_member, missing_permission, no_user... (contract item 8)
        self.column = column          # argument errors: the argument's name ('content', 'sender'...)
        self.detail = detail
        self.hint = hint

    def as_json(self):
        return {
            'error': self.reason or self.code,
            'sqlstate': self.sqlstate,
            'message': self.message,
            'argument': self.column,
            'detail': self.detail,
            'hint': self.hint,
        }

    code = 'refused'


class InvalidArgument(ChatError):
    """22023 invalid value, 22004 null, 22001 too long, 22P02 bad extra value, 23514."""
    code = 'invalid_argument'


class LimitExceeded(ChatError):
    """54000: max_members, max_attachments, max_attachment_size."""
    code = 'limit_exceeded'


class Forbidden(ChatError):
    """42501; `reason` says which (not_member, missing_permission, not_public...)."""
    status = 403
    code = 'forbidden'


class NotFound(ChatError):
    """42704: the thread, the message or the member does not exist."""
    status = 404
    code = 'not_found'


class Conflict(ChatError):
    """55000 (the state forbids it), 23503 (a user unknown to auth_user, or kept by 'restrict'), 23505."""
    status = 409
    code = 'conflict'


class RetryTransaction(Conflict):
    """40001: direct_thread / object_thread raced another session under REPEATABLE READ."""
    code = 'retry'


BY_SQLSTATE = {
    '22023': InvalidArgument, '22004': InvalidArgument, '22001': InvalidArgument,
    '22P02': InvalidArgument, '23514': InvalidArgument,
    '54000': LimitExceeded,
    '42501': Forbidden,
    '42704': NotFound,
    '55000': Conflict, '23503': Conflict, '23505': Conflict,
    '40001': RetryTransaction,
}


def translate(error):
    """The ChatError for a django.db error raised by chat, or None for anything else."""
    cause = error.__cause__                       # the psycopg2 exception Django wrapped
    sqlstate = getattr(cause, 'pgcode', None)
    cls = BY_SQLSTATE.get(sqlstate)
    if cls is None:
        return None
    diag = cause.diag
    return cls(diag.message_primary or str(cause), sqlstate,
               reason=diag.constraint_name, column=diag.column_name,
               detail=diag.message_detail, hint=diag.message_hint)


@contextmanager
def savepoint():
    """One chat call (or a few that belong together): a savepoint, refusals as ChatError."""
    try:
        with transaction.atomic():
            yield
    except DatabaseError as e:
        refusal = translate(e)
        if refusal is None:
            raise
        raise refusal from e


# ------------------------------------------------------------------------------------------ plumbing

def _id(user):
    """A User (or any model) or an id, as the id chat takes."""
    return getattr(user, 'pk', user)


def _user_arg(user):
    """The acting user: left out when None, so that chat uses chat.current_user_id()."""
    return _OMIT if user is None else _id(user)


def _opt(value):
    """An optional argument: left out when None."""
    return _OMIT if value is None else value


def _jsonb(value):
    return _OMIT if value is None else json.dumps(value)


def rows(cursor):
    """The cursor's rows as dicts, json and jsonb columns decoded."""
    columns = [(d.name, d.type_code in JSON_TYPES) for d in cursor.description]
    return [
        {name: json.loads(value) if is_json and isinstance(value, str) else value
         for (name, is_json), value in zip(columns, row)}
        for row in cursor.fetchall()
    ]


def _call_sql(function, args, set_returning):
    given = [(name, value) for name, value in args.items() if value is not _OMIT]
    # Named notation; names are quoted because some are keywords ("user").
    arglist = ', '.join('"%s" => %%s' % name for name, _ in given)
    template = 'SELECT * FROM chat.%s(%s)' if set_returning else 'SELECT chat.%s(%s)'
    return template % (function, arglist), [value for _, value in given]


def call(function, **args):
    """SELECT chat.function(name => value, ...): its one value."""
    sql, params = _call_sql(function, args, set_returning=False)
    with savepoint(), connection.cursor() as cursor:
        cursor.execute(sql, params)
        value = cursor.fetchone()[0]
        if isinstance(value, str) and cursor.description[0].type_code in JSON_TYPES:
            value = json.loads(value)
        return value


def call_rows(function, **args):
    """SELECT * FROM chat.function(name => value, ...): its rows as dicts."""
    sql, params = _call_sql(function, args, set_returning=True)
    with savepoint(), connection.cursor() as cursor:
        cursor.execute(sql, params)
        return rows(cursor)


def query(sql, params=()):
    """Any other statement, with the same savepoint and errors: its rows as dicts."""
    with savepoint(), connection.cursor() as cursor:
        cursor.execute(sql, params)
        return rows(cursor) if cursor.description else []


# -------------------------------------------------------------------------------------------- identity

def _set_user_id(value):
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('chat.user_id', true)")
        previous = cursor.fetchone()[0]
        cursor.execute("SELECT set_config('chat.user_id', %s, true)", [value])
    return previous


@contextmanager
def acting_as(user):
    """chat's calls inside act as `user` when they are given no acting user.

    set_config(..., true) lasts until the end of the transaction, so this opens one (or a savepoint
    inside the request's transaction) and, inside an outer transaction, puts the previous value back
    on the way out. Never `SET chat.user_id` on a pooled or persistent connection: it stays for the
    next request.
    """
    with transaction.atomic():
        previous = _set_user_id(str(_id(user)))
        yield
        _set_user_id(previous)
    # On an exception the savepoint's rollback restores the previous value by itself.


def current_user_id():
    return call('current_user_id')


def is_server_role():
    return call('is_server_role')


# ------------------------------------------------------------------------------------------- messages

def new_thread(sender, recipients, subject, content, attachments=None):
    """Starts a private thread (chat.new_message): (thread_id, message_id)."""
    with savepoint():
        message_id = call('new_message', sender=_user_arg(sender),
                          recipients=[_id(u) for u in recipients], subject=subject,
                          content=content, attachments=_jsonb(attachments))
        thread_id = query('SELECT thread_id FROM chat.message WHERE id = %s', [message_id])[0]['thread_id']
    return thread_id, message_id


def reply(thread_id, sender, content, parent_id=None, attachments=None):
    """chat.new_reply: the new message's id."""
    return call('new_reply', thread_id=thread_id, sender=_user_arg(sender), content=content,
                parent_id=_opt(parent_id), attachments=_jsonb(attachments))


def edit_message(message_id, editor, content):
    return call('edit_message', message_id=message_id, editor=_user_arg(editor), content=content)


def delete_message(message_id, actor):
    call('delete_message', message_id=message_id, actor=_user_arg(actor))


def messages(thread_id, viewer, before=None, after=None, page_size=None):
    """A member's page of a thread, oldest first; reactions and attachments are lists."""
    return call_rows('messages', thread_id=thread_id, viewer=_user_arg(viewer), before=_opt(before),
                     after=_opt(after), page_size=_opt(page_size))


def mark_read(thread_id, reader):
    """How many messages became read."""
    return call('mark_read', thread_id=thread_id, reader=_user_arg(reader))


# ---------------------------------------------------------------------------------------------- inbox

def inbox(viewer, folder='inbox', before=None, page_size=None):
    """One dict per thread, newest activity first; pass the last row's 'cursor' as `before`."""
    return call_rows('inbox', viewer=_user_arg(viewer), folder=folder, before=_opt(before),
                     page_size=_opt(page_size))


def inbox_count(viewer, folder='inbox'):
    return call('inbox_count', viewer=_user_arg(viewer), folder=folder)


def badge(viewer):
    """THE unread badge (chat.unread_count): {'threads': n, 'messages': m}, muted and archived left out.

    Not inbox_count(viewer, 'unread') (muted threads included) nor the sum of inbox()'s unread_count.
    SELECT * FROM: SELECT chat.unread_count(x) would give the composite as the text '(1,2)'.
    """
    return call_rows('unread_count', viewer=_user_arg(viewer))[0]


def mute(thread_id, user, muted=True):
    call('mute', thread_id=thread_id, user=_user_arg(user), muted=muted)


def archive_thread(thread_id, actor):
    call('archive_thread', thread_id=thread_id, actor=_user_arg(actor))


def started_by(thread_id):
    return call('started_by', thread_id=thread_id)


# ---------------------------------------------------------------------------------------------- rooms

def create_group(creator, title, members=(), is_public=False):
    return call('create_group', creator=_user_arg(creator), title=title,
                members=[_id(u) for u in members], is_public=is_public)


def create_channel(creator, title, members=(), is_public=False):
    return call('create_channel', creator=_user_arg(creator), title=title,
                members=[_id(u) for u in members], is_public=is_public)


def direct_thread(user_a, user_b):
    return call('direct_thread', user_a=_id(user_a), user_b=_id(user_b))


def add_members(thread_id, actor, users, role=None):
    """How many were new."""
    return call('add_members', thread_id=thread_id, actor=_user_arg(actor),
                users=[_id(u) for u in users], role=_opt(role))


def join_thread(thread_id, user):
    call('join_thread', thread_id=thread_id, user=_user_arg(user))


def members(thread_id, viewer):
    return call_rows('members', thread_id=thread_id, viewer=_user_arg(viewer))


# ------------------------------------------------------------------------------------------ reactions

def toggle_reaction(message_id, user, reaction):
    """Whether the reaction is now present."""
    return call('toggle_reaction', message_id=message_id, user=_user_arg(user), reaction=reaction)


def reactions(message_id, viewer):
    """[{'reaction', 'count', 'users': [ids], 'reacted_by_viewer'}]."""
    return call_rows('reactions', message_id=message_id, viewer=_user_arg(viewer))


# ------------------------------------------------------------------------------------- users, checks

def display_name(user):
    return call('display_name', user_id=_id(user))


def verify_unread():
    """The counters that differ from a recount: [] when chat's unread state is exact."""
    return call_rows('verify_unread')


def user_id_type():
    """The base type of chat.user_id in this database (bigint unless the DBA chose another)."""
    return query("SELECT format_type(typbasetype, NULL) AS t FROM pg_type WHERE oid = 'chat.user_id'::regtype")[0]['t']


def display_name_function():
    return 'public.chat_user_name(%s)' % user_id_type()


def bind_auth_user(on_delete=None):
    """chat.use_user_table on django.contrib.auth's table: chat's user ids become auth_user ids.

    Needs a server role with REFERENCES on auth_user (its owner, django_owner, has it).
    """
    query('SELECT chat.use_user_table(%s, %s, %s, display_name => %s)',
          ['public.auth_user', 'id', on_delete or settings.CHAT_USER_ON_DELETE, display_name_function()])
