
/* ========================================================================
 * views.sql: read-only views over chat's tables
 *
 * Every view but public_thread reads as the querying role
 * (security_invoker), so the row-level security of security.sql applies.
 * ======================================================================== */

CREATE VIEW chat.settings WITH (security_invoker = true) AS
    SELECT d.key,
           coalesce(s.value, d.value) AS value,
           d.value AS default_value,
           s.key IS NOT NULL AS changed,
           d.description
      FROM chat.setting_default d
      LEFT JOIN chat.setting s USING (key);
COMMENT ON VIEW chat.settings IS 'Every setting with its value, default and meaning';
COMMENT ON COLUMN chat.settings.key IS 'name of the setting';
COMMENT ON COLUMN chat.settings.value IS 'effective value: the one in chat.setting, else the default';
COMMENT ON COLUMN chat.settings.default_value IS 'default value (chat.setting_default.value)';
COMMENT ON COLUMN chat.settings.changed IS
    'true when chat.setting holds a value for it (set by chat.set_setting)';
COMMENT ON COLUMN chat.settings.description IS 'what the setting means';

CREATE VIEW chat.member_view WITH (security_invoker = true) AS
    SELECT mb.thread_id, mb.user_id, chat.display_name(mb.user_id) AS display_name,
           mb.role, mb.joined_at, mb.muted
      FROM chat.member mb;
COMMENT ON VIEW chat.member_view IS 'Members of threads with their display names';
COMMENT ON COLUMN chat.member_view.thread_id IS 'the thread';
COMMENT ON COLUMN chat.member_view.user_id IS 'the member''s user id';
COMMENT ON COLUMN chat.member_view.display_name IS
    'chat.display_name(user_id): NULL when no display name function is registered';
COMMENT ON COLUMN chat.member_view.role IS 'owner, admin or member';
COMMENT ON COLUMN chat.member_view.joined_at IS 'when the user became a member';
COMMENT ON COLUMN chat.member_view.muted IS 'muted by this member: left out of chat.unread_count''s badge';

CREATE VIEW chat.message_view WITH (security_invoker = true) AS
    SELECT m.thread_id, m.id, m.sender_id, chat.display_name(m.sender_id) AS sender_name,
           m.kind, CASE WHEN m.deleted_at IS NULL THEN m.content END AS content,
           m.sent_at, m.edited_at IS NOT NULL AS edited, m.deleted_at IS NOT NULL AS deleted,
           m.parent_id, m.forwarded_from
      FROM chat.message m;
COMMENT ON VIEW chat.message_view IS 'Messages with their senders'' display names, as chat.messages shows them';
COMMENT ON COLUMN chat.message_view.thread_id IS 'the thread';
COMMENT ON COLUMN chat.message_view.id IS 'message id, increasing within the thread';
COMMENT ON COLUMN chat.message_view.sender_id IS
    'sender (NULL: a system message without sender, or an anonymized sender)';
COMMENT ON COLUMN chat.message_view.sender_name IS
    'chat.display_name(sender_id): NULL when no display name function is registered or the sender is NULL';
COMMENT ON COLUMN chat.message_view.kind IS 'text or system';
COMMENT ON COLUMN chat.message_view.content IS 'NULL once the message is deleted';
COMMENT ON COLUMN chat.message_view.sent_at IS 'when the message was sent';
COMMENT ON COLUMN chat.message_view.edited IS
    'the content was edited (earlier versions in chat.message_edit)';
COMMENT ON COLUMN chat.message_view.deleted IS 'the message was soft-deleted (chat.delete_message)';
COMMENT ON COLUMN chat.message_view.parent_id IS 'the message this one replies to (NULL: not a reply)';
COMMENT ON COLUMN chat.message_view.forwarded_from IS
    'the message this one is a forwarded copy of (NULL: not forwarded)';

/*
 * Receipts row by row, derived from the members' pointers: the one place the
 * rule is written.  A view, so that the planner inlines it (a function with
 * SET search_path is never inlined, and calling one per member was 8 times
 * slower in a 10,000-member group).  Receipts are not rows: a member has seen
 * every message up to their seen pointer, greatest(read_id, seen_id), and
 * received every message up to delivered_id.  seen_id keeps the furthest the
 * read pointer ever went, so mark_unread (which moves read_id back) never
 * takes a "seen" back.
 */
CREATE VIEW chat.message_receipt WITH (security_invoker = true) AS
    SELECT m.id AS message_id, mb.user_id,
           CASE WHEN greatest(mb.read_id, mb.seen_id) >= m.id THEN 'seen' ELSE 'delivered' END AS status,
           CASE WHEN greatest(mb.read_id, mb.seen_id) >= m.id
                THEN CASE WHEN mb.read_at >= m.sent_at THEN mb.read_at END
                ELSE CASE WHEN mb.delivered_at >= m.sent_at THEN mb.delivered_at END
           END AS at
      FROM chat.message m
      JOIN chat.member mb ON mb.thread_id = m.thread_id
                         AND mb.user_id IS DISTINCT FROM m.sender_id
                         AND greatest(mb.read_id, mb.seen_id, mb.delivered_id) >= m.id;
COMMENT ON VIEW chat.message_receipt IS
    'Receipts row by row (the seeds'' MessageReadReceipt), derived from the members'' pointers: filter by message_id, a whole scan joins every message with every member';
COMMENT ON COLUMN chat.message_receipt.message_id IS
    'the message; filter by it, a whole scan joins every message with every member';
COMMENT ON COLUMN chat.message_receipt.user_id IS
    'a member other than the sender whose pointers reached the message';
COMMENT ON COLUMN chat.message_receipt.status IS
    'seen (up to greatest(read_id, seen_id)) or delivered (up to delivered_id only)';
COMMENT ON COLUMN chat.message_receipt.at IS
    'the member''s read_at (seen) or delivered_at (delivered) when not older than the message; NULL: unknown (pointer moved by the member''s own sending or joining, or before 0.3)';

/*
 * Public threads' metadata for everyone, without what only members read
 * (the last message's preview, sender and time).  The view reads as its
 * owner; security_barrier keeps a caller's functions from seeing the rows
 * it filters out.
 */
CREATE VIEW chat.public_thread WITH (security_barrier = true) AS
SELECT t.id, t.kind, t.subject, t.created_by, t.created_at, t.object_type, t.object_id,
       t.member_count, t.description, t.avatar
  FROM chat.thread t
 WHERE t.is_public;
COMMENT ON VIEW chat.public_thread IS
    'Public threads (listed and joinable by anyone): their metadata, readable by every role';
COMMENT ON COLUMN chat.public_thread.id IS 'thread id';
COMMENT ON COLUMN chat.public_thread.kind IS 'private, direct, group or channel';
COMMENT ON COLUMN chat.public_thread.subject IS 'subject or title (NULL: none)';
COMMENT ON COLUMN chat.public_thread.created_by IS
    'who started the thread (NULL: deleted from the bound users table)';
COMMENT ON COLUMN chat.public_thread.created_at IS 'when the thread was created';
COMMENT ON COLUMN chat.public_thread.object_type IS
    'type of the application object whose room this is; NULL for other threads';
COMMENT ON COLUMN chat.public_thread.object_id IS
    'id of that object, as text; NULL exactly when object_type is NULL';
COMMENT ON COLUMN chat.public_thread.member_count IS 'number of members';
COMMENT ON COLUMN chat.public_thread.description IS 'what the room is about (chat.set_profile; NULL: none)';
COMMENT ON COLUMN chat.public_thread.avatar IS 'the room''s picture, a key or URL of the application''s storage (NULL: none)';
