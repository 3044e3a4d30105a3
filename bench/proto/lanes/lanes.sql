-- bench/proto/lanes/lanes.sql: "lanes" in schema @S@ with @K@ lane rows; @NAIVE@ = true makes the
-- negative control nv (same writers, the reader ignores in-flight lanes and takes the newest visible id).
CREATE TABLE @S@.lane (
    thread_id bigint NOT NULL, lane integer NOT NULL,
    message_count bigint NOT NULL DEFAULT 0,   -- messages written through this lane
    last_id bigint NOT NULL DEFAULT 0,         -- id of the newest of them (not indexed: HOT)
    PRIMARY KEY (thread_id, lane));
INSERT INTO @S@.lane (thread_id, lane) SELECT 1, j FROM generate_series(0, @K@ - 1) j;

-- reply: lock a lane FIRST (skipping locked ones, starting at @START@), THEN draw the id, then write.
-- The thread row is not written; the sender's member row gets own_after + 1 (no indexed column: HOT).
CREATE FUNCTION @S@.reply(t bigint, u bigint, body text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE j integer; mid bigint; s integer := @START@;
BEGIN
  SELECT l.lane INTO j FROM @S@.lane l WHERE l.thread_id = t
   ORDER BY (l.lane - s + @K@) % @K@ LIMIT 1 FOR NO KEY UPDATE SKIP LOCKED;
  IF j IS NULL THEN                        -- all K lanes busy: wait for our own
    SELECT l.lane INTO j FROM @S@.lane l WHERE l.thread_id = t AND l.lane = s FOR NO KEY UPDATE;
  END IF;
  mid := nextval('@S@.message_id_seq');    -- drawn while holding lane j's lock
  UPDATE @S@.lane SET message_count = message_count + 1, last_id = mid WHERE thread_id = t AND lane = j;
  UPDATE @S@.member SET own_after = own_after + 1, hidden_id = NULL WHERE thread_id = t AND user_id = u;
  IF NOT FOUND THEN RAISE EXCEPTION 'not a member'; END IF;
  INSERT INTO @S@.message (thread_id, id, sender_id, content, lane) VALUES (t, mid, u, body, j);
  RETURN mid;
END $$;

-- mark_read: one statement (one snapshot) reads the K lanes with their xmax, the member row and the tail.
--   in flight(j) = xmax of lane j's visible version <> 0 and, by default, xmax >= the snapshot's xmin
--                  (variant suffix s: xmax not completed in the snapshot, pg_visible_in_snapshot: blind to
--                   subtransaction xids, whose top-level xid alone is in the snapshot's xip)
--   h = min(last_id of in-flight lanes), or max(last_id) when none is in flight
--   read_count := total - count(visible, id > h)          (= messages with id <= h: all resolved)
--   own_after  := own_after - (own_after_seen - own visible with id > h)
-- then one guarded UPDATE of the member row; no lock on any lane, no wait.
CREATE FUNCTION @S@.mark_read(t bigint, u bigint) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE r0 bigint; oa bigint; h bigint; tot bigint; newest bigint; above bigint; own_above bigint;
        s pg_snapshot; moved boolean := false;
BEGIN
  WITH sn AS (SELECT pg_current_snapshot() AS s),
       ln AS (SELECT l.message_count, l.last_id,
                     l.xmax <> '0'::xid AND @BUSY@ AS busy
                FROM @S@.lane l, sn WHERE l.thread_id = t),
       hz AS (SELECT sum(message_count) AS tot, max(last_id) AS newest,
                     CASE WHEN @NAIVE@ THEN max(last_id)
                          ELSE coalesce(min(last_id) FILTER (WHERE busy), max(last_id)) END AS h
                FROM ln)
  SELECT m.read_id, m.own_after, hz.h, hz.tot, hz.newest, sn.s,
         (SELECT count(*) FROM @S@.message x WHERE x.thread_id = t AND x.id > hz.h),
         (SELECT count(*) FROM @S@.message x WHERE x.thread_id = t AND x.id > hz.h AND x.sender_id = u)
    INTO r0, oa, h, tot, newest, s, above, own_above
    FROM hz, sn, @S@.member m WHERE m.thread_id = t AND m.user_id = u;
  IF h > r0 THEN
    UPDATE @S@.member SET read_id = h, read_count = tot - above, own_after = own_after - (oa - own_above),
           delivered_id = greatest(delivered_id, h), seen_id = greatest(seen_id, h), read_at = now()
     WHERE thread_id = t AND user_id = u AND read_id = r0;
    moved := FOUND;
  END IF;
  INSERT INTO proto.rlog (variant, snap, h, newest, total, lag, moved) VALUES ('@S@', s, h, newest, tot, above, moved);
  RETURN h;
END $$;
