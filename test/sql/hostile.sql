-- A hostile search_path cannot hijack chat (SPEC principle 5).
--
-- Schemas hostile and public, first on the path with pg_catalog explicitly
-- last, hold operators, functions, aggregates, tables and views named like
-- the ones chat uses; the session's temporary schema holds relations and
-- types named like chat's and pg_catalog's.  Each of them logs a WARNING and
-- a row in hostile.calls when called, and gives a wrong answer.  chat is
-- installed and used through every part of its API with that path, by a
-- server role and by an end user: every answer is right, and apart from the
-- control (code that does not pin its path) no hostile object's WARNING
-- is printed and hostile.calls stays empty.  Alice is 1, Bob 2, Carol 3,
-- Dan 4, Erin 5, Frank 6.
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS chat CASCADE;
DROP SCHEMA IF EXISTS hostile_app, hostile CASCADE;
DROP ROLE IF EXISTS regress_chat_hostile_carol, regress_chat_hostile_web;
\set VERBOSITY terse

/* ---- The hostile objects ---------------------------------------------------- */

CREATE SCHEMA hostile;
GRANT USAGE ON SCHEMA hostile TO PUBLIC;
CREATE TABLE hostile.calls (n bigserial PRIMARY KEY, what text NOT NULL);
GRANT INSERT ON hostile.calls TO PUBLIC;
GRANT USAGE ON SEQUENCE hostile.calls_n_seq TO PUBLIC;

-- Say that a hostile object was called, even if the caller then fails
CREATE FUNCTION hostile.log(what text) RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    RAISE WARNING 'hostile object called: %', what;
    BEGIN
        INSERT INTO hostile.calls (what) VALUES (what);
    EXCEPTION WHEN OTHERS THEN
        NULL;
    END;
END
$$;
CREATE FUNCTION hostile.logged(what text) RETURNS boolean
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    PERFORM hostile.log(what);
    RETURN true;
END
$$;
CREATE FUNCTION hostile.log_value(what text, value anyelement) RETURNS anyelement
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    PERFORM hostile.log(what);
    RETURN value;
END
$$;

-- What a shadowing relation shows: nothing, and a call logged
CREATE FUNCTION hostile.shadow(what text)
    RETURNS TABLE (id bigint, oid oid, thread_id bigint, message_id bigint, user_id bigint,
                   sender_id bigint, role text, kind text, key text, value jsonb, content text,
                   event text, function oid, "position" integer, model text, tbl oid,
                   rolname name, proname name, relname name, nspname name)
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    PERFORM hostile.log(what);
END
$$;

-- Operators of the built-in types: comparisons give the opposite answer,
-- the others a wrong value
CREATE FUNCTION pg_temp.make_operators(ops text[]) RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    o text[];
    n integer := (SELECT count(*) FROM pg_proc WHERE pronamespace = 'hostile'::regnamespace);
    wrong text;
BEGIN
    FOREACH o SLICE 1 IN ARRAY ops
    LOOP
        n := n + 1;
        wrong := CASE o[4]
            WHEN 'boolean' THEN format('NOT ($1 OPERATOR(pg_catalog.%s) $2)', o[1])
            WHEN 'text' THEN quote_literal('hijacked')
            WHEN 'jsonb' THEN quote_literal('"hijacked"')
            WHEN 'bigint[]' THEN quote_literal('{}')
            ELSE '-1000' END;
        EXECUTE format('CREATE FUNCTION hostile.op_%s(%s, %s) RETURNS %s LANGUAGE plpgsql'
                       ' SET search_path = pg_catalog, pg_temp'
                       ' AS $f$ BEGIN PERFORM hostile.log(%L); RETURN %s; END $f$',
                       n, o[2], o[3], o[4], format('%s(%s, %s)', o[1], o[2], o[3]), wrong);
        EXECUTE format('CREATE OPERATOR hostile.%s (LEFTARG = %s, RIGHTARG = %s, FUNCTION = hostile.op_%s)',
                       o[1], o[2], o[3], n);
    END LOOP;
END
$$;
SELECT pg_temp.make_operators(ARRAY[
    ['=', 'bigint', 'bigint', 'boolean'], ['<>', 'bigint', 'bigint', 'boolean'],
    ['<', 'bigint', 'bigint', 'boolean'], ['<=', 'bigint', 'bigint', 'boolean'],
    ['>', 'bigint', 'bigint', 'boolean'], ['>=', 'bigint', 'bigint', 'boolean'],
    ['=', 'bigint', 'integer', 'boolean'], ['<>', 'bigint', 'integer', 'boolean'],
    ['<', 'bigint', 'integer', 'boolean'], ['<=', 'bigint', 'integer', 'boolean'],
    ['>', 'bigint', 'integer', 'boolean'], ['>=', 'bigint', 'integer', 'boolean'],
    ['=', 'integer', 'bigint', 'boolean'],
    ['=', 'integer', 'integer', 'boolean'], ['<>', 'integer', 'integer', 'boolean'],
    ['<', 'integer', 'integer', 'boolean'], ['<=', 'integer', 'integer', 'boolean'],
    ['>', 'integer', 'integer', 'boolean'], ['>=', 'integer', 'integer', 'boolean'],
    ['=', 'text', 'text', 'boolean'], ['<>', 'text', 'text', 'boolean'],
    ['~~', 'text', 'text', 'boolean'], ['!~~', 'text', 'text', 'boolean'],
    ['~', 'text', 'text', 'boolean'],
    ['=', 'jsonb', 'jsonb', 'boolean'], ['<>', 'jsonb', 'jsonb', 'boolean'],
    ['@>', 'jsonb', 'jsonb', 'boolean'], ['?', 'jsonb', 'text', 'boolean'],
    ['=', 'oid', 'oid', 'boolean'], ['=', 'name', 'name', 'boolean'],
    ['=', 'boolean', 'boolean', 'boolean'],
    ['=', 'timestamptz', 'timestamptz', 'boolean'], ['<', 'timestamptz', 'timestamptz', 'boolean'],
    ['=', 'bigint[]', 'bigint[]', 'boolean'], ['@>', 'bigint[]', 'bigint[]', 'boolean'],
    ['&&', 'bigint[]', 'bigint[]', 'boolean'],
    ['+', 'bigint', 'bigint', 'bigint'], ['+', 'bigint', 'integer', 'bigint'],
    ['-', 'bigint', 'bigint', 'bigint'], ['-', 'bigint', 'integer', 'bigint'],
    ['+', 'integer', 'integer', 'integer'], ['-', 'integer', 'integer', 'integer'],
    ['||', 'text', 'text', 'text'], ['||', 'jsonb', 'jsonb', 'jsonb'],
    ['->', 'jsonb', 'text', 'jsonb'], ['->>', 'jsonb', 'text', 'text'],
    ['-', 'jsonb', 'text', 'jsonb'], ['||', 'bigint[]', 'bigint', 'bigint[]']]);

-- Functions named like the pg_catalog functions chat's code calls
CREATE FUNCTION pg_temp.make_functions(fns text[]) RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    f text[];
BEGIN
    FOREACH f SLICE 1 IN ARRAY fns
    LOOP
        EXECUTE format('CREATE FUNCTION hostile.%s RETURNS %s LANGUAGE plpgsql'
                       ' SET search_path = pg_catalog, pg_temp'
                       ' AS $f$ BEGIN PERFORM hostile.log(%L); RETURN %s; END $f$',
                       f[1], f[2], f[1], f[3]);
    END LOOP;
END
$$;
SELECT pg_temp.make_functions(ARRAY[
    ['now()', 'timestamptz', '''2000-01-01 00:00:00+00'''],
    ['clock_timestamp()', 'timestamptz', '''2000-01-01 00:00:00+00'''],
    ['statement_timestamp()', 'timestamptz', '''2000-01-01 00:00:00+00'''],
    ['transaction_timestamp()', 'timestamptz', '''2000-01-01 00:00:00+00'''],
    ['format(text)', 'text', '''hijacked'''],
    ['format(text, VARIADIC text[])', 'text', '''hijacked'''],
    ['quote_ident(text)', 'text', '''hijacked'''],
    ['quote_literal(text)', 'text', '''hijacked'''],
    ['quote_nullable(text)', 'text', '''hijacked'''],
    ['lower(text)', 'text', '''hijacked'''],
    ['upper(text)', 'text', '''hijacked'''],
    ['btrim(text)', 'text', '''hijacked'''],
    ['"left"(text, integer)', 'text', '''hijacked'''],
    ['"right"(text, integer)', 'text', '''hijacked'''],
    ['substr(text, integer, integer)', 'text', '''hijacked'''],
    ['replace(text, text, text)', 'text', '''hijacked'''],
    ['regexp_replace(text, text, text)', 'text', '''hijacked'''],
    ['string_to_array(text, text)', 'text[]', '''{hijacked}'''],
    ['array_to_string(anyarray, text)', 'text', '''hijacked'''],
    ['char_length(text)', 'integer', '-1'],
    ['length(text)', 'integer', '-1'],
    ['octet_length(text)', 'integer', '-1'],
    ['jsonb_typeof(jsonb)', 'text', '''hijacked'''],
    ['jsonb_array_length(jsonb)', 'integer', '-1'],
    ['jsonb_array_elements(jsonb)', 'SETOF jsonb', ''],
    ['jsonb_array_elements_text(jsonb)', 'SETOF text', ''],
    ['jsonb_object_keys(jsonb)', 'SETOF text', ''],
    ['jsonb_each(jsonb)', 'TABLE (key text, value jsonb)', ''],
    ['jsonb_each_text(jsonb)', 'TABLE (key text, value text)', ''],
    ['jsonb_strip_nulls(jsonb)', 'jsonb', '''"hijacked"'''],
    ['jsonb_build_object()', 'jsonb', '''"hijacked"'''],
    ['jsonb_set(jsonb, text[], jsonb, boolean)', 'jsonb', '''"hijacked"'''],
    ['jsonb_extract_path_text(jsonb, VARIADIC text[])', 'text', '''hijacked'''],
    ['jsonb_populate_record(anyelement, jsonb)', 'anyelement', '$1'],
    ['to_jsonb(anyelement)', 'jsonb', '''"hijacked"'''],
    ['to_json(anyelement)', 'json', '''"hijacked"'''],
    ['array_length(anyarray, integer)', 'integer', '-1'],
    ['cardinality(anyarray)', 'integer', '-1'],
    ['array_position(anycompatiblearray, anycompatible)', 'integer', '-1'],
    ['array_append(anycompatiblearray, anycompatible)', 'anycompatiblearray', '$1'],
    ['array_remove(anycompatiblearray, anycompatible)', 'anycompatiblearray', '$1'],
    ['unnest(anyarray)', 'SETOF anyelement', ''],
    ['generate_series(bigint, bigint)', 'SETOF bigint', ''],
    ['generate_series(integer, integer)', 'SETOF integer', ''],
    ['generate_subscripts(anyarray, integer)', 'SETOF integer', ''],
    ['nextval(regclass)', 'bigint', '-1'],
    ['currval(regclass)', 'bigint', '-1'],
    ['setval(regclass, bigint)', 'bigint', '-1'],
    ['current_setting(text)', 'text', '''hijacked'''],
    ['current_setting(text, boolean)', 'text', '''hijacked'''],
    ['set_config(text, text, boolean)', 'text', '''hijacked'''],
    ['pg_notify(text, text)', 'void', ''],
    ['has_table_privilege(name, text, text)', 'boolean', 'true'],
    ['has_table_privilege(name, oid, text)', 'boolean', 'true'],
    ['has_table_privilege(text, text)', 'boolean', 'true'],
    ['pg_has_role(name, text)', 'boolean', 'true'],
    ['pg_has_role(oid, text)', 'boolean', 'true'],
    ['pg_advisory_xact_lock(bigint)', 'void', ''],
    ['pg_advisory_xact_lock(integer, integer)', 'void', ''],
    ['hashtext(text)', 'integer', '-1'],
    ['hashtextextended(text, bigint)', 'bigint', '-1'],
    ['pg_trigger_depth()', 'integer', '-1'],
    ['gen_random_uuid()', 'uuid', '''00000000-0000-0000-0000-000000000000''']]);

-- Aggregates: counts start at 1000, the others give nothing useful
CREATE FUNCTION hostile.count_step(state bigint) RETURNS bigint
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
    AS $$ BEGIN PERFORM hostile.log('count(*)'); RETURN state + 1; END $$;
CREATE AGGREGATE hostile.count(*) (SFUNC = hostile.count_step, STYPE = bigint, INITCOND = '1000');
CREATE FUNCTION hostile.int8_step(state bigint, value bigint) RETURNS bigint
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
    AS $$ BEGIN PERFORM hostile.log('sum/max/min(bigint)'); RETURN -1000; END $$;
CREATE AGGREGATE hostile.sum(bigint) (SFUNC = hostile.int8_step, STYPE = bigint);
CREATE AGGREGATE hostile.max(bigint) (SFUNC = hostile.int8_step, STYPE = bigint);
CREATE AGGREGATE hostile.min(bigint) (SFUNC = hostile.int8_step, STYPE = bigint);
CREATE FUNCTION hostile.int4_step(state bigint, value integer) RETURNS bigint
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
    AS $$ BEGIN PERFORM hostile.log('sum(integer)'); RETURN -1000; END $$;
CREATE AGGREGATE hostile.sum(integer) (SFUNC = hostile.int4_step, STYPE = bigint);
CREATE FUNCTION hostile.bool_step(state boolean, value boolean) RETURNS boolean
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
    AS $$ BEGIN PERFORM hostile.log('bool_or/bool_and(boolean)'); RETURN NOT value; END $$;
CREATE AGGREGATE hostile.bool_or(boolean) (SFUNC = hostile.bool_step, STYPE = boolean);
CREATE AGGREGATE hostile.bool_and(boolean) (SFUNC = hostile.bool_step, STYPE = boolean);
CREATE FUNCTION hostile.text_step(state text, value text, delimiter text) RETURNS text
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
    AS $$ BEGIN PERFORM hostile.log('string_agg(text, text)'); RETURN 'hijacked'; END $$;
CREATE AGGREGATE hostile.string_agg(text, text) (SFUNC = hostile.text_step, STYPE = text);
CREATE FUNCTION hostile.array_step(state anyarray, value anynonarray) RETURNS anyarray
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
    AS $$ BEGIN PERFORM hostile.log('array_agg(anynonarray)'); RETURN state; END $$;
CREATE AGGREGATE hostile.array_agg(anynonarray) (SFUNC = hostile.array_step, STYPE = anyarray, INITCOND = '{}');
CREATE FUNCTION hostile.jsonb_step(state jsonb, value anyelement) RETURNS jsonb
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
    AS $$ BEGIN PERFORM hostile.log('jsonb_agg(anyelement)'); RETURN '"hijacked"'; END $$;
CREATE AGGREGATE hostile.jsonb_agg(anyelement) (SFUNC = hostile.jsonb_step, STYPE = jsonb);
CREATE FUNCTION hostile.jsonb_object_step(state jsonb, key text, value jsonb) RETURNS jsonb
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
    AS $$ BEGIN PERFORM hostile.log('jsonb_object_agg(text, jsonb)'); RETURN '"hijacked"'; END $$;
CREATE AGGREGATE hostile.jsonb_object_agg(text, jsonb) (SFUNC = hostile.jsonb_object_step, STYPE = jsonb);

-- Relations named like chat's and like the catalogs chat reads, in hostile,
-- in public and in the session's temporary schema
CREATE FUNCTION pg_temp.make_relations(schemas text[], names text[]) RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    s text;
    r text;
BEGIN
    FOREACH s IN ARRAY schemas
    LOOP
        FOREACH r IN ARRAY names
        LOOP
            EXECUTE format('CREATE VIEW %I.%I AS SELECT * FROM hostile.shadow(%L)',
                           s, r, s || '.' || r);
        END LOOP;
    END LOOP;
END
$$;
SELECT pg_temp.make_relations('{hostile, public, pg_temp}',
    '{thread, member, message, message_edit, reaction, attachment, setting, setting_default,
      settings, permission_default, hook, model, user_binding, role_map, member_view,
      message_view, message_receipt, message_id_seq, thread_id_seq}');
SELECT pg_temp.make_relations('{hostile, pg_temp}',
    '{pg_proc, pg_class, pg_namespace, pg_type, pg_attribute, pg_constraint, pg_index,
      pg_roles, pg_extension, pg_trigger, pg_depend, pg_settings}');

-- Types named like chat's, in the temporary schema (searched first for types)
CREATE DOMAIN pg_temp.user_id AS bigint CHECK (hostile.logged('pg_temp.user_id'));
CREATE TYPE pg_temp.thread_kind AS ENUM ('private', 'direct', 'group', 'channel');
CREATE TYPE pg_temp.member_role AS ENUM ('owner', 'admin', 'member');
CREATE TYPE pg_temp.message_kind AS ENUM ('text', 'system');

-- Functions named like chat's own, in public, which comes before chat
CREATE FUNCTION public.current_user_id() RETURNS bigint LANGUAGE sql
    BEGIN ATOMIC SELECT hostile.log_value('public.current_user_id()', 666::bigint); END;
CREATE FUNCTION public.is_server_role() RETURNS boolean LANGUAGE sql
    BEGIN ATOMIC SELECT hostile.log_value('public.is_server_role()', true); END;
CREATE FUNCTION public._act(actor bigint) RETURNS bigint LANGUAGE sql
    BEGIN ATOMIC SELECT hostile.log_value('public._act(bigint)', 666::bigint); END;
CREATE FUNCTION public._require_server(what text) RETURNS void LANGUAGE sql
    BEGIN ATOMIC SELECT hostile.log('public._require_server(text)'); END;
CREATE FUNCTION public._require_reader(thread_id bigint) RETURNS void LANGUAGE sql
    BEGIN ATOMIC SELECT hostile.log('public._require_reader(bigint)'); END;
CREATE FUNCTION public._member_row(thread bigint, who bigint, lock boolean) RETURNS void LANGUAGE sql
    BEGIN ATOMIC SELECT hostile.log('public._member_row(bigint, bigint, boolean)'); END;
CREATE FUNCTION public._lock_thread(thread bigint) RETURNS void LANGUAGE sql
    BEGIN ATOMIC SELECT hostile.log('public._lock_thread(bigint)'); END;
CREATE FUNCTION public._my_threads() RETURNS SETOF bigint LANGUAGE sql
    BEGIN ATOMIC SELECT hostile.log_value('public._my_threads()', 1::bigint); END;
CREATE FUNCTION public._is_member(thread_id bigint) RETURNS boolean LANGUAGE sql
    BEGIN ATOMIC SELECT hostile.logged('public._is_member(bigint)'); END;
CREATE FUNCTION public._setting_value(key text) RETURNS jsonb LANGUAGE sql
    BEGIN ATOMIC SELECT hostile.log_value('public._setting_value(text)', '"hijacked"'::jsonb); END;
CREATE FUNCTION public._not_null(value text, name text) RETURNS void LANGUAGE sql
    BEGIN ATOMIC SELECT hostile.log('public._not_null(text, text)'); END;
CREATE FUNCTION public._check_content(content text) RETURNS void LANGUAGE sql
    BEGIN ATOMIC SELECT hostile.log('public._check_content(text)'); END;
CREATE FUNCTION public._emit(event text, thread_id bigint, message_id bigint, user_id bigint, fields jsonb)
    RETURNS void LANGUAGE sql
    BEGIN ATOMIC SELECT hostile.log('public._emit(text, bigint, bigint, bigint, jsonb)'); END;
CREATE FUNCTION public._add_attachments(thread_id bigint, message_id bigint, attachments jsonb)
    RETURNS void LANGUAGE sql
    BEGIN ATOMIC SELECT hostile.log('public._add_attachments(bigint, bigint, jsonb)'); END;
CREATE FUNCTION public._fill_extra(model text, thread_id bigint, message_id bigint, user_id bigint, extra jsonb)
    RETURNS void LANGUAGE sql
    BEGIN ATOMIC SELECT hostile.log('public._fill_extra(text, bigint, bigint, bigint, jsonb)'); END;

-- What is in place
SELECT format_type(o.oprleft, NULL) AS left, format_type(o.oprright, NULL) AS right,
       string_agg(o.oprname, ' ' ORDER BY o.oprname) AS operators
  FROM pg_catalog.pg_operator o WHERE o.oprnamespace = 'hostile'::regnamespace
 GROUP BY 1, 2 ORDER BY 1, 2;
SELECT n.nspname AS schema, p.prokind AS kind, count(*) AS functions
  FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
 WHERE n.nspname IN ('hostile', 'public') GROUP BY 1, 2 ORDER BY 1, 2;
SELECT CASE WHEN n.nspname LIKE 'pg_temp%' THEN 'pg_temp' ELSE n.nspname END AS schema,
       count(*) AS relations
  FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind = 'v' AND (n.nspname IN ('hostile', 'public') OR n.oid = pg_my_temp_schema())
 GROUP BY 1 ORDER BY 1;

/* ---- chat installed with the hostile path ------------------------------------ */

SET search_path = hostile, public, chat, pg_catalog;
CREATE EXTENSION chat;
SHOW search_path;

-- The same for chat's own types, now that they exist
RESET search_path;
SELECT pg_temp.make_operators(ARRAY[
    ['=', 'chat.user_id', 'chat.user_id', 'boolean'], ['<>', 'chat.user_id', 'chat.user_id', 'boolean'],
    ['<', 'chat.user_id', 'chat.user_id', 'boolean'], ['>', 'chat.user_id', 'chat.user_id', 'boolean'],
    ['=', 'chat.user_id[]', 'chat.user_id[]', 'boolean'], ['@>', 'chat.user_id[]', 'chat.user_id[]', 'boolean'],
    ['=', 'chat.thread_kind', 'chat.thread_kind', 'boolean'],
    ['=', 'chat.member_role', 'chat.member_role', 'boolean'],
    ['=', 'chat.message_kind', 'chat.message_kind', 'boolean']]);

-- Every function of chat that is not written in C is pinned to
-- search_path = pg_catalog, pg_temp; so is every SECURITY DEFINER function;
-- but chat.propagate_identity, an invoker whose SET LOCAL a SET clause would
-- undo, which names everything with its schema (called below)
SELECT p.oid::regprocedure AS not_pinned
  FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_language l ON l.oid = p.prolang
 WHERE p.pronamespace = 'chat'::regnamespace
   AND (l.lanname NOT IN ('c', 'internal') OR p.prosecdef)
   AND (p.proconfig IS NULL OR NOT 'search_path=pg_catalog, pg_temp' = ANY (p.proconfig))
   AND p.oid <> 'chat.propagate_identity()'::regprocedure;
SELECT p.prosecdef AS propagate_identity_is_definer, p.proconfig
  FROM pg_catalog.pg_proc p WHERE p.oid = 'chat.propagate_identity()'::regprocedure;
-- The C functions that run with the caller's path: their queries name
-- everything with its schema (this list changes only after a review)
SELECT p.oid::regprocedure::text AS c_with_callers_path
  FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_language l ON l.oid = p.prolang
 WHERE p.pronamespace = 'chat'::regnamespace
   AND l.lanname = 'c' AND p.proconfig IS NULL
 ORDER BY 1;

-- The application: a users table with a display name, a message model, a
-- hook that records what it receives
CREATE SCHEMA hostile_app;
GRANT USAGE ON SCHEMA hostile_app TO PUBLIC;
CREATE TABLE hostile_app.users (id bigint PRIMARY KEY, name text NOT NULL);
GRANT SELECT ON hostile_app.users TO PUBLIC;
INSERT INTO hostile_app.users VALUES (1, 'Alice'), (2, 'Bob'), (3, 'Carol'), (4, 'Dan'), (5, 'Erin'), (6, 'Frank');
CREATE FUNCTION hostile_app.user_name(id bigint) RETURNS text
    LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
    AS $$ SELECT u.name FROM hostile_app.users u WHERE u.id = $1 $$;
CREATE TABLE hostile_app.message_meta (
    thread_id  bigint,
    message_id bigint,
    priority   text NOT NULL DEFAULT 'normal' CHECK (priority IN ('low', 'normal', 'high')),
    is_pinned  boolean NOT NULL DEFAULT false,
    PRIMARY KEY (thread_id, message_id),
    FOREIGN KEY (thread_id, message_id) REFERENCES chat.message (thread_id, id) ON DELETE CASCADE
);
CREATE TABLE hostile_app.events (n bigserial PRIMARY KEY, payload jsonb NOT NULL);
CREATE FUNCTION hostile_app.record(payload jsonb) RETURNS void
    LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    AS $$ INSERT INTO hostile_app.events (payload) VALUES (payload) $$;
-- end users: one mapped to Carol, one that PostgREST's claims name
CREATE ROLE regress_chat_hostile_carol;
CREATE ROLE regress_chat_hostile_web;

-- Types named like the built-in ones chat's queries use, in the temporary
-- schema: from here on, text, jsonb... written without pg_catalog are these
CREATE DOMAIN pg_temp.text AS pg_catalog.text CHECK (hostile.logged('pg_temp.text'));
CREATE DOMAIN pg_temp.jsonb AS pg_catalog.jsonb CHECK (hostile.logged('pg_temp.jsonb'));
CREATE DOMAIN pg_temp.int8 AS pg_catalog.int8 CHECK (hostile.logged('pg_temp.int8'));
CREATE DOMAIN pg_temp.int4 AS pg_catalog.int4 CHECK (hostile.logged('pg_temp.int4'));
CREATE DOMAIN pg_temp.oid AS pg_catalog.oid CHECK (hostile.logged('pg_temp.oid'));
CREATE DOMAIN pg_temp.name AS pg_catalog.name CHECK (hostile.logged('pg_temp.name'));
CREATE DOMAIN pg_temp.bool AS pg_catalog.bool CHECK (hostile.logged('pg_temp.bool'));
CREATE DOMAIN pg_temp.regclass AS pg_catalog.regclass CHECK (hostile.logged('pg_temp.regclass'));
CREATE DOMAIN pg_temp.timestamptz AS pg_catalog.timestamptz CHECK (hostile.logged('pg_temp.timestamptz'));

-- From here on everything runs with the hostile path.  The queries of this
-- file write pg_catalog's operators and aggregates out in full.
SET search_path = hostile, public, chat, pg_catalog;
SHOW search_path;

/* ---- Settings and registrations ---------------------------------------------- */

-- threads of more than three members are "large" (the other write path)
SELECT chat.set_setting('inbox_fanout_limit', '3');
SELECT chat.set_setting('attachment_mime_types', '["image/*", "application/pdf"]');
SELECT chat.set_setting('max_attachment_size', '100000');
SELECT chat.get_setting('inbox_fanout_limit'), chat.get_setting('reactions');
SELECT chat.set_setting('inbox_fanout_limit', '"three"');
SELECT chat.set_setting('no_such_setting', '1');
SELECT key, value FROM chat.settings ORDER BY key;

SELECT chat.use_user_table('hostile_app.users', display_name => 'hostile_app.user_name(bigint)');
SELECT tbl, id_column, on_delete, display_name FROM chat.user_binding;
SELECT chat.display_name(2);
SELECT chat.swap_model('message', 'hostile_app.message_meta');
SELECT model, tbl, renderer FROM chat.model;
SELECT e.event, chat.add_hook(e.event, 'hostile_app.record(pg_catalog.jsonb)') AS added
  FROM (VALUES ('message_sent'), ('message_edited'), ('message_deleted'), ('thread_created'),
               ('member_added'), ('member_removed'), ('reaction_added'), ('reaction_removed'),
               ('thread_read')) e(event);
SELECT chat.add_hook('message_sent', 'hostile_app.user_name(bigint)');
SELECT event, function, position FROM chat.hook ORDER BY event, position;

/* ---- Private threads: send, reply, read ----------------------------------------- */

-- Alice writes to Bob and Carol with an attachment and extra
SELECT chat.new_message(1, '{2,3,2}', 'Plans', 'Hello both',
    attachments => '[{"key": "s3://b/a.png", "name": "a.png", "mime": "image/png", "size": 1234,
                      "meta": {"width": 10, "height": 20}}]',
    extra => '{"priority": "high"}') AS m1 \gset
SELECT thread_id AS t FROM chat.message WHERE id OPERATOR(pg_catalog.=) :m1 \gset
SELECT kind, subject, created_by, member_count, message_count, last_sender_id, last_preview
  FROM chat.thread WHERE id OPERATOR(pg_catalog.=) :t;
-- Bob answers her (new_reply, in C) with a parent, an attachment and extra
SELECT chat.new_reply(:t, 2, 'Hi Alice', parent_id => :m1,
    attachments => '[{"key": "s3://b/doc.pdf", "name": "doc.pdf", "mime": "application/pdf", "size": 99},
                     {"key": "s3://b/b.gif", "mime": "image/gif", "size": 5}]',
    extra => '{"priority": "low", "is_pinned": true}') AS m2 \gset
-- Carol reads up to Alice's message, then all, then marks Bob's unread
SELECT chat.mark_read(:t, 3, up_to => :m1) AS read;
SELECT chat.mark_read(:t, 3) AS read;
SELECT chat.mark_read(:t, 3) AS read_again;
SELECT * FROM chat.unread_count(3);
SELECT chat.mark_unread(:t, 3, from_message => :m2) AS unread;
SELECT * FROM chat.unread_count(3);
-- Alice's client fetched the thread
SELECT chat.mark_delivered(1) AS delivered;
SELECT user_id, status FROM chat.receipts(:m1, 1) ORDER BY user_id;
-- Carol's mark_unread moved her read pointer back; her seen receipt stays
SELECT user_id, status FROM chat.receipts(:m2, 2) ORDER BY user_id;
-- Carol answers: the thread is read for her again
SELECT chat.new_reply(:t, 3, 'Hi all') AS m3 \gset
SELECT message_id, user_id, status FROM chat.message_receipt ORDER BY message_id, user_id;
-- and the checks still hold
SELECT chat.new_reply(:t, 4, 'Let me in');
SELECT chat.new_reply(:t, 2, '   ');
SELECT chat.new_reply(:t, 2, 'x', parent_id => 999999);
SELECT chat.new_reply(:t, 2, 'x', attachments => '[{"key": "s3://b/v.mp4", "mime": "video/mp4", "size": 5}]');
SELECT chat.new_reply(:t, 2, 'x', attachments => '[{"key": "s3://b/big.png", "mime": "image/png", "size": 100001}]');
SELECT chat.new_reply(:t, 2, 'x', extra => '{"priority": "urgent"}');
SELECT chat.new_reply(:t, 2, 'x', extra => '{"colour": "red"}');
SELECT chat.new_message(1, '{}', 'Nobody', 'x');
SELECT id, sender_id, kind, content, edited, deleted, parent_id, forwarded_from, attachments,
       seen_count, extra
  FROM chat.messages(:t, 3);
SELECT message_id, priority, is_pinned FROM hostile_app.message_meta ORDER BY message_id;

-- inboxes and badges
SELECT v.u AS viewer, i.kind, i.subject, i.last_message_id, i.last_sender_id, i.last_preview,
       i.unread_count, i.unread, i.muted, i.member_count
  FROM (VALUES (1::bigint), (2), (3), (4)) v(u), chat.inbox(v.u) i ORDER BY 1;
SELECT v.u AS viewer, c.threads, c.messages
  FROM (VALUES (1::bigint), (2), (3), (4)) v(u), chat.unread_count(v.u) c ORDER BY 1;
SELECT chat.inbox_count(3), chat.inbox_count(3, 'unread'), chat.inbox_count(1, 'sent');

-- The control: the same path does hijack code that does not pin it.  A
-- function counting a thread's members calls the hostile "=" and count(*),
-- an unqualified relation or type name finds the temporary schema's.
CREATE FUNCTION pg_temp.unpinned_member_count(t bigint) RETURNS bigint
    LANGUAGE sql AS $$ SELECT count(*) FROM chat.member m WHERE m.thread_id = t $$;
SELECT pg_temp.unpinned_member_count(:t);
SELECT pg_catalog.count(*) FROM thread;
SELECT '1'::user_id;
SELECT what FROM hostile.calls ORDER BY n;
TRUNCATE hostile.calls;

-- the thread's own lookups
SELECT chat.first_message(:t) OPERATOR(pg_catalog.=) :m1 AS first_is_m1,
       chat.latest_message(:t) OPERATOR(pg_catalog.=) :m3 AS latest_is_m3,
       chat.latest_message(:t, exclude_user => 3) OPERATOR(pg_catalog.=) :m2 AS latest_not_carol,
       chat.earliest_message(:t, exclude_user => 1) OPERATOR(pg_catalog.=) :m2 AS earliest_not_alice,
       chat.started_by(:t);

-- edit, history, delete
SELECT chat.edit_message(:m1, 1, 'Hello both, edited') OPERATOR(pg_catalog.=) :m1 AS edited;
SELECT chat.edit_message(:m1, 2, 'Not mine');
SELECT content FROM chat.message_history(:m1, 2);
SELECT chat.delete_message(:m3, 3);
SELECT chat.edit_message(:m3, 3, 'Too late');
SELECT id, content, edited, deleted FROM chat.messages(:t, 2);
SELECT sender_id, sender_name, content FROM chat.message_view
 WHERE thread_id OPERATOR(pg_catalog.=) :t ORDER BY id;

/* ---- Reactions under the three settings ----------------------------------------- */

SELECT chat.add_reaction(:m1, 2, 'nice') AS added;
SELECT chat.add_reaction(:m1, 2, 'nice') AS added_again;
SELECT chat.add_reaction(:m1, 2, repeat('x', 33));
SELECT chat.set_setting('reactions', '"emoji"');
SELECT chat.add_reaction(:m1, 3, '👍🏽') AS added;
SELECT chat.add_reaction(:m1, 3, '👨‍👩‍👧') AS added;
SELECT chat.add_reaction(:m1, 3, 'nice');
SELECT chat.set_setting('reactions', '["🎉", "👍🏽"]');
SELECT chat.add_reaction(:m1, 1, '🎉') AS added;
SELECT chat.add_reaction(:m1, 1, '😀');
SELECT chat.toggle_reaction(:m1, 2, '🎉') AS now_on;
SELECT chat.toggle_reaction(:m1, 1, '🎉') AS now_on;
SELECT chat.remove_reaction(:m1, 3, '👨‍👩‍👧') AS removed;
SELECT chat.remove_reaction(:m1, 3, '👨‍👩‍👧') AS removed_again;
SELECT reaction, count, users, reacted_by_viewer FROM chat.reactions(:m1, 2) ORDER BY reaction;
SELECT id, reactions FROM chat.messages(:t, 1, before => :m2, page_size => 1);
SELECT chat.set_setting('reactions', '"any"');

/* ---- Groups, channels, direct and object rooms ----------------------------------- */

-- a group of five: a "large" thread
SELECT chat.create_group(1, 'Team', '{2,3,4,5}') AS g \gset
SELECT kind, subject, member_count, large FROM chat.thread WHERE id OPERATOR(pg_catalog.=) :g;
SELECT chat.new_reply(:g, 4, 'Hello team') AS g1 \gset
SELECT chat.add_members(:g, 3, '{6,6,1}') AS added;
SELECT chat.set_role(:g, 1, 2, 'admin');
SELECT chat.set_role(:g, 2, 1, 'member');
SELECT chat.revoke(:g, 2, 3, 'post');
SELECT chat.has_permission(:g, 3, 'post') AS carol_posts, chat.has_permission(:g, 2, 'remove_members') AS bob_removes;
SELECT chat.new_reply(:g, 3, 'Can I?');
SELECT chat.grant(:g, 2, 3, 'post');
SELECT chat.new_reply(:g, 3, 'Yes I can') AS g2 \gset
SELECT chat.remove_member(:g, 3, 5);
SELECT chat.remove_member(:g, 2, 5);
SELECT chat.mute(:g, 4);
SELECT chat.rename_thread(:g, 2, 'Team A');
-- forwarding Alice's message into the group, with a comment
SELECT chat.forward_message(:m1, :g, 1, 'FYI') AS f \gset
SELECT chat.forward_message(:m1, :g, 6, 'me too');
SELECT user_id, role, muted, permissions FROM chat.members(:g, 1) ORDER BY user_id;
SELECT sender_id, kind, content, forwarded_from OPERATOR(pg_catalog.=) :m1 AS forwarded_m1
  FROM chat.messages(:g, 1);
SELECT v.u AS viewer, i.subject, i.last_preview, i.unread_count, i.muted, i.member_count
  FROM (VALUES (1::bigint), (2), (3), (4), (5), (6)) v(u), chat.inbox(v.u) i
 WHERE i.thread_id OPERATOR(pg_catalog.=) :g ORDER BY 1;
SELECT chat.mark_read(:g, 4) AS read;
SELECT * FROM chat.unread_count(4);
-- Frank leaves; so does Alice, the owner: Bob, the oldest admin, takes over
SELECT chat.can_leave(:g, 6) AS frank_may_leave, chat.can_leave(:g, 1) AS owner_may_leave;
SELECT chat.leave_thread(:g, 6);
SELECT chat.leave_thread(:g, 1);
SELECT user_id, role FROM chat.members(:g, 2) ORDER BY user_id;
SELECT sender_id, content FROM chat.messages(:g, 2, after => :f);

-- a channel: only admins post
SELECT chat.create_channel(1, 'News', '{2,3}') AS c \gset
SELECT chat.new_reply(:c, 2, 'Me too?');
SELECT chat.new_reply(:c, 1, 'Big news') OPERATOR(pg_catalog.>) 0 AS posted;
SELECT chat.add_members(:c, 2, '{4}') AS added;
SELECT sender_id, kind, content FROM chat.messages(:c, 4);

-- a direct thread: the same one whichever way round
SELECT chat.direct_thread(1, 2) AS d \gset
SELECT chat.direct_thread(2, 1) OPERATOR(pg_catalog.=) :d AS same, chat.direct_thread(1, 2) OPERATOR(pg_catalog.=) :d AS same_again;
SELECT chat.direct_thread(1, 1);
SELECT chat.new_reply(:d, 2, 'psst') OPERATOR(pg_catalog.>) 0 AS sent;
SELECT chat.add_members(:d, 1, '{3}');
SELECT kind, member_count, message_count FROM chat.thread WHERE id OPERATOR(pg_catalog.=) :d;

-- an object's room, public: get-or-create, join and leave
SELECT chat.object_thread('product', '42', 1, 'Product 42') AS o \gset
SELECT chat.object_thread('product', '42', 2) OPERATOR(pg_catalog.=) :o AS same;
SELECT chat.can_join(:o, 3) AS may_join;
SELECT chat.join_thread(:o, 3);
SELECT chat.can_join(:o, 3) AS may_join_again, chat.can_leave(:o, 3) AS may_leave;
SELECT chat.new_reply(:o, 3, 'Is it blue?') OPERATOR(pg_catalog.>) 0 AS asked;
SELECT chat.leave_thread(:o, 3);
SELECT kind, subject, is_public, object_type, object_id, member_count FROM chat.thread
 WHERE id OPERATOR(pg_catalog.=) :o;
SELECT chat.typing(:o, 1);

/* ---- Folders, hard delete, direct writes --------------------------------------- */

SELECT chat.delete_thread(:t, 2);
SELECT subject FROM chat.inbox(2) ORDER BY subject;
SELECT subject FROM chat.inbox(2, 'deleted');
SELECT chat.restore_thread(:t, 2);
SELECT chat.archive_thread(:t, 2);
SELECT subject FROM chat.inbox(2, 'archived');
SELECT chat.inbox_count(2), chat.inbox_count(2, 'archived');
SELECT chat.unarchive_thread(:t, 2);
SELECT subject FROM chat.inbox(2, 'unread') ORDER BY subject;
SELECT subject FROM chat.inbox(1, 'sent') ORDER BY subject;
-- a page and the next one, by cursor
SELECT cursor AS next FROM chat.inbox(1, page_size => 2) OFFSET 1 \gset
SELECT subject FROM chat.inbox(1, page_size => 2);
SELECT subject FROM chat.inbox(1, before => :'next', page_size => 2);

SELECT chat.drop_thread(:c, 2);
SELECT chat.drop_thread(:c, 1);
SELECT pg_catalog.count(*) AS channels FROM chat.thread WHERE kind OPERATOR(pg_catalog.=) 'channel';

-- a server role's own INSERT into chat.message (what a restore does) goes
-- through chat's C trigger with the caller's path
INSERT INTO chat.message (thread_id, sender_id, content) VALUES (:t, 1, 'Written directly')
    RETURNING sender_id, kind, content;
SELECT message_count, last_sender_id, last_preview FROM chat.thread WHERE id OPERATOR(pg_catalog.=) :t;
SELECT v.u AS viewer, i.unread_count FROM (VALUES (1::bigint), (2), (3)) v(u), chat.inbox(v.u) i
 WHERE i.thread_id OPERATOR(pg_catalog.=) :t ORDER BY 1;

-- the application deletes Dan, Erin and Frank: the foreign keys of
-- chat.use_user_table cascade through chat's triggers with the caller's path
DELETE FROM hostile_app.users WHERE id OPERATOR(pg_catalog.>=) 4;
SELECT user_id, role FROM chat.members(:g, 2) ORDER BY user_id;
SELECT member_count FROM chat.thread WHERE id OPERATOR(pg_catalog.=) :g;
-- dropping the model's table unregisters it (chat's event trigger)
DROP TABLE hostile_app.message_meta;
SELECT model, tbl FROM chat.model;
SELECT chat.new_reply(:t, 1, 'No model now') AS m5 \gset
SELECT content, extra FROM chat.messages(:t, 1, after => :m3);
SELECT * FROM chat.verify_unread();

/* ---- An end user, mapped to Carol, with the same path ------------------------------ */

SELECT chat.map_role('regress_chat_hostile_carol', 3);
SELECT role, user_id FROM chat.role_map;
-- a setting changed: the next reader of the settings loads them again
SELECT chat.set_setting('max_members', '50');
SET ROLE regress_chat_hostile_carol;
SHOW search_path;
SELECT current_user, chat.current_user_id(), chat.is_server_role();
SET chat.user_id = '2';
SELECT chat.current_user_id();
RESET chat.user_id;
SELECT chat.new_reply(:t, content => 'Carol, as herself') OPERATOR(pg_catalog.>) 0 AS sent;
SELECT chat.new_reply(:t, 2, 'Carol, as Bob');
SELECT chat.new_message(recipients => '{1}', subject => 'From Carol', content => 'Hi Alice') OPERATOR(pg_catalog.>) 0 AS sent;
SELECT subject, last_preview, unread_count, member_count FROM chat.inbox() ORDER BY subject;
SELECT * FROM chat.unread_count();
SELECT chat.mark_read(:t) AS read;
SELECT chat.add_reaction(:m1, reaction => 'me') AS added;
SELECT chat.toggle_reaction(:m1, 2, 'me');
SELECT reaction, count, users, reacted_by_viewer FROM chat.reactions(:m1) ORDER BY reaction;
SELECT sender_id, content FROM chat.messages(:t);
SELECT chat.messages(:d);
SELECT chat.first_message(:d);
SELECT chat.latest_message(:t) OPERATOR(pg_catalog.>) 0 AS latest;
SELECT user_id, role FROM chat.members(:g) ORDER BY user_id;
-- what row-level security lets her read directly
SELECT kind, subject FROM chat.thread ORDER BY id;
SELECT pg_catalog.count(*) AS memberships_seen FROM chat.member;
SELECT thread_id OPERATOR(pg_catalog.=) :t AS in_t, content FROM chat.message ORDER BY id;
SELECT pg_catalog.count(*) AS reactions_seen FROM chat.reaction;
-- what only server roles do
SELECT chat.set_setting('reactions', '"emoji"');
SELECT chat.add_hook('message_sent', 'hostile_app.record(pg_catalog.jsonb)');
SELECT chat.map_role('regress_chat_hostile_carol', 2);
SELECT * FROM chat.verify_unread();
INSERT INTO chat.message (thread_id, sender_id, content) VALUES (:t, 3, 'direct');
RESET ROLE;

-- an unmapped end user whose user comes from PostgREST's claims: Bob
SET ROLE regress_chat_hostile_web;
SET request.jwt.claims = '{"sub": "2", "role": "regress_chat_hostile_web"}';
SELECT chat.current_user_id(), chat.is_server_role();
SELECT subject, unread_count FROM chat.inbox() ORDER BY subject;
SELECT chat.mark_read(:t) AS read;
SELECT chat.new_reply(:t, content => 'Bob, from the web') OPERATOR(pg_catalog.>) 0 AS sent;
SELECT chat.new_reply(:t, 3, 'Bob, as Carol');
SELECT chat.propagate_identity();
RESET request.jwt.claims;
SELECT chat.inbox();
RESET ROLE;

/* ---- What the hooks received -------------------------------------------------- */

SELECT payload FROM hostile_app.events ORDER BY n;

/* ---- And what the hostile objects saw ------------------------------------------- */

SELECT * FROM chat.verify_unread();
SELECT pg_catalog.count(*) AS hostile_calls FROM hostile.calls;
SELECT what FROM hostile.calls ORDER BY n;

RESET search_path;
DROP EXTENSION chat CASCADE;
DROP SCHEMA hostile_app, hostile CASCADE;
DROP ROLE regress_chat_hostile_carol, regress_chat_hostile_web;
