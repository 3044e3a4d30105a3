#!/usr/bin/env bash
# test/restore/run.sh: pg_dump / pg_restore in every mode gives back every row,
# setting, hook, swap, mapping and sequence position; verify_unread() is clean
# and the API works on the restored copy.
#
# Usage: test/restore/run.sh, with PGHOST / PGPORT / PGUSER (and PGPASSWORD)
# naming a running PostgreSQL 15 cluster and a superuser, chat installed in
# it (as pg_virtualenv sets them up). Client tools come from PG_BINDIR, else
# /usr/lib/postgresql/15/bin, else the PATH. Needs no package beyond
# postgresql-15 / postgresql-client-15 (and gawk or mawk, coreutils).
#
# 1. builds the source database regress_restore_src (populate.sql: every table
#    of chat and of the application's schema app) and fingerprints it
#    (fingerprint.sql); runs api.sql on a file copy of it (the reference);
# 2. dumps it (custom, directory, plain, data-only) and restores it in each
#    mode into a database of its own;
# 3. per mode, one test per check:
#      exit           pg_restore (psql for plain) exits 0 and reports no error
#      rows           every row of every table of chat and app, column by column
#      settings       every setting's effective value, the extension's version
#      registries     hooks, swapped models, the user binding and its foreign
#                     keys, role mappings
#      sequences      last_value / is_called of every sequence
#      verify_unread  chat.verify_unread() returns no row
#      api            api.sql (replies and inbox as the mapped end user
#                     regress_restore_erin, a server reply, verify_unread, the
#                     hook's log) prints what it prints on the reference
# Prints one line per test ("ok" / "not ok", details indented under it) and
# as the very last line "N passed, M failed"; exits 1 when M > 0.
# Roles and databases it makes start with regress_restore_ and are dropped at
# the end (and at the start, left over from a killed run).
set -uo pipefail
export LC_ALL=C.UTF-8
HERE=$(cd "$(dirname "$0")" && pwd)

if [[ -z "${PG_BINDIR:-}" && -x /usr/lib/postgresql/15/bin/pg_restore ]]; then
    PG_BINDIR=/usr/lib/postgresql/15/bin
fi
if [[ -n "${PG_BINDIR:-}" ]]; then PATH=$PG_BINDIR:$PATH; fi
unset PGDATABASE PGOPTIONS

P=regress_restore_
SRC=${P}src
MAINT=${MAINT_DB:-postgres}
# RESTORE_MODES (space-separated) runs a subset; the default is every mode.
read -r -a MODES <<<"${RESTORE_MODES:-custom custom-j4 directory directory-j4 plain single-transaction create data-only}"
WORK=$(mktemp -d -t chat-restore.XXXXXX)
PASSED=0
FAILED=0
NTEST=0
START=$SECONDS

psql_q() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }

# Prints one test's line, and its details (stdin of $4, if given) indented.
report() {   # report NAME ok|fail [REASON] [DETAILFILE]
    local name=$1 res=$2 reason=${3:-} detail=${4:-}
    NTEST=$((NTEST + 1))
    if [[ "$res" == ok ]]; then
        PASSED=$((PASSED + 1))
        echo "ok $NTEST - $name"
    else
        FAILED=$((FAILED + 1))
        echo "not ok $NTEST - $name${reason:+: $reason}"
    fi
    if [[ -n "$detail" && -s "$detail" ]]; then
        head -n 20 "$detail" | sed 's/^/#   /'
    fi
}

finish() {
    cleanup
    echo "# run time $((SECONDS - START)) s"
    echo "$PASSED passed, $FAILED failed"
    if [[ -n "${RESTORE_KEEP:-}" ]]; then echo "# logs and dumps kept in $WORK" >&2; else rm -rf "$WORK"; fi
    [[ "$FAILED" -eq 0 ]]
    exit
}

# Drops every database and role of this suite; returns 1 if one is left.
cleanup() {
    local db left
    for db in $(psql -X -At -d "$MAINT" -c \
            "SELECT datname FROM pg_database WHERE datname LIKE 'regress\_restore\_%'" 2>/dev/null); do
        dropdb --force --if-exists "$db" >/dev/null 2>&1
    done
    psql -X -q -d "$MAINT" -c "DROP ROLE IF EXISTS ${P}erin, ${P}server" >/dev/null 2>&1
    left=$(psql -X -At -d "$MAINT" -c "SELECT (SELECT count(*) FROM pg_database WHERE datname LIKE 'regress\_restore\_%')
                                              + (SELECT count(*) FROM pg_roles WHERE rolname LIKE 'regress\_restore\_%')" 2>/dev/null)
    [[ "$left" == 0 ]]
}

# Fingerprints database $1 into file $2.
fingerprint() {
    psql -X -q -At -F $'\t' -v ON_ERROR_STOP=1 -d "$1" -f "$HERE/fingerprint.sql" >"$2" 2>"$2.err"
}

# Interrupted (timeout(1) sends TERM): drop what was made, count it as broken.
trap 'echo "# interrupted"; FAILED=$((FAILED + 1)); finish' INT TERM

# ---------------------------------------------------------------- the source
echo "# dump/restore suite: $(psql -X -At -d "$MAINT" -c 'SHOW server_version' 2>&1), $(pg_restore --version)"
cleanup
setup_log=$WORK/setup.log
if ! { psql_q -d "$MAINT" -c "CREATE ROLE ${P}erin LOGIN" -c "CREATE ROLE ${P}server NOLOGIN" &&
       createdb "$SRC" &&
       psql_q -d "$SRC" -o /dev/null -f "$HERE/populate.sql" &&
       fingerprint "$SRC" "$WORK/src.fp" &&
       psql_q -d "$MAINT" -c "CREATE DATABASE ${P}ref TEMPLATE $SRC" &&
       psql -X -q -d "${P}ref" -f "$HERE/api.sql" >"$WORK/ref.api" 2>&1 &&
       dropdb "${P}ref"; } >"$setup_log" 2>&1; then
    cat "$WORK/src.fp.err" >>"$setup_log" 2>/dev/null
    report "source database built" fail "setup broke" "$setup_log"
    finish
fi
# The source itself: every table has rows, the counters are exact, the API reference ran clean.
# (chat's event record is not dumped and not compared: fingerprint.sql; chat.purge_progress is
# not dumped either, and has a row only once chat.purge ran)
empty=$(psql -X -At -d "$SRC" -c "
    SELECT string_agg(format('%I.%I', n.nspname, c.relname), ' ' ORDER BY 1)
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname IN ('chat', 'app') AND c.relkind = 'r'
       AND c.oid NOT IN ('chat.event'::regclass, 'chat.event_pruned'::regclass,
                         'chat.purge_progress'::regclass)
       AND NOT EXISTS (SELECT FROM pg_stat_user_tables s WHERE s.relid = c.oid AND s.n_live_tup > 0)")
tables=$(cut -f2 "$WORK/src.fp" | sort -u | grep -c '^chat\.\|^app\.')
if [[ -z "$empty" ]]; then
    report "source: every table of chat and app has rows ($tables objects fingerprinted, $(grep -c '^row' "$WORK/src.fp") column values)" ok
else
    echo "tables without rows: $empty" >"$WORK/empty"
    report "source: every table of chat and app has rows" fail "" "$WORK/empty"
fi
drift=$(psql -X -At -d "$SRC" -c "SELECT count(*) FROM chat.verify_unread()" 2>&1)
if [[ "$drift" == 0 ]]; then report "source: verify_unread() is empty" ok
else report "source: verify_unread() is empty" fail "$drift rows"; fi
if grep -q 'ERROR' "$WORK/ref.api"; then
    grep 'ERROR' "$WORK/ref.api" >"$WORK/ref.err"
    report "source: api.sql runs clean on a file copy" fail "" "$WORK/ref.err"
else
    report "source: api.sql runs clean on a file copy" ok
fi

# ---------------------------------------------------------------- the dumps
# pg_dump notes chat.message's self-referencing key ("circular foreign-key
# constraints"): a warning, not an error.
declare -A DUMP_OK
dump() {   # dump NAME pg_dump-args...
    local name=$1; shift
    if pg_dump --no-sync -d "$SRC" "$@" >"$WORK/dump-$name.log" 2>&1; then DUMP_OK[$name]=1; else DUMP_OK[$name]=0; fi
}
dump custom -Fc -f "$WORK/src.dump"
dump directory -Fd -f "$WORK/src.dir"
dump plain -Fp -f "$WORK/src.sql"
dump data -Fc --data-only -f "$WORK/src-data.dump"
dump schema -Fp --schema-only -f "$WORK/src-schema.sql"

# ---------------------------------------------------------------- the restores
# restore MODE DB LOG: restores in MODE into DB (made here); prints the exit status.
restore() {
    local mode=$1 db=$2 log=$3 rc=0
    case $mode in
        custom|custom-j4|single-transaction|create) [[ ${DUMP_OK[custom]} == 1 ]] || { echo "pg_dump -Fc failed" >"$log"; cat "$WORK/dump-custom.log" >>"$log"; return 2; } ;;
        directory|directory-j4) [[ ${DUMP_OK[directory]} == 1 ]] || { cat "$WORK/dump-directory.log" >"$log"; return 2; } ;;
        plain) [[ ${DUMP_OK[plain]} == 1 ]] || { cat "$WORK/dump-plain.log" >"$log"; return 2; } ;;
        data-only) [[ ${DUMP_OK[data]} == 1 && ${DUMP_OK[schema]} == 1 ]] ||
                       { cat "$WORK/dump-data.log" "$WORK/dump-schema.log" >"$log"; return 2; } ;;
    esac
    if [[ $mode != create ]]; then createdb "$db" >"$log" 2>&1 || return 2; fi
    case $mode in
        custom)             pg_restore -d "$db" "$WORK/src.dump" >>"$log" 2>&1 || rc=$? ;;
        custom-j4|directory-j4)
            # as the README says: in two steps when the application's tables
            # have foreign keys to chat's (swapped models must): pg_restore -j
            # may otherwise add such a key (post-data) before chat's rows (data)
            # are committed, since chat's tables are no items of their own
            local src=$WORK/src.dump
            [[ $mode == custom-j4 ]] || src=$WORK/src.dir
            pg_restore -j 4 --section=pre-data --section=data -d "$db" "$src" >>"$log" 2>&1 || rc=$?
            pg_restore -j 4 --section=post-data -d "$db" "$src" >>"$log" 2>&1 || rc=$? ;;
        directory)          pg_restore -d "$db" "$WORK/src.dir" >>"$log" 2>&1 || rc=$? ;;
        single-transaction) pg_restore --single-transaction -d "$db" "$WORK/src.dump" >>"$log" 2>&1 || rc=$? ;;
        plain)
            # psql goes on after an error, as pg_restore does; its errors are counted below
            psql -X -q -o /dev/null -d "$db" -f "$WORK/src.sql" >>"$log" 2>&1 || rc=$? ;;
        data-only)
            # an existing install: chat created by the schema (CREATE EXTENSION chat
            # and the application's tables), then the data-only dump restored into it
            if psql_q -o /dev/null -d "$db" -f "$WORK/src-schema.sql" >>"$log" 2>&1; then
                pg_restore -d "$db" "$WORK/src-data.dump" >>"$log" 2>&1 || rc=$?
            else
                echo "(the schema-only restore that creates chat failed)" >>"$log"; rc=3
            fi ;;
        create)
            # --create makes the database of the dump's name: the source steps
            # aside while it does, and the new one is then given its own name
            if psql_q -d "$MAINT" -c "ALTER DATABASE $SRC RENAME TO ${P}src_aside" >"$log" 2>&1; then
                pg_restore --create -d "$MAINT" "$WORK/src.dump" >>"$log" 2>&1 || rc=$?
                psql_q -d "$MAINT" -c "ALTER DATABASE $SRC RENAME TO $db" >>"$log" 2>&1 || rc=$((rc ? rc : 3))
                psql_q -d "$MAINT" -c "ALTER DATABASE ${P}src_aside RENAME TO $SRC" >>"$log" 2>&1 || rc=$((rc ? rc : 3))
            else
                rc=3
            fi ;;
    esac
    return "$rc"
}

for mode in "${MODES[@]}"; do
    db=${P}${mode//-/_}
    log=$WORK/restore-$mode.log
    t0=$SECONDS
    restore "$mode" "$db" "$log"
    rc=$?
    echo "# $mode: restored in $((SECONDS - t0)) s (exit $rc)"

    # exit: the status, and no error reported (pg_restore: "error:", psql: "ERROR:")
    nerr=$(grep -cE 'error:|ERROR:' "$log")
    if [[ $rc -eq 0 && $nerr -eq 0 ]]; then
        report "$mode: exit" ok
    else
        { grep -E 'errors ignored on restore' "$log"
          grep -E -A1 'error:|ERROR:' "$log" | grep -v '^--$' | head -n 14; } >"$WORK/errdetail"
        [[ -s "$WORK/errdetail" ]] || tail -n 14 "$log" >"$WORK/errdetail"
        report "$mode: exit" fail "exit $rc, $nerr errors" "$WORK/errdetail"
    fi

    # the fingerprint, section by section
    if fingerprint "$db" "$WORK/$mode.fp"; then fp_ok=1; else fp_ok=0; fi
    for check in rows settings registries sequences; do
        case $check in
            rows) sect=row ;; settings) sect=setting ;;
            registries) sect=registry ;; sequences) sect=sequence ;;
        esac
        if [[ $fp_ok -eq 0 ]]; then
            report "$mode: $check" fail "cannot fingerprint the restored database" "$WORK/$mode.fp.err"
        elif awk -v sections="$sect" -f "$HERE/compare.awk" "$WORK/src.fp" "$WORK/$mode.fp" >"$WORK/cmp" 2>&1; then
            report "$mode: $check" ok
        else
            report "$mode: $check" fail "$(grep -c '^[^ ]' "$WORK/cmp") objects differ" "$WORK/cmp"
        fi
    done

    # verify_unread: recounted counters equal the stored ones
    if out=$(psql -X -At -F ' ' -v ON_ERROR_STOP=1 -d "$db" \
                -c "SELECT thread_id, user_id, what, stored, recounted FROM chat.verify_unread() ORDER BY 1, 2, 3" 2>&1); then
        if [[ -z "$out" ]]; then
            report "$mode: verify_unread" ok
        else
            echo "thread user what stored recounted" >"$WORK/vu"; echo "$out" >>"$WORK/vu"
            report "$mode: verify_unread" fail "$(echo "$out" | wc -l) rows" "$WORK/vu"
        fi
    else
        echo "$out" >"$WORK/vu"
        report "$mode: verify_unread" fail "error" "$WORK/vu"
    fi

    # api: the same answers as on the reference copy
    psql -X -q -d "$db" -f "$HERE/api.sql" >"$WORK/$mode.api" 2>&1
    if diff -u "$WORK/ref.api" "$WORK/$mode.api" >"$WORK/apidiff"; then
        report "$mode: api" ok
    else
        tail -n +3 "$WORK/apidiff" | grep -E '^[-+]' >"$WORK/apid"
        report "$mode: api" fail "output differs from the reference ($(grep -c '^[-+]' "$WORK/apid") lines)" "$WORK/apid"
    fi
    # keep only a few databases at a time
    dropdb --force --if-exists "$db" >/dev/null 2>&1
done

if cleanup; then report "cleanup: databases and roles dropped" ok
else report "cleanup: databases and roles dropped" fail; fi
finish
