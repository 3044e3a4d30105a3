/*
 * bench/sql/load_p5.sql: the P5 thread, a 2-person private thread with
 * p5_messages messages, all from user A, none read by user B.
 *
 * The messages go through the message trigger in batches of 50, one
 * transaction each: the trigger updates the thread row and both member rows
 * per message, and thousands of updates of the same rows inside ONE
 * transaction make PostgreSQL walk ever longer chains of row versions
 * (measured: 50,000 messages into one thread in one INSERT ... SELECT took
 * 7 minutes; in batches of 50 it takes seconds).
 *
 * psql variables: p5_thread p5_sender p5_reader p5_messages
 */
\set ON_ERROR_STOP on
SET synchronous_commit = off;

INSERT INTO chat.thread (id, kind, subject, created_by)
VALUES (:p5_thread, 'private', 'p5 thread', :p5_sender);

INSERT INTO chat.member (thread_id, user_id, role)
VALUES (:p5_thread, :p5_sender, 'owner'), (:p5_thread, :p5_reader, 'member');

SELECT format('INSERT INTO chat.message (thread_id, sender_id, content) '
              'SELECT %s, %s, ''p5 message '' || i FROM generate_series(%s, %s) i',
              :p5_thread, :p5_sender, b * 50 + 1, least(b * 50 + 50, :p5_messages))
  FROM generate_series(0, (:p5_messages - 1) / 50) b
\gexec
