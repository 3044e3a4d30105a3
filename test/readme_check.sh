#!/usr/bin/env bash
# Checks that README.md shows only SQL a test runs: its ```sql blocks under
# "## Quick start" are, in order, the marked parts of test/sql/readme_tour.sql,
# and all its other ```sql blocks, in order, the marked parts of
# test/sql/readme_guide.sql.  A marked part is the lines between
# "-- README.md: begin" and "-- README.md: end".
#
# Usage: test/readme_check.sh    (exit 0 when they match, else a diff and exit 1)
set -euo pipefail
cd "$(dirname "$0")/.."

README=README.md
TOUR=test/sql/readme_tour.sql
GUIDE=test/sql/readme_guide.sql
END_MARK='-- (end of block)'

# The ```sql blocks of README.md, each followed by END_MARK: those under the
# "## Quick start" heading ("$1" = tour) or all the others ("$1" = guide).
readme_blocks() {
    awk -v want="$1" -v end="$END_MARK" '
        /^## / && !inside { tour = ($0 ~ /^## Quick start/) }
        /^```sql[[:space:]]*$/ && !inside { inside = 1; mine = ((want == "tour") == tour); next }
        /^```[[:space:]]*$/ && inside { inside = 0; if (mine) print end; next }
        inside && mine { print }
        END { if (inside) { print "README.md: unterminated ```sql block" > "/dev/stderr"; exit 1 } }
    ' "$README"
}

# The marked parts of a test file, each followed by END_MARK.
test_parts() {
    awk -v end="$END_MARK" -v file="$1" '
        $0 == "-- README.md: begin" { if (inside) bad = 1; inside = 1; next }
        $0 == "-- README.md: end" { if (!inside) bad = 1; inside = 0; print end; next }
        inside { print }
        END { if (inside || bad) { print file ": unbalanced README.md markers" > "/dev/stderr"; exit 1 } }
    ' "$1"
}

# Compares one README part with one test file; prints what differs.
compare() {
    local part=$1 file=$2 expected actual blocks
    expected=$(readme_blocks "$part")
    actual=$(test_parts "$file")
    blocks=$(grep -cxF -- "$END_MARK" <<<"$expected" || true)
    if [[ "$blocks" -eq 0 ]]; then
        echo "readme_check: README.md has no $part SQL blocks (was the heading renamed?)"
        return 1
    fi
    if [[ "$expected" != "$actual" ]]; then
        echo "readme_check: the $part blocks of README.md (-) differ from the marked parts of $file (+):"
        diff -u --label "README.md ($part)" --label "$file" <(echo "$expected") <(echo "$actual") || true
        return 1
    fi
    echo "readme_check: $blocks $part block(s) of README.md are run verbatim by $file"
}

rc=0
compare tour "$TOUR" || rc=1
compare guide "$GUIDE" || rc=1
exit "$rc"
