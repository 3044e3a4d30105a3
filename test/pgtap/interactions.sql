-- Receipts, reactions, attachments and forwarding (SPEC §4.3): every error
-- path with its SQLSTATE and proof that nothing changed, the rules of the
-- receipts, and the catalog shape of the new tables, view and functions.
SET client_min_messages = warning;
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
DROP EXTENSION IF EXISTS chat CASCADE;
SET LOCAL chat.user_id_type = 'bigint';
SET LOCAL chat.user_id = '';
CREATE EXTENSION chat;
SELECT chat.set_setting('notify', 'false') \g /dev/null

SELECT plan(167);

/*
 * Fixture: users 1 (owner), 2 and 3 in thread t1, m1 by 1, m2 by 2 with an
 * attachment, m3 by 2 deleted; t2 is 8's thread with 9.  2 reacted to m1.
 */
SELECT chat.new_message(1, '{2,3}', 'fixture', 'first') AS m1 \gset
SELECT thread_id AS t1 FROM chat.message WHERE id = :m1 \gset
SELECT chat.new_reply(:t1, 2, 'second', attachments => '[{"key": "k1", "mime": "image/png", "size": 10}]') AS m2 \gset
SELECT chat.new_reply(:t1, 2, 'third, to be deleted') AS m3 \gset
SELECT chat.delete_message(:m3, 2) \g /dev/null
SELECT chat.add_reaction(:m1, 2, 'ok') \g /dev/null
SELECT chat.new_message(8, '{9}', 'other', 'elsewhere') AS m4 \gset
SELECT thread_id AS t2 FROM chat.message WHERE id = :m4 \gset

/* Everything a failed call could have touched, in one comparable text. */
CREATE FUNCTION pg_temp.state() RETURNS text
    LANGUAGE sql AS $$
    SELECT md5(concat_ws('|',
               (SELECT string_agg(t::text, ',' ORDER BY t.id) FROM chat.thread t),
               (SELECT string_agg(m::text, ',' ORDER BY m.thread_id, m.user_id) FROM chat.member m),
               (SELECT string_agg(m::text, ',' ORDER BY m.thread_id, m.id) FROM chat.message m),
               (SELECT string_agg(r::text, ',' ORDER BY r.thread_id, r.message_id, r.user_id, r.reaction) FROM chat.reaction r),
               (SELECT string_agg(a::text, ',' ORDER BY a.thread_id, a.message_id, a.position) FROM chat.attachment a),
               (SELECT string_agg(s::text, ',' ORDER BY s.key) FROM chat.setting s)))
$$;
CREATE TEMP TABLE baseline AS SELECT pg_temp.state() AS state;

\ir lib/fails.sql

/* ---- 22004: a required argument is NULL ---------------------------------- */

SELECT pg_temp.fails(format($$SELECT chat.add_reaction(%s, 2, NULL)$$, :m1), '22004',
                     'argument "reaction" must not be null', 'add_reaction: NULL reaction');
SELECT pg_temp.fails($$SELECT chat.add_reaction(NULL, 2, 'x')$$, '22004',
                     'argument "message_id" must not be null', 'add_reaction: NULL message');
SELECT pg_temp.fails(format($$SELECT chat.toggle_reaction(%s, NULL, 'x')$$, :m1), '22004',
                     'argument "user" must not be null', 'toggle_reaction: NULL user');
SELECT pg_temp.fails(format($$SELECT chat.remove_reaction(%s, 2, NULL)$$, :m1), '22004',
                     'argument "reaction" must not be null', 'remove_reaction: NULL reaction');
SELECT pg_temp.fails(format($$SELECT * FROM chat.receipts(%s, NULL)$$, :m1), '22004',
                     'argument "viewer" must not be null', 'receipts: NULL viewer');
SELECT pg_temp.fails(format($$SELECT * FROM chat.reactions(%s, NULL)$$, :m1), '22004',
                     'argument "viewer" must not be null', 'reactions: NULL viewer');
SELECT pg_temp.fails(format($$SELECT chat.forward_message(%s, NULL, 1)$$, :m1), '22004',
                     'argument "to_thread_id" must not be null', 'forward_message: NULL target');
SELECT pg_temp.fails($$SELECT chat.new_message(1, '{2}', 's', NULL)$$, '22004',
                     'argument "content" must not be null', 'new_message: NULL content, no attachments');
SELECT pg_temp.fails($$SELECT chat.new_message(1, '{2}', 's', NULL, '[]')$$, '22004',
                     'argument "content" must not be null', 'new_message: NULL content, empty attachments');
SELECT pg_temp.fails(format($$SELECT chat.new_reply(%s, 1, NULL)$$, :t1), '22004',
                     'argument "content" must not be null', 'new_reply: NULL content, no attachments');

/* ---- 22023: invalid argument --------------------------------------------- */

SELECT pg_temp.fails(format($$SELECT chat.add_reaction(%s, 2, E' \t')$$, :m1), '22023',
                     'reaction must not be blank', 'add_reaction: blank');
SELECT pg_temp.fails(format($$SELECT chat.toggle_reaction(%s, 2, ' ')$$, :m1), '22023',
                     'reaction must not be blank', 'toggle_reaction: blank');
SELECT chat.set_setting('reactions', '"emoji"') \g /dev/null
UPDATE baseline SET state = pg_temp.state();
SELECT pg_temp.fails(format($$SELECT chat.add_reaction(%s, 2, 'yes')$$, :m1), '22023',
                     'reaction "yes" is not an emoji', 'add_reaction: not an emoji');
SELECT pg_temp.fails(format($$SELECT chat.toggle_reaction(%s, 2, '👍🏽👍')$$, :m1), '22023',
                     'reaction "👍🏽👍" is not an emoji', 'toggle_reaction: two emoji');
SELECT chat.set_setting('reactions', '["👍", "ok"]') \g /dev/null
UPDATE baseline SET state = pg_temp.state();
SELECT pg_temp.fails(format($$SELECT chat.add_reaction(%s, 2, '👎')$$, :m1), '22023',
                     'reaction "👎" is not allowed', 'add_reaction: not in the list');
SELECT is(chat.remove_reaction(:m1, 2, 'ok'), true, 'a listed reaction is removed');
SELECT is(chat.add_reaction(:m1, 2, 'ok'), true, 'and added again');
SELECT chat.set_setting('reactions', NULL) \g /dev/null
UPDATE baseline SET state = pg_temp.state();
SELECT pg_temp.fails($$SELECT chat.set_setting('reactions', '"some"')$$, '22023',
                     'invalid value for setting "reactions": "some"', 'set_setting reactions: unknown word');
SELECT pg_temp.fails($$SELECT chat.set_setting('reactions', '{"a": 1}')$$, '22023',
                     'invalid value for setting "reactions": {"a": 1}', 'set_setting reactions: object');
SELECT pg_temp.fails($$SELECT chat.set_setting('reactions', '["a", 1]')$$, '22023',
                     'invalid value for setting "reactions": ["a", 1]', 'set_setting reactions: non-string');
SELECT pg_temp.fails(format($$SELECT chat.set_setting('reactions', '[%s]')$$,
                            (SELECT string_agg(format('"%s"', i), ',') FROM generate_series(1, 201) i)), '22023',
                     NULL, 'set_setting reactions: 201 reactions');
SELECT pg_temp.fails(format($$SELECT chat.set_setting('reactions', '["%s"]')$$, repeat('x', 33)), '22023',
                     format('invalid reaction "%s" in setting "reactions"', repeat('x', 33)), 'set_setting reactions: too long');
SELECT pg_temp.fails($$SELECT chat.set_setting('attachment_mime_types', '"image/*"')$$, '22023',
                     'invalid value for setting "attachment_mime_types": "image/*"', 'set_setting mime types: not an array');
SELECT pg_temp.fails($$SELECT chat.set_setting('attachment_mime_types', '["image/"]')$$, '22023',
                     'invalid MIME type "image/" in setting "attachment_mime_types"', 'set_setting mime types: bad type');
SELECT pg_temp.fails($$SELECT chat.set_setting('max_attachments', '-1')$$, '22023',
                     'value -1 is out of range for setting "max_attachments"', 'set_setting max_attachments: negative');
SELECT pg_temp.fails($$SELECT chat.set_setting('max_attachment_size', '"big"')$$, '22023',
                     'invalid value for setting "max_attachment_size": "big"', 'set_setting max_attachment_size: text');

SELECT pg_temp.fails($$SELECT chat.new_message(1, '{2}', 's', 'c', '{"key": "k"}')$$, '22023',
                     'attachments must be a JSON array', 'attachments: an object');
SELECT pg_temp.fails($$SELECT chat.new_message(1, '{2}', 's', 'c', '[1]')$$, '22023',
                     'attachment 1 must be a JSON object', 'attachments: a number');
SELECT pg_temp.fails($$SELECT chat.new_message(1, '{2}', 's', 'c', '[{"key": "a"}, {"name": "b"}]')$$, '22023',
                     'attachment 2: "key" must be a non-blank string', 'attachments: no key');
SELECT pg_temp.fails($$SELECT chat.new_message(1, '{2}', 's', 'c', '[{"key": 5}]')$$, '22023',
                     'attachment 1: "key" must be a non-blank string', 'attachments: numeric key');
SELECT pg_temp.fails($$SELECT chat.new_message(1, '{2}', 's', 'c', '[{"key": "a", "name": 5}]')$$, '22023',
                     'attachment 1: "name" must be a string', 'attachments: numeric name');
SELECT pg_temp.fails($$SELECT chat.new_message(1, '{2}', 's', 'c', '[{"key": "a", "mime": "text"}]')$$, '22023',
                     'attachment 1: "mime" must be a MIME type such as "image/png"', 'attachments: bad mime');
SELECT pg_temp.fails($$SELECT chat.new_message(1, '{2}', 's', 'c', '[{"key": "a", "size": true}]')$$, '22023',
                     'attachment 1: "size" must be a whole number', 'attachments: boolean size');
SELECT pg_temp.fails($$SELECT chat.new_message(1, '{2}', 's', 'c', '[{"key": "a", "size": 1e30}]')$$, '22023',
                     'attachment 1: "size" must be a whole number', 'attachments: huge size');
SELECT pg_temp.fails($$SELECT chat.new_message(1, '{2}', 's', 'c', '[{"key": "a", "meta": "x"}]')$$, '22023',
                     'attachment 1: "meta" must be a JSON object', 'attachments: meta not an object');
SELECT pg_temp.fails($$SELECT chat.new_message(1, '{2}', 's', 'c', '[{"key": "a", "Key": "b"}]')$$, '22023',
                     'attachment 1: unknown field "Key"', 'attachments: unknown field');
SELECT pg_temp.fails(format($$SELECT chat.new_reply(%s, 1, 'c', attachments => '[{"key": ""}]')$$, :t1), '22023',
                     'attachment 1: "key" must be a non-blank string', 'new_reply: empty key');
SELECT chat.set_setting('attachment_mime_types', '["image/*"]') \g /dev/null
UPDATE baseline SET state = pg_temp.state();
SELECT pg_temp.fails(format($$SELECT chat.new_reply(%s, 1, 'c', attachments => '[{"key": "a", "mime": "text/plain"}]')$$, :t1), '22023',
                     'attachment 1: MIME type "text/plain" is not allowed', 'new_reply: MIME type refused');
SELECT pg_temp.fails(format($$SELECT chat.new_reply(%s, 1, 'c', attachments => '[{"key": "a"}]')$$, :t1), '22023',
                     'attachment 1: "mime" is required', 'new_reply: MIME type missing under a list');
SELECT chat.set_setting('attachment_mime_types', NULL) \g /dev/null
UPDATE baseline SET state = pg_temp.state();
SELECT pg_temp.fails(format($$SELECT chat.new_reply(%s, 1, 'c', parent_id => %s)$$, :t1, :m4), '22023',
                     format('message %s is not in thread %s', :m4, :t1), 'new_reply: parent from another thread');
SELECT pg_temp.fails(format($$SELECT chat.forward_message(%s, %s, 1, '  ')$$, :m1, :t1), '22023',
                     'message content must not be blank', 'forward_message: blank comment');

/* ---- 22001: too long ------------------------------------------------------ */

SELECT pg_temp.fails(format($$SELECT chat.add_reaction(%s, 2, repeat('x', 33))$$, :m1), '22001',
                     'reaction is too long', 'add_reaction: 33 characters');
SELECT chat.set_setting('max_reaction_length', '2') \g /dev/null
UPDATE baseline SET state = pg_temp.state();
SELECT pg_temp.fails(format($$SELECT chat.toggle_reaction(%s, 2, 'abc')$$, :m1), '22001',
                     'reaction is too long', 'toggle_reaction: past max_reaction_length');
SELECT chat.set_setting('max_reaction_length', NULL) \g /dev/null
UPDATE baseline SET state = pg_temp.state();

/* ---- 54000: a configured limit exceeded ----------------------------------- */

SELECT pg_temp.fails(format($$SELECT chat.new_message(1, '{2}', 's', 'c', '[%s]')$$,
                            (SELECT string_agg('{"key": "k"}', ',') FROM generate_series(1, 11))), '54000',
                     'too many attachments', 'new_message: 11 attachments');
SELECT chat.set_setting('max_attachment_size', '100') \g /dev/null
UPDATE baseline SET state = pg_temp.state();
SELECT pg_temp.fails(format($$SELECT chat.new_reply(%s, 1, 'c', attachments => '[{"key": "a", "size": 101}]')$$, :t1), '54000',
                     'attachment 1 is too large', 'new_reply: past max_attachment_size');
SELECT chat.set_setting('max_attachment_size', NULL) \g /dev/null
UPDATE baseline SET state = pg_temp.state();

/* ---- 42704: not found ----------------------------------------------------- */

SELECT pg_temp.fails($$SELECT chat.add_reaction(-1, 2, 'x')$$, '42704',
                     'message -1 does not exist', 'add_reaction: unknown message');
SELECT pg_temp.fails($$SELECT * FROM chat.receipts(-1, 1)$$, '42704',
                     'message -1 does not exist', 'receipts: unknown message');
SELECT pg_temp.fails($$SELECT * FROM chat.reactions(-1, 1)$$, '42704',
                     'message -1 does not exist', 'reactions: unknown message');
SELECT pg_temp.fails(format($$SELECT chat.forward_message(%s, -1, 1)$$, :m1), '42704',
                     'thread -1 does not exist', 'forward_message: unknown target');
SELECT pg_temp.fails(format($$SELECT chat.forward_message(-1, %s, 1)$$, :t1), '42704',
                     'message -1 does not exist', 'forward_message: unknown source');

/* ---- 42501: not a member --------------------------------------------------- */

SELECT pg_temp.fails(format($$SELECT chat.add_reaction(%s, 9, 'x')$$, :m1), '42501',
                     format('user "9" is not a member of thread %s', :t1), 'add_reaction: not a member');
SELECT pg_temp.fails(format($$SELECT chat.toggle_reaction(%s, 9, 'x')$$, :m1), '42501',
                     format('user "9" is not a member of thread %s', :t1), 'toggle_reaction: not a member');
SELECT pg_temp.fails(format($$SELECT chat.remove_reaction(%s, 9, 'ok')$$, :m1), '42501',
                     format('user "9" is not a member of thread %s', :t1), 'remove_reaction: not a member');
SELECT pg_temp.fails(format($$SELECT * FROM chat.receipts(%s, 9)$$, :m1), '42501',
                     format('user "9" is not a member of thread %s', :t1), 'receipts: not a member');
SELECT pg_temp.fails(format($$SELECT * FROM chat.reactions(%s, 9)$$, :m1), '42501',
                     format('user "9" is not a member of thread %s', :t1), 'reactions: not a member');
SELECT pg_temp.fails(format($$SELECT chat.forward_message(%s, %s, 9)$$, :m1, :t2), '42501',
                     format('user "9" is not a member of thread %s', :t1), 'forward_message: not in the source');
SELECT pg_temp.fails(format($$SELECT chat.forward_message(%s, %s, 1)$$, :m1, :t2), '42501',
                     NULL, 'forward_message: not in the target');

/* ---- 55000: a deleted message ---------------------------------------------- */

SELECT pg_temp.fails(format($$SELECT chat.add_reaction(%s, 2, 'x')$$, :m3), '55000',
                     format('cannot react to deleted message %s', :m3), 'add_reaction: deleted message');
SELECT pg_temp.fails(format($$SELECT chat.toggle_reaction(%s, 2, 'x')$$, :m3), '55000',
                     format('cannot react to deleted message %s', :m3), 'toggle_reaction: deleted message');
SELECT pg_temp.fails(format($$SELECT chat.forward_message(%s, %s, 2)$$, :m3, :t1), '55000',
                     format('cannot forward deleted message %s', :m3), 'forward_message: deleted message');

/* ---- 23514: a forward is not a reply --------------------------------------- */

SELECT chat.forward_message(:m2, :t1, 1) AS f1 \gset
UPDATE baseline SET state = pg_temp.state();
SELECT pg_temp.fails(format($$UPDATE chat.message SET parent_id = %s WHERE id = %s$$, :m1, :f1), '23514',
                     NULL, 'a forwarded message cannot become a reply');
SELECT is((SELECT count(*) FROM chat.attachment WHERE message_id = :f1), 1::bigint, 'the forward copies the attachment');
SELECT is((SELECT forwarded_from FROM chat.message WHERE id = :f1), :m2::bigint, 'and points at its source');

/* ---- receipt rules --------------------------------------------------------- */

SELECT is((SELECT array_agg(user_id || ':' || status ORDER BY user_id) FROM chat.receipts(:m1, 1)),
          ARRAY['2:seen'], 'm1: the replier has seen it, 3 has not received it');
SELECT chat.mark_delivered(3, :t1) \g /dev/null
SELECT is((SELECT array_agg(user_id || ':' || status ORDER BY user_id) FROM chat.receipts(:m1, 1)),
          ARRAY['2:seen', '3:delivered'], 'm1: delivered to 3');
SELECT isnt((SELECT at FROM chat.receipts(:m1, 1) WHERE user_id = 3), NULL, 'a delivered receipt has a time');
SELECT chat.mark_read(:t1, 3) \g /dev/null
SELECT chat.mark_unread(:t1, 3, :m1) \g /dev/null
SELECT is((SELECT status FROM chat.receipts(:m1, 1) WHERE user_id = 3), 'seen', 'mark_unread does not take a seen receipt back');
SELECT is((SELECT seen_count FROM chat.messages(:t1, 1) WHERE id = :m1), 2::bigint, 'nor a seen_count');
SELECT is((SELECT count(*) FROM chat.receipts(:m2, 1) WHERE user_id = 2), 0::bigint, 'no receipt for one''s own message');
SELECT set_eq(format($$SELECT user_id, status, at FROM chat.message_receipt WHERE message_id = %s$$, :m2),
              format($$SELECT * FROM chat.receipts(%s, 1)$$, :m2), 'the view agrees with receipts()');
SELECT is((SELECT array_agg(seen_count ORDER BY id) FROM chat.messages(:t1, 1)),
          (SELECT array_agg((SELECT count(*) FROM chat.receipts(m.id, 1) r WHERE r.status = 'seen') ORDER BY m.id)
             FROM chat.message m WHERE m.thread_id = :t1),
          'seen_count equals the seen receipts of every message');
SELECT is((SELECT array_agg(seen_count ORDER BY id) FROM chat.messages(:t1, 1, page_size => 1)),
          (SELECT array_agg(seen_count ORDER BY id) FROM chat.messages(:t1, 1) WHERE id = (SELECT max(id) FROM chat.message WHERE thread_id = :t1)),
          'a page of one counts as the full page does');

/* ---- catalog shape ---------------------------------------------------------- */

SELECT has_table('chat', 'reaction', 'table chat.reaction exists');
SELECT has_table('chat', 'attachment', 'table chat.attachment exists');
SELECT has_view('chat', 'message_receipt', 'view chat.message_receipt exists');
SELECT columns_are('chat', 'reaction', ARRAY['thread_id', 'message_id', 'user_id', 'reaction', 'created_at'], 'chat.reaction columns');
SELECT columns_are('chat', 'attachment', ARRAY['thread_id', 'message_id', 'position', 'key', 'name', 'mime', 'size', 'meta'],
                   'chat.attachment columns');
SELECT columns_are('chat', 'message_receipt', ARRAY['message_id', 'user_id', 'status', 'at'], 'chat.message_receipt columns');
SELECT col_type_is('chat', 'reaction', 'user_id', 'chat.user_id', 'reaction.user_id is chat.user_id');
SELECT col_is_pk('chat', 'reaction', ARRAY['thread_id', 'message_id', 'user_id', 'reaction'], 'reaction primary key');
SELECT col_is_pk('chat', 'attachment', ARRAY['thread_id', 'message_id', 'position'], 'attachment primary key');
SELECT is((SELECT count(*) FROM pg_constraint
            WHERE contype = 'f' AND conrelid IN ('chat.reaction'::regclass, 'chat.attachment'::regclass)),
          0::bigint, 'reaction and attachment have no foreign key (they go with their message by trigger)');
SELECT has_column('chat', 'member', c, format('chat.member has column %s', c))
  FROM unnest(ARRAY['seen_id', 'read_at', 'delivered_at']) c;
SELECT ok(ARRAY['chat.reaction'::regclass, 'chat.attachment'::regclass]::oid[]
          <@ (SELECT extconfig FROM pg_extension WHERE extname = 'chat'), 'reaction and attachment rows are dumped');
SELECT has_function('chat', f, args, format('chat.%s(%s) exists', f, array_to_string(args, ', ')))
  FROM (VALUES ('receipts', ARRAY['bigint', 'chat.user_id']),
               ('add_reaction', ARRAY['bigint', 'chat.user_id', 'text', 'jsonb']),
               ('remove_reaction', ARRAY['bigint', 'chat.user_id', 'text']),
               ('toggle_reaction', ARRAY['bigint', 'chat.user_id', 'text', 'jsonb']),
               ('reactions', ARRAY['bigint', 'chat.user_id']),
               ('forward_message', ARRAY['bigint', 'bigint', 'chat.user_id', 'text']),
               ('_add_attachments', ARRAY['bigint', 'bigint', 'jsonb']),
               ('_check_attachments', ARRAY['jsonb']),
               ('_is_emoji', ARRAY['text'])) f(f, args);
SELECT is((SELECT pg_get_function_result('chat.receipts(bigint, chat.user_id)'::regprocedure)),
          'TABLE(user_id chat.user_id, status text, at timestamp with time zone)', 'receipts result columns');
SELECT is((SELECT pg_get_function_result('chat.reactions(bigint, chat.user_id)'::regprocedure)),
          'TABLE(reaction text, count bigint, users chat.user_ids, reacted_by_viewer boolean)', 'reactions result columns');
SELECT is((SELECT array_agg(p.proname::text ORDER BY p.proname) FROM pg_proc p
            WHERE p.pronamespace = 'chat'::regnamespace AND p.prolang <> (SELECT l.oid FROM pg_language l WHERE l.lanname = 'c')
              AND p.proname IN ('receipts', 'add_reaction', 'remove_reaction', 'toggle_reaction', 'reactions',
                                'forward_message', '_add_attachments', '_check_attachments', '_reaction_summary',
                                '_attachment_list', '_reactable', '_check_reaction', 'messages',
                                'mark_read', 'mark_unread', 'mark_delivered', 'new_message', 'set_setting')
              AND NOT coalesce('search_path=pg_catalog, pg_temp' = ANY (p.proconfig), false)),
          NULL, 'every new SQL function pins search_path');
SELECT is((SELECT array_agg(o ORDER BY o) FROM unnest(ARRAY[
              'chat.receipts(bigint,chat.user_id)', 'chat.add_reaction(bigint,chat.user_id,text,jsonb)',
              'chat.remove_reaction(bigint,chat.user_id,text)', 'chat.toggle_reaction(bigint,chat.user_id,text,jsonb)',
              'chat.reactions(bigint,chat.user_id)', 'chat.forward_message(bigint,bigint,chat.user_id,text)']) o
            WHERE obj_description(o::regprocedure, 'pg_proc') IS NULL),
          NULL, 'every public function has a comment');
SELECT isnt(obj_description('chat.message_receipt'::regclass, 'pg_class'), NULL, 'the view has a comment');
SELECT is((SELECT array_agg(key ORDER BY key) FROM chat.setting_default
            WHERE key IN ('reactions', 'max_reaction_length', 'max_attachments', 'max_attachment_size', 'attachment_mime_types')),
          ARRAY['attachment_mime_types', 'max_attachment_size', 'max_attachments', 'max_reaction_length', 'reactions'],
          'the new settings exist');
SELECT is(chat.get_setting('reactions'), '"any"'::jsonb, 'reactions defaults to "any"');

/* a forwarded message is not a reply: the triggers keep what a CHECK kept until chat 0.9 */
SELECT chat.forward_message(:m1, :t1, 3) AS fw \gset
SELECT pg_temp.rebase();
SELECT pg_temp.fails(format($$UPDATE chat.message SET parent_id = %s WHERE id = %s$$, :m1, :fw), '23514',
                     'new row for relation "message" violates check constraint "message_forward_not_reply"',
                     'a forwarded message made a reply');
SELECT pg_temp.fails(format($$INSERT INTO chat.message (thread_id, sender_id, content, parent_id, forwarded_from)
                              VALUES (%s, 1, 'both', %s, %s)$$, :t1, :m1, :m2), '23514',
                     'new row for relation "message" violates check constraint "message_forward_not_reply"',
                     'a new row that is both');
SELECT is((SELECT count(*) FROM pg_constraint WHERE conrelid IN ('chat.message'::regclass, 'chat.thread'::regclass)
            AND contype = 'c'), 0::bigint, 'no CHECK constraint on chat.message or chat.thread (each costs every reply)');
SELECT lives_ok(format($$UPDATE chat.message SET parent_id = NULL WHERE id = %s$$, :fw), 'clearing a parent is fine');

SELECT * FROM finish();
ROLLBACK;
