-- Identity consistency (run by run.sh in a database of each user id type):
-- a user id means the same whether it comes from the setting chat.user_id or
-- from the "sub" claim of request.jwt.claims (PostgREST).  For each value, the
-- outcome of chat.current_user_id() and of a send as an unmapped end user
-- (the user id, or NULL for no identity, or the SQLSTATE) must be the same
-- both ways.  One line per value: ok|value|via setting|via claims.
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
CREATE FUNCTION pg_temp.who(setting text, claims text) RETURNS text
    LANGUAGE plpgsql AS $$
DECLARE
    r text;
    st text;
BEGIN
    BEGIN
        PERFORM set_config('chat.user_id', setting, true);
        PERFORM set_config('request.jwt.claims', claims, true);
        PERFORM set_config('role', 'hostile_web', true);
        r := coalesce(quote_literal(chat.current_user_id()::text), 'no identity');
        BEGIN
            PERFORM chat.create_group(title => 'id check');
            r := r || ', create_group ok';
        EXCEPTION WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE;
            r := r || ', create_group ' || st;
        END;
        RAISE EXCEPTION USING ERRCODE = 'HX001', MESSAGE = r;
    EXCEPTION
        WHEN SQLSTATE 'HX001' THEN
            GET STACKED DIAGNOSTICS r = MESSAGE_TEXT;
        WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE;
            r := 'current_user_id ' || st;
    END;
    RETURN r;
END
$$;
\pset format unaligned
\pset tuples_only on
\pset fieldsep '|'
SELECT s IS NOT DISTINCT FROM c, replace(format('%L', v), E'\n', '\n'), s, c
  FROM unnest(ARRAY['', ' ', '2', ' 2', '2 ', 'abc', '0', '-1', '99999999999999999999', E'2\n', 'é'])
       WITH ORDINALITY AS u(v, i),
       LATERAL (SELECT pg_temp.who(v, '') AS s, pg_temp.who('', json_build_object('sub', v)::text) AS c) w
 ORDER BY i;
