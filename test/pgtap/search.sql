-- Full-text search (issue 14, item 3): chat.search finds the messages a
-- user may read and nothing else (never another's thread, never a deleted
-- message, never a thread in the user's deleted folder), edits by their
-- current words, ranked or newest first, paged by keyset without gaps or
-- duplicates, with a highlighted, escaped snippet; the text search
-- configuration is a setting refused when unknown; every refusal has its
-- SQLSTATE and changes nothing.  Results are compared with a reference query
-- written straight from the rules, for every user and query, on small data
-- and on enough data for each of the function's plans (more than 20,000
-- matches in the database, a sample of the newest messages).
SET client_min_messages = warning;
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
DROP EXTENSION IF EXISTS chat CASCADE;
SET LOCAL chat.user_id_type = 'bigint';
SET LOCAL chat.user_id = '';
CREATE EXTENSION chat;
SET LOCAL search_path = public, pg_catalog;
SELECT chat.set_setting('notify', 'false') \g /dev/null

SELECT plan(125);

/* ---- catalog ------------------------------------------------------------------ */

SELECT has_function('chat', 'search', ARRAY['chat.user_id', 'text', 'bigint', 'text', 'text', 'integer'],
                    'chat.search(viewer, query, in_thread, sort, before, page_size) exists');
SELECT is((SELECT p.proargnames[1:6] FROM pg_proc p WHERE p.oid = 'chat.search'::regproc),
          '{viewer,query,in_thread,sort,before,page_size}', 'its arguments, for named notation');
SELECT is((SELECT array_agg(n ORDER BY o) FROM pg_proc p, unnest(p.proargnames, p.proargmodes) WITH ORDINALITY u(n, m, o)
            WHERE p.oid = 'chat.search'::regproc AND m = 't'),
          '{thread_id,message_id,sender_id,subject,sent_at,edited,snippet,rank,cursor}', 'its columns');
SELECT ok(pg_get_function_arguments('chat.search'::regproc) ~ '^viewer chat.user_id DEFAULT chat.current_user_id\(\), query text DEFAULT NULL::text, in_thread bigint DEFAULT NULL::bigint, sort text DEFAULT ''rank''::text, before text DEFAULT NULL::text, page_size integer DEFAULT 20$',
          'the viewer defaults to the session''s user; rank first, 20 a page');
SELECT ok((SELECT prosecdef AND 'search_path=pg_catalog, pg_temp' = ANY (proconfig) AND provolatile = 's'
             FROM pg_proc WHERE oid = 'chat.search'::regproc),
          'SECURITY DEFINER, STABLE, pinned search_path');
SELECT isnt(obj_description('chat.search'::regproc, 'pg_proc'), NULL, 'it has a comment');
SELECT has_index('chat', 'message', 'message_search_idx', 'the words of messages have their index');
SELECT is((SELECT value FROM chat.settings WHERE key = 'search_config'), '"simple"'::jsonb,
          'the configuration is "simple" by default');

/* ---- what the users write -------------------------------------------------------- */

/*
 * Alice (1) and Bob (2): thread p, with an edited, a deleted and an
 * attachment-only message.  Alice, Bob and Carol (3): group g, renamed
 * (its system messages carry words too).  Carol and Dan (4): thread o,
 * without Alice.  Dan's public group pub.  Alice and Carol: thread h, which
 * Alice deletes from her inbox.  Users 5-7 with Alice in the large group lg
 * (more members than inbox_fanout_limit), which Alice deletes too.  Alice's
 * archived thread a.
 */
SELECT chat.set_setting('inbox_fanout_limit', '3') \g /dev/null
SELECT chat.new_message(1, '{2}', 'Lunch', 'Pizza at noon?') AS p1 \gset
SELECT thread_id AS p FROM chat.message WHERE id = :p1 \gset
SELECT chat.new_reply(:p, 2, 'Pizza sounds good, pizza is great') AS p2 \gset
SELECT chat.new_reply(:p, 2, 'A deleted pizza plan') AS pdel \gset
SELECT chat.delete_message(:pdel, 2) \g /dev/null
SELECT chat.new_reply(:p, 1, 'The old pasta text') AS pedit \gset
SELECT chat.edit_message(:pedit, 1, 'The new salad text') \g /dev/null
SELECT chat.new_reply(:p, 1, NULL, attachments => '[{"key": "s3://b/pizza.png", "name": "pizza.png"}]') AS patt \gset
SELECT chat.new_reply(:p, 2, 'Beware <b>pizza</b> & <i>co</i>') AS phtml \gset
SELECT chat.create_group(1, 'Friday', '{2,3}') AS g \gset
SELECT chat.new_reply(:g, 3, 'Pizza party on friday') AS g1 \gset
SELECT chat.rename_thread(:g, 1, 'Pizza lovers') \g /dev/null
SELECT chat.new_message(3, '{4}', 'Secret', 'A secret pizza place') AS o1 \gset
SELECT thread_id AS o FROM chat.message WHERE id = :o1 \gset
SELECT chat.create_group(4, 'Open', '{}', is_public => true) AS pub \gset
SELECT chat.new_reply(:pub, 4, 'Public pizza for all') AS pub1 \gset
SELECT chat.new_message(1, '{3}', 'Hidden', 'A hidden pizza recipe') AS h1 \gset
SELECT thread_id AS h FROM chat.message WHERE id = :h1 \gset
SELECT chat.delete_thread(:h, 1) \g /dev/null
SELECT chat.create_group(5, 'Large', '{1,6,7}') AS lg \gset
SELECT chat.new_reply(:lg, 5, 'Large room pizza') AS lg1 \gset
SELECT chat.delete_thread(:lg, 1) \g /dev/null
SELECT chat.new_message(1, '{2}', 'Archive', 'Archived pizza memories') AS a1 \gset
SELECT thread_id AS a FROM chat.message WHERE id = :a1 \gset
SELECT chat.archive_thread(:a, 1) \g /dev/null
SELECT ok((SELECT large FROM chat.thread WHERE id = :lg), 'lg is a large thread');

/*
 * The rules, written out: the messages of the threads the viewer is a member
 * of, text, not deleted, the thread not in the viewer's deleted folder, the
 * words matching; best rank first then newest, or newest first.
 */
CREATE FUNCTION pg_temp.expected(v bigint, query text, sort text DEFAULT 'rank', tid bigint DEFAULT NULL)
    RETURNS bigint[] LANGUAGE sql AS $$
    SELECT coalesce(array_agg(m.id ORDER BY CASE WHEN sort = 'rank' THEN ts_rank(m.search_vector, x.q) END DESC NULLS LAST,
                                             m.id DESC), '{}')
      FROM (SELECT websearch_to_tsquery(chat._search_config(), query) AS q) x,
           chat.message m
      JOIN chat.member mb ON mb.thread_id = m.thread_id AND mb.user_id = v
      JOIN chat.thread t ON t.id = m.thread_id
     WHERE m.kind = 'text' AND m.deleted_at IS NULL
       AND to_tsvector(chat._search_config(), m.content) @@ x.q
       AND (mb.hidden_id IS NULL OR mb.hidden_id < coalesce(t.last_message_id, 0))
       AND (tid IS NULL OR m.thread_id = tid)
$$;
/* Every page of chat.search, following the cursors, as one array of message ids. */
CREATE FUNCTION pg_temp.found(v bigint, query text, sort text DEFAULT 'rank', size int DEFAULT 20, tid bigint DEFAULT NULL)
    RETURNS bigint[] LANGUAGE plpgsql AS $$
DECLARE
    c text;
    acc bigint[] := '{}';
    r record;
    k int;
BEGIN
    LOOP
        k := 0;
        FOR r IN SELECT * FROM chat.search(v, query, tid, sort, c, size) LOOP
            acc := acc || r.message_id;
            c := r.cursor;
            k := k + 1;
        END LOOP;
        EXIT WHEN k < size;
    END LOOP;
    RETURN acc;
END
$$;

/* ---- who finds what ----------------------------------------------------------------- */

SELECT is((SELECT array_agg(x ORDER BY x) FROM unnest(pg_temp.found(1, 'pizza')) x),
          (SELECT array_agg(x ORDER BY x) FROM unnest(ARRAY[:p2, :g1, :p1, :phtml, :a1]::bigint[]) x),
          'Alice finds pizza in her threads');
SELECT is(pg_temp.found(1, 'pizza'), pg_temp.expected(1, 'pizza'), 'best match first (ts_rank), then newest');
SELECT is(pg_temp.found(1, 'pizza', 'rank', 1), pg_temp.expected(1, 'pizza'), 'twice in a message ranks first');
SELECT is(pg_temp.found(1, 'pizza', 'newest'), ARRAY[:a1, :g1, :phtml, :p2, :p1]::bigint[],
          'newest first');
SELECT is(pg_temp.found(3, 'pizza', 'newest'), ARRAY[:h1, :o1, :g1]::bigint[],
          'Carol finds hers: the thread Alice deleted is still in Carol''s inbox');
SELECT is(pg_temp.found(4, 'pizza', 'newest'), ARRAY[:pub1, :o1]::bigint[], 'Dan finds his');
SELECT is(pg_temp.found(9, 'pizza'), '{}'::bigint[], 'a user in no thread finds nothing');
SELECT is_empty(format($$SELECT * FROM chat.search(1, 'pizza') s
                          WHERE s.thread_id NOT IN (SELECT thread_id FROM chat.member WHERE user_id = 1)$$),
                'no result of a thread Alice is not in (Carol and Dan''s, the public room she did not join)');
SELECT is_empty(format($$SELECT * FROM chat.search(1, 'pizza', sort => 'newest') WHERE message_id IN (%s, %s, %s)$$,
                       :pdel, :h1, :lg1),
                'nor the deleted message, nor the threads in her deleted folder (small and large)');
SELECT is(pg_temp.found(2, 'deleted OR plan'), '{}'::bigint[], 'a deleted message is not found, even by its sender');
SELECT is(pg_temp.found(1, 'pasta OR old'), '{}'::bigint[], 'an edited message is not found by its former words');
SELECT is(pg_temp.found(1, 'salad'), ARRAY[:pedit]::bigint[], 'but by its current words');
SELECT is(pg_temp.found(1, 'lovers OR created OR renamed'), '{}'::bigint[],
          'system messages ("Alice renamed the group to ...") are not searched');
SELECT is(pg_temp.found(1, 'png'), '{}'::bigint[], 'nor attachments'' names');
SELECT is((SELECT count(*) FROM chat.search(1, 'archived')), 1::bigint, 'archived threads are searched');

-- every user and query against the rules
CREATE TEMP TABLE probe (query text);
INSERT INTO probe VALUES ('pizza'), ('Pizza at noon'), ('"pizza is great"'), ('pizza -noon'), ('pizza or salad'),
    ('secret'), ('public'), ('hidden'), ('large'), ('salad'), ('beware co'), ('friday'), ('nothing');
SELECT is(pg_temp.found(u, q.query, s), pg_temp.expected(u, q.query, s),
          format('user %s, %s, sort %s: as the rules say', u, q.query, s))
  FROM generate_series(1, 4) u, probe q, unnest('{rank,newest}'::text[]) s
 WHERE (u, q.query) IN ((1, 'pizza'), (1, 'pizza -noon'), (1, '"pizza is great"'), (1, 'pizza or salad'),
                        (3, 'pizza'), (3, 'hidden'), (4, 'public'), (2, 'beware co'), (1, 'large'), (3, 'friday'))
 ORDER BY u, q.query, s;

/* ---- the deleted folder, joining, leaving ---------------------------------------------- */

SELECT chat.new_reply(:h, 3, 'More pizza, Alice?') AS h2 \gset
SELECT is(pg_temp.found(1, 'pizza', 'newest', 20, :h), ARRAY[:h2, :h1]::bigint[],
          'a reply brings the deleted thread back, and with it its earlier messages (as in the inbox)');
SELECT chat.join_thread(:pub, 1) \g /dev/null
SELECT ok(:pub1 = ANY (pg_temp.found(1, 'public')), 'joining a room makes its history searchable');
SELECT chat.leave_thread(:pub, 1) \g /dev/null
SELECT is(pg_temp.found(1, 'public'), '{}'::bigint[], 'leaving takes it away');
SELECT is(pg_temp.found(1, 'large', 'rank', 20, :lg), '{}'::bigint[],
          'in one thread of the deleted folder: nothing');

/* ---- one thread ------------------------------------------------------------------------ */

SELECT is(pg_temp.found(1, 'pizza', 'newest', 20, :p), ARRAY[:phtml, :p2, :p1]::bigint[], 'in_thread: that thread only');
SELECT is(pg_temp.found(1, 'pizza', 'rank', 1, :p), pg_temp.expected(1, 'pizza', 'rank', :p), 'ranked, a page of one at a time');

/* ---- the snippet and the rank ---------------------------------------------------------- */

SELECT is((SELECT snippet FROM chat.search(1, 'pizza') WHERE message_id = :p1), '<b>Pizza</b> at noon?',
          'the snippet marks the words found');
SELECT is((SELECT snippet FROM chat.search(2, 'beware') WHERE message_id = :phtml),
          '<b>Beware</b> &lt;b&gt;pizza&lt;/b&gt; &amp; &lt;i&gt;co&lt;/i&gt;',
          'the snippet is HTML: the sender''s text escaped, only the marks are tags');
SELECT ok((SELECT bool_and(s.rank > 0) AND bool_and(s.cursor = s.rank::text || ':' || s.message_id)
             FROM chat.search(1, 'pizza') s), 'ranked: each row has its rank, the cursor "rank:id"');
SELECT ok((SELECT bool_and(s.rank IS NULL AND s.cursor = s.message_id::text)
             FROM chat.search(1, 'pizza', sort => 'newest') s), 'newest first: no rank, the cursor is the id');
SELECT is((SELECT row(thread_id, sender_id, subject, edited)::text FROM chat.search(1, 'salad')),
          row(:p, 1, 'Lunch', true)::text, 'a row names its thread, sender, subject and whether it was edited');
SELECT is((SELECT count(*) FROM chat.search(1, 'the')), 1::bigint,
          'configuration simple: no stop words ("the" finds the salad)');

/* ---- refusals ------------------------------------------------------------------------------- */

CREATE FUNCTION pg_temp.state() RETURNS text LANGUAGE sql AS $$
    SELECT md5(string_agg(t, ',' ORDER BY t))
      FROM (SELECT x::text AS t FROM chat.message x UNION ALL SELECT x::text FROM chat.thread x
            UNION ALL SELECT x::text FROM chat.member x UNION ALL SELECT x::text FROM chat.setting x) s
$$;
CREATE TEMP TABLE baseline AS SELECT pg_temp.state() AS state;
\ir lib/fails.sql

SELECT pg_temp.fails($$SELECT * FROM chat.search(NULL, 'pizza')$$, '22004', 'argument "viewer" must not be null', 'no viewer');
SELECT pg_temp.fails($$SELECT * FROM chat.search(1, NULL)$$, '22004', 'argument "query" must not be null', 'no query');
SELECT pg_temp.fails($$SELECT * FROM chat.search(1, '   ')$$, '22023', 'query must not be blank', 'a blank query');
SELECT pg_temp.fails($$SELECT * FROM chat.search(1, repeat('x', 1001))$$, '22001', 'query is too long', 'a query of 1,001 characters');
SELECT pg_temp.fails($$SELECT * FROM chat.search(1, '-pizza')$$, '22023', 'query "-pizza" has no word to look for',
                     'only an excluded word');
SELECT pg_temp.fails($$SELECT * FROM chat.search(1, 'pizza', sort => 'oldest')$$, '22023', 'invalid sort "oldest"', 'an unknown sort');
SELECT pg_temp.fails($$SELECT * FROM chat.search(1, 'pizza', sort => NULL)$$, '22004', 'argument "sort" must not be null', 'a NULL sort');
SELECT pg_temp.fails($$SELECT * FROM chat.search(1, 'pizza', page_size => 0)$$, '22023', 'page_size must be between 1 and 500', 'page size 0');
SELECT pg_temp.fails($$SELECT * FROM chat.search(1, 'pizza', page_size => 501)$$, '22023', 'page_size must be between 1 and 500', 'page size 501');
SELECT pg_temp.fails($$SELECT * FROM chat.search(1, 'pizza', before => 'x')$$, '22023', 'invalid cursor "x"', 'a bad cursor');
SELECT pg_temp.fails($$SELECT * FROM chat.search(1, 'pizza', sort => 'newest', before => '0.06:5')$$, '22023',
                     'invalid cursor "0.06:5"', 'a rank cursor for newest first');
SELECT pg_temp.fails($$SELECT * FROM chat.search(1, 'pizza', before => '99999999999999999999')$$, '22023',
                     'invalid cursor "99999999999999999999"', 'an id cursor for ranked results');
SELECT pg_temp.fails(format($$SELECT * FROM chat.search(1, 'pizza', in_thread => %s)$$, :o), '42501',
                     format('user "1" is not a member of thread %s', :o), 'in a thread Alice is not in');
SELECT pg_temp.fails($$SELECT * FROM chat.search(1, 'pizza', in_thread => 987654)$$, '42704',
                     'thread 987654 does not exist', 'in a thread that does not exist');
SELECT pg_temp.fails($$SELECT chat.set_setting('search_config', '"klingon"')$$, '22023',
                     'text search configuration "klingon" does not exist', 'search_config: an unknown configuration');
SELECT pg_temp.fails($$SELECT chat.set_setting('search_config', '"pg_catalog.nope"')$$, '22023',
                     'text search configuration "pg_catalog.nope" does not exist', 'search_config: an unknown qualified one');
SELECT pg_temp.fails($$SELECT chat.set_setting('search_config', '7')$$, '22023',
                     'invalid value for setting "search_config": 7', 'search_config: not a string');
SELECT pg_temp.fails($$SELECT chat.set_setting('search_config', '"3734"')$$, '22023',
                     'text search configuration "3734" does not exist', 'search_config: an OID is no name');
CREATE TEMP TABLE nothing_changed AS SELECT pg_temp.state() = (SELECT state FROM baseline) AS same;
SELECT ok((SELECT same FROM nothing_changed), 'and searching changed nothing either');

/* ---- the configuration ---------------------------------------------------------------------- */

SELECT chat.new_reply(:p, 2, 'The cats were running home') AS run \gset
SELECT is(pg_temp.found(1, 'run'), '{}'::bigint[], 'simple: "run" does not find "running"');
SELECT is(chat.set_setting('search_config', '"pg_catalog.english"'), '"english"'::jsonb,
          'set_setting stores a configuration of pg_catalog by its name');
SELECT is(pg_temp.found(1, 'run'), ARRAY[:run]::bigint[], 'english: "run" finds "running", written before the change');
SELECT is(pg_temp.found(1, 'cat'), ARRAY[:run]::bigint[], '... and "cat" "cats"');
SELECT is(pg_temp.found(1, 'the'), '{}'::bigint[], 'english: a query of stop words finds nothing, without an error');
SELECT is(pg_temp.found(1, 'pizza'), pg_temp.expected(1, 'pizza'), 'english: the rules still hold');
SELECT chat.new_reply(:p, 1, 'Dogs are barking') AS bark \gset
SELECT is(pg_temp.found(2, 'bark'), ARRAY[:bark]::bigint[], 'new messages are indexed with it');
CREATE SCHEMA regress_search;
CREATE TEXT SEARCH CONFIGURATION regress_search.cfg (COPY = pg_catalog.english);
SELECT is(chat.set_setting('search_config', '"regress_search.cfg"'), '"regress_search.cfg"'::jsonb,
          'a configuration of another schema is stored qualified');
DROP TEXT SEARCH CONFIGURATION regress_search.cfg;
SELECT lives_ok(format($$SELECT chat.new_reply(%s, 1, 'written after the drop')$$, :p),
                'a configuration dropped after it was set never makes a write fail');
SELECT is(chat._search_config()::text, 'simple', '... chat falls back to simple');
SELECT ok((SELECT count(*) = 1 FROM chat.search(1, 'drop')), '... and search works');
SELECT is(chat.set_setting('search_config', NULL), '"simple"'::jsonb, 'back to the default');
SELECT is(pg_temp.found(1, 'run'), '{}'::bigint[], 're-indexed with simple again');
SELECT is((SELECT count(*) FROM chat.message m
            WHERE m.kind = 'text' AND m.content IS NOT NULL
              AND m.search_vector IS DISTINCT FROM nullif(to_tsvector('simple', m.content), '')), 0::bigint,
          'every text message''s vector is that of its content under the setting');
SELECT is((SELECT count(*) FROM chat.message m WHERE m.kind = 'system' AND m.search_vector IS NOT NULL), 0::bigint,
          'system messages have none');

/* ---- end users --------------------------------------------------------------------------------- */

CREATE ROLE regress_search_alice;
CREATE ROLE regress_search_web;
SELECT chat.map_role('regress_search_alice', 1) \g /dev/null
SELECT pg_temp.expected(1, 'pizza') AS exp_alice, pg_temp.expected(4, 'pizza', 'newest') AS exp_dan \gset
SET LOCAL ROLE regress_search_alice;
SELECT is((SELECT array_agg(message_id) FROM chat.search(query => 'pizza')), :'exp_alice'::bigint[],
          'a mapped role searches as its user');
SELECT throws_ok($$SELECT * FROM chat.search(2, 'pizza')$$, '42501', 'permission denied to act as user "2"',
                 'and only as its user');
SELECT throws_ok(format($$SELECT * FROM chat.search(query => 'secret', in_thread => %s)$$, :o), '42501',
                 format('user "1" is not a member of thread %s', :o), 'not in another''s thread');
SELECT is((SELECT count(*) FROM chat.message WHERE search_vector @@ 'secret'::tsquery), 0::bigint,
          'reading chat.message directly, row-level security hides the others'' vectors too');
RESET ROLE;
SET LOCAL ROLE regress_search_web;
SELECT throws_ok($$SELECT * FROM chat.search(query => 'pizza')$$, '42501', 'role "regress_search_web" has no chat user',
                 'a role with no chat user');
SELECT set_config('chat.user_id', '4', true) \g /dev/null
SELECT is((SELECT array_agg(message_id) FROM chat.search(query => 'pizza', sort => 'newest')),
          :'exp_dan'::bigint[], 'a role whose user comes from chat.user_id (PostgREST style)');
SELECT set_config('chat.user_id', '', true) \g /dev/null
RESET ROLE;

/* ---- more than 20,000 matches: each plan, every page ------------------------------------------ */

/*
 * 24,000 messages with the word "common" in 600 two-person threads: Alice is
 * in 300 of them (12,000 matches), user 8 in one (40).  "common rare" is in
 * 60 of them; "last" in the newest 10 only, Alice's.
 */
INSERT INTO chat.thread (id, kind, subject, created_by)
SELECT 100000 + k, 'private', 'bulk ' || k, 1 FROM generate_series(1, 600) k;
INSERT INTO chat.member (thread_id, user_id, role)
SELECT 100000 + k, CASE WHEN k <= 300 THEN 1 ELSE 1000 + k END, 'owner' FROM generate_series(1, 600) k;
INSERT INTO chat.member (thread_id, user_id, role)
SELECT 100000 + k, CASE WHEN k = 600 THEN 8 ELSE 2000 + k END, 'member' FROM generate_series(1, 600) k;
-- user 9's thread, older than all of them: its matches are in none of the newest messages
INSERT INTO chat.thread (id, kind, subject, created_by) VALUES (100700, 'private', 'old', 9);
INSERT INTO chat.member (thread_id, user_id, role) VALUES (100700, 9, 'owner'), (100700, 10, 'member');
INSERT INTO chat.message (thread_id, sender_id, content)
SELECT 100700, 9 + i % 2, 'an old common saying ' || i FROM generate_series(1, 30) i;
INSERT INTO chat.message (thread_id, sender_id, content)
SELECT 100000 + (i % 600) + 1, CASE WHEN (i % 600) + 1 <= 300 THEN 1 ELSE 1000 + (i % 600) + 1 END,
       'common words number ' || i || CASE WHEN i % 400 = 7 THEN ' rare' ELSE '' END
       || CASE WHEN i % 2 = 0 THEN ' common' ELSE '' END
  FROM generate_series(1, 24000) i;
INSERT INTO chat.message (thread_id, sender_id, content)
SELECT 100000 + k, 1, 'the last word' FROM generate_series(1, 10) k;
SELECT is(pg_temp.found(1, 'common', 'rank', 500), pg_temp.expected(1, 'common', 'rank'),
          'ranked, 12,000 matches of Alice among 24,000: every page, in order (by thread)');
SELECT is(pg_temp.found(1, 'common', 'newest', 500), pg_temp.expected(1, 'common', 'newest'),
          'newest first: every page, in order (from the newest messages, then by thread)');
SELECT is(pg_temp.found(8, 'common', 'newest', 7), pg_temp.expected(8, 'common', 'newest'),
          'a user with few of the matches, newest first');
SELECT is(pg_temp.found(8, 'common', 'rank', 7), pg_temp.expected(8, 'common', 'rank'),
          '... and ranked');
SELECT is(pg_temp.found(9, 'common', 'newest', 7), pg_temp.expected(9, 'common', 'newest'),
          'newest first, matches older than the newest messages (by thread)');
SELECT is(pg_temp.found(9, 'common', 'rank', 7), pg_temp.expected(9, 'common', 'rank'), '... and ranked');
SELECT is(pg_temp.found(1, 'common rare', 'rank', 4), pg_temp.expected(1, 'common rare', 'rank'),
          'a rare combination of common words (by word)');
SELECT is(pg_temp.found(1, 'last', 'newest', 3), pg_temp.expected(1, 'last', 'newest'), 'a word of the newest only');
SELECT is(pg_temp.found(1, 'common', 'rank', 50, 100007), pg_temp.expected(1, 'common', 'rank', 100007),
          'in one of the threads');
SELECT ok((SELECT count(DISTINCT x) = count(*) FROM unnest(pg_temp.found(1, 'common', 'newest', 333)) x),
          'no duplicate across pages of an odd size');

SELECT is_empty('SELECT * FROM chat.verify_unread()', 'the counters are exact');

SELECT * FROM finish();
ROLLBACK;
