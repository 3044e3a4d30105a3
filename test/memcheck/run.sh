#!/usr/bin/env bash
# test/memcheck/run.sh: chat's C code under valgrind's memcheck.  Runs
# workload.sql in a single-user backend (postgres --single, a throwaway data
# directory) under memcheck and checks: every statement ran without an
# ERROR, the counters equal a recount, and memcheck reported no error with a
# frame in chat's library (an invalid read or write, a use of an
# uninitialised value, a bad free).  PostgreSQL's own reports (a WAL page's
# padding written uninitialised, which it marks only in a valgrind build) are
# not chat's and are not counted.  The last line is "N passed, M failed";
# exits non-zero when M > 0.
#
# Needs valgrind and chat installed into the PostgreSQL 15 of $PG_CONFIG
# (default /usr/lib/postgresql/15/bin/pg_config).  As root it runs as user
# postgres (initdb refuses root).  About a minute on 2 cores.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
broke() { echo "test/memcheck/run.sh: $*" >&2; echo "0 passed, 1 failed"; exit 1; }
command -v valgrind >/dev/null || broke "valgrind is missing (Debian package valgrind)"
bin=$("$PG_CONFIG" --bindir) || broke "no pg_config at $PG_CONFIG"
[[ -f "$("$PG_CONFIG" --pkglibdir)/chat.so" ]] || broke "chat is not installed (make install)"

work=$(mktemp -d -t chat-memcheck.XXXXXX) || broke "mktemp failed"
trap 'rm -rf "$work"' EXIT
as_user=()
if [[ "$(id -u)" == 0 ]]; then
    chown postgres "$work"
    as_user=(runuser -u postgres --)
fi
cp "$here/workload.sql" "$work/" && chmod 644 "$work/workload.sql"
"${as_user[@]}" "$bin/initdb" -D "$work/data" -A trust >"$work/initdb.log" 2>&1 || broke "initdb failed: $(tail -3 "$work/initdb.log")"
echo "create database memcheck" | "${as_user[@]}" "$bin/postgres" --single -D "$work/data" postgres >/dev/null 2>&1 ||
    broke "cannot create the database"
# the statements, without the comment lines
grep -v '^--' "$work/workload.sql" >"$work/statements.sql"
"${as_user[@]}" valgrind --tool=memcheck --error-limit=no --num-callers=40 --log-file="$work/memcheck.log" \
    "$bin/postgres" --single -D "$work/data" -c synchronous_commit=off memcheck \
    <"$work/statements.sql" >"$work/out.txt" 2>&1

passed=0 failed=0
check() { # check DESCRIPTION TEST...
    local what=$1
    shift
    if "$@"; then
        passed=$((passed + 1)); echo "ok - $what"
    else
        failed=$((failed + 1)); echo "not ok - $what"
    fi
}
errors=$(grep -c 'ERROR:' "$work/out.txt")
check "every statement of workload.sql ran without an ERROR ($errors)" [ "$errors" = 0 ]
[[ $errors == 0 ]] || grep -m5 'ERROR:' "$work/out.txt"
last=$(grep -E '^\s+1: count = "[0-9]+"' "$work/out.txt" | tail -1 | sed -E 's/.*"([0-9]+)".*/\1/')
check "chat.verify_unread() afterwards: ${last:-no} rows" [ "${last:-x}" = 0 ]
summary=$(grep -E '== ERROR SUMMARY' "$work/memcheck.log" | tail -1)
check "memcheck ran to the end (${summary#*== })" [ -n "$summary" ]

# memcheck's error blocks: from "==pid== <kind>" to the next blank report line;
# chat's when a frame is in chat.so or in one of src/*.c
srcs=$(cd "$here/../../src" && ls ./*.c | sed 's,^\./,,' | paste -sd'|')
ours=$(awk -v srcs="$srcs" '
    /^==[0-9]+== [A-Z]/ && !/ERROR SUMMARY|HEAP SUMMARY|LEAK SUMMARY|Memcheck|Copyright|Using Valgrind|Command:/ { if (block != "") flush(); block = $0; next }
    /^==[0-9]+== $/ { if (block != "") flush(); block = ""; next }
    block != "" { block = block "\n" $0 }
    function flush() { if (block ~ /chat\.so/ || block ~ ("\\((" srcs "):[0-9]+\\)")) { n++; print block > "/dev/stderr" } }
    END { if (block != "") flush(); print n + 0 }' "$work/memcheck.log")
check "memcheck found no error in chat's code ($ours)" [ "$ours" = 0 ]
echo "$passed passed, $failed failed"
[[ $failed == 0 ]]
