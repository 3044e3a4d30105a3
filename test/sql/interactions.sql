-- Receipts, reactions, attachments, reply-to and forwarding (SPEC §4.3)
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS chat CASCADE;
CREATE EXTENSION chat;
\set VERBOSITY terse
SELECT chat.set_setting('notify', 'false');

-- events of the hooks, kept in a table
CREATE TABLE public.seen_events (n serial, e jsonb);
CREATE FUNCTION public.keep_event(e jsonb) RETURNS void
    LANGUAGE sql AS $$ INSERT INTO public.seen_events (e) VALUES (e) $$;
SELECT chat.add_hook(ev, 'public.keep_event(jsonb)')
  FROM unnest(ARRAY['reaction_added', 'reaction_removed', 'message_sent']) ev;

-- Alice (1) writes to Bob (2) and Carol (3)
SELECT chat.new_message(1, '{2,3}', 'Lunch', 'pizza?') AS m1 \gset
SELECT thread_id AS t1 FROM chat.message WHERE id = :m1 \gset

---------------------------------------------------------------------------
-- Receipts: derived from the members' pointers
---------------------------------------------------------------------------
SELECT * FROM chat.receipts(:m1, 1);
SELECT chat.mark_delivered(2, :t1) AS delivered;
SELECT user_id, status, at IS NOT NULL AS has_time FROM chat.receipts(:m1, 1);
SELECT chat.mark_read(:t1, 3) AS read;
SELECT user_id, status, at IS NOT NULL AS has_time FROM chat.receipts(:m1, 2);
-- replying moves Bob's read pointer: seen, but without a time of its own
SELECT chat.new_reply(:t1, 2, 'yes!') AS m2 \gset
SELECT user_id, status, at IS NOT NULL AS has_time FROM chat.receipts(:m1, 1);
SELECT user_id, status FROM chat.receipts(:m2, 2);
-- the view presents them row by row; no receipt of one's own message
SELECT message_id = :m1 AS is_m1, user_id, status FROM chat.message_receipt
 WHERE message_id IN (:m1, :m2) ORDER BY message_id, user_id;
-- seen_count follows the same rule
SELECT id = :m1 AS is_m1, sender_id, seen_count FROM chat.messages(:t1, 1);
-- mark_unread moves the read pointer back, but a seen receipt stays seen
SELECT chat.mark_unread(:t1, 3, :m1) AS unread;
SELECT unread_count FROM chat.inbox(3);
SELECT user_id, status FROM chat.receipts(:m1, 1);
SELECT id = :m1 AS is_m1, seen_count FROM chat.messages(:t1, 1);
-- mark_read moves the read pointer forward again; m2 was seen all along
SELECT chat.mark_read(:t1, 3, :m1) AS read;
SELECT user_id, status FROM chat.receipts(:m2, 2);
-- errors
SELECT * FROM chat.receipts(:m1, 9);
SELECT * FROM chat.receipts(999999, 1);
SELECT * FROM chat.receipts(NULL, 1);

---------------------------------------------------------------------------
-- Reactions
---------------------------------------------------------------------------
SELECT chat.add_reaction(:m1, 2, '👍') AS added;
SELECT chat.add_reaction(:m1, 2, '👍') AS added_again;
SELECT chat.add_reaction(:m1, 3, '🍕') AS added;
SELECT chat.add_reaction(:m1, 3, '👍') AS added;
SELECT * FROM chat.reactions(:m1, 3);
SELECT chat.toggle_reaction(:m1, 3, '👍') AS now_present;
SELECT chat.toggle_reaction(:m1, 1, '👍') AS now_present;
SELECT * FROM chat.reactions(:m1, 2);
SELECT chat.remove_reaction(:m1, 1, '👍') AS removed;
SELECT chat.remove_reaction(:m1, 1, '👍') AS removed_again;
SELECT id = :m1 AS is_m1, reactions FROM chat.messages(:t1, 2);
-- any short text by default; blank, too long, NULL, non-members
SELECT chat.add_reaction(:m1, 2, 'lol') AS added;
SELECT chat.add_reaction(:m1, 2, '  ');
SELECT chat.add_reaction(:m1, 2, repeat('x', 33));
SELECT chat.add_reaction(:m1, 2, NULL);
SELECT chat.add_reaction(:m1, 9, 'hi');
SELECT chat.add_reaction(999999, 2, 'hi');
-- "emoji": exactly one emoji
SELECT chat.set_setting('reactions', '"emoji"');
SELECT chat.add_reaction(:m1, 2, '👨‍👩‍👧') AS family;
SELECT chat.add_reaction(:m1, 2, '🇫🇷') AS flag;
SELECT chat.add_reaction(:m1, 2, 'ok');
SELECT chat.add_reaction(:m1, 2, '👍👍');
-- a preset list
SELECT chat.set_setting('reactions', '["👍", "❤️", "+1"]');
SELECT chat.add_reaction(:m1, 2, '+1') AS added;
SELECT chat.add_reaction(:m1, 2, 'lol');
-- removing is always possible, whatever the setting says now
SELECT chat.remove_reaction(:m1, 2, 'lol') AS removed;
SELECT chat.set_setting('reactions', '"nope"');
SELECT chat.set_setting('reactions', '[]');
SELECT chat.set_setting('reactions', '["a", "a"]');
SELECT chat.set_setting('reactions', '["a", " "]');
SELECT chat.set_setting('reactions', NULL);
SELECT chat.set_setting('max_reaction_length', '3');
SELECT chat.add_reaction(:m1, 2, 'abcd');
SELECT chat.set_setting('max_reaction_length', NULL);
-- editing keeps reactions
SELECT chat.edit_message(:m1, 1, 'pizza at noon?') = :m1 AS edited;
SELECT id = :m1 AS is_m1, content, reactions FROM chat.messages(:t1, 2) WHERE id = :m1;
-- events
SELECT e->>'event' AS event, e->>'message_id' = :'m1' AS is_m1, e->>'user_id' AS user_id, e->>'reaction' AS reaction
  FROM seen_events WHERE e->>'event' LIKE 'reaction%' ORDER BY n;

---------------------------------------------------------------------------
-- Attachments
---------------------------------------------------------------------------
SELECT chat.new_reply(:t1, 1, 'the menu',
                      attachments => '[{"key": "s3://menus/1.pdf", "name": "menu.pdf", "mime": "application/pdf", "size": 52000},
                                       {"key": "s3://menus/2.png", "mime": "image/png", "meta": {"width": 800, "height": 600}}]') AS m3 \gset
SELECT id = :m3 AS is_m3, content, attachments FROM chat.messages(:t1, 2) WHERE id = :m3;
SELECT position, key, name, mime, size, meta FROM chat.attachment WHERE message_id = :m3 ORDER BY position;
-- a message of attachments only (new_message)
SELECT chat.new_message(2, '{1}', 'Photo', NULL, '[{"key": "k/photo.jpg", "mime": "image/jpeg", "size": 1}]') AS m4 \gset
SELECT content IS NULL AS no_content, jsonb_array_length(attachments) AS files
  FROM chat.messages((SELECT thread_id FROM chat.message WHERE id = :m4), 1);
SELECT last_preview IS NULL AS no_preview FROM chat.inbox(1) WHERE last_message_id = :m4;
-- NULL content needs attachments
SELECT chat.new_message(2, '{1}', 'Nothing', NULL);
SELECT chat.new_message(2, '{1}', 'Nothing', NULL, '[]');
-- malformed attachments name the field
SELECT chat.new_message(2, '{1}', 'Bad', 'x', '{"key": "k"}');
SELECT chat.new_message(2, '{1}', 'Bad', 'x', '["k"]');
SELECT chat.new_message(2, '{1}', 'Bad', 'x', '[{"name": "a"}]');
SELECT chat.new_message(2, '{1}', 'Bad', 'x', '[{"key": "k"}, {"key": "k", "size": "big"}]');
SELECT chat.new_message(2, '{1}', 'Bad', 'x', '[{"key": "k", "size": -1}]');
SELECT chat.new_message(2, '{1}', 'Bad', 'x', '[{"key": "k", "size": 1.5}]');
SELECT chat.new_message(2, '{1}', 'Bad', 'x', '[{"key": "k", "mime": "png"}]');
SELECT chat.new_message(2, '{1}', 'Bad', 'x', '[{"key": "k", "meta": [1]}]');
SELECT chat.new_message(2, '{1}', 'Bad', 'x', '[{"key": "k", "url": "http://x"}]');
SELECT chat.new_reply(:t1, 2, 'x', attachments => '[{"key": " "}]');
-- limits: count, MIME types, size
SELECT chat.set_setting('max_attachments', '2');
SELECT chat.new_reply(:t1, 2, 'x', attachments => '[{"key": "a"}, {"key": "b"}, {"key": "c"}]');
SELECT chat.set_setting('attachment_mime_types', '["image/*", "application/pdf"]');
SELECT chat.new_reply(:t1, 2, 'x', attachments => '[{"key": "a", "mime": "video/mp4"}]');
SELECT chat.new_reply(:t1, 2, 'x', attachments => '[{"key": "a"}]');
SELECT chat.new_reply(:t1, 2, 'ok', attachments => '[{"key": "a", "mime": "IMAGE/GIF"}]') > 0 AS sent;
SELECT chat.set_setting('attachment_mime_types', '["image"]');
SELECT chat.set_setting('max_attachment_size', '1000');
SELECT chat.new_reply(:t1, 2, 'x', attachments => '[{"key": "a", "mime": "image/png", "size": 1001}]');
SELECT chat.new_reply(:t1, 2, 'x', attachments => '[{"key": "a", "mime": "image/png"}]');
SELECT chat.set_setting(k, NULL) FROM unnest(ARRAY['max_attachments', 'attachment_mime_types', 'max_attachment_size']) k;
SELECT count(*) AS attachments FROM chat.attachment;

---------------------------------------------------------------------------
-- Deleting hides content, attachments and reactions; receipts stay
---------------------------------------------------------------------------
SELECT chat.add_reaction(:m3, 2, '👍') AS added;
SELECT chat.mark_read(:t1, 3) > 0 AS read;
SELECT chat.delete_message(:m3, 1);
SELECT content, deleted, reactions, attachments, seen_count FROM chat.messages(:t1, 2) WHERE id = :m3;
SELECT * FROM chat.reactions(:m3, 2);
SELECT user_id, status FROM chat.receipts(:m3, 1);
SELECT chat.add_reaction(:m3, 2, '❤️');
SELECT chat.toggle_reaction(:m3, 2, '👍');

---------------------------------------------------------------------------
-- Reply-to and forwarding
---------------------------------------------------------------------------
SELECT chat.new_reply(:t1, 3, 'which place?', parent_id => :m1) AS m5 \gset
SELECT parent_id = :m1 AS replies_to_m1 FROM chat.messages(:t1, 1) WHERE id = :m5;
SELECT chat.new_reply(:t1, 3, 'wrong thread', parent_id => :m4);
-- Bob forwards the menu to Dan (4) with a comment, which follows as its own message
SELECT chat.new_message(2, '{4}', 'Food', 'hungry?') AS d1 \gset
SELECT thread_id AS t2 FROM chat.message WHERE id = :d1 \gset
SELECT chat.new_reply(:t1, 1, 'menu again', attachments => '[{"key": "s3://menus/3.pdf", "name": "m.pdf"}]') AS m6 \gset
SELECT chat.forward_message(:m6, :t2, 2, 'look at this') AS f1 \gset
SELECT id = :f1 AS is_copy, sender_id, content, forwarded_from = :m6 AS from_m6, parent_id, attachments
  FROM chat.messages(:t2, 4) WHERE id > :d1 ORDER BY id;
SELECT e->>'user_id' AS user_id, e->'reply' AS reply, e->>'forwarded_from' = :'m6' AS forwarded
  FROM seen_events WHERE e->>'event' = 'message_sent' AND e->>'message_id' = :'f1';
SELECT unread_count FROM chat.inbox(4) WHERE thread_id = :t2;
-- a forward is not a reply
UPDATE chat.message SET parent_id = :d1 WHERE id = :f1;
-- refusals: a deleted source, a source the actor cannot read, a target they are not in
SELECT chat.forward_message(:m3, :t2, 2);
SELECT chat.forward_message(:d1, :t1, 3);
SELECT chat.forward_message(:m1, :t2, 3);
SELECT chat.forward_message(:m1, 999999, 2);
SELECT chat.forward_message(:m1, :t2, 2, ' ');
SELECT count(*) AS messages_in_t2 FROM chat.message WHERE thread_id = :t2;

SELECT * FROM chat.verify_unread();
