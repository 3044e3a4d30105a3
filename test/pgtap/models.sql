-- Swappable models (SPEC.md §7): message, thread, member, reaction and
-- attachment (notification: notifications.sql); the catalog shape, every SQLSTATE of
-- registering and filling with "nothing changed", the fill and read rules,
-- and injection attempts through extra's keys and values and through the
-- application's table and column names.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS chat CASCADE;
SET LOCAL chat.user_id_type = 'bigint';
SET LOCAL chat.user_id = '';
CREATE EXTENSION chat;
SET LOCAL TimeZone = 'UTC';

SELECT plan(286);

/* ---- fixture ---------------------------------------------------------------- */

/* t1: users 1, 2, 3 with m1 (before any model is swapped) */
SELECT chat.new_message(1, '{2,3}', 'fixture', 'first') AS m1 \gset
SELECT thread_id AS t1 FROM chat.message WHERE id = :m1 \gset

/* threads of every kind in user 1's folders: a large one (both inbox arms), deleted, archived */
SELECT chat.set_setting('inbox_fanout_limit', '2') \g /dev/null
SELECT chat.new_message(1, '{2,3,4}', 'large', 'l0') AS ml \gset
SELECT thread_id AS tl FROM chat.message WHERE id = :ml \gset
SELECT chat.new_reply(:tl, 2, 'l' || i) FROM generate_series(1, 4) i \g /dev/null
SELECT chat.new_message(2, '{1}', 'small ' || i, 's') FROM generate_series(1, 3) i \g /dev/null
SELECT chat.delete_thread((SELECT id FROM chat.thread WHERE subject = 'small 1'), 1) \g /dev/null
SELECT chat.archive_thread((SELECT id FROM chat.thread WHERE subject = 'small 2'), 1) \g /dev/null

/* Pages of inbox and messages in every folder and direction, without extra. */
CREATE FUNCTION pg_temp.pages() RETURNS TABLE (page text, rows_text text)
    LANGUAGE sql AS $$
    SELECT format('inbox %s %s', f, ps), string_agg((to_jsonb(i) - 'extra')::text, ' ' ORDER BY i.ordinality)
      FROM unnest(ARRAY['inbox', 'unread', 'deleted', 'sent', 'archived']) f,
           unnest(ARRAY[1, 2, 50]) ps,
           LATERAL chat.inbox(1, f, NULL, ps) WITH ORDINALITY i
     GROUP BY f, ps
    UNION ALL
    SELECT 'inbox after a cursor', string_agg((to_jsonb(i) - 'extra')::text, ' ' ORDER BY i.ordinality)
      FROM chat.inbox(1, 'inbox', (SELECT c.cursor FROM chat.inbox(1, 'inbox', NULL, 2) c OFFSET 1), 2) WITH ORDINALITY i
    UNION ALL
    SELECT format('messages %s %s %s', w.before, w.after, w.ps),
           string_agg((to_jsonb(m) - 'extra')::text, ' ' ORDER BY m.ordinality)
      FROM (SELECT t.id AS tid, min(m.id) AS first, max(m.id) AS last
              FROM chat.thread t JOIN chat.message m ON m.thread_id = t.id
             WHERE t.subject = 'large' GROUP BY t.id) l,
           LATERAL (VALUES (NULL::bigint, NULL::bigint, 50), (NULL, NULL, 2), (l.last, NULL, 2),
                           (NULL, l.first, 2), (l.last, l.first, 50)) w (before, after, ps),
           LATERAL chat.messages(l.tid, 1, w.before, w.after, w.ps) WITH ORDINALITY m
     GROUP BY w.before, w.after, w.ps
$$;
CREATE TEMP TABLE pages_without_models AS SELECT * FROM pg_temp.pages();

CREATE SCHEMA myapp;
CREATE TABLE myapp.message_meta (
    thread_id   bigint,
    message_id  bigint,
    priority    text NOT NULL DEFAULT 'normal' CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
    is_pinned   boolean NOT NULL DEFAULT false,
    expiry_date timestamptz,
    tags        text[],
    data        jsonb,
    raw         json,
    code        varchar(5),
    score       integer,
    shout       text GENERATED ALWAYS AS (upper(priority)) STORED,
    PRIMARY KEY (thread_id, message_id),
    FOREIGN KEY (thread_id, message_id) REFERENCES chat.message (thread_id, id) ON DELETE CASCADE
);
CREATE TABLE myapp.thread_meta (
    thread_id bigint PRIMARY KEY REFERENCES chat.thread (id) ON DELETE CASCADE,
    topic     text NOT NULL DEFAULT 'general'
);
CREATE TABLE myapp.member_meta (
    thread_id bigint,
    user_id   chat.user_id,
    nickname  text,
    UNIQUE (thread_id, user_id),
    FOREIGN KEY (thread_id, user_id) REFERENCES chat.member (thread_id, user_id) ON DELETE CASCADE
);
/* tables that cannot be registered */
CREATE TABLE myapp.no_key (thread_id bigint, msg bigint);
CREATE TABLE myapp.no_unique (thread_id bigint, message_id bigint,
    FOREIGN KEY (thread_id, message_id) REFERENCES chat.message (thread_id, id));
CREATE TABLE myapp.partial_unique (thread_id bigint, message_id bigint,
    FOREIGN KEY (thread_id, message_id) REFERENCES chat.message (thread_id, id));
CREATE UNIQUE INDEX ON myapp.partial_unique (thread_id, message_id) WHERE message_id > 0;
CREATE TABLE myapp.wide_unique (thread_id bigint, message_id bigint, version int,
    UNIQUE (thread_id, message_id, version),
    FOREIGN KEY (thread_id, message_id) REFERENCES chat.message (thread_id, id));
CREATE TABLE myapp.no_fkey (thread_id bigint, message_id bigint, PRIMARY KEY (thread_id, message_id));
CREATE TABLE myapp.thread_fkey (thread_id bigint REFERENCES chat.thread (id), message_id bigint,
    PRIMARY KEY (thread_id, message_id));
CREATE TABLE myapp.swapped_fkey (thread_id bigint, message_id bigint, PRIMARY KEY (thread_id, message_id),
    FOREIGN KEY (message_id, thread_id) REFERENCES chat.message (thread_id, id));
CREATE VIEW myapp.meta_view AS SELECT * FROM myapp.message_meta;
CREATE TEMP TABLE temp_meta (thread_id bigint, message_id bigint, PRIMARY KEY (thread_id, message_id));
/* renderers, good and bad */
CREATE FUNCTION myapp.render(extra jsonb) RETURNS jsonb
    LANGUAGE sql AS $$ SELECT extra || '{"rendered": true}' $$;
CREATE FUNCTION myapp.render_null(extra jsonb) RETURNS jsonb
    LANGUAGE sql AS $$ SELECT NULL::jsonb $$;
CREATE FUNCTION myapp.render_text(extra text) RETURNS jsonb LANGUAGE sql AS $$ SELECT NULL::jsonb $$;
CREATE FUNCTION myapp.render_to_text(extra jsonb) RETURNS text LANGUAGE sql AS $$ SELECT '' $$;
CREATE FUNCTION myapp.render_two(extra jsonb, more jsonb) RETURNS jsonb LANGUAGE sql AS $$ SELECT $1 $$;
CREATE FUNCTION myapp.render_set(extra jsonb) RETURNS SETOF jsonb LANGUAGE sql AS $$ SELECT $1 $$;
CREATE PROCEDURE myapp.render_proc(extra jsonb) LANGUAGE sql AS $$ SELECT 1 $$;

/* Everything a failed call could have touched, in one comparable text. */
CREATE FUNCTION pg_temp.state() RETURNS text
    LANGUAGE sql AS $$
    SELECT format('threads=%s messages=%s models=%s meta=%s md5=%s',
                  (SELECT count(*) FROM chat.thread), (SELECT count(*) FROM chat.message),
                  (SELECT count(*) FROM chat.model), (SELECT count(*) FROM myapp.message_meta),
                  md5(concat_ws('|',
                      (SELECT string_agg(t::text, ',' ORDER BY t.id) FROM chat.thread t),
                      (SELECT string_agg(m::text, ',' ORDER BY m.thread_id, m.user_id) FROM chat.member m),
                      (SELECT string_agg(m::text, ',' ORDER BY m.thread_id, m.id) FROM chat.message m),
                      (SELECT string_agg(m::text, ',' ORDER BY m.model) FROM chat.model m),
                      (SELECT string_agg(x::text, ',' ORDER BY x.message_id) FROM myapp.message_meta x),
                      (SELECT string_agg(x::text, ',' ORDER BY x.thread_id) FROM myapp.thread_meta x),
                      (SELECT string_agg(x::text, ',' ORDER BY x.thread_id, x.user_id) FROM myapp.member_meta x))))
$$;
CREATE TEMP TABLE baseline AS SELECT pg_temp.state() AS state;

\ir lib/fails.sql

/* ---- catalog shape ------------------------------------------------------------ */

SELECT has_function('chat', 'swap_model', ARRAY['text', 'regclass'], 'chat.swap_model(text, regclass) exists');
SELECT function_returns('chat', 'swap_model', ARRAY['text', 'regclass'], 'void', 'chat.swap_model returns void');
SELECT has_function('chat', 'swap_renderer', ARRAY['text', 'regprocedure'], 'chat.swap_renderer(text, regprocedure) exists');
SELECT function_returns('chat', 'swap_renderer', ARRAY['text', 'regprocedure'], 'void', 'chat.swap_renderer returns void');
SELECT has_function('chat', '_fill_extra', ARRAY['text', 'bigint', 'bigint', 'chat.user_id', 'jsonb'],
                    'chat._fill_extra(text, bigint, bigint, chat.user_id, jsonb) exists');
SELECT is(pg_get_function_arguments('chat._fill_extra(text, bigint, bigint, chat.user_id, jsonb)'::regprocedure),
          'model text, thread_id bigint, message_id bigint, user_id chat.user_id, extra jsonb',
          'chat._fill_extra: argument names');
SELECT is(pg_get_function_arguments('chat.swap_model(text, regclass)'::regprocedure), 'model text, tbl regclass',
          'chat.swap_model: argument names');
SELECT is(pg_get_function_arguments('chat.swap_renderer(text, regprocedure)'::regprocedure), 'model text, fn regprocedure',
          'chat.swap_renderer: argument names');
SELECT is((SELECT p.proargnames[array_length(p.proargnames, 1)] || ' ' || format_type(p.proallargtypes[array_length(p.proallargtypes, 1)], NULL)
             FROM pg_proc p WHERE p.oid = 'chat.messages(bigint, chat.user_id, bigint, bigint, integer)'::regprocedure),
          'extra jsonb', 'chat.messages: the last column is extra jsonb');
SELECT is((SELECT p.proargnames[array_length(p.proargnames, 1)] || ' ' || format_type(p.proallargtypes[array_length(p.proallargtypes, 1)], NULL)
             FROM pg_proc p WHERE p.oid = 'chat.inbox(chat.user_id, text, text, integer)'::regprocedure),
          'extra jsonb', 'chat.inbox: the last column is extra jsonb');
SELECT is(pg_get_function_result('chat.messages(bigint, chat.user_id, bigint, bigint, integer)'::regprocedure),
          'TABLE(id bigint, sender_id chat.user_id, kind text, content text, sent_at timestamp with time zone, edited boolean, deleted boolean, parent_id bigint, forwarded_from bigint, reactions jsonb, attachments jsonb, seen_count bigint, extra jsonb)',
          'chat.messages keeps its 0.1 columns in order, then extra');
SELECT is(pg_get_function_result('chat.inbox(chat.user_id, text, text, integer)'::regprocedure),
          'TABLE(thread_id bigint, kind text, subject text, last_message_id bigint, last_sender_id chat.user_id, last_preview text, last_sent_at timestamp with time zone, unread_count bigint, unread boolean, muted boolean, member_count integer, cursor text, mention_count bigint, extra jsonb)',
          'chat.inbox keeps its 0.1 columns in order, then mention_count (0.9), then extra');
SELECT ok((SELECT proconfig @> ARRAY['plan_cache_mode=force_generic_plan', 'search_path=pg_catalog, pg_temp']
             FROM pg_proc WHERE oid = 'chat.inbox(chat.user_id, text, text, integer)'::regprocedure),
          'chat.inbox still forces the generic plan and pins search_path');
SELECT is(pg_get_function_arguments('chat.messages(bigint, chat.user_id, bigint, bigint, integer)'::regprocedure),
          'thread_id bigint, viewer chat.user_id DEFAULT chat.current_user_id(), before bigint DEFAULT NULL::bigint, after bigint DEFAULT NULL::bigint, page_size integer DEFAULT 50',
          'chat.messages keeps its arguments and defaults');
SELECT is(pg_get_function_arguments('chat.inbox(chat.user_id, text, text, integer)'::regprocedure),
          'viewer chat.user_id DEFAULT chat.current_user_id(), folder text DEFAULT ''inbox''::text, before text DEFAULT NULL::text, page_size integer DEFAULT 50',
          'chat.inbox keeps its arguments and defaults');
SELECT ok(obj_description('chat.messages(bigint, chat.user_id, bigint, bigint, integer)'::regprocedure, 'pg_proc') IS NOT NULL
          AND obj_description('chat.inbox(chat.user_id, text, text, integer)'::regprocedure, 'pg_proc') IS NOT NULL
          AND obj_description('chat.swap_model(text, regclass)'::regprocedure, 'pg_proc') IS NOT NULL
          AND obj_description('chat.swap_renderer(text, regprocedure)'::regprocedure, 'pg_proc') IS NOT NULL,
          'messages, inbox, swap_model and swap_renderer have a COMMENT');
SELECT is_empty($$
    SELECT p.oid::regprocedure::text FROM pg_proc p
     WHERE p.pronamespace = 'chat'::regnamespace
       AND p.proname IN ('swap_model', 'swap_renderer', '_fill_extra', '_extras', '_model_key', '_swapped',
                         '_check_model_admin', '_model_dropped', 'messages', 'inbox')
       AND NOT coalesce(p.proconfig, '{}') @> ARRAY['search_path=pg_catalog, pg_temp']
$$, 'every function of the models pins search_path');
SELECT ok(has_function_privilege('public', 'chat.swap_model(text, regclass)', 'EXECUTE')
          AND has_function_privilege('public', 'chat.swap_renderer(text, regprocedure)', 'EXECUTE'),
          'PUBLIC may call swap_model and swap_renderer, which refuse end users themselves');
SELECT ok(NOT has_function_privilege('public', 'chat._fill_extra(text, bigint, bigint, chat.user_id, jsonb)', 'EXECUTE')
          AND NOT has_function_privilege('public', 'chat._extras(text, bigint[], bigint[])', 'EXECUTE'),
          'the fill and read helpers are internal: PUBLIC cannot execute them');
SELECT is((SELECT array_agg(p.proname::text ORDER BY p.proname) FROM pg_proc p
            WHERE p.pronamespace = 'chat'::regnamespace AND p.prosecdef
              AND p.proname IN ('swap_model', 'swap_renderer', '_fill_extra', '_extras', 'messages', 'inbox')),
          '{inbox,messages,swap_model,swap_renderer}', 'the public functions are SECURITY DEFINER, the helpers are not');
SELECT is((SELECT evtevent FROM pg_event_trigger WHERE evtname = 'chat_model_dropped'), 'sql_drop',
          'an event trigger forgets dropped tables and renderers');

/* ---- without a swapped model ---------------------------------------------------- */

SELECT is((SELECT extra FROM chat.messages(:t1, 1) LIMIT 1), NULL, 'messages: extra is NULL without a swapped model');
SELECT is((SELECT count(*)::int FROM chat.inbox(1) WHERE extra IS NOT NULL), 0, 'inbox: extra is NULL without a swapped model');
SELECT lives_ok(format($$SELECT chat._fill_extra('message', %s, %s, NULL, NULL)$$, :t1, :m1),
                '_fill_extra with extra NULL and no model does nothing');
SELECT pg_temp.fails(format($$SELECT chat._fill_extra('message', %s, %s, NULL, '{}')$$, :t1, :m1), '22023',
                     'extra needs a swapped model', '_fill_extra: extra {} without a swapped model');
SELECT pg_temp.fails(format($$SELECT chat._fill_extra('thread', %s, NULL, NULL, '{"topic": "x"}')$$, :t1), '22023',
                     'extra needs a swapped model', '_fill_extra: thread extra without a swapped model');
SELECT pg_temp.fails(format($$SELECT chat.new_reply(%s, 1, 'c', extra => '{"priority": "high"}')$$, :t1), '22023',
                     'extra needs a swapped model', 'new_reply: extra without a swapped model');
SELECT pg_temp.fails($$SELECT chat.new_message(1, '{2}', 's', 'c', extra => 'null')$$, '22023',
                     'extra needs a swapped model', 'new_message: JSON null extra without a swapped model');
SELECT pg_temp.fails(format($$SELECT chat._fill_extra('reaction', %s, %s, NULL, '{}')$$, :t1, :m1), 'P0001',
                     'chat._fill_extra does not fill model "reaction"', '_fill_extra: model reaction (chat._fill_model fills it)');
SELECT pg_temp.fails(format($$SELECT chat._fill_extra('nonsense', %s, %s, NULL, '{}')$$, :t1, :m1), '22023',
                     'unknown model "nonsense"', '_fill_extra: unknown model');

/* ---- registering: every refusal ---------------------------------------------- */

SELECT pg_temp.fails($$SELECT chat.swap_model(NULL, 'myapp.message_meta')$$, '22004',
                     'argument "model" must not be null', 'swap_model: NULL model');
SELECT pg_temp.fails($$SELECT chat.swap_model('messages', 'myapp.message_meta')$$, '22023',
                     'unknown model "messages"', 'swap_model: unknown model');
SELECT pg_temp.fails($$SELECT chat.swap_model('Message', 'myapp.message_meta')$$, '22023',
                     'unknown model "Message"', 'swap_model: model names are lower case');
SELECT pg_temp.fails($$SELECT chat.swap_model('reaction', 'myapp.message_meta')$$, '42703',
                     'table "myapp.message_meta" has no column "user_id"', 'swap_model: a message table for reactions');
SELECT pg_temp.fails($$SELECT chat.swap_model('attachment', 'myapp.message_meta')$$, '42703',
                     'table "myapp.message_meta" has no column "position"', 'swap_model: a message table for attachments');
SELECT pg_temp.fails($$SELECT chat.swap_model('message', 'myapp.meta_view')$$, '42809',
                     '"myapp.meta_view" is not a table', 'swap_model: a view');
SELECT pg_temp.fails($$SELECT chat.swap_model('message', 'temp_meta')$$, '42809',
                     'table "temp_meta" is temporary', 'swap_model: a temporary table');
SELECT pg_temp.fails($$SELECT chat.swap_model('message', 'myapp.no_key')$$, '42703',
                     'table "myapp.no_key" has no column "message_id"', 'swap_model: key column missing');
SELECT pg_temp.fails($$SELECT chat.swap_model('message', 'myapp.thread_meta')$$, '42703',
                     'table "myapp.thread_meta" has no column "message_id"', 'swap_model: a thread table for messages');
SELECT pg_temp.fails($$SELECT chat.swap_model('member', 'myapp.thread_meta')$$, '42703',
                     'table "myapp.thread_meta" has no column "user_id"', 'swap_model: member table without user_id');
SELECT pg_temp.fails($$SELECT chat.swap_model('message', 'myapp.no_unique')$$, '42P10',
                     'table "myapp.no_unique" has no unique key on (thread_id, message_id)', 'swap_model: key not unique');
SELECT pg_temp.fails($$SELECT chat.swap_model('message', 'myapp.partial_unique')$$, '42P10',
                     'table "myapp.partial_unique" has no unique key on (thread_id, message_id)',
                     'swap_model: a partial unique index does not count');
SELECT pg_temp.fails($$SELECT chat.swap_model('message', 'myapp.wide_unique')$$, '42P10',
                     'table "myapp.wide_unique" has no unique key on (thread_id, message_id)',
                     'swap_model: unique on more columns than the key does not count');
SELECT pg_temp.fails($$SELECT chat.swap_model('message', 'myapp.no_fkey')$$, '42830',
                     'table "myapp.no_fkey" has no foreign key to chat.message', 'swap_model: no foreign key');
SELECT pg_temp.fails($$SELECT chat.swap_model('message', 'myapp.thread_fkey')$$, '42830',
                     'table "myapp.thread_fkey" has no foreign key to chat.message', 'swap_model: a foreign key to chat.thread only');
SELECT pg_temp.fails($$SELECT chat.swap_model('message', 'myapp.swapped_fkey')$$, '42830',
                     'table "myapp.swapped_fkey" has no foreign key to chat.message', 'swap_model: a foreign key with the columns crossed');
SELECT pg_temp.fails($$SELECT chat.swap_renderer(NULL, 'myapp.render(jsonb)')$$, '22004',
                     'argument "model" must not be null', 'swap_renderer: NULL model');
SELECT pg_temp.fails($$SELECT chat.swap_renderer('msg', 'myapp.render(jsonb)')$$, '22023',
                     'unknown model "msg"', 'swap_renderer: unknown model');
SELECT pg_temp.fails($$SELECT chat.swap_renderer('attachment', 'myapp.render_two(jsonb, jsonb)')$$, '42883',
                     'function myapp.render_two(jsonb,jsonb) cannot render model "attachment"', 'swap_renderer: attachment, two arguments');
SELECT pg_temp.fails($$SELECT chat.swap_renderer('message', 'myapp.render_text(text)')$$, '42883',
                     'function myapp.render_text(text) cannot render model "message"', 'swap_renderer: takes text');
SELECT pg_temp.fails($$SELECT chat.swap_renderer('message', 'myapp.render_to_text(jsonb)')$$, '42883',
                     'function myapp.render_to_text(jsonb) cannot render model "message"', 'swap_renderer: returns text');
SELECT pg_temp.fails($$SELECT chat.swap_renderer('message', 'myapp.render_two(jsonb, jsonb)')$$, '42883',
                     'function myapp.render_two(jsonb,jsonb) cannot render model "message"', 'swap_renderer: two arguments');
SELECT pg_temp.fails($$SELECT chat.swap_renderer('message', 'myapp.render_set(jsonb)')$$, '42883',
                     'function myapp.render_set(jsonb) cannot render model "message"', 'swap_renderer: returns a set');
SELECT pg_temp.fails($$SELECT chat.swap_renderer('message', 'myapp.render_proc(jsonb)')$$, '42883',
                     'function myapp.render_proc(jsonb) cannot render model "message"', 'swap_renderer: a procedure');

/* an end user may neither swap nor call the check around it */
CREATE ROLE chat_models_end_user;
GRANT USAGE ON SCHEMA chat TO chat_models_end_user;
SELECT pg_temp.fails($$SET LOCAL ROLE chat_models_end_user; SELECT chat.swap_model('message', NULL)$$,
                     '42501', 'permission denied to swap models', 'swap_model: an end user');
SELECT pg_temp.fails($$SET LOCAL ROLE chat_models_end_user; SELECT chat.swap_renderer('message', NULL)$$,
                     '42501', 'permission denied to swap renderers', 'swap_renderer: an end user');
SELECT pg_temp.fails($$SET LOCAL ROLE chat_models_end_user; SELECT chat._check_model_admin()$$,
                     '42501', 'permission denied for function _check_model_admin', 'an end user cannot call the administrator check');

/* ---- registering ------------------------------------------------------------------ */

SELECT lives_ok($$SELECT chat.swap_model('message', 'myapp.message_meta')$$, 'swap_model registers the message table');
SELECT lives_ok($$SELECT chat.swap_model('thread', 'myapp.thread_meta')$$, 'swap_model registers the thread table');
SELECT lives_ok($$SELECT chat.swap_model('member', 'myapp.member_meta')$$,
                'swap_model registers the member table (UNIQUE, not PRIMARY KEY, is enough)');
SELECT results_eq($$SELECT model, tbl::text, renderer::text FROM chat.model ORDER BY model$$,
                  $$VALUES ('member', 'myapp.member_meta', NULL::text), ('message', 'myapp.message_meta', NULL),
                           ('thread', 'myapp.thread_meta', NULL)$$,
                  'chat.model holds the three tables');
SELECT lives_ok($$SELECT chat.swap_model('message', 'myapp.message_meta')$$, 'swapping the same table again is harmless');
SELECT is((SELECT count(*)::int FROM chat.model), 3, 'and adds no row');
SELECT is((SELECT extra FROM chat.messages(:t1, 1)), NULL, 'a message from before the swap has no row: extra is NULL');
SELECT ok((SELECT large FROM chat.thread WHERE id = :tl), 'the fixture has a large thread');
SELECT is((SELECT count(*)::int FROM pages_without_models), 21, 'the fixture reads 21 pages');
SELECT set_eq('SELECT * FROM pg_temp.pages()', 'SELECT * FROM pages_without_models',
              'with models swapped, inbox and messages read the same pages as without');
SELECT pg_temp.rebase();

/* ---- filling: every refusal ----------------------------------------------------- */

SELECT pg_temp.fails(format($$SELECT chat.new_reply(%s, 1, 'c', extra => '{"colour": "red"}')$$, :t1), '22023',
                     'unknown field "colour" for model "message"', 'new_reply: unknown field');
SELECT pg_temp.fails(format($$SELECT chat.new_reply(%s, 1, 'c', extra => '{"Priority": "high"}')$$, :t1), '22023',
                     'unknown field "Priority" for model "message"', 'new_reply: fields match column names exactly');
SELECT pg_temp.fails(format($$SELECT chat.new_reply(%s, 1, 'c', extra => '{"thread_id": 1}')$$, :t1), '22023',
                     'field "thread_id" of model "message" cannot be set', 'new_reply: the key thread_id');
SELECT pg_temp.fails(format($$SELECT chat.new_reply(%s, 1, 'c', extra => '{"message_id": 1}')$$, :t1), '22023',
                     'field "message_id" of model "message" cannot be set', 'new_reply: the key message_id');
SELECT pg_temp.fails(format($$SELECT chat.new_reply(%s, 1, 'c', extra => '{"shout": "HI"}')$$, :t1), '22023',
                     'field "shout" of model "message" cannot be set', 'new_reply: a generated column');
SELECT pg_temp.fails(format($$SELECT chat.new_reply(%s, 1, 'c', extra => '[{"priority": "high"}]')$$, :t1), '22023',
                     'extra must be a JSON object', 'new_reply: extra is an array');
SELECT pg_temp.fails(format($$SELECT chat.new_reply(%s, 1, 'c', extra => '"high"')$$, :t1), '22023',
                     'extra must be a JSON object', 'new_reply: extra is a string');
SELECT pg_temp.fails(format($$SELECT chat.new_reply(%s, 1, 'c', extra => 'null')$$, :t1), '22023',
                     'extra must be a JSON object', 'new_reply: extra is JSON null');
SELECT pg_temp.fails(format($$SELECT chat.new_reply(%s, 1, 'c', extra => '{"expiry_date": "soon"}')$$, :t1), '22P02',
                     'invalid value for field "expiry_date": "soon"', 'new_reply: not a timestamp');
SELECT pg_temp.fails(format($$SELECT chat.new_reply(%s, 1, 'c', extra => '{"is_pinned": "maybe"}')$$, :t1), '22P02',
                     'invalid value for field "is_pinned": "maybe"', 'new_reply: not a boolean');
SELECT pg_temp.fails(format($$SELECT chat.new_reply(%s, 1, 'c', extra => '{"score": 1.5}')$$, :t1), '22P02',
                     'invalid value for field "score": "1.5"', 'new_reply: not an integer');
SELECT pg_temp.fails(format($$SELECT chat.new_reply(%s, 1, 'c', extra => '{"score": 99999999999}')$$, :t1), '22P02',
                     'invalid value for field "score": "99999999999"', 'new_reply: out of range');
SELECT pg_temp.fails(format($$SELECT chat.new_reply(%s, 1, 'c', extra => '{"code": "toolong"}')$$, :t1), '22P02',
                     'invalid value for field "code": "toolong"', 'new_reply: longer than varchar(5)');
SELECT pg_temp.fails(format($$SELECT chat.new_reply(%s, 1, 'c', extra => '{"tags": {"a": 1}}')$$, :t1), '22P02',
                     'invalid value for field "tags": "{"a": 1}"', 'new_reply: an object for an array column');
SELECT pg_temp.fails(format($$SELECT chat.new_reply(%s, 1, 'c', extra => '{"priority": "high", "is_pinned": 7}')$$, :t1), '22P02',
                     'invalid value for field "is_pinned": "7"', 'new_reply: one bad field among good ones');
SELECT pg_temp.fails(format($$SELECT chat.new_reply(%s, 1, 'c', extra => '{"priority": "critical"}')$$, :t1), '23514',
                     'new row for relation "message_meta" violates check constraint "message_meta_priority_check"',
                     'new_reply: the table''s CHECK applies');
SELECT pg_temp.fails(format($$SELECT chat.new_reply(%s, 1, 'c', extra => '{"priority": null}')$$, :t1), '23502',
                     'null value in column "priority" of relation "message_meta" violates not-null constraint',
                     'new_reply: JSON null into a NOT NULL column');
SELECT pg_temp.fails($$SELECT chat.new_message(1, '{2}', 's', 'c', extra => '{"expiry_date": "2999-13-01"}')$$, '22P02',
                     'invalid value for field "expiry_date": "2999-13-01"', 'new_message: a bad field leaves no thread behind');
SELECT pg_temp.fails($$SELECT chat.new_message(1, '{2}', 's', 'c', extra => '{"nope": 1}')$$, '22023',
                     'unknown field "nope" for model "message"', 'new_message: unknown field');
SELECT pg_temp.fails(format($$SELECT chat._fill_extra('message', %s, NULL, NULL, '{}')$$, :t1), '22004',
                     'argument "message_id" must not be null', '_fill_extra: NULL message_id');
SELECT pg_temp.fails(format($$SELECT chat._fill_extra('member', %s, NULL, NULL, NULL)$$, :t1), '22004',
                     'argument "user_id" must not be null', '_fill_extra: NULL user_id for a member');
SELECT pg_temp.fails($$SELECT chat._fill_extra('thread', NULL, NULL, NULL, NULL)$$, '22004',
                     'argument "thread_id" must not be null', '_fill_extra: NULL thread_id');
SELECT pg_temp.fails(format($$SELECT chat._fill_extra('member', %s, NULL, 2, '{"user_id": 3}')$$, :t1), '22023',
                     'field "user_id" of model "member" cannot be set', '_fill_extra: the key user_id of a member');
SELECT pg_temp.fails(format($$SELECT chat._fill_extra('member', %s, NULL, 9, NULL)$$, :t1), '23503',
                     NULL, '_fill_extra: the foreign key refuses a row for a non-member');

/* ---- injection through keys, values and names ------------------------------------ */

SELECT pg_temp.fails(format($$SELECT chat.new_reply(%s, 1, 'c', extra => %L)$$, :t1,
                            '{"x\"; DROP TABLE myapp.message_meta; --": 1}'), '22023',
                     'unknown field "x"; DROP TABLE myapp.message_meta; --" for model "message"',
                     'a key with a quote and SQL is an unknown field');
SELECT pg_temp.fails(format($$SELECT chat.new_reply(%s, 1, 'c', extra => %L)$$, :t1,
                            '{"priority) SELECT 1, 1, ''x''; --": 1}'), '22023',
                     'unknown field "priority) SELECT 1, 1, ''x''; --" for model "message"',
                     'a key that closes the column list is an unknown field');
SELECT pg_temp.fails(format($$SELECT chat.new_reply(%s, 1, 'c', extra => %L)$$, :t1,
                            '{"\"priority\"": "high"}'), '22023',
                     'unknown field ""priority"" for model "message"', 'a quoted column name is an unknown field');
SELECT pg_temp.fails(format($$SELECT chat.new_reply(%s, 1, 'c', extra => %L)$$, :t1,
                            '{"priority": "high", "tableoid": 1}'), '22023',
                     'unknown field "tableoid" for model "message"', 'a system column is an unknown field');
SELECT pg_temp.fails(format($$SELECT chat.new_reply(%s, 1, 'c', extra => %L)$$, :t1,
                            '{"is_pinned": "true''); DROP TABLE myapp.message_meta; --"}'), '22P02',
                     'invalid value for field "is_pinned": "true''); DROP TABLE myapp.message_meta; --"',
                     'a value with SQL is only a bad value');
SELECT has_table('myapp', 'message_meta', 'myapp.message_meta is still there');

SELECT chat.new_reply(:t1, 2, 'sql in a value',
                      extra => jsonb_build_object('priority', 'low', 'code', $$');--$$,
                                                  'tags', jsonb_build_array('a''b', '"c"', 'x); DROP TABLE y; --'))) AS m_inj \gset
SELECT results_eq(format('SELECT code, tags FROM myapp.message_meta WHERE message_id = %s', :m_inj),
                  $$VALUES ($v$');--$v$::varchar, ARRAY['a''b', '"c"', 'x); DROP TABLE y; --'])$$,
                  'values with quotes and SQL are stored as they are');

/* a table and a column whose names need quoting */
CREATE TABLE myapp."odd ""meta""; DROP TABLE myapp.message_meta; --" (
    thread_id bigint PRIMARY KEY REFERENCES chat.thread (id) ON DELETE CASCADE,
    "Topic ""x""; --" text DEFAULT 'def'
);
SELECT lives_ok($$SELECT chat.swap_model('thread', 'myapp."odd ""meta""; DROP TABLE myapp.message_meta; --"')$$,
                'a table whose name needs quoting can be registered');
SELECT chat.new_message(1, '{2}', 'odd', 'names') AS m_odd \gset
SELECT thread_id AS t_odd FROM chat.message WHERE id = :m_odd \gset
SELECT lives_ok(format($$SELECT chat._fill_extra('thread', %s, NULL, NULL, '{"Topic \"x\"; --": "ok"}')$$, :t1),
                'a column whose name needs quoting is filled by its exact name');
SELECT results_eq(format($$SELECT extra FROM chat.inbox(1) WHERE thread_id IN (%s, %s) ORDER BY thread_id$$, :t1, :t_odd),
                  $$VALUES ('{"Topic \"x\"; --": "ok"}'::jsonb), ('{"Topic \"x\"; --": "def"}'::jsonb)$$,
                  'and read back through inbox');
SELECT has_table('myapp', 'message_meta', 'myapp.message_meta is still there');
SELECT lives_ok($$SELECT chat.swap_model('thread', 'myapp.thread_meta')$$, 'the thread table is swapped back');
SELECT pg_temp.rebase();

/* ---- filling ------------------------------------------------------------------------ */

SELECT chat.new_message(1, '{2,3}', 'meta', 'all fields',
                        extra => '{"priority": "urgent", "is_pinned": true, "expiry_date": "2999-01-01T00:00:00Z",
                                   "tags": ["a", "b"], "data": {"n": [1, {"x": null}]}, "raw": "just text",
                                   "code": "ab", "score": 3}') AS m2 \gset
SELECT thread_id AS t2 FROM chat.message WHERE id = :m2 \gset
SELECT results_eq(format($$SELECT priority, is_pinned, expiry_date, tags, data, raw::text, code::text, score, shout
                             FROM myapp.message_meta WHERE message_id = %s$$, :m2),
                  $$VALUES ('urgent', true, '2999-01-01T00:00:00Z'::timestamptz, ARRAY['a', 'b'],
                            '{"n": [1, {"x": null}]}'::jsonb, '"just text"', 'ab', 3, 'URGENT')$$,
                  'every field converted to its column: arrays from JSON arrays, JSON as it is into json and jsonb');
SELECT is((SELECT count(*)::int FROM myapp.thread_meta WHERE thread_id = :t2), 1,
          'new_message gave the new thread its row');
SELECT is((SELECT topic FROM myapp.thread_meta WHERE thread_id = :t2), 'general', 'filled with the defaults');

SELECT chat.new_reply(:t2, 2, 'no extra') AS m3 \gset
SELECT results_eq(format($$SELECT priority, is_pinned, expiry_date, tags, score FROM myapp.message_meta WHERE message_id = %s$$, :m3),
                  $$VALUES ('normal', false, NULL::timestamptz, NULL::text[], NULL::int)$$,
                  'a reply without extra gets a row of defaults');
SELECT chat.new_reply(:t2, 3, 'partial', extra => '{"is_pinned": true}') AS m4 \gset
SELECT results_eq(format($$SELECT priority, is_pinned FROM myapp.message_meta WHERE message_id = %s$$, :m4),
                  $$VALUES ('normal', true)$$, 'fields left out keep their defaults');
SELECT chat.new_reply(:t2, 3, 'empty', extra => '{}') AS m5 \gset
SELECT results_eq(format($$SELECT priority, is_pinned FROM myapp.message_meta WHERE message_id = %s$$, :m5),
                  $$VALUES ('normal', false)$$, 'extra {} is a row of defaults');
SELECT chat.new_reply(:t2, 2, 'nulls', extra => '{"expiry_date": null, "tags": null, "score": "42"}') AS m6 \gset
SELECT results_eq(format($$SELECT expiry_date, tags, score FROM myapp.message_meta WHERE message_id = %s$$, :m6),
                  $$VALUES (NULL::timestamptz, NULL::text[], 42)$$,
                  'JSON null stores NULL; a string converts to a number column');
SELECT is((SELECT count(*)::int FROM chat.message m
             LEFT JOIN myapp.message_meta x ON x.thread_id = m.thread_id AND x.message_id = m.id
            WHERE m.thread_id = :t2 AND x.message_id IS NULL), 0,
          'every message sent since the swap has its row');
SELECT is((SELECT count(*)::int FROM myapp.member_meta WHERE thread_id = :t2), 3,
          'new_message gave every member (sender and both recipients) its row');
-- fill member 2's again by hand
DELETE FROM myapp.member_meta WHERE thread_id = :t2 AND user_id IN (2, 3);
SELECT lives_ok(format($$SELECT chat._fill_extra('member', %s, NULL, 2, '{"nickname": "bobby"}')$$, :t2),
                '_fill_extra fills a member row');
SELECT is((SELECT nickname FROM myapp.member_meta WHERE thread_id = :t2 AND user_id = 2), 'bobby',
          'keyed by thread and user');
SELECT throws_ok(format($$SELECT chat._fill_extra('message', %s, %s, NULL, NULL)$$, :t2, :m2), '23505', NULL,
                 'a record gets one row: a second fill is a duplicate');

/* ---- reading ------------------------------------------------------------------------ */

SELECT is((SELECT extra FROM chat.messages(:t2, 1) WHERE id = :m2),
          (SELECT to_jsonb(x) - 'thread_id' - 'message_id' FROM myapp.message_meta x WHERE x.message_id = :m2),
          'messages: extra is the row without its key');
SELECT ok((SELECT NOT (extra ? 'thread_id') AND NOT (extra ? 'message_id') AND extra ? 'shout'
             FROM chat.messages(:t2, 1) WHERE id = :m2),
          'messages: without the key columns, with every other (generated ones too)');
SELECT is((SELECT count(*)::int FROM chat.messages(:t2, 3) WHERE extra IS NULL), 0,
          'messages: every message of the page has its extra');
SELECT results_eq(format($$SELECT id, extra ->> 'is_pinned' FROM chat.messages(%s, 3, after => %s, page_size => 2)$$, :t2, :m2),
                  format($$VALUES (%s::bigint, 'false'), (%s, 'true')$$, :m3, :m4),
                  'messages: a page after a message carries the extras of its own messages');
SELECT results_eq(format($$SELECT id, extra ->> 'priority' FROM chat.messages(%s, 3, before => %s, page_size => 1)$$, :t2, :m3),
                  format($$VALUES (%s::bigint, 'urgent')$$, :m2),
                  'messages: a page before a message too');
SELECT is((SELECT extra FROM chat.inbox(1) WHERE thread_id = :t2), '{"topic": "general"}'::jsonb,
          'inbox: extra is the thread''s row without its key');
SELECT is((SELECT extra FROM chat.inbox(1) WHERE thread_id = :t1), NULL,
          'inbox: a thread without a row has no extra');
SELECT results_eq(format($$SELECT thread_id, extra FROM chat.inbox(2, page_size => 1)$$),
                  format($$VALUES (%s::bigint, '{"topic": "general"}'::jsonb)$$, :t2),
                  'inbox: a page of one');
SELECT results_eq($$SELECT thread_id FROM chat.inbox(2)$$,
                  $$SELECT thread_id FROM chat.member WHERE user_id = 2 ORDER BY activity_id DESC, thread_id DESC$$,
                  'inbox: the same threads in the same order as before');

/* a hostile search_path changes nothing: chat's dynamic SQL runs with chat's path */
CREATE FUNCTION myapp.to_jsonb(anyelement) RETURNS jsonb LANGUAGE sql AS $$ SELECT '{"hijacked": true}'::jsonb $$;
CREATE FUNCTION myapp.jsonb_to_record(jsonb) RETURNS record LANGUAGE sql AS $$ SELECT NULL::record $$;
SET LOCAL search_path = myapp, pg_catalog, public;
SELECT is((SELECT extra ->> 'priority' FROM chat.messages(:t2, 1) WHERE id = :m2), 'urgent',
          'messages: to_jsonb is pg_catalog''s whatever the caller''s search_path');
SELECT lives_ok(format($$SELECT chat._fill_extra('member', %s, NULL, 3, '{"nickname": "c"}')$$, :t2),
                '_fill_extra: jsonb_to_record is pg_catalog''s whatever the caller''s search_path');
RESET search_path;
SELECT is((SELECT nickname FROM myapp.member_meta WHERE thread_id = :t2 AND user_id = 3), 'c', 'and filled the row');

/* renderers */
SELECT lives_ok($$SELECT chat.swap_renderer('message', 'myapp.render(jsonb)')$$, 'swap_renderer registers a renderer');
SELECT is((SELECT extra FROM chat.messages(:t2, 1) WHERE id = :m5),
          '{"raw": null, "code": null, "data": null, "tags": null, "score": null, "shout": "NORMAL", "priority": "normal", "is_pinned": false, "rendered": true, "expiry_date": null}'::jsonb,
          'messages: extra is what the renderer returns for the default rendering');
SELECT is((SELECT extra FROM chat.messages(:t1, 1) WHERE id = :m1), NULL,
          'messages: a message without a row is not rendered');
SELECT is((SELECT extra FROM chat.inbox(1) WHERE thread_id = :t2), '{"topic": "general"}'::jsonb,
          'inbox: the message renderer does not touch threads');
SELECT lives_ok($$SELECT chat.swap_renderer('thread', 'pg_catalog.jsonb_strip_nulls(jsonb)')$$,
                'a built-in function can be a renderer');
UPDATE myapp.thread_meta SET topic = 'x' WHERE thread_id = :t2;
SELECT is((SELECT extra FROM chat.inbox(1) WHERE thread_id = :t2), '{"topic": "x"}'::jsonb, 'inbox: rendered by it');
SELECT lives_ok($$SELECT chat.swap_renderer('message', 'myapp.render_null(jsonb)')$$, 'swapping a renderer replaces it');
SELECT is((SELECT count(*)::int FROM chat.messages(:t2, 1) WHERE extra IS NULL),
          (SELECT count(*)::int FROM chat.messages(:t2, 1)),
          'a renderer returning NULL gives NULL extra');
SELECT results_eq($$SELECT model, tbl::text, renderer::text FROM chat.model ORDER BY model$$,
                  $$VALUES ('member', 'myapp.member_meta', NULL::text),
                           ('message', 'myapp.message_meta', 'myapp.render_null(jsonb)'),
                           ('thread', 'myapp.thread_meta', 'jsonb_strip_nulls(jsonb)')$$,
                  'chat.model holds the tables and renderers');

/* unregistering */
SELECT lives_ok($$SELECT chat.swap_model('message', NULL)$$, 'swap_model(model, NULL) unregisters the table');
SELECT results_eq($$SELECT tbl::text, renderer::text FROM chat.model WHERE model = 'message'$$,
                  $$VALUES (NULL::text, 'myapp.render_null(jsonb)')$$, 'and keeps the renderer');
SELECT is((SELECT count(*)::int FROM chat.messages(:t2, 1) WHERE extra IS NOT NULL), 0,
          'messages: no extra once unregistered, though the rows are there');
SELECT chat.new_reply(:t2, 1, 'after unregistering') AS m7 \gset
SELECT is((SELECT count(*)::int FROM myapp.message_meta WHERE message_id = :m7), 0, 'new messages get no row');
SELECT lives_ok($$SELECT chat.swap_renderer('message', NULL)$$, 'swap_renderer(model, NULL) unregisters the renderer');
SELECT is((SELECT count(*)::int FROM chat.model WHERE model = 'message'), 0, 'and with no table left, the row goes');
SELECT lives_ok($$SELECT chat.swap_renderer('message', 'myapp.render(jsonb)')$$, 'a renderer can be registered alone');
SELECT lives_ok($$SELECT chat.swap_renderer('message', NULL)$$, 'and unregistered');
SELECT lives_ok($$SELECT chat.swap_model('member', NULL)$$, 'unregistering a table without renderer');
SELECT is((SELECT count(*)::int FROM chat.model WHERE model = 'member'), 0, 'deletes its row');
SELECT lives_ok($$SELECT chat.swap_model('member', NULL)$$, 'unregistering twice is harmless');

/* dropped tables and renderers are forgotten */
SELECT lives_ok($$SELECT chat.swap_model('message', 'myapp.message_meta')$$, 'the message table is swapped again');
SELECT lives_ok($$SELECT chat.swap_renderer('message', 'myapp.render(jsonb)')$$, 'with a renderer');
SET LOCAL client_min_messages = error;   -- the warnings below are expected
DROP FUNCTION myapp.render(jsonb);
SELECT results_eq($$SELECT tbl::text, renderer::text FROM chat.model WHERE model = 'message'$$,
                  $$VALUES ('myapp.message_meta', NULL::text)$$, 'a dropped renderer is forgotten');
SELECT isnt((SELECT extra FROM chat.messages(:t2, 1) WHERE id = :m2), NULL, 'and extra is the default rendering again');
DROP TABLE myapp.thread_meta;
SET LOCAL client_min_messages = warning;
SELECT is((SELECT count(*)::int FROM chat.model WHERE model = 'thread'), 1, 'a dropped table is forgotten...');
SELECT is((SELECT tbl FROM chat.model WHERE model = 'thread'), NULL, '...its renderer kept');
SELECT is((SELECT count(*)::int FROM chat.inbox(1) WHERE extra IS NOT NULL), 0, 'inbox: no extra');
SELECT lives_ok($$SELECT chat.new_message(1, '{2}', 's', 'after the drop')$$, 'new threads are sent as before');

/* the registry's cost when nothing is swapped: the reading functions do not render */
SELECT lives_ok($$SELECT chat.swap_renderer('thread', NULL)$$, 'the thread renderer goes');
SELECT lives_ok($$SELECT chat.swap_model('message', NULL)$$, 'and the message table');
SELECT is((SELECT count(*)::int FROM chat.model), 0, 'nothing is swapped');
CREATE FUNCTION pg_temp.calls_of_extras() RETURNS bigint
    LANGUAGE sql AS $$ SELECT coalesce((SELECT calls FROM pg_stat_xact_user_functions
                                          WHERE funcid = 'chat._extras(text, bigint[], bigint[])'::regprocedure), 0) $$;
SET LOCAL track_functions = 'all';
SELECT pg_temp.calls_of_extras() AS extras_before \gset
SELECT is((SELECT count(*)::int FROM chat.messages(:t2, 1) WHERE extra IS NULL) > 0
          AND (SELECT count(*)::int FROM chat.inbox(1) WHERE extra IS NULL) > 0, true,
          'messages and inbox read pages without a model');
SELECT is(pg_temp.calls_of_extras(), :extras_before::bigint, 'without calling the renderer of pages');
SELECT lives_ok($$SELECT chat.swap_model('message', 'myapp.message_meta')$$, 'with a model swapped');
SELECT is((SELECT count(*)::int FROM chat.messages(:t2, 1)) > 1, true, 'a page of several messages');
SELECT is(pg_temp.calls_of_extras(), :extras_before::bigint + 1, 'is rendered with one call');

/* ---- reactions and attachments --------------------------------------------------- */

CREATE TABLE myapp.reaction_meta (
    thread_id  bigint,
    message_id bigint,
    user_id    chat.user_id,
    reaction   text,
    weight     integer NOT NULL DEFAULT 1 CHECK (weight BETWEEN 1 AND 5),
    note       text,
    PRIMARY KEY (thread_id, message_id, user_id, reaction),
    FOREIGN KEY (thread_id, message_id, user_id, reaction) REFERENCES chat.reaction ON DELETE CASCADE
);
CREATE TABLE myapp.attachment_meta (
    thread_id  bigint,
    message_id bigint,
    position   integer,
    scanned    boolean NOT NULL DEFAULT false,
    thumbnail  text,
    PRIMARY KEY (thread_id, message_id, position),
    FOREIGN KEY (thread_id, message_id, position) REFERENCES chat.attachment ON DELETE CASCADE
);
CREATE FUNCTION myapp.render_part(extra jsonb) RETURNS jsonb
    LANGUAGE sql AS $$ SELECT extra || '{"rendered": true}' $$;
/* the state now covers reactions, attachments and their tables */
CREATE OR REPLACE FUNCTION pg_temp.state() RETURNS text
    LANGUAGE sql AS $$
    SELECT md5(concat_ws('|',
               (SELECT string_agg(m::text, ',' ORDER BY m.thread_id, m.id) FROM chat.message m),
               (SELECT string_agg(m::text, ',' ORDER BY m.model) FROM chat.model m),
               (SELECT string_agg(r::text, ',' ORDER BY r.thread_id, r.message_id, r.user_id, r.reaction) FROM chat.reaction r),
               (SELECT string_agg(a::text, ',' ORDER BY a.thread_id, a.message_id, a.position) FROM chat.attachment a),
               (SELECT string_agg(x::text, ',' ORDER BY x.thread_id, x.message_id, x.user_id, x.reaction) FROM myapp.reaction_meta x),
               (SELECT string_agg(x::text, ',' ORDER BY x.thread_id, x.message_id, x.position) FROM myapp.attachment_meta x),
               (SELECT count(*) FROM chat.event e)))
$$;
SELECT pg_temp.rebase();

SELECT pg_temp.fails(format($$SELECT chat.add_reaction(%s, 1, 'up', '{"weight": 2}')$$, :m2), '22023',
                     'extra needs a swapped model', 'add_reaction: extra without a swapped model');
SELECT pg_temp.fails($$SELECT chat.new_message(1, '{2}', 's', 'c', attachments => '[{"key": "k", "extra": {}}]')$$, '22023',
                     'extra needs a swapped model', 'new_message: an attachment''s extra without a swapped model');
SELECT pg_temp.fails($$SET LOCAL ROLE chat_models_end_user; SELECT chat.swap_model('reaction', NULL)$$,
                     '42501', 'permission denied to swap models', 'swap_model reaction: an end user');
SELECT pg_temp.fails($$SET LOCAL ROLE chat_models_end_user; SELECT chat.swap_renderer('attachment', NULL)$$,
                     '42501', 'permission denied to swap renderers', 'swap_renderer attachment: an end user');

SELECT lives_ok($$SELECT chat.swap_model('reaction', 'myapp.reaction_meta')$$, 'swap_model registers the reaction table');
SELECT lives_ok($$SELECT chat.swap_model('attachment', 'myapp.attachment_meta')$$, 'swap_model registers the attachment table');
SELECT pg_temp.rebase();

/* reactions: extra in */
SELECT is(chat.add_reaction(:m2, 1, 'up', '{"weight": 3, "note": "yes"}'), true, 'add_reaction with extra');
SELECT is(chat.add_reaction(:m2, 2, 'up'), true, 'add_reaction without extra');
SELECT is(chat.toggle_reaction(:m2, 2, 'down', '{"note": "no"}'), true, 'toggle_reaction adds with extra');
SELECT results_eq(format($$SELECT user_id::bigint, reaction, weight, note FROM myapp.reaction_meta
                            WHERE thread_id = %s AND message_id = %s ORDER BY reaction, user_id$$, :t2, :m2),
                  $$VALUES (2::bigint, 'down', 1, 'no'), (1, 'up', 3, 'yes'), (2, 'up', 1, NULL)$$,
                  'each new reaction has its row: extra''s fields, defaults for the others');
SELECT pg_temp.rebase();
SELECT pg_temp.fails(format($$SELECT chat.add_reaction(%s, 3, 'up', '{"colour": "red"}')$$, :m2), '22023',
                     'unknown field "colour" for model "reaction"', 'add_reaction: unknown field');
SELECT pg_temp.fails(format($$SELECT chat.add_reaction(%s, 3, 'up', '{"weight": "heavy"}')$$, :m2), '22P02',
                     'invalid value for field "weight": "heavy"', 'add_reaction: a value that does not convert');
SELECT pg_temp.fails(format($$SELECT chat.add_reaction(%s, 3, 'up', '{"user_id": 1}')$$, :m2), '22023',
                     'field "user_id" of model "reaction" cannot be set', 'add_reaction: a key field');
SELECT pg_temp.fails(format($$SELECT chat.add_reaction(%s, 3, 'up', '[1]')$$, :m2), '22023',
                     'extra must be a JSON object', 'add_reaction: extra not an object');
SELECT pg_temp.fails(format($$SELECT chat.add_reaction(%s, 3, 'up', '{"weight": 9}')$$, :m2), '23514',
                     'new row for relation "reaction_meta" violates check constraint "reaction_meta_weight_check"',
                     'add_reaction: the application''s constraint');
SELECT pg_temp.fails(format($$SELECT chat.add_reaction(%s, 1, 'up', '{"colour": "red"}')$$, :m2), '22023',
                     'unknown field "colour" for model "reaction"', 'add_reaction: extra is checked for a reaction the user had');
SELECT pg_temp.fails(format($$SELECT chat.toggle_reaction(%s, 1, 'up', '{"colour": "red"}')$$, :m2), '22023',
                     'unknown field "colour" for model "reaction"', 'toggle_reaction: extra is checked before removing');
SELECT is(chat.add_reaction(:m2, 1, 'up', '{"weight": 5}'), false, 'add_reaction of a reaction the user had');
SELECT is((SELECT weight FROM myapp.reaction_meta WHERE message_id = :m2 AND user_id = 1 AND reaction = 'up'), 3,
          'leaves its row as it was');

/* reactions: extra out */
SELECT is((SELECT reactions FROM chat.messages(:t2, 1) WHERE id = :m2),
          '[{"reaction": "up", "count": 2, "users": [1, 2],
             "extra": {"1": {"weight": 3, "note": "yes"}, "2": {"weight": 1, "note": null}}},
            {"reaction": "down", "count": 1, "users": [2], "extra": {"2": {"weight": 1, "note": "no"}}}]'::jsonb,
          'messages: each reaction''s extra, by user');
SELECT results_eq(format($$SELECT reaction, user_id::bigint, extra FROM chat.reaction_users(%s, 1)$$, :m2),
                  $$VALUES ('up', 1::bigint, '{"weight": 3, "note": "yes"}'::jsonb), ('up', 2, '{"weight": 1, "note": null}'),
                           ('down', 2, '{"weight": 1, "note": "no"}')$$,
                  'reaction_users: each user''s reaction with its extra, oldest first');
SELECT lives_ok($$SELECT chat.swap_renderer('reaction', 'myapp.render_part(jsonb)')$$, 'a reaction renderer');
SELECT is((SELECT reactions -> 1 -> 'extra' FROM chat.messages(:t2, 1) WHERE id = :m2),
          '{"2": {"weight": 1, "note": "no", "rendered": true}}'::jsonb, 'messages: reactions'' extra rendered');
SELECT results_eq(format($$SELECT user_id::bigint, extra FROM chat.reaction_users(%s, 1, 'down')$$, :m2),
                  $$VALUES (2::bigint, '{"weight": 1, "note": "no", "rendered": true}'::jsonb)$$,
                  'reaction_users: one reaction''s, rendered');
CREATE TABLE myapp.seen (payload jsonb);
CREATE FUNCTION myapp.keep(payload jsonb) RETURNS void
    LANGUAGE sql AS $$ INSERT INTO myapp.seen VALUES (payload) $$;
SELECT chat.add_hook('reaction_added', 'myapp.keep(jsonb)') \g /dev/null
SELECT chat.add_reaction(:m1, 3, 'wow') \g /dev/null
SELECT is((SELECT payload ->> 'rendered' FROM myapp.seen WHERE payload ->> 'reaction' = 'wow'), 'true',
          'the reaction renderer renders reaction events too');
SELECT chat.remove_hook('reaction_added', 'myapp.keep(jsonb)') \g /dev/null

/* reactions: removing one removes its row */
SELECT is(chat.toggle_reaction(:m2, 2, 'down'), false, 'toggle_reaction removes');
SELECT is(chat.remove_reaction(:m2, 1, 'up'), true, 'remove_reaction removes');
SELECT results_eq(format($$SELECT user_id::bigint, reaction FROM myapp.reaction_meta WHERE message_id = %s$$, :m2),
                  $$VALUES (2::bigint, 'up')$$, 'the removed reactions'' rows are gone (ON DELETE CASCADE)');

/* attachments: extra in */
SELECT chat.new_reply(:t2, 1, 'files', attachments => '[{"key": "a"}, {"key": "b", "extra": {"scanned": true, "thumbnail": "b.png"}},
                                                        {"key": "c", "extra": null}]') AS ma \gset
SELECT results_eq(format($$SELECT position, scanned, thumbnail FROM myapp.attachment_meta WHERE message_id = %s ORDER BY position$$, :ma),
                  $$VALUES (1, false, NULL::text), (2, true, 'b.png'), (3, false, NULL)$$,
                  'new_reply: each attachment has its row, from its extra (null: none given)');
SELECT chat.new_message(1, '{2}', 'files', NULL, attachments => '[{"key": "d", "extra": {"thumbnail": "d.png"}}]') AS md \gset
SELECT is((SELECT thumbnail FROM myapp.attachment_meta WHERE message_id = :md), 'd.png', 'new_message: the same');
SELECT pg_temp.rebase();
SELECT pg_temp.fails(format($$SELECT chat.new_reply(%s, 1, 'x', attachments => '[{"key": "k"}, {"key": "l", "extra": {"virus": 1}}]')$$, :t2),
                     '22023', 'unknown field "virus" for model "attachment"', 'new_reply: an attachment''s unknown field');
SELECT pg_temp.fails(format($$SELECT chat.new_reply(%s, 1, 'x', attachments => '[{"key": "k", "extra": {"scanned": "perhaps"}}]')$$, :t2),
                     '22P02', 'invalid value for field "scanned": "perhaps"', 'new_reply: an attachment''s bad value');
SELECT pg_temp.fails(format($$SELECT chat.new_reply(%s, 1, 'x', attachments => '[{"key": "k", "extra": {"position": 2}}]')$$, :t2),
                     '22023', 'field "position" of model "attachment" cannot be set', 'new_reply: an attachment''s key field');
SELECT pg_temp.fails($$SELECT chat.new_message(1, '{2}', 's', 'x', attachments => '[{"key": "k", "extra": [true]}]')$$,
                     '22023', 'attachment 1: "extra" must be a JSON object', 'new_message: an attachment''s extra not an object');

/* attachments: extra out */
SELECT is((SELECT jsonb_agg(a -> 'extra' ORDER BY (a ->> 'position')::int)
             FROM chat.messages(:t2, 1) m, jsonb_array_elements(m.attachments) a WHERE m.id = :ma),
          '[{"scanned": false, "thumbnail": null}, {"scanned": true, "thumbnail": "b.png"}, {"scanned": false, "thumbnail": null}]'::jsonb,
          'messages: each attachment''s extra');
SELECT lives_ok($$SELECT chat.swap_renderer('attachment', 'myapp.render_part(jsonb)')$$, 'an attachment renderer');
SELECT is((SELECT m.attachments -> 1 -> 'extra' FROM chat.messages(:t2, 1) m WHERE m.id = :ma),
          '{"scanned": true, "thumbnail": "b.png", "rendered": true}'::jsonb, 'messages: attachments'' extra rendered');
DELETE FROM myapp.attachment_meta WHERE message_id = :ma AND position = 3;
SELECT is((SELECT m.attachments -> 2 -> 'extra' FROM chat.messages(:t2, 1) m WHERE m.id = :ma), 'null'::jsonb,
          'an attachment without a row has extra null');

/* forwarding copies the rows */
SELECT chat.forward_message(:ma, :t1, 1) AS mf \gset
SELECT results_eq(format($$SELECT position, scanned, thumbnail FROM myapp.attachment_meta WHERE message_id = %s ORDER BY position$$, :mf),
                  $$VALUES (1, false, NULL::text), (2, true, 'b.png'), (3, false, NULL)$$,
                  'forward_message: the copies have the originals'' rows (defaults for one without)');

/* unregistered: no extra out, none accepted */
SELECT lives_ok($$SELECT chat.swap_model('reaction', NULL)$$, 'the reaction table unregistered');
SELECT lives_ok($$SELECT chat.swap_model('attachment', NULL)$$, 'the attachment table unregistered');
SELECT is((SELECT bool_or(r ? 'extra') FROM chat.messages(:t2, 1) m, jsonb_array_elements(m.reactions || m.attachments) r),
          false, 'messages: no extra in reactions or attachments');
SELECT is((SELECT count(*)::int FROM chat.reaction_users(:m2, 1) WHERE extra IS NOT NULL), 0, 'reaction_users: extra NULL');
SELECT pg_temp.rebase();
SELECT pg_temp.fails(format($$SELECT chat.toggle_reaction(%s, 3, 'up', '{"weight": 2}')$$, :m2), '22023',
                     'extra needs a swapped model', 'toggle_reaction: extra without a swapped model');

/* the counters are untouched by the models */
SELECT is((SELECT count(*)::int FROM chat.verify_unread()), 0, 'unread counters are exact after all of it');

SELECT * FROM finish();
ROLLBACK;
