-- chat.user_id_type: the same conversation with bigint, integer, uuid and text
-- user ids, each from a fresh CREATE EXTENSION in one session (the C trigger's
-- saved plans must follow the new domain).
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
DROP EXTENSION IF EXISTS chat CASCADE;
SET LOCAL chat.user_id = '';

SELECT plan(115);

/*
 * One conversation between users a, b and c (d is an outsider), through
 * dynamic SQL so that nothing here depends on the domain of the moment.
 * 27 assertions.
 */
CREATE FUNCTION pg_temp.scenario(typ text, a text, b text, c text, d text) RETURNS SETOF text
    LANGUAGE plpgsql AS $f$
DECLARE
    m1 bigint;
    m2 bigint;
    t bigint;
    n bigint;
    got text;
BEGIN
    RETURN NEXT is((SELECT format_type(typbasetype, NULL) FROM pg_type WHERE oid = to_regtype('chat.user_id')),
                   typ, typ || ': chat.user_id is a domain over ' || typ);
    RETURN NEXT col_type_is('chat', 'member', 'user_id', 'chat.user_id', typ || ': chat.member.user_id is chat.user_id');

    EXECUTE format('SELECT chat.new_message(sender => %L, recipients => ARRAY[%L, %L, %L]::chat.user_id[], subject => %L, content => %L)',
                   a, b, c, b, 'Hi', 'hello') INTO m1;
    RETURN NEXT isnt(m1, NULL, typ || ': new_message returns a message id');
    t := (SELECT thread_id FROM chat.message WHERE id = m1);

    RETURN NEXT is((SELECT array_agg(user_id::text ORDER BY user_id::text) FROM chat.member WHERE thread_id = t),
                   (SELECT array_agg(u ORDER BY u) FROM unnest(ARRAY[a, b, c]) u),
                   typ || ': members are the sender and the de-duplicated recipients');
    RETURN NEXT is((SELECT user_id::text FROM chat.member WHERE thread_id = t AND role = 'owner'), a,
                   typ || ': the sender is the owner');
    RETURN NEXT is((SELECT created_by::text FROM chat.thread WHERE id = t), a, typ || ': created_by is the sender');

    EXECUTE format('SELECT chat.new_reply(%s, %L, %L)', t, b, 'reply') INTO m2;
    RETURN NEXT cmp_ok(m2, '>', m1, typ || ': new_reply returns a later message id');

    EXECUTE format('SELECT count(*) FROM chat.inbox(%L)', a) INTO n;
    RETURN NEXT is(n, 1::bigint, typ || ': the thread is in the sender''s inbox');
    EXECUTE format('SELECT format(''%%s/%%s/%%s/%%s'', thread_id, last_sender_id, unread_count, unread) FROM chat.inbox(%L)', a) INTO got;
    RETURN NEXT is(got, format('%s/%s/1/t', t, b), typ || ': inbox row of the sender: thread, last sender, 1 unread');
    EXECUTE format('SELECT format(''%%s/%%s'', threads, messages) FROM chat.unread_count(%L)', a) INTO got;
    RETURN NEXT is(got, '1/1', typ || ': unread_count of the sender after the reply');
    EXECUTE format('SELECT format(''%%s/%%s'', threads, messages) FROM chat.unread_count(%L)', c) INTO got;
    RETURN NEXT is(got, '1/2', typ || ': unread_count of the third member');
    EXECUTE format('SELECT format(''%%s/%%s'', threads, messages) FROM chat.unread_count(%L)', b) INTO got;
    RETURN NEXT is(got, '0/0', typ || ': the replier has nothing unread');

    EXECUTE format('SELECT chat.mark_read(%s, %L)', t, c) INTO n;
    RETURN NEXT is(n, 2::bigint, typ || ': mark_read returns the 2 messages it read');
    EXECUTE format('SELECT format(''%%s/%%s'', threads, messages) FROM chat.unread_count(%L)', c) INTO got;
    RETURN NEXT is(got, '0/0', typ || ': nothing unread after mark_read');
    EXECUTE format('SELECT count(*) FROM chat.inbox(%L, %L)', c, 'unread') INTO n;
    RETURN NEXT is(n, 0::bigint, typ || ': the unread folder is empty after mark_read');

    EXECUTE format('SELECT string_agg(sender_id::text || '':'' || seen_count, '','' ORDER BY id) FROM chat.messages(%s, %L)', t, a) INTO got;
    RETURN NEXT is(got, format('%s:2,%s:1', a, b), typ || ': messages() senders and seen counts');
    RETURN NEXT is(chat.started_by(t)::text, a, typ || ': started_by');
    EXECUTE format('SELECT chat.latest_message(%s, exclude_user => %L)', t, b) INTO n;
    RETURN NEXT is(n, m1, typ || ': latest_message excluding the replier');
    EXECUTE format('SELECT chat.earliest_message(%s, exclude_user => %L)', t, a) INTO n;
    RETURN NEXT is(n, m2, typ || ': earliest_message excluding the starter');

    RETURN NEXT throws_ok(format('SELECT chat.new_reply(%s, %L, %L)', t, d, 'intruder'), '42501',
                          format('user "%s" is not a member of thread %s', d, t),
                          typ || ': a non-member is named in the error');

    -- the acting user from the session: chat.user_id, then the JWT "sub" claim
    PERFORM set_config('chat.user_id', c, true);
    RETURN NEXT is(chat.current_user_id()::text, c, typ || ': current_user_id() from chat.user_id');
    EXECUTE format('SELECT chat.new_reply(thread_id => %s, content => %L)', t, 'as the session user') INTO n;
    RETURN NEXT is((SELECT sender_id::text FROM chat.message WHERE id = n), c,
                   typ || ': new_reply without sender acts as current_user_id()');
    PERFORM set_config('chat.user_id', '', true);
    PERFORM set_config('request.jwt.claims', json_build_object('sub', b)::text, true);
    RETURN NEXT is(chat.current_user_id()::text, b, typ || ': current_user_id() from the JWT sub claim');
    PERFORM set_config('request.jwt.claims', '', true);

    -- mentions: "@{id}" in the type's text form, members only, an explicit list
    EXECUTE format('SELECT chat.new_reply(%s, %L, %L)', t, b, format('@{%s} @{%s} @{%s} @{%s}', c, a, d, b)) INTO n;
    RETURN NEXT is((SELECT mentions::text FROM chat.message WHERE id = n),
                   (SELECT array_agg(u ORDER BY u)::text FROM unnest(ARRAY[a, c]::chat.user_id[]) u),
                   typ || ': "@{id}" mentions the members named, sorted, without the sender or an outsider');
    EXECUTE format('SELECT format(''%%s/%%s'', threads, mentions) FROM chat.mention_count(%L)', c) INTO got;
    RETURN NEXT is(got, '1/1', typ || ': the mentioned member counts it');
    EXECUTE format('SELECT chat.new_reply(%s, %L, %L, mentions => ARRAY[%L, %L]::chat.user_id[])', t, a, 'list', d, c) INTO n;
    EXECUTE format('SELECT payload ->> ''mentions'' FROM chat.event WHERE event = ''message_sent'' AND (payload ->> ''message_id'')::bigint = %s', n) INTO got;
    RETURN NEXT is(got, CASE WHEN typ IN ('bigint', 'integer') THEN format('[%s]', c) ELSE format('[%s]', to_jsonb(c)) END,
                   typ || ': an explicit list; the event names the ids as "user_id" does');

    RETURN NEXT is_empty('SELECT * FROM chat.verify_unread()', typ || ': counters are exact');
END
$f$;

/* ---- bigint (the default) ------------------------------------------------ */
SET LOCAL chat.user_id_type = 'bigint';
CREATE EXTENSION chat;
SELECT * FROM pg_temp.scenario('bigint', '10', '20', '30', '99');
SELECT throws_ok($$SELECT chat.new_message('x1', '{2}', 's', 'c')$$, '22P02', NULL,
                 'bigint: a non-numeric user id is refused');

/* ---- integer -------------------------------------------------------------- */
DROP EXTENSION chat CASCADE;
SET LOCAL chat.user_id_type = 'integer';
CREATE EXTENSION chat;
SELECT * FROM pg_temp.scenario('integer', '1', '2', '3', '4');
SELECT throws_ok($$SELECT chat.new_message('3000000000', '{2}', 's', 'c')$$, '22003', NULL,
                 'integer: a user id beyond int4 is refused');

/* ---- uuid ----------------------------------------------------------------- */
DROP EXTENSION chat CASCADE;
SET LOCAL chat.user_id_type = 'uuid';
CREATE EXTENSION chat;
SELECT * FROM pg_temp.scenario('uuid', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 'b1ffcd88-8d1a-4ef8-bb6d-6bb9bd380a22',
                               'c2aabb77-7e2b-4ef8-bb6d-6bb9bd380a33', 'd3bbcc66-6f3c-4ef8-bb6d-6bb9bd380a44');
SELECT throws_ok($$SELECT chat.new_message('not-a-uuid', '{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}', 's', 'c')$$, '22P02', NULL,
                 'uuid: a malformed uuid is refused');

/* ---- text ----------------------------------------------------------------- */
DROP EXTENSION chat CASCADE;
SET LOCAL chat.user_id_type = 'text';
CREATE EXTENSION chat;
SELECT * FROM pg_temp.scenario('text', 'alice', 'bob', 'Carol O''Neil', 'mallory');
SELECT is((SELECT count(*)::int FROM chat.member WHERE user_id IN ('alice', 'Alice')), 1,
          'text: user ids are compared exactly (case matters)');

/* ---- and back to bigint, in the same session ----------------------------- */
DROP EXTENSION chat CASCADE;
SET LOCAL chat.user_id_type = 'bigint';
CREATE EXTENSION chat;
SELECT is((SELECT format_type(typbasetype, NULL) FROM pg_type WHERE oid = 'chat.user_id'::regtype), 'bigint',
          'bigint again after text: chat.user_id is a domain over bigint');
SELECT chat.new_message(1, '{2}', 's', 'c') AS m \gset
SELECT lives_ok(format('SELECT chat.new_reply(%s, 2, %L)', (SELECT thread_id FROM chat.message WHERE id = :m), 'r'),
                'bigint again: the message trigger works with the recreated domain');
SELECT is_empty('SELECT * FROM chat.verify_unread()', 'bigint again: counters are exact');

SELECT * FROM finish();
ROLLBACK;
