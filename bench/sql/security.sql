/*
 * bench/sql/security.sql: what S1-S4 and the P1 invoker run need (chat 0.4):
 *
 *   - a login role for the end-user runs, mapped to the P3 user with
 *     chat.map_role (the cluster is run.sh's own, with trust authentication,
 *     so pgbench connects as it with -U and no password);
 *   - bench.new_reply_invoker: chat.new_reply's own C function declared again
 *     exactly as chat.new_reply is, less SECURITY DEFINER and the pinned
 *     search_path, i.e. as chat 0.3 declared it.  The superuser calls it, so
 *     its identity check passes as it does in chat.new_reply.
 *
 * psql variables: s_role s_viewer
 */
\set ON_ERROR_STOP on

CREATE ROLE :"s_role" LOGIN;
SELECT chat.map_role(:'s_role', :s_viewer);

DO $$
DECLARE
    def text := pg_get_functiondef('chat.new_reply(bigint, chat.user_id, text, bigint, jsonb, jsonb)'::regprocedure);
BEGIN
    def := replace(def, 'FUNCTION chat.new_reply(', 'FUNCTION bench.new_reply_invoker(');
    def := regexp_replace(def, '\n\s*SECURITY DEFINER', '');
    def := regexp_replace(def, '\n\s*SET search_path[^\n]*', '');
    EXECUTE def;
END
$$;

-- the twin differs in those two properties only
DO $$
BEGIN
    IF (SELECT count(DISTINCT (p.prorettype, p.proargtypes, p.proargnames, pg_get_function_arguments(p.oid),
                               p.prolang, p.provolatile, p.proisstrict, p.proparallel, p.procost,
                               p.prosrc, p.probin))
          FROM pg_proc p
         WHERE p.oid IN ('chat.new_reply'::regproc, 'bench.new_reply_invoker'::regproc)) <> 1
       OR (SELECT prosecdef OR proconfig IS NOT NULL FROM pg_proc
            WHERE oid = 'bench.new_reply_invoker'::regproc) THEN
        RAISE EXCEPTION 'bench.new_reply_invoker is not chat.new_reply less SECURITY DEFINER and search_path';
    END IF;
END
$$;
