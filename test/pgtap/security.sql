-- End-user security (SPEC §5 and §6): what a database role that is one chat
-- user can and cannot do, through every path: each public function called
-- on threads the user is not in, as another user and with no identity; the
-- administration functions; direct reads and writes of chat's tables and
-- views, even after an administrator granted them all; forged identities;
-- server roles; the application's code; injection through every text the
-- user chooses.  Every refused attempt is checked for its SQLSTATE and
-- message and for having changed nothing.
SET client_min_messages = warning;
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
DROP EXTENSION IF EXISTS chat CASCADE;
SET LOCAL chat.user_id_type = 'bigint';
SET LOCAL chat.user_id = '';
SET LOCAL request.jwt.claims = '';
CREATE EXTENSION chat;
SET LOCAL search_path = public, pg_catalog;

SELECT plan(899);

/* ---- roles ---------------------------------------------------------------------- */

/*
 * Alice (user 1), Bob (2) and Mallory (3) have database roles mapped to their
 * users.  regress_sec_web is unmapped: its identity is the setting
 * chat.user_id or the JWT claims, as under PostgREST.  regress_sec_server is
 * an application server, made a server role later through the setting
 * server_roles, and regress_sec_worker is a member of it.
 */
CREATE ROLE regress_sec_alice;
CREATE ROLE regress_sec_bob;
CREATE ROLE regress_sec_mallory;
CREATE ROLE regress_sec_web;
CREATE ROLE regress_sec_server;
CREATE ROLE regress_sec_worker IN ROLE regress_sec_server;
SELECT chat.map_role('regress_sec_alice', 1) \g /dev/null
SELECT chat.map_role('regress_sec_bob', 2) \g /dev/null
SELECT chat.map_role('regress_sec_mallory', 3) \g /dev/null
SELECT chat.set_setting('notify', 'false') \g /dev/null

/* ---- the application ---------------------------------------------------------- */

/*
 * The application: its users table with a display-name function, a hook that
 * logs the role it runs as, and a swapped message model with a renderer.  The
 * display name and the renderer show the role they run as too.
 */
CREATE SCHEMA regress_sec_app;
GRANT USAGE ON SCHEMA regress_sec_app TO PUBLIC;
CREATE TABLE regress_sec_app.users (id bigint PRIMARY KEY);
INSERT INTO regress_sec_app.users SELECT generate_series(1, 20);
CREATE FUNCTION regress_sec_app.name(u bigint) RETURNS text
    LANGUAGE sql STABLE AS $$ SELECT format('user %s (%s)', u, current_user) $$;
SELECT chat.use_user_table('regress_sec_app.users', display_name => 'regress_sec_app.name(bigint)') \g /dev/null
CREATE TABLE regress_sec_app.hook_log (event text, role name, user_name text);
GRANT INSERT ON regress_sec_app.hook_log TO PUBLIC;
CREATE FUNCTION regress_sec_app.log_hook(e jsonb) RETURNS void
    LANGUAGE sql AS $$ INSERT INTO regress_sec_app.hook_log VALUES (e ->> 'event', current_user, e ->> 'user_name') $$;
SELECT chat.add_hook('message_sent', 'regress_sec_app.log_hook(jsonb)') \g /dev/null
CREATE TABLE regress_sec_app.message_meta (
    thread_id bigint,
    message_id bigint,
    note text,
    "we""ird" text,
    "%I" text,
    PRIMARY KEY (thread_id, message_id),
    FOREIGN KEY (thread_id, message_id) REFERENCES chat.message (thread_id, id) ON DELETE CASCADE
);
CREATE FUNCTION regress_sec_app.render(e jsonb) RETURNS jsonb
    LANGUAGE sql STABLE AS $$ SELECT e || jsonb_build_object('rendered_by', current_user::text) $$;
SELECT chat.swap_model('message', 'regress_sec_app.message_meta') \g /dev/null
SELECT chat.swap_renderer('message', 'regress_sec_app.render(jsonb)') \g /dev/null

/* ---- conversations --------------------------------------------------------------- */

/*
 * Alice's: a private thread :p with Bob (an edited message :pm, Bob's :pb
 * with an attachment and Alice's reaction, Bob's deleted :pdel, :plast), a
 * direct thread :d, a group :g, a channel :c, a public group :pub and a
 * private object room :o (Alice's alone), all without Mallory.  Mallory's group
 * :mg with Alice (Mallory's deleted :mdel), and Alice's group :ag where
 * Mallory is an admin and Bob a member.
 */
SELECT chat.new_message(1, '{2}', 'private subject', 'private hello') AS pm \gset
SELECT thread_id AS p FROM chat.message WHERE id = :pm \gset
SELECT chat.new_reply(:p, 2, 'bob reply',
                      attachments => '[{"key": "s3://b/1", "name": "b.png", "mime": "image/png", "size": 10}]') AS pb \gset
SELECT chat.add_reaction(:pb, 1, 'thumbs') \g /dev/null
SELECT chat.edit_message(:pm, 1, 'private hello, edited') \g /dev/null
SELECT chat.new_reply(:p, 2, 'bob regrets this') AS pdel \gset
SELECT chat.delete_message(:pdel, 2) \g /dev/null
SELECT chat.new_reply(:p, 1, 'private last words') AS plast \gset
SELECT chat.direct_thread(1, 2) AS d \gset
SELECT chat.new_reply(:d, 1, 'direct words') AS dm \gset
SELECT chat.create_group(1, 'group', '{2}') AS g \gset
SELECT chat.new_reply(:g, 2, 'group words') AS gm \gset
SELECT chat.create_channel(1, 'channel', '{2}') AS c \gset
SELECT chat.new_reply(:c, 1, 'channel words') AS cm \gset
SELECT chat.create_group(1, 'public', '{2}', is_public => true) AS pub \gset
SELECT chat.new_reply(:pub, 2, 'public words') AS pubm \gset
SELECT chat.object_thread('product', '42', 1, 'product room', is_public => false) AS o \gset
SELECT chat.new_reply(:o, 1, 'object words') AS om \gset
SELECT chat.create_group(3, 'mallory group', '{1}') AS mg \gset
SELECT chat.new_reply(:mg, 3, 'mallory words') AS mgm \gset
SELECT chat.add_reaction(:mgm, 1, 'wave') \g /dev/null
SELECT chat.new_reply(:mg, 3, 'mallory regrets this') AS mdel \gset
SELECT chat.delete_message(:mdel, 3) \g /dev/null
SELECT chat.new_reply(:mg, 1, 'alice in mallory group') AS mgl \gset
SELECT chat.create_group(1, 'admin group', '{2,3}') AS ag \gset
SELECT chat.set_role(:ag, 1, 3, 'admin') \g /dev/null
SELECT chat.new_reply(:ag, 1, 'owner words') AS agm \gset

/* ---- what a refusal must not change ----------------------------------------------- */

/*
 * Every table of schema chat and the application's model table, read as the
 * superuser running the test whatever the current role (row-level security
 * does not apply to it): counters included, so an unchanged state keeps the
 * recount exact (checked by chat.verify_unread() at the end).  The rows of
 * the threads in skip are left out: those a legitimate call was meant to
 * change.
 */
CREATE FUNCTION pg_temp.state(skip bigint[] DEFAULT '{}') RETURNS text
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    r record;
    h text;
    acc text := '';
BEGIN
    FOR r IN SELECT c.oid::regclass AS tbl,
                    CASE WHEN c.oid = 'chat.thread'::regclass THEN 'id' ELSE 'thread_id' END AS key
               FROM pg_class c
              WHERE (c.relnamespace = 'chat'::regnamespace AND c.relkind IN ('r', 'p'))
                 OR c.oid = 'regress_sec_app.message_meta'::regclass
              ORDER BY c.oid::regclass::text LOOP
        EXECUTE format('SELECT count(*) || '':'' || coalesce(md5(string_agg(t::text, '','' ORDER BY t::text)), '''')
                          FROM %s t
                         WHERE (to_jsonb(t) ->> %L) IS NULL OR NOT (to_jsonb(t) ->> %L)::bigint = ANY ($1)',
                       r.tbl, r.key, r.key) INTO h USING skip;
        acc := acc || r.tbl || '=' || h || ' ';
    END LOOP;
    RETURN acc;
END
$$;
CREATE TEMP TABLE baseline AS SELECT pg_temp.state() AS state;
GRANT SELECT ON baseline TO PUBLIC;

\ir lib/fails.sql

/*
 * The SQL text that runs "sql" as role "r", with the settings chat.user_id
 * and request.jwt.claims as given, and then puts the role and the settings
 * back (an error undoes them anyway).
 */
CREATE FUNCTION pg_temp.as_role(r text, sql text, user_id text DEFAULT '', claims text DEFAULT '')
    RETURNS text LANGUAGE sql AS $$
    SELECT format($f$SELECT set_config('chat.user_id', %L, true), set_config('request.jwt.claims', %L, true);
                     SET LOCAL ROLE %I; %s; RESET ROLE;
                     SELECT set_config('chat.user_id', '', true), set_config('request.jwt.claims', '', true)$f$,
                  user_id, claims, r, sql)
$$;

/* The first column of the first row of "sql" run as role "r", or the error it raised. */
CREATE FUNCTION pg_temp.q(r text, sql text, user_id text DEFAULT '', claims text DEFAULT '')
    RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    v text;
BEGIN
    BEGIN
        PERFORM set_config('chat.user_id', user_id, true), set_config('request.jwt.claims', claims, true);
        EXECUTE format('SET LOCAL ROLE %I', r);
        EXECUTE sql INTO v;
        RESET ROLE;
        PERFORM set_config('chat.user_id', '', true), set_config('request.jwt.claims', '', true);
    EXCEPTION WHEN OTHERS THEN
        RETURN format('ERROR %s: %s', SQLSTATE, SQLERRM);
    END;
    RETURN v;
END
$$;

/* Two assertions: "sql" as role "r" gives "expected", and changes nothing. */
CREATE FUNCTION pg_temp.gives(r text, sql text, expected text, what text,
                              user_id text DEFAULT '', claims text DEFAULT '')
    RETURNS SETOF text LANGUAGE plpgsql AS $$
BEGIN
    RETURN NEXT is(pg_temp.q(r, sql, user_id, claims), expected, what);
    RETURN NEXT is(pg_temp.state(), (SELECT state FROM baseline), what || ': nothing changed');
END
$$;

/* Short names for the roles. */
CREATE FUNCTION pg_temp.as_mallory(sql text) RETURNS text
    LANGUAGE sql AS $$ SELECT pg_temp.as_role('regress_sec_mallory', sql) $$;
CREATE FUNCTION pg_temp.as_nobody(sql text) RETURNS text
    LANGUAGE sql AS $$ SELECT pg_temp.as_role('regress_sec_web', sql) $$;

/* ---- the catalog: what an end user gets out of the box ------------------------------ */

CREATE TEMP TABLE api AS
SELECT p.proname::text AS fn, p.oid, p.prosecdef, p.proconfig, p.prosrc
  FROM pg_proc p
 WHERE p.pronamespace = 'chat'::regnamespace AND p.proname !~ '^_';
-- open to all, and no acting user: they need no check
CREATE TEMP TABLE open_api (fn text PRIMARY KEY);
INSERT INTO open_api VALUES ('current_user_id'), ('is_server_role'), ('get_setting'), ('display_name'),
    ('propagate_identity');  -- an invoker: it sets again what its caller set

SELECT is((SELECT count(*)::int FROM api), 80, 'schema chat has 80 public functions');
SELECT is_empty($$SELECT fn FROM api WHERE NOT prosecdef AND fn NOT IN (SELECT fn FROM open_api)$$,
                'every public function but the open ones is SECURITY DEFINER');
SELECT is_empty($$SELECT fn FROM api WHERE prosecdef AND NOT 'search_path=pg_catalog, pg_temp' = ANY (proconfig)$$,
                'every SECURITY DEFINER function pins its search_path');
SELECT is_empty($$SELECT p.oid::regprocedure FROM pg_proc p
                   WHERE p.prosecdef AND p.pronamespace = 'chat'::regnamespace
                     AND NOT coalesce('search_path=pg_catalog, pg_temp' = ANY (p.proconfig), false)$$,
                'so does every internal SECURITY DEFINER function');
SELECT set_eq($$SELECT p.oid::regprocedure::text FROM pg_proc p
                 WHERE p.pronamespace = 'chat'::regnamespace AND p.proname ~ '^_'
                   AND has_function_privilege('regress_sec_mallory', p.oid, 'EXECUTE')$$,
              ARRAY['chat._is_member(bigint)'],
              'of the internal functions an end user may run chat._is_member() only');
SELECT hasnt_schema('chat_internal', 'one layer: no schema of bodies behind the public functions');
-- One layer of entry points: a public function that runs with the definer's
-- rights checks its caller in its first statement (chat._act for the acting
-- user, chat._require_server, chat._require_reader); the C one checks in C,
-- and the open ones take no user.
SELECT is_empty($$SELECT a.fn FROM api a JOIN pg_proc p ON p.oid = a.oid JOIN pg_language l ON l.oid = p.prolang
                   WHERE a.prosecdef AND a.fn NOT IN (SELECT fn FROM open_api)
                     AND NOT CASE l.lanname
                         WHEN 'plpgsql' THEN a.prosrc ~ '^\s*(#variable_conflict \w+\s+)?(DECLARE\s+([a-z_]+ [^;:]*;\s*)*)?BEGIN\s+PERFORM chat\._(act|require_server|require_reader)\('
                         WHEN 'sql' THEN a.prosrc ~ '^\s*SELECT chat\._(act|require_server|require_reader)\('
                         WHEN 'c' THEN a.fn = 'new_reply'
                         ELSE false END$$,
                'every SECURITY DEFINER public function checks its caller first');
SELECT is_empty($$SELECT c.oid::regclass FROM pg_class c
                   WHERE c.relnamespace = 'chat'::regnamespace
                     AND CASE WHEN c.relkind = 'S'   -- not evaluated for other relations
                              THEN has_sequence_privilege('regress_sec_mallory', c.oid, 'USAGE, SELECT, UPDATE') END$$,
                'an end user has no privilege on chat''s sequences');
SELECT is_empty($$SELECT c.oid::regclass, x.priv FROM pg_class c,
                         unnest('{INSERT,UPDATE,DELETE,TRUNCATE,REFERENCES,TRIGGER}'::text[]) x(priv)
                   WHERE c.relnamespace = 'chat'::regnamespace AND c.relkind IN ('r', 'p', 'v')
                     AND has_table_privilege('regress_sec_mallory', c.oid, x.priv)$$,
                'an end user may only read chat''s tables and views');
SELECT is_empty($$SELECT c.oid::regclass FROM pg_class c
                   WHERE c.relnamespace = 'chat'::regnamespace AND c.relkind IN ('r', 'p')
                     AND c.relname NOT IN ('event', 'event_pruned', 'event_kind', 'notification', 'notifier', 'purge_progress')
                     AND NOT (c.relrowsecurity AND has_table_privilege('regress_sec_mallory', c.oid, 'SELECT'))$$,
                'every table but the event record, the notification queue and purge''s progress is readable by all, under row-level security');
SELECT ok(NOT has_table_privilege('regress_sec_mallory', 'chat.event', 'SELECT')
          AND NOT has_table_privilege('regress_sec_mallory', 'chat.event_pruned', 'SELECT'),
          'an end user cannot read chat.event: events reach a user through chat.changes, for that user only');
SELECT ok(NOT has_table_privilege('regress_sec_mallory', 'chat.notification', 'SELECT')
          AND NOT has_table_privilege('regress_sec_mallory', 'chat.notifier', 'SELECT'),
          'an end user cannot read chat.notification, not even its own: workers read it through chat.claim_notifications');
SELECT ok(has_table_privilege('regress_sec_mallory', 'chat.event_kind', 'SELECT'),
          'the list of events (chat.event_kind) is readable by all');
SELECT is_empty($$SELECT c.oid::regclass FROM pg_class c
                   WHERE c.relnamespace = 'chat'::regnamespace AND c.relkind = 'v' AND c.relname <> 'public_thread'
                     AND NOT coalesce('security_invoker=true' = ANY (c.reloptions), false)$$,
                'every view but public_thread reads as the querying role');
SELECT is((SELECT reloptions FROM pg_class WHERE oid = 'chat.public_thread'::regclass), '{security_barrier=true}',
          'public_thread reads as its owner, behind a security barrier');

/* ---- with the privileges of the defaults -------------------------------------------- */

-- Mallory has only what PUBLIC has: reading under the policies and the public API

SELECT pg_temp.fails(pg_temp.as_mallory(format($$INSERT INTO chat.message (thread_id, id, sender_id, content)
                                                VALUES (%s, 9999, 3, 'x')$$, :p)),
                     '42501', 'permission denied for table message', 'defaults: INSERT into chat.message');
SELECT pg_temp.fails(pg_temp.as_mallory($$UPDATE chat.member SET role = 'owner' WHERE user_id = 3$$),
                     '42501', 'permission denied for table member', 'defaults: UPDATE chat.member');
SELECT pg_temp.fails(pg_temp.as_mallory($$DELETE FROM chat.thread$$),
                     '42501', 'permission denied for table thread', 'defaults: DELETE FROM chat.thread');
SELECT pg_temp.fails(pg_temp.as_mallory($$TRUNCATE chat.message CASCADE$$),
                     '42501', 'permission denied for table message', 'defaults: TRUNCATE chat.message');
SELECT pg_temp.fails(pg_temp.as_mallory($$SELECT 1 FROM chat.thread FOR UPDATE$$),
                     '42501', 'permission denied for table thread', 'defaults: SELECT FOR UPDATE to lock threads');
SELECT pg_temp.fails(pg_temp.as_mallory($$SELECT nextval('chat.message_id_seq')$$),
                     '42501', 'permission denied for sequence message_id_seq', 'defaults: nextval of a chat sequence');
SELECT pg_temp.fails(pg_temp.as_mallory(format($$SELECT chat._emit('message_sent', %s, %s, 1, NULL)$$, :p, :pm)),
                     '42501', 'permission denied for function _emit', 'defaults: chat._emit');
SELECT pg_temp.fails(pg_temp.as_mallory(format($$SELECT chat._recount(%s)$$, :mg)),
                     '42501', 'permission denied for function _recount', 'defaults: chat._recount');
SELECT pg_temp.fails(pg_temp.as_mallory(format($$SELECT chat._add_attachments(%s, %s, '[{"key": "k"}]')$$, :mg, :mgm)),
                     '42501', 'permission denied for function _add_attachments', 'defaults: chat._add_attachments');
SELECT pg_temp.fails(pg_temp.as_mallory(format($$SELECT chat._fill_extra('message', %s, %s, NULL, '{"note": "x"}')$$, :mg, :mgm)),
                     '42501', 'permission denied for function _fill_extra', 'defaults: chat._fill_extra');
SELECT pg_temp.fails(pg_temp.as_mallory(format($$SELECT chat._leave(%s, 1)$$, :mg)),
                     '42501', 'permission denied for function _leave', 'defaults: chat._leave');
SELECT pg_temp.fails(pg_temp.as_mallory(format($$SELECT chat._within(%s, '{}', '{1}')$$, :mg)),
                     '42501', 'permission denied for function _within', 'defaults: chat._within');
-- the open functions are open
SELECT pg_temp.gives('regress_sec_mallory', $$SELECT chat.get_setting('max_subject_length')$$, '255',
                     'defaults: an end user reads a setting with get_setting');
SELECT pg_temp.gives('regress_sec_mallory', $$SELECT chat.display_name(3)$$, 'user 3 (regress_sec_mallory)',
                     'defaults: an end user calls display_name');
SELECT pg_temp.gives('regress_sec_mallory', $$SELECT chat.current_user_id()$$, '3',
                     'defaults: an end user asks who it is');
SELECT pg_temp.gives('regress_sec_mallory', $$SELECT chat.is_server_role()$$, 'false',
                     'defaults: an end user is not a server role');

/* ---- a generous administrator -------------------------------------------------------- */

/*
 * From here on the end users may write every table and run every function of
 * schema chat as far as privileges go: chat itself must hold the line.
 */
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA chat
    TO regress_sec_alice, regress_sec_bob, regress_sec_mallory, regress_sec_web;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA chat
    TO regress_sec_alice, regress_sec_bob, regress_sec_mallory, regress_sec_web;

/* ---- every public function ------------------------------------------------------------ */

/*
 * One row per attempt: "outsider" is Mallory (user 3) on Alice's threads and
 * messages, which she is not in; "as_other" is Mallory naming another user as
 * the acting user; "null_actor" names none; "nobody" is the unmapped role with
 * no identity at all (chat.user_id and the JWT claims empty); "admin" is what
 * only server roles may do; "open" are the functions open to all.  A NULL
 * code means no error: the call answers "expected".  The attempts are made
 * below, after checking against the catalog that none is missing.
 */
CREATE TEMP TABLE attack (n serial, fn text, mode text, what text, sql text, code text, msg text, expected text);
CREATE FUNCTION pg_temp.attack(fn text, mode text, what text, sql text, code text, msg text, expected text DEFAULT NULL)
    RETURNS void LANGUAGE sql AS $$
    INSERT INTO attack (fn, mode, what, sql, code, msg, expected) VALUES (fn, mode, what, sql, code, msg, expected)
$$;

-- Mallory on Alice's threads
CREATE FUNCTION pg_temp.outsider(fn text, sql text, thread bigint) RETURNS void
    LANGUAGE sql AS $$
    SELECT pg_temp.attack(fn, 'outsider', format('%s: Mallory on thread %s', fn, thread), sql,
                          '42501', format('user "3" is not a member of thread %s', thread))
$$;
SELECT pg_temp.outsider('new_reply', format($$SELECT chat.new_reply(%s, content => 'let me in')$$, :p), :p);
SELECT pg_temp.outsider('messages', format($$SELECT * FROM chat.messages(%s)$$, t), t)
  FROM unnest(ARRAY[:p, :d, :g, :c, :pub, :o]::bigint[]) t;
SELECT pg_temp.outsider('mark_read', format($$SELECT chat.mark_read(%s)$$, :p), :p);
SELECT pg_temp.outsider('mark_unread', format($$SELECT chat.mark_unread(%s)$$, :p), :p);
SELECT pg_temp.outsider('mark_delivered', format($$SELECT chat.mark_delivered(thread_id => %s)$$, :p), :p);
SELECT pg_temp.outsider('delete_thread', format($$SELECT chat.delete_thread(%s)$$, :p), :p);
SELECT pg_temp.outsider('restore_thread', format($$SELECT chat.restore_thread(%s)$$, :p), :p);
SELECT pg_temp.outsider('archive_thread', format($$SELECT chat.archive_thread(%s)$$, :p), :p);
SELECT pg_temp.outsider('unarchive_thread', format($$SELECT chat.unarchive_thread(%s)$$, :p), :p);
SELECT pg_temp.outsider('edit_message', format($$SELECT chat.edit_message(%s, content => 'mine now')$$, :pm), :p);
SELECT pg_temp.outsider('delete_message', format($$SELECT chat.delete_message(%s)$$, :pm), :p);
SELECT pg_temp.outsider('message_history', format($$SELECT * FROM chat.message_history(%s)$$, :pm), :p);
SELECT pg_temp.outsider('typing', format($$SELECT chat.typing(%s)$$, :p), :p);
SELECT pg_temp.outsider('add_members', format($$SELECT chat.add_members(%s, users => '{3}')$$, :g), :g);
SELECT pg_temp.outsider('remove_member', format($$SELECT chat.remove_member(%s, member => 2)$$, :g), :g);
SELECT pg_temp.outsider('leave_thread', format($$SELECT chat.leave_thread(%s)$$, :g), :g);
SELECT pg_temp.outsider('set_role', format($$SELECT chat.set_role(%s, member => 3, role => 'owner')$$, :g), :g);
SELECT pg_temp.outsider('grant', format($$SELECT chat.grant(%s, member => 3, permission => 'post')$$, :g), :g);
SELECT pg_temp.outsider('revoke', format($$SELECT chat.revoke(%s, member => 2, permission => 'post')$$, :g), :g);
SELECT pg_temp.outsider('mute', format($$SELECT chat.mute(%s)$$, :g), :g);
SELECT pg_temp.outsider('set_notify_level', format($$SELECT chat.set_notify_level(%s, 'none')$$, :g), :g);
SELECT pg_temp.outsider('mention_count', format($$SELECT * FROM chat.mention_count(thread_id => %s)$$, :g), :g);
SELECT pg_temp.outsider('rename_thread', format($$SELECT chat.rename_thread(%s, title => 'mine')$$, :g), :g);
SELECT pg_temp.outsider('set_profile', format($$SELECT chat.set_profile(%s, description => 'mine')$$, :g), :g);
SELECT pg_temp.outsider('profile', format($$SELECT * FROM chat.profile(%s)$$, t), t)
  FROM unnest(ARRAY[:p, :d, :g, :c, :o]::bigint[]) t;
SELECT pg_temp.outsider('drop_thread', format($$SELECT chat.drop_thread(%s)$$, :g), :g);
SELECT pg_temp.outsider('set_retention', format($$SELECT chat.set_retention(%s, days => 1)$$, :g), :g);
SELECT pg_temp.outsider('members', format($$SELECT * FROM chat.members(%s)$$, t), t)
  FROM unnest(ARRAY[:g, :pub]::bigint[]) t;
SELECT pg_temp.outsider('receipts', format($$SELECT * FROM chat.receipts(%s)$$, :pm), :p);
SELECT pg_temp.outsider('add_reaction', format($$SELECT chat.add_reaction(%s, reaction => 'x')$$, :pm), :p);
SELECT pg_temp.outsider('remove_reaction', format($$SELECT chat.remove_reaction(%s, reaction => 'thumbs')$$, :pb), :p);
SELECT pg_temp.outsider('toggle_reaction', format($$SELECT chat.toggle_reaction(%s, reaction => 'thumbs')$$, :pb), :p);
SELECT pg_temp.outsider('reactions', format($$SELECT * FROM chat.reactions(%s)$$, m), t)
  FROM (VALUES (:pb, :p), (:pubm, :pub)) v(m, t);
SELECT pg_temp.outsider('reaction_users', format($$SELECT * FROM chat.reaction_users(%s)$$, m), t)
  FROM (VALUES (:pb, :p), (:pubm, :pub)) v(m, t);
SELECT pg_temp.attack('forward_message', 'outsider', format('forward_message: Mallory forwards from thread %s', :p),
                      format($$SELECT chat.forward_message(%s, %s)$$, :pm, :mg),
                      '42501', format('user "3" is not a member of thread %s', :p));
SELECT pg_temp.attack('forward_message', 'outsider', format('forward_message: Mallory forwards into thread %s', :p),
                      format($$SELECT chat.forward_message(%s, %s)$$, :mgm, :p),
                      '42501', format('user "3" is not a member of thread %s', :p));
SELECT pg_temp.outsider(f, format($$SELECT chat.%s(%s)$$, f, t), t)
  FROM unnest('{first_message,latest_message,earliest_message,started_by}'::text[]) f,
       unnest(ARRAY[:p, :pub]::bigint[]) t;
SELECT pg_temp.attack('join_thread', 'outsider', format('join_thread: Mallory on thread %s', t),
                      format($$SELECT chat.join_thread(%s)$$, t), '42501', format('thread %s is not public', t))
  FROM unnest(ARRAY[:g, :o]::bigint[]) t;
-- the questions answer "no" about a thread one is not in
SELECT pg_temp.attack('can_join', 'outsider', 'can_join: Mallory, of a private group', format($$SELECT chat.can_join(%s)$$, :g),
                      NULL, NULL, 'false');
SELECT pg_temp.attack('can_leave', 'outsider', 'can_leave: Mallory, of a group she is not in', format($$SELECT chat.can_leave(%s)$$, :g),
                      NULL, NULL, 'false');
SELECT pg_temp.attack('has_permission', 'outsider', 'has_permission: Mallory, in a group she is not in',
                      format($$SELECT chat.has_permission(%s, permission => 'post')$$, :g), NULL, NULL, 'false');
-- a public room's profile is anyone's to read
SELECT pg_temp.attack('profile', 'outsider', 'profile: Mallory reads the public group''s',
                      format($$SELECT subject FROM chat.profile(%s)$$, :pub), NULL, NULL, 'public');

-- search and the directory: never another's messages, never a private room
SELECT pg_temp.attack('search', 'privacy', 'search: Mallory searching in a thread she is not in',
                      format($$SELECT count(*) FROM chat.search(query => 'private', in_thread => %s)$$, :p),
                      '42501', format('user "3" is not a member of thread %s', :p));
SELECT pg_temp.attack('search', 'privacy', 'search: Mallory finds the words of her threads only',
                      $$SELECT string_agg(snippet, ' | ' ORDER BY message_id) FROM chat.search(query => 'words')$$,
                      NULL, NULL, 'mallory <b>words</b> | owner <b>words</b>');
SELECT pg_temp.attack('search', 'privacy', 'search: Mallory does not find Alice''s private words',
                      $$SELECT count(*) FROM chat.search(query => 'private OR direct OR object OR channel OR public OR bob')$$,
                      NULL, NULL, '0');
SELECT pg_temp.attack('search', 'privacy', 'search: newest first, the same',
                      $$SELECT count(*) FROM chat.search(query => 'private OR direct OR object OR channel OR public', sort => 'newest')$$,
                      NULL, NULL, '0');
SELECT pg_temp.attack('search', 'privacy', 'search: not even her own deleted message',
                      $$SELECT count(*) FROM chat.search(query => 'regrets')$$, NULL, NULL, '0');
SELECT pg_temp.attack('directory', 'privacy', 'directory: Mallory lists the public rooms only',
                      $$SELECT string_agg(subject, ',' ORDER BY subject) FROM chat.directory()$$, NULL, NULL, 'public');
SELECT pg_temp.attack('directory', 'privacy', 'directory: searching for a private room finds nothing',
                      $$SELECT count(*) FROM chat.directory(query => 'product room group channel mallory admin')$$, NULL, NULL, '0');
SELECT pg_temp.attack('directory', 'privacy', 'directory: nor by one word',
                      $$SELECT count(*) FROM chat.directory(query => 'product')$$, NULL, NULL, '0');

-- the private room of an object is neither shown nor joined
SELECT pg_temp.attack('object_thread', 'object_room', 'object_thread: Mallory asks for the private room of an object',
                      $$SELECT chat.object_thread('product', '42')$$, '42501',
                      'user "3" is not a member of the room of product "42"');
SELECT pg_temp.attack('object_thread', 'object_room', 'object_thread: and is not its member',
                      format('SELECT count(*) FROM chat.member WHERE thread_id = %s', :o), NULL, NULL, '0');

-- Mallory acting as Alice (1), or as user 4
CREATE FUNCTION pg_temp.as_other(fn text, sql text, who int DEFAULT 1) RETURNS void
    LANGUAGE sql AS $$
    SELECT pg_temp.attack(fn, 'as_other', format('%s: Mallory as user %s', fn, who), sql,
                          '42501', format('permission denied to act as user "%s"', who))
$$;
SELECT pg_temp.as_other('new_message', $$SELECT chat.new_message(sender => 1, recipients => '{3}', subject => 's', content => 'c')$$);
SELECT pg_temp.as_other('new_reply', format($$SELECT chat.new_reply(%s, sender => 1, content => 'c')$$, :mg));
SELECT pg_temp.as_other('inbox', $$SELECT * FROM chat.inbox(viewer => 1)$$);
SELECT pg_temp.as_other('inbox_count', $$SELECT chat.inbox_count(viewer => 1)$$);
SELECT pg_temp.as_other('unread_count', $$SELECT * FROM chat.unread_count(viewer => 1)$$);
SELECT pg_temp.as_other('messages', format($$SELECT * FROM chat.messages(%s, viewer => 1)$$, :mg));
SELECT pg_temp.as_other('mark_read', format($$SELECT chat.mark_read(%s, reader => 1)$$, :mg));
SELECT pg_temp.as_other('mark_unread', format($$SELECT chat.mark_unread(%s, reader => 1)$$, :mg));
SELECT pg_temp.as_other('mark_delivered', $$SELECT chat.mark_delivered(reader => 1)$$);
SELECT pg_temp.as_other(f, format($$SELECT chat.%s(%s, actor => 1)$$, f, :mg))
  FROM unnest('{delete_thread,restore_thread,archive_thread,unarchive_thread}'::text[]) f;
SELECT pg_temp.as_other('edit_message', format($$SELECT chat.edit_message(%s, editor => 1, content => 'x')$$, :mgl));
SELECT pg_temp.as_other('changes', $$SELECT chat.changes(viewer => 1)$$);
SELECT pg_temp.as_other('delete_message', format($$SELECT chat.delete_message(%s, actor => 1)$$, :mgl));
SELECT pg_temp.as_other('message_history', format($$SELECT * FROM chat.message_history(%s, viewer => 1)$$, :pm));
SELECT pg_temp.as_other('typing', format($$SELECT chat.typing(%s, "user" => 1)$$, :mg));
SELECT pg_temp.as_other('create_group', $$SELECT chat.create_group(creator => 1, title => 't', members => '{3}')$$);
SELECT pg_temp.as_other('create_channel', $$SELECT chat.create_channel(creator => 1, title => 't')$$);
SELECT pg_temp.as_other('direct_thread', $$SELECT chat.direct_thread(user_a => 1, user_b => 4)$$);
SELECT pg_temp.as_other('object_thread', $$SELECT chat.object_thread('product', '43', creator => 1)$$);
SELECT pg_temp.as_other('add_members', format($$SELECT chat.add_members(%s, actor => 1, users => '{4}', role => 'owner')$$, :ag));
SELECT pg_temp.as_other('remove_member', format($$SELECT chat.remove_member(%s, actor => 1, member => 2)$$, :ag));
SELECT pg_temp.as_other('join_thread', format($$SELECT chat.join_thread(%s, "user" => 4)$$, :pub), 4);
SELECT pg_temp.as_other('leave_thread', format($$SELECT chat.leave_thread(%s, "user" => 1)$$, :mg));
SELECT pg_temp.as_other('can_join', format($$SELECT chat.can_join(%s, "user" => 4)$$, :pub), 4);
SELECT pg_temp.as_other('can_leave', format($$SELECT chat.can_leave(%s, "user" => 1)$$, :mg));
SELECT pg_temp.as_other('set_role', format($$SELECT chat.set_role(%s, actor => 1, member => 3, role => 'owner')$$, :ag));
SELECT pg_temp.as_other('grant', format($$SELECT chat.grant(%s, actor => 1, member => 3, permission => 'delete_thread')$$, :ag));
SELECT pg_temp.as_other('revoke', format($$SELECT chat.revoke(%s, actor => 1, member => 2, permission => 'post')$$, :ag));
SELECT pg_temp.as_other('has_permission', format($$SELECT chat.has_permission(%s, "user" => 1, permission => 'post')$$, :ag));
SELECT pg_temp.as_other('mute', format($$SELECT chat.mute(%s, "user" => 1)$$, :mg));
SELECT pg_temp.as_other('set_notify_level', format($$SELECT chat.set_notify_level(%s, 'none', "user" => 1)$$, :mg));
SELECT pg_temp.as_other('mention_count', $$SELECT * FROM chat.mention_count(viewer => 1)$$);
SELECT pg_temp.as_other('rename_thread', format($$SELECT chat.rename_thread(%s, actor => 1, title => 'x')$$, :ag));
SELECT pg_temp.as_other('set_profile', format($$SELECT chat.set_profile(%s, actor => 1, description => 'x')$$, :ag));
SELECT pg_temp.as_other('profile', format($$SELECT * FROM chat.profile(%s, viewer => 1)$$, :p));
SELECT pg_temp.as_other('directory', $$SELECT * FROM chat.directory(viewer => 1)$$);
SELECT pg_temp.as_other('search', $$SELECT * FROM chat.search(viewer => 1, query => 'private')$$);
SELECT pg_temp.as_other('drop_thread', format($$SELECT chat.drop_thread(%s, actor => 1)$$, :ag));
SELECT pg_temp.as_other('set_retention', format($$SELECT chat.set_retention(%s, actor => 1, days => 0)$$, :ag));
SELECT pg_temp.as_other('members', format($$SELECT * FROM chat.members(%s, viewer => 1)$$, :p));
SELECT pg_temp.as_other('receipts', format($$SELECT * FROM chat.receipts(%s, viewer => 1)$$, :pm));
SELECT pg_temp.as_other('add_reaction', format($$SELECT chat.add_reaction(%s, "user" => 1, reaction => 'x')$$, :mgm));
SELECT pg_temp.as_other('remove_reaction', format($$SELECT chat.remove_reaction(%s, "user" => 1, reaction => 'wave')$$, :mgm));
SELECT pg_temp.as_other('toggle_reaction', format($$SELECT chat.toggle_reaction(%s, "user" => 1, reaction => 'wave')$$, :mgm));
SELECT pg_temp.as_other('reactions', format($$SELECT * FROM chat.reactions(%s, viewer => 1)$$, :pb));
SELECT pg_temp.as_other('reaction_users', format($$SELECT * FROM chat.reaction_users(%s, viewer => 1)$$, :pb));
SELECT pg_temp.as_other('forward_message', format($$SELECT chat.forward_message(%s, %s, actor => 1)$$, :pm, :mg));

-- a NULL acting user passes the identity check and is refused as a missing argument
CREATE FUNCTION pg_temp.null_actor(fn text, sql text, arg text) RETURNS void
    LANGUAGE sql AS $$
    SELECT pg_temp.attack(fn, 'null_actor', format('%s: Mallory with a NULL %s', fn, arg), sql,
                          '22004', format('argument "%s" must not be null', arg))
$$;
SELECT pg_temp.null_actor('new_message', $$SELECT chat.new_message(NULL, '{1}', 's', 'c')$$, 'sender');
SELECT pg_temp.null_actor('new_reply', format($$SELECT chat.new_reply(%s, NULL, 'c')$$, :mg), 'sender');
SELECT pg_temp.null_actor('messages', format($$SELECT * FROM chat.messages(%s, NULL)$$, :mg), 'viewer');
SELECT pg_temp.null_actor('mark_read', format($$SELECT chat.mark_read(%s, NULL)$$, :mg), 'reader');
SELECT pg_temp.null_actor('add_members', format($$SELECT chat.add_members(%s, NULL, '{4}')$$, :mg), 'actor');
SELECT pg_temp.null_actor('remove_member', format($$SELECT chat.remove_member(%s, NULL, 1)$$, :mg), 'actor');
SELECT pg_temp.null_actor('set_role', format($$SELECT chat.set_role(%s, NULL, 1, 'member')$$, :mg), 'actor');
SELECT pg_temp.null_actor('edit_message', format($$SELECT chat.edit_message(%s, NULL, 'x')$$, :mgl), 'editor');
SELECT pg_temp.null_actor('delete_message', format($$SELECT chat.delete_message(%s, NULL)$$, :mgl), 'actor');
SELECT pg_temp.null_actor('drop_thread', format($$SELECT chat.drop_thread(%s, NULL)$$, :mg), 'actor');
SELECT pg_temp.null_actor('create_group', $$SELECT chat.create_group(NULL, 't')$$, 'creator');
SELECT pg_temp.null_actor('direct_thread', $$SELECT chat.direct_thread(NULL, 1)$$, 'user_a');
SELECT pg_temp.null_actor('join_thread', format($$SELECT chat.join_thread(%s, NULL)$$, :pub), 'user');
SELECT pg_temp.null_actor('forward_message', format($$SELECT chat.forward_message(%s, %s, NULL)$$, :mgl, :mg), 'actor');

-- the unmapped role with no identity
CREATE FUNCTION pg_temp.nobody(fn text, sql text, what text DEFAULT NULL) RETURNS void
    LANGUAGE sql AS $$
    SELECT pg_temp.attack(fn, 'nobody', coalesce(what, fn || ': no identity'), sql,
                          '42501', 'role "regress_sec_web" has no chat user')
$$;
SELECT pg_temp.nobody('new_message', $$SELECT chat.new_message(recipients => '{1}', subject => 's', content => 'c')$$);
SELECT pg_temp.nobody('new_reply', format($$SELECT chat.new_reply(%s, content => 'c')$$, :p));
SELECT pg_temp.nobody('inbox', $$SELECT * FROM chat.inbox()$$);
SELECT pg_temp.nobody('inbox', $$SELECT * FROM chat.inbox(1)$$, 'inbox: no identity, naming Alice');
SELECT pg_temp.nobody('inbox_count', $$SELECT chat.inbox_count()$$);
SELECT pg_temp.nobody('unread_count', $$SELECT * FROM chat.unread_count()$$);
SELECT pg_temp.nobody('mention_count', $$SELECT * FROM chat.mention_count()$$);
SELECT pg_temp.nobody('set_notify_level', format($$SELECT chat.set_notify_level(%s, 'mentions')$$, :pub));
SELECT pg_temp.nobody(f, format($$SELECT chat.%s(%s)$$, f, :p))
  FROM unnest('{mark_read,mark_unread,delete_thread,restore_thread,archive_thread,unarchive_thread,typing,first_message,latest_message,earliest_message,started_by}'::text[]) f;
SELECT pg_temp.nobody('messages', format($$SELECT * FROM chat.messages(%s)$$, :p));
SELECT pg_temp.nobody('mark_delivered', $$SELECT chat.mark_delivered()$$);
SELECT pg_temp.nobody('edit_message', format($$SELECT chat.edit_message(%s, content => 'x')$$, :pm));
SELECT pg_temp.nobody('delete_message', format($$SELECT chat.delete_message(%s)$$, :pm));
SELECT pg_temp.nobody('message_history', format($$SELECT * FROM chat.message_history(%s)$$, :pm));
SELECT pg_temp.nobody('create_group', $$SELECT chat.create_group(title => 't')$$);
SELECT pg_temp.nobody('create_channel', $$SELECT chat.create_channel(title => 't')$$);
SELECT pg_temp.nobody('direct_thread', $$SELECT chat.direct_thread(user_b => 1)$$);
SELECT pg_temp.nobody('object_thread', $$SELECT chat.object_thread('product', '42')$$);
SELECT pg_temp.nobody('add_members', format($$SELECT chat.add_members(%s, users => '{4}')$$, :g));
SELECT pg_temp.nobody('remove_member', format($$SELECT chat.remove_member(%s, member => 2)$$, :g));
SELECT pg_temp.nobody(f, format($$SELECT chat.%s(%s)$$, f, :pub))
  FROM unnest('{join_thread,leave_thread,can_join,can_leave,mute,drop_thread}'::text[]) f;
SELECT pg_temp.nobody('set_role', format($$SELECT chat.set_role(%s, member => 2, role => 'owner')$$, :g));
SELECT pg_temp.nobody('grant', format($$SELECT chat.grant(%s, member => 2, permission => 'edit_messages')$$, :g));
SELECT pg_temp.nobody('revoke', format($$SELECT chat.revoke(%s, member => 2, permission => 'post')$$, :g));
SELECT pg_temp.nobody('has_permission', format($$SELECT chat.has_permission(%s, permission => 'post')$$, :g));
SELECT pg_temp.nobody('rename_thread', format($$SELECT chat.rename_thread(%s, title => 'x')$$, :g));
SELECT pg_temp.nobody('set_profile', format($$SELECT chat.set_profile(%s, description => 'x')$$, :g));
SELECT pg_temp.nobody('profile', format($$SELECT * FROM chat.profile(%s)$$, :pub));
SELECT pg_temp.nobody('directory', $$SELECT * FROM chat.directory()$$);
SELECT pg_temp.nobody('search', $$SELECT * FROM chat.search(query => 'private')$$);
SELECT pg_temp.nobody('set_retention', format($$SELECT chat.set_retention(%s, days => 1)$$, :g));
SELECT pg_temp.nobody('members', format($$SELECT * FROM chat.members(%s)$$, :g));
SELECT pg_temp.nobody('receipts', format($$SELECT * FROM chat.receipts(%s)$$, :pm));
SELECT pg_temp.nobody('add_reaction', format($$SELECT chat.add_reaction(%s, reaction => 'x')$$, :pm));
SELECT pg_temp.nobody('remove_reaction', format($$SELECT chat.remove_reaction(%s, reaction => 'thumbs')$$, :pb));
SELECT pg_temp.nobody('toggle_reaction', format($$SELECT chat.toggle_reaction(%s, reaction => 'x')$$, :pm));
SELECT pg_temp.nobody('reactions', format($$SELECT * FROM chat.reactions(%s)$$, :pm));
SELECT pg_temp.nobody('reaction_users', format($$SELECT * FROM chat.reaction_users(%s)$$, :pm));
SELECT pg_temp.nobody('forward_message', format($$SELECT chat.forward_message(%s, %s)$$, :pm, :g));
SELECT pg_temp.nobody('changes', $$SELECT chat.changes()$$);

-- what only server roles do, by Mallory and by nobody
CREATE TEMP TABLE admin_call (fn text, sql text, what text);
INSERT INTO admin_call VALUES
    ('set_setting', $$SELECT chat.set_setting('server_roles', '["regress_sec_mallory"]')$$, 'change settings'),
    ('set_setting', $$SELECT chat.set_setting('notify', 'true')$$, 'change settings'),
    ('add_hook', $$SELECT chat.add_hook('message_edited', 'regress_sec_app.log_hook(jsonb)')$$, 'register hooks'),
    ('remove_hook', $$SELECT chat.remove_hook('message_sent', 'regress_sec_app.log_hook(jsonb)')$$, 'remove hooks'),
    ('swap_model', $$SELECT chat.swap_model('message', NULL)$$, 'swap models'),
    ('swap_renderer', $$SELECT chat.swap_renderer('message', NULL)$$, 'swap renderers'),
    ('use_user_table', $$SELECT chat.use_user_table(NULL)$$, 'bind the users table'),
    ('map_role', $$SELECT chat.map_role('regress_sec_mallory', 1)$$, 'map roles to users'),
    ('map_role', $$SELECT chat.map_role('regress_sec_web', 3)$$, 'map roles to users'),
    ('unmap_role', $$SELECT chat.unmap_role('regress_sec_mallory')$$, 'map roles to users'),
    ('verify_unread', $$SELECT * FROM chat.verify_unread()$$, 'run chat.verify_unread()'),
    ('distribute', $$SELECT chat.distribute()$$, 'distribute chat'),
    ('feed', $$SELECT chat.feed()$$, 'read the feed'),
    ('prune_events', $$SELECT chat.prune_events()$$, 'prune events'),
    ('claim_notifications', $$SELECT * FROM chat.claim_notifications('mallory')$$, 'claim notifications'),
    ('ack_notification', $$SELECT chat.ack_notification(1, '{}')$$, 'acknowledge notifications'),
    ('fail_notification', $$SELECT chat.fail_notification(1, 'x')$$, 'report failed notifications'),
    ('notification_digest', $$SELECT * FROM chat.notification_digest(0)$$, 'read notification digests'),
    ('prune_notifications', $$SELECT chat.prune_notifications()$$, 'prune notifications'),
    ('purge', $$SELECT chat.purge()$$, 'purge messages'),
    ('import_thread', $$SELECT chat.import_thread('{"subject": "forged", "members": [{"user_id": 3}], "messages": [{"sender_id": 1, "sent_at": "2020-01-01", "content": "I owe Mallory"}]}')$$,
     'import messages'),
    ('import_messages', $$SELECT chat.import_messages(1, '[{"sender_id": 1, "sent_at": "2020-01-01T00:00:00Z", "content": "x"}]')$$,
     'import messages'),
    ('import_pinax', $$SELECT * FROM chat.import_pinax()$$, 'import messages');
SELECT pg_temp.attack(fn, m, format('%s: %s, to %s', fn, CASE m WHEN 'admin' THEN 'Mallory' ELSE 'no identity' END, substr(sql, 8)),
                      sql, '42501', 'permission denied to ' || what)
  FROM admin_call, unnest('{admin,nobody}'::text[]) m;

-- the open functions, with no identity
SELECT pg_temp.attack('current_user_id', 'open', 'current_user_id: no identity is NULL',
                      $$SELECT coalesce(chat.current_user_id()::text, 'none')$$, NULL, NULL, 'none');
SELECT pg_temp.attack('is_server_role', 'open', 'is_server_role: no identity',
                      $$SELECT chat.is_server_role()$$, NULL, NULL, 'false');
SELECT pg_temp.attack('get_setting', 'open', 'get_setting: no identity',
                      $$SELECT chat.get_setting('max_subject_length')$$, NULL, NULL, '255');
SELECT pg_temp.attack('display_name', 'open', 'display_name: no identity',
                      $$SELECT chat.display_name(2)$$, NULL, NULL, 'user 2 (regress_sec_web)');
SELECT pg_temp.attack('propagate_identity', 'open', 'propagate_identity: no identity, nothing done (no Citus)',
                      $$SELECT chat.propagate_identity()::text || coalesce(nullif(current_setting('request.jwt.claims', true), ''), 'none')$$,
                      NULL, NULL, 'none');

-- nothing is missed
SELECT set_eq($$SELECT fn FROM attack$$, $$SELECT fn FROM api$$,
              'the attempts cover every public function of the catalog');
SELECT set_eq($$SELECT fn FROM attack WHERE mode = 'as_other'$$,
              $$SELECT fn FROM api WHERE pg_get_function_arguments(oid) ~ 'chat.user_id DEFAULT chat.current_user_id\(\)'$$,
              'every function with an acting user is called as another user');
SELECT set_eq($$SELECT fn FROM attack WHERE mode = 'nobody'$$,
              $$SELECT fn FROM api WHERE fn NOT IN (SELECT fn FROM open_api)$$,
              'every function but the open ones is called with no identity');
SELECT set_eq($$SELECT fn FROM attack WHERE mode = 'admin'$$,
              $$SELECT fn FROM api WHERE prosrc ~ '_require_server\('$$,
              'every administration function is called by an end user');
SELECT set_eq($$SELECT fn FROM attack WHERE mode = 'outsider'$$,
              $$SELECT fn FROM api
                 WHERE fn NOT IN (SELECT fn FROM attack WHERE mode = 'admin')
                   AND (SELECT p.proargnames[1:p.pronargs] FROM pg_proc p WHERE p.oid = api.oid)
                       && '{thread_id,message_id}'::text[]$$,
              'every function taking a thread or a message is called on another''s');

SELECT pg_temp.fails(CASE mode WHEN 'nobody' THEN pg_temp.as_nobody(sql) ELSE pg_temp.as_mallory(sql) END,
                     code, msg, what)
  FROM attack WHERE code IS NOT NULL ORDER BY n;
SELECT pg_temp.gives(CASE mode WHEN 'open' THEN 'regress_sec_web' ELSE 'regress_sec_mallory' END,
                     sql, expected, what)
  FROM attack WHERE code IS NULL ORDER BY n;

/* ---- reading chat's tables and views directly ------------------------------------------- */

/*
 * Alice is in her 6 threads, Mallory's group and her admin group (8); Mallory
 * in those two (2); both see the public group in chat.public_thread, not in
 * chat.thread, whose row shows its last message.  Deleted messages are
 * seen by their sender only: Alice does not see Bob's :pdel nor Mallory's
 * :mdel, Mallory sees her own.  Configuration is readable by all; of the
 * role mappings each role sees its own.
 */
CREATE TEMP TABLE visible (rel text, alice int, mallory int);
INSERT INTO visible VALUES
    ('thread', 8, 2), ('public_thread', 1, 1), ('member', 16, 5), ('message', 17, 6), ('message_edit', 1, 0),
    ('reaction', 2, 1), ('attachment', 1, 0), ('setting', 1, 1), ('setting_default', 31, 31),
    ('permission_default', 12, 12), ('hook', 1, 1), ('model', 1, 1), ('user_binding', 1, 1),
    ('role_map', 1, 1), ('member_view', 16, 5), ('message_view', 17, 6), ('message_receipt', 6, 3),
    ('settings', 31, 31), ('event_kind', 25, 25);
SELECT set_eq($$SELECT rel FROM visible$$,
              $$SELECT relname::text FROM pg_class WHERE relnamespace = 'chat'::regnamespace AND relkind IN ('r', 'p', 'v')
                   AND relname NOT IN ('event', 'event_pruned', 'notification', 'notifier', 'purge_progress')$$,
              'the counts cover every table and view of schema chat (chat.event, chat.event_pruned, the notification queue and chat.purge_progress are readable by none)');
SELECT is(pg_temp.q(r, format('SELECT count(*) FROM chat.%I', v.rel)), n::text,
          format('%s sees %s rows of chat.%s', r, n, v.rel))
  FROM visible v, LATERAL (VALUES ('regress_sec_alice', v.alice), ('regress_sec_mallory', v.mallory)) x(r, n)
 ORDER BY v.rel, r;
SELECT is(pg_temp.q('regress_sec_mallory', 'SELECT array_agg(id ORDER BY id) FROM chat.thread'),
          format('{%s,%s}', :mg, :ag), 'Mallory''s threads: hers and her admin group');
SELECT is(pg_temp.q('regress_sec_mallory', 'SELECT array_agg(id) FROM chat.public_thread'),
          format('{%s}', :pub), 'and the public group, in chat.public_thread');
SELECT is(pg_temp.q('regress_sec_mallory', format($$SELECT to_jsonb(p) ? 'last_preview' FROM chat.public_thread p WHERE id = %s$$, :pub)),
          'false', 'which shows no preview of its last message');
SELECT is(pg_temp.q('regress_sec_mallory', 'SELECT count(DISTINCT thread_id) FROM chat.member'), '2',
          'she sees the members of her two threads only');
SELECT is(pg_temp.q('regress_sec_mallory', format('SELECT count(*) FROM chat.message WHERE thread_id = %s', :pub)), '0',
          'a public thread: not its messages');
SELECT is(pg_temp.q('regress_sec_mallory', format('SELECT count(*) FROM chat.member WHERE thread_id = %s', :pub)), '0',
          'a public thread: not its members');
-- (hidden by the policies, or not readable at all)
SELECT matches(pg_temp.q('regress_sec_mallory', format('SELECT count(*) FROM chat.thread WHERE id = %s AND last_preview IS NOT NULL', :pub)),
               '^(0|ERROR 42501: .*)$', 'a public thread: not its latest message, through the thread row''s preview');
SELECT is(pg_temp.q('regress_sec_alice', format('SELECT count(*) FROM chat.message WHERE id IN (%s, %s)', :pdel, :mdel)), '0',
          'Alice does not see messages others deleted');
SELECT is(pg_temp.q('regress_sec_bob', format('SELECT content FROM chat.message WHERE id = %s', :pdel)), 'bob regrets this',
          'Bob sees his own deleted message');
SELECT is(pg_temp.q('regress_sec_alice', format('SELECT count(*) FROM chat.message_view WHERE id = %s', :pdel)), '0',
          'nor through chat.message_view');
SELECT is(pg_temp.q('regress_sec_mallory', format('SELECT count(*) FROM chat.message_edit WHERE message_id = %s', :pm)), '0',
          'the edit history of a message is not seen outside its thread');
SELECT is(pg_temp.q('regress_sec_mallory', 'SELECT string_agg(role::text, '','') FROM chat.role_map'), 'regress_sec_mallory',
          'Mallory sees her own role mapping only');

-- a function in the query sees only the rows the policies let through
CREATE TABLE regress_sec_app.leaked (content text);
GRANT INSERT ON regress_sec_app.leaked TO PUBLIC;
CREATE FUNCTION regress_sec_app.leak(c text) RETURNS boolean
    LANGUAGE sql VOLATILE AS $$ INSERT INTO regress_sec_app.leaked VALUES (c) RETURNING true $$;
SELECT is(pg_temp.q('regress_sec_mallory', 'SELECT count(*) FROM chat.message WHERE regress_sec_app.leak(content)'), '6',
          'a leaky function in WHERE: Mallory counts her 6 messages');
SELECT is_empty(format($$SELECT content FROM regress_sec_app.leaked
                          EXCEPT ALL
                          SELECT content FROM chat.message WHERE thread_id IN (%s, %s)$$, :mg, :ag),
                'and the function was given no other message''s content');
-- the planner's statistics do not show others' values
ANALYZE chat.message;
ANALYZE chat.thread;
SELECT cmp_ok((SELECT count(*)::int FROM pg_stats WHERE schemaname = 'chat'), '>', 0, 'chat''s tables have statistics');
SELECT is(pg_temp.q('regress_sec_mallory', $$SELECT count(*) FROM pg_stats WHERE schemaname = 'chat'$$), '0',
          'which pg_stats does not show an end user');

/* ---- writing chat's tables directly ----------------------------------------------------- */

CREATE FUNCTION pg_temp.rls(rel text) RETURNS text
    LANGUAGE sql AS $$ SELECT format('new row violates row-level security policy for table "%s"', rel) $$;
-- INSERT into every table and view
SELECT pg_temp.fails(pg_temp.as_mallory(sql), '42501', msg, 'INSERT INTO chat.' || rel)
  FROM (VALUES
    ('thread', $$INSERT INTO chat.thread (id, kind, subject) VALUES (9999, 'group', 'mine')$$, pg_temp.rls('thread')),
    ('member', format($$INSERT INTO chat.member (thread_id, user_id, role) VALUES (%s, 3, 'owner')$$, :p), pg_temp.rls('member')),
    ('message', format($$INSERT INTO chat.message (thread_id, id, sender_id, content) VALUES (%s, 9999, 3, 'x')$$, :p),
     'permission denied to insert into chat.message directly'),
    ('message_edit', format($$INSERT INTO chat.message_edit VALUES (%s, %s, 9, 'forged history', now())$$, :p, :pm),
     pg_temp.rls('message_edit')),
    ('reaction', format($$INSERT INTO chat.reaction (thread_id, message_id, user_id, reaction) VALUES (%s, %s, 1, 'forged')$$, :mg, :mgm),
     pg_temp.rls('reaction')),
    ('attachment', format($$INSERT INTO chat.attachment (thread_id, message_id, position, key) VALUES (%s, %s, 9, 'k')$$, :mg, :mgm),
     pg_temp.rls('attachment')),
    ('setting', $$INSERT INTO chat.setting VALUES ('server_roles', '["regress_sec_mallory"]')$$, pg_temp.rls('setting')),
    ('setting ... ON CONFLICT DO UPDATE', $$INSERT INTO chat.setting VALUES ('notify', 'true') ON CONFLICT (key) DO UPDATE SET value = excluded.value$$,
     pg_temp.rls('setting')),
    ('setting_default', $$INSERT INTO chat.setting_default (key, value, type, description) VALUES ('x', '1', 'integer', 'x')$$,
     pg_temp.rls('setting_default')),
    ('permission_default', $$INSERT INTO chat.permission_default SELECT * FROM chat.permission_default LIMIT 1$$,
     pg_temp.rls('permission_default')),
    ('hook', $$INSERT INTO chat.hook VALUES ('message_edited', 'regress_sec_app.log_hook(jsonb)', 9)$$, pg_temp.rls('hook')),
    ('model', $$INSERT INTO chat.model (model, renderer) VALUES ('thread', 'regress_sec_app.render(jsonb)')$$, pg_temp.rls('model')),
    ('user_binding', $$INSERT INTO chat.user_binding (singleton, tbl, id_column, on_delete) VALUES (false, 'regress_sec_app.users', 'id', 'cascade')$$,
     pg_temp.rls('user_binding')),
    ('role_map', $$INSERT INTO chat.role_map VALUES ('regress_sec_web', 1)$$, pg_temp.rls('role_map')),
    ('member_view', format($$INSERT INTO chat.member_view (thread_id, user_id, role) VALUES (%s, 3, 'owner')$$, :p),
     pg_temp.rls('member')),
    ('message_view', format($$INSERT INTO chat.message_view (thread_id, id, sender_id) VALUES (%s, 9999, 3)$$, :p),
     'permission denied to insert into chat.message directly')) v(rel, sql, msg);
SELECT pg_temp.fails(pg_temp.as_mallory(format('INSERT INTO chat.%I DEFAULT VALUES', rel)), '55000',
                     format('cannot insert into view "%s"', rel), 'INSERT INTO chat.' || rel)
  FROM unnest('{settings,message_receipt}'::text[]) rel;

-- UPDATE and DELETE find nothing, not even her own rows
CREATE FUNCTION pg_temp.touches(sql text, what text) RETURNS SETOF text
    LANGUAGE sql AS $$
    SELECT pg_temp.gives('regress_sec_mallory', format('WITH d AS (%s RETURNING 1) SELECT count(*) FROM d', sql), '0', what)
$$;
SELECT pg_temp.touches(format('DELETE FROM chat.message WHERE thread_id = %s', :p), 'DELETE Alice''s private messages');
SELECT pg_temp.touches(format('DELETE FROM chat.message WHERE thread_id = %s', :mg), 'DELETE the messages of her own group');
SELECT pg_temp.touches('DELETE FROM chat.thread', 'DELETE every thread');
SELECT pg_temp.touches(format('DELETE FROM chat.member WHERE thread_id = %s AND user_id = 1', :ag), 'DELETE the owner of her admin group');
SELECT pg_temp.touches('DELETE FROM chat.reaction', 'DELETE the reactions');
SELECT pg_temp.touches('DELETE FROM chat.attachment', 'DELETE the attachments');
SELECT pg_temp.touches('DELETE FROM chat.message_edit', 'DELETE the edit histories');
SELECT pg_temp.touches(format($$UPDATE chat.message SET content = 'pwned' WHERE thread_id = %s$$, :mg),
                       'UPDATE another''s message she can read');
SELECT pg_temp.touches(format('UPDATE chat.message SET deleted_at = NULL WHERE id = %s', :mdel), 'UPDATE to undelete her message');
SELECT pg_temp.touches($$UPDATE chat.member SET role = 'owner',
                                                permissions = '{add_members,remove_members,post,delete_messages,delete_own_messages,edit_messages,edit_own_messages,edit_thread,delete_thread}'
                          WHERE user_id = 3$$, 'UPDATE her own role and permissions');
SELECT pg_temp.touches('UPDATE chat.member SET read_count = 0, message_count = 1000000', 'UPDATE the unread counters');
SELECT pg_temp.touches(format('UPDATE chat.thread SET is_public = true WHERE id = %s', :mg), 'UPDATE her group to public');
SELECT pg_temp.touches($$UPDATE chat.setting SET value = 'true'$$, 'UPDATE a setting');
SELECT pg_temp.touches('DELETE FROM chat.hook', 'DELETE the hooks');
SELECT pg_temp.touches('DELETE FROM chat.model', 'DELETE the swapped models');
SELECT pg_temp.touches('UPDATE chat.user_binding SET display_name = NULL', 'UPDATE the user binding');
SELECT pg_temp.touches('UPDATE chat.permission_default SET permissions = permissions || ''{delete_thread}''',
                       'UPDATE the default permissions');
SELECT pg_temp.touches('UPDATE chat.role_map SET user_id = 1', 'UPDATE her mapping to Alice');
SELECT pg_temp.touches('DELETE FROM chat.role_map', 'DELETE her mapping, to use chat.user_id');
SELECT pg_temp.touches('UPDATE chat.purge_progress SET thread_id = 0', 'UPDATE where chat.purge goes on');
SELECT pg_temp.touches('UPDATE chat.member_view SET muted = true', 'UPDATE through chat.member_view');
SELECT pg_temp.touches('DELETE FROM chat.message_view', 'DELETE through chat.message_view');
SELECT pg_temp.gives('regress_sec_mallory', 'SELECT count(*) FROM (SELECT 1 FROM chat.thread FOR UPDATE) x', '0',
                     'SELECT FOR UPDATE locks no thread');
SELECT pg_temp.fails(pg_temp.as_mallory($$MERGE INTO chat.member m USING (SELECT 1) s ON m.user_id = 3
                                          WHEN MATCHED THEN UPDATE SET role = 'owner'$$),
                     '42501', 'target row violates row-level security policy (USING expression) for table "member"',
                     'MERGE to make herself owner');
-- nor around row-level security
SELECT pg_temp.fails(pg_temp.as_mallory('SET LOCAL row_security = off; SELECT count(*) FROM chat.message'),
                     '42501', 'query would be affected by row-level security policy for table "message"',
                     'turning row_security off');
SELECT pg_temp.fails(pg_temp.as_mallory('ALTER TABLE chat.message DISABLE ROW LEVEL SECURITY'),
                     '42501', 'must be owner of table message', 'ALTER TABLE to disable row-level security');
SELECT pg_temp.fails(pg_temp.as_mallory('CREATE POLICY mine ON chat.message FOR ALL USING (true)'),
                     '42501', 'must be owner of table message', 'CREATE POLICY');
SELECT pg_temp.fails(pg_temp.as_mallory('TRUNCATE chat.role_map'),
                     '42501', 'permission denied for table role_map', 'TRUNCATE (never granted)');
SELECT pg_temp.fails(pg_temp.as_mallory(format('SELECT %s(%L%s)', f, 'chat.' || s, CASE f WHEN 'setval' THEN ', 1' ELSE '' END)),
                     '42501', format('permission denied for sequence %s', s), format('%s on chat.%s', f, s))
  FROM unnest('{nextval,setval,currval}'::text[]) f, unnest('{thread_id_seq,message_id_seq}'::text[]) s;

-- chat's internal functions, now executable: they refuse or cannot write
SELECT pg_temp.fails(pg_temp.as_mallory(format($$SELECT chat._emit('message_sent', %s, %s, 1, NULL)$$, :mg, :mgm)),
                     '42501', 'permission denied for function chat._emit', 'chat._emit');
SELECT pg_temp.fails(pg_temp.as_mallory(format($$SELECT chat._add_attachments(%s, %s, '[{"key": "k"}]')$$, :mg, :mgm)),
                     '42501', pg_temp.rls('attachment'), 'chat._add_attachments');
SELECT pg_temp.fails(pg_temp.as_mallory(format($$SELECT chat._fill_extra('message', %s, %s, NULL, '{"note": "x"}')$$, :mg, :mgm)),
                     '42501', 'permission denied for table message_meta', 'chat._fill_extra');
SELECT pg_temp.fails(pg_temp.as_mallory(format($$SELECT chat._system_message(%s, 1, 'Alice is now the owner')$$, :mg)),
                     '42501', 'permission denied to insert into chat.message directly', 'chat._system_message');
SELECT pg_temp.fails(pg_temp.as_mallory(format($$SELECT chat._insert_members((SELECT t FROM chat.thread t WHERE t.id = %s), '{4}', 'owner')$$, :mg)),
                     '42501', pg_temp.rls('member'), 'chat._insert_members');
SELECT pg_temp.fails(pg_temp.as_mallory(format($$SELECT chat._change_permission(%s, 3, 3, 'delete_thread', true)$$, :ag)),
                     '42704', format('thread %s does not exist', :ag), 'chat._change_permission (it cannot lock the thread)');
SELECT pg_temp.gives('regress_sec_mallory', format($$SELECT 'done' FROM (SELECT chat._recount(%s)) x$$, :mg), 'done',
                     'chat._recount runs and changes nothing');
SELECT pg_temp.gives('regress_sec_mallory', format($$SELECT 'done' FROM (SELECT chat._member_count('{%s}')) x$$, :mg), 'done',
                     'chat._member_count runs and changes nothing');
-- the internal functions, granted here: they run with the caller's rights,
-- and row-level security and the missing sequence privileges leave them
-- nothing to change
SELECT pg_temp.fails(pg_temp.as_mallory($$SELECT chat._create_room('group', 1, 's', '{3}', false, NULL, NULL, NULL)$$),
                     '42501', 'permission denied for sequence thread_id_seq', 'chat._create_room as Alice');
SELECT pg_temp.fails(pg_temp.as_mallory(format($$SELECT chat._leave(%s, 1)$$, :mg)),
                     '42704', format('thread %s does not exist', :mg), 'chat._leave as Alice (she cannot lock the thread)');
SELECT pg_temp.gives('regress_sec_mallory', format($$SELECT 'done' FROM (SELECT chat._within(%s, '{}', '{1,2}')) x$$, :mg),
                     'done', 'chat._within as Alice changes nothing');
SELECT pg_temp.gives('regress_sec_mallory', format($$SELECT coalesce(chat._held(%s, 1)::text, 'none') $$, :ag),
                     'none', 'chat._held shows Mallory nothing of a thread she is not in');

/* ---- forged identities ------------------------------------------------------------------- */

/*
 * (Switching to another role is PostgreSQL's to refuse, and this session's
 * login role is a superuser, which may switch to any: not tested here.)
 */
-- a mapped role is its user, whatever chat.user_id and the JWT claims say
SELECT pg_temp.gives('regress_sec_alice', 'SELECT chat.current_user_id()', '1',
                     'Alice with Bob''s chat.user_id and claims is still user 1', '2', '{"sub": "2"}');
SELECT pg_temp.gives('regress_sec_alice', 'SELECT count(*) FROM chat.thread', '8',
                     'and the policies read her threads, not Bob''s', '2', '{"sub": "2"}');
SELECT pg_temp.gives('regress_sec_alice', format('SELECT count(*) FROM chat.messages(%s)', :p), '4',
                     'she reads her own thread as herself', '2', '{"sub": "2"}');
SELECT pg_temp.fails(pg_temp.as_role('regress_sec_alice', 'SELECT * FROM chat.inbox(2)', '2', '{"sub": "2"}'),
                     '42501', 'permission denied to act as user "2"', 'Alice claiming to be Bob reads his inbox');
SELECT pg_temp.fails(pg_temp.as_role('regress_sec_alice', format($$SELECT chat.new_reply(%s, 2, 'signed Bob')$$, :p),
                                     '2', '{"sub": "2"}'),
                     '42501', 'permission denied to act as user "2"', 'Alice claiming to be Bob replies as Bob');
SELECT pg_temp.fails(pg_temp.as_role('regress_sec_alice', format($$SELECT chat.mark_read(%s, 2)$$, :p), '', '{"sub": "2"}'),
                     '42501', 'permission denied to act as user "2"', 'Alice with Bob''s claims alone marks as Bob');
SET LOCAL request.jwt.claim.sub = '2';
SELECT pg_temp.gives('regress_sec_alice', 'SELECT chat.current_user_id()', '1',
                     'nor does the older request.jwt.claim.sub change her');
SET LOCAL request.jwt.claim.sub = '';

-- an unmapped role is whom the trusted layer says: chat.user_id, else the claims' sub
SELECT pg_temp.gives('regress_sec_web', 'SELECT chat.current_user_id()', '2', 'the web role with chat.user_id 2 is user 2', '2');
SELECT pg_temp.gives('regress_sec_web', 'SELECT count(*) FROM chat.thread', '6', 'and reads Bob''s threads', '2');
SELECT pg_temp.gives('regress_sec_web', 'SELECT chat.inbox_count()', '6', 'and his inbox', '2');
SELECT pg_temp.fails(pg_temp.as_role('regress_sec_web', 'SELECT chat.inbox_count(1)', '2'),
                     '42501', 'permission denied to act as user "1"', 'but not Alice''s');
SELECT pg_temp.gives('regress_sec_web', 'SELECT chat.current_user_id()', '4', 'chat.user_id empty: the sub claim', '',
                     '{"sub": "4", "role": "regress_sec_web"}');
SELECT pg_temp.gives('regress_sec_web', 'SELECT chat.current_user_id()', '4', 'a numeric sub claim', '', '{"sub": 4}');
SELECT pg_temp.gives('regress_sec_web', 'SELECT chat.current_user_id()', 'ERROR 42501: chat.user_id is "5" but the JWT claims are for user "4"',
                     'chat.user_id and claims naming two users are refused (0.7)', '5', '{"sub": "4"}');
SELECT pg_temp.gives('regress_sec_web', 'SELECT coalesce(chat.current_user_id()::text, ''none'')', 'none',
                     'claims without sub: no identity', '', '{"role": "regress_sec_web"}');
SET LOCAL request.jwt.claim.sub = '6';
SELECT pg_temp.gives('regress_sec_web', 'SELECT chat.current_user_id()', '6', 'else request.jwt.claim.sub');
SET LOCAL request.jwt.claim.sub = '';
SELECT pg_temp.fails(pg_temp.as_role('regress_sec_web', 'SELECT chat.inbox_count()', '', '{"sub": "x''; --"}'),
                     '22P02', 'invalid input syntax for type bigint: "x''; --"', 'a sub that is not a user id');
SELECT pg_temp.fails(pg_temp.as_role('regress_sec_web', 'SELECT chat.inbox_count()', '', '{"sub": '),
                     '22P02', 'invalid input syntax for type json', 'claims that are not JSON');

/* ---- server roles ----------------------------------------------------------------------- */

SELECT pg_temp.gives('regress_sec_server', 'SELECT chat.is_server_role()', 'false',
                     'an application role is an end user until listed');
SELECT pg_temp.fails(pg_temp.as_role('regress_sec_server', format($$SELECT chat.new_reply(%s, 2, 'from the server')$$, :p)),
                     '42501', 'role "regress_sec_server" has no chat user', 'so it cannot act for Bob');
SELECT pg_temp.fails($$SELECT chat.set_setting('server_roles', '["regress_sec_server", "regress_sec_nobody"]')$$,
                     '22023', 'role "regress_sec_nobody" does not exist', 'server_roles: an unknown role');
SELECT pg_temp.fails($$SELECT chat.set_setting('server_roles', '"regress_sec_server"')$$,
                     '22023', 'invalid value for setting "server_roles": "regress_sec_server"', 'server_roles: not an array');
SELECT lives_ok($$SELECT chat.set_setting('server_roles', '["regress_sec_server"]')$$, 'the superuser lists the role');
SELECT pg_temp.rebase() \g /dev/null
SELECT pg_temp.gives(r, 'SELECT chat.is_server_role()', 'true', r || ' is a server role')
  FROM unnest('{regress_sec_server,regress_sec_worker}'::text[]) r;
SELECT pg_temp.gives(r, 'SELECT chat.is_server_role()', 'false', r || ' is not')
  FROM unnest('{regress_sec_mallory,regress_sec_web}'::text[]) r;
SELECT pg_temp.gives('regress_sec_server', 'SELECT count(*) FROM chat.thread', '8', 'a server role sees every thread');
SELECT pg_temp.gives('regress_sec_server', 'SELECT count(*) FROM chat.message', '19', 'and every message, deleted ones too');
SELECT pg_temp.gives('regress_sec_server', 'SELECT count(*) FROM chat.role_map', '3', 'and every role mapping');
SELECT pg_temp.gives('regress_sec_server', 'SELECT chat.inbox_count(1)', '8', 'it reads Alice''s inbox');
SELECT pg_temp.gives('regress_sec_worker', 'SELECT chat.inbox_count(2)', '6', 'so does a member of the listed role');
SELECT matches(pg_temp.q('regress_sec_server', format($$SELECT chat.new_reply(%s, 2, 'from the server')$$, :p)), '^\d+$',
               'it replies as Bob');
SELECT is((SELECT sender_id::int FROM chat.message WHERE thread_id = :p ORDER BY id DESC LIMIT 1), 2, 'the reply is Bob''s');
SELECT is(pg_temp.q('regress_sec_worker', format('SELECT chat.mark_read(%s, 1)', :p)), '1', 'the worker marks it read for Alice');
-- a server role that is not a superuser gets no more than its own rights from chat
CREATE FUNCTION regress_sec_app.server_render(e jsonb) RETURNS jsonb
    LANGUAGE sql STABLE AS $$ SELECT e || jsonb_build_object('rendered_by', current_user::text) $$;
ALTER FUNCTION regress_sec_app.server_render(jsonb) OWNER TO regress_sec_server;
SELECT is(pg_temp.q('regress_sec_server', $$SELECT 'done' FROM (SELECT chat.swap_renderer('message', 'regress_sec_app.server_render(jsonb)')) x$$),
          'done', 'a server role registers its own renderer');
SELECT is(pg_temp.q('regress_sec_server', format($$SELECT extra ->> 'rendered_by' FROM chat.messages(%s, 1) LIMIT 1$$, :p)),
          'regress_sec_server', 'which runs as that role, not as the extension''s owner');
SELECT chat.swap_renderer('message', 'regress_sec_app.render(jsonb)') \g /dev/null
-- delisting takes effect at once
SELECT lives_ok($$SELECT chat.set_setting('server_roles', '[]')$$, 'the superuser empties server_roles');
SELECT pg_temp.rebase() \g /dev/null
SELECT pg_temp.gives(r, 'SELECT chat.is_server_role()', 'false', r || ' is no longer a server role')
  FROM unnest('{regress_sec_server,regress_sec_worker}'::text[]) r;
SELECT pg_temp.gives('regress_sec_server', 'SELECT count(*) FROM chat.thread', '0', 'it sees no thread''s row');
SELECT pg_temp.fails(pg_temp.as_role('regress_sec_server', format($$SELECT chat.new_reply(%s, 2, 'from the server')$$, :p)),
                     '42501', 'role "regress_sec_server" has no chat user', 'and acts for nobody');

/* ---- the application's code runs as the caller ----------------------------------------- */

-- hooks, the display name and renderers are the application's: they run as the calling role
DELETE FROM regress_sec_app.hook_log;
SELECT matches(pg_temp.q('regress_sec_alice', format($$SELECT chat.new_reply(%s, content => 'who runs the hook?')$$, :p)), '^\d+$',
               'Alice replies');
SELECT pg_temp.rebase() \g /dev/null
SELECT is((SELECT string_agg(DISTINCT role || ' ' || user_name, ',') FROM regress_sec_app.hook_log),
          'regress_sec_alice user 1 (regress_sec_alice)', 'her hook ran as her, and so did the display name of the event');
SELECT is(pg_temp.q('regress_sec_alice', format($$SELECT extra ->> 'rendered_by' FROM chat.messages(%s) ORDER BY id DESC LIMIT 1$$, :p)),
          'regress_sec_alice', 'the renderer of messages() runs as Alice');
SELECT is(pg_temp.q('regress_sec_alice', format($$SELECT display_name FROM chat.member_view WHERE thread_id = %s AND user_id = 1$$, :p)),
          'user 1 (regress_sec_alice)', 'the display name of chat.member_view runs as Alice');
SELECT pg_temp.q('regress_sec_alice', $$SELECT chat.create_group(title => 'named by whom?', members => '{2}')$$) AS named \gset
SELECT pg_temp.rebase() \g /dev/null
SELECT is((SELECT content FROM chat.message WHERE thread_id = :named ORDER BY id LIMIT 1),
          'user 1 (regress_sec_alice) created the group', 'the display name in a system message runs as Alice');

/* ---- an admin against the owner ------------------------------------------------------------- */

-- Mallory is an admin of Alice's :ag: she manages members, not the owner
SELECT pg_temp.fails(pg_temp.as_mallory(format($$SELECT chat.set_role(%s, member => 3, role => 'owner')$$, :ag)),
                     '42501', format('permission denied to change roles in thread %s', :ag), 'an admin makes herself owner');
SELECT pg_temp.fails(pg_temp.as_mallory(format($$SELECT chat.set_role(%s, member => 1, role => 'member')$$, :ag)),
                     '42501', format('permission denied to change roles in thread %s', :ag), 'an admin demotes the owner');
SELECT pg_temp.fails(pg_temp.as_mallory(format($$SELECT chat.remove_member(%s, member => 1)$$, :ag)),
                     '42501', format('permission denied to remove members in thread %s', :ag), 'an admin removes the owner');
SELECT pg_temp.fails(pg_temp.as_mallory(format($$SELECT chat.revoke(%s, member => 1, permission => 'post')$$, :ag)),
                     '42501', format('permission denied to revoke permissions in thread %s', :ag), 'an admin silences the owner');
SELECT pg_temp.fails(pg_temp.as_mallory(format($$SELECT chat.add_members(%s, users => '{4}', role => 'owner')$$, :ag)),
                     '42501', format('permission denied to add members as owner in thread %s', :ag), 'an admin adds an owner');
SELECT pg_temp.fails(pg_temp.as_mallory(format($$SELECT chat.drop_thread(%s)$$, :ag)),
                     '42501', format('permission denied to delete in thread %s', :ag), 'an admin drops the owner''s group');
SELECT pg_temp.fails(pg_temp.as_mallory(format($$SELECT chat.edit_message(%s, content => 'the owner said so')$$, :agm)),
                     '42501', format('permission denied to edit message %s', :agm), 'an admin edits the owner''s message');
-- nor does she give herself what the owner keeps
SELECT pg_temp.fails(pg_temp.as_mallory(format($$SELECT chat.grant(%s, member => 3, permission => 'delete_thread')$$, :ag)),
                     '42501', NULL, 'an admin grants herself delete_thread');
SELECT pg_temp.fails(pg_temp.as_mallory(format($$SELECT chat.grant(%s, member => 3, permission => 'edit_messages')$$, :ag)),
                     '42501', NULL, 'an admin grants herself edit_messages');
SELECT pg_temp.rebase() \g /dev/null
SELECT pg_temp.fails(pg_temp.as_mallory(format($$SELECT chat.drop_thread(%s)$$, :ag)),
                     '42501', format('permission denied to delete in thread %s', :ag), 'so the owner''s group stays');
SELECT pg_temp.rebase() \g /dev/null

/* ---- injection through what users write ------------------------------------------------------- */

/*
 * Alice writes hostile text everywhere she chooses text: each is stored as
 * given or refused, and nothing outside the threads she writes to changes.
 */
CREATE TEMP TABLE before_injection AS SELECT pg_temp.state() AS state;
CREATE TEMP TABLE hostile (what text PRIMARY KEY, input text);
INSERT INTO hostile VALUES
    ('subject', $h$x'); DELETE FROM chat.message; --$h$),
    ('content', $h$'; DROP TABLE chat.thread; -- $$ \' %s %I$h$),
    ('reply', $h$"); TRUNCATE chat.member; -- ' || pg_sleep(1) || '$h$),
    ('reaction', $h$'; DROP TABLE chat.thread; --$h$),
    ('reaction2', $h$%I" \x' ;$h$),
    ('title', $h$Robert'); DROP TABLE chat.member; --$h$),
    ('rename', $h$%s %I %L "a""b" 'c''d' $$e$$$h$),
    ('key', $h$s3://b/x'); DELETE FROM chat.attachment; --$h$),
    ('name', $h$a"b'c.png$h$),
    ('note', $h$x'); DROP TABLE chat.thread; --$h$),
    ('object_type', $h$product' OR '1'='1$h$),
    ('object_id', $h$1; DROP TABLE chat.thread$h$);
CREATE FUNCTION pg_temp.h(w text) RETURNS text LANGUAGE sql AS $$ SELECT input FROM hostile WHERE what = w $$;

SELECT pg_temp.q('regress_sec_alice', format(
    $$SELECT chat.new_message(recipients => '{2}', subject => %L, content => %L, attachments => %L, extra => %L)$$,
    pg_temp.h('subject'), pg_temp.h('content'),
    jsonb_build_array(jsonb_build_object('key', pg_temp.h('key'), 'name', pg_temp.h('name'),
                                         'meta', jsonb_build_object(pg_temp.h('name'), pg_temp.h('note')))),
    jsonb_build_object('note', pg_temp.h('note'), 'we"ird', pg_temp.h('name'), '%I', pg_temp.h('rename')))) AS injm \gset
SELECT thread_id AS inj FROM chat.message WHERE id = :injm \gset
SELECT is((SELECT subject FROM chat.thread WHERE id = :inj), pg_temp.h('subject'), 'a hostile subject is stored as given');
SELECT is((SELECT content FROM chat.message WHERE id = :injm), pg_temp.h('content'), 'a hostile content is stored as given');
SELECT is((SELECT ARRAY[key, name, meta ->> pg_temp.h('name')] FROM chat.attachment WHERE message_id = :injm),
          ARRAY[pg_temp.h('key'), pg_temp.h('name'), pg_temp.h('note')], 'hostile attachment fields are stored as given');
SELECT is((SELECT ARRAY[note, "we""ird", "%I"] FROM regress_sec_app.message_meta WHERE message_id = :injm),
          ARRAY[pg_temp.h('note'), pg_temp.h('name'), pg_temp.h('rename')],
          'extra fields named "we""ird" and "%I" are stored in their own columns');
SELECT pg_temp.q('regress_sec_alice', format($$SELECT chat.new_reply(%s, content => %L)$$, :inj, pg_temp.h('reply'))) AS injr \gset
SELECT is((SELECT content FROM chat.message WHERE id = :injr), pg_temp.h('reply'), 'a hostile reply is stored as given');
SELECT is(pg_temp.q('regress_sec_alice', format($$SELECT chat.add_reaction(%s, reaction => %L)$$, :injm, r)), 'true',
          'a hostile reaction is added: ' || r)
  FROM unnest(ARRAY[pg_temp.h('reaction'), pg_temp.h('reaction2')]) r;
SELECT is(pg_temp.q('regress_sec_alice', format($$SELECT string_agg(reaction, '|' ORDER BY reaction) FROM chat.reactions(%s)$$, :injm)),
          (SELECT string_agg(r, '|' ORDER BY r) FROM unnest(ARRAY[pg_temp.h('reaction'), pg_temp.h('reaction2')]) r),
          'and reactions() returns both as given');
SELECT is(pg_temp.q('regress_sec_alice', format($$SELECT 'done' FROM (SELECT chat.rename_thread(%s, title => %L)) x$$, :inj, pg_temp.h('rename'))),
          'done', 'a hostile title renames the thread');
SELECT is((SELECT subject FROM chat.thread WHERE id = :inj), pg_temp.h('rename'), 'the title is stored as given');
SELECT ok((SELECT content FROM chat.message WHERE thread_id = :inj ORDER BY id DESC LIMIT 1) LIKE '% to "' || pg_temp.h('rename') || '"',
          'and quoted as given in the system message');
SELECT pg_temp.q('regress_sec_alice', format($$SELECT chat.create_group(title => %L, members => '{2}')$$, pg_temp.h('title'))) AS injg \gset
SELECT is((SELECT subject FROM chat.thread WHERE id = :injg), pg_temp.h('title'), 'a hostile group title is stored as given');
SELECT pg_temp.q('regress_sec_alice', format($$SELECT chat.object_thread(%L, %L, title => %L)$$,
                 pg_temp.h('object_type'), pg_temp.h('object_id'), pg_temp.h('title'))) AS injo \gset
SELECT is((SELECT ARRAY[object_type, object_id] FROM chat.thread WHERE id = :injo),
          ARRAY[pg_temp.h('object_type'), pg_temp.h('object_id')], 'a hostile object''s room is stored as given');
SELECT is(pg_temp.q('regress_sec_alice', format($$SELECT chat.object_thread(%L, %L)$$, pg_temp.h('object_type'), pg_temp.h('object_id'))),
          :injo::text, 'and found again by it');
SELECT is(pg_temp.state(ARRAY[:inj, :injg, :injo]), (SELECT state FROM before_injection),
          'nothing outside the threads Alice wrote to changed');
SELECT is((SELECT count(*)::int FROM chat.message WHERE thread_id = :inj), 3, 'her thread holds her 3 messages');
SELECT is_empty('SELECT * FROM chat.verify_unread()', 'the counters are exact');
SELECT pg_temp.rebase() \g /dev/null

-- what is refused, with its SQLSTATE
CREATE FUNCTION pg_temp.as_alice(sql text) RETURNS text
    LANGUAGE sql AS $$ SELECT pg_temp.as_role('regress_sec_alice', sql) $$;
SELECT pg_temp.fails(pg_temp.as_alice(format($$SELECT chat.new_reply(%s, content => 'x', extra => %L)$$,
                                             :inj, jsonb_build_object('note"; DROP TABLE chat.thread; --', 1))),
                     '22023', 'unknown field "note"; DROP TABLE chat.thread; --" for model "message"',
                     'extra: a field name that is SQL');
SELECT pg_temp.fails(pg_temp.as_alice(format($$SELECT chat.new_reply(%s, content => 'x', extra => '{"%%s": 1}')$$, :inj)),
                     '22023', 'unknown field "%s" for model "message"', 'extra: a field name that is a format');
SELECT pg_temp.fails(pg_temp.as_alice(format($$SELECT chat.new_reply(%s, content => 'x', extra => '{"thread_id": 1}')$$, :inj)),
                     '22023', 'field "thread_id" of model "message" cannot be set', 'extra: the key field');
SELECT pg_temp.fails(pg_temp.as_alice(format($$SELECT chat.new_reply(%s, content => 'x', attachments => '[{"key": "k", "na''me": "x"}]')$$, :inj)),
                     '22023', 'attachment 1: unknown field "na''me"', 'attachments: a field name with a quote');
SELECT pg_temp.fails(pg_temp.as_alice(format($$SELECT chat.get_setting(%L)$$, pg_temp.h('subject'))),
                     '22023', format('unknown setting "%s"', pg_temp.h('subject')), 'get_setting: a key that is SQL');
SELECT pg_temp.fails(format($$SELECT chat.set_setting(%L, 'true')$$, pg_temp.h('subject')),
                     '22023', format('unknown setting "%s"', pg_temp.h('subject')), 'set_setting by the superuser: a key that is SQL');
SELECT pg_temp.fails(pg_temp.as_alice($$SELECT * FROM chat.inbox(folder => $f$inbox' OR '1'='1$f$)$$),
                     '22023', $$invalid folder "inbox' OR '1'='1"$$, 'inbox: a folder that is SQL');
SELECT pg_temp.fails(pg_temp.as_alice($$SELECT * FROM chat.inbox(before => $f$1:1' OR 1=1 --$f$)$$),
                     '22023', $$invalid cursor "1:1' OR 1=1 --"$$, 'inbox: a cursor that is SQL');
SELECT pg_temp.fails(pg_temp.as_alice(format($$SELECT chat.add_reaction(%s, reaction => %L)$$, :injm, repeat('''', 33))),
                     '22001', 'reaction is too long', 'a reaction of 33 quotes is too long');

/* ---- what end users are for still works ------------------------------------------------------ */

-- back to the privileges of the defaults
REVOKE ALL ON ALL TABLES IN SCHEMA chat FROM regress_sec_alice, regress_sec_bob, regress_sec_mallory, regress_sec_web;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA chat FROM regress_sec_alice, regress_sec_bob, regress_sec_mallory, regress_sec_web;

SELECT pg_temp.q('regress_sec_alice', format($$SELECT chat.new_reply(%s, content => 'lunch at noon?')$$, :p)) AS lunch \gset
SELECT is((SELECT ARRAY[sender_id::text, content] FROM chat.message WHERE id = :lunch), ARRAY['1', 'lunch at noon?'],
          'Alice replies in her thread, as herself');
SELECT is(pg_temp.q('regress_sec_alice', 'SELECT thread_id FROM chat.inbox() LIMIT 1'), :p::text,
          'it heads her inbox');
SELECT is(pg_temp.q('regress_sec_bob', format('SELECT unread_count FROM chat.inbox() WHERE thread_id = %s', :p)), '2',
          'Bob has two unread messages in the thread');
SELECT pg_temp.q('regress_sec_bob', 'SELECT threads FROM chat.unread_count()') AS badge \gset
SELECT is(pg_temp.q('regress_sec_bob', format('SELECT chat.mark_read(%s)', :p)), '2', 'he marks them read');
SELECT is(pg_temp.q('regress_sec_bob', format('SELECT unread_count FROM chat.inbox() WHERE thread_id = %s', :p)), '0',
          'and has none left there');
SELECT is(pg_temp.q('regress_sec_bob', 'SELECT threads FROM chat.unread_count()'), (:badge - 1)::text,
          'and his badge one thread less');
SELECT is(pg_temp.q('regress_sec_alice', format($$SELECT chat.add_reaction(%s, reaction => 'heart')$$, :pb)), 'true',
          'Alice reacts to Bob''s message');
SELECT is(pg_temp.q('regress_sec_bob', format($$SELECT string_agg(reaction, ',' ORDER BY reaction) FROM chat.reactions(%s)$$, :pb)),
          'heart,thumbs', 'Bob sees the reactions');
SELECT is(pg_temp.q('regress_sec_alice', format($$SELECT chat.edit_message(%s, content => 'lunch at one?')$$, :lunch)), :lunch::text,
          'Alice edits her message');
SELECT is(pg_temp.q('regress_sec_bob', format('SELECT string_agg(content, ''|'') FROM chat.message_history(%s)', :lunch)),
          'lunch at noon?', 'Bob reads its history');
SELECT is(pg_temp.q('regress_sec_alice', format($$SELECT 'done' FROM (SELECT chat.delete_message(%s)) x$$, :lunch)), 'done',
          'Alice deletes it');
SELECT is(pg_temp.q('regress_sec_bob', format('SELECT deleted::text || coalesce(content, '' (no content)'') FROM chat.messages(%s) WHERE id = %s', :p, :lunch)),
          'true (no content)', 'Bob sees the marker without the content');
SELECT is(pg_temp.q('regress_sec_bob', format('SELECT count(*) FROM chat.message WHERE id = %s', :lunch)), '0',
          'nor can he read it from the table');
SELECT is(pg_temp.q('regress_sec_mallory', format('SELECT count(*) FROM chat.members(%s)', :mg)), '2',
          'Mallory lists the members of her group');
SELECT is(pg_temp.q('regress_sec_mallory', format($$SELECT 'done' FROM (SELECT chat.join_thread(%s)) x$$, :pub)), 'done',
          'she joins the public group');
SELECT is(pg_temp.q('regress_sec_mallory', format('SELECT count(*) FROM chat.messages(%s)', :pub)), '3',
          'and reads it now');
SELECT matches(pg_temp.q('regress_sec_web', $$SELECT chat.new_message(recipients => '{1}', subject => 'hi', content => 'from the web')$$,
                         '', '{"sub": "4"}'), '^\d+$', 'user 4 writes to Alice through the web role');
SELECT is(pg_temp.q('regress_sec_alice', 'SELECT last_sender_id FROM chat.inbox() LIMIT 1'), '4',
          'Alice gets it from user 4');

/* ---- what a second review found ------------------------------------------------------ */

-- the helpers that run the application's functions run only the registered
-- ones, and only for chat's functions (even with EXECUTE granted)
CREATE FUNCTION public.regress_sec_admin_only(e jsonb) RETURNS jsonb LANGUAGE sql SECURITY DEFINER
    SET search_path = pg_catalog AS $$ SELECT to_jsonb(current_user::text) $$;
REVOKE EXECUTE ON FUNCTION public.regress_sec_admin_only(jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION chat._render(oid, jsonb), chat._display_name(oid, chat.user_id) TO regress_sec_mallory;
SELECT pg_temp.rebase() \g /dev/null
SELECT pg_temp.fails(pg_temp.as_mallory($$SELECT chat._render('public.regress_sec_admin_only(jsonb)'::regprocedure, '{}')$$),
                     '42501', 'permission denied for function chat._render', '_render: Mallory runs a function she may not');
SELECT pg_temp.fails(pg_temp.as_mallory($$SELECT chat._display_name('pg_catalog.textout(text)'::regprocedure, 4096)$$),
                     '42501', 'permission denied for function chat._display_name', '_display_name: Mallory calls any function');
SELECT pg_temp.fails($$SELECT chat._render('public.regress_sec_admin_only(jsonb)'::regprocedure, '{}')$$,
                     '42501', 'function ' || 'public.regress_sec_admin_only(jsonb)'::regprocedure::oid
                              || ' is not a registered renderer or display-name function',
                     '_render: even a server role, for a function not registered');
-- an admin cannot get back, nor hand out, what the owner revoked from it
SELECT chat.revoke(:ag, 1, 3, 'post') \g /dev/null
SELECT pg_temp.rebase() \g /dev/null
SELECT is(pg_temp.q('regress_sec_mallory', format($$SELECT 'done' FROM (SELECT chat.set_role(%s, member => 3, role => 'admin')) x$$, :ag)),
          'done', 'Mallory, an admin without post, sets her own role to admin again');
SELECT is((SELECT 'post' = ANY (permissions) FROM chat.member WHERE thread_id = :ag AND user_id = 3), false,
          'which does not give post back');
SELECT pg_temp.rebase() \g /dev/null
SELECT pg_temp.fails(pg_temp.as_mallory(format($$SELECT chat.new_reply(%s, content => 'x')$$, :ag)),
                     '42501', format('permission denied to post in thread %s', :ag), 'so she still cannot post');
SELECT is(pg_temp.q('regress_sec_mallory', format($$SELECT chat.add_members(%s, users => '{4}', role => 'admin')$$, :ag)),
          '1', 'she adds user 4 as admin');
SELECT is((SELECT 'post' = ANY (permissions) FROM chat.member WHERE thread_id = :ag AND user_id = 4), false,
          'who gets only what Mallory holds');
SELECT pg_temp.rebase() \g /dev/null
-- map_role refuses a role that does not exist
SELECT pg_temp.fails($$SELECT chat.map_role(4294967295::oid::regrole, 7)$$, '42704',
                     'role with OID 4294967295 does not exist', 'map_role: a dangling role OID');
-- the planner keeps no statistics of what users write
SELECT is_empty($$SELECT attrelid::regclass, attname FROM pg_attribute
                   WHERE (attrelid, attname) IN (('chat.message'::regclass, 'content'), ('chat.message_edit'::regclass, 'content'),
                                                 ('chat.thread'::regclass, 'subject'), ('chat.thread'::regclass, 'last_preview'),
                                                 ('chat.thread'::regclass, 'description'), ('chat.thread'::regclass, 'avatar'),
                                                 ('chat.message'::regclass, 'search_vector'),
                                                 ('chat.attachment'::regclass, 'name'), ('chat.attachment'::regclass, 'key'),
                                                 ('chat.reaction'::regclass, 'reaction'))
                     AND attstattarget <> 0$$,
                'no statistics of contents, subjects, previews, descriptions, avatars, file names or reactions');
SELECT is_empty($$SELECT a.attrelid::regclass, a.attnum FROM pg_attribute a JOIN pg_index i ON i.indexrelid = a.attrelid
                   WHERE i.indrelid IN ('chat.thread'::regclass, 'chat.message'::regclass)
                     AND i.indkey[a.attnum - 1] = 0 AND a.attstattarget <> 0$$,
                'nor of the words and names in expression indexes (the directory''s)');

/*
 * An administrator who grants too much (GRANT ALL ON ALL TABLES IN SCHEMA chat): every table has
 * row-level security, so the event record and the notification queue still give that role no row
 * and take none, and the list of events cannot be changed.
 */
SELECT is_empty($$SELECT c.oid::regclass FROM pg_class c
                   WHERE c.relnamespace = 'chat'::regnamespace AND c.relkind IN ('r', 'p') AND NOT c.relrowsecurity$$,
                'every table of chat has row-level security');
CREATE ROLE regress_sec_broad;
GRANT ALL ON ALL TABLES IN SCHEMA chat TO regress_sec_broad;
SELECT ok((SELECT count(*) FROM chat.event) > 0, 'there are events');
SET LOCAL ROLE regress_sec_broad;
SELECT is((SELECT count(*) FROM chat.event), 0::bigint, 'a role granted everything reads no event');
SELECT is((SELECT count(*) FROM chat.event_pruned) + (SELECT count(*) FROM chat.notification)
          + (SELECT count(*) FROM chat.notifier), 0::bigint, 'nor the prune mark, notifications or workers');
SELECT throws_ok($$INSERT INTO chat.event (thread_id, seq, event, payload) VALUES (1, 1, 'message_sent', '{}')$$,
                 '42501', NULL, 'and forges no event');
SELECT throws_ok($$INSERT INTO chat.notification (id, user_id, thread_id, message_id, seq) VALUES (-1, 1, 1, 1, 1)$$,
                 '42501', NULL, 'nor a notification');
SELECT is_empty($$UPDATE chat.event_kind SET hookable = NOT hookable RETURNING name$$,
                'nor changes the list of events');
RESET ROLE;
SELECT is((SELECT count(*) FROM chat.event_kind WHERE hookable), (SELECT count(*) FROM chat.event_kind WHERE name <> 'typing'),
          'the list of events is as it was');

SELECT is_empty('SELECT * FROM chat.verify_unread()', 'the counters are exact at the end');

SELECT * FROM finish();
ROLLBACK;
