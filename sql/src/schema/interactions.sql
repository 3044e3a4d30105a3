
/* ========================================================================
 * schema/interactions.sql: reactions and attachments of messages
 * ======================================================================== */

CREATE TABLE chat.reaction (
    thread_id  bigint NOT NULL,
    message_id bigint NOT NULL,
    user_id    chat.user_id NOT NULL,
    reaction   text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (thread_id, message_id, user_id, reaction)
);
COMMENT ON TABLE chat.reaction IS 'One row per (message, user, reaction): chat.add_reaction, chat.toggle_reaction';
COMMENT ON COLUMN chat.reaction.thread_id IS 'thread of the message reacted to';
COMMENT ON COLUMN chat.reaction.message_id IS 'the message reacted to; its reactions are deleted with it';
COMMENT ON COLUMN chat.reaction.user_id IS 'the user who reacted';
COMMENT ON COLUMN chat.reaction.reaction IS
    'the reaction: any text up to max_reaction_length characters, exactly one emoji, or one of a list, as the setting "reactions" says when it is added';
COMMENT ON COLUMN chat.reaction.created_at IS
    'When the reaction was added; reactions are listed by first use';
SELECT pg_catalog.pg_extension_config_dump('chat.reaction', '');

CREATE TABLE chat.attachment (
    thread_id  bigint NOT NULL,
    message_id bigint NOT NULL,
    position   integer NOT NULL CHECK (position > 0),
    key        text NOT NULL,
    name       text,
    mime       text,
    size       bigint CHECK (size >= 0),
    meta       jsonb,
    PRIMARY KEY (thread_id, message_id, position)
);
COMMENT ON TABLE chat.attachment IS
    'Files of a message, in order: the bytes live in the application''s storage under key';
COMMENT ON COLUMN chat.attachment.thread_id IS 'thread of the message the file belongs to';
COMMENT ON COLUMN chat.attachment.message_id IS
    'the message the file belongs to; its attachments are deleted with it';
COMMENT ON COLUMN chat.attachment.position IS 'Order within the message, from 1';
COMMENT ON COLUMN chat.attachment.key IS 'Storage key or URL of the file';
COMMENT ON COLUMN chat.attachment.name IS 'File name shown to users';
COMMENT ON COLUMN chat.attachment.mime IS 'MIME type, checked against the setting "attachment_mime_types"';
COMMENT ON COLUMN chat.attachment.size IS 'Size in bytes, checked against the setting "max_attachment_size"';
COMMENT ON COLUMN chat.attachment.meta IS
    'Any JSON object the application keeps with the file (width, height, duration...)';
SELECT pg_catalog.pg_extension_config_dump('chat.attachment', '');
