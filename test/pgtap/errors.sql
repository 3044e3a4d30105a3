-- Every error path of SPEC.md §6 that chat 0.1 has: the SQLSTATE, the exact
-- message, and that the failed call left every table and counter as it was.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
DROP EXTENSION IF EXISTS chat CASCADE;
SET LOCAL chat.user_id_type = 'bigint';
SET LOCAL chat.user_id = '';
CREATE EXTENSION chat;

SELECT plan(282);

/*
 * Fixture: users 1 (owner), 2 and 3 in thread t1; 9 is in no thread of 1's;
 * t2 is 8's thread with 9.  m1..m3 in t1 (m3 deleted by its sender 2), m4 in t2.
 */
SELECT chat.new_message(1, '{2,3}', 'fixture', 'first') AS m1 \gset
SELECT thread_id AS t1 FROM chat.message WHERE id = :m1 \gset
SELECT chat.new_reply(:t1, 2, 'second') AS m2 \gset
SELECT chat.new_reply(:t1, 2, 'third, to be deleted') AS m3 \gset
SELECT chat.delete_message(:m3, 2) \g /dev/null
SELECT chat.new_message(8, '{9}', 'other', 'elsewhere') AS m4 \gset
SELECT thread_id AS t2 FROM chat.message WHERE id = :m4 \gset
SELECT chat.edit_message(:m2, 2, 'second, edited') \g /dev/null

/* Everything a failed call could have touched, in one comparable text. */
CREATE FUNCTION pg_temp.state() RETURNS text
    LANGUAGE sql AS $$
    SELECT format('threads=%s members=%s messages=%s edits=%s settings=%s drift=%s md5=%s',
                  (SELECT count(*) FROM chat.thread), (SELECT count(*) FROM chat.member),
                  (SELECT count(*) FROM chat.message), (SELECT count(*) FROM chat.message_edit),
                  (SELECT count(*) FROM chat.setting), (SELECT count(*) FROM chat.verify_unread()),
                  md5(concat_ws('|',
                      (SELECT string_agg(t::text, ',' ORDER BY t.id) FROM chat.thread t),
                      (SELECT string_agg(m::text, ',' ORDER BY m.thread_id, m.user_id) FROM chat.member m),
                      (SELECT string_agg(m::text, ',' ORDER BY m.thread_id, m.id) FROM chat.message m),
                      (SELECT string_agg(e::text, ',' ORDER BY e.thread_id, e.message_id, e.version)
                         FROM chat.message_edit e),
                      (SELECT string_agg(s::text, ',' ORDER BY s.key) FROM chat.setting s))))
$$;
CREATE TEMP TABLE baseline AS SELECT pg_temp.state() AS state;

\ir lib/fails.sql

SELECT is_empty('SELECT * FROM chat.verify_unread()', 'fixture counters are exact');

/* ---- 22004: a required argument is NULL --------------------------------- */

SELECT pg_temp.fails($$SELECT chat.new_message(NULL, '{2}', 's', 'c')$$, '22004',
                     'argument "sender" must not be null', 'new_message: NULL sender');
SELECT pg_temp.fails($$SELECT chat.new_message(recipients => '{2}', subject => 's', content => 'c')$$, '22004',
                     'argument "sender" must not be null', 'new_message: sender defaults to chat.current_user_id(), unset');
SELECT pg_temp.fails($$SELECT chat.new_message(1, NULL, 's', 'c')$$, '22004',
                     'argument "recipients" must not be null', 'new_message: NULL recipients');
SELECT pg_temp.fails($$SELECT chat.new_message(1, '{2,NULL}', 's', 'c')$$, '22004',
                     'recipients must not contain null', 'new_message: NULL inside recipients');
SELECT pg_temp.fails($$SELECT chat.new_message(1, '{NULL}', 's', 'c')$$, '22004',
                     'recipients must not contain null', 'new_message: recipients {NULL}');
SELECT pg_temp.fails($$SELECT chat.new_message(1, '{2}', NULL, 'c')$$, '22004',
                     'argument "subject" must not be null', 'new_message: NULL subject');
SELECT pg_temp.fails($$SELECT chat.new_message(1, '{2}', 's', NULL)$$, '22004',
                     'argument "content" must not be null', 'new_message: NULL content');
SELECT pg_temp.fails($$SELECT chat.new_reply(NULL, 1, 'c')$$, '22004',
                     'argument "thread_id" must not be null', 'new_reply: NULL thread_id');
SELECT pg_temp.fails(format($$SELECT chat.new_reply(%s, NULL, 'c')$$, :t1), '22004',
                     'argument "sender" must not be null', 'new_reply: NULL sender');
SELECT pg_temp.fails(format($$SELECT chat.new_reply(%s, 1, NULL)$$, :t1), '22004',
                     'argument "content" must not be null', 'new_reply: NULL content');
SELECT pg_temp.fails($$SELECT * FROM chat.inbox(NULL)$$, '22004',
                     'argument "viewer" must not be null', 'inbox: NULL viewer');
SELECT pg_temp.fails($$SELECT * FROM chat.inbox(1, NULL)$$, '22004',
                     'argument "folder" must not be null', 'inbox: NULL folder');
SELECT pg_temp.fails($$SELECT * FROM chat.inbox(1, page_size => NULL)$$, '22004',
                     'argument "page_size" must not be null', 'inbox: NULL page_size');
SELECT pg_temp.fails($$SELECT chat.inbox_count(NULL)$$, '22004',
                     'argument "viewer" must not be null', 'inbox_count: NULL viewer');
SELECT pg_temp.fails($$SELECT chat.inbox_count(1, NULL)$$, '22004',
                     'argument "folder" must not be null', 'inbox_count: NULL folder');
SELECT pg_temp.fails($$SELECT * FROM chat.unread_count(NULL)$$, '22004',
                     'argument "viewer" must not be null', 'unread_count: NULL viewer');
SELECT pg_temp.fails($$SELECT * FROM chat.messages(NULL, 1)$$, '22004',
                     'argument "thread_id" must not be null', 'messages: NULL thread_id');
SELECT pg_temp.fails(format($$SELECT * FROM chat.messages(%s, NULL)$$, :t1), '22004',
                     'argument "viewer" must not be null', 'messages: NULL viewer');
SELECT pg_temp.fails(format($$SELECT * FROM chat.messages(%s, 1, page_size => NULL)$$, :t1), '22004',
                     'argument "page_size" must not be null', 'messages: NULL page_size');
SELECT pg_temp.fails($$SELECT chat.mark_read(NULL, 1)$$, '22004',
                     'argument "thread_id" must not be null', 'mark_read: NULL thread_id');
SELECT pg_temp.fails(format($$SELECT chat.mark_read(%s, NULL)$$, :t1), '22004',
                     'argument "reader" must not be null', 'mark_read: NULL reader');
SELECT pg_temp.fails($$SELECT chat.mark_unread(NULL, 1)$$, '22004',
                     'argument "thread_id" must not be null', 'mark_unread: NULL thread_id');
SELECT pg_temp.fails(format($$SELECT chat.mark_unread(%s, NULL)$$, :t1), '22004',
                     'argument "reader" must not be null', 'mark_unread: NULL reader');
SELECT pg_temp.fails(format($$SELECT chat.mark_delivered(NULL, %s)$$, :t1), '22004',
                     'argument "reader" must not be null', 'mark_delivered: NULL reader');
SELECT pg_temp.fails(format($$SELECT chat.%s(NULL, 1)$$, f), '22004',
                     'argument "thread_id" must not be null', f || ': NULL thread_id')
  FROM unnest(ARRAY['delete_thread', 'restore_thread', 'archive_thread', 'unarchive_thread']) f;
SELECT pg_temp.fails(format($$SELECT chat.%s(%s, NULL)$$, f, :t1), '22004',
                     'argument "actor" must not be null', f || ': NULL actor')
  FROM unnest(ARRAY['delete_thread', 'restore_thread', 'archive_thread', 'unarchive_thread']) f;
SELECT pg_temp.fails($$SELECT chat.edit_message(NULL, 1, 'c')$$, '22004',
                     'argument "message_id" must not be null', 'edit_message: NULL message_id');
SELECT pg_temp.fails(format($$SELECT chat.edit_message(%s, NULL, 'c')$$, :m1), '22004',
                     'argument "editor" must not be null', 'edit_message: NULL editor');
SELECT pg_temp.fails(format($$SELECT chat.edit_message(%s, 1, NULL)$$, :m1), '22004',
                     'argument "content" must not be null', 'edit_message: NULL content');
SELECT pg_temp.fails($$SELECT chat.delete_message(NULL, 1)$$, '22004',
                     'argument "message_id" must not be null', 'delete_message: NULL message_id');
SELECT pg_temp.fails(format($$SELECT chat.delete_message(%s, NULL)$$, :m1), '22004',
                     'argument "actor" must not be null', 'delete_message: NULL actor');
SELECT pg_temp.fails($$SELECT * FROM chat.message_history(NULL, 1)$$, '22004',
                     'argument "message_id" must not be null', 'message_history: NULL message_id');
SELECT pg_temp.fails(format($$SELECT * FROM chat.message_history(%s, NULL)$$, :m2), '22004',
                     'argument "viewer" must not be null', 'message_history: NULL viewer');
SELECT pg_temp.fails($$SELECT chat.get_setting(NULL)$$, '22004',
                     'argument "key" must not be null', 'get_setting: NULL key');
SELECT pg_temp.fails($$SELECT chat.set_setting(NULL, '1')$$, '22004',
                     'argument "key" must not be null', 'set_setting: NULL key');

/* ---- 22023: invalid argument --------------------------------------------- */

SELECT pg_temp.fails($$SELECT chat.new_message(1, '{}', 's', 'c')$$, '22023',
                     'recipients must not be empty', 'new_message: empty recipients');
SELECT pg_temp.fails($$SELECT chat.new_message(1, '{2}', 's', '')$$, '22023',
                     'message content must not be blank', 'new_message: empty content');
SELECT pg_temp.fails($$SELECT chat.new_message(1, '{2}', 's', E'  \t\r\n  ')$$, '22023',
                     'message content must not be blank', 'new_message: whitespace-only content');
SELECT pg_temp.fails(format($$SELECT chat.new_reply(%s, 1, '')$$, :t1), '22023',
                     'message content must not be blank', 'new_reply: empty content');
SELECT pg_temp.fails(format($$SELECT chat.new_reply(%s, 1, E' \n\t ')$$, :t1), '22023',
                     'message content must not be blank', 'new_reply: whitespace-only content');
SELECT pg_temp.fails(format($$SELECT chat.edit_message(%s, 1, '   ')$$, :m1), '22023',
                     'message content must not be blank', 'edit_message: blank content');
SELECT pg_temp.fails($$SELECT * FROM chat.inbox(1, 'trash')$$, '22023',
                     'invalid folder "trash"', 'inbox: bad folder');
SELECT pg_temp.fails($$SELECT * FROM chat.inbox(1, 'Inbox')$$, '22023',
                     'invalid folder "Inbox"', 'inbox: folders are lower case');
SELECT pg_temp.fails($$SELECT chat.inbox_count(1, 'spam')$$, '22023',
                     'invalid folder "spam"', 'inbox_count: bad folder');
SELECT pg_temp.fails($$SELECT * FROM chat.inbox(1, page_size => 0)$$, '22023',
                     'page_size must be between 1 and 500', 'inbox: page_size 0');
SELECT pg_temp.fails($$SELECT * FROM chat.inbox(1, page_size => -5)$$, '22023',
                     'page_size must be between 1 and 500', 'inbox: negative page_size');
SELECT pg_temp.fails($$SELECT * FROM chat.inbox(1, page_size => 501)$$, '22023',
                     'page_size must be between 1 and 500', 'inbox: page_size above max_page_size');
SELECT pg_temp.fails(format($$SELECT * FROM chat.messages(%s, 1, page_size => 0)$$, :t1), '22023',
                     'page_size must be between 1 and 500', 'messages: page_size 0');
SELECT pg_temp.fails(format($$SELECT * FROM chat.messages(%s, 1, page_size => -1)$$, :t1), '22023',
                     'page_size must be between 1 and 500', 'messages: negative page_size');
SELECT pg_temp.fails(format($$SELECT * FROM chat.messages(%s, 1, page_size => 100000)$$, :t1), '22023',
                     'page_size must be between 1 and 500', 'messages: page_size above max_page_size');
SELECT pg_temp.fails($$SELECT * FROM chat.inbox(1, before => 'abc')$$, '22023',
                     'invalid cursor "abc"', 'inbox: cursor that is not a cursor');
SELECT pg_temp.fails($$SELECT * FROM chat.inbox(1, before => '12:')$$, '22023',
                     'invalid cursor "12:"', 'inbox: truncated cursor');
SELECT pg_temp.fails($$SELECT * FROM chat.inbox(1, before => '-1:5')$$, '22023',
                     'invalid cursor "-1:5"', 'inbox: negative cursor');
SELECT pg_temp.fails($$SELECT * FROM chat.inbox(1, before => '')$$, '22023',
                     'invalid cursor ""', 'inbox: empty cursor');
SELECT pg_temp.fails($$SELECT * FROM chat.inbox(1, before => '12345678901234567890:1')$$, '22023',
                     'invalid cursor "12345678901234567890:1"', 'inbox: cursor with 20 digits');
SELECT pg_temp.fails($$SELECT * FROM chat.inbox(1, before => '9999999999999999999:1')$$, '22023',
                     'invalid cursor "9999999999999999999:1"', 'inbox: cursor beyond bigint');
SELECT pg_temp.fails(format($$SELECT chat.new_reply(%s, 1, 'c', parent_id => %s)$$, :t1, :m4), '22023',
                     format('message %s is not in thread %s', :m4, :t1), 'new_reply: parent_id from another thread');
SELECT pg_temp.fails(format($$SELECT chat.mark_read(%s, 1, up_to => %s)$$, :t1, :m4), '22023',
                     format('message %s is not in thread %s', :m4, :t1), 'mark_read: up_to from another thread');
SELECT pg_temp.fails(format($$SELECT chat.mark_unread(%s, 1, from_message => %s)$$, :t1, :m4), '22023',
                     format('message %s is not in thread %s', :m4, :t1), 'mark_unread: from_message from another thread');
SELECT pg_temp.fails(format($$SELECT chat.mark_delivered(1, %s, up_to => %s)$$, :t1, :m4), '22023',
                     format('message %s is not in thread %s', :m4, :t1), 'mark_delivered: up_to from another thread');
SELECT pg_temp.fails(format($$SELECT chat.mark_delivered(1, up_to => %s)$$, :m1), '22023',
                     'up_to needs a thread_id', 'mark_delivered: up_to without thread_id');

-- settings
SELECT pg_temp.fails($$SELECT chat.get_setting('no_such_setting')$$, '22023',
                     'unknown setting "no_such_setting"', 'get_setting: unknown setting');
SELECT pg_temp.fails($$SELECT chat.set_setting('no_such_setting', '1')$$, '22023',
                     'unknown setting "no_such_setting"', 'set_setting: unknown setting');
SELECT pg_temp.fails($$SELECT chat.set_setting('no_such_setting', NULL)$$, '22023',
                     'unknown setting "no_such_setting"', 'set_setting: unknown setting reset to NULL');
SELECT pg_temp.fails($$SELECT chat.set_setting('mark_new_thread_as_deleted', '1')$$, '22023',
                     'invalid value for setting "mark_new_thread_as_deleted": 1', 'set_setting: number for a boolean');
SELECT pg_temp.fails($$SELECT chat.set_setting('mark_new_thread_as_deleted', '"true"')$$, '22023',
                     'invalid value for setting "mark_new_thread_as_deleted": "true"', 'set_setting: string for a boolean');
SELECT pg_temp.fails($$SELECT chat.set_setting('max_page_size', '"100"')$$, '22023',
                     'invalid value for setting "max_page_size": "100"', 'set_setting: string for an integer');
SELECT pg_temp.fails($$SELECT chat.set_setting('max_page_size', '1.5')$$, '22023',
                     'invalid value for setting "max_page_size": 1.5', 'set_setting: fraction for an integer');
SELECT pg_temp.fails($$SELECT chat.set_setting('max_page_size', 'true')$$, '22023',
                     'invalid value for setting "max_page_size": true', 'set_setting: boolean for an integer');
SELECT pg_temp.fails($$SELECT chat.set_setting('max_page_size', '[10]')$$, '22023',
                     'invalid value for setting "max_page_size": [10]', 'set_setting: array for an integer');
SELECT pg_temp.fails($$SELECT chat.set_setting('max_page_size', '0')$$, '22023',
                     'value 0 is out of range for setting "max_page_size"', 'set_setting: integer below range');
SELECT pg_temp.fails($$SELECT chat.set_setting('max_page_size', '100001')$$, '22023',
                     'value 100001 is out of range for setting "max_page_size"', 'set_setting: integer above range');
SELECT pg_temp.fails($$SELECT chat.set_setting('max_content_length', '-1')$$, '22023',
                     'value -1 is out of range for setting "max_content_length"', 'set_setting: negative limit');
SELECT pg_temp.fails($$SELECT chat.set_setting('inbox_fanout_limit', '-1')$$, '22023',
                     'value -1 is out of range for setting "inbox_fanout_limit"', 'set_setting: negative fan-out limit');
SELECT pg_temp.fails($$SELECT chat.set_setting('max_subject_length', '1e30')$$, '22023',
                     'value 1000000000000000000000000000000 is out of range for setting "max_subject_length"',
                     'set_setting: huge number');

/* ---- 22001: text longer than its limit ---------------------------------- */

SELECT chat.set_setting('max_content_length', '10') \g /dev/null
SELECT chat.set_setting('max_subject_length', '5') \g /dev/null
SELECT pg_temp.rebase() \g /dev/null
SELECT lives_ok($$SELECT chat.new_message(1, '{2}', '12345', '1234567890')$$,
                'content and subject exactly at their limits are accepted');
SELECT pg_temp.rebase() \g /dev/null
SELECT pg_temp.fails($$SELECT chat.new_message(1, '{2}', 's', '12345678901')$$, '22001',
                     'message content is too long', 'new_message: content over max_content_length');
SELECT pg_temp.fails($$SELECT chat.new_message(1, '{2}', 's', 'ééééééééééé')$$, '22001',
                     'message content is too long', 'new_message: the limit counts characters, not bytes');
SELECT pg_temp.fails($$SELECT chat.new_message(1, '{2}', '123456', 'c')$$, '22001',
                     'subject is too long', 'new_message: subject over max_subject_length');
SELECT pg_temp.fails(format($$SELECT chat.new_reply(%s, 1, '12345678901')$$, :t1), '22001',
                     'message content is too long', 'new_reply: content over max_content_length');
SELECT pg_temp.fails(format($$SELECT chat.edit_message(%s, 1, '12345678901')$$, :m1), '22001',
                     'message content is too long', 'edit_message: content over max_content_length');
SELECT chat.set_setting('max_content_length', NULL) \g /dev/null
SELECT chat.set_setting('max_subject_length', NULL) \g /dev/null
SELECT pg_temp.rebase() \g /dev/null

/* ---- 42704: thread or message not found ---------------------------------- */

SELECT pg_temp.fails($$SELECT chat.new_reply(999999, 1, 'c')$$, '42704',
                     'thread 999999 does not exist', 'new_reply: unknown thread');
SELECT pg_temp.fails($$SELECT * FROM chat.messages(999999, 1)$$, '42704',
                     'thread 999999 does not exist', 'messages: unknown thread');
SELECT pg_temp.fails($$SELECT chat.mark_read(999999, 1)$$, '42704',
                     'thread 999999 does not exist', 'mark_read: unknown thread');
SELECT pg_temp.fails($$SELECT chat.mark_unread(999999, 1)$$, '42704',
                     'thread 999999 does not exist', 'mark_unread: unknown thread');
SELECT pg_temp.fails($$SELECT chat.mark_delivered(1, 999999)$$, '42704',
                     'thread 999999 does not exist', 'mark_delivered: unknown thread');
SELECT pg_temp.fails(format($$SELECT chat.%s(999999, 1)$$, f), '42704',
                     'thread 999999 does not exist', f || ': unknown thread')
  FROM unnest(ARRAY['delete_thread', 'restore_thread', 'archive_thread', 'unarchive_thread']) f;
SELECT pg_temp.fails($$SELECT chat.edit_message(999999, 1, 'c')$$, '42704',
                     'message 999999 does not exist', 'edit_message: unknown message');
SELECT pg_temp.fails($$SELECT chat.delete_message(999999, 1)$$, '42704',
                     'message 999999 does not exist', 'delete_message: unknown message');
SELECT pg_temp.fails($$SELECT * FROM chat.message_history(999999, 1)$$, '42704',
                     'message 999999 does not exist', 'message_history: unknown message');
SELECT pg_temp.fails(format($$SELECT chat.mark_read(%s, 1, up_to => 999999)$$, :t1), '42704',
                     'message 999999 does not exist', 'mark_read: unknown up_to');
SELECT pg_temp.fails(format($$SELECT chat.mark_unread(%s, 1, from_message => 999999)$$, :t1), '42704',
                     'message 999999 does not exist', 'mark_unread: unknown from_message');
SELECT pg_temp.fails(format($$SELECT chat.mark_delivered(1, %s, up_to => 999999)$$, :t1), '42704',
                     'message 999999 does not exist', 'mark_delivered: unknown up_to');
SELECT pg_temp.fails(format($$SELECT chat.new_reply(%s, 1, 'c', parent_id => 999999)$$, :t1), '42704',
                     'message 999999 does not exist', 'new_reply: unknown parent_id');

-- not found is NULL, not an error, for the lookups
SELECT is(chat.first_message(999999), NULL, 'first_message of an unknown thread is NULL');
SELECT is(chat.latest_message(999999), NULL, 'latest_message of an unknown thread is NULL');
SELECT is(chat.latest_message(999999, 1), NULL, 'latest_message of an unknown thread, excluding a user, is NULL');
SELECT is(chat.earliest_message(999999), NULL, 'earliest_message of an unknown thread is NULL');
SELECT is(chat.earliest_message(999999, 1), NULL, 'earliest_message of an unknown thread, excluding a user, is NULL');
SELECT is(chat.started_by(999999), NULL, 'started_by of an unknown thread is NULL');
SELECT is(chat.first_message(NULL), NULL, 'first_message(NULL) is NULL');
SELECT is(chat.started_by(NULL), NULL, 'started_by(NULL) is NULL');

/* ---- 42501: not a member / not allowed ----------------------------------- */

SELECT pg_temp.fails(format($$SELECT chat.new_reply(%s, 9, 'c')$$, :t1), '42501',
                     format('user "9" is not a member of thread %s', :t1), 'new_reply: non-member');
SELECT pg_temp.fails(format($$SELECT * FROM chat.messages(%s, 9)$$, :t1), '42501',
                     format('user "9" is not a member of thread %s', :t1), 'messages: non-member');
SELECT pg_temp.fails(format($$SELECT chat.mark_read(%s, 9)$$, :t1), '42501',
                     format('user "9" is not a member of thread %s', :t1), 'mark_read: non-member');
SELECT pg_temp.fails(format($$SELECT chat.mark_unread(%s, 9)$$, :t1), '42501',
                     format('user "9" is not a member of thread %s', :t1), 'mark_unread: non-member');
SELECT pg_temp.fails(format($$SELECT chat.mark_delivered(9, %s)$$, :t1), '42501',
                     format('user "9" is not a member of thread %s', :t1), 'mark_delivered: non-member');
SELECT pg_temp.fails(format($$SELECT chat.%s(%s, 9)$$, f, :t1), '42501',
                     format('user "9" is not a member of thread %s', :t1), f || ': non-member')
  FROM unnest(ARRAY['delete_thread', 'restore_thread', 'archive_thread', 'unarchive_thread']) f;
SELECT pg_temp.fails(format($$SELECT * FROM chat.message_history(%s, 9)$$, :m2), '42501',
                     format('user "9" is not a member of thread %s', :t1), 'message_history: non-member');
SELECT pg_temp.fails(format($$SELECT chat.edit_message(%s, 9, 'c')$$, :m1), '42501',
                     format('user "9" is not a member of thread %s', :t1), 'edit_message: non-member');
SELECT pg_temp.fails(format($$SELECT chat.delete_message(%s, 9)$$, :m1), '42501',
                     format('user "9" is not a member of thread %s', :t1), 'delete_message: non-member');
SELECT pg_temp.fails(format($$SELECT chat.edit_message(%s, 2, 'not mine')$$, :m1), '42501',
                     format('permission denied to edit message %s', :m1), 'edit_message: someone else''s message, as a member');
SELECT pg_temp.fails(format($$SELECT chat.edit_message(%s, 1, 'not mine')$$, :m2), '42501',
                     format('permission denied to edit message %s', :m2), 'edit_message: someone else''s message, as the owner');
SELECT pg_temp.fails(format($$SELECT chat.delete_message(%s, 3)$$, :m1), '42501',
                     format('permission denied to delete message %s', :m1), 'delete_message: someone else''s message, as a plain member');
SELECT pg_temp.fails(format($$SELECT chat.delete_message(%s, 3)$$, :m2), '42501',
                     format('permission denied to delete message %s', :m2), 'delete_message: another member''s message, as a plain member');

/* ---- 55000: not allowed in this state ------------------------------------ */

SELECT pg_temp.fails(format($$SELECT chat.edit_message(%s, 2, 'resurrect')$$, :m3), '55000',
                     format('cannot edit deleted message %s', :m3), 'edit_message: a deleted message');

/* ---- attachments and extra (test/pgtap/interactions.sql and models.sql have the rest) ---- */

SELECT pg_temp.fails($$SELECT chat.new_message(1, '{2}', 's', 'c', attachments => '[{"key":"k", "colour": 1}]')$$, '22023',
                     'attachment 1: unknown field "colour"', 'new_message: an attachment with an unknown field');
/* extra fills a swapped model: without one it is refused (22023; test/pgtap/models.sql has the rest) */
SELECT pg_temp.fails($$SELECT chat.new_message(1, '{2}', 's', 'c', extra => '{"priority":"high"}')$$, '22023',
                     'extra needs a swapped model', 'new_message: extra without a swapped model');
SELECT pg_temp.fails(format($$SELECT chat.new_reply(%s, 1, 'c', attachments => '[{"name": "a.png"}]')$$, :t1), '22023',
                     'attachment 1: "key" must be a non-blank string', 'new_reply: an attachment without a key');
SELECT pg_temp.fails(format($$SELECT chat.new_reply(%s, 1, 'c', extra => '{}')$$, :t1), '22023',
                     'extra needs a swapped model', 'new_reply: extra without a swapped model');

/* ---- the table triggers guard direct writes ------------------------------ */

SELECT pg_temp.fails($$INSERT INTO chat.message (thread_id, sender_id, content) VALUES (999999, 1, 'c')$$, '42704',
                     'thread 999999 does not exist', 'INSERT into chat.message: unknown thread');
SELECT pg_temp.fails(format($$INSERT INTO chat.message (thread_id, sender_id, content) VALUES (%s, 9, 'c')$$, :t1), '42501',
                     format('user "9" is not a member of thread %s', :t1), 'INSERT into chat.message: non-member sender');
SELECT pg_temp.fails($$INSERT INTO chat.message (thread_id, sender_id, content) VALUES (NULL, 1, 'c')$$, '22004',
                     'a message needs a thread_id', 'INSERT into chat.message: NULL thread_id');
SELECT pg_temp.fails(format($$UPDATE chat.message SET id = id + 1000 WHERE id = %s$$, :m1), '55000',
                     format('cannot change the id, thread, sender or kind of message %s', :m1), 'UPDATE chat.message: id');
SELECT pg_temp.fails(format($$UPDATE chat.message SET thread_id = %s WHERE id = %s$$, :t2, :m1), '55000',
                     format('cannot change the id, thread, sender or kind of message %s', :m1), 'UPDATE chat.message: thread_id');
SELECT pg_temp.fails(format($$UPDATE chat.message SET sender_id = 3 WHERE id = %s$$, :m1), '55000',
                     format('cannot change the id, thread, sender or kind of message %s', :m1), 'UPDATE chat.message: sender_id');
-- (a sender set to NULL is allowed: the users binding anonymizes that way)
SELECT pg_temp.fails(format($$UPDATE chat.message SET sender_id = NULL, kind = 'system' WHERE id = %s$$, :m1), '55000',
                     format('cannot change the id, thread, sender or kind of message %s', :m1), 'UPDATE chat.message: sender_id to NULL with kind');
SELECT pg_temp.fails(format($$UPDATE chat.message SET kind = 'system' WHERE id = %s$$, :m1), '55000',
                     format('cannot change the id, thread, sender or kind of message %s', :m1), 'UPDATE chat.message: kind');

SELECT is(pg_temp.state(), (SELECT state FROM baseline), 'after every failure the fixture is as it was');
SELECT is_empty('SELECT * FROM chat.verify_unread()', 'and its counters are exact');

/* ---- CREATE EXTENSION with a bad chat.user_id_type ----------------------- */

DROP EXTENSION chat CASCADE;
SET LOCAL chat.user_id_type = 'float';
SELECT throws_ok('CREATE EXTENSION chat', '22023', 'invalid value for setting "chat.user_id_type": "float"',
                 'CREATE EXTENSION refuses chat.user_id_type = float');
SELECT is_empty($$SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'chat'$$,
                'the failed CREATE EXTENSION left no relation in schema chat');
SELECT is(to_regtype('chat.user_id'), NULL, 'nor the domain chat.user_id');
SELECT is((SELECT count(*)::int FROM pg_extension WHERE extname = 'chat'), 0, 'and no extension chat');
SET LOCAL chat.user_id_type = 'int8';
SELECT throws_ok('CREATE EXTENSION chat', '22023', 'invalid value for setting "chat.user_id_type": "int8"',
                 'CREATE EXTENSION refuses an alias of a valid type (int8)');
SET LOCAL chat.user_id_type = 'bigint; DROP TABLE x';
SELECT throws_ok('CREATE EXTENSION chat', '22023', 'invalid value for setting "chat.user_id_type": "bigint; DROP TABLE x"',
                 'CREATE EXTENSION refuses SQL in chat.user_id_type');
SET LOCAL chat.user_id_type = '';
SELECT lives_ok('CREATE EXTENSION chat', 'an empty chat.user_id_type means the default');
SELECT is((SELECT format_type(typbasetype, NULL) FROM pg_type WHERE oid = 'chat.user_id'::regtype), 'bigint',
          'and the default is bigint');

SELECT * FROM finish();
ROLLBACK;
