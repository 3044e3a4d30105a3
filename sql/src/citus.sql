
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

/* whether a table is a Citus reference table (a copy on every node) */
CREATE FUNCTION chat._citus_reference(tbl regclass) RETURNS boolean
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    ref boolean;
BEGIN
    IF to_regclass('pg_catalog.pg_dist_partition') IS NULL THEN
        RETURN false;
    END IF;
    EXECUTE 'SELECT EXISTS (SELECT FROM pg_catalog.pg_dist_partition p
                             WHERE p.logicalrelid = $1 AND p.partmethod = ''n'' AND p.repmodel = ''t'')'
       INTO ref USING tbl;
    RETURN ref;
END
$$;
COMMENT ON FUNCTION chat._citus_reference(regclass) IS 'whether a table is a Citus reference table (false without Citus)';

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
    used text;
    lo bigint;
    hi bigint;
BEGIN
    EXECUTE 'SELECT groupid FROM pg_catalog.pg_dist_local_group' INTO g;
    IF g IS NULL OR g < 0 THEN
        RETURN;
    END IF;
    /*
     * A message id names its node by the group id modulo 64
     * (chat._citus_message_id): two groups with the same remainder would draw
     * the same ids.  Citus does not reuse a removed node's group id, so the
     * 65th node added over a cluster's life gets group 64 or more.  Refused
     * here, on the node being added: Citus installs chat there inside
     * citus_add_node, after it has sent the node list, so the addition is
     * rolled back (and likewise on every node when chat is distributed).
     */
    EXECUTE 'SELECT min(n.groupid)::text FROM pg_catalog.pg_dist_node n
              WHERE n.groupid <> $1 AND n.groupid & 63 = $1 & 63' INTO s USING g;
    IF s IS NOT NULL THEN
        EXECUTE 'SELECT string_agg(r::text, '', '' ORDER BY r)
                   FROM (SELECT DISTINCT n.groupid & 63 AS r FROM pg_catalog.pg_dist_node n) d' INTO used;
        RAISE EXCEPTION 'Citus group % and group % would draw the same chat message ids', g, s
            USING ERRCODE = 'feature_not_supported',
                  DETAIL = 'chat''s message ids carry the Citus group id modulo 64 (README "Running on Citus").',
                  HINT = format('Add the node with citus_add_node(..., groupid => n), n a group id whose remainder '
                                'modulo 64 no other node''s has (taken: %s).', used);
    END IF;
    lo := (g << 48) + 1;
    hi := ((g + 1) << 48) - 1;
    PERFORM set_config('citus.enable_ddl_propagation', 'off', true);
    FOREACH s IN ARRAY ARRAY['chat.thread_id_seq', 'chat.message_id_seq', 'chat.event_seq'] LOOP
        /* once: a node whose sequence is in its range already keeps its position */
        IF (SELECT q.seqmin FROM pg_catalog.pg_sequence q WHERE q.seqrelid = s::regclass) <> lo THEN
            EXECUTE format('ALTER SEQUENCE %s MINVALUE %s MAXVALUE %s START WITH %s RESTART WITH %s',
                           s, lo, hi, lo, lo);
        END IF;
    END LOOP;
END
$$;
COMMENT ON FUNCTION chat._citus_node_ids() IS
    'gives this Citus node its own range of thread and message ids (group id << 48); refuses a node whose group id modulo 64, which names it in message ids, is another node''s';

/* Runs a command on every worker (Citus's run_command_on_workers); an error on any of them is raised here. */
CREATE FUNCTION chat._citus_workers(command text) RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    r record;
BEGIN
    FOR r IN EXECUTE 'SELECT nodename, nodeport, success, result FROM pg_catalog.run_command_on_workers($1)' USING command LOOP
        IF NOT r.success THEN
            RAISE EXCEPTION 'on worker %:%: %', r.nodename, r.nodeport, r.result
                USING DETAIL = 'command: ' || command;
        END IF;
    END LOOP;
END
$$;
COMMENT ON FUNCTION chat._citus_workers(text) IS 'runs a command on every Citus worker, raising the first failure';

/*
 * What Citus refuses, changed on the node it runs on (the coordinator before
 * it distributes; each worker on its own, whose tables are the shells of
 * the distributed ones): the unique keys without the thread id, the foreign
 * keys between reference tables, sub-selects in policies.
 */
CREATE FUNCTION chat._citus_shape() RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    t text;
    pol record;
    expr text;
BEGIN
    PERFORM set_config('citus.enable_ddl_propagation', 'off', true);
    FOR t IN SELECT unnest(ARRAY[
            'DROP INDEX IF EXISTS chat.thread_direct_key',
            'DROP INDEX IF EXISTS chat.thread_object_key',
            'ALTER TABLE chat.setting DROP CONSTRAINT IF EXISTS setting_key_fkey',
            'ALTER TABLE chat.hook DROP CONSTRAINT IF EXISTS hook_event_fkey'])
    LOOP
        EXECUTE t;
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
            END IF;
    END LOOP;
END
$$;
COMMENT ON FUNCTION chat._citus_shape() IS
    'removes on this node what Citus refuses in chat''s tables: unique keys without the thread id, foreign keys between reference tables, sub-selects in policies';

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
    PERFORM chat._citus_shape();
    PERFORM chat._citus_adapt();
END
$$;
COMMENT ON FUNCTION chat._citus_worker() IS
    'prepares a Citus worker for chat: event triggers off (they would run for shard DDL), its id range';

/* clock_timestamp() for an UPDATE of a distributed table: Citus refuses a volatile call there (chat._citus_adapt) */
CREATE FUNCTION chat._citus_clock() RETURNS timestamptz
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
    AS 'SELECT pg_catalog.clock_timestamp()';
COMMENT ON FUNCTION chat._citus_clock() IS
    'clock_timestamp() declared stable, so Citus evaluates it once before it ships an UPDATE (Citus only)';

/*
 * A message id on a Citus cluster, drawn by the message trigger under the
 * thread's row lock on the node holding the thread.  Ids must be unique
 * across nodes, increase within a thread in commit order, and follow time
 * across nodes, since the inbox is ordered by the newest message's id
 * whichever worker holds each thread.  So:
 *
 *   bits 62..20  time in units of 100 microseconds since 2025-01-01 (to 2052)
 *   bits 19..6   this node's sequence, modulo 16384
 *   bits  5..0   this node's Citus group id modulo 64
 *
 * Two nodes never draw the same id (the low bits: a node whose group id has
 * the remainder of another's is refused, chat._citus_node_ids); one node repeats an id
 * only if it drew 16384 ids within the same 100 microseconds, or its clock
 * stepped back onto an instant it had used with the same sequence residue.
 * Within a thread an id is always above the thread's last one ("after").
 */
CREATE FUNCTION chat._citus_message_id(after bigint) RETURNS bigint
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    id bigint;
BEGIN
    id := (floor((extract(epoch FROM clock_timestamp()) - 1735689600) * 10000)::bigint << 20)
          | ((nextval('chat.message_id_seq') & 16383) << 6)
          | ((SELECT g.groupid FROM pg_catalog.pg_dist_local_group g) & 63);
    IF id <= coalesce(after, 0) THEN
        id := (((after >> 20) + 1) << 20) | (id & 1048575);
    END IF;
    RETURN id;
END
$$;
COMMENT ON FUNCTION chat._citus_message_id(bigint) IS
    'a message id on a Citus cluster: time (100 us) | node sequence | Citus group, above the thread''s last id (Citus only)';

/*
 * chat.swap_model on a cluster: chat.model, a reference table, names the
 * table on every node, and each thread's rows are written and read on its
 * worker, so a model's table must be distributed by thread_id with
 * chat.thread.  A table still local to the coordinator (as the application
 * made it) is distributed so here, its rows copied to the shards, as
 * CREATE EXTENSION does with chat's own tables.  A table Citus holds
 * already is so: swap_model has checked its foreign key to chat's table, and
 * Citus accepts such a key only from a table distributed by that column
 * with it (a reference or local table cannot reference a distributed one).
 * A model of notifications cannot be swapped: chat.notification stays on the
 * coordinator, and a table on every node cannot reference it.
 */
CREATE FUNCTION chat._citus_model_table(model text, tbl regclass) RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    local boolean;
BEGIN
    IF model = 'notification' THEN
        RAISE EXCEPTION 'the notification model cannot be swapped on a Citus cluster'
            USING ERRCODE = '0A000',
                  DETAIL = 'chat.notification stays on the coordinator, while chat.model, a reference table, names the table on every node.';
    END IF;
    EXECUTE 'SELECT NOT EXISTS (SELECT 1 FROM pg_catalog.pg_dist_partition p WHERE p.logicalrelid = $1)'
       INTO local USING tbl;
    IF local THEN
        PERFORM pg_catalog.create_distributed_table(tbl, 'thread_id', colocate_with => 'chat.thread');
    END IF;
END
$$;
COMMENT ON FUNCTION chat._citus_model_table(text, regclass) IS
    'distributes a model''s table still local to the coordinator by thread_id with chat.thread; refuses the notification model (chat.swap_model on a Citus cluster)';

/*
 * The values of a swapped model's new row as SQL literals, for an INSERT ...
 * VALUES (chat._fill_extra, chat._fill_model on a cluster).  Citus sends an
 * INSERT ... SELECT from jsonb_to_record to the shard as COPY, whose errors
 * lose their SQLSTATE (a CHECK, NOT NULL, unique or foreign key violation of
 * the application's table came back as XX000); a one-row INSERT ... VALUES is
 * routed to the shard and keeps it.  rec holds the key columns named in keys
 * and the fields; coldefs (", a text, b integer") gives their types, keys
 * first, then the fields in the order of their names, as chat._extra_fields
 * lists them.  Each value is converted as jsonb_to_record converts it, then
 * written as a quoted literal that the column's type reads back in the same
 * session (its DateStyle and IntervalStyle).
 */
CREATE FUNCTION chat._citus_literals(rec jsonb, keys text[], coldefs text) RETURNS text
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    expr text;
    lits text;
BEGIN
    SELECT string_agg(format('pg_catalog.quote_nullable(r.%I)', c.name), ' || '', '' || ' ORDER BY c.o, c.name)
      INTO expr
      FROM (SELECT u.kc AS name, u.i AS o FROM unnest(keys) WITH ORDINALITY AS u(kc, i)
            UNION ALL
            SELECT e.key, NULL FROM jsonb_object_keys(rec) AS e(key)
             WHERE e.key <> ALL (coalesce(keys, '{}'))) c;
    EXECUTE format('SELECT %s FROM pg_catalog.jsonb_to_record($1) AS r(%s)', expr, substr(coldefs, 3))
       INTO lits USING rec;
    RETURN lits;
END
$$;
COMMENT ON FUNCTION chat._citus_literals(jsonb, text[], text) IS
    'a swapped model''s new row as SQL literals for an INSERT ... VALUES, which Citus routes keeping the SQLSTATE of the table''s errors (chat._fill_extra and chat._fill_model on a cluster)';

/*
 * Events on a Citus cluster (README "Running on Citus").  An event row lives
 * on the worker holding its thread and is stamped there with that worker's
 * transaction id (chat._citus_event_xid), whichever node ran the call.  A
 * cursor is then one snapshot per shard of chat.event: "<system id>.<database
 * oid>.<shard>/<group>/<snapshot>~...", each snapshot taken by the statement
 * that read that shard's events, on the worker holding it, inside the
 * caller's transaction (so the caller's own uncommitted events are read, as
 * on one node).  The per-shard statement is a query over chat.event_shard,
 * which has one row per shard (an "anchor" with a negative thread id that
 * hashes into the shard): Citus sends it to every shard, and for each row
 * the worker runs chat._citus_shard_changes (or chat._citus_shard_window),
 * which reads its shard's events with pg_current_snapshot(), the statement's
 * snapshot.  Per shard, not per node: the shards of one worker are read by
 * statements of their own, each with its snapshot.  A cursor whose shards or
 * groups differ from today's (a shard moved, split or added) says reload.
 * Rows of each shard's anchor: the group holding it when made, and the newest
 * transaction id of that shard's pruned events (chat.event_pruned on one node).
 */

/* Trigger on chat.event's shards: the row's xid is the transaction of the node storing it (Citus only). */
CREATE FUNCTION chat._citus_event_xid() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    NEW.xid := pg_current_xact_id();
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION chat._citus_event_xid() IS
    'trigger on chat.event''s shards: the xid of the worker''s transaction, not the coordinator''s (Citus only)';

/* chat.event_shard (chat._citus_events), on the node it runs on */
CREATE FUNCTION chat._citus_event_table() RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    CREATE TABLE chat.event_shard (
        thread_id  bigint PRIMARY KEY CHECK (thread_id < 0),
        node_group integer NOT NULL,
        pruned_xid xid8
    );
    COMMENT ON TABLE chat.event_shard IS
        'Citus: one row per shard of chat.event (its thread id hashes into the shard), read to take each shard''s snapshot where the shard is';
    COMMENT ON COLUMN chat.event_shard.node_group IS 'the Citus group whose transaction ids the shard''s events carry';
    COMMENT ON COLUMN chat.event_shard.pruned_xid IS
        'the newest transaction id among the shard''s events chat.prune_events removed';
    REVOKE ALL ON chat.event_shard FROM PUBLIC;
END
$$;
COMMENT ON FUNCTION chat._citus_event_table() IS 'Citus: creates chat.event_shard on this node';

/*
 * What chat's events need on a Citus coordinator: the xid trigger on
 * chat.event, chat.event_shard (made on every node by its install script
 * when installing) with one anchor per shard (anchors of new
 * shards added; run again after splitting shards).  Moved shards: their
 * anchor takes the new group and forgets its pruning, their events, whose
 * xids are of the node they came from, become old to every cursor, and the
 * notifier goes on from there (clients' cursors reload).
 */
CREATE FUNCTION chat._citus_events(installing boolean) RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    s record;
    v bigint;
    ids bigint[];
    grps integer[];
    moved bigint[];
    parts jsonb[];
    entry text;
    pat text;
BEGIN
    PERFORM set_config('citus.enable_ddl_propagation', 'on', true);
    PERFORM set_config('citus.enable_unsafe_triggers', 'on', true);
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_trigger t WHERE t.tgrelid = 'chat.event'::regclass
                                                       AND t.tgname = 'event_xid') THEN
        CREATE TRIGGER event_xid BEFORE INSERT ON chat.event
            FOR EACH ROW EXECUTE FUNCTION chat._citus_event_xid();
    END IF;
    IF to_regclass('chat.event_shard') IS NULL THEN
        /* under CREATE EXTENSION each worker makes it in its install script (Citus makes no shell of an extension's table) */
        PERFORM set_config('citus.enable_ddl_propagation', CASE WHEN installing THEN 'off' ELSE 'on' END, true);
        PERFORM chat._citus_event_table();
        PERFORM set_config('citus.enable_ddl_propagation', 'on', true);
        PERFORM pg_catalog.create_distributed_table('chat.event_shard'::regclass, 'thread_id', colocate_with => 'chat.thread');
    END IF;
    /* an anchor for each shard that has none: negative ids, the first hashing into it */
    SELECT array_agg(a.thread_id), array_agg(a.node_group) INTO ids, grps FROM chat.event_shard a;
    FOR s IN SELECT sh.shardid, sh.shardminvalue::integer AS lo, sh.shardmaxvalue::integer AS hi, pl.groupid
               FROM pg_catalog.pg_dist_shard sh JOIN pg_catalog.pg_dist_placement pl ON pl.shardid = sh.shardid
              WHERE sh.logicalrelid = 'chat.event_shard'::regclass
                AND NOT EXISTS (SELECT FROM unnest(ids) a (thread_id)
                                 WHERE pg_catalog.get_shard_id_for_distribution_column('chat.event_shard', a.thread_id) = sh.shardid)
              ORDER BY sh.shardid
    LOOP
        v := -1;
        WHILE pg_catalog.worker_hash(v) NOT BETWEEN s.lo AND s.hi LOOP
            v := v - 1;
        END LOOP;
        INSERT INTO chat.event_shard (thread_id, node_group) VALUES (v, s.groupid);
    END LOOP;
    /* moved shards: their events' xids are another node's */
    FOR s IN SELECT a.thread_id, pl.groupid
               FROM unnest(ids, grps) a (thread_id, node_group)
               JOIN pg_catalog.pg_dist_placement pl
                 ON pl.shardid = pg_catalog.get_shard_id_for_distribution_column('chat.event_shard', a.thread_id)
              WHERE pl.groupid <> a.node_group
    LOOP
        SELECT array_agg(DISTINCT e.thread_id) INTO moved FROM chat.event e;
        moved := ARRAY(SELECT x FROM unnest(moved) x
                        WHERE pg_catalog.get_shard_id_for_distribution_column('chat.event', x)
                              = pg_catalog.get_shard_id_for_distribution_column('chat.event', s.thread_id));
        UPDATE chat.event e SET xid = '3'::xid8 WHERE e.thread_id = ANY (moved);
        UPDATE chat.event_shard a SET node_group = s.groupid, pruned_xid = NULL WHERE a.thread_id = s.thread_id;
        /*
         * The notifier goes on there from a snapshot that saw those events and
         * none of the new node's (xmin 4), so it expands what was written there
         * since the move; clients' cursors name the old group: they reload.
         */
        entry := format('\1%s/%s/4:4:', pg_catalog.get_shard_id_for_distribution_column('chat.event', s.thread_id), s.groupid);
        pat := format('([.~])%s/[0-9]+/[0-9]+:[0-9]+:[0-9,]*', pg_catalog.get_shard_id_for_distribution_column('chat.event', s.thread_id));
        UPDATE chat.notifier n SET cursor = regexp_replace(n.cursor, pat, entry),
                                   window_end = regexp_replace(n.window_end, pat, entry);
    END LOOP;
    /* the notifier's cursor of one node (from CREATE EXTENSION): the shards' snapshots now */
    IF (SELECT chat._citus_cursor_map(n.cursor) = '{}' FROM chat.notifier n) THEN
        EXECUTE 'SELECT array_agg(chat._citus_shard_window(a.tableoid, a.node_group, a.pruned_xid, NULL, NULL, NULL, 0))
                   FROM chat.event_shard a' INTO parts;
        UPDATE chat.notifier SET cursor = chat._citus_cursor(parts), window_end = NULL, done_xid = NULL, done_seq = NULL;
    END IF;
END
$$;
COMMENT ON FUNCTION chat._citus_events(boolean) IS
    'Citus: chat.event''s xid trigger, chat.event_shard with an anchor per shard, moved shards'' events made old (chat.distribute())';

/*
 * A cursor's snapshots by shard: {"<shard>": "<group>/<snapshot>"}; '{}'
 * (reload) for a cursor of another database or of one node (chat was not
 * distributed yet); 22023 when it is no cursor.
 */
CREATE FUNCTION chat._citus_cursor_map(cursor text) RETURNS jsonb
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    part text[] := regexp_match(cursor, '^([0-9]+\.[0-9]+)\.([0-9]+/[0-9]+/[0-9]+:[0-9]+:[0-9,]*(~[0-9]+/[0-9]+/[0-9]+:[0-9]+:[0-9,]*)*)$');
    map jsonb;
BEGIN
    IF part IS NULL THEN
        /* 22023 unless it is a cursor of one node */
        PERFORM chat._cursor_snapshot(cursor);
        RETURN '{}';
    END IF;
    BEGIN
        SELECT jsonb_object_agg(x[1], x[2] || '/' || x[3]::pg_snapshot::text) INTO map
          FROM regexp_matches(part[2], '([0-9]+)/([0-9]+)/([0-9]+:[0-9]+:[0-9,]*)', 'g') x;
    EXCEPTION WHEN invalid_text_representation OR numeric_value_out_of_range THEN
        PERFORM chat._invalid_cursor(cursor);
    END;
    IF part[1] <> chat._cursor_prefix() THEN
        RETURN '{}';
    END IF;
    RETURN map;
END
$$;
COMMENT ON FUNCTION chat._citus_cursor_map(text) IS
    'Citus: a cursor''s snapshots by shard ({} for another database''s or one node''s cursor: reload); 22023 for no cursor';

/* The cursor of the snapshots the shards' statements took (the "snap" of each part). */
CREATE FUNCTION chat._citus_cursor(parts jsonb[]) RETURNS text
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT chat._cursor_prefix() || '.' ||
           (SELECT string_agg(format('%s/%s/%s', p ->> 'shard', p ->> 'group', p ->> 'snap'), '~'
                              ORDER BY (p ->> 'shard')::bigint)
              FROM unnest(parts) p)
$$;
COMMENT ON FUNCTION chat._citus_cursor(jsonb[]) IS 'Citus: the cursor of the shards'' snapshots';

/*
 * On a worker, in the statement Citus sent for a shard of chat.event_shard:
 * the colocated shards of chat.event (its id and name), chat.member,
 * chat.message and chat.thread, found by the anchor row's table (tableoid).
 */
CREATE FUNCTION chat._citus_shard_rels(anchor oid, OUT shard bigint, OUT ev text, OUT mb text, OUT msg text, OUT th text)
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT max(s.shardid) FILTER (WHERE s.logicalrelid = 'chat.event'::regclass),
           max(format('chat.%I', 'event_' || s.shardid)) FILTER (WHERE s.logicalrelid = 'chat.event'::regclass),
           max(format('chat.%I', 'member_' || s.shardid)) FILTER (WHERE s.logicalrelid = 'chat.member'::regclass),
           max(format('chat.%I', 'message_' || s.shardid)) FILTER (WHERE s.logicalrelid = 'chat.message'::regclass),
           max(format('chat.%I', 'thread_' || s.shardid)) FILTER (WHERE s.logicalrelid = 'chat.thread'::regclass)
      FROM pg_catalog.pg_dist_shard a
      JOIN pg_catalog.pg_dist_shard s ON s.shardminvalue = a.shardminvalue
           AND s.logicalrelid IN ('chat.event'::regclass, 'chat.member'::regclass, 'chat.message'::regclass,
                                  'chat.thread'::regclass)
     WHERE a.shardid = substring(anchor::regclass::text FROM '_([0-9]+)$')::bigint
$$;
COMMENT ON FUNCTION chat._citus_shard_rels(oid) IS
    'Citus: on a worker, the shards of chat.event, member, message and thread colocated with an anchor''s shard (chat.event_shard)';

/*
 * The start of a shard's read on its worker (chat._citus_shard_changes,
 * chat._citus_shard_window): {"shard", "group", "snap"} with "reload" true
 * when since (a cursor map, NULL: none) has no snapshot of this shard, one of
 * another group, or one older than the shard's pruned events (as
 * chat._cursor_expired on one node), and "moved" when the shard came from
 * another node and chat.distribute() has not run since; the snapshot of
 * since in snap.
 */
CREATE FUNCTION chat._citus_shard_start(shard bigint, home integer, pruned xid8, since jsonb, OUT part jsonb, OUT snap pg_snapshot)
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    grp integer := (SELECT g.groupid FROM pg_catalog.pg_dist_local_group g);
    here pg_snapshot := pg_current_snapshot();
    entry text[];
BEGIN
    part := jsonb_build_object('shard', shard, 'group', grp, 'snap', here::text);
    IF since IS NULL THEN
        RETURN;
    END IF;
    IF home <> grp THEN
        /* moved here, chat.distribute() not run since: its events carry the other node's xids */
        part := part || '{"reload": true, "moved": true}';
        RETURN;
    END IF;
    entry := regexp_match(since ->> shard::text, '^([0-9]+)/(.*)$');
    IF entry IS NULL OR entry[1]::integer <> grp THEN
        part := part || '{"reload": true}';
        RETURN;
    END IF;
    snap := entry[2]::pg_snapshot;
    IF pg_snapshot_xmax(snap) > pg_snapshot_xmax(here)
       OR pruned >= pg_snapshot_xmax(snap)
       OR EXISTS (SELECT FROM pg_snapshot_xip(snap) x
                   WHERE x <= pruned AND coalesce(pg_xact_status(x), 'committed') = 'committed') THEN
        part := part || '{"reload": true}';
        snap := NULL;
    END IF;
END
$$;
COMMENT ON FUNCTION chat._citus_shard_start(bigint, integer, xid8, jsonb) IS
    'Citus: on a worker, a shard''s snapshot now and the cursor''s for it, or reload';

/*
 * On the worker holding a shard, in the statement Citus sends for it: the
 * shard's snapshot and, since the cursor's snapshot of the shard, the events
 * new to it (for viewer as chat.changes reads them, or with their recipients
 * as chat.feed when viewer is NULL), at most lim + 1 by (at, seq):
 * {"shard", "group", "snap", "reload", "events": [{"at", "seq", "e"}]}.
 */
CREATE FUNCTION chat._citus_shard_changes(anchor oid, home integer, pruned xid8, since jsonb, viewer chat.user_id,
                                          lim bigint)
    RETURNS jsonb
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    part jsonb;
    snap pg_snapshot;
    rel record := chat._citus_shard_rels(anchor);
    found jsonb;
BEGIN
    SELECT s.part, s.snap INTO part, snap FROM chat._citus_shard_start(rel.shard, home, pruned, since) s;
    IF snap IS NULL THEN
        RETURN part;
    END IF;
    IF viewer IS NOT NULL THEN
        EXECUTE format($q$
        SELECT jsonb_agg(jsonb_build_object('at', e.at, 'seq', e.seq, 'e', e.payload) ORDER BY e.at, e.seq)
          FROM (SELECT e.at, e.seq, e.payload
                  FROM %1$s mb
                  JOIN %2$s e ON e.thread_id = mb.thread_id AND e.xid >= pg_snapshot_xmin($1)
                 WHERE mb.user_id = $2 AND NOT e.private AND e.event <> 'typing'
                   AND (NOT pg_visible_in_snapshot(e.xid, $1) OR e.xid = pg_current_xact_id_if_assigned())
                UNION
                SELECT e.at, e.seq, e.payload
                  FROM %2$s e
                 WHERE e.recipients @> ARRAY[$2] AND e.xid >= pg_snapshot_xmin($1)
                   AND e.event <> 'typing' AND (NOT pg_visible_in_snapshot(e.xid, $1) OR e.xid = pg_current_xact_id_if_assigned())
                 ORDER BY 1, 2
                 LIMIT $3 + 1) e$q$, rel.mb, rel.ev)
            INTO found USING snap, viewer, lim;
    ELSE
        EXECUTE format($q$
        SELECT jsonb_agg(jsonb_build_object('at', e.at, 'seq', e.seq,
                                            'e', jsonb_build_object('recipients', e.recipients, 'event', e.payload))
                         ORDER BY e.at, e.seq)
          FROM (SELECT e.at, e.seq, e.payload,
                       CASE WHEN e.private THEN e.recipients
                            ELSE ARRAY(SELECT mb.user_id FROM %1$s mb WHERE mb.thread_id = e.thread_id
                                       UNION SELECT unnest(e.recipients) ORDER BY 1)
                       END AS recipients
                  FROM %2$s e
                 WHERE e.xid >= pg_snapshot_xmin($1)
                   AND (NOT pg_visible_in_snapshot(e.xid, $1) OR e.xid = pg_current_xact_id_if_assigned())
                 ORDER BY e.at, e.seq
                 LIMIT $2 + 1) e$q$, rel.mb, rel.ev)
            INTO found USING snap, lim;
    END IF;
    RETURN part || jsonb_build_object('events', coalesce(found, '[]'));
END
$$;
COMMENT ON FUNCTION chat._citus_shard_changes(oid, integer, xid8, jsonb, chat.user_id, bigint) IS
    'Citus: on the worker holding a shard, its snapshot and its events new to the cursor (chat.changes, chat.feed when viewer is NULL)';

/*
 * chat.changes (viewer) and chat.feed (viewer NULL) on a Citus coordinator:
 * every shard read by a statement of its own on its worker, the events merged
 * in (at, seq) order (seq orders one node's events; at, the time the row was
 * written, orders across nodes), the next cursor the shards' snapshots.
 */
CREATE FUNCTION chat._citus_changes(viewer chat.user_id, since text) RETURNS jsonb
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    map jsonb;
    parts jsonb[];
    lim bigint;
    n bigint;
    found jsonb;
    reload boolean;
BEGIN
    PERFORM chat._require_events();
    IF since IS NOT NULL THEN
        map := chat._citus_cursor_map(since);
    END IF;
    lim := chat._setting_value('changes_limit')::bigint;
    EXECUTE 'SELECT array_agg(chat._citus_shard_changes(a.tableoid, a.node_group, a.pruned_xid, $1, $2, $3))
               FROM chat.event_shard a'
       INTO parts USING map, viewer, lim;
    SELECT count(*), jsonb_agg(x.e -> 'e' ORDER BY (x.e ->> 'at')::timestamptz, (x.e ->> 'seq')::bigint)
      INTO n, found
      FROM unnest(parts) p, jsonb_array_elements(p -> 'events') x (e);
    /* reload: a shard without an anchor, a cursor whose shards differ, one shard's reload, too many events */
    reload := since IS NOT NULL
              AND (coalesce(cardinality(parts), 0) <> (SELECT count(*) FROM pg_catalog.pg_dist_shard s
                                           WHERE s.logicalrelid = 'chat.event'::regclass)
                   OR (SELECT count(*) FROM jsonb_object_keys(map)) <> cardinality(parts)
                   OR EXISTS (SELECT FROM unnest(parts) p WHERE (p ->> 'reload')::boolean)
                   OR n > lim) IS NOT FALSE;
    RETURN jsonb_build_object('cursor', chat._citus_cursor(parts), 'reload', reload,
                              'events', CASE WHEN reload OR since IS NULL THEN '[]'::jsonb ELSE coalesce(found, '[]'::jsonb) END);
END
$$;
COMMENT ON FUNCTION chat._citus_changes(chat.user_id, text) IS
    'Citus: chat.changes (viewer) and chat.feed (NULL) read shard by shard on the workers, with a cursor of the shards'' snapshots';

/*
 * On the worker holding a shard: its snapshot, and the text message_sent
 * events of the window from the cursor map "since" to the map "upto" (new to
 * since's snapshot of the shard, seen by upto's) after seq "after", at most
 * lim + 1 by seq, with each thread's member count as weight
 * (chat._citus_expand_notifications): {"shard", "group", "snap", "reload",
 * "cand": [{"seq", "thread_id", "message_id", "weight"}]}.
 */
CREATE FUNCTION chat._citus_shard_window(anchor oid, home integer, pruned xid8, since jsonb, upto jsonb, after bigint,
                                         lim bigint)
    RETURNS jsonb
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    part jsonb;
    s_from pg_snapshot;
    s_to pg_snapshot;
    rel record;
    found jsonb;
BEGIN
    rel := chat._citus_shard_rels(anchor);
    SELECT s.part, s.snap INTO part, s_from FROM chat._citus_shard_start(rel.shard, home, pruned, since) s;
    IF s_from IS NULL OR upto IS NULL THEN
        RETURN part;
    END IF;
    s_to := (regexp_match(upto ->> (part ->> 'shard'), '^[0-9]+/(.*)$'))[1]::pg_snapshot;
    IF s_to IS NULL THEN
        RETURN part || '{"reload": true}';
    END IF;
    EXECUTE format($q$
    SELECT jsonb_agg(jsonb_build_object('seq', c.seq, 'thread_id', c.thread_id, 'message_id', c.message_id,
                                        'weight', c.weight) ORDER BY c.seq)
      FROM (SELECT e.seq, e.thread_id, m.id AS message_id, greatest(coalesce(t.member_count, 0), 1)::bigint AS weight
              FROM %1$s e
              JOIN %2$s m ON m.thread_id = e.thread_id AND m.id = (e.payload ->> 'message_id')::bigint
              LEFT JOIN %3$s t ON t.id = e.thread_id
             WHERE e.xid >= pg_snapshot_xmin($1) AND e.xid < pg_snapshot_xmax($2)
               AND ($3 IS NULL OR e.seq > $3)
               AND e.event = 'message_sent' AND e.payload ->> 'kind' = 'text'
               AND NOT pg_visible_in_snapshot(e.xid, $1) AND pg_visible_in_snapshot(e.xid, $2)
               AND m.kind = 'text' AND m.deleted_at IS NULL
             ORDER BY e.seq
             LIMIT $4 + 1) c$q$, rel.ev, rel.msg, rel.th)
        INTO found USING s_from, s_to, after, lim;
    RETURN part || jsonb_build_object('cand', coalesce(found, '[]'));
END
$$;
COMMENT ON FUNCTION chat._citus_shard_window(oid, integer, xid8, jsonb, jsonb, bigint, bigint) IS
    'Citus: on the worker holding a shard, its snapshot and the text messages of a notification window (chat._citus_expand_notifications)';

/*
 * chat._expand_notifications on a Citus coordinator: the notifier's cursor
 * and window end are cursors of the shards' snapshots; each shard's window
 * is read on its worker; an unfinished window resumes after the seq of its
 * last expanded event (done_seq: seqs are unique across nodes, each drawing
 * from its own range; done_xid is then 0).
 */
CREATE FUNCTION chat._citus_expand_notifications() RETURNS bigint
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    nf chat.notifier;
    m_from jsonb;
    m_to jsonb;
    parts jsonb[];
    shards bigint := (SELECT count(*) FROM pg_catalog.pg_dist_shard s WHERE s.logicalrelid = 'chat.event'::regclass);
    budget bigint;
    n_cand bigint;
    n_taken bigint;
    last_seq bigint;
    t_threads bigint[];
    t_messages bigint[];
    t_seqs bigint[];
    now_cursor text;
    held boolean;
BEGIN
    SELECT * INTO nf FROM chat.notifier FOR UPDATE SKIP LOCKED;
    held := FOUND;
    /* the shards' snapshots now */
    EXECUTE 'SELECT array_agg(chat._citus_shard_window(a.tableoid, a.node_group, a.pruned_xid, NULL, NULL, NULL, 0))
               FROM chat.event_shard a' INTO parts;
    now_cursor := chat._citus_cursor(parts);
    IF NOT held THEN
        /* another worker is expanding; or the row is missing, then from now on */
        INSERT INTO chat.notifier (cursor) SELECT now_cursor
         WHERE NOT EXISTS (SELECT FROM chat.notifier)
        ON CONFLICT ON CONSTRAINT notifier_pkey DO NOTHING;
        RETURN 0;
    END IF;
    m_from := chat._citus_cursor_map(nf.cursor);
    m_to := CASE WHEN nf.window_end IS NOT NULL THEN chat._citus_cursor_map(nf.window_end) END;
    IF m_from = '{}' OR m_to = '{}' THEN
        /* a cursor of another database or of one node (chat distributed since): from now on */
        UPDATE chat.notifier SET cursor = now_cursor, window_end = NULL, done_xid = NULL, done_seq = NULL;
        RETURN 0;
    END IF;
    IF m_to IS NULL THEN
        nf.window_end := now_cursor;
        m_to := chat._citus_cursor_map(now_cursor);
    END IF;
    budget := chat._setting_value('notification_expand_limit')::bigint;
    EXECUTE 'SELECT array_agg(chat._citus_shard_window(a.tableoid, a.node_group, a.pruned_xid, $1, $2, $3, $4))
               FROM chat.event_shard a' INTO parts USING m_from, m_to, nf.done_seq, budget;
    IF EXISTS (SELECT FROM unnest(parts) p WHERE (p ->> 'moved')::boolean) THEN
        /* nothing lost: the window waits until chat.distribute() has seen the move */
        RAISE WARNING 'notifications wait: a shard of chat.event moved to another node'
            USING HINT = 'Run SELECT chat.distribute(); on the coordinator after moving shards.';
        RETURN 0;
    END IF;
    IF cardinality(parts) <> shards OR (SELECT count(*) FROM jsonb_object_keys(m_from)) <> shards
       OR (SELECT count(*) FROM jsonb_object_keys(m_to)) <> shards
       OR EXISTS (SELECT FROM unnest(parts) p WHERE (p ->> 'reload')::boolean) THEN
        RAISE WARNING 'messages sent before % were not all notified', now()
            USING DETAIL = 'Events were pruned, shards moved, or the cursor is of another cluster, before chat.claim_notifications expanded them.',
                  HINT = 'Claim notifications more often than event_retention_days.';
        UPDATE chat.notifier SET cursor = now_cursor, window_end = NULL, done_xid = NULL, done_seq = NULL;
        RETURN 0;
    END IF;

    /* the window's next messages across the shards, by seq, within the budget */
    WITH cand AS (
        SELECT (c ->> 'seq')::bigint AS seq, (c ->> 'thread_id')::bigint AS thread_id,
               (c ->> 'message_id')::bigint AS message_id, (c ->> 'weight')::bigint AS weight
          FROM unnest(parts) p, jsonb_array_elements(p -> 'cand') c
         ORDER BY 1
         LIMIT budget + 1
    ), run AS (
        SELECT c.*, sum(c.weight) OVER (ORDER BY c.seq) - c.weight AS before FROM cand c
    ), taken AS (
        SELECT r.* FROM run r WHERE r.before < budget
    )
    SELECT (SELECT count(*) FROM cand), (SELECT count(*) FROM taken), (SELECT max(t.seq) FROM taken t),
           ARRAY(SELECT t.thread_id FROM taken t ORDER BY t.seq),
           ARRAY(SELECT t.message_id FROM taken t ORDER BY t.seq),
           ARRAY(SELECT t.seq FROM taken t ORDER BY t.seq)
      INTO n_cand, n_taken, last_seq, t_threads, t_messages, t_seqs;

    IF n_taken = n_cand AND n_cand <= budget THEN
        UPDATE chat.notifier SET cursor = nf.window_end, window_end = NULL, done_xid = NULL, done_seq = NULL;
    ELSE
        UPDATE chat.notifier SET window_end = nf.window_end, done_xid = '0'::xid8, done_seq = last_seq;
    END IF;
    RETURN chat._notify_members(t_threads, t_messages, t_seqs);
END
$$;
COMMENT ON FUNCTION chat._citus_expand_notifications() IS
    'Citus: chat._expand_notifications with the window read shard by shard on the workers';

/*
 * chat.prune_events on a Citus coordinator: the events older than
 * event_retention_days deleted on every shard, the newest transaction id of
 * each shard's kept in its anchor (chat.event_shard), for its cursors.
 */
CREATE FUNCTION chat._citus_prune_events() RETURNS bigint
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    tids bigint[];
    xids xid8[];
    anchors bigint[];
    r record;
    cutoff timestamptz := clock_timestamp() - make_interval(days => chat._setting_value('event_retention_days')::integer);
BEGIN
    /* the cut-off computed first: Citus refuses a volatile call in a DELETE's WHERE */
    WITH gone AS (
        DELETE FROM chat.event e
         WHERE e.at < cutoff
        RETURNING e.thread_id, e.xid
    )
    SELECT array_agg(g.thread_id), array_agg(g.xid) INTO tids, xids FROM gone g;
    SELECT array_agg(a.thread_id) INTO anchors FROM chat.event_shard a;
    FOR r IN SELECT a.thread_id, max(g.xid) AS newest
               FROM unnest(tids, xids) g (thread_id, xid)
               JOIN unnest(anchors) a (thread_id)
                 ON pg_catalog.get_shard_id_for_distribution_column('chat.event', a.thread_id)
                    = pg_catalog.get_shard_id_for_distribution_column('chat.event', g.thread_id)
              GROUP BY a.thread_id
    LOOP
        UPDATE chat.event_shard a SET pruned_xid = greatest(a.pruned_xid, r.newest) WHERE a.thread_id = r.thread_id;
    END LOOP;
    RETURN coalesce(cardinality(tids), 0);
END
$$;
COMMENT ON FUNCTION chat._citus_prune_events() IS
    'Citus: chat.prune_events, the pruned transaction ids kept per shard (chat.event_shard)';

/* Give function fn the plpgsql body "body", its header (arguments, result, settings) kept. */
CREATE FUNCTION chat._citus_redefine(fn regprocedure, body text) RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    def text := pg_catalog.pg_get_functiondef(fn);
BEGIN
    EXECUTE substr(def, 1, strpos(def, 'AS $function$') - 1) || 'AS $function$' || body || E'\n$function$';
END
$$;
COMMENT ON FUNCTION chat._citus_redefine(regprocedure, text) IS
    'gives a function a new body, its header kept (chat._citus_adapt; Citus only)';

/*
 * Citus sends a multi-row INSERT ... SELECT into chat.member to the workers
 * as COPY, whose errors lose their SQLSTATE: a user missing from the bound
 * users table came back as XX000 naming shards.  So on a cluster the users
 * are looked up first, in the users table (a reference table, read on the
 * coordinator), and a missing one is refused as the foreign key refuses it
 * on one node: 23503, member_user_fkey.
 */
CREATE FUNCTION chat._citus_known_users(users chat.user_id[]) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    b chat.user_binding;
    missing text;
BEGIN
    SELECT * INTO b FROM chat.user_binding;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    EXECUTE format('SELECT min(u)::text FROM unnest($1) u WHERE NOT EXISTS (SELECT 1 FROM %s x WHERE x.%I = u)',
                   b.tbl, b.id_column)
       INTO missing USING users;
    IF missing IS NOT NULL THEN
        RAISE EXCEPTION 'insert or update on table "member" violates foreign key constraint "member_user_fkey"'
            USING ERRCODE = '23503', SCHEMA = 'chat', TABLE = 'member', CONSTRAINT = 'member_user_fkey',
                  DETAIL = format('Key (user_id)=(%s) is not present in table "%s".', missing,
                                  (SELECT c.relname FROM pg_catalog.pg_class c WHERE c.oid = b.tbl));
    END IF;
END
$$;
COMMENT ON FUNCTION chat._citus_known_users(chat.user_id[]) IS
    'Citus: refuses users missing from the bound users table with the foreign key''s 23503 before a multi-row insert of members (chat._citus_adapt)';

/*
 * What Citus cannot run as chat's single-node code has it, adapted on the
 * node it runs on (every node: delegated calls run chat's functions on the
 * workers).  Run again after ALTER EXTENSION chat UPDATE (chat.distribute()
 * does).
 *  - A LANGUAGE sql function that passes its arguments to a query over a
 *    distributed table is planned with unbound parameters, which Citus
 *    refuses: each becomes a plpgsql function with the same query.
 *  - plan_cache_mode = force_generic_plan (chat.inbox, chat.unread_count)
 *    likewise: back to auto, so their queries are planned with the values.
 *  - clock_timestamp() in an UPDATE goes through chat._citus_clock().
 *  - chat.inbox, chat.inbox_count and chat.search read their rows with one
 *    query over every shard (their single-node plans are refused, or take
 *    four rounds).
 *  - The functions chat.messages calls per message may read their thread's
 *    shard from inside the shard's query (nested execution).
 *  - chat.directory with a query reads chat.thread directly (Citus refuses
 *    its member sub-select beside a sub-query or unnest in FROM).
 *  - chat.new_message and chat._insert_members look their users up before
 *    inserting members (Citus's COPY would turn the foreign key's 23503 into
 *    XX000).
 *  - chat.can_leave reads the thread's and member's rows before it passes
 *    them to functions (inside a shard's query they are the shard's rows).
 *  - chat.verify_unread recounts thread by thread (one shard per query).
 *  - chat.changes, chat.feed, the notification window and chat.prune_events
 *    read (and prune) shard by shard, their cursors the shards' snapshots.
 */
CREATE FUNCTION chat._citus_adapt() RETURNS integer
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    f record;
    def text;
    body text;
    outs text;
    pre text;
    k integer;
    mt text[];
    n integer := 0;
    act text;
    vis text;
    cols text;
    filt text;
    page text;
BEGIN
    PERFORM set_config('citus.enable_ddl_propagation', 'off', true);
    PERFORM set_config('check_function_bodies', 'off', true);
    FOR f IN SELECT p.oid, p.proretset, p.prosrc, p.prorettype, p.proargmodes, p.proargnames
               FROM pg_catalog.pg_proc p
              WHERE p.pronamespace = 'chat'::regnamespace
                AND p.prolang = (SELECT l.oid FROM pg_catalog.pg_language l WHERE l.lanname = 'sql')
                AND p.prosrc ~ 'chat\.(thread|member|message|message_edit|reaction|attachment|event)\M'
                AND p.proname <> 'verify_unread'
    LOOP
        /* statements before the last one are checks: PERFORM them */
        body := regexp_replace(f.prosrc, ';\s*$', '');
        pre := '';
        /*
         * "is a model swapped" (chat.model, a reference table) read first: a
         * query joining it with a distributed table has no single shard key,
         * which a delegated call refuses
         */
        k := 0;
        LOOP
            mt := regexp_match(body, 'EXISTS \(SELECT 1 FROM chat\.model [a-z]+ WHERE [^)]*\)');
            EXIT WHEN mt IS NULL;
            k := k + 1;
            pre := pre || format(E'swapped_%s := %s;\n', k, mt[1]);
            body := replace(body, mt[1], 'swapped_' || k);
        END LOOP;
        WHILE body ~ ';\s*\n' LOOP
            pre := pre || 'PERFORM ' || regexp_replace(substr(body, 1, strpos(body, ';') - 1), '^\s*SELECT\s+', '') || E';\n';
            body := substr(body, strpos(body, ';') + 1);
        END LOOP;
        IF f.proretset THEN
            body := 'RETURN QUERY ' || body || ';';
        ELSIF f.prorettype = 'record'::regtype THEN
            SELECT string_agg(quote_ident(f.proargnames[i]), ', ' ORDER BY i) INTO outs
              FROM generate_subscripts(f.proargmodes, 1) i WHERE f.proargmodes[i] IN ('o', 'b');
            body := 'SELECT * INTO ' || outs || ' FROM (' || body || E'\n) q;';
        ELSE
            body := 'RETURN (' || body || E'\n);';
        END IF;
        def := pg_catalog.pg_get_functiondef(f.oid);
        def := regexp_replace(def, '\n LANGUAGE sql\n', E'\n LANGUAGE plpgsql\n');
        def := substr(def, 1, strpos(def, 'AS $function$') - 1)
               || 'AS $function$' || E'\n#variable_conflict use_column\n'
               || CASE WHEN k > 0 THEN 'DECLARE ' || (SELECT string_agg(format('swapped_%s boolean;', i), ' ')
                                                        FROM generate_series(1, k) i) || E'\n' ELSE '' END
               || E'BEGIN\n' || pre || body || E'\nEND\n$function$';
        EXECUTE def;
        n := n + 1;
    END LOOP;
    FOR f IN SELECT p.oid FROM pg_catalog.pg_proc p
              WHERE p.pronamespace = 'chat'::regnamespace
                AND 'plan_cache_mode=force_generic_plan' = ANY (p.proconfig)
    LOOP
        EXECUTE format('ALTER FUNCTION %s SET plan_cache_mode = auto', f.oid::regprocedure);
        n := n + 1;
    END LOOP;
    /* no volatile call in an UPDATE of a distributed table: clock_timestamp() through a stable wrapper */
    FOR f IN SELECT p.oid FROM pg_catalog.pg_proc p
              WHERE p.pronamespace = 'chat'::regnamespace
                AND p.prolang = (SELECT l.oid FROM pg_catalog.pg_language l WHERE l.lanname = 'plpgsql')
                AND p.prosrc ~ 'UPDATE' AND strpos(p.prosrc, 'clock_timestamp()') > 0
                AND p.proname !~ '^_citus'
    LOOP
        def := replace(pg_catalog.pg_get_functiondef(f.oid), 'clock_timestamp()', 'chat._citus_clock()');
        EXECUTE def;
        n := n + 1;
    END LOOP;
    /*
     * chat.inbox: its two arms (small threads in index order, large threads
     * merged from their rows) and the join of the page to thread and member
     * take Citus four rounds over every shard and intermediate results.  The
     * page becomes one query over every shard, its ORDER BY and LIMIT pushed
     * to each shard and merged on the coordinator (README "Running on
     * Citus").  The checks before it stay as they are.
     */
    body := (SELECT p.prosrc FROM pg_catalog.pg_proc p
              WHERE p.oid = 'chat.inbox(chat.user_id,text,text,integer)'::regprocedure);
    k := strpos(body, E'    /*\n     * Each arm is ordered and limited by itself');
    IF k > 0 THEN
        act := 'CASE WHEN mb.large THEN coalesce(t.last_message_id, 0) ELSE mb.activity_id END';
        vis := format('(mb.hidden_id IS NULL OR mb.hidden_id < %s)', act);
        cols := format('t.id, t.kind::text, t.subject, t.last_message_id, t.last_sender_id, t.last_preview, '
                       't.last_sent_at, t.message_count - mb.read_count, t.message_count > mb.read_count, '
                       'mb.muted, t.member_count, %s || '':'' || t.id, mb.mention_count', act);
        filt := format($filt$
          FROM chat.member mb
          JOIN chat.thread t ON t.id = mb.thread_id
         WHERE mb.user_id = v
           AND CASE f
                 WHEN 'inbox' THEN %1$s AND NOT mb.archived
                 WHEN 'unread' THEN %1$s AND NOT mb.archived AND t.message_count > mb.read_count
                 WHEN 'deleted' THEN NOT %1$s
                 WHEN 'archived' THEN %1$s AND mb.archived
                 WHEN 'mentions' THEN %1$s AND NOT mb.archived AND mb.mention_count > 0
                 ELSE t.created_by = v
               END$filt$, vis);
        page := format($page$%2$s
           AND (%1$s, t.id) < (c_act, c_tid)
         ORDER BY %1$s DESC, t.id DESC
         LIMIT n$page$, act, filt);
        body := substr(body, 1, k - 1) || format($tail$    /* Citus (chat._citus_adapt): the page in one query over every shard */
    IF NOT EXISTS (SELECT 1 FROM chat.model md WHERE md.model = 'thread' AND md.tbl IS NOT NULL) THEN
        RETURN QUERY SELECT %1$s, NULL::jsonb%2$s;
        RETURN;
    END IF;
    RETURN QUERY
    WITH p (thread_id, kind, subject, last_message_id, last_sender_id, last_preview, last_sent_at, unread_count,
            unread, muted, member_count, cursor, mention_count, activity) AS MATERIALIZED (
        SELECT %1$s, %3$s%2$s)
    SELECT p.thread_id, p.kind, p.subject, p.last_message_id, p.last_sender_id, p.last_preview, p.last_sent_at,
           p.unread_count, p.unread, p.muted, p.member_count, p.cursor, p.mention_count,
           (SELECT chat._extras('thread', array_agg(pe.thread_id)) FROM p pe) -> p.thread_id::text
      FROM p
     ORDER BY p.activity DESC, p.thread_id DESC;
END
$tail$, cols, page, act);
        PERFORM chat._citus_redefine('chat.inbox(chat.user_id,text,text,integer)', body);
        n := n + 1;
        /* chat.inbox_count: the same rows counted (Citus refuses its correlated sub-select over chat._membership) */
        body := (SELECT p.prosrc FROM pg_catalog.pg_proc p
                  WHERE p.oid = 'chat.inbox_count(chat.user_id,text)'::regprocedure);
        k := strpos(body, '    RETURN (SELECT count(*)');
        IF k > 0 THEN
            body := substr(body, 1, k - 1) || format(E'    RETURN (SELECT count(*)%s);\nEND\n', filt);
            PERFORM chat._citus_redefine('chat.inbox_count(chat.user_id,text)', body);
            n := n + 1;
        END IF;
    END IF;
    /*
     * The functions chat.messages calls for each message (reactions,
     * attachments, a swapped model's fields) run inside the query Citus sends
     * to the thread's shard when messages runs on the coordinator (inside a
     * transaction block, where an end user's JWT claims are seen).  Their own
     * reads are of the same thread's rows and of reference tables, both on
     * that node, so nested execution is allowed for them.  So for
     * chat.display_name, which chat.message_view and chat.member_view call
     * for each row on the shard's node: it reads chat.user_binding and the
     * bound users table, reference tables on every node.
     */
    FOR f IN SELECT p.oid FROM pg_catalog.pg_proc p
              WHERE p.oid IN ('chat._reaction_summary(bigint,bigint)'::regprocedure,
                              'chat._attachment_list(bigint,bigint)'::regprocedure,
                              'chat._extras(text,bigint[],bigint[])'::regprocedure,
                              'chat.display_name(chat.user_id)'::regprocedure)
                AND NOT coalesce('citus.allow_nested_distributed_execution=on' = ANY (p.proconfig), false)
    LOOP
        EXECUTE format('ALTER FUNCTION %s SET citus.allow_nested_distributed_execution = on', f.oid::regprocedure);
        n := n + 1;
    END LOOP;
    /*
     * chat.search: its plans (a sample of the newest messages, the word's
     * index, each thread) check each match's member row in a correlated
     * sub-select, which Citus refuses over every shard.  The matches the
     * viewer may read become one join of message, member and thread (one
     * colocation group), its ORDER BY and LIMIT pushed to each shard and
     * merged on the coordinator.  The checks before it and the page's rows
     * after it stay as they are.
     */
    body := (SELECT p.prosrc FROM pg_catalog.pg_proc p
              WHERE p.oid = 'chat.search(chat.user_id,text,bigint,text,text,integer)'::regprocedure);
    k := strpos(body, E'    IF tid IS NOT NULL THEN\n        /* one thread: nothing');
    IF k > 0 AND strpos(body, E'    /* the page: its rows') > k THEN
        body := substr(body, 1, k - 1) || format($search$    /* Citus (chat._citus_adapt): the matches the viewer may read, one query over every shard */
    SELECT array_agg(x.thread_id ORDER BY x.r DESC, x.id DESC), array_agg(x.id ORDER BY x.r DESC, x.id DESC),
           array_agg(x.r ORDER BY x.r DESC, x.id DESC)
      INTO page_tids, page_ids, page_ranks
      FROM (SELECT m.thread_id, m.id, CASE WHEN by_rank THEN ts_rank(m.search_vector, q) ELSE 0 END::real AS r
              FROM chat.message m
              JOIN chat.member mb ON mb.thread_id = m.thread_id AND mb.user_id = v
              JOIN chat.thread t ON t.id = m.thread_id
             WHERE m.search_vector @@ q AND m.deleted_at IS NULL
               AND (tid IS NULL OR m.thread_id = tid)
               AND (mb.hidden_id IS NULL
                    OR mb.hidden_id < CASE WHEN mb.large THEN coalesce(t.last_message_id, 0) ELSE mb.activity_id END)
               AND CASE WHEN by_rank THEN ts_rank(m.search_vector, q) < c_rank
                                          OR (ts_rank(m.search_vector, q) = c_rank AND m.id < c_id)
                        ELSE m.id < c_id END
             ORDER BY 3 DESC, 2 DESC
             LIMIT n) x;

%s$search$, substr(body, strpos(body, E'    /* the page: its rows')));
        PERFORM chat._citus_redefine('chat.search(chat.user_id,text,bigint,text,text,integer)', body);
        n := n + 1;
    END IF;
    /*
     * chat.directory with a query: a match's member row is a correlated
     * sub-select, which Citus refuses beside a sub-query in FROM (the rare
     * query's matches, kept from the name order's index with OFFSET 0) or a
     * set-returning function (a common query's page, unnest).  On a cluster
     * both read chat.thread directly (each shard plans its own).
     */
    body := (SELECT p.prosrc FROM pg_catalog.pg_proc p
              WHERE p.oid = 'chat.directory(chat.user_id,text,text,integer)'::regprocedure);
    def := body;
    body := replace(body, $dir$
          FROM (SELECT * FROM chat.thread t
                 WHERE t.is_public
                   AND to_tsvector('pg_catalog.simple'::regconfig, coalesce(t.subject, '') || ' ' || coalesce(t.description, '')) @@ q
                OFFSET 0) t
         WHERE (lower(coalesce(t.subject, '')), t.id) > (c_name, c_id)$dir$, $dir$
          FROM chat.thread t
         WHERE t.is_public
           AND to_tsvector('pg_catalog.simple'::regconfig, coalesce(t.subject, '') || ' ' || coalesce(t.description, '')) @@ q
           AND (lower(coalesce(t.subject, '')), t.id) > (c_name, c_id)$dir$);
    body := replace(body, $dir$
          FROM unnest(ids[1:n]) WITH ORDINALITY u(id, pos)
          JOIN chat.thread t ON t.id = u.id
         ORDER BY u.pos;$dir$, $dir$
          FROM chat.thread t
         WHERE t.id = ANY (ids[1:n])
         ORDER BY array_position(ids, t.id);$dir$);
    IF body <> def THEN
        PERFORM chat._citus_redefine('chat.directory(chat.user_id,text,text,integer)', body);
        n := n + 1;
    END IF;
    /*
     * The multi-row inserts of members (chat.new_message, chat._insert_members)
     * check the users first (chat._citus_known_users): the check goes in
     * before the insert's first line.
     */
    FOR f IN SELECT * FROM (VALUES
            ('chat.new_message(chat.user_id,chat.user_id[],text,text,jsonb,jsonb,chat.user_id[])'::regprocedure,
             E'    INSERT INTO chat.member (thread_id, user_id, role)\n',
             E'    PERFORM chat._citus_known_users(recipients || sender);\n'),
            ('chat._insert_members(chat.thread,chat.user_id[],chat.member_role)'::regprocedure,
             E'    INSERT INTO chat.member (thread_id, user_id, role, read_id, read_count, delivered_id)\n',
             E'    PERFORM chat._citus_known_users(added);\n')) v (fn, line, check_users) LOOP
        body := (SELECT p.prosrc FROM pg_catalog.pg_proc p WHERE p.oid = f.fn);
        IF strpos(body, '_citus_known_users') = 0 AND strpos(body, f.line) > 0 THEN
            PERFORM chat._citus_redefine(f.fn, replace(body, f.line, f.check_users || f.line));
            n := n + 1;
        END IF;
    END LOOP;
    /*
     * chat.can_leave passes the thread's and the member's rows to
     * chat._last_owner inside its query, which Citus sends to the shard,
     * where they are rows of the shards (chat.thread_102016), for which no
     * such function exists: the rows are read first.
     */
    IF strpos((SELECT p.prosrc FROM pg_catalog.pg_proc p
                WHERE p.oid = 'chat.can_leave(bigint,chat.user_id)'::regprocedure),
              'JOIN chat.member m ON m.thread_id = t.id') > 0 THEN
        PERFORM chat._citus_redefine('chat.can_leave(bigint,chat.user_id)', $leave$
DECLARE
    t chat.thread;
    m chat.member;
BEGIN
    PERFORM chat._act("user");
    /* Citus (chat._citus_adapt): the rows read first, then passed to the functions */
    SELECT * INTO t FROM chat.thread th WHERE th.id = $1;
    SELECT * INTO m FROM chat.member mb WHERE mb.thread_id = $1 AND mb.user_id = $2;
    IF t.id IS NULL OR m.thread_id IS NULL THEN
        RETURN false;
    END IF;
    RETURN t.kind <> 'direct' AND (NOT chat._last_owner(t, m) OR chat._successor(t, m.user_id) IS NOT NULL);
END$leave$);
        n := n + 1;
    END IF;
    /* verify_unread: the same recount, one thread per query */
    body := (SELECT p.prosrc FROM pg_catalog.pg_proc p WHERE p.oid = 'chat.verify_unread(bigint)'::regprocedure);
    IF body ~ '\$1 IS NULL OR t\.id = \$1' THEN
        body := regexp_replace(body, 'SELECT chat\._require_server\(''[^'']*''\);', '');
        body := replace(body, '$1 IS NULL OR t.id = $1', 't.id = one');
        body := replace(body, 'WITH t AS (', 'WITH t AS NOT MATERIALIZED (');
        body := regexp_replace(body, ';\s*$', '');
        EXECUTE format($f$CREATE OR REPLACE FUNCTION chat._citus_verify_unread(thread bigint)
    RETURNS TABLE (thread_id bigint, user_id chat.user_id, what text, stored bigint, recounted bigint)
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $body$
#variable_conflict use_column
DECLARE
    one bigint;
BEGIN
    FOR one IN SELECT t.id FROM chat.thread t WHERE thread IS NULL OR t.id = thread ORDER BY 1 LOOP
        RETURN QUERY SELECT q.a::bigint, q.b::chat.user_id, q.c::text, q.d::bigint, q.e::bigint
                       FROM (%s) q (a, b, c, d, e);
    END LOOP;
END
$body$
$f$, body);
        REVOKE ALL ON FUNCTION chat._citus_verify_unread(bigint) FROM PUBLIC;
        CREATE OR REPLACE FUNCTION chat.verify_unread(thread_id bigint DEFAULT NULL)
            RETURNS TABLE (thread_id bigint, user_id chat.user_id, what text, stored bigint, recounted bigint)
            LANGUAGE sql STABLE SECURITY DEFINER
            SET search_path = pg_catalog, pg_temp
            AS $v$
            SELECT chat._require_server('run chat.verify_unread()');
            SELECT * FROM chat._citus_verify_unread($1)
        $v$;
        n := n + 1;
    END IF;
    /*
     * Events: chat.changes, chat.feed, the notification window and
     * chat.prune_events read and prune shard by shard on the workers, with
     * cursors of the shards' snapshots (chat._citus_changes).
     */
    PERFORM chat._citus_redefine('chat.changes(chat.user_id,text)', $b$
BEGIN
    PERFORM chat._act(viewer);
    PERFORM chat._not_null(viewer, 'viewer');
    RETURN chat._citus_changes(viewer, since);
END$b$);
    PERFORM chat._citus_redefine('chat.feed(text)', $b$
BEGIN
    PERFORM chat._require_server('read the feed');
    RETURN chat._citus_changes(NULL, since);
END$b$);
    PERFORM chat._citus_redefine('chat._expand_notifications()', $b$
BEGIN
    RETURN chat._citus_expand_notifications();
END$b$);
    PERFORM chat._citus_redefine('chat.prune_events()', $b$
BEGIN
    PERFORM chat._require_server('prune events');
    RETURN chat._citus_prune_events();
END$b$);
    n := n + 4;
    RETURN n;
END
$$;
COMMENT ON FUNCTION chat._citus_adapt() IS
    'adapts chat''s functions on this Citus node: LANGUAGE sql readers of distributed tables to plpgsql, no forced generic plans, clock_timestamp() in UPDATEs through a stable wrapper, inbox, inbox_count and search as one query over every shard, nested execution for messages'' per-message functions, directory''s queries without a sub-query in FROM, can_leave''s rows read before its checks, members'' users looked up before multi-row inserts, verify_unread thread by thread, changes, feed, the notification window and prune_events shard by shard';

/*
 * The hot per-thread calls run whole on the worker holding the thread (Citus
 * "delegates" them by thread_id) when called alone in autocommit; inside a
 * transaction block they run on the coordinator, each statement still going
 * to the one worker, and so see the JWT claims PostgREST sets in the
 * request's transaction (none is forced into delegation there: a delegated
 * call does not see the caller's session settings, and an end user known
 * only by claims or chat.user_id is refused on the worker with a hint,
 * src/identity.c).  chat 0.9 forced messages until this was found.
 */
CREATE FUNCTION chat._citus_delegate() RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    f regprocedure;
BEGIN
    FOREACH f IN ARRAY ARRAY['chat.new_reply(bigint,chat.user_id,text,bigint,jsonb,jsonb,chat.user_id[])',
                             'chat.mark_read(bigint,chat.user_id,bigint)',
                             'chat.messages(bigint,chat.user_id,bigint,bigint,integer)']::regprocedure[] LOOP
        PERFORM pg_catalog.create_distributed_function(f, 'thread_id', colocate_with => 'chat.thread',
                                                       force_delegation => false);
    END LOOP;
END
$$;
COMMENT ON FUNCTION chat._citus_delegate() IS
    'registers chat''s hot per-thread calls with Citus, delegated by thread_id outside transaction blocks (Citus only)';

/*
 * Before CREATE EXTENSION chat on a coordinator distributes chat: every
 * worker's chat must be this one, of the same version and user id type.
 * Citus installs chat on a worker when the first table is distributed, over
 * a connection of its own outside this transaction, where this session's
 * chat.user_id_type (a SET, or SET LOCAL in a transaction block) is not set,
 * and it keeps that install when this transaction rolls back: a later
 * CREATE EXTENSION then found the leftover and used it as it was (the
 * workers' ids of another type, their functions of another version; the
 * first call failed on them, `invalid input syntax for type bigint`).  So
 * each worker whose chat differs gets this one, over the same kind of
 * connection (chat._citus_workers): a leftover is dropped, then chat made
 * with this node's version and user id type.  A worker without chat is left
 * to Citus when its database would choose the same type.  A leftover that
 * this transaction dropped on the worker (DROP EXTENSION chat earlier in it)
 * is locked there: the lock timeout makes that an error, not a wait.
 */
CREATE FUNCTION chat._citus_prepare_workers() RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    ver text := (SELECT e.extversion FROM pg_catalog.pg_extension e WHERE e.extname = 'chat');
    typ text := (SELECT pg_catalog.format_type(t.typbasetype, NULL) FROM pg_catalog.pg_type t
                  WHERE t.oid = 'chat.user_id'::regtype);
    r record;
BEGIN
    FOR r IN EXECUTE 'SELECT nodename, nodeport, success, result FROM pg_catalog.run_command_on_workers($1)'
        USING format($w$
DO $prepare$
DECLARE
    have text := coalesce((SELECT e.extversion || ' ' || pg_catalog.format_type(t.typbasetype, NULL)
                             FROM pg_catalog.pg_extension e, pg_catalog.pg_type t
                            WHERE e.extname = 'chat' AND t.oid = pg_catalog.to_regtype('chat.user_id')), '');
BEGIN
    IF have = %1$L OR (have = '' AND coalesce(nullif(pg_catalog.current_setting('chat.user_id_type', true), ''), 'bigint') = %3$L) THEN
        RETURN;
    END IF;
    PERFORM pg_catalog.set_config('lock_timeout', '5s', true);
    PERFORM pg_catalog.set_config('citus.enable_ddl_propagation', 'off', true);
    IF have <> '' THEN
        DROP EXTENSION chat CASCADE;
    END IF;
    PERFORM pg_catalog.set_config('chat.user_id_type', %3$L, true);
    CREATE EXTENSION chat VERSION %2$L;
END
$prepare$
$w$, ver || ' ' || typ, ver, typ) LOOP
        IF r.success THEN
            CONTINUE;
        END IF;
        IF r.result LIKE '%lock timeout%' THEN
            RAISE EXCEPTION 'cannot replace chat on worker %:% in this transaction', r.nodename, r.nodeport
                USING ERRCODE = '55006',
                      DETAIL = format('The worker has a chat of another version or user id type than chat %s with %s user ids, '
                                      'and DROP EXTENSION chat earlier in this transaction holds it there, while Citus '
                                      'installs chat on the workers outside the transaction.', ver, typ),
                      HINT = 'Commit DROP EXTENSION chat first, then CREATE EXTENSION chat.';
        END IF;
        RAISE EXCEPTION 'cannot install chat % with % user ids on worker %:%', ver, typ, r.nodename, r.nodeport
            USING ERRCODE = '55000',
                  DETAIL = format('The worker said: %s', r.result),
                  HINT = 'CREATE EXTENSION chat on a coordinator installs the same chat on every worker first.';
    END LOOP;
END
$$;
COMMENT ON FUNCTION chat._citus_prepare_workers() IS
    'gives every Citus worker the chat this coordinator is installing (same version and user id type), replacing a leftover of a rolled-back install (Citus only)';

/*
 * chat.distribute(), and the end of the install script with installing: the
 * workers are then left alone, since they get chat from Citus when the first
 * table is distributed and prepare themselves in their install script.  Asked
 * (run_command_on_workers, connections outside this transaction) after a DROP
 * EXTENSION chat in the same transaction, they would wait for it forever.
 */
CREATE FUNCTION chat._citus_distribute(installing boolean) RETURNS text
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    t text;
    f text;
    shards integer;
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_extension e WHERE e.extname = 'citus') THEN
        RETURN 'Citus is not installed in this database: nothing to distribute';
    END IF;
    IF chat._citus() THEN
        /* after ALTER EXTENSION chat UPDATE: adapt the new functions again */
        PERFORM chat._citus_adapt();
        PERFORM chat._citus_workers('SELECT chat._citus_worker()');
        PERFORM chat._citus_delegate();
        PERFORM chat._citus_events(false);
        RETURN 'chat is distributed already; functions adapted again';
    END IF;
    EXECUTE 'SELECT pg_catalog.citus_is_coordinator()' INTO STRICT f;
    IF f::boolean IS NOT TRUE THEN
        PERFORM chat._citus_worker();
        IF installing THEN
            PERFORM chat._citus_event_table();
        END IF;
        RETURN 'a Citus worker: made ready; distribute chat on the coordinator';
    END IF;

    PERFORM set_config('citus.enable_unsafe_triggers', 'on', true);
    PERFORM set_config('citus.multi_shard_modify_mode', 'sequential', true);
    PERFORM set_config('client_min_messages', 'warning', true);

    /*
     * The workers that have chat already (a database that gained Citus after
     * chat): event triggers off before any shard DDL reaches them, their id
     * ranges.  Under CREATE EXTENSION the workers get chat only when the
     * first table is distributed; their own install script prepares them.
     */
    IF installing THEN
        PERFORM chat._citus_prepare_workers();
    ELSE
        PERFORM chat._citus_workers('DO $w$ BEGIN IF to_regnamespace(''chat'') IS NOT NULL THEN PERFORM chat._citus_worker(); END IF; END $w$');
    END IF;
    PERFORM chat._citus_node_ids();

    PERFORM chat._citus_shape();
    PERFORM chat._citus_adapt();
    PERFORM set_config('citus.enable_ddl_propagation', 'on', true);

    /* small, read everywhere, written rarely: a copy on every node */
    FOREACH t IN ARRAY ARRAY['chat.setting_default', 'chat.setting', 'chat.permission_default', 'chat.event_kind',
                             'chat.hook', 'chat.model', 'chat.user_binding', 'chat.role_map'] LOOP
        PERFORM pg_catalog.create_reference_table(t::regclass);
    END LOOP;
    /*
     * everything of one thread on one node, in 2 shards per node that takes
     * them unless citus.shard_count was set: the calls about one thread ask
     * one shard whatever the count, those across threads (inbox,
     * unread_count, search) every shard, at about 0.5 ms each (README
     * "Running on Citus").  Citus's default of 32 made a first inbox page
     * 5-10 times slower than 4 did.
     */
    IF (SELECT g.source FROM pg_catalog.pg_settings g WHERE g.name = 'citus.shard_count') = 'default' THEN
        EXECUTE 'SELECT greatest(2 * count(*), 2)::integer FROM pg_catalog.pg_dist_node n
                  WHERE n.isactive AND n.noderole = ''primary'' AND n.shouldhaveshards'
           INTO shards;
    ELSE
        shards := current_setting('citus.shard_count')::integer;
    END IF;
    PERFORM pg_catalog.create_distributed_table('chat.thread'::regclass, 'id', shard_count => shards);
    FOREACH t IN ARRAY ARRAY['chat.member', 'chat.message', 'chat.message_edit', 'chat.reaction',
                             'chat.attachment', 'chat.event'] LOOP
        PERFORM pg_catalog.create_distributed_table(t::regclass, 'thread_id', colocate_with => 'chat.thread');
    END LOOP;

    PERFORM chat._citus_delegate();
    PERFORM chat._citus_events(installing);
    RETURN 'chat distributed';
END
$$;
COMMENT ON FUNCTION chat._citus_distribute(boolean) IS
    'chat.distribute(); installing: from the install script, the workers left to prepare themselves';

CREATE FUNCTION chat.distribute() RETURNS text
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    PERFORM chat._require_server('distribute chat');
    RETURN chat._citus_distribute(false);
END
$$;
COMMENT ON FUNCTION chat.distribute() IS
    'distributes chat on a Citus coordinator (per-thread tables by thread id, registries as reference tables); run once; CREATE EXTENSION chat does it when Citus is there';

REVOKE ALL ON FUNCTION chat._citus(), chat._citus_known_users(chat.user_id[]), chat._citus_literals(jsonb, text[], text), chat._citus_model_table(text, regclass), chat._citus_prepare_workers(), chat._citus_redefine(regprocedure, text), chat._citus_reference(regclass), chat._citus_delegate(), chat._citus_clock(), chat._citus_message_id(bigint), chat._citus_node_ids(), chat._citus_worker(), chat._citus_adapt(),
    chat._citus_workers(text), chat._citus_shape(), chat._citus_distribute(boolean), chat._citus_event_xid(),
    chat._citus_events(boolean), chat._citus_event_table(), chat._citus_cursor_map(text), chat._citus_cursor(jsonb[]), chat._citus_shard_rels(oid),
    chat._citus_shard_start(bigint, integer, xid8, jsonb), chat._citus_shard_changes(oid, integer, xid8, jsonb, chat.user_id, bigint),
    chat._citus_changes(chat.user_id, text), chat._citus_shard_window(oid, integer, xid8, jsonb, jsonb, bigint, bigint),
    chat._citus_expand_notifications(), chat._citus_prune_events() FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION chat.distribute() FROM PUBLIC;  -- as privileges.sql leaves every function, then granted
GRANT EXECUTE ON FUNCTION chat.distribute() TO PUBLIC;

/* CREATE EXTENSION chat with Citus in the database: distribute now (coordinator) or get ready (worker) */
DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_catalog.pg_extension e WHERE e.extname = 'citus') THEN
        PERFORM chat._citus_distribute(true);
    END IF;
END
$$;
