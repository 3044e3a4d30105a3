
/* ========================================================================
 * api/settings.sql: get_setting, set_setting
 * ======================================================================== */

/*
 * Every role may read settings: no caller check.  Definer's rights, because
 * it reads chat._setting_value, which end users may not call.
 */
CREATE FUNCTION chat.get_setting(key text) RETURNS jsonb
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF key IS NULL THEN
        RAISE EXCEPTION 'argument "key" must not be null' USING ERRCODE = '22004', COLUMN = 'key';
    END IF;
    RETURN chat._setting_value(key);
END
$$;
COMMENT ON FUNCTION chat.get_setting(text) IS
    'Current value of a chat setting (see the view chat.settings for the list)';

/* Server roles only: each type of setting checked for its values. */
CREATE FUNCTION chat.set_setting(key text, value jsonb) RETURNS jsonb
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
COMMENT ON FUNCTION chat.set_setting(text, jsonb) IS
    'Change a chat setting for the database; a NULL value restores the default. Returns the new value';
