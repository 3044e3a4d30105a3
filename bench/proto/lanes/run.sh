#!/bin/bash
# bench/proto/lanes/run.sh: the "lanes" prototype against bare INSERT and today's protocol, P2-shaped
# (one 10,000-member thread, 4 writers, 1 reader at 100 mark_read/s), interleaved rounds, then exactness.
#
#   run.sh [ROUNDS [SLICE_SECONDS]]      default 3 rounds of 8 s per variant, variants rotated each round
#   run.sh longtx [VARIANT [SLICE]]      one slice with an unrelated transaction holding an xid for 4 s
#   run.sh abort [VARIANT [SLICE]]       one slice where 1 reply in 5 rolls back after writing
#   run.sh savepoint [VARIANT [SLICE]]   one slice where every reply runs inside a savepoint (a subtransaction)
#
# env: VARIANTS (default "bare l lanes4 lanes8 lanes16 lanes8nf nv"), DB (proto), OUT (out/<time>).
# Variant names: bare | l | lnf | nv (lanes8 writers, naive reader) | lanes<K>[r][nf]
#   lanes<K>: K lanes, a writer starts looking at lane pid % K; r: at a random lane; nf: no message->thread FK;
#   s: the reader's in-flight test is pg_visible_in_snapshot (blind to subtransactions) instead of xmax >= xmin
# Needs a cluster on $PGHOST/$PGPORT (e.g. . /opt/pg-lanes/env.sh) with synchronous_commit=on.
set -euo pipefail
cd "$(dirname "$0")"
DB=${DB:-proto}
P="psql -X -q -v ON_ERROR_STOP=1 -d $DB"
case "${1:-}" in longtx|abort|savepoint) MODE=$1; VARIANTS=${2:-lanes8nf}; ROUNDS=1; SLICE=${3:-12}
   [ $MODE = longtx ] || SLICE=${3:-8} ;;
*)
  MODE=bench; ROUNDS=${1:-3}; SLICE=${2:-8}; VARIANTS=${VARIANTS:-"bare l lanes4 lanes8 lanes16 lanes8nf nv"} ;;
esac
OUT=${OUT:-out/$(date +%Y%m%d-%H%M%S)-$MODE}
mkdir -p "$OUT"

gen() {  # gen SCHEMA FILE K FK NAIVE [START]
  local fk=""; [ "$4" = 1 ] && fk="REFERENCES $1.thread (id)"
  local st="pg_backend_pid() % $3"; [ "${6:-}" = r ] && st="floor(random() * $3)::integer"
  local busy="proto.x8(l.xmax, sn.s) >= pg_snapshot_xmin(sn.s)"
  [ "${7:-}" = s ] && busy="NOT pg_visible_in_snapshot(proto.x8(l.xmax, sn.s), sn.s)"
  sed -e "s/@S@/$1/g; s/@K@/$3/g; s/@NAIVE@/$5/g; s/@FK@/$fk/g; s/@START@/$st/g; s/@BUSY@/$busy/g" "$2"
}
setup() {
  $P -f common.sql -f check.sql
  for v in $VARIANTS; do
    case $v in
      bare)  $P -f bare.sql ;;
      l)     { gen $v tables.sql 0 1 false; gen $v l.sql 0 1 false; } | $P ;;
      lnf)   { gen $v tables.sql 0 0 false; gen $v l.sql 0 0 false; } | $P ;;
      nv)    { gen $v tables.sql 8 1 false; gen $v lanes.sql 8 1 true; } | $P ;;
      lanes*) k=${v#lanes}; fk=1; st=p; rule=x
              case $k in *nf) k=${k%nf}; fk=0 ;; esac
              case $k in *s) k=${k%s}; rule=s ;; esac
              case $k in *r) k=${k%r}; st=r ;; esac
              { gen $v tables.sql $k $fk false; gen $v lanes.sql $k $fk false $st $rule; } | $P ;;
    esac
    printf '\\set u random(1, 10000)\nSELECT %s.reply(1, :u, %s);\n' $v "'a reply about as long as a typical chat line'" > "$OUT/wr_$v.pgbench"
    printf '\\set u random(1, 10000)\nSELECT %s.mark_read(1, :u);\n' $v > "$OUT/rd_$v.pgbench"
    printf '\\set u random(1, 10000)\nBEGIN;\nSELECT %s.reply(1, :u, %s);\nROLLBACK;\n' $v "'rolled back'" > "$OUT/ab_$v.pgbench"
    printf '\\set u random(1, 10000)\nBEGIN;\nSAVEPOINT a;\nSELECT %s.reply(1, :u, %s);\nRELEASE SAVEPOINT a;\nCOMMIT;\n' $v "'in a savepoint'" > "$OUT/sp_$v.pgbench"
  done
  $P -c "VACUUM ANALYZE" -c "CHECKPOINT"
}
wal() { $P -Atc "SELECT wal_sync || ' ' || wal_bytes FROM pg_stat_wal"; }
slice() {  # slice ROUND VARIANT
  local r=$1 v=$2 w0 w1
  w0=$(wal)
  pgbench -n -M prepared -c 1 -j 1 -R 100 -T "$SLICE" -f "$OUT/rd_$v.pgbench" $DB > "$OUT/rd_${r}_$v.log" 2>&1 &
  local rp=$!
  local w=(-f "$OUT/wr_$v.pgbench")
  [ $MODE = abort ] && w=(-f "$OUT/wr_$v.pgbench@4" -f "$OUT/ab_$v.pgbench@1")
  [ $MODE = savepoint ] && w=(-f "$OUT/sp_$v.pgbench")
  pgbench -n -M prepared -c 4 -j 2 -T "$SLICE" "${w[@]}" $DB > "$OUT/wr_${r}_$v.log" 2>&1
  wait $rp
  w1=$(wal)
  local wtps wn rtps rlat
  wtps=$(sed -n 's/^tps = \([0-9.]*\) .*/\1/p' "$OUT/wr_${r}_$v.log")
  wn=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$OUT/wr_${r}_$v.log")
  rtps=$(sed -n 's/^tps = \([0-9.]*\) .*/\1/p' "$OUT/rd_${r}_$v.log")
  rlat=$(sed -n 's/^latency average = \([0-9.]*\) ms/\1/p' "$OUT/rd_${r}_$v.log")
  set -- $w0 $w1
  echo "$r,$v,$wtps,$wn,$rtps,$rlat,$(( $3 - $1 )),$(( $4 - $2 ))" | tee -a "$OUT/slices.csv"
}

setup
echo "round,variant,writer_tps,replies,reader_tps,reader_lat_ms,wal_syncs,wal_bytes" > "$OUT/slices.csv"
if [ $MODE = bench ]; then
  set -- $VARIANTS; n=$#; vs=("$@")
  for r in $(seq 1 "$ROUNDS"); do
    for i in $(seq 0 $((n - 1))); do slice "$r" "${vs[$(( (i + r - 1) % n ))]}"; done
  done
elif [ $MODE != longtx ]; then
  slice 1 "$VARIANTS"
else
  v=$VARIANTS
  ( sleep 4; $P -c "BEGIN" -c "INSERT INTO proto.rlog (variant, snap, h) VALUES ('holder-start', pg_current_snapshot(), pg_current_xact_id()::text::bigint)" \
       -c "SELECT pg_sleep(4)" -c "INSERT INTO proto.rlog (variant, snap, h) VALUES ('holder-end', pg_current_snapshot(), 0)" -c "COMMIT" ) &
  hp=$!
  slice 1 "$v"; wait $hp
  $P -F' ' -Atc "
    WITH hold AS (SELECT (SELECT at FROM proto.rlog WHERE variant = 'holder-start') AS t0,
                         (SELECT at FROM proto.rlog WHERE variant = 'holder-end') AS t1,
                         (SELECT h FROM proto.rlog WHERE variant = 'holder-start') AS x)
    SELECT CASE WHEN r.at BETWEEN t0 AND t1 THEN 'during hold' ELSE 'outside' END AS phase,
           count(*) AS readers, count(*) FILTER (WHERE r.moved) AS moved,
           count(*) FILTER (WHERE r.h <> r.newest) AS behind,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY r.lag) AS lag_p50, max(r.lag) AS lag_max,
           count(*) FILTER (WHERE x::text::xid8 = ANY (SELECT pg_snapshot_xip(r.snap))) AS holder_in_xip
      FROM proto.rlog r, hold WHERE r.variant = '$v' GROUP BY 1 ORDER BY 1" | tee "$OUT/longtx.txt"
fi

OUT=$OUT VARIANTS="$VARIANTS" MODE=$MODE DB=$DB ./report.sh
