-- bench/proto/lanes/check.sql: exactness of a variant after a run (nothing writing).
--  bad_members:  members whose read_count <> messages with id <= read_id (l: the sender's own are <= its pointer),
--                or (lanes, nv) whose own_after <> own messages with id > read_id
--  bad_counters: l: thread.message_count/last_message_id vs a recount; lanes/nv: each lane's count/last_id
--  violations:   mark_read calls whose horizon h covered a message NOT visible in their snapshot
--                (a message with id <= h that committed later: counted as read although never seen)
--  readers, moved: mark_read calls logged, and how many moved a pointer; lag percentiles (messages past h)
CREATE OR REPLACE FUNCTION proto.check(s text, kind text,
    OUT variant text, OUT messages bigint, OUT bad_members bigint, OUT bad_counters bigint,
    OUT readers bigint, OUT moved bigint, OUT violations bigint, OUT viol_msgs bigint,
    OUT lag_p50 float8, OUT lag_p99 float8, OUT lag_max bigint)
LANGUAGE plpgsql AS $$
BEGIN
  variant := s;
  DROP TABLE IF EXISTS pg_temp.ids;
  EXECUTE format('CREATE TEMP TABLE ids AS SELECT id, sender_id, coalesce(wx, proto.x8(xmin, pg_current_snapshot())) AS x,
                  row_number() OVER (ORDER BY id) AS rn FROM %I.message WHERE thread_id = 1', s);
  CREATE INDEX ON pg_temp.ids (id);
  CREATE INDEX ON pg_temp.ids (x);
  ANALYZE pg_temp.ids;
  SELECT count(*) INTO messages FROM pg_temp.ids;
  EXECUTE format($q$
    SELECT count(*) FROM %I.member mb
      LEFT JOIN LATERAL (SELECT rn FROM pg_temp.ids WHERE id <= mb.read_id ORDER BY id DESC LIMIT 1) c ON true
      LEFT JOIN (SELECT mb2.user_id, count(*) AS n FROM %I.member mb2 JOIN pg_temp.ids i
                   ON i.sender_id = mb2.user_id AND i.id > mb2.read_id GROUP BY 1) o ON o.user_id = mb.user_id
     WHERE mb.read_count <> coalesce(c.rn, 0)
        OR (%L <> 'l' AND mb.own_after <> coalesce(o.n, 0))
        OR (%L = 'l' AND coalesce(o.n, 0) <> 0)$q$, s, s, kind, kind) INTO bad_members;
  IF kind = 'l' THEN
    EXECUTE format('SELECT count(*) FROM %I.thread th WHERE th.message_count <> (SELECT count(*) FROM pg_temp.ids)
                       OR th.last_message_id IS DISTINCT FROM (SELECT max(id) FROM pg_temp.ids)', s) INTO bad_counters;
  ELSE
    EXECUTE format('SELECT count(*) FROM %I.lane l LEFT JOIN (SELECT lane, count(*) n, max(id) mx FROM %I.message
                     GROUP BY lane) c ON c.lane = l.lane
                     WHERE l.message_count <> coalesce(c.n, 0) OR l.last_id <> coalesce(c.mx, 0)', s, s) INTO bad_counters;
  END IF;
  SELECT count(*), count(*) FILTER (WHERE r.moved),
         count(*) FILTER (WHERE v.n > 0), coalesce(sum(v.n), 0),
         percentile_cont(0.5) WITHIN GROUP (ORDER BY r.lag), percentile_cont(0.99) WITHIN GROUP (ORDER BY r.lag), max(r.lag)
    INTO readers, moved, violations, viol_msgs, lag_p50, lag_p99, lag_max
    FROM proto.rlog r,
         LATERAL (SELECT count(*) AS n FROM pg_temp.ids i
                   WHERE i.x >= pg_snapshot_xmin(r.snap) AND i.id <= r.h
                     AND NOT pg_visible_in_snapshot(i.x, r.snap)) v
   WHERE r.variant = s;
END $$;
