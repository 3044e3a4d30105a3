-- bench/proto/lanes/bare.sql: the reference, one row into a table with one index
DROP SCHEMA IF EXISTS bare CASCADE;
CREATE SCHEMA bare;
CREATE TABLE bare.message (id bigserial PRIMARY KEY, thread_id bigint, sender_id bigint, content text,
                           sent_at timestamptz DEFAULT now());
CREATE FUNCTION bare.reply(t bigint, u bigint, body text) RETURNS bigint LANGUAGE sql AS $$
  INSERT INTO bare.message (thread_id, sender_id, content) VALUES (t, u, body) RETURNING id $$;
-- the reader of the bare slices: one durable row update at the same rate as the others' mark_read
CREATE TABLE bare.reader (u bigint PRIMARY KEY, n bigint NOT NULL DEFAULT 0) WITH (fillfactor = 90);
INSERT INTO bare.reader (u) SELECT generate_series(1, 10000);
CREATE FUNCTION bare.mark_read(t bigint, u bigint) RETURNS bigint LANGUAGE sql AS $$
  UPDATE bare.reader r SET n = n + 1 WHERE r.u = mark_read.u RETURNING n $$;
