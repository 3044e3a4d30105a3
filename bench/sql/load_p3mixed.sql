/*
 * bench/sql/load_p3mixed.sql: P3mixed and P4mixed: one user in
 * p3mixed_rooms rooms of every kind, built through chat's API, set-based (one
 * statement per kind of room, one for all the messages), with varied
 * activity and state:
 *
 *   60 %  direct threads (chat.direct_thread), 0-4 messages (1 in 25 none yet)
 *   20 %  private threads (chat.new_message, half started by the user), 0-3 replies
 *   15 %  groups of 3-20 members (chat.create_group, half owned by the user), 0-6 replies
 *    4 %  groups of 150 members, more than inbox_fanout_limit (100): "large",
 *         a quarter owned by the user, 2-15 replies
 *    1 %  channels of 200 members ("large"), one in 10 owned by the user
 *         (else the user is a plain member and only the owner posts), 1-10 posts
 *
 * Groups and channels start with their "created" system message.  The
 * replies (chat.new_reply, about 2.6 per room) go out in one random order
 * across all rooms, so the inbox order mixes the kinds; 30 % of the replies
 * in rooms where the user may post are the user's own.  Afterwards the user
 * reads 40 % of the rooms (chat.mark_read), mutes 5 %, archives 1 % and
 * deletes 1 % (rooms with messages).  Rooms per kind and their posters are
 * in bench.p3mixed.
 *
 * Each room gets at most 16 messages in the one transaction of the replies,
 * so the row-version chains of bench/README.md (thousands of updates of one
 * row in one transaction) do not arise.
 *
 * psql variables: p3mixed_viewer p3mixed_rooms.  Users: the viewer, then blocks of
 * user ids after it, one block per kind (computed below).
 */
\set ON_ERROR_STOP on
SET synchronous_commit = off;
SELECT setseed(0.17);

CREATE TABLE bench.p3mixed (
    thread_id bigint PRIMARY KEY,
    kind      text NOT NULL,
    poster    chat.user_id NOT NULL,  -- a member other than the viewer who may post (the viewer if none)
    v_posts   boolean NOT NULL,       -- may the viewer post?
    replies   integer NOT NULL,       -- replies to send after creation
    h         double precision NOT NULL DEFAULT random()  -- picks the rooms read, muted, archived, deleted
);

/* how many rooms of each kind, and the first user id of each kind's block */
SELECT :p3mixed_rooms * 60 / 100 AS nd, :p3mixed_rooms * 20 / 100 AS np, :p3mixed_rooms * 15 / 100 AS ns,
       :p3mixed_rooms * 4 / 100 AS nl,
       :p3mixed_rooms - :p3mixed_rooms * 60 / 100 - :p3mixed_rooms * 20 / 100 - :p3mixed_rooms * 15 / 100
                  - :p3mixed_rooms * 4 / 100 AS nc
\gset
SELECT :p3mixed_viewer AS base_d, :p3mixed_viewer + :nd AS base_p, :p3mixed_viewer + :nd + :np AS base_s,
       :p3mixed_viewer + :nd + :np + 20 * (:ns + 1) AS base_l,
       :p3mixed_viewer + :nd + :np + 20 * (:ns + 1) + 150 * (:nl + 1) AS base_c
\gset

/* chat's thread ids come from its sequence; the rows loaded directly before
   (load.sql, load_p5.sql) set their ids themselves */
SELECT setval('chat.thread_id_seq', (SELECT max(id) FROM chat.thread));

/* direct threads: user k's, created by either side */
INSERT INTO bench.p3mixed (thread_id, kind, poster, v_posts, replies)
SELECT chat.direct_thread(user_a => CASE WHEN k % 2 = 0 THEN :p3mixed_viewer ELSE :base_d + k END,
                          user_b => CASE WHEN k % 2 = 0 THEN :base_d + k ELSE :p3mixed_viewer END),
       'direct', :base_d + k, true,
       CASE WHEN k % 25 = 0 THEN 0 ELSE 1 + (k * 7919) % 4 END
  FROM generate_series(1, :nd) k;

/* private threads with one other user: the first message, half by the
   viewer; new_message returns the message (its thread is looked up in a
   second statement, whose snapshot sees the new rows) */
CREATE TEMP TABLE p3mixed_private AS
SELECT k, chat.new_message(sender => CASE WHEN k % 2 = 0 THEN :p3mixed_viewer ELSE :base_p + k END,
                           recipients => ARRAY[CASE WHEN k % 2 = 0 THEN :base_p + k ELSE :p3mixed_viewer END]::chat.user_id[],
                           subject => 'p3m private thread ' || k,
                           content => 'first message of private thread ' || k) AS mid
  FROM generate_series(1, :np) k;
INSERT INTO bench.p3mixed (thread_id, kind, poster, v_posts, replies)
SELECT m.thread_id, 'private', :base_p + s.k, true, (s.k * 7919) % 4
  FROM p3mixed_private s JOIN chat.message m ON m.id = s.mid;

/* small groups: 3-20 members with the viewer, half created by the viewer */
INSERT INTO bench.p3mixed (thread_id, kind, poster, v_posts, replies)
SELECT chat.create_group(creator => CASE WHEN g % 2 = 0 THEN :p3mixed_viewer ELSE :base_s + 20 * g + 1 END,
                         title => 'p3m small group ' || g,
                         members => ARRAY[:p3mixed_viewer]::chat.user_id[]
                                    || ARRAY(SELECT (:base_s + 20 * g + i)::chat.user_id
                                               FROM generate_series(1, 2 + (g * 7) % 18) i)),
       'group', :base_s + 20 * g + 1, true, (g * 7919) % 7
  FROM generate_series(1, :ns) g;

/* large groups: 150 members, a quarter created by the viewer */
INSERT INTO bench.p3mixed (thread_id, kind, poster, v_posts, replies)
SELECT chat.create_group(creator => CASE WHEN g % 4 = 0 THEN :p3mixed_viewer ELSE :base_l + 150 * g + 1 END,
                         title => 'p3m large group ' || g,
                         members => ARRAY[:p3mixed_viewer]::chat.user_id[]
                                    || ARRAY(SELECT (:base_l + 150 * g + i)::chat.user_id
                                               FROM generate_series(1, 149) i)),
       'large group', :base_l + 150 * g + 1, true, 2 + (g * 7919) % 14
  FROM generate_series(1, :nl) g;

/* channels: 200 members; the owner posts (the viewer in one channel of 10) */
INSERT INTO bench.p3mixed (thread_id, kind, poster, v_posts, replies)
SELECT chat.create_channel(creator => CASE WHEN c % 10 = 0 THEN :p3mixed_viewer ELSE :base_c + 200 * c + 1 END,
                           title => 'p3m channel ' || c,
                           members => ARRAY[:p3mixed_viewer]::chat.user_id[]
                                      || ARRAY(SELECT (:base_c + 200 * c + i)::chat.user_id
                                                 FROM generate_series(1, 199) i)),
       'channel', CASE WHEN c % 10 = 0 THEN :p3mixed_viewer ELSE :base_c + 200 * c + 1 END, c % 10 = 0,
       1 + (c * 7919) % 10
  FROM generate_series(1, :nc) c;

/* the replies, in one random order across all rooms */
SELECT count(chat.new_reply(thread_id => s.thread_id, sender => s.sender,
                            content => 'reply ' || s.j || ' in a ' || s.kind || ', some words to look like a chat line'))
  FROM (SELECT r.thread_id, r.kind, j,
               CASE WHEN r.v_posts AND random() < 0.3 THEN :p3mixed_viewer ELSE r.poster END AS sender
          FROM bench.p3mixed r, generate_series(1, r.replies) j
         ORDER BY random()
        OFFSET 0) s;

/* the viewer's state: read, muted, archived, deleted */
SELECT count(chat.mark_read(thread_id => r.thread_id, reader => :p3mixed_viewer))
  FROM bench.p3mixed r WHERE r.h < 0.40;
SELECT count(chat.mute(thread_id => r.thread_id, "user" => :p3mixed_viewer))
  FROM bench.p3mixed r WHERE r.h >= 0.40 AND r.h < 0.45;
SELECT count(chat.archive_thread(thread_id => r.thread_id, actor => :p3mixed_viewer))
  FROM bench.p3mixed r WHERE r.h >= 0.45 AND r.h < 0.46;
SELECT count(chat.delete_thread(thread_id => r.thread_id, actor => :p3mixed_viewer))
  FROM bench.p3mixed r JOIN chat.thread t ON t.id = r.thread_id
 WHERE r.h >= 0.46 AND r.h < 0.47 AND t.message_count > 0;
