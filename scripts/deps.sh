#!/usr/bin/env bash
# Installs what building, testing and running chat needs: PostgreSQL 15 (server,
# dev files, contrib, libpq), pgTAP and pg_prove, make, gcc, IPC::Run (PostgreSQL's
# TAP framework, for the crash test), pg_cron (the purge test), and what the example
# applications need (Django, psycopg2, Node.js, Chromium). Silent when all is there.
#
# Run it, or source it (". scripts/deps.sh") to also get PG_CONFIG exported and
# PostgreSQL 15's bin directory first on PATH. Idempotent.
set -euo pipefail

PG_MAJOR=15
PG_BIN=/usr/lib/postgresql/$PG_MAJOR/bin

# contrib: Debian bookworm has no postgresql-contrib-15 package; contrib ships inside
# postgresql-15 (which "Provides: postgresql-contrib-15"), so the server covers it.
# postgresql-common brings pg_virtualenv; postgresql-client-15 brings psql,
# pg_config and PGXS's isolationtester. coreutils, sed, grep, findutils and mawk
# come with every Debian system.
DEPS_PACKAGES=(
    "postgresql-$PG_MAJOR"
    "postgresql-client-$PG_MAJOR"
    postgresql-common
    "postgresql-server-dev-$PG_MAJOR"
    # chat.so links libpq (src/relay.c: a Citus worker's events go to the coordinator)
    libpq-dev
    "postgresql-$PG_MAJOR-pgtap"
    libtap-parser-sourcehandler-pgtap-perl
    make
    gcc
    libipc-run-perl
    # test/tap/002_purge_cron.pl runs chat.purge under pg_cron (chat does not need it)
    "postgresql-$PG_MAJOR-cron"
    # test/memcheck runs chat's C code under memcheck
    valgrind
)

# Prints the packages of "$@" that dpkg does not have fully installed.
deps_missing() {
    local p
    for p in "$@"; do
        if [[ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" != "install ok installed" ]]; then
            echo "$p"
        fi
    done
}

# Runs a command as root: directly when we are root (CI), else through sudo.
deps_as_root() {
    if [[ "$(id -u)" == 0 ]]; then "$@"; else sudo "$@"; fi
}

# The example applications (examples/): Django from Debian, node and npm. A
# machine that already has node and npm (another packaging of Node.js) keeps them.
DEPS_PACKAGES+=(python3-django python3-psycopg2)
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    DEPS_PACKAGES+=(nodejs npm)
fi
# The realtime example's tests drive Debian's Chromium headless (puppeteer-core, from npm, brings
# no browser of its own).
DEPS_PACKAGES+=(chromium)

# Building the Debian package (scripts/lib/package.sh): the test command
# installs chat from it.
# shellcheck source=scripts/lib/package.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/package.sh"
DEPS_PACKAGES+=("${PACKAGE_DEPS[@]}")

# Installs the missing packages; returns non-zero when apt fails.
deps_install() {
    local missing
    mapfile -t missing < <(deps_missing "${DEPS_PACKAGES[@]}")
    [[ ${#missing[@]} -eq 0 ]] && return 0
    echo "deps.sh: installing: ${missing[*]}"
    # Lock timeout: on a freshly booted machine another apt may still be running.
    # A failed update (one unreachable third-party source) need not be fatal: the
    # install below and the final check decide.
    deps_as_root apt-get -o DPkg::Lock::Timeout=300 update -qq ||
        echo "deps.sh: apt-get update reported errors; trying the install anyway" >&2
    deps_as_root env DEBIAN_FRONTEND=noninteractive \
        apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends \
        "${missing[@]}" >/dev/null &&
        [[ -z "$(deps_missing "${DEPS_PACKAGES[@]}")" ]]
}

# Exports the PostgreSQL 15 toolchain location for the caller (when sourced).
deps_export_env() {
    export PG_CONFIG=$PG_BIN/pg_config
    case ":$PATH:" in
        *":$PG_BIN:"*) ;;
        *) export PATH="$PG_BIN:$PATH" ;;
    esac
}

# When sourced we must not exit the caller's shell, so report failure by status.
if deps_install; then
    deps_export_env
else
    echo "deps.sh: could not install the packages chat needs" >&2
    if [[ "${BASH_SOURCE[0]}" != "$0" ]]; then return 1; else exit 1; fi
fi
