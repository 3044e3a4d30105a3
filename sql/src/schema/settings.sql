
/* ========================================================================
 * schema/settings.sql: every setting with its default, and the changed ones
 * ======================================================================== */

CREATE TABLE chat.setting_default (
    key         text PRIMARY KEY,
    value       jsonb NOT NULL,
    type        text NOT NULL
                CONSTRAINT setting_default_type_check
                CHECK (type IN ('boolean', 'integer', 'text', 'reactions', 'mime_types', 'roles', 'ts_config')),
    min_value   bigint,
    max_value   bigint,
    description text NOT NULL
);
COMMENT ON TABLE chat.setting_default IS
    'Every setting chat knows, with its default, type and range (part of the extension, not dumped)';
COMMENT ON COLUMN chat.setting_default.key IS
    'name of the setting, as given to chat.get_setting and chat.set_setting';
COMMENT ON COLUMN chat.setting_default.value IS
    'default value, as JSON; JSON null where null means no limit or any (max_members, max_attachment_size, attachment_mime_types)';
COMMENT ON COLUMN chat.setting_default.type IS
    'what chat.set_setting accepts: boolean, integer (whole number from min_value to max_value), text (string of min_value to max_value characters), reactions ("any", "emoji" or an array of reactions), mime_types (array of MIME types), roles (array of role names) or ts_config (name of an existing text search configuration: pg_catalog''s alone, others schema-qualified)';
COMMENT ON COLUMN chat.setting_default.min_value IS 'Smallest value (integer) or shortest text (text)';
COMMENT ON COLUMN chat.setting_default.max_value IS 'Largest value (integer) or longest text (text)';
COMMENT ON COLUMN chat.setting_default.description IS
    'what the setting means, shown by the view chat.settings';

INSERT INTO chat.setting_default (key, value, type, min_value, max_value, description) VALUES
    ('mark_new_thread_as_deleted', 'false', 'boolean', NULL, NULL,
     'A new private thread starts deleted for its sender until someone replies (pinax behaviour)'),
    ('max_subject_length', '255', 'integer', 1, 10000,
     'Longest subject or title, in characters'),
    ('max_content_length', '65536', 'integer', 1, 10000000,
     'Longest message content, in characters'),
    ('max_page_size', '500', 'integer', 1, 100000,
     'Largest page_size accepted by inbox and messages'),
    ('inbox_fanout_limit', '100', 'integer', 0, 1000000,
     'Threads with up to this many members copy each new message''s position into every member row; larger threads are merged into the inbox from the thread row'),
    ('async_messages', 'false', 'boolean', NULL, NULL,
     'new_message, new_reply and forward_message commit their transaction without waiting for its WAL flush (synchronous_commit off): a server crash can lose the transactions acknowledged in its last 3 x wal_writer_delay, each whole; counters and read state stay exact'),
    ('early_lock_release', 'true', 'boolean', NULL, NULL,
     'The transaction of a writing call (new_message, new_reply, forward_message, mark_read, mark_unread, mark_delivered) releases its locks at commit before its WAL flush, then waits for the flush: acknowledged only once durable, but visible to other sessions during the flush, so replies to one busy thread share flushes (off: PostgreSQL''s own commit)'),
    ('async_read_state', 'false', 'boolean', NULL, NULL,
     'mark_read, mark_unread and mark_delivered commit their transaction without waiting for its WAL flush: a server crash can move the pointers of its last 3 x wal_writer_delay back, never leave them inconsistent'),
    ('notify', 'true', 'boolean', NULL, NULL,
     'Publish every event with NOTIFY at commit (costs throughput: NOTIFY serialises commits)'),
    ('notify_channel', '"chat"', 'text', 1, 63,
     'The NOTIFY channel events are published on'),
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
     'Days chat.prune_notifications keeps delivered and dead notifications'),
    ('max_members', '10000', 'integer', 1, 10000000,
     'Most members a thread may have (null: no cap); joining or adding past it is refused (54000)'),
    ('reactions', '"any"', 'reactions', NULL, NULL,
     'Allowed reactions: "any" (any text up to max_reaction_length), "emoji" (exactly one emoji) or a JSON array of the allowed ones'),
    ('max_reaction_length', '32', 'integer', 1, 1000,
     'Longest reaction, in characters'),
    ('max_attachments', '10', 'integer', 0, 1000,
     'Most attachments per message; more are refused (54000)'),
    ('max_attachment_size', 'null', 'integer', 0, 9223372036854775807,
     'Largest attachment size in bytes (null: no limit); larger ones are refused (54000)'),
    ('attachment_mime_types', 'null', 'mime_types', NULL, NULL,
     'JSON array of allowed attachment MIME types or patterns such as "image/*" (null: any type)'),
    ('server_roles', '[]', 'roles', NULL, NULL,
     'JSON array of role names whose members may act for any user, as the extension owner and superusers do (application servers)'),
    ('search_config', '"simple"', 'ts_config', NULL, NULL,
     'Text search configuration of chat.search (a name of pg_catalog such as "english", or "schema.name"): messages are indexed with it, queries parsed with it; changing it re-indexes every message'),
    ('max_description_length', '1000', 'integer', 1, 10000,
     'Longest room description, in characters (chat.set_profile)'),
    ('max_avatar_length', '2048', 'integer', 1, 10000,
     'Longest room avatar key or URL, in characters (chat.set_profile)'),
    ('retention_days', 'null', 'integer', 1, 36500,
     'Days messages are kept: chat.purge deletes older ones, with their edits, reactions and attachments (null: keep forever); a room''s own retention (chat.set_retention) overrides it');

CREATE TABLE chat.setting (
    key   text PRIMARY KEY REFERENCES chat.setting_default (key),
    value jsonb NOT NULL
);
COMMENT ON TABLE chat.setting IS
    'Settings changed from their defaults (use chat.set_setting); dumped by pg_dump';
COMMENT ON COLUMN chat.setting.key IS 'setting changed from its default (chat.setting_default.key)';
COMMENT ON COLUMN chat.setting.value IS
    'value set by chat.set_setting, as JSON, used instead of the default; never JSON null (setting null deletes the row, restoring the default)';
SELECT pg_catalog.pg_extension_config_dump('chat.setting', '');
