# test/restore/compare.awk: compares two fingerprints (fingerprint.sql) of the
# sections named by -v sections='row' (a regular expression on the section).
#   awk -F'\t' -v sections=REGEX -f compare.awk SOURCE.fp RESTORED.fp
# Prints, for each object (table, sequence...) that differs, one line:
#   <object>: N of S rows differ (C changed, M missing, E extra); fields: f x n, ...
# and one example of each kind of difference; exits 1 when anything differs.
function short(s) { return length(s) > 60 ? substr(s, 1, 57) "..." : s }
BEGIN { FS = "\t"; bad = 0 }
$1 !~ ("^(" sections ")$") { next }
{
    obj = $2; rk = $2 SUBSEP $3; fk = rk SUBSEP $4
    objects[obj] = 1
    if (FILENAME == ARGV[1]) { src[fk] = $5; srow[rk] = 1 }
    else { dst[fk] = $5; drow[rk] = 1 }
}
END {
    for (rk in srow) {
        split(rk, p, SUBSEP)
        nsrc[p[1]]++
        if (!(rk in drow)) {
            missing[p[1]]++
            if (!(p[1] in exmiss)) exmiss[p[1]] = p[2]
        }
    }
    for (rk in drow) {
        split(rk, p, SUBSEP)
        if (!(rk in srow)) {
            extra[p[1]]++
            if (!(p[1] in exextra)) exextra[p[1]] = p[2]
        }
    }
    # changed rows: present in both, some field different or absent
    for (fk in src) {
        split(fk, p, SUBSEP); rk = p[1] SUBSEP p[2]
        if (!(rk in drow)) continue
        if (!(fk in dst) || dst[fk] != src[fk]) {
            if (!(rk in changedrow)) { changedrow[rk] = 1; changed[p[1]]++ }
            fields[p[1] SUBSEP p[3]]++
            if (!(p[1] in exchange))
                exchange[p[1]] = p[2] " " p[3] ": " short(src[fk]) " -> " ((fk in dst) ? short(dst[fk]) : "(absent)")
        }
    }
    n = 0
    for (obj in objects) names[++n] = obj
    # sort the object names (insertion sort: a few dozen at most)
    for (i = 2; i <= n; i++) {
        v = names[i]
        for (j = i - 1; j > 0 && names[j] > v; j--) names[j + 1] = names[j]
        names[j + 1] = v
    }
    for (i = 1; i <= n; i++) {
        obj = names[i]
        c = changed[obj] + 0; m = missing[obj] + 0; e = extra[obj] + 0
        if (c + m + e == 0) continue
        bad = 1
        fl = ""
        for (f in fields) {
            split(f, p, SUBSEP)
            if (p[1] == obj) fl = fl (fl == "" ? "" : ", ") p[2] " x" fields[f]
        }
        printf "%s: %d of %d rows differ (%d changed, %d missing, %d extra)%s\n",
               obj, c + m + e, nsrc[obj] + 0, c, m, e, (fl == "" ? "" : "; fields: " fl)
        if (c) printf "    e.g. changed %s\n", exchange[obj]
        if (m) printf "    e.g. missing %s\n", exmiss[obj]
        if (e) printf "    e.g. extra %s\n", exextra[obj]
    }
    exit bad
}
