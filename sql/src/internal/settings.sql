
/* ========================================================================
 * internal/settings.sql: the settings cache and the check of role-valued settings
 * ======================================================================== */

CREATE FUNCTION chat._setting_value(key text) RETURNS jsonb
    LANGUAGE c STABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'chat_setting';
COMMENT ON FUNCTION chat._setting_value(text) IS
    'Effective value of a setting, from a per-backend cache invalidated when chat.setting changes';

CREATE FUNCTION chat._relax_commit(key text) RETURNS void
    LANGUAGE c VOLATILE STRICT
    AS 'MODULE_PATHNAME', 'chat_relax_commit_sql';
COMMENT ON FUNCTION chat._relax_commit(text) IS
    'When the boolean setting (async_messages, async_read_state) is on, the calling transaction commits with synchronous_commit off; else, with early_lock_release on, its commit releases its locks before its WAL flush and then waits for the flush';

CREATE FUNCTION chat._wal_flush() RETURNS void
    LANGUAGE c VOLATILE
    AS 'MODULE_PATHNAME', 'chat_wal_flush';
COMMENT ON FUNCTION chat._wal_flush() IS
    'Waits until the WAL written so far is on disk: every transaction the caller sees is then durable (chat.changes and chat.feed hand out only durable events)';

CREATE FUNCTION chat._setting_changed() RETURNS trigger
    LANGUAGE c
    AS 'MODULE_PATHNAME', 'chat_setting_changed';

/* The setting server_roles: a JSON array of existing role names. */
CREATE FUNCTION chat._check_roles(key text, value jsonb) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    bad text;
BEGIN
    IF jsonb_typeof(value) <> 'array'
       OR EXISTS (SELECT 1 FROM jsonb_array_elements(value) e WHERE jsonb_typeof(e) <> 'string') THEN
        RAISE EXCEPTION 'invalid value for setting "%": %', key, chat._shown(value::text)
            USING ERRCODE = '22023', COLUMN = 'value', DETAIL = 'The setting takes a JSON array of role names.';
    END IF;
    SELECT e INTO bad FROM jsonb_array_elements_text(value) e
     WHERE NOT EXISTS (SELECT 1 FROM pg_roles r WHERE r.rolname = e) LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'role "%" does not exist', bad
            USING ERRCODE = '22023', COLUMN = 'value', DETAIL = format('The setting "%s" names existing roles.', key);
    END IF;
END
$$;
