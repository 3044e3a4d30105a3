#!/usr/bin/env bash
# The inside half of scripts/run.sh: runs in the throwaway cluster pg_virtualenv made,
# creates database "chat" with the extension (and demo data), then opens psql.
#
# Usage (from the repo root, inside pg_virtualenv): scripts/lib/session.sh [USER_ID_TYPE]
# With no USER_ID_TYPE the extension's default (bigint) is used and scripts/demo.sql
# is loaded when it exists; with one, demo.sql is skipped (its ids are bigint).
set -euo pipefail

USER_ID_TYPE=${1:-}
DEMO=scripts/demo.sql
DEMO_LOADED=no
PSQL=(psql -X -q -v ON_ERROR_STOP=1)

# The setting is per database and read by CREATE EXTENSION, so it goes on the
# database first; it also stays visible to every later session (SHOW chat.user_id_type).
create_database() {
    createdb chat
    export PGDATABASE=chat
    if [[ -n "$USER_ID_TYPE" ]]; then
        "${PSQL[@]}" -c "ALTER DATABASE chat SET chat.user_id_type = '$USER_ID_TYPE'"
    fi
    "${PSQL[@]}" -c "CREATE EXTENSION chat"
}

# demo.sql and chat.inbox(2) assume bigint user ids, the extension's default.
bigint_ids() { [[ -z "$USER_ID_TYPE" || "$USER_ID_TYPE" == bigint ]]; }

load_demo() {
    if ! bigint_ids; then
        echo "note: user ids are $USER_ID_TYPE, so $DEMO (bigint ids) is not loaded"
    elif [[ ! -f "$DEMO" ]]; then
        echo "note: $DEMO does not exist yet, so there is no demo data"
    else
        "${PSQL[@]}" -f "$DEMO"
        DEMO_LOADED=yes
    fi
}

# Example queries that make sense for what was loaded.
examples() {
    if bigint_ids; then
        echo "    SELECT * FROM chat.inbox(2);        -- user 2's threads, newest first"
        echo "    SELECT chat.unread_count(2);        -- how many of them are unread"
    else
        echo "    SHOW chat.user_id_type;             -- the user id type this database uses"
    fi
    echo "    \\df chat.*                          -- every chat function"
    echo "    \\dx+ chat                           -- everything the extension created"
}

# "$1": when the cluster goes away, in words.
banner() {
    local ids=${USER_ID_TYPE:-bigint}
    echo
    echo "=================================================================="
    echo " chat is installed in a THROWAWAY PostgreSQL 15 cluster:"
    echo "   database chat, user ids of type $ids, demo data: $DEMO_LOADED"
    echo "   (from another terminal: PGHOST=localhost PGPORT=$PGPORT PGUSER=$PGUSER"
    echo "    PGPASSWORD=$PGPASSWORD psql chat)"
    echo " The cluster and everything in it is DELETED $1."
    echo " Try:"
    examples
    echo "=================================================================="
}

# Without a terminal there is no one to type into psql: run one query and explain.
smoke_check() {
    echo "stdin is not a terminal, so no interactive psql; smoke check instead:"
    if bigint_ids; then
        psql -X -v ON_ERROR_STOP=1 -c 'SELECT * FROM chat.inbox(2)'
    else
        psql -X -v ON_ERROR_STOP=1 -c '\dx chat' -c 'SHOW chat.user_id_type'
    fi
    echo "For a lasting session, run scripts/run.sh again from an interactive terminal"
    echo "(stdin a tty); it leaves you in psql until you quit. This cluster is being removed now."
}

create_database
load_demo
if [[ -t 0 ]]; then
    banner "when this psql exits (\\q)"
    exec psql -X
fi
banner "as soon as this script ends"
smoke_check
