-- A small demo conversation for scripts/run.sh: Alice (1), Bob (2), Carol (3), Dan (4).
\set ON_ERROR_STOP on
\o /dev/null
SELECT chat.new_message(sender => 1, recipients => '{2,3}', subject => 'Friday lunch',
                        content => 'Pizza at noon on Friday?') AS lunch \gset
SELECT chat.new_reply(thread_id => 1, sender => 2, content => 'Yes, count me in.');
SELECT chat.new_reply(1, 3, 'Same here. The place by the station?', parent_id => :lunch);
SELECT chat.new_message(4, '{2}', 'Release 1.2', 'The build is green, can you tag it?');
SELECT chat.new_message(2, '{1}', 'Keys', 'I left the office keys on your desk.');
SELECT chat.mark_read(2, 2);                       -- Bob reads Dan's thread
SELECT chat.edit_message(:lunch, 1, 'Pizza at noon on Friday? My treat.');
\o
