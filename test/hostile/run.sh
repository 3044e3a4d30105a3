#!/usr/bin/env bash
# The generated hostile-input suite (issue 12): thousands of calls of every public function of chat
# (read from the catalog) with NULLs, empty, control-character and 10 MB texts, boundary and foreign
# ids, malformed, deeply nested and huge JSON, huge arrays, bad settings and bad registrations, each
# in its own transaction, as a server role (a member of a role in server_roles, not a superuser), as
# an end user (a role mapped with chat.map_role, or PostgREST's SET ROLE + request.jwt.claims) and,
# for the registrations only the extension's owner may make, as that owner.
#
# A call passes when it succeeds or fails with a SQLSTATE of the list below (README "Errors" and
# PostgreSQL's own refusals of values that cannot be represented or are too large). It fails on:
# a crash or a lost connection, XX000 or any other SQLSTATE, a change left behind by a refused call
# (fingerprint of chat's and the application's tables), counters left inexact by a successful call
# (chat.verify_unread()), an end user's successful call with 100,000 users (no resource limit), and,
# for a setting or registration, a later round of normal calls (new_reply, new_message, messages,
# inbox, members, mark_read, display_name, as the superuser and as an end user) that fails, in the
# same transaction after it was accepted and in the next one after it was rolled back. Identities
# are checked too: a user id means the same from chat.user_id as from the JWT "sub", with bigint
# and with text user ids.
#
# Usage: test/hostile/run.sh   (inside pg_virtualenv, or with PGHOST/PGPORT/PGUSER naming a
# superuser of a PostgreSQL 15 server where chat is installed). Needs bash, psql and python3
# (Debian: postgresql-client-15, python3). Environment: HOSTILE_SEED (default 12), HOSTILE_RANDOM
# (random calls per function and pass, default 6), HOSTILE_MAX_PER_ARG (hostile values per argument,
# default 16), HOSTILE_KEEP=1 keeps the databases and roles.
#
# The last line is "N passed, M failed", one test per call and role (and per identity value); the
# exit status is non-zero when M > 0 or the suite broke (counted as one failure).
set -uo pipefail
cd "$(dirname "$0")" || { echo "0 passed, 1 failed"; exit 1; }
export LC_ALL=C.UTF-8 PGCLIENTENCODING=UTF8

DB=chat_hostile
DB_TEXT=chat_hostile_text
SEED=${HOSTILE_SEED:-12}
RANDOM_CALLS=${HOSTILE_RANDOM:-6}
MAX_PER_ARG=${HOSTILE_MAX_PER_ARG:-16}
CHUNK=300                # calls per psql session (one CALL)
CHUNK_TIMEOUT=90s        # statement_timeout of one CALL: a hung call ends its chunk
MAX_BREAKS=10            # crashes and timeouts before giving up
ROLES=(hostile_app hostile_srv hostile_user hostile_web hostile_spare)
ROLE_LIST=$(IFS=,; echo "${ROLES[*]}")
WORK=$(mktemp -d -t chat-hostile.XXXXXX)
START=$SECONDS

# The SQLSTATEs a refused call may have: README "Errors", then PostgreSQL's own refusals of a value
# before or while chat reads it.
ACCEPTED=(
    "22023|invalid argument (README)"
    "22004|a required argument is NULL (README)"
    "22001|text longer than its limit (README)"
    "22P02|a value that does not convert (README; also PostgreSQL's input functions)"
    "22003|a user id out of the range of chat.user_id's type, as an argument, setting or JWT sub (README)"
    "54000|a limit exceeded (README; also PostgreSQL's program limits: chr(0), index row size)"
    "42704|thread, message, member or role not found (README)"
    "42501|permission denied (README; also PostgreSQL's own privilege checks)"
    "55000|object in the wrong state (README)"
    "23505|hook position taken (README)"
    "23503|user binding: unknown users (README)"
    "23514|forwarded and reply; a swapped model's CHECK (README: your table's constraints apply)"
    "23502|a swapped model's NOT NULL column (README: your table's constraints apply)"
    "40001|concurrent direct_thread/object_thread under REPEATABLE READ (README)"
    "40P01|deadlock between multi-call transactions (README; cannot happen in one session)"
    "42883|hook, renderer or display-name function without the right signature (README)"
    "42703|binding or swapping: column missing (README)"
    "42804|binding: id of another type (README)"
    "42809|binding or swapping: not a permanent table (README)"
    "42P10|binding or swapping: no unique key (README)"
    "42P16|swapping: a NOT NULL column without a default (README)"
    "42830|swapping: no foreign key to chat's key (README)"
    "42P01|a swapped model's table no longer exists (README)"
    "0A000|swap_model of reaction or attachment (README)"
    "54001|PostgreSQL: stack depth limit exceeded (deeply nested input)"
    "22P05|PostgreSQL: \\u0000 in JSON cannot be text"
    "22021|PostgreSQL: invalid byte sequence for UTF8"
)

PSQL=(psql -X -q -v ON_ERROR_STOP=1)

cleanup() {
    if [[ "${HOSTILE_KEEP:-}" != 1 ]]; then
        "${PSQL[@]}" -d postgres >/dev/null 2>&1 <<SQL
SET client_min_messages = warning;
DROP DATABASE IF EXISTS $DB WITH (FORCE);
DROP DATABASE IF EXISTS $DB_TEXT WITH (FORCE);
DROP ROLE IF EXISTS $ROLE_LIST;
SQL
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

broke() {
    echo "run.sh: $*" >&2
    echo "0 passed, 1 failed"
    exit 1
}

# python3 (Debian's python3 package), installed when missing and we are root.
if ! command -v python3 >/dev/null; then
    if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
        (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3) >/dev/null ||
            broke "could not install python3"
    else
        broke "python3 is required (Debian: apt-get install python3)"
    fi
fi

# ---- databases and roles, as the superuser ---------------------------------------------------
echo "== hostile-input suite: setting up (seed $SEED)"
"${PSQL[@]}" -d postgres >/dev/null <<SQL || broke "could not create the roles and databases"
SET client_min_messages = warning;
DROP DATABASE IF EXISTS $DB WITH (FORCE);
DROP DATABASE IF EXISTS $DB_TEXT WITH (FORCE);
DROP ROLE IF EXISTS $ROLE_LIST;
CREATE ROLE hostile_srv NOLOGIN;
CREATE ROLE hostile_app NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS IN ROLE hostile_srv;
CREATE ROLE hostile_user NOLOGIN;
CREATE ROLE hostile_web NOLOGIN;
CREATE ROLE hostile_spare NOLOGIN;
CREATE DATABASE $DB;
CREATE DATABASE $DB_TEXT;
SQL
"${PSQL[@]}" -d "$DB" -f setup.sql >"$WORK/setup.log" 2>&1 || { cat "$WORK/setup.log" >&2; broke "setup.sql failed"; }
{
    echo "COPY hostile.accepted (code, why) FROM STDIN WITH (FORMAT csv, DELIMITER '|');"
    printf '%s\n' "${ACCEPTED[@]}"
    echo '\.'
    echo "INSERT INTO hostile.baseline SELECT hostile.fingerprint();"
} | "${PSQL[@]}" -d "$DB" >/dev/null || broke "could not load the accepted SQLSTATEs"

# ---- the calls ---------------------------------------------------------------------------------
"${PSQL[@]}" -d "$DB" -At -f catalog.sql >"$WORK/catalog.json" || broke "could not read the catalog"
python3 generate.py "$SEED" "$RANDOM_CALLS" "$MAX_PER_ARG" <"$WORK/catalog.json" >"$WORK/calls.csv" ||
    broke "generate.py failed"
"${PSQL[@]}" -d "$DB" -c "\\copy hostile.call FROM '$WORK/calls.csv' WITH (FORMAT csv, FORCE_NULL (after))" ||
    broke "could not load the calls"
TOTAL=$("${PSQL[@]}" -d "$DB" -At -c "SELECT count(*) FROM hostile.call") || broke "no calls"
echo "== $TOTAL calls generated in $((SECONDS - START)) s; running"

# ---- running them: one psql session per chunk; a crash or timeout fails its call and goes on -----
wait_ready() {
    local _
    for _ in $(seq 1 60); do
        "${PSQL[@]}" -d "$DB" -At -c "SELECT 1" >/dev/null 2>&1 && return 0
        sleep 1
    done
    return 1
}

breaks=0
from=1
while [[ "$from" -le "$TOTAL" ]]; do
    to=$((from + CHUNK - 1))
    rc=0
    "${PSQL[@]}" -d "$DB" >"$WORK/chunk.log" 2>&1 <<SQL || rc=$?
SET synchronous_commit = off;
SET search_path = pg_catalog, pg_temp;
SET client_min_messages = error;
SET statement_timeout = '$CHUNK_TIMEOUT';
CREATE TEMP TABLE pg_temp.tmp_users (id bigint PRIMARY KEY);
CALL hostile.run($from, $to);
-- the rolled-back rows of this chunk (100,000-member rooms...) would slow every later scan
RESET statement_timeout;
SELECT format('VACUUM %s', c.oid::regclass) FROM pg_class c
 WHERE c.relnamespace IN ('chat'::regnamespace, 'hostile_app'::regnamespace) AND c.relkind = 'r'
   AND c.relname <> 'users' \gexec
SQL
    if [[ "$rc" -eq 0 ]]; then
        from=$((to + 1))
        printf '   %d/%d calls, %d s\n' "$((to < TOTAL ? to : TOTAL))" "$TOTAL" "$((SECONDS - START))"
        continue
    fi
    # The chunk broke: its first call without a result is the one that broke it.
    breaks=$((breaks + 1))
    wait_ready || broke "the server did not come back after: $(tail -n 3 "$WORK/chunk.log")"
    at=$("${PSQL[@]}" -d "$DB" -At -c "SELECT min(s) FROM generate_series($from, $to) s
                                        WHERE NOT EXISTS (SELECT 1 FROM hostile.result r WHERE r.seq = s)")
    [[ -n "$at" ]] || { from=$((to + 1)); continue; }
    why="$(grep -E 'ERROR|FATAL|server closed|terminated|lost' "$WORK/chunk.log" | head -n 2 | tr '\n' ' ')"
    [[ "$rc" -eq 2 ]] && why="backend crashed or connection lost (psql exit 2): $why"
    "${PSQL[@]}" -d "$DB" -v seq="$at" -v why="$why" >/dev/null <<'SQL' || broke "could not record a broken call"
INSERT INTO hostile.result (seq, ok, why) VALUES (:seq, false, left(:'why', 500));
SQL
    echo "   call $at broke its session (exit $rc): $why"
    [[ "$breaks" -ge "$MAX_BREAKS" ]] && broke "$breaks calls broke their sessions: giving up"
    from=$((at + 1))
done

# ---- identities: the same user from chat.user_id as from the JWT sub --------------------------
"${PSQL[@]}" -d "$DB_TEXT" >/dev/null <<'SQL' || broke "could not create chat with text user ids"
SET client_min_messages = warning;
SET chat.user_id_type = 'text';
CREATE EXTENSION chat;
SQL
: >"$WORK/identity.txt"
for d in "$DB" "$DB_TEXT"; do
    "${PSQL[@]}" -d "$d" -f identity.sql | sed "s/^/$d|/" >>"$WORK/identity.txt" ||
        broke "identity.sql failed in $d"
done

# ---- report -------------------------------------------------------------------------------------
echo
echo "== calls per function (pass: passed/failed)"
"${PSQL[@]}" -d "$DB" -P pager=off -P footer=off <<'SQL'
SELECT c.fn AS function,
       string_agg(format('%s %s/%s', c.pass, p, f), ', ' ORDER BY c.pass) AS "passed/failed per pass"
  FROM (SELECT c.fn, c.pass, count(*) FILTER (WHERE r.ok) AS p, count(*) FILTER (WHERE NOT r.ok) AS f
          FROM hostile.call c JOIN hostile.result r USING (seq) GROUP BY 1, 2) c
 GROUP BY c.fn ORDER BY c.fn;
SQL
echo "== outcomes per SQLSTATE (ok = the call succeeded)"
"${PSQL[@]}" -d "$DB" -P pager=off -P footer=off <<'SQL'
SELECT o.outcome AS sqlstate,
       count(*) FILTER (WHERE o.pass = 'server') AS server,
       count(*) FILTER (WHERE o.pass = 'user') AS "end user",
       count(*) FILTER (WHERE o.pass = 'owner') AS owner,
       count(*) FILTER (WHERE NOT o.ok) AS failed,
       CASE WHEN o.outcome IN ('ok', 'broke') THEN '' ELSE coalesce(a.why, 'NOT DOCUMENTED') END AS meaning
  FROM (SELECT c.pass, r.ok, coalesce(r.state, CASE WHEN r.ms IS NULL THEN 'broke' ELSE 'ok' END) AS outcome
          FROM hostile.call c JOIN hostile.result r USING (seq)) o
       LEFT JOIN hostile.accepted a ON a.code = o.outcome
 GROUP BY o.outcome, a.why ORDER BY 1;
SQL
echo "== slowest calls"
"${PSQL[@]}" -d "$DB" -P pager=off -P footer=off <<'SQL'
SELECT r.ms, c.pass, c.fn, left(c.args, 100) AS args, coalesce(r.state, 'ok') AS outcome
  FROM hostile.call c JOIN hostile.result r USING (seq) WHERE r.ms IS NOT NULL ORDER BY r.ms DESC LIMIT 8;
SQL
echo "== notes (not failures): refusals that echo a huge argument in their message (over 10,000 characters)"
"${PSQL[@]}" -d "$DB" -P pager=off -P footer=off <<'SQL'
SELECT c.fn AS function, count(*) AS calls, max(r.msg_len) AS "longest message", min(left(r.message, 60)) AS example
  FROM hostile.call c JOIN hostile.result r USING (seq) WHERE r.msg_len > 10000 GROUP BY 1 ORDER BY 1;
SQL
echo "== failing calls"
"${PSQL[@]}" -d "$DB" -At -F ' | ' <<'SQL'
SELECT format('FAIL #%s %s as %s: %s(%s)', c.seq, c.pass, CASE c.role WHEN 'none' THEN 'owner' ELSE c.role END,
              c.fn, left(c.args, 240)),
       coalesce(r.state, CASE WHEN r.ms IS NULL THEN 'broke' ELSE 'ok' END), left(regexp_replace(coalesce(r.message, ''), '\s+', ' ', 'g'), 200), r.why
  FROM hostile.call c JOIN hostile.result r USING (seq) WHERE NOT r.ok ORDER BY c.seq;
SQL
echo "== identities (database|same both ways|value|via chat.user_id|via JWT sub)"
grep '|f|' "$WORK/identity.txt" | sed 's/^/FAIL /'
id_pass=$(grep -c '|t|' "$WORK/identity.txt")
id_fail=$(grep -c '|f|' "$WORK/identity.txt")

read -r call_pass call_fail missing < <("${PSQL[@]}" -d "$DB" -At -F ' ' -c "
    SELECT count(*) FILTER (WHERE r.ok), count(*) FILTER (WHERE NOT r.ok),
           (SELECT count(*) FROM hostile.call) - count(*)
      FROM hostile.result r") || broke "could not count the results"
[[ "$missing" -eq 0 ]] || { echo "run.sh: $missing calls have no result" >&2; call_fail=$((call_fail + 1)); }
echo
echo "== $((SECONDS - START)) s"
passed=$((call_pass + id_pass))
failed=$((call_fail + id_fail))
echo "$passed passed, $failed failed"
[[ "$failed" -eq 0 ]]
