
/* ========================================================================
 * schema/threads.sql: threads, members, messages and their edits
 *
 * Every per-thread key starts with thread_id.
 *
 * chat's own tables have no foreign keys between them.  pg_restore -j loads
 * the data of an extension's tables in parallel transactions, in no order,
 * after CREATE EXTENSION has made their constraints, so a key from member or
 * message to thread refuses rows whose thread is not committed yet.  What the
 * keys did is done by chat instead: every insert comes from a function that
 * holds the parent row (the thread locked, the message locked FOR KEY SHARE,
 * or written in the same transaction), and deletes cascade through the
 * triggers thread_delete and message_delete (internal/unread.sql).
 * ======================================================================== */

CREATE TABLE chat.thread (
    id              bigint PRIMARY KEY DEFAULT nextval('chat.thread_id_seq'),
    kind            chat.thread_kind NOT NULL DEFAULT 'private',
    subject         text,
    created_by      chat.user_id,
    created_at      timestamptz NOT NULL DEFAULT now(),
    is_public       boolean NOT NULL DEFAULT false,
    object_type     text,
    object_id       text,
    member_count    integer NOT NULL DEFAULT 0,
    large           boolean NOT NULL DEFAULT false,
    message_count   bigint NOT NULL DEFAULT 0,
    last_message_id bigint,
    last_sender_id  chat.user_id,
    last_sent_at    timestamptz,
    last_preview    text,
    direct_low      chat.user_id,
    direct_high     chat.user_id,
    description     text,
    avatar          text,
    retention_days  integer
);
ALTER SEQUENCE chat.thread_id_seq OWNED BY chat.thread.id;
CREATE INDEX thread_created_by_idx ON chat.thread (created_by);
/*
 * The one direct thread of each unordered pair, and the room of each object.
 * No CHECK ties direct_low/direct_high to kind = 'direct', nor object_type
 * to object_id (both NULL or both set; a CHECK until chat 0.9): chat.thread
 * is written by every message, and PostgreSQL 15 re-reads a table's CHECK
 * constraints for every statement that writes it (about 10 % of a reply;
 * measured in chat 0.9 with callgrind: this CHECK and message's cost 5 % of
 * new_reply's instructions).  chat.direct_thread, chat.object_thread and the
 * import functions are the writers of the pairs; the indexes make them
 * unique.
 */
CREATE UNIQUE INDEX thread_direct_key ON chat.thread (direct_low, direct_high) WHERE kind = 'direct';
CREATE UNIQUE INDEX thread_object_key ON chat.thread (object_type, object_id) WHERE object_type IS NOT NULL;
/*
 * The directory of public rooms (chat.directory): in name order, and the
 * words of name and description, whatever the language (configuration
 * simple, matched by prefix).  Partial: private threads, most of them, are
 * in neither.  A message changes none of these columns, so its update of the
 * thread row stays HOT.  chat.directory spells both expressions out.
 */
CREATE INDEX thread_directory_name_idx ON chat.thread (lower(coalesce(subject, '')), id) WHERE is_public;
CREATE INDEX thread_directory_search_idx ON chat.thread
    USING gin (to_tsvector('pg_catalog.simple'::regconfig, coalesce(subject, '') || ' ' || coalesce(description, '')))
    WHERE is_public;
/* the few rooms with a retention of their own, for chat.purge when retention_days is not set */
CREATE INDEX thread_retention_idx ON chat.thread (id) WHERE retention_days IS NOT NULL;

COMMENT ON TABLE chat.thread IS 'A conversation: private thread, direct chat, group or channel';
COMMENT ON COLUMN chat.thread.id IS 'thread id, from chat.thread_id_seq';
COMMENT ON COLUMN chat.thread.kind IS
    'private (pinax thread with a subject), direct (the one 1:1 thread of two users), group or channel (by default only owners and admins post)';
COMMENT ON COLUMN chat.thread.subject IS 'Subject of a private thread, title of a group or channel';
COMMENT ON COLUMN chat.thread.created_by IS 'Who started the thread (the "sent" folder)';
COMMENT ON COLUMN chat.thread.created_at IS 'when the thread was created (start of the creating transaction)';
COMMENT ON COLUMN chat.thread.is_public IS
    'listed in chat.public_thread and open to chat.join_thread for anyone (false: members are added by members with the permission add_members)';
COMMENT ON COLUMN chat.thread.object_type IS
    'type of the application object whose room this is (chat.object_thread); NULL for other threads';
COMMENT ON COLUMN chat.thread.object_id IS
    'id of that application object, as text; NULL exactly when object_type is NULL; (object_type, object_id) is unique';
COMMENT ON COLUMN chat.thread.member_count IS 'Number of members, kept by trigger';
COMMENT ON COLUMN chat.thread.large IS
    'More members than inbox_fanout_limit at some point: new messages no longer touch other members'' rows';
COMMENT ON COLUMN chat.thread.message_count IS 'Number of messages, kept by the message trigger';
COMMENT ON COLUMN chat.thread.last_message_id IS 'Newest message; the thread''s position in inboxes';
COMMENT ON COLUMN chat.thread.last_sender_id IS
    'sender of the newest message (NULL: no message yet, a system message without sender, or a sender deleted from the bound users table)';
COMMENT ON COLUMN chat.thread.last_sent_at IS
    'when the newest message was sent (its sent_at); NULL: no message yet';
COMMENT ON COLUMN chat.thread.last_preview IS 'First 100 characters of the newest message, NULL once deleted';
COMMENT ON COLUMN chat.thread.direct_low IS 'Direct thread: the smaller of its two user ids';
COMMENT ON COLUMN chat.thread.direct_high IS 'Direct thread: the larger of its two user ids';
COMMENT ON COLUMN chat.thread.description IS
    'what the room is about, shown in its profile and the directory (chat.set_profile; NULL: none)';
COMMENT ON COLUMN chat.thread.avatar IS
    'the room''s picture: a key or URL of the application''s storage, as an attachment''s key (chat.set_profile; NULL: none)';
COMMENT ON COLUMN chat.thread.retention_days IS
    'the room''s own retention (chat.set_retention): chat.purge deletes its messages older than this many days; 0 keeps them forever; NULL follows the setting retention_days';

CREATE TABLE chat.member (
    thread_id     bigint NOT NULL,
    user_id       chat.user_id NOT NULL,
    role          chat.member_role NOT NULL DEFAULT 'member',
    joined_at     timestamptz NOT NULL DEFAULT now(),
    muted         boolean NOT NULL DEFAULT false,
    archived      boolean NOT NULL DEFAULT false,
    hidden_id     bigint,
    read_id       bigint NOT NULL DEFAULT 0,
    read_count    bigint NOT NULL DEFAULT 0,
    delivered_id  bigint NOT NULL DEFAULT 0,
    large         boolean NOT NULL DEFAULT false,
    activity_id   bigint NOT NULL DEFAULT 0,
    message_count bigint NOT NULL DEFAULT 0,
    permissions   text[] NOT NULL,
    seen_id       bigint NOT NULL DEFAULT 0,
    read_at       timestamptz,
    delivered_at  timestamptz,
    mention_count bigint NOT NULL DEFAULT 0,
    last_mention_id bigint,
    notify_level  text NOT NULL DEFAULT 'all',
    PRIMARY KEY (thread_id, user_id)
);
/*
 * A user's small threads in activity order: the inbox is a scan of this index.
 * (Partial, not a "large" key column: the planner turns "large = false" into
 * "NOT large", which does not fix the column for ordering.)
 */
CREATE INDEX member_inbox_idx ON chat.member (user_id, activity_id DESC, thread_id DESC) WHERE NOT large;
/* a user's large threads, merged into the inbox from the thread row */
CREATE INDEX member_large_idx ON chat.member (user_id) WHERE large;
/*
 * The rows of the unread badge among small threads (unread_count and
 * notification_digest state this predicate): unread, not archived, muted,
 * at level none or deleted.  It carries the two counters, so that a user
 * with thousands of unread threads is counted from the index alone where
 * the visibility map allows (P4: 7,500 unread threads in 0.79 ms, 1.30 ms
 * with the columns read from the table).  Replies and mark_read lose nothing
 * by it (activity_id, message_count and read_count were indexed already, so
 * those updates were never HOT); a mute, archive, delete or level change
 * alone no longer is a HOT update.
 */
CREATE INDEX member_unread_idx ON chat.member (user_id) INCLUDE (message_count, read_count)
    WHERE NOT large AND message_count > read_count AND NOT archived AND NOT muted
      AND notify_level <> 'none' AND (hidden_id IS NULL OR hidden_id < activity_id);
/*
 * No index on mention_count: every index of chat.member is one more lock and
 * one more predicate per statement of every reply; the mention badge and
 * folder read the user's rows through the two indexes above, as inbox_count.
 */

COMMENT ON TABLE chat.member IS 'One row per (thread, user): role, folders and read state';
COMMENT ON COLUMN chat.member.thread_id IS 'the thread; the membership is deleted with it';
COMMENT ON COLUMN chat.member.user_id IS 'the member''s user id';
COMMENT ON COLUMN chat.member.role IS
    'owner, admin or member (both members of a direct thread are member); chat.set_role changes it';
COMMENT ON COLUMN chat.member.joined_at IS
    'when the user became a member (start of that transaction); the oldest admin takes over from a leaving last owner';
COMMENT ON COLUMN chat.member.muted IS
    'muted by this member (chat.mute): still listed, left out of chat.unread_count''s badge';
COMMENT ON COLUMN chat.member.archived IS
    'in this member''s archived folder (chat.archive_thread); stays there when new messages arrive';
COMMENT ON COLUMN chat.member.hidden_id IS
    'Deleted by this user when the thread''s newest message was this id; visible again once a newer message exists';
COMMENT ON COLUMN chat.member.read_id IS 'Read pointer: every message up to this id is read';
COMMENT ON COLUMN chat.member.read_count IS
    'Messages counted as read (up to the pointer, plus the member''s own later ones); unread = thread.message_count - read_count';
COMMENT ON COLUMN chat.member.delivered_id IS 'Delivered pointer: every message up to this id is delivered';
COMMENT ON COLUMN chat.member.large IS
    'Copy of thread.large; activity_id and message_count are kept only when false';
COMMENT ON COLUMN chat.member.activity_id IS
    'Copy of thread.last_message_id (small threads): the inbox order';
COMMENT ON COLUMN chat.member.message_count IS
    'Copy of thread.message_count (small threads): badge counts without the thread row';
COMMENT ON COLUMN chat.member.permissions IS
    'what the member may do: its role''s defaults (chat.permission_default), cut to the actor''s own permissions when a non-owner adds the member or an admin sets its role; changed by chat.grant / chat.revoke, reset by chat.set_role';
COMMENT ON COLUMN chat.member.seen_id IS
    'high-water mark of the read pointer saved by mark_read and mark_unread (0: neither yet; sending and joining move only read_id), so mark_unread never takes a "seen" back; seen = every message up to greatest(read_id, seen_id)';
COMMENT ON COLUMN chat.member.read_at IS
    'When mark_read last moved the read pointer forward (NULL: never, or before 0.3)';
COMMENT ON COLUMN chat.member.delivered_at IS
    'When mark_delivered or mark_read last moved the delivered pointer forward (NULL: never, or before 0.3)';
COMMENT ON COLUMN chat.member.mention_count IS
    'Unread mentions: messages after the read pointer whose mentions name this member (kept for the mentioned members only, also in large threads)';
COMMENT ON COLUMN chat.member.last_mention_id IS
    'The newest message that mentioned this member (NULL: none); mark_read past it sets mention_count to 0 without counting';
COMMENT ON COLUMN chat.member.notify_level IS
    'notification level (chat.set_notify_level): all (every message, unless muted), mentions (only messages that mention the member, muted or not) or none';

CREATE TABLE chat.message (
    thread_id      bigint NOT NULL,
    id             bigint NOT NULL,
    sender_id      chat.user_id,
    kind           chat.message_kind NOT NULL DEFAULT 'text',
    content        text,
    sent_at        timestamptz NOT NULL DEFAULT now(),
    edited_at      timestamptz,
    deleted_at     timestamptz,
    parent_id      bigint,
    forwarded_from bigint,
    mentions       chat.user_id[],
    search_vector  tsvector,
    PRIMARY KEY (thread_id, id)
);
CREATE INDEX message_id_idx ON chat.message (id);
/*
 * A forwarded message is not a reply (forwarded_from and parent_id are not
 * both set): checked by the triggers message_insert (src/unread.c) and
 * message_update, with the error a CHECK constraint of that name would give,
 * because a CHECK on chat.message costs every message sent (see chat.thread).
 */
/*
 * Full-text search (chat.search): the words of every text message, looked up
 * across all threads, then kept to the viewer's.  Partial: system messages and
 * messages without words have no vector.
 */
CREATE INDEX message_search_idx ON chat.message USING gin (search_vector) WHERE search_vector IS NOT NULL;

COMMENT ON TABLE chat.message IS
    'Messages; ids are assigned by trigger and increase within a thread in commit order (a row restored by pg_dump keeps its id)';
COMMENT ON COLUMN chat.message.thread_id IS 'the thread; the message is deleted with it';
COMMENT ON COLUMN chat.message.id IS
    'message id from chat.message_id_seq, set by the insert trigger: unique across threads, increasing within a thread in commit order, gaps possible';
COMMENT ON COLUMN chat.message.sender_id IS
    'sender; NULL for a system message without sender, or once the sender is deleted from a users table bound with on_delete anonymize';
COMMENT ON COLUMN chat.message.kind IS
    'text (written by a member) or system (a notice such as "Alice added Bob", sent by the member who caused it)';
COMMENT ON COLUMN chat.message.content IS
    'Text; kept after a soft delete but no longer shown by chat.messages';
COMMENT ON COLUMN chat.message.sent_at IS
    'when the message was sent: clock time taken by the insert trigger under the thread''s lock, so it increases with id (a row restored by pg_dump keeps its own)';
COMMENT ON COLUMN chat.message.edited_at IS
    'when the content last changed (chat.edit_message); NULL: never edited';
COMMENT ON COLUMN chat.message.deleted_at IS 'Soft delete: set by chat.delete_message';
COMMENT ON COLUMN chat.message.parent_id IS 'The message this one replies to, in the same thread';
COMMENT ON COLUMN chat.message.forwarded_from IS 'The message this one is a forwarded copy of';
COMMENT ON COLUMN chat.message.mentions IS
    'the members this message mentions, sorted, once each, without the sender (set by the insert trigger from the list given, keeping only members); NULL: none';
COMMENT ON COLUMN chat.message.search_vector IS
    'the words of a text message''s current content for chat.search, under the setting search_config when it was written or edited (kept by trigger; NULL: a system message, or no word)';

CREATE TABLE chat.message_edit (
    thread_id   bigint NOT NULL,
    message_id  bigint NOT NULL,
    version     integer NOT NULL,
    content     text,
    replaced_at timestamptz NOT NULL,
    PRIMARY KEY (thread_id, message_id, version)
);
COMMENT ON TABLE chat.message_edit IS 'Earlier versions of edited messages, written by trigger';
COMMENT ON COLUMN chat.message_edit.thread_id IS 'thread of the edited message';
COMMENT ON COLUMN chat.message_edit.message_id IS 'the edited message; its history is deleted with it';
COMMENT ON COLUMN chat.message_edit.version IS
    'number of this earlier version, 1 for the original text and up by one per edit; the current text is chat.message.content';
COMMENT ON COLUMN chat.message_edit.content IS
    'the text of this version (NULL: the message had only attachments then)';
COMMENT ON COLUMN chat.message_edit.replaced_at IS 'When this version was replaced by the next';

SELECT pg_catalog.pg_extension_config_dump('chat.thread', '');
SELECT pg_catalog.pg_extension_config_dump('chat.member', '');
SELECT pg_catalog.pg_extension_config_dump('chat.message', '');
SELECT pg_catalog.pg_extension_config_dump('chat.message_edit', '');
