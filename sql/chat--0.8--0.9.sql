/*
 * chat 0.8 -> 0.9: realtime a client can rely on.
 *
 * - chat.event_kind lists every event, its receivers and its keys; hooks
 *   reference it (the CHECK on chat.hook.event is gone).
 * - chat.event keeps every event for chat.changes and chat.feed (not
 *   dumped); chat.event_pruned records what chat.prune_events removed.
 * - Settings notify_full_payload, events, event_retention_days,
 *   changes_limit.
 * - Every state change emits an event with a seq; thread_created says
 *   thread_kind; member_added says by and role.
 * - chat.notification, a work queue of push and e-mail notifications
 *   expanded from message_sent events by chat.claim_notifications;
 *   chat.notifier, where expansion stands; 'notification' is a model.
 */

\echo Use "ALTER EXTENSION chat UPDATE TO '0.9'" to load this file. \quit


/*
 * Every event chat publishes, who receives it and the keys of its payload:
 * the one list the hooks, chat.event, the README's event reference and the
 * tests read.  Part of the extension, not dumped.
 */
CREATE TABLE chat.event_kind (
    name        text PRIMARY KEY,
    audience    text NOT NULL
                CONSTRAINT event_kind_audience_check
                CHECK (audience IN ('members', 'members and user', 'user', 'former members')),
    keys        text[] NOT NULL,
    hookable    boolean NOT NULL DEFAULT true,
    description text NOT NULL
);
COMMENT ON TABLE chat.event_kind IS
    'Every event chat publishes: who receives it and the keys of its payload (part of the extension, not dumped)';
COMMENT ON COLUMN chat.event_kind.name IS 'the event''s name, the payload''s "event"';
COMMENT ON COLUMN chat.event_kind.audience IS
    'who receives it: members (of the thread, when it is read), members and user (the members and the member it removed), user (only the user it concerns: a per-user change), former members (the members the thread had: it is gone)';
COMMENT ON COLUMN chat.event_kind.keys IS
    'the payload''s keys besides event, seq, thread_id and user_name (present when a display-name function is bound); those marked ? only where they apply';
COMMENT ON COLUMN chat.event_kind.hookable IS 'hooks may be registered for it (chat.add_hook)';
COMMENT ON COLUMN chat.event_kind.description IS 'what happened';

INSERT INTO chat.event_kind (name, audience, keys, hookable, description) VALUES
    ('thread_created', 'members', '{user_id,thread_kind,member_count}', true,
     'a thread was created by user_id (before its first message)'),
    ('message_sent', 'members', '{message_id,user_id,reply,kind,parent_id?,forwarded_from?}', true,
     'user_id sent a message (kind text or system; reply false for the first message of new_message)'),
    ('message_edited', 'members', '{message_id,user_id}', true, 'user_id edited a message'),
    ('message_deleted', 'members', '{message_id,user_id}', true, 'user_id deleted a message (soft delete)'),
    ('reaction_added', 'members', '{message_id,user_id,reaction}', true, 'user_id added a reaction'),
    ('reaction_removed', 'members', '{message_id,user_id,reaction}', true, 'user_id removed a reaction'),
    ('member_added', 'members', '{user_id,by,role}', true,
     'user_id became a member, added by "by" (by = user_id when they joined)'),
    ('member_removed', 'members and user', '{user_id,by}', true,
     'user_id left or was removed by "by"; the removed user receives it too'),
    ('member_updated', 'members', '{user_id,by,role,permissions}', true,
     'user_id''s role or permissions were changed by "by" (set_role, grant, revoke)'),
    ('thread_renamed', 'members', '{user_id,subject}', true, 'user_id changed the subject or title'),
    ('thread_dropped', 'former members', '{user_id}', true,
     'user_id deleted the thread for everyone (drop_thread): its rows are gone'),
    ('thread_read', 'members', '{message_id,user_id,read}', true,
     'user_id read up to message_id (read: how many messages that marked read)'),
    ('thread_delivered', 'members', '{message_id,user_id}', true, 'messages up to message_id reached user_id''s device'),
    ('thread_unread', 'user', '{message_id,user_id}', true,
     'user_id marked the thread unread from message_id on'),
    ('thread_muted', 'user', '{user_id}', true, 'user_id muted the thread'),
    ('thread_unmuted', 'user', '{user_id}', true, 'user_id unmuted the thread'),
    ('thread_archived', 'user', '{user_id}', true, 'user_id moved the thread to the archive'),
    ('thread_unarchived', 'user', '{user_id}', true, 'user_id moved the thread out of the archive'),
    ('thread_deleted', 'user', '{user_id}', true, 'user_id moved the thread to the deleted folder'),
    ('thread_restored', 'user', '{user_id}', true, 'user_id restored the thread from the deleted folder'),
    ('typing', 'members', '{user_id}', false,
     'user_id is typing (not kept for chat.changes: it is only news while it happens)');

ALTER TABLE chat.hook DROP CONSTRAINT hook_event_check;
ALTER TABLE chat.hook ADD FOREIGN KEY (event) REFERENCES chat.event_kind (name);
COMMENT ON COLUMN chat.hook.event IS
    'event the hook runs for: any hookable one of chat.event_kind';

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

INSERT INTO chat.setting_default (key, value, type, min_value, max_value, description) VALUES
    ('notify_interval_ms', '100', 'integer', 0, 60000,
     'A session rings the NOTIFY doorbell at most once per this many milliseconds (0: for every transaction with events): NOTIFY serialises commits; a relay polls chat.feed at least this often'),
    ('notify_full_payload', 'false', 'boolean', NULL, NULL,
     'NOTIFY carries each event''s whole payload, which every role that may LISTEN can read; off: only {"seq": n}, a doorbell for a relay that reads chat.feed'),
    ('events', 'true', 'boolean', NULL, NULL,
     'Keep every event in chat.event for chat.changes and chat.feed (off: no catch-up and no feed)'),
    ('event_retention_days', '7', 'integer', 1, 3650,
     'Days chat.prune_events keeps events; a client whose cursor is older reloads'),
    ('changes_limit', '10000', 'integer', 1, 1000000,
     'Most events one chat.changes call returns; a client with more to catch up reloads'),
    ('notification_max_attempts', '5', 'integer', 1, 1000,
     'Claims of a notification before it is dead-lettered: chat.fail_notification, or a claim not acknowledged in time, on the last attempt makes it dead'),
    ('notification_visibility_seconds', '60', 'integer', 1, 86400,
     'Seconds a claimed notification stays invisible to other workers; not acknowledged by then, it is claimed again (chat.claim_notifications may pass its own)'),
    ('notification_retry_seconds', '30', 'integer', 0, 86400,
     'Backoff after a failed attempt: this many seconds, doubled with each further attempt, at most a day (chat.fail_notification may pass its own)'),
    ('notification_expand_limit', '10000', 'integer', 1, 10000000,
     'Most notifications one chat.claim_notifications call expands from new messages (at least one message''s); the rest wait for the next call'),
    ('notification_retention_days', '7', 'integer', 1, 3650,
     'Days chat.prune_notifications keeps delivered and dead notifications');


ALTER TABLE chat.model DROP CONSTRAINT model_model_check;
ALTER TABLE chat.model ADD CONSTRAINT model_model_check
    CHECK (model IN ('message', 'thread', 'member', 'reaction', 'attachment', 'notification'));
COMMENT ON COLUMN chat.model.model IS
    'the chat model extended or rendered: message, thread, member or notification (reaction and attachment not available yet)';

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

-- mentions
ALTER TABLE chat.member ADD COLUMN mention_count bigint NOT NULL DEFAULT 0;
ALTER TABLE chat.member ADD COLUMN last_mention_id bigint;
ALTER TABLE chat.member ADD COLUMN notify_level text NOT NULL DEFAULT 'all';
COMMENT ON COLUMN chat.member.mention_count IS
    'Unread mentions: messages after the read pointer whose mentions name this member (kept for the mentioned members only, also in large threads)';
COMMENT ON COLUMN chat.member.last_mention_id IS
    'The newest message that mentioned this member (NULL: none); mark_read past it sets mention_count to 0 without counting';
COMMENT ON COLUMN chat.member.notify_level IS
    'notification level (chat.set_notify_level): all (every message, unless muted), mentions (only messages that mention the member, muted or not) or none';
ALTER TABLE chat.message ADD COLUMN mentions chat.user_id[];
COMMENT ON COLUMN chat.message.mentions IS
    'the members this message mentions, sorted, once each, without the sender (set by the insert trigger from the list given, keeping only members); NULL: none';
ALTER TABLE chat.message ALTER COLUMN mentions SET STATISTICS 0;
UPDATE chat.event_kind SET keys = '{message_id,user_id,reply,kind,parent_id?,forwarded_from?,mentions?}',
       description = 'user_id sent a message (kind text or system; reply false for the first message of new_message; mentions: the members it mentions, when any)'
 WHERE name = 'message_sent';
INSERT INTO chat.event_kind (name, audience, keys, hookable, description) VALUES
    ('notify_level_set', 'user', '{user_id,level}', true,
     'user_id set its notification level for the thread (all, mentions or none)');

-- room profiles, the directory, search
ALTER TABLE chat.setting_default DROP CONSTRAINT setting_default_type_check;
ALTER TABLE chat.setting_default ADD CONSTRAINT setting_default_type_check
    CHECK (type IN ('boolean', 'integer', 'text', 'reactions', 'mime_types', 'roles', 'ts_config'));
COMMENT ON COLUMN chat.setting_default.type IS
    'what chat.set_setting accepts: boolean, integer (whole number from min_value to max_value), text (string of min_value to max_value characters), reactions ("any", "emoji" or an array of reactions), mime_types (array of MIME types), roles (array of role names) or ts_config (name of an existing text search configuration: pg_catalog''s alone, others schema-qualified)';
INSERT INTO chat.setting_default (key, value, type, min_value, max_value, description) VALUES
    ('search_config', '"simple"', 'ts_config', NULL, NULL,
     'Text search configuration of chat.search (a name of pg_catalog such as "english", or "schema.name"): messages are indexed with it, queries parsed with it; changing it re-indexes every message'),
    ('max_description_length', '1000', 'integer', 1, 10000,
     'Longest room description, in characters (chat.set_profile)'),
    ('max_avatar_length', '2048', 'integer', 1, 10000,
     'Longest room avatar key or URL, in characters (chat.set_profile)');
INSERT INTO chat.event_kind (name, audience, keys, hookable, description) VALUES
    ('thread_updated', 'members', '{user_id,description,avatar}', true,
     'user_id changed the room''s profile (set_profile): its description and avatar as they now are (null: none)');
ALTER TABLE chat.thread ADD COLUMN description text;
ALTER TABLE chat.thread ADD COLUMN avatar text;
CREATE INDEX thread_directory_name_idx ON chat.thread (lower(coalesce(subject, '')), id) WHERE is_public;
CREATE INDEX thread_directory_search_idx ON chat.thread
    USING gin (to_tsvector('pg_catalog.simple'::regconfig, coalesce(subject, '') || ' ' || coalesce(description, '')))
    WHERE is_public;
COMMENT ON COLUMN chat.thread.description IS
    'what the room is about, shown in its profile and the directory (chat.set_profile; NULL: none)';
COMMENT ON COLUMN chat.thread.avatar IS
    'the room''s picture: a key or URL of the application''s storage, as an attachment''s key (chat.set_profile; NULL: none)';
ALTER TABLE chat.message ADD COLUMN search_vector tsvector;
CREATE INDEX message_search_idx ON chat.message USING gin (search_vector) WHERE search_vector IS NOT NULL;
COMMENT ON COLUMN chat.message.search_vector IS
    'the words of a text message''s current content for chat.search, under the setting search_config when it was written or edited (kept by trigger; NULL: a system message, or no word)';
ALTER TABLE chat.thread ALTER COLUMN description SET STATISTICS 0;
ALTER TABLE chat.thread ALTER COLUMN avatar SET STATISTICS 0;
ALTER TABLE chat.message ALTER COLUMN search_vector SET STATISTICS 0;
ALTER INDEX chat.thread_directory_name_idx ALTER COLUMN 1 SET STATISTICS 0;
ALTER INDEX chat.thread_directory_search_idx ALTER COLUMN 1 SET STATISTICS 0;

-- CHECK constraints cost every message sent (PostgreSQL re-reads them per statement): the
-- pairs they kept are kept by chat's functions and the message triggers (issue 15, P1)
ALTER TABLE chat.thread DROP CONSTRAINT thread_object_check;
ALTER TABLE chat.message DROP CONSTRAINT message_forward_not_reply;

-- the badge count reads member_unread_idx alone (issue 15, P4); notify_level exists by now
DROP INDEX chat.member_unread_idx;
CREATE INDEX member_unread_idx ON chat.member (user_id) INCLUDE (message_count, read_count)
    WHERE NOT large AND message_count > read_count AND NOT archived AND NOT muted
      AND notify_level <> 'none' AND (hidden_id IS NULL OR hidden_id < activity_id);

-- opt-in asynchronous commit (issue 15)
INSERT INTO chat.setting_default (key, value, type, min_value, max_value, description) VALUES
    ('async_messages', 'false', 'boolean', NULL, NULL,
     'new_message, new_reply and forward_message commit their transaction without waiting for its WAL flush (synchronous_commit off): a server crash can lose the transactions acknowledged in its last 3 x wal_writer_delay, each whole; counters and read state stay exact'),
    ('async_read_state', 'false', 'boolean', NULL, NULL,
     'mark_read, mark_unread and mark_delivered commit their transaction without waiting for its WAL flush: a server crash can move the pointers of its last 3 x wal_writer_delay back, never leave them inconsistent');

-- retention, purge and imports
INSERT INTO chat.setting_default (key, value, type, min_value, max_value, description) VALUES
    ('retention_days', 'null', 'integer', 1, 36500,
     'Days messages are kept: chat.purge deletes older ones, with their edits, reactions and attachments (null: keep forever); a room''s own retention (chat.set_retention) overrides it');
INSERT INTO chat.event_kind (name, audience, keys, hookable, description) VALUES
    ('messages_purged', 'members', '{message_id,count}', true,
     'chat.purge deleted every message of the thread up to message_id (count of them, with their edits, reactions and attachments) under the retention policy; hooks run before the rows go, so they can read them'),
    ('messages_imported', 'members', '{message_id,count}', true,
     'count messages of history were imported into the thread (chat.import_thread, chat.import_messages, chat.import_pinax), the newest being message_id');
ALTER TABLE chat.thread ADD COLUMN retention_days integer;
CREATE INDEX thread_retention_idx ON chat.thread (id) WHERE retention_days IS NOT NULL;
COMMENT ON COLUMN chat.thread.retention_days IS
    'the room''s own retention (chat.set_retention): chat.purge deletes its messages older than this many days; 0 keeps them forever; NULL follows the setting retention_days';
CREATE TABLE chat.purge_progress (
    one       boolean PRIMARY KEY DEFAULT true CONSTRAINT purge_progress_one_check CHECK (one),
    thread_id bigint NOT NULL DEFAULT 0
);
COMMENT ON TABLE chat.purge_progress IS
    'One row: the thread after which the next chat.purge call goes on (not dumped; readable by server roles)';
COMMENT ON COLUMN chat.purge_progress.one IS 'always true: the table has at most one row';
COMMENT ON COLUMN chat.purge_progress.thread_id IS
    'the next call starts with the threads after this id, then comes back to the first ones (0: from the start)';
ALTER TABLE chat.purge_progress ENABLE ROW LEVEL SECURITY;

-- early lock release (issue 15): a writing call's commit releases its locks before its flush
INSERT INTO chat.setting_default (key, value, type, min_value, max_value, description) VALUES
    ('early_lock_release', 'true', 'boolean', NULL, NULL,
     'The transaction of a writing call (new_message, new_reply, forward_message, mark_read, mark_unread, mark_delivered) releases its locks at commit before its WAL flush, then waits for the flush: acknowledged only once durable, but visible to other sessions during the flush, so replies to one busy thread share flushes (off: PostgreSQL''s own commit)');
/* Functions whose result type changes are dropped and created again. */
DROP FUNCTION chat._membership(chat.user_id);
DROP FUNCTION chat.inbox(chat.user_id,text,text,integer);
DROP FUNCTION chat._emit(text,bigint,bigint,chat.user_id,jsonb);
DROP FUNCTION chat.add_reaction(bigint,chat.user_id,text);
DROP FUNCTION chat.new_message(chat.user_id,chat.user_id[],text,text,jsonb,jsonb);
DROP FUNCTION chat.new_reply(bigint,chat.user_id,text,bigint,jsonb,jsonb);
DROP FUNCTION chat.toggle_reaction(bigint,chat.user_id,text);

/* ---- sql/src/api/admin.sql ---- */

CREATE OR REPLACE FUNCTION chat.verify_unread(thread_id bigint DEFAULT NULL)
    RETURNS TABLE (thread_id bigint, user_id chat.user_id, what text, stored bigint, recounted bigint)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT chat._require_server('run chat.verify_unread()');
    WITH t AS (
        SELECT t.* FROM chat.thread t WHERE $1 IS NULL OR t.id = $1
    ), m AS (
        /* each thread's messages by its key (OFFSET 0: not joined as a whole) */
        SELECT x.* FROM t, LATERAL (SELECT m.thread_id, m.id, m.sender_id, m.mentions
                                      FROM chat.message m WHERE m.thread_id = t.id OFFSET 0) x
    ), mb AS (
        SELECT x.*, t.message_count AS t_count, t.last_message_id AS t_last, t.large AS t_large
          FROM t, LATERAL (SELECT mb.* FROM chat.member mb WHERE mb.thread_id = t.id OFFSET 0) x
    ), tot AS (
        SELECT t.id, t.message_count, t.last_message_id, t.member_count,
               coalesce(c.n, 0) AS n, c.last, coalesce(d.members, 0) AS members
          FROM t
          LEFT JOIN (SELECT m.thread_id, count(*) AS n, max(m.id) AS last FROM m GROUP BY 1) c ON c.thread_id = t.id
          LEFT JOIN (SELECT mb.thread_id, count(*) AS members FROM mb GROUP BY 1) d ON d.thread_id = t.id
    ), ev AS (
        SELECT m.thread_id, m.id AS pos, 0 AS k, m.sender_id AS who FROM m
        UNION ALL
        SELECT mb.thread_id, mb.read_id, 1, mb.user_id FROM mb
    ), w AS (
        SELECT ev.thread_id, ev.k, ev.who,
               count(*) FILTER (WHERE ev.k = 0)
                   OVER (PARTITION BY ev.thread_id ORDER BY ev.pos, ev.k ROWS UNBOUNDED PRECEDING) AS upto_all,
               count(*) FILTER (WHERE ev.k = 0)
                   OVER (PARTITION BY ev.thread_id, ev.who ORDER BY ev.pos, ev.k ROWS UNBOUNDED PRECEDING) AS upto_own,
               count(*) FILTER (WHERE ev.k = 0) OVER (PARTITION BY ev.thread_id, ev.who) AS own
          FROM ev
    ), said AS (
        /* the unread mentions: each mention after its member's read pointer */
        SELECT mb.thread_id, mb.user_id, count(*) AS n
          FROM m CROSS JOIN LATERAL unnest(m.mentions) u(who)
          JOIN mb ON mb.thread_id = m.thread_id AND mb.user_id = u.who
         WHERE m.id > mb.read_id
         GROUP BY 1, 2
    )
    SELECT tot.id, NULL::chat.user_id, 'message_count', tot.message_count, tot.n
      FROM tot WHERE tot.message_count <> tot.n
    UNION ALL
    SELECT tot.id, NULL, 'last_message_id', tot.last_message_id, tot.last
      FROM tot WHERE tot.last_message_id IS DISTINCT FROM tot.last
    UNION ALL
    SELECT tot.id, NULL, 'member_count', tot.member_count, tot.members
      FROM tot WHERE tot.member_count <> tot.members
    UNION ALL
    SELECT u.thread_id, u.user_id, 'unread', u.stored, u.recounted
      FROM (SELECT mb.thread_id, mb.user_id, mb.t_count - mb.read_count AS stored,
                   (tot.n - w.upto_all) - (w.own - w.upto_own) AS recounted
              FROM w
              JOIN mb ON mb.thread_id = w.thread_id AND mb.user_id = w.who
              JOIN tot ON tot.id = w.thread_id
             WHERE w.k = 1) u
     WHERE u.stored <> u.recounted
    UNION ALL
    SELECT mb.thread_id, mb.user_id, 'mentions', mb.mention_count, coalesce(said.n, 0)
      FROM mb LEFT JOIN said ON said.thread_id = mb.thread_id AND said.user_id = mb.user_id
     WHERE mb.mention_count <> coalesce(said.n, 0)
    UNION ALL
    SELECT mb.thread_id, mb.user_id, 'copy', mb.message_count, mb.t_count
      FROM mb
     WHERE NOT mb.large AND (mb.message_count <> mb.t_count
                             OR mb.activity_id <> coalesce(mb.t_last, 0))
    UNION ALL
    SELECT mb.thread_id, mb.user_id, 'large', mb.large::int, mb.t_large::int
      FROM mb WHERE mb.large <> mb.t_large
$$;
COMMENT ON FUNCTION chat.verify_unread(bigint) IS
    'Counters that differ from a recount of the message rows (no rows: all exact). Unread = other members'' messages after the read pointer; mentions = messages after the read pointer that mention the member';

/* ---- sql/src/api/changes.sql ---- */

CREATE FUNCTION chat._changes_answer(found jsonb, reload boolean) RETURNS jsonb
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    -- ($1: found, which PL/pgSQL's FOUND hides)
    answer jsonb := jsonb_build_object('cursor', chat._cursor(), 'reload', reload,
                                       'events', CASE WHEN reload THEN '[]'::jsonb ELSE coalesce($1, '[]'::jsonb) END);
BEGIN
    /*
     * A transaction may be seen before its commit record is on disk (early
     * lock release, the async_* settings): wait until everything this
     * snapshot saw is durable, so a crash cannot take back an event handed
     * out, nor let a cursor count as seen a transaction id that recovery
     * then gives to another transaction.
     */
    PERFORM chat._wal_flush();
    RETURN answer;
END
$$;
REVOKE EXECUTE ON FUNCTION chat._changes_answer(jsonb,boolean) FROM PUBLIC;

CREATE FUNCTION chat._changes_since(since text, OUT snap pg_snapshot, OUT answer jsonb)
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    PERFORM chat._require_events();
    IF since IS NULL THEN
        answer := chat._changes_answer(NULL, false);
        RETURN;
    END IF;
    snap := chat._cursor_snapshot(since);
    IF chat._cursor_expired(snap) THEN
        snap := NULL;
        answer := chat._changes_answer(NULL, true);
    END IF;
END
$$;
REVOKE EXECUTE ON FUNCTION chat._changes_since(text) FROM PUBLIC;

CREATE FUNCTION chat._cursor() RETURNS text
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT chat._cursor_prefix() || '.' || pg_current_snapshot()
$$;
REVOKE EXECUTE ON FUNCTION chat._cursor() FROM PUBLIC;

CREATE FUNCTION chat._cursor_expired(snap pg_snapshot) RETURNS boolean
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT snap IS NULL
        OR pg_snapshot_xmax(snap) > pg_snapshot_xmax(pg_current_snapshot())
        OR EXISTS (SELECT FROM chat.event_pruned p
                    WHERE p.xid >= pg_snapshot_xmax(snap)
                       OR EXISTS (SELECT FROM pg_snapshot_xip(snap) x
                                   WHERE x <= p.xid
                                     AND coalesce(pg_xact_status(x), 'committed') = 'committed'))
$$;
REVOKE EXECUTE ON FUNCTION chat._cursor_expired(pg_snapshot) FROM PUBLIC;

CREATE FUNCTION chat._cursor_prefix() RETURNS text
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT format('%s.%s', (SELECT c.system_identifier FROM pg_control_system() c),
                  (SELECT d.oid FROM pg_database d WHERE d.datname = current_database()))
$$;
REVOKE EXECUTE ON FUNCTION chat._cursor_prefix() FROM PUBLIC;

CREATE FUNCTION chat._cursor_snapshot(cursor text) RETURNS pg_snapshot
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    part text[] := regexp_match(cursor, '^([0-9]+\.[0-9]+)\.([0-9]+:[0-9]+:[0-9,]*)$');
    snap pg_snapshot;
BEGIN
    IF part IS NULL THEN
        PERFORM chat._invalid_cursor(cursor);
    END IF;
    BEGIN
        snap := part[2]::pg_snapshot;
    EXCEPTION WHEN invalid_text_representation OR numeric_value_out_of_range THEN
        PERFORM chat._invalid_cursor(cursor);
    END;
    IF part[1] <> chat._cursor_prefix() THEN
        RETURN NULL;
    END IF;
    RETURN snap;
END
$$;
REVOKE EXECUTE ON FUNCTION chat._cursor_snapshot(text) FROM PUBLIC;

CREATE FUNCTION chat._invalid_cursor(cursor text) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    RAISE EXCEPTION 'invalid cursor "%"', chat._shown(cursor)
        USING ERRCODE = '22023', COLUMN = 'since',
              HINT = 'Pass the "cursor" of an earlier call, or NULL to start from now.';
END
$$;
REVOKE EXECUTE ON FUNCTION chat._invalid_cursor(text) FROM PUBLIC;

CREATE FUNCTION chat._require_events() RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF NOT chat._setting_value('events')::boolean THEN
        RAISE EXCEPTION 'events are not kept'
            USING ERRCODE = '55000',
                  HINT = 'The setting "events" is off: chat.changes and chat.feed need it on.';
    END IF;
END
$$;
REVOKE EXECUTE ON FUNCTION chat._require_events() FROM PUBLIC;

CREATE FUNCTION chat.changes(viewer chat.user_id DEFAULT chat.current_user_id(), since text DEFAULT NULL)
    RETURNS jsonb
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    snap pg_snapshot;
    early jsonb;
    lim bigint;
    n bigint;
    found_events jsonb;
BEGIN
    PERFORM chat._act(viewer);
    PERFORM chat._not_null(viewer, 'viewer');
    SELECT w.snap, w.answer INTO snap, early FROM chat._changes_since(since) w;
    IF snap IS NULL THEN
        RETURN early;
    END IF;
    lim := chat._setting_value('changes_limit')::bigint;
    /*
     * The events of the viewer's threads and those addressed to the viewer,
     * each thread found by its key (the cost follows the viewer's threads
     * and their events, not their members).  typing is news only live.
     */
    SELECT count(*), jsonb_agg(e.payload ORDER BY e.seq)
      INTO n, found_events
      FROM (SELECT e.seq, e.payload
              FROM chat.member mb
              JOIN chat.event e ON e.thread_id = mb.thread_id AND e.xid >= pg_snapshot_xmin(snap)
             WHERE mb.user_id = viewer AND NOT e.private AND e.event <> 'typing'
               AND (NOT pg_visible_in_snapshot(e.xid, snap) OR e.xid = pg_current_xact_id_if_assigned())
            UNION
            SELECT e.seq, e.payload
              FROM chat.event e
             WHERE e.recipients @> ARRAY[viewer] AND e.xid >= pg_snapshot_xmin(snap)
               AND e.event <> 'typing' AND (NOT pg_visible_in_snapshot(e.xid, snap) OR e.xid = pg_current_xact_id_if_assigned())
             ORDER BY 1
             LIMIT lim + 1) e;
    RETURN chat._changes_answer(found_events, n > lim);
END
$$;
COMMENT ON FUNCTION chat.changes(chat.user_id, text) IS
    'What changed for the viewer since the cursor of an earlier call (NULL: start now): {"cursor", "reload", "events": [payloads in seq order]}; reload true when the cursor is older than the kept events, names another database, or has more than changes_limit to catch up';
REVOKE EXECUTE ON FUNCTION chat.changes(chat.user_id, text) FROM PUBLIC;  -- as privileges.sql leaves it
GRANT EXECUTE ON FUNCTION chat.changes(chat.user_id, text) TO PUBLIC;

CREATE FUNCTION chat.feed(since text DEFAULT NULL)
    RETURNS jsonb
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    snap pg_snapshot;
    early jsonb;
    lim bigint;
    n bigint;
    found_events jsonb;
BEGIN
    PERFORM chat._require_server('read the feed');
    SELECT w.snap, w.answer INTO snap, early FROM chat._changes_since(since) w;
    IF snap IS NULL THEN
        RETURN early;
    END IF;
    lim := chat._setting_value('changes_limit')::bigint;
    SELECT count(*),
           jsonb_agg(jsonb_build_object('recipients', e.recipients, 'event', e.payload) ORDER BY e.seq)
      INTO n, found_events
      FROM (SELECT e.seq, e.payload,
                   CASE WHEN e.private THEN e.recipients
                        ELSE ARRAY(SELECT mb.user_id FROM chat.member mb WHERE mb.thread_id = e.thread_id
                                   UNION SELECT unnest(e.recipients) ORDER BY 1)
                   END AS recipients
              FROM chat.event e
             WHERE e.xid >= pg_snapshot_xmin(snap) AND (NOT pg_visible_in_snapshot(e.xid, snap) OR e.xid = pg_current_xact_id_if_assigned())
             ORDER BY e.seq
             LIMIT lim + 1) e;
    RETURN chat._changes_answer(found_events, n > lim);
END
$$;
COMMENT ON FUNCTION chat.feed(text) IS
    'Server roles: every event since the cursor of an earlier call (NULL: start now), each with the users who receive it: {"cursor", "reload", "events": [{"recipients", "event"}]}; one call per poll, not per event';
REVOKE EXECUTE ON FUNCTION chat.feed(text) FROM PUBLIC;  -- as privileges.sql leaves it
GRANT EXECUTE ON FUNCTION chat.feed(text) TO PUBLIC;

CREATE FUNCTION chat.prune_events() RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    n bigint;
    newest xid8;
BEGIN
    PERFORM chat._require_server('prune events');
    WITH gone AS (
        DELETE FROM chat.event e
         WHERE e.at < clock_timestamp() - make_interval(days => chat._setting_value('event_retention_days')::integer)
        RETURNING e.xid
    )
    SELECT count(*), max(g.xid) INTO n, newest FROM gone g;
    IF newest IS NOT NULL THEN
        INSERT INTO chat.event_pruned AS p (one, xid) VALUES (true, newest)
        ON CONFLICT (one) DO UPDATE SET xid = greatest(p.xid, excluded.xid);
    END IF;
    RETURN n;
END
$$;
COMMENT ON FUNCTION chat.prune_events() IS
    'Server roles: delete the events older than event_retention_days (run it daily, e.g. with pg_cron); returns how many';
REVOKE EXECUTE ON FUNCTION chat.prune_events() FROM PUBLIC;  -- as privileges.sql leaves it
GRANT EXECUTE ON FUNCTION chat.prune_events() TO PUBLIC;

/* ---- sql/src/api/folders.sql ---- */

CREATE OR REPLACE FUNCTION chat.archive_thread(thread_id bigint, actor chat.user_id DEFAULT chat.current_user_id())
    RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    PERFORM chat._act(actor);
    PERFORM chat._not_null(archive_thread.thread_id, 'thread_id');
    PERFORM chat._not_null(actor, 'actor');
    PERFORM chat._member_row(archive_thread.thread_id, actor, true);
    UPDATE chat.member mb SET archived = true
     WHERE mb.thread_id = archive_thread.thread_id AND mb.user_id = actor;
    PERFORM chat._emit('thread_archived', archive_thread.thread_id, NULL, actor, NULL, ARRAY[actor], true);
END
$$;

CREATE OR REPLACE FUNCTION chat.delete_thread(thread_id bigint, actor chat.user_id DEFAULT chat.current_user_id())
    RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    PERFORM chat._act(actor);
    PERFORM chat._not_null(delete_thread.thread_id, 'thread_id');
    PERFORM chat._not_null(actor, 'actor');
    PERFORM chat._member_row(delete_thread.thread_id, actor, true);
    UPDATE chat.member mb
       SET hidden_id = coalesce(t.last_message_id, 0)
      FROM chat.thread t
     WHERE t.id = delete_thread.thread_id
       AND mb.thread_id = t.id AND mb.user_id = actor;
    PERFORM chat._emit('thread_deleted', delete_thread.thread_id, NULL, actor, NULL, ARRAY[actor], true);
END
$$;

CREATE OR REPLACE FUNCTION chat.restore_thread(thread_id bigint, actor chat.user_id DEFAULT chat.current_user_id())
    RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    PERFORM chat._act(actor);
    PERFORM chat._not_null(restore_thread.thread_id, 'thread_id');
    PERFORM chat._not_null(actor, 'actor');
    PERFORM chat._member_row(restore_thread.thread_id, actor, true);
    UPDATE chat.member mb SET hidden_id = NULL
     WHERE mb.thread_id = restore_thread.thread_id AND mb.user_id = actor;
    PERFORM chat._emit('thread_restored', restore_thread.thread_id, NULL, actor, NULL, ARRAY[actor], true);
END
$$;

CREATE OR REPLACE FUNCTION chat.unarchive_thread(thread_id bigint, actor chat.user_id DEFAULT chat.current_user_id())
    RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    PERFORM chat._act(actor);
    PERFORM chat._not_null(unarchive_thread.thread_id, 'thread_id');
    PERFORM chat._not_null(actor, 'actor');
    PERFORM chat._member_row(unarchive_thread.thread_id, actor, true);
    UPDATE chat.member mb SET archived = false
     WHERE mb.thread_id = unarchive_thread.thread_id AND mb.user_id = actor;
    PERFORM chat._emit('thread_unarchived', unarchive_thread.thread_id, NULL, actor, NULL, ARRAY[actor], true);
END
$$;

/* ---- sql/src/api/hooks.sql ---- */

CREATE OR REPLACE FUNCTION chat.add_hook(event text, fn regprocedure, pos integer DEFAULT NULL)
    RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    p pg_proc;
BEGIN
    PERFORM chat._require_server('register hooks');
    PERFORM chat._require_execute(fn);
    PERFORM chat._check_event(event);
    IF fn IS NULL THEN
        RAISE EXCEPTION 'argument "fn" must not be null' USING ERRCODE = '22004', COLUMN = 'fn';
    END IF;
    p := chat._function_row(fn, 'fn');
    IF p.pronargs <> 1 OR p.proargtypes[0] <> 'jsonb'::regtype OR p.prokind <> 'f'
       OR p.prorettype = 'trigger'::regtype OR p.proretset THEN
        RAISE EXCEPTION 'function % cannot be a hook', fn
            USING ERRCODE = '42883', COLUMN = 'fn',
                  DETAIL = 'A hook is a function taking one argument of type jsonb and returning one value (or void).',
                  HINT = 'CREATE FUNCTION my_hook(event jsonb) RETURNS void ...';
    END IF;
    IF pos IS NOT NULL AND EXISTS (SELECT 1 FROM chat.hook h
                                    WHERE h.event = add_hook.event AND h.position = pos
                                      AND h.function <> fn) THEN
        RAISE EXCEPTION 'position % of event "%" is taken', pos, event
            USING ERRCODE = '23505', HINT = 'SELECT * FROM chat.hook shows the hooks and their positions.';
    END IF;
    IF EXISTS (SELECT 1 FROM chat.hook h WHERE h.event = add_hook.event AND h.function = fn) THEN
        IF pos IS NOT NULL THEN
            UPDATE chat.hook h SET position = pos
             WHERE h.event = add_hook.event AND h.function = fn;
        END IF;
        RETURN false;
    END IF;
    /* after the others, read first: Citus refuses a sub-select in the VALUES of a reference table */
    IF pos IS NULL THEN
        SELECT coalesce(max(h.position), 0) + 1 INTO pos FROM chat.hook h WHERE h.event = add_hook.event;
    END IF;
    INSERT INTO chat.hook (event, function, position) VALUES (event, fn, pos);
    RETURN true;
END
$$;

/* ---- sql/src/api/identity.sql ---- */

CREATE FUNCTION chat.propagate_identity() RETURNS void
    LANGUAGE plpgsql
    AS $$
DECLARE
    name pg_catalog.text;
    value pg_catalog.text;
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_extension e WHERE e.extname OPERATOR(pg_catalog.=) 'citus') THEN
        RETURN;
    END IF;
    SET LOCAL citus.propagate_set_commands = 'local';
    FOREACH name IN ARRAY ARRAY['request.jwt.claims', 'request.jwt.claim.sub', 'chat.user_id'] LOOP
        value := pg_catalog.current_setting(name, true);
        IF value OPERATOR(pg_catalog.<>) '' THEN
            EXECUTE pg_catalog.format('SET LOCAL %s = %L', name, value);
        END IF;
    END LOOP;
END
$$;
COMMENT ON FUNCTION chat.propagate_identity() IS
    'Citus: send the JWT claims and chat.user_id set with set_config() to the workers for the rest of the transaction (SET LOCAL with citus.propagate_set_commands = local), so that direct reads under row-level security see the caller there; PostgREST''s db-pre-request. Does nothing without Citus';
REVOKE EXECUTE ON FUNCTION chat.propagate_identity() FROM PUBLIC;  -- as privileges.sql leaves it
GRANT EXECUTE ON FUNCTION chat.propagate_identity() TO PUBLIC;

/* ---- sql/src/api/import.sql ---- */

CREATE FUNCTION chat._pinax_table(schema name, prefix text, suffix text, columns text[]) RETURNS regclass
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    tbl regclass := to_regclass(format('%I.%I', schema, prefix || '_' || suffix));
    col text;
BEGIN
    IF tbl IS NULL THEN
        RAISE EXCEPTION 'relation "%.%" does not exist', schema, chat._shown(prefix || '_' || suffix)
            USING ERRCODE = '42P01',
                  HINT = 'chat.import_pinax reads <prefix>_thread, <prefix>_userthread and <prefix>_message: prefix "user_messages" (the default) or "pinax_messages".';
    END IF;
    PERFORM chat._require_table_rights(tbl, 'SELECT');
    SELECT c INTO col FROM unnest(columns) AS c
     WHERE NOT EXISTS (SELECT FROM pg_attribute a
                        WHERE a.attrelid = tbl AND a.attname = c AND a.attnum > 0 AND NOT a.attisdropped)
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'column "%" of relation % does not exist', col, tbl USING ERRCODE = '42703';
    END IF;
    RETURN tbl;
END
$$;
REVOKE EXECUTE ON FUNCTION chat._pinax_table(name,text,text,text[]) FROM PUBLIC;

CREATE FUNCTION chat.import_messages(thread_id bigint, messages jsonb, members jsonb DEFAULT NULL)
    RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    t chat.thread;
    stranger chat.user_id;
BEGIN
    PERFORM chat._require_server('import messages');
    t := chat._lock_thread(import_messages.thread_id);
    PERFORM chat._not_null(messages, 'messages');
    PERFORM chat._check_import_messages(messages, 'messages', 'messages', t.last_sent_at);
    IF members IS NOT NULL THEN
        PERFORM chat._check_import_members(members, 'members', 'members', false);
        SELECT (x.m ->> 'user_id')::chat.user_id INTO stranger
          FROM jsonb_array_elements(members) WITH ORDINALITY AS x(m, ord)
         WHERE NOT EXISTS (SELECT FROM chat.member mb
                            WHERE mb.thread_id = t.id AND mb.user_id = (x.m ->> 'user_id')::chat.user_id)
         ORDER BY x.ord LIMIT 1;
        IF FOUND THEN
            RAISE EXCEPTION 'user "%" is not a member of thread %', stranger, t.id
                USING ERRCODE = '42704', COLUMN = 'members';
        END IF;
    END IF;
    RETURN chat._import_messages(t.id, messages, members);
END
$$;
COMMENT ON FUNCTION chat.import_messages(bigint, jsonb, jsonb) IS
    'Server roles: append history to a thread (each message sent at or after its newest one) at bulk speed; members [{user_id, read_until, deleted}] sets their read state, the others read on as they did; returns how many messages';
REVOKE EXECUTE ON FUNCTION chat.import_messages(bigint, jsonb, jsonb) FROM PUBLIC;  -- as privileges.sql leaves it
GRANT EXECUTE ON FUNCTION chat.import_messages(bigint, jsonb, jsonb) TO PUBLIC;

CREATE FUNCTION chat.import_pinax(schema name DEFAULT 'public', prefix text DEFAULT 'user_messages')
    RETURNS TABLE (pinax_thread_id bigint, thread_id bigint)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    threads regclass;
    userthreads regclass;
    msgs regclass;
    lim integer;
    bad record;
    after bigint;
    ids bigint[];
    docs jsonb[];
BEGIN
    PERFORM chat._require_server('import messages');
    PERFORM chat._not_null(schema, 'schema');
    PERFORM chat._not_null(prefix, 'prefix');
    threads := chat._pinax_table(schema, prefix, 'thread', '{id,subject}');
    userthreads := chat._pinax_table(schema, prefix, 'userthread', '{thread_id,user_id,unread,deleted}');
    msgs := chat._pinax_table(schema, prefix, 'message', '{id,thread_id,sender_id,sent_at,content}');

    /* what chat refuses, named by pinax's ids before anything is written */
    lim := chat._setting_value('max_subject_length')::integer;
    EXECUTE format('SELECT t.id, t.subject FROM %s t
                     WHERE (t.subject IS NULL OR chat._is_blank(t.subject) OR char_length(t.subject) > $1)
                       AND EXISTS (SELECT FROM %s ut WHERE ut.thread_id = t.id)
                     ORDER BY t.id LIMIT 1', threads, userthreads)
        INTO bad USING lim;
    IF bad.id IS NOT NULL THEN
        RAISE EXCEPTION 'pinax thread % has % subject', bad.id,
                        CASE WHEN bad.subject IS NULL THEN 'no' WHEN chat._is_blank(bad.subject) THEN 'a blank'
                             ELSE 'too long a' END
            USING ERRCODE = CASE WHEN bad.subject IS NULL THEN '22004' WHEN chat._is_blank(bad.subject) THEN '22023'
                                 ELSE '22001' END,
                  COLUMN = 'prefix', HINT = 'Correct it in pinax''s table first: chat needs a subject for a private thread.';
    END IF;
    lim := chat._setting_value('max_content_length')::integer;
    EXECUTE format('SELECT m.id, m.thread_id,
                           CASE WHEN m.sender_id IS NULL THEN ''has no sender''
                                WHEN m.sent_at IS NULL THEN ''has no sent_at''
                                WHEN m.sent_at::timestamptz > clock_timestamp() THEN ''was sent in the future''
                                WHEN m.content IS NULL THEN ''has no content''
                                WHEN chat._is_blank(m.content) THEN ''has blank content''
                                ELSE ''is too long'' END AS problem
                      FROM %s m
                     WHERE (m.sender_id IS NULL OR m.sent_at IS NULL OR m.sent_at::timestamptz > clock_timestamp()
                            OR m.content IS NULL OR chat._is_blank(m.content) OR char_length(m.content) > $1)
                       AND EXISTS (SELECT FROM %s ut WHERE ut.thread_id = m.thread_id)
                     ORDER BY m.id LIMIT 1', msgs, userthreads)
        INTO bad USING lim;
    IF bad.id IS NOT NULL THEN
        RAISE EXCEPTION 'pinax message % (thread %) %', bad.id, bad.thread_id, bad.problem
            USING ERRCODE = CASE WHEN bad.problem LIKE 'has no %' THEN '22004' WHEN bad.problem = 'is too long' THEN '22001'
                                 ELSE '22023' END,
                  COLUMN = 'prefix',
                  HINT = CASE WHEN bad.problem = 'is too long' THEN 'Raise the setting "max_content_length" for the import, or correct it in pinax''s table.'
                              ELSE 'Correct it in pinax''s table first.' END;
    END IF;

    /*
     * One thread at a time, through the import of one thread: a member who
     * had the thread unread has read up to its own last message (pinax keeps
     * no pointer: a reply marks everything before it read), one who had it
     * deleted finds it in the deleted folder.  Threads nobody belongs to are
     * left out: nobody could see them.
     */
    /* 100 threads at a time: no query stays open while chat's tables grow */
    LOOP
        EXECUTE format($q$
            SELECT array_agg(d.id ORDER BY d.id), array_agg(d.doc ORDER BY d.id)
              FROM (SELECT t.id::bigint AS id,
                           jsonb_build_object(
                               'kind', 'private',
                               'subject', t.subject,
                               'members', (SELECT jsonb_agg(jsonb_build_object('user_id', u.user_id, 'deleted', u.deleted)
                                                            || CASE WHEN u.unread THEN jsonb_build_object('read_until',
                                                                   coalesce((SELECT max(m.sent_at::timestamptz) FROM %3$s m
                                                                              WHERE m.thread_id = t.id AND m.sender_id = u.user_id),
                                                                            '-infinity'::timestamptz))
                                                               ELSE '{}'::jsonb END
                                                            ORDER BY u.user_id)
                                             FROM (SELECT ut.user_id, bool_or(ut.unread) AS unread, bool_and(ut.deleted) AS deleted
                                                     FROM %2$s ut WHERE ut.thread_id = t.id GROUP BY ut.user_id) u),
                               'messages', coalesce((SELECT jsonb_agg(jsonb_build_object('sender_id', m.sender_id,
                                                                                         'sent_at', m.sent_at::timestamptz,
                                                                                         'content', m.content)
                                                                      ORDER BY m.sent_at, m.id)
                                                       FROM %3$s m WHERE m.thread_id = t.id), '[]'::jsonb)) AS doc
                      FROM %1$s t
                     WHERE EXISTS (SELECT FROM %2$s ut WHERE ut.thread_id = t.id) AND ($1 IS NULL OR t.id > $1)
                     ORDER BY t.id
                     LIMIT 100) d
            $q$, threads, userthreads, msgs)
            INTO ids, docs USING after;
        EXIT WHEN ids IS NULL;
        FOR i IN 1 .. cardinality(ids) LOOP
            pinax_thread_id := ids[i];
            thread_id := chat._import_thread(docs[i]);
            RETURN NEXT;
        END LOOP;
        after := ids[cardinality(ids)];
    END LOOP;
END
$$;
COMMENT ON FUNCTION chat.import_pinax(name, text) IS
    'Server roles: import every thread of pinax-messages'' tables <schema>.<prefix>_thread, _userthread and _message (prefix user_messages or pinax_messages) with their members, authors, times, unread and deleted flags; returns each pinax thread id with its new chat thread id. One transaction: all or nothing';
REVOKE EXECUTE ON FUNCTION chat.import_pinax(name, text) FROM PUBLIC;  -- as privileges.sql leaves it
GRANT EXECUTE ON FUNCTION chat.import_pinax(name, text) TO PUBLIC;

CREATE FUNCTION chat.import_thread(thread jsonb)
    RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    PERFORM chat._require_server('import messages');
    RETURN chat._import_thread(thread);
END
$$;
COMMENT ON FUNCTION chat.import_thread(jsonb) IS
    'Server roles: create a thread with its members, read state and history from one JSON object {kind, subject, created_by, created_at, is_public, members: [{user_id, role, joined_at, read_until, deleted, archived, muted}], messages: [{sender_id, sent_at, content, kind, edited_at, deleted_at}]}, counted at bulk speed; returns the thread id';
REVOKE EXECUTE ON FUNCTION chat.import_thread(jsonb) FROM PUBLIC;  -- as privileges.sql leaves it
GRANT EXECUTE ON FUNCTION chat.import_thread(jsonb) TO PUBLIC;

/* ---- sql/src/api/membership.sql ---- */

CREATE OR REPLACE FUNCTION chat.add_members(thread_id bigint,
                                 actor chat.user_id DEFAULT chat.current_user_id(),
                                 users chat.user_id[] DEFAULT NULL,
                                 role text DEFAULT 'member')
    RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    r chat.member_role;
    t chat.thread;
    a chat.member;
    added chat.user_id[];
    u chat.user_id;
BEGIN
    PERFORM chat._act(actor);
    r := chat._check_role(add_members.role);
    t := chat._lock_thread(add_members.thread_id);
    PERFORM chat._not_null(actor, 'actor');
    PERFORM chat._check_users(users, 'users');
    a := chat._member_row(t.id, actor);
    IF t.kind = 'direct' THEN
        RAISE EXCEPTION 'cannot add members to direct thread %', t.id
            USING ERRCODE = '55000', DETAIL = 'A direct thread has exactly two members.',
                  HINT = 'Start a group with chat.create_group.';
    END IF;
    PERFORM chat._require(a, 'add_members', 'add members');
    IF r <> 'member' AND a.role NOT IN ('owner', 'admin') OR r = 'owner' AND a.role <> 'owner' THEN
        RAISE EXCEPTION 'permission denied to add members as % in thread %', r, t.id
            USING ERRCODE = '42501', CONSTRAINT = 'missing_permission',
                  DETAIL = 'Only owners add owners, and owners and admins add admins.';
    END IF;
    added := chat._insert_members(t, users, r);
    PERFORM chat._within(t.id, chat._held(t.id, actor), added);
    IF cardinality(added) > 0 THEN
        /* members before the message that announces them, as clients apply them */
        FOREACH u IN ARRAY added LOOP
            PERFORM chat._emit('member_added', t.id, NULL, u, jsonb_build_object('by', actor, 'role', r));
        END LOOP;
        PERFORM chat._system_message(t.id, actor,
            format('%s added %s', chat._label(actor),
                   (SELECT string_agg(chat._label(x), ', ' ORDER BY x) FROM unnest(added) AS x)));
    END IF;
    RETURN cardinality(added);
END
$$;

CREATE OR REPLACE FUNCTION chat.join_thread(thread_id bigint, "user" chat.user_id DEFAULT chat.current_user_id())
    RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    t chat.thread;
BEGIN
    PERFORM chat._act("user");
    t := chat._lock_thread(join_thread.thread_id);
    PERFORM chat._not_null(join_thread."user", 'user');
    IF EXISTS (SELECT 1 FROM chat.member mb WHERE mb.thread_id = t.id AND mb.user_id = join_thread."user") THEN
        RETURN;
    END IF;
    IF NOT t.is_public THEN
        RAISE EXCEPTION 'thread % is not public', t.id
            USING ERRCODE = '42501', CONSTRAINT = 'not_public',
                  HINT = 'A member with the permission "add_members" can add you.';
    END IF;
    PERFORM chat._insert_members(t, ARRAY[join_thread."user"], 'member');
    PERFORM chat._emit('member_added', t.id, NULL, join_thread."user",
                       jsonb_build_object('by', join_thread."user", 'role', 'member'));
    PERFORM chat._system_message(t.id, join_thread."user", format('%s joined', chat._label(join_thread."user")));
END
$$;

/* ---- sql/src/api/models.sql ---- */

CREATE OR REPLACE FUNCTION chat.swap_model(model text, tbl regclass) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
#variable_conflict use_variable
DECLARE
    k record;
    rel pg_class;
    keylist text;
    missing text;
BEGIN
    PERFORM chat._require_server('swap models');
    PERFORM chat._require_table_rights(tbl, 'SELECT, INSERT, UPDATE, DELETE');
    k := chat._model_key(model);
    keylist := array_to_string(k.keys, ', ');
    PERFORM chat._check_model_admin();
    IF tbl IS NULL THEN
        UPDATE chat.model md SET tbl = NULL WHERE md.model = swap_model.model AND md.renderer IS NOT NULL;
        DELETE FROM chat.model md WHERE md.model = swap_model.model AND md.renderer IS NULL;
        RETURN;
    END IF;

    SELECT * INTO rel FROM pg_class c WHERE c.oid = tbl;
    IF rel.relkind IS NULL OR rel.relkind NOT IN ('r', 'p') THEN
        RAISE EXCEPTION '"%" is not a table', tbl
            USING ERRCODE = '42809',
                  DETAIL = format('A model is extended by a table keyed by (%s).', keylist);
    END IF;
    IF rel.relpersistence = 't' THEN
        RAISE EXCEPTION 'table "%" is temporary', tbl
            USING ERRCODE = '42809',
                  DETAIL = 'The registration outlives the session; a temporary table does not.';
    END IF;

    SELECT kc INTO missing
      FROM unnest(k.keys) WITH ORDINALITY AS u(kc, i)
     WHERE NOT EXISTS (SELECT 1 FROM pg_attribute a
                        WHERE a.attrelid = tbl AND a.attname = u.kc AND a.attnum > 0 AND NOT a.attisdropped)
     ORDER BY u.i
     LIMIT 1;
    IF missing IS NOT NULL THEN
        RAISE EXCEPTION 'table "%" has no column "%"', tbl, missing
            USING ERRCODE = '42703',
                  DETAIL = format('A table extending model "%s" is keyed by (%s).', model, keylist);
    END IF;

    /* one row per record: a unique index (not partial) on key columns only */
    IF NOT EXISTS (
        SELECT 1 FROM pg_index i
         WHERE i.indrelid = tbl AND i.indisunique AND i.indisvalid AND i.indpred IS NULL
           AND (i.indkey::int2[])[0:i.indnkeyatts - 1] <@
               ARRAY(SELECT a.attnum FROM pg_attribute a
                      WHERE a.attrelid = tbl AND a.attname = ANY (k.keys))) THEN
        RAISE EXCEPTION 'table "%" has no unique key on (%)', tbl, keylist
            USING ERRCODE = '42P10',
                  DETAIL = format('A table extending model "%s" holds one row per %s.', model, model),
                  HINT = format('Add one: ALTER TABLE %s ADD PRIMARY KEY (%s).', tbl, keylist);
    END IF;

    /* a foreign key from exactly the key columns to chat's key */
    IF NOT EXISTS (
        SELECT 1 FROM pg_constraint c
         WHERE c.conrelid = tbl AND c.contype = 'f' AND c.confrelid = k.target
           AND ARRAY(SELECT a.attname || '=' || r.attname
                       FROM unnest(c.conkey, c.confkey) AS p(col, ref)
                       JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = p.col
                       JOIN pg_attribute r ON r.attrelid = c.confrelid AND r.attnum = p.ref
                      ORDER BY 1)
             = ARRAY(SELECT u.kc || '=' || u.rc FROM unnest(k.keys, k.target_keys) AS u(kc, rc) ORDER BY 1)) THEN
        RAISE EXCEPTION 'table "%" has no foreign key to %', tbl, k.target
            USING ERRCODE = '42830',
                  DETAIL = format('A table extending model "%s" references %s (%s) by (%s).',
                                  model, k.target, array_to_string(k.target_keys, ', '), keylist),
                  HINT = format('Add it: ALTER TABLE %s ADD FOREIGN KEY (%s) REFERENCES %s (%s) ON DELETE CASCADE.',
                                tbl, keylist, k.target, array_to_string(k.target_keys, ', '));
    END IF;

    /*
     * Every record gets its row from the keys and the caller's extra, so a
     * column outside the key must take NULL or have a default: otherwise
     * every later call that creates a record without it would fail.
     */
    SELECT a.attname INTO missing FROM pg_attribute a
     WHERE a.attrelid = tbl AND a.attnum > 0 AND NOT a.attisdropped AND a.attnotnull
       AND NOT a.atthasdef AND a.attidentity = '' AND a.attgenerated = ''
       AND NOT a.attname = ANY (k.keys)
     ORDER BY a.attnum
     LIMIT 1;
    IF missing IS NOT NULL THEN
        RAISE EXCEPTION 'column "%" of table "%" is NOT NULL without a default', missing, tbl
            USING ERRCODE = '42P16', COLUMN = 'tbl',
                  DETAIL = 'A record created without that field in its extra would be refused.',
                  HINT = 'Give the column a default, or let it take NULL.';
    END IF;

    IF chat._citus() THEN
        PERFORM chat._citus_model_table(model, tbl);
    END IF;

    INSERT INTO chat.model AS md (model, tbl) VALUES (model, tbl)
        ON CONFLICT ON CONSTRAINT model_pkey DO UPDATE SET tbl = excluded.tbl;
END
$$;
COMMENT ON FUNCTION chat.swap_model(text, regclass) IS
    'Extend a chat model (message, thread, member, reaction, attachment, notification) with the application''s table, keyed by chat''s key and referencing it: new records get a row, filled from the extra argument, and the reading functions return it as extra. NULL unregisters the table';

/* ---- sql/src/api/notifications.sql ---- */

CREATE FUNCTION chat.ack_notification(id bigint, extra jsonb DEFAULT NULL) RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
#variable_conflict use_variable
DECLARE
    st text;
BEGIN
    PERFORM chat._require_server('acknowledge notifications');
    PERFORM chat._not_null(id, 'id');
    SELECT n.state INTO st FROM chat.notification n WHERE n.id = ack_notification.id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'notification % does not exist', id
            USING ERRCODE = '42704', HINT = 'Delivered, dead and withdrawn notifications are removed by chat.prune_notifications.';
    END IF;
    IF extra IS NOT NULL THEN
        PERFORM chat._set_notification_extra(id, extra);
    END IF;
    IF st = 'delivered' THEN
        RETURN false;
    END IF;
    UPDATE chat.notification n SET state = 'delivered', done_at = clock_timestamp()
     WHERE n.id = ack_notification.id;
    RETURN true;
END
$$;
COMMENT ON FUNCTION chat.ack_notification(bigint, jsonb) IS
    'Server roles: the notification was delivered (kept as delivered until chat.prune_notifications); extra fills the swapped notification model''s row (a provider''s message id...). False when it was delivered already';
REVOKE EXECUTE ON FUNCTION chat.ack_notification(bigint, jsonb) FROM PUBLIC;  -- as privileges.sql leaves it
GRANT EXECUTE ON FUNCTION chat.ack_notification(bigint, jsonb) TO PUBLIC;

CREATE FUNCTION chat.claim_notifications(worker text, batch integer DEFAULT 10,
                                         visibility_seconds integer DEFAULT NULL)
    RETURNS TABLE (id bigint, user_id chat.user_id, thread_id bigint, message_id bigint, attempts integer,
                   sender_id chat.user_id, sender_name text, thread_kind text, subject text,
                   preview text, sent_at timestamptz, extra jsonb)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
#variable_conflict use_column
DECLARE
    vt integer;
    max_attempts integer;
    ids bigint[];
    due_ids bigint[];
    due_threads bigint[];
    due_messages bigint[];
    due_users chat.user_id[];
    live_ids bigint[];
    extras jsonb;
BEGIN
    PERFORM chat._require_server('claim notifications');
    PERFORM chat._not_null(worker, 'worker');
    PERFORM chat._not_null(batch, 'batch');
    IF chat._is_blank(worker) THEN
        RAISE EXCEPTION 'worker must not be blank' USING ERRCODE = '22023', COLUMN = 'worker',
            HINT = 'Name the worker, e.g. its host and process id: it is kept with each claim.';
    END IF;
    IF char_length(worker) > 255 THEN
        RAISE EXCEPTION 'worker is too long'
            USING ERRCODE = '22001', COLUMN = 'worker',
                  DETAIL = format('The worker''s name has %s characters; the limit is 255.', char_length(worker));
    END IF;
    PERFORM chat._check_range(batch, 1, 1000, 'batch');
    PERFORM chat._check_range(visibility_seconds, 1, 86400, 'visibility_seconds');
    PERFORM chat._require_events();
    vt := coalesce(visibility_seconds, chat._setting_value('notification_visibility_seconds')::integer);
    max_attempts := chat._setting_value('notification_max_attempts')::integer;

    PERFORM chat._expand_notifications();

    /*
     * The due rows no other worker holds, oldest first.  A row whose message
     * was deleted, or whose user left, read the message or changed mute or
     * notification level so as not to be notified of it meanwhile, is withdrawn; one whose last allowed claim timed out is
     * dead; the others are claimed: invisible for vt seconds, one more
     * attempt.
     */
    SELECT coalesce(array_agg(n.id), '{}'), coalesce(array_agg(n.thread_id), '{}'),
           coalesce(array_agg(n.message_id), '{}'), coalesce(array_agg(n.user_id), '{}')
      INTO due_ids, due_threads, due_messages, due_users
      FROM (SELECT n.id, n.thread_id, n.message_id, n.user_id
              FROM chat.notification n
             WHERE n.state = 'pending' AND n.visible_at <= clock_timestamp()
             ORDER BY n.visible_at, n.id
             LIMIT batch
               FOR UPDATE OF n SKIP LOCKED) n;
    IF cardinality(due_ids) = 0 THEN
        RETURN;
    END IF;
    /* which are still to be sent: a statement of its own, the rows as arrays (Citus) */
    SELECT coalesce(array_agg(d.id), '{}') INTO live_ids
      FROM unnest(due_ids, due_threads, due_messages, due_users) AS d (id, thread_id, message_id, user_id)
      JOIN chat.message m ON m.thread_id = d.thread_id AND m.id = d.message_id
      JOIN chat.member mb ON mb.thread_id = d.thread_id AND mb.user_id = d.user_id
     WHERE m.deleted_at IS NULL AND mb.read_id < d.message_id
       AND CASE mb.notify_level WHEN 'all' THEN NOT mb.muted
                                WHEN 'mentions' THEN coalesce(mb.user_id = ANY (m.mentions), false)
                                ELSE false END;

    WITH due AS (
        SELECT n.id, n.attempts, n.id = ANY (live_ids) AS live
          FROM chat.notification n
         WHERE n.id = ANY (due_ids)
    ), withdrawn AS (
        UPDATE chat.notification n SET state = 'withdrawn', done_at = clock_timestamp()
          FROM due d WHERE n.id = d.id AND NOT d.live
        RETURNING n.id
    ), timed_out AS (
        UPDATE chat.notification n
           SET state = 'dead', done_at = clock_timestamp(),
               last_error = coalesce(n.last_error, 'not acknowledged within the visibility timeout')
          FROM due d WHERE n.id = d.id AND d.live AND d.attempts >= max_attempts
        RETURNING n.id
    ), claimed AS (
        UPDATE chat.notification n
           SET attempts = n.attempts + 1, claimed_at = clock_timestamp(), claimed_by = worker,
               visible_at = clock_timestamp() + make_interval(secs => vt)
          FROM due d WHERE n.id = d.id AND d.live AND d.attempts < max_attempts
        RETURNING n.id
    )
    SELECT coalesce(array_agg(c.id ORDER BY c.id), '{}') INTO ids FROM claimed c;

    IF cardinality(ids) = 0 THEN
        RETURN;
    END IF;
    extras := chat._notification_extras(ids);
    /* the rows first (materialized), then the names: on Citus display_name is not pushed to a shard */
    RETURN QUERY
    WITH r AS MATERIALIZED (
        SELECT n.id, n.user_id, n.thread_id, n.message_id, n.attempts, m.sender_id,
               t.kind::text AS kind, t.subject, left(m.content, 100) AS preview, m.sent_at
          FROM chat.notification n
          JOIN chat.message m ON m.thread_id = n.thread_id AND m.id = n.message_id
          JOIN chat.thread t ON t.id = n.thread_id
         WHERE n.id = ANY (ids)
    )
    SELECT r.id, r.user_id, r.thread_id, r.message_id, r.attempts, r.sender_id,
           CASE WHEN r.sender_id IS NOT NULL THEN chat.display_name(r.sender_id) END,
           r.kind, r.subject, r.preview, r.sent_at, extras -> r.id::text
      FROM r
     ORDER BY r.id;
END
$$;
COMMENT ON FUNCTION chat.claim_notifications(text, integer, integer) IS
    'Server roles: expand the messages sent since the last call into notifications, then claim up to batch due ones for the worker (FOR UPDATE SKIP LOCKED), invisible to other workers for visibility_seconds (default notification_visibility_seconds); returns what a push needs: ids, attempts, sender, thread, preview and the swapped model''s extra';
REVOKE EXECUTE ON FUNCTION chat.claim_notifications(text, integer, integer) FROM PUBLIC;  -- as privileges.sql leaves it
GRANT EXECUTE ON FUNCTION chat.claim_notifications(text, integer, integer) TO PUBLIC;

CREATE FUNCTION chat.fail_notification(id bigint, error text, retry_seconds integer DEFAULT NULL,
                                       extra jsonb DEFAULT NULL)
    RETURNS text
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
#variable_conflict use_variable
DECLARE
    nt chat.notification;
    delay numeric;
BEGIN
    PERFORM chat._require_server('report failed notifications');
    PERFORM chat._not_null(id, 'id');
    PERFORM chat._not_null(error, 'error');
    PERFORM chat._check_range(retry_seconds, 0, 86400, 'retry_seconds');
    SELECT * INTO nt FROM chat.notification n WHERE n.id = fail_notification.id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'notification % does not exist', id
            USING ERRCODE = '42704', HINT = 'Delivered, dead and withdrawn notifications are removed by chat.prune_notifications.';
    END IF;
    IF extra IS NOT NULL THEN
        PERFORM chat._set_notification_extra(id, extra);
    END IF;
    IF nt.state <> 'pending' THEN
        RETURN nt.state;        /* delivered by another claim, dead or withdrawn: so it stays */
    END IF;
    IF nt.attempts >= chat._setting_value('notification_max_attempts')::integer THEN
        UPDATE chat.notification n SET state = 'dead', done_at = clock_timestamp(), last_error = left(error, 1000)
         WHERE n.id = fail_notification.id;
        RETURN 'dead';
    END IF;
    delay := coalesce(retry_seconds,
                      least(chat._setting_value('notification_retry_seconds')::numeric
                            * power(2::numeric, greatest(nt.attempts - 1, 0)), 86400));
    UPDATE chat.notification n
       SET visible_at = clock_timestamp() + make_interval(secs => delay::double precision),
           last_error = left(error, 1000)
     WHERE n.id = fail_notification.id;
    RETURN 'pending';
END
$$;
COMMENT ON FUNCTION chat.fail_notification(bigint, text, integer, jsonb) IS
    'Server roles: an attempt to deliver the notification failed: dead once it had notification_max_attempts attempts, else claimable again after retry_seconds (default notification_retry_seconds, doubled per earlier attempt, at most a day). Returns its state: pending, dead, or delivered / withdrawn (unchanged)';
REVOKE EXECUTE ON FUNCTION chat.fail_notification(bigint, text, integer, jsonb) FROM PUBLIC;  -- as privileges.sql leaves it
GRANT EXECUTE ON FUNCTION chat.fail_notification(bigint, text, integer, jsonb) TO PUBLIC;

CREATE FUNCTION chat.notification_digest(minutes integer)
    RETURNS TABLE (user_id chat.user_id, thread_id bigint, unread bigint, oldest_unread_at timestamptz,
                   last_message_id bigint)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
#variable_conflict use_column
BEGIN
    PERFORM chat._require_server('read notification digests');
    PERFORM chat._not_null(minutes, 'minutes');
    PERFORM chat._check_range(minutes, 0, 5256000, 'minutes');
    /*
     * The badge's threads (unread_count: inbox folder, muted and archived
     * ones out) whose oldest unread message is older than the given minutes.
     */
    RETURN QUERY
    SELECT u.user_id, u.thread_id, u.unread, o.sent_at, u.last_id
      FROM (SELECT mb.user_id, mb.thread_id, mb.read_id, mb.message_count - mb.read_count AS unread,
                   mb.activity_id AS last_id
              FROM chat.member mb
             WHERE NOT mb.large AND mb.message_count > mb.read_count AND NOT mb.muted AND mb.notify_level <> 'none' AND NOT mb.archived
               AND (mb.hidden_id IS NULL OR mb.hidden_id < mb.activity_id)
            UNION ALL
            SELECT mb.user_id, mb.thread_id, mb.read_id, t.message_count - mb.read_count, t.last_message_id
              FROM chat.member mb
              JOIN chat.thread t ON t.id = mb.thread_id
             WHERE mb.large AND t.message_count > mb.read_count AND NOT mb.muted AND mb.notify_level <> 'none' AND NOT mb.archived
               AND (mb.hidden_id IS NULL OR mb.hidden_id < coalesce(t.last_message_id, 0))) u
     CROSS JOIN LATERAL (SELECT m.sent_at FROM chat.message m
                          WHERE m.thread_id = u.thread_id AND m.id > u.read_id
                            AND m.sender_id IS DISTINCT FROM u.user_id
                          ORDER BY m.id
                          LIMIT 1) o
     WHERE o.sent_at < clock_timestamp() - make_interval(mins => minutes)
     ORDER BY u.user_id, u.thread_id;
END
$$;
COMMENT ON FUNCTION chat.notification_digest(integer) IS
    'Server roles: for e-mail digests, per user the threads with messages unread for more than the given minutes (the unread badge''s threads: muted, archived and level-none ones left out), with the unread count, when the oldest unread message was sent and the newest message''s id';
REVOKE EXECUTE ON FUNCTION chat.notification_digest(integer) FROM PUBLIC;  -- as privileges.sql leaves it
GRANT EXECUTE ON FUNCTION chat.notification_digest(integer) TO PUBLIC;

CREATE FUNCTION chat.prune_notifications() RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    n bigint;
BEGIN
    PERFORM chat._require_server('prune notifications');
    DELETE FROM chat.notification nt
     WHERE nt.state <> 'pending'
       AND nt.done_at < clock_timestamp()
                        - make_interval(days => chat._setting_value('notification_retention_days')::integer);
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;
COMMENT ON FUNCTION chat.prune_notifications() IS
    'Server roles: delete the delivered, dead and withdrawn notifications older than notification_retention_days (run it daily); returns how many';
REVOKE EXECUTE ON FUNCTION chat.prune_notifications() FROM PUBLIC;  -- as privileges.sql leaves it
GRANT EXECUTE ON FUNCTION chat.prune_notifications() TO PUBLIC;

/* ---- sql/src/api/permissions.sql ---- */

CREATE OR REPLACE FUNCTION chat.set_role(thread_id bigint,
                              actor chat.user_id DEFAULT chat.current_user_id(),
                              member chat.user_id DEFAULT NULL,
                              role text DEFAULT NULL)
    RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    r chat.member_role;
    t chat.thread;
    a chat.member;
    m chat.member;
    held text[];
    payload jsonb;
BEGIN
    PERFORM chat._act(actor);
    r := chat._check_role(set_role.role);
    t := chat._lock_thread(set_role.thread_id);
    PERFORM chat._not_null(actor, 'actor');
    PERFORM chat._not_null(member, 'member');
    a := chat._member_row(t.id, actor);
    held := chat._held(t.id, actor);
    SELECT * INTO m FROM chat.member mb WHERE mb.thread_id = t.id AND mb.user_id = member;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'user "%" is not a member of thread %', member, t.id USING ERRCODE = '42704';
    END IF;
    IF t.kind = 'direct' THEN
        RAISE EXCEPTION 'the members of direct thread % have no roles to change', t.id USING ERRCODE = '55000';
    END IF;
    PERFORM chat._require_manager(a, m, 'change roles');
    IF r = 'owner' AND a.role <> 'owner' THEN
        RAISE EXCEPTION 'permission denied to change roles in thread %', t.id
            USING ERRCODE = '42501', CONSTRAINT = 'missing_permission', DETAIL = 'Only an owner can make an owner.';
    END IF;
    IF m.role = 'owner' AND r <> 'owner' AND NOT EXISTS (
           SELECT 1 FROM chat.member mb WHERE mb.thread_id = t.id AND mb.role = 'owner' AND mb.user_id <> member) THEN
        RAISE EXCEPTION 'thread % would have no owner', t.id
            USING ERRCODE = '55000', HINT = 'Make another member owner first.';
    END IF;
    UPDATE chat.member mb
       SET role = r, permissions = d.permissions
      FROM chat.permission_default d
     WHERE mb.thread_id = t.id AND mb.user_id = member AND d.kind = t.kind AND d.role = r;
    PERFORM chat._within(t.id, held, ARRAY[member]);
    /* read first: a call with a query of chat's tables inside would run on a Citus worker */
    payload := (SELECT jsonb_build_object('by', actor, 'role', mb.role, 'permissions', mb.permissions)
                  FROM chat.member mb WHERE mb.thread_id = t.id AND mb.user_id = member);
    PERFORM chat._emit('member_updated', t.id, NULL, member, payload);
END
$$;

/* ---- sql/src/api/profile.sql ---- */

CREATE FUNCTION chat.directory(viewer chat.user_id DEFAULT chat.current_user_id(),
                               query text DEFAULT NULL,
                               after text DEFAULT NULL,
                               page_size integer DEFAULT 50)
    RETURNS TABLE (thread_id bigint, kind text, subject text, description text, avatar text,
                   member_count integer, object_type text, object_id text, joined boolean, cursor text)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    SET jit = off
    SET plan_cache_mode = force_custom_plan
    AS $$
#variable_conflict use_column
DECLARE
    v chat.user_id;
    n integer;
    q tsquery;
    parts text[];
    c_name text;
    c_id bigint;
    probe integer;
    chunk integer;
    got bigint;
    chunk_ids bigint[];
    ids bigint[];
BEGIN
    PERFORM chat._act(viewer);
    v := directory.viewer;
    n := directory.page_size;
    c_name := '';
    c_id := 0;
    probe := 1000;           -- at most this many matches are sorted by name; more: the name order is walked
    chunk := 200;
    ids := '{}';
    PERFORM chat._not_null(v, 'viewer');
    PERFORM chat._check_page_size(n);
    IF directory.after IS NOT NULL THEN
        parts := regexp_match(directory.after, '^(\d{1,19}):(.*)$');
        IF parts IS NULL OR parts[1]::numeric > 9223372036854775807 THEN
            RAISE EXCEPTION 'invalid cursor "%"', chat._shown(directory.after)
                USING ERRCODE = '22023', COLUMN = 'after',
                      HINT = 'Pass the cursor column of the last row of the previous page.';
        END IF;
        c_id := parts[1]::bigint;
        c_name := parts[2];
    END IF;
    IF directory.query IS NOT NULL AND NOT chat._is_blank(directory.query) THEN
        PERFORM chat._check_query(directory.query);
        q := chat._prefix_query(directory.query);
        IF q IS NULL THEN
            RETURN;      -- no word in it
        END IF;
    END IF;

    IF q IS NULL THEN
        RETURN QUERY
        SELECT t.id, t.kind::text, t.subject, t.description, t.avatar, t.member_count, t.object_type, t.object_id,
               coalesce((SELECT true FROM chat.member mb WHERE mb.thread_id = t.id AND mb.user_id = v), false),
               t.id || ':' || lower(coalesce(t.subject, ''))
          FROM chat.thread t
         WHERE t.is_public AND (lower(coalesce(t.subject, '')), t.id) > (c_name, c_id)
         ORDER BY lower(coalesce(t.subject, '')), t.id
         LIMIT n;
    /* "SELECT 1", not "SELECT": Citus cannot run a sub-plan without columns over every shard */
    ELSIF (SELECT count(*)
             FROM (SELECT 1 FROM chat.thread t
                    WHERE t.is_public
                      AND to_tsvector('pg_catalog.simple'::regconfig, coalesce(t.subject, '') || ' ' || coalesce(t.description, '')) @@ q
                    LIMIT probe + 1) x) <= probe THEN
        /* a rare query: its matches from the index, in name order */
        RETURN QUERY
        SELECT t.id, t.kind::text, t.subject, t.description, t.avatar, t.member_count, t.object_type, t.object_id,
               coalesce((SELECT true FROM chat.member mb WHERE mb.thread_id = t.id AND mb.user_id = v), false),
               t.id || ':' || lower(coalesce(t.subject, ''))
          FROM (SELECT * FROM chat.thread t
                 WHERE t.is_public
                   AND to_tsvector('pg_catalog.simple'::regconfig, coalesce(t.subject, '') || ' ' || coalesce(t.description, '')) @@ q
                OFFSET 0) t
         WHERE (lower(coalesce(t.subject, '')), t.id) > (c_name, c_id)
         ORDER BY lower(coalesce(t.subject, '')), t.id
         LIMIT n;
    ELSE
        /*
         * A common query (more than probe rooms): the rooms in name order,
         * checked a chunk at a time until the page is full.  A query with the
         * condition would be planned from an estimate that knows no words,
         * and could sort every match instead.
         */
        LOOP
            SELECT array_agg(x.id ORDER BY x.k, x.id) FILTER (WHERE x.hit), count(*),
                   (array_agg(x.k ORDER BY x.k DESC, x.id DESC))[1], (array_agg(x.id ORDER BY x.k DESC, x.id DESC))[1]
              INTO chunk_ids, got, c_name, c_id
              FROM (SELECT t.id, lower(coalesce(t.subject, '')) AS k,
                           to_tsvector('pg_catalog.simple'::regconfig,
                                       coalesce(t.subject, '') || ' ' || coalesce(t.description, '')) @@ q AS hit
                      FROM chat.thread t
                     WHERE t.is_public AND (lower(coalesce(t.subject, '')), t.id) > (c_name, c_id)
                     ORDER BY 2, 1
                     LIMIT chunk) x;
            ids := ids || coalesce(chunk_ids, '{}');
            EXIT WHEN cardinality(ids) >= n OR got < chunk;
            chunk := least(chunk * 2, 4000);
        END LOOP;
        RETURN QUERY
        SELECT t.id, t.kind::text, t.subject, t.description, t.avatar, t.member_count, t.object_type, t.object_id,
               coalesce((SELECT true FROM chat.member mb WHERE mb.thread_id = t.id AND mb.user_id = v), false),
               t.id || ':' || lower(coalesce(t.subject, ''))
          FROM unnest(ids[1:n]) WITH ORDINALITY u(id, pos)
          JOIN chat.thread t ON t.id = u.id
         ORDER BY u.pos;
    END IF;
END
$$;
COMMENT ON FUNCTION chat.directory(chat.user_id, text, text, integer) IS
    'Public rooms by name, optionally those whose name and description have every word of the query (as prefixes); pass the last row''s cursor as "after" for the next page';
REVOKE EXECUTE ON FUNCTION chat.directory(chat.user_id, text, text, integer) FROM PUBLIC;  -- as privileges.sql leaves it
GRANT EXECUTE ON FUNCTION chat.directory(chat.user_id, text, text, integer) TO PUBLIC;

CREATE FUNCTION chat.profile(thread_id bigint, viewer chat.user_id DEFAULT chat.current_user_id())
    RETURNS TABLE (kind text, subject text, description text, avatar text,
                   is_public boolean, member_count integer, object_type text, object_id text,
                   created_by chat.user_id, created_at timestamptz, joined boolean)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
#variable_conflict use_column
DECLARE
    t chat.thread;
    joined boolean;
BEGIN
    PERFORM chat._act(viewer);
    PERFORM chat._not_null(profile.thread_id, 'thread_id');
    PERFORM chat._not_null(profile.viewer, 'viewer');
    SELECT * INTO t FROM chat.thread th WHERE th.id = profile.thread_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'thread % does not exist', profile.thread_id USING ERRCODE = '42704';
    END IF;
    joined := EXISTS (SELECT 1 FROM chat.member mb WHERE mb.thread_id = t.id AND mb.user_id = profile.viewer);
    IF NOT joined AND NOT t.is_public THEN
        RAISE EXCEPTION 'user "%" is not a member of thread %', profile.viewer, t.id
            USING ERRCODE = '42501', CONSTRAINT = 'not_member';
    END IF;
    RETURN QUERY
    SELECT t.kind::text, t.subject, t.description, t.avatar, t.is_public, t.member_count,
           t.object_type, t.object_id, t.created_by, t.created_at, joined;
END
$$;
COMMENT ON FUNCTION chat.profile(bigint, chat.user_id) IS
    'A room''s profile (name, description, avatar, kind, members...) for its members, and for anyone when it is public';
REVOKE EXECUTE ON FUNCTION chat.profile(bigint, chat.user_id) FROM PUBLIC;  -- as privileges.sql leaves it
GRANT EXECUTE ON FUNCTION chat.profile(bigint, chat.user_id) TO PUBLIC;

CREATE FUNCTION chat.set_profile(thread_id bigint,
                                 actor chat.user_id DEFAULT chat.current_user_id(),
                                 description text DEFAULT NULL,
                                 avatar text DEFAULT NULL)
    RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    t chat.thread;
    d text;
    a text;
BEGIN
    PERFORM chat._act(actor);
    t := chat._lock_thread(set_profile.thread_id);
    PERFORM chat._not_null(actor, 'actor');
    IF set_profile.description IS NULL AND set_profile.avatar IS NULL THEN
        RAISE EXCEPTION 'argument "description" must not be null' USING ERRCODE = '22004', COLUMN = 'description',
            HINT = 'Pass a description, an avatar or both; an empty string clears one.';
    END IF;
    PERFORM chat._check_profile_text(set_profile.description, 'description', 'max_description_length');
    PERFORM chat._check_profile_text(set_profile.avatar, 'avatar', 'max_avatar_length');
    IF set_profile.avatar ~ '[\x01-\x1f\x7f]' THEN
        RAISE EXCEPTION 'avatar must not contain control characters'
            USING ERRCODE = '22023', COLUMN = 'avatar', HINT = 'Give the key or URL of the picture in your storage.';
    END IF;
    PERFORM chat._require(chat._member_row(t.id, actor), 'edit_thread', 'edit the profile');
    d := CASE WHEN set_profile.description IS NULL THEN t.description ELSE nullif(set_profile.description, '') END;
    a := CASE WHEN set_profile.avatar IS NULL THEN t.avatar ELSE nullif(set_profile.avatar, '') END;
    UPDATE chat.thread th SET description = d, avatar = a WHERE th.id = t.id;
    PERFORM chat._emit('thread_updated', t.id, NULL, actor, jsonb_build_object('description', d, 'avatar', a));
END
$$;
COMMENT ON FUNCTION chat.set_profile(bigint, chat.user_id, text, text) IS
    'Set a room''s description and/or avatar (permission edit_thread): NULL leaves one as it is, an empty string clears it';
REVOKE EXECUTE ON FUNCTION chat.set_profile(bigint, chat.user_id, text, text) FROM PUBLIC;  -- as privileges.sql leaves it
GRANT EXECUTE ON FUNCTION chat.set_profile(bigint, chat.user_id, text, text) TO PUBLIC;

/* ---- sql/src/api/reactions.sql ---- */

CREATE FUNCTION chat.add_reaction(message_id bigint,
                                  "user" chat.user_id DEFAULT chat.current_user_id(),
                                  reaction text DEFAULT NULL,
                                  extra jsonb DEFAULT NULL)
    RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    m chat.message;
BEGIN
    PERFORM chat._act("user");
    m := chat._reactable(add_reaction.message_id, add_reaction."user");
    PERFORM chat._check_reaction(add_reaction.reaction);
    INSERT INTO chat.reaction AS r (thread_id, message_id, user_id, reaction)
    VALUES (m.thread_id, m.id, add_reaction."user", add_reaction.reaction)
    ON CONFLICT ON CONSTRAINT reaction_pkey DO NOTHING;
    IF NOT FOUND THEN
        /* the reaction and its row stay as they are; extra is still checked */
        PERFORM chat._fill_model('reaction', NULL, add_reaction.extra, true);
        RETURN false;
    END IF;
    PERFORM chat._fill_model('reaction', chat._reaction_key(m, add_reaction."user", add_reaction.reaction),
                             add_reaction.extra);
    PERFORM chat._emit('reaction_added', m.thread_id, m.id, add_reaction."user",
                       jsonb_build_object('reaction', add_reaction.reaction));
    RETURN true;
END
$$;
COMMENT ON FUNCTION chat.add_reaction(bigint, chat.user_id, text, jsonb) IS
    'React to a message of a thread the user belongs to (the setting "reactions" says what is allowed), extra filling the swapped reaction model''s row; returns false when the user had that reaction already (its row unchanged)';
REVOKE EXECUTE ON FUNCTION chat.add_reaction(bigint, chat.user_id, text, jsonb) FROM PUBLIC;  -- as privileges.sql leaves it
GRANT EXECUTE ON FUNCTION chat.add_reaction(bigint, chat.user_id, text, jsonb) TO PUBLIC;

CREATE FUNCTION chat.reaction_users(message_id bigint,
                                    viewer chat.user_id DEFAULT chat.current_user_id(),
                                    which text DEFAULT NULL)
    RETURNS TABLE (reaction text, user_id chat.user_id, created_at timestamptz, extra jsonb)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
#variable_conflict use_column
DECLARE
    m chat.message;
    extras jsonb;
BEGIN
    PERFORM chat._act(viewer);
    PERFORM chat._not_null(reaction_users.message_id, 'message_id');
    PERFORM chat._not_null(reaction_users.viewer, 'viewer');
    m := chat._message_row(reaction_users.message_id);
    PERFORM chat._member_row(m.thread_id, reaction_users.viewer);
    IF m.deleted_at IS NOT NULL THEN
        RETURN;
    END IF;
    extras := chat._part_extras('reaction', m.thread_id, m.id);
    RETURN QUERY
    SELECT r.reaction, r.user_id, r.created_at, extras -> r.reaction -> (r.user_id::text)
      FROM chat.reaction r
     WHERE r.thread_id = m.thread_id AND r.message_id = m.id
       AND (reaction_users.which IS NULL OR r.reaction = reaction_users.which)
     ORDER BY r.created_at, r.user_id, r.reaction;
END
$$;
COMMENT ON FUNCTION chat.reaction_users(bigint, chat.user_id, text) IS
    'Reactions to a message for a member of its thread, one row per user and reaction (only those of reaction "which" when given), oldest first, with the swapped reaction model''s row as extra; none for a deleted message';
REVOKE EXECUTE ON FUNCTION chat.reaction_users(bigint, chat.user_id, text) FROM PUBLIC;  -- as privileges.sql leaves it
GRANT EXECUTE ON FUNCTION chat.reaction_users(bigint, chat.user_id, text) TO PUBLIC;

CREATE FUNCTION chat.toggle_reaction(message_id bigint,
                                     "user" chat.user_id DEFAULT chat.current_user_id(),
                                     reaction text DEFAULT NULL,
                                     extra jsonb DEFAULT NULL)
    RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    m chat.message;
BEGIN
    PERFORM chat._act("user");
    m := chat._reactable(toggle_reaction.message_id, toggle_reaction."user");
    PERFORM chat._not_null(toggle_reaction.reaction, 'reaction');
    /* checked whichever way the toggle goes, before anything is written */
    PERFORM chat._fill_model('reaction', NULL, toggle_reaction.extra, true);
    LOOP
        DELETE FROM chat.reaction r
         WHERE r.thread_id = m.thread_id AND r.message_id = m.id
           AND r.user_id = toggle_reaction."user" AND r.reaction = toggle_reaction.reaction;
        IF FOUND THEN
            PERFORM chat._emit('reaction_removed', m.thread_id, m.id, toggle_reaction."user",
                               jsonb_build_object('reaction', toggle_reaction.reaction));
            RETURN false;
        END IF;
        PERFORM chat._check_reaction(toggle_reaction.reaction);
        INSERT INTO chat.reaction AS r (thread_id, message_id, user_id, reaction)
        VALUES (m.thread_id, m.id, toggle_reaction."user", toggle_reaction.reaction)
        ON CONFLICT ON CONSTRAINT reaction_pkey DO NOTHING;
        IF FOUND THEN
            PERFORM chat._fill_model('reaction',
                                     chat._reaction_key(m, toggle_reaction."user", toggle_reaction.reaction),
                                     toggle_reaction.extra);
            PERFORM chat._emit('reaction_added', m.thread_id, m.id, toggle_reaction."user",
                               jsonb_build_object('reaction', toggle_reaction.reaction));
            RETURN true;
        END IF;
    END LOOP;
END
$$;
COMMENT ON FUNCTION chat.toggle_reaction(bigint, chat.user_id, text, jsonb) IS
    'Remove the user''s reaction if present (its swapped-model row goes with it), else add it with extra filling that row; returns true when it is now present';
REVOKE EXECUTE ON FUNCTION chat.toggle_reaction(bigint, chat.user_id, text, jsonb) FROM PUBLIC;  -- as privileges.sql leaves it
GRANT EXECUTE ON FUNCTION chat.toggle_reaction(bigint, chat.user_id, text, jsonb) TO PUBLIC;

/* ---- sql/src/api/read.sql ---- */

CREATE FUNCTION chat.inbox(viewer chat.user_id DEFAULT chat.current_user_id(),
                           folder text DEFAULT 'inbox',
                           before text DEFAULT NULL,
                           page_size integer DEFAULT 50)
    RETURNS TABLE (thread_id bigint, kind text, subject text,
                   last_message_id bigint, last_sender_id chat.user_id,
                   last_preview text, last_sent_at timestamptz,
                   unread_count bigint, unread boolean, muted boolean,
                   member_count integer, cursor text, mention_count bigint, extra jsonb)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    /* custom plans for the first calls of a session join all large threads */
    SET plan_cache_mode = force_generic_plan
    AS $$
#variable_conflict use_column
DECLARE
    v chat.user_id;
    f text;
    n integer;
    c_act bigint;
    c_tid bigint;
    parts text[];
BEGIN
    PERFORM chat._act(viewer);
    v := inbox.viewer;
    f := inbox.folder;
    n := inbox.page_size;
    c_act := 9223372036854775807;
    c_tid := 9223372036854775807;
    PERFORM chat._not_null(v, 'viewer');
    PERFORM chat._check_folder(f);
    PERFORM chat._check_page_size(n);
    IF inbox.before IS NOT NULL THEN
        parts := regexp_match(inbox.before, '^(\d{1,19}):(\d{1,19})$');
        IF parts IS NULL OR parts[1]::numeric > 9223372036854775807
           OR parts[2]::numeric > 9223372036854775807 THEN
            RAISE EXCEPTION 'invalid cursor "%"', chat._shown(inbox.before)
                USING ERRCODE = '22023', COLUMN = 'before',
                      HINT = 'Pass the cursor column of the last row of the previous page.';
        END IF;
        c_act := parts[1]::bigint;
        c_tid := parts[2]::bigint;
    END IF;

    /*
     * Each arm is ordered and limited by itself: the small-thread arm is then
     * the first page_size entries of member_inbox_idx whatever the planner
     * estimates, and the large-thread arm sorts only the user's few large
     * threads.  The folder test is spelled out in both arms for that reason.
     */
    IF NOT EXISTS (SELECT 1 FROM chat.model md WHERE md.model = 'thread' AND md.tbl IS NOT NULL) THEN
        RETURN QUERY
        SELECT t.id, t.kind::text, t.subject, t.last_message_id, t.last_sender_id,
               t.last_preview, t.last_sent_at,
               t.message_count - mb.read_count, t.message_count > mb.read_count,
               mb.muted, t.member_count, p.activity || ':' || p.thread_id, mb.mention_count,
               NULL::jsonb
          FROM ((SELECT s.thread_id, s.activity
                   FROM (SELECT mb.thread_id, mb.activity_id AS activity,
                                mb.hidden_id IS NULL OR mb.hidden_id < mb.activity_id AS visible,
                                mb.archived, mb.message_count - mb.read_count AS unread,
                                mb.mention_count AS mentions
                           FROM chat.member mb
                          WHERE mb.user_id = v AND NOT mb.large
                            AND (mb.activity_id, mb.thread_id) < (c_act, c_tid)) s
                  WHERE CASE f
                          WHEN 'inbox' THEN s.visible AND NOT s.archived
                          WHEN 'unread' THEN s.visible AND NOT s.archived AND s.unread > 0
                          WHEN 'deleted' THEN NOT s.visible
                          WHEN 'archived' THEN s.visible AND s.archived
                          WHEN 'mentions' THEN s.visible AND NOT s.archived AND s.mentions > 0
                          ELSE EXISTS (SELECT 1 FROM chat.thread st
                                        WHERE st.id = s.thread_id AND st.created_by = v)
                        END
                  ORDER BY s.activity DESC, s.thread_id DESC
                  LIMIT n)
                UNION ALL
                (SELECT s.thread_id, s.activity
                   FROM (SELECT mb.thread_id, coalesce(lt.last_message_id, 0) AS activity,
                                mb.hidden_id IS NULL OR mb.hidden_id < coalesce(lt.last_message_id, 0) AS visible,
                                mb.archived, lt.message_count - mb.read_count AS unread, mb.mention_count AS mentions,
                                lt.created_by
                           FROM chat.member mb
                           JOIN chat.thread lt ON lt.id = mb.thread_id
                          WHERE mb.user_id = v AND mb.large) s
                  WHERE (s.activity, s.thread_id) < (c_act, c_tid)
                    AND CASE f
                          WHEN 'inbox' THEN s.visible AND NOT s.archived
                          WHEN 'unread' THEN s.visible AND NOT s.archived AND s.unread > 0
                          WHEN 'deleted' THEN NOT s.visible
                          WHEN 'archived' THEN s.visible AND s.archived
                          WHEN 'mentions' THEN s.visible AND NOT s.archived AND s.mentions > 0
                          ELSE s.created_by = v
                        END
                  ORDER BY s.activity DESC, s.thread_id DESC
                  LIMIT n)
                ORDER BY 2 DESC, 1 DESC
                LIMIT n) p
          JOIN chat.thread t ON t.id = p.thread_id
          JOIN chat.member mb ON mb.thread_id = p.thread_id AND mb.user_id = v
         ORDER BY p.activity DESC, p.thread_id DESC;
        RETURN;
    END IF;

    /* the same page, rendered by one call of chat._extras */
    RETURN QUERY
    WITH p AS (
        (SELECT s.thread_id, s.activity
           FROM (SELECT mb.thread_id, mb.activity_id AS activity,
                        mb.hidden_id IS NULL OR mb.hidden_id < mb.activity_id AS visible,
                        mb.archived, mb.message_count - mb.read_count AS unread,
                        mb.mention_count AS mentions
                   FROM chat.member mb
                  WHERE mb.user_id = v AND NOT mb.large
                    AND (mb.activity_id, mb.thread_id) < (c_act, c_tid)) s
          WHERE CASE f
                  WHEN 'inbox' THEN s.visible AND NOT s.archived
                  WHEN 'unread' THEN s.visible AND NOT s.archived AND s.unread > 0
                  WHEN 'deleted' THEN NOT s.visible
                  WHEN 'archived' THEN s.visible AND s.archived
                  WHEN 'mentions' THEN s.visible AND NOT s.archived AND s.mentions > 0
                  ELSE EXISTS (SELECT 1 FROM chat.thread st
                                WHERE st.id = s.thread_id AND st.created_by = v)
                END
          ORDER BY s.activity DESC, s.thread_id DESC
          LIMIT n)
        UNION ALL
        (SELECT s.thread_id, s.activity
           FROM (SELECT mb.thread_id, coalesce(lt.last_message_id, 0) AS activity,
                        mb.hidden_id IS NULL OR mb.hidden_id < coalesce(lt.last_message_id, 0) AS visible,
                        mb.archived, lt.message_count - mb.read_count AS unread, mb.mention_count AS mentions,
                        lt.created_by
                   FROM chat.member mb
                   JOIN chat.thread lt ON lt.id = mb.thread_id
                  WHERE mb.user_id = v AND mb.large) s
          WHERE (s.activity, s.thread_id) < (c_act, c_tid)
            AND CASE f
                  WHEN 'inbox' THEN s.visible AND NOT s.archived
                  WHEN 'unread' THEN s.visible AND NOT s.archived AND s.unread > 0
                  WHEN 'deleted' THEN NOT s.visible
                  WHEN 'archived' THEN s.visible AND s.archived
                  WHEN 'mentions' THEN s.visible AND NOT s.archived AND s.mentions > 0
                  ELSE s.created_by = v
                END
          ORDER BY s.activity DESC, s.thread_id DESC
          LIMIT n)
        ORDER BY 2 DESC, 1 DESC
        LIMIT n)
    SELECT t.id, t.kind::text, t.subject, t.last_message_id, t.last_sender_id,
           t.last_preview, t.last_sent_at,
           t.message_count - mb.read_count, t.message_count > mb.read_count,
           mb.muted, t.member_count, p.activity || ':' || p.thread_id, mb.mention_count,
           (SELECT chat._extras('thread', array_agg(pe.thread_id)) FROM p pe) -> p.thread_id::text
      FROM p
      JOIN chat.thread t ON t.id = p.thread_id
      JOIN chat.member mb ON mb.thread_id = p.thread_id AND mb.user_id = v
     ORDER BY p.activity DESC, p.thread_id DESC;
END
$$;
COMMENT ON FUNCTION chat.inbox(chat.user_id, text, text, integer) IS
    'A page of the viewer''s threads in a folder (inbox, unread, deleted, sent, archived, mentions: threads with unread mentions of the viewer), newest activity first; pass the last row''s cursor as "before" for the next page. extra is the thread''s row in the table swapped for model "thread"; mention_count is the viewer''s unread mentions in the thread';
REVOKE EXECUTE ON FUNCTION chat.inbox(chat.user_id, text, text, integer) FROM PUBLIC;  -- as privileges.sql leaves it
GRANT EXECUTE ON FUNCTION chat.inbox(chat.user_id, text, text, integer) TO PUBLIC;

CREATE OR REPLACE FUNCTION chat.inbox_count(viewer chat.user_id DEFAULT chat.current_user_id(),
                                 folder text DEFAULT 'inbox')
    RETURNS bigint
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
#variable_conflict use_column
DECLARE
    v chat.user_id;
    f text;
BEGIN
    PERFORM chat._act(viewer);
    v := inbox_count.viewer;
    f := inbox_count.folder;
    PERFORM chat._not_null(v, 'viewer');
    PERFORM chat._check_folder(f);
    RETURN (SELECT count(*)
              FROM chat._membership(v) s
             WHERE CASE f
                     WHEN 'inbox' THEN s.visible AND NOT s.archived
                     WHEN 'unread' THEN s.visible AND NOT s.archived AND s.unread > 0
                     WHEN 'deleted' THEN NOT s.visible
                     WHEN 'archived' THEN s.visible AND s.archived
                     WHEN 'mentions' THEN s.visible AND NOT s.archived AND s.mentions > 0
                     ELSE EXISTS (SELECT 1 FROM chat.thread st
                                   WHERE st.id = s.thread_id AND st.created_by = v)
                   END);
END
$$;

CREATE OR REPLACE FUNCTION chat.members(thread_id bigint, viewer chat.user_id DEFAULT chat.current_user_id())
    RETURNS TABLE (user_id chat.user_id, role text, joined_at timestamptz, muted boolean,
                   permissions text[], extra jsonb)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
#variable_conflict use_column
DECLARE
    md chat.model;
    extras jsonb;
BEGIN
    PERFORM chat._act(viewer);
    md := chat._swapped('member');
    PERFORM chat._not_null(members.thread_id, 'thread_id');
    PERFORM chat._not_null(viewer, 'viewer');
    PERFORM chat._member_row(members.thread_id, viewer);
    IF md.tbl IS NOT NULL THEN
        EXECUTE format($q$SELECT jsonb_object_agg(x.user_id::text, to_jsonb(x) - 'thread_id' - 'user_id')
                            FROM %s x WHERE x.thread_id = $1$q$, md.tbl)
           INTO extras USING members.thread_id;
        /* rendered here, after the query (chat._render_object) */
        IF md.renderer IS NOT NULL THEN
            extras := chat._render_object(md.renderer::oid, extras, true);
        END IF;
    END IF;
    RETURN QUERY
    SELECT mb.user_id, mb.role::text, mb.joined_at, mb.muted, mb.permissions, extras -> (mb.user_id::text)
      FROM chat.member mb
     WHERE mb.thread_id = members.thread_id
     ORDER BY mb.role, mb.joined_at, mb.user_id;
END
$$;

CREATE FUNCTION chat.mention_count(viewer chat.user_id DEFAULT chat.current_user_id(),
                                   thread_id bigint DEFAULT NULL,
                                   OUT threads bigint, OUT mentions bigint)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    m chat.member;
BEGIN
    PERFORM chat._act(viewer);
    PERFORM chat._not_null(viewer, 'viewer');
    IF mention_count.thread_id IS NOT NULL THEN
        m := chat._member_row(mention_count.thread_id, viewer);
        threads := (m.mention_count > 0)::int;
        mentions := m.mention_count;
        RETURN;
    END IF;
    SELECT count(*), coalesce(sum(u.n), 0)
      INTO threads, mentions
      FROM (SELECT mb.mention_count AS n, mb.hidden_id IS NULL OR mb.hidden_id < mb.activity_id AS visible,
                   mb.archived, mb.notify_level
              FROM chat.member mb
             WHERE mb.user_id = viewer AND NOT mb.large AND mb.mention_count > 0
            UNION ALL
            SELECT mb.mention_count, mb.hidden_id IS NULL OR mb.hidden_id < coalesce(t.last_message_id, 0),
                   mb.archived, mb.notify_level
              FROM chat.member mb
              JOIN chat.thread t ON t.id = mb.thread_id
             WHERE mb.user_id = viewer AND mb.large AND mb.mention_count > 0) u
     WHERE u.visible AND NOT u.archived AND u.notify_level <> 'none';
END
$$;
COMMENT ON FUNCTION chat.mention_count(chat.user_id, bigint) IS
    'Unread mentions of the viewer: in one thread (threads 0 or 1), or the badge: threads of the inbox folder with unread mentions and their number (muted threads included, threads at notification level none left out)';
REVOKE EXECUTE ON FUNCTION chat.mention_count(chat.user_id, bigint) FROM PUBLIC;  -- as privileges.sql leaves it
GRANT EXECUTE ON FUNCTION chat.mention_count(chat.user_id, bigint) TO PUBLIC;

CREATE OR REPLACE FUNCTION chat.messages(thread_id bigint,
                                         viewer chat.user_id DEFAULT chat.current_user_id(),
                                         before bigint DEFAULT NULL,
                                         after bigint DEFAULT NULL,
                                         page_size integer DEFAULT 50)
    RETURNS TABLE (id bigint, sender_id chat.user_id, kind text, content text,
                   sent_at timestamptz, edited boolean, deleted boolean,
                   parent_id bigint, forwarded_from bigint,
                   reactions jsonb, attachments jsonb, seen_count bigint, extra jsonb)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
#variable_conflict use_column
DECLARE
    tid bigint;
    lo bigint;
    hi bigint;
    n integer;
    oldest_first boolean;
    swapped boolean;
BEGIN
    PERFORM chat._act(viewer);
    tid := messages.thread_id;
    lo := coalesce(messages.after, 0);
    hi := coalesce(messages.before, 9223372036854775807);
    n := messages.page_size;
    oldest_first := messages.after IS NOT NULL AND messages.before IS NULL;
    PERFORM chat._not_null(tid, 'thread_id');
    PERFORM chat._not_null(messages.viewer, 'viewer');
    PERFORM chat._check_page_size(n);
    PERFORM chat._member_row(tid, messages.viewer);
    swapped := EXISTS (SELECT 1 FROM chat.model md WHERE md.model = 'message' AND md.tbl IS NOT NULL);

    RETURN QUERY
    WITH p AS (
        (SELECT * FROM chat.message m
          WHERE oldest_first AND m.thread_id = tid AND m.id > lo AND m.id < hi
          ORDER BY m.id LIMIT n)
        UNION ALL
        (SELECT * FROM chat.message m
          WHERE NOT oldest_first AND m.thread_id = tid AND m.id > lo AND m.id < hi
          ORDER BY m.id DESC LIMIT n)),
    /*
     * seen_count: the members whose pointer (the greater of read and seen)
     * is at or past each message.  One pass over the thread's member rows
     * from the page's first message on counts those at or past its last
     * (in a busy room nearly all of them) and keeps only the pointers inside
     * the page, which a window then counts message by message, and the
     * pointers of the page's senders, who are not counted for their own.
     */
    b AS (
        SELECT min(pm.id) AS lo, max(pm.id) AS hi,
               array_agg(DISTINCT pm.sender_id) FILTER (WHERE pm.sender_id IS NOT NULL) AS senders
          FROM p pm),
    ptr AS (
        SELECT count(*) FILTER (WHERE v.seen >= b.hi) AS above,
               array_agg(v.seen) FILTER (WHERE v.seen < b.hi) AS mids,
               jsonb_object_agg(v.user_id::text, v.seen) FILTER (WHERE v.user_id = ANY (b.senders)) AS own
          FROM b,
               LATERAL (SELECT mb.user_id, greatest(mb.read_id, mb.seen_id) AS seen
                          FROM chat.member mb
                         WHERE mb.thread_id = tid AND greatest(mb.read_id, mb.seen_id) >= b.lo) v),
    /* the page's messages that have reactions or attachments: only theirs are summarised */
    rx AS (
        SELECT coalesce(array_agg(DISTINCT r.message_id), '{}') AS ids
          FROM b, chat.reaction r
         WHERE r.thread_id = tid AND r.message_id BETWEEN b.lo AND b.hi),
    ax AS (
        SELECT coalesce(array_agg(DISTINCT a.message_id), '{}') AS ids
          FROM b, chat.attachment a
         WHERE a.thread_id = tid AND a.message_id BETWEEN b.lo AND b.hi),
    c AS (
        SELECT x.id, x.n
          FROM (SELECT u.k AS id, u.is_page,
                       count(*) FILTER (WHERE NOT u.is_page)
                           OVER (ORDER BY u.k DESC, u.is_page ROWS UNBOUNDED PRECEDING) AS n
                  FROM (SELECT pp.id AS k, true AS is_page FROM p pp
                        UNION ALL
                        SELECT ms.seen, false FROM ptr, unnest(ptr.mids) AS ms(seen)) u) x
         WHERE x.is_page)
    SELECT p.id, p.sender_id, p.kind::text,
           CASE WHEN p.deleted_at IS NULL THEN p.content END,
           p.sent_at, p.edited_at IS NOT NULL, p.deleted_at IS NOT NULL,
           p.parent_id, p.forwarded_from,
           CASE WHEN p.deleted_at IS NULL AND p.id = ANY (rx.ids) THEN chat._reaction_summary(tid, p.id) ELSE '[]'::jsonb END,
           CASE WHEN p.deleted_at IS NULL AND p.id = ANY (ax.ids) THEN chat._attachment_list(tid, p.id) ELSE '[]'::jsonb END,
           coalesce(ptr.above, 0) + c.n - CASE WHEN (ptr.own ->> p.sender_id::text)::bigint >= p.id THEN 1 ELSE 0 END,
           CASE WHEN swapped
                THEN (SELECT chat._extras('message', ARRAY[tid], array_agg(pe.id)) FROM p pe) -> p.id::text
           END
      FROM p
      JOIN c ON c.id = p.id
      CROSS JOIN ptr
      CROSS JOIN rx
      CROSS JOIN ax
     ORDER BY p.id;
END
$$;

CREATE OR REPLACE FUNCTION chat.unread_count(viewer chat.user_id DEFAULT chat.current_user_id(),
                                  OUT threads bigint, OUT messages bigint)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    SET plan_cache_mode = force_generic_plan
    AS $$
BEGIN
    PERFORM chat._act(viewer);
    PERFORM chat._not_null(viewer, 'viewer');
    /*
     * The small threads' arm states member_unread_idx's predicate, so the
     * index holds exactly the rows to count (read from it alone where the
     * visibility map allows); the large threads' counts are the thread rows'.
     */
    SELECT count(*), coalesce(sum(u.unread), 0)
      INTO threads, messages
      FROM (SELECT mb.message_count - mb.read_count AS unread
              FROM chat.member mb
             WHERE mb.user_id = viewer AND NOT mb.large AND mb.message_count > mb.read_count
               AND NOT mb.archived AND NOT mb.muted AND mb.notify_level <> 'none'
               AND (mb.hidden_id IS NULL OR mb.hidden_id < mb.activity_id)
            UNION ALL
            SELECT t.message_count - mb.read_count
              FROM chat.member mb
              JOIN chat.thread t ON t.id = mb.thread_id
             WHERE mb.user_id = viewer AND mb.large
               AND NOT mb.archived AND NOT mb.muted AND mb.notify_level <> 'none'
               AND (mb.hidden_id IS NULL OR mb.hidden_id < coalesce(t.last_message_id, 0))
               AND t.message_count > mb.read_count) u;
END
$$;
COMMENT ON FUNCTION chat.unread_count(chat.user_id) IS
    'Badge counts: threads with unread messages and unread messages in them (inbox folder, muted threads and threads at notification level none left out)';

/* ---- sql/src/api/read_state.sql ---- */

CREATE OR REPLACE FUNCTION chat.mark_delivered(reader chat.user_id DEFAULT chat.current_user_id(),
                                               thread_id bigint DEFAULT NULL,
                                               up_to bigint DEFAULT NULL)
    RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    tid bigint;
    target bigint;
    moved bigint;
    at timestamptz;
BEGIN
    PERFORM chat._act(reader);
    PERFORM chat._relax_commit('async_read_state');
    tid := mark_delivered.thread_id;
    PERFORM chat._not_null(reader, 'reader');
    IF tid IS NULL THEN
        IF up_to IS NOT NULL THEN
            RAISE EXCEPTION 'up_to needs a thread_id' USING ERRCODE = '22023', COLUMN = 'thread_id';
        END IF;
        IF chat._citus() THEN
            /*
             * distributed (citus.sql): Citus locks no rows of several shards
             * at once, so thread by thread, in id order
             */
            moved := 0;
            FOR tid IN SELECT t.id FROM chat.thread t JOIN chat.member mb ON mb.thread_id = t.id
                        WHERE mb.user_id = reader AND t.last_message_id > mb.delivered_id ORDER BY 1 LOOP
                target := (SELECT t.last_message_id FROM chat.thread t WHERE t.id = tid FOR SHARE);
                at := clock_timestamp();
                UPDATE chat.member mb SET delivered_id = target, delivered_at = at
                 WHERE mb.thread_id = tid AND mb.user_id = reader AND mb.delivered_id < target;
                IF FOUND THEN
                    PERFORM chat._emit('thread_delivered', tid, target, reader);
                    moved := moved + 1;
                END IF;
            END LOOP;
            RETURN moved;
        END IF;
        /*
         * small threads' rows first, in id order, as everywhere; large
         * threads' rows are not locked, so a hot room's replies do not hold
         * this call up (see chat._member_row)
         */
        PERFORM FROM chat.thread t JOIN chat.member mb ON mb.thread_id = t.id
          WHERE mb.user_id = reader AND t.last_message_id > mb.delivered_id AND NOT t.large
          ORDER BY t.id
          FOR SHARE OF t;
        moved := 0;
        FOR tid, target IN
            UPDATE chat.member mb
               SET delivered_id = t.last_message_id, delivered_at = clock_timestamp()
              FROM chat.thread t
             WHERE mb.user_id = reader AND t.id = mb.thread_id
               AND t.last_message_id > mb.delivered_id
            RETURNING mb.thread_id, mb.delivered_id
        LOOP
            PERFORM chat._emit('thread_delivered', tid, target, reader);
            moved := moved + 1;
        END LOOP;
        RETURN moved;
    END IF;

    PERFORM chat._member_row(tid, reader, true);
    IF up_to IS NULL THEN
        SELECT coalesce(t.last_message_id, 0) INTO target FROM chat.thread t WHERE t.id = tid;
    ELSE
        target := (chat._message_in(tid, up_to)).id;
    END IF;
    UPDATE chat.member mb
       SET delivered_id = target, delivered_at = clock_timestamp()
     WHERE mb.thread_id = tid AND mb.user_id = reader AND mb.delivered_id < target;
    GET DIAGNOSTICS moved = ROW_COUNT;
    IF moved > 0 THEN
        PERFORM chat._emit('thread_delivered', tid, target, reader);
    END IF;
    RETURN moved;
END
$$;

CREATE OR REPLACE FUNCTION chat.mark_read(thread_id bigint,
                                          reader chat.user_id DEFAULT chat.current_user_id(),
                                          up_to bigint DEFAULT NULL)
    RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    tid bigint;
    m chat.member;
    pos record;
    at timestamptz;
    mentions bigint;
BEGIN
    PERFORM chat._act(reader);
    PERFORM chat._relax_commit('async_read_state');
    tid := mark_read.thread_id;
    PERFORM chat._not_null(tid, 'thread_id');
    PERFORM chat._not_null(reader, 'reader');
    m := chat._member_row(tid, reader, true);
    IF up_to IS NOT NULL THEN
        PERFORM chat._message_in(tid, up_to);
    END IF;
    pos := chat._read_position(tid, reader, up_to, false);
    IF pos.target <= m.read_id THEN
        RETURN 0;
    END IF;
    /*
     * clock_timestamp: taken after the snapshot, so after the messages' commit;
     * into a variable, as Citus refuses a volatile call in the UPDATE
     */
    at := clock_timestamp();
    /* mentions: none left past the newest; else those passed over are read (the row is locked) */
    mentions := CASE WHEN m.mention_count = 0 OR pos.target >= m.last_mention_id THEN 0
                     ELSE m.mention_count - chat._mentions_between(tid, reader, m.read_id, pos.target)
                END;
    UPDATE chat.member mb
       SET read_id = pos.target, read_count = pos.read_count,
           mention_count = mentions,
           seen_id = greatest(mb.seen_id, pos.target),
           read_at = at,
           delivered_at = CASE WHEN pos.target > mb.delivered_id THEN at ELSE mb.delivered_at END,
           delivered_id = greatest(mb.delivered_id, pos.target)
     WHERE mb.thread_id = tid AND mb.user_id = reader;
    PERFORM chat._emit('thread_read', tid, pos.target, reader,
                       jsonb_build_object('read', greatest(pos.read_count - m.read_count, 0)));
    RETURN greatest(pos.read_count - m.read_count, 0);
END
$$;

CREATE OR REPLACE FUNCTION chat.mark_unread(thread_id bigint,
                                            reader chat.user_id DEFAULT chat.current_user_id(),
                                            from_message bigint DEFAULT NULL)
    RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    tid bigint;
    m chat.member;
    pos record;
    mentions bigint;
BEGIN
    PERFORM chat._act(reader);
    PERFORM chat._relax_commit('async_read_state');
    tid := mark_unread.thread_id;
    PERFORM chat._not_null(tid, 'thread_id');
    PERFORM chat._not_null(reader, 'reader');
    m := chat._member_row(tid, reader, true);
    IF from_message IS NOT NULL THEN
        PERFORM chat._message_in(tid, from_message);
    END IF;
    pos := chat._read_position(tid, reader, from_message, true);
    IF pos.target >= m.read_id THEN
        RETURN 0;
    END IF;
    /* mentions passed back over are unread again (the row is locked); into a variable, as in mark_read */
    mentions := CASE WHEN m.last_mention_id IS NULL OR m.last_mention_id <= pos.target THEN m.mention_count
                     ELSE m.mention_count + chat._mentions_between(tid, reader, pos.target, m.read_id)
                END;
    UPDATE chat.member mb
       SET read_id = pos.target, read_count = pos.read_count,
           mention_count = mentions,
           seen_id = greatest(mb.seen_id, mb.read_id)
     WHERE mb.thread_id = tid AND mb.user_id = reader;
    PERFORM chat._emit('thread_unread', tid, pos.target, reader, NULL, ARRAY[reader], true);
    RETURN greatest(m.read_count - pos.read_count, 0);
END
$$;

/* ---- sql/src/api/retention.sql ---- */

CREATE FUNCTION chat.purge(batch integer DEFAULT 1000)
    RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    global_days integer;
    start bigint;
    budget bigint;
    pass integer;
    lo bigint;
    hi bigint;
    locked boolean;
    candidates refcursor;
    tid bigint;
    cutoff timestamptz;
    ids bigint[];
    n integer;
    deleted bigint;
BEGIN
    PERFORM chat._require_server('purge messages');
    PERFORM chat._not_null(batch, 'batch');
    IF batch < 1 OR batch > 1000000 THEN
        RAISE EXCEPTION 'batch must be between 1 and 1000000' USING ERRCODE = '22023', COLUMN = 'batch',
            DETAIL = format('The batch given was %s.', batch);
    END IF;
    global_days := (chat._setting_value('retention_days') #>> '{}')::integer;

    /* one purge at a time; it goes on after the thread the last one reached */
    INSERT INTO chat.purge_progress AS p (one, thread_id) VALUES (true, 0) ON CONFLICT (one) DO NOTHING;
    SELECT p.thread_id INTO start FROM chat.purge_progress p FOR UPDATE;
    budget := batch;
    locked := false;
    deleted := 0;

    /*
     * Pass 1: the threads after "start"; pass 2, from the first thread up to
     * "start", only when pass 1 locked no thread, so that one call locks
     * threads in id order only (as every other multi-thread lock does).
     */
    FOR pass IN 1 .. 2 LOOP
        EXIT WHEN pass = 2 AND (locked OR start = 0);
        lo := CASE pass WHEN 1 THEN start ELSE 0 END;
        hi := CASE pass WHEN 1 THEN NULL ELSE start END;
        /*
         * Threads whose oldest message has expired, found by key (one probe
         * per thread, no index on sent_at for every message to maintain).
         * Without the setting only rooms with a retention of their own.
         */
        IF global_days IS NULL THEN
            OPEN candidates FOR
                SELECT th.id, now() - make_interval(days => th.retention_days)
                  FROM chat.thread th
                 WHERE th.retention_days IS NOT NULL AND th.retention_days > 0
                   AND th.id > lo AND (hi IS NULL OR th.id <= hi)
                   AND (SELECT m.sent_at FROM chat.message m WHERE m.thread_id = th.id ORDER BY m.id LIMIT 1)
                       < now() - make_interval(days => th.retention_days)
                 ORDER BY th.id;
        ELSE
            OPEN candidates FOR
                SELECT th.id, now() - make_interval(days => coalesce(th.retention_days, global_days))
                  FROM chat.thread th
                 WHERE (th.retention_days IS NULL OR th.retention_days > 0)
                   AND th.id > lo AND (hi IS NULL OR th.id <= hi)
                   AND (SELECT m.sent_at FROM chat.message m WHERE m.thread_id = th.id ORDER BY m.id LIMIT 1)
                       < now() - make_interval(days => coalesce(th.retention_days, global_days))
                 ORDER BY th.id;
        END IF;
        LOOP
            FETCH candidates INTO tid, cutoff;
            EXIT WHEN NOT FOUND;
            /* as a reply does: the thread's counters and pointers stay put until commit */
            PERFORM FROM chat.thread th WHERE th.id = tid FOR NO KEY UPDATE;
            CONTINUE WHEN NOT FOUND;
            locked := true;
            /* the expired prefix: the oldest messages up to the first one kept */
            SELECT array_agg(x.id ORDER BY x.id) INTO ids
              FROM (SELECT p.id, bool_and(p.sent_at < cutoff) OVER (ORDER BY p.id) AS expired
                      FROM (SELECT m.id, m.sent_at FROM chat.message m
                             WHERE m.thread_id = tid ORDER BY m.id LIMIT budget) p) x
             WHERE x.expired;
            n := coalesce(cardinality(ids), 0);
            CONTINUE WHEN n = 0;
            /* before the delete: a hook can still read what goes (to remove attachments' files) */
            PERFORM chat._emit('messages_purged', tid, ids[n], NULL, jsonb_build_object('count', n));
            DELETE FROM chat.message m WHERE m.thread_id = tid AND m.id <= ids[n];
            deleted := deleted + n;
            budget := budget - n;
            IF budget = 0 THEN
                /* this thread may have more: the next call starts with it */
                CLOSE candidates;
                UPDATE chat.purge_progress p SET thread_id = tid - 1;
                RETURN deleted;
            END IF;
        END LOOP;
        CLOSE candidates;
    END LOOP;
    /* every thread was seen: the next call starts from the first one */
    UPDATE chat.purge_progress p SET thread_id = 0;
    RETURN deleted;
END
$$;
COMMENT ON FUNCTION chat.purge(integer) IS
    'Server roles: delete at most batch expired messages (older than their room''s retention_days or the setting retention_days), with their edits, reactions and attachments, keeping every counter exact; returns how many (0: none is left). One short transaction per call: call it again until it returns 0';
REVOKE EXECUTE ON FUNCTION chat.purge(integer) FROM PUBLIC;  -- as privileges.sql leaves it
GRANT EXECUTE ON FUNCTION chat.purge(integer) TO PUBLIC;

CREATE FUNCTION chat.set_retention(thread_id bigint,
                                   actor chat.user_id DEFAULT chat.current_user_id(),
                                   days integer DEFAULT NULL)
    RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    t chat.thread;
    m chat.member;
    global_days integer;
BEGIN
    PERFORM chat._act(actor);
    t := chat._lock_thread(set_retention.thread_id);
    PERFORM chat._not_null(actor, 'actor');
    IF days < 0 OR days > 36500 THEN
        RAISE EXCEPTION 'days must be between 0 and 36500' USING ERRCODE = '22023', COLUMN = 'days',
            DETAIL = format('The days given were %s.', days),
            HINT = 'Give a number of days, 0 to keep the messages forever, or NULL to follow the setting "retention_days".';
    END IF;
    m := chat._member_row(t.id, actor);
    /* a direct thread's two members have no edit_thread: either may choose */
    IF t.kind <> 'direct' THEN
        PERFORM chat._require(m, 'edit_thread', 'change the retention');
    END IF;
    global_days := (chat._setting_value('retention_days') #>> '{}')::integer;
    IF global_days IS NOT NULL AND (days = 0 OR days > global_days) AND NOT chat.is_server_role() THEN
        RAISE EXCEPTION 'permission denied to keep the messages of thread % longer than retention_days', t.id
            USING ERRCODE = '42501', CONSTRAINT = 'server_role_only',
                  DETAIL = format('The setting "retention_days" keeps messages %s days; only server roles may keep a room''s longer.', global_days);
    END IF;
    IF t.retention_days IS NOT DISTINCT FROM days THEN
        RETURN;
    END IF;
    UPDATE chat.thread th SET retention_days = days WHERE th.id = t.id;
    PERFORM chat._system_message(t.id, actor, format('%s set messages to be %s', chat._label(actor),
        CASE WHEN days IS NULL THEN 'kept for the default time'
             WHEN days = 0 THEN 'kept forever'
             WHEN days = 1 THEN 'deleted after 1 day'
             ELSE format('deleted after %s days', days) END));
END
$$;
COMMENT ON FUNCTION chat.set_retention(bigint, chat.user_id, integer) IS
    'Set how many days the room keeps its messages before chat.purge deletes them (0: forever; NULL: the setting retention_days); permission edit_thread (either member of a direct thread); only server roles may keep them longer than retention_days. Posts a system message';
REVOKE EXECUTE ON FUNCTION chat.set_retention(bigint, chat.user_id, integer) FROM PUBLIC;  -- as privileges.sql leaves it
GRANT EXECUTE ON FUNCTION chat.set_retention(bigint, chat.user_id, integer) TO PUBLIC;

/* ---- sql/src/api/rooms.sql ---- */

CREATE OR REPLACE FUNCTION chat.direct_thread(user_a chat.user_id DEFAULT chat.current_user_id(),
                                   user_b chat.user_id DEFAULT NULL)
    RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    lo chat.user_id;
    hi chat.user_id;
    t chat.thread;
    tid bigint;
BEGIN
    PERFORM chat._act(user_a);
    lo := least(user_a, user_b);
    hi := greatest(user_a, user_b);
    PERFORM chat._not_null(user_a, 'user_a');
    PERFORM chat._not_null(user_b, 'user_b');
    IF user_a = user_b THEN
        RAISE EXCEPTION 'a direct thread needs two different users' USING ERRCODE = '22023', COLUMN = 'user_b',
            HINT = 'Send a note to yourself with chat.new_message(sender, ARRAY[sender], ...).';
    END IF;
    IF chat._citus() THEN
        /*
         * Distributed (citus.sql): no unique index on the pair; creators of
         * the same pair wait for each other on the coordinator instead
         */
        PERFORM pg_advisory_xact_lock(hashtextextended(format('chat.direct %s %s', lo, hi), 0));
        tid := (SELECT th.id FROM chat.thread th
                 WHERE th.kind = 'direct' AND th.direct_low = lo AND th.direct_high = hi);
        IF tid IS NOT NULL THEN
            RETURN tid;
        END IF;
        INSERT INTO chat.thread AS th (kind, created_by, direct_low, direct_high)
        VALUES ('direct', user_a, lo, hi)
        RETURNING th.* INTO t;
    ELSE
    /* race-free: a concurrent creator of the same pair makes this wait, then find its row */
    INSERT INTO chat.thread AS th (kind, created_by, direct_low, direct_high)
    VALUES ('direct', user_a, lo, hi)
    ON CONFLICT (direct_low, direct_high) WHERE kind = 'direct' DO NOTHING
    RETURNING th.* INTO t;
    IF t.id IS NULL THEN
        RETURN (SELECT th.id FROM chat.thread th
                 WHERE th.kind = 'direct' AND th.direct_low = lo AND th.direct_high = hi);
    END IF;
    END IF;
    PERFORM chat._fill_extra('thread', t.id, NULL, NULL, NULL);
    PERFORM chat._insert_members(t, ARRAY[lo, hi], 'member');
    PERFORM chat._emit('thread_created', t.id, NULL, user_a,
                       jsonb_build_object('thread_kind', 'direct', 'member_count', 2));
    RETURN t.id;
END
$$;

CREATE OR REPLACE FUNCTION chat.drop_thread(thread_id bigint, actor chat.user_id DEFAULT chat.current_user_id())
    RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    t chat.thread;
    members chat.user_id[];
BEGIN
    PERFORM chat._act(actor);
    t := chat._lock_thread(drop_thread.thread_id);
    PERFORM chat._not_null(actor, 'actor');
    PERFORM chat._require(chat._member_row(t.id, actor), 'delete_thread', 'delete');
    /*
     * its members are gone with it: the event names them (read first: a
     * statement reading chat.member would run whole on a Citus worker)
     */
    SELECT coalesce(array_agg(mb.user_id ORDER BY mb.user_id), '{}') INTO members
      FROM chat.member mb WHERE mb.thread_id = t.id;
    PERFORM chat._emit('thread_dropped', t.id, NULL, actor, NULL, members, true);
    DELETE FROM chat.thread th WHERE th.id = t.id;
END
$$;

CREATE OR REPLACE FUNCTION chat.mute(thread_id bigint, "user" chat.user_id DEFAULT chat.current_user_id(),
                          muted boolean DEFAULT true)
    RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    PERFORM chat._act("user");
    PERFORM chat._not_null(mute.thread_id, 'thread_id');
    PERFORM chat._not_null(mute."user", 'user');
    PERFORM chat._not_null(mute.muted, 'muted');
    PERFORM chat._member_row(mute.thread_id, mute."user", true);
    UPDATE chat.member mb SET muted = mute.muted
     WHERE mb.thread_id = mute.thread_id AND mb.user_id = mute."user";
    PERFORM chat._emit(CASE WHEN mute.muted THEN 'thread_muted' ELSE 'thread_unmuted' END,
                       mute.thread_id, NULL, mute."user", NULL, ARRAY[mute."user"], true);
END
$$;

CREATE OR REPLACE FUNCTION chat.object_thread(object_type text,
                                   object_id text,
                                   creator chat.user_id DEFAULT chat.current_user_id(),
                                   title text DEFAULT NULL,
                                   kind text DEFAULT 'group',
                                   is_public boolean DEFAULT true)
    RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    tid bigint;
BEGIN
    PERFORM chat._act(creator);
    PERFORM chat._not_null(object_thread.object_type, 'object_type');
    PERFORM chat._not_null(object_thread.object_id, 'object_id');
    IF chat._is_blank(object_thread.object_type) OR chat._is_blank(object_thread.object_id) THEN
        RAISE EXCEPTION 'an object''s type and id must not be blank'
            USING ERRCODE = '22023',
                  COLUMN = CASE WHEN chat._is_blank(object_thread.object_type) THEN 'object_type' ELSE 'object_id' END;
    END IF;
    /* keys, not texts: short enough for the unique index that finds the room */
    IF char_length(object_thread.object_type) > 255 OR char_length(object_thread.object_id) > 255 THEN
        RAISE EXCEPTION 'an object''s type and id are at most 255 characters'
            USING ERRCODE = '22001',
                  COLUMN = CASE WHEN char_length(object_thread.object_type) > 255 THEN 'object_type' ELSE 'object_id' END;
    END IF;
    PERFORM chat._not_null(creator, 'creator');
    PERFORM chat._not_null(object_thread.kind, 'kind');
    IF object_thread.kind NOT IN ('group', 'channel') THEN
        RAISE EXCEPTION 'an object''s room is a group or a channel, not "%"', object_thread.kind
            USING ERRCODE = '22023', COLUMN = 'kind';
    END IF;
    IF title IS NOT NULL THEN
        PERFORM chat._check_subject(title);
    END IF;
    IF chat._citus() THEN
        /* distributed (citus.sql): no unique index on the object; its creators wait for each other */
        PERFORM pg_advisory_xact_lock(hashtextextended(
            format('chat.object %s %s', object_thread.object_type, object_thread.object_id), 0));
    END IF;
    SELECT th.id INTO tid FROM chat.thread th
     WHERE th.object_type = object_thread.object_type AND th.object_id = object_thread.object_id;
    IF NOT FOUND THEN
        BEGIN
            tid := chat._create_room(object_thread.kind::chat.thread_kind, creator, title, '{}',
                                     is_public, NULL, object_thread.object_type, object_thread.object_id);
        EXCEPTION WHEN unique_violation THEN
            /* created at the same time by another session: that one is the room */
            SELECT th.id INTO tid FROM chat.thread th
             WHERE th.object_type = object_thread.object_type AND th.object_id = object_thread.object_id;
            IF tid IS NULL THEN
                /* REPEATABLE READ or SERIALIZABLE: our snapshot cannot see it */
                RAISE EXCEPTION 'could not serialize access: the room of % "%" was created concurrently',
                                object_thread.object_type, object_thread.object_id
                    USING ERRCODE = '40001', HINT = 'Retry the transaction.';
            END IF;
        END;
    END IF;
    /*
     * get-or-create: an end user gets an existing private room only as its
     * member.  The role is asked in a statement of its own: on a Citus
     * cluster a statement reading the thread runs whole on its worker, where
     * this function's owner, not the caller, is the role.
     */
    IF NOT chat.is_server_role() THEN
        IF NOT EXISTS (SELECT 1 FROM chat.thread th WHERE th.id = tid AND th.is_public)
           AND NOT EXISTS (SELECT 1 FROM chat.member m WHERE m.thread_id = tid AND m.user_id = creator) THEN
            RAISE EXCEPTION 'user "%" is not a member of the room of % "%"',
                            creator, object_thread.object_type, object_thread.object_id
                USING ERRCODE = '42501', CONSTRAINT = 'not_member';
        END IF;
    END IF;
    RETURN tid;
END
$$;

CREATE OR REPLACE FUNCTION chat.rename_thread(thread_id bigint,
                                   actor chat.user_id DEFAULT chat.current_user_id(),
                                   title text DEFAULT NULL)
    RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    t chat.thread;
BEGIN
    PERFORM chat._act(actor);
    t := chat._lock_thread(rename_thread.thread_id);
    PERFORM chat._not_null(actor, 'actor');
    PERFORM chat._not_null(title, 'title');
    PERFORM chat._check_subject(title);
    PERFORM chat._require(chat._member_row(t.id, actor), 'edit_thread', 'rename');
    UPDATE chat.thread th SET subject = title WHERE th.id = t.id;
    PERFORM chat._emit('thread_renamed', t.id, NULL, actor, jsonb_build_object('subject', title));
    PERFORM chat._system_message(t.id, actor,
        format('%s renamed the %s to "%s"', chat._label(actor), chat._kind_word(t.kind), title));
END
$$;

CREATE FUNCTION chat.set_notify_level(thread_id bigint, level text,
                                      "user" chat.user_id DEFAULT chat.current_user_id())
    RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    PERFORM chat._act("user");
    PERFORM chat._not_null(set_notify_level.thread_id, 'thread_id');
    PERFORM chat._not_null(set_notify_level.level, 'level');
    PERFORM chat._not_null(set_notify_level."user", 'user');
    IF set_notify_level.level NOT IN ('all', 'mentions', 'none') THEN
        RAISE EXCEPTION 'invalid notification level "%"', chat._shown(set_notify_level.level)
            USING ERRCODE = '22023', COLUMN = 'level',
                  HINT = 'Levels are "all", "mentions" and "none".';
    END IF;
    PERFORM chat._member_row(set_notify_level.thread_id, set_notify_level."user", true);
    UPDATE chat.member mb SET notify_level = set_notify_level.level
     WHERE mb.thread_id = set_notify_level.thread_id AND mb.user_id = set_notify_level."user";
    PERFORM chat._emit('notify_level_set', set_notify_level.thread_id, NULL, set_notify_level."user",
                       jsonb_build_object('level', set_notify_level.level),
                       ARRAY[set_notify_level."user"], true);
END
$$;
COMMENT ON FUNCTION chat.set_notify_level(bigint, text, chat.user_id) IS
    'Set the user''s notification level for a thread: all (every message unless muted), mentions (only messages that mention the user, even when muted) or none (no notifications; left out of the badges)';
REVOKE EXECUTE ON FUNCTION chat.set_notify_level(bigint, text, chat.user_id) FROM PUBLIC;  -- as privileges.sql leaves it
GRANT EXECUTE ON FUNCTION chat.set_notify_level(bigint, text, chat.user_id) TO PUBLIC;

/* ---- sql/src/api/search.sql ---- */

CREATE FUNCTION chat.search(viewer chat.user_id DEFAULT chat.current_user_id(),
                            query text DEFAULT NULL,
                            in_thread bigint DEFAULT NULL,
                            sort text DEFAULT 'rank',
                            before text DEFAULT NULL,
                            page_size integer DEFAULT 20)
    RETURNS TABLE (thread_id bigint, message_id bigint, sender_id chat.user_id, subject text,
                   sent_at timestamptz, edited boolean, snippet text, rank real, cursor text)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    /* the rank in a cursor is printed exactly, whatever the session's setting */
    SET extra_float_digits = 3
    /* without statistics of words, estimates would compile plans that run for milliseconds */
    SET jit = off
    /* plans for this call's values: a generic plan cannot tell a page of 20 from a whole thread */
    SET plan_cache_mode = force_custom_plan
    AS $$
#variable_conflict use_column
DECLARE
    v chat.user_id;
    tid bigint;
    by_rank boolean;
    n integer;
    cfg regconfig;
    q tsquery;
    c_rank real;
    c_id bigint;
    parts text[];
    probe integer;
    walk integer;
    sampled bigint;
    matched bigint;
    by_word boolean;
    done boolean;
    threads bigint[];
    page_tids bigint[];
    page_ids bigint[];
    page_ranks real[];
BEGIN
    PERFORM chat._act(viewer);
    v := search.viewer;
    tid := search.in_thread;
    n := search.page_size;
    c_rank := 'Infinity';
    c_id := 9223372036854775807;
    probe := 20000;          -- the word plan while the query has at most this many matches in the database
    by_word := false;
    done := false;
    PERFORM chat._not_null(v, 'viewer');
    PERFORM chat._not_null(search.query, 'query');
    PERFORM chat._not_null(search.sort, 'sort');
    IF search.sort NOT IN ('rank', 'newest') THEN
        RAISE EXCEPTION 'invalid sort "%"', chat._shown(search.sort)
            USING ERRCODE = '22023', COLUMN = 'sort', HINT = 'Sort by "rank" (best match first) or "newest".';
    END IF;
    by_rank := search.sort = 'rank';
    walk := CASE WHEN by_rank THEN 5000 ELSE 20000 END;   -- the newest messages of the database sampled
    PERFORM chat._check_page_size(n);
    PERFORM chat._check_query(search.query);
    IF tid IS NOT NULL THEN
        PERFORM chat._member_row(tid, v);
    END IF;
    IF search.before IS NOT NULL THEN
        parts := CASE WHEN by_rank THEN regexp_match(search.before, '^(\d{1,20}(?:\.\d{1,20})?(?:e[+-]?\d{1,2})?):(\d{1,19})$')
                      ELSE regexp_match(search.before, '^()(\d{1,19})$') END;
        IF parts IS NULL OR parts[2]::numeric > 9223372036854775807
           OR (by_rank AND parts[1]::numeric <> 0 AND parts[1]::numeric NOT BETWEEN 1e-45 AND 3.4e38) THEN
            RAISE EXCEPTION 'invalid cursor "%"', chat._shown(search.before)
                USING ERRCODE = '22023', COLUMN = 'before',
                      HINT = 'Pass the cursor column of the last row of the previous page, with the same sort.';
        END IF;
        c_id := parts[2]::bigint;
        IF by_rank THEN
            c_rank := parts[1]::real;
        END IF;
    END IF;

    cfg := chat._search_config();
    q := chat._search_query(cfg, search.query);
    IF q IS NULL THEN
        RETURN;      -- no word to find (only stop words or punctuation)
    END IF;

    IF tid IS NOT NULL THEN
        /* one thread: nothing while it is in the viewer's deleted folder */
        IF NOT (SELECT mb.hidden_id IS NULL
                       OR mb.hidden_id < CASE WHEN mb.large THEN (SELECT coalesce(t.last_message_id, 0)
                                                                    FROM chat.thread t WHERE t.id = mb.thread_id)
                                              ELSE mb.activity_id END
                  FROM chat.member mb WHERE mb.thread_id = tid AND mb.user_id = v) THEN
            RETURN;
        END IF;
        threads := ARRAY[tid];
        /* a long thread: by word first */
        by_word := (SELECT t.message_count FROM chat.thread t WHERE t.id = tid) > probe;
    ELSE
        /* the sample, and newest first the page when it holds one */
        SELECT count(*), count(*) FILTER (WHERE x.hit),
               (array_agg(x.thread_id ORDER BY x.id DESC) FILTER (WHERE x.hit AND x.seen))[1:n],
               (array_agg(x.id ORDER BY x.id DESC) FILTER (WHERE x.hit AND x.seen))[1:n],
               NOT by_rank AND (count(*) FILTER (WHERE x.hit AND x.seen) >= n OR count(*) < walk)
          INTO sampled, matched, page_tids, page_ids, done
          FROM (SELECT w.thread_id, w.id, w.hit,
                       w.hit AND NOT by_rank
                       AND (SELECT mb.hidden_id IS NULL
                                   OR mb.hidden_id < CASE WHEN mb.large
                                                          THEN (SELECT coalesce(t.last_message_id, 0) FROM chat.thread t
                                                                 WHERE t.id = mb.thread_id)
                                                          ELSE mb.activity_id END
                              FROM chat.member mb WHERE mb.thread_id = w.thread_id AND mb.user_id = v) AS seen
                  FROM (SELECT m.thread_id, m.id, m.search_vector @@ q AND m.deleted_at IS NULL AS hit
                          FROM chat.message m
                         WHERE m.id < CASE WHEN by_rank THEN 9223372036854775807 ELSE c_id END
                         ORDER BY m.id DESC
                         LIMIT walk) w) x;
        IF done THEN
            page_ranks := array_fill(0::real, ARRAY[coalesce(cardinality(page_ids), 0)]);
        ELSE
            /* by word first, unless the sample's share of matches puts the query far above probe */
            by_word := NOT (sampled = walk
                            AND matched::float8 / greatest(sampled, 1)
                                * (SELECT c.reltuples FROM pg_class c WHERE c.oid = 'chat.message'::regclass) > 2 * probe);
        END IF;
    END IF;

    IF by_word THEN
        /*
         * By word: the index's matches (in the thread), at most probe + 1 of
         * them read; with no more than probe, they are all, and the page is
         * those the viewer may read.  Else the plan by thread answers.
         */
        WITH g AS MATERIALIZED (
            SELECT m.thread_id, m.id, CASE WHEN by_rank THEN ts_rank(m.search_vector, q) ELSE 0 END::real AS r
              FROM chat.message m
             WHERE m.search_vector @@ q AND m.deleted_at IS NULL
               AND m.id < CASE WHEN by_rank THEN 9223372036854775807 ELSE c_id END
               AND (tid IS NULL OR m.thread_id = tid)
             LIMIT probe + 1),
        c AS (SELECT count(*) <= probe AS few FROM g)
        SELECT (SELECT c.few FROM c), array_agg(x.thread_id ORDER BY x.r DESC, x.id DESC),
               array_agg(x.id ORDER BY x.r DESC, x.id DESC), array_agg(x.r ORDER BY x.r DESC, x.id DESC)
          INTO done, page_tids, page_ids, page_ranks
          FROM (SELECT g.thread_id, g.id, g.r
                  FROM g
                 WHERE (SELECT c.few FROM c)
                   /* a scalar subquery, never turned into a join: one primary-key probe per match */
                   AND (SELECT mb.hidden_id IS NULL
                               OR mb.hidden_id < CASE WHEN mb.large
                                                      THEN (SELECT coalesce(t.last_message_id, 0) FROM chat.thread t
                                                             WHERE t.id = mb.thread_id)
                                                      ELSE mb.activity_id END
                          FROM chat.member mb WHERE mb.thread_id = g.thread_id AND mb.user_id = v)
                   AND (NOT by_rank OR g.r < c_rank OR (g.r = c_rank AND g.id < c_id))
                 ORDER BY g.r DESC, g.id DESC
                 LIMIT n) x;
    END IF;
    IF NOT done AND tid IS NULL THEN
        threads := ARRAY(SELECT s.thread_id FROM chat._membership(v) s WHERE s.visible);
    END IF;

    IF NOT done THEN
        /* by thread: each thread's matches (newest first: its newest n), then the best of all */
        SELECT array_agg(x.thread_id ORDER BY x.r DESC, x.id DESC), array_agg(x.id ORDER BY x.r DESC, x.id DESC),
               array_agg(x.r ORDER BY x.r DESC, x.id DESC)
          INTO page_tids, page_ids, page_ranks
          FROM (SELECT g.thread_id, g.id, g.r
                  FROM unnest(threads) th(id),
                       /* the thread's messages from its key, each checked: never the word's index (OFFSET 0) */
                       LATERAL (SELECT t.thread_id, t.id,
                                       CASE WHEN by_rank THEN ts_rank(t.search_vector, q) ELSE 0 END::real AS r
                                  FROM (SELECT m.thread_id, m.id, m.search_vector
                                          FROM chat.message m
                                         WHERE m.thread_id = th.id AND m.deleted_at IS NULL
                                           AND m.id < CASE WHEN by_rank THEN 9223372036854775807 ELSE c_id END
                                         ORDER BY m.id DESC
                                        OFFSET 0) t
                                 WHERE t.search_vector @@ q
                                 LIMIT CASE WHEN by_rank THEN NULL ELSE n END) g
                 WHERE NOT by_rank OR g.r < c_rank OR (g.r = c_rank AND g.id < c_id)
                 ORDER BY g.r DESC, g.id DESC
                 LIMIT n) x;
    END IF;

    /* the page: its rows, subjects and snippets */
    RETURN QUERY
    SELECT m.thread_id, m.id, m.sender_id, t.subject, m.sent_at, m.edited_at IS NOT NULL,
           chat._snippet(cfg, m.content, q), CASE WHEN by_rank THEN u.r END,
           CASE WHEN by_rank THEN u.r::text || ':' || u.id ELSE u.id::text END
      FROM unnest(page_tids, page_ids, page_ranks) WITH ORDINALITY u(tid, id, r, pos)
      JOIN chat.message m ON m.thread_id = u.tid AND m.id = u.id
      JOIN chat.thread t ON t.id = u.tid
     ORDER BY u.pos;
END
$$;
COMMENT ON FUNCTION chat.search(chat.user_id, text, bigint, text, text, integer) IS
    'Full-text search of the messages the viewer may read (optionally in one thread): best match first (sort rank) or newest first; a highlighted snippet per match; pass the last row''s cursor as "before" for the next page';
REVOKE EXECUTE ON FUNCTION chat.search(chat.user_id, text, bigint, text, text, integer) FROM PUBLIC;  -- as privileges.sql leaves it
GRANT EXECUTE ON FUNCTION chat.search(chat.user_id, text, bigint, text, text, integer) TO PUBLIC;

/* ---- sql/src/api/send.sql ---- */

CREATE OR REPLACE FUNCTION chat.forward_message(message_id bigint,
                                     to_thread_id bigint,
                                     actor chat.user_id DEFAULT chat.current_user_id(),
                                     comment text DEFAULT NULL)
    RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    m chat.message;
    mid bigint;
BEGIN
    PERFORM chat._act(actor);
    PERFORM chat._relax_commit('async_messages');
    PERFORM chat._not_null(forward_message.message_id, 'message_id');
    PERFORM chat._not_null(to_thread_id, 'to_thread_id');
    PERFORM chat._not_null(actor, 'actor');
    m := chat._message_row(forward_message.message_id);
    PERFORM chat._member_row(m.thread_id, actor);
    IF m.deleted_at IS NOT NULL THEN
        RAISE EXCEPTION 'cannot forward deleted message %', m.id USING ERRCODE = '55000';
    END IF;
    IF m.kind = 'system' THEN
        RAISE EXCEPTION 'cannot forward system message %', m.id USING ERRCODE = '55000';
    END IF;
    IF comment IS NOT NULL THEN
        PERFORM chat._check_content(comment);
    END IF;

    /* the trigger refuses an unknown thread (42704) and a sender who may not post there (42501) */
    INSERT INTO chat.message AS mg (thread_id, sender_id, content, forwarded_from)
    VALUES (to_thread_id, actor, m.content, m.id)
    RETURNING mg.id INTO mid;
    INSERT INTO chat.attachment (thread_id, message_id, position, key, name, mime, size, meta)
    SELECT to_thread_id, mid, a.position, a.key, a.name, a.mime, a.size, a.meta
      FROM chat.attachment a
     WHERE a.thread_id = m.thread_id AND a.message_id = m.id;
    PERFORM chat._copy_attachment_rows(m.thread_id, m.id, to_thread_id, mid);
    PERFORM chat._fill_extra('message', to_thread_id, mid, NULL, NULL);
    PERFORM chat._emit('message_sent', to_thread_id, mid, actor,
                       jsonb_build_object('reply', true, 'kind', 'text', 'forwarded_from', m.id));

    IF comment IS NOT NULL THEN
        PERFORM chat.new_reply(to_thread_id, actor, comment);
    END IF;
    RETURN mid;
END
$$;
COMMENT ON FUNCTION chat.forward_message(bigint, bigint, chat.user_id, text) IS
    'Copy a message (content and attachments, with their swapped-model rows) into another thread the actor may post in, with forwarded_from set; a comment follows it as a message of its own. Returns the copy''s id';

CREATE FUNCTION chat.new_message(sender chat.user_id DEFAULT chat.current_user_id(),
                                            recipients chat.user_id[] DEFAULT NULL,
                                            subject text DEFAULT NULL,
                                            content text DEFAULT NULL,
                                            attachments jsonb DEFAULT NULL,
                                            extra jsonb DEFAULT NULL,
                                            mentions chat.user_id[] DEFAULT NULL)
    RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    tid bigint;
    mid bigint;
    alone boolean;
    named chat.user_id[];
    n integer;
BEGIN
    PERFORM chat._act(sender);
    PERFORM chat._relax_commit('async_messages');
    PERFORM chat._not_null(sender, 'sender');
    PERFORM chat._not_null(recipients, 'recipients');
    IF array_ndims(recipients) > 1 THEN
        RAISE EXCEPTION 'recipients must be a one-dimensional array' USING ERRCODE = '22023', COLUMN = 'recipients';
    END IF;
    IF cardinality(recipients) = 0 THEN
        RAISE EXCEPTION 'recipients must not be empty' USING ERRCODE = '22023', COLUMN = 'recipients',
            HINT = 'Give at least one user id; send to yourself with ARRAY[sender].';
    END IF;
    IF array_position(recipients, NULL) IS NOT NULL THEN
        RAISE EXCEPTION 'recipients must not contain null' USING ERRCODE = '22004', COLUMN = 'recipients';
    END IF;
    PERFORM chat._check_subject(subject);
    IF attachments IS NULL OR content IS NOT NULL THEN
        PERFORM chat._check_content(content);
    END IF;
    IF attachments IS NOT NULL THEN
        PERFORM chat._check_attachments(attachments);
    END IF;
    PERFORM chat._check_mentions(new_message.mentions);
    PERFORM chat._check_new_size('private', recipients, sender, 'recipients');

    INSERT INTO chat.thread AS t (kind, subject, created_by)
    VALUES ('private', subject, sender)
    RETURNING t.id INTO tid;

    INSERT INTO chat.member (thread_id, user_id, role)
    SELECT tid, u, CASE WHEN u = sender THEN 'owner'::chat.member_role ELSE 'member' END
      FROM (SELECT DISTINCT u FROM unnest(recipients || sender) AS u) r
     ORDER BY u;

    INSERT INTO chat.message AS m (thread_id, sender_id, content, mentions)
    VALUES (tid, sender, content,
            CASE WHEN new_message.mentions IS NOT NULL THEN nullif(new_message.mentions, '{}')
                 ELSE chat._parse_mentions(content) END)
    RETURNING m.id, m.mentions INTO mid, named;

    IF attachments IS NOT NULL THEN
        PERFORM chat._add_attachments(tid, mid, attachments);
    END IF;

    alone := recipients <@ ARRAY[sender];
    IF NOT alone AND chat._setting_value('mark_new_thread_as_deleted')::boolean THEN
        UPDATE chat.member mb SET hidden_id = mid
         WHERE mb.thread_id = tid AND mb.user_id = sender;
    END IF;

    PERFORM chat._fill_extra('thread', tid, NULL, NULL, NULL);
    PERFORM chat._fill_extra('member', tid, NULL, u, NULL)
       FROM (SELECT DISTINCT u FROM unnest(recipients || sender) AS u) r;
    PERFORM chat._fill_extra('message', tid, mid, NULL, extra);

    /* read first: a statement reading chat.thread would run whole on a Citus worker, hooks and all */
    n := (SELECT t.member_count FROM chat.thread t WHERE t.id = tid);
    PERFORM chat._emit('thread_created', tid, NULL, sender,
                       jsonb_build_object('thread_kind', 'private', 'member_count', n));
    PERFORM chat._emit('message_sent', tid, mid, sender,
                       jsonb_build_object('reply', false, 'kind', 'text')
                       || CASE WHEN named IS NOT NULL THEN jsonb_build_object('mentions', named) ELSE '{}' END);
    RETURN mid;
END
$$;
COMMENT ON FUNCTION chat.new_message(chat.user_id, chat.user_id[], text, text, jsonb, jsonb, chat.user_id[]) IS
    'Start a private thread from sender to recipients (de-duplicated) with a first message; returns the message id. mentions: the users mentioned (NULL: the content''s "@{id}"); only members count';
REVOKE EXECUTE ON FUNCTION chat.new_message(chat.user_id, chat.user_id[], text, text, jsonb, jsonb, chat.user_id[]) FROM PUBLIC;  -- as privileges.sql leaves it
GRANT EXECUTE ON FUNCTION chat.new_message(chat.user_id, chat.user_id[], text, text, jsonb, jsonb, chat.user_id[]) TO PUBLIC;

CREATE FUNCTION chat.new_reply(thread_id bigint,
                               sender chat.user_id DEFAULT chat.current_user_id(),
                               content text DEFAULT NULL,
                               parent_id bigint DEFAULT NULL,
                               attachments jsonb DEFAULT NULL,
                               extra jsonb DEFAULT NULL,
                               mentions chat.user_id[] DEFAULT NULL)
    RETURNS bigint
    LANGUAGE c SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'chat_new_reply';
COMMENT ON FUNCTION chat.new_reply(bigint, chat.user_id, text, bigint, jsonb, jsonb, chat.user_id[]) IS
    'Append a message to a thread the sender belongs to; marks it read for the sender and unread for the others; returns the message id. mentions: the users mentioned (NULL: the content''s "@{id}"); only members count';
REVOKE EXECUTE ON FUNCTION chat.new_reply(bigint, chat.user_id, text, bigint, jsonb, jsonb, chat.user_id[]) FROM PUBLIC;  -- as privileges.sql leaves it
GRANT EXECUTE ON FUNCTION chat.new_reply(bigint, chat.user_id, text, bigint, jsonb, jsonb, chat.user_id[]) TO PUBLIC;

/* ---- sql/src/api/settings.sql ---- */

CREATE OR REPLACE FUNCTION chat.set_setting(key text, value jsonb) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
#variable_conflict use_variable
DECLARE
    d chat.setting_default;
    n numeric;
    lim integer;
    bad text;
BEGIN
    PERFORM chat._require_server('change settings');
    IF key IS NULL THEN
        RAISE EXCEPTION 'argument "key" must not be null' USING ERRCODE = '22004', COLUMN = 'key';
    END IF;
    SELECT * INTO d FROM chat.setting_default sd WHERE sd.key = set_setting.key;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown setting "%"', chat._shown(key)
            USING ERRCODE = '22023', COLUMN = 'key',
                  HINT = 'SELECT key FROM chat.settings lists the settings.';
    END IF;

    IF value IS NULL OR value = 'null'::jsonb THEN
        IF d.type = 'ts_config' THEN
            PERFORM chat._search_config_changed(chat._setting_value(d.key), d.value);
        END IF;
        DELETE FROM chat.setting s WHERE s.key = d.key;
        RETURN d.value;
    END IF;

    IF d.type = 'boolean' AND jsonb_typeof(value) <> 'boolean' THEN
        RAISE EXCEPTION 'invalid value for setting "%": %', key, chat._shown(value::text)
            USING ERRCODE = '22023', COLUMN = 'value', DETAIL = 'The setting takes true or false.';
    ELSIF d.type = 'integer' THEN
        IF jsonb_typeof(value) <> 'number' OR value::numeric <> trunc(value::numeric) THEN
            RAISE EXCEPTION 'invalid value for setting "%": %', key, chat._shown(value::text)
                USING ERRCODE = '22023', COLUMN = 'value', DETAIL = 'The setting takes a whole number.';
        END IF;
        n := value::numeric;
        IF n < d.min_value OR n > d.max_value THEN
            RAISE EXCEPTION 'value % is out of range for setting "%"', chat._shown(value::text), key
                USING ERRCODE = '22023', COLUMN = 'value',
                      DETAIL = format('The setting takes a number from %s to %s.', d.min_value, d.max_value);
        END IF;
    ELSIF d.type = 'text' THEN
        IF jsonb_typeof(value) <> 'string' THEN
            RAISE EXCEPTION 'invalid value for setting "%": %', key, chat._shown(value::text)
                USING ERRCODE = '22023', COLUMN = 'value', DETAIL = 'The setting takes a string.';
        END IF;
        n := octet_length(value #>> '{}');
        IF n < d.min_value OR n > d.max_value THEN
            RAISE EXCEPTION 'value % is out of range for setting "%"', chat._shown(value::text), key
                USING ERRCODE = '22023', COLUMN = 'value',
                      DETAIL = format('The setting takes a string of %s to %s bytes.', d.min_value, d.max_value);
        END IF;
    ELSIF d.type = 'reactions' THEN
        IF jsonb_typeof(value) = 'string' AND value #>> '{}' IN ('any', 'emoji') THEN
            NULL;
        ELSIF jsonb_typeof(value) <> 'array' OR jsonb_array_length(value) NOT BETWEEN 1 AND 200
              OR EXISTS (SELECT 1 FROM jsonb_array_elements(value) e WHERE jsonb_typeof(e) <> 'string')
              OR (SELECT count(DISTINCT e) <> count(*) FROM jsonb_array_elements(value) e) THEN
            RAISE EXCEPTION 'invalid value for setting "%": %', key, chat._shown(value::text)
                USING ERRCODE = '22023', COLUMN = 'value',
                      DETAIL = 'The setting takes "any", "emoji" or a JSON array of 1 to 200 distinct reactions.';
        ELSE
            lim := chat._setting_value('max_reaction_length')::integer;
            SELECT e INTO bad FROM jsonb_array_elements_text(value) e
             WHERE chat._is_blank(e) OR char_length(e) > lim LIMIT 1;
            IF FOUND THEN
                RAISE EXCEPTION 'invalid reaction "%" in setting "%"', bad, key
                    USING ERRCODE = '22023', COLUMN = 'value',
                          DETAIL = format('A reaction is not blank and has at most %s characters (the setting "max_reaction_length").', lim);
            END IF;
        END IF;
    ELSIF d.type = 'mime_types' THEN
        IF jsonb_typeof(value) <> 'array' OR jsonb_array_length(value) NOT BETWEEN 1 AND 200
           OR EXISTS (SELECT 1 FROM jsonb_array_elements(value) e WHERE jsonb_typeof(e) <> 'string') THEN
            RAISE EXCEPTION 'invalid value for setting "%": %', key, chat._shown(value::text)
                USING ERRCODE = '22023', COLUMN = 'value',
                      DETAIL = 'The setting takes null or a JSON array of 1 to 200 MIME types such as "image/png" or "image/*".';
        END IF;
        SELECT e INTO bad FROM jsonb_array_elements_text(value) e
         WHERE e !~ '^([A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*/([A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*|\*)|\*/\*)$' LIMIT 1;
        IF FOUND THEN
            RAISE EXCEPTION 'invalid MIME type "%" in setting "%"', bad, key
                USING ERRCODE = '22023', COLUMN = 'value',
                      HINT = 'Give types as "type/subtype", "type/*" or "*/*".';
        END IF;
    ELSIF d.type = 'roles' THEN
        PERFORM chat._check_roles(key, value);
    ELSIF d.type = 'ts_config' THEN
        value := chat._check_ts_config(key, value);
        PERFORM chat._search_config_changed(chat._setting_value(d.key), value);
    END IF;

    INSERT INTO chat.setting AS s (key, value) VALUES (d.key, value)
        ON CONFLICT ON CONSTRAINT setting_pkey DO UPDATE SET value = excluded.value;
    RETURN value;
END
$$;

/* ---- sql/src/api/users.sql ---- */

CREATE OR REPLACE FUNCTION chat.use_user_table(tbl regclass,
                                    id_column name DEFAULT 'id',
                                    on_delete text DEFAULT 'cascade',
                                    display_name regprocedure DEFAULT NULL)
    RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
#variable_conflict use_variable
DECLARE
    base regtype;
    rel pg_class;
    att pg_attribute;
    coltype regtype;
    fn pg_proc;
    missing_fn boolean;
    missing bigint;
    examples text;
    k record;
    bound chat.user_binding;
BEGIN
    PERFORM chat._require_server('bind the users table');
    PERFORM chat._require_table_rights(tbl, 'REFERENCES');
    PERFORM chat._require_execute(display_name);
    base := (SELECT t.typbasetype FROM pg_type t WHERE t.oid = 'chat.user_id'::regtype);
    /* one binder at a time; readers of the binding are not blocked */
    LOCK TABLE chat.user_binding IN SHARE ROW EXCLUSIVE MODE;

    IF tbl IS NULL THEN
        PERFORM chat._user_binding_drop();
        DELETE FROM chat.user_binding;
        RETURN;
    END IF;

    PERFORM chat._not_null(id_column, 'id_column');
    PERFORM chat._not_null(on_delete, 'on_delete');
    IF on_delete NOT IN ('cascade', 'restrict', 'anonymize') THEN
        RAISE EXCEPTION 'invalid on_delete "%"', chat._shown(on_delete)
            USING ERRCODE = '22023', COLUMN = 'on_delete',
                  HINT = 'Valid values are "cascade", "restrict" and "anonymize".';
    END IF;

    SELECT * INTO rel FROM pg_class c WHERE c.oid = tbl;
    IF rel.relkind NOT IN ('r', 'p') THEN
        RAISE EXCEPTION '"%" is not a table', tbl
            USING ERRCODE = '42809',
                  DETAIL = 'Chat''s user columns can reference only a table.';
    END IF;
    IF rel.relpersistence <> 'p' THEN
        RAISE EXCEPTION '"%" is not a permanent table', tbl
            USING ERRCODE = '42809',
                  DETAIL = 'Chat''s tables are permanent; their foreign keys can reference only permanent tables.';
    END IF;

    IF chat._citus() THEN
        /*
         * Citus's rule for foreign keys to reference tables: one connection
         * per node for the whole transaction, chosen before the reads below
         * (the setting ends with this function)
         */
        PERFORM set_config('citus.multi_shard_modify_mode', 'sequential', true);
        /*
         * chat's distributed tables reference the users table on every node:
         * it must be a reference table.  Made one here for its owner, who may
         * not be able to alone (Citus propagates the owning role, which only
         * a superuser may); anyone else is refused.
         */
        IF NOT chat._citus_reference(tbl) THEN
            IF NOT pg_has_role(coalesce(nullif(current_setting('role'), 'none'), session_user), rel.relowner, 'USAGE') THEN
                RAISE EXCEPTION 'table "%" is not a Citus reference table', tbl
                    USING ERRCODE = '42809',
                          DETAIL = 'On a Citus cluster chat''s foreign keys can reference only a reference table, and chat makes the users table one only when its owner binds it.',
                          HINT = format('Bind it as its owner, or make it one on the coordinator first: SELECT create_reference_table(%L);', tbl::text);
            END IF;
            EXECUTE 'SELECT pg_catalog.create_reference_table($1)' USING tbl;
        END IF;
    END IF;

    SELECT * INTO att FROM pg_attribute a
     WHERE a.attrelid = tbl AND a.attname = id_column AND a.attnum > 0 AND NOT a.attisdropped;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'column "%" of table "%" does not exist', id_column, tbl
            USING ERRCODE = '42703',
                  HINT = 'Pass the name of the table''s user id column as id_column.';
    END IF;
    coltype := att.atttypid;
    /*
     * The key types PostgreSQL accepts for the foreign key: the same base
     * type, or one whose btree operators compare it with chat's (integer ids
     * with chat's bigint ones, as Django's auth_user has).
     */
    IF coalesce(nullif((SELECT t.typbasetype FROM pg_type t WHERE t.oid = coltype), 0), coltype) <> base
       AND NOT EXISTS (
           SELECT 1 FROM pg_opclass oc
             JOIN pg_amop ao ON ao.amopfamily = oc.opcfamily
            WHERE oc.opcmethod = (SELECT am.oid FROM pg_am am WHERE am.amname = 'btree') AND oc.opcdefault
              AND oc.opcintype = coalesce(nullif((SELECT t.typbasetype FROM pg_type t WHERE t.oid = coltype), 0), coltype)
              AND ao.amopstrategy = 3 AND ao.amoplefttype = oc.opcintype AND ao.amoprighttype = base) THEN
        RAISE EXCEPTION 'column "%" of table "%" is of type %, but chat''s user ids are of type %',
                        id_column, tbl, format_type(coltype, NULL), format_type(base, NULL)
            USING ERRCODE = '42804', COLUMN = 'id_column',
                  DETAIL = 'A foreign key from chat.user_id columns needs an id column PostgreSQL can compare with them (the same type, or integer with bigint).',
                  HINT = 'The type of chat''s user ids is chosen by the setting chat.user_id_type before CREATE EXTENSION chat.';
    END IF;
    IF NOT chat._is_unique(tbl, att.attnum) THEN
        RAISE EXCEPTION 'column "%" of table "%" has no unique constraint', id_column, tbl
            USING ERRCODE = '42P10',
                  HINT = 'A foreign key references a primary key or unique constraint on exactly that column.';
    END IF;

    IF display_name IS NOT NULL THEN
        fn := chat._function_row(display_name, 'display_name');
        IF fn.prokind <> 'f' OR fn.proretset OR fn.prorettype <> 'text'::regtype OR fn.pronargs <> 1
           OR fn.proargtypes[0] NOT IN ('chat.user_id'::regtype, base) THEN
            RAISE EXCEPTION 'function "%" cannot be a display name function', display_name
                USING ERRCODE = '42883', COLUMN = 'display_name',
                      DETAIL = format('A display name function takes one argument of type chat.user_id or %s and returns text.',
                                      format_type(base, NULL));
        END IF;
        IF chat._citus() THEN
            /*
             * Citus 13.2 cannot run a SQL-standard RETURN body that reads one
             * of its tables ("syntax error at or near RETURN", on every node);
             * the users table has just become one.  BEGIN ATOMIC and quoted
             * bodies run.
             */
            IF pg_get_function_sqlbody(display_name) LIKE 'RETURN%'
               AND EXISTS (SELECT FROM pg_depend d
                            WHERE d.classid = 'pg_proc'::regclass AND d.objid = display_name
                              AND d.refclassid = 'pg_class'::regclass AND d.refobjid = tbl) THEN
                RAISE EXCEPTION 'function "%" cannot be a display name function on a Citus cluster', display_name
                    USING ERRCODE = '0A000', COLUMN = 'display_name',
                          DETAIL = format('Its body is a RETURN expression reading table "%s", which Citus 13.2 cannot run once the table is distributed.', tbl),
                          HINT = 'Write its body as BEGIN ATOMIC SELECT ...; END, or as a string constant (AS ''SELECT ...'').';
            END IF;
            /*
             * The binding's row names the function on every node (workers
             * run the calls that name users): Citus creates it there, with
             * its owner, unless it already did.
             */
            EXECUTE 'SELECT NOT EXISTS (SELECT FROM pg_catalog.pg_dist_object o
                                         WHERE o.classid = ''pg_proc''::regclass AND o.objid = $1)'
               INTO missing_fn USING display_name;
            IF missing_fn THEN
                EXECUTE 'SELECT pg_catalog.create_distributed_function($1)' USING display_name;
            END IF;
        END IF;
    END IF;

    /*
     * Every user id chat's rows hold must be in the table, or validating the
     * keys fails.  The locks keep new ids out until commit, so the count is
     * exact; they are the ones adding the keys takes.
     */
    LOCK TABLE chat.thread, chat.member, chat.message IN SHARE ROW EXCLUSIVE MODE;
    EXECUTE format($q$
        SELECT count(*), string_agg(format('"%%s"', u.id), ', ' ORDER BY u.id) FILTER (WHERE u.n <= 5)
          FROM (SELECT s.id, row_number() OVER (ORDER BY s.id) AS n
                  FROM (SELECT mb.user_id AS id FROM chat.member mb
                        UNION SELECT m.sender_id FROM chat.message m
                        UNION SELECT t.created_by FROM chat.thread t
                        UNION SELECT t.last_sender_id FROM chat.thread t) s
                 WHERE s.id IS NOT NULL
                   AND NOT EXISTS (SELECT 1 FROM %s x WHERE x.%I = s.id)) u$q$, tbl, id_column)
       INTO missing, examples;
    IF missing > 0 THEN
        RAISE EXCEPTION 'chat refers to users that are not in table "%"', tbl
            USING ERRCODE = '23503',
                  DETAIL = format('%s user id%s in chat''s tables %s missing from column "%s": %s%s.',
                                  missing, CASE WHEN missing = 1 THEN '' ELSE 's' END,
                                  CASE WHEN missing = 1 THEN 'is' ELSE 'are' END, id_column, examples,
                                  CASE WHEN missing > 5 THEN ', ...' ELSE '' END),
                  HINT = 'Add those users to the table, or delete chat''s rows that refer to them, then bind again.';
    END IF;

    /* the insert trigger adds the keys that differ from this binding's */
    DELETE FROM chat.user_binding;
    INSERT INTO chat.user_binding (tbl, id_column, on_delete, display_name)
    VALUES (tbl, id_column, on_delete, display_name);
    IF chat._citus() THEN
        /* the insert trigger skips Citus placements: the keys once, here, propagated by Citus */
        bound := ROW(true, tbl, id_column, on_delete, display_name);
        PERFORM chat._user_binding_apply(bound);
    END IF;
    /*
     * Only the keys not valid yet (just added, or restored by pg_dump): an
     * ALTER TABLE refuses to run in a transaction that wrote the table
     * with deferred checks pending, which on Citus it finds on the workers'
     * shards, where SET CONSTRAINTS on the coordinator does not reach.
     * Binding again as before, after writes, then alters nothing.
     */
    FOR k IN SELECT f.* FROM chat._user_fkeys(on_delete) f
               JOIN pg_constraint c ON c.conrelid = f.tbl AND c.conname = f.conname
              WHERE NOT c.convalidated LOOP
        EXECUTE format('ALTER TABLE %s VALIDATE CONSTRAINT %I', k.tbl, k.conname);
    END LOOP;
END
$$;
COMMENT ON FUNCTION chat.use_user_table(regclass, name, text, regprocedure) IS
    'Bind chat to the application''s users table: foreign keys from every user column of chat''s tables to tbl(id_column), deleting a user does on_delete ("cascade", "restrict" or "anonymize"); display_name(user_id) names users in views and events (on Citus it is created on every node; a RETURN body reading tbl is refused there). Calling it again replaces the binding (and validates keys restored by pg_dump); use_user_table(NULL) removes it';

/* ---- sql/src/citus.sql ---- */

CREATE FUNCTION chat._citus() RETURNS boolean
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF to_regclass('pg_catalog.pg_dist_partition') IS NULL THEN
        RETURN false;
    END IF;
    RETURN EXISTS (SELECT FROM pg_catalog.pg_dist_partition p WHERE p.logicalrelid = 'chat.thread'::regclass);
END
$$;
COMMENT ON FUNCTION chat._citus() IS 'whether chat''s tables are distributed by Citus in this database';
REVOKE EXECUTE ON FUNCTION chat._citus() FROM PUBLIC;

CREATE FUNCTION chat._citus_adapt() RETURNS integer
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    f record;
    def text;
    body text;
    outs text;
    pre text;
    k integer;
    mt text[];
    n integer := 0;
    act text;
    vis text;
    cols text;
    filt text;
    page text;
BEGIN
    PERFORM set_config('citus.enable_ddl_propagation', 'off', true);
    PERFORM set_config('check_function_bodies', 'off', true);
    FOR f IN SELECT p.oid, p.proretset, p.prosrc, p.prorettype, p.proargmodes, p.proargnames
               FROM pg_catalog.pg_proc p
              WHERE p.pronamespace = 'chat'::regnamespace
                AND p.prolang = (SELECT l.oid FROM pg_catalog.pg_language l WHERE l.lanname = 'sql')
                AND p.prosrc ~ 'chat\.(thread|member|message|message_edit|reaction|attachment|event)\M'
                AND p.proname <> 'verify_unread'
    LOOP
        /* statements before the last one are checks: PERFORM them */
        body := regexp_replace(f.prosrc, ';\s*$', '');
        pre := '';
        /*
         * "is a model swapped" (chat.model, a reference table) read first: a
         * query joining it with a distributed table has no single shard key,
         * which a delegated call refuses
         */
        k := 0;
        LOOP
            mt := regexp_match(body, 'EXISTS \(SELECT 1 FROM chat\.model [a-z]+ WHERE [^)]*\)');
            EXIT WHEN mt IS NULL;
            k := k + 1;
            pre := pre || format(E'swapped_%s := %s;\n', k, mt[1]);
            body := replace(body, mt[1], 'swapped_' || k);
        END LOOP;
        WHILE body ~ ';\s*\n' LOOP
            pre := pre || 'PERFORM ' || regexp_replace(substr(body, 1, strpos(body, ';') - 1), '^\s*SELECT\s+', '') || E';\n';
            body := substr(body, strpos(body, ';') + 1);
        END LOOP;
        IF f.proretset THEN
            body := 'RETURN QUERY ' || body || ';';
        ELSIF f.prorettype = 'record'::regtype THEN
            SELECT string_agg(quote_ident(f.proargnames[i]), ', ' ORDER BY i) INTO outs
              FROM generate_subscripts(f.proargmodes, 1) i WHERE f.proargmodes[i] IN ('o', 'b');
            body := 'SELECT * INTO ' || outs || ' FROM (' || body || E'\n) q;';
        ELSE
            body := 'RETURN (' || body || E'\n);';
        END IF;
        def := pg_catalog.pg_get_functiondef(f.oid);
        def := regexp_replace(def, '\n LANGUAGE sql\n', E'\n LANGUAGE plpgsql\n');
        def := substr(def, 1, strpos(def, 'AS $function$') - 1)
               || 'AS $function$' || E'\n#variable_conflict use_column\n'
               || CASE WHEN k > 0 THEN 'DECLARE ' || (SELECT string_agg(format('swapped_%s boolean;', i), ' ')
                                                        FROM generate_series(1, k) i) || E'\n' ELSE '' END
               || E'BEGIN\n' || pre || body || E'\nEND\n$function$';
        EXECUTE def;
        n := n + 1;
    END LOOP;
    FOR f IN SELECT p.oid FROM pg_catalog.pg_proc p
              WHERE p.pronamespace = 'chat'::regnamespace
                AND 'plan_cache_mode=force_generic_plan' = ANY (p.proconfig)
    LOOP
        EXECUTE format('ALTER FUNCTION %s SET plan_cache_mode = auto', f.oid::regprocedure);
        n := n + 1;
    END LOOP;
    /* no volatile call in an UPDATE of a distributed table: clock_timestamp() through a stable wrapper */
    FOR f IN SELECT p.oid FROM pg_catalog.pg_proc p
              WHERE p.pronamespace = 'chat'::regnamespace
                AND p.prolang = (SELECT l.oid FROM pg_catalog.pg_language l WHERE l.lanname = 'plpgsql')
                AND p.prosrc ~ 'UPDATE' AND strpos(p.prosrc, 'clock_timestamp()') > 0
                AND p.proname !~ '^_citus'
    LOOP
        def := replace(pg_catalog.pg_get_functiondef(f.oid), 'clock_timestamp()', 'chat._citus_clock()');
        EXECUTE def;
        n := n + 1;
    END LOOP;
    /*
     * chat.inbox: its two arms (small threads in index order, large threads
     * merged from their rows) and the join of the page to thread and member
     * take Citus four rounds over every shard and intermediate results.  The
     * page becomes one query over every shard, its ORDER BY and LIMIT pushed
     * to each shard and merged on the coordinator (README "Running on
     * Citus").  The checks before it stay as they are.
     */
    body := (SELECT p.prosrc FROM pg_catalog.pg_proc p
              WHERE p.oid = 'chat.inbox(chat.user_id,text,text,integer)'::regprocedure);
    k := strpos(body, E'    /*\n     * Each arm is ordered and limited by itself');
    IF k > 0 THEN
        act := 'CASE WHEN mb.large THEN coalesce(t.last_message_id, 0) ELSE mb.activity_id END';
        vis := format('(mb.hidden_id IS NULL OR mb.hidden_id < %s)', act);
        cols := format('t.id, t.kind::text, t.subject, t.last_message_id, t.last_sender_id, t.last_preview, '
                       't.last_sent_at, t.message_count - mb.read_count, t.message_count > mb.read_count, '
                       'mb.muted, t.member_count, %s || '':'' || t.id, mb.mention_count', act);
        filt := format($filt$
          FROM chat.member mb
          JOIN chat.thread t ON t.id = mb.thread_id
         WHERE mb.user_id = v
           AND CASE f
                 WHEN 'inbox' THEN %1$s AND NOT mb.archived
                 WHEN 'unread' THEN %1$s AND NOT mb.archived AND t.message_count > mb.read_count
                 WHEN 'deleted' THEN NOT %1$s
                 WHEN 'archived' THEN %1$s AND mb.archived
                 WHEN 'mentions' THEN %1$s AND NOT mb.archived AND mb.mention_count > 0
                 ELSE t.created_by = v
               END$filt$, vis);
        page := format($page$%2$s
           AND (%1$s, t.id) < (c_act, c_tid)
         ORDER BY %1$s DESC, t.id DESC
         LIMIT n$page$, act, filt);
        body := substr(body, 1, k - 1) || format($tail$    /* Citus (chat._citus_adapt): the page in one query over every shard */
    IF NOT EXISTS (SELECT 1 FROM chat.model md WHERE md.model = 'thread' AND md.tbl IS NOT NULL) THEN
        RETURN QUERY SELECT %1$s, NULL::jsonb%2$s;
        RETURN;
    END IF;
    RETURN QUERY
    WITH p (thread_id, kind, subject, last_message_id, last_sender_id, last_preview, last_sent_at, unread_count,
            unread, muted, member_count, cursor, mention_count, activity) AS MATERIALIZED (
        SELECT %1$s, %3$s%2$s)
    SELECT p.thread_id, p.kind, p.subject, p.last_message_id, p.last_sender_id, p.last_preview, p.last_sent_at,
           p.unread_count, p.unread, p.muted, p.member_count, p.cursor, p.mention_count,
           (SELECT chat._extras('thread', array_agg(pe.thread_id)) FROM p pe) -> p.thread_id::text
      FROM p
     ORDER BY p.activity DESC, p.thread_id DESC;
END
$tail$, cols, page, act);
        PERFORM chat._citus_redefine('chat.inbox(chat.user_id,text,text,integer)', body);
        n := n + 1;
        /* chat.inbox_count: the same rows counted (Citus refuses its correlated sub-select over chat._membership) */
        body := (SELECT p.prosrc FROM pg_catalog.pg_proc p
                  WHERE p.oid = 'chat.inbox_count(chat.user_id,text)'::regprocedure);
        k := strpos(body, '    RETURN (SELECT count(*)');
        IF k > 0 THEN
            body := substr(body, 1, k - 1) || format(E'    RETURN (SELECT count(*)%s);\nEND\n', filt);
            PERFORM chat._citus_redefine('chat.inbox_count(chat.user_id,text)', body);
            n := n + 1;
        END IF;
    END IF;
    /*
     * The functions chat.messages calls for each message (reactions,
     * attachments, a swapped model's fields) run inside the query Citus sends
     * to the thread's shard when messages runs on the coordinator (inside a
     * transaction block, where an end user's JWT claims are seen).  Their own
     * reads are of the same thread's rows and of reference tables, both on
     * that node, so nested execution is allowed for them.  So for
     * chat.display_name, which chat.message_view and chat.member_view call
     * for each row on the shard's node: it reads chat.user_binding and the
     * bound users table, reference tables on every node.
     */
    FOR f IN SELECT p.oid FROM pg_catalog.pg_proc p
              WHERE p.oid IN ('chat._reaction_summary(bigint,bigint)'::regprocedure,
                              'chat._attachment_list(bigint,bigint)'::regprocedure,
                              'chat._extras(text,bigint[],bigint[])'::regprocedure,
                              'chat.display_name(chat.user_id)'::regprocedure)
                AND NOT coalesce('citus.allow_nested_distributed_execution=on' = ANY (p.proconfig), false)
    LOOP
        EXECUTE format('ALTER FUNCTION %s SET citus.allow_nested_distributed_execution = on', f.oid::regprocedure);
        n := n + 1;
    END LOOP;
    /*
     * chat.search: its plans (a sample of the newest messages, the word's
     * index, each thread) check each match's member row in a correlated
     * sub-select, which Citus refuses over every shard.  The matches the
     * viewer may read become one join of message, member and thread (one
     * colocation group), its ORDER BY and LIMIT pushed to each shard and
     * merged on the coordinator.  The checks before it and the page's rows
     * after it stay as they are.
     */
    body := (SELECT p.prosrc FROM pg_catalog.pg_proc p
              WHERE p.oid = 'chat.search(chat.user_id,text,bigint,text,text,integer)'::regprocedure);
    k := strpos(body, E'    IF tid IS NOT NULL THEN\n        /* one thread: nothing');
    IF k > 0 AND strpos(body, E'    /* the page: its rows') > k THEN
        body := substr(body, 1, k - 1) || format($search$    /* Citus (chat._citus_adapt): the matches the viewer may read, one query over every shard */
    SELECT array_agg(x.thread_id ORDER BY x.r DESC, x.id DESC), array_agg(x.id ORDER BY x.r DESC, x.id DESC),
           array_agg(x.r ORDER BY x.r DESC, x.id DESC)
      INTO page_tids, page_ids, page_ranks
      FROM (SELECT m.thread_id, m.id, CASE WHEN by_rank THEN ts_rank(m.search_vector, q) ELSE 0 END::real AS r
              FROM chat.message m
              JOIN chat.member mb ON mb.thread_id = m.thread_id AND mb.user_id = v
              JOIN chat.thread t ON t.id = m.thread_id
             WHERE m.search_vector @@ q AND m.deleted_at IS NULL
               AND (tid IS NULL OR m.thread_id = tid)
               AND (mb.hidden_id IS NULL
                    OR mb.hidden_id < CASE WHEN mb.large THEN coalesce(t.last_message_id, 0) ELSE mb.activity_id END)
               AND CASE WHEN by_rank THEN ts_rank(m.search_vector, q) < c_rank
                                          OR (ts_rank(m.search_vector, q) = c_rank AND m.id < c_id)
                        ELSE m.id < c_id END
             ORDER BY 3 DESC, 2 DESC
             LIMIT n) x;

%s$search$, substr(body, strpos(body, E'    /* the page: its rows')));
        PERFORM chat._citus_redefine('chat.search(chat.user_id,text,bigint,text,text,integer)', body);
        n := n + 1;
    END IF;
    /*
     * chat.directory with a query: a match's member row is a correlated
     * sub-select, which Citus refuses beside a sub-query in FROM (the rare
     * query's matches, kept from the name order's index with OFFSET 0) or a
     * set-returning function (a common query's page, unnest).  On a cluster
     * both read chat.thread directly (each shard plans its own).
     */
    body := (SELECT p.prosrc FROM pg_catalog.pg_proc p
              WHERE p.oid = 'chat.directory(chat.user_id,text,text,integer)'::regprocedure);
    def := body;
    body := replace(body, $dir$
          FROM (SELECT * FROM chat.thread t
                 WHERE t.is_public
                   AND to_tsvector('pg_catalog.simple'::regconfig, coalesce(t.subject, '') || ' ' || coalesce(t.description, '')) @@ q
                OFFSET 0) t
         WHERE (lower(coalesce(t.subject, '')), t.id) > (c_name, c_id)$dir$, $dir$
          FROM chat.thread t
         WHERE t.is_public
           AND to_tsvector('pg_catalog.simple'::regconfig, coalesce(t.subject, '') || ' ' || coalesce(t.description, '')) @@ q
           AND (lower(coalesce(t.subject, '')), t.id) > (c_name, c_id)$dir$);
    body := replace(body, $dir$
          FROM unnest(ids[1:n]) WITH ORDINALITY u(id, pos)
          JOIN chat.thread t ON t.id = u.id
         ORDER BY u.pos;$dir$, $dir$
          FROM chat.thread t
         WHERE t.id = ANY (ids[1:n])
         ORDER BY array_position(ids, t.id);$dir$);
    IF body <> def THEN
        PERFORM chat._citus_redefine('chat.directory(chat.user_id,text,text,integer)', body);
        n := n + 1;
    END IF;
    /*
     * The multi-row inserts of members (chat.new_message, chat._insert_members)
     * check the users first (chat._citus_known_users): the check goes in
     * before the insert's first line.
     */
    FOR f IN SELECT * FROM (VALUES
            ('chat.new_message(chat.user_id,chat.user_id[],text,text,jsonb,jsonb,chat.user_id[])'::regprocedure,
             E'    INSERT INTO chat.member (thread_id, user_id, role)\n',
             E'    PERFORM chat._citus_known_users(recipients || sender);\n'),
            ('chat._insert_members(chat.thread,chat.user_id[],chat.member_role)'::regprocedure,
             E'    INSERT INTO chat.member (thread_id, user_id, role, read_id, read_count, delivered_id)\n',
             E'    PERFORM chat._citus_known_users(added);\n')) v (fn, line, check_users) LOOP
        body := (SELECT p.prosrc FROM pg_catalog.pg_proc p WHERE p.oid = f.fn);
        IF strpos(body, '_citus_known_users') = 0 AND strpos(body, f.line) > 0 THEN
            PERFORM chat._citus_redefine(f.fn, replace(body, f.line, f.check_users || f.line));
            n := n + 1;
        END IF;
    END LOOP;
    /*
     * chat.can_leave passes the thread's and the member's rows to
     * chat._last_owner inside its query, which Citus sends to the shard,
     * where they are rows of the shards (chat.thread_102016), for which no
     * such function exists: the rows are read first.
     */
    IF strpos((SELECT p.prosrc FROM pg_catalog.pg_proc p
                WHERE p.oid = 'chat.can_leave(bigint,chat.user_id)'::regprocedure),
              'JOIN chat.member m ON m.thread_id = t.id') > 0 THEN
        PERFORM chat._citus_redefine('chat.can_leave(bigint,chat.user_id)', $leave$
DECLARE
    t chat.thread;
    m chat.member;
BEGIN
    PERFORM chat._act("user");
    /* Citus (chat._citus_adapt): the rows read first, then passed to the functions */
    SELECT * INTO t FROM chat.thread th WHERE th.id = $1;
    SELECT * INTO m FROM chat.member mb WHERE mb.thread_id = $1 AND mb.user_id = $2;
    IF t.id IS NULL OR m.thread_id IS NULL THEN
        RETURN false;
    END IF;
    RETURN t.kind <> 'direct' AND (NOT chat._last_owner(t, m) OR chat._successor(t, m.user_id) IS NOT NULL);
END$leave$);
        n := n + 1;
    END IF;
    /* verify_unread: the same recount, one thread per query */
    body := (SELECT p.prosrc FROM pg_catalog.pg_proc p WHERE p.oid = 'chat.verify_unread(bigint)'::regprocedure);
    IF body ~ '\$1 IS NULL OR t\.id = \$1' THEN
        body := regexp_replace(body, 'SELECT chat\._require_server\(''[^'']*''\);', '');
        body := replace(body, '$1 IS NULL OR t.id = $1', 't.id = one');
        body := replace(body, 'WITH t AS (', 'WITH t AS NOT MATERIALIZED (');
        body := regexp_replace(body, ';\s*$', '');
        EXECUTE format($f$CREATE OR REPLACE FUNCTION chat._citus_verify_unread(thread bigint)
    RETURNS TABLE (thread_id bigint, user_id chat.user_id, what text, stored bigint, recounted bigint)
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $body$
#variable_conflict use_column
DECLARE
    one bigint;
BEGIN
    FOR one IN SELECT t.id FROM chat.thread t WHERE thread IS NULL OR t.id = thread ORDER BY 1 LOOP
        RETURN QUERY SELECT q.a::bigint, q.b::chat.user_id, q.c::text, q.d::bigint, q.e::bigint
                       FROM (%s) q (a, b, c, d, e);
    END LOOP;
END
$body$
$f$, body);
        REVOKE ALL ON FUNCTION chat._citus_verify_unread(bigint) FROM PUBLIC;
        CREATE OR REPLACE FUNCTION chat.verify_unread(thread_id bigint DEFAULT NULL)
            RETURNS TABLE (thread_id bigint, user_id chat.user_id, what text, stored bigint, recounted bigint)
            LANGUAGE sql STABLE SECURITY DEFINER
            SET search_path = pg_catalog, pg_temp
            AS $v$
            SELECT chat._require_server('run chat.verify_unread()');
            SELECT * FROM chat._citus_verify_unread($1)
        $v$;
        n := n + 1;
    END IF;
    /*
     * Events: chat.changes, chat.feed, the notification window and
     * chat.prune_events read and prune shard by shard on the workers, with
     * cursors of the shards' snapshots (chat._citus_changes).
     */
    PERFORM chat._citus_redefine('chat.changes(chat.user_id,text)', $b$
BEGIN
    PERFORM chat._act(viewer);
    PERFORM chat._not_null(viewer, 'viewer');
    RETURN chat._citus_changes(viewer, since);
END$b$);
    PERFORM chat._citus_redefine('chat.feed(text)', $b$
BEGIN
    PERFORM chat._require_server('read the feed');
    RETURN chat._citus_changes(NULL, since);
END$b$);
    PERFORM chat._citus_redefine('chat._expand_notifications()', $b$
BEGIN
    RETURN chat._citus_expand_notifications();
END$b$);
    PERFORM chat._citus_redefine('chat.prune_events()', $b$
BEGIN
    PERFORM chat._require_server('prune events');
    RETURN chat._citus_prune_events();
END$b$);
    n := n + 4;
    RETURN n;
END
$$;
COMMENT ON FUNCTION chat._citus_adapt() IS
    'adapts chat''s functions on this Citus node: LANGUAGE sql readers of distributed tables to plpgsql, no forced generic plans, clock_timestamp() in UPDATEs through a stable wrapper, inbox, inbox_count and search as one query over every shard, nested execution for messages'' per-message functions, directory''s queries without a sub-query in FROM, can_leave''s rows read before its checks, members'' users looked up before multi-row inserts, verify_unread thread by thread, changes, feed, the notification window and prune_events shard by shard';
REVOKE EXECUTE ON FUNCTION chat._citus_adapt() FROM PUBLIC;

CREATE FUNCTION chat._citus_changes(viewer chat.user_id, since text) RETURNS jsonb
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    map jsonb;
    parts jsonb[];
    lim bigint;
    n bigint;
    found jsonb;
    reload boolean;
BEGIN
    PERFORM chat._require_events();
    IF since IS NOT NULL THEN
        map := chat._citus_cursor_map(since);
    END IF;
    lim := chat._setting_value('changes_limit')::bigint;
    EXECUTE 'SELECT array_agg(chat._citus_shard_changes(a.tableoid, a.node_group, a.pruned_xid, $1, $2, $3))
               FROM chat.event_shard a'
       INTO parts USING map, viewer, lim;
    SELECT count(*), jsonb_agg(x.e -> 'e' ORDER BY (x.e ->> 'at')::timestamptz, (x.e ->> 'seq')::bigint)
      INTO n, found
      FROM unnest(parts) p, jsonb_array_elements(p -> 'events') x (e);
    /* reload: a shard without an anchor, a cursor whose shards differ, one shard's reload, too many events */
    reload := since IS NOT NULL
              AND (coalesce(cardinality(parts), 0) <> (SELECT count(*) FROM pg_catalog.pg_dist_shard s
                                           WHERE s.logicalrelid = 'chat.event'::regclass)
                   OR (SELECT count(*) FROM jsonb_object_keys(map)) <> cardinality(parts)
                   OR EXISTS (SELECT FROM unnest(parts) p WHERE (p ->> 'reload')::boolean)
                   OR n > lim) IS NOT FALSE;
    RETURN jsonb_build_object('cursor', chat._citus_cursor(parts), 'reload', reload,
                              'events', CASE WHEN reload OR since IS NULL THEN '[]'::jsonb ELSE coalesce(found, '[]'::jsonb) END);
END
$$;
COMMENT ON FUNCTION chat._citus_changes(chat.user_id, text) IS
    'Citus: chat.changes (viewer) and chat.feed (NULL) read shard by shard on the workers, with a cursor of the shards'' snapshots';
REVOKE EXECUTE ON FUNCTION chat._citus_changes(chat.user_id,text) FROM PUBLIC;

CREATE FUNCTION chat._citus_clock() RETURNS timestamptz
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
    AS 'SELECT pg_catalog.clock_timestamp()';
COMMENT ON FUNCTION chat._citus_clock() IS
    'clock_timestamp() declared stable, so Citus evaluates it once before it ships an UPDATE (Citus only)';
REVOKE EXECUTE ON FUNCTION chat._citus_clock() FROM PUBLIC;

CREATE FUNCTION chat._citus_cursor(parts jsonb[]) RETURNS text
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT chat._cursor_prefix() || '.' ||
           (SELECT string_agg(format('%s/%s/%s', p ->> 'shard', p ->> 'group', p ->> 'snap'), '~'
                              ORDER BY (p ->> 'shard')::bigint)
              FROM unnest(parts) p)
$$;
COMMENT ON FUNCTION chat._citus_cursor(jsonb[]) IS 'Citus: the cursor of the shards'' snapshots';
REVOKE EXECUTE ON FUNCTION chat._citus_cursor(jsonb[]) FROM PUBLIC;

CREATE FUNCTION chat._citus_cursor_map(cursor text) RETURNS jsonb
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    part text[] := regexp_match(cursor, '^([0-9]+\.[0-9]+)\.([0-9]+/[0-9]+/[0-9]+:[0-9]+:[0-9,]*(~[0-9]+/[0-9]+/[0-9]+:[0-9]+:[0-9,]*)*)$');
    map jsonb;
BEGIN
    IF part IS NULL THEN
        /* 22023 unless it is a cursor of one node */
        PERFORM chat._cursor_snapshot(cursor);
        RETURN '{}';
    END IF;
    BEGIN
        SELECT jsonb_object_agg(x[1], x[2] || '/' || x[3]::pg_snapshot::text) INTO map
          FROM regexp_matches(part[2], '([0-9]+)/([0-9]+)/([0-9]+:[0-9]+:[0-9,]*)', 'g') x;
    EXCEPTION WHEN invalid_text_representation OR numeric_value_out_of_range THEN
        PERFORM chat._invalid_cursor(cursor);
    END;
    IF part[1] <> chat._cursor_prefix() THEN
        RETURN '{}';
    END IF;
    RETURN map;
END
$$;
COMMENT ON FUNCTION chat._citus_cursor_map(text) IS
    'Citus: a cursor''s snapshots by shard ({} for another database''s or one node''s cursor: reload); 22023 for no cursor';
REVOKE EXECUTE ON FUNCTION chat._citus_cursor_map(text) FROM PUBLIC;

CREATE FUNCTION chat._citus_delegate() RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    f regprocedure;
BEGIN
    FOREACH f IN ARRAY ARRAY['chat.new_reply(bigint,chat.user_id,text,bigint,jsonb,jsonb,chat.user_id[])',
                             'chat.mark_read(bigint,chat.user_id,bigint)',
                             'chat.messages(bigint,chat.user_id,bigint,bigint,integer)']::regprocedure[] LOOP
        PERFORM pg_catalog.create_distributed_function(f, 'thread_id', colocate_with => 'chat.thread',
                                                       force_delegation => false);
    END LOOP;
END
$$;
COMMENT ON FUNCTION chat._citus_delegate() IS
    'registers chat''s hot per-thread calls with Citus, delegated by thread_id outside transaction blocks (Citus only)';
REVOKE EXECUTE ON FUNCTION chat._citus_delegate() FROM PUBLIC;

CREATE FUNCTION chat._citus_distribute(installing boolean) RETURNS text
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    t text;
    f text;
    shards integer;
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_extension e WHERE e.extname = 'citus') THEN
        RETURN 'Citus is not installed in this database: nothing to distribute';
    END IF;
    IF chat._citus() THEN
        /* after ALTER EXTENSION chat UPDATE: adapt the new functions again */
        PERFORM chat._citus_adapt();
        PERFORM chat._citus_workers('SELECT chat._citus_worker()');
        PERFORM chat._citus_delegate();
        PERFORM chat._citus_events(false);
        RETURN 'chat is distributed already; functions adapted again';
    END IF;
    EXECUTE 'SELECT pg_catalog.citus_is_coordinator()' INTO STRICT f;
    IF f::boolean IS NOT TRUE THEN
        PERFORM chat._citus_worker();
        IF installing THEN
            PERFORM chat._citus_event_table();
        END IF;
        RETURN 'a Citus worker: made ready; distribute chat on the coordinator';
    END IF;

    PERFORM set_config('citus.enable_unsafe_triggers', 'on', true);
    PERFORM set_config('citus.multi_shard_modify_mode', 'sequential', true);
    PERFORM set_config('client_min_messages', 'warning', true);

    /*
     * The workers that have chat already (a database that gained Citus after
     * chat): event triggers off before any shard DDL reaches them, their id
     * ranges.  Under CREATE EXTENSION the workers get chat only when the
     * first table is distributed; their own install script prepares them.
     */
    IF installing THEN
        PERFORM chat._citus_prepare_workers();
    ELSE
        PERFORM chat._citus_workers('DO $w$ BEGIN IF to_regnamespace(''chat'') IS NOT NULL THEN PERFORM chat._citus_worker(); END IF; END $w$');
    END IF;
    PERFORM chat._citus_node_ids();

    PERFORM chat._citus_shape();
    PERFORM chat._citus_adapt();
    PERFORM set_config('citus.enable_ddl_propagation', 'on', true);

    /* small, read everywhere, written rarely: a copy on every node */
    FOREACH t IN ARRAY ARRAY['chat.setting_default', 'chat.setting', 'chat.permission_default', 'chat.event_kind',
                             'chat.hook', 'chat.model', 'chat.user_binding', 'chat.role_map'] LOOP
        PERFORM pg_catalog.create_reference_table(t::regclass);
    END LOOP;
    /*
     * everything of one thread on one node, in 2 shards per node that takes
     * them unless citus.shard_count was set: the calls about one thread ask
     * one shard whatever the count, those across threads (inbox,
     * unread_count, search) every shard, at about 0.5 ms each (README
     * "Running on Citus").  Citus's default of 32 made a first inbox page
     * 5-10 times slower than 4 did.
     */
    IF (SELECT g.source FROM pg_catalog.pg_settings g WHERE g.name = 'citus.shard_count') = 'default' THEN
        EXECUTE 'SELECT greatest(2 * count(*), 2)::integer FROM pg_catalog.pg_dist_node n
                  WHERE n.isactive AND n.noderole = ''primary'' AND n.shouldhaveshards'
           INTO shards;
    ELSE
        shards := current_setting('citus.shard_count')::integer;
    END IF;
    PERFORM pg_catalog.create_distributed_table('chat.thread'::regclass, 'id', shard_count => shards);
    FOREACH t IN ARRAY ARRAY['chat.member', 'chat.message', 'chat.message_edit', 'chat.reaction',
                             'chat.attachment', 'chat.event'] LOOP
        PERFORM pg_catalog.create_distributed_table(t::regclass, 'thread_id', colocate_with => 'chat.thread');
    END LOOP;

    PERFORM chat._citus_delegate();
    PERFORM chat._citus_events(installing);
    RETURN 'chat distributed';
END
$$;
COMMENT ON FUNCTION chat._citus_distribute(boolean) IS
    'chat.distribute(); installing: from the install script, the workers left to prepare themselves';
REVOKE EXECUTE ON FUNCTION chat._citus_distribute(boolean) FROM PUBLIC;

CREATE FUNCTION chat._citus_event_table() RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    CREATE TABLE chat.event_shard (
        thread_id  bigint PRIMARY KEY CHECK (thread_id < 0),
        node_group integer NOT NULL,
        pruned_xid xid8
    );
    COMMENT ON TABLE chat.event_shard IS
        'Citus: one row per shard of chat.event (its thread id hashes into the shard), read to take each shard''s snapshot where the shard is';
    COMMENT ON COLUMN chat.event_shard.node_group IS 'the Citus group whose transaction ids the shard''s events carry';
    COMMENT ON COLUMN chat.event_shard.pruned_xid IS
        'the newest transaction id among the shard''s events chat.prune_events removed';
    REVOKE ALL ON chat.event_shard FROM PUBLIC;
END
$$;
COMMENT ON FUNCTION chat._citus_event_table() IS 'Citus: creates chat.event_shard on this node';
REVOKE EXECUTE ON FUNCTION chat._citus_event_table() FROM PUBLIC;

CREATE FUNCTION chat._citus_event_xid() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    NEW.xid := pg_current_xact_id();
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION chat._citus_event_xid() IS
    'trigger on chat.event''s shards: the xid of the worker''s transaction, not the coordinator''s (Citus only)';
REVOKE EXECUTE ON FUNCTION chat._citus_event_xid() FROM PUBLIC;

CREATE FUNCTION chat._citus_events(installing boolean) RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    s record;
    v bigint;
    ids bigint[];
    grps integer[];
    moved bigint[];
    parts jsonb[];
    entry text;
    pat text;
BEGIN
    PERFORM set_config('citus.enable_ddl_propagation', 'on', true);
    PERFORM set_config('citus.enable_unsafe_triggers', 'on', true);
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_trigger t WHERE t.tgrelid = 'chat.event'::regclass
                                                       AND t.tgname = 'event_xid') THEN
        CREATE TRIGGER event_xid BEFORE INSERT ON chat.event
            FOR EACH ROW EXECUTE FUNCTION chat._citus_event_xid();
    END IF;
    IF to_regclass('chat.event_shard') IS NULL THEN
        /* under CREATE EXTENSION each worker makes it in its install script (Citus makes no shell of an extension's table) */
        PERFORM set_config('citus.enable_ddl_propagation', CASE WHEN installing THEN 'off' ELSE 'on' END, true);
        PERFORM chat._citus_event_table();
        PERFORM set_config('citus.enable_ddl_propagation', 'on', true);
        PERFORM pg_catalog.create_distributed_table('chat.event_shard'::regclass, 'thread_id', colocate_with => 'chat.thread');
    END IF;
    /* an anchor for each shard that has none: negative ids, the first hashing into it */
    SELECT array_agg(a.thread_id), array_agg(a.node_group) INTO ids, grps FROM chat.event_shard a;
    FOR s IN SELECT sh.shardid, sh.shardminvalue::integer AS lo, sh.shardmaxvalue::integer AS hi, pl.groupid
               FROM pg_catalog.pg_dist_shard sh JOIN pg_catalog.pg_dist_placement pl ON pl.shardid = sh.shardid
              WHERE sh.logicalrelid = 'chat.event_shard'::regclass
                AND NOT EXISTS (SELECT FROM unnest(ids) a (thread_id)
                                 WHERE pg_catalog.get_shard_id_for_distribution_column('chat.event_shard', a.thread_id) = sh.shardid)
              ORDER BY sh.shardid
    LOOP
        v := -1;
        WHILE pg_catalog.worker_hash(v) NOT BETWEEN s.lo AND s.hi LOOP
            v := v - 1;
        END LOOP;
        INSERT INTO chat.event_shard (thread_id, node_group) VALUES (v, s.groupid);
    END LOOP;
    /* moved shards: their events' xids are another node's */
    FOR s IN SELECT a.thread_id, pl.groupid
               FROM unnest(ids, grps) a (thread_id, node_group)
               JOIN pg_catalog.pg_dist_placement pl
                 ON pl.shardid = pg_catalog.get_shard_id_for_distribution_column('chat.event_shard', a.thread_id)
              WHERE pl.groupid <> a.node_group
    LOOP
        SELECT array_agg(DISTINCT e.thread_id) INTO moved FROM chat.event e;
        moved := ARRAY(SELECT x FROM unnest(moved) x
                        WHERE pg_catalog.get_shard_id_for_distribution_column('chat.event', x)
                              = pg_catalog.get_shard_id_for_distribution_column('chat.event', s.thread_id));
        UPDATE chat.event e SET xid = '3'::xid8 WHERE e.thread_id = ANY (moved);
        UPDATE chat.event_shard a SET node_group = s.groupid, pruned_xid = NULL WHERE a.thread_id = s.thread_id;
        /*
         * The notifier goes on there from a snapshot that saw those events and
         * none of the new node's (xmin 4), so it expands what was written there
         * since the move; clients' cursors name the old group: they reload.
         */
        entry := format('\1%s/%s/4:4:', pg_catalog.get_shard_id_for_distribution_column('chat.event', s.thread_id), s.groupid);
        pat := format('([.~])%s/[0-9]+/[0-9]+:[0-9]+:[0-9,]*', pg_catalog.get_shard_id_for_distribution_column('chat.event', s.thread_id));
        UPDATE chat.notifier n SET cursor = regexp_replace(n.cursor, pat, entry),
                                   window_end = regexp_replace(n.window_end, pat, entry);
    END LOOP;
    /* the notifier's cursor of one node (from CREATE EXTENSION): the shards' snapshots now */
    IF (SELECT chat._citus_cursor_map(n.cursor) = '{}' FROM chat.notifier n) THEN
        EXECUTE 'SELECT array_agg(chat._citus_shard_window(a.tableoid, a.node_group, a.pruned_xid, NULL, NULL, NULL, 0))
                   FROM chat.event_shard a' INTO parts;
        UPDATE chat.notifier SET cursor = chat._citus_cursor(parts), window_end = NULL, done_xid = NULL, done_seq = NULL;
    END IF;
END
$$;
COMMENT ON FUNCTION chat._citus_events(boolean) IS
    'Citus: chat.event''s xid trigger, chat.event_shard with an anchor per shard, moved shards'' events made old (chat.distribute())';
REVOKE EXECUTE ON FUNCTION chat._citus_events(boolean) FROM PUBLIC;

CREATE FUNCTION chat._citus_expand_notifications() RETURNS bigint
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    nf chat.notifier;
    m_from jsonb;
    m_to jsonb;
    parts jsonb[];
    shards bigint := (SELECT count(*) FROM pg_catalog.pg_dist_shard s WHERE s.logicalrelid = 'chat.event'::regclass);
    budget bigint;
    n_cand bigint;
    n_taken bigint;
    last_seq bigint;
    t_threads bigint[];
    t_messages bigint[];
    t_seqs bigint[];
    now_cursor text;
    held boolean;
BEGIN
    SELECT * INTO nf FROM chat.notifier FOR UPDATE SKIP LOCKED;
    held := FOUND;
    /* the shards' snapshots now */
    EXECUTE 'SELECT array_agg(chat._citus_shard_window(a.tableoid, a.node_group, a.pruned_xid, NULL, NULL, NULL, 0))
               FROM chat.event_shard a' INTO parts;
    now_cursor := chat._citus_cursor(parts);
    IF NOT held THEN
        /* another worker is expanding; or the row is missing, then from now on */
        INSERT INTO chat.notifier (cursor) SELECT now_cursor
         WHERE NOT EXISTS (SELECT FROM chat.notifier)
        ON CONFLICT ON CONSTRAINT notifier_pkey DO NOTHING;
        RETURN 0;
    END IF;
    m_from := chat._citus_cursor_map(nf.cursor);
    m_to := CASE WHEN nf.window_end IS NOT NULL THEN chat._citus_cursor_map(nf.window_end) END;
    IF m_from = '{}' OR m_to = '{}' THEN
        /* a cursor of another database or of one node (chat distributed since): from now on */
        UPDATE chat.notifier SET cursor = now_cursor, window_end = NULL, done_xid = NULL, done_seq = NULL;
        RETURN 0;
    END IF;
    IF m_to IS NULL THEN
        nf.window_end := now_cursor;
        m_to := chat._citus_cursor_map(now_cursor);
    END IF;
    budget := chat._setting_value('notification_expand_limit')::bigint;
    EXECUTE 'SELECT array_agg(chat._citus_shard_window(a.tableoid, a.node_group, a.pruned_xid, $1, $2, $3, $4))
               FROM chat.event_shard a' INTO parts USING m_from, m_to, nf.done_seq, budget;
    IF EXISTS (SELECT FROM unnest(parts) p WHERE (p ->> 'moved')::boolean) THEN
        /* nothing lost: the window waits until chat.distribute() has seen the move */
        RAISE WARNING 'notifications wait: a shard of chat.event moved to another node'
            USING HINT = 'Run SELECT chat.distribute(); on the coordinator after moving shards.';
        RETURN 0;
    END IF;
    IF cardinality(parts) <> shards OR (SELECT count(*) FROM jsonb_object_keys(m_from)) <> shards
       OR (SELECT count(*) FROM jsonb_object_keys(m_to)) <> shards
       OR EXISTS (SELECT FROM unnest(parts) p WHERE (p ->> 'reload')::boolean) THEN
        RAISE WARNING 'messages sent before % were not all notified', now()
            USING DETAIL = 'Events were pruned, shards moved, or the cursor is of another cluster, before chat.claim_notifications expanded them.',
                  HINT = 'Claim notifications more often than event_retention_days.';
        UPDATE chat.notifier SET cursor = now_cursor, window_end = NULL, done_xid = NULL, done_seq = NULL;
        RETURN 0;
    END IF;

    /* the window's next messages across the shards, by seq, within the budget */
    WITH cand AS (
        SELECT (c ->> 'seq')::bigint AS seq, (c ->> 'thread_id')::bigint AS thread_id,
               (c ->> 'message_id')::bigint AS message_id, (c ->> 'weight')::bigint AS weight
          FROM unnest(parts) p, jsonb_array_elements(p -> 'cand') c
         ORDER BY 1
         LIMIT budget + 1
    ), run AS (
        SELECT c.*, sum(c.weight) OVER (ORDER BY c.seq) - c.weight AS before FROM cand c
    ), taken AS (
        SELECT r.* FROM run r WHERE r.before < budget
    )
    SELECT (SELECT count(*) FROM cand), (SELECT count(*) FROM taken), (SELECT max(t.seq) FROM taken t),
           ARRAY(SELECT t.thread_id FROM taken t ORDER BY t.seq),
           ARRAY(SELECT t.message_id FROM taken t ORDER BY t.seq),
           ARRAY(SELECT t.seq FROM taken t ORDER BY t.seq)
      INTO n_cand, n_taken, last_seq, t_threads, t_messages, t_seqs;

    IF n_taken = n_cand AND n_cand <= budget THEN
        UPDATE chat.notifier SET cursor = nf.window_end, window_end = NULL, done_xid = NULL, done_seq = NULL;
    ELSE
        UPDATE chat.notifier SET window_end = nf.window_end, done_xid = '0'::xid8, done_seq = last_seq;
    END IF;
    RETURN chat._notify_members(t_threads, t_messages, t_seqs);
END
$$;
COMMENT ON FUNCTION chat._citus_expand_notifications() IS
    'Citus: chat._expand_notifications with the window read shard by shard on the workers';
REVOKE EXECUTE ON FUNCTION chat._citus_expand_notifications() FROM PUBLIC;

CREATE FUNCTION chat._citus_known_users(users chat.user_id[]) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    b chat.user_binding;
    missing text;
BEGIN
    SELECT * INTO b FROM chat.user_binding;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    EXECUTE format('SELECT min(u)::text FROM unnest($1) u WHERE NOT EXISTS (SELECT 1 FROM %s x WHERE x.%I = u)',
                   b.tbl, b.id_column)
       INTO missing USING users;
    IF missing IS NOT NULL THEN
        RAISE EXCEPTION 'insert or update on table "member" violates foreign key constraint "member_user_fkey"'
            USING ERRCODE = '23503', SCHEMA = 'chat', TABLE = 'member', CONSTRAINT = 'member_user_fkey',
                  DETAIL = format('Key (user_id)=(%s) is not present in table "%s".', missing,
                                  (SELECT c.relname FROM pg_catalog.pg_class c WHERE c.oid = b.tbl));
    END IF;
END
$$;
COMMENT ON FUNCTION chat._citus_known_users(chat.user_id[]) IS
    'Citus: refuses users missing from the bound users table with the foreign key''s 23503 before a multi-row insert of members (chat._citus_adapt)';
REVOKE EXECUTE ON FUNCTION chat._citus_known_users(chat.user_id[]) FROM PUBLIC;

CREATE FUNCTION chat._citus_literals(rec jsonb, keys text[], coldefs text) RETURNS text
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    expr text;
    lits text;
BEGIN
    SELECT string_agg(format('pg_catalog.quote_nullable(r.%I)', c.name), ' || '', '' || ' ORDER BY c.o, c.name)
      INTO expr
      FROM (SELECT u.kc AS name, u.i AS o FROM unnest(keys) WITH ORDINALITY AS u(kc, i)
            UNION ALL
            SELECT e.key, NULL FROM jsonb_object_keys(rec) AS e(key)
             WHERE e.key <> ALL (coalesce(keys, '{}'))) c;
    EXECUTE format('SELECT %s FROM pg_catalog.jsonb_to_record($1) AS r(%s)', expr, substr(coldefs, 3))
       INTO lits USING rec;
    RETURN lits;
END
$$;
COMMENT ON FUNCTION chat._citus_literals(jsonb, text[], text) IS
    'a swapped model''s new row as SQL literals for an INSERT ... VALUES, which Citus routes keeping the SQLSTATE of the table''s errors (chat._fill_extra and chat._fill_model on a cluster)';
REVOKE EXECUTE ON FUNCTION chat._citus_literals(jsonb,text[],text) FROM PUBLIC;

CREATE FUNCTION chat._citus_message_id(after bigint) RETURNS bigint
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    id bigint;
BEGIN
    id := (floor((extract(epoch FROM clock_timestamp()) - 1735689600) * 10000)::bigint << 20)
          | ((nextval('chat.message_id_seq') & 16383) << 6)
          | ((SELECT g.groupid FROM pg_catalog.pg_dist_local_group g) & 63);
    IF id <= coalesce(after, 0) THEN
        id := (((after >> 20) + 1) << 20) | (id & 1048575);
    END IF;
    RETURN id;
END
$$;
COMMENT ON FUNCTION chat._citus_message_id(bigint) IS
    'a message id on a Citus cluster: time (100 us) | node sequence | Citus group, above the thread''s last id (Citus only)';
REVOKE EXECUTE ON FUNCTION chat._citus_message_id(bigint) FROM PUBLIC;

CREATE FUNCTION chat._citus_model_table(model text, tbl regclass) RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    local boolean;
BEGIN
    IF model = 'notification' THEN
        RAISE EXCEPTION 'the notification model cannot be swapped on a Citus cluster'
            USING ERRCODE = '0A000',
                  DETAIL = 'chat.notification stays on the coordinator, while chat.model, a reference table, names the table on every node.';
    END IF;
    EXECUTE 'SELECT NOT EXISTS (SELECT 1 FROM pg_catalog.pg_dist_partition p WHERE p.logicalrelid = $1)'
       INTO local USING tbl;
    IF local THEN
        PERFORM pg_catalog.create_distributed_table(tbl, 'thread_id', colocate_with => 'chat.thread');
    END IF;
END
$$;
COMMENT ON FUNCTION chat._citus_model_table(text, regclass) IS
    'distributes a model''s table still local to the coordinator by thread_id with chat.thread; refuses the notification model (chat.swap_model on a Citus cluster)';
REVOKE EXECUTE ON FUNCTION chat._citus_model_table(text,regclass) FROM PUBLIC;

CREATE FUNCTION chat._citus_node_ids() RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    g bigint;
    s text;
    used text;
    lo bigint;
    hi bigint;
BEGIN
    EXECUTE 'SELECT groupid FROM pg_catalog.pg_dist_local_group' INTO g;
    IF g IS NULL OR g < 0 THEN
        RETURN;
    END IF;
    /*
     * A message id names its node by the group id modulo 64
     * (chat._citus_message_id): two groups with the same remainder would draw
     * the same ids.  Citus does not reuse a removed node's group id, so the
     * 65th node added over a cluster's life gets group 64 or more.  Refused
     * here, on the node being added: Citus installs chat there inside
     * citus_add_node, after it has sent the node list, so the addition is
     * rolled back (and likewise on every node when chat is distributed).
     */
    EXECUTE 'SELECT min(n.groupid)::text FROM pg_catalog.pg_dist_node n
              WHERE n.groupid <> $1 AND n.groupid & 63 = $1 & 63' INTO s USING g;
    IF s IS NOT NULL THEN
        EXECUTE 'SELECT string_agg(r::text, '', '' ORDER BY r)
                   FROM (SELECT DISTINCT n.groupid & 63 AS r FROM pg_catalog.pg_dist_node n) d' INTO used;
        RAISE EXCEPTION 'Citus group % and group % would draw the same chat message ids', g, s
            USING ERRCODE = 'feature_not_supported',
                  DETAIL = 'chat''s message ids carry the Citus group id modulo 64 (README "Running on Citus").',
                  HINT = format('Add the node with citus_add_node(..., groupid => n), n a group id whose remainder '
                                'modulo 64 no other node''s has (taken: %s).', used);
    END IF;
    lo := (g << 48) + 1;
    hi := ((g + 1) << 48) - 1;
    PERFORM set_config('citus.enable_ddl_propagation', 'off', true);
    FOREACH s IN ARRAY ARRAY['chat.thread_id_seq', 'chat.message_id_seq', 'chat.event_seq'] LOOP
        /* once: a node whose sequence is in its range already keeps its position */
        IF (SELECT q.seqmin FROM pg_catalog.pg_sequence q WHERE q.seqrelid = s::regclass) <> lo THEN
            EXECUTE format('ALTER SEQUENCE %s MINVALUE %s MAXVALUE %s START WITH %s RESTART WITH %s',
                           s, lo, hi, lo, lo);
        END IF;
    END LOOP;
END
$$;
COMMENT ON FUNCTION chat._citus_node_ids() IS
    'gives this Citus node its own range of thread and message ids (group id << 48); refuses a node whose group id modulo 64, which names it in message ids, is another node''s';
REVOKE EXECUTE ON FUNCTION chat._citus_node_ids() FROM PUBLIC;

CREATE FUNCTION chat._citus_prepare_workers() RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    ver text := (SELECT e.extversion FROM pg_catalog.pg_extension e WHERE e.extname = 'chat');
    typ text := (SELECT pg_catalog.format_type(t.typbasetype, NULL) FROM pg_catalog.pg_type t
                  WHERE t.oid = 'chat.user_id'::regtype);
    r record;
BEGIN
    FOR r IN EXECUTE 'SELECT nodename, nodeport, success, result FROM pg_catalog.run_command_on_workers($1)'
        USING format($w$
DO $prepare$
DECLARE
    have text := coalesce((SELECT e.extversion || ' ' || pg_catalog.format_type(t.typbasetype, NULL)
                             FROM pg_catalog.pg_extension e, pg_catalog.pg_type t
                            WHERE e.extname = 'chat' AND t.oid = pg_catalog.to_regtype('chat.user_id')), '');
BEGIN
    IF have = %1$L OR (have = '' AND coalesce(nullif(pg_catalog.current_setting('chat.user_id_type', true), ''), 'bigint') = %3$L) THEN
        RETURN;
    END IF;
    PERFORM pg_catalog.set_config('lock_timeout', '5s', true);
    PERFORM pg_catalog.set_config('citus.enable_ddl_propagation', 'off', true);
    IF have <> '' THEN
        DROP EXTENSION chat CASCADE;
    END IF;
    PERFORM pg_catalog.set_config('chat.user_id_type', %3$L, true);
    CREATE EXTENSION chat VERSION %2$L;
END
$prepare$
$w$, ver || ' ' || typ, ver, typ) LOOP
        IF r.success THEN
            CONTINUE;
        END IF;
        IF r.result LIKE '%lock timeout%' THEN
            RAISE EXCEPTION 'cannot replace chat on worker %:% in this transaction', r.nodename, r.nodeport
                USING ERRCODE = '55006',
                      DETAIL = format('The worker has a chat of another version or user id type than chat %s with %s user ids, '
                                      'and DROP EXTENSION chat earlier in this transaction holds it there, while Citus '
                                      'installs chat on the workers outside the transaction.', ver, typ),
                      HINT = 'Commit DROP EXTENSION chat first, then CREATE EXTENSION chat.';
        END IF;
        RAISE EXCEPTION 'cannot install chat % with % user ids on worker %:%', ver, typ, r.nodename, r.nodeport
            USING ERRCODE = '55000',
                  DETAIL = format('The worker said: %s', r.result),
                  HINT = 'CREATE EXTENSION chat on a coordinator installs the same chat on every worker first.';
    END LOOP;
END
$$;
COMMENT ON FUNCTION chat._citus_prepare_workers() IS
    'gives every Citus worker the chat this coordinator is installing (same version and user id type), replacing a leftover of a rolled-back install (Citus only)';
REVOKE EXECUTE ON FUNCTION chat._citus_prepare_workers() FROM PUBLIC;

CREATE FUNCTION chat._citus_prune_events() RETURNS bigint
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    tids bigint[];
    xids xid8[];
    anchors bigint[];
    r record;
    cutoff timestamptz := clock_timestamp() - make_interval(days => chat._setting_value('event_retention_days')::integer);
BEGIN
    /* the cut-off computed first: Citus refuses a volatile call in a DELETE's WHERE */
    WITH gone AS (
        DELETE FROM chat.event e
         WHERE e.at < cutoff
        RETURNING e.thread_id, e.xid
    )
    SELECT array_agg(g.thread_id), array_agg(g.xid) INTO tids, xids FROM gone g;
    SELECT array_agg(a.thread_id) INTO anchors FROM chat.event_shard a;
    FOR r IN SELECT a.thread_id, max(g.xid) AS newest
               FROM unnest(tids, xids) g (thread_id, xid)
               JOIN unnest(anchors) a (thread_id)
                 ON pg_catalog.get_shard_id_for_distribution_column('chat.event', a.thread_id)
                    = pg_catalog.get_shard_id_for_distribution_column('chat.event', g.thread_id)
              GROUP BY a.thread_id
    LOOP
        UPDATE chat.event_shard a SET pruned_xid = greatest(a.pruned_xid, r.newest) WHERE a.thread_id = r.thread_id;
    END LOOP;
    RETURN coalesce(cardinality(tids), 0);
END
$$;
COMMENT ON FUNCTION chat._citus_prune_events() IS
    'Citus: chat.prune_events, the pruned transaction ids kept per shard (chat.event_shard)';
REVOKE EXECUTE ON FUNCTION chat._citus_prune_events() FROM PUBLIC;

CREATE FUNCTION chat._citus_redefine(fn regprocedure, body text) RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    def text := pg_catalog.pg_get_functiondef(fn);
BEGIN
    EXECUTE substr(def, 1, strpos(def, 'AS $function$') - 1) || 'AS $function$' || body || E'\n$function$';
END
$$;
COMMENT ON FUNCTION chat._citus_redefine(regprocedure, text) IS
    'gives a function a new body, its header kept (chat._citus_adapt; Citus only)';
REVOKE EXECUTE ON FUNCTION chat._citus_redefine(regprocedure,text) FROM PUBLIC;

CREATE FUNCTION chat._citus_reference(tbl regclass) RETURNS boolean
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    ref boolean;
BEGIN
    IF to_regclass('pg_catalog.pg_dist_partition') IS NULL THEN
        RETURN false;
    END IF;
    EXECUTE 'SELECT EXISTS (SELECT FROM pg_catalog.pg_dist_partition p
                             WHERE p.logicalrelid = $1 AND p.partmethod = ''n'' AND p.repmodel = ''t'')'
       INTO ref USING tbl;
    RETURN ref;
END
$$;
COMMENT ON FUNCTION chat._citus_reference(regclass) IS 'whether a table is a Citus reference table (false without Citus)';
REVOKE EXECUTE ON FUNCTION chat._citus_reference(regclass) FROM PUBLIC;

CREATE FUNCTION chat._citus_shape() RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    t text;
    pol record;
    expr text;
BEGIN
    PERFORM set_config('citus.enable_ddl_propagation', 'off', true);
    FOR t IN SELECT unnest(ARRAY[
            'DROP INDEX IF EXISTS chat.thread_direct_key',
            'DROP INDEX IF EXISTS chat.thread_object_key',
            'ALTER TABLE chat.setting DROP CONSTRAINT IF EXISTS setting_key_fkey',
            'ALTER TABLE chat.hook DROP CONSTRAINT IF EXISTS hook_event_fkey'])
    LOOP
        EXECUTE t;
    END LOOP;
    FOR pol IN SELECT p.polname, p.polrelid::regclass AS tbl, pg_get_expr(p.polqual, p.polrelid) AS qual
                 FROM pg_catalog.pg_policy p
                WHERE p.polrelid IN ('chat.thread'::regclass, 'chat.member'::regclass, 'chat.message'::regclass,
                                     'chat.message_edit'::regclass, 'chat.reaction'::regclass,
                                     'chat.attachment'::regclass, 'chat.role_map'::regclass)
    LOOP
        expr := regexp_replace(pol.qual, '\(\s*SELECT (chat\.[a-z_]+\(\)) AS [a-z_]+\)', '\1', 'g');
        IF expr ~ 'EXISTS' THEN
            expr := 'chat.is_server_role() OR chat._is_member(thread_id)';
        END IF;
        IF expr <> pol.qual THEN
            t := format('ALTER POLICY %I ON %s USING (%s)', pol.polname, pol.tbl, expr);
            EXECUTE t;
            END IF;
    END LOOP;
END
$$;
COMMENT ON FUNCTION chat._citus_shape() IS
    'removes on this node what Citus refuses in chat''s tables: unique keys without the thread id, foreign keys between reference tables, sub-selects in policies';
REVOKE EXECUTE ON FUNCTION chat._citus_shape() FROM PUBLIC;

CREATE FUNCTION chat._citus_shard_changes(anchor oid, home integer, pruned xid8, since jsonb, viewer chat.user_id,
                                          lim bigint)
    RETURNS jsonb
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    part jsonb;
    snap pg_snapshot;
    rel record := chat._citus_shard_rels(anchor);
    found jsonb;
BEGIN
    SELECT s.part, s.snap INTO part, snap FROM chat._citus_shard_start(rel.shard, home, pruned, since) s;
    IF snap IS NULL THEN
        RETURN part;
    END IF;
    IF viewer IS NOT NULL THEN
        EXECUTE format($q$
        SELECT jsonb_agg(jsonb_build_object('at', e.at, 'seq', e.seq, 'e', e.payload) ORDER BY e.at, e.seq)
          FROM (SELECT e.at, e.seq, e.payload
                  FROM %1$s mb
                  JOIN %2$s e ON e.thread_id = mb.thread_id AND e.xid >= pg_snapshot_xmin($1)
                 WHERE mb.user_id = $2 AND NOT e.private AND e.event <> 'typing'
                   AND (NOT pg_visible_in_snapshot(e.xid, $1) OR e.xid = pg_current_xact_id_if_assigned())
                UNION
                SELECT e.at, e.seq, e.payload
                  FROM %2$s e
                 WHERE e.recipients @> ARRAY[$2] AND e.xid >= pg_snapshot_xmin($1)
                   AND e.event <> 'typing' AND (NOT pg_visible_in_snapshot(e.xid, $1) OR e.xid = pg_current_xact_id_if_assigned())
                 ORDER BY 1, 2
                 LIMIT $3 + 1) e$q$, rel.mb, rel.ev)
            INTO found USING snap, viewer, lim;
    ELSE
        EXECUTE format($q$
        SELECT jsonb_agg(jsonb_build_object('at', e.at, 'seq', e.seq,
                                            'e', jsonb_build_object('recipients', e.recipients, 'event', e.payload))
                         ORDER BY e.at, e.seq)
          FROM (SELECT e.at, e.seq, e.payload,
                       CASE WHEN e.private THEN e.recipients
                            ELSE ARRAY(SELECT mb.user_id FROM %1$s mb WHERE mb.thread_id = e.thread_id
                                       UNION SELECT unnest(e.recipients) ORDER BY 1)
                       END AS recipients
                  FROM %2$s e
                 WHERE e.xid >= pg_snapshot_xmin($1)
                   AND (NOT pg_visible_in_snapshot(e.xid, $1) OR e.xid = pg_current_xact_id_if_assigned())
                 ORDER BY e.at, e.seq
                 LIMIT $2 + 1) e$q$, rel.mb, rel.ev)
            INTO found USING snap, lim;
    END IF;
    RETURN part || jsonb_build_object('events', coalesce(found, '[]'));
END
$$;
COMMENT ON FUNCTION chat._citus_shard_changes(oid, integer, xid8, jsonb, chat.user_id, bigint) IS
    'Citus: on the worker holding a shard, its snapshot and its events new to the cursor (chat.changes, chat.feed when viewer is NULL)';
REVOKE EXECUTE ON FUNCTION chat._citus_shard_changes(oid,integer,xid8,jsonb,chat.user_id,bigint) FROM PUBLIC;

CREATE FUNCTION chat._citus_shard_rels(anchor oid, OUT shard bigint, OUT ev text, OUT mb text, OUT msg text, OUT th text)
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT max(s.shardid) FILTER (WHERE s.logicalrelid = 'chat.event'::regclass),
           max(format('chat.%I', 'event_' || s.shardid)) FILTER (WHERE s.logicalrelid = 'chat.event'::regclass),
           max(format('chat.%I', 'member_' || s.shardid)) FILTER (WHERE s.logicalrelid = 'chat.member'::regclass),
           max(format('chat.%I', 'message_' || s.shardid)) FILTER (WHERE s.logicalrelid = 'chat.message'::regclass),
           max(format('chat.%I', 'thread_' || s.shardid)) FILTER (WHERE s.logicalrelid = 'chat.thread'::regclass)
      FROM pg_catalog.pg_dist_shard a
      JOIN pg_catalog.pg_dist_shard s ON s.shardminvalue = a.shardminvalue
           AND s.logicalrelid IN ('chat.event'::regclass, 'chat.member'::regclass, 'chat.message'::regclass,
                                  'chat.thread'::regclass)
     WHERE a.shardid = substring(anchor::regclass::text FROM '_([0-9]+)$')::bigint
$$;
COMMENT ON FUNCTION chat._citus_shard_rels(oid) IS
    'Citus: on a worker, the shards of chat.event, member, message and thread colocated with an anchor''s shard (chat.event_shard)';
REVOKE EXECUTE ON FUNCTION chat._citus_shard_rels(oid) FROM PUBLIC;

CREATE FUNCTION chat._citus_shard_start(shard bigint, home integer, pruned xid8, since jsonb, OUT part jsonb, OUT snap pg_snapshot)
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    grp integer := (SELECT g.groupid FROM pg_catalog.pg_dist_local_group g);
    here pg_snapshot := pg_current_snapshot();
    entry text[];
BEGIN
    part := jsonb_build_object('shard', shard, 'group', grp, 'snap', here::text);
    IF since IS NULL THEN
        RETURN;
    END IF;
    IF home <> grp THEN
        /* moved here, chat.distribute() not run since: its events carry the other node's xids */
        part := part || '{"reload": true, "moved": true}';
        RETURN;
    END IF;
    entry := regexp_match(since ->> shard::text, '^([0-9]+)/(.*)$');
    IF entry IS NULL OR entry[1]::integer <> grp THEN
        part := part || '{"reload": true}';
        RETURN;
    END IF;
    snap := entry[2]::pg_snapshot;
    IF pg_snapshot_xmax(snap) > pg_snapshot_xmax(here)
       OR pruned >= pg_snapshot_xmax(snap)
       OR EXISTS (SELECT FROM pg_snapshot_xip(snap) x
                   WHERE x <= pruned AND coalesce(pg_xact_status(x), 'committed') = 'committed') THEN
        part := part || '{"reload": true}';
        snap := NULL;
    END IF;
END
$$;
COMMENT ON FUNCTION chat._citus_shard_start(bigint, integer, xid8, jsonb) IS
    'Citus: on a worker, a shard''s snapshot now and the cursor''s for it, or reload';
REVOKE EXECUTE ON FUNCTION chat._citus_shard_start(bigint,integer,xid8,jsonb) FROM PUBLIC;

CREATE FUNCTION chat._citus_shard_window(anchor oid, home integer, pruned xid8, since jsonb, upto jsonb, after bigint,
                                         lim bigint)
    RETURNS jsonb
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    part jsonb;
    s_from pg_snapshot;
    s_to pg_snapshot;
    rel record;
    found jsonb;
BEGIN
    rel := chat._citus_shard_rels(anchor);
    SELECT s.part, s.snap INTO part, s_from FROM chat._citus_shard_start(rel.shard, home, pruned, since) s;
    IF s_from IS NULL OR upto IS NULL THEN
        RETURN part;
    END IF;
    s_to := (regexp_match(upto ->> (part ->> 'shard'), '^[0-9]+/(.*)$'))[1]::pg_snapshot;
    IF s_to IS NULL THEN
        RETURN part || '{"reload": true}';
    END IF;
    EXECUTE format($q$
    SELECT jsonb_agg(jsonb_build_object('seq', c.seq, 'thread_id', c.thread_id, 'message_id', c.message_id,
                                        'weight', c.weight) ORDER BY c.seq)
      FROM (SELECT e.seq, e.thread_id, m.id AS message_id, greatest(coalesce(t.member_count, 0), 1)::bigint AS weight
              FROM %1$s e
              JOIN %2$s m ON m.thread_id = e.thread_id AND m.id = (e.payload ->> 'message_id')::bigint
              LEFT JOIN %3$s t ON t.id = e.thread_id
             WHERE e.xid >= pg_snapshot_xmin($1) AND e.xid < pg_snapshot_xmax($2)
               AND ($3 IS NULL OR e.seq > $3)
               AND e.event = 'message_sent' AND e.payload ->> 'kind' = 'text'
               AND NOT pg_visible_in_snapshot(e.xid, $1) AND pg_visible_in_snapshot(e.xid, $2)
               AND m.kind = 'text' AND m.deleted_at IS NULL
             ORDER BY e.seq
             LIMIT $4 + 1) c$q$, rel.ev, rel.msg, rel.th)
        INTO found USING s_from, s_to, after, lim;
    RETURN part || jsonb_build_object('cand', coalesce(found, '[]'));
END
$$;
COMMENT ON FUNCTION chat._citus_shard_window(oid, integer, xid8, jsonb, jsonb, bigint, bigint) IS
    'Citus: on the worker holding a shard, its snapshot and the text messages of a notification window (chat._citus_expand_notifications)';
REVOKE EXECUTE ON FUNCTION chat._citus_shard_window(oid,integer,xid8,jsonb,jsonb,bigint,bigint) FROM PUBLIC;

CREATE FUNCTION chat._citus_worker() RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    PERFORM set_config('citus.enable_ddl_propagation', 'off', true);
    ALTER EVENT TRIGGER chat_user_binding_ddl DISABLE;
    ALTER EVENT TRIGGER chat_user_binding_dropped DISABLE;
    ALTER EVENT TRIGGER chat_model_dropped DISABLE;
    PERFORM chat._citus_node_ids();
    PERFORM chat._citus_shape();
    PERFORM chat._citus_adapt();
END
$$;
COMMENT ON FUNCTION chat._citus_worker() IS
    'prepares a Citus worker for chat: event triggers off (they would run for shard DDL), its id range';
REVOKE EXECUTE ON FUNCTION chat._citus_worker() FROM PUBLIC;

CREATE FUNCTION chat._citus_workers(command text) RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    r record;
BEGIN
    FOR r IN EXECUTE 'SELECT nodename, nodeport, success, result FROM pg_catalog.run_command_on_workers($1)' USING command LOOP
        IF NOT r.success THEN
            RAISE EXCEPTION 'on worker %:%: %', r.nodename, r.nodeport, r.result
                USING DETAIL = 'command: ' || command;
        END IF;
    END LOOP;
END
$$;
COMMENT ON FUNCTION chat._citus_workers(text) IS 'runs a command on every Citus worker, raising the first failure';
REVOKE EXECUTE ON FUNCTION chat._citus_workers(text) FROM PUBLIC;

CREATE FUNCTION chat.distribute() RETURNS text
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    PERFORM chat._require_server('distribute chat');
    RETURN chat._citus_distribute(false);
END
$$;
COMMENT ON FUNCTION chat.distribute() IS
    'distributes chat on a Citus coordinator (per-thread tables by thread id, registries as reference tables); run once; CREATE EXTENSION chat does it when Citus is there';
REVOKE EXECUTE ON FUNCTION chat.distribute() FROM PUBLIC;  -- as privileges.sql leaves it
GRANT EXECUTE ON FUNCTION chat.distribute() TO PUBLIC;

/* ---- sql/src/internal/checks.sql ---- */

CREATE OR REPLACE FUNCTION chat._check_folder(folder text) RETURNS void
    LANGUAGE plpgsql IMMUTABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF folder IS NULL THEN
        RAISE EXCEPTION 'argument "folder" must not be null' USING ERRCODE = '22004', COLUMN = 'folder';
    END IF;
    IF folder NOT IN ('inbox', 'unread', 'deleted', 'sent', 'archived', 'mentions') THEN
        RAISE EXCEPTION 'invalid folder "%"', chat._shown(folder)
            USING ERRCODE = '22023', COLUMN = 'folder',
                  HINT = 'Folders are "inbox", "unread", "deleted", "sent", "archived" and "mentions".';
    END IF;
END
$$;

/* ---- sql/src/internal/events.sql ---- */

CREATE OR REPLACE FUNCTION chat._check_event(event text) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF event IS NULL THEN
        RAISE EXCEPTION 'argument "event" must not be null' USING ERRCODE = '22004', COLUMN = 'event';
    END IF;
    IF NOT EXISTS (SELECT FROM chat.event_kind k WHERE k.name = event AND k.hookable) THEN
        RAISE EXCEPTION 'unknown event "%"', chat._shown(event)
            USING ERRCODE = '22023', COLUMN = 'event',
                  HINT = 'Events are ' || (SELECT string_agg(format('"%s"', k.name), ', ' ORDER BY k.name)
                                             FROM chat.event_kind k WHERE k.hookable) || '.';
    END IF;
END
$$;

CREATE FUNCTION chat._emit(event text, thread_id bigint, message_id bigint,
                           user_id chat.user_id, fields jsonb DEFAULT NULL,
                           recipients chat.user_id[] DEFAULT NULL, private boolean DEFAULT false)
    RETURNS void
    LANGUAGE c
    AS 'MODULE_PATHNAME', 'chat_emit_sql';
COMMENT ON FUNCTION chat._emit(text, bigint, bigint, chat.user_id, jsonb, chat.user_id[], boolean) IS
    'Describe an event as one jsonb object, keep it in chat.event for the thread''s members and recipients (private: the recipients only), run its hooks and queue its NOTIFY (src/events.c)';
REVOKE EXECUTE ON FUNCTION chat._emit(text,bigint,bigint,chat.user_id,jsonb,chat.user_id[],boolean) FROM PUBLIC;

/* ---- sql/src/internal/import.sql ---- */

CREATE FUNCTION chat._check_import_members(members jsonb, arg text, path text, complete boolean)
    RETURNS integer
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    allowed text[] := CASE WHEN complete THEN '{user_id,role,joined_at,read_until,deleted,archived,muted}'::text[]
                           ELSE '{user_id,read_until,deleted}'::text[] END;
    bad record;
    el record;
    dup chat.user_id;
BEGIN
    IF jsonb_typeof(members) <> 'array' THEN
        RAISE EXCEPTION '% must be a JSON array of members', path
            USING ERRCODE = '22023', COLUMN = arg, HINT = 'Give [{"user_id": 1}, ...].';
    END IF;
    SELECT x.ord - 1 AS ord,
           CASE WHEN jsonb_typeof(x.m) <> 'object' THEN 'object'
                WHEN k.key IS NOT NULL THEN 'key ' || k.key
                WHEN coalesce(jsonb_typeof(x.m -> 'user_id'), 'null') = 'null' THEN 'null'
                WHEN jsonb_typeof(x.m -> 'user_id') NOT IN ('number', 'string') THEN 'user_id'
                WHEN coalesce(jsonb_typeof(x.m -> 'role'), 'null') NOT IN ('null', 'string')
                     OR coalesce(x.m ->> 'role', 'member') NOT IN ('owner', 'admin', 'member') THEN 'role'
                WHEN coalesce(jsonb_typeof(x.m -> 'joined_at'), 'null') NOT IN ('null', 'string') THEN 'string joined_at'
                WHEN coalesce(jsonb_typeof(x.m -> 'read_until'), 'null') NOT IN ('null', 'string') THEN 'string read_until'
                WHEN coalesce(jsonb_typeof(x.m -> 'deleted'), 'null') NOT IN ('null', 'boolean') THEN 'boolean deleted'
                WHEN coalesce(jsonb_typeof(x.m -> 'archived'), 'null') NOT IN ('null', 'boolean') THEN 'boolean archived'
                WHEN coalesce(jsonb_typeof(x.m -> 'muted'), 'null') NOT IN ('null', 'boolean') THEN 'boolean muted'
           END AS problem
      INTO bad
      FROM jsonb_array_elements(members) WITH ORDINALITY AS x(m, ord)
      LEFT JOIN LATERAL (SELECT f.key FROM jsonb_object_keys(CASE jsonb_typeof(x.m) WHEN 'object' THEN x.m END) AS f(key)
                          WHERE f.key <> ALL (allowed) ORDER BY f.key LIMIT 1) k ON true
     WHERE jsonb_typeof(x.m) <> 'object' OR k.key IS NOT NULL
        OR coalesce(jsonb_typeof(x.m -> 'user_id'), 'null') NOT IN ('number', 'string')
        OR coalesce(jsonb_typeof(x.m -> 'role'), 'null') NOT IN ('null', 'string')
        OR coalesce(x.m ->> 'role', 'member') NOT IN ('owner', 'admin', 'member')
        OR coalesce(jsonb_typeof(x.m -> 'joined_at'), 'null') NOT IN ('null', 'string')
        OR coalesce(jsonb_typeof(x.m -> 'read_until'), 'null') NOT IN ('null', 'string')
        OR coalesce(jsonb_typeof(x.m -> 'deleted'), 'null') NOT IN ('null', 'boolean')
        OR coalesce(jsonb_typeof(x.m -> 'archived'), 'null') NOT IN ('null', 'boolean')
        OR coalesce(jsonb_typeof(x.m -> 'muted'), 'null') NOT IN ('null', 'boolean')
     ORDER BY x.ord
     LIMIT 1;
    IF FOUND THEN
        CASE
        WHEN bad.problem = 'object' THEN
            RAISE EXCEPTION '%[%] must be a JSON object', path, bad.ord USING ERRCODE = '22023', COLUMN = arg;
        WHEN bad.problem LIKE 'key %' THEN
            RAISE EXCEPTION 'unknown field "%" in %[%]', chat._shown(substr(bad.problem, 5)), path, bad.ord
                USING ERRCODE = '22023', COLUMN = arg,
                      HINT = format('A member has %s.', (SELECT string_agg(format('"%s"', a), ', ') FROM unnest(allowed) a));
        WHEN bad.problem = 'null' THEN
            RAISE EXCEPTION '%[%] has no user_id', path, bad.ord USING ERRCODE = '22004', COLUMN = arg;
        WHEN bad.problem = 'user_id' THEN
            RAISE EXCEPTION '%[%].user_id must be a user id', path, bad.ord
                USING ERRCODE = '22023', COLUMN = arg, HINT = 'Give it as a JSON number or string.';
        WHEN bad.problem = 'role' THEN
            RAISE EXCEPTION 'invalid role in %[%]', path, bad.ord
                USING ERRCODE = '22023', COLUMN = arg, HINT = 'Roles are "owner", "admin" and "member".';
        WHEN bad.problem LIKE 'string %' THEN
            RAISE EXCEPTION '%[%].% must be a string', path, bad.ord, substr(bad.problem, 8)
                USING ERRCODE = '22023', COLUMN = arg;
        ELSE
            RAISE EXCEPTION '%[%].% must be true or false', path, bad.ord, substr(bad.problem, 9)
                USING ERRCODE = '22023', COLUMN = arg;
        END CASE;
    END IF;
    BEGIN
        PERFORM count((x.m ->> 'joined_at')::timestamptz) + count((x.m ->> 'read_until')::timestamptz)
           FROM jsonb_array_elements(members) AS x(m);
    EXCEPTION WHEN data_exception THEN
        /* name the first one that is no timestamp */
        FOR el IN SELECT x.ord - 1 AS ord, x.m FROM jsonb_array_elements(members) WITH ORDINALITY AS x(m, ord)
                   ORDER BY x.ord LOOP
            PERFORM chat._import_timestamp(el.m ->> 'joined_at', format('%s[%s].joined_at', path, el.ord), arg),
                    chat._import_timestamp(el.m ->> 'read_until', format('%s[%s].read_until', path, el.ord), arg);
        END LOOP;
        RAISE EXCEPTION 'invalid timestamp in %', path USING ERRCODE = '22023', COLUMN = arg, DETAIL = SQLERRM;
    END;
    /* user ids of the wrong type fail here as everywhere (22P02, 22003) */
    SELECT u INTO dup FROM (SELECT (x.m ->> 'user_id')::chat.user_id AS u FROM jsonb_array_elements(members) x(m)) y
     GROUP BY u HAVING count(*) > 1 ORDER BY u LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'user "%" is listed twice in %', dup, path USING ERRCODE = '22023', COLUMN = arg;
    END IF;
    RETURN jsonb_array_length(members);
END
$$;
REVOKE EXECUTE ON FUNCTION chat._check_import_members(jsonb,text,text,boolean) FROM PUBLIC;

CREATE FUNCTION chat._check_import_messages(messages jsonb, arg text, path text, after timestamptz)
    RETURNS integer
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    lim integer := chat._setting_value('max_content_length')::integer;
    bad record;
    el record;
    wrong bigint;
    early bigint;
    parsed bigint;
BEGIN
    IF jsonb_typeof(messages) <> 'array' THEN
        RAISE EXCEPTION '% must be a JSON array of messages', path
            USING ERRCODE = '22023', COLUMN = arg,
                  HINT = 'Give [{"sender_id": 1, "sent_at": "2024-05-01T09:30:00Z", "content": "..."}, ...].';
    END IF;
    /*
     * The first element at fault, in one pass of plain expressions (a
     * lateral scan of each element's keys costs ten times more at 100,000
     * messages).
     */
    SELECT y.ord - 1 AS ord,
           CASE WHEN y.t <> 'object' THEN 'object'
                WHEN y.extra THEN 'key ' || (SELECT min(k) FROM jsonb_object_keys(y.m - y.allowed) AS k)
                WHEN y.sent_at = 'null' THEN 'null sent_at'
                WHEN y.sent_at <> 'string' THEN 'string sent_at'
                WHEN y.edited_at NOT IN ('null', 'string') THEN 'string edited_at'
                WHEN y.deleted_at NOT IN ('null', 'string') THEN 'string deleted_at'
                WHEN y.kind NOT IN ('null', 'string') OR coalesce(y.m ->> 'kind', 'text') NOT IN ('text', 'system') THEN 'kind'
                WHEN y.sender NOT IN ('null', 'number', 'string') THEN 'sender type'
                WHEN y.sender = 'null' AND coalesce(y.m ->> 'kind', 'text') = 'text' THEN 'null sender_id'
                WHEN y.content = 'null' THEN 'null content'
                WHEN y.content <> 'string' THEN 'string content'
                WHEN chat._is_blank(y.m ->> 'content') THEN 'blank'
                WHEN char_length(y.m ->> 'content') > lim THEN 'long'
           END AS problem
      INTO bad
      FROM (SELECT x.ord, x.m, jsonb_typeof(x.m) AS t, a.allowed,
                   CASE WHEN jsonb_typeof(x.m) = 'object' THEN x.m - a.allowed <> '{}' END AS extra,
                   coalesce(jsonb_typeof(x.m -> 'sent_at'), 'null') AS sent_at,
                   coalesce(jsonb_typeof(x.m -> 'edited_at'), 'null') AS edited_at,
                   coalesce(jsonb_typeof(x.m -> 'deleted_at'), 'null') AS deleted_at,
                   coalesce(jsonb_typeof(x.m -> 'kind'), 'null') AS kind,
                   coalesce(jsonb_typeof(x.m -> 'sender_id'), 'null') AS sender,
                   coalesce(jsonb_typeof(x.m -> 'content'), 'null') AS content
              FROM (SELECT '{sender_id,sent_at,content,kind,edited_at,deleted_at}'::text[] AS allowed) a,
                   jsonb_array_elements(messages) WITH ORDINALITY AS x(m, ord)
            OFFSET 0) y
     WHERE y.t <> 'object' OR y.extra OR y.sent_at <> 'string'
        OR y.edited_at NOT IN ('null', 'string') OR y.deleted_at NOT IN ('null', 'string')
        OR y.kind NOT IN ('null', 'string') OR coalesce(y.m ->> 'kind', 'text') NOT IN ('text', 'system')
        OR y.sender NOT IN ('null', 'number', 'string')
        OR (y.sender = 'null' AND coalesce(y.m ->> 'kind', 'text') = 'text')
        OR y.content <> 'string' OR chat._is_blank(y.m ->> 'content') OR char_length(y.m ->> 'content') > lim
     ORDER BY y.ord
     LIMIT 1;
    IF FOUND THEN
        CASE
        WHEN bad.problem = 'object' THEN
            RAISE EXCEPTION '%[%] must be a JSON object', path, bad.ord USING ERRCODE = '22023', COLUMN = arg;
        WHEN bad.problem LIKE 'key %' THEN
            RAISE EXCEPTION 'unknown field "%" in %[%]', chat._shown(substr(bad.problem, 5)), path, bad.ord
                USING ERRCODE = '22023', COLUMN = arg,
                      HINT = 'A message has "sender_id", "sent_at", "content", and optionally "kind" ("text" or "system"), "edited_at" and "deleted_at".';
        WHEN bad.problem LIKE 'null %' THEN
            RAISE EXCEPTION '%[%] has no %', path, bad.ord, substr(bad.problem, 6)
                USING ERRCODE = '22004', COLUMN = arg,
                      DETAIL = CASE substr(bad.problem, 6)
                               WHEN 'sender_id' THEN 'A text message needs its sender (a system message may have none).'
                               WHEN 'sent_at' THEN 'Imported messages keep the time they were sent.'
                               ELSE 'Imported messages have content.' END;
        WHEN bad.problem LIKE 'string %' THEN
            RAISE EXCEPTION '%[%].% must be a string', path, bad.ord, substr(bad.problem, 8)
                USING ERRCODE = '22023', COLUMN = arg;
        WHEN bad.problem = 'kind' THEN
            RAISE EXCEPTION 'invalid kind in %[%]', path, bad.ord
                USING ERRCODE = '22023', COLUMN = arg, HINT = 'A message''s kind is "text" (the default) or "system".';
        WHEN bad.problem = 'sender type' THEN
            RAISE EXCEPTION '%[%].sender_id must be a user id', path, bad.ord
                USING ERRCODE = '22023', COLUMN = arg, HINT = 'Give it as a JSON number or string.';
        WHEN bad.problem = 'blank' THEN
            RAISE EXCEPTION '%[%].content must not be blank', path, bad.ord USING ERRCODE = '22023', COLUMN = arg;
        ELSE
            RAISE EXCEPTION '%[%].content is too long', path, bad.ord
                USING ERRCODE = '22001', COLUMN = arg,
                      DETAIL = format('It has %s characters; the limit is %s.',
                                      char_length(messages -> (bad.ord::int) ->> 'content'), lim),
                      HINT = 'The limit is the setting "max_content_length".';
        END CASE;
    END IF;

    /* the timestamps: each parses, and sent_at is past, finite, not before the thread's newest */
    BEGIN
        SELECT min(x.ord) FILTER (WHERE NOT isfinite(x.sent_at) OR x.sent_at > clock_timestamp()),
               min(x.ord) FILTER (WHERE x.sent_at < after),
               count(x.edited_at) + count(x.deleted_at)
          INTO wrong, early, parsed
          FROM (SELECT e.ord - 1 AS ord, (e.m ->> 'sent_at')::timestamptz AS sent_at,
                       (e.m ->> 'edited_at')::timestamptz AS edited_at,
                       (e.m ->> 'deleted_at')::timestamptz AS deleted_at
                  FROM jsonb_array_elements(messages) WITH ORDINALITY AS e(m, ord)) x;
    EXCEPTION WHEN data_exception THEN
        /* name the first one that is no timestamp */
        FOR el IN SELECT x.ord - 1 AS ord, x.m FROM jsonb_array_elements(messages) WITH ORDINALITY AS x(m, ord) ORDER BY x.ord LOOP
            PERFORM chat._import_timestamp(el.m ->> f, format('%s[%s].%s', path, el.ord, f), arg)
               FROM unnest(ARRAY['sent_at', 'edited_at', 'deleted_at']) AS f;
        END LOOP;
        RAISE EXCEPTION 'invalid timestamp in %', path USING ERRCODE = '22023', COLUMN = arg, DETAIL = SQLERRM;
    END;
    IF wrong IS NOT NULL THEN
        RAISE EXCEPTION '%[%].sent_at is not a past time', path, wrong
            USING ERRCODE = '22023', COLUMN = arg,
                  DETAIL = format('It is "%s".', chat._shown(messages -> (wrong::int) ->> 'sent_at')),
                  HINT = 'Messages are imported with the time they were sent, which has passed.';
    END IF;
    IF early IS NOT NULL THEN
        RAISE EXCEPTION '%[%].sent_at is before the thread''s newest message', path, early
            USING ERRCODE = '22023', COLUMN = arg,
                  DETAIL = format('It is "%s"; the thread''s newest message was sent at %s.',
                                  chat._shown(messages -> (early::int) ->> 'sent_at'), after),
                  HINT = 'An import appends to a thread: import its older history with the thread itself (chat.import_thread).';
    END IF;
    RETURN jsonb_array_length(messages);
END
$$;
REVOKE EXECUTE ON FUNCTION chat._check_import_messages(jsonb,text,text,timestamp with time zone) FROM PUBLIC;

CREATE FUNCTION chat._import_messages(tid bigint, messages jsonb, members jsonb)
    RETURNS integer
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    prev chat.thread;
    t chat.thread;
    n integer := coalesce(jsonb_array_length(messages), 0);
    ids bigint[];
    md chat.model;
    times timestamptz[];
    ids_by_time bigint[];
    l record;
BEGIN
    PERFORM chat._refresh_statistics();
    SELECT * INTO prev FROM chat.thread th WHERE th.id = tid;
    t := prev;
    IF n > 0 THEN
        /* the ids, increasing, drawn under the thread's lock */
        IF chat._citus() THEN
            /*
             * Citus (citus.sql): a message id is time | sequence | node, so
             * that ids follow time across nodes; the sequence alone would
             * put them below the thread's live messages
             */
            ids := '{}';
            FOR k IN 1..n LOOP
                ids := ids || chat._citus_message_id(coalesce(ids[k - 1], prev.last_message_id));
            END LOOP;
        ELSE
            ids := ARRAY(SELECT s.id FROM (SELECT nextval('chat.message_id_seq') AS id FROM generate_series(1, n)) s
                          ORDER BY s.id);
        END IF;
        /* first the thread counts them: the trigger then keeps each row as it comes */
        /*
         * the newest message read first, and no subscript in the SET: Citus
         * 13.2 crashes deparsing an UPDATE with either
         */
        SELECT ids[n] AS id, (x.m ->> 'sender_id')::chat.user_id AS sender_id, (x.m ->> 'sent_at')::timestamptz AS sent_at,
               x.m ->> 'content' AS content, (x.m ->> 'deleted_at')::timestamptz AS deleted_at
          INTO l
          FROM jsonb_array_elements(messages) WITH ORDINALITY AS x(m, ord)
         ORDER BY (x.m ->> 'sent_at')::timestamptz DESC, x.ord DESC
         LIMIT 1;
        UPDATE chat.thread th
           SET message_count = th.message_count + n,
               last_message_id = l.id,
               last_sender_id = l.sender_id,
               last_sent_at = l.sent_at,
               last_preview = CASE WHEN l.deleted_at IS NULL THEN left(l.content, 100) END
         WHERE th.id = tid
        RETURNING th.* INTO t;
        /* in the order of sent_at (ties: the order given), so the ids increase with it */
        INSERT INTO chat.message (thread_id, id, sender_id, kind, content, sent_at, edited_at, deleted_at)
        SELECT tid, ids[p.rank], p.sender_id, p.kind, p.content, p.sent_at, p.edited_at, p.deleted_at
          FROM (SELECT (x.m ->> 'sender_id')::chat.user_id AS sender_id,
                       coalesce(x.m ->> 'kind', 'text')::chat.message_kind AS kind,
                       x.m ->> 'content' AS content,
                       (x.m ->> 'sent_at')::timestamptz AS sent_at,
                       (x.m ->> 'edited_at')::timestamptz AS edited_at,
                       (x.m ->> 'deleted_at')::timestamptz AS deleted_at,
                       row_number() OVER (ORDER BY (x.m ->> 'sent_at')::timestamptz, x.ord) AS rank
                  FROM jsonb_array_elements(messages) WITH ORDINALITY AS x(m, ord)) p
         ORDER BY p.rank;
        /* a swapped message model: a row of defaults for each, as for every new message */
        md := chat._swapped('message');
        IF md.tbl IS NOT NULL THEN
            EXECUTE format('INSERT INTO %s (thread_id, message_id)
                            SELECT m.thread_id, m.id FROM chat.message m WHERE m.thread_id = $1 AND m.id > $2',
                           md.tbl)
                USING tid, coalesce(prev.last_message_id, 0);
        END IF;
    END IF;

    /*
     * Every member's read state, once.  A read_until is found by binary
     * search (width_bucket) in the thread's send times in id order, which
     * never decrease (an import sorts by sent_at and appends; a reply takes
     * the clock under the thread's lock): its position is how many messages
     * the member has read, the id there its pointer, and its own messages
     * after the pointer, found likewise in the ids it sent, count as read
     * too.  So members x log(messages), not members x messages.
     */
    IF EXISTS (SELECT FROM jsonb_array_elements(coalesce(members, '[]')) AS x(m) WHERE x.m ->> 'read_until' IS NOT NULL) THEN
        SELECT array_agg(m.sent_at ORDER BY m.id), array_agg(m.id ORDER BY m.id) INTO times, ids_by_time
          FROM chat.message m WHERE m.thread_id = tid;
    END IF;
    WITH said AS (
        SELECT (x.m ->> 'user_id')::chat.user_id AS user_id,
               (x.m ->> 'read_until')::timestamptz AS read_until,
               (x.m ->> 'deleted')::boolean AS deleted
          FROM jsonb_array_elements(coalesce(members, '[]')) AS x(m)
    ), sent AS (
        SELECT m.sender_id, array_agg(m.id ORDER BY m.id) AS ids
          FROM chat.message m
         WHERE m.thread_id = tid AND m.sender_id IS NOT NULL AND times IS NOT NULL
         GROUP BY m.sender_id
    ), own AS (
        SELECT m.sender_id, count(*) AS n
          FROM chat.message m
         WHERE m.thread_id = tid AND m.id > coalesce(prev.last_message_id, 0) AND m.sender_id IS NOT NULL
         GROUP BY m.sender_id
    ), placed AS MATERIALIZED (
        SELECT s.user_id, p.pos, CASE WHEN p.pos > 0 THEN ids_by_time[p.pos] ELSE 0 END AS target
          FROM said s,
               LATERAL (SELECT CASE WHEN times IS NULL THEN 0 ELSE width_bucket(s.read_until, times) END AS pos) p
         WHERE s.read_until IS NOT NULL
    ), state AS MATERIALIZED (
        SELECT mb.user_id, s.deleted,
               CASE WHEN pl.user_id IS NOT NULL THEN pl.target
                    WHEN mb.read_count >= prev.message_count THEN coalesce(t.last_message_id, 0)
                    ELSE mb.read_id END AS read_id,
               CASE WHEN pl.user_id IS NOT NULL
                        THEN pl.pos + coalesce(cardinality(se.ids) - width_bucket(pl.target, se.ids), 0)
                    WHEN mb.read_count >= prev.message_count THEN t.message_count
                    ELSE mb.read_count + coalesce(o.n, 0) END AS read_count
          FROM chat.member mb
          LEFT JOIN said s ON s.user_id = mb.user_id
          LEFT JOIN placed pl ON pl.user_id = mb.user_id
          LEFT JOIN sent se ON se.sender_id = mb.user_id AND pl.user_id IS NOT NULL
          LEFT JOIN own o ON o.sender_id = mb.user_id
         WHERE mb.thread_id = tid
    )
    UPDATE chat.member mb
       SET read_id = st.read_id,
           read_count = st.read_count,
           /* imported messages mention no one: recount where the pointer moved over old mentions */
           mention_count = CASE WHEN mb.last_mention_id IS NULL OR st.read_id = mb.read_id THEN mb.mention_count
                                ELSE (SELECT count(*) FROM chat.message m
                                       WHERE m.thread_id = tid AND m.id > st.read_id AND mb.user_id = ANY (m.mentions))
                           END,
           seen_id = CASE WHEN st.read_id < mb.read_id THEN greatest(mb.seen_id, mb.read_id) ELSE mb.seen_id END,
           delivered_id = greatest(mb.delivered_id, st.read_id),
           hidden_id = CASE WHEN st.deleted IS NULL THEN mb.hidden_id
                            WHEN st.deleted THEN coalesce(t.last_message_id, 0) END,
           activity_id = CASE WHEN mb.large THEN mb.activity_id ELSE coalesce(t.last_message_id, 0) END,
           message_count = CASE WHEN mb.large THEN mb.message_count ELSE t.message_count END
      FROM state st
     WHERE mb.thread_id = tid AND mb.user_id = st.user_id
       AND (mb.read_id, mb.read_count, mb.hidden_id, mb.activity_id, mb.message_count)
           IS DISTINCT FROM (st.read_id, st.read_count,
                             CASE WHEN st.deleted IS NULL THEN mb.hidden_id
                                  WHEN st.deleted THEN coalesce(t.last_message_id, 0) END,
                             CASE WHEN mb.large THEN mb.activity_id ELSE coalesce(t.last_message_id, 0) END,
                             CASE WHEN mb.large THEN mb.message_count ELSE t.message_count END);

    IF n > 0 THEN
        PERFORM chat._emit('messages_imported', tid, ids[n], NULL, jsonb_build_object('count', n));
    END IF;
    RETURN n;
END
$$;
REVOKE EXECUTE ON FUNCTION chat._import_messages(bigint,jsonb,jsonb) FROM PUBLIC;

CREATE FUNCTION chat._import_thread(doc jsonb) RETURNS bigint
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    cap bigint := (chat._setting_value('max_members') #>> '{}')::bigint;
    lim integer := chat._setting_value('max_subject_length')::integer;
    k text;
    kind chat.thread_kind;
    subject text;
    n integer;
    users chat.user_id[];
    creator chat.user_id;
    created timestamptz;
    has_owner boolean;
    t chat.thread;
    members bigint;
BEGIN
    PERFORM chat._not_null(doc, 'thread');
    IF jsonb_typeof(doc) <> 'object' THEN
        RAISE EXCEPTION 'thread must be a JSON object' USING ERRCODE = '22023', COLUMN = 'thread',
            HINT = 'Give {"subject": "...", "members": [...], "messages": [...]}.';
    END IF;
    SELECT e.key INTO k FROM jsonb_object_keys(doc) AS e(key)
     WHERE e.key NOT IN ('kind', 'subject', 'created_by', 'created_at', 'is_public', 'members', 'messages')
     ORDER BY 1 LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'unknown field "%" in thread', chat._shown(k) USING ERRCODE = '22023', COLUMN = 'thread',
            HINT = 'A thread has "kind", "subject", "created_by", "created_at", "is_public", "members" and "messages".';
    END IF;

    IF coalesce(jsonb_typeof(doc -> 'kind'), 'null') NOT IN ('null', 'string')
       OR coalesce(doc ->> 'kind', 'private') NOT IN ('private', 'direct', 'group', 'channel') THEN
        RAISE EXCEPTION 'invalid kind in thread' USING ERRCODE = '22023', COLUMN = 'thread',
            HINT = 'Kinds are "private" (the default), "direct", "group" and "channel".';
    END IF;
    kind := coalesce(doc ->> 'kind', 'private');

    IF coalesce(jsonb_typeof(doc -> 'subject'), 'null') NOT IN ('null', 'string') THEN
        RAISE EXCEPTION 'thread.subject must be a string' USING ERRCODE = '22023', COLUMN = 'thread';
    END IF;
    subject := doc ->> 'subject';
    IF kind = 'direct' AND subject IS NOT NULL THEN
        RAISE EXCEPTION 'a direct thread has no subject' USING ERRCODE = '22023', COLUMN = 'thread';
    ELSIF kind <> 'direct' AND subject IS NULL THEN
        RAISE EXCEPTION 'thread.subject must not be null' USING ERRCODE = '22004', COLUMN = 'thread',
            DETAIL = format('A %s has a subject or title.', chat._kind_word(kind));
    ELSIF kind <> 'direct' AND chat._is_blank(subject) THEN
        RAISE EXCEPTION 'thread.subject must not be blank' USING ERRCODE = '22023', COLUMN = 'thread';
    ELSIF char_length(subject) > lim THEN
        RAISE EXCEPTION 'thread.subject is too long' USING ERRCODE = '22001', COLUMN = 'thread',
            DETAIL = format('The subject has %s characters; the limit is %s.', char_length(subject), lim),
            HINT = 'The limit is the setting "max_subject_length".';
    END IF;
    IF coalesce(jsonb_typeof(doc -> 'is_public'), 'null') NOT IN ('null', 'boolean') THEN
        RAISE EXCEPTION 'thread.is_public must be true or false' USING ERRCODE = '22023', COLUMN = 'thread';
    ELSIF kind = 'direct' AND (doc ->> 'is_public')::boolean THEN
        RAISE EXCEPTION 'a direct thread cannot be public' USING ERRCODE = '22023', COLUMN = 'thread';
    END IF;

    IF coalesce(jsonb_typeof(doc -> 'members'), 'null') = 'null' THEN
        RAISE EXCEPTION 'thread.members must not be null' USING ERRCODE = '22004', COLUMN = 'thread';
    END IF;
    n := chat._check_import_members(doc -> 'members', 'thread', 'thread.members', true);
    IF n = 0 THEN
        RAISE EXCEPTION 'thread.members must not be empty' USING ERRCODE = '22023', COLUMN = 'thread',
            HINT = 'A thread has at least one member.';
    END IF;
    users := ARRAY(SELECT (x.m ->> 'user_id')::chat.user_id
                     FROM jsonb_array_elements(doc -> 'members') WITH ORDINALITY AS x(m, ord) ORDER BY x.ord);
    IF kind = 'direct' AND (n <> 2 OR EXISTS (SELECT FROM jsonb_array_elements(doc -> 'members') x(m)
                                               WHERE coalesce(x.m ->> 'role', 'member') <> 'member')) THEN
        RAISE EXCEPTION 'a direct thread has two members, both of role member' USING ERRCODE = '22023', COLUMN = 'thread';
    END IF;
    IF cap IS NOT NULL AND n > cap THEN
        RAISE EXCEPTION 'too many members for a new %', chat._kind_word(kind)
            USING ERRCODE = '54000', COLUMN = 'thread',
                  DETAIL = format('It would have %s members; the limit is %s.', n, cap),
                  HINT = 'The limit is the setting "max_members".';
    END IF;

    IF coalesce(jsonb_typeof(doc -> 'messages'), 'null') <> 'null' THEN
        PERFORM chat._check_import_messages(doc -> 'messages', 'thread', 'thread.messages', NULL);
    END IF;

    IF coalesce(jsonb_typeof(doc -> 'created_by'), 'null') NOT IN ('null', 'number', 'string') THEN
        RAISE EXCEPTION 'thread.created_by must be a user id' USING ERRCODE = '22023', COLUMN = 'thread';
    END IF;
    /* by default who sent the first message, else the first owner, else the first member */
    creator := coalesce((doc ->> 'created_by')::chat.user_id,
                        (SELECT (x.m ->> 'sender_id')::chat.user_id
                           FROM jsonb_array_elements(coalesce(doc -> 'messages', '[]')) WITH ORDINALITY AS x(m, ord)
                          WHERE x.m ->> 'sender_id' IS NOT NULL
                          ORDER BY (x.m ->> 'sent_at')::timestamptz, x.ord LIMIT 1),
                        (SELECT (x.m ->> 'user_id')::chat.user_id
                           FROM jsonb_array_elements(doc -> 'members') WITH ORDINALITY AS x(m, ord)
                          WHERE x.m ->> 'role' = 'owner' ORDER BY x.ord LIMIT 1),
                        users[1]);
    IF coalesce(jsonb_typeof(doc -> 'created_at'), 'null') NOT IN ('null', 'string') THEN
        RAISE EXCEPTION 'thread.created_at must be a string' USING ERRCODE = '22023', COLUMN = 'thread';
    END IF;
    created := chat._import_timestamp(doc ->> 'created_at', 'thread.created_at', 'thread');
    IF NOT isfinite(created) OR created > clock_timestamp() THEN
        RAISE EXCEPTION 'thread.created_at is not a past time' USING ERRCODE = '22023', COLUMN = 'thread';
    END IF;
    created := coalesce(created,
                        (SELECT min((x.m ->> 'sent_at')::timestamptz)
                           FROM jsonb_array_elements(coalesce(doc -> 'messages', '[]')) AS x(m)),
                        now());

    /*
     * On Citus no unique index holds the pair (citus.sql): wait for its other
     * creators as chat.direct_thread does.  "SELECT 1": Citus cannot read
     * every shard for a sub-select without columns.
     */
    IF kind = 'direct' AND chat._citus() THEN
        PERFORM pg_advisory_xact_lock(hashtextextended(format('chat.direct %s %s', least(users[1], users[2]),
                                                              greatest(users[1], users[2])), 0));
    END IF;
    IF kind = 'direct' AND EXISTS (SELECT 1 FROM chat.thread th
                                    WHERE th.kind = 'direct' AND th.direct_low = least(users[1], users[2])
                                      AND th.direct_high = greatest(users[1], users[2])) THEN
        RAISE EXCEPTION 'users "%" and "%" have a direct thread already', least(users[1], users[2]),
                        greatest(users[1], users[2])
            USING ERRCODE = '23505', COLUMN = 'thread',
                  HINT = 'Append the history to it with chat.import_messages(chat.direct_thread(a, b), ...).';
    END IF;

    INSERT INTO chat.thread AS th (kind, subject, created_by, created_at, is_public, direct_low, direct_high)
    VALUES (kind, subject, creator, created, coalesce((doc ->> 'is_public')::boolean, false),
            CASE WHEN kind = 'direct' THEN least(users[1], users[2]) END,
            CASE WHEN kind = 'direct' THEN greatest(users[1], users[2]) END)
    RETURNING th.* INTO t;

    /* no owner named: the creator owns the room (a direct thread has none) */
    has_owner := EXISTS (SELECT FROM jsonb_array_elements(doc -> 'members') x(m) WHERE x.m ->> 'role' = 'owner');
    INSERT INTO chat.member (thread_id, user_id, role, joined_at, muted, archived)
    SELECT t.id, y.user_id,
           CASE WHEN y.role IS NOT NULL THEN y.role::chat.member_role
                WHEN kind <> 'direct' AND NOT has_owner AND y.user_id = creator THEN 'owner'
                ELSE 'member' END,
           coalesce(y.joined_at, created), coalesce(y.muted, false), coalesce(y.archived, false)
      FROM (SELECT (x.m ->> 'user_id')::chat.user_id AS user_id, x.m ->> 'role' AS role,
                   (x.m ->> 'joined_at')::timestamptz AS joined_at,
                   (x.m ->> 'muted')::boolean AS muted, (x.m ->> 'archived')::boolean AS archived
              FROM jsonb_array_elements(doc -> 'members') AS x(m)) y
     ORDER BY y.user_id;
    PERFORM chat._fill_extra('thread', t.id, NULL, NULL, NULL);
    PERFORM chat._fill_extra('member', t.id, NULL, u, NULL) FROM unnest(users) AS u;

    /* read first: a call with a query of chat's tables inside would run on a Citus worker */
    members := (SELECT th.member_count FROM chat.thread th WHERE th.id = t.id);
    PERFORM chat._emit('thread_created', t.id, NULL, creator,
                       jsonb_build_object('thread_kind', kind, 'member_count', members));
    PERFORM chat._import_messages(t.id, coalesce(nullif(doc -> 'messages', 'null'), '[]'), doc -> 'members');
    RETURN t.id;
END
$$;
REVOKE EXECUTE ON FUNCTION chat._import_thread(jsonb) FROM PUBLIC;

CREATE FUNCTION chat._import_timestamp(value text, what text, arg text) RETURNS timestamptz
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    RETURN value::timestamptz;
EXCEPTION WHEN data_exception THEN
    RAISE EXCEPTION 'invalid timestamp in %: "%"', what, chat._shown(value)
        USING ERRCODE = '22023', COLUMN = arg,
              HINT = 'Give timestamps as ISO 8601 strings, such as "2024-05-01T09:30:00Z".';
END
$$;
REVOKE EXECUTE ON FUNCTION chat._import_timestamp(text,text,text) FROM PUBLIC;

CREATE FUNCTION chat._refresh_statistics() RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    tbl regclass;
BEGIN
    FOR tbl IN SELECT c.oid::regclass FROM pg_class c
                WHERE c.oid IN ('chat.thread'::regclass, 'chat.member'::regclass, 'chat.message'::regclass)
                  AND pg_relation_size(c.oid) / current_setting('block_size')::bigint > 2 * greatest(c.relpages, 0) + 8
                ORDER BY c.oid
    LOOP
        EXECUTE format('ANALYZE %s', tbl);
    END LOOP;
END
$$;
REVOKE EXECUTE ON FUNCTION chat._refresh_statistics() FROM PUBLIC;

/* ---- sql/src/internal/interactions.sql ---- */

CREATE OR REPLACE FUNCTION chat._add_attachments(thread_id bigint, message_id bigint, attachments jsonb)
    RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    PERFORM chat._check_attachments(attachments);
    IF jsonb_array_length(attachments) = 0
       AND (SELECT m.content IS NULL FROM chat.message m
             WHERE m.thread_id = _add_attachments.thread_id AND m.id = _add_attachments.message_id) THEN
        RAISE EXCEPTION 'argument "content" must not be null'
            USING ERRCODE = '22004', COLUMN = 'content', DETAIL = 'A message without content needs at least one attachment.';
    END IF;
    INSERT INTO chat.attachment (thread_id, message_id, position, key, name, mime, size, meta)
    SELECT _add_attachments.thread_id, _add_attachments.message_id, e.ordinality,
           e.value ->> 'key', e.value ->> 'name', e.value ->> 'mime',
           (e.value ->> 'size')::bigint, nullif(e.value -> 'meta', 'null')
      FROM jsonb_array_elements(attachments) WITH ORDINALITY e;
    /* the swapped model's rows, each from its attachment's "extra" (JSON null: none given) */
    IF EXISTS (SELECT 1 FROM chat.model m WHERE m.model = 'attachment' AND m.tbl IS NOT NULL)
       OR EXISTS (SELECT 1 FROM jsonb_array_elements(attachments) e WHERE jsonb_typeof(e.value -> 'extra') = 'object') THEN
        PERFORM chat._fill_model('attachment',
                                 jsonb_build_object('thread_id', _add_attachments.thread_id,
                                                    'message_id', _add_attachments.message_id,
                                                    'position', e.ordinality),
                                 nullif(e.value -> 'extra', 'null'))
           FROM jsonb_array_elements(attachments) WITH ORDINALITY e
          ORDER BY e.ordinality;
    END IF;
END
$$;
COMMENT ON FUNCTION chat._add_attachments(bigint, bigint, jsonb) IS
    'Check the attachments argument and store it as the message''s ordered attachment rows, with their swapped-model rows filled from each one''s extra';

CREATE OR REPLACE FUNCTION chat._attachment_list(thread bigint, message bigint) RETURNS jsonb
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT coalesce(jsonb_agg(jsonb_build_object('position', a.position, 'key', a.key, 'name', a.name,
                                                 'mime', a.mime, 'size', a.size, 'meta', a.meta)
                              || CASE WHEN x.extras IS NOT NULL
                                      THEN jsonb_build_object('extra', x.extras -> a.position::text)
                                      ELSE '{}' END
                              ORDER BY a.position), '[]')
      FROM chat.attachment a,
           (SELECT CASE WHEN EXISTS (SELECT 1 FROM chat.model m WHERE m.model = 'attachment' AND m.tbl IS NOT NULL)
                        THEN chat._part_extras('attachment', thread, message) END AS extras) x
     WHERE a.thread_id = thread AND a.message_id = message
$$;

CREATE OR REPLACE FUNCTION chat._check_attachments(attachments jsonb) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    lim integer := chat._setting_value('max_attachments')::integer;
    max_size bigint := (chat._setting_value('max_attachment_size') #>> '{}')::bigint;
    types jsonb := nullif(chat._setting_value('attachment_mime_types'), 'null');
    a jsonb;
    i bigint;
    f text;
BEGIN
    PERFORM chat._not_null(attachments, 'attachments');
    IF jsonb_typeof(attachments) <> 'array' THEN
        RAISE EXCEPTION 'attachments must be a JSON array'
            USING ERRCODE = '22023', COLUMN = 'attachments',
                  HINT = 'Give [{"key": "...", "name": "...", "mime": "...", "size": 123, "meta": {}, "extra": {}}, ...].';
    END IF;
    IF jsonb_array_length(attachments) > lim THEN
        RAISE EXCEPTION 'too many attachments'
            USING ERRCODE = '54000', COLUMN = 'attachments',
                  DETAIL = format('The message has %s attachments; the limit is %s.', jsonb_array_length(attachments), lim),
                  HINT = 'The limit is the setting "max_attachments".';
    END IF;
    FOR a, i IN SELECT e.value, e.ordinality FROM jsonb_array_elements(attachments) WITH ORDINALITY e LOOP
        IF jsonb_typeof(a) <> 'object' THEN
            RAISE EXCEPTION 'attachment % must be a JSON object', i USING ERRCODE = '22023', COLUMN = 'attachments';
        END IF;
        SELECT k INTO f FROM jsonb_object_keys(a) k
         WHERE k NOT IN ('key', 'name', 'mime', 'size', 'meta', 'extra') ORDER BY k LIMIT 1;
        IF FOUND THEN
            RAISE EXCEPTION 'attachment %: unknown field "%"', i, f
                USING ERRCODE = '22023', COLUMN = 'attachments',
                      HINT = 'The fields are "key", "name", "mime", "size", "meta" and "extra".';
        END IF;
        IF jsonb_typeof(a -> 'key') IS DISTINCT FROM 'string' OR chat._is_blank(a ->> 'key') THEN
            RAISE EXCEPTION 'attachment %: "key" must be a non-blank string', i USING ERRCODE = '22023', COLUMN = 'attachments';
        END IF;
        IF jsonb_typeof(a -> 'name') NOT IN ('string', 'null') THEN
            RAISE EXCEPTION 'attachment %: "name" must be a string', i USING ERRCODE = '22023', COLUMN = 'attachments';
        END IF;
        IF jsonb_typeof(a -> 'mime') NOT IN ('string', 'null')
           OR (a ->> 'mime') !~ '^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*$' THEN
            RAISE EXCEPTION 'attachment %: "mime" must be a MIME type such as "image/png"', i USING ERRCODE = '22023', COLUMN = 'attachments';
        END IF;
        IF jsonb_typeof(a -> 'size') NOT IN ('number', 'null') THEN
            RAISE EXCEPTION 'attachment %: "size" must be a whole number', i
                USING ERRCODE = '22023', COLUMN = 'attachments', DETAIL = 'The size is in bytes, 0 or more.';
        ELSIF jsonb_typeof(a -> 'size') = 'number' THEN
            IF (a ->> 'size')::numeric <> trunc((a ->> 'size')::numeric)
               OR (a ->> 'size')::numeric NOT BETWEEN 0 AND 9223372036854775807 THEN
                RAISE EXCEPTION 'attachment %: "size" must be a whole number', i
                    USING ERRCODE = '22023', COLUMN = 'attachments', DETAIL = 'The size is in bytes, 0 or more.';
            END IF;
        END IF;
        IF jsonb_typeof(a -> 'meta') NOT IN ('object', 'null') THEN
            RAISE EXCEPTION 'attachment %: "meta" must be a JSON object', i USING ERRCODE = '22023', COLUMN = 'attachments';
        END IF;
        IF jsonb_typeof(a -> 'extra') NOT IN ('object', 'null') THEN
            RAISE EXCEPTION 'attachment %: "extra" must be a JSON object', i
                USING ERRCODE = '22023', COLUMN = 'attachments',
                      HINT = 'Its fields fill the swapped attachment model''s table (chat.swap_model).';
        END IF;
        IF types IS NOT NULL AND (a ->> 'mime') IS NULL THEN
            RAISE EXCEPTION 'attachment %: "mime" is required', i
                USING ERRCODE = '22023', COLUMN = 'attachments',
                      DETAIL = 'The setting "attachment_mime_types" limits the types, so each attachment must give one.';
        END IF;
        IF types IS NOT NULL AND NOT EXISTS (
               SELECT 1 FROM jsonb_array_elements_text(types) t
                WHERE lower(t) IN (lower(a ->> 'mime'), lower(split_part(a ->> 'mime', '/', 1)) || '/*', '*/*')) THEN
            RAISE EXCEPTION 'attachment %: MIME type "%" is not allowed', i, chat._shown(a ->> 'mime')
                USING ERRCODE = '22023', COLUMN = 'attachments',
                      HINT = format('Allowed types are %s (the setting "attachment_mime_types").',
                                    (SELECT string_agg(format('"%s"', t), ', ') FROM jsonb_array_elements_text(types) t));
        END IF;
        IF max_size IS NOT NULL THEN
            IF (a ->> 'size') IS NULL THEN
                RAISE EXCEPTION 'attachment %: "size" is required', i
                    USING ERRCODE = '22023', COLUMN = 'attachments',
                          DETAIL = 'The setting "max_attachment_size" limits the size, so each attachment must give one.';
            END IF;
            IF (a ->> 'size')::numeric > max_size THEN
                RAISE EXCEPTION 'attachment % is too large', i
                    USING ERRCODE = '54000', COLUMN = 'attachments',
                          DETAIL = format('Its size is %s bytes; the limit is %s.', a ->> 'size', max_size),
                          HINT = 'The limit is the setting "max_attachment_size".';
            END IF;
        END IF;
    END LOOP;
END
$$;

CREATE FUNCTION chat._part_extras(model text, thread bigint, message bigint) RETURNS jsonb
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    md chat.model;
    k record;
    result jsonb;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM chat.model m WHERE m.model = _part_extras.model AND m.tbl IS NOT NULL) THEN
        RETURN NULL;
    END IF;
    md := chat._swapped(model);
    k := chat._model_key(model);
    IF model = 'reaction' THEN
        EXECUTE format('SELECT coalesce(jsonb_object_agg(e.reaction, e.extras), ''{}'')
                          FROM (SELECT x.reaction::text AS reaction,
                                       jsonb_object_agg(x.user_id::text, to_jsonb(x) - $3) AS extras
                                  FROM %s x
                                 WHERE x.thread_id = $1 AND x.message_id = $2
                                 GROUP BY x.reaction::text) e',
                       md.tbl)
            INTO result USING thread, message, k.keys;
    ELSIF model = 'attachment' THEN
        EXECUTE format('SELECT coalesce(jsonb_object_agg(x.position::text, to_jsonb(x) - $3), ''{}'')
                          FROM %s x
                         WHERE x.thread_id = $1 AND x.message_id = $2',
                       md.tbl)
            INTO result USING thread, message, k.keys;
    ELSE
        RAISE EXCEPTION 'chat._part_extras does not read model "%"', model;
    END IF;
    /* rendered here, after the query (chat._render_object) */
    IF md.renderer IS NOT NULL AND model = 'reaction' THEN
        result := (SELECT coalesce(jsonb_object_agg(e.key, chat._render_object(md.renderer::oid, e.value, true)), '{}')
                     FROM jsonb_each(result) e);
    ELSIF md.renderer IS NOT NULL THEN
        result := coalesce(chat._render_object(md.renderer::oid, result, true), '{}');
    END IF;
    RETURN result;
END
$$;
COMMENT ON FUNCTION chat._part_extras(text, bigint, bigint) IS
    'The rendered swapped-model rows of a message''s reactions (by reaction and user) or attachments (by position); NULL when the model is not swapped';
REVOKE EXECUTE ON FUNCTION chat._part_extras(text,bigint,bigint) FROM PUBLIC;

CREATE FUNCTION chat._reaction_key(m chat.message, who chat.user_id, reaction text) RETURNS jsonb
    LANGUAGE sql IMMUTABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT jsonb_build_object('thread_id', m.thread_id, 'message_id', m.id, 'user_id', who, 'reaction', reaction)
$$;
COMMENT ON FUNCTION chat._reaction_key(chat.message, chat.user_id, text) IS
    'The key of a reaction''s row in the swapped reaction model, as chat._fill_model takes it';
REVOKE EXECUTE ON FUNCTION chat._reaction_key(chat.message,chat.user_id,text) FROM PUBLIC;

CREATE OR REPLACE FUNCTION chat._reaction_summary(thread bigint, message bigint) RETURNS jsonb
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT coalesce(jsonb_agg(jsonb_build_object('reaction', s.reaction, 'count', s.n, 'users', s.users)
                              || CASE WHEN x.extras IS NOT NULL
                                      THEN jsonb_build_object('extra', coalesce(x.extras -> s.reaction, '{}'))
                                      ELSE '{}' END
                              ORDER BY s.first, s.reaction), '[]')
      FROM (SELECT r.reaction, count(*) AS n, jsonb_agg(r.user_id ORDER BY r.created_at, r.user_id) AS users,
                   min(r.created_at) AS first
              FROM chat.reaction r
             WHERE r.thread_id = thread AND r.message_id = message
             GROUP BY r.reaction) s,
           /* no call at all when nothing is swapped: messages reads a page of these */
           (SELECT CASE WHEN EXISTS (SELECT 1 FROM chat.model m WHERE m.model = 'reaction' AND m.tbl IS NOT NULL)
                        THEN chat._part_extras('reaction', thread, message) END AS extras) x
$$;

/* ---- sql/src/internal/membership.sql ---- */

CREATE OR REPLACE FUNCTION chat._create_room(kind chat.thread_kind, creator chat.user_id, title text,
                                  members chat.user_id[], is_public boolean, extra jsonb,
                                  object_type text DEFAULT NULL, object_id text DEFAULT NULL)
    RETURNS bigint
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    t chat.thread;
    n integer;
BEGIN
    PERFORM chat._check_new_size(kind, members, creator, 'members');
    INSERT INTO chat.thread AS th (kind, subject, created_by, is_public, object_type, object_id)
    VALUES (kind, title, creator, coalesce(is_public, false), object_type, object_id)
    RETURNING th.* INTO t;
    PERFORM chat._fill_extra('thread', t.id, NULL, NULL, extra);
    PERFORM chat._insert_members(t, ARRAY[creator], 'owner');
    t := chat._lock_thread(t.id);
    PERFORM chat._insert_members(t, array_remove(members, creator), 'member');
    /* the thread's creation before its first message, as clients apply them */
    /* read first: a statement reading chat.thread would run whole on a Citus worker, hooks and all */
    n := (SELECT th.member_count FROM chat.thread th WHERE th.id = t.id);
    PERFORM chat._emit('thread_created', t.id, NULL, creator,
                       jsonb_build_object('thread_kind', kind, 'member_count', n));
    PERFORM chat._system_message(t.id, creator,
                                 format('%s created the %s', chat._label(creator), chat._kind_word(kind)));
    RETURN t.id;
END
$$;

CREATE OR REPLACE FUNCTION chat._member_row(thread bigint, who chat.user_id, lock boolean DEFAULT false)
    RETURNS chat.member
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    m chat.member;
BEGIN
    IF lock THEN
        PERFORM FROM chat.thread t WHERE t.id = thread AND NOT t.large FOR SHARE;
        SELECT * INTO m FROM chat.member mb
         WHERE mb.thread_id = thread AND mb.user_id = who FOR UPDATE;
    ELSE
        SELECT * INTO m FROM chat.member mb
         WHERE mb.thread_id = thread AND mb.user_id = who;
    END IF;
    IF NOT FOUND THEN
        IF NOT EXISTS (SELECT 1 FROM chat.thread t WHERE t.id = thread) THEN
            RAISE EXCEPTION 'thread % does not exist', thread USING ERRCODE = '42704';
        END IF;
        RAISE EXCEPTION 'user "%" is not a member of thread %', who, thread
            USING ERRCODE = '42501', CONSTRAINT = 'not_member';
    END IF;
    RETURN m;
END
$$;

CREATE OR REPLACE FUNCTION chat._remove(t chat.thread, m chat.member, actor chat.user_id, content text) RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    PERFORM chat._system_message(t.id, actor, content);
    DELETE FROM chat.member mb WHERE mb.thread_id = t.id AND mb.user_id = m.user_id;
    /* the removed member is told too: it no longer receives the thread's events */
    PERFORM chat._emit('member_removed', t.id, NULL, m.user_id, jsonb_build_object('by', actor),
                       ARRAY[m.user_id]);
END
$$;

/* ---- sql/src/internal/mentions.sql ---- */

CREATE FUNCTION chat._check_mentions(mentions chat.user_id[]) RETURNS void
    LANGUAGE plpgsql IMMUTABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF array_ndims(mentions) > 1 THEN
        RAISE EXCEPTION 'mentions must be a one-dimensional array' USING ERRCODE = '22023', COLUMN = 'mentions';
    END IF;
    IF array_position(mentions, NULL) IS NOT NULL THEN
        RAISE EXCEPTION 'mentions must not contain null' USING ERRCODE = '22004', COLUMN = 'mentions';
    END IF;
    IF cardinality(mentions) > 1000 THEN
        RAISE EXCEPTION 'too many mentions' USING ERRCODE = '54000', COLUMN = 'mentions',
            DETAIL = format('The list has %s user ids; the limit is 1000.', cardinality(mentions));
    END IF;
END
$$;
COMMENT ON FUNCTION chat._check_mentions(chat.user_id[]) IS
    'Raise 22023 for a list of mentions of more than one dimension, 22004 for one with NULL, 54000 for more than 1000 ids';
REVOKE EXECUTE ON FUNCTION chat._check_mentions(chat.user_id[]) FROM PUBLIC;

CREATE FUNCTION chat._mentions_between(thread bigint, reader chat.user_id, lo bigint, hi bigint)
    RETURNS bigint
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT count(*) FROM chat.message m
     WHERE m.thread_id = thread AND m.id > lo AND m.id <= hi AND m.mentions IS NOT NULL
       AND reader = ANY (m.mentions)
$$;
COMMENT ON FUNCTION chat._mentions_between(bigint, chat.user_id, bigint, bigint) IS
    'How many messages lo < id <= hi of the thread mention the member';
REVOKE EXECUTE ON FUNCTION chat._mentions_between(bigint,chat.user_id,bigint,bigint) FROM PUBLIC;

CREATE FUNCTION chat._parse_mentions(content text) RETURNS chat.user_id[]
    LANGUAGE c STABLE STRICT
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'chat_parse_mentions_sql';
COMMENT ON FUNCTION chat._parse_mentions(text) IS
    'The user ids of the text''s "@{id}" mentions in order (repeats kept); NULL when none (src/mention.c)';
REVOKE EXECUTE ON FUNCTION chat._parse_mentions(text) FROM PUBLIC;

/* ---- sql/src/internal/models.sql ---- */

CREATE FUNCTION chat._copy_attachment_rows(from_thread bigint, from_message bigint,
                                           to_thread bigint, to_message bigint)
    RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    md chat.model := chat._swapped('attachment');
    cols text;
    xcols text;
BEGIN
    IF md IS NULL THEN
        RETURN;
    END IF;
    SELECT string_agg(format(', %I', a.attname), '' ORDER BY a.attnum),
           string_agg(format(', x.%I', a.attname), '' ORDER BY a.attnum) INTO cols, xcols
      FROM pg_attribute a
     WHERE a.attrelid = md.tbl AND a.attnum > 0 AND NOT a.attisdropped
       AND a.attgenerated = '' AND a.attidentity <> 'a'
       AND a.attname NOT IN ('thread_id', 'message_id', 'position');
    EXECUTE format('INSERT INTO %1$s (thread_id, message_id, position%2$s)
                    SELECT $3, $4, x.position%3$s FROM %1$s x
                     WHERE x.thread_id = $1 AND x.message_id = $2',
                   md.tbl, coalesce(cols, ''), coalesce(xcols, ''))
        USING from_thread, from_message, to_thread, to_message;
    EXECUTE format('INSERT INTO %s (thread_id, message_id, position)
                    SELECT a.thread_id, a.message_id, a.position FROM chat.attachment a
                     WHERE a.thread_id = $1 AND a.message_id = $2
                       AND NOT EXISTS (SELECT FROM %s x
                                        WHERE x.thread_id = a.thread_id AND x.message_id = a.message_id
                                          AND x.position = a.position)',
                   md.tbl, md.tbl)
        USING to_thread, to_message;
END
$$;
COMMENT ON FUNCTION chat._copy_attachment_rows(bigint, bigint, bigint, bigint) IS
    'Give a forwarded message''s attachments the swapped table''s rows of the originals (defaults when an original has none)';
REVOKE EXECUTE ON FUNCTION chat._copy_attachment_rows(bigint,bigint,bigint,bigint) FROM PUBLIC;

CREATE FUNCTION chat._extra_fields(model text, tbl regclass, keys text[], extra jsonb,
                                   OUT cols text, OUT vals text, OUT coldefs text)
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
#variable_conflict use_variable
DECLARE
    field text;
    att pg_attribute;
    coldef text;
BEGIN
    cols := '';
    vals := '';
    coldefs := '';
    FOR field IN SELECT e.key FROM jsonb_object_keys(coalesce(extra, '{}')) AS e(key) ORDER BY e.key LOOP
        SELECT * INTO att FROM pg_attribute a
         WHERE a.attrelid = tbl AND a.attname = field AND a.attnum > 0 AND NOT a.attisdropped;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'unknown field "%" for model "%"', chat._shown(field), model
                USING ERRCODE = '22023', COLUMN = 'extra',
                      HINT = format('The fields of model "%s" are the columns of %s: %s.', model, tbl,
                                    (SELECT string_agg(format('"%s"', a.attname), ', ' ORDER BY a.attnum)
                                       FROM pg_attribute a
                                      WHERE a.attrelid = tbl AND a.attnum > 0 AND NOT a.attisdropped
                                        AND a.attname <> ALL (keys)));
        END IF;
        IF field = ANY (keys) THEN
            RAISE EXCEPTION 'field "%" of model "%" cannot be set', field, model
                USING ERRCODE = '22023', COLUMN = 'extra',
                      DETAIL = format('(%s) is the key, which chat fills from the new %s.',
                                      array_to_string(keys, ', '), model);
        END IF;
        IF att.attgenerated <> '' OR att.attidentity = 'a' THEN
            RAISE EXCEPTION 'field "%" of model "%" cannot be set', field, model
                USING ERRCODE = '22023', COLUMN = 'extra',
                      DETAIL = format('Column "%s" of %s is generated.', field, tbl);
        END IF;
        coldef := format('%I %s', att.attname, format_type(att.atttypid, att.atttypmod));
        BEGIN
            EXECUTE format('SELECT FROM pg_catalog.jsonb_to_record($1) AS r(%s)', coldef)
                USING jsonb_build_object(field, extra -> field);
        EXCEPTION WHEN others THEN
            RAISE EXCEPTION 'invalid value for field "%": "%"', field, chat._shown(extra ->> field)
                USING ERRCODE = '22P02', COLUMN = 'extra',
                      DETAIL = format('Field "%s" of model "%s" has the type %s.', field, model,
                                      format_type(att.atttypid, att.atttypmod));
        END;
        cols := cols || format(', %I', att.attname);
        vals := vals || format(', r.%I', att.attname);
        coldefs := coldefs || format(', %s', coldef);
    END LOOP;
END
$$;
REVOKE EXECUTE ON FUNCTION chat._extra_fields(text,regclass,text[],jsonb) FROM PUBLIC;

CREATE OR REPLACE FUNCTION chat._extras(model text, thread_ids bigint[], message_ids bigint[] DEFAULT NULL)
    RETURNS jsonb
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    md chat.model := chat._swapped(model);
    k record := chat._model_key(model);
    result jsonb;
BEGIN
    IF md IS NULL THEN
        RETURN NULL;
    END IF;
    IF model = 'message' THEN
        EXECUTE format('SELECT jsonb_object_agg(x.message_id::text, to_jsonb(x) - $3) FROM %s x
                         WHERE x.thread_id = ANY ($1) AND x.message_id = ANY ($2)', md.tbl)
            INTO result USING thread_ids, message_ids, k.keys;
    ELSIF model = 'thread' THEN
        EXECUTE format('SELECT jsonb_object_agg(x.thread_id::text, to_jsonb(x) - $3) FROM %s x
                         WHERE x.thread_id = ANY ($1)', md.tbl)
            INTO result USING thread_ids, message_ids, k.keys;
    ELSE
        RAISE EXCEPTION 'chat._extras does not read model "%"', model;
    END IF;
    IF md.renderer IS NOT NULL THEN
        result := chat._render_object(md.renderer::oid, result, false);
    END IF;
    RETURN result;
END
$$;

CREATE OR REPLACE FUNCTION chat._fill_extra(model text, thread_id bigint, message_id bigint,
                                 user_id chat.user_id, extra jsonb)
    RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
#variable_conflict use_variable
DECLARE
    md chat.model;
    k record;
    cols text;
    vals text;
    coldefs text;
    keyargs text;
BEGIN
    IF extra IS NULL AND NOT EXISTS (SELECT 1 FROM chat.model m
                                      WHERE m.model = _fill_extra.model AND m.tbl IS NOT NULL) THEN
        RETURN;
    END IF;
    k := chat._model_key(model);
    IF model NOT IN ('message', 'thread', 'member') THEN
        /* reactions and attachments: chat._fill_model; notifications: chat._expand_notifications */
        RAISE EXCEPTION 'chat._fill_extra does not fill model "%"', model;
    END IF;
    md := chat._swapped(model);
    IF md IS NULL THEN
        RAISE EXCEPTION 'extra needs a swapped model'
            USING ERRCODE = '22023', COLUMN = 'extra',
                  DETAIL = format('No table extends model "%s", so its extra fields have nowhere to go.', model),
                  HINT = format('Register a table extending model "%s" with chat.swap_model(''%s'', table).',
                                model, model);
    END IF;
    IF extra IS NOT NULL AND jsonb_typeof(extra) <> 'object' THEN
        RAISE EXCEPTION 'extra must be a JSON object'
            USING ERRCODE = '22023', COLUMN = 'extra',
                  DETAIL = format('The value given is a JSON %s.', jsonb_typeof(extra)),
                  HINT = 'Pass the fields by name: ''{"priority": "high"}''.';
    END IF;
    PERFORM chat._not_null(thread_id, 'thread_id');
    IF model = 'message' THEN
        PERFORM chat._not_null(message_id, 'message_id');
    ELSIF model = 'member' THEN
        PERFORM chat._not_null(user_id, 'user_id');
    END IF;

    SELECT f.cols, f.vals, f.coldefs INTO cols, vals, coldefs FROM chat._extra_fields(model, md.tbl, k.keys, extra) f;

    /*
     * $1 thread_id, $2 message_id, $3 user_id, $4 extra.  On a cluster the
     * fields go as literals of a one-row VALUES, which Citus routes keeping
     * the SQLSTATE of the table's errors (chat._citus_literals).
     */
    keyargs := CASE model WHEN 'message' THEN '$1, $2' WHEN 'thread' THEN '$1' ELSE '$1, $3' END;
    EXECUTE format('INSERT INTO %s (%s%s) %s',
                   md.tbl, (SELECT string_agg(format('%I', kc), ', ') FROM unnest(k.keys) kc), cols,
                   CASE WHEN chat._citus()
                        THEN format('VALUES (%s%s)', keyargs,
                                    CASE WHEN coldefs <> '' THEN ', ' || chat._citus_literals(extra, NULL, coldefs) ELSE '' END)
                        ELSE format('SELECT %s%s%s', keyargs, vals,
                                    CASE WHEN coldefs <> ''
                                         THEN format(' FROM pg_catalog.jsonb_to_record($4) AS r(%s)', substr(coldefs, 3))
                                         ELSE '' END)
                   END)
        USING thread_id, message_id, user_id, coalesce(extra, '{}');
END
$$;

CREATE FUNCTION chat._fill_model(model text, key jsonb, extra jsonb, check_only boolean DEFAULT false)
    RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
#variable_conflict use_variable
DECLARE
    md chat.model;
    k record;
    coldef text;
    cols text;
    vals text;
    coldefs text;
BEGIN
    IF extra IS NULL AND NOT EXISTS (SELECT 1 FROM chat.model m
                                      WHERE m.model = _fill_model.model AND m.tbl IS NOT NULL) THEN
        RETURN;
    END IF;
    k := chat._model_key(model);
    md := chat._swapped(model);
    IF md IS NULL THEN
        RAISE EXCEPTION 'extra needs a swapped model'
            USING ERRCODE = '22023', COLUMN = 'extra',
                  DETAIL = format('No table extends model "%s", so its extra fields have nowhere to go.', model),
                  HINT = format('Register a table extending model "%s" with chat.swap_model(''%s'', table).',
                                model, model);
    END IF;
    IF extra IS NOT NULL AND jsonb_typeof(extra) <> 'object' THEN
        RAISE EXCEPTION 'extra must be a JSON object'
            USING ERRCODE = '22023', COLUMN = 'extra',
                  DETAIL = format('The value given is a JSON %s.', jsonb_typeof(extra)),
                  HINT = 'Pass the fields by name: ''{"weight": 2}''.';
    END IF;

    SELECT f.cols, f.coldefs INTO cols, coldefs FROM chat._extra_fields(model, md.tbl, k.keys, extra) f;
    IF check_only THEN
        RETURN;
    END IF;

    /* the key columns with the types of the application's table, then the fields */
    SELECT string_agg(format('%I', a.attname), ', ' ORDER BY u.i),
           string_agg(format('%I %s', a.attname, format_type(a.atttypid, a.atttypmod)), ', ' ORDER BY u.i)
      INTO vals, coldef
      FROM unnest(k.keys) WITH ORDINALITY AS u(kc, i)
      JOIN pg_attribute a ON a.attrelid = md.tbl AND a.attname = u.kc AND a.attnum > 0 AND NOT a.attisdropped;
    /* on a cluster one routed row of literals, as in chat._fill_extra */
    EXECUTE format('INSERT INTO %s (%s%s) %s', md.tbl, vals, cols,
                   CASE WHEN chat._citus()
                        THEN format('VALUES (%s)', chat._citus_literals(coalesce(extra, '{}') || key, k.keys,
                                                                        ', ' || coldef || coldefs))
                        ELSE format('SELECT %s%s FROM pg_catalog.jsonb_to_record($1) AS r(%s%s)', vals, cols, coldef, coldefs)
                   END)
        USING coalesce(extra, '{}') || key;
END
$$;
COMMENT ON FUNCTION chat._fill_model(text, jsonb, jsonb, boolean) IS
    'Insert the swapped table''s row of a reaction or attachment just created, its key from key and its fields from extra (22023 for extra without a swapped model)';
REVOKE EXECUTE ON FUNCTION chat._fill_model(text,jsonb,jsonb,boolean) FROM PUBLIC;

CREATE OR REPLACE FUNCTION chat._model_key(model text, OUT keys text[], OUT target regclass, OUT target_keys text[])
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    PERFORM chat._not_null(model, 'model');
    CASE model
        WHEN 'message' THEN
            keys := '{thread_id,message_id}'; target := 'chat.message'; target_keys := '{thread_id,id}';
        WHEN 'thread' THEN
            keys := '{thread_id}'; target := 'chat.thread'; target_keys := '{id}';
        WHEN 'member' THEN
            keys := '{thread_id,user_id}'; target := 'chat.member'; target_keys := '{thread_id,user_id}';
        WHEN 'notification' THEN
            keys := '{notification_id}'; target := 'chat.notification'; target_keys := '{id}';
        WHEN 'reaction' THEN
            keys := '{thread_id,message_id,user_id,reaction}'; target := 'chat.reaction';
            target_keys := '{thread_id,message_id,user_id,reaction}';
        WHEN 'attachment' THEN
            keys := '{thread_id,message_id,position}'; target := 'chat.attachment';
            target_keys := '{thread_id,message_id,position}';
        ELSE
            RAISE EXCEPTION 'unknown model "%"', chat._shown(model)
                USING ERRCODE = '22023',
                      HINT = 'The models are "message", "thread", "member", "reaction", "attachment" and "notification".';
    END CASE;
END
$$;

CREATE FUNCTION chat._render_object(fn oid, obj jsonb, keep_null boolean) RETURNS jsonb
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    RETURN (SELECT jsonb_object_agg(e.key, coalesce(r.v, 'null'::jsonb))
              FROM jsonb_each(obj) e, LATERAL (SELECT chat._render(fn, e.value) AS v) r
             WHERE keep_null OR r.v IS NOT NULL);
END
$$;
COMMENT ON FUNCTION chat._render_object(oid, jsonb, boolean) IS
    'Each value of an object of extras through a renderer, on this node (after the query that read them)';
REVOKE EXECUTE ON FUNCTION chat._render_object(oid,jsonb,boolean) FROM PUBLIC;

/* ---- sql/src/internal/notifications.sql ---- */

CREATE FUNCTION chat._check_range(value integer, lo integer, hi integer, name text) RETURNS void
    LANGUAGE plpgsql IMMUTABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF value < lo OR value > hi THEN
        RAISE EXCEPTION '% must be between % and %', name, lo, hi
            USING ERRCODE = '22023', COLUMN = name,
                  DETAIL = format('The %s given was %s.', name, value);
    END IF;
END
$$;
COMMENT ON FUNCTION chat._check_range(integer, integer, integer, text) IS
    'Raise 22023 naming the argument unless the value is within lo .. hi (NULL passes)';
REVOKE EXECUTE ON FUNCTION chat._check_range(integer,integer,integer,text) FROM PUBLIC;

CREATE FUNCTION chat._expand_notifications() RETURNS bigint
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    nf chat.notifier;
    s_from pg_snapshot;
    s_to pg_snapshot;
    budget bigint;
    n_cand bigint;
    n_taken bigint;
    last_xid xid8;
    last_seq bigint;
    t_threads bigint[];
    t_messages bigint[];
    t_seqs bigint[];
    n bigint;
BEGIN
    SELECT * INTO nf FROM chat.notifier FOR UPDATE SKIP LOCKED;
    IF NOT FOUND THEN
        /* another worker is expanding; or the row is missing, then from now on */
        INSERT INTO chat.notifier (cursor) SELECT chat._cursor()
         WHERE NOT EXISTS (SELECT FROM chat.notifier)
        ON CONFLICT ON CONSTRAINT notifier_pkey DO NOTHING;
        RETURN 0;
    END IF;
    s_from := chat._cursor_snapshot(nf.cursor);
    IF nf.window_end IS NOT NULL THEN
        s_to := chat._cursor_snapshot(nf.window_end);
    END IF;
    IF s_from IS NULL OR (nf.window_end IS NOT NULL AND s_to IS NULL) THEN
        /* a cursor of another database (made from a template): from now on */
        UPDATE chat.notifier SET cursor = chat._cursor(), window_end = NULL, done_xid = NULL, done_seq = NULL;
        RETURN 0;
    END IF;
    IF chat._cursor_expired(s_from) THEN
        RAISE WARNING 'messages sent before % were not all notified', now()
            USING DETAIL = 'Events were pruned, or the cursor is of another cluster, before chat.claim_notifications expanded them.',
                  HINT = 'Claim notifications more often than event_retention_days.';
        UPDATE chat.notifier SET cursor = chat._cursor(), window_end = NULL, done_xid = NULL, done_seq = NULL;
        RETURN 0;
    END IF;
    IF s_to IS NULL THEN
        nf.window_end := chat._cursor();
        s_to := chat._cursor_snapshot(nf.window_end);
    END IF;
    budget := chat._setting_value('notification_expand_limit')::bigint;

    /*
     * The window's next messages, then their notifications: two statements,
     * the messages passed as arrays (on Citus an INSERT into the local
     * chat.notification cannot read a CTE over the distributed tables).
     */
    WITH cand AS (
        SELECT e.xid, e.seq, e.thread_id, m.id AS message_id,
               greatest(coalesce(t.member_count, 0), 1)::bigint AS weight
          FROM chat.event e
          JOIN chat.message m ON m.thread_id = e.thread_id AND m.id = (e.payload ->> 'message_id')::bigint
          LEFT JOIN chat.thread t ON t.id = e.thread_id
         WHERE e.xid >= pg_snapshot_xmin(s_from) AND e.xid < pg_snapshot_xmax(s_to)
           AND (nf.done_xid IS NULL OR (e.xid, e.seq) > (nf.done_xid, nf.done_seq))
           AND e.event = 'message_sent' AND e.payload ->> 'kind' = 'text'
           AND NOT pg_visible_in_snapshot(e.xid, s_from) AND pg_visible_in_snapshot(e.xid, s_to)
           AND m.kind = 'text' AND m.deleted_at IS NULL
         ORDER BY e.xid, e.seq
         LIMIT budget + 1
    ), run AS (
        SELECT c.*, sum(c.weight) OVER (ORDER BY c.xid, c.seq) - c.weight AS before FROM cand c
    ), taken AS (
        SELECT r.* FROM run r WHERE r.before < budget
    )
    SELECT (SELECT count(*) FROM cand), (SELECT count(*) FROM taken),
           (SELECT t.xid FROM taken t ORDER BY t.xid DESC, t.seq DESC LIMIT 1),
           (SELECT t.seq FROM taken t ORDER BY t.xid DESC, t.seq DESC LIMIT 1),
           ARRAY(SELECT t.thread_id FROM taken t ORDER BY t.xid, t.seq),
           ARRAY(SELECT t.message_id FROM taken t ORDER BY t.xid, t.seq),
           ARRAY(SELECT t.seq FROM taken t ORDER BY t.xid, t.seq)
      INTO n_cand, n_taken, last_xid, last_seq, t_threads, t_messages, t_seqs;

    n := chat._notify_members(t_threads, t_messages, t_seqs);

    IF n_taken = n_cand AND n_cand <= budget THEN
        /* the window is done: the next one starts where it ended */
        UPDATE chat.notifier SET cursor = nf.window_end, window_end = NULL, done_xid = NULL, done_seq = NULL;
    ELSE
        UPDATE chat.notifier SET window_end = nf.window_end, done_xid = last_xid, done_seq = last_seq;
    END IF;

    RETURN n;
END
$$;
COMMENT ON FUNCTION chat._expand_notifications() IS
    'Expand the messages committed since the notifier''s cursor into notifications, at most about notification_expand_limit per call; nothing when another worker holds the cursor';
REVOKE EXECUTE ON FUNCTION chat._expand_notifications() FROM PUBLIC;

CREATE FUNCTION chat._notification_extras(ids bigint[]) RETURNS jsonb
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    md chat.model := chat._swapped('notification');
    result jsonb;
BEGIN
    IF md IS NULL THEN
        RETURN NULL;
    END IF;
    EXECUTE format($q$SELECT jsonb_object_agg(x.notification_id::text, to_jsonb(x) - 'notification_id')
                        FROM %s x WHERE x.notification_id = ANY ($1)$q$, md.tbl)
        INTO result USING ids;
    /* rendered after the query, as the other models' extras (chat._render_object) */
    IF md.renderer IS NOT NULL THEN
        result := chat._render_object(md.renderer::oid, result, false);
    END IF;
    RETURN result;
END
$$;
COMMENT ON FUNCTION chat._notification_extras(bigint[]) IS
    'The rendered extra of the given notifications, keyed by id (one query for a claimed batch)';
REVOKE EXECUTE ON FUNCTION chat._notification_extras(bigint[]) FROM PUBLIC;

CREATE FUNCTION chat._notify_members(t_threads bigint[], t_messages bigint[], t_seqs bigint[]) RETURNS bigint
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    ids bigint[];
    md chat.model;
BEGIN
    WITH ins AS (
        INSERT INTO chat.notification (user_id, thread_id, message_id, seq)
        SELECT mb.user_id, t.thread_id, t.message_id, t.seq
          FROM unnest(t_threads, t_messages, t_seqs) WITH ORDINALITY AS t (thread_id, message_id, seq, ord)
          JOIN chat.message m ON m.thread_id = t.thread_id AND m.id = t.message_id
          JOIN chat.member mb ON mb.thread_id = t.thread_id
         WHERE mb.user_id IS DISTINCT FROM m.sender_id AND mb.read_id < t.message_id
           AND CASE mb.notify_level WHEN 'all' THEN NOT mb.muted
                                    WHEN 'mentions' THEN coalesce(mb.user_id = ANY (m.mentions), false)
                                    ELSE false END
         ORDER BY t.ord, mb.user_id
        ON CONFLICT ON CONSTRAINT notification_message_user_key DO NOTHING
        RETURNING id
    )
    SELECT ARRAY(SELECT i.id FROM ins i) INTO ids;

    /* the swapped model: a row of defaults per new notification, as for other records */
    IF cardinality(ids) > 0 AND EXISTS (SELECT 1 FROM chat.model m WHERE m.model = 'notification' AND m.tbl IS NOT NULL) THEN
        md := chat._swapped('notification');
        EXECUTE format('INSERT INTO %s (notification_id) SELECT pg_catalog.unnest($1)', md.tbl) USING ids;
    END IF;
    RETURN cardinality(ids);
END
$$;
COMMENT ON FUNCTION chat._notify_members(bigint[], bigint[], bigint[]) IS
    'Write the notifications of the given messages, one per member to notify (chat._expand_notifications); returns how many';
REVOKE EXECUTE ON FUNCTION chat._notify_members(bigint[],bigint[],bigint[]) FROM PUBLIC;

CREATE FUNCTION chat._set_notification_extra(notification_id bigint, extra jsonb) RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
#variable_conflict use_variable
DECLARE
    md chat.model;
    cols text;
    vals text;
    coldefs text;
    sets text;
BEGIN
    md := chat._swapped('notification');
    IF md IS NULL THEN
        RAISE EXCEPTION 'extra needs a swapped model'
            USING ERRCODE = '22023', COLUMN = 'extra',
                  DETAIL = 'No table extends model "notification", so its extra fields have nowhere to go.',
                  HINT = 'Register a table extending model "notification" with chat.swap_model(''notification'', table).';
    END IF;
    IF jsonb_typeof(extra) <> 'object' THEN
        RAISE EXCEPTION 'extra must be a JSON object'
            USING ERRCODE = '22023', COLUMN = 'extra',
                  DETAIL = format('The value given is a JSON %s.', jsonb_typeof(extra)),
                  HINT = 'Pass the fields by name: ''{"provider_id": "abc"}''.';
    END IF;
    SELECT f.cols, f.vals, f.coldefs INTO cols, vals, coldefs
      FROM chat._extra_fields('notification', md.tbl, ARRAY['notification_id'], extra) f;
    IF coldefs = '' THEN
        EXECUTE format('INSERT INTO %s (notification_id) VALUES ($1) ON CONFLICT (notification_id) DO NOTHING', md.tbl)
            USING notification_id;
    ELSE
        /* every field of extra is the exact name of a column (chat._extra_fields checked) */
        sets := (SELECT string_agg(format('%I = excluded.%I', e.key, e.key), ', ' ORDER BY e.key)
                   FROM jsonb_object_keys(extra) AS e(key));
        EXECUTE format('INSERT INTO %s (notification_id%s) SELECT $1%s FROM pg_catalog.jsonb_to_record($2) AS r(%s)
                        ON CONFLICT (notification_id) DO UPDATE SET %s',
                       md.tbl, cols, vals, substr(coldefs, 3), sets)
            USING notification_id, extra;
    END IF;
END
$$;
COMMENT ON FUNCTION chat._set_notification_extra(bigint, jsonb) IS
    'Write the fields of extra into the swapped notification model''s row of a notification (22023 without a swapped model)';
REVOKE EXECUTE ON FUNCTION chat._set_notification_extra(bigint,jsonb) FROM PUBLIC;

/* ---- sql/src/internal/permissions.sql ---- */

CREATE OR REPLACE FUNCTION chat._change_permission(thread bigint, actor chat.user_id, member chat.user_id,
                                        permission text, add boolean)
    RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    a chat.member;
    m chat.member;
BEGIN
    PERFORM chat._not_null(thread, 'thread_id');
    PERFORM chat._not_null(actor, 'actor');
    PERFORM chat._not_null(member, 'member');
    PERFORM chat._check_permission(permission);
    PERFORM chat._lock_thread(thread);
    a := chat._member_row(thread, actor);
    SELECT * INTO m FROM chat.member mb WHERE mb.thread_id = thread AND mb.user_id = member FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'user "%" is not a member of thread %', member, thread USING ERRCODE = '42704';
    END IF;
    PERFORM chat._require_manager(a, m, CASE WHEN add THEN 'grant permissions' ELSE 'revoke permissions' END);
    IF add AND a.role <> 'owner' AND NOT (permission = ANY (a.permissions)) THEN
        RAISE EXCEPTION 'permission denied to grant "%" in thread %', permission, thread
            USING ERRCODE = '42501', CONSTRAINT = 'missing_permission',
                  DETAIL = 'An admin grants only permissions it holds itself; the owner grants any.';
    END IF;
    UPDATE chat.member mb
       SET permissions = CASE WHEN add THEN array(SELECT DISTINCT p FROM unnest(mb.permissions || permission) AS p ORDER BY p)
                              ELSE array_remove(mb.permissions, permission) END
     WHERE mb.thread_id = thread AND mb.user_id = member
    RETURNING mb.* INTO m;
    PERFORM chat._emit('member_updated', thread, NULL, member,
                       jsonb_build_object('by', actor, 'role', m.role, 'permissions', m.permissions));
END
$$;

/* ---- sql/src/internal/profile.sql ---- */

CREATE FUNCTION chat._check_profile_text(value text, name text, limit_setting text) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    lim integer;
BEGIN
    IF value IS NULL OR value = '' THEN
        RETURN;
    END IF;
    IF chat._is_blank(value) THEN
        RAISE EXCEPTION '% must not be blank', name
            USING ERRCODE = '22023', COLUMN = name, HINT = 'An empty string clears it.';
    END IF;
    lim := chat._setting_value(limit_setting)::integer;
    IF char_length(value) > lim THEN
        RAISE EXCEPTION '% is too long', name
            USING ERRCODE = '22001', COLUMN = name,
                  DETAIL = format('The %s has %s characters; the limit is %s.', name, char_length(value), lim),
                  HINT = format('The limit is the setting "%s".', limit_setting);
    END IF;
END
$$;
REVOKE EXECUTE ON FUNCTION chat._check_profile_text(text,text,text) FROM PUBLIC;

/* ---- sql/src/internal/search.sql ---- */

CREATE FUNCTION chat._check_query(query text) RETURNS void
    LANGUAGE plpgsql IMMUTABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF chat._is_blank(query) THEN
        RAISE EXCEPTION 'query must not be blank' USING ERRCODE = '22023', COLUMN = 'query';
    END IF;
    IF char_length(query) > 1000 THEN
        RAISE EXCEPTION 'query is too long'
            USING ERRCODE = '22001', COLUMN = 'query',
                  DETAIL = format('The query has %s characters; the limit is 1000.', char_length(query));
    END IF;
END
$$;
REVOKE EXECUTE ON FUNCTION chat._check_query(text) FROM PUBLIC;

CREATE FUNCTION chat._check_ts_config(key text, value jsonb) RETURNS jsonb
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    cfg oid;
    qualified text;
    temp boolean;
BEGIN
    IF jsonb_typeof(value) <> 'string' OR chat._is_blank(value #>> '{}') THEN
        RAISE EXCEPTION 'invalid value for setting "%": %', key, chat._shown(value::text)
            USING ERRCODE = '22023', COLUMN = 'value',
                  DETAIL = 'The setting takes the name of a text search configuration, such as "english" or "pg_catalog.simple".';
    END IF;
    BEGIN
        cfg := (value #>> '{}')::regconfig;
    EXCEPTION WHEN OTHERS THEN
        cfg := NULL;
    END;
    SELECT CASE WHEN n.nspname = 'pg_catalog' THEN quote_ident(c.cfgname) ELSE format('%I.%I', n.nspname, c.cfgname) END,
           n.oid = pg_my_temp_schema() OR n.nspname ~ '^pg_temp_'
      INTO qualified, temp
      FROM pg_ts_config c JOIN pg_namespace n ON n.oid = c.cfgnamespace
     WHERE c.oid = cfg;
    IF qualified IS NULL OR temp THEN
        RAISE EXCEPTION 'text search configuration "%" does not exist', chat._shown(value #>> '{}')
            USING ERRCODE = '22023', COLUMN = 'value',
                  HINT = 'SELECT cfgname FROM pg_ts_config lists the configurations (temporary ones cannot be used).';
    END IF;
    RETURN to_jsonb(qualified);
END
$$;
COMMENT ON FUNCTION chat._check_ts_config(text, jsonb) IS
    'Raise 22023 unless the value names an existing, permanent text search configuration; returns the name to store (pg_catalog''s without schema)';
REVOKE EXECUTE ON FUNCTION chat._check_ts_config(text,jsonb) FROM PUBLIC;

CREATE FUNCTION chat._message_search() RETURNS trigger
    LANGUAGE c
    AS 'MODULE_PATHNAME', 'chat_message_search';
COMMENT ON FUNCTION chat._message_search() IS
    'Sets chat.message.search_vector of an edited message from its content, under the setting search_config (new messages: chat._message_insert; src/search.c)';
REVOKE EXECUTE ON FUNCTION chat._message_search() FROM PUBLIC;

CREATE FUNCTION chat._prefix_query(query text) RETURNS tsquery
    LANGUAGE sql IMMUTABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT nullif(string_agg(format('''%s'':*', replace(replace(w.lexeme, '\', '\\'), '''', '''''')), ' & '), '')::tsquery
      FROM unnest(to_tsvector('pg_catalog.simple'::regconfig, query)) w
$$;
COMMENT ON FUNCTION chat._prefix_query(text) IS
    'A directory query as a tsquery: each word, configuration simple, matched as a prefix; NULL without words';
REVOKE EXECUTE ON FUNCTION chat._prefix_query(text) FROM PUBLIC;

CREATE FUNCTION chat._search_config() RETURNS regconfig
    LANGUAGE c STABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'chat_search_config';
COMMENT ON FUNCTION chat._search_config() IS
    'The text search configuration of the setting search_config, pg_catalog.simple when it no longer exists (src/search.c)';
REVOKE EXECUTE ON FUNCTION chat._search_config() FROM PUBLIC;

CREATE FUNCTION chat._search_config_changed(old_value jsonb, new_value jsonb) RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    names text[] := parse_ident(new_value #>> '{}');
    cfg regconfig;
BEGIN
    IF old_value IS NOT DISTINCT FROM new_value THEN
        RETURN;
    END IF;
    IF cardinality(names) = 1 THEN
        names := ARRAY['pg_catalog'] || names;
    END IF;
    cfg := format('%I.%I', names[1], names[2])::regconfig;
    UPDATE chat.message m
       SET search_vector = nullif(to_tsvector(cfg, m.content), ''::tsvector)
     WHERE m.kind = 'text' AND m.content IS NOT NULL
       AND m.search_vector IS DISTINCT FROM nullif(to_tsvector(cfg, m.content), ''::tsvector);
END
$$;
COMMENT ON FUNCTION chat._search_config_changed(jsonb, jsonb) IS
    'After search_config changed from old_value to new_value: the words of every text message under the new configuration';
REVOKE EXECUTE ON FUNCTION chat._search_config_changed(jsonb,jsonb) FROM PUBLIC;

CREATE FUNCTION chat._search_query(cfg regconfig, query text) RETURNS tsquery
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    /* websearch_to_tsquery says NOTICE when it drops stop words */
    SET client_min_messages = warning
    AS $$
DECLARE
    q tsquery := websearch_to_tsquery(cfg, query);
BEGIN
    IF numnode(q) = 0 THEN
        RETURN NULL;
    END IF;
    IF querytree(q) = 'T' THEN
        RAISE EXCEPTION 'query "%" has no word to look for', chat._shown(query)
            USING ERRCODE = '22023', COLUMN = 'query',
                  HINT = 'Excluded words ("-word") narrow a search for other words; alone they would match nearly every message.';
    END IF;
    RETURN q;
END
$$;
COMMENT ON FUNCTION chat._search_query(regconfig, text) IS
    'websearch_to_tsquery of a search query; NULL without words, 22023 for excluded words only';
REVOKE EXECUTE ON FUNCTION chat._search_query(regconfig,text) FROM PUBLIC;

CREATE FUNCTION chat._search_visible(thread bigint, viewer chat.user_id) RETURNS boolean
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT coalesce((SELECT mb.hidden_id IS NULL
                            OR mb.hidden_id < CASE WHEN mb.large
                                                   THEN (SELECT coalesce(t.last_message_id, 0) FROM chat.thread t
                                                          WHERE t.id = mb.thread_id)
                                                   ELSE mb.activity_id END
                       FROM chat.member mb
                      WHERE mb.thread_id = thread AND mb.user_id = viewer), false)
$$;
REVOKE EXECUTE ON FUNCTION chat._search_visible(bigint,chat.user_id) FROM PUBLIC;

CREATE FUNCTION chat._snippet(cfg regconfig, content text, q tsquery) RETURNS text
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT ts_headline(cfg, replace(replace(replace(content, '&', '&amp;'), '<', '&lt;'), '>', '&gt;'), q)
$$;
COMMENT ON FUNCTION chat._snippet(regconfig, text, tsquery) IS
    'The highlighted snippet of a search result: HTML-escaped text, matches in <b>...</b>';
REVOKE EXECUTE ON FUNCTION chat._snippet(regconfig,text,tsquery) FROM PUBLIC;

/* ---- sql/src/internal/settings.sql ---- */

CREATE FUNCTION chat._relax_commit(key text) RETURNS void
    LANGUAGE c VOLATILE STRICT
    AS 'MODULE_PATHNAME', 'chat_relax_commit_sql';
COMMENT ON FUNCTION chat._relax_commit(text) IS
    'When the boolean setting (async_messages, async_read_state) is on, the calling transaction commits with synchronous_commit off; else, with early_lock_release on, its commit releases its locks before its WAL flush and then waits for the flush';
REVOKE EXECUTE ON FUNCTION chat._relax_commit(text) FROM PUBLIC;

CREATE FUNCTION chat._wal_flush() RETURNS void
    LANGUAGE c VOLATILE
    AS 'MODULE_PATHNAME', 'chat_wal_flush';
COMMENT ON FUNCTION chat._wal_flush() IS
    'Waits until the WAL written so far is on disk: every transaction the caller sees is then durable (chat.changes and chat.feed hand out only durable events)';
REVOKE EXECUTE ON FUNCTION chat._wal_flush() FROM PUBLIC;

/* ---- sql/src/internal/unread.sql ---- */

CREATE OR REPLACE FUNCTION chat._member_count(changed bigint[]) RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    lim bigint := chat._setting_value('inbox_fanout_limit')::bigint;
    tid bigint;
    n bigint;
BEGIN
    /*
     * The threads locked in id order (changed is sorted), each by its key: on
     * Citus a lock over "= ANY" of several is refused (multi-shard FOR UPDATE),
     * as when deleting a user cascades to his member rows on a worker.
     */
    FOREACH tid IN ARRAY changed LOOP
        PERFORM FROM chat.thread t WHERE t.id = tid FOR NO KEY UPDATE;
    END LOOP;
    /*
     * Thread by thread, each found by its key: a plan joining chat.thread
     * would be made once, while the table is small, and scan every row
     * version of it ever after (quadratic in a transaction of many calls).
     */
    FOREACH tid IN ARRAY changed LOOP
        n := (SELECT count(*) FROM chat.member mb WHERE mb.thread_id = tid);
        UPDATE chat.thread t
           SET member_count = n,
               large = t.large OR (n > lim AND n > t.member_count)
         WHERE t.id = tid AND (t.member_count <> n OR (NOT t.large AND n > lim AND n > t.member_count));
    END LOOP;
END
$$;

CREATE OR REPLACE FUNCTION chat._member_delete() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    PERFORM chat._member_count(ARRAY(SELECT DISTINCT thread_id FROM removed ORDER BY 1));
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION chat._member_insert() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    changed bigint[] := ARRAY(SELECT DISTINCT a.thread_id FROM added a ORDER BY 1);
    tid bigint;
    users chat.user_id[];
BEGIN
    PERFORM chat._member_count(changed);
    /*
     * thread by thread, by key, as chat._member_count does; the new members
     * as an array, not a join with the transition table (Citus cannot ship
     * one to the shard)
     */
    FOREACH tid IN ARRAY changed LOOP
        users := ARRAY(SELECT a.user_id FROM added a WHERE a.thread_id = tid);
        UPDATE chat.member mb
           SET activity_id = coalesce(t.last_message_id, 0),
               message_count = t.message_count,
               large = t.large
          FROM chat.thread t
         WHERE t.id = tid AND NOT t.large
           AND mb.thread_id = tid AND mb.user_id = ANY (users)
           AND (mb.activity_id, mb.message_count, mb.large)
               IS DISTINCT FROM (coalesce(t.last_message_id, 0), t.message_count, t.large);

        UPDATE chat.member mb
           SET large = true
          FROM chat.thread t
         WHERE t.id = tid AND t.large AND mb.thread_id = tid AND NOT mb.large;
    END LOOP;
    RETURN NULL;
END
$$;

CREATE FUNCTION chat._membership(viewer chat.user_id)
    RETURNS TABLE (thread_id bigint, activity bigint, visible boolean, archived boolean,
                   muted boolean, unread bigint, mentions bigint)
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT mb.thread_id, mb.activity_id,
           mb.hidden_id IS NULL OR mb.hidden_id < mb.activity_id,
           mb.archived, mb.muted, mb.message_count - mb.read_count, mb.mention_count
      FROM chat.member mb
     WHERE mb.user_id = viewer AND NOT mb.large
    UNION ALL
    SELECT mb.thread_id, coalesce(t.last_message_id, 0),
           mb.hidden_id IS NULL OR mb.hidden_id < coalesce(t.last_message_id, 0),
           mb.archived, mb.muted, t.message_count - mb.read_count, mb.mention_count
      FROM chat.member mb
      JOIN chat.thread t ON t.id = mb.thread_id
     WHERE mb.user_id = viewer AND mb.large
$$;
REVOKE EXECUTE ON FUNCTION chat._membership(chat.user_id) FROM PUBLIC;

CREATE OR REPLACE FUNCTION chat._message_delete() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    tid bigint;
    ids bigint[];
    senders chat.user_id[];
    mentioned chat.user_id[];
    mention_ids bigint[];
BEGIN
    IF chat._citus() THEN
        /*
         * distributed (citus.sql): thread by thread, the removed ids as an
         * array, so each statement runs on the thread's node (Citus cannot
         * ship a transition table)
         */
        FOR tid, ids IN SELECT o.thread_id, array_agg(o.id) FROM removed o GROUP BY 1 ORDER BY 1 LOOP
            DELETE FROM chat.message_edit e WHERE e.thread_id = tid AND e.message_id = ANY (ids);
            DELETE FROM chat.reaction r WHERE r.thread_id = tid AND r.message_id = ANY (ids);
            DELETE FROM chat.attachment a WHERE a.thread_id = tid AND a.message_id = ANY (ids);
            UPDATE chat.message m SET parent_id = NULL WHERE m.thread_id = tid AND m.parent_id = ANY (ids);
        END LOOP;
    ELSE
        DELETE FROM chat.message_edit e USING removed o
         WHERE e.thread_id = o.thread_id AND e.message_id = o.id;
        DELETE FROM chat.reaction r USING removed o
         WHERE r.thread_id = o.thread_id AND r.message_id = o.id;
        DELETE FROM chat.attachment a USING removed o
         WHERE a.thread_id = o.thread_id AND a.message_id = o.id;
        UPDATE chat.message m SET parent_id = NULL
          FROM removed o
         WHERE m.thread_id = o.thread_id AND m.parent_id = o.id;
    END IF;
    FOR tid, ids, senders, mentioned, mention_ids IN
        SELECT o.thread_id, array_agg(o.id ORDER BY o.id), array_agg(o.sender_id ORDER BY o.id),
               coalesce((SELECT array_agg(u ORDER BY x.id, u) FROM removed x, unnest(x.mentions) u
                          WHERE x.thread_id = o.thread_id), '{}'),
               coalesce((SELECT array_agg(x.id ORDER BY x.id, u) FROM removed x, unnest(x.mentions) u
                          WHERE x.thread_id = o.thread_id), '{}')
          FROM removed o
         GROUP BY o.thread_id ORDER BY 1
    LOOP
        /* a thread being deleted needs no recount */
        IF EXISTS (SELECT FROM chat.thread t WHERE t.id = tid) THEN
            PERFORM chat._uncount(tid, ids, senders, mentioned, mention_ids);
        END IF;
    END LOOP;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION chat._message_update() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF NEW.id <> OLD.id OR NEW.thread_id <> OLD.thread_id
       OR (NEW.sender_id IS DISTINCT FROM OLD.sender_id AND NEW.sender_id IS NOT NULL)
       OR NEW.kind <> OLD.kind THEN
        RAISE EXCEPTION 'cannot change the id, thread, sender or kind of message %', OLD.id
            USING ERRCODE = '55000';
    END IF;
    IF NEW.parent_id IS NOT NULL AND NEW.forwarded_from IS NOT NULL THEN
        RAISE EXCEPTION 'new row for relation "message" violates check constraint "message_forward_not_reply"'
            USING ERRCODE = '23514', SCHEMA = 'chat', TABLE = 'message', CONSTRAINT = 'message_forward_not_reply',
                  DETAIL = 'A forwarded message cannot be a reply.';
    END IF;
    IF NEW.content IS DISTINCT FROM OLD.content THEN
        INSERT INTO chat.message_edit (thread_id, message_id, version, content, replaced_at)
        SELECT OLD.thread_id, OLD.id, coalesce(max(e.version), 0) + 1, OLD.content, clock_timestamp()
          FROM chat.message_edit e
         WHERE e.thread_id = OLD.thread_id AND e.message_id = OLD.id;
        NEW.edited_at := clock_timestamp();
    END IF;
    UPDATE chat.thread t
       SET last_preview = CASE WHEN NEW.deleted_at IS NULL THEN left(NEW.content, 100) END,
           last_sender_id = NEW.sender_id
     WHERE t.id = OLD.thread_id AND t.last_message_id = OLD.id;
    RETURN NEW;
END
$$;

CREATE OR REPLACE FUNCTION chat._recount(thread bigint) RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    UPDATE chat.thread t
       SET message_count = s.n,
           last_message_id = s.last_id,
           last_sender_id = l.sender_id,
           last_sent_at = l.sent_at,
           last_preview = CASE WHEN l.deleted_at IS NULL THEN left(l.content, 100) END
      FROM (SELECT count(*) AS n, max(m.id) AS last_id
              FROM chat.message m WHERE m.thread_id = thread) s
      LEFT JOIN chat.message l ON l.thread_id = thread AND l.id = s.last_id
     WHERE t.id = thread;

    UPDATE chat.member mb
       SET read_count = t.message_count
                        - (SELECT count(*) FROM chat.message m
                            WHERE m.thread_id = mb.thread_id AND m.id > mb.read_id
                              AND m.sender_id IS DISTINCT FROM mb.user_id),
           activity_id = coalesce(t.last_message_id, 0),
           message_count = t.message_count
      FROM chat.thread t
     WHERE t.id = thread AND mb.thread_id = thread;

    /* mentions: only the rows that have or had some */
    UPDATE chat.member mb
       SET mention_count = (SELECT count(*) FROM chat.message m
                             WHERE m.thread_id = thread AND m.id > mb.read_id
                               AND mb.user_id = ANY (m.mentions)),
           last_mention_id = (SELECT max(m.id) FROM chat.message m
                               WHERE m.thread_id = thread AND mb.user_id = ANY (m.mentions))
     WHERE mb.thread_id = thread AND mb.last_mention_id IS NOT NULL;
END
$$;

CREATE OR REPLACE FUNCTION chat._thread_delete() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    tid bigint;
BEGIN
    IF chat._citus() THEN
        /* distributed (citus.sql): thread by thread, so each statement runs on the thread's node */
        FOR tid IN SELECT o.id FROM removed o ORDER BY 1 LOOP
            DELETE FROM chat.message m WHERE m.thread_id = tid;
            DELETE FROM chat.member mb WHERE mb.thread_id = tid;
        END LOOP;
        RETURN NULL;
    END IF;
    DELETE FROM chat.message m USING removed o WHERE m.thread_id = o.id;
    DELETE FROM chat.member mb USING removed o WHERE mb.thread_id = o.id;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION chat._truncate_dependents() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    dependent regclass;
    nonempty boolean;
BEGIN
    IF TG_TABLE_NAME NOT IN ('thread', 'message') THEN
        RETURN NULL;     -- a Citus shard
    END IF;
    FOREACH dependent IN ARRAY CASE TG_TABLE_NAME
        WHEN 'thread' THEN ARRAY['chat.member', 'chat.message']::regclass[]
        ELSE ARRAY['chat.message_edit', 'chat.reaction', 'chat.attachment']::regclass[] END
    LOOP
        EXECUTE format('SELECT EXISTS (SELECT 1 FROM %s)', dependent) INTO nonempty;
        IF nonempty THEN
            EXECUTE format('TRUNCATE %s', dependent);
        END IF;
    END LOOP;
    RETURN NULL;
END
$$;

CREATE FUNCTION chat._uncount(thread bigint, ids bigint[], senders chat.user_id[],
                              mentioned chat.user_id[] DEFAULT '{}', mention_ids bigint[] DEFAULT '{}')
    RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    n integer := cardinality(ids);
    t chat.thread;
BEGIN
    UPDATE chat.thread th SET message_count = th.message_count - n
     WHERE th.id = thread
    RETURNING th.* INTO t;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    IF t.last_message_id <= ids[n] THEN
        UPDATE chat.thread th
           SET last_message_id = l.id, last_sender_id = l.sender_id, last_sent_at = l.sent_at,
               last_preview = CASE WHEN l.deleted_at IS NULL THEN left(l.content, 100) END
          FROM (SELECT NULL) one
          LEFT JOIN LATERAL (SELECT m.id, m.sender_id, m.sent_at, m.deleted_at, m.content
                               FROM chat.message m WHERE m.thread_id = thread
                              ORDER BY m.id DESC LIMIT 1) l ON true
         WHERE th.id = thread
        RETURNING th.* INTO t;
    END IF;

    WITH own AS (
        SELECT r.sender, array_agg(r.id ORDER BY r.id) AS sent
          FROM unnest(ids, senders) AS r(id, sender)
         WHERE r.sender IS NOT NULL
         GROUP BY r.sender
    ), gone AS (
        SELECT mb.user_id,
               width_bucket(mb.read_id, ids)
               + coalesce(cardinality(o.sent) - width_bucket(mb.read_id, o.sent), 0) AS read_gone
          FROM chat.member mb
          LEFT JOIN own o ON o.sender = mb.user_id
         WHERE mb.thread_id = thread
    )
    UPDATE chat.member mb
       SET read_count = mb.read_count - g.read_gone,
           activity_id = CASE WHEN mb.large THEN mb.activity_id ELSE coalesce(t.last_message_id, 0) END,
           message_count = CASE WHEN mb.large THEN mb.message_count ELSE t.message_count END
      FROM gone g
     WHERE mb.thread_id = thread AND mb.user_id = g.user_id
       AND (g.read_gone <> 0 OR NOT mb.large);

    IF cardinality(mention_ids) > 0 THEN
        WITH gone AS (
            SELECT x.user_id, x.id FROM unnest(mentioned, mention_ids) AS x(user_id, id)
        )
        UPDATE chat.member mb
           SET mention_count = mb.mention_count
                               - (SELECT count(*) FROM gone g WHERE g.user_id = mb.user_id AND g.id > mb.read_id),
               last_mention_id = CASE WHEN EXISTS (SELECT FROM gone g WHERE g.user_id = mb.user_id AND g.id = mb.last_mention_id)
                                      THEN (SELECT m.id FROM chat.message m
                                             WHERE m.thread_id = thread AND m.id < mb.last_mention_id
                                               AND mb.user_id = ANY (m.mentions)
                                             ORDER BY m.id DESC LIMIT 1)
                                      ELSE mb.last_mention_id END
         WHERE mb.thread_id = thread AND mb.user_id IN (SELECT g.user_id FROM gone g);
    END IF;
END
$$;
REVOKE EXECUTE ON FUNCTION chat._uncount(bigint,bigint[],chat.user_id[],chat.user_id[],bigint[]) FROM PUBLIC;

/* ---- sql/src/internal/users.sql ---- */

CREATE OR REPLACE FUNCTION chat._user_binding_insert() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    /*
     * On Citus the trigger fires on each placement of the reference table
     * (chat.user_binding_<shard>), on every node: chat.use_user_table adds
     * the keys once, on the coordinator, and Citus propagates the DDL.
     */
    IF TG_TABLE_NAME <> 'user_binding' THEN
        RETURN NULL;
    END IF;
    PERFORM chat._user_binding_apply(NEW);
    RETURN NULL;
END
$$;



GRANT SELECT ON chat.event_kind TO PUBLIC;

COMMENT ON FUNCTION chat.swap_model(text, regclass) IS
    'Extend a chat model (message, thread, member, reaction, attachment, notification) with the application''s table, keyed by chat''s key and referencing it: new records get a row, filled from the extra argument, and the reading functions return it as extra. NULL unregisters the table';
COMMENT ON FUNCTION chat._add_attachments(bigint, bigint, jsonb) IS
    'Check the attachments argument and store it as the message''s ordered attachment rows, with their swapped-model rows filled from each one''s extra';
COMMENT ON FUNCTION chat.forward_message(bigint, bigint, chat.user_id, text) IS
    'Copy a message (content and attachments, with their swapped-model rows) into another thread the actor may post in, with forwarded_from set; a comment follows it as a message of its own. Returns the copy''s id';
COMMENT ON COLUMN chat.model.model IS
    'the chat model extended or rendered: message, thread, member, reaction, attachment or notification';

COMMENT ON FUNCTION chat.inbox(chat.user_id, text, text, integer) IS
    'A page of the viewer''s threads in a folder (inbox, unread, deleted, sent, archived, mentions: threads with unread mentions of the viewer), newest activity first; pass the last row''s cursor as "before" for the next page. extra is the thread''s row in the table swapped for model "thread"; mention_count is the viewer''s unread mentions in the thread';
COMMENT ON FUNCTION chat.unread_count(chat.user_id) IS
    'Badge counts: threads with unread messages and unread messages in them (inbox folder, muted threads and threads at notification level none left out)';
COMMENT ON FUNCTION chat.verify_unread(bigint) IS
    'Counters that differ from a recount of the message rows (no rows: all exact). Unread = other members'' messages after the read pointer; mentions = messages after the read pointer that mention the member';

CREATE TRIGGER message_search_update
    BEFORE UPDATE OF content ON chat.message
    FOR EACH ROW
    WHEN (NEW.kind = 'text' AND OLD.content IS DISTINCT FROM NEW.content)
    EXECUTE FUNCTION chat._message_search();
-- the words of the messages written before 0.9
UPDATE chat.message m
   SET search_vector = nullif(to_tsvector(chat._search_config(), m.content), ''::tsvector)
 WHERE m.kind = 'text' AND m.content IS NOT NULL;
CREATE OR REPLACE VIEW chat.public_thread WITH (security_barrier = true) AS
SELECT t.id, t.kind, t.subject, t.created_by, t.created_at, t.object_type, t.object_id,
       t.member_count, t.description, t.avatar
  FROM chat.thread t
 WHERE t.is_public;
COMMENT ON COLUMN chat.public_thread.description IS 'what the room is about (chat.set_profile; NULL: none)';
COMMENT ON COLUMN chat.public_thread.avatar IS 'the room''s picture, a key or URL of the application''s storage (NULL: none)';

COMMENT ON TABLE chat.purge_progress IS
    'One row: the thread after which the next chat.purge call goes on (not dumped; under row-level security with no policy: chat''s functions and superusers only)';

/* message_update also refuses a forwarded message made a reply (was a CHECK) */
DROP TRIGGER message_update ON chat.message;
CREATE TRIGGER message_update
    BEFORE UPDATE ON chat.message
    FOR EACH ROW
    WHEN (OLD.content IS DISTINCT FROM NEW.content
          OR OLD.deleted_at IS DISTINCT FROM NEW.deleted_at
          OR OLD.id <> NEW.id OR OLD.thread_id <> NEW.thread_id
          OR OLD.sender_id IS DISTINCT FROM NEW.sender_id OR OLD.kind <> NEW.kind
          OR (NEW.parent_id IS NOT NULL AND NEW.forwarded_from IS NOT NULL))
    EXECUTE FUNCTION chat._message_update();

/*
 * Citus (issue 16): on a coordinator, chat.distribute() must run after this
 * update, once Citus has updated the workers too (it runs ALTER EXTENSION on
 * them after this script); it cannot run from here.
 */
DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_catalog.pg_extension e WHERE e.extname = 'citus') THEN
        RAISE WARNING 'chat: now run SELECT chat.distribute(); on the coordinator'
            USING HINT = 'Citus updates chat on the workers after this script; chat.distribute() then distributes chat''s tables and adapts its functions on every node.';
    END IF;
END
$$;

/* every table has row-level security: the event record and the notification queue have no policy */
ALTER TABLE chat.event ENABLE ROW LEVEL SECURITY;
ALTER TABLE chat.event_pruned ENABLE ROW LEVEL SECURITY;
ALTER TABLE chat.notification ENABLE ROW LEVEL SECURITY;
ALTER TABLE chat.notifier ENABLE ROW LEVEL SECURITY;
ALTER TABLE chat.event_kind ENABLE ROW LEVEL SECURITY;
CREATE POLICY event_kind_read ON chat.event_kind FOR SELECT USING (true);
