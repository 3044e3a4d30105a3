-- Settings and registrations are checked when they are made, so that no
-- accepted value can make later calls fail; limits have safe defaults.
BEGIN;
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;
DROP EXTENSION IF EXISTS chat CASCADE;
CREATE EXTENSION chat;
SELECT plan(29);

CREATE TABLE public.app_user (id bigint PRIMARY KEY, name text);
INSERT INTO public.app_user SELECT g, 'user ' || g FROM generate_series(1, 5) g;
CREATE FUNCTION public.rows_hook(event jsonb) RETURNS SETOF int LANGUAGE sql AS $$ SELECT 1 $$;
CREATE FUNCTION public.ok_hook(event jsonb) RETURNS void LANGUAGE sql AS $$ SELECT $$;
SELECT max(oid)::int + 100000 AS no_function FROM pg_proc \gset

/* ---- a function given by OID must exist ----------------------------------------------- */

SELECT throws_ok(format($$SELECT chat.add_hook('message_sent', %s::oid::regprocedure)$$, :no_function),
                 '42883', format('function with OID %s does not exist', :no_function),
                 'add_hook: a function that does not exist');
SELECT throws_ok(format($$SELECT chat.swap_renderer('message', %s::oid::regprocedure)$$, :no_function),
                 '42883', format('function with OID %s does not exist', :no_function),
                 'swap_renderer: a function that does not exist');
SELECT throws_ok(format($$SELECT chat.use_user_table('public.app_user', display_name => %s::oid::regprocedure)$$, :no_function),
                 '42883', format('function with OID %s does not exist', :no_function),
                 'use_user_table: a display-name function that does not exist');
SELECT throws_ok($$SELECT chat.add_hook('message_sent', 'public.rows_hook(jsonb)')$$,
                 '42883', 'function public.rows_hook(jsonb) cannot be a hook', 'add_hook: a set-returning function');
SELECT is((SELECT count(*) FROM chat.hook), 0::bigint, 'none of them was registered');
SELECT is((SELECT count(*) FROM chat.model), 0::bigint, 'nor swapped');
SELECT is((SELECT count(*) FROM chat.user_binding), 0::bigint, 'nor bound');
SELECT ok(chat.add_hook('message_sent', 'public.ok_hook(jsonb)'), 'a hook returning void is registered');
SELECT lives_ok($$SELECT chat.new_message(1, '{2}', 's', 'after the registrations')$$, 'and sends still work');

/* ---- text settings are measured as NOTIFY measures them: in bytes ------------------------ */

SELECT throws_ok($$SELECT chat.set_setting('notify_channel', to_jsonb(repeat('é', 32)))$$,
                 '22023', format('value %s is out of range for setting "notify_channel"', to_jsonb(repeat('é', 32))),
                 'notify_channel: 32 two-byte characters are 64 bytes, over the 63 of a channel name');
SELECT is(chat.set_setting('notify_channel', to_jsonb(repeat('é', 31))), to_jsonb(repeat('é', 31)),
          'notify_channel: 31 of them (62 bytes) are accepted');
SELECT lives_ok($$SELECT chat.new_reply(1, 1, 'on the accepted channel')$$, 'and a send notifies on it');
SELECT chat.set_setting('notify_channel', NULL) \g /dev/null

/* ---- identity and object keys ------------------------------------------------------------ */

SELECT set_config('request.jwt.claims', '{"sub": ""}', true) \g /dev/null
SELECT is(chat.current_user_id(), NULL, 'an empty JWT "sub" is no user');
SELECT set_config('request.jwt.claims', '', true) \g /dev/null
SELECT set_config('chat.user_id', '', true) \g /dev/null
SELECT is(chat.current_user_id(), NULL, 'as an empty chat.user_id is none');
SELECT throws_ok($$SELECT chat.object_thread(' ', 'x', 1)$$, '22023', 'an object''s type and id must not be blank',
                 'object_thread: a blank object type');
SELECT throws_ok($$SELECT chat.object_thread('doc', '', 1)$$, '22023', 'an object''s type and id must not be blank',
                 'object_thread: an empty object id');
SELECT throws_ok($$SELECT chat.object_thread('doc', repeat('x', 256), 1)$$, '22001',
                 'an object''s type and id are at most 255 characters', 'object_thread: an object id of 256 characters');
SELECT is((SELECT count(*) FROM chat.thread WHERE object_type IS NOT NULL), 0::bigint, 'no room was made');

/* ---- room size: a safe default ------------------------------------------------------------ */

SELECT is(chat.get_setting('max_members'), '10000'::jsonb, 'max_members is 10,000 by default');
SELECT throws_ok($$SELECT chat.create_group(1, 'too big', ARRAY(SELECT g::chat.user_id FROM generate_series(2, 10001) g))$$,
                 '54000', NULL, 'a room of 10,001 members is refused in one call');
SELECT is((SELECT count(*) FROM chat.thread WHERE subject = 'too big'), 0::bigint, 'before it exists');
SELECT lives_ok($$SELECT chat.create_group(1, 'full', ARRAY(SELECT g::chat.user_id FROM generate_series(2, 10000) g))$$,
                'a room of exactly 10,000 members is made');
SELECT throws_ok($$SELECT chat.new_message(1, ARRAY(SELECT g::chat.user_id FROM generate_series(2, 10001) g), 's', 'x')$$,
                 '54000', 'too many members for a new thread', 'new_message to 10,000 recipients (10,001 members) is refused');
SELECT is((SELECT count(*) FROM chat.thread WHERE subject = 's' AND member_count > 100), 0::bigint, 'before the thread exists');
SELECT is_empty('SELECT * FROM chat.verify_unread()', 'counters exact');

/* ---- a refused value is not echoed whole ------------------------------------------------- */

SELECT throws_ok($$SELECT chat.inbox(1, folder => repeat('x', 100000))$$, '22023',
                 'invalid folder "' || repeat('x', 256) || '..."', 'an unknown folder of 100,000 characters: 256 of them in the message');
SELECT throws_ok($$SELECT chat.get_setting(repeat('é', 200))$$, '22023',
                 'unknown setting "' || repeat('é', 128) || '..."', 'an unknown setting key: 256 bytes of it, whole characters (C)');

/* ---- a swapped model must not make later records fail ------------------------------------- */

CREATE TABLE public.message_strict (thread_id bigint, message_id bigint, must text NOT NULL,
                                    PRIMARY KEY (thread_id, message_id),
                                    FOREIGN KEY (thread_id, message_id) REFERENCES chat.message (thread_id, id) ON DELETE CASCADE);
SELECT throws_ok($$SELECT chat.swap_model('message', 'public.message_strict')$$, '42P16',
                 'column "must" of table "public.message_strict" is NOT NULL without a default',
                 'swap_model: a column outside the key that is NOT NULL without a default');
SELECT is((SELECT count(*) FROM chat.model), 0::bigint, 'nothing swapped');

SELECT * FROM finish();
ROLLBACK;
