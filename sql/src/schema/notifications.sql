
/* ========================================================================
 * schema/notifications.sql: push and e-mail notifications, a work queue
 *
 * A reply writes no notification: its transaction writes its message_sent
 * event (schema/events.sql) and nothing per member, whatever the room's
 * size.  chat.claim_notifications expands the events committed since the
 * notifier's cursor into one chat.notification row per member to notify,
 * outside any reply's transaction, then hands due rows to workers with
 * FOR UPDATE SKIP LOCKED and a visibility timeout, as pgmq does.  Rows are
 * kept after delivery (state "delivered") and after the last failed attempt
 * (state "dead") until chat.prune_notifications removes them.
 *
 * No foreign keys to chat's other tables (schema/threads.sql says why): a
 * notification whose message or member is gone when it falls due is
 * withdrawn (state "withdrawn"), never handed out.  The table is dumped:
 * the application's swapped notification model references it by id.
 * ======================================================================== */

CREATE SEQUENCE chat.notification_id_seq;
COMMENT ON SEQUENCE chat.notification_id_seq IS 'ids of chat.notification';

CREATE TABLE chat.notification (
    id          bigint PRIMARY KEY DEFAULT nextval('chat.notification_id_seq'),
    user_id     chat.user_id NOT NULL,
    thread_id   bigint NOT NULL,
    message_id  bigint NOT NULL,
    seq         bigint NOT NULL,
    state       text NOT NULL DEFAULT 'pending'
                CONSTRAINT notification_state_check CHECK (state IN ('pending', 'delivered', 'dead', 'withdrawn')),
    attempts    integer NOT NULL DEFAULT 0,
    visible_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
    created_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
    claimed_at  timestamptz,
    claimed_by  text,
    done_at     timestamptz,
    last_error  text,
    CONSTRAINT notification_message_user_key UNIQUE (thread_id, message_id, user_id)
);
ALTER SEQUENCE chat.notification_id_seq OWNED BY chat.notification.id;
/* the queue: pending rows in the order they fall due */
CREATE INDEX notification_due_idx ON chat.notification (visible_at, id) WHERE state = 'pending';
/* what chat.prune_notifications removes, and the dead letters */
CREATE INDEX notification_done_idx ON chat.notification (state, done_at) WHERE state <> 'pending';
CREATE INDEX notification_user_idx ON chat.notification (user_id);

COMMENT ON TABLE chat.notification IS
    'Push and e-mail notifications: one per message and member to notify, expanded from message_sent events by chat.claim_notifications; a queue for workers (readable by server roles through the functions only)';
COMMENT ON COLUMN chat.notification.id IS 'notification id, from chat.notification_id_seq; the key of the swapped notification model';
COMMENT ON COLUMN chat.notification.user_id IS 'the member to notify';
COMMENT ON COLUMN chat.notification.thread_id IS 'the thread of the message';
COMMENT ON COLUMN chat.notification.message_id IS 'the message to notify of';
COMMENT ON COLUMN chat.notification.seq IS 'seq of the message_sent event it was expanded from';
COMMENT ON COLUMN chat.notification.state IS
    'pending (waiting, or claimed until visible_at), delivered (chat.ack_notification), dead (its last allowed attempt failed or timed out) or withdrawn (when it fell due, its message was deleted, or its user had left, muted the thread or read the message)';
COMMENT ON COLUMN chat.notification.attempts IS 'how many times it was claimed';
COMMENT ON COLUMN chat.notification.visible_at IS
    'pending: when it may be claimed (again): after the visibility timeout of a claim, or the backoff of a failure';
COMMENT ON COLUMN chat.notification.created_at IS 'when it was expanded';
COMMENT ON COLUMN chat.notification.claimed_at IS 'when it was last claimed';
COMMENT ON COLUMN chat.notification.claimed_by IS 'the worker that last claimed it, as it named itself';
COMMENT ON COLUMN chat.notification.done_at IS 'when it was delivered, became dead or was withdrawn; chat.prune_notifications counts from it';
COMMENT ON COLUMN chat.notification.last_error IS 'the error of the last failed attempt (chat.fail_notification)';
SELECT pg_catalog.pg_extension_config_dump('chat.notification', '');
SELECT pg_catalog.pg_extension_config_dump('chat.notification_id_seq', '');

/*
 * Where expansion stands.  "cursor" is a snapshot cursor (api/changes.sql):
 * every message_sent event committed before it is expanded.  An expansion
 * is bounded (notification_expand_limit): a window from "cursor" to
 * "window_end" that one call could not finish is resumed after its last
 * expanded event (done_xid, done_seq), in (xid, seq) order.  Not dumped: a
 * restored database starts from its CREATE EXTENSION, its events being gone.
 */
CREATE TABLE chat.notifier (
    one        boolean PRIMARY KEY DEFAULT true CONSTRAINT notifier_one_check CHECK (one),
    cursor     text NOT NULL,
    window_end text,
    done_xid   xid8,
    done_seq   bigint,
    CONSTRAINT notifier_window_check
        CHECK ((window_end IS NULL AND done_xid IS NULL AND done_seq IS NULL)
               OR (window_end IS NOT NULL AND (done_xid IS NULL) = (done_seq IS NULL)))
);
COMMENT ON TABLE chat.notifier IS
    'One row: how far chat.claim_notifications has expanded message_sent events into notifications (not dumped)';
COMMENT ON COLUMN chat.notifier.one IS 'always true: the table has one row';
COMMENT ON COLUMN chat.notifier.cursor IS
    'snapshot cursor (as chat.changes''): every event committed before it is expanded';
COMMENT ON COLUMN chat.notifier.window_end IS
    'the cursor an unfinished expansion goes to; NULL when none is unfinished';
COMMENT ON COLUMN chat.notifier.done_xid IS 'unfinished expansion: transaction id of its last expanded event';
COMMENT ON COLUMN chat.notifier.done_seq IS 'unfinished expansion: seq of its last expanded event';
/* notifications are for the messages sent from now on */
INSERT INTO chat.notifier (cursor)
SELECT format('%s.%s.%s', c.system_identifier, d.oid, pg_current_snapshot())
  FROM pg_control_system() c, pg_database d
 WHERE d.datname = current_database();
