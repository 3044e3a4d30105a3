#!/usr/bin/env python3
"""test/citus/neutralise.py FILE: a chat pgTAP file with its own Citus-incompatible constructs
neutralised, on stdout (test/citus/suites.sh --neutralise; a survey, README "Running on Citus").

- Every statement in a savepoint of its own (psql ON_ERROR_ROLLBACK): one refused statement does
  not end the file, so the assertions after it run (those depending on it may fail).
- A top-level SELECT gets a one-row local table, pg_temp.citus_one, in FROM (with
  citus.local_table_join_policy = prefer-distributed): Citus then evaluates the statement on the
  coordinator, where pgTAP's plan and the session's temporary objects are, reading the distributed
  tables in sub-plans, instead of sending it whole to a worker.  Left alone: a bare call of one of
  chat's functions with plain arguments, as an application makes it (Citus may delegate it).
- A pg_temp helper in LANGUAGE sql whose last statement is a SELECT becomes plpgsql (Citus refuses
  parameters in a SQL function's query over distributed tables); RETURN QUERY checks column types
  strictly where SQL coerced them, so a helper returning integer columns as bigint now fails.
- EXISTS (SELECT FROM ...) gets a column (Citus cannot run a sub-plan without columns).
"""
import re, sys

src = open(sys.argv[1]).read()

def split(text):
    """Statements of a psql script: (text, terminator) with terminator ';' or a backslash command."""
    out, i, start, n = [], 0, 0, len(text)
    depth = 0
    while i < n:
        c = text[i]
        if text.startswith('--', i):
            j = text.find('\n', i); i = n if j < 0 else j + 1; continue
        if text.startswith('/*', i):
            j = text.find('*/', i); i = n if j < 0 else j + 2; continue
        if c == "'":
            j = i + 1
            while True:
                j = text.find("'", j)
                if j < 0: j = n; break
                if text.startswith("''", j): j += 2; continue
                break
            i = j + 1; continue
        if c == '$':
            m = re.match(r'\$[A-Za-z_]*\$', text[i:])
            if m:
                tag = m.group(0); j = text.find(tag, i + len(tag))
                i = n if j < 0 else j + len(tag); continue
        if c == '(':
            depth += 1
        elif c == ')':
            depth -= 1
        elif c == ';' and depth == 0:
            out.append((text[start:i], ';')); i += 1; start = i; continue
        elif c == '\\' and depth == 0:
            j = text.find('\n', i); j = n if j < 0 else j
            out.append((text[start:i], text[i:j])); i = j; start = i; continue
        i += 1
    out.append((text[start:], ''))
    return out

def toplevel(stmt):
    """Positions in stmt outside strings, comments and parentheses, as a mask string."""
    mask = list(stmt); i, n, depth = 0, len(stmt), 0
    def blank(a, b):
        for k in range(a, b): mask[k] = ' ' if mask[k] != '\n' else '\n'
    while i < n:
        c = stmt[i]
        if stmt.startswith('--', i):
            j = stmt.find('\n', i); j = n if j < 0 else j; blank(i, j); i = j; continue
        if stmt.startswith('/*', i):
            j = stmt.find('*/', i); j = n if j < 0 else j + 2; blank(i, j); i = j; continue
        if c == "'":
            j = i + 1
            while True:
                j = stmt.find("'", j)
                if j < 0: j = n - 1; break
                if stmt.startswith("''", j): j += 2; continue
                break
            blank(i, j + 1); i = j + 1; continue
        if c == '$':
            m = re.match(r'\$[A-Za-z_]*\$', stmt[i:])
            if m:
                tag = m.group(0); j = stmt.find(tag, i + len(tag)); j = n if j < 0 else j + len(tag)
                blank(i, j); i = j; continue
        if c == '(':
            if depth > 0: mask[i] = ' '
            depth += 1; i += 1; continue
        if c == ')':
            depth -= 1
            if depth > 0: mask[i] = ' '
            i += 1; continue
        if depth > 0: mask[i] = ' ' if c != '\n' else '\n'
        i += 1
    return ''.join(mask)

def sql_to_plpgsql(stmt):
    m = re.match(r'(?is)(.*?\bCREATE\s+(?:OR\s+REPLACE\s+)?FUNCTION\s+pg_temp\..*?)\bLANGUAGE\s+sql\b(.*?)\bAS\s+\$\$(.*)\$\$(.*)$', stmt)
    if not m:
        return stmt
    head, mid, body, tail = m.groups()
    parts0 = [p for p in (s for s, _ in split(body)) if p.strip()]
    if not parts0 or not re.match(r'(?is)\s*SELECT\b', parts0[-1]) or re.search(r'(?i)RETURNS\s+void', head + mid):
        return stmt
    setof = re.search(r'(?i)RETURNS\s+(SETOF|TABLE)\b', head + mid)
    parts = [p for p in (s for s, _ in split(body)) if p.strip()]
    pre = ''.join('PERFORM ' + re.sub(r'(?is)^\s*SELECT\s+', '', p) + ';\n' for p in parts[:-1])
    last = parts[-1]
    last = ('RETURN QUERY ' + last + ';') if setof else ('RETURN (' + last + '\n);')
    return f"{head}LANGUAGE plpgsql{mid}AS $$\n#variable_conflict use_column\nBEGIN\n{pre}{last}\nEND\n$${tail}"

out = ["\\set ON_ERROR_ROLLBACK on\n",
       "SET citus.local_table_join_policy = 'prefer-distributed';\n",
       "CREATE TEMP TABLE citus_one AS SELECT;\n",
       "GRANT SELECT ON pg_temp.citus_one TO PUBLIC;\n"]
for stmt, term in split(src):
    s = re.sub(r'(?i)EXISTS\s*\(\s*SELECT\s+FROM\b', 'EXISTS (SELECT 1 FROM', stmt)
    s = sql_to_plpgsql(s)
    top = toplevel(s)
    core = re.sub(r'(?s)^(\s*(--[^\n]*\n|/\*.*?\*/)\s*)*', '', top)
    if re.match(r'(?is)\s*SELECT\b', core) and not re.match(r'(?is)\s*SELECT\s+plan\s*\(', core):
        # SELECT chat.f(...) [AS x] or SELECT * FROM chat.f(...), no sub-select in the arguments
        bare_api = (re.match(r'(?is)\s*SELECT\s+(\*\s+FROM\s+)?chat\.[a-z_]+\s*\(\s*\)\s*(AS\s+\w+\s*)?$', core)
                    and not re.search(r'(?i)\(\s*SELECT\b', s))
        if not bare_api and not re.search(r'(?i)\b(UNION|INTERSECT|EXCEPT)\b', top):
            f = re.search(r'(?i)\bFROM\b', re.sub(r'(?is)^\s*SELECT\s+', lambda m: ' ' * len(m.group(0)), top))
            if f:
                p = f.end()
                s = s[:p] + ' pg_temp.citus_one,' + s[p:]
            else:
                mm = re.search(r'(?is)\s*$', top)
                p = mm.start()
                s = s[:p] + ' FROM pg_temp.citus_one' + s[p:]
    out.append(s + term)
sys.stdout.write(''.join(out))
