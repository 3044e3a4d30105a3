/*
 * bench/sql/load_s.sql: S1-S4 (chat 0.4, the cost of the security layer):
 * two more rooms for the P3 user, built through chat's API, loaded after the
 * P3/P4 runs (so those measure the data set they always did) and never
 * copied into the seed tables.
 *
 *   s_thread  a direct thread between the P3 user and user s_base + 1 with
 *             s_messages messages (new_reply, alternating senders), in
 *             batches of 50, one transaction each (see load_p5.sql)
 *   s_group   a group of s_members members: owner s_base + 2, the P3 user
 *             and users s_base + 3 .., added by the owner in batches of
 *             1,000 (more than inbox_fanout_limit: "large"), then
 *             s_group_messages replies by random members, in batches of 50
 *
 * Both end up on the P3 user's first inbox page.  The thread ids are in
 * bench.room as 's_thread' and 's_group'.
 *
 * psql variables: s_viewer s_base s_messages s_members s_group_messages
 */
\set ON_ERROR_STOP on
SET synchronous_commit = off;
SELECT setseed(0.23);

-- the loaders insert threads with ids of their own: new ones come after them
SELECT setval('chat.thread_id_seq', (SELECT max(id) FROM chat.thread));

INSERT INTO bench.room (name, thread_id)
SELECT 's_thread', chat.direct_thread(user_a => :s_viewer, user_b => :s_base + 1);

SELECT format('SELECT count(chat.new_reply(thread_id => %s, sender => CASE WHEN i %% 2 = 0 THEN %s ELSE %s END, '
              'content => ''s message '' || i || '', about as long as a typical chat line'')) '
              'FROM generate_series(%s, %s) i',
              r.thread_id, :s_viewer, :s_base + 1, b * 50 + 1, least(b * 50 + 50, :s_messages))
  FROM bench.room r, generate_series(0, (:s_messages - 1) / 50) b
 WHERE r.name = 's_thread'
 ORDER BY b
\gexec

INSERT INTO bench.room (name, thread_id)
SELECT 's_group', chat.create_group(creator => :s_base + 2, title => 's group',
                                    members => ARRAY[:s_viewer]::chat.user_id[]);

SELECT format('SELECT chat.add_members(thread_id => %s, actor => %s, users => ARRAY(SELECT (%s + i)::chat.user_id FROM generate_series(%s, %s) i))',
              r.thread_id, :s_base + 2, :s_base, b * 1000 + 3, least(b * 1000 + 1002, :s_members))
  FROM bench.room r, generate_series(0, (:s_members - 3) / 1000) b
 WHERE r.name = 's_group'
 ORDER BY b
\gexec

SELECT format('SELECT count(chat.new_reply(thread_id => %s, sender => %s + 2 + (random() * (%s - 2))::int, '
              'content => ''s group message '' || i)) FROM generate_series(%s, %s) i',
              r.thread_id, :s_base, :s_members, b * 50 + 1, least(b * 50 + 50, :s_group_messages))
  FROM bench.room r, generate_series(0, (:s_group_messages - 1) / 50) b
 WHERE r.name = 's_group'
 ORDER BY b
\gexec
