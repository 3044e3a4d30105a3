/*
 * bench/sql/load_b.sql: B1, many calls in one transaction (bench/workloads/b.sh).
 * The bare reference makes its INSERTs one call at a time, as chat's calls
 * are made: one plpgsql call per row.
 */
CREATE FUNCTION bench.bare_call(t bigint, u bigint) RETURNS bigint
    LANGUAGE plpgsql AS $$
DECLARE
    id bigint;
BEGIN
    INSERT INTO bench.bare_message (thread_id, sender_id, content)
    VALUES (t, u, 'a reply about as long as a typical chat line') RETURNING bare_message.id INTO id;
    RETURN id;
END
$$;
