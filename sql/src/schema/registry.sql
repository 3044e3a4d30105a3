
/* ========================================================================
 * schema/registry.sql: hooks, swapped models, the user binding, role mappings
 *
 * Each is read by the C module into a per-backend cache (src/registry.c,
 * src/identity.c); a statement trigger (triggers.sql) sends a relcache
 * invalidation for the table, so a change made in one session is seen by the
 * next call in every other.
 * ======================================================================== */

CREATE TABLE chat.hook (
    event    text NOT NULL
             CONSTRAINT hook_event_check CHECK (event IN (
                 'message_sent', 'message_edited', 'message_deleted', 'thread_created',
                 'member_added', 'member_removed', 'reaction_added', 'reaction_removed',
                 'thread_read')),
    function regprocedure NOT NULL,
    position integer NOT NULL,
    PRIMARY KEY (event, function),
    UNIQUE (event, position)
);
COMMENT ON TABLE chat.hook IS
    'Functions fn(jsonb) run inside the transaction of every event, in position order (chat.add_hook)';
COMMENT ON COLUMN chat.hook.event IS
    'event the hook runs for: message_sent, message_edited, message_deleted, thread_created, member_added, member_removed, reaction_added, reaction_removed or thread_read';
COMMENT ON COLUMN chat.hook.function IS
    'the hook fn(jsonb): called with the event''s payload inside the operation''s transaction, as the current role; an error aborts the operation; skipped once dropped';
COMMENT ON COLUMN chat.hook.position IS
    'order among the event''s hooks, lowest first (chat.add_hook''s pos, default after the others); unique per event';
SELECT pg_catalog.pg_extension_config_dump('chat.hook', '');

CREATE TABLE chat.model (
    model    text PRIMARY KEY
             CONSTRAINT model_model_check CHECK (model IN ('message', 'thread', 'member', 'reaction', 'attachment')),
    tbl      regclass,
    renderer regprocedure,
    CONSTRAINT model_something_check CHECK (tbl IS NOT NULL OR renderer IS NOT NULL)
);
COMMENT ON TABLE chat.model IS
    'Swapped models: the application''s table extending a chat record (chat.swap_model) and its renderer (chat.swap_renderer)';
COMMENT ON COLUMN chat.model.model IS
    'the chat model extended or rendered: message, thread or member (reaction and attachment not available yet)';
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
