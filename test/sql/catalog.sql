-- A fresh install equals every released version updated to the current one:
-- the same functions (full definitions, settings, security, privileges and
-- comments), tables, columns in order, constraints, indexes, triggers, event
-- triggers, policies, types, sequences, initial privileges, extension
-- members, dump markings and the seed rows of the configuration tables.
-- Each block lists what differs; an empty list is the pass.
SET client_min_messages = warning;
SET search_path = pg_catalog;            -- every name prints schema-qualified
DROP EXTENSION IF EXISTS chat CASCADE;
DROP SCHEMA IF EXISTS chat CASCADE;
CREATE EXTENSION chat;

-- Created after the extension: a LANGUAGE sql body is checked against
-- chat.setting_default when it is created, and parsed again at every call,
-- so it outlives the DROP/CREATE cycles below.  Dropped columns are left out
-- on purpose (an update may leave one); a column's place is its rank among
-- the live ones.
CREATE FUNCTION pg_temp.chat_catalog() RETURNS TABLE (kind text, object text, detail text)
LANGUAGE sql AS $$
WITH nsp AS (SELECT oid FROM pg_namespace WHERE nspname IN ('chat', 'chat_internal')),
     mem AS (SELECT d.classid, d.objid FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid
              WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e' AND e.extname = 'chat')
SELECT 'member', pg_describe_object(classid, objid, 0), NULL FROM mem
UNION ALL SELECT 'extconfig', e.extname,
       (SELECT string_agg(c::regclass::text, ',' ORDER BY c::regclass::text) FROM unnest(e.extconfig) c)
       || ' ' || coalesce(array_to_string(e.extcondition, ','), '')
  FROM pg_extension e WHERE e.extname = 'chat'
UNION ALL SELECT 'schema', n.nspname, concat_ws(' ', n.nspacl, obj_description(n.oid, 'pg_namespace'))
  FROM pg_namespace n WHERE n.oid IN (SELECT oid FROM nsp)
UNION ALL SELECT 'function', p.oid::regprocedure::text,
       concat_ws(E'\n', pg_get_functiondef(p.oid), p.proacl, obj_description(p.oid, 'pg_proc'))
  FROM pg_proc p WHERE p.pronamespace IN (SELECT oid FROM nsp) AND p.prokind IN ('f', 'p')
UNION ALL SELECT 'relation', c.oid::regclass::text,
       concat_ws(' ', c.relkind, c.relacl, c.reloptions, c.relrowsecurity, c.relforcerowsecurity,
                 obj_description(c.oid, 'pg_class'), CASE WHEN c.relkind = 'v' THEN pg_get_viewdef(c.oid) END)
  FROM pg_class c WHERE c.relnamespace IN (SELECT oid FROM nsp) AND c.relkind IN ('r', 'p', 'v', 'm', 'S')
UNION ALL SELECT 'column', a.attrelid::regclass::text || '.' || a.attname,
       concat_ws(' ', row_number() OVER (PARTITION BY a.attrelid ORDER BY a.attnum),
                 format_type(a.atttypid, a.atttypmod), a.attnotnull, a.attidentity, a.attgenerated,
                 pg_get_expr(ad.adbin, ad.adrelid), a.attstattarget, col_description(a.attrelid, a.attnum))
  FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
  LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
 WHERE c.relnamespace IN (SELECT oid FROM nsp) AND c.relkind IN ('r', 'p', 'v')
   AND a.attnum > 0 AND NOT a.attisdropped
UNION ALL SELECT 'constraint', coalesce(nullif(conrelid, 0)::regclass::text, contypid::regtype::text) || '.' || conname,
       pg_get_constraintdef(oid)
  FROM pg_constraint WHERE connamespace IN (SELECT oid FROM nsp)
UNION ALL SELECT 'index', i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
  FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relnamespace IN (SELECT oid FROM nsp)
UNION ALL SELECT 'trigger', t.tgrelid::regclass::text || '.' || t.tgname, pg_get_triggerdef(t.oid)
  FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
 WHERE c.relnamespace IN (SELECT oid FROM nsp) AND NOT t.tgisinternal
UNION ALL SELECT 'event trigger', et.evtname, concat_ws(' ', et.evtevent, et.evtfoid::regprocedure, et.evtenabled, et.evttags)
  FROM pg_event_trigger et JOIN mem ON mem.classid = 'pg_event_trigger'::regclass AND mem.objid = et.oid
UNION ALL SELECT 'policy', schemaname || '.' || tablename || '.' || policyname,
       concat_ws(' ', permissive, roles, cmd, qual, with_check)
  FROM pg_policies WHERE schemaname IN ('chat', 'chat_internal')
UNION ALL SELECT 'type', t.oid::regtype::text,
       concat_ws(' ', t.typtype, format_type(t.typbasetype, t.typtypmod), t.typnotnull, t.typacl,
                 (SELECT string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = t.oid),
                 obj_description(t.oid, 'pg_type'))
  FROM pg_type t WHERE t.typnamespace IN (SELECT oid FROM nsp) AND t.typtype IN ('e', 'd')
UNION ALL SELECT 'sequence', s.seqrelid::regclass::text,
       concat_ws(' ', s.seqtypid::regtype, s.seqstart, s.seqincrement, s.seqmin, s.seqmax, s.seqcache, s.seqcycle,
                 (SELECT d.refobjid::regclass::text || '.' || a.attname FROM pg_depend d
                    JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
                   WHERE d.classid = 'pg_class'::regclass AND d.objid = s.seqrelid AND d.deptype = 'a'),
                 obj_description(s.seqrelid, 'pg_class'))
  FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid WHERE c.relnamespace IN (SELECT oid FROM nsp)
UNION ALL SELECT 'init_privs', pg_describe_object(ip.classoid, ip.objoid, ip.objsubid), ip.initprivs::text
  FROM pg_init_privs ip JOIN mem ON mem.classid = ip.classoid AND mem.objid = ip.objoid
UNION ALL SELECT 'seed row', 'chat.setting_default', to_jsonb(s)::text FROM chat.setting_default s
UNION ALL SELECT 'seed row', 'chat.permission_default', to_jsonb(p)::text FROM chat.permission_default p
$$;

CREATE TEMP TABLE fresh AS SELECT * FROM pg_temp.chat_catalog();
SELECT count(*) > 600 AS the_catalog_is_covered,
       count(*) FILTER (WHERE kind = 'function') AS functions,
       count(*) FILTER (WHERE kind = 'column') AS columns,
       count(*) FILTER (WHERE kind = 'policy') AS policies
  FROM fresh;

-- the differences of the installed catalog from the fresh one
CREATE FUNCTION pg_temp.catalog_diff() RETURNS TABLE (side text, kind text, object text, detail text)
LANGUAGE sql AS $$
SELECT 'only in fresh', * FROM (TABLE fresh EXCEPT ALL SELECT * FROM pg_temp.chat_catalog()) d
UNION ALL
SELECT 'only in updated', * FROM (SELECT * FROM pg_temp.chat_catalog() EXCEPT ALL TABLE fresh) d
ORDER BY 3, 4, 1
$$;

-- from 0.1
DROP EXTENSION chat CASCADE;
DROP SCHEMA chat CASCADE;
CREATE EXTENSION chat VERSION '0.1';
ALTER EXTENSION chat UPDATE;
SELECT * FROM pg_temp.catalog_diff();

-- from 0.2
DROP EXTENSION chat CASCADE;
DROP SCHEMA chat CASCADE;
CREATE EXTENSION chat VERSION '0.2';
ALTER EXTENSION chat UPDATE;
SELECT * FROM pg_temp.catalog_diff();

-- from 0.3
DROP EXTENSION chat CASCADE;
DROP SCHEMA chat CASCADE;
CREATE EXTENSION chat VERSION '0.3';
ALTER EXTENSION chat UPDATE;
SELECT * FROM pg_temp.catalog_diff();

-- from 0.4
DROP EXTENSION chat CASCADE;
DROP SCHEMA chat CASCADE;
CREATE EXTENSION chat VERSION '0.4';
ALTER EXTENSION chat UPDATE;
SELECT * FROM pg_temp.catalog_diff();

-- from 0.5
DROP EXTENSION chat CASCADE;
DROP SCHEMA chat CASCADE;
CREATE EXTENSION chat VERSION '0.5';
ALTER EXTENSION chat UPDATE;
SELECT * FROM pg_temp.catalog_diff();

-- from 0.6
DROP EXTENSION chat CASCADE;
DROP SCHEMA chat CASCADE;
CREATE EXTENSION chat VERSION '0.6';
ALTER EXTENSION chat UPDATE;
SELECT * FROM pg_temp.catalog_diff();

-- from 0.7
DROP EXTENSION chat CASCADE;
DROP SCHEMA chat CASCADE;
CREATE EXTENSION chat VERSION '0.7';
ALTER EXTENSION chat UPDATE;
SELECT * FROM pg_temp.catalog_diff();

-- from 0.8
DROP EXTENSION chat CASCADE;
DROP SCHEMA chat CASCADE;
CREATE EXTENSION chat VERSION '0.8';
ALTER EXTENSION chat UPDATE;
SELECT * FROM pg_temp.catalog_diff();
