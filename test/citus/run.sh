#!/usr/bin/env bash
# test/citus/run.sh: chat distributed on Citus, on a three-node loopback cluster.
#
# Starts a coordinator and two workers (test/citus/cluster.sh) with Citus and chat
# installed in the PostgreSQL of PG_CONFIG, runs the checks of test/citus/checks.sh
# (distribution shape, the API, delegation, races, events, an end user, a shard
# moved, a fourth worker added (port CITUS_PORT + 3), pg_dump and restore, drop and
# reinstall), stops the cluster and removes it. One line per check ("ok N - ..." or
# "not ok N - ..." with what was expected and what came), last line
# "N passed, M failed". Exit status 1 when a check failed or the cluster broke.
set -uo pipefail
cd "$(dirname "$0")/../.." || { echo "0 passed, 1 failed"; exit 1; }
export LC_ALL=C.UTF-8
: "${PG_CONFIG:=pg_config}"
: "${CITUS_PORT:=5484}"
export PG_CONFIG CITUS_PORT

PASSED=0
FAILED=0
N=0
DIR=$(mktemp -d -t chat-citus.XXXXXX)
BIN=$("$PG_CONFIG" --bindir)
COORD=$CITUS_PORT
W1=$((CITUS_PORT + 1))
W2=$((CITUS_PORT + 2))

cleanup() {
    test/citus/cluster.sh stop "$DIR" || true
    if [[ -n "${KEEP_CLUSTER:-}" ]]; then echo "cluster kept in $DIR"; else rm -rf "$DIR"; fi
}
trap cleanup EXIT

as_pg() {
    if [[ "$(id -u)" == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# q PORT SQL...: the result of each SQL, unaligned, no headers; errors on stderr
q() {
    local port=$1; shift
    local args=() s
    for s in "$@"; do args+=(-c "$s"); done
    as_pg "$BIN/psql" -X -A -t -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres -d chat_dist "${args[@]}" 2>&1
}

pass() { N=$((N + 1)); PASSED=$((PASSED + 1)); echo "ok $N - $1"; }
fail() {
    N=$((N + 1)); FAILED=$((FAILED + 1)); echo "not ok $N - $1"
    shift
    local line
    for line in "$@"; do echo "#   $line"; done
}

# is NAME EXPECTED SQL...: the output of the SQL (on the coordinator) equals EXPECTED
is() {
    local name=$1 want=$2; shift 2
    local got
    got=$(q "$COORD" "$@")
    if [[ "$got" == "$want" ]]; then pass "$name"; else fail "$name" "expected: $want" "got: $got"; fi
}

# is_on PORT NAME EXPECTED SQL...: the same on another node
is_on() {
    local port=$1 name=$2 want=$3; shift 3
    local got
    got=$(q "$port" "$@")
    if [[ "$got" == "$want" ]]; then pass "$name"; else fail "$name" "expected: $want" "got: $got"; fi
}

# like NAME REGEX SQL...: the output matches the extended regex
like() {
    local name=$1 re=$2; shift 2
    local got
    got=$(q "$COORD" "$@")
    if [[ "$got" =~ $re ]]; then pass "$name"; else fail "$name" "expected to match: $re" "got: $got"; fi
}

echo "# starting a coordinator (:$COORD) and two workers (:$W1, :$W2) in $DIR"
start=$(date +%s)
if ! test/citus/cluster.sh start "$DIR"; then
    fail "the three-node cluster starts"
    echo "$PASSED passed, $FAILED failed"
    exit 1
fi
echo "# cluster up in $(( $(date +%s) - start )) s"

source test/citus/checks.sh

echo "$PASSED passed, $FAILED failed"
[[ "$FAILED" -eq 0 ]]
