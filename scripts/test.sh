#!/usr/bin/env bash
# THE test command for chat: installs deps, builds with warnings as errors, builds
# and installs the Debian package, then runs pg_regress + isolation + pgTAP and the
# example applications' tests in one throwaway PostgreSQL 15 cluster.
#
# Last line of output is always "N passed, M failed" (pg_regress tests + isolation
# tests + pgTAP assertions + the example applications' tests + the checks of
# the released scripts and the README, and the Citus stage's checks when
# ../shared/citus/ is there: scripts/lib/citus.sh); exit status is non-zero when M > 0 or
# a step broke.
# A step or suite that breaks without its own count (build error, crash, timeout)
# counts as one failure.
set -euo pipefail
cd "$(dirname "$0")/.."
# English, UTF-8 messages from every tool we parse, whatever the caller's locale.
export LC_ALL=C.UTF-8

PASSED=0
FAILED=0
REPORT=()           # one "suite: N passed, M failed" line per suite, printed at the end
DIFF_CAP=300        # lines of each regression.diffs shown in the log
LOGDIR=$(mktemp -d -t chat-test.XXXXXX)
trap 'rm -rf "$LOGDIR"' EXIT

source scripts/lib/build.sh
source scripts/lib/package.sh
source scripts/lib/citus.sh

# Adds "$2 passed, $3 failed" for suite "$1" to the totals and the report.
tally() {
    PASSED=$((PASSED + $2))
    FAILED=$((FAILED + $3))
    REPORT+=("$1: $2 passed, $3 failed")
}

# Prints the totals (last line) and exits: status 1 when anything failed.
finish() {
    echo
    echo "===== summary ====="
    local line
    for line in "${REPORT[@]}"; do echo "$line"; done
    echo "$PASSED passed, $FAILED failed"
    [[ "$FAILED" -eq 0 ]] && exit 0
    exit 1
}

# Runs a step that has no tests of its own; if it breaks, count one failure and stop.
step() {
    local name=$1; shift
    echo "===== $name ====="
    if ! "$@"; then
        echo "test.sh: step '$name' failed" >&2
        tally "$name" 0 1
        finish
    fi
}

# shellcheck disable=SC2317  # called through step()
step_deps() { source scripts/deps.sh; }
# shellcheck disable=SC2317  # called through step()
step_build() { build_chat "$STRICT_COPT"; }
# The suites and the examples run against chat installed the way users install
# it: the Debian package, built (warnings as errors) from a clean copy of the tree.
# shellcheck disable=SC2317  # called through step()
step_package() { package_check_meta && package_build "$LOGDIR/deb" "$STRICT_COPT" && package_install "$LOGDIR/deb"; }

# Counts one pg_regress / pg_isolation_regress run from its log. PG15 ends with
# " All N tests passed. ", " M of N tests failed. " (optionally ", K of these
# failures ignored.") or " P of N tests passed, K failed test(s) ignored. ".
# Without that line the run died: count its "... ok" / "... FAILED" lines, plus one.
count_regress() {
    local suite=$1 label=$2 log=$LOGDIR/$1.log rc p=0 f=0 summary
    [[ -f "$LOGDIR/$suite.rc" ]] || return 0   # nothing to run: not a failure
    rc=$(cat "$LOGDIR/$suite.rc")
    summary=$(grep -E '^ *(All [0-9]+ tests passed|[0-9]+ of [0-9]+ tests (passed|failed))' "$log" | tail -n1 || true)
    if [[ "$summary" =~ All\ ([0-9]+)\ tests\ passed ]]; then
        p=${BASH_REMATCH[1]}
    elif [[ "$summary" =~ ([0-9]+)\ of\ ([0-9]+)\ tests\ failed(,\ ([0-9]+)\ of\ these)? ]]; then
        f=$((BASH_REMATCH[1] - ${BASH_REMATCH[4]:-0}))
        p=$((BASH_REMATCH[2] - BASH_REMATCH[1]))
    elif [[ "$summary" =~ ([0-9]+)\ of\ ([0-9]+)\ tests\ passed ]]; then
        p=${BASH_REMATCH[1]}
    else
        p=$(grep -cE '^(test | +)[^ ]+ +\.\.\. ok' "$log" || true)
        f=$(( $(grep -cE '\.\.\. FAILED' "$log" || true) + 1 ))
        echo "test.sh: $suite ended without a summary (exit $rc): counted as a failure" >&2
    fi
    # make failing around an all-green run still means something broke.
    if [[ "$rc" != 0 && "$f" -eq 0 ]]; then f=1; fi
    tally "$label" "$p" "$f"
}

# Counts one pg_prove run (one file): Tests=N from "Files=1, Tests=N", failed from
# the summary report's "(Wstat: W Tests: T Failed: F)". A file that died, planned
# more than it ran or exited non-zero without a failed assertion counts one failure.
count_pgtap_file() {
    local name=$1 log=$LOGDIR/$1.log rc n=0 f=0 extra=0
    rc=$(cat "$LOGDIR/$name.rc")
    if [[ "$(grep -E '^Files=[0-9]+, Tests=' "$log" | tail -n1)" =~ Tests=([0-9]+) ]]; then
        n=${BASH_REMATCH[1]}
    else
        extra=1
    fi
    # sed, not grep: no match is normal here and must not trip pipefail.
    f=$(sed -nE 's/.*\(Wstat: [0-9]+ Tests: [0-9]+ Failed: ([0-9]+)\).*/\1/p' "$log" |
        awk '{ s += $1 } END { print s + 0 }')
    if [[ "$f" -eq 0 ]] && { [[ "$rc" != 0 ]] || grep -q '^Result: FAIL' "$log"; }; then extra=1; fi
    if [[ "$extra" -eq 1 ]]; then
        echo "test.sh: pgTAP file $(cat "$LOGDIR/$name.file") broke (exit $rc): counted as a failure" >&2
    fi
    PGTAP_PASSED=$((PGTAP_PASSED + n - f))
    PGTAP_FAILED=$((PGTAP_FAILED + f + extra))
}

count_pgtap() {
    local rcfile
    PGTAP_PASSED=0 PGTAP_FAILED=0
    for rcfile in "$LOGDIR"/pgtap-*.rc; do
        [[ -e "$rcfile" ]] || return 0   # no pgTAP files: nothing to count
        count_pgtap_file "$(basename "$rcfile" .rc)"
    done
    tally "pgTAP (assertions)" "$PGTAP_PASSED" "$PGTAP_FAILED"
}

# Released scripts are frozen: each one listed in sql/released.sha256 must
# still have its checksum (one test per script), and every chat--*.sql in
# sql/ but the one of the release in progress must be listed.
check_released() {
    echo "===== released scripts ====="
    local line p=0 f=0 current name
    current=$(package_control_version)
    while IFS= read -r line; do
        if (cd sql && echo "$line" | sha256sum --check --quiet --strict >/dev/null 2>&1); then
            p=$((p + 1))
        else
            echo "test.sh: released script changed: ${line##* }" >&2
            f=$((f + 1))
        fi
    done < sql/released.sha256
    for name in sql/chat--*.sql; do
        name=${name#sql/}
        [[ "$name" == *"--$current.sql" ]] && continue
        if ! grep -q "  $name\$" sql/released.sha256; then
            echo "test.sh: $name is not in sql/released.sha256" >&2
            f=$((f + 1))
        fi
    done
    tally "released scripts" "$p" "$f"
}

# README.md's SQL blocks are the marked parts of test/sql/readme_*.sql (run by pg_regress).
check_readme() {
    echo "===== README check ====="
    if test/readme_check.sh; then tally "README check" 1 0; else tally "README check" 0 1; fi
}

# Counts each suite with a runner of its own (the example applications, the
# hostile-input, dump and restore and crash suites) from its last line
# "N passed, M failed"; a run without it, or that exited non-zero with no
# failure, counts one failure.
count_runners() {
    local rcfile name log rc p f last
    for rcfile in "$LOGDIR"/runner-*.rc; do
        [[ -e "$rcfile" ]] || return 0
        name=$(basename "$rcfile" .rc)
        log=$LOGDIR/$name.log
        rc=$(cat "$rcfile")
        last=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -n1 || true)
        if [[ "$last" =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
            p=${BASH_REMATCH[1]} f=${BASH_REMATCH[2]}
        else
            p=0 f=1
            echo "test.sh: $(cat "$LOGDIR/$name.file") ended without a count (exit $rc)" >&2
        fi
        if [[ "$rc" != 0 && "$f" -eq 0 ]]; then f=1; fi
        tally "$(cat "$LOGDIR/$name.label")" "$p" "$f"
    done
}

# Shows why pg_regress / isolation failed; make clean removed older diffs.
show_diffs() {
    local d n
    while IFS= read -r d; do
        [[ -s "$d" ]] || continue   # a killed run leaves an empty one
        n=$(wc -l <"$d")
        echo
        echo "===== $d ($n lines$([[ $n -gt $DIFF_CAP ]] && echo ", first $DIFF_CAP shown")) ====="
        head -n "$DIFF_CAP" "$d"
    done < <(find . -path ./.git -prune -o -name regression.diffs -type f -print | sort)
}

# All suites run inside one pg_virtualenv cluster (-t: temp dir even as root, so an
# interrupted run leaves nothing in /etc/postgresql). The cluster is UTF-8 with
# C.UTF-8 collation so expected outputs do not depend on the machine's locale.
run_suites() {
    echo "===== suites (throwaway PostgreSQL 15 cluster) ====="
    local rc=0
    pg_virtualenv -t -v 15 -i '--locale=C.UTF-8 --encoding=UTF8' \
        scripts/lib/suites.sh "$LOGDIR" || rc=$?
    if [[ ! -f "$LOGDIR/done" ]]; then
        echo "test.sh: the cluster or the suite runner broke (exit $rc)" >&2
        tally cluster 0 1
    fi
}

# run_runner NAME LABEL SECONDS SCRIPT: a suite with a runner of its own,
# logged for count_runners (its last line "N passed, M failed"): the crash
# test (test/tap, PostgreSQL's TAP framework: its own clusters, killed under
# a write load and restarted) and memcheck (test/memcheck: chat's C code
# under valgrind, in a single-user backend of its own).
run_runner() {
    local name=$1 label=$2 seconds=$3 script=$4 rc=0
    echo "===== $label ($(dirname "$script")) ====="
    echo "$label" >"$LOGDIR/runner-$name.label"
    echo "$script" >"$LOGDIR/runner-$name.file"
    timeout --kill-after=10 "$seconds" env PG_CONFIG="$PG_CONFIG" "$script" 2>&1 |
        tee "$LOGDIR/runner-$name.log" || rc=$?
    echo "$rc" >"$LOGDIR/runner-$name.rc"
}

main() {
    step deps step_deps
    step build step_build
    step package step_package
    check_released
    run_suites
    run_runner crash "crash test" 400 test/tap/run.sh
    run_runner memcheck memcheck 300 test/memcheck/run.sh
    run_citus_stage
    count_regress regress pg_regress
    count_regress isolation isolation
    count_pgtap
    count_runners
    check_readme
    show_diffs
    finish
}

main "$@"
