#!/usr/bin/env bash
# Runs chat's TAP tests (test/tap/*.pl) with PostgreSQL's own TAP framework
# (PostgreSQL::Test::Cluster / PostgreSQL::Test::Utils from the PGXS perl
# directory of postgresql-server-dev-15, as pgvector does) and prints prove's
# output, then as the very last line "N passed, M failed" (TAP assertions; a
# test file that died, bailed out or broke its plan counts one failure more).
# Exits non-zero when M > 0.
#
# The tests make their own clusters with the installation's initdb/pg_ctl, so
# chat must be installed into it (make install). The installation is the one of
# $PG_CONFIG if set, else of the pg_config first on PATH if it is PostgreSQL 15,
# else /usr/lib/postgresql/15 (Debian's). Its bin directory is put first on PATH.
#
# initdb refuses to run as root: as root, the tests run as user postgres (or
# $CHAT_TAP_USER) from a private copy of test/tap in a temporary directory that
# user owns; no network is needed.
#
# Needs Debian packages: postgresql-15, postgresql-server-dev-15 (the perl
# framework, pg_regress), libipc-run-perl (IPC::Run, which
# PostgreSQL::Test::Utils requires), perl (prove).
#
# Environment: PG_CONFIG, CHAT_TAP_USER (default postgres), CHAT_TAP_TIMEOUT
# (seconds for the whole prove run, default 300), CHAT_TAP_KEEP=1 keeps the
# temporary directory (data directories and logs) for a look afterwards.
set -uo pipefail
export LC_ALL=C.UTF-8

here=$(cd "$(dirname "$0")" && pwd)
run_user=${CHAT_TAP_USER:-postgres}
timeout_s=${CHAT_TAP_TIMEOUT:-300}

# Broke before any test could run: one failure.
broke() {
    echo "test/tap/run.sh: $*" >&2
    echo "0 passed, 1 failed"
    exit 1
}

pg_major() { "$1" --version 2>/dev/null | sed -nE 's/^PostgreSQL ([0-9]+).*/\1/p'; }

if [[ -z "${PG_CONFIG:-}" ]]; then
    if command -v pg_config >/dev/null && [[ "$(pg_major "$(command -v pg_config)")" == 15 ]]; then
        PG_CONFIG=$(command -v pg_config)
    else
        PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config
    fi
fi
[[ -x "$PG_CONFIG" ]] || broke "no pg_config at $PG_CONFIG (set PG_CONFIG)"
[[ "$(pg_major "$PG_CONFIG")" == 15 ]] || broke "$PG_CONFIG is not PostgreSQL 15"
bindir=$("$PG_CONFIG" --bindir)
pkglibdir=$("$PG_CONFIG" --pkglibdir)
sharedir=$("$PG_CONFIG" --sharedir)
perldir=$pkglibdir/pgxs/src/test/perl
pg_regress=$pkglibdir/pgxs/src/test/regress/pg_regress

[[ -x "$bindir/initdb" ]] || broke "no initdb in $bindir (Debian package postgresql-15)"
[[ -f "$perldir/PostgreSQL/Test/Cluster.pm" ]] ||
    broke "no PostgreSQL::Test::Cluster in $perldir (Debian package postgresql-server-dev-15)"
[[ -x "$pg_regress" ]] || broke "no pg_regress at $pg_regress (Debian package postgresql-server-dev-15)"
perl -MIPC::Run -e 1 2>/dev/null || broke "perl module IPC::Run missing (Debian package libipc-run-perl)"
command -v prove >/dev/null || broke "prove missing (Debian package perl)"
[[ -f "$sharedir/extension/chat.control" && -f "$pkglibdir/chat.so" ]] ||
    broke "chat is not installed in $("$PG_CONFIG" --bindir | sed 's,/bin$,,') (make install PG_CONFIG=$PG_CONFIG)"

shopt -s nullglob
tests=("$here"/*.pl)
shopt -u nullglob
[[ ${#tests[@]} -gt 0 ]] || broke "no tests in $here"

work=$(mktemp -d -t chat-tap.XXXXXX) || broke "mktemp failed"
mkdir -p "$work/tap"
cp -a "$here"/. "$work/tap/"
as_user=()
if [[ "$(id -u)" == 0 ]]; then
    id "$run_user" >/dev/null 2>&1 || broke "user $run_user does not exist (it comes with postgresql-15)"
    chown -R "$run_user" "$work"
    as_user=(runuser -u "$run_user" --)
fi

# Stops any server a killed test left running, then removes the copy.
cleanup() {
    local pidfile dir
    while IFS= read -r pidfile; do
        dir=$(dirname "$pidfile")
        "${as_user[@]}" "$bindir/pg_ctl" -D "$dir" -m immediate stop >/dev/null 2>&1 || true
    done < <(find "$work" -name postmaster.pid 2>/dev/null)
    if [[ -n "${CHAT_TAP_KEEP:-}" ]]; then
        echo "test/tap/run.sh: kept $work" >&2
    else
        rm -rf "$work"
    fi
}
trap cleanup EXIT

out=$work/prove.out
# prove itself, with its output unbuffered and the console formatter (prove's
# default on a pipe holds each file's output until the file ends), so that a
# run killed by the time limit still shows (and counts) what it did.
# shellcheck disable=SC2016  # perl code
prove_unbuffered='use App::Prove; STDOUT->autoflush(1); STDERR->autoflush(1);
my $app = App::Prove->new; $app->process_args(@ARGV); exit($app->run ? 0 : 1);'
(cd "$work" && "${as_user[@]}" env \
    PATH="$bindir:$PATH" PG_CONFIG="$PG_CONFIG" PERL5LIB="$perldir${PERL5LIB:+:$PERL5LIB}" \
    PG_REGRESS="$pg_regress" TESTDIR="$work" PG_TEST_TIMEOUT_DEFAULT=60 LC_ALL=C.UTF-8 \
    timeout --kill-after=10 "$timeout_s" perl -MIO::Handle -e "$prove_unbuffered" -- -v --formatter TAP::Formatter::Console tap/*.pl) 2>&1 |
    tee "$out"
rc=${PIPESTATUS[0]}
if [[ "$rc" == 124 || "$rc" == 137 ]]; then
    echo "test/tap/run.sh: TIMED OUT after ${timeout_s}s, killed" | tee -a "$out" >&2
fi

# Counts from prove's summary: "Files=F, Tests=T" and, per failing file,
# "(Wstat: W ... Tests: T Failed: F)". A listed file with no failed assertion
# died or broke its plan: one failure. Without a summary (bail out, timeout),
# count the TAP lines and add one failure.
passed=0 failed=0
if total=$(sed -nE 's/^Files=[0-9]+, Tests=([0-9]+),.*/\1/p' "$out" | tail -n1) && [[ -n "$total" ]]; then
    while IFS= read -r f; do
        if [[ "$f" -eq 0 ]]; then failed=$((failed + 1)); else failed=$((failed + f)); total=$((total - f)); fi
    done < <(sed -nE 's/.*\(Wstat: [0-9]+.* Tests: [0-9]+ Failed: ([0-9]+)\).*/\1/p' "$out")
    passed=$total
    if [[ "$failed" -eq 0 ]] && ! grep -q '^Result: PASS' "$out"; then failed=1; fi
else
    passed=$(grep -cE '^ *ok [0-9]+' "$out")
    failed=$(( $(grep -cE '^ *not ok [0-9]+' "$out") + 1 ))
    echo "test/tap/run.sh: prove ended without a summary: counted one failure more" >&2
fi

# Show the servers' logs of a failed run (the test's own log has the details too).
if [[ "$failed" -gt 0 ]]; then
    for f in "$work"/tmp_check/log/*; do
        [[ -f "$f" ]] || continue
        echo "===== last lines of $(basename "$f") ====="
        tail -n 40 "$f"
    done
fi
echo "$passed passed, $failed failed"
[[ "$failed" -eq 0 ]]
