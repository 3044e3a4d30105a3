#!/usr/bin/env bash
# THE "run chat" command: installs deps, builds and installs chat, then opens psql on
# a throwaway PostgreSQL 15 cluster with the extension and demo data loaded.
#
# Usage: scripts/run.sh [--user-id-type bigint|integer|uuid|text]
# The cluster is deleted when psql exits. Without a terminal on stdin it runs a smoke
# query instead of psql. --user-id-type sets chat.user_id_type before CREATE EXTENSION
# (then scripts/demo.sql, which uses bigint ids, is skipped).
set -euo pipefail
cd "$(dirname "$0")/.."

USER_ID_TYPE=

usage() {
    sed -n 's/^# \{0,1\}//; 5,8p' "$0"
    exit "${1:-0}"
}

parse_args() {
    while [[ $# -gt 0 ]]; do
        case $1 in
            --user-id-type) [[ $# -ge 2 ]] || usage 2; USER_ID_TYPE=$2; shift 2 ;;
            --user-id-type=*) USER_ID_TYPE=${1#*=}; shift ;;
            -h|--help) usage 0 ;;
            *) echo "run.sh: unknown argument: $1" >&2; usage 2 ;;
        esac
    done
    # It is pasted into SQL, so only a bare word; the extension checks the value.
    if [[ -n "$USER_ID_TYPE" && ! "$USER_ID_TYPE" =~ ^[a-z]+$ ]]; then
        echo "run.sh: --user-id-type takes a type name such as uuid" >&2
        exit 2
    fi
}

die() { echo "run.sh: $*" >&2; exit 1; }

main() {
    parse_args "$@"
    source scripts/deps.sh || die "could not install dependencies"
    source scripts/lib/build.sh
    echo "building chat ..."
    # Command lines to /dev/null; warnings and errors (stderr) still show.
    build_chat "" >/dev/null || die "build failed"
    install_chat || die "make install failed"
    # -t: temp dir even as root, so nothing is left in /etc/postgresql afterwards.
    pg_virtualenv -t -v 15 -i '--locale=C.UTF-8 --encoding=UTF8' \
        scripts/lib/session.sh ${USER_ID_TYPE:+"$USER_ID_TYPE"}
}

main "$@"
