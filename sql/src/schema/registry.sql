
/* ========================================================================
 * schema/registry.sql: hooks, swapped models, the user binding, role mappings
 *
 * Each is read by the C module into a per-backend cache (src/registry.c,
 * src/identity.c); a statement trigger (triggers.sql) sends a relcache
 * invalidation for the table, so a change made in one session is seen by the
 * next call in every other.
 * ======================================================================== */

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
    ('message_sent', 'members', '{message_id,user_id,reply,kind,parent_id?,forwarded_from?,mentions?}', true,
     'user_id sent a message (kind text or system; reply false for the first message of new_message; mentions: the members it mentions, when any)'),
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
    ('thread_updated', 'members', '{user_id,description,avatar}', true,
     'user_id changed the room''s profile (set_profile): its description and avatar as they now are (null: none)'),
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
    ('notify_level_set', 'user', '{user_id,level}', true,
     'user_id set its notification level for the thread (all, mentions or none)'),
    ('typing', 'members', '{user_id}', false,
     'user_id is typing (not kept for chat.changes: it is only news while it happens)');
/* history: retention and imports (api/retention.sql, api/import.sql) */
INSERT INTO chat.event_kind (name, audience, keys, hookable, description) VALUES
    ('messages_purged', 'members', '{message_id,count}', true,
     'chat.purge deleted every message of the thread up to message_id (count of them, with their edits, reactions and attachments) under the retention policy; hooks run before the rows go, so they can read them'),
    ('messages_imported', 'members', '{message_id,count}', true,
     'count messages of history were imported into the thread (chat.import_thread, chat.import_messages, chat.import_pinax), the newest being message_id');

CREATE TABLE chat.hook (
    event    text NOT NULL REFERENCES chat.event_kind (name),
    function regprocedure NOT NULL,
    position integer NOT NULL,
    PRIMARY KEY (event, function),
    UNIQUE (event, position)
);
COMMENT ON TABLE chat.hook IS
    'Functions fn(jsonb) run inside the transaction of every event, in position order (chat.add_hook)';
COMMENT ON COLUMN chat.hook.event IS
    'event the hook runs for: any hookable one of chat.event_kind';
COMMENT ON COLUMN chat.hook.function IS
    'the hook fn(jsonb): called with the event''s payload inside the operation''s transaction, as the current role; an error aborts the operation; skipped once dropped';
COMMENT ON COLUMN chat.hook.position IS
    'order among the event''s hooks, lowest first (chat.add_hook''s pos, default after the others); unique per event';
SELECT pg_catalog.pg_extension_config_dump('chat.hook', '');

CREATE TABLE chat.model (
    model    text PRIMARY KEY
             CONSTRAINT model_model_check CHECK (model IN ('message', 'thread', 'member', 'reaction', 'attachment', 'notification')),
    tbl      regclass,
    renderer regprocedure,
    CONSTRAINT model_something_check CHECK (tbl IS NOT NULL OR renderer IS NOT NULL)
);
COMMENT ON TABLE chat.model IS
    'Swapped models: the application''s table extending a chat record (chat.swap_model) and its renderer (chat.swap_renderer)';
COMMENT ON COLUMN chat.model.model IS
    'the chat model extended or rendered: message, thread, member, reaction, attachment or notification';
COMMENT ON COLUMN chat.model.tbl IS
    'the application''s table extending the model, keyed by chat''s key (chat.swap_model); its row is the record''s extra; NULL: only a renderer is registered';
COMMENT ON COLUMN chat.model.renderer IS
    'fn(jsonb) returns jsonb rendering the model''s extra and its events (chat.swap_renderer), run as the current role; NULL: extra is the row without its keys';
SELECT pg_catalog.pg_extension_config_dump('chat.model', '');

CREATE TABLE chat.user_binding (
    singleton    boolean PRIMARY KEY DEFAULT true CONSTRAINT user_binding_singleton CHECK (singleton),
    tbl          regclass NOT NULL,
    id_column    name NOT NULL,
    on_delete    text NOT NULL CONSTRAINT user_binding_on_delete_check CHECK (on_delete IN ('cascade', 'restrict', 'anonymize')),
    display_name regprocedure
);
COMMENT ON TABLE chat.user_binding IS
    'The application''s users table chat is bound to (chat.use_user_table), at most one row';
COMMENT ON COLUMN chat.user_binding.singleton IS 'always true: the key that allows at most one binding';
COMMENT ON COLUMN chat.user_binding.tbl IS
    'the application''s users table that chat''s user columns reference (chat.use_user_table)';
COMMENT ON COLUMN chat.user_binding.id_column IS
    'its user id column (unique, of the base type of chat.user_id); followed when renamed';
COMMENT ON COLUMN chat.user_binding.on_delete IS
    'what deleting a user does: cascade (memberships and messages deleted), restrict (refused while chat refers to the user) or anonymize (memberships deleted, messages kept without sender)';
COMMENT ON COLUMN chat.user_binding.display_name IS
    'fn(user_id) returns text naming users in chat.display_name, member_view, message_view, system messages and events, run as the current role; NULL: none (names are NULL, system messages use ids)';
SELECT pg_catalog.pg_extension_config_dump('chat.user_binding', '');

/* Database roles that are one chat user, whatever the session's settings say. */
CREATE TABLE chat.role_map (
    role    regrole PRIMARY KEY,
    user_id chat.user_id NOT NULL
);
COMMENT ON TABLE chat.role_map IS
    'Database roles mapped to chat users (chat.map_role): such a role is that user, and settings cannot change it';
COMMENT ON COLUMN chat.role_map.role IS
    'database role mapped to a chat user (chat.map_role), kept by OID: unmap it before dropping the role';
COMMENT ON COLUMN chat.role_map.user_id IS
    'the chat user that role is: chat.current_user_id() in its sessions, whatever chat.user_id or JWT claims say';
SELECT pg_catalog.pg_extension_config_dump('chat.role_map', '');
