-- What applications built on chat met (Django, Node, PostgREST): deleting
-- users as the application's own role, display names end users cannot read,
-- identity on pooled connections, integer user tables, machine-readable
-- error reasons.  Every call runs as a role that is not a superuser.
BEGIN;
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;
DROP EXTENSION IF EXISTS chat CASCADE;
CREATE EXTENSION chat;
SELECT plan(46);

DROP ROLE IF EXISTS regress_cl_app, regress_cl_web, regress_cl_anon;
CREATE ROLE regress_cl_app;      -- the application's server role, owner of its users table
CREATE ROLE regress_cl_web;      -- an end user's role (PostgREST's "authenticated")
CREATE ROLE regress_cl_anon;     -- a role with no chat user
SELECT chat.set_setting('server_roles', '["regress_cl_app"]') \g /dev/null
SELECT chat.map_role('regress_cl_web', 2) \g /dev/null

/*
 * The error a statement raises as a role, as "SQLSTATE constraint column:
 * message" (constraint and column are "-" when unset), or "ok".
 */
CREATE FUNCTION pg_temp.error_of(r text, sql text) RETURNS text
    LANGUAGE plpgsql AS $$
DECLARE
    state text;
    reason text;
    arg text;
    msg text;
BEGIN
    EXECUTE format('SET LOCAL ROLE %I', r);
    BEGIN
        EXECUTE sql;
    EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, reason = CONSTRAINT_NAME,
                                arg = COLUMN_NAME, msg = MESSAGE_TEXT;
        RESET ROLE;
        RETURN format('%s %s %s: %s', state, coalesce(nullif(reason, ''), '-'),
                      coalesce(nullif(arg, ''), '-'), msg);
    END;
    RESET ROLE;
    RETURN 'ok';
END
$$;

/* ---- deleting users of a bound users table, as the table's owner ------------------------- */

CREATE TABLE public.app_user (id integer PRIMARY KEY, name text);   -- Django's auth_user has integer ids
ALTER TABLE public.app_user OWNER TO regress_cl_app;
INSERT INTO public.app_user SELECT g, 'user ' || g FROM generate_series(1, 9) g;

SELECT lives_ok($$SELECT chat.use_user_table('public.app_user', 'id', 'cascade')$$,
                'an integer users table binds to chat''s bigint ids');
SELECT chat.new_message(1, '{2,3}', 'cascade', 'hello') \g /dev/null
SELECT chat.new_reply(1, 2, 'hi') \g /dev/null
SET LOCAL ROLE regress_cl_app;
SELECT lives_ok($$DELETE FROM public.app_user WHERE id = 9$$, 'cascade: the app role deletes a user chat never saw');
SELECT lives_ok($$DELETE FROM public.app_user WHERE id = 2$$, 'cascade: and a member who wrote');
RESET ROLE;
SELECT is((SELECT count(*) FROM chat.member WHERE user_id = 2), 0::bigint, 'cascade: the member rows are gone');
SELECT is((SELECT count(*) FROM chat.message WHERE sender_id = 2), 0::bigint, 'cascade: so are the messages');
SELECT is_empty('SELECT * FROM chat.verify_unread()', 'cascade: counters exact');

SELECT chat.use_user_table('public.app_user', 'id', 'restrict') \g /dev/null
SELECT is(pg_temp.error_of('regress_cl_app', 'DELETE FROM public.app_user WHERE id = 3'),
          '23503 member_user_fkey -: update or delete on table "app_user" violates foreign key constraint "member_user_fkey" on table "member"',
          'restrict: a user chat knows cannot be deleted');
SELECT is(pg_temp.error_of('regress_cl_app', 'DELETE FROM public.app_user WHERE id = 8'), 'ok',
          'restrict: a user chat never saw can');

SELECT chat.use_user_table('public.app_user', 'id', 'anonymize') \g /dev/null
SELECT chat.new_message(4, '{5}', 'anonymize', 'from four') AS m_t2 \gset
SELECT thread_id AS t2 FROM chat.message WHERE id = :m_t2 \gset
SET LOCAL ROLE regress_cl_app;
SELECT lives_ok($$DELETE FROM public.app_user WHERE id = 5$$, 'anonymize: the app role deletes a member');
SELECT lives_ok($$DELETE FROM public.app_user WHERE id = 4$$, 'anonymize: and the thread''s creator, the sender');
RESET ROLE;
SELECT is((SELECT created_by FROM chat.thread WHERE id = :t2), NULL::chat.user_id, 'anonymize: created_by is NULL');
SELECT is((SELECT count(*) FROM chat.message WHERE thread_id = :t2 AND sender_id IS NULL), 1::bigint,
          'anonymize: the message stays, without a sender');
SELECT is_empty('SELECT * FROM chat.verify_unread()', 'anonymize: counters exact');

-- a user who created a thread earlier in the same transaction (a Django TestCase)
SAVEPOINT same_transaction;
INSERT INTO public.app_user VALUES (10, 'ten'), (11, 'eleven');
SELECT chat.new_message(10, '{11}', 'same transaction', 'x') AS m_t3 \gset
SELECT thread_id AS t3 FROM chat.message WHERE id = :m_t3 \gset
SET LOCAL ROLE regress_cl_app;
SELECT lives_ok($$DELETE FROM public.app_user WHERE id = 10$$,
                'anonymize: the creator of a thread made in the same transaction is deleted');
RESET ROLE;
SELECT lives_ok($$SET CONSTRAINTS ALL IMMEDIATE$$, 'anonymize: and the keys checked at commit hold');
SELECT is((SELECT created_by FROM chat.thread WHERE id = :t3), NULL::chat.user_id, 'anonymize: that thread''s creator is NULL');
RELEASE SAVEPOINT same_transaction;
SELECT is_empty('SELECT * FROM chat.verify_unread()', 'counters exact after the same-transaction delete');

/* ---- a display-name function end users cannot run usefully ------------------------------ */

INSERT INTO public.app_user VALUES (2, 'user 2');      -- deleted above

REVOKE ALL ON public.app_user FROM PUBLIC;
CREATE FUNCTION public.user_name(bigint) RETURNS text LANGUAGE sql STABLE
    AS $$ SELECT name FROM public.app_user WHERE id = $1 $$;
SELECT chat.use_user_table('public.app_user', 'id', 'anonymize', display_name => 'public.user_name(bigint)') \g /dev/null
SELECT chat.new_message(1, '{3}', 'names', 'x') AS m_t4 \gset
SELECT thread_id AS t4 FROM chat.message WHERE id = :m_t4 \gset
SET LOCAL client_min_messages = error;   -- the one WARNING of the failing function
SELECT is(pg_temp.error_of('regress_cl_web', format($$SELECT chat.new_reply(%s, content => 'hi')$$, :t4)),
          '42501 not_member -: user "2" is not a member of thread ' || :t4,
          'a send by an end user is refused for its own reason only');
SELECT chat.add_members(:t4, 1, '{2}') \g /dev/null
SELECT is(pg_temp.error_of('regress_cl_web', format($$SELECT chat.new_reply(%s, content => 'hi')$$, :t4)), 'ok',
          'an end user sends though the display-name function fails for it');
SET LOCAL ROLE regress_cl_web;
SELECT is((SELECT display_name FROM chat.member_view WHERE thread_id = :t4 AND user_id = 1), NULL,
          'and reads member_view, the name NULL');
RESET ROLE;
SET LOCAL client_min_messages = warning;
SELECT is((SELECT display_name FROM chat.member_view WHERE thread_id = :t4 AND user_id = 1), 'user 1',
          'a role that may read the users table gets the name');
ALTER FUNCTION public.user_name(bigint) SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
SET LOCAL ROLE regress_cl_web;
SELECT is((SELECT display_name FROM chat.member_view WHERE thread_id = :t4 AND user_id = 1), 'user 1',
          'the README''s recipe (SECURITY DEFINER) gives end users the name');
RESET ROLE;

/* ---- identity on a pooled connection ----------------------------------------------------- */

SELECT set_config('chat.user_id', '4', true) \g /dev/null
SELECT set_config('request.jwt.claims', '{"sub": "2"}', true) \g /dev/null
SELECT is(pg_temp.error_of('regress_cl_anon', 'SELECT chat.inbox()'),
          '42501 identity_conflict -: chat.user_id is "4" but the JWT claims are for user "2"',
          'a leftover chat.user_id and verified claims naming two users: refused');
SELECT is(pg_temp.error_of('regress_cl_app', 'SELECT chat.current_user_id()'),
          '42501 identity_conflict -: chat.user_id is "4" but the JWT claims are for user "2"',
          'also for a server role asking who the session is');
SELECT is(pg_temp.error_of('regress_cl_app', 'SELECT chat.inbox(viewer => 1)'), 'ok',
          'a server role passing the user explicitly is not affected');
SELECT set_config('chat.user_id', '2', true) \g /dev/null
SELECT is(pg_temp.error_of('regress_cl_anon', 'SELECT chat.inbox()'), 'ok', 'the same user twice is no conflict');
SELECT set_config('chat.user_id', '', true) \g /dev/null
-- chat.propagate_identity (PostgREST's db-pre-request on Citus) changes nothing on one node
SELECT set_config('request.jwt.claims', '{"sub": "2"}', true) \g /dev/null
SET LOCAL ROLE regress_cl_anon;
SELECT lives_ok('SELECT chat.propagate_identity()', 'an end user may call propagate_identity: without Citus it does nothing');
SELECT is(chat.current_user_id()::text || '|' || current_setting('request.jwt.claims') || '|' ||
          coalesce(current_setting('citus.propagate_set_commands', true), 'unset'),
          '2|{"sub": "2"}|unset', '... the claims and the session stay as they were');
RESET ROLE;
SELECT set_config('request.jwt.claims', '', true) \g /dev/null
SELECT is(pg_temp.error_of('regress_cl_anon', 'SELECT chat.inbox()'),
          '42501 no_user -: role "regress_cl_anon" has no chat user', 'no identity at all');
SELECT is(pg_temp.error_of('regress_cl_app', 'SELECT chat.inbox()'),
          '22004 - viewer: argument "viewer" must not be null', 'a server role that forgot the user: 22004 on "viewer"');
SELECT is(pg_temp.error_of('regress_cl_app', format('SELECT chat.new_reply(%s, content => %L)', :t4, 'x')),
          '22004 - sender: argument "sender" must not be null', 'and on "sender" (new_reply, in C)');
DO $$
DECLARE
    d text;
BEGIN
    PERFORM chat.new_reply(1, content => 'x');
EXCEPTION WHEN null_value_not_allowed THEN
    GET STACKED DIAGNOSTICS d = PG_EXCEPTION_DETAIL;
    PERFORM set_config('regress.detail', d, true);
END
$$;
SELECT is(current_setting('regress.detail'), 'No acting user was given, and the session has no chat user to default to.',
          'whose detail says the identity is missing');

/* ---- reasons and arguments of errors ----------------------------------------------------- */

SELECT is(pg_temp.error_of('regress_cl_web', 'SELECT chat.inbox(1)'),
          '42501 acting_as_other_user -: permission denied to act as user "1"', 'acting as another user');
SELECT is(pg_temp.error_of('regress_cl_web', 'SELECT chat.set_setting(''notify'', ''false'')'),
          '42501 server_role_only -: permission denied to change settings', 'a server role''s business');
SELECT is(pg_temp.error_of('regress_cl_web', 'SELECT chat.messages(1)'),
          '42501 not_member -: user "2" is not a member of thread 1', 'not a member');
SELECT chat.create_channel(1, 'news', '{2}') AS ch \gset
SELECT is(pg_temp.error_of('regress_cl_web', format($$SELECT chat.new_reply(%s, content => 'x')$$, :ch)),
          '42501 missing_permission -: permission denied to post in thread ' || :ch, 'a member of a channel posting');
SELECT chat.new_reply(:ch, 1, 'news') AS chm \gset
SELECT is(pg_temp.error_of('regress_cl_web', format($$SELECT chat.edit_message(%s, content => 'x')$$, :chm)),
          '42501 missing_permission -: permission denied to edit message ' || :chm, 'editing another''s message');
SELECT chat.create_group(1, 'private', '{}') AS pg \gset
SELECT is(pg_temp.error_of('regress_cl_web', format('SELECT chat.join_thread(%s)', :pg)),
          '42501 not_public -: thread ' || :pg || ' is not public', 'joining a private group');
SELECT is(pg_temp.error_of('regress_cl_web', 'INSERT INTO chat.message (thread_id, id, content) VALUES (1, 1, ''x'')'),
          '42501 - -: permission denied for table message', 'a direct insert (PostgreSQL''s own refusal)');
SELECT is(pg_temp.error_of('regress_cl_web', format($$SELECT chat.new_reply(%s, content => '  ')$$, :t4)),
          '22023 - content: message content must not be blank', 'blank content names the argument');
SELECT is(pg_temp.error_of('regress_cl_web', 'SELECT chat.inbox(folder => ''nope'')'),
          '22023 - folder: invalid folder "nope"', 'an unknown folder names the argument');
SELECT is(pg_temp.error_of('regress_cl_web', 'SELECT chat.inbox(page_size => 0)'),
          '22023 - page_size: page_size must be between 1 and 500', 'a page size out of range names the argument');
SELECT is(pg_temp.error_of('regress_cl_app', 'SELECT chat.new_message(1, ''{}'', ''s'', ''c'')'),
          '22023 - recipients: recipients must not be empty', 'no recipients names the argument');
SELECT is(pg_temp.error_of('regress_cl_web', format($$SELECT chat.grant(%s, member => 2, permission => 'fly')$$, :t4)),
          '22023 - permission: unknown permission "fly"', 'an unknown permission names the argument');

/* ---- user-id lists decode in drivers ----------------------------------------------------- */

SELECT chat.add_reaction(:chm, 1, 'ok') \g /dev/null
SELECT is((SELECT format_type(t.typbasetype, NULL) FROM pg_type t WHERE t.oid = 'chat.user_ids'::regtype), 'bigint[]',
          'chat.user_ids is a domain over the base type''s array (sent to clients as that array type)');
SELECT is((SELECT users::bigint[] FROM chat.reactions(:chm, 1)), '{1}'::bigint[], 'reactions() lists its users as chat.user_ids');

SELECT * FROM finish();
ROLLBACK;
