-- bench/proto/lanes/l.sql: today's protocol for a large thread (hot-thread.md §4 "l", src/unread.c):
-- the thread row is updated with the id drawn under its lock, the sender's pointer jumps to its message.
CREATE FUNCTION @S@.reply(t bigint, u bigint, body text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE mid bigint; cnt bigint;
BEGIN
  UPDATE @S@.thread SET message_count = message_count + 1, last_message_id = nextval('@S@.message_id_seq'),
         last_sender_id = u, last_sent_at = clock_timestamp(), last_preview = left(body, 100)
   WHERE id = t RETURNING last_message_id, message_count INTO mid, cnt;
  UPDATE @S@.member SET read_id = mid, read_count = cnt, delivered_id = mid, hidden_id = NULL,
         activity_id = mid, message_count = cnt
   WHERE thread_id = t AND user_id = u;
  INSERT INTO @S@.message (thread_id, id, sender_id, content) VALUES (t, mid, u, body);
  RETURN mid;
END $$;
-- mark_read: the thread row as of this statement's snapshot (no FOR SHARE)
CREATE FUNCTION @S@.mark_read(t bigint, u bigint) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE r0 bigint; h bigint; tot bigint; s pg_snapshot; moved boolean := false;
BEGIN
  SELECT m.read_id, coalesce(th.last_message_id, 0), th.message_count, pg_current_snapshot()
    INTO r0, h, tot, s
    FROM @S@.thread th, @S@.member m WHERE th.id = t AND m.thread_id = t AND m.user_id = u;
  IF h > r0 THEN
    UPDATE @S@.member SET read_id = h, read_count = tot, delivered_id = greatest(delivered_id, h),
           seen_id = greatest(seen_id, h), read_at = now()
     WHERE thread_id = t AND user_id = u AND read_id = r0;
    moved := FOUND;
  END IF;
  INSERT INTO proto.rlog (variant, snap, h, newest, total, lag, moved) VALUES ('@S@', s, h, h, tot, 0, moved);
  RETURN h;
END $$;
