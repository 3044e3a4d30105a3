
/* ========================================================================
 * citus.sql: chat distributed on Citus (README "Running on Citus")
 *
 * Last in the install script.  Without Citus it only defines the functions
 * below and changes nothing.  On a Citus coordinator CREATE EXTENSION chat
 * ends with chat.distribute(): the per-thread tables hash-distributed by
 * thread id and colocated, the small registries and settings reference
 * tables, per-node id ranges, the hot per-thread calls delegated to the
 * worker holding the thread.  On a worker (Citus propagates CREATE EXTENSION
 * there) it only makes the node ready: its event triggers off (they would
 * fire for every shard's DDL) and its id ranges.  A database that gains
 * Citus after chat calls chat.distribute() once on the coordinator.
 *
 * Citus refuses, and chat therefore changes when it distributes itself:
 *  - unique keys without the distribution column: thread_direct_key and
 *    thread_object_key are dropped; chat.direct_thread and
 *    chat.object_thread serialize creators of the same pair or object with
 *    a transaction advisory lock on the coordinator instead (chat._citus);
 *  - policies with sub-selects: rewritten to call the same functions
 *    directly, and the EXISTS over chat.message of message_edit, reaction
 *    and attachment becomes membership of the thread;
 *  - foreign keys between tables being distributed: setting -> setting_default
 *    and hook -> event_kind are dropped (chat.set_setting and chat.add_hook
 *    check the key themselves);
 *  - triggers on distributed tables: allowed with citus.enable_unsafe_triggers
 *    for this transaction (chat's triggers touch only the rows of the same
 *    thread, so they run on the shard's node).
 * Coordinator-only tables stay local: notification, notifier, event_pruned,
 * purge_progress (the notification queue and the retention cursor).
 * ======================================================================== */

/* true when chat's tables are distributed by Citus in this database (false without Citus) */
CREATE FUNCTION chat._citus() RETURNS boolean
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF to_regclass('pg_catalog.pg_dist_partition') IS NULL THEN
        RETURN false;
    END IF;
    RETURN EXISTS (SELECT FROM pg_catalog.pg_dist_partition p WHERE p.logicalrelid = 'chat.thread'::regclass);
END
$$;
COMMENT ON FUNCTION chat._citus() IS 'whether chat''s tables are distributed by Citus in this database';

/*
 * This node's share of the id space: the Citus group id (0 on the
 * coordinator, 1, 2... on the workers) in the top 15 bits below the sign, so
 * ids drawn on different nodes never meet.  Runs on the node it changes,
 * without DDL propagation.
 */
CREATE FUNCTION chat._citus_node_ids() RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    g bigint;
    s text;
    lo bigint;
    hi bigint;
BEGIN
    EXECUTE 'SELECT groupid FROM pg_catalog.pg_dist_local_group' INTO g;
    IF g IS NULL OR g < 0 THEN
        RETURN;
    END IF;
    lo := (g << 48) + 1;
    hi := ((g + 1) << 48) - 1;
    PERFORM set_config('citus.enable_ddl_propagation', 'off', true);
    FOREACH s IN ARRAY ARRAY['chat.thread_id_seq', 'chat.message_id_seq'] LOOP
        /* once: a node whose sequence is in its range already keeps its position */
        IF (SELECT q.seqmin FROM pg_catalog.pg_sequence q WHERE q.seqrelid = s::regclass) <> lo THEN
            EXECUTE format('ALTER SEQUENCE %s MINVALUE %s MAXVALUE %s START WITH %s RESTART WITH %s',
                           s, lo, hi, lo, lo);
        END IF;
    END LOOP;
END
$$;
COMMENT ON FUNCTION chat._citus_node_ids() IS
    'gives this Citus node its own range of thread and message ids (group id << 48)';

/* A worker's own preparation: its event triggers off, its id range. */
CREATE FUNCTION chat._citus_worker() RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    PERFORM set_config('citus.enable_ddl_propagation', 'off', true);
    ALTER EVENT TRIGGER chat_user_binding_ddl DISABLE;
    ALTER EVENT TRIGGER chat_user_binding_dropped DISABLE;
    ALTER EVENT TRIGGER chat_model_dropped DISABLE;
    PERFORM chat._citus_node_ids();
END
$$;
COMMENT ON FUNCTION chat._citus_worker() IS
    'prepares a Citus worker for chat: event triggers off (they would run for shard DDL), its id range';

CREATE FUNCTION chat.distribute() RETURNS text
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    t text;
    pol record;
    expr text;
    f text;
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_extension e WHERE e.extname = 'citus') THEN
        RETURN 'Citus is not installed in this database: nothing to distribute';
    END IF;
    IF NOT chat.is_server_role() THEN
        RAISE EXCEPTION 'only a server role may distribute chat' USING ERRCODE = '42501';
    END IF;
    IF chat._citus() THEN
        RETURN 'chat is distributed already';
    END IF;
    EXECUTE 'SELECT pg_catalog.citus_is_coordinator()' INTO STRICT f;
    IF f::boolean IS NOT TRUE THEN
        PERFORM chat._citus_worker();
        RETURN 'a Citus worker: made ready; distribute chat on the coordinator';
    END IF;

    PERFORM set_config('citus.enable_unsafe_triggers', 'on', true);
    PERFORM set_config('citus.multi_shard_modify_mode', 'sequential', true);
    PERFORM set_config('client_min_messages', 'warning', true);

    /* the workers first: event triggers off before any shard DDL reaches them, their id ranges */
    PERFORM pg_catalog.run_command_on_workers('SELECT chat._citus_worker()');
    PERFORM chat._citus_node_ids();

    /* what Citus refuses, on every node: the shells on the workers were made by CREATE EXTENSION */
    PERFORM set_config('citus.enable_ddl_propagation', 'off', true);
    FOR t IN SELECT unnest(ARRAY[
            'DROP INDEX IF EXISTS chat.thread_direct_key',
            'DROP INDEX IF EXISTS chat.thread_object_key',
            'ALTER TABLE chat.setting DROP CONSTRAINT IF EXISTS setting_key_fkey',
            'ALTER TABLE chat.hook DROP CONSTRAINT IF EXISTS hook_event_fkey'])
    LOOP
        EXECUTE t;
        PERFORM pg_catalog.run_command_on_workers('SET citus.enable_ddl_propagation = off; ' || t);
    END LOOP;
    FOR pol IN SELECT p.polname, p.polrelid::regclass AS tbl, pg_get_expr(p.polqual, p.polrelid) AS qual
                 FROM pg_catalog.pg_policy p
                WHERE p.polrelid IN ('chat.thread'::regclass, 'chat.member'::regclass, 'chat.message'::regclass,
                                     'chat.message_edit'::regclass, 'chat.reaction'::regclass,
                                     'chat.attachment'::regclass, 'chat.role_map'::regclass)
    LOOP
        expr := regexp_replace(pol.qual, '\(\s*SELECT (chat\.[a-z_]+\(\)) AS [a-z_]+\)', '\1', 'g');
        IF expr ~ 'EXISTS' THEN
            expr := 'chat.is_server_role() OR chat._is_member(thread_id)';
        END IF;
        IF expr <> pol.qual THEN
            t := format('ALTER POLICY %I ON %s USING (%s)', pol.polname, pol.tbl, expr);
            EXECUTE t;
            PERFORM pg_catalog.run_command_on_workers('SET citus.enable_ddl_propagation = off; ' || t);
        END IF;
    END LOOP;
    PERFORM set_config('citus.enable_ddl_propagation', 'on', true);

    /* small, read everywhere, written rarely: a copy on every node */
    FOREACH t IN ARRAY ARRAY['chat.setting_default', 'chat.setting', 'chat.permission_default', 'chat.event_kind',
                             'chat.hook', 'chat.model', 'chat.user_binding', 'chat.role_map'] LOOP
        PERFORM pg_catalog.create_reference_table(t::regclass);
    END LOOP;
    /* everything of one thread on one node */
    PERFORM pg_catalog.create_distributed_table('chat.thread'::regclass, 'id');
    FOREACH t IN ARRAY ARRAY['chat.member', 'chat.message', 'chat.message_edit', 'chat.reaction',
                             'chat.attachment', 'chat.event'] LOOP
        PERFORM pg_catalog.create_distributed_table(t::regclass, 'thread_id', colocate_with => 'chat.thread');
    END LOOP;

    /* the hot per-thread calls run on the worker holding the thread */
    PERFORM pg_catalog.create_distributed_function(
        'chat.new_reply(bigint,chat.user_id,text,bigint,jsonb,jsonb,chat.user_id[])'::regprocedure,
        'thread_id', colocate_with => 'chat.thread');
    PERFORM pg_catalog.create_distributed_function(
        'chat.mark_read(bigint,chat.user_id,bigint)'::regprocedure,
        'thread_id', colocate_with => 'chat.thread');
    PERFORM pg_catalog.create_distributed_function(
        'chat.messages(bigint,chat.user_id,bigint,bigint,integer)'::regprocedure,
        'thread_id', colocate_with => 'chat.thread', force_delegation => true);
    RETURN 'chat distributed';
END
$$;
COMMENT ON FUNCTION chat.distribute() IS
    'distributes chat on a Citus coordinator (per-thread tables by thread id, registries as reference tables); run once; CREATE EXTENSION chat does it when Citus is there';

REVOKE ALL ON FUNCTION chat._citus(), chat._citus_node_ids(), chat._citus_worker(), chat.distribute() FROM PUBLIC;

/* CREATE EXTENSION chat with Citus in the database: distribute now (coordinator) or get ready (worker) */
DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_catalog.pg_extension e WHERE e.extname = 'citus') THEN
        PERFORM chat.distribute();
    END IF;
END
$$;
