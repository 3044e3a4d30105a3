/*
 * bench/sql/load_p2.sql: the P2 group, in run.sh's second database (see
 * run.sh: the P2 rooms are kept apart so that chat.verify_unread() of the
 * main database does not recount them member by member).
 *
 * With chat's room API (0.3: api = true) the group is built the way an
 * application builds it: chat.create_group by its first user, who becomes
 * owner, then chat.add_members by that owner in batches of 1,000 users, one
 * transaction each (each batch posts one "added" system message).  New
 * members start with every earlier message read.  Without the API (chat 0.2
 * and earlier) the thread and member rows are inserted directly, as before.
 * Either way the group has more members than inbox_fanout_limit: a "large"
 * thread, where a reply writes the thread row and the sender's member row only.
 *
 * psql variables: api p2_base p2_members p2_thread (the id when built from rows)
 * Users p2_base+1 (owner) .. p2_base+p2_members.  The thread id is recorded in
 * bench.room as 'p2'.
 */
\set ON_ERROR_STOP on
SET synchronous_commit = off;

\if :api
INSERT INTO bench.room (name, thread_id)
SELECT 'p2', chat.create_group(creator => :p2_base + 1, title => 'p2 group');

SELECT format('SELECT chat.add_members(thread_id => %s, actor => %s, users => ARRAY(SELECT (%s + i)::chat.user_id FROM generate_series(%s, %s) i))',
              r.thread_id, :p2_base + 1, :p2_base, b * 1000 + 2, least(b * 1000 + 1001, :p2_members))
  FROM bench.room r, generate_series(0, (:p2_members - 2) / 1000) b
 WHERE r.name = 'p2'
 ORDER BY b
\gexec
\else
INSERT INTO chat.thread (id, kind, subject, created_by)
VALUES (:p2_thread, 'group', 'p2 group', :p2_base + 1);

INSERT INTO chat.member (thread_id, user_id, role)
VALUES (:p2_thread, :p2_base + 1, 'owner');
INSERT INTO chat.member (thread_id, user_id, role)
SELECT :p2_thread, :p2_base + i, 'member' FROM generate_series(2, :p2_members) i;

INSERT INTO chat.message (thread_id, sender_id, content)
VALUES (:p2_thread, :p2_base + 1, 'welcome to the group');

INSERT INTO bench.room (name, thread_id) VALUES ('p2', :p2_thread);
\endif
