/*
 * bench/sql/summary.sql: the summary of a run of bench/run.sh, in database
 * bench_result of its cluster, from the files bench/lib/pgbench.sh wrote:
 * runs.tsv (one row per pgbench run), txns (run, transaction number, latency
 * in microseconds or the kind of failure) and checks.tsv (the consistency
 * checks).  One row per workload, variant, implementation and client count:
 * tps is the mean over its rounds (equal durations), the median is over all
 * its measured transactions, ratios are to the bare INSERT (LIMIT) and to the
 * seed port or another reference measured in the same run.
 *
 * psql variables: work (the work directory) and the sizes in the labels:
 * clients p2_members p3_threads p3mixed_rooms p5_messages r3_users
 * r3_messages s_messages s_members q_messages q_threads q_rooms
 * p7_room_members p7_p5_messages; and P7's load (empty when no P7 workload
 * ran): p7_load p7_load_goal p7_size_mb p7_messages
 */
\set ON_ERROR_STOP on
\set runs :work '/runs.tsv'
\set txns :work '/txns'
\set checks :work '/checks.tsv'

CREATE TABLE run (name text, id text, item text, impl text, clients int, tps numeric, n bigint,
                  failed bigint, deadlocks bigint, aborted int, parity int);
CREATE TABLE txn (name text, no bigint, latency text);
CREATE TABLE checks (id text, ok boolean, what text);
COPY run FROM :'runs';
COPY txn FROM :'txns' (DELIMITER ' ');
COPY checks FROM :'checks';
CREATE INDEX ON txn (name);

/* runs with a parity measure every second transaction: halve tps and counts */
CREATE TABLE result AS
SELECT concat_ws('/', r.id, nullif(r.item, ''), r.impl) AS k, r.clients,
       avg(r.tps) / x.d AS tps, (sum(r.n) / x.d)::bigint AS n, sum(r.failed) AS failed,
       sum(r.deadlocks) AS deadlocks, sum(r.aborted) AS aborted,
       (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY t.latency::numeric)
          FROM txn t
         WHERE t.name = ANY (array_agg(r.name)) AND t.latency ~ '^[0-9]+$'
           AND (r.parity IS NULL OR t.no % 2 = r.parity))::numeric / 1000 AS med
  FROM run r, LATERAL (SELECT CASE WHEN r.parity IS NULL THEN 1 ELSE 2 END) x(d)
 GROUP BY r.id, r.item, r.impl, r.clients, r.parity, x.d;

CREATE FUNCTION tps(text) RETURNS numeric LANGUAGE sql
    AS $$ SELECT tps FROM result WHERE k = $1 ORDER BY clients DESC LIMIT 1 $$;
CREATE FUNCTION med(text) RETURNS numeric LANGUAGE sql
    AS $$ SELECT med FROM result WHERE k = $1 ORDER BY clients LIMIT 1 $$;
CREATE FUNCTION ratio(numeric, numeric) RETURNS numeric LANGUAGE sql
    AS $$ SELECT $1 / nullif($2, 0) $$;
-- no failed transaction, no aborted client
CREATE FUNCTION clean(text) RETURNS boolean LANGUAGE sql
    AS $$ SELECT bool_and(failed = 0 AND aborted = 0) FROM result WHERE k = $1 $$;
-- every consistency check of workload $1 passed
CREATE FUNCTION checked(text) RETURNS boolean LANGUAGE sql
    AS $$ SELECT coalesce(bool_and(ok), true) FROM checks WHERE id = $1 $$;
-- a ratio to its significant digits
CREATE FUNCTION fmt(numeric) RETURNS text LANGUAGE sql
    AS $$ SELECT round($1, CASE WHEN $1 < 0.01 THEN 5 WHEN $1 < 100 THEN 2 WHEN $1 < 1000 THEN 1 ELSE 0 END)::text $$;

/*
 * The rows of the summary in order: key (id[/variant]/implementation), what
 * it measures, its goal (SPEC §9), whether its tps is compared to LIMIT's,
 * a ratio to another reference (ref: how to print it) and the verdict.
 */
CREATE TABLE line (ord int GENERATED ALWAYS AS IDENTITY, k text, label text, goal text,
                   bare boolean, vs numeric, ref text, pass boolean);
INSERT INTO line (k, label, goal, bare, vs, ref, pass) VALUES
    ('LIMIT/bare', 'bare INSERT, 1 index', 'physical limit', true, NULL, NULL, NULL),
    ('P1/seed', 'new_reply, 2-person threads', 'baseline (SPEC 0.5-0.7x)', true, NULL, NULL, NULL),
    ('P1/chat', 'new_reply, 2-person threads', '>= 0.75 x bare', true,
     ratio(tps('P1/chat'), tps('P1/seed')), '%s x seed', ratio(tps('P1/chat'), tps('LIMIT/bare')) >= 0.75),
    ('P1/invoker', 'new_reply, 2-person threads', 'measured', true,
     ratio(tps('P1/chat'), tps('P1/invoker')), 'chat / invoker %s', NULL),
    ('P2/seed', format('new_reply, group of %s', :'p2_members'), 'baseline (SPEC ~0.0001x)', true, NULL, NULL, NULL),
    ('P2/chat', format('new_reply, group of %s', :'p2_members'), '>= 0.6 x bare, 0 failed', true,
     ratio(tps('P2/chat'), tps('P2/seed')), '%s x seed',
     ratio(tps('P2/chat'), tps('LIMIT/bare')) >= 0.6 AND clean('P2/chat')),
    ('P2chan/chat', format('new_reply, channel of %s', :'p2_members'), '>= 0.6 x bare, 0 failed', true,
     ratio(tps('P2chan/chat'), tps('P2/seed')), '%s x seed',
     ratio(tps('P2chan/chat'), tps('LIMIT/bare')) >= 0.6 AND clean('P2chan/chat')),
    ('P3/seed', format('inbox page 1, in %s threads', :'p3_threads'), 'baseline (SPEC 382 ms)', false, NULL, NULL, NULL),
    ('P3/1query/seed', 'the same, seed in one query', 'reference only', false,
     ratio(med('P3/1query/seed'), med('P3/chat')), 'chat %s x faster', NULL),
    ('P3/chat', format('inbox page 1, in %s threads', :'p3_threads'), '<= 2 ms, >= 100x seed', false,
     ratio(med('P3/seed'), med('P3/chat')), '%s x faster than seed', med('P3/chat') <= 2 AND ratio(med('P3/seed'), med('P3/chat')) >= 100),
    ('P4/chat', 'unread_count of that user', '<= 2 ms', false, NULL, NULL, med('P4/chat') <= 2),
    ('P3mixed/chat', format('inbox page 1, in %s rooms', :'p3mixed_rooms'), '<= 2 ms', false, NULL, NULL, med('P3mixed/chat') <= 2),
    ('P4mixed/chat', 'unread_count of that user', '<= 2 ms', false, NULL, NULL, med('P4mixed/chat') <= 2),
    ('C1/chat', format('changes: 100 events, %s threads', :'p3_threads'), 'measured', false, NULL, NULL, NULL),
    ('C1mixed/chat', format('changes: 100 events, %s rooms', :'p3mixed_rooms'), 'measured', false,
     ratio(med('C1mixed/chat'), med('C1/chat')), '%s x C1', NULL),
    ('P8/events_off/chat', 'P1, events off (no log, no NOTIFY)', 'reference', true, NULL, NULL, NULL),
    ('P8/polled/chat', 'P1: events kept, NOTIFY off', '>= 0.85 x events off', true,
     ratio(tps('P8/polled/chat'), tps('P8/events_off/chat')), '%s x events off',
     ratio(tps('P8/polled/chat'), tps('P8/events_off/chat')) >= 0.85),
    ('P8/chat', 'P1: events kept, NOTIFY doorbell', '>= 0.85 x events off', true,
     ratio(tps('P8/chat'), tps('P8/events_off/chat')), '%s x events off',
     ratio(tps('P8/chat'), tps('P8/events_off/chat')) >= 0.85),
    ('R1/chat', format('mark_read, group of %s', :'p2_members'), 'measured', false, NULL, NULL, NULL),
    ('R2/receipts/chat', 'receipts, 1/3 seen 1/3 deliv.', 'measured', false, NULL, NULL, NULL),
    ('R2/messages/chat', 'messages page 1 (seen_count)', 'measured', false, NULL, NULL, NULL),
    ('R3/chat', format('toggle_reaction, %su x %s msgs', :'r3_users', :'r3_messages'), '0 failed, consistent', false,
     NULL, NULL, clean('R3/chat') AND checked('R3')),
    ('P6/chat', 'mixed 70/20/10, P1 threads', '0 failed, counts exact', false,
     NULL, NULL, clean('P6/chat') AND checked('verify')),
    ('P5/chat', format('mark_read, %s unread', :'p5_messages'), '<= 1 ms', false, NULL, NULL, med('P5/chat') <= 1 AND clean('P5/chat')),
    ('P5/reset', 'its reset by chat.mark_unread', 'measured', false, NULL, NULL, NULL),
    ('P7-P1/chat', 'P7: new_reply, 2-person threads', '>= 0.75 x bare', true,
     ratio(tps('P7-P1/chat'), tps('P1/chat')), '%s x P1', ratio(tps('P7-P1/chat'), tps('LIMIT/bare')) >= 0.75),
    ('P7-P2/chat', format('P7: new_reply, group of %s', :'p7_room_members'), '>= 0.6 x bare, 0 failed', true,
     ratio(tps('P7-P2/chat'), tps('P2/chat')), '%s x P2',
     ratio(tps('P7-P2/chat'), tps('LIMIT/bare')) >= 0.6 AND clean('P7-P2/chat')),
    ('P7-P3/chat', 'P7: inbox page 1, 10,000 rooms', '<= 2 ms', false,
     ratio(med('P7-P3/chat'), med('P3mixed/chat')), '%s x P3mixed', med('P7-P3/chat') <= 2),
    ('P7-P4/chat', 'P7: unread_count of that user', '<= 1 ms (SPEC)', false,
     ratio(med('P7-P4/chat'), med('P4mixed/chat')), '%s x P4mixed', med('P7-P4/chat') <= 1),
    ('P7-P5/chat', format('P7: mark_read, %s unread', :'p7_p5_messages'), '<= 1 ms', false,
     ratio(med('P7-P5/chat'), med('P5/chat')), '%s x P5', med('P7-P5/chat') <= 1 AND clean('P7-P5/chat')),
    ('P7-P6/chat', 'P7: mixed 70/20/10, 2-person', '0 failed, counts exact', false,
     ratio(tps('P7-P6/chat'), tps('P6/chat')), '%s x P6 tps', clean('P7-P6/chat') AND checked('P7-P6') AND checked('P7')),
    ('Q1/rank/chat', format('search, rare word, %s threads of %s msgs', :'q_threads', :'q_messages'), '<= 50 ms', false,
     NULL, NULL, med('Q1/rank/chat') <= 50 AND checked('Q')),
    ('Q1/newest/chat', 'the same, newest first', '<= 50 ms', false, NULL, NULL, med('Q1/newest/chat') <= 50 AND checked('Q')),
    ('Q2/medium_rank/chat', 'search, word in 1 msg in 1,000', 'measured', false, NULL, NULL, NULL),
    ('Q2/common_rank/chat', 'search, word in 1 msg in 2', 'measured', false, NULL, NULL, NULL),
    ('Q2/common_newest/chat', 'the same, newest first', 'measured', false, NULL, NULL, NULL),
    ('Q3/all/chat', format('directory page 1, %s public rooms', :'q_rooms'), 'measured', false, NULL, NULL, NULL),
    ('Q3/rare/chat', 'directory, word of 20 rooms', 'measured', false, NULL, NULL, NULL),
    ('Q3/common/chat', 'directory, word of 40 % of rooms', 'measured', false, NULL, NULL, NULL);

\pset footer off
\pset null '-'
\echo
\echo '== summary: tps = successful transactions/s (mean of the rounds); median latency over all measured'
\echo '   transactions; vs bare = tps / LIMIT tps; vs ref: chat against the seed port (tps; P3: seed median /'
\echo '   chat median) or another reference'
SELECT split_part(l.k, '/', 1) AS id, l.label AS workload, regexp_replace(l.k, '^.*/', '') AS impl,
       r.clients AS cl, r.n AS txns,
       r.failed || CASE WHEN r.deadlocks > 0 THEN format(' (%s dl)', r.deadlocks) ELSE '' END
                || CASE WHEN r.failed > 0 THEN format(' %s%%', round(100.0 * r.failed / (r.failed + r.n), 1)) ELSE '' END
                || CASE WHEN r.aborted > 0 THEN ' ABORTED' ELSE '' END AS failed,
       round(r.tps, 1) AS tps, round(r.med, 3) AS "median ms",
       CASE WHEN l.bare THEN fmt(ratio(r.tps, tps('LIMIT/bare'))) END AS "vs bare",
       CASE WHEN l.vs IS NOT NULL THEN format(l.ref, fmt(l.vs)) END AS "vs ref", l.goal,
       CASE WHEN l.pass THEN 'PASS' WHEN NOT l.pass THEN 'MISS' END AS result
  FROM line l JOIN result r USING (k)
 ORDER BY l.ord, r.clients;

/* S1-S4: the P3 user as an end user (a mapped login role) against the superuser acting for it */
CREATE TABLE sline (ord int GENERATED ALWAYS AS IDENTITY, k text, label text, goal text, pass boolean);
INSERT INTO sline (k, label, goal) VALUES
    ('S1', format('inbox page 1 (%s + 2 threads)', :'p3_threads'), '< 1.20'),
    ('S2/thread', format('messages page 1, %s-message thread', :'s_messages'), '< 1.20'),
    ('S2/group', format('messages page 1, %s-member group', :'s_members'), '< 1.20'),
    ('S3/msg_small', 'chat.message 50 newest, 2-person thread', 'measured'),
    ('S3/msg_thread', format('chat.message 50 newest, %s messages', :'s_messages'), 'measured'),
    ('S3/msg_simple', 'the same, -M simple (custom plans)', 'measured'),
    ('S3/mem_small', 'chat.member of a 2-person thread', 'measured'),
    ('S3/mem_group', format('chat.member of the %s-member group', :'s_members'), 'measured'),
    ('S3/threads', 'count(*) of chat.thread (the user''s)', 'measured'),
    ('S4', 'new_reply, 2-person threads (tps)', 'measured');
UPDATE sline SET pass = ratio(med(k || '/user'), med(k || '/server')) < 1.2 WHERE goal = '< 1.20';

SELECT count(*) > 0 AS has_s FROM result WHERE k LIKE 'S_/%' \gset
\if :has_s
\echo
\echo '   S1-S4: median ms, 1 client (S4: tps, ':clients' clients); end user: the P3 user''s mapped login'
\echo '   role; server: the superuser acting for it; body: the function less its caller check and SECURITY DEFINER'
SELECT split_part(s.k, '/', 1) AS id, s.label AS workload,
       v.u AS "end user", v.s AS server, v.b AS body,
       round(ratio(v.u, v.s), 2) AS "user/server", round(ratio(v.s, v.b), 2) AS "server/body", s.goal,
       CASE WHEN s.pass THEN 'PASS' WHEN NOT s.pass THEN 'MISS' END AS result
  FROM sline s,
       LATERAL (SELECT CASE WHEN s.k = 'S4' THEN round(tps(s.k || '/user'), 1) ELSE round(med(s.k || '/user'), 3) END,
                       CASE WHEN s.k = 'S4' THEN round(tps(s.k || '/server'), 1) ELSE round(med(s.k || '/server'), 3) END,
                       round(med(s.k || '/body'), 3)) v(u, s, b)
 WHERE v.u IS NOT NULL OR v.s IS NOT NULL
 ORDER BY s.ord;
\endif

/* P7: the load (its time and the database's size) */
SELECT :'p7_load' <> '' AS has_p7 \gset
\if :has_p7
SELECT format('   P7 data: %s messages loaded in %s s (goal <= %s s: %s); database %s MB, %s MB per million messages',
              :'p7_messages', :'p7_load', :'p7_load_goal',
              CASE WHEN :'p7_load'::numeric <= :'p7_load_goal'::numeric THEN 'PASS' ELSE 'MISS' END,
              :'p7_size_mb', round(:'p7_size_mb'::numeric * 1000000 / :'p7_messages'::numeric)) AS p7 \gset
\echo :p7
\endif

/*
 * H: readers in the hot room.  Per call, its p99 latency with the P2 writers
 * running against its p99 alone (goal: within 1.5 x), and the writers' tps
 * with those readers against alone (goal: at most 10 % less), all from the
 * same rounds.
 */
CREATE FUNCTION pct(text, float8) RETURNS numeric LANGUAGE sql
    AS $$ SELECT (percentile_cont($2) WITHIN GROUP (ORDER BY t.latency::numeric))::numeric / 1000
            FROM run r JOIN txn t ON t.name = r.name
           WHERE concat_ws('/', r.id, nullif(r.item, ''), r.impl) = $1 AND t.latency ~ '^[0-9]+$' $$;
SELECT count(*) > 0 AS has_h FROM result WHERE k LIKE 'H/%' \gset
\if :has_h
\echo
\echo '   H: readers in the P2 group (1 client per call at a fixed rate) alone and beside ':clients' writers;'
\echo '   writers (new_reply, P2) alone and beside the readers; latencies in ms, from the same rounds'
SELECT c AS call, r.n AS "txns busy", round(med('H/' || c || '_idle/chat'), 3) AS "median idle",
       round(med('H/' || c || '_busy/chat'), 3) AS "median busy",
       round(pct('H/' || c || '_idle/chat', 0.99), 3) AS "p99 idle",
       round(pct('H/' || c || '_busy/chat', 0.99), 3) AS "p99 busy",
       round(ratio(pct('H/' || c || '_busy/chat', 0.99), pct('H/' || c || '_idle/chat', 0.99)), 2) AS "p99 busy/idle",
       'p99 <= 1.5 x idle, 0 failed' AS goal,
       CASE WHEN ratio(pct('H/' || c || '_busy/chat', 0.99), pct('H/' || c || '_idle/chat', 0.99)) <= 1.5
                 AND clean('H/' || c || '_busy/chat') THEN 'PASS' ELSE 'MISS' END AS result
  FROM unnest(ARRAY['mark_read', 'unread_count', 'inbox', 'messages']) WITH ORDINALITY u(c, o)
  JOIN result r ON r.k = 'H/' || c || '_busy/chat'
 ORDER BY o;
SELECT round(tps('H/writers_alone/chat'), 1) AS "writers tps alone",
       round(tps('H/writers_busy/chat'), 1) AS "with readers",
       round(ratio(tps('H/writers_busy/chat'), tps('H/writers_alone/chat')), 2) AS "with / alone",
       fmt(ratio(tps('H/writers_alone/chat'), tps('LIMIT/bare'))) AS "alone vs bare",
       (SELECT sum(failed) FROM result WHERE k LIKE 'H/writers%') AS failed,
       '>= 0.90, 0 failed' AS goal,
       CASE WHEN ratio(tps('H/writers_busy/chat'), tps('H/writers_alone/chat')) >= 0.9
                 AND clean('H/writers_alone/chat') AND clean('H/writers_busy/chat') THEN 'PASS' ELSE 'MISS' END AS result;
\endif

SELECT format('   consistency: %s of %s checks failed%s', count(*) FILTER (WHERE NOT ok), count(*),
              coalesce(': ' || string_agg(what, '; ') FILTER (WHERE NOT ok), '')) AS consistency
  FROM checks \gset
\echo :consistency
