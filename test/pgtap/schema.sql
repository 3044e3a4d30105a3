-- Catalog shape of chat 0.1: the tables, keys, constraints, indexes and
-- functions SPEC.md §4 promises, pinned search_path, comments and pg_dump marks.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
DROP EXTENSION IF EXISTS chat CASCADE;
SET LOCAL chat.user_id_type = 'bigint';
CREATE EXTENSION chat;
-- chat stays off the path, so types print schema-qualified (chat.user_id)
SET LOCAL search_path = public, pg_catalog;

SELECT plan(211);

/* ---- schema, domain, tables, sequences ---------------------------------- */

SELECT has_schema('chat');
SELECT has_domain('chat', 'user_id', 'domain chat.user_id exists');
SELECT domain_type_is('chat', 'user_id', 'bigint', 'chat.user_id is bigint by default');

SELECT has_table('chat', t, format('table chat.%s exists', t))
  FROM unnest(ARRAY['thread', 'member', 'message', 'message_edit', 'setting', 'setting_default']) t;
SELECT has_view('chat', 'settings', 'view chat.settings exists');
SELECT has_sequence('chat', 'thread_id_seq', 'sequence chat.thread_id_seq exists');
SELECT has_sequence('chat', 'message_id_seq', 'sequence chat.message_id_seq exists');

/* ---- public columns (SPEC §4) ------------------------------------------- */

SELECT has_column('chat', 'thread', c, format('chat.thread has column %s', c))
  FROM unnest(ARRAY['id', 'kind', 'subject', 'created_by', 'created_at', 'is_public',
                    'object_type', 'object_id']) c;
SELECT has_column('chat', 'member', c, format('chat.member has column %s', c))
  FROM unnest(ARRAY['thread_id', 'user_id', 'role', 'joined_at', 'muted']) c;
SELECT has_column('chat', 'message', c, format('chat.message has column %s', c))
  FROM unnest(ARRAY['id', 'thread_id', 'sender_id', 'content', 'sent_at', 'edited_at',
                    'deleted_at', 'parent_id', 'forwarded_from', 'kind']) c;
SELECT has_column('chat', 'message_edit', c, format('chat.message_edit has column %s', c))
  FROM unnest(ARRAY['thread_id', 'message_id', 'content', 'replaced_at']) c;
SELECT has_column('chat', 'setting', c, format('chat.setting has column %s', c))
  FROM unnest(ARRAY['key', 'value']) c;
SELECT has_column('chat', 'setting_default', c, format('chat.setting_default has column %s', c))
  FROM unnest(ARRAY['key', 'value', 'description']) c;

-- types (table, column, type)
SELECT col_type_is('chat', tbl, col, typ, format('chat.%s.%s is %s', tbl, col, typ))
  FROM (VALUES ('thread', 'id', 'bigint'),
               ('thread', 'kind', 'chat.thread_kind'),
               ('thread', 'subject', 'text'),
               ('thread', 'created_by', 'chat.user_id'),
               ('thread', 'created_at', 'timestamp with time zone'),
               ('thread', 'is_public', 'boolean'),
               ('thread', 'object_type', 'text'),
               ('thread', 'object_id', 'text'),
               ('member', 'thread_id', 'bigint'),
               ('member', 'user_id', 'chat.user_id'),
               ('member', 'role', 'chat.member_role'),
               ('member', 'joined_at', 'timestamp with time zone'),
               ('member', 'muted', 'boolean'),
               ('message', 'id', 'bigint'),
               ('message', 'thread_id', 'bigint'),
               ('message', 'sender_id', 'chat.user_id'),
               ('message', 'content', 'text'),
               ('message', 'sent_at', 'timestamp with time zone'),
               ('message', 'edited_at', 'timestamp with time zone'),
               ('message', 'deleted_at', 'timestamp with time zone'),
               ('message', 'parent_id', 'bigint'),
               ('message', 'forwarded_from', 'bigint'),
               ('message', 'kind', 'chat.message_kind'),
               ('message_edit', 'content', 'text'),
               ('message_edit', 'replaced_at', 'timestamp with time zone'),
               ('setting', 'key', 'text'),
               ('setting', 'value', 'jsonb')) v(tbl, col, typ);

-- NOT NULL where a row makes no sense without the value
SELECT col_not_null('chat', tbl, col, format('chat.%s.%s is NOT NULL', tbl, col))
  FROM (VALUES ('thread', 'id'), ('thread', 'kind'), ('thread', 'created_at'), ('thread', 'is_public'),
               ('member', 'thread_id'), ('member', 'user_id'), ('member', 'role'),
               ('member', 'joined_at'), ('member', 'muted'),
               ('message', 'thread_id'), ('message', 'id'), ('message', 'kind'), ('message', 'sent_at'),
               ('message_edit', 'thread_id'), ('message_edit', 'message_id'),
               ('message_edit', 'replaced_at'),
               ('setting', 'value'), ('setting_default', 'value')) v(tbl, col);
-- and nullable where the spec needs NULL: system messages without sender,
-- attachment-only messages, threads without subject (direct chats)
SELECT col_is_null('chat', 'message', 'sender_id', 'chat.message.sender_id allows NULL (system messages)');
SELECT col_is_null('chat', 'message', 'content', 'chat.message.content allows NULL (attachments only)');
SELECT col_is_null('chat', 'thread', 'subject', 'chat.thread.subject allows NULL (direct chats)');

SELECT col_default_is('chat', 'thread', 'kind', 'private', 'a thread is private by default');
SELECT col_default_is('chat', 'thread', 'is_public', 'false', 'a thread is not public by default');
SELECT col_default_is('chat', 'member', 'role', 'member', 'a member''s role is member by default');
SELECT col_default_is('chat', 'message', 'kind', 'text', 'a message is text by default');

/* ---- keys ----------------------------------------------------------------- */

SELECT col_is_pk('chat', 'thread', 'id', 'chat.thread PK is (id)');
SELECT col_is_pk('chat', 'member', ARRAY['thread_id', 'user_id'], 'chat.member PK is (thread_id, user_id)');
SELECT col_is_pk('chat', 'message', ARRAY['thread_id', 'id'], 'chat.message PK is (thread_id, id)');
SELECT col_is_pk('chat', 'message_edit', ARRAY['thread_id', 'message_id', 'version'],
                 'chat.message_edit PK is (thread_id, message_id, version)');
SELECT col_is_pk('chat', 'setting', 'key', 'chat.setting PK is (key)');
SELECT col_is_pk('chat', 'setting_default', 'key', 'chat.setting_default PK is (key)');

-- SPEC §1.7 / §8: every unique key of a per-thread table begins with thread_id
SELECT is_empty($$
    SELECT i.indexrelid::regclass::text
      FROM pg_index i
     WHERE i.indisunique
       AND i.indrelid IN ('chat.member'::regclass, 'chat.message'::regclass, 'chat.message_edit'::regclass)
       AND (SELECT a.attname FROM pg_attribute a
             WHERE a.attrelid = i.indrelid AND a.attnum = i.indkey[0]) <> 'thread_id'
$$, 'every unique key of member, message, message_edit begins with thread_id');

-- chat's own tables have no foreign keys between them (pg_restore -j loads
-- them in parallel); the one key left points at the script's seed rows
SELECT is((SELECT array_agg(c.conrelid::regclass::text || '->' || c.confrelid::regclass::text
                             ORDER BY c.conrelid::regclass::text)
             FROM pg_constraint c
            WHERE c.contype = 'f' AND c.connamespace = 'chat'::regnamespace),
          ARRAY['chat.hook->chat.event_kind', 'chat.setting->chat.setting_default'],
          'the only foreign keys of chat''s tables point at the script''s seed rows (setting_default, event_kind)');
SELECT fk_ok('chat', 'setting', 'key', 'chat', 'setting_default', 'key',
             'chat.setting.key references chat.setting_default');

-- deleting a thread takes its members and messages with it, by trigger
SELECT has_trigger('chat', 'thread', 'thread_delete', 'chat.thread has the trigger thread_delete');
SELECT has_trigger('chat', 'thread', 'thread_truncate', 'chat.thread has the trigger thread_truncate');
SELECT has_trigger('chat', 'message', 'message_delete', 'chat.message has the trigger message_delete');
SELECT has_trigger('chat', 'message', 'message_truncate', 'chat.message has the trigger message_truncate');

/* ---- kinds and roles (enums) and CHECK constraints, exercised ------------- */

-- kinds and roles are enums (CHECK constraints are re-read on every write)
SELECT enum_has_labels('chat', 'thread_kind', ARRAY['private', 'direct', 'group', 'channel'],
                       'thread kinds are private, direct, group, channel');
SELECT enum_has_labels('chat', 'member_role', ARRAY['owner', 'admin', 'member'],
                       'member roles are owner, admin, member');
SELECT enum_has_labels('chat', 'message_kind', ARRAY['text', 'system'],
                       'message kinds are text, system');
-- and chat.thread and chat.message, written by every reply, have no CHECK constraint since 0.9
SELECT is((SELECT count(*) FROM pg_constraint WHERE conrelid = 'chat.thread'::regclass AND contype = 'c'), 0::bigint,
          'chat.thread has no CHECK constraint');
SELECT is((SELECT count(*) FROM pg_constraint WHERE conrelid = 'chat.message'::regclass AND contype = 'c'), 0::bigint,
          'chat.message has no CHECK constraint (its triggers check)');

SELECT lives_ok($$INSERT INTO chat.thread (id, kind, direct_low, direct_high) VALUES (-1, 'private', NULL, NULL), (-2, 'direct', 1, 2), (-3, 'group', NULL, NULL), (-4, 'channel', NULL, NULL)$$,
                'the four thread kinds are accepted');
SELECT throws_ok($$INSERT INTO chat.thread (id, kind) VALUES (-5, 'room')$$, '22P02', NULL,
                 'an unknown thread kind is refused');
SELECT throws_ok($$INSERT INTO chat.thread (id, kind, object_type, object_id) VALUES (-6, 'group', 'product', '1'), (-7, 'group', 'product', '1')$$,
                 '23505', NULL, 'an object has one room (thread_object_key)');
SELECT lives_ok($$INSERT INTO chat.member (thread_id, user_id, role) VALUES (-3, 1, 'owner'), (-3, 2, 'admin'), (-3, 3, 'member')$$,
                'the three roles are accepted');
SELECT throws_ok($$INSERT INTO chat.member (thread_id, user_id, role) VALUES (-3, 4, 'moderator')$$, '22P02', NULL,
                 'an unknown role is refused');
SELECT throws_ok($$INSERT INTO chat.member (thread_id, user_id) VALUES (-3, 1)$$, '23505', NULL,
                 'a second membership of the same user violates the primary key');
SELECT lives_ok($$INSERT INTO chat.message (thread_id, sender_id, kind, content) VALUES (-3, 1, 'text', 'a'), (-3, NULL, 'system', 'b')$$,
                'text and system messages are accepted');
SELECT throws_ok($$INSERT INTO chat.message (thread_id, sender_id, kind, content) VALUES (-3, 1, 'sticker', 'c')$$, '22P02', NULL,
                 'an unknown message kind is refused');
SELECT throws_ok($$UPDATE chat.message SET parent_id = (SELECT min(id) FROM chat.message WHERE thread_id = -3),
                                           forwarded_from = 1
                    WHERE thread_id = -3 AND id = (SELECT max(id) FROM chat.message WHERE thread_id = -3)$$,
                 '23514', NULL, 'a forwarded message cannot also be a reply (message_update)');
SELECT is_empty('SELECT * FROM chat.verify_unread()', 'counters exact after the direct writes');

/* ---- indexes the API's queries rely on ---------------------------------- */

CREATE FUNCTION pg_temp.leading_index(tbl regclass, col name) RETURNS boolean
    LANGUAGE sql AS $$
    SELECT EXISTS (SELECT 1 FROM pg_index i
                     JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
                    WHERE i.indrelid = tbl AND a.attname = col)
$$;
SELECT ok(pg_temp.leading_index('chat.message', 'id'), 'an index on chat.message leads with id (message lookup by id)');
SELECT ok(pg_temp.leading_index('chat.member', 'user_id'), 'an index on chat.member leads with user_id (inbox)');
SELECT ok(pg_temp.leading_index('chat.thread', 'created_by'), 'an index on chat.thread leads with created_by (sent folder)');
SELECT has_index('chat', 'member', 'member_inbox_idx', ARRAY['user_id', 'activity_id', 'thread_id'],
                 'the inbox index is (user_id, activity_id, thread_id)');
SELECT is(pg_get_indexdef('chat.member_unread_idx'::regclass),
          'CREATE INDEX member_unread_idx ON chat.member USING btree (user_id) INCLUDE (message_count, read_count) WHERE ((NOT large) AND (message_count > read_count) AND (NOT archived) AND (NOT muted) AND (notify_level <> ''none''::text) AND ((hidden_id IS NULL) OR (hidden_id < activity_id)))',
          'the unread index holds the badge''s rows and their counters (index-only badge counts)');

/* ---- functions of SPEC §4.1: existence, types, names, defaults, result --- */

CREATE TEMP TABLE api (name name, args name[], arguments text, result text);
INSERT INTO api VALUES
 ('new_message', ARRAY['chat.user_id', 'chat.user_id[]', 'text', 'text', 'jsonb', 'jsonb', 'chat.user_id[]'],
  'sender chat.user_id DEFAULT chat.current_user_id(), recipients chat.user_id[] DEFAULT NULL::chat.user_id[], subject text DEFAULT NULL::text, content text DEFAULT NULL::text, attachments jsonb DEFAULT NULL::jsonb, extra jsonb DEFAULT NULL::jsonb, mentions chat.user_id[] DEFAULT NULL::chat.user_id[]',
  'bigint'),
 ('new_reply', ARRAY['bigint', 'chat.user_id', 'text', 'bigint', 'jsonb', 'jsonb', 'chat.user_id[]'],
  'thread_id bigint, sender chat.user_id DEFAULT chat.current_user_id(), content text DEFAULT NULL::text, parent_id bigint DEFAULT NULL::bigint, attachments jsonb DEFAULT NULL::jsonb, extra jsonb DEFAULT NULL::jsonb, mentions chat.user_id[] DEFAULT NULL::chat.user_id[]',
  'bigint'),
 ('inbox', ARRAY['chat.user_id', 'text', 'text', 'integer'],
  'viewer chat.user_id DEFAULT chat.current_user_id(), folder text DEFAULT ''inbox''::text, before text DEFAULT NULL::text, page_size integer DEFAULT 50',
  'TABLE(thread_id bigint, kind text, subject text, last_message_id bigint, last_sender_id chat.user_id, last_preview text, last_sent_at timestamp with time zone, unread_count bigint, unread boolean, muted boolean, member_count integer, cursor text, mention_count bigint, extra jsonb)'),
 ('inbox_count', ARRAY['chat.user_id', 'text'],
  'viewer chat.user_id DEFAULT chat.current_user_id(), folder text DEFAULT ''inbox''::text',
  'bigint'),
 ('unread_count', ARRAY['chat.user_id'],
  'viewer chat.user_id DEFAULT chat.current_user_id(), OUT threads bigint, OUT messages bigint',
  'record'),
 ('messages', ARRAY['bigint', 'chat.user_id', 'bigint', 'bigint', 'integer'],
  'thread_id bigint, viewer chat.user_id DEFAULT chat.current_user_id(), before bigint DEFAULT NULL::bigint, after bigint DEFAULT NULL::bigint, page_size integer DEFAULT 50',
  'TABLE(id bigint, sender_id chat.user_id, kind text, content text, sent_at timestamp with time zone, edited boolean, deleted boolean, parent_id bigint, forwarded_from bigint, reactions jsonb, attachments jsonb, seen_count bigint, extra jsonb)'),
 ('first_message', ARRAY['bigint'], 'thread_id bigint', 'bigint'),
 ('latest_message', ARRAY['bigint', 'chat.user_id'],
  'thread_id bigint, exclude_user chat.user_id DEFAULT NULL::bigint', 'bigint'),
 ('earliest_message', ARRAY['bigint', 'chat.user_id'],
  'thread_id bigint, exclude_user chat.user_id DEFAULT NULL::bigint', 'bigint'),
 ('started_by', ARRAY['bigint'], 'thread_id bigint', 'chat.user_id'),
 ('mark_read', ARRAY['bigint', 'chat.user_id', 'bigint'],
  'thread_id bigint, reader chat.user_id DEFAULT chat.current_user_id(), up_to bigint DEFAULT NULL::bigint', 'bigint'),
 ('mark_unread', ARRAY['bigint', 'chat.user_id', 'bigint'],
  'thread_id bigint, reader chat.user_id DEFAULT chat.current_user_id(), from_message bigint DEFAULT NULL::bigint', 'bigint'),
 ('mark_delivered', ARRAY['chat.user_id', 'bigint', 'bigint'],
  'reader chat.user_id DEFAULT chat.current_user_id(), thread_id bigint DEFAULT NULL::bigint, up_to bigint DEFAULT NULL::bigint', 'bigint'),
 ('delete_thread', ARRAY['bigint', 'chat.user_id'],
  'thread_id bigint, actor chat.user_id DEFAULT chat.current_user_id()', 'void'),
 ('restore_thread', ARRAY['bigint', 'chat.user_id'],
  'thread_id bigint, actor chat.user_id DEFAULT chat.current_user_id()', 'void'),
 ('archive_thread', ARRAY['bigint', 'chat.user_id'],
  'thread_id bigint, actor chat.user_id DEFAULT chat.current_user_id()', 'void'),
 ('unarchive_thread', ARRAY['bigint', 'chat.user_id'],
  'thread_id bigint, actor chat.user_id DEFAULT chat.current_user_id()', 'void'),
 ('edit_message', ARRAY['bigint', 'chat.user_id', 'text'],
  'message_id bigint, editor chat.user_id DEFAULT chat.current_user_id(), content text DEFAULT NULL::text', 'bigint'),
 ('delete_message', ARRAY['bigint', 'chat.user_id'],
  'message_id bigint, actor chat.user_id DEFAULT chat.current_user_id()', 'void'),
 ('message_history', ARRAY['bigint', 'chat.user_id'],
  'message_id bigint, viewer chat.user_id DEFAULT chat.current_user_id()',
  'TABLE(content text, replaced_at timestamp with time zone)'),
 ('get_setting', ARRAY['text'], 'key text', 'jsonb'),
 ('set_setting', ARRAY['text', 'jsonb'], 'key text, value jsonb', 'jsonb'),
 ('current_user_id', ARRAY[]::name[], '', 'chat.user_id'),
 ('verify_unread', ARRAY['bigint'], 'thread_id bigint DEFAULT NULL::bigint',
  'TABLE(thread_id bigint, user_id chat.user_id, what text, stored bigint, recounted bigint)');

SELECT has_function('chat', name, args, format('chat.%s(%s) exists', name, array_to_string(args, ', ')))
  FROM api ORDER BY name;
SELECT is(pg_get_function_arguments(p.oid), a.arguments, format('chat.%s: argument names, types and defaults', a.name))
  FROM api a
  LEFT JOIN pg_proc p ON p.pronamespace = 'chat'::regnamespace AND p.proname = a.name
 ORDER BY a.name;
SELECT is(pg_get_function_result(p.oid), a.result, format('chat.%s returns %s', a.name, a.result))
  FROM api a
  LEFT JOIN pg_proc p ON p.pronamespace = 'chat'::regnamespace AND p.proname = a.name
 ORDER BY a.name;
SELECT is_empty($$
    SELECT p.proname FROM pg_proc p
     WHERE p.pronamespace = 'chat'::regnamespace
     GROUP BY p.proname HAVING count(*) > 1
$$, 'no overloaded function names in schema chat (named notation stays unambiguous)');

/* ---- hygiene: pinned search_path, comments, pg_dump --------------------- */

SELECT is_empty($$
    SELECT p.oid::regprocedure::text
      FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
     WHERE p.pronamespace = 'chat'::regnamespace
       AND l.lanname <> 'c'
       AND NOT coalesce(p.proconfig, '{}') @> ARRAY['search_path=pg_catalog, pg_temp']
       AND p.oid <> 'chat.propagate_identity()'::regprocedure  -- its SET LOCAL must outlive it (hostile.sql)
$$, 'every function in chat is LANGUAGE c or pins search_path = pg_catalog, pg_temp (but propagate_identity)');
SELECT is_empty($$
    SELECT p.oid::regprocedure::text FROM pg_proc p
     WHERE p.pronamespace = 'chat'::regnamespace AND p.prosecdef
       AND NOT coalesce(p.proconfig, '{}') @> ARRAY['search_path=pg_catalog, pg_temp']
$$, 'no SECURITY DEFINER function without a pinned search_path');
SELECT is_empty($$
    SELECT p.oid::regprocedure::text FROM pg_proc p
     WHERE p.pronamespace = 'chat'::regnamespace AND p.proname !~ '^_'
       AND obj_description(p.oid, 'pg_proc') IS NULL
$$, 'every public function has a COMMENT');
SELECT is_empty($$
    SELECT c.oid::regclass::text FROM pg_class c
     WHERE c.relnamespace = 'chat'::regnamespace AND c.relkind IN ('r', 'v', 'm', 'p')
       AND obj_description(c.oid, 'pg_class') IS NULL
$$, 'every table and view has a COMMENT');
SELECT isnt(obj_description('chat.user_id'::regtype, 'pg_type'), NULL, 'the domain chat.user_id has a COMMENT');

SELECT ok((SELECT extconfig @> ARRAY['chat.setting'::regclass, 'chat.thread'::regclass, 'chat.member'::regclass,
                                     'chat.message'::regclass, 'chat.message_edit'::regclass,
                                     'chat.thread_id_seq'::regclass, 'chat.message_id_seq'::regclass]::oid[]
             FROM pg_extension WHERE extname = 'chat'),
          'pg_dump keeps setting, thread, member, message, message_edit and both sequences');
SELECT ok((SELECT NOT extconfig @> ARRAY['chat.setting_default'::regclass]::oid[]
             FROM pg_extension WHERE extname = 'chat'),
          'chat.setting_default belongs to the extension and is not dumped as data');
SELECT is_empty($$
    SELECT c.oid::regclass::text FROM pg_class c
     WHERE c.relnamespace = 'chat'::regnamespace AND c.relkind = 'r'
       AND c.relname NOT IN ('setting_default', 'permission_default', 'event_kind', 'event', 'event_pruned', 'notifier',
                             'purge_progress')
       AND NOT EXISTS (SELECT 1 FROM pg_extension e WHERE e.extname = 'chat' AND c.oid = ANY (e.extconfig))
$$, 'every table holding user rows is marked for pg_dump (the defaults tables belong to the extension; the event record is not dumped: after a restore clients reload; nor is the notifier''s cursor, of those events, nor where chat.purge goes on)');
SELECT is_empty($$
    SELECT c.oid::regclass::text FROM pg_class c
     WHERE c.relnamespace = 'chat'::regnamespace AND c.relkind IN ('r', 'v', 'S')
       AND NOT EXISTS (SELECT 1 FROM pg_depend d
                        WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
$$, 'every relation in chat belongs to the extension');

SELECT * FROM finish();
ROLLBACK;
