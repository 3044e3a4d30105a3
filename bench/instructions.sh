#!/usr/bin/env bash
#
# bench/instructions.sh: what a reply costs, in instructions (docs/performance.md,
# "Release 0.9").  Timings on a shared machine vary by tens of percent; instruction
# counts do not.  valgrind's callgrind counts those of a single-user backend
# (postgres --single, synchronous_commit=off) running N statements
# `SELECT chat.new_reply(t, sender, 'hello there i')` in 2,000 two-person threads,
# each its own transaction, minus the same backend running none; the bare INSERT
# (one row, one index) likewise.  Both go through the simple protocol, so the bare
# INSERT's figure includes its parse and plan.
#
# Needs valgrind and a PostgreSQL 15 bin directory whose installation has chat
# (make install); makes a throwaway data directory under /tmp (as user postgres when
# run as root), removed at the end unless BENCH_INSTRUCTIONS_KEEP=1 (the callgrind
# files are there for callgrind_annotate).
#
# Usage: bench/instructions.sh [PGBIN [N [SQL]]]
#   PGBIN default: pg_config --bindir; N default 1000; SQL: statements run once
#   after CREATE EXTENSION, one per line (e.g. "select chat.set_setting('events','false')").
set -euo pipefail

BIN=${1:-$(pg_config --bindir)}
N=${2:-1000}
EXTRA=${3:-}
command -v valgrind >/dev/null || { echo "bench/instructions.sh: valgrind is missing (Debian package valgrind)" >&2; exit 1; }
D=$(mktemp -d /tmp/chat-instructions.XXXXXX)
[[ -n "${BENCH_INSTRUCTIONS_KEEP:-}" ]] || trap 'rm -rf "$D"' EXIT
as_pg() { if [[ "$(id -u)" == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[[ "$(id -u)" != 0 ]] || chown postgres "$D"
as_pg "$BIN/initdb" -D "$D/data" -A trust >/dev/null
single() { as_pg "$BIN/postgres" --single -D "$D/data" -c synchronous_commit=off -c fsync=off "$1"; }

echo "create database cpu" | single postgres >/dev/null 2>&1
{
    echo "create extension chat"
    echo "select chat.set_setting('notify','false')"
    [[ -z "$EXTRA" ]] || echo "$EXTRA"
    echo "select chat.direct_thread(g, g + 100000) from generate_series(1, 2000) g"
    echo "create table bare(id bigserial primary key, thread_id bigint, sender bigint, content text, sent_at timestamptz default now())"
    echo "select chat.new_reply(1, 1, 'warm')"
    echo "insert into bare(thread_id, sender, content) values (1, 1, 'warm')"
} | single cpu >/dev/null 2>&1

statements() { # statements KIND COUNT: one per line, the same threads in every run
    awk -v n="$2" -v kind="$1" 'BEGIN {
        print "select 1"; srand(1)
        for (i = 0; i < n; i++) {
            t = 1 + int(rand() * 2000)
            if (kind == "chat") printf "select chat.new_reply(%d, %d, '\''hello there %d'\'')\n", t, t, i
            else printf "insert into bare(thread_id, sender, content) values (%d, %d, '\''hello there %d'\'')\n", t, t, i
        }
    }'
}
for kind in bare chat; do
    for n in 0 "$N"; do
        statements "$kind" "$n" >"$D/$kind.$n.sql"
        [[ "$(id -u)" != 0 ]] || chown postgres "$D/$kind.$n.sql"
        as_pg valgrind --tool=callgrind --callgrind-out-file="$D/cg.$kind.$n" \
            "$BIN/postgres" --single -D "$D/data" -c synchronous_commit=off -c fsync=off cpu \
            <"$D/$kind.$n.sql" >/dev/null 2>&1
    done
    a=$(awk '/^summary/ { print $2 }' "$D/cg.$kind.0")
    b=$(awk '/^summary/ { print $2 }' "$D/cg.$kind.$N")
    eval "per_$kind=$(( (b - a) / N ))"
done
echo "bare INSERT: $per_bare instructions per statement"
echo "new_reply:   $per_chat instructions per call ($(awk -v c="$per_chat" -v b="$per_bare" 'BEGIN { printf "%.2f", c / b }') x bare)"
[[ -z "${BENCH_INSTRUCTIONS_KEEP:-}" ]] || echo "callgrind files in $D"
