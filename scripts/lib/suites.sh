#!/usr/bin/env bash
# Runs chat's test suites against the throwaway cluster scripts/test.sh made:
# pg_regress, isolation (both via "make installcheck"), pgTAP (pg_prove) and
# the example applications' own tests.
#
# Usage (inside pg_virtualenv, from the repo root): scripts/lib/suites.sh LOGDIR
# Each suite's output goes to the terminal and to LOGDIR/<suite>.log, its exit
# status to LOGDIR/<suite>.rc; test.sh counts from those. A suite with nothing to
# run writes no files. A failing suite never stops the next one; LOGDIR/done marks
# that all three were attempted (test.sh counts its absence as a failure).
set -euo pipefail

LOGDIR=${1:?usage: suites.sh LOGDIR}
: "${PG_CONFIG:=/usr/lib/postgresql/15/bin/pg_config}"
# A hung test must not eat CI's whole budget; timeout(1) kills the suite's process group.
# The limits are far above what the suites need (seconds) and keep a hang well
# inside CI's budget.
SUITE_TIMEOUT=${SUITE_TIMEOUT:-300}
PGTAP_FILE_TIMEOUT=${PGTAP_FILE_TIMEOUT:-120}
# The hostile-input suite takes about 130 s on a quiet machine of 2 cores and went past 300 s
# once with other work beside it (more than 2 x slower): its own, wider limit.
HOSTILE_TIMEOUT=${HOSTILE_TIMEOUT:-600}

# Prints a Makefile variable as make sees it, so we follow whatever the Makefile lists.
make_var() {
    make --no-print-directory -s -f Makefile -f - PG_CONFIG="$PG_CONFIG" "print-$1" <<'MK'
print-%:
	@echo '$($*)'
MK
}

# Runs "$@" with a time limit, output to the terminal and LOGDIR/$name.log.
run_logged() {
    local name=$1; shift
    # The status is saved inside the group: after "| tee" only tee's would be left.
    {
        local rc=0
        timeout --kill-after=10 "$SUITE_TIMEOUT" "$@" || rc=$?
        if [[ "$rc" == 124 ]]; then echo "TIMED OUT after ${SUITE_TIMEOUT}s, killed: $*"; fi
        echo "$rc" >"$LOGDIR/$name.rc"
    } 2>&1 | tee "$LOGDIR/$name.log"
}

section() { printf '\n===== %s =====\n' "$*"; }

# pg_regress alone: ISOLATION emptied so a regress failure cannot skip isolation.
run_regress() {
    section "pg_regress"
    local tests
    tests=$(make_var REGRESS)   # a make error here aborts: no silent "no tests"
    if [[ -z "$tests" ]]; then echo "no pg_regress tests (test/sql is empty)"; return; fi
    run_logged regress make installcheck PG_CONFIG="$PG_CONFIG" ISOLATION=
}

# Isolation specs alone (REGRESS emptied).
run_isolation() {
    section "isolation"
    local specs
    specs=$(make_var ISOLATION)
    if [[ -z "$specs" ]]; then echo "no isolation specs (test/specs is empty)"; return; fi
    run_logged isolation make installcheck PG_CONFIG="$PG_CONFIG" REGRESS=
}

# Each pgTAP file gets its own fresh database from template1, so files cannot
# leak state into each other; its pg_prove output is logged as pgtap-NNN.
run_pgtap() {
    section "pgTAP"
    local files=(test/pgtap/*.sql) f i=0 db name
    if [[ ! -e "${files[0]}" ]]; then echo "no pgTAP tests (test/pgtap is empty)"; return; fi
    for f in "${files[@]}"; do
        i=$((i + 1))
        db=chat_pgtap_$i
        printf -v name 'pgtap-%03d' "$i"
        echo "$f" >"$LOGDIR/$name.file"
        if ! createdb -T template1 "$db"; then
            echo "createdb $db failed" | tee "$LOGDIR/$name.log"
            echo 1 >"$LOGDIR/$name.rc"
            continue
        fi
        SUITE_TIMEOUT=$PGTAP_FILE_TIMEOUT run_logged "$name" pg_prove -d "$db" "$f"
        # --force: a timed-out file may leave its backend running.
        dropdb --force --if-exists "$db" || true
    done
}

# The example applications' own test suites (examples/*/run-tests.sh: django,
# node, realtime, each labelled "<name> example"): each makes its databases and
# roles as the cluster's superuser, runs its tests as a role that is not one,
# and ends with "N passed, M failed".
run_examples() {
    section "examples"
    local runner name
    for runner in examples/*/run-tests.sh; do
        [[ -e "$runner" ]] || return 0
        name=$(basename "$(dirname "$runner")")
        run_runner "$name example" "$runner"
    done
}

# A suite with a runner of its own that ends with "N passed, M failed":
# logged as LOGDIR/runner-<n>.*, with its label in .label (test.sh counts it).
RUNNERS=0
run_runner() {
    local label=$1; shift
    RUNNERS=$((RUNNERS + 1))
    echo "$label" >"$LOGDIR/runner-$RUNNERS.label"
    echo "$*" >"$LOGDIR/runner-$RUNNERS.file"
    run_logged "runner-$RUNNERS" "$@"
}

# Thousands of generated calls with bad input over every public function, as a
# server role, an end user and the owner: each succeeds or fails with a
# documented SQLSTATE, changes nothing when it fails, breaks no later call.
run_hostile() {
    section "hostile input"
    SUITE_TIMEOUT=$HOSTILE_TIMEOUT run_runner "hostile input" test/hostile/run.sh
}

# pg_dump / pg_restore in every mode (serial and -j 4), compared row by row
# with the source.
run_restore() {
    section "dump and restore"
    run_runner "dump and restore" test/restore/run.sh
}

mkdir -p "$LOGDIR"
run_regress
run_isolation
run_pgtap
run_hostile
run_restore
run_examples
# Tells test.sh the cluster came up and every suite was attempted.
touch "$LOGDIR/done"
