-- test/restore/fingerprint.sql: the state of a database as lines
--   section <TAB> object <TAB> key <TAB> field <TAB> value
-- run.sh (compare.awk) compares two databases' lines by (section, object, key, field).
--   row       every column of every row of every table of schemas chat and
--             app (field: the column), keyed by the row's primary key (tables
--             without one: by the whole row and its occurrence); not chat's
--             event record (chat.event, chat.event_pruned), which is not
--             dumped: after a restore clients reload, as their cursors say;
--             nor the notifier's cursor (chat.notifier) over those events,
--             nor where chat.purge goes on (chat.purge_progress, not dumped)
--   setting   every setting's effective value (chat.get_setting), and the
--             extension's version
--   registry  hooks, swapped models, the user binding, role mappings, and the
--             binding's foreign keys (NOT VALID left out: a restore adds them
--             so, as documented)
--   sequence  last_value and is_called of every sequence of chat and app
-- Run with psql -X -At -F <TAB> as a superuser (row-level security bypassed).
SET client_min_messages = warning;
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';
SET IntervalStyle = 'postgres';
SET extra_float_digits = 1;
\pset footer off

SELECT format($q$SELECT 'row', %L, r.k, f.key, f.value::text
                    FROM (SELECT %s AS k, row_to_json(t) AS j FROM %s t) r, json_each(r.j) f
                   ORDER BY 3, 4$q$,
              format('%I.%I', n.nspname, c.relname),
              CASE WHEN k.cols IS NULL
                   THEN $k$row_to_json(t)::text || '#' || row_number() OVER (PARTITION BY row_to_json(t)::text)$k$
                   ELSE format('json_build_array(%s)::text', k.cols) END,
              format('%I.%I', n.nspname, c.relname))
  FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN LATERAL (
      SELECT string_agg(format('t.%I', a.attname), ', ' ORDER BY x.ord) AS cols
        FROM pg_index i, unnest(i.indkey) WITH ORDINALITY x(attnum, ord), pg_attribute a
       WHERE i.indrelid = c.oid AND i.indisprimary
         AND a.attrelid = c.oid AND a.attnum = x.attnum) k ON true
 WHERE n.nspname IN ('chat', 'app') AND c.relkind IN ('r', 'p')
   AND c.oid NOT IN ('chat.event'::regclass, 'chat.event_pruned'::regclass, 'chat.notifier'::regclass,
                     'chat.purge_progress'::regclass)
 ORDER BY 1
\gexec

SELECT 'setting', 'chat.get_setting', key, '-', chat.get_setting(key)::text
  FROM chat.setting_default ORDER BY key;
SELECT 'setting', 'pg_extension', extname, 'extversion', extversion FROM pg_extension WHERE extname = 'chat';

SELECT 'registry', 'chat.hook', format('%s %s', event, position), '-', function::text
  FROM chat.hook ORDER BY event, position;
SELECT 'registry', 'chat.model', model, '-', format('%s %s', tbl, renderer) FROM chat.model ORDER BY model;
SELECT 'registry', 'chat.user_binding', 'binding', '-',
       format('%s %s %s %s', tbl, id_column, on_delete, display_name)
  FROM chat.user_binding;
SELECT 'registry', 'chat.role_map', role::text, '-', user_id::text FROM chat.role_map ORDER BY 3;
SELECT 'registry', 'binding foreign keys', format('%s %s', c.conrelid::regclass, c.conname), '-',
       replace(pg_get_constraintdef(c.oid), ' NOT VALID', '')
  FROM pg_constraint c JOIN chat.user_binding b ON c.confrelid = b.tbl
 WHERE c.contype = 'f' ORDER BY 3;

SELECT format($q$SELECT 'sequence', %L, 'position', '-', format('last_value=%%s is_called=%%s', last_value, is_called) FROM %s$q$,
              format('%I.%I', n.nspname, c.relname), format('%I.%I', n.nspname, c.relname))
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname IN ('chat', 'app') AND c.relkind = 'S'
 ORDER BY 1
\gexec
