-- Notifications for push and e-mail (issue 13): who gets one, the queue
-- (claimed once, visibility timeout, ack, fail, backoff, dead letters),
-- withdrawal, bounded expansion, the digest, a 10,000-member room whose
-- reply writes no notification, privileges, every refusal with "nothing
-- changed", and the swapped notification model.
--
-- Not one transaction: notifications are expanded from committed messages
-- only (a cursor is a snapshot), so each step commits.  The file drops what
-- it made at the end.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;
DROP EXTENSION IF EXISTS chat CASCADE;
DROP SCHEMA IF EXISTS notif_app CASCADE;
DROP ROLE IF EXISTS regress_notif_user;
DROP ROLE IF EXISTS regress_notif_server;
SET chat.user_id_type = 'bigint';
SET chat.user_id = '';
CREATE EXTENSION chat;
RESET chat.user_id_type;
SELECT chat.set_setting('notify', 'false') \g /dev/null

SELECT plan(142);

/* What a worker sees of the queue: one line per notification. */
CREATE FUNCTION pg_temp.queue(tid bigint) RETURNS TABLE (message_id bigint, user_id bigint, state text)
    LANGUAGE sql AS $$
    SELECT n.message_id, n.user_id, n.state FROM chat.notification n WHERE n.thread_id = tid ORDER BY 1, 2
$$;
/* Claim as a worker; the ids claimed, in order. */
CREATE FUNCTION pg_temp.claim(batch int DEFAULT 10, vt int DEFAULT NULL) RETURNS bigint[]
    LANGUAGE sql AS $$
    SELECT coalesce(array_agg(c.id ORDER BY c.id), '{}') FROM chat.claim_notifications('test', batch, vt) c
$$;

/* ---- who gets one ---------------------------------------------------------------- */

/*
 * Thread p: Alice (1) writes to 2, 3, 4, 5.  Before any worker claims, 4
 * mutes the thread and 5 reads it: neither is notified; nor is Alice.
 */
SELECT chat.new_message(1, '{2,3,4,5}', 'p', 'hello') AS m1 \gset
SELECT thread_id AS p FROM chat.message WHERE id = :m1 \gset
SELECT chat.mute(:p, 4) \g /dev/null
SELECT chat.mark_read(:p, 5) \g /dev/null
SELECT is((SELECT count(*) FROM chat.notification), 0::bigint, 'sending writes no notification');
SELECT is(cardinality(pg_temp.claim(1)), 1, 'a claim expands the new messages and claims one');
SELECT results_eq($$SELECT user_id FROM pg_temp.queue($$ || :p || $$)$$, ARRAY[2::bigint, 3],
                  'the members are notified: not the sender, not a member who muted the thread, not one who read it');
SELECT is((SELECT count(*) FROM chat.event WHERE event = 'message_sent' AND thread_id = :p), 1::bigint,
          '(from the one message_sent event of the thread)');

/* a group: its creation and the member added post system messages, which notify nobody */
SELECT chat.create_group(1, 'g', '{2,3}') AS g \gset
SELECT chat.add_members(:g, 1, '{6}') \g /dev/null
SELECT chat.new_reply(:g, 2, 'hi all') AS m2 \gset
SELECT pg_temp.claim(1) \g /dev/null
SELECT ok((SELECT count(*) FROM chat.message WHERE thread_id = :g AND kind = 'system') >= 2,
          'the group has system messages');
SELECT results_eq($$SELECT message_id, user_id FROM pg_temp.queue($$ || :g || $$)$$,
                  format($$VALUES (%s::bigint, 1::bigint), (%s, 3), (%s, 6)$$, :m2, :m2, :m2),
                  'system messages notify nobody; a member''s message notifies the other members');
SELECT is((SELECT array_agg(DISTINCT seq) FROM chat.notification WHERE message_id = :m2),
          (SELECT array_agg(seq) FROM chat.event WHERE event = 'message_sent' AND payload ->> 'message_id' = :'m2'),
          'each notification names the event it came from');

/* the rest of the queue, claimed: nothing is claimed twice */
CREATE TEMP TABLE claims (round int, ids bigint[]);
INSERT INTO claims VALUES (1, pg_temp.claim(2));
INSERT INTO claims VALUES (2, pg_temp.claim(2));
INSERT INTO claims VALUES (3, pg_temp.claim(2));
SELECT is((SELECT array_agg(cardinality(ids) ORDER BY round) FROM claims), '{2,1,0}',
          'claims take what is due, batch by batch, until nothing is left');
SELECT is((SELECT count(*) FROM (SELECT unnest(ids) FROM claims) x), (SELECT count(DISTINCT x) FROM claims, unnest(ids) x),
          'no notification is claimed twice');
SELECT is((SELECT array_agg(DISTINCT attempts) FROM chat.notification), '{1}', 'every one was claimed once');
SELECT is((SELECT array_agg(DISTINCT claimed_by) FROM chat.notification), '{test}', 'by the worker named');
SELECT ok((SELECT bool_and(visible_at > clock_timestamp() + interval '50 seconds') FROM chat.notification),
          'and is invisible for notification_visibility_seconds (60)');
SELECT chat.ack_notification(id) FROM chat.notification WHERE message_id IN (:m1, :m2) \g /dev/null

/* what a claim returns */
SELECT chat.new_reply(:p, 2, repeat('x', 150)) AS m3 \gset
SELECT is((SELECT to_jsonb(c) - 'id' - 'sent_at' FROM chat.claim_notifications('w', 1) c),
          jsonb_build_object('user_id', 1, 'thread_id', :p, 'message_id', :m3, 'attempts', 1, 'sender_id', 2,
                             'sender_name', NULL, 'thread_kind', 'private', 'subject', 'p',
                             'preview', repeat('x', 100), 'extra', NULL),
          'a claim returns what a push needs: user, thread, message, sender, subject, a preview');
SELECT is((SELECT array_agg(user_id ORDER BY user_id) FROM chat.notification WHERE message_id = :m3), '{1,3,5}',
          'Alice, Carol and Eve are notified of Bob''s reply (not Dan, who muted; Eve had read only earlier ones)');
SELECT is((SELECT array_agg(user_id ORDER BY user_id) FROM chat.notification WHERE message_id = :m3 AND attempts = 0),
          '{3,5}', 'the claim of batch 1 left the others waiting');
SELECT chat.ack_notification(id) FROM chat.notification WHERE message_id = :m3 AND user_id = 5 \g /dev/null

/* ---- ack ---------------------------------------------------------------------------- */
SELECT id AS n_ack FROM chat.notification WHERE message_id = :m3 AND user_id = 1 \gset
SELECT is(chat.ack_notification(:n_ack), true, 'ack: delivered');
SELECT is((SELECT state FROM chat.notification WHERE id = :n_ack), 'delivered', 'the row is kept, delivered');
SELECT ok((SELECT done_at IS NOT NULL FROM chat.notification WHERE id = :n_ack), 'with when');
SELECT is(chat.ack_notification(:n_ack), false, 'a second ack: false, nothing changes');

/* ---- the visibility timeout --------------------------------------------------------- */
SELECT id AS n_vt FROM chat.notification WHERE message_id = :m3 AND user_id = 3 \gset
SELECT is(pg_temp.claim(10, 1), ARRAY[:n_vt::bigint], 'claimed for one second');
SELECT is(pg_temp.claim(10, 1), '{}'::bigint[], 'meanwhile no other worker gets it');
SELECT pg_sleep(1.2);
SELECT is(pg_temp.claim(10, 1), ARRAY[:n_vt::bigint], 'not acknowledged in time: claimed again');
SELECT is((SELECT attempts FROM chat.notification WHERE id = :n_vt), 2, 'a second attempt');
SELECT is(pg_temp.claim(10, 60), '{}'::bigint[], 'an acknowledged notification never comes back');

/* ---- fail, backoff, dead letters ----------------------------------------------------- */
SELECT is(chat.fail_notification(:n_vt, 'provider said 503'), 'pending', 'fail: pending again');
SELECT ok((SELECT visible_at BETWEEN clock_timestamp() + interval '55 seconds' AND clock_timestamp() + interval '61 seconds'
             FROM chat.notification WHERE id = :n_vt),
          'after notification_retry_seconds (30) doubled for the second attempt');
SELECT is((SELECT last_error FROM chat.notification WHERE id = :n_vt), 'provider said 503', 'the error is kept');
SELECT is(chat.fail_notification(:n_vt, 'again', retry_seconds => 5), 'pending', 'fail with its own delay');
SELECT ok((SELECT visible_at BETWEEN clock_timestamp() + interval '4 seconds' AND clock_timestamp() + interval '6 seconds'
             FROM chat.notification WHERE id = :n_vt), 'retry_seconds is the delay');
SELECT chat.set_setting('notification_max_attempts', '3') \g /dev/null
SELECT is(chat.fail_notification(:n_vt, 'now', retry_seconds => 0), 'pending', 'no delay');
SELECT is(pg_temp.claim(), ARRAY[:n_vt::bigint], 'the third attempt');
SELECT is(chat.fail_notification(:n_vt, 'bounced'), 'dead', 'failing the last attempt (notification_max_attempts 3): dead');
SELECT is((SELECT to_jsonb(n) - 'id' - 'visible_at' - 'created_at' - 'claimed_at' - 'done_at' - 'seq' - 'thread_id' - 'message_id'
             FROM chat.notification n WHERE id = :n_vt),
          '{"state": "dead", "user_id": 3, "attempts": 3, "claimed_by": "test", "last_error": "bounced"}'::jsonb,
          'a dead letter stays, with its attempts and last error');
SELECT is(pg_temp.claim(), '{}'::bigint[], 'and is never claimed again');
SELECT is(chat.fail_notification(:n_vt, 'again'), 'dead', 'failing a dead letter leaves it dead');
SELECT is(chat.fail_notification(:n_ack, 'late'), 'delivered', 'failing a delivered one (another claim acked it) leaves it delivered');
SELECT is((SELECT last_error FROM chat.notification WHERE id = :n_ack), NULL, 'untouched');

/* a claim that times out on its last attempt: dead at the next claim */
SELECT chat.set_setting('notification_max_attempts', '1') \g /dev/null
SELECT chat.new_reply(:p, 1, 'one chance') AS m4 \gset
SELECT id AS n_once FROM chat.claim_notifications('w', 10, 1) WHERE user_id = 2 \gset
SELECT pg_sleep(1.2);
SELECT ok(NOT (:n_once = ANY (pg_temp.claim())), 'a claim timed out on the last attempt is not claimed again');
SELECT is((SELECT state || ': ' || last_error FROM chat.notification WHERE id = :n_once),
          'dead: not acknowledged within the visibility timeout', 'it is dead, saying why');
SELECT is(chat.ack_notification(:n_once), true, 'an ack that comes late still marks it delivered');
SELECT chat.set_setting('notification_max_attempts', NULL) \g /dev/null
SELECT chat.ack_notification(id) FROM chat.notification WHERE state = 'pending' \g /dev/null

/* ---- withdrawn: no longer to deliver when due ----------------------------------------- */
SELECT chat.new_reply(:g, 1, 'to be deleted') AS m5 \gset
SELECT chat.new_reply(:g, 3, 'to be read') AS m6 \gset
-- expands both, claims one
SELECT pg_temp.claim(1, 1) \g /dev/null
SELECT chat.delete_message(:m5, 1) \g /dev/null
SELECT chat.mark_read(:g, 6) \g /dev/null
SELECT chat.leave_thread(:g, 2) \g /dev/null
SELECT pg_sleep(1.2);
SELECT id AS n_live FROM chat.notification WHERE message_id = :m6 AND user_id = 1 \gset
SELECT is(pg_temp.claim(), ARRAY[:n_live::bigint], 'of those due, only the one that still applies is claimed');
SELECT results_eq($$SELECT message_id, user_id, state FROM pg_temp.queue($$ || :g || $$) WHERE message_id > $$ || :m2,
                  format($$VALUES (%1$s::bigint, 2::bigint, 'withdrawn'), (%1$s, 6, 'withdrawn'),
                                  (%2$s, 1, 'pending'), (%2$s, 2, 'withdrawn'), (%2$s, 6, 'withdrawn')$$, :m5, :m6),
                  'withdrawn: a deleted message''s, a member''s who left, a member''s who read it (Carol had none of m5: she wrote m6 after it)');
SELECT is((SELECT count(*) FROM chat.notification WHERE state = 'withdrawn' AND done_at IS NOT NULL), 4::bigint,
          'withdrawn ones are done');
SELECT chat.fail_notification(:n_live, 'retry', 0) \g /dev/null
SELECT chat.mute(:g, 1) \g /dev/null
SELECT is(pg_temp.claim(), '{}'::bigint[], 'nor one whose user muted the thread since');
SELECT is((SELECT state FROM chat.notification WHERE id = :n_live), 'withdrawn', 'it is withdrawn');
SELECT chat.mute(:g, 1, false) \g /dev/null

/* ---- bounded expansion -------------------------------------------------------------- */
SELECT chat.direct_thread(1, 7) AS d \gset
SELECT chat.set_setting('notification_expand_limit', '1') \g /dev/null
SELECT chat.new_reply(:d, 1, 'one') \g /dev/null
SELECT chat.new_reply(:d, 1, 'two') \g /dev/null
SELECT chat.new_reply(:d, 1, 'three') \g /dev/null
CREATE TEMP TABLE expanded (call serial, n bigint, open boolean);
SELECT pg_temp.claim(100) \g /dev/null
INSERT INTO expanded (n, open) SELECT count(*), (SELECT window_end IS NOT NULL FROM chat.notifier) FROM chat.notification WHERE thread_id = :d;
SELECT pg_temp.claim(100) \g /dev/null
INSERT INTO expanded (n, open) SELECT count(*), (SELECT window_end IS NOT NULL FROM chat.notifier) FROM chat.notification WHERE thread_id = :d;
SELECT pg_temp.claim(100) \g /dev/null
INSERT INTO expanded (n, open) SELECT count(*), (SELECT window_end IS NOT NULL FROM chat.notifier) FROM chat.notification WHERE thread_id = :d;
SELECT pg_temp.claim(100) \g /dev/null
INSERT INTO expanded (n, open) SELECT count(*), (SELECT window_end IS NOT NULL FROM chat.notifier) FROM chat.notification WHERE thread_id = :d;
SELECT is((SELECT array_agg(n ORDER BY call) FROM expanded), '{1,2,3,3}',
          'notification_expand_limit 1: one message per call, the others wait for the next');
SELECT is((SELECT array_agg(open ORDER BY call) FROM expanded), '{t,t,f,f}',
          'the window stays open until its last message is expanded');
SELECT chat.set_setting('notification_expand_limit', NULL) \g /dev/null
SELECT is((SELECT array_agg(message_id ORDER BY id) = array_agg(message_id ORDER BY message_id) FROM chat.notification WHERE thread_id = :d),
          true, 'in the order the messages were sent');
SELECT chat.ack_notification(id) FROM chat.notification WHERE state = 'pending' \g /dev/null

/* ---- a 10,000-member room ------------------------------------------------------------ */
SELECT chat.create_group(1, 'big', ARRAY(SELECT generate_series(100, 10098))::chat.user_id[]) AS big \gset
SELECT is((SELECT member_count FROM chat.thread WHERE id = :big), 10000, 'a room of 10,000 members');
SELECT chat.mute(:big, 100) \g /dev/null
SELECT count(*) AS before FROM chat.notification \gset
SELECT cursor AS cursor_before FROM chat.notifier \gset
BEGIN;
SELECT chat.new_reply(:big, 1, 'to everyone') AS mbig \gset
SELECT is((SELECT count(*) FROM chat.notification), :before::bigint,
          'the reply''s transaction writes no notification row');
SELECT is((SELECT cursor FROM chat.notifier), :'cursor_before', 'nor expands anything');
COMMIT;
SELECT is(cardinality(pg_temp.claim(1000)), 1000, 'the first claim expands the message and claims a batch');
SELECT is((SELECT count(*) FROM chat.notification WHERE message_id = :mbig), 9998::bigint,
          'one notification per member but the sender and the one who muted');
SELECT is(cardinality(pg_temp.claim(1000)), 1000, 'the next claim takes the next batch, expanding nothing');
SELECT is((SELECT count(*) FROM chat.notification WHERE message_id = :mbig), 9998::bigint, 'expanded once');
UPDATE chat.notification SET state = 'delivered', done_at = clock_timestamp() WHERE message_id = :mbig;

/* ---- the digest --------------------------------------------------------------------- */
/* thread q: 8 writes to 9, 10, 11; its messages two hours old */
SELECT chat.new_message(8, '{9,10,11}', 'q', 'old news') AS mq \gset
SELECT thread_id AS q FROM chat.message WHERE id = :mq \gset
SELECT chat.new_reply(:q, 8, 'more old news') \g /dev/null
UPDATE chat.message SET sent_at = now() - interval '2 hours' WHERE thread_id = :q;
SELECT chat.mark_read(:q, 10) \g /dev/null
SELECT chat.mute(:q, 11) \g /dev/null
SELECT chat.new_reply(:q, 10, 'fresh') AS mfresh \gset
SELECT results_eq($$SELECT user_id::bigint, thread_id, unread, last_message_id FROM chat.notification_digest(60)
                     WHERE thread_id = $$ || :q,
                  format($$VALUES (9::bigint, %1$s::bigint, 3::bigint, %2$s::bigint)$$, :q, :mfresh),
                  'digest: the threads unread for more than 60 minutes (not by a reader, a muted member, nor the sender of only the fresh one)');
SELECT ok((SELECT oldest_unread_at < now() - interval '119 minutes' FROM chat.notification_digest(60)
            WHERE thread_id = :q AND user_id = 9), 'with when the oldest unread message was sent');
SELECT is_empty($$SELECT * FROM chat.notification_digest(180) WHERE thread_id = $$ || :q,
                'not those unread for less');
SELECT results_eq($$SELECT user_id::bigint, unread FROM chat.notification_digest(0) WHERE thread_id = $$ || :q || $$ ORDER BY 1$$,
                  $$VALUES (8::bigint, 1::bigint), (9, 3)$$,
                  'digest(0): every unread thread (the fresh reply is unread for the sender of the old ones; muted out)');
SELECT chat.archive_thread(:q, 9) \g /dev/null
SELECT is_empty($$SELECT * FROM chat.notification_digest(60) WHERE thread_id = $$ || :q,
                'an archived thread is left out, as from the badge');

/* ---- prune -------------------------------------------------------------------------- */
UPDATE chat.notification SET done_at = now() - interval '8 days' WHERE thread_id = :big;
SELECT is(chat.prune_notifications(), 9998::bigint, 'prune_notifications: done ones older than notification_retention_days');
SELECT is((SELECT count(*) FROM chat.notification WHERE thread_id = :big), 0::bigint, 'gone');
SELECT is((SELECT count(*) FROM chat.notification WHERE state = 'dead'), 3::bigint, 'newer ones stay, dead letters too');

/* ---- refusals: SQLSTATE, message, nothing changed ----------------------------------- */
CREATE SCHEMA notif_app;
CREATE TABLE notif_app.push (
    notification_id bigint PRIMARY KEY REFERENCES chat.notification (id) ON DELETE CASCADE,
    channel         text NOT NULL DEFAULT 'push',
    provider_id     text,
    tries           integer,
    shout           text GENERATED ALWAYS AS (upper(channel)) STORED
);
CREATE FUNCTION pg_temp.state() RETURNS text
    LANGUAGE sql AS $$
    SELECT md5(coalesce((SELECT string_agg(n::text, ';' ORDER BY n.id) FROM chat.notification n), '')
               || coalesce((SELECT string_agg(x::text, ';') FROM chat.notifier x), '')
               || coalesce((SELECT string_agg(s::text, ';' ORDER BY s.key) FROM chat.setting s), '')
               || coalesce((SELECT string_agg(p::text, ';' ORDER BY p.notification_id)
                              FROM notif_app.push p), ''))
$$;
CREATE TEMP TABLE baseline AS SELECT pg_temp.state() AS state;
\ir lib/fails.sql

SELECT chat.new_reply(:p, 1, 'for the refusals') AS m7 \gset
SELECT pg_temp.rebase();
SELECT * FROM pg_temp.fails($$SELECT chat.claim_notifications(NULL)$$, '22004', 'argument "worker" must not be null', 'claim: NULL worker');
SELECT * FROM pg_temp.fails($$SELECT chat.claim_notifications('w', NULL)$$, '22004', 'argument "batch" must not be null', 'claim: NULL batch');
SELECT * FROM pg_temp.fails($$SELECT chat.claim_notifications(' ')$$, '22023', 'worker must not be blank', 'claim: blank worker');
SELECT * FROM pg_temp.fails($$SELECT chat.claim_notifications(repeat('w', 256))$$, '22001', 'worker is too long', 'claim: long worker');
SELECT * FROM pg_temp.fails($$SELECT chat.claim_notifications('w', 0)$$, '22023', 'batch must be between 1 and 1000', 'claim: batch 0');
SELECT * FROM pg_temp.fails($$SELECT chat.claim_notifications('w', 1001)$$, '22023', 'batch must be between 1 and 1000', 'claim: batch 1001');
SELECT * FROM pg_temp.fails($$SELECT chat.claim_notifications('w', 1, 0)$$, '22023',
                            'visibility_seconds must be between 1 and 86400', 'claim: visibility 0');
SELECT chat.set_setting('events', 'false') \g /dev/null
SELECT pg_temp.rebase();
SELECT * FROM pg_temp.fails($$SELECT chat.claim_notifications('w')$$, '55000', 'events are not kept', 'claim: events off');
SELECT chat.set_setting('events', NULL) \g /dev/null
SELECT pg_temp.rebase();
SELECT * FROM pg_temp.fails($$SELECT chat.ack_notification(NULL)$$, '22004', 'argument "id" must not be null', 'ack: NULL id');
SELECT * FROM pg_temp.fails($$SELECT chat.ack_notification(-1)$$, '42704', 'notification -1 does not exist', 'ack: unknown');
SELECT * FROM pg_temp.fails(format($$SELECT chat.ack_notification(%s, '{"channel": "sms"}')$$, :n_once), '22023',
                            'extra needs a swapped model', 'ack: extra with no model swapped');
SELECT * FROM pg_temp.fails($$SELECT chat.fail_notification(NULL, 'e')$$, '22004', 'argument "id" must not be null', 'fail: NULL id');
SELECT * FROM pg_temp.fails(format($$SELECT chat.fail_notification(%s, NULL)$$, :n_once), '22004',
                            'argument "error" must not be null', 'fail: NULL error');
SELECT * FROM pg_temp.fails($$SELECT chat.fail_notification(-1, 'e')$$, '42704', 'notification -1 does not exist', 'fail: unknown');
SELECT * FROM pg_temp.fails(format($$SELECT chat.fail_notification(%s, 'e', -1)$$, :n_once), '22023',
                            'retry_seconds must be between 0 and 86400', 'fail: negative delay');
SELECT * FROM pg_temp.fails($$SELECT * FROM chat.notification_digest(NULL)$$, '22004',
                            'argument "minutes" must not be null', 'digest: NULL');
SELECT * FROM pg_temp.fails($$SELECT * FROM chat.notification_digest(-1)$$, '22023',
                            'minutes must be between 0 and 5256000', 'digest: negative');
CREATE FUNCTION pg_temp.column_of(sql text) RETURNS text
    LANGUAGE plpgsql AS $$
DECLARE
    c text;
BEGIN
    EXECUTE sql;
    RETURN 'no error';
EXCEPTION WHEN others THEN
    GET STACKED DIAGNOSTICS c = COLUMN_NAME;
    RETURN c;
END
$$;
SELECT is(pg_temp.column_of($$SELECT chat.claim_notifications(NULL)$$), 'worker', 'the COLUMN field names the argument: worker');
SELECT is(pg_temp.column_of($$SELECT chat.claim_notifications('w', 0)$$), 'batch', 'batch');
SELECT is(pg_temp.column_of(format($$SELECT chat.fail_notification(%s, 'e', -1)$$, :n_once)), 'retry_seconds', 'retry_seconds');
SELECT is(pg_temp.column_of($$SELECT chat.ack_notification(NULL)$$), 'id', 'id');
SELECT is(pg_temp.column_of(format($$SELECT chat.ack_notification(%s, '[]')$$, :n_once)), 'extra', 'extra');

/* ---- privileges: an end user, a server role ----------------------------------------- */
CREATE ROLE regress_notif_user;
CREATE ROLE regress_notif_server;
SELECT chat.map_role('regress_notif_user', 3) \g /dev/null
SELECT chat.set_setting('server_roles', '["regress_notif_server"]') \g /dev/null
SELECT pg_temp.rebase();
CREATE FUNCTION pg_temp.as_user(sql text) RETURNS void
    LANGUAGE plpgsql AS $$
BEGIN
    PERFORM set_config('role', 'regress_notif_user', true);
    EXECUTE sql;
    PERFORM set_config('role', 'none', true);
END
$$;
CREATE FUNCTION pg_temp.user_fails(sql text, code text, msg text, what text) RETURNS SETOF text
    LANGUAGE sql AS $$ SELECT pg_temp.fails(format('SELECT pg_temp.as_user(%L)', sql), code, msg, what) $$;
SELECT * FROM pg_temp.user_fails($$SELECT chat.claim_notifications('mallory')$$, '42501',
                            'permission denied to claim notifications', 'an end user cannot claim');
SELECT * FROM pg_temp.user_fails(format($$SELECT chat.ack_notification(%s)$$, :n_once), '42501',
                            'permission denied to acknowledge notifications', 'nor acknowledge');
SELECT * FROM pg_temp.user_fails(format($$SELECT chat.fail_notification(%s, 'x')$$, :n_once), '42501',
                            'permission denied to report failed notifications', 'nor fail');
SELECT * FROM pg_temp.user_fails($$SELECT * FROM chat.notification_digest(0)$$, '42501',
                            'permission denied to read notification digests', 'nor read digests');
SELECT * FROM pg_temp.user_fails($$SELECT chat.prune_notifications()$$, '42501',
                            'permission denied to prune notifications', 'nor prune');
SELECT * FROM pg_temp.user_fails($$SELECT count(*) FROM chat.notification WHERE user_id = 3$$, '42501',
                            'permission denied for table notification', 'nor read chat.notification, not even its own');
SELECT * FROM pg_temp.user_fails($$SELECT count(*) FROM chat.notifier$$, '42501',
                            'permission denied for table notifier', 'nor the notifier''s cursor');
SELECT * FROM pg_temp.user_fails($$UPDATE chat.notification SET state = 'delivered'$$, '42501',
                            'permission denied for table notification', 'nor write it');
SET ROLE regress_notif_server;
SELECT is((SELECT count(*) FROM chat.claim_notifications('server') c WHERE c.message_id = :m7), 3::bigint,
          'a server role claims (and expands)');
SELECT isnt((SELECT count(*) FROM chat.notification_digest(0)), 0::bigint, 'and reads the digest');
RESET ROLE;
SELECT chat.ack_notification(id) FROM chat.notification WHERE state = 'pending' \g /dev/null

/* ---- the swapped notification model ------------------------------------------------- */
CREATE TABLE notif_app.no_fkey (notification_id bigint PRIMARY KEY);
SELECT pg_temp.rebase();
SELECT * FROM pg_temp.fails($$SELECT chat.swap_model('notification', 'notif_app.no_fkey')$$, '42830',
                            'table "notif_app.no_fkey" has no foreign key to chat.notification', 'swap: no foreign key');
SELECT lives_ok($$SELECT chat.swap_model('notification', 'notif_app.push')$$, 'swap_model(''notification'', ...)');
SELECT chat.new_reply(:p, 1, 'with extra') AS m8 \gset
SELECT is((SELECT count(*) FROM chat.claim_notifications('w') WHERE message_id = :m8
              AND extra = '{"shout": "PUSH", "tries": null, "channel": "push", "provider_id": null}'), 3::bigint,
          'a new notification gets its row of defaults; a claim returns it as extra');
SELECT id AS n8 FROM chat.notification WHERE message_id = :m8 AND user_id = 2 \gset
SELECT is(chat.ack_notification(:n8, '{"provider_id": "apns-1", "tries": 1}'), true, 'ack with extra');
SELECT is((SELECT to_jsonb(p) - 'notification_id' FROM notif_app.push p WHERE notification_id = :n8),
          '{"shout": "PUSH", "tries": 1, "channel": "push", "provider_id": "apns-1"}', 'fills the model''s row');
SELECT is(chat.fail_notification(:n_once, 'x', extra => '{"channel": "email"}'), 'delivered',
          'fail with extra, of a notification from before the swap');
SELECT is((SELECT channel FROM notif_app.push WHERE notification_id = :n_once), 'email', 'gets its row then');
SELECT pg_temp.rebase();
SELECT * FROM pg_temp.fails(format($$SELECT chat.ack_notification(%s, '{"nope": 1}')$$, :n8), '22023',
                            'unknown field "nope" for model "notification"', 'ack: unknown field');
SELECT * FROM pg_temp.fails(format($$SELECT chat.ack_notification(%s, '{"notification_id": 1}')$$, :n8), '22023',
                            'field "notification_id" of model "notification" cannot be set', 'ack: the key');
SELECT * FROM pg_temp.fails(format($$SELECT chat.ack_notification(%s, '{"shout": "x"}')$$, :n8), '22023',
                            'field "shout" of model "notification" cannot be set', 'ack: a generated column');
SELECT * FROM pg_temp.fails(format($$SELECT chat.ack_notification(%s, '[1]')$$, :n8), '22023',
                            'extra must be a JSON object', 'ack: not an object');
SELECT * FROM pg_temp.fails(format($$SELECT chat.ack_notification(%s, '{"tries": "many"}')$$, :n8), '22P02',
                            'invalid value for field "tries": "many"', 'ack: a value that does not convert');
SELECT * FROM pg_temp.fails(format($$SELECT chat.fail_notification(%s, 'x', extra => '{"channel": null}')$$, :n8), '23502',
                            NULL, 'fail: the table''s own constraints apply');
CREATE FUNCTION notif_app.render(extra jsonb) RETURNS jsonb LANGUAGE sql AS $$ SELECT extra || '{"rendered": true}' $$;
SELECT chat.swap_renderer('notification', 'notif_app.render(jsonb)') \g /dev/null
SELECT chat.new_reply(:p, 1, 'rendered') AS m9 \gset
SELECT is((SELECT bool_and((extra ->> 'rendered')::boolean) FROM chat.claim_notifications('w') WHERE message_id = :m9), true,
          'a claim returns extra through the renderer');
SELECT chat.swap_model('notification', NULL) \g /dev/null
SELECT chat.new_reply(:p, 1, 'unswapped') AS m10 \gset
SELECT is((SELECT count(*) FROM chat.claim_notifications('w') WHERE message_id = :m10 AND extra IS NULL), 3::bigint,
          'unswapped: no extra');

SELECT * FROM finish();

DROP EXTENSION chat CASCADE;
DROP SCHEMA notif_app CASCADE;
DROP ROLE regress_notif_user;
DROP ROLE regress_notif_server;
