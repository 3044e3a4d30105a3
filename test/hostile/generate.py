#!/usr/bin/python3
"""Generates the hostile-input suite's calls (standard library only).

Reads the JSON of catalog.sql (chat's public functions and their argument
types, the fixture's ids, the setting keys) on stdin and writes CSV rows for
hostile.call on stdout.  Deterministic for a given seed and catalog.

Each function gets, per pass (the role it runs as):
  * one call per argument and hostile value of that argument's pool, the other
    arguments at a good value (so a failure names the value that caused it);
  * RANDOM_CALLS calls with every argument drawn at random from its pool;
and set_setting one call per key and value.  The passes: "server" (hostile_app,
a member of a role in server_roles, not a superuser), "user" (an end user:
hostile_user, mapped to user 2, or hostile_web with PostgREST's claims), and
"owner" (the superuser that created chat: only the functions that take a
function, table or role to register, which only the owner may fully use).
"""
import csv
import json
import random
import sys

SEED = int(sys.argv[1]) if len(sys.argv) > 1 else 12
RANDOM_CALLS = int(sys.argv[2]) if len(sys.argv) > 2 else 6
MAX_PER_ARG = int(sys.argv[3]) if len(sys.argv) > 3 else 16

cat = json.load(sys.stdin)
FX = {k: int(v) if v.lstrip('-').isdigit() else v for k, v in cat['fx'].items()}
SETTINGS = cat['settings']
OMIT = object()

EVENTS = ['message_sent', 'message_edited', 'message_deleted', 'thread_created', 'member_added',
          'member_removed', 'reaction_added', 'reaction_removed', 'thread_read']
ACTING = {'sender', 'reader', 'viewer', 'actor', 'creator', 'editor', 'user', 'user_a'}
EXPENSIVE = {'big', 'huge', 'deep'}


def lit(s):
    """A SQL expression for Python string s: quoted pieces, control characters as chr(n)."""
    parts, buf = [], ''
    for ch in s:
        o = ord(ch)
        if o < 32 or o == 127 or 0x80 <= o < 0xa0:
            if buf:
                parts.append("'" + buf.replace("'", "''") + "'")
                buf = ''
            parts.append('chr(%d)' % o)
        else:
            buf += ch
    if buf or not parts:
        parts.append("'" + buf.replace("'", "''") + "'")
    return parts[0] if len(parts) == 1 else '(' + ' || '.join(parts) + ')'


class V:
    def __init__(self, expr, label=None, tags=()):
        self.expr = expr
        self.label = label if label is not None else (expr if len(expr) <= 48 else expr[:45] + '...')
        self.tags = set(tags)


def T(s, label=None, tags=()):
    return V(lit(s), label, tags)


def N(n, label=None):
    return V(str(n), label)


NULL = V('NULL')
BIG64, MIN64 = 2 ** 63 - 1, -2 ** 63

# ---- pools ---------------------------------------------------------------------------

TEXT = [
    NULL, T(''), T(' '), T('\t\n\r\u00a0'), T('x'), T('hello'),
    T('a\x01b\x02c\x1b[31m\x7f'), T('\\0 \\x00 \\u0000 %00'), T('zero\u200bwidth'),
    T('\u202eRLO'), T('\ufeffBOM'), T('\U0010ffff\uffff\ufffe'), T('e\u0301\u0301\u0301'),
    T('👍'), T('\U0001F468\u200d\U0001F469\u200d\U0001F467'), T("'); DROP TABLE chat.message; --"),
    T('%s %I %L %% $1'), T('NULL'), T('\\N'), T('\ud7ff\ue000'),
    V("repeat('x', 10485760)", '10 MB text', {'big'}),
    V("repeat('é', 70000)", "70,000 × 'é'", {'big'}),
    V("repeat('x', 65536)", "65,536 × 'x'"), V("repeat('x', 65537)", "65,537 × 'x'"),
    V("repeat('x', 255)", "255 × 'x'"), V("repeat('x', 256)", "256 × 'x'"),
    V("repeat('👍', 33)", "33 × '👍'"),
    V("repeat(chr(1), 1000)", "1,000 × chr(1)"),
    V("chr(0)", 'chr(0)'),
    V("convert_from('\\xc0af'::bytea, 'UTF8')", 'invalid UTF-8'),
]
TEXT_BY_NAME = {
    'folder': ['inbox', 'unread', 'deleted', 'sent', 'archived', 'mentions', 'INBOX', 'archive', 'inbox '],
    'level': ['all', 'mentions', 'none', 'ALL', 'mention', 'none '],
    'before': ['garbage', '1|2', '9999-99-99', '(,)', 'eyJ4IjoxfQ==', '-1', '0', '{}'],
    'role': ['owner', 'admin', 'member', 'guest', 'OWNER', 'system'],
    'permission': ['post', 'add_members', 'delete_thread', 'edit_thread', 'bogus', '*', 'POST'],
    'reaction': ['👍', 'wave', '👍🏽', '\u2764\ufe0f', 'x' * 32, 'x' * 33, '🇫🇷', '\u200d'],
    'model': ['message', 'thread', 'member', 'reaction', 'attachment', 'Message', 'user'],
    'event': EVENTS + ['typing', 'bogus', 'MESSAGE_SENT', 'message_sent '],
    'key': SETTINGS + ['bogus', 'MAX_MEMBERS', 'max_members ', 'server_roles;'],
    'on_delete': ['cascade', 'restrict', 'anonymize', 'set null', 'CASCADE'],
    'kind': ['group', 'channel', 'private', 'direct', 'bogus'],
    'object_type': ['product', 'doc'],
    'object_id': ['42', '7', '43'],
}
NAME = [NULL, T(''), T('id'), T('ID'), T('uid'), T('name'), T('ctid'), T('xmin'), T('oid'), T('nope'),
        V("repeat('x', 100)", "100 × 'x'"), T('id"; DROP TABLE x; --')]


def ids(names):
    return [V(str(FX[n]), n) for n in names]


BOUNDS = [NULL, N(0), N(-1), N(1), N(2147483647), N(2147483648), N(4294967296), N(BIG64), N(MIN64)]
THREADS = ids(['t_own', 't_member', 't_channel', 't_public', 't_other', 't_private', 't_direct',
               't_direct_other', 't_object', 't_object_private', 't_large', 't_gone', 't_none', 'm_own'])
MESSAGES = ids(['m_own', 'm_other', 'm_deleted', 'm_edited', 'm_system', 'm_member', 'm_own_member',
                'm_channel', 'm_public', 'm_other_thread', 'm_private', 'm_direct', 'm_large', 'm_gone',
                'm_none', 't_own'])
USERS = [NULL, N(0), N(-1), N(1), N(2), N(3), N(4), N(5), N(6), N(7), N(199999), N(999999),
         N(2147483648), N(BIG64), N(MIN64)]
USER_ARRAYS = [
    NULL, V("'{}'"), V("'{NULL}'"), V("'{1,NULL}'"), V("'{2}'"), V("'{1,3}'"), V("'{3,3,3}'"),
    V("'{4,5,6}'"), V("'{999999}'"), V("'{0,-1}'"), V("'{%d}'" % BIG64), V("'{{1,3},{4,5}}'"),
    V("'[5:6]={1,3}'"), V("ARRAY(SELECT g FROM generate_series(5, 1004) g)", '1,000 users'),
    V("ARRAY(SELECT g FROM generate_series(10, 100009) g)", '100,000 users', {'huge', 'huge_users'}),
    V("array_fill(3::bigint, ARRAY[100000])", '100,000 × user 3', {'huge'}),
]
INTS = [NULL, N(0), N(-1), N(1), N(2), N(50), N(100000), N(100001), N(2147483647), N(-2147483648)]
BOOLS = [NULL, V('true'), V('false')]


def J(s, label=None, tags=()):
    return V(lit(s), label, tags)


DEEP_ARRAY = V("(repeat('[', 10000) || repeat(']', 10000))", '10,000-deep array', {'deep'})
DEEP_OBJECT = V("""(repeat('{"a":', 10000) || '1' || repeat('}', 10000))""", '10,000-deep object', {'deep'})
JSON = [
    NULL, J('null'), J('{}'), J('[]'), J('""'), J('0'), J('-1'), J('true'), J('"x"'), J('[1, 2]'),
    J('{"a": 1}'), J('[null]'), J('[{}]'), J('1e400'), J('"\\u0001\\n\\t"'), J('{"\\u0000": 1}'),
    DEEP_ARRAY, DEEP_OBJECT,
    V("(SELECT jsonb_agg(g) FROM generate_series(1, 100000) g)", '100,000-element array', {'huge'}),
    V("(SELECT jsonb_object_agg('k' || g, g) FROM generate_series(1, 100000) g)", '100,000-key object', {'huge'}),
    V("to_jsonb(repeat('x', 10485760))", '10 MB string', {'big'}),
]
ATT = '{"key": "k", "name": "n.png", "mime": "image/png", "size": 1%s}'
ATTACHMENTS = [J('[' + ATT % '' + ']'), J('[{"key": "k"}]'), J('[{"key": ""}]'), J('[{"key": null}]'),
               J('[{"key": 1}]'), J('[' + ATT.replace('"size": 1', '"size": -1') % '' + ']'),
               J('[{"key": "k", "size": "big"}]'), J('[{"key": "k", "size": 1.5}]'),
               J('[{"key": "k", "size": 1e30}]'), J('[{"key": "k", "size": 9223372036854775808}]'),
               J('[{"key": "k", "mime": ""}]'), J('[{"key": "k", "mime": "a/b/c"}]'),
               J('[{"key": "k", "meta": [1]}]'), J('[{"key": "k", "meta": "x"}]'),
               J('[{"key": "k", "position": -5}]'), J('{"key": "k"}'), J('[{"key": "k", "evil": 1}]'),
               J('[{"key": "\\u0001\\n", "name": "\\u202e"}]'),
               V("jsonb_build_array(jsonb_build_object('key', 'k', 'name', repeat('n', 10485760)))",
                 'attachment named 10 MB', {'big'}),
               V("(SELECT jsonb_agg(jsonb_build_object('key', 'k' || g)) FROM generate_series(1, 11) g)",
                 '11 attachments'),
               V("(SELECT jsonb_agg(jsonb_build_object('key', 'k' || g)) FROM generate_series(1, 100000) g)",
                 '100,000 attachments', {'huge'})]
EXTRA = [J('{"priority": "urgent"}'), J('{"priority": "bogus"}'), J('{"n": "abc"}'), J('{"n": 1e400}'),
         J('{"n": 2147483648}'), J('{"n": 1.5}'), J('{"flag": null}'), J('{"flag": "yes"}'),
         J('{"at": "not a date"}'), J('{"at": "infinity"}'), J('{"tags": "notarray"}'), J('{"tags": [1, [2]]}'),
         J('{"tags": [1, 2]}'), J('{"thread_id": 5}'), J('{"message_id": 5}'), J('{"unknown": 1}'),
         J('{"doc": {"a": [1, {"b": null}]}}'), J('{"priority": null}'),
         V("jsonb_build_object('doc', (repeat('[', 10000) || repeat(']', 10000))::jsonb)",
           'doc 10,000 deep', {'deep'}),
         V("jsonb_build_object('priority', repeat('x', 10485760))", 'priority 10 MB', {'big'})]


def fn(sig, label=None):
    return V(lit(sig), label or sig)


def oid(n, label, tags=('nonexistent',)):
    """An OID as a reg* value: by default one that names nothing."""
    return V('%s::oid' % n, label, tags)


FUNCS = [
    NULL, oid(0, 'oid 0', ()), oid(1, 'oid 1'), oid(4294967295, 'oid 4294967295'),
    oid(FX['gone_hook'], 'dropped hook oid'), oid(FX['gone_name'], 'dropped name fn oid'),
    V("'chat.message'::regclass::oid", 'oid of table chat.message', {'nonexistent'}),
    fn('hostile_fx.hook(jsonb)'), fn('hostile_fx.hook_returns_int(jsonb)'), fn('hostile_fx.srf_hook(jsonb)'),
    fn('hostile_fx.srf_jsonb(jsonb)'), fn('hostile_fx.table_fn(jsonb)'), fn('hostile_fx.out_args(jsonb)'),
    fn('hostile_fx.two_args(jsonb,integer)'), fn('hostile_fx.no_args()'), fn('hostile_fx.text_arg(text)'),
    fn('hostile_fx.json_arg(json)'), fn('hostile_fx.variadic_fn(jsonb[])'), fn('hostile_fx.poly(anyelement)'),
    fn('hostile_fx.renders_text(jsonb)'), fn('hostile_fx.renders_null(jsonb)'),
    fn('hostile_fx.renders_array(jsonb)'), fn('hostile_fx.renders_huge(jsonb)'), fn('hostile_fx.proc(jsonb)'),
    fn('hostile_fx.trig()'), fn('hostile_fx.agg(jsonb)'), fn('hostile_fx.agg_name(bigint)'),
    fn('hostile_fx.private_hook(jsonb)'), fn('hostile_fx.secret_hook(jsonb)'),
    fn('hostile_fx.name_ok(bigint)'), fn('hostile_fx.name_text(text)'), fn('hostile_fx.name_int(integer)'),
    fn('hostile_fx.name_returns_int(bigint)'), fn('hostile_fx.name_srf(bigint)'),
    fn('hostile_fx.name_long(bigint)'), fn('hostile_fx.name_ctl(bigint)'), fn('hostile_fx.name_fails(bigint)'),
    fn('hostile_fx.name_proc(bigint)'), fn('hostile_app.on_event(jsonb)'), fn('hostile_app.render(jsonb)'),
    fn('hostile_app.user_name(bigint)'), fn('pg_catalog.jsonb_strip_nulls(jsonb)'),
    fn('pg_catalog.jsonb_typeof(jsonb)'), fn('pg_catalog.jsonb_array_elements(jsonb)'),
    fn('pg_catalog.pg_terminate_backend(integer,bigint)'), fn('chat.display_name(chat.user_id)'),
    fn('chat.get_setting(text)'),
]
TABLES = [
    NULL, oid(0, 'oid 0', ()), oid(4294967295, 'oid 4294967295'), oid(FX['gone_table'], 'dropped table oid'),
    fn('hostile_app.users'), fn('hostile_fx.users_nokey'), fn('hostile_fx.users_text'), fn('hostile_fx.users_int'),
    fn('hostile_fx.users_few'), fn('hostile_fx.users_uid'), fn('hostile_fx.users_unlogged'),
    fn('hostile_fx.users_part'), fn('hostile_fx.users_view'), fn('hostile_fx.users_mat'), fn('hostile_fx.seq'),
    fn('hostile_app.users_pkey'), fn('chat.message'), fn('chat.thread'), fn('chat.member'),
    fn('pg_catalog.pg_class'), fn('pg_temp.tmp_users'), fn('hostile_app.message_meta'),
    fn('hostile_fx.thread_meta'), fn('hostile_fx.member_meta'), fn('hostile_fx.message_nokey'),
    fn('hostile_fx.message_nofk'), fn('hostile_fx.message_notnull'), fn('hostile_fx.message_meta2'),
]
ROLES = [NULL, oid(0, 'oid 0', ()), oid(4294967295, 'oid 4294967295'), oid(FX['gone_role'], 'dropped role oid'),
         fn('hostile_spare'), fn('hostile_user'), fn('hostile_web'), fn('hostile_srv'), fn('hostile_app'),
         V('session_user::regrole', 'the superuser'), fn('pg_read_all_data'), fn('pg_database_owner'),
         fn('pg_signal_backend')]
SETTING_VALUES = [
    NULL, J('null'), J('true'), J('false'), J('0'), J('-1'), J('1'), J('2147483648'),
    J('9223372036854775807'), J('9223372036854775808'), J('1e400'), J('-1e400'), J('1.5'), J('1e2'),
    J('"1"'), J('""'), J('" "'), J('[]'), J('{}'), J('["x"]'), J('"a b"'), J('"ch\\u0001at"'), J('"\\n"'),
    J('[""]'), J('[1]'), J('["x", null]'),
    V("(SELECT jsonb_agg('r' || g) FROM generate_series(1, 201) g)", '201 strings'),
    V("(SELECT jsonb_agg('hostile_srv') FROM generate_series(1, 100000) g)", '100,000 × "hostile_srv"', {'huge'}),
    DEEP_ARRAY, V("to_jsonb(repeat('x', 10485760))", '10 MB string', {'big'}),
]
# values aimed at one setting, besides a sample of the ones above
SETTING_SPECIAL = {
    'notify_channel': [J('"' + 'é' * 32 + '"', '"é" × 32'), J('"' + 'x' * 63 + '"', '"x" × 63'),
                       J('"' + 'x' * 64 + '"', '"x" × 64'), J('"' + 'é' * 63 + '"', '"é" × 63'),
                       J('"' + '👍' * 16 + '"', '"👍" × 16'), J('"UPPER"'), J('"chat"'), J('"a b"'),
                       J('"\\u0001"'), J('"pg_notify"')],
    'server_roles': [J('["hostile_srv"]'), J('["nonexistent_role"]'), J('["public"]'), J('["PUBLIC"]'),
                     J('["pg_read_all_data"]'), J('["pg_database_owner"]'), J('["hostile_srv", "hostile_srv"]'),
                     J('["hostile_user"]'), J('["' + 'x' * 64 + '"]', '["x" × 64]')],
    'reactions': [J('"any"'), J('"emoji"'), J('["👍"]'), J('["👍", "👍"]'), J('["' + 'x' * 33 + '"]', '["x" × 33]'),
                  J('["\\u0000"]'), J('["\\u200d"]'), J('"EMOJI"')],
    'attachment_mime_types': [J('["image/*"]'), J('["*/*"]'), J('["image/"]'), J('["*"]'), J('["a/b/c"]'),
                              J('["IMAGE/PNG"]'), J('[" image/png"]')],
    'max_content_length': [J('10000000'), J('10000001'), J('1')],
    'max_members': [J('10000000'), J('10000001'), J('1'), J('2')],
    'max_page_size': [J('100000'), J('100001'), J('1')],
    'max_attachment_size': [J('9223372036854775807'), J('0')],
    'max_attachments': [J('1000'), J('1001')],
    'max_reaction_length': [J('1000'), J('1001')],
    'max_subject_length': [J('10000'), J('10001')],
    'inbox_fanout_limit': [J('1000000'), J('1000001')],
    'search_config': [J('"english"'), J('"pg_catalog.english"'), J('"ENGLISH"'), J('"klingon"'), J('"public.simple"'),
                      J('"pg_temp.simple"'), J('"a.b.c"'), J('"3734"'), J('"\\"english\\""'), J('"simple; drop table x"')],
    'max_description_length': [J('10000'), J('10001'), J('1')],
    'max_avatar_length': [J('10000'), J('10001'), J('1')],
}
SETTING_SAMPLE = {'server': 14, 'user': 3}

def pool(fname, arg):
    """The hostile values of one argument."""
    n, t = arg['name'], arg['type']
    if t == 'chat.user_id':
        return USERS
    if t == 'chat.user_id[]':
        return USER_ARRAYS
    if t == 'bigint':
        if n and 'thread' in n:
            return BOUNDS + THREADS
        if n and n in ('message_id', 'parent_id', 'up_to', 'from_message', 'before', 'after'):
            return BOUNDS + MESSAGES
        return BOUNDS + THREADS[:4] + MESSAGES[:4]
    if t == 'integer':
        return INTS
    if t == 'boolean':
        return BOOLS
    if t == 'jsonb':
        extra = ATTACHMENTS if n == 'attachments' else EXTRA if n == 'extra' else []
        if n == 'value':
            return SETTING_VALUES
        return extra + JSON
    if t == 'text':
        special = [T(s) for s in TEXT_BY_NAME.get(n, [])]
        if n == 'before':
            special += [V(lit(FX['cursor_own']), 'a valid cursor'), V(lit(FX['cursor_own'] + 'x'), 'cursor + x')]
        return special + TEXT
    if t == 'name':
        return NAME
    if t == 'regprocedure':
        return FUNCS
    if t == 'regclass':
        return TABLES
    if t == 'regrole':
        return ROLES
    return [NULL]


GOOD_BY_NAME = {
    'thread_id': V(str(FX['t_own']), 't_own'), 'to_thread_id': V(str(FX['t_member']), 't_member'),
    'message_id': V(str(FX['m_own']), 'm_own'), 'content': T('hello'), 'subject': T('subject'),
    'title': T('title'), 'reaction': T('👍'), 'recipients': V("'{1,3}'"), 'members': V("'{1,3}'"),
    'users': V("'{5}'"), 'member': N(3), 'user_b': N(4), 'role': T('member'), 'permission': T('add_members'),
    'key': T('max_page_size'), 'value': J('100'), 'event': T('message_sent'), 'model': T('message'),
    'user_id': N(5), 'object_type': T('product'), 'object_id': T('42'), 'kind': T('group'),
    'folder': T('inbox'), 'page_size': N(10), 'muted': V('true'), 'is_public': V('false'),
    'id_column': T('id'), 'on_delete': T('cascade'), 'level': T('mentions'),
}
GOOD_BY_FN = {
    ('add_hook', 'fn'): fn('hostile_fx.hook(jsonb)'), ('remove_hook', 'fn'): fn('hostile_app.on_event(jsonb)'),
    ('swap_renderer', 'fn'): fn('hostile_fx.renders_null(jsonb)'), ('use_user_table', 'tbl'): fn('hostile_app.users'),
    ('swap_model', 'tbl'): fn('hostile_fx.message_meta2'), ('set_role', 'role'): T('admin'),
    ('join_thread', 'thread_id'): V(str(FX['t_public']), 't_public'),
    ('can_join', 'thread_id'): V(str(FX['t_public']), 't_public'),
    ('map_role', 'role'): fn('hostile_spare'), ('unmap_role', 'role'): fn('hostile_user'),
}
GOOD_BY_TYPE = {'bigint': V(str(FX['t_own']), 't_own'), 'chat.user_id': N(2), 'chat.user_id[]': V("'{1,3}'"),
                'text': T('hello'), 'jsonb': J('{}'), 'integer': N(10), 'boolean': V('true'), 'name': T('id'),
                'regprocedure': fn('hostile_fx.hook(jsonb)'), 'regclass': fn('hostile_app.users'),
                'regrole': fn('hostile_spare')}


def good(fname, arg, pass_):
    """The value of an argument when another one is the hostile one."""
    n = arg['name']
    if arg['type'] == 'chat.user_id' and n in ACTING:
        return OMIT if pass_ == 'user' and arg['default'] else N(2)
    if (fname, n) in GOOD_BY_FN:
        return GOOD_BY_FN[(fname, n)]
    if n in GOOD_BY_NAME:
        return GOOD_BY_NAME[n]
    if arg['default']:
        return OMIT
    return GOOD_BY_TYPE.get(arg['type'], NULL)


def call_sql(f, values):
    """SELECT count(*) FROM chat."f"("a" => (expr)::type, ...): named notation, omitted args left out."""
    named = all(a['name'] for a in f['args'])
    parts, labels = [], []
    for a, v in zip(f['args'], values):
        if v is OMIT:
            if not named:
                break
            continue
        e = '(%s)::%s' % (v.expr, a['type'])
        parts.append('"%s" => %s' % (a['name'], e) if named else e)
        labels.append('%s=>%s' % (a['name'], v.label) if named else v.label)
    sql = 'SELECT count(*) FROM chat."%s"(%s) AS r' % (f['name'], ', '.join(parts))
    return sql, ', '.join(labels)


# ---- identities ---------------------------------------------------------------------

MAPPED = ('hostile_user', '', '')
JWT = ('hostile_web', '', '{"sub": "2", "role": "authenticated"}')
HOSTILE_IDS = [(c, '') for c in [
    '{', '[]', '"2"', 'null', '{"sub": null}', '{"sub": ""}', '{"sub": " "}', '{"sub": 2}', '{"sub": 2.5}',
    '{"sub": "2 "}', '{"sub": "9223372036854775808"}', '{"sub": 1e400}', '{"sub": true}', '{"sub": ["2"]}',
    '{"sub": "-9223372036854775808"}', '{"sub": "0x2"}', '{"sub": "２"}', '{"sub": "2", "sub": "3"}',
    '{"sub": "2\\u0000"}', '{"sub": "2\\n"}', '[' * 10000 + ']' * 10000,
    '{"sub": "2", "pad": "' + 'x' * 100000 + '"}']] + [('', u) for u in [
        ' 2', '2 ', '+2', '02', '2.0', 'abc', '99999999999999999999', '-1', '0', '2\n']] + [
    ('{"sub": "3"}', '2')]


def identity(pass_, rng, plain=False):
    """(role, chat.user_id, request.jwt.claims) for one call; plain: no hostile identity."""
    r = rng.random() * (0.85 if plain and pass_ == 'server' else 0.88 if plain else 1)
    if pass_ == 'owner':
        return ('none', '', '')
    if pass_ == 'server':
        if r < 0.85:
            return ('hostile_app', '', '')
        if r < 0.95:
            return ('hostile_app', '2', '')
        c, u = rng.choice(HOSTILE_IDS)
        return ('hostile_app', u, c)
    if r < 0.45:
        return MAPPED
    if r < 0.88:
        return JWT
    c, u = rng.choice(HOSTILE_IDS)
    return ('hostile_web', u, c)


# ---- the calls ------------------------------------------------------------------------

REGISTRATION_TYPES = {'regprocedure', 'regclass', 'regrole'}
# Registrations followed by a change the README says chat follows
AFTER = [
    ('add_hook', {'fn': fn('hostile_fx.hook(jsonb)')}, 'DROP FUNCTION hostile_fx.hook(jsonb)'),
    ('add_hook', {'fn': fn('hostile_fx.renders_null(jsonb)'), 'event': T('thread_created')},
     'ALTER FUNCTION hostile_fx.renders_null(jsonb) RENAME TO renders_null_renamed'),
    ('swap_renderer', {'fn': fn('hostile_fx.renders_null(jsonb)')}, 'DROP FUNCTION hostile_fx.renders_null(jsonb)'),
    ('swap_renderer', {'model': T('thread'), 'fn': fn('hostile_fx.renders_null(jsonb)')},
     'DROP FUNCTION hostile_fx.renders_null(jsonb)'),
    ('use_user_table', {'display_name': fn('hostile_fx.name_ok(bigint)')}, 'DROP FUNCTION hostile_fx.name_ok(bigint)'),
    ('use_user_table', {'tbl': fn('hostile_fx.users_int')}, 'DROP TABLE hostile_fx.users_int CASCADE'),
    ('use_user_table', {}, 'ALTER TABLE hostile_app.users RENAME COLUMN id TO user_id'),
    ('use_user_table', {'tbl': fn('hostile_fx.users_part')}, 'DROP TABLE hostile_fx.users_part CASCADE'),
    ('swap_model', {'model': T('thread'), 'tbl': fn('hostile_fx.thread_meta')}, 'DROP TABLE hostile_fx.thread_meta'),
    ('swap_model', {'tbl': fn('hostile_fx.message_meta2')}, 'DROP TABLE hostile_fx.message_meta2'),
    ('map_role', {}, 'ALTER ROLE hostile_spare RENAME TO hostile_spare2'),
]


def main():
    rng = random.Random(SEED)
    funcs = cat['functions']
    out = csv.writer(sys.stdout, lineterminator='\n', quoting=csv.QUOTE_ALL)
    seq = 0

    def emit(pass_, f, values, tags=(), after=None):
        nonlocal seq
        seq += 1
        sql, args = call_sql(f, values)
        alltags = set(tags)
        for v in values:
            if v is not OMIT:
                alltags |= v.tags
        # a value the call exists for meets a valid identity, not a refusal of the session's
        role, uid, claims = identity(pass_, rng, plain=bool(alltags))
        config = any(a['type'] in REGISTRATION_TYPES for a in f['args']) or f['name'].startswith('set_')
        if role != 'none' and (uid or claims) and (uid, claims) not in (('2', ''), ('', JWT[2])):
            args += ' [as %s: chat.user_id=%r claims=%s]' % (role, uid, claims if len(claims) < 40 else claims[:37] + '...')
        out.writerow([seq, pass_, f['name'], role, uid, claims, 't' if config else 'f',
                      ','.join(sorted(alltags)), args, sql, after or ''])

    byname = {f['name']: f for f in funcs}
    for pass_ in ('server', 'user', 'owner'):
        for f in funcs:
            args = f['args']
            registration = any(a['type'] in REGISTRATION_TYPES for a in args)
            if pass_ == 'owner' and not registration:
                continue
            base = [good(f['name'], a, pass_) for a in args]
            emit(pass_, f, base)
            if f['name'] == 'set_setting':
                for key in SETTINGS:
                    keep = [v for v in SETTING_VALUES if v.tags] if pass_ == 'server' else []
                    rest = [v for v in SETTING_VALUES if not v.tags]
                    values = SETTING_SPECIAL.get(key, []) + keep + rng.sample(rest, SETTING_SAMPLE[pass_])
                    if pass_ != 'server':
                        values = values[:SETTING_SAMPLE[pass_] + 2]
                    for v in values:
                        emit(pass_, f, [T(key), v])
                for v in pool(f['name'], f['args'][0])[:MAX_PER_ARG]:
                    emit(pass_, f, [v] + base[1:])
                continue
            for i, a in enumerate(args):
                values = pool(f['name'], a)
                if a['default'] and OMIT not in values:
                    values = values + [V('', '<default>')]
                if len(values) > MAX_PER_ARG and a['type'] not in REGISTRATION_TYPES:
                    keep = [v for v in values if v.tags]
                    rest = [v for v in values if not v.tags]
                    values = keep + rng.sample(rest, MAX_PER_ARG - len(keep))
                if pass_ != 'user':
                    values = [v for v in values if 'huge_users' not in v.tags]
                for v in values:
                    vals = list(base)
                    vals[i] = OMIT if v.label == '<default>' else v
                    if vals == base and v.label != '<default>':
                        continue
                    emit(pass_, f, vals)
            for _ in range(RANDOM_CALLS if args else 0):
                vals = []
                for a in args:
                    choices = [v for v in pool(f['name'], a) if not (v.tags & EXPENSIVE)]
                    if a['default']:
                        choices = choices + [OMIT]
                    vals.append(rng.choice(choices + [base[len(vals)]]))
                emit(pass_, f, vals)
        if pass_ in ('server', 'owner'):
            for name, over, after in AFTER:
                f = byname.get(name)
                if f is None:
                    continue
                if pass_ == 'server' and name != 'add_hook':
                    continue
                vals = [over.get(a['name'], good(name, a, pass_)) for a in f['args']]
                emit(pass_, f, vals, after=after)


main()
