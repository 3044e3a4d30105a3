-- The documented behaviour of the pinax / django-messages-drf API (SPEC.md §4.1)
-- as assertions, in small and large ("fan-out limit passed") threads.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
DROP EXTENSION IF EXISTS chat CASCADE;
SET LOCAL chat.user_id_type = 'bigint';
SET LOCAL chat.user_id = '';
CREATE EXTENSION chat;

SELECT plan(221);

/* ---- helpers ---------------------------------------------------------------- */

-- thread ids of a folder, in inbox order
CREATE FUNCTION pg_temp.folder(viewer bigint, f text DEFAULT 'inbox') RETURNS bigint[]
    LANGUAGE sql AS $$
    SELECT coalesce(array_agg(i.thread_id ORDER BY i.ordinality), '{}')
      FROM chat.inbox(viewer, f, page_size => 500) WITH ORDINALITY i
$$;
-- the viewer's unread count of one thread, wherever it is filed
CREATE FUNCTION pg_temp.unread(viewer bigint, thread bigint) RETURNS bigint
    LANGUAGE sql AS $$
    SELECT i.unread_count FROM chat.inbox(viewer, 'inbox', page_size => 500) i WHERE i.thread_id = thread
    UNION ALL
    SELECT i.unread_count FROM chat.inbox(viewer, 'deleted', page_size => 500) i WHERE i.thread_id = thread
    UNION ALL
    SELECT i.unread_count FROM chat.inbox(viewer, 'archived', page_size => 500) i WHERE i.thread_id = thread
$$;
-- badge counts as 'threads/messages'
CREATE FUNCTION pg_temp.badge(viewer bigint) RETURNS text
    LANGUAGE sql AS $$ SELECT u.threads || '/' || u.messages FROM chat.unread_count(viewer) u $$;
CREATE FUNCTION pg_temp.thread_of(message bigint) RETURNS bigint
    LANGUAGE sql AS $$ SELECT m.thread_id FROM chat.message m WHERE m.id = message $$;

/* ---- 1. new_message --------------------------------------------------------- */

SELECT chat.new_message(sender => 1, recipients => '{2,3,2,1}', subject => 'Hello', content => 'first') AS m1 \gset
SELECT pg_temp.thread_of(:m1) AS t1 \gset

SELECT is((SELECT array_agg(user_id::bigint ORDER BY user_id) FROM chat.member WHERE thread_id = :t1),
          '{1,2,3}'::bigint[], 'new_message: members are the sender and the recipients, de-duplicated');
SELECT is((SELECT array_agg(user_id::bigint) FROM chat.member WHERE thread_id = :t1 AND role = 'owner'),
          '{1}'::bigint[], 'new_message: the sender is the one owner');
SELECT is((SELECT count(*)::int FROM chat.member WHERE thread_id = :t1 AND role = 'member'), 2,
          'new_message: the recipients are plain members');
SELECT is((SELECT format('%s|%s|%s|%s', kind, subject, created_by, is_public) FROM chat.thread WHERE id = :t1),
          'private|Hello|1|f', 'new_message: a private thread with the subject, created by the sender');
SELECT is((SELECT format('%s|%s|%s', sender_id, content, kind) FROM chat.message WHERE thread_id = :t1),
          '1|first|text', 'new_message: the thread holds the one first message');
SELECT is(chat.first_message(:t1), :m1::bigint, 'first_message is the new message');
SELECT is(chat.started_by(:t1)::bigint, 1::bigint, 'started_by is the sender');

-- mark_new_thread_as_deleted = false (default): the sender's copy is in the inbox, read
SELECT is(pg_temp.folder(1), ARRAY[:t1]::bigint[], 'default: the new thread is in the sender''s inbox');
SELECT is(pg_temp.unread(1, :t1), 0::bigint, 'default: and read for the sender');
SELECT is(pg_temp.folder(1, 'sent'), ARRAY[:t1]::bigint[], 'default: and in the sender''s sent folder');
SELECT is(pg_temp.folder(1, 'deleted'), '{}'::bigint[], 'default: and not in the sender''s deleted folder');
SELECT is(pg_temp.badge(1), '0/0', 'default: the sender has nothing unread');
-- recipients see it unread
SELECT is(pg_temp.folder(2), ARRAY[:t1]::bigint[], 'a recipient has the thread in the inbox');
SELECT is(pg_temp.folder(2, 'unread'), ARRAY[:t1]::bigint[], 'and in the unread folder');
SELECT is(pg_temp.folder(2, 'sent'), '{}'::bigint[], 'but not in the sent folder');
SELECT is(pg_temp.badge(2), '1/1', 'a recipient''s unread_count is 1 thread, 1 message');
SELECT is(pg_temp.badge(3), '1/1', 'so is the other recipient''s');
SELECT results_eq(
    $$SELECT kind, subject, last_message_id, last_sender_id::bigint, last_preview, unread_count, unread, muted, member_count
        FROM chat.inbox(2)$$,
    format($$VALUES ('private'::text, 'Hello'::text, %s::bigint, 1::bigint, 'first'::text, 1::bigint, true, false, 3)$$, :m1),
    'the recipient''s inbox row: kind, subject, last message, unread, member count');
SELECT is((SELECT cursor FROM chat.inbox(2)), :m1 || ':' || :t1, 'the cursor is "activity:thread"');
SELECT is(pg_temp.folder(4), '{}'::bigint[], 'a user outside the thread does not see it');

-- mark_new_thread_as_deleted = true: the pinax behaviour
SELECT is(chat.set_setting('mark_new_thread_as_deleted', 'true'), 'true'::jsonb, 'set_setting returns the new value');
SELECT chat.new_message(1, '{4}', 'Pinax style', 'hidden from me') AS m2 \gset
SELECT pg_temp.thread_of(:m2) AS t2 \gset
SELECT is(pg_temp.folder(1), ARRAY[:t1]::bigint[], 'pinax: the new thread is not in the sender''s inbox');
SELECT is(pg_temp.folder(1, 'deleted'), ARRAY[:t2]::bigint[], 'pinax: it is in the sender''s deleted folder');
SELECT is(pg_temp.folder(1, 'sent'), ARRAY[:t2, :t1]::bigint[], 'pinax: and in the sent folder');
SELECT is(chat.inbox_count(1, 'deleted'), 1::bigint, 'pinax: inbox_count of the deleted folder');
SELECT is(pg_temp.folder(4), ARRAY[:t2]::bigint[], 'pinax: the recipient sees it in the inbox');
SELECT is(pg_temp.badge(4), '1/1', 'pinax: unread for the recipient');
SELECT chat.new_message(1, '{1}', 'Note to self', 'remember the milk') AS m3 \gset
SELECT pg_temp.thread_of(:m3) AS t3 \gset
SELECT is((SELECT count(*)::int FROM chat.member WHERE thread_id = :t3), 1, 'self-thread: one member');
SELECT is(pg_temp.folder(1), ARRAY[:t3, :t1]::bigint[], 'pinax: a self-thread stays visible in the inbox');
SELECT is(pg_temp.unread(1, :t3), 0::bigint, 'a self-thread is read');
SELECT chat.new_reply(:t2, 4, 'answer') AS r2 \gset
SELECT is(pg_temp.folder(1), ARRAY[:t2, :t3, :t1]::bigint[], 'pinax: once someone replies the thread is back in the sender''s inbox, first');
SELECT is(pg_temp.folder(1, 'deleted'), '{}'::bigint[], 'pinax: and out of the deleted folder');
SELECT is(pg_temp.unread(1, :t2), 1::bigint, 'pinax: with the reply unread');
SELECT is(chat.set_setting('mark_new_thread_as_deleted', NULL), 'false'::jsonb, 'set_setting NULL restores and returns the default');

/* ---- 2. new_reply ------------------------------------------------------------ */

SELECT chat.new_reply(:t1, 2, 'second') AS r1 \gset
SELECT cmp_ok(:r1::bigint, '>', :m1::bigint, 'a reply gets a larger id');
SELECT is(pg_temp.unread(1, :t1), 1::bigint, 'new_reply: the other members'' unread +1 (owner)');
SELECT is(pg_temp.unread(3, :t1), 2::bigint, 'new_reply: the other members'' unread +1 (member)');
SELECT is(pg_temp.unread(2, :t1), 0::bigint, 'new_reply: the thread is read for the replier');
SELECT is((SELECT unread FROM chat.inbox(2) WHERE thread_id = :t1), false, 'new_reply: unread flag off for the replier');
SELECT is((SELECT format('%s|%s|%s', last_message_id, last_sender_id, last_preview) FROM chat.inbox(3) WHERE thread_id = :t1),
          format('%s|2|second', :r1), 'new_reply: the inbox shows the reply as the last message');

-- a member who deleted the thread gets it back with the reply
SELECT chat.delete_thread(:t1, 3) \g /dev/null
SELECT is(pg_temp.folder(3), '{}'::bigint[], 'delete_thread: gone from the inbox');
SELECT is(pg_temp.folder(3, 'deleted'), ARRAY[:t1]::bigint[], 'delete_thread: in the deleted folder');
SELECT is(pg_temp.badge(3), '0/0', 'a deleted thread does not count in the badge');
SELECT chat.new_reply(:t1, 1, 'third') AS r3 \gset
SELECT is(pg_temp.folder(3), ARRAY[:t1]::bigint[], 'new_reply: the thread reappears for a member who deleted it');
SELECT is(pg_temp.folder(3, 'deleted'), '{}'::bigint[], 'new_reply: and leaves their deleted folder');
SELECT is(pg_temp.unread(3, :t1), 3::bigint, 'new_reply: with every unread message counted');
SELECT is(pg_temp.badge(3), '1/3', 'the badge counts it again');
-- the replier's own deleted thread comes back, read
SELECT chat.delete_thread(:t1, 2) \g /dev/null
SELECT chat.new_reply(:t1, 2, 'fourth') AS r4 \gset
SELECT is(pg_temp.folder(2), ARRAY[:t1]::bigint[], 'new_reply: the replier''s thread is not deleted');
SELECT is(pg_temp.unread(2, :t1), 0::bigint, 'new_reply: and read for the replier');
SELECT is(pg_temp.unread(1, :t1), 1::bigint, 'owner: 1 unread (the owner''s own reply read the earlier one)');
SELECT is(pg_temp.unread(3, :t1), 4::bigint, 'member 3: 4 unread');
SELECT is(chat.new_reply(:t1, 3, 'with parent', parent_id => :r1) > :r4, true, 'new_reply with a parent in the thread');
SELECT is((SELECT parent_id FROM chat.message WHERE thread_id = :t1 ORDER BY id DESC LIMIT 1), :r1::bigint,
          'the reply records its parent');
SELECT is(pg_temp.unread(3, :t1), 0::bigint, 'replying reads the whole thread for the replier');

/* ---- 3. first / latest / earliest / started_by ------------------------------- */

SELECT chat.latest_message(:t1) AS last1 \gset
SELECT is(chat.first_message(:t1), :m1::bigint, 'first_message');
SELECT is(chat.latest_message(:t1), (SELECT max(id) FROM chat.message WHERE thread_id = :t1), 'latest_message');
SELECT is(chat.latest_message(:t1, exclude_user => 3), :r4::bigint, 'latest_message excluding its sender gives the one before');
SELECT is(chat.latest_message(:t1, exclude_user => 2), :last1::bigint, 'latest_message excluding someone else');
SELECT is(chat.earliest_message(:t1), :m1::bigint, 'earliest_message');
SELECT is(chat.earliest_message(:t1, exclude_user => 1), :r1::bigint, 'earliest_message excluding the starter');
SELECT is(chat.earliest_message(:t1, exclude_user => 4), :m1::bigint, 'earliest_message excluding a non-member');
SELECT is(chat.latest_message(:t3, exclude_user => 1), NULL, 'latest_message is NULL when only the excluded user posted');
SELECT is(chat.earliest_message(:t3, exclude_user => 1), NULL, 'earliest_message is NULL when only the excluded user posted');
SELECT is(chat.started_by(:t2)::bigint, 1::bigint, 'started_by after replies by others');

/* ---- 4. inbox order and keyset paging ------------------------------------------ */

SELECT chat.new_message(6, '{5}', 'A', 'a') AS ma \gset
SELECT chat.new_message(7, '{5}', 'B', 'b') AS mb \gset
SELECT chat.new_message(8, '{5}', 'C', 'c') AS mc \gset
SELECT pg_temp.thread_of(:ma) AS ta, pg_temp.thread_of(:mb) AS tb, pg_temp.thread_of(:mc) AS tc \gset
SELECT is(pg_temp.folder(5), ARRAY[:tc, :tb, :ta]::bigint[], 'inbox: newest thread first');
SELECT chat.new_reply(:ta, 6, 'bump') \g /dev/null
SELECT is(pg_temp.folder(5), ARRAY[:ta, :tc, :tb]::bigint[], 'inbox: a reply to the oldest thread brings it first');
SELECT chat.new_reply(:tb, 5, 'my own bump') \g /dev/null
SELECT is(pg_temp.folder(5), ARRAY[:tb, :ta, :tc]::bigint[], 'inbox: the viewer''s own reply counts as activity');
SELECT is(pg_temp.badge(5), '2/3', 'badge of the viewer of three threads');
SELECT is(pg_temp.folder(5, 'unread'), ARRAY[:ta, :tc]::bigint[], 'unread folder in activity order');

-- a large thread (fan-out limit passed) merges into the same order
SELECT chat.set_setting('inbox_fanout_limit', '2') \g /dev/null
SELECT chat.new_message(9, '{5,6,7}', 'Big', 'big news') AS mbig \gset
SELECT pg_temp.thread_of(:mbig) AS tbig \gset
SELECT chat.set_setting('inbox_fanout_limit', NULL) \g /dev/null
SELECT is((SELECT large FROM chat.thread WHERE id = :tbig), true, 'a 4-member thread above a fan-out limit of 2 is large');
SELECT is(pg_temp.folder(5), ARRAY[:tbig, :tb, :ta, :tc]::bigint[], 'inbox: the large thread is merged in activity order');
SELECT chat.new_reply(:tc, 8, 'small again') \g /dev/null
SELECT is(pg_temp.folder(5), ARRAY[:tc, :tbig, :tb, :ta]::bigint[], 'inbox: small and large threads interleave by activity');
SELECT chat.new_reply(:tbig, 6, 'big reply') \g /dev/null
SELECT is(pg_temp.folder(5), ARRAY[:tbig, :tc, :tb, :ta]::bigint[], 'inbox: a reply in the large thread brings it first');
SELECT is(pg_temp.unread(5, :tbig), 2::bigint, 'large thread: 2 unread for a member');
SELECT is(pg_temp.unread(6, :tbig), 0::bigint, 'large thread: read for the replier');
SELECT is(pg_temp.unread(9, :tbig), 1::bigint, 'large thread: 1 unread for the starter');
SELECT is(pg_temp.badge(5), '3/6', 'badge over small and large threads');
SELECT chat.delete_thread(:tbig, 7) \g /dev/null
SELECT is(pg_temp.folder(7, 'deleted'), ARRAY[:tbig]::bigint[], 'large thread: delete_thread files it as deleted');
SELECT chat.new_reply(:tbig, 9, 'wake up') \g /dev/null
SELECT is(pg_temp.folder(7), ARRAY[:tbig, :tb]::bigint[], 'large thread: a reply brings it back');
SELECT is(pg_temp.unread(7, :tbig), 3::bigint, 'large thread: with 3 unread');
SELECT is(chat.mark_read(:tbig, 7), 3::bigint, 'large thread: mark_read returns 3');
SELECT is(pg_temp.unread(7, :tbig), 0::bigint, 'large thread: nothing unread after mark_read');

-- keyset paging: 23 threads for user 20, pages of 4
SELECT count(*) FROM (SELECT chat.new_message(100 + g, '{20}', 'page ' || g, 'p') FROM generate_series(1, 23) g) s \g /dev/null
SELECT chat.new_reply(t.id, 20, 'reorder')
  FROM (SELECT unnest(pg_temp.folder(20)) AS id) t WHERE t.id % 3 = 0 \g /dev/null
CREATE FUNCTION pg_temp.paged(viewer bigint, size int, f text DEFAULT 'inbox') RETURNS bigint[]
    LANGUAGE plpgsql AS $$
DECLARE
    acc bigint[] := '{}';
    cur text := NULL;
    got bigint[];
    c text;
    pages int := 0;
BEGIN
    LOOP
        SELECT array_agg(i.thread_id ORDER BY i.ordinality), (array_agg(i.cursor ORDER BY i.ordinality DESC))[1]
          INTO got, c
          FROM chat.inbox(viewer, f, before => cur, page_size => size) WITH ORDINALITY i;
        EXIT WHEN got IS NULL;
        acc := acc || got;
        cur := c;
        pages := pages + 1;
        IF pages > 1000 THEN RAISE EXCEPTION 'paging does not end'; END IF;
    END LOOP;
    RETURN acc;
END
$$;
SELECT is(cardinality(pg_temp.folder(20)), 23, 'user 20 has 23 threads');
SELECT is(pg_temp.paged(20, 4), pg_temp.folder(20), 'paging by 4 gives every thread once, in order');
SELECT is(pg_temp.paged(20, 1), pg_temp.folder(20), 'paging by 1 gives every thread once, in order');
SELECT is(pg_temp.paged(20, 23), pg_temp.folder(20), 'one exact page');
SELECT is(pg_temp.paged(20, 5, 'unread'), pg_temp.folder(20, 'unread'), 'paging the unread folder');
SELECT is(pg_temp.paged(5, 1), pg_temp.folder(5), 'paging through small and large threads');
SELECT is((SELECT count(*)::int FROM (SELECT DISTINCT unnest(pg_temp.paged(20, 4))) s), 23, 'no thread twice');
SELECT is((SELECT count(*)::int FROM chat.inbox(20, page_size => 4)), 4, 'a page holds page_size rows');
SELECT is((SELECT count(*)::int FROM chat.inbox(20, before => '0:0')), 0, 'nothing before the smallest cursor');

/* ---- 5. inbox_count matches the folders --------------------------------------- */

SELECT chat.archive_thread(:t1, 3) \g /dev/null
SELECT chat.delete_thread(:t2, 4) \g /dev/null
SELECT is_empty($$
    SELECT u, f
      FROM generate_series(1, 20) u, unnest(ARRAY['inbox', 'unread', 'deleted', 'sent', 'archived']) f
     WHERE chat.inbox_count(u, f) <> cardinality(pg_temp.folder(u, f))
$$, 'inbox_count equals the number of inbox rows, for every user and folder');
SELECT is_empty($$
    SELECT u FROM generate_series(1, 20) u
     WHERE (SELECT threads FROM chat.unread_count(u)) <> cardinality(pg_temp.folder(u, 'unread'))
$$, 'unread_count.threads equals the size of the unread folder, for every user');

/* ---- 6. folders: delete / restore / archive / unarchive ------------------------ */

SELECT is(pg_temp.folder(3), '{}'::bigint[], 'archive_thread: gone from the inbox');
SELECT is(pg_temp.folder(3, 'archived'), ARRAY[:t1]::bigint[], 'archive_thread: in the archived folder');
SELECT is(pg_temp.badge(3), '0/0', 'an archived thread does not count in the badge');
SELECT chat.new_reply(:t1, 1, 'while archived') \g /dev/null
SELECT is(pg_temp.folder(3, 'archived'), ARRAY[:t1]::bigint[], 'an archived thread stays archived when a reply arrives');
SELECT is(pg_temp.unread(3, :t1), 1::bigint, 'and counts the reply as unread');
SELECT chat.unarchive_thread(:t1, 3) \g /dev/null
SELECT is(pg_temp.folder(3), ARRAY[:t1]::bigint[], 'unarchive_thread: back in the inbox');
SELECT is(pg_temp.folder(3, 'archived'), '{}'::bigint[], 'unarchive_thread: out of the archived folder');
SELECT is(pg_temp.badge(3), '1/1', 'unarchived: counted in the badge again');
SELECT chat.delete_thread(:t1, 3) \g /dev/null
SELECT is(pg_temp.folder(3, 'deleted'), ARRAY[:t1]::bigint[], 'delete_thread: in the deleted folder');
SELECT is(pg_temp.unread(3, :t1), 1::bigint, 'a deleted thread keeps its unread count');
SELECT chat.restore_thread(:t1, 3) \g /dev/null
SELECT is(pg_temp.folder(3), ARRAY[:t1]::bigint[], 'restore_thread: back in the inbox');
SELECT is(pg_temp.folder(3, 'deleted'), '{}'::bigint[], 'restore_thread: out of the deleted folder');
SELECT chat.delete_thread(:t1, 3) \g /dev/null
SELECT chat.delete_thread(:t1, 3) \g /dev/null
SELECT is(pg_temp.folder(3, 'deleted'), ARRAY[:t1]::bigint[], 'deleting twice is harmless');
SELECT chat.restore_thread(:t1, 3) \g /dev/null
SELECT chat.restore_thread(:t1, 3) \g /dev/null
SELECT is(pg_temp.folder(3), ARRAY[:t1]::bigint[], 'restoring twice is harmless');
SELECT chat.archive_thread(:t1, 3) \g /dev/null
SELECT chat.delete_thread(:t1, 3) \g /dev/null
SELECT is(pg_temp.folder(3, 'deleted'), ARRAY[:t1]::bigint[], 'an archived thread can be deleted');
SELECT is(pg_temp.folder(3, 'archived'), '{}'::bigint[], 'and is then not listed as archived');
SELECT chat.restore_thread(:t1, 3) \g /dev/null
SELECT is(pg_temp.folder(3, 'archived'), ARRAY[:t1]::bigint[], 'restoring it returns it to the archive');
SELECT chat.unarchive_thread(:t1, 3) \g /dev/null
SELECT is(pg_temp.folder(2), ARRAY[:t1]::bigint[], 'other members'' folders are untouched');
SELECT is(pg_temp.folder(4, 'deleted'), ARRAY[:t2]::bigint[], 'a recipient can delete a thread');
SELECT is(pg_temp.folder(1), ARRAY[:t1, :t2, :t3]::bigint[], 'which stays in the starter''s inbox');

/* ---- 7. mark_read / mark_unread ------------------------------------------------ */

SELECT chat.new_message(30, '{31}', 'Reading', 'r1') AS k1 \gset
SELECT pg_temp.thread_of(:k1) AS tk \gset
SELECT chat.new_reply(:tk, 30, 'r2') AS k2 \gset
SELECT chat.new_reply(:tk, 30, 'r3') AS k3 \gset
SELECT chat.new_reply(:tk, 30, 'r4') AS k4 \gset
SELECT is(pg_temp.unread(31, :tk), 4::bigint, 'four unread');
SELECT is(chat.mark_read(:tk, 31, up_to => :k2), 2::bigint, 'mark_read up_to the second message returns 2');
SELECT is(pg_temp.unread(31, :tk), 2::bigint, 'two left unread');
SELECT is((SELECT unread FROM chat.inbox(31) WHERE thread_id = :tk), true, 'still flagged unread');
SELECT is(chat.mark_read(:tk, 31, up_to => :k1), 0::bigint, 'mark_read to an earlier message returns 0');
SELECT is(pg_temp.unread(31, :tk), 2::bigint, 'and never moves the pointer back');
SELECT is(chat.mark_read(:tk, 31, up_to => :k2), 0::bigint, 'mark_read to the same message returns 0');
SELECT is(chat.mark_read(:tk, 31), 2::bigint, 'mark_read to the latest returns the remaining 2');
SELECT is(pg_temp.unread(31, :tk), 0::bigint, 'nothing unread');
SELECT is((SELECT unread FROM chat.inbox(31) WHERE thread_id = :tk), false, 'unread flag off');
SELECT is(chat.mark_read(:tk, 31), 0::bigint, 'a second mark_read returns 0');
SELECT is(chat.mark_read(:tk, 30), 0::bigint, 'mark_read by the sender of everything returns 0');
SELECT is(chat.mark_unread(:tk, 31), 1::bigint, 'mark_unread returns 1: the latest message is unread again');
SELECT is(pg_temp.unread(31, :tk), 1::bigint, 'one unread after mark_unread');
SELECT is(pg_temp.badge(31), '1/1', 'the badge follows mark_unread');
SELECT is(chat.mark_unread(:tk, 31, from_message => :k2), 2::bigint, 'mark_unread from the second message: 2 more');
SELECT is(pg_temp.unread(31, :tk), 3::bigint, 'three unread');
SELECT is(chat.mark_unread(:tk, 31, from_message => :k4), 0::bigint, 'mark_unread to a later point returns 0 and does not move forward');
SELECT is(pg_temp.unread(31, :tk), 3::bigint, 'still three unread');
-- the reader's own messages never count as unread
SELECT chat.new_reply(:tk, 31, 'mine') AS k5 \gset
SELECT is(pg_temp.unread(31, :tk), 0::bigint, 'replying reads everything');
SELECT is(chat.mark_unread(:tk, 31, from_message => :k1), 4::bigint, 'mark_unread from the start: the other user''s 4, not my own');
SELECT is(pg_temp.unread(31, :tk), 4::bigint, 'four unread, own reply not counted');
SELECT is(chat.mark_unread(:tk, 30, from_message => :k1), 0::bigint, 'the other side: mark_unread returns 0, its only unread message was unread already');
SELECT is(pg_temp.unread(30, :tk), 1::bigint, 'one unread for the starter: the other user''s reply, never its own 4');
SELECT is(chat.mark_read(:tk, 31, up_to => :k3), 3::bigint, 'mark_read up_to k3 reads 3');
SELECT is(chat.mark_read(:tk, 31), 1::bigint, 'then the remaining 1 (own reply not counted)');
SELECT is(chat.mark_delivered(32), 0::bigint, 'mark_delivered for a user without threads moves nothing');
SELECT is(chat.mark_delivered(30, :tk), 1::bigint, 'mark_delivered in one thread moves one pointer');
SELECT is(chat.mark_delivered(30, :tk), 0::bigint, 'and never twice');

/* ---- 8. edit_message and its history -------------------------------------------- */

SELECT chat.new_message(40, '{41,42}', 'Edits', 'original') AS e1 \gset
SELECT pg_temp.thread_of(:e1) AS te \gset
SELECT chat.new_reply(:te, 41, 'untouched') AS e2 \gset
SELECT is(chat.edit_message(:e1, 40, 'second version'), :e1::bigint, 'edit_message returns the message id');
SELECT is(chat.edit_message(:e1, 40, 'third version'), :e1::bigint, 'a second edit');
SELECT results_eq(format('SELECT content FROM chat.message_history(%s, 42)', :e1),
                  $$VALUES ('second version'::text), ('original')$$,
                  'message_history: the earlier versions, newest first, for any member');
SELECT ok((SELECT bool_and(replaced_at IS NOT NULL) FROM chat.message_history(:e1, 41)), 'each version has replaced_at');
SELECT results_eq(format('SELECT id, content, edited FROM chat.messages(%s, 41)', :te),
                  format($$VALUES (%s::bigint, 'third version'::text, true), (%s, 'untouched', false)$$, :e1, :e2),
                  'messages(): the current text and the edited flag');
SELECT isnt((SELECT edited_at FROM chat.message WHERE id = :e1), NULL, 'edited_at is set');
SELECT is_empty(format('SELECT * FROM chat.message_history(%s, 40)', :e2), 'an unedited message has no history');
SELECT chat.edit_message(:e2, 41, 'now edited') \g /dev/null
SELECT is((SELECT last_preview FROM chat.inbox(40) WHERE thread_id = :te), 'now edited',
          'editing the latest message updates the inbox preview');

/* ---- 9. delete_message ---------------------------------------------------------- */

SELECT chat.new_reply(:te, 42, 'regret') AS e3 \gset
SELECT chat.new_reply(:te, 42, 'moderate me') AS e4 \gset
SELECT lives_ok(format('SELECT chat.delete_message(%s, 42)', :e3), 'the sender deletes their message');
SELECT results_eq(format('SELECT content, deleted, edited FROM chat.messages(%s, 41) WHERE id = %s', :te, :e3),
                  $$VALUES (NULL::text, true, false)$$, 'a deleted message shows no content and the deleted flag');
SELECT is((SELECT count(*)::int FROM chat.messages(:te, 41)), 4, 'it stays in the thread as a marker');
SELECT lives_ok(format('SELECT chat.delete_message(%s, 40)', :e4), 'the owner deletes another member''s message');
SELECT is((SELECT deleted FROM chat.messages(:te, 40) WHERE id = :e4), true, 'it is marked deleted');
SELECT is((SELECT last_preview FROM chat.inbox(41) WHERE thread_id = :te), NULL, 'the preview of a deleted latest message is NULL');
SELECT lives_ok(format('SELECT chat.delete_message(%s, 42)', :e3), 'deleting again is harmless');
SELECT chat.delete_message(:e1, 40) \g /dev/null
SELECT is_empty(format('SELECT * FROM chat.message_history(%s, 41)', :e1), 'a deleted message shows no history');
SELECT is((SELECT count(*)::int FROM chat.message WHERE thread_id = :te), 4, 'soft deletes keep the rows');
SELECT is(pg_temp.unread(41, :te), 2::bigint, 'deleted messages still count as unread until read');

/* ---- 10. messages(): paging ------------------------------------------------------ */

SELECT chat.new_message(50, '{51}', 'Paging', 'msg 1') AS p1 \gset
SELECT pg_temp.thread_of(:p1) AS tp \gset
SELECT count(*) FROM (SELECT chat.new_reply(:tp, CASE WHEN g % 2 = 0 THEN 50 ELSE 51 END, 'msg ' || g)
                        FROM generate_series(2, 10) g) s \g /dev/null
CREATE TEMP TABLE tp_ids AS SELECT array_agg(id ORDER BY id) AS ids FROM chat.message WHERE thread_id = :tp;
SELECT is((SELECT array_agg(m.id ORDER BY m.ordinality) FROM chat.messages(:tp, 51, page_size => 3) WITH ORDINALITY m),
          (SELECT ids[8:10] FROM tp_ids), 'messages(): the newest page, oldest first');
SELECT is((SELECT array_agg(m.id ORDER BY m.ordinality) FROM chat.messages(:tp, 51, before => (SELECT ids[8] FROM tp_ids), page_size => 3)
                  WITH ORDINALITY m),
          (SELECT ids[5:7] FROM tp_ids), 'messages(before): the page before, oldest first');
SELECT is((SELECT array_agg(m.id ORDER BY m.ordinality) FROM chat.messages(:tp, 51, before => (SELECT ids[2] FROM tp_ids), page_size => 3)
                  WITH ORDINALITY m),
          (SELECT ids[1:1] FROM tp_ids), 'messages(before): a short first page');
SELECT is((SELECT array_agg(m.id ORDER BY m.ordinality) FROM chat.messages(:tp, 51, after => (SELECT ids[2] FROM tp_ids), page_size => 3)
                  WITH ORDINALITY m),
          (SELECT ids[3:5] FROM tp_ids), 'messages(after): the page after, oldest first');
SELECT is((SELECT array_agg(m.id ORDER BY m.ordinality) FROM chat.messages(:tp, 51, after => 0, page_size => 4)
                  WITH ORDINALITY m),
          (SELECT ids[1:4] FROM tp_ids), 'messages(after => 0): the oldest page');
SELECT is((SELECT array_agg(m.id ORDER BY m.ordinality) FROM chat.messages(:tp, 51, after => (SELECT ids[2] FROM tp_ids),
                                                                before => (SELECT ids[9] FROM tp_ids), page_size => 3)
                  WITH ORDINALITY m),
          (SELECT ids[6:8] FROM tp_ids), 'messages(after, before): the newest page of the window');
SELECT is((SELECT count(*)::int FROM chat.messages(:tp, 51, after => (SELECT ids[10] FROM tp_ids))), 0,
          'messages(after the newest) is empty');
CREATE FUNCTION pg_temp.walk_back(thread bigint, viewer bigint, size int) RETURNS bigint[]
    LANGUAGE plpgsql AS $$
DECLARE
    acc bigint[] := '{}';
    got bigint[];
    cur bigint := NULL;
BEGIN
    LOOP
        SELECT array_agg(m.id ORDER BY m.id) INTO got FROM chat.messages(thread, viewer, before => cur, page_size => size) m;
        EXIT WHEN got IS NULL;
        acc := got || acc;
        cur := got[1];
    END LOOP;
    RETURN acc;
END
$$;
SELECT is(pg_temp.walk_back(:tp, 50, 4), (SELECT ids FROM tp_ids), 'walking back by 4 gives every message once, in order');
SELECT is(pg_temp.walk_back(:tp, 50, 1), (SELECT ids FROM tp_ids), 'walking back by 1 gives every message once, in order');

/* ---- 11. seen_count --------------------------------------------------------------- */

SELECT chat.new_message(60, '{61,62}', 'Seen', 'look') AS s1 \gset
SELECT pg_temp.thread_of(:s1) AS ts \gset
SELECT is((SELECT seen_count FROM chat.messages(:ts, 60) WHERE id = :s1), 0::bigint, 'seen_count 0 before anyone reads');
SELECT chat.mark_read(:ts, 61) \g /dev/null
SELECT is((SELECT seen_count FROM chat.messages(:ts, 60) WHERE id = :s1), 1::bigint, 'seen_count 1 after one reader');
SELECT chat.new_reply(:ts, 62, 'seen by replying') AS s2 \gset
SELECT is((SELECT seen_count FROM chat.messages(:ts, 60) WHERE id = :s1), 2::bigint, 'replying counts as having seen');
SELECT is((SELECT seen_count FROM chat.messages(:ts, 60) WHERE id = :s2), 0::bigint, 'the sender does not count for their own message');
SELECT chat.mark_read(:ts, 60) \g /dev/null
SELECT is((SELECT seen_count FROM chat.messages(:ts, 61) WHERE id = :s2), 1::bigint, 'seen_count of the reply after its reader');
SELECT chat.mark_unread(:ts, 61, from_message => :s1) \g /dev/null
SELECT is((SELECT seen_count FROM chat.messages(:ts, 60) WHERE id = :s1), 2::bigint, 'mark_unread makes messages unread, but what was seen stays seen');

-- a large thread: seen_count against a count of the members who saw each message
SELECT chat.set_setting('inbox_fanout_limit', '2') \g /dev/null
SELECT chat.create_group(60, 'Seen, large', '{61,62,63,64,65}') AS tl \gset
SELECT chat.set_setting('inbox_fanout_limit', NULL) \g /dev/null
SELECT chat.new_reply(:tl, 60 + g % 6, 'seen ' || g) FROM generate_series(1, 12) g \g /dev/null
SELECT chat.mark_read(:tl, 61, up_to => (SELECT id FROM chat.message WHERE thread_id = :tl ORDER BY id OFFSET 3 LIMIT 1)) \g /dev/null
SELECT chat.mark_read(:tl, 62, up_to => (SELECT id FROM chat.message WHERE thread_id = :tl ORDER BY id OFFSET 8 LIMIT 1)) \g /dev/null
SELECT chat.mark_read(:tl, 63) \g /dev/null
SELECT chat.mark_unread(:tl, 63, from_message => (SELECT id FROM chat.message WHERE thread_id = :tl ORDER BY id OFFSET 5 LIMIT 1)) \g /dev/null
SELECT is((SELECT bool_and(large) FROM chat.member WHERE thread_id = :tl), true, 'a large thread');
SELECT results_eq(format($$SELECT id, seen_count FROM chat.messages(%s, 64, page_size => 5) ORDER BY id$$, :'tl'),
                  format($$SELECT m.id, (SELECT count(*) FROM chat.member mb
                                          WHERE mb.thread_id = m.thread_id AND mb.user_id IS DISTINCT FROM m.sender_id
                                            AND greatest(mb.read_id, mb.seen_id) >= m.id)
                             FROM (SELECT * FROM chat.message WHERE thread_id = %s ORDER BY id DESC LIMIT 5) m
                            ORDER BY m.id$$, :'tl'),
                  'large thread: seen_count of a page equals a count of the members who saw each message');
SELECT results_eq(format($$SELECT id, seen_count FROM chat.messages(%s, 64, page_size => 50) ORDER BY id$$, :'tl'),
                  format($$SELECT m.id, (SELECT count(*) FROM chat.member mb
                                          WHERE mb.thread_id = m.thread_id AND mb.user_id IS DISTINCT FROM m.sender_id
                                            AND greatest(mb.read_id, mb.seen_id) >= m.id)
                             FROM chat.message m WHERE m.thread_id = %s ORDER BY m.id$$, :'tl'),
                  '... and of the whole thread (pointers before, inside and past the page)');
SELECT results_eq(format($$SELECT id, seen_count FROM chat.messages(%s, 64, page_size => 4,
                                     before => (SELECT id FROM chat.message WHERE thread_id = %s ORDER BY id OFFSET 9 LIMIT 1))
                            ORDER BY id$$, :'tl', :'tl'),
                  format($$SELECT m.id, (SELECT count(*) FROM chat.member mb
                                          WHERE mb.thread_id = m.thread_id AND mb.user_id IS DISTINCT FROM m.sender_id
                                            AND greatest(mb.read_id, mb.seen_id) >= m.id)
                             FROM chat.message m WHERE m.thread_id = %s ORDER BY m.id OFFSET 5 LIMIT 4$$, :'tl'),
                  '... and of a page in the middle (members counted past its last message and inside it)');

/* ---- 12. settings ------------------------------------------------------------------- */

SELECT is(chat.get_setting('mark_new_thread_as_deleted'), 'false'::jsonb, 'get_setting: default mark_new_thread_as_deleted');
SELECT is(chat.get_setting('max_page_size'), '500'::jsonb, 'get_setting: default max_page_size');
SELECT is(chat.get_setting('max_content_length'), '65536'::jsonb, 'get_setting: default max_content_length');
SELECT is(chat.get_setting('max_subject_length'), '255'::jsonb, 'get_setting: default max_subject_length');
SELECT is(chat.set_setting('max_page_size', '7'), '7'::jsonb, 'set_setting returns the value');
SELECT is(chat.get_setting('max_page_size'), '7'::jsonb, 'get_setting returns it');
SELECT is((SELECT format('%s|%s|%s', value, default_value, changed) FROM chat.settings WHERE key = 'max_page_size'),
          '7|500|t', 'chat.settings shows the change');
SELECT throws_ok($$SELECT * FROM chat.inbox(1, page_size => 8)$$, '22023', 'page_size must be between 1 and 7',
                 'the new max_page_size takes effect at once');
SELECT lives_ok($$SELECT * FROM chat.inbox(1, page_size => 7)$$, 'a page of max_page_size is accepted');
SELECT is(chat.set_setting('max_page_size', '8'), '8'::jsonb, 'set_setting again updates');
SELECT is(chat.get_setting('max_page_size'), '8'::jsonb, 'get_setting sees the update');
SELECT is(chat.set_setting('max_page_size', 'null'), '500'::jsonb, 'a JSON null resets to the default too');
SELECT is(chat.get_setting('max_page_size'), '500'::jsonb, 'get_setting after the reset');
SELECT is((SELECT changed FROM chat.settings WHERE key = 'max_page_size'), false, 'chat.settings: not changed');
SELECT is((SELECT count(*)::int FROM chat.setting), 0, 'a reset deletes the row');
SAVEPOINT before_change;
SELECT chat.set_setting('max_page_size', '3') \g /dev/null
SELECT is(chat.get_setting('max_page_size'), '3'::jsonb, 'inside a savepoint the change is seen');
ROLLBACK TO SAVEPOINT before_change;
SELECT is(chat.get_setting('max_page_size'), '500'::jsonb, 'after ROLLBACK TO SAVEPOINT the cached value is the default again');
SELECT lives_ok($$SELECT * FROM chat.inbox(1, page_size => 500)$$, 'and the rolled-back limit is not enforced');
SELECT is(chat.set_setting('mark_new_thread_as_deleted', 'false'), 'false'::jsonb, 'setting the default value explicitly');
SELECT is((SELECT changed FROM chat.settings WHERE key = 'mark_new_thread_as_deleted'), true, 'is recorded as a change');

/* ---- 13. a random workload keeps every invariant --------------------------------------- */

-- users 201..208, fan-out limit 3 so that small and large threads mix
SELECT setseed(0.42) \g /dev/null
SELECT chat.set_setting('inbox_fanout_limit', '3') \g /dev/null
DO $$
DECLARE
    i int;
    op int;
    t bigint;
    u bigint;
    m bigint;
    ths bigint[];
BEGIN
    FOR i IN 1..1200 LOOP
        op := 1 + floor(random() * 100)::int;
        SELECT array_agg(th.id ORDER BY th.id) INTO ths FROM chat.thread th WHERE th.subject = 'random';
        IF ths IS NULL OR op <= 8 THEN
            PERFORM chat.new_message(201 + floor(random() * 8)::int,
                                     (SELECT array_agg(DISTINCT 201 + floor(random() * 8)::int)::chat.user_id[]
                                        FROM generate_series(0, floor(random() * 5)::int)),
                                     'random', 'start ' || i);
            CONTINUE;
        END IF;
        t := ths[1 + floor(random() * cardinality(ths))::int];
        SELECT mb.user_id INTO u FROM chat.member mb WHERE mb.thread_id = t ORDER BY random() LIMIT 1;
        SELECT mg.id INTO m FROM chat.message mg WHERE mg.thread_id = t ORDER BY random() LIMIT 1;
        IF op > 90 AND m IS NULL THEN
            CONTINUE;
        END IF;
        IF op <= 50 THEN
            PERFORM chat.new_reply(t, u, 'reply ' || i);
        ELSIF op <= 62 THEN
            PERFORM chat.mark_read(t, u, CASE WHEN random() < 0.5 THEN m END);
        ELSIF op <= 68 THEN
            PERFORM chat.mark_unread(t, u, CASE WHEN random() < 0.5 THEN m END);
        ELSIF op <= 74 THEN
            PERFORM chat.delete_thread(t, u);
        ELSIF op <= 78 THEN
            PERFORM chat.restore_thread(t, u);
        ELSIF op <= 83 THEN
            PERFORM chat.archive_thread(t, u);
        ELSIF op <= 86 THEN
            PERFORM chat.unarchive_thread(t, u);
        ELSIF op <= 90 THEN
            PERFORM chat.mark_delivered(u, t);
        ELSIF op <= 94 THEN
            BEGIN
                PERFORM chat.delete_message(m, u);
            EXCEPTION WHEN insufficient_privilege THEN NULL;
            END;
        ELSIF op <= 98 THEN
            BEGIN
                PERFORM chat.edit_message(m, u, 'edit ' || i);
            EXCEPTION WHEN insufficient_privilege OR object_not_in_prerequisite_state THEN NULL;
            END;
        ELSE
            DELETE FROM chat.message mg WHERE mg.thread_id = t AND mg.id = m;  -- hard delete: recount
        END IF;
    END LOOP;
END
$$;
SELECT chat.set_setting('inbox_fanout_limit', NULL) \g /dev/null
SELECT ok((SELECT count(*) FILTER (WHERE large) > 0 AND count(*) FILTER (WHERE NOT large) > 0
             FROM chat.thread WHERE subject = 'random'), 'random workload: small and large threads both exist');
SELECT is_empty($$SELECT * FROM chat.verify_unread()$$, 'random workload: verify_unread() is empty');
SELECT is_empty($$
    SELECT u FROM generate_series(201, 208) u
     WHERE (SELECT count(*) FROM chat.member WHERE user_id = u)
           <> chat.inbox_count(u, 'inbox') + chat.inbox_count(u, 'deleted') + chat.inbox_count(u, 'archived')
        OR (SELECT count(*) FROM (SELECT unnest(pg_temp.folder(u, 'inbox') || pg_temp.folder(u, 'deleted')
                                                || pg_temp.folder(u, 'archived'))
                                   EXCEPT SELECT thread_id FROM chat.member WHERE user_id = u) x) > 0
$$, 'random workload: every membership is in exactly one of inbox, deleted, archived');
SELECT is_empty($$
    SELECT u FROM generate_series(201, 208) u
     WHERE pg_temp.folder(u) IS DISTINCT FROM
           (SELECT coalesce(array_agg(x.id ORDER BY x.last DESC, x.id DESC), '{}')
              FROM (SELECT th.id, (SELECT max(mg.id) FROM chat.message mg WHERE mg.thread_id = th.id) AS last
                      FROM chat.thread th
                     WHERE th.id = ANY (pg_temp.folder(u))) x)
$$, 'random workload: every inbox is ordered by newest message, then thread id');
SELECT is_empty($$
    SELECT u, i.thread_id FROM generate_series(201, 208) u, chat.inbox(u, 'inbox', page_size => 500) i
     WHERE i.unread_count <> (SELECT count(*) FROM chat.message mg
                                JOIN chat.member mb ON mb.thread_id = mg.thread_id AND mb.user_id = u
                               WHERE mg.thread_id = i.thread_id AND mg.id > mb.read_id
                                 AND mg.sender_id IS DISTINCT FROM u)
        OR i.unread <> (i.unread_count > 0)
$$, 'random workload: each inbox row''s unread count equals a recount');
SELECT is_empty($$
    SELECT u FROM generate_series(201, 208) u, chat.unread_count(u) c
     WHERE c.threads <> cardinality(pg_temp.folder(u, 'unread'))
        OR c.messages <> (SELECT coalesce(sum(i.unread_count), 0) FROM chat.inbox(u, page_size => 500) i)
$$, 'random workload: unread_count equals the unread folder and the sum of the inbox');
SELECT is_empty($$
    SELECT u, f FROM generate_series(201, 208) u, unnest(ARRAY['inbox', 'unread', 'deleted', 'sent', 'archived']) f
     WHERE pg_temp.paged(u, 3, f) IS DISTINCT FROM pg_temp.folder(u, f)
        OR chat.inbox_count(u, f) <> cardinality(pg_temp.folder(u, f))
$$, 'random workload: paging and inbox_count agree with every folder');

/* ---- 14. every counter is exact ------------------------------------------------------- */

SELECT is_empty('SELECT * FROM chat.verify_unread()', 'verify_unread(): every counter equals a recount');
SELECT is((SELECT count(*)::int FROM chat.thread t
            WHERE t.member_count <> (SELECT count(*) FROM chat.member m WHERE m.thread_id = t.id)), 0,
          'member_count equals the member rows');

/* ---- 15. new_reply writes its row itself, or through chat.message's INSERT ------------- */

SELECT chat.new_message(301, '{302}', 'same', 'first') AS m301 \gset
SELECT thread_id AS t301 FROM chat.message WHERE id = :m301 \gset
SELECT chat.new_reply(:t301, 302, 'the same reply', parent_id => :m301, mentions => '{301}') AS direct \gset
CREATE FUNCTION pg_temp.note_insert() RETURNS trigger LANGUAGE plpgsql
    AS $$ BEGIN PERFORM set_config('chat_test.message_trigger', 'fired', true); RETURN NEW; END $$;
CREATE TRIGGER note_insert AFTER INSERT ON chat.message FOR EACH ROW EXECUTE FUNCTION pg_temp.note_insert();
SELECT chat.new_reply(:t301, 302, 'the same reply', parent_id => :m301, mentions => '{301}') AS through_insert \gset
DROP TRIGGER note_insert ON chat.message;
SELECT is(current_setting('chat_test.message_trigger', true), 'fired',
          'with another trigger on chat.message, new_reply writes through its INSERT');
SELECT is((SELECT count(DISTINCT (thread_id, sender_id, kind, content, edited_at, deleted_at, parent_id,
                                  forwarded_from, mentions, search_vector))
             FROM chat.message WHERE id IN (:direct, :through_insert)), 1::bigint,
          '... and writes the same row itself (but for id and sent_at)');
SELECT is((SELECT array_agg(ARRAY[m.user_id::bigint, m.read_id, m.message_count, m.read_count, m.mention_count,
                                  m.last_mention_id, m.activity_id] ORDER BY m.user_id)
             FROM chat.member m WHERE m.thread_id = :t301),
          ARRAY[ARRAY[301, :m301, 3, 1, 2, :through_insert, :through_insert],
                ARRAY[302, :through_insert, 3, 3, 0, NULL, :through_insert]]::bigint[],
          '... counting both replies on the member rows');
SELECT is_empty('SELECT * FROM chat.verify_unread()', '... every counter equals a recount');

/* ---- 16. the member rows a reply moves: written directly, or through the UPDATE -------- */

SELECT chat.new_message(401, '{402}', 'moves', 'first') AS m401 \gset
SELECT thread_id AS t401 FROM chat.message WHERE id = :m401 \gset
SELECT chat.new_message(403, '{404}', 'moves', 'first') AS m403 \gset
SELECT thread_id AS t403 FROM chat.message WHERE id = :m403 \gset
CREATE FUNCTION pg_temp.member_state(t bigint) RETURNS bigint[] LANGUAGE sql AS $$
    SELECT array_agg(ARRAY[(m.user_id = th.last_sender_id)::int, m.message_count, m.read_count, m.mention_count,
                           (m.hidden_id IS NULL)::int, (m.activity_id = th.last_message_id)::int,
                           (m.read_id = th.last_message_id)::int, (m.delivered_id = th.last_message_id)::int]
                     ORDER BY m.user_id)
      FROM chat.member m JOIN chat.thread th ON th.id = m.thread_id WHERE m.thread_id = t $$;
SELECT chat.new_reply(:t401, 402, 'hi @{401}', mentions => '{401}') IS NOT NULL AS replied \gset
CREATE FUNCTION pg_temp.note_member() RETURNS trigger LANGUAGE plpgsql
    AS $$ BEGIN PERFORM set_config('chat_test.member_trigger', 'fired', true); RETURN NEW; END $$;
CREATE TRIGGER note_member BEFORE UPDATE ON chat.member FOR EACH ROW EXECUTE FUNCTION pg_temp.note_member();
SELECT chat.new_reply(:t403, 404, 'hi @{403}', mentions => '{403}') IS NOT NULL AS replied \gset
DROP TRIGGER note_member ON chat.member;
SELECT is(current_setting('chat_test.member_trigger', true), 'fired',
          'with an UPDATE trigger on chat.member, a reply moves the member rows through the UPDATE');
SELECT is(pg_temp.member_state(:t401), pg_temp.member_state(:t403),
          '... and directly to the same state');
SELECT is(pg_temp.member_state(:t401), ARRAY[ARRAY[0, 2, 1, 1, 1, 1, 0, 0], ARRAY[1, 2, 2, 0, 1, 1, 1, 1]]::bigint[],
          '... the recipient''s counted and mentioned, the sender''s read');

-- indexes made and dropped between replies, in this transaction: each reply writes the indexes the table has then
CREATE INDEX member_moves_idx ON chat.member (user_id, message_count) WHERE NOT muted;
CREATE INDEX member_moves_expr_idx ON chat.member ((message_count * 10 + read_count));
CREATE INDEX message_moves_idx ON chat.message (thread_id, sender_id) WHERE sender_id IS NOT NULL;
SELECT chat.new_reply(:t401, 401, 'after the new indexes') AS m_after \gset
CREATE EXTENSION IF NOT EXISTS amcheck;
SELECT lives_ok($$SELECT bt_index_check('chat.member_moves_idx', true)$$,
                'an index made after direct writes holds the entries of the next reply''s member rows (amcheck)');
SELECT lives_ok($$SELECT bt_index_check('chat.member_moves_expr_idx', true)$$, '... an expression index too');
SELECT lives_ok($$SELECT bt_index_check('chat.message_moves_idx', true)$$,
                '... and a new index of chat.message the next reply''s row');
SELECT is((SELECT count(*)::int FROM chat.member WHERE thread_id = :t401 AND message_count = 3), 2,
          '... which moved both member rows');
DROP INDEX chat.member_moves_idx, chat.member_moves_expr_idx, chat.message_moves_idx;
SELECT lives_ok(format('SELECT chat.new_reply(%s, 402, %L)', :t401, 'after the drop'),
                'a reply after the indexes are dropped writes the ones left');
SELECT is_empty('SELECT * FROM chat.verify_unread()', '... every counter equals a recount');

SELECT * FROM finish();
ROLLBACK;
