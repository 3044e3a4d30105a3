#!/bin/bash
# bench/proto/lanes/report.sh: exactness (proto.check) of each variant, then (MODE=bench) the summary of
# $OUT/slices.csv: medians of writer tps and of the per-round ratio to bare. Called by run.sh.
set -euo pipefail
cd "$(dirname "$0")"
DB=${DB:-proto}; MODE=${MODE:-bench}
P="psql -X -q -v ON_ERROR_STOP=1 -d $DB"
# exactness, then the summary: medians of tps and of the per-round ratio to bare
for v in $VARIANTS; do
  [ $v = bare ] && continue
  k=lanes; case $v in l|lnf) k=l ;; esac
  $P -Atc "SELECT row(c.*) FROM proto.check('$v', '$k') c"
done | tee "$OUT/exact.txt"
[ $MODE = bench ] || exit 0
$P <<SQL | tee "$OUT/summary.txt"
CREATE TEMP TABLE s (round int, variant text, tps float8, replies bigint, rtps float8, rlat float8, syncs bigint, wbytes bigint);
\copy s FROM '$OUT/slices.csv' CSV HEADER
SELECT s.variant, round(percentile_cont(0.5) WITHIN GROUP (ORDER BY s.tps)) AS tps_median,
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY s.tps / b.tps)::numeric, 2) AS ratio_median,
       string_agg(round((s.tps / b.tps)::numeric, 2)::text, ' ' ORDER BY s.round) AS ratio_by_round,
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY s.replies::float8 / nullif(s.syncs, 0))::numeric, 2) AS replies_per_sync,
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY s.wbytes::float8 / s.replies)) AS wal_b_per_reply,
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY s.rtps)::numeric, 1) AS reader_tps,
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY s.rlat)::numeric, 1) AS reader_ms
  FROM s JOIN s b ON b.round = s.round AND b.variant = 'bare'
 GROUP BY s.variant ORDER BY ratio_median DESC;
SQL
