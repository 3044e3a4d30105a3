#!/usr/bin/env bash
# Build and install helpers shared by scripts/test.sh and scripts/run.sh.
# Sourced, not run: expects the repo root as cwd and PG_CONFIG set (deps.sh does it).

# Warnings are errors in tests. -Wno-unused-parameter is there only because -Wextra
# fires on inline functions in PostgreSQL 15's own headers (bufpage.h, ilist.h);
# a module using the usual server headers and macros (SPI, funcapi, GUC, hsearch,
# jsonb, arrays, triggers, lists) needs no other exception, so -Wsign-compare and
# -Wmissing-field-initializers stay on for our code.
# shellcheck disable=SC2034  # used by test.sh
STRICT_COPT="-Wall -Wextra -Werror -Wno-unused-parameter"

# Runs a command as root: directly when we are root (CI), else through sudo.
as_root() {
    if [[ "$(id -u)" == 0 ]]; then "$@"; else sudo "$@"; fi
}

# Clean build of chat.so; "$1" is extra COPT (empty for a plain build).
build_chat() {
    make -s clean PG_CONFIG="$PG_CONFIG" &&
        make -j2 PG_CONFIG="$PG_CONFIG" COPT="${1:-}"
}

# Installs into the PostgreSQL 15 tree (needs root: /usr/share/postgresql, /usr/lib/postgresql).
install_chat() {
    as_root make -s install PG_CONFIG="$PG_CONFIG"
}
