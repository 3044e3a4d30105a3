
/* ========================================================================
 * schema/events.sql: the record of every event, for chat.changes and chat.feed
 *
 * One row per event, written by the operation's transaction (src/events.c),
 * so a change and its event commit or roll back together.  Readers find
 * what committed after a cursor by transaction id: a cursor is a snapshot
 * (pg_current_snapshot), and an event is new to it when its transaction was
 * not visible in that snapshot.  That holds whatever order transactions
 * commit in, which the sequence alone would not say.  Rows are kept for
 * event_retention_days (chat.prune_events); the table is not dumped: after
 * a restore, clients reload (their cursors name another database).
 * ======================================================================== */

CREATE SEQUENCE chat.event_seq;
COMMENT ON SEQUENCE chat.event_seq IS
    'seq of events: orders them and makes every payload unique, so NOTIFY never folds two';
-- dumped, so that seq keeps growing across a restore (the events are not)
SELECT pg_catalog.pg_extension_config_dump('chat.event_seq', '');

CREATE TABLE chat.event (
    thread_id  bigint NOT NULL,
    seq        bigint NOT NULL,
    xid        xid8 NOT NULL DEFAULT pg_current_xact_id(),
    event      text NOT NULL,
    private    boolean NOT NULL DEFAULT false,
    recipients chat.user_id[],
    payload    jsonb NOT NULL,
    at         timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX event_thread_xid_idx ON chat.event (thread_id, xid);
CREATE INDEX event_xid_idx ON chat.event (xid);
CREATE INDEX event_recipients_idx ON chat.event USING gin (recipients) WHERE recipients IS NOT NULL;
COMMENT ON TABLE chat.event IS
    'Every event of the last event_retention_days, for chat.changes and chat.feed (not dumped)';
COMMENT ON COLUMN chat.event.thread_id IS 'the thread the event is about';
COMMENT ON COLUMN chat.event.seq IS 'the payload''s seq, from chat.event_seq';
COMMENT ON COLUMN chat.event.xid IS 'the writing transaction: an event is new to a cursor when this was not visible in it';
COMMENT ON COLUMN chat.event.event IS 'the event''s name (chat.event_kind)';
COMMENT ON COLUMN chat.event.private IS
    'true: only the recipients receive it (a per-user change, a dropped thread); false: the thread''s members and the recipients';
COMMENT ON COLUMN chat.event.recipients IS
    'users who receive it besides the members (a removed member), or instead of them (private)';
COMMENT ON COLUMN chat.event.payload IS 'the payload, as hooks and listeners get it';
COMMENT ON COLUMN chat.event.at IS 'when it was written (chat.prune_events removes rows older than event_retention_days)';

/*
 * The newest transaction whose events chat.prune_events removed: a cursor
 * older than it may have missed some, and chat.changes says "reload".
 */
CREATE TABLE chat.event_pruned (
    one boolean PRIMARY KEY DEFAULT true CHECK (one),
    xid xid8 NOT NULL
);
COMMENT ON TABLE chat.event_pruned IS
    'One row: the newest transaction id among the events chat.prune_events removed (not dumped)';
COMMENT ON COLUMN chat.event_pruned.one IS 'always true: the table has at most one row';
COMMENT ON COLUMN chat.event_pruned.xid IS 'cursors whose snapshot may not have seen this transaction must reload';
