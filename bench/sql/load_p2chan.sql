/*
 * bench/sql/load_p2chan.sql: the P2chan channel, in database bench_p2:
 * chat.create_channel by its owner, chat.add_members by the owner in batches
 * of 1,000 users (one transaction each), then the owner makes a few members
 * admins with chat.set_role.  Only the owner and the admins may post in a
 * channel; the P2chan run picks its sender among them.
 *
 * psql variables: p2chan_base p2chan_members p2chan_admins.  Users
 * p2chan_base+1 (owner), p2chan_base+2 .. p2chan_base+1+p2chan_admins
 * (admins), the rest up to p2chan_base+p2chan_members plain members.  The
 * thread id is recorded in bench.room as 'p2chan'.
 */
\set ON_ERROR_STOP on
SET synchronous_commit = off;

INSERT INTO bench.room (name, thread_id)
SELECT 'p2chan', chat.create_channel(creator => :p2chan_base + 1, title => 'p2 channel');

SELECT format('SELECT chat.add_members(thread_id => %s, actor => %s, users => ARRAY(SELECT (%s + i)::chat.user_id FROM generate_series(%s, %s) i))',
              r.thread_id, :p2chan_base + 1, :p2chan_base, b * 1000 + 2, least(b * 1000 + 1001, :p2chan_members))
  FROM bench.room r, generate_series(0, (:p2chan_members - 2) / 1000) b
 WHERE r.name = 'p2chan'
 ORDER BY b
\gexec

SELECT chat.set_role(thread_id => r.thread_id, actor => :p2chan_base + 1, member => :p2chan_base + 1 + i, role => 'admin')
  FROM bench.room r, generate_series(1, :p2chan_admins) i
 WHERE r.name = 'p2chan';
