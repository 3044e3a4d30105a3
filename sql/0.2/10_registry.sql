
/* ------------------------------------------------------------------------
 * Registries of hooks, swapped models and the user binding
 *
 * Each is read by the C module into a per-backend cache (src/registry.c);
 * a statement trigger sends a relcache invalidation for the table, so a
 * change made in one session is seen by the next call in every other.
 * ------------------------------------------------------------------------ */

CREATE FUNCTION chat._registry_changed() RETURNS trigger
    LANGUAGE c
    AS 'MODULE_PATHNAME', 'chat_registry_changed';
COMMENT ON FUNCTION chat._registry_changed() IS
    'Statement trigger of chat''s registries: drop every backend''s cached copy';

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
SELECT pg_catalog.pg_extension_config_dump('chat.hook', '');
CREATE TRIGGER hook_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON chat.hook
    FOR EACH STATEMENT EXECUTE FUNCTION chat._registry_changed();

CREATE TABLE chat.model (
    model    text PRIMARY KEY
             CONSTRAINT model_model_check CHECK (model IN ('message', 'thread', 'member', 'reaction', 'attachment')),
    tbl      regclass,
    renderer regprocedure,
    CONSTRAINT model_something_check CHECK (tbl IS NOT NULL OR renderer IS NOT NULL)
);
COMMENT ON TABLE chat.model IS
    'Swapped models: the application''s table extending a chat record (chat.swap_model) and its renderer (chat.swap_renderer)';
SELECT pg_catalog.pg_extension_config_dump('chat.model', '');
CREATE TRIGGER model_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON chat.model
    FOR EACH STATEMENT EXECUTE FUNCTION chat._registry_changed();

CREATE TABLE chat.user_binding (
    singleton    boolean PRIMARY KEY DEFAULT true CONSTRAINT user_binding_singleton CHECK (singleton),
    tbl          regclass NOT NULL,
    id_column    name NOT NULL,
    on_delete    text NOT NULL CONSTRAINT user_binding_on_delete_check CHECK (on_delete IN ('cascade', 'restrict', 'anonymize')),
    display_name regprocedure
);
COMMENT ON TABLE chat.user_binding IS
    'The application''s users table chat is bound to (chat.use_user_table), at most one row';
SELECT pg_catalog.pg_extension_config_dump('chat.user_binding', '');
CREATE TRIGGER user_binding_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON chat.user_binding
    FOR EACH STATEMENT EXECUTE FUNCTION chat._registry_changed();

/* Settings of a text type (the NOTIFY channel) */
ALTER TABLE chat.setting_default DROP CONSTRAINT setting_default_type_check;
ALTER TABLE chat.setting_default ADD CONSTRAINT setting_default_type_check
    CHECK (type IN ('boolean', 'integer', 'text'));
COMMENT ON COLUMN chat.setting_default.min_value IS 'Smallest value (integer) or shortest text (text)';
COMMENT ON COLUMN chat.setting_default.max_value IS 'Largest value (integer) or longest text (text)';

CREATE OR REPLACE FUNCTION chat.set_setting(key text, value jsonb) RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
#variable_conflict use_variable
DECLARE
    d chat.setting_default;
    n numeric;
BEGIN
    IF key IS NULL THEN
        RAISE EXCEPTION 'argument "key" must not be null' USING ERRCODE = '22004';
    END IF;
    SELECT * INTO d FROM chat.setting_default sd WHERE sd.key = set_setting.key;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown setting "%"', key
            USING ERRCODE = '22023',
                  HINT = 'SELECT key FROM chat.settings lists the settings.';
    END IF;

    IF value IS NULL OR value = 'null'::jsonb THEN
        DELETE FROM chat.setting s WHERE s.key = d.key;
        RETURN d.value;
    END IF;

    IF d.type = 'boolean' AND jsonb_typeof(value) <> 'boolean' THEN
        RAISE EXCEPTION 'invalid value for setting "%": %', key, value
            USING ERRCODE = '22023', DETAIL = 'The setting takes true or false.';
    ELSIF d.type = 'integer' THEN
        IF jsonb_typeof(value) <> 'number' OR value::numeric <> trunc(value::numeric) THEN
            RAISE EXCEPTION 'invalid value for setting "%": %', key, value
                USING ERRCODE = '22023', DETAIL = 'The setting takes a whole number.';
        END IF;
        n := value::numeric;
        IF n < d.min_value OR n > d.max_value THEN
            RAISE EXCEPTION 'value % is out of range for setting "%"', value, key
                USING ERRCODE = '22023',
                      DETAIL = format('The setting takes a number from %s to %s.', d.min_value, d.max_value);
        END IF;
    ELSIF d.type = 'text' THEN
        IF jsonb_typeof(value) <> 'string' THEN
            RAISE EXCEPTION 'invalid value for setting "%": %', key, value
                USING ERRCODE = '22023', DETAIL = 'The setting takes a string.';
        END IF;
        n := char_length(value #>> '{}');
        IF n < d.min_value OR n > d.max_value THEN
            RAISE EXCEPTION 'value % is out of range for setting "%"', value, key
                USING ERRCODE = '22023',
                      DETAIL = format('The setting takes a string of %s to %s characters.', d.min_value, d.max_value);
        END IF;
    END IF;

    INSERT INTO chat.setting AS s (key, value) VALUES (d.key, value)
        ON CONFLICT ON CONSTRAINT setting_pkey DO UPDATE SET value = excluded.value;
    RETURN value;
END
$$;
