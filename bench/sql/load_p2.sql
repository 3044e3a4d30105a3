/*
 * bench/sql/load_p2.sql: the P2 group, in database bench_p2 (kept apart so
 * that chat.verify_unread() of database bench does not recount it member by
 * member; bench/sql/check.sql).
 *
 * Built the way an application builds it: chat.create_group by its first
 * user, who becomes owner, then chat.add_members by that owner in batches of
 * 1,000 users, one transaction each (each batch posts one "added" system
 * message; new members start with every earlier message read).  More members
 * than inbox_fanout_limit: a "large" thread, where a reply writes the thread
 * row and the sender's member row only.
 *
 * psql variables: p2_base p2_members.  Users p2_base+1 (owner) ..
 * p2_base+p2_members.  The thread id is recorded in bench.room as 'p2'.
 */
\set ON_ERROR_STOP on
SET synchronous_commit = off;

INSERT INTO bench.room (name, thread_id)
SELECT 'p2', chat.create_group(creator => :p2_base + 1, title => 'p2 group');

SELECT format('SELECT chat.add_members(thread_id => %s, actor => %s, users => ARRAY(SELECT (%s + i)::chat.user_id FROM generate_series(%s, %s) i))',
              r.thread_id, :p2_base + 1, :p2_base, b * 1000 + 2, least(b * 1000 + 1001, :p2_members))
  FROM bench.room r, generate_series(0, (:p2_members - 2) / 1000) b
 WHERE r.name = 'p2'
 ORDER BY b
\gexec
