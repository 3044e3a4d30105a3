-- Room profile and directory (issue 14, item 2): a room's description and
-- avatar, set by those holding edit_thread, checked against their limits,
-- announced by thread_updated and read by members (anyone for a public
-- room); the directory lists public rooms only, by name, searched by the
-- words of name and description, paged by keyset without gaps or duplicates,
-- also past 1,000 matches.  Every refusal has its SQLSTATE and changes
-- nothing.
SET client_min_messages = warning;
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
DROP EXTENSION IF EXISTS chat CASCADE;
SET LOCAL chat.user_id_type = 'bigint';
SET LOCAL chat.user_id = '';
CREATE EXTENSION chat;
SET LOCAL search_path = public, pg_catalog;
SELECT chat.set_setting('notify', 'false') \g /dev/null

SELECT plan(106);

/* ---- catalog ------------------------------------------------------------------ */

CREATE TEMP TABLE api (name text, args text[], argnames text[], cols text[]);
INSERT INTO api VALUES
    ('set_profile', '{bigint,chat.user_id,text,text}', '{thread_id,actor,description,avatar}', NULL),
    ('profile', '{bigint,chat.user_id}', '{thread_id,viewer}',
     '{kind,subject,description,avatar,is_public,member_count,object_type,object_id,created_by,created_at,joined}'),
    ('directory', '{chat.user_id,text,text,integer}', '{viewer,query,after,page_size}',
     '{thread_id,kind,subject,description,avatar,member_count,object_type,object_id,joined,cursor}');
SELECT has_function('chat', name, args, format('chat.%s exists', name)) FROM api ORDER BY name;
SELECT is(p.proargnames[1:cardinality(a.argnames)], a.argnames, format('chat.%s takes (%s)', a.name, array_to_string(a.argnames, ', ')))
  FROM api a JOIN pg_proc p ON p.proname = a.name AND p.pronamespace = 'chat'::regnamespace ORDER BY a.name;
SELECT is((SELECT array_agg(n ORDER BY o) FROM unnest(p.proargnames, p.proargmodes) WITH ORDINALITY u(n, m, o) WHERE m = 't'),
          a.cols, format('chat.%s returns its columns', a.name))
  FROM api a JOIN pg_proc p ON p.proname = a.name AND p.pronamespace = 'chat'::regnamespace
 WHERE a.cols IS NOT NULL ORDER BY a.name;
SELECT ok(p.prosecdef AND 'search_path=pg_catalog, pg_temp' = ANY (p.proconfig) AND obj_description(p.oid, 'pg_proc') IS NOT NULL,
          format('chat.%s: SECURITY DEFINER, pinned search_path, a comment', a.name))
  FROM api a JOIN pg_proc p ON p.proname = a.name AND p.pronamespace = 'chat'::regnamespace ORDER BY a.name;
SELECT has_column('chat', 'thread', c, format('chat.thread has %s', c)) FROM unnest('{description,avatar}'::text[]) c;
SELECT has_column('chat', 'public_thread', c, format('chat.public_thread shows %s', c)) FROM unnest('{description,avatar}'::text[]) c;
SELECT is((SELECT keys FROM chat.event_kind WHERE name = 'thread_updated'), '{user_id,description,avatar}',
          'the event thread_updated and its keys');
SELECT is((SELECT array_agg(key || '=' || value ORDER BY key) FROM chat.settings
            WHERE key IN ('max_description_length', 'max_avatar_length')),
          '{max_avatar_length=2048,max_description_length=1000}', 'the limits and their defaults');

/* ---- rooms ------------------------------------------------------------------------ */

/*
 * Alice (1) owns the group g (Bob 2 a member, Carol 3 an admin) and the
 * private thread p with Bob; Dan (4) owns the public group pub; Alice and
 * Bob's direct thread d.
 */
SELECT chat.create_group(1, 'Book club', '{2,3}') AS g \gset
SELECT chat.set_role(:g, 1, 3, 'admin') \g /dev/null
SELECT chat.new_message(1, '{2}', 'Lunch', 'Pizza?') AS pm \gset
SELECT thread_id AS p FROM chat.message WHERE id = :pm \gset
SELECT chat.create_group(4, 'Open kitchen', '{}', is_public => true) AS pub \gset
SELECT chat.direct_thread(1, 2) AS d \gset

/* ---- set_profile -------------------------------------------------------------------- */

SELECT max(seq) AS seq0 FROM chat.event \gset
SELECT lives_ok(format($$SELECT chat.set_profile(%s, 1, 'We read a book a month', 's3://bucket/books.png')$$, :g),
                'the owner sets the description and the avatar');
SELECT is((SELECT row(description, avatar)::text FROM chat.thread WHERE id = :g),
          row('We read a book a month', 's3://bucket/books.png')::text, 'both stored');
SELECT is((SELECT payload - 'seq' FROM chat.event WHERE seq > :seq0),
          jsonb_build_object('event', 'thread_updated', 'thread_id', :g, 'user_id', 1,
                             'description', 'We read a book a month', 'avatar', 's3://bucket/books.png'),
          'one event, thread_updated, with the profile as it now is');
SELECT lives_ok(format($$SELECT chat.set_profile(%s, 3, avatar => 's3://bucket/books2.png')$$, :g),
                'an admin (edit_thread) changes the avatar alone');
SELECT is((SELECT row(description, avatar)::text FROM chat.thread WHERE id = :g),
          row('We read a book a month', 's3://bucket/books2.png')::text, 'a NULL description is left as it was');
SELECT lives_ok(format($$SELECT chat.set_profile(%s, 1, description => '')$$, :g), 'an empty string clears');
SELECT is((SELECT row(description, avatar)::text FROM chat.thread WHERE id = :g),
          row(NULL, 's3://bucket/books2.png')::text, 'the description is NULL again');
SELECT lives_ok(format($$SELECT chat.set_profile(%s, 1, 'Monthly reads', '')$$, :g), 'both at once');
SELECT is((SELECT row(description, avatar)::text FROM chat.thread WHERE id = :g),
          row('Monthly reads', NULL)::text, 'description set, avatar cleared');
SELECT chat.grant(:g, 1, 2, 'edit_thread') \g /dev/null
SELECT lives_ok(format($$SELECT chat.set_profile(%s, 2, 'Bob''s words')$$, :g), 'a member granted edit_thread');
SELECT chat.revoke(:g, 1, 2, 'edit_thread') \g /dev/null
SELECT lives_ok(format($$SELECT chat.set_profile(%s, 4, 'Come in', 'https://example.com/k.png')$$, :pub),
                'Dan, on his public room');
SELECT lives_ok(format($$SELECT chat.set_profile(%s, 1, repeat('é', 1000))$$, :p), '1,000 characters: at the limit');
SELECT is((SELECT count(*) FROM chat.message WHERE thread_id = :g AND kind = 'system' AND content ~ 'profile|description'),
          0::bigint, 'no system message announces a profile change (the event does)');

/* ---- refusals ----------------------------------------------------------------------------- */

CREATE FUNCTION pg_temp.state() RETURNS text LANGUAGE sql AS $$
    SELECT md5(string_agg(t, ',' ORDER BY t))
      FROM (SELECT x::text AS t FROM chat.thread x UNION ALL SELECT x::text FROM chat.member x
            UNION ALL SELECT x::text FROM chat.message x UNION ALL SELECT x::text FROM chat.event x
            UNION ALL SELECT x::text FROM chat.setting x) s
$$;
CREATE TEMP TABLE baseline AS SELECT pg_temp.state() AS state;
\ir lib/fails.sql

SELECT pg_temp.fails(format($$SELECT chat.set_profile(%s, 2, 'mine now')$$, :g), '42501',
                     format('permission denied to edit the profile in thread %s', :g), 'a member without edit_thread');
SELECT pg_temp.fails(format($$SELECT chat.set_profile(%s, 4, 'mine now')$$, :g), '42501',
                     format('user "4" is not a member of thread %s', :g), 'a non-member');
SELECT pg_temp.fails(format($$SELECT chat.set_profile(%s, 1, 'ours')$$, :d), '42501',
                     format('permission denied to edit the profile in thread %s', :d), 'a direct thread has no profile to edit');
SELECT pg_temp.fails($$SELECT chat.set_profile(987654, 1, 'x')$$, '42704', 'thread 987654 does not exist', 'an unknown thread');
SELECT pg_temp.fails($$SELECT chat.set_profile(NULL, 1, 'x')$$, '22004', 'argument "thread_id" must not be null', 'no thread');
SELECT pg_temp.fails(format($$SELECT chat.set_profile(%s, NULL, 'x')$$, :g), '22004', 'argument "actor" must not be null', 'no actor');
SELECT pg_temp.fails(format($$SELECT chat.set_profile(%s, 1)$$, :g), '22004', 'argument "description" must not be null',
                     'nothing to set');
SELECT pg_temp.fails(format($$SELECT chat.set_profile(%s, 1, '  ')$$, :g), '22023', 'description must not be blank', 'a blank description');
SELECT pg_temp.fails(format($$SELECT chat.set_profile(%s, 1, avatar => E'\t')$$, :g), '22023', 'avatar must not be blank', 'a blank avatar');
SELECT pg_temp.fails(format($$SELECT chat.set_profile(%s, 1, repeat('x', 1001))$$, :g), '22001', 'description is too long',
                     '1,001 characters');
SELECT pg_temp.fails(format($$SELECT chat.set_profile(%s, 1, avatar => repeat('x', 2049))$$, :g), '22001', 'avatar is too long',
                     'an avatar of 2,049 characters');
SELECT pg_temp.fails(format($$SELECT chat.set_profile(%s, 1, avatar => E's3://a\nb')$$, :g), '22023',
                     'avatar must not contain control characters', 'an avatar with a newline');
SELECT pg_temp.fails($$SELECT chat.set_setting('max_description_length', '0')$$, '22023',
                     'value 0 is out of range for setting "max_description_length"', 'max_description_length 0');
SELECT pg_temp.fails($$SELECT chat.set_setting('max_avatar_length', '10001')$$, '22023',
                     'value 10001 is out of range for setting "max_avatar_length"', 'max_avatar_length 10,001');
SELECT chat.set_setting('max_description_length', '5') \g /dev/null
SELECT pg_temp.rebase() \g /dev/null
SELECT pg_temp.fails(format($$SELECT chat.set_profile(%s, 1, 'sixsix')$$, :g), '22001', 'description is too long',
                     'the limit is the setting''s');
SELECT chat.set_setting('max_description_length', NULL) \g /dev/null

/* ---- profile ---------------------------------------------------------------------------------- */

SELECT is((SELECT row(kind, subject, description, avatar, is_public, member_count, joined)::text FROM chat.profile(:g, 2)),
          row('group', 'Book club', 'Bob''s words', NULL, false, 3, true)::text,
          'a member reads the profile');
SELECT is((SELECT row(subject, description, avatar, joined)::text FROM chat.profile(:pub, 1)),
          row('Open kitchen', 'Come in', 'https://example.com/k.png', false)::text, 'anyone reads a public room''s');
SELECT is((SELECT row(description, avatar)::text FROM chat.public_thread WHERE id = :pub),
          row('Come in', 'https://example.com/k.png')::text, 'as chat.public_thread shows it');
SELECT pg_temp.rebase() \g /dev/null
SELECT pg_temp.fails(format($$SELECT * FROM chat.profile(%s, 4)$$, :g), '42501', format('user "4" is not a member of thread %s', :g),
                     'not a private room''s to a non-member');
SELECT pg_temp.fails($$SELECT * FROM chat.profile(987654, 1)$$, '42704', 'thread 987654 does not exist', 'profile: an unknown thread');
SELECT pg_temp.fails(format($$SELECT * FROM chat.profile(%s, NULL)$$, :g), '22004', 'argument "viewer" must not be null', 'profile: no viewer');

/* ---- the directory ---------------------------------------------------------------------------- */

/* public rooms of every kind besides pub, and private ones with the same words */
SELECT chat.create_channel(5, 'Announcements', '{}', is_public => true) AS ann \gset
SELECT chat.set_profile(:ann, 5, 'News about the kitchen and the book fair') \g /dev/null
SELECT chat.object_thread('product', '42', 5, 'Kitchen knife questions') AS obj \gset
SELECT chat.create_group(5, 'Secret kitchen', '{}') AS sec \gset
SELECT chat.set_profile(:sec, 5, 'A private kitchen, never listed') \g /dev/null
SELECT chat.create_group(5, 'apple pie', '{}', is_public => true) AS apple \gset
SELECT chat.create_group(5, 'Zebra crossing', '{}', is_public => true) AS zebra \gset

/* Every page of the directory, following the cursors, as one array of thread ids. */
CREATE FUNCTION pg_temp.listed(v bigint, query text DEFAULT NULL, size int DEFAULT 50)
    RETURNS bigint[] LANGUAGE plpgsql AS $$
DECLARE
    c text;
    acc bigint[] := '{}';
    r record;
    k int;
BEGIN
    LOOP
        k := 0;
        FOR r IN SELECT * FROM chat.directory(v, query, c, size) LOOP
            acc := acc || r.thread_id;
            c := r.cursor;
            k := k + 1;
        END LOOP;
        EXIT WHEN k < size;
    END LOOP;
    RETURN acc;
END
$$;
/* The rule: public rooms whose name and description hold every word as a prefix, by lower-case name, then id. */
CREATE FUNCTION pg_temp.expected(query text DEFAULT NULL) RETURNS bigint[] LANGUAGE sql AS $$
    SELECT coalesce(array_agg(t.id ORDER BY lower(coalesce(t.subject, '')), t.id), '{}')
      FROM chat.thread t
     WHERE t.is_public
       AND NOT EXISTS (SELECT 1 FROM regexp_split_to_table(lower(coalesce(query, '')), '[^[:alnum:]]+') w
                        WHERE w <> ''
                          AND NOT EXISTS (SELECT 1 FROM regexp_split_to_table(lower(coalesce(t.subject, '') || ' ' || coalesce(t.description, '')), '[^[:alnum:]]+') x
                                           WHERE starts_with(x, w)))
$$;

SELECT is(pg_temp.listed(9), ARRAY[:ann, :apple, :obj, :pub, :zebra]::bigint[],
          'all public rooms (an object''s room too), by name whatever the case, none private');
SELECT is(pg_temp.listed(9, 'kitchen'), ARRAY[:ann, :obj, :pub]::bigint[],
          'a word of the name or of the description; the private kitchen is not there');
SELECT is(pg_temp.listed(9, 'KITCH'), ARRAY[:ann, :obj, :pub]::bigint[], 'as a prefix, whatever the case');
SELECT is(pg_temp.listed(9, 'kitchen fair'), ARRAY[:ann]::bigint[], 'every word must match, in name or description');
SELECT is(pg_temp.listed(9, 'secret'), '{}'::bigint[], 'a private room is never found, by its name');
SELECT is(pg_temp.listed(9, 'never listed'), '{}'::bigint[], '... nor by its description');
SELECT is(pg_temp.listed(9, '!!!'), '{}'::bigint[], 'a query without words finds nothing');
SELECT is(pg_temp.listed(9, '   '), pg_temp.listed(9), 'a blank query lists everything');
SELECT is(pg_temp.listed(9, 'kitchen', 1), ARRAY[:ann, :obj, :pub]::bigint[], 'pages of one: the same, in order');
SELECT is((SELECT array_agg(joined ORDER BY thread_id) FROM chat.directory(4, 'kitchen')), '{t,f,f}'::boolean[],
          'joined: Dan is in his own room only');
SELECT is((SELECT row(subject, description, avatar, member_count)::text FROM chat.directory(1, 'open')),
          row('Open kitchen', 'Come in', 'https://example.com/k.png', 1)::text, 'a row shows the profile');
SELECT chat.rename_thread(:zebra, 5, 'Aardvark crossing') \g /dev/null
SELECT is(pg_temp.listed(9, 'crossing'), ARRAY[:zebra]::bigint[], 'a renamed room is found by its new name');
SELECT is((pg_temp.listed(9))[1], :zebra::bigint, '... and listed in its new place');
SELECT is(pg_temp.listed(9, 'zebra'), '{}'::bigint[], '... not by its old one');

SELECT pg_temp.rebase() \g /dev/null
SELECT pg_temp.fails($$SELECT * FROM chat.directory(NULL)$$, '22004', 'argument "viewer" must not be null', 'directory: no viewer');
SELECT pg_temp.fails($$SELECT * FROM chat.directory(1, page_size => 0)$$, '22023', 'page_size must be between 1 and 500',
                     'directory: page size 0');
SELECT pg_temp.fails($$SELECT * FROM chat.directory(1, after => 'nonsense')$$, '22023', 'invalid cursor "nonsense"',
                     'directory: a bad cursor');
SELECT pg_temp.fails($$SELECT * FROM chat.directory(1, query => repeat('x', 1001))$$, '22001', 'query is too long',
                     'directory: a query of 1,001 characters');

/* ---- many public rooms: past 1,000 matches, every page ------------------------------------------ */

/* 3,000 public rooms, a third of them with "garden" in the description, and 300 private ones */
INSERT INTO chat.thread (id, kind, subject, description, created_by, is_public)
SELECT 200000 + k, 'group', CASE WHEN k % 7 = 0 THEN 'room ' ELSE 'Room ' END || (k * 7919 % 3000),
       CASE WHEN k % 3 = 0 THEN 'a garden room' ELSE 'a room' END || CASE WHEN k % 500 = 1 THEN ' quince' ELSE '' END,
       6, k <= 3000
  FROM generate_series(1, 3300) k;
SELECT is(pg_temp.listed(9, 'garden', 97), pg_temp.expected('garden'), '1,000 matches: every page, in name order');
SELECT is(pg_temp.listed(9, 'room', 500), pg_temp.expected('room'), '3,000 matches: every page');
SELECT is(pg_temp.listed(9, 'quince', 2), pg_temp.expected('quince'), 'a rare word among them');
SELECT is(pg_temp.listed(9, 'ro ga'), pg_temp.expected('ro ga'), 'prefixes');
SELECT is(pg_temp.listed(9, NULL, 333), pg_temp.expected(), 'everything, pages of 333');
SELECT ok((SELECT count(DISTINCT x) = count(*) FROM unnest(pg_temp.listed(9, 'room', 7)) x), 'never a duplicate');
SELECT is((SELECT count(*) FROM unnest(pg_temp.listed(9, 'room')) x WHERE x > 203000), 0::bigint, 'never a private room');

/* ---- end users -------------------------------------------------------------------------------- */

CREATE ROLE regress_profile_bob;
SELECT chat.map_role('regress_profile_bob', 2) \g /dev/null
SET LOCAL ROLE regress_profile_bob;
SELECT throws_ok(format($$SELECT chat.set_profile(%s, description => 'Bob rules')$$, :g), '42501',
                 format('permission denied to edit the profile in thread %s', :g), 'an end user without edit_thread');
SELECT throws_ok(format($$SELECT chat.set_profile(%s, 1, 'as Alice')$$, :g), '42501', 'permission denied to act as user "1"',
                 'an end user acting as another');
SELECT chat.create_group(title => 'Bob corner') AS bobg \gset
SELECT lives_ok(format($$SELECT chat.set_profile(%s, description => 'lunch talk')$$, :bobg), 'an end user on the room he owns');
SELECT is((SELECT count(*) FROM chat.directory(query => 'kitchen')), 3::bigint, 'an end user lists the public rooms');
SELECT throws_ok(format($$SELECT * FROM chat.profile(%s)$$, :sec), '42501', format('user "2" is not a member of thread %s', :sec),
                 'not a private room''s profile');
SELECT is((SELECT description FROM chat.public_thread WHERE id = :ann), 'News about the kitchen and the book fair',
          'chat.public_thread shows a public room''s description');
SELECT is((SELECT count(*) FROM chat.public_thread WHERE id = :sec), 0::bigint, 'not a private one');
RESET ROLE;

SELECT is_empty('SELECT * FROM chat.verify_unread()', 'the counters are exact');

SELECT * FROM finish();
ROLLBACK;
