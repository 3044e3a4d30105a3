-- test/memcheck/workload.sql: what test/memcheck/run.sh runs in a single-user backend under
-- valgrind's memcheck, one statement per line: replies with and without mentions in two-person
-- threads and a large one (the direct writes of src/fanout.c, src/send.c, src/events.c,
-- src/unread.c), indexes made and dropped and ANALYZE between replies (the index information
-- src/direct.c keeps, built again after an invalidation), the extension dropped and made again
-- (new tables, the kept information replaced).  The last line's count must be 0.
create extension chat
select chat.set_setting('notify','false')
select chat.direct_thread(g, g + 100) from generate_series(1, 20) g
select chat.new_reply(t, t, 'hello ' || t) from generate_series(1, 20) t
create index member_x on chat.member (user_id, message_count) where not muted
select chat.new_reply(t, t + 100, 'hello @{' || t || '}', mentions => array[t]) from generate_series(1, 20) t
analyze chat.member
select chat.set_setting('inbox_fanout_limit', '2')
select chat.new_message(1, array[2,3,4], 'large', 'hi')
select chat.new_reply((select id from chat.thread where subject = 'large'), 2, 'r ' || g) from generate_series(1, 5) g
drop index chat.member_x
select chat.new_reply(t, t, 'again') from generate_series(1, 20) t
drop extension chat
create extension chat
select chat.direct_thread(g, g + 100) from generate_series(1, 5) g
select chat.new_reply(t, t, 'x') from generate_series(1, 5) t
drop extension chat
create extension chat
select chat.direct_thread(g, g + 100) from generate_series(1, 5) g
select chat.new_reply(t, t, 'y') from generate_series(1, 5) t
select count(*) from chat.verify_unread()
