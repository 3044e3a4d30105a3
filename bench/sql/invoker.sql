/*
 * bench/sql/invoker.sql: bench.new_reply_invoker for the P1 invoker run:
 * chat.new_reply's own C function declared again exactly as chat.new_reply
 * is, less SECURITY DEFINER and the pinned search_path.  The superuser calls
 * it, so its identity check passes as it does in chat.new_reply.
 */
\set ON_ERROR_STOP on

DO $$
DECLARE
    def text := pg_get_functiondef('chat.new_reply'::regproc);
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
