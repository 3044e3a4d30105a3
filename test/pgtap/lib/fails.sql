/*
 * Shared by the pgTAP files that check refusals (\ir lib/fails.sql after
 * defining pg_temp.state(), a fingerprint of the tables the file touches, and
 * a one-row temp table baseline(state) holding it).
 */

/* Two assertions: the call fails as expected, and nothing changed. */
CREATE FUNCTION pg_temp.fails(sql text, code text, msg text, what text) RETURNS SETOF text
    LANGUAGE plpgsql AS $$
BEGIN
    RETURN NEXT throws_ok(sql, code, msg, what);
    RETURN NEXT is(pg_temp.state(), (SELECT state FROM baseline), what || ': nothing changed');
END
$$;

/* Take the current state as the new baseline, after a change made on purpose. */
CREATE FUNCTION pg_temp.rebase() RETURNS void
    LANGUAGE sql AS $$ UPDATE baseline SET state = pg_temp.state() $$;
