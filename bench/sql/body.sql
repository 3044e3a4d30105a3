/*
 * bench/sql/body.sql: the S1/S2 "body" runs: chat.inbox and chat.messages
 * declared again as bench.inbox_body and bench.messages_body, less SECURITY
 * DEFINER and less their first statement, the caller check (chat._act).
 * What is left is the work behind the checked entry point, so "user / body"
 * is what the check and the definer's rights cost an end user.
 */
\set ON_ERROR_STOP on

CREATE SCHEMA IF NOT EXISTS bench;
DO $$
DECLARE
    f text;
    def text;
BEGIN
    FOREACH f IN ARRAY ARRAY['inbox', 'messages'] LOOP
        def := pg_get_functiondef(format('chat.%s', f)::regproc);
        def := replace(def, format('FUNCTION chat.%s(', f), format('FUNCTION bench.%s_body(', f));
        -- arguments qualified by the function's name follow the new name
        def := regexp_replace(def, format('([^a-z_.])%s\.', f), format('\1%s_body.', f), 'g');
        def := regexp_replace(def, '\n\s*SECURITY DEFINER', '');
        IF def !~ '\n    PERFORM chat\._act\(viewer\);\n' THEN
            RAISE EXCEPTION 'chat.% does not start with its caller check as bench/sql/body.sql expects', f;
        END IF;
        def := regexp_replace(def, '\n    PERFORM chat\._act\(viewer\);\n', E'\n');
        EXECUTE def;
    END LOOP;
END
$$;
