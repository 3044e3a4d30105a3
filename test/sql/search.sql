-- Search and the directory (chat 0.9, issue 14) as a psql user sees them:
-- a room's profile, the directory of public rooms, full-text search of the
-- messages one may read, the setting search_config, and the refusals.
-- Alice is 1, Bob 2, Carol 3, Dan 4; dan is also a login role mapped to 4.
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS chat CASCADE;
CREATE EXTENSION chat;
SELECT chat.set_setting('notify', 'false') \g /dev/null
\set VERBOSITY terse

/* ---- a room's profile ------------------------------------------------------- */

SELECT chat.create_group(1, 'Book club', '{2,3}', is_public => true) AS club \gset
SELECT chat.create_group(1, 'Board', '{2}') AS board \gset
SELECT chat.create_channel(4, 'Kitchen news', '{}', is_public => true) AS news \gset
SELECT chat.set_profile(:club, 1, 'One book a month, talked over on Fridays', 's3://rooms/club.png');
SELECT chat.set_profile(:news, 4, description => 'What the kitchen cooks this week');
SELECT chat.set_profile(:board, 1, 'Private: the board''s business');
SELECT kind, subject, description, avatar, is_public, member_count, joined FROM chat.profile(:club, 2);
-- Dan reads a public room's profile, not a private one's
SELECT subject, description, joined FROM chat.profile(:club, 4);
SELECT * FROM chat.profile(:board, 4);
-- the event members receive
SELECT payload - 'seq' - 'thread_id' AS thread_updated FROM chat.event WHERE event = 'thread_updated' ORDER BY seq;
-- only with edit_thread (owners and admins): Bob is a member
SELECT chat.set_profile(:club, 2, 'Bob''s club');
-- NULL leaves a field as it is, '' clears it
SELECT chat.set_profile(:club, 1, avatar => '');
SELECT description, avatar FROM chat.thread WHERE id = :club;
SELECT chat.set_profile(:club, 1, repeat('x', 1001));
SELECT chat.set_profile(:club, 1, avatar => E'bad\nkey');
SELECT chat.set_profile(:club, 1);

/* ---- the directory ------------------------------------------------------------- */

SELECT chat.object_thread('product', '42', 4, 'Chef knife questions') AS knife \gset
SELECT chat.create_group(3, 'book swap', '{}', is_public => true) AS swap \gset
-- every public room by name (an object's room is public by default), never a private one
SELECT subject, kind, object_type, member_count, joined FROM chat.directory(4);
-- the words of name and description, each as a prefix
SELECT subject, description FROM chat.directory(4, 'book');
SELECT subject FROM chat.directory(4, 'kitch');
SELECT subject FROM chat.directory(4, 'book friday');
SELECT subject FROM chat.directory(4, 'board');
-- two at a time: the cursor of a page's last row is the next page's "after"
SELECT subject, cursor FROM chat.directory(4, page_size => 2);
SELECT cursor AS next FROM chat.directory(4, page_size => 2) OFFSET 1 \gset
SELECT subject FROM chat.directory(4, after => :'next', page_size => 2);
SELECT * FROM chat.directory(4, after => 'no cursor');
-- chat.public_thread shows the same profile to every role
SELECT subject, description FROM chat.public_thread ORDER BY id;

/* ---- search -------------------------------------------------------------------- */

SELECT chat.new_reply(:club, 2, 'Has anyone finished the whale book?') AS m1 \gset
SELECT chat.new_reply(:club, 3, 'The whale book is long, very long') AS m2 \gset
SELECT chat.new_reply(:club, 1, 'Next month: a short book about <b>whales</b> & ships') AS m3 \gset
SELECT chat.new_reply(:board, 1, 'Board only: the whale budget') AS m4 \gset
SELECT chat.new_message(3, '{4}', 'Dinner', 'Whale watching after dinner?') AS m5 \gset
SELECT thread_id AS dinner FROM chat.message WHERE id = :m5 \gset
-- Bob's results: his threads only (not Carol and Dan's dinner), best match first
SELECT subject, sender_id, snippet, rank > 0 AS ranked FROM chat.search(2, 'whale');
-- newest first, and in one thread
SELECT message_id = :m4 AS budget, snippet FROM chat.search(1, 'whale', sort => 'newest');
SELECT snippet FROM chat.search(1, 'whale', in_thread => :board);
-- web-search syntax: "a phrase", or, -excluded; the snippet escapes HTML
SELECT snippet FROM chat.search(1, '"whale book"');
SELECT snippet FROM chat.search(1, 'whale -long', sort => 'newest');
SELECT snippet FROM chat.search(1, 'budget or ships', sort => 'newest');
-- keyset paging: one row a page
SELECT snippet, cursor = rank::text || ':' || message_id AS cursor_is_rank_and_id FROM chat.search(1, 'whale', page_size => 1);
SELECT cursor AS next FROM chat.search(1, 'whale', page_size => 1) \gset
SELECT snippet FROM chat.search(1, 'whale', before => :'next', page_size => 1);
-- an edit is found by its new words only; a deleted message not at all
SELECT chat.edit_message(:m2, 3, 'The whale novel is long');
SELECT count(*) AS by_old_words FROM chat.search(1, 'book long');
SELECT snippet FROM chat.search(1, 'novel');
SELECT chat.delete_message(:m1, 2);
SELECT count(*) AS deleted_found FROM chat.search(2, 'finished');
-- a thread in the viewer's deleted folder is not searched until it comes back
SELECT chat.delete_thread(:board, 1);
SELECT count(*) AS hidden_found FROM chat.search(1, 'budget');
SELECT chat.new_reply(:board, 2, 'Budget approved');
SELECT snippet FROM chat.search(1, 'budget', sort => 'newest');
-- refused
SELECT * FROM chat.search(1, 'whale', in_thread => :dinner);
SELECT * FROM chat.search(1, '   ');
SELECT * FROM chat.search(1, '-whale');
SELECT * FROM chat.search(1, 'whale', sort => 'oldest');
SELECT * FROM chat.search(1, 'whale', sort => 'newest', before => '0.06:5');

/* ---- the configuration ----------------------------------------------------------- */

-- "simple" (the default) keeps every word as written; "english" stems them,
-- and changing the setting re-indexes the messages already written
SELECT count(*) AS whales_with_simple FROM chat.search(1, 'whales');
SELECT chat.set_setting('search_config', '"english"');
SELECT snippet FROM chat.search(1, 'whales', sort => 'newest');
SELECT count(*) AS stop_words_only FROM chat.search(1, 'the');
SELECT chat.set_setting('search_config', '"klingon"');
SELECT chat.set_setting('search_config', NULL);

/* ---- as an end user ----------------------------------------------------------------- */

CREATE ROLE regress_search_dan;
SELECT chat.map_role('regress_search_dan', 4) \g /dev/null
SET ROLE regress_search_dan;
SELECT subject, snippet FROM chat.search(query => 'whale');
SELECT subject, joined FROM chat.directory(query => 'book');
SELECT * FROM chat.search(viewer => 1, query => 'whale');
SELECT chat.set_profile(:club, description => 'taken over');
RESET ROLE;
SELECT chat.unmap_role('regress_search_dan') \g /dev/null
DROP ROLE regress_search_dan;

SELECT count(*) AS drift FROM chat.verify_unread();
