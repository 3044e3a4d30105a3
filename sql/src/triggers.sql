
/* ========================================================================
 * triggers.sql: every trigger and event trigger of chat
 *
 * The functions they run live in internal/ (unread.sql for the counters,
 * settings.sql, events.sql, users.sql, models.sql for the caches and the
 * user binding).
 * ======================================================================== */

/* settings: drop every backend's cached values when chat.setting changes */
CREATE TRIGGER setting_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON chat.setting
    FOR EACH STATEMENT EXECUTE FUNCTION chat._setting_changed();

/* messages: id, counters and read state on insert; history on edit; on delete their dependents go and the thread is recounted */
CREATE TRIGGER message_insert
    BEFORE INSERT ON chat.message
    FOR EACH ROW EXECUTE FUNCTION chat._message_insert();

CREATE TRIGGER message_update
    BEFORE UPDATE ON chat.message
    FOR EACH ROW
    WHEN (OLD.content IS DISTINCT FROM NEW.content
          OR OLD.deleted_at IS DISTINCT FROM NEW.deleted_at
          OR OLD.id <> NEW.id OR OLD.thread_id <> NEW.thread_id
          OR OLD.sender_id IS DISTINCT FROM NEW.sender_id OR OLD.kind <> NEW.kind
          OR (NEW.parent_id IS NOT NULL AND NEW.forwarded_from IS NOT NULL))
    EXECUTE FUNCTION chat._message_update();

/* messages: the words of an edited text message for chat.search (a new one gets them from message_insert; src/search.c) */
CREATE TRIGGER message_search_update
    BEFORE UPDATE OF content ON chat.message
    FOR EACH ROW
    WHEN (NEW.kind = 'text' AND OLD.content IS DISTINCT FROM NEW.content)
    EXECUTE FUNCTION chat._message_search();

CREATE TRIGGER message_delete
    AFTER DELETE ON chat.message
    REFERENCING OLD TABLE AS removed
    FOR EACH STATEMENT EXECUTE FUNCTION chat._message_delete();

CREATE TRIGGER message_truncate
    AFTER TRUNCATE ON chat.message
    FOR EACH STATEMENT EXECUTE FUNCTION chat._truncate_dependents();

/* threads: their members and messages go with them (there are no foreign keys) */
CREATE TRIGGER thread_delete
    AFTER DELETE ON chat.thread
    REFERENCING OLD TABLE AS removed
    FOR EACH STATEMENT EXECUTE FUNCTION chat._thread_delete();

CREATE TRIGGER thread_truncate
    AFTER TRUNCATE ON chat.thread
    FOR EACH STATEMENT EXECUTE FUNCTION chat._truncate_dependents();

/* members: default permissions, member_count, the thread's position for newcomers */
CREATE TRIGGER member_defaults
    BEFORE INSERT ON chat.member
    FOR EACH ROW EXECUTE FUNCTION chat._member_defaults();

CREATE TRIGGER member_insert
    AFTER INSERT ON chat.member
    REFERENCING NEW TABLE AS added
    FOR EACH STATEMENT EXECUTE FUNCTION chat._member_insert();

CREATE TRIGGER member_delete
    AFTER DELETE ON chat.member
    REFERENCING OLD TABLE AS removed
    FOR EACH STATEMENT EXECUTE FUNCTION chat._member_delete();

/* registries: drop every backend's cached copy when one changes */
CREATE TRIGGER hook_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON chat.hook
    FOR EACH STATEMENT EXECUTE FUNCTION chat._registry_changed();

CREATE TRIGGER model_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON chat.model
    FOR EACH STATEMENT EXECUTE FUNCTION chat._registry_changed();

CREATE TRIGGER user_binding_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON chat.user_binding
    FOR EACH STATEMENT EXECUTE FUNCTION chat._registry_changed();

CREATE TRIGGER role_map_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON chat.role_map
    FOR EACH STATEMENT EXECUTE FUNCTION chat._registry_changed();

/* the user binding's foreign keys, re-added after pg_dump restores the binding row */
CREATE TRIGGER user_binding_apply
    AFTER INSERT ON chat.user_binding
    FOR EACH ROW EXECUTE FUNCTION chat._user_binding_insert();

/*
 * Database-wide event triggers: they return at once when nothing is bound or
 * swapped, and report failures as warnings, never failing the application's
 * DDL (internal/users.sql, internal/models.sql).
 */
CREATE EVENT TRIGGER chat_user_binding_ddl ON ddl_command_end
    WHEN TAG IN ('ALTER TABLE', 'CREATE INDEX')
    EXECUTE FUNCTION chat._user_binding_ddl();
CREATE EVENT TRIGGER chat_user_binding_dropped ON sql_drop
    EXECUTE FUNCTION chat._user_binding_dropped();
CREATE EVENT TRIGGER chat_model_dropped ON sql_drop
    EXECUTE FUNCTION chat._model_dropped();
