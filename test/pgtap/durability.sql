-- Opt-in asynchronous commit (issue 15, item 3): the settings async_messages
-- and async_read_state make the calling transaction commit with
-- synchronous_commit off, for a server role and for an end user entered with
-- SET ROLE and JWT claims; the change lasts until the transaction ends, goes
-- with a rolled-back savepoint, and nothing changes while the settings are
-- off (the default).  What a crash then does: test/tap/003_async_commit.pl.
-- Early lock release (setting early_lock_release, on by default) leaves the
-- variable alone (it acts inside COMMIT: test/tap/004_early_lock_release.pl).
--
-- Not one transaction: each check looks at one transaction's setting.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;
DROP EXTENSION IF EXISTS chat CASCADE;
DROP ROLE IF EXISTS regress_durability_user;
DROP ROLE IF EXISTS regress_durability_app;
SET chat.user_id_type = 'bigint';
SET chat.user_id = '';
CREATE EXTENSION chat;
RESET chat.user_id_type;
SELECT chat.set_setting('notify', 'false') \g /dev/null

SELECT plan(28);

SELECT results_eq($$SELECT key, value, type FROM chat.setting_default WHERE key LIKE 'async%' ORDER BY key$$,
                  $$VALUES ('async_messages'::text, 'false'::jsonb, 'boolean'::text),
                           ('async_read_state', 'false', 'boolean')$$,
                  'two settings, off by default');

SELECT chat.new_message(1, '{2,3}', 's', 'first') AS m1 \gset
SELECT thread_id AS t FROM chat.message WHERE id = :m1 \gset
SELECT chat.direct_thread(1, 2) AS d \gset
SELECT chat.new_reply(:d, 1, 'to forward') AS fwd \gset

/* ---- off: nothing changes ---------------------------------------------------------- */
SELECT is(chat.get_setting('early_lock_release'), 'true'::jsonb,
          'early_lock_release is on by default (its commit: test/tap/004_early_lock_release.pl)');
BEGIN;
SELECT chat.new_reply(:t, 2, 'durable') \g /dev/null
SELECT chat.mark_read(:t, 3) \g /dev/null
SELECT is(current_setting('synchronous_commit'), 'on', 'settings off: new_reply and mark_read leave synchronous_commit on');
COMMIT;
-- early lock release is done at commit, not with the variable: the session sees it unchanged
SELECT chat.new_reply(:t, 2, 'durable') \g /dev/null
SELECT is(current_setting('synchronous_commit'), 'on', 'after an early lock release, synchronous_commit is still on');
SELECT chat.set_setting('early_lock_release', 'false') \g /dev/null
BEGIN;
SELECT chat.new_reply(:t, 2, 'durable, plain') \g /dev/null
SELECT is(current_setting('synchronous_commit'), 'on', 'early_lock_release off: the same');
COMMIT;
SELECT chat.set_setting('early_lock_release', NULL) \g /dev/null

/* ---- async_messages ---------------------------------------------------------------- */
SELECT chat.set_setting('async_messages', 'true') \g /dev/null
BEGIN;
SELECT is(current_setting('synchronous_commit'), 'on', 'on before the call');
SELECT chat.new_reply(:t, 2, 'fast') \g /dev/null
SELECT is(current_setting('synchronous_commit'), 'off', 'new_reply: off until the transaction ends');
COMMIT;
SELECT is(current_setting('synchronous_commit'), 'on', 'on again after COMMIT');
BEGIN;
SELECT chat.new_message(1, '{3}', 's2', 'fast') \g /dev/null
SELECT is(current_setting('synchronous_commit'), 'off', 'new_message: off');
ROLLBACK;
BEGIN;
SELECT chat.forward_message(:fwd, :t, 1) \g /dev/null
SELECT is(current_setting('synchronous_commit'), 'off', 'forward_message: off');
COMMIT;
BEGIN;
SAVEPOINT a;
SELECT chat.new_reply(:t, 2, 'rolled back') \g /dev/null
ROLLBACK TO SAVEPOINT a;
SELECT is(current_setting('synchronous_commit'), 'on', 'a rolled-back savepoint takes it back with the reply');
COMMIT;
BEGIN;
SELECT chat.mark_read(:t, 3) \g /dev/null
SELECT is(current_setting('synchronous_commit'), 'on', 'async_messages alone leaves mark_read durable');
COMMIT;
BEGIN;
SELECT throws_ok(format($$SELECT chat.new_reply(%s, 99, 'not a member')$$, :t), '42501', NULL,
                 'a refused reply is refused as before');
ROLLBACK;

/* ---- async_read_state -------------------------------------------------------------- */
SELECT chat.set_setting('async_messages', 'false') \g /dev/null
SELECT chat.set_setting('async_read_state', 'true') \g /dev/null
BEGIN;
SELECT chat.mark_read(:t, 3) \g /dev/null
SELECT is(current_setting('synchronous_commit'), 'off', 'mark_read: off');
COMMIT;
BEGIN;
SELECT chat.mark_unread(:t, 3) \g /dev/null
SELECT is(current_setting('synchronous_commit'), 'off', 'mark_unread: off');
COMMIT;
BEGIN;
SELECT chat.mark_delivered(3, :t) \g /dev/null
SELECT is(current_setting('synchronous_commit'), 'off', 'mark_delivered: off');
COMMIT;
BEGIN;
SELECT chat.new_reply(:t, 2, 'durable again') \g /dev/null
SELECT is(current_setting('synchronous_commit'), 'on', 'async_read_state alone leaves new_reply durable');
COMMIT;
BEGIN;
SELECT chat.receipts(:m1, 1) \g /dev/null
SELECT chat.inbox(3) \g /dev/null
SELECT is(current_setting('synchronous_commit'), 'on', 'reading changes nothing');
COMMIT;

/* ---- an end user (SET ROLE, JWT claims) and a server role --------------------------- */
SELECT chat.set_setting('async_messages', 'true') \g /dev/null
CREATE ROLE regress_durability_user;
CREATE ROLE regress_durability_app;
GRANT USAGE ON SCHEMA chat TO regress_durability_user, regress_durability_app;
SELECT chat.set_setting('server_roles', '["regress_durability_app"]') \g /dev/null
BEGIN;
SET LOCAL ROLE regress_durability_user;
SELECT set_config('request.jwt.claims', '{"sub": "2"}', true) \g /dev/null
SELECT is(chat.current_user_id()::bigint, 2::bigint, 'the end user is user 2 by its claims');
SELECT lives_ok(format($$SELECT chat.new_reply(%s, 2, 'from the end user')$$, :t), 'the end user replies');
SELECT is(current_setting('synchronous_commit'), 'off', 'its transaction commits asynchronously');
SELECT lives_ok(format($$SELECT chat.mark_read(%s)$$, :t), 'and marks read');
COMMIT;
BEGIN;
SET LOCAL ROLE regress_durability_user;
SELECT set_config('request.jwt.claims', '{"sub": "2"}', true) \g /dev/null
SELECT throws_ok($$SELECT chat.set_setting('async_messages', 'false')$$, '42501', NULL,
                 'an end user cannot turn it off');
ROLLBACK;
BEGIN;
SET LOCAL ROLE regress_durability_app;
SELECT lives_ok(format($$SELECT chat.new_reply(%s, 3, 'from the app')$$, :t), 'the server role replies for user 3');
SELECT is(current_setting('synchronous_commit'), 'off', 'asynchronously too');
COMMIT;
SELECT is((SELECT count(*) FROM chat.message WHERE thread_id = :t AND content IN ('from the end user', 'from the app')),
          2::bigint, 'both replies committed');
SELECT is((SELECT count(*) FROM chat.verify_unread()), 0::bigint, 'verify_unread: exact');
SELECT ok(NOT has_function_privilege('regress_durability_app', 'chat._wal_flush()', 'EXECUTE'),
          'chat._wal_flush is chat''s own: a server role cannot call it');

SELECT * FROM finish();

DROP EXTENSION chat CASCADE;
DROP OWNED BY regress_durability_user, regress_durability_app;
DROP ROLE regress_durability_user;
DROP ROLE regress_durability_app;
