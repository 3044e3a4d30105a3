-- The driver of the hostile-input suite (included by setup.sql).
--
-- hostile.call holds the generated calls, one row per call and pass (the
-- role it runs as); hostile.run(from, to) runs them in seq order, each in its
-- own transaction, and records in hostile.result whether it passed and why.
-- Every call is rolled back after its checks, so each one meets the same
-- state: the fixture of setup.sql.

CREATE TABLE hostile.call (
    seq      bigint PRIMARY KEY,
    pass     text NOT NULL,       -- server, user or owner
    fn       text NOT NULL,       -- chat function called
    role     name NOT NULL,       -- SET ROLE for the call
    user_id  text NOT NULL,       -- chat.user_id for the call ('' for none)
    claims   text NOT NULL,       -- request.jwt.claims for the call ('' for none)
    config   boolean NOT NULL,    -- a setting or registration: probe later writes
    tags     text NOT NULL,       -- huge_users: 100,000 distinct users from one call;
                                  -- nonexistent: an OID naming no function, table or role
    args     text NOT NULL,       -- the arguments, abbreviated, for the report
    sql      text NOT NULL,       -- the statement
    after    text                 -- run as the superuser after the call succeeded (DROP ...)
);

-- The SQLSTATEs a refusal may have (filled by run.sh, which lists them)
CREATE TABLE hostile.accepted (code text PRIMARY KEY, why text NOT NULL);

CREATE TABLE hostile.result (
    seq     bigint PRIMARY KEY,
    state   text,                 -- SQLSTATE of the call, NULL when it succeeded
    message text,                 -- its first 500 characters
    msg_len integer,              -- its length
    ms      numeric,
    ok      boolean NOT NULL,     -- the test passed
    why     text                  -- why it failed
);

CREATE TABLE hostile.baseline (state text);

/*
 * chat's tables and the application's that chat writes (outbox, models), each
 * as count:md5 of its rows (as test/pgtap/security.sql does); the users
 * tables (200,000 rows each, never written by chat) are left out.
 */
CREATE FUNCTION hostile.fingerprint() RETURNS text
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    r record;
    h text;
    acc text := '';
BEGIN
    FOR r IN SELECT c.oid::regclass AS tbl
               FROM pg_class c
              WHERE c.relnamespace IN ('chat'::regnamespace, 'hostile_app'::regnamespace, 'hostile_fx'::regnamespace)
                AND c.relkind IN ('r', 'p')
                AND c.relname !~ '^users'
              ORDER BY c.oid::regclass::text LOOP
        EXECUTE format('SELECT count(*) || '':'' || coalesce(md5(string_agg(t::text, '','' ORDER BY t::text)), '''') FROM %s t',
                       r.tbl) INTO h;
        acc := acc || r.tbl || '=' || h || ' ';
    END LOOP;
    RETURN acc;
END
$$;

CREATE FUNCTION hostile.fx(p_name text) RETURNS bigint
    LANGUAGE sql STABLE AS $$ SELECT value::bigint FROM hostile.fx WHERE fx.name = p_name $$;

/*
 * The round of normal calls that must work after any accepted setting or
 * registration: sending, replying, reading, the inbox, members, read state
 * and a display name, as the superuser and as an end user.  NULL when it
 * works, else what failed.  limits_ok: a 54000 or 22001 refusal is what the
 * accepted value asked for (a setting lowered a limit); identity_ok: a 42501
 * or 23503 refusal of the end user is too (its role was mapped to another
 * user, who may not post there or is not in the users table).
 */
CREATE FUNCTION hostile.probe(limits_ok boolean, identity_ok boolean) RETURNS text
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    t bigint := hostile.fx('t_probe');
    step text;
    st text;
    msg text;
BEGIN
    PERFORM set_config('role', 'none', true);
    PERFORM set_config('chat.user_id', '', true);
    PERFORM set_config('request.jwt.claims', '', true);
    step := 'new_reply as the superuser';
    PERFORM chat.new_reply(t, 1, 'p');
    step := 'new_message as the superuser';
    PERFORM chat.new_message(1, '{2}', 'p', 'p');
    step := 'messages() as the superuser';
    PERFORM count(*) FROM chat.messages(t, 1, page_size => 1);
    step := 'inbox() as the superuser';
    PERFORM count(*) FROM chat.inbox(1, page_size => 1);
    step := 'members() as the superuser';
    PERFORM count(*) FROM chat.members(t, 1);
    step := 'mark_read as the superuser';
    PERFORM chat.mark_read(t, 2);
    step := 'display_name as the superuser';
    PERFORM chat.display_name(1);
    PERFORM set_config('role', 'hostile_user', true);
    step := 'new_reply as an end user';
    PERFORM chat.new_reply(t, content => 'p');
    step := 'messages() as an end user';
    PERFORM count(*) FROM chat.messages(t, page_size => 1);
    step := 'inbox() as an end user';
    PERFORM count(*) FROM chat.inbox(page_size => 1);
    PERFORM set_config('role', 'none', true);
    step := 'commit-time checks';
    SET CONSTRAINTS ALL IMMEDIATE;
    RETURN NULL;
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
    IF limits_ok AND st IN ('54000', '22001') THEN
        RETURN NULL;
    END IF;
    IF identity_ok AND st IN ('42501', '23503') AND step LIKE '%end user' THEN
        RETURN NULL;
    END IF;
    RETURN format('%s failed %s: %s', step, st, left(msg, 300));
END
$$;

/* The same round rolled back: what a later transaction of this session meets. */
CREATE FUNCTION hostile.probe_rolled_back() RETURNS text
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    r text;
BEGIN
    BEGIN
        r := hostile.probe(false, false);
        RAISE EXCEPTION USING ERRCODE = 'HX001';
    EXCEPTION WHEN SQLSTATE 'HX001' THEN
        NULL;
    END;
    RETURN r;
END
$$;

/*
 * Runs the calls seq p_from..p_to, one transaction each (COMMIT after each
 * result), so that a crash loses no result and run.sh knows which call it was.
 * run.sh sets search_path = pg_catalog, pg_temp for the session.
 */
CREATE PROCEDURE hostile.run(p_from bigint, p_to bigint)
    LANGUAGE plpgsql AS $$     -- no SET clause: it would forbid COMMIT
DECLARE
    c hostile.call;
    st text;
    msg text;
    why text;
    called boolean;
    n bigint;
    t0 timestamptz;
    ms numeric;
    k bigint := 0;
BEGIN
    FOR c IN SELECT * FROM hostile.call WHERE seq BETWEEN p_from AND p_to ORDER BY seq LOOP
        st := NULL; msg := NULL; why := NULL; called := false; ms := NULL;
        BEGIN
            BEGIN
                PERFORM set_config('chat.user_id', c.user_id, true);
                PERFORM set_config('request.jwt.claims', c.claims, true);
                PERFORM set_config('role', c.role, true);
                t0 := clock_timestamp();
                EXECUTE c.sql INTO n;
                -- what COMMIT would check
                SET CONSTRAINTS ALL IMMEDIATE;
                ms := extract(epoch FROM clock_timestamp() - t0) * 1000;
                called := true;
                PERFORM set_config('role', 'none', true);
                PERFORM set_config('chat.user_id', '', true);
                PERFORM set_config('request.jwt.claims', '', true);
                /* an end user must not reach 100,000 members in one call */
                IF c.pass = 'user' AND c.tags LIKE '%huge_users%' THEN
                    why := 'an end user''s call with 100,000 users succeeded: no resource limit';
                END IF;
                /* a registration of something that does not exist is refused (README: 42883, 42704...) */
                IF why IS NULL AND c.tags LIKE '%nonexistent%' AND c.fn !~ '^(remove|unmap)_' THEN
                    why := 'accepted an OID that names no function, table or role';
                END IF;
                /* a success leaves exact counters */
                IF EXISTS (SELECT 1 FROM chat.verify_unread()) THEN
                    why := coalesce(why || '; ', '') || 'succeeded but verify_unread() finds drift: '
                           || (SELECT string_agg(format('%s/%s %s %s<>%s', v.thread_id, v.user_id, v.what, v.stored, v.recounted), '; ')
                                 FROM (SELECT * FROM chat.verify_unread() LIMIT 3) v);
                END IF;
                /* an accepted setting or registration: later writes still work */
                IF c.after IS NOT NULL THEN
                    EXECUTE c.after;
                END IF;
                IF c.config THEN
                    DECLARE
                        p text := hostile.probe(c.fn = 'set_setting', c.sql ~ '::regrole');
                    BEGIN
                        IF p IS NOT NULL THEN
                            why := coalesce(why || '; ', '') || 'accepted, then ' || p;
                        END IF;
                    END;
                END IF;
            EXCEPTION WHEN OTHERS THEN
                IF called THEN
                    GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT, st = RETURNED_SQLSTATE;
                    why := coalesce(why || '; ', '') || format('accepted, then its checks failed %s: %s', st, left(msg, 300));
                    st := NULL; msg := NULL;
                ELSE
                    GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
                    ms := extract(epoch FROM clock_timestamp() - t0) * 1000;
                END IF;
            END;
            RAISE EXCEPTION USING ERRCODE = 'HX001';    -- roll the call back, whatever it did
        EXCEPTION WHEN SQLSTATE 'HX001' THEN
            NULL;
        END;
        IF st IS NOT NULL AND why IS NULL THEN
            IF st = 'XX000' THEN
                why := 'internal error (XX000)';
            ELSIF NOT EXISTS (SELECT 1 FROM hostile.accepted a WHERE a.code = st) THEN
                why := format('undocumented SQLSTATE %s', st);
            END IF;
        END IF;
        /* after a refusal (and every 25th call), nothing changed */
        k := k + 1;
        IF st IS NOT NULL OR k % 25 = 0 THEN
            IF hostile.fingerprint() IS DISTINCT FROM (SELECT b.state FROM hostile.baseline b) THEN
                why := coalesce(why || '; ', '') || 'the tables changed after it was rolled back';
                UPDATE hostile.baseline SET state = hostile.fingerprint();
            END IF;
        END IF;
        /* a setting or registration (accepted, or every 5th refused): this session's next transaction works */
        IF c.config AND (st IS NULL OR c.seq % 5 = 0) THEN
            DECLARE
                p text := hostile.probe_rolled_back();
            BEGIN
                IF p IS NOT NULL THEN
                    why := coalesce(why || '; ', '') || 'after it was rolled back, ' || p;
                END IF;
            END;
        END IF;
        INSERT INTO hostile.result VALUES (c.seq, st, left(msg, 500), length(msg), round(ms, 1), why IS NULL, why);
        COMMIT;
    END LOOP;
END
$$;
