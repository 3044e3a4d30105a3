
/* ========================================================================
 * internal/profile.sql: checks of a room's profile
 * ======================================================================== */

/*
 * A description or avatar given to chat.set_profile: NULL (unchanged) and ''
 * (cleared) pass; otherwise not blank (22023) and at most the setting's
 * number of characters (22001).
 */
CREATE FUNCTION chat._check_profile_text(value text, name text, limit_setting text) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    lim integer;
BEGIN
    IF value IS NULL OR value = '' THEN
        RETURN;
    END IF;
    IF chat._is_blank(value) THEN
        RAISE EXCEPTION '% must not be blank', name
            USING ERRCODE = '22023', COLUMN = name, HINT = 'An empty string clears it.';
    END IF;
    lim := chat._setting_value(limit_setting)::integer;
    IF char_length(value) > lim THEN
        RAISE EXCEPTION '% is too long', name
            USING ERRCODE = '22001', COLUMN = name,
                  DETAIL = format('The %s has %s characters; the limit is %s.', name, char_length(value), lim),
                  HINT = format('The limit is the setting "%s".', limit_setting);
    END IF;
END
$$;
