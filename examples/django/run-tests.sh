#!/usr/bin/env bash
# Runs the Django example's test suite against chat, the way a Django shop would:
#
#   1. as the superuser of PGHOST/PGPORT/PGUSER (the DBA; pg_virtualenv sets them): the role
#      django_owner (LOGIN CREATEDB, not a superuser), the template database chat_template with
#      CREATE EXTENSION chat, django_owner in chat's server_roles, TRUNCATE on chat's data tables for
#      the test flushes, then IS_TEMPLATE;
#   2. as django_owner: /usr/bin/python3 manage.py test -v 2, which copies chat_template into
#      test_chatsite (DATABASES TEST TEMPLATE), migrates it (binding auth_user) and runs the tests.
#
# The last line is "N passed, M failed" (Django's tests); the exit status is non-zero when a test
# failed or a step broke. chat must be installed in the PostgreSQL the cluster runs (make install).
#
# Environment: PGHOST, PGPORT, PGUSER (a superuser), PGPASSWORD if needed; optional
# DJANGO_DB_USER / DJANGO_DB_PASSWORD (the non-superuser role, created here), CHAT_USER_ID_TYPE
# (chat.user_id_type for CREATE EXTENSION; empty: chat's default, bigint), PYTHON (/usr/bin/python3).
set -uo pipefail
cd "$(dirname "$0")" || exit 1
export LC_ALL=C.UTF-8

ROLE=${DJANGO_DB_USER:-django_owner}
ROLE_PASSWORD=${DJANGO_DB_PASSWORD:-django_owner_example}
TEMPLATE=${DJANGO_TEST_TEMPLATE:-chat_template}
TEST_DB=${DJANGO_TEST_DB_NAME:-test_chatsite}
USER_ID_TYPE=${CHAT_USER_ID_TYPE:-}
PYTHON=${PYTHON:-/usr/bin/python3}
LOG=$(mktemp -t django-example.XXXXXX)
trap 'rm -f "$LOG"' EXIT

# How many tests the suite has, without a database (for the count when the run breaks before Django
# reports one).
count_tests() {
    DJANGO_SETTINGS_MODULE=chatsite.settings "$PYTHON" -c '
import django
django.setup()
from django.test.runner import DiscoverRunner
print(DiscoverRunner().build_suite(["messaging"]).countTestCases())' 2>/dev/null || echo 1
}

# Ends the run: the last line, then the status.
finish() {
    echo "$1 passed, $2 failed"
    [[ "$2" -eq 0 && "$3" -eq 0 ]] && exit 0
    exit 1
}

broken() {
    echo "run-tests.sh: $1" >&2
    local n
    n=$(count_tests)
    finish 0 "$((n > 0 ? n : 1))" 1
}

: "${PGHOST:?run-tests.sh: set PGHOST, PGPORT and PGUSER (a superuser)}"
: "${PGUSER:?run-tests.sh: set PGUSER (a superuser)}"
[[ -x "$PYTHON" ]] || broken "$PYTHON not found"
"$PYTHON" -c 'import django, psycopg2' 2>/dev/null ||
    broken "Django or psycopg2 missing: apt-get install -y python3-django python3-psycopg2"

dba() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }

echo "===== DBA steps (as $PGUSER) ====="
# The role Django connects as: not a superuser; CREATEDB so that the test runner can create its
# database (from the template).
dba -d postgres -v role="$ROLE" -v password="$ROLE_PASSWORD" -v template="$TEMPLATE" -v test_db="$TEST_DB" <<'SQL' || broken "creating the role or the template failed"
SELECT NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'role') AS create_role \gset
\if :create_role
CREATE ROLE :"role" LOGIN CREATEDB;
\endif
ALTER ROLE :"role" LOGIN CREATEDB NOSUPERUSER PASSWORD :'password';
DROP DATABASE IF EXISTS :"test_db" WITH (FORCE);
SELECT EXISTS (SELECT FROM pg_database WHERE datname = :'template') AS has_template \gset
\if :has_template
ALTER DATABASE :"template" IS_TEMPLATE false;
DROP DATABASE :"template" WITH (FORCE);
\endif
CREATE DATABASE :"template";
SQL

# CHAT_EXAMPLE_NEW_DB: a command run with a new database's name before chat is installed in it
# (test/citus/examples.sh adds Citus and the workers there). A Citus database cannot be a template
# (its maintenance daemon stays connected to it), so then the DBA makes the test database itself,
# owned by the role, and Django keeps it (--keepdb) instead of copying the template.
KEEPDB=()
CHAT_DB=$TEMPLATE
if [[ -n "${CHAT_EXAMPLE_NEW_DB:-}" ]]; then
    CHAT_DB=$TEST_DB
    KEEPDB=(--keepdb)
    echo 'CREATE DATABASE :"test_db" OWNER :"role"' | dba -d postgres -v test_db="$TEST_DB" -v role="$ROLE" ||
        broken "creating $TEST_DB failed"
    $CHAT_EXAMPLE_NEW_DB "$TEST_DB" || broken "CHAT_EXAMPLE_NEW_DB failed for $TEST_DB"
fi

# chat in the template: the extension (superuser only), django_owner as a server role (chat's
# setting lives in the database, so the copies have it), and TRUNCATE on the tables that
# TRUNCATE auth_user ... CASCADE reaches once auth_user is bound (TransactionTestCase's flush).
dba -d "$CHAT_DB" -v role="$ROLE" -v user_id_type="$USER_ID_TYPE" <<'SQL' || broken "installing chat in the template failed"
SELECT :'user_id_type' <> '' AS set_type \gset
\if :set_type
SET chat.user_id_type = :'user_id_type';
\endif
CREATE EXTENSION chat;
SELECT chat.set_setting('server_roles', jsonb_build_array(:'role'));
GRANT TRUNCATE ON chat.thread, chat.member, chat.message, chat.message_edit, chat.reaction,
    chat.attachment TO :"role";
SQL
echo 'ALTER DATABASE :"template" IS_TEMPLATE true' | dba -d postgres -v template="$TEMPLATE" ||
    broken "marking the template failed"
echo "$CHAT_DB: chat $(psql -X -At -d "$CHAT_DB" -c "SELECT extversion FROM pg_extension WHERE extname = 'chat'"), user ids $(psql -X -At -d "$CHAT_DB" -c "SELECT format_type(typbasetype, NULL) FROM pg_type WHERE oid = 'chat.user_id'::regtype")"

echo "===== manage.py test (as $ROLE) ====="
# Django gets the role's own credentials; the superuser's PGUSER/PGPASSWORD are not passed on.
env -u PGUSER -u PGPASSWORD -u PGDATABASE \
    DJANGO_DB_USER="$ROLE" DJANGO_DB_PASSWORD="$ROLE_PASSWORD" \
    DJANGO_DB_HOST="$PGHOST" DJANGO_DB_PORT="${PGPORT:-5432}" \
    DJANGO_TEST_TEMPLATE="$TEMPLATE" DJANGO_TEST_DB_NAME="$TEST_DB" \
    "$PYTHON" manage.py test -v 2 --noinput "${KEEPDB[@]}" messaging 2>&1 | tee "$LOG"
rc=${PIPESTATUS[0]}

# Django's summary: "Ran N tests in ...", then "OK[ (...)]" or "FAILED (failures=a, errors=b, ...)".
ran=$(sed -nE 's/^Ran ([0-9]+) tests? in .*/\1/p' "$LOG" | tail -n1)
[[ -n "$ran" ]] || broken "manage.py test ended before running the tests (exit $rc)"
result=$(grep -E '^(OK|FAILED)( \(.*\))?$' "$LOG" | tail -n1)
failed=0
for key in failures errors unexpected_successes; do
    if [[ "$result" =~ [\(\ ]$key=([0-9]+) ]]; then failed=$((failed + BASH_REMATCH[1])); fi
done
if [[ -z "$result" ]]; then
    echo "run-tests.sh: no OK/FAILED line from Django: counted as a failure" >&2
    rc=1
    failed=$((failed > 0 ? failed : 1))
fi
finish "$((ran - failed))" "$failed" "$rc"
