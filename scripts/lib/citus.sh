#!/usr/bin/env bash
# The Citus stage of scripts/test.sh (sourced; README "Running on Citus").
#
# When ../shared/citus/ (beside the clone; CITUS_SRC overrides it) holds the Citus
# source and its build.sh, the stage installs Citus into the PostgreSQL 15 of
# PG_CONFIG (built once, then reused from CITUS_CACHE, default /var/cache/chat-citus),
# runs test/citus/run.sh: a coordinator and two workers on 127.0.0.1
# (ports CITUS_PORT..+2, default 5484..5486; +3 for the worker it adds), the Citus suite, the cluster stopped
# and removed. Logged as a runner (LOGDIR/runner-citus.*), so test.sh counts its
# last line "N passed, M failed". Without ../shared/citus/ it says it skipped.

CITUS_SRC=${CITUS_SRC:-../shared/citus}
CITUS_CACHE=${CITUS_CACHE:-/var/cache/chat-citus}
CITUS_TIMEOUT=${CITUS_TIMEOUT:-900}

# Debian packages Citus's build needs beyond postgresql-server-dev-15: headers the
# server's own headers include (gssapi, zstd) and OpenSSL's.
citus_build_deps() {
    local missing=() p
    for p in libssl-dev libzstd-dev libkrb5-dev; do
        dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
    done
    [[ ${#missing[@]} -eq 0 ]] && return 0
    as_root apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
}

run_citus_stage() {
    echo "===== Citus stage ====="
    if [[ ! -f "$CITUS_SRC/build.sh" || ! -f "$CITUS_SRC/citus-13.2.2.tar.xz" ]]; then
        echo "Citus stage skipped: $CITUS_SRC (Citus source and build.sh) is not there"
        return 0
    fi
    local log=$LOGDIR/runner-citus.log rc=0 t0=$SECONDS
    echo "Citus on 3 nodes" >"$LOGDIR/runner-citus.label"
    echo "test/citus/run.sh" >"$LOGDIR/runner-citus.file"
    {
        if ! citus_build_deps || ! as_root env PG_CONFIG="$PG_CONFIG" CACHE="$CITUS_CACHE" bash "$CITUS_SRC/build.sh"; then
            echo "test.sh: Citus could not be built or installed"
            echo "1" >"$LOGDIR/runner-citus.rc"
        else
            echo "Citus ready after $((SECONDS - t0)) s"
            timeout --kill-after=10 "$CITUS_TIMEOUT" env PG_CONFIG="$PG_CONFIG" test/citus/run.sh || rc=$?
            if [[ "$rc" == 124 ]]; then echo "TIMED OUT after ${CITUS_TIMEOUT}s: test/citus/run.sh"; fi
            echo "$rc" >"$LOGDIR/runner-citus.rc"
        fi
        echo "Citus stage took $((SECONDS - t0)) s"
    } 2>&1 | tee "$log"
}
