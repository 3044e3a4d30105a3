-- chat.use_user_table (SPEC §2): every refusal with its SQLSTATE and nothing
-- changed, the three delete modes with exact counters, the insert trigger and
-- the event triggers that keep the keys with the binding row, uuid user ids.
BEGIN;
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;
DROP EXTENSION IF EXISTS chat CASCADE;
SET LOCAL chat.user_id_type = 'bigint';
SET LOCAL chat.user_id = '';
CREATE EXTENSION chat;

SELECT plan(142);

/* ---- shape ---------------------------------------------------------------- */

SELECT has_function('chat', 'use_user_table', ARRAY['regclass', 'name', 'text', 'regprocedure'],
                    'chat.use_user_table(regclass, name, text, regprocedure)');
SELECT function_returns('chat', 'use_user_table', ARRAY['regclass', 'name', 'text', 'regprocedure'], 'void',
                        'use_user_table returns void');
SELECT has_function('chat', 'display_name', ARRAY['chat.user_id'], 'chat.display_name(chat.user_id)');
SELECT volatility_is('chat', 'display_name', ARRAY['chat.user_id'], 'stable', 'display_name is STABLE');
SELECT is((SELECT p.pronargdefaults::int FROM pg_proc p
            WHERE p.oid = 'chat.use_user_table(regclass, name, text, regprocedure)'::regprocedure),
          3, 'id_column, on_delete and display_name have defaults');
SELECT columns_are('chat', 'member_view', ARRAY['thread_id', 'user_id', 'display_name', 'role', 'joined_at', 'muted'],
                   'chat.member_view columns');
SELECT columns_are('chat', 'message_view', ARRAY['thread_id', 'id', 'sender_id', 'sender_name', 'kind', 'content',
                                                 'sent_at', 'edited', 'deleted', 'parent_id', 'forwarded_from'],
                   'chat.message_view columns');
SELECT ok(has_function_privilege('public', 'chat.use_user_table(regclass, name, text, regprocedure)', 'EXECUTE'),
          'PUBLIC may call use_user_table, which refuses end users itself');
SELECT trigger_is('chat', 'user_binding', 'user_binding_apply', 'chat', '_user_binding_insert',
                  'an inserted binding row adds its keys');
SELECT is((SELECT array_agg(evtname::text || ':' || evtevent ORDER BY evtname) FROM pg_event_trigger
            WHERE evtfoid IN ('chat._user_binding_ddl()'::regprocedure, 'chat._user_binding_dropped()'::regprocedure)),
          ARRAY['chat_user_binding_ddl:ddl_command_end', 'chat_user_binding_dropped:sql_drop'],
          'two event triggers follow the users table');

/* ---- fixture ---------------------------------------------------------------- */

CREATE TABLE public.app_user (id bigint PRIMARY KEY, name text NOT NULL);
INSERT INTO public.app_user SELECT g, 'user ' || g FROM generate_series(1, 20) g;
CREATE FUNCTION public.app_user_name(id bigint) RETURNS text
    LANGUAGE sql STABLE AS $$ SELECT u.name FROM public.app_user u WHERE u.id = $1 $$;
CREATE FUNCTION public.app_user_name_domain(id chat.user_id) RETURNS text
    LANGUAGE sql STABLE AS $$ SELECT 'domain ' || $1 $$;

/*
 * Users 1, 2, 3 in t1: 2 answers 1, 3 answers 2, 1 reads, 2 writes again;
 * 2 and 4 in t2.  Returns t1.
 */
CREATE FUNCTION pg_temp.conversation() RETURNS bigint
    LANGUAGE plpgsql AS $$
DECLARE
    m1 bigint;
    m2 bigint;
    t1 bigint;
    t2 bigint;
BEGIN
    DELETE FROM chat.thread;
    INSERT INTO public.app_user SELECT g, 'user ' || g FROM generate_series(1, 20) g ON CONFLICT DO NOTHING;
    m1 := chat.new_message(1, '{2,3}', 'Lunch', 'Pizza at noon?');
    t1 := (SELECT thread_id FROM chat.message WHERE id = m1);
    m2 := chat.new_reply(t1, 2, 'Yes!', parent_id => m1);
    PERFORM chat.new_reply(t1, 3, 'Count me in', parent_id => m2);
    PERFORM chat.mark_read(t1, 1);
    PERFORM chat.new_reply(t1, 2, 'I booked a table');
    m1 := chat.new_message(2, '{4}', 'Hi', 'Hello Dan');
    t2 := (SELECT thread_id FROM chat.message WHERE id = m1);
    PERFORM chat.new_reply(t2, 4, 'Hi Bob');
    RETURN t1;
END
$$;

/* The binding and chat's rows, in one comparable text (as the superuser, whatever the role). */
CREATE FUNCTION pg_temp.state() RETURNS text
    LANGUAGE sql SECURITY DEFINER AS $$
    SELECT concat_ws(' | ',
        (SELECT string_agg(b::text, ',') FROM chat.user_binding b),
        (SELECT string_agg(format('%s.%s %s %s', c.conrelid::regclass, c.conname, pg_get_constraintdef(c.oid), c.convalidated),
                           ', ' ORDER BY c.conname)
           FROM pg_constraint c WHERE c.contype = 'f'
            AND c.conrelid IN ('chat.thread'::regclass, 'chat.member'::regclass, 'chat.message'::regclass)
            AND c.confrelid NOT IN ('chat.thread'::regclass, 'chat.member'::regclass, 'chat.message'::regclass)),
        md5(concat_ws('|',
            (SELECT string_agg(t::text, ',' ORDER BY t.id) FROM chat.thread t),
            (SELECT string_agg(m::text, ',' ORDER BY m.thread_id, m.user_id) FROM chat.member m),
            (SELECT string_agg(m::text, ',' ORDER BY m.thread_id, m.id) FROM chat.message m),
            (SELECT string_agg(u::text, ',' ORDER BY u.id) FROM public.app_user u)))
    )
$$;
CREATE TEMP TABLE baseline AS SELECT pg_temp.state() AS state;
CREATE FUNCTION pg_temp.baseline() RETURNS text
    LANGUAGE sql SECURITY DEFINER AS $$ SELECT state FROM baseline $$;

/* Two assertions: the call fails as expected, and nothing changed. */
CREATE FUNCTION pg_temp.fails(sql text, code text, msg text, what text) RETURNS SETOF text
    LANGUAGE plpgsql AS $$
BEGIN
    RETURN NEXT throws_ok(sql, code, msg, what);
    RETURN NEXT is(pg_temp.state(), pg_temp.baseline(), what || ': nothing changed');
END
$$;
CREATE FUNCTION pg_temp.rebase() RETURNS void
    LANGUAGE sql AS $$ UPDATE baseline SET state = pg_temp.state() $$;

/* The DETAIL of the error a statement raises. */
CREATE FUNCTION pg_temp.detail(sql text) RETURNS text
    LANGUAGE plpgsql AS $$
DECLARE
    d text;
BEGIN
    EXECUTE sql;
    RETURN NULL;
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS d = PG_EXCEPTION_DETAIL;
    RETURN d;
END
$$;

/* The keys of the binding as "conname:action:validated". */
CREATE FUNCTION pg_temp.keys() RETURNS text
    LANGUAGE sql AS $$
    SELECT string_agg(format('%s:%s:%s', c.conname, c.confdeltype, c.convalidated), ' ' ORDER BY c.conname)
      FROM pg_constraint c
     WHERE c.contype = 'f' AND c.conname IN ('member_user_fkey', 'message_sender_fkey',
                                             'thread_created_by_fkey', 'thread_last_sender_fkey')
$$;

SELECT pg_temp.conversation() AS t1 \gset
SELECT lives_ok($$SELECT chat.use_user_table('public.app_user', display_name => 'public.app_user_name(bigint)')$$,
                'bind to public.app_user with a display name');
SELECT is(pg_temp.keys(),
          'member_user_fkey:c:t message_sender_fkey:c:t thread_created_by_fkey:n:t thread_last_sender_fkey:n:t',
          'cascade: memberships and messages cascade, thread columns set null, all validated');
SELECT is((SELECT format('%s/%s/%s/%s', tbl, id_column, on_delete, display_name) FROM chat.user_binding),
          'app_user/id/cascade/app_user_name(bigint)', 'the binding row');
SELECT pg_temp.rebase() \g /dev/null

/* ---- every refusal, and nothing changed --------------------------------- */

SELECT pg_temp.fails($$SELECT chat.use_user_table('public.app_user', id_column => NULL)$$, '22004',
                     'argument "id_column" must not be null', 'NULL id_column');
SELECT pg_temp.fails($$SELECT chat.use_user_table('public.app_user', on_delete => NULL)$$, '22004',
                     'argument "on_delete" must not be null', 'NULL on_delete');
SELECT pg_temp.fails($$SELECT chat.use_user_table('public.app_user', on_delete => 'CASCADE')$$, '22023',
                     'invalid on_delete "CASCADE"', 'on_delete is lower case');
SELECT pg_temp.fails($$SELECT chat.use_user_table('public.app_user', on_delete => 'set null')$$, '22023',
                     'invalid on_delete "set null"', 'unknown on_delete');
CREATE VIEW public.app_user_view AS SELECT * FROM public.app_user;
SELECT pg_temp.fails($$SELECT chat.use_user_table('public.app_user_view')$$, '42809',
                     '"public.app_user_view" is not a table', 'a view');
CREATE TEMP TABLE temp_user (id bigint PRIMARY KEY);
SELECT pg_temp.fails($$SELECT chat.use_user_table('temp_user')$$, '42809',
                     '"temp_user" is not a permanent table', 'a temporary table');
SELECT pg_temp.fails($$SELECT chat.use_user_table('public.app_user', 'uid')$$, '42703',
                     'column "uid" of table "public.app_user" does not exist', 'missing id column');
SELECT pg_temp.fails($$SELECT chat.use_user_table('public.app_user', 'ctid')$$, '42703',
                     'column "ctid" of table "public.app_user" does not exist', 'a system column is not an id column');
SELECT pg_temp.fails($$SELECT chat.use_user_table('public.app_user', 'name')$$, '42804',
                     'column "name" of table "public.app_user" is of type text, but chat''s user ids are of type bigint',
                     'text id column for bigint user ids');
-- an integer id column is accepted for bigint ids (0.7): here it refuses only for the missing users
CREATE TABLE public.int_user (id integer PRIMARY KEY);
SELECT pg_temp.fails($$SELECT chat.use_user_table('public.int_user')$$, '23503',
                     'chat refers to users that are not in table "public.int_user"',
                     'integer id column for bigint user ids: accepted, the users are checked');
CREATE TABLE public.loose_user (id bigint, team integer, UNIQUE (id, team));
CREATE UNIQUE INDEX loose_user_partial ON public.loose_user (id) WHERE team > 0;
SELECT pg_temp.fails($$SELECT chat.use_user_table('public.loose_user')$$, '42P10',
                     'column "id" of table "public.loose_user" has no unique constraint',
                     'neither a two-column key nor a partial unique index will do');
SELECT pg_temp.fails($$SELECT chat.use_user_table('public.app_user', display_name => 'pg_catalog.abs(bigint)')$$, '42883',
                     'function "abs(bigint)" cannot be a display name function', 'display name returning bigint');
SELECT pg_temp.fails($$SELECT chat.use_user_table('public.app_user', display_name => 'pg_catalog.upper(text)')$$, '42883',
                     'function "upper(text)" cannot be a display name function', 'display name taking text');
SELECT pg_temp.fails($$SELECT chat.use_user_table('public.app_user', display_name => 'pg_catalog.concat_ws(text, "any")')$$, '42883',
                     'function "concat_ws(text,"any")" cannot be a display name function', 'display name taking two arguments');
CREATE FUNCTION public.names(id bigint) RETURNS SETOF text LANGUAGE sql AS $$ SELECT 'x' $$;
SELECT pg_temp.fails($$SELECT chat.use_user_table('public.app_user', display_name => 'public.names(bigint)')$$, '42883',
                     'function "public.names(bigint)" cannot be a display name function', 'display name returning a set');
CREATE PROCEDURE public.name_proc(id bigint) LANGUAGE sql AS $$ SELECT 1 $$;
SELECT pg_temp.fails($$SELECT chat.use_user_table('public.app_user', display_name => 'public.name_proc(bigint)')$$, '42883',
                     'function "public.name_proc(bigint)" cannot be a display name function', 'a procedure');

-- users chat refers to that the table lacks: 23503 with how many, before any key is touched
CREATE TABLE public.few_user (id bigint PRIMARY KEY);
INSERT INTO public.few_user VALUES (1), (3);
SELECT pg_temp.fails($$SELECT chat.use_user_table('public.few_user')$$, '23503',
                     'chat refers to users that are not in table "public.few_user"', 'users missing from the table');
SELECT is(pg_temp.detail($$SELECT chat.use_user_table('public.few_user')$$),
          '2 user ids in chat''s tables are missing from column "id": "2", "4".',
          'the DETAIL counts and names the missing users');
SELECT chat.new_message(u, ARRAY[u + 1], 'many', 'x') FROM generate_series(5, 11) u \g /dev/null
SELECT pg_temp.rebase() \g /dev/null
SELECT is(pg_temp.detail($$SELECT chat.use_user_table('public.few_user')$$),
          '10 user ids in chat''s tables are missing from column "id": "2", "4", "5", "6", "7", ....',
          'the DETAIL names the first five of many');
SELECT is(pg_temp.state(), (SELECT state FROM baseline), 'many missing users: nothing changed');
SELECT pg_temp.conversation() AS t1 \gset
SELECT pg_temp.rebase() \g /dev/null

-- only a server role binds (chat 0.4: PUBLIC may call, the function refuses)
CREATE ROLE regress_chat_users_app;
SET LOCAL ROLE regress_chat_users_app;
SELECT pg_temp.fails($$SELECT chat.use_user_table(NULL)$$, '42501',
                     'permission denied to bind the users table', 'an application role cannot call use_user_table');
RESET ROLE;
GRANT ALL ON FUNCTION chat.use_user_table(regclass, name, text, regprocedure) TO regress_chat_users_app;
SET LOCAL ROLE regress_chat_users_app;
SELECT pg_temp.fails($$SELECT chat.use_user_table(NULL)$$, '42501',
                     'permission denied to bind the users table', 'granted EXECUTE, still not a server role');
RESET ROLE;

-- a sender can be removed, never replaced (55000 as in 0.1)
SELECT pg_temp.fails(format($$UPDATE chat.message SET sender_id = 3 WHERE thread_id = %s AND sender_id = 2$$, :t1), '55000',
                     format('cannot change the id, thread, sender or kind of message %s',
                            (SELECT min(id) FROM chat.message WHERE thread_id = :t1 AND sender_id = 2)),
                     'a message cannot change sender');

-- a user chat knows cannot disappear from under it
SELECT pg_temp.fails($$UPDATE public.app_user SET id = 99 WHERE id = 2$$, '23503',
                     'update or delete on table "app_user" violates foreign key constraint "member_user_fkey" on table "member"',
                     'a user id chat refers to cannot change');
SELECT pg_temp.fails($$SELECT chat.new_message(1, '{42}', 's', 'c')$$, '23503',
                     'insert or update on table "member" violates foreign key constraint "member_user_fkey"',
                     'no membership for a user not in the table');

/* ---- cascade --------------------------------------------------------------- */

SELECT lives_ok('DELETE FROM public.app_user WHERE id = 2', 'cascade: delete user 2');
SELECT is_empty('SELECT * FROM chat.verify_unread()', 'cascade: counters exact');
SELECT is((SELECT count(*) FROM chat.message WHERE sender_id = 2), 0::bigint, 'cascade: user 2''s messages are gone');
SELECT is((SELECT count(*) FROM chat.member WHERE user_id = 2), 0::bigint, 'cascade: and memberships');
SELECT is((SELECT string_agg(format('%s:%s', sender_id, parent_id IS NULL), ' ' ORDER BY id)
             FROM chat.message WHERE thread_id = :t1),
          '1:t 3:t', 'cascade: the answer to a deleted message is no longer a reply');
SELECT is((SELECT format('%s/%s/%s/%s', created_by, member_count, message_count, last_sender_id)
             FROM chat.thread WHERE id = :t1 + 1),
          '/1/1/4', 'cascade: user 2''s thread has no creator, one member, Dan''s message');
SELECT is((SELECT format('%s/%s', threads, messages) FROM chat.unread_count(1)), '0/0', 'cascade: user 1 has nothing unread');
SELECT is((SELECT format('%s/%s/%s', last_sender_id, unread_count, member_count) FROM chat.inbox(3)),
          '3/0/2', 'cascade: inbox of user 3');

/* ---- anonymize ------------------------------------------------------------- */

SELECT pg_temp.conversation() AS t1 \gset
SELECT lives_ok($$SELECT chat.use_user_table('public.app_user', on_delete => 'anonymize')$$, 'rebind: anonymize');
SELECT is(pg_temp.keys(),
          'member_user_fkey:c:t message_sender_fkey:n:t thread_created_by_fkey:n:t thread_last_sender_fkey:n:t',
          'anonymize: memberships cascade, messages and thread columns set null');
SELECT is((SELECT display_name FROM chat.user_binding), NULL, 'rebinding without display_name drops it');
SELECT lives_ok('DELETE FROM public.app_user WHERE id = 2', 'anonymize: delete user 2');
SELECT is_empty('SELECT * FROM chat.verify_unread()', 'anonymize: counters exact');
SELECT is((SELECT string_agg(format('%s:%s', coalesce(sender_id::text, '-'), content), ' ' ORDER BY id)
             FROM chat.message WHERE thread_id = :t1),
          '1:Pizza at noon? -:Yes! 3:Count me in -:I booked a table', 'anonymize: messages kept without a sender');
SELECT is((SELECT count(*) FROM chat.member WHERE user_id = 2), 0::bigint, 'anonymize: memberships gone');
SELECT is((SELECT format('%s/%s/%s/%s', created_by, member_count, message_count, coalesce(last_sender_id::text, '-'))
             FROM chat.thread WHERE id = :t1),
          '1/2/4/-', 'anonymize: thread keeps its messages, last sender is anonymous');
SELECT is((SELECT format('%s/%s', threads, messages) FROM chat.unread_count(1)), '1/1',
          'anonymize: the anonymous message is still unread for user 1');
SELECT is((SELECT format('%s/%s', threads, messages) FROM chat.unread_count(3)), '1/1',
          'anonymize: and for user 3');
SELECT is((SELECT mark_read FROM chat.mark_read(:t1, 3)), 1::bigint, 'anonymize: user 3 reads it');
SELECT is_empty('SELECT * FROM chat.verify_unread()', 'anonymize: counters exact after mark_read');
SELECT is((SELECT count(*) FROM chat.messages(:t1, 1)), 4::bigint, 'anonymize: messages() lists all four');
SELECT lives_ok(format($$SELECT chat.new_reply(%s, 3, 'Where did Bob go?')$$, :t1), 'anonymize: the thread goes on');
SELECT is_empty('SELECT * FROM chat.verify_unread()', 'anonymize: counters exact after a reply');
-- anonymizing by hand: the thread's last sender follows its newest message
SELECT chat.new_reply(:t1, 1, 'Alice last') AS last \gset
SELECT lives_ok(format('UPDATE chat.message SET sender_id = NULL WHERE id = %s', :last), 'a sender may be set to NULL');
SELECT is((SELECT last_sender_id FROM chat.thread WHERE id = :t1), NULL, 'the thread''s last sender follows');

/* ---- restrict ---------------------------------------------------------------- */

SELECT pg_temp.conversation() AS t1 \gset
SELECT lives_ok($$SELECT chat.use_user_table('public.app_user', on_delete => 'restrict')$$, 'rebind: restrict');
SELECT is(pg_temp.keys(),
          'member_user_fkey:r:t message_sender_fkey:r:t thread_created_by_fkey:r:t thread_last_sender_fkey:r:t',
          'restrict: every key restricts');
SELECT pg_temp.rebase() \g /dev/null
SELECT pg_temp.fails('DELETE FROM public.app_user WHERE id = 2', '23503',
                     'update or delete on table "app_user" violates foreign key constraint "member_user_fkey" on table "member"',
                     'restrict: a member cannot be deleted');
DELETE FROM chat.member WHERE user_id = 2;
SELECT pg_temp.rebase() \g /dev/null
SELECT pg_temp.fails('DELETE FROM public.app_user WHERE id = 2', '23503',
                     'update or delete on table "app_user" violates foreign key constraint "message_sender_fkey" on table "message"',
                     'restrict: a former member with messages cannot be deleted');
SELECT lives_ok('DELETE FROM public.app_user WHERE id = 20', 'restrict: a user chat does not know can be deleted');

/* ---- removing and replacing --------------------------------------------- */

SELECT pg_temp.conversation() AS t1 \gset
SELECT lives_ok('SELECT chat.use_user_table(NULL)', 'unbind');
SELECT is(pg_temp.keys(), NULL, 'unbind: no keys');
SELECT is((SELECT count(*) FROM chat.user_binding), 0::bigint, 'unbind: no binding row');
SELECT lives_ok('SELECT chat.use_user_table(NULL)', 'unbinding twice is fine');
SELECT lives_ok('DELETE FROM public.app_user WHERE id = 2', 'unbound: deleting a user leaves chat alone');
SELECT is((SELECT count(*) FROM chat.member WHERE user_id = 2), 2::bigint, 'unbound: memberships stay');
SELECT pg_temp.rebase() \g /dev/null
SELECT pg_temp.fails($$SELECT chat.use_user_table('public.app_user')$$, '23503',
                     'chat refers to users that are not in table "public.app_user"', 'binding again needs user 2 back');
INSERT INTO public.app_user VALUES (2, 'user 2');
SELECT lives_ok($$SELECT chat.use_user_table('public.app_user', display_name => 'public.app_user_name_domain(chat.user_id)')$$,
                'bind with a display name taking chat.user_id');
SELECT is(chat.display_name(7), 'domain 7', 'display_name calls it');
SELECT is((SELECT string_agg(display_name, ',' ORDER BY user_id) FROM chat.member_view WHERE thread_id = :t1),
          'domain 1,domain 2,domain 3', 'member_view names the members');
SELECT is(chat.display_name(NULL), NULL, 'display_name(NULL) is NULL');

-- the binding moves to another table; an error leaves the previous one whole
CREATE TABLE public.account (uid bigint PRIMARY KEY);
INSERT INTO public.account SELECT id FROM public.app_user;
SELECT lives_ok($$SELECT chat.use_user_table('public.account', 'uid', 'anonymize')$$, 'move to public.account(uid)');
SELECT is((SELECT string_agg(DISTINCT c.confrelid::regclass::text || '.' || a.attname, ',')
             FROM pg_constraint c JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = c.confkey[1]
            WHERE c.conname IN ('member_user_fkey', 'message_sender_fkey', 'thread_created_by_fkey', 'thread_last_sender_fkey')),
          'account.uid', 'every key references public.account(uid)');
SELECT pg_temp.rebase() \g /dev/null
SELECT pg_temp.fails($$SELECT chat.use_user_table('public.few_user', on_delete => 'restrict')$$, '23503',
                     'chat refers to users that are not in table "public.few_user"', 'a failed move keeps the binding');

/* ---- the row is the truth: insert trigger and event triggers ------------ */

-- a row inserted directly (as COPY does on a restore) adds NOT VALID keys; binding again validates
SELECT chat.use_user_table(NULL) \g /dev/null
INSERT INTO chat.user_binding (tbl, id_column, on_delete) VALUES ('public.app_user', 'id', 'restrict');
SELECT is(pg_temp.keys(),
          'member_user_fkey:r:f message_sender_fkey:r:f thread_created_by_fkey:r:f thread_last_sender_fkey:r:f',
          'an inserted row adds its keys, NOT VALID');
SELECT lives_ok($$SELECT chat.use_user_table('public.app_user', on_delete => 'restrict')$$, 'bind again');
SELECT is(pg_temp.keys(),
          'member_user_fkey:r:t message_sender_fkey:r:t thread_created_by_fkey:r:t thread_last_sender_fkey:r:t',
          'binding again validates them, without adding any twice');
SELECT is((SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND confrelid = 'public.app_user'::regclass),
          4::bigint, 'four keys in all');

-- a restore: the row arrives before the users table has its primary key
SELECT chat.use_user_table(NULL) \g /dev/null
CREATE TABLE public.restored_user (id bigint, name text);
INSERT INTO chat.user_binding (tbl, id_column, on_delete) VALUES ('public.restored_user', 'id', 'cascade');
SELECT is(pg_temp.keys(), NULL, 'no key while the users table has no unique key');
INSERT INTO public.restored_user SELECT id, name FROM public.app_user;
ALTER TABLE public.restored_user ADD PRIMARY KEY (id);
SELECT is(pg_temp.keys(),
          'member_user_fkey:c:f message_sender_fkey:c:f thread_created_by_fkey:n:f thread_last_sender_fkey:n:f',
          'its primary key brings the keys, NOT VALID');
SELECT lives_ok('DELETE FROM public.restored_user WHERE id = 3', 'delete a user of the restored table');
SELECT is((SELECT count(*) FROM chat.member WHERE user_id = 3), 0::bigint, 'the restored keys cascade');
SELECT is_empty('SELECT * FROM chat.verify_unread()', 'counters exact');
SELECT lives_ok($$SELECT chat.use_user_table('public.restored_user')$$, 'binding again');
SELECT is(pg_temp.keys(),
          'member_user_fkey:c:t message_sender_fkey:c:t thread_created_by_fkey:n:t thread_last_sender_fkey:n:t',
          'validates the restored keys');
-- the same with a unique index created by CREATE INDEX
SELECT chat.use_user_table(NULL) \g /dev/null
ALTER TABLE public.restored_user DROP CONSTRAINT restored_user_pkey;
INSERT INTO chat.user_binding (tbl, id_column, on_delete) VALUES ('public.restored_user', 'id', 'restrict');
SELECT is(pg_temp.keys(), NULL, 'no key without a unique index');
CREATE UNIQUE INDEX restored_user_id ON public.restored_user (id);
SELECT is(pg_temp.keys(),
          'member_user_fkey:r:f message_sender_fkey:r:f thread_created_by_fkey:r:f thread_last_sender_fkey:r:f',
          'CREATE UNIQUE INDEX brings the keys');

-- DDL by a role without rights on chat is never broken by the event trigger
SELECT chat.use_user_table(NULL) \g /dev/null
CREATE TABLE public.role_table (id bigint);
ALTER TABLE public.role_table OWNER TO regress_chat_users_app;
GRANT CREATE ON SCHEMA public TO regress_chat_users_app;
INSERT INTO chat.user_binding (tbl, id_column, on_delete) VALUES ('public.role_table', 'id', 'cascade');
SET LOCAL ROLE regress_chat_users_app;
SELECT lives_ok('ALTER TABLE public.role_table ADD COLUMN note text', 'the table''s owner alters it');
SELECT is(pg_temp.keys(), NULL, 'no keys: the users table has no unique key yet');
SELECT lives_ok('ALTER TABLE public.role_table ADD PRIMARY KEY (id)', 'the table''s owner adds its primary key');
RESET ROLE;
SELECT is(pg_temp.keys(),
          'member_user_fkey:c:f message_sender_fkey:c:f thread_created_by_fkey:n:f thread_last_sender_fkey:n:f',
          'the event trigger added the keys with its definer''s rights');
SELECT chat.use_user_table(NULL) \g /dev/null

-- a renamed id column is followed; a dropped table or function is forgotten
SELECT chat.use_user_table('public.app_user', display_name => 'public.app_user_name(bigint)');
ALTER TABLE public.app_user RENAME COLUMN id TO user_id;
SELECT is((SELECT id_column::text FROM chat.user_binding), 'user_id', 'the binding follows a renamed id column');
SELECT lives_ok($$SELECT chat.use_user_table('public.app_user', 'user_id', display_name => 'public.app_user_name(bigint)')$$,
                'and binding with the new name works');
SET LOCAL client_min_messages = error;
DROP FUNCTION public.app_user_name(bigint);
SELECT is((SELECT display_name FROM chat.user_binding), NULL, 'a dropped display name function is forgotten');
SELECT is(chat.display_name(1), NULL, 'display_name is NULL then');
SELECT throws_ok('DROP TABLE public.app_user', '2BP01', NULL, 'the bound table cannot be dropped alone');
SELECT lives_ok('DROP TABLE public.app_user CASCADE', 'DROP TABLE ... CASCADE drops chat''s keys');
SELECT is((SELECT count(*) FROM chat.user_binding), 0::bigint, 'and the binding is forgotten');
SELECT is(pg_temp.keys(), NULL, 'no keys left');
SET LOCAL client_min_messages = warning;

/* ---- uuid user ids ----------------------------------------------------------- */

DROP EXTENSION chat CASCADE;
SET LOCAL chat.user_id_type = 'uuid';
CREATE EXTENSION chat;
CREATE TABLE public.auth_users (id uuid PRIMARY KEY, email text);
INSERT INTO public.auth_users VALUES ('00000000-0000-0000-0000-00000000000a', 'a@example.com'),
                                     ('00000000-0000-0000-0000-00000000000b', 'b@example.com'),
                                     ('00000000-0000-0000-0000-00000000000c', 'c@example.com');
CREATE FUNCTION public.auth_email(id uuid) RETURNS text
    LANGUAGE sql STABLE AS $$ SELECT u.email FROM public.auth_users u WHERE u.id = $1 $$;
CREATE TABLE public.big_users (id bigint PRIMARY KEY);
SELECT throws_ok($$SELECT chat.use_user_table('public.big_users')$$, '42804',
                 'column "id" of table "public.big_users" is of type bigint, but chat''s user ids are of type uuid',
                 'uuid: a bigint id column does not fit');
CREATE FUNCTION public.big_name(id bigint) RETURNS text LANGUAGE sql AS $$ SELECT 'x' $$;
SELECT throws_ok($$SELECT chat.use_user_table('public.auth_users', display_name => 'public.big_name(bigint)')$$, '42883',
                 'function "public.big_name(bigint)" cannot be a display name function',
                 'uuid: a display name function of bigint does not fit');
SELECT chat.new_message('00000000-0000-0000-0000-00000000000a', '{00000000-0000-0000-0000-00000000000b,00000000-0000-0000-0000-00000000000c}',
                        'uuid', 'hello') AS um1 \gset
SELECT thread_id AS ut FROM chat.message WHERE id = :um1 \gset
SELECT chat.new_reply(:ut, '00000000-0000-0000-0000-00000000000b', 'hi from b') \g /dev/null
SELECT lives_ok($$SELECT chat.use_user_table('public.auth_users', on_delete => 'anonymize', display_name => 'public.auth_email(uuid)')$$,
                'uuid: bind auth_users, anonymize');
SELECT is((SELECT string_agg(sender_name, ',' ORDER BY id) FROM chat.message_view WHERE thread_id = :ut),
          'a@example.com,b@example.com', 'uuid: message_view names the senders');
SELECT lives_ok($$DELETE FROM public.auth_users WHERE email = 'b@example.com'$$, 'uuid: delete user b');
SELECT is((SELECT string_agg(coalesce(sender_name, '-') || ':' || content, ',' ORDER BY id) FROM chat.message_view WHERE thread_id = :ut),
          'a@example.com:hello,-:hi from b', 'uuid: b''s message stays, anonymous');
SELECT is((SELECT member_count FROM chat.thread WHERE id = :ut), 2, 'uuid: two members left');
SELECT is_empty('SELECT * FROM chat.verify_unread()', 'uuid: counters exact');
SELECT is((SELECT format('%s/%s', threads, messages) FROM chat.unread_count('00000000-0000-0000-0000-00000000000c')),
          '1/2', 'uuid: c still has both messages unread');

SELECT * FROM finish();
ROLLBACK;
