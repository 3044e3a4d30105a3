
/* ========================================================================
 * schema/retention.sql: where chat.purge left off
 *
 * Retention itself is the setting retention_days and each room's
 * chat.thread.retention_days.  chat.purge deletes at most one batch of
 * expired messages per call, in short transactions, thread after thread in
 * id order; this row says which thread the next call starts after, so that a
 * long backlog is worked through once rather than rescanned from the first
 * thread by every call.  One row, locked by each call (two purges never work
 * on the same threads at once); not dumped: a restored database starts
 * again from its first thread.
 * ======================================================================== */

CREATE TABLE chat.purge_progress (
    one       boolean PRIMARY KEY DEFAULT true CONSTRAINT purge_progress_one_check CHECK (one),
    thread_id bigint NOT NULL DEFAULT 0
);
COMMENT ON TABLE chat.purge_progress IS
    'One row: the thread after which the next chat.purge call goes on (not dumped; under row-level security with no policy: chat''s functions and superusers only)';
COMMENT ON COLUMN chat.purge_progress.one IS 'always true: the table has at most one row';
COMMENT ON COLUMN chat.purge_progress.thread_id IS
    'the next call starts with the threads after this id, then comes back to the first ones (0: from the start)';
