-- bench/proto/lanes/common.sql: shared pieces of the lanes prototype (not part of chat).
DROP SCHEMA IF EXISTS proto CASCADE;
CREATE SCHEMA proto;

-- every mark_read of every variant logs its snapshot and horizon here (unlogged: no WAL, no flush)
CREATE UNLOGGED TABLE proto.rlog (
    variant text NOT NULL,
    at      timestamptz NOT NULL DEFAULT clock_timestamp(),
    snap    pg_snapshot NOT NULL,   -- the snapshot of the statement that computed h
    h       bigint NOT NULL,        -- horizon: every id <= h is claimed resolved in snap
    newest  bigint,                 -- newest id visible in snap
    total   bigint,                 -- message count the reader saw
    lag     bigint,                 -- visible messages with id > h
    moved   boolean                 -- the member row was updated
);

-- a 32-bit xid (the xmax system column) as the xid8 nearest the snapshot's xmax:
-- every xid on a live tuple is within 2^31 of the current one (wraparound protection)
CREATE FUNCTION proto.x8(x xid, s pg_snapshot) RETURNS xid8 LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT (pg_snapshot_xmax(s)::text::bigint
          + ((((x::text::bigint - pg_snapshot_xmax(s)::text::bigint % 4294967296) + 2147483648) % 4294967296
              + 4294967296) % 4294967296 - 2147483648))::text::xid8
$$;
