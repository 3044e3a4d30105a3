-- bench/proto/lanes/tables.sql: thread, member, message shaped like chat 0.9 (sql/src/schema/threads.sql),
-- in schema @S@; @FK@ is either empty or the message -> thread foreign key. One 10,000-member thread, id 1.
DROP SCHEMA IF EXISTS @S@ CASCADE;
CREATE SCHEMA @S@;
CREATE TABLE @S@.thread (
    id bigint PRIMARY KEY, kind text NOT NULL DEFAULT 'group', subject text, member_count integer NOT NULL DEFAULT 0,
    large boolean NOT NULL DEFAULT false, message_count bigint NOT NULL DEFAULT 0, last_message_id bigint,
    last_sender_id bigint, last_sent_at timestamptz, last_preview text, is_public boolean NOT NULL DEFAULT false);
CREATE TABLE @S@.member (
    thread_id bigint NOT NULL, user_id bigint NOT NULL, role text NOT NULL DEFAULT 'member',
    joined_at timestamptz NOT NULL DEFAULT now(), muted boolean NOT NULL DEFAULT false,
    archived boolean NOT NULL DEFAULT false, hidden_id bigint, read_id bigint NOT NULL DEFAULT 0,
    read_count bigint NOT NULL DEFAULT 0, delivered_id bigint NOT NULL DEFAULT 0, large boolean NOT NULL DEFAULT false,
    activity_id bigint NOT NULL DEFAULT 0, message_count bigint NOT NULL DEFAULT 0, permissions text[] NOT NULL,
    seen_id bigint NOT NULL DEFAULT 0, read_at timestamptz, delivered_at timestamptz,
    mention_count bigint NOT NULL DEFAULT 0, last_mention_id bigint, notify_level text NOT NULL DEFAULT 'all',
    own_after bigint NOT NULL DEFAULT 0,   -- lanes: the member's own messages with id > read_id (not indexed: HOT)
    PRIMARY KEY (thread_id, user_id)) WITH (fillfactor = 90);
CREATE INDEX ON @S@.member (user_id, activity_id DESC, thread_id DESC) WHERE NOT large;
CREATE INDEX ON @S@.member (user_id) WHERE large;
CREATE INDEX ON @S@.member (user_id) INCLUDE (message_count, read_count)
    WHERE NOT large AND message_count > read_count AND NOT archived AND NOT muted
      AND notify_level <> 'none' AND (hidden_id IS NULL OR hidden_id < activity_id);
CREATE SEQUENCE @S@.message_id_seq;   -- CACHE 1 (the default): nextval order = call order across sessions
CREATE TABLE @S@.message (
    thread_id bigint NOT NULL @FK@, id bigint NOT NULL, sender_id bigint, kind text NOT NULL DEFAULT 'text',
    content text, sent_at timestamptz NOT NULL DEFAULT clock_timestamp(), lane smallint,
    wx xid8 DEFAULT pg_current_xact_id(),   -- for the exactness check only: the writer's top-level xid
    PRIMARY KEY (thread_id, id));
CREATE INDEX ON @S@.message (id);
INSERT INTO @S@.thread (id, large, member_count) VALUES (1, true, 10000);
INSERT INTO @S@.member (thread_id, user_id, role, large, permissions)
SELECT 1, u, CASE WHEN u = 1 THEN 'owner' ELSE 'member' END, true, '{post,read}' FROM generate_series(1, 10000) u;
