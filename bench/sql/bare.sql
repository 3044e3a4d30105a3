/*
 * bench/sql/bare.sql: the physical limit (SPEC §9).
 *
 * One message row into a table with exactly one index (its primary key):
 * what any message store must at least do per message.  Same row shape as a
 * chat message (thread, sender, short text, timestamp).
 */
CREATE SCHEMA bench;

CREATE TABLE bench.bare_message (
    id        bigserial PRIMARY KEY,
    thread_id bigint,
    sender_id bigint,
    content   text,
    sent_at   timestamptz DEFAULT now()
);
