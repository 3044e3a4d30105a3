#!/usr/bin/env bash
# Runs the realtime example's tests (test/*.test.js: the relay and two, then three, browser pages
# in headless Chromium) against the PostgreSQL server of PGHOST/PGPORT/PGUSER (a superuser, as
# pg_virtualenv sets them; chat must be installed in that server's tree).
#
# As the superuser: creates the database chat_realtime_example (dropped first if it exists), the
# roles realtime_chat_server (listed in chat's server_roles) and realtime_relay (LOGIN, a member of
# it, not a superuser), and chat; all three are dropped again at the end. Installs Debian's
# chromium when missing (as root), runs npm ci when node_modules is missing or stale, then, as
# realtime_relay, `node --test`. Screenshots go to a new directory under $TMPDIR (or /tmp), named
# in the output; CHAT_REALTIME_SHOTS=DIR picks another.
#
# The last line is "N passed, M failed" (from the runner's TAP summary); exit status non-zero when
# M > 0 or a step broke (a broken step counts as one failure).
set -uo pipefail
cd "$(dirname "$0")" || { echo "0 passed, 1 failed"; exit 1; }
export LC_ALL=C.UTF-8
START=$SECONDS

DB=${CHAT_REALTIME_DB:-chat_realtime_example}
LOG=$(mktemp -t chat-realtime-tests.XXXXXX)
RELAY_PIDS=$(mktemp -t chat-realtime-relays.XXXXXX)   # the relays the tests start, one pid a line
CREATED=no
SUPERUSER=${PGUSER:-$(id -un)}
SUPERPASSWORD=${PGPASSWORD:-}

# The superuser's psql on database $1.
su_psql() { psql -X -q -v ON_ERROR_STOP=1 -d "$1" "${@:2}"; }

# Stops any relay a test left behind (a test process that died) and drops what this run created.
# Runs once, before the last line (and at exit if something broke before).
cleanup() {
    local pid
    [[ -n "$RELAY_PIDS" ]] || return 0
    while read -r pid; do
        [[ "$pid" =~ ^[0-9]+$ ]] && kill -KILL "$pid" 2>/dev/null
    done <"$RELAY_PIDS"
    if [[ "$CREATED" == yes ]]; then
        PGUSER=$SUPERUSER PGPASSWORD=$SUPERPASSWORD PGDATABASE=postgres \
            su_psql postgres -v db="$DB" >/dev/null <<'SQL' ||
SET client_min_messages = warning;
DROP DATABASE IF EXISTS :"db" WITH (FORCE);
DROP ROLE IF EXISTS realtime_relay;
DROP ROLE IF EXISTS realtime_chat_server;
SQL
            echo "run-tests.sh: could not drop the database $DB and the roles realtime_relay, realtime_chat_server" >&2
    fi
    rm -f "$LOG" "$RELAY_PIDS"
    RELAY_PIDS=
}
trap cleanup EXIT

# The closing line; exit status non-zero when something failed.
finish() {
    cleanup
    echo "$1 passed, $2 failed"
    [[ "$2" -eq 0 ]]
    exit
}

broke() {
    echo "run-tests.sh: $*" >&2
    finish 0 1
}

# Installs Debian packages when we are root with apt-get (as the test command runs); fails otherwise.
install_debian() {
    if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
        echo "installing $*"
        (apt-get -o DPkg::Lock::Timeout=300 update -qq &&
            DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "$@") >/dev/null
    else
        return 1
    fi
}

# node 18+ and npm, and Chromium for the browser tests (Debian's packages), installed when missing.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    install_debian nodejs npm || broke "node and npm are required (Debian: apt-get install nodejs npm)"
fi
[[ $(node -p 'process.versions.node.split(".")[0]') -ge 18 ]] || broke "node 18 or later is required"
export CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
if [[ ! -x "$CHROMIUM" ]]; then
    install_debian chromium || broke "chromium is required (Debian: apt-get install chromium)"
    [[ -x "$CHROMIUM" ]] || broke "$CHROMIUM is missing after installing chromium"
fi

# The database and roles, as the superuser. The relay's role gets a fresh random password (servers
# set up by pg_virtualenv ask for passwords).
RELAY_PASSWORD=$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
CREATED=yes
su_psql postgres -v db="$DB" -v pw="$RELAY_PASSWORD" >/dev/null <<'SQL' || broke "could not create the database and roles"
SET client_min_messages = warning;
SELECT 'CREATE ROLE realtime_chat_server NOLOGIN'
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'realtime_chat_server') \gexec
SELECT 'CREATE ROLE realtime_relay LOGIN'
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'realtime_relay') \gexec
ALTER ROLE realtime_relay LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS INHERIT PASSWORD :'pw';
GRANT realtime_chat_server TO realtime_relay;
DROP DATABASE IF EXISTS :"db" WITH (FORCE);
CREATE DATABASE :"db";
SQL
# CHAT_EXAMPLE_NEW_DB: a command run with the new database's name before chat is installed in it
# (test/citus/examples.sh adds Citus and the workers there).
if [[ -n "${CHAT_EXAMPLE_NEW_DB:-}" ]]; then $CHAT_EXAMPLE_NEW_DB "$DB" || broke "CHAT_EXAMPLE_NEW_DB failed for $DB"; fi
su_psql "$DB" >/dev/null <<'SQL' || broke "could not install chat in $DB"
SET client_min_messages = warning;
CREATE EXTENSION chat;
SELECT chat.set_setting('server_roles', '["realtime_chat_server"]');
SQL

# Dependencies: npm ci when node_modules is missing or was installed from another lockfile.
LOCK_SUM=$(sha256sum package-lock.json | cut -d' ' -f1)
if [[ ! -f node_modules/.lock-sha256 || $(cat node_modules/.lock-sha256) != "$LOCK_SUM" ]]; then
    npm ci --no-audit --no-fund --loglevel=error >&2 || broke "npm ci failed"
    echo "$LOCK_SUM" >node_modules/.lock-sha256
fi

SHOTS=${CHAT_REALTIME_SHOTS:-$(mktemp -d "${TMPDIR:-/tmp}/chat-realtime-shots.XXXXXX")}
mkdir -p "$SHOTS" || broke "cannot create the screenshot directory $SHOTS"
echo "screenshots: $SHOTS"

# From here on the relay's role, not the superuser: the relay and the tests' own SQL.
export PGUSER=realtime_relay PGPASSWORD=$RELAY_PASSWORD PGDATABASE=$DB
export CHAT_REALTIME_SHOTS=$SHOTS CHAT_REALTIME_RELAY_PIDS=$RELAY_PIDS
unset PGSERVICE PGSERVICEFILE PGPASSFILE

node --test --test-reporter=tap test/*.test.js 2>&1 | tee "$LOG"
status=${PIPESTATUS[0]}

echo "screenshots: $SHOTS ($(find "$SHOTS" -name '*.png' | wc -l) PNG files); took $((SECONDS - START)) s"
pass=$(grep -E '^# pass [0-9]+$' "$LOG" | tail -n1 | cut -d' ' -f3)
fail=$(grep -E '^# fail [0-9]+$' "$LOG" | tail -n1 | cut -d' ' -f3)
cancelled=$(grep -E '^# cancelled [0-9]+$' "$LOG" | tail -n1 | cut -d' ' -f3)
[[ -n "$pass" && -n "$fail" ]] || broke "node --test ended without a summary (exit $status)"
fail=$((fail + ${cancelled:-0}))
if [[ "$status" -ne 0 && "$fail" -eq 0 ]]; then fail=1; fi
finish "$pass" "$fail"
