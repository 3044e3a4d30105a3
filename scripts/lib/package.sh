#!/usr/bin/env bash
# Debian package and PGXN helpers for chat (issue 11). Sourced, not run: expects
# the repo root as cwd. The package is postgresql-<major>-chat, built from debian/
# with pg_buildext (debian/rules says why it builds in tree); META.json is PGXN's.
#
#   package_deps                   the apt packages building the .deb needs, one a line
#   package_semver [VERSION]       chat.control's default_version as PGXN's x.y.z
#   package_check_meta             META.json and debian/changelog agree with chat.control
#   package_build OUTDIR [COPT]    builds the .deb from a clean copy of the tree into OUTDIR
#   package_install DIR            dpkg -i the postgresql-<major>-chat .deb found in DIR
#   package_check_installed        dpkg -L lists chat.so, chat.control and every script
#
# Needs root for package_install (directly or through sudo), as make install does.

PACKAGE_PG_MAJOR=${PACKAGE_PG_MAJOR:-15}
PACKAGE_NAME=postgresql-$PACKAGE_PG_MAJOR-chat

# What dpkg-buildpackage and debian/rules need beyond scripts/deps.sh's list:
# debhelper (dh, compat 13), postgresql-server-dev-all (pg_buildext's dh
# sequence pgxs_loop and dh_pgxs_test), dpkg-dev (dpkg-buildpackage),
# build-essential (dpkg-checkbuilddeps requires it implicitly), fakeroot (used
# only by a non-root build of a package that needs root; this one says
# Rules-Requires-Root: no, so it stays for older dpkg-dev).
PACKAGE_DEPS=(
    debhelper
    postgresql-server-dev-all
    dpkg-dev
    build-essential
    fakeroot
)

package_deps() { printf '%s\n' "${PACKAGE_DEPS[@]}"; }

package_as_root() {
    if [[ "$(id -u)" == 0 ]]; then "$@"; else sudo "$@"; fi
}

# chat.control's default_version, as written there ("0.6").
package_control_version() {
    sed -n "s/^default_version[[:space:]]*=[[:space:]]*'\([^']*\)'.*/\1/p" chat.control
}

# PGXN wants semantic versions: "X.Y" becomes "X.Y.0", "X.Y.Z" stays.
# Anything else is refused, so a new version style must be mapped here first.
package_semver() {
    local v=${1:-$(package_control_version)}
    if [[ "$v" =~ ^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$ ]]; then
        echo "$v.0"
    elif [[ "$v" =~ ^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$ ]]; then
        echo "$v"
    else
        echo "package.sh: default_version '$v' has no semantic version mapping" >&2
        return 1
    fi
}

# META.json (distribution version, provides.chat version and file, meta-spec)
# and debian/changelog's version must follow chat.control; prints each mismatch.
package_check_meta() {
    local v semver bad=0 got
    v=$(package_control_version)
    [[ -n "$v" ]] || { echo "package.sh: no default_version in chat.control" >&2; return 1; }
    semver=$(package_semver "$v") || return 1
    # perl and JSON::PP come with debhelper; this also rejects invalid JSON.
    got=$(perl -MJSON::PP -e '
        local $/; open my $f, "<", "META.json" or die "META.json: $!\n";
        my $m = JSON::PP->new->decode(<$f>);
        my $c = $m->{provides}{chat} || {};
        print join("\n", map { $_ // "" } $m->{name}, $m->{version}, $c->{version},
                   $c->{file}, $m->{"meta-spec"}{version}), "\n";') || {
        echo "package.sh: META.json is not valid JSON" >&2; return 1; }
    local -a want=(chat "$semver" "$semver" "build/chat--$v.sql" 1.0.0)
    local -a what=(name version provides.chat.version provides.chat.file meta-spec.version)
    local -a have
    mapfile -t have <<<"$got"
    local i
    for i in "${!want[@]}"; do
        if [[ "${have[$i]:-}" != "${want[$i]}" ]]; then
            echo "package.sh: META.json ${what[$i]} is '${have[$i]:-}', expected '${want[$i]}' (chat.control: $v)" >&2
            bad=1
        fi
    done
    # Native package: the Debian version is the extension version, optionally
    # "+N" for a packaging-only change (or "-N" if it ever becomes non-native).
    got=$(dpkg-parsechangelog -l debian/changelog -SVersion) || return 1
    got=${got%%-*}
    got=${got%%+*}
    if [[ "$got" != "$v" ]]; then
        echo "package.sh: debian/changelog is at $got, chat.control at $v: add a changelog entry" >&2
        bad=1
    fi
    [[ "$bad" == 0 ]] && echo "package.sh: META.json ($semver) and debian/changelog agree with chat.control ($v)"
    [[ "$bad" == 0 ]]
}

# Copies the tree as git sees it (tracked and untracked files, less what
# .gitignore ignores: no build/, *.o, *.so from a developer's make) into "$1";
# outside a git checkout, everything but those outputs.
package_copy_tree() {
    local dest=$1
    mkdir -p "$dest"
    if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
        # A tracked file deleted in the work tree is listed but absent: skip it.
        git ls-files -z --cached --others --exclude-standard |
            while IFS= read -r -d '' f; do [[ -e "$f" || -L "$f" ]] && printf '%s\0' "$f"; done |
            tar --null -T - -cf - | tar -C "$dest" -xf -
    else
        tar --exclude=./.git --exclude=./build --exclude='*.o' --exclude='*.so' \
            --exclude='*.bc' --exclude=./test/results -cf - . | tar -C "$dest" -xf -
    fi
}

# Builds the binary package from a clean copy of the tree (the work tree is not
# touched) and moves the .deb files into OUTDIR ("$1"). "$2": extra C flags,
# e.g. test.sh's STRICT_COPT to make warnings errors (appended to
# dpkg-buildflags' CFLAGS, which pg_buildext passes to PGXS as COPT).
# The build-time tests (dh_pgxs_test) are skipped unless PACKAGE_CHECK=1: the
# test command runs every suite against the installed package afterwards, and
# they write fixed /tmp paths, so they belong under /tmp/chat-pg.lock too.
# The dpkg-buildpackage output goes to OUTDIR/build.log; its end is shown on failure.
package_build() {
    local out=${1:?usage: package_build OUTDIR [COPT]} copt=${2:-} work v rc=0 opts=() profiles=()
    v=$(package_control_version)
    mkdir -p "$out"
    out=$(cd "$out" && pwd)
    work=$(mktemp -d -t chat-deb.XXXXXX)
    # mktemp's 0700 would hide debian/postgresql-*-chat from the server that
    # dh_pgxs_test starts as user postgres when the build runs as root.
    chmod 755 "$work"
    package_copy_tree "$work/postgresql-chat-$v"
    if [[ "${PACKAGE_CHECK:-0}" != 1 ]]; then
        opts=(nocheck)
        profiles=(-Pnocheck)
    fi
    echo "package.sh: building $PACKAGE_NAME $v in $work (log: $out/build.log)"
    (
        cd "$work/postgresql-chat-$v" &&
            DEB_BUILD_OPTIONS="${opts[*]} ${DEB_BUILD_OPTIONS:-}" \
            DEB_CFLAGS_APPEND="$copt" \
            dpkg-buildpackage -us -uc -b -j"${PACKAGE_JOBS:-$(nproc)}" "${profiles[@]}"
    ) >"$out/build.log" 2>&1 || rc=$?
    if [[ "$rc" != 0 ]]; then
        tail -n 60 "$out/build.log"
        echo "package.sh: dpkg-buildpackage failed (exit $rc); full log: $out/build.log" >&2
        rm -rf "$work"
        return 1
    fi
    mv "$work"/*.deb "$work"/*.buildinfo "$work"/*.changes "$out"/
    rm -rf "$work"
    ls "$out"/*.deb
}

# dpkg -i with a wait: another apt or dpkg may hold the lock for a while.
package_dpkg() {
    local i out
    for i in $(seq 1 60); do
        if out=$(package_as_root dpkg "$@" 2>&1); then
            [[ -n "$out" ]] && echo "$out"
            return 0
        fi
        if ! grep -qi 'lock' <<<"$out"; then echo "$out" >&2; return 1; fi
        [[ "$i" == 1 ]] && echo "package.sh: dpkg is locked by another process; waiting (up to 5 min)" >&2
        sleep 5
    done
    echo "$out" >&2
    return 1
}

# Installs $PACKAGE_NAME from DIR ("$1"). dpkg replaces files that belong to no
# package (what "make install" left) without asking; it refuses only files of
# another package. Then every file of the package must be the package's
# (dpkg --verify), and chat files in PostgreSQL's directories that the package
# does not own (a make install of another version) are listed: they stay.
package_install() {
    local dir=${1:?usage: package_install DIR} debs
    debs=("$dir/${PACKAGE_NAME}_"*.deb)
    if [[ ${#debs[@]} -ne 1 || ! -f "${debs[0]}" ]]; then
        echo "package.sh: expected one ${PACKAGE_NAME}_*.deb in $dir, found: ${debs[*]}" >&2
        return 1
    fi
    package_dpkg -i "${debs[0]}" || return 1
    if ! package_as_root dpkg --verify "$PACKAGE_NAME"; then
        echo "package.sh: installed files of $PACKAGE_NAME differ from the package" >&2
        return 1
    fi
    package_check_installed || return 1
    local pgc=/usr/lib/postgresql/$PACKAGE_PG_MAJOR/bin/pg_config stray f
    stray=$(comm -23 \
        <(find "$("$pgc" --sharedir)/extension" "$("$pgc" --pkglibdir)" -maxdepth 1 \
              \( -name 'chat.*' -o -name 'chat--*' \) 2>/dev/null | sort) \
        <(dpkg -L "$PACKAGE_NAME" | sort))
    if [[ -n "$stray" ]]; then
        echo "package.sh: not from the package (left by make install), kept:" >&2
        while IFS= read -r f; do echo "  $f" >&2; done <<<"$stray"
    fi
    echo "package.sh: $PACKAGE_NAME $(dpkg-query -W -f='${Version}' "$PACKAGE_NAME") installed"
}

# The installed package has the library, the control file, the built install
# script of chat.control's version and every released script of sql/.
package_check_installed() {
    local v files f missing=0 ext lib
    v=$(package_control_version)
    ext=/usr/share/postgresql/$PACKAGE_PG_MAJOR/extension
    lib=/usr/lib/postgresql/$PACKAGE_PG_MAJOR/lib
    files=$(dpkg -L "$PACKAGE_NAME") || return 1
    for f in "$lib/chat.so" "$ext/chat.control" "$ext/chat--$v.sql" sql/chat--*.sql; do
        [[ "$f" == sql/* ]] && f=$ext/${f#sql/}
        if ! grep -qxF "$f" <<<"$files"; then
            echo "package.sh: $PACKAGE_NAME lacks $f" >&2
            missing=1
        fi
    done
    [[ "$missing" == 0 ]]
}
