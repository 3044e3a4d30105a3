
/* ========================================================================
 * internal/checks.sql: argument checks shared by the API (each raises with its SQLSTATE)
 * ======================================================================== */

/*
 * A value as error messages show it: at most 256 characters, so that a
 * refused 10 MB argument does not come back as a 10 MB message.
 */
CREATE FUNCTION chat._shown(value text) RETURNS text
    LANGUAGE sql IMMUTABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT CASE WHEN char_length(value) > 256 THEN left(value, 256) || '...' ELSE value END
$$;

/* Raise 22004 naming the argument (in the message and the COLUMN field) when it is NULL. */
CREATE FUNCTION chat._not_null(value anyelement, name text) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF value IS NULL THEN
        /* the acting user defaults to the session's: say so when there is none */
        IF name IN ('sender', 'actor', 'viewer', 'reader', 'user', 'creator', 'editor', 'user_a')
           AND chat.current_user_id() IS NULL THEN
            RAISE EXCEPTION 'argument "%" must not be null', name
                USING ERRCODE = '22004', COLUMN = name,
                      DETAIL = 'No acting user was given, and the session has no chat user to default to.',
                      HINT = format('Pass "%s", or set the session''s user: set_config(''chat.user_id'', $1, true) inside the transaction, a JWT "sub" claim, or chat.map_role().', name);
        END IF;
        RAISE EXCEPTION 'argument "%" must not be null', name USING ERRCODE = '22004', COLUMN = name;
    END IF;
END
$$;

/* Only white space, ASCII or Unicode (src/send.c). */
CREATE FUNCTION chat._is_blank(value text) RETURNS boolean
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'chat_is_blank';

/* Message text: not NULL, not blank, not longer than max_content_length (src/send.c). */
CREATE FUNCTION chat._check_content(content text) RETURNS void
    LANGUAGE c STABLE
    AS 'MODULE_PATHNAME', 'chat_check_content_sql';

/* Subject or title: not NULL, not longer than max_subject_length. */
CREATE FUNCTION chat._check_subject(subject text) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    lim integer := chat._setting_value('max_subject_length')::integer;
BEGIN
    IF subject IS NULL THEN
        RAISE EXCEPTION 'argument "subject" must not be null' USING ERRCODE = '22004', COLUMN = 'subject';
    END IF;
    IF chat._is_blank(subject) THEN
        RAISE EXCEPTION 'subject must not be blank' USING ERRCODE = '22023', COLUMN = 'subject';
    END IF;
    IF char_length(subject) > lim THEN
        RAISE EXCEPTION 'subject is too long'
            USING ERRCODE = '22001', COLUMN = 'subject',
                  DETAIL = format('The subject has %s characters; the limit is %s.', char_length(subject), lim),
                  HINT = 'The limit is the setting "max_subject_length".';
    END IF;
END
$$;

/* page_size within 1 .. max_page_size. */
CREATE FUNCTION chat._check_page_size(page_size integer) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    lim integer := chat._setting_value('max_page_size')::integer;
BEGIN
    IF page_size IS NULL THEN
        RAISE EXCEPTION 'argument "page_size" must not be null' USING ERRCODE = '22004', COLUMN = 'page_size';
    END IF;
    IF page_size < 1 OR page_size > lim THEN
        RAISE EXCEPTION 'page_size must be between 1 and %', lim
            USING ERRCODE = '22023', COLUMN = 'page_size',
                  DETAIL = format('The page_size given was %s.', page_size),
                  HINT = 'The upper limit is the setting "max_page_size".';
    END IF;
END
$$;

CREATE FUNCTION chat._check_folder(folder text) RETURNS void
    LANGUAGE plpgsql IMMUTABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF folder IS NULL THEN
        RAISE EXCEPTION 'argument "folder" must not be null' USING ERRCODE = '22004', COLUMN = 'folder';
    END IF;
    IF folder NOT IN ('inbox', 'unread', 'deleted', 'sent', 'archived', 'mentions') THEN
        RAISE EXCEPTION 'invalid folder "%"', chat._shown(folder)
            USING ERRCODE = '22023', COLUMN = 'folder',
                  HINT = 'Folders are "inbox", "unread", "deleted", "sent", "archived" and "mentions".';
    END IF;
END
$$;

/* Check a list of users: not NULL, one-dimensional, no NULL element. */
CREATE FUNCTION chat._check_users(users chat.user_id[], name text) RETURNS void
    LANGUAGE plpgsql IMMUTABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    PERFORM chat._not_null(users, name);
    IF array_ndims(users) > 1 THEN
        RAISE EXCEPTION '% must be a one-dimensional array', name USING ERRCODE = '22023', COLUMN = name;
    END IF;
    IF array_position(users, NULL) IS NOT NULL THEN
        RAISE EXCEPTION '% must not contain null', name USING ERRCODE = '22004', COLUMN = name;
    END IF;
END
$$;

/* The message row by id; raises 42704 when there is none. */
CREATE FUNCTION chat._message_row(message bigint) RETURNS chat.message
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    m chat.message;
BEGIN
    SELECT * INTO m FROM chat.message mg WHERE mg.id = message;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'message % does not exist', message USING ERRCODE = '42704';
    END IF;
    RETURN m;
END
$$;

/* A message of the given thread, or 42704 / 22023. */
CREATE FUNCTION chat._message_in(thread bigint, message bigint) RETURNS chat.message
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    m chat.message := chat._message_row(message);
BEGIN
    IF m.thread_id <> thread THEN
        RAISE EXCEPTION 'message % is not in thread %', message, thread USING ERRCODE = '22023';
    END IF;
    RETURN m;
END
$$;

/*
 * The catalog row of a function given as regprocedure: a bare OID cast to
 * regprocedure is not checked by PostgreSQL, and a registration naming no
 * function would break every later call that runs it.
 */
CREATE FUNCTION chat._function_row(fn regprocedure, name text) RETURNS pg_proc
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    p pg_proc;
BEGIN
    SELECT * INTO p FROM pg_proc pp WHERE pp.oid = fn;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'function with OID % does not exist', fn::oid
            USING ERRCODE = '42883', COLUMN = name;
    END IF;
    RETURN p;
END
$$;
