#!/usr/bin/env bash
# Runs the Node example's tests against the PostgreSQL server of PGHOST/PGPORT/PGUSER (a superuser,
# as pg_virtualenv sets them; chat must be installed in that server's tree).
#
# As the superuser: creates the database chat_node_example (dropped first if it exists), the roles
# node_chat_server (listed in chat's server_roles), node_app (LOGIN, member of it, not a superuser)
# and authenticated (the end-user role), and chat. Then, as node_app: npm ci when node_modules is
# missing or stale, the app's schema (src/migrate.js), and `node --test`.
#
# The last line is "N passed, M failed" (from the runner's TAP summary); exit status non-zero when
# M > 0 or a step broke (a broken step counts as one failure).
set -uo pipefail
cd "$(dirname "$0")" || { echo "0 passed, 1 failed"; exit 1; }
export LC_ALL=C.UTF-8

DB=${CHAT_NODE_DB:-chat_node_example}
LOG=$(mktemp -t chat-node-tests.XXXXXX)
trap 'rm -f "$LOG"' EXIT

broke() {
    echo "run-tests.sh: $*" >&2
    echo "0 passed, 1 failed"
    exit 1
}

# node 18+ and npm (Debian's nodejs and npm packages), installed when missing and we are root.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
        echo "installing nodejs and npm"
        (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm) >/dev/null ||
            broke "could not install nodejs and npm"
    else
        broke "node and npm are required (Debian: apt-get install nodejs npm)"
    fi
fi
[[ $(node -p 'process.versions.node.split(".")[0]') -ge 18 ]] || broke "node 18 or later is required"

# The database and roles, as the superuser. The app's role gets a fresh random password (servers
# set up by pg_virtualenv ask for passwords).
APP_PASSWORD=$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
psql -X -q -v ON_ERROR_STOP=1 -d postgres -v db="$DB" -v pw="$APP_PASSWORD" >/dev/null <<'SQL' || broke "could not create the database and roles"
SET client_min_messages = warning;
SELECT format('CREATE ROLE %I NOLOGIN', r) FROM unnest(ARRAY['node_chat_server', 'authenticated']) r
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = r) \gexec
SELECT 'CREATE ROLE node_app LOGIN' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'node_app') \gexec
ALTER ROLE node_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS INHERIT PASSWORD :'pw';
GRANT node_chat_server TO node_app;
GRANT authenticated TO node_app;   -- node_app may SET ROLE authenticated, as PostgREST's authenticator
DROP DATABASE IF EXISTS :"db" WITH (FORCE);
CREATE DATABASE :"db" OWNER node_app;
SQL
# CHAT_EXAMPLE_NEW_DB: a command run with the new database's name before chat is installed in it
# (test/citus/examples.sh adds Citus and the workers there).
if [[ -n "${CHAT_EXAMPLE_NEW_DB:-}" ]]; then $CHAT_EXAMPLE_NEW_DB "$DB" || broke "CHAT_EXAMPLE_NEW_DB failed for $DB"; fi
psql -X -q -v ON_ERROR_STOP=1 -d "$DB" >/dev/null <<'SQL' || broke "could not install chat in $DB"
SET client_min_messages = warning;
CREATE EXTENSION chat;
SELECT chat.set_setting('server_roles', '["node_chat_server"]');
SQL

# Dependencies: npm ci when node_modules is missing or was installed from another lockfile.
LOCK_SUM=$(sha256sum package-lock.json | cut -d' ' -f1)
if [[ ! -f node_modules/.lock-sha256 || $(cat node_modules/.lock-sha256) != "$LOCK_SUM" ]]; then
    npm ci --no-audit --no-fund --loglevel=error >&2 || broke "npm ci failed"
    echo "$LOCK_SUM" >node_modules/.lock-sha256
fi

# From here on the app's own connections: node_app, not the superuser.
export PGUSER=node_app PGPASSWORD=$APP_PASSWORD PGDATABASE=$DB
unset PGSERVICE PGSERVICEFILE PGPASSFILE
node src/migrate.js || broke "the app's schema could not be created"

node --test --test-reporter=tap test/*.test.js 2>&1 | tee "$LOG"
status=${PIPESTATUS[0]}

pass=$(grep -E '^# pass [0-9]+$' "$LOG" | tail -n1 | cut -d' ' -f3)
fail=$(grep -E '^# fail [0-9]+$' "$LOG" | tail -n1 | cut -d' ' -f3)
cancelled=$(grep -E '^# cancelled [0-9]+$' "$LOG" | tail -n1 | cut -d' ' -f3)
[[ -n "$pass" && -n "$fail" ]] || broke "node --test ended without a summary (exit $status)"
fail=$((fail + ${cancelled:-0}))
if [[ "$status" -ne 0 && "$fail" -eq 0 ]]; then fail=1; fi
echo "$pass passed, $fail failed"
[[ "$fail" -eq 0 ]]
