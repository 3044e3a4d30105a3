
/* The public names keep the descriptions of 0.3; the bodies say what they are. */
DO $$
DECLARE
    f record;
BEGIN
    FOR f IN
        SELECT pub.oid AS pub, inner_fn.oid AS inner_fn, obj_description(inner_fn.oid, 'pg_proc') AS description
          FROM pg_proc pub
          JOIN pg_proc inner_fn ON inner_fn.pronamespace = 'chat_internal'::regnamespace
                               AND inner_fn.proname = pub.proname
                               AND inner_fn.proargtypes = pub.proargtypes
         WHERE pub.pronamespace = 'chat'::regnamespace AND pub.prosecdef
    LOOP
        EXECUTE format('COMMENT ON FUNCTION %s IS %L', f.pub::regprocedure, f.description);
        EXECUTE format('COMMENT ON FUNCTION %s IS %L', f.inner_fn::regprocedure,
                       format('Internal: the body of %s, called once the caller is checked',
                              f.pub::regprocedure));
    END LOOP;
END
$$;

/* ------------------------------------------------------------------------
 * Row-level security
 *
 * End users read chat's tables directly only where they belong: the rows of
 * threads they are members of (and public threads' own rows).  Only SELECT
 * has policies, so a direct INSERT is refused (42501) and UPDATE or DELETE
 * match nothing, even for a role an administrator granted them to.  chat's
 * functions run as the table owner, whom row-level security does not apply
 * to; server roles see every row.
 *
 * Identity is an InitPlan, computed once per statement; membership is a
 * lookup of chat.member's primary key (thread_id, user_id) per row, and
 * chat.member itself uses chat._my_threads(), computed once per statement.
 * ------------------------------------------------------------------------ */

/* The threads the session's user belongs to (for chat.member's policy). */
CREATE FUNCTION chat._my_threads() RETURNS SETOF bigint
    LANGUAGE sql STABLE SECURITY DEFINER ROWS 100
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT m.thread_id FROM chat.member m
     WHERE m.user_id = chat.current_user_id() AND NOT m.large
    UNION ALL
    SELECT m.thread_id FROM chat.member m
     WHERE m.user_id = chat.current_user_id() AND m.large
$$;
COMMENT ON FUNCTION chat._my_threads() IS
    'The threads chat.current_user_id() is a member of; used by row-level security, safe for anyone';

ALTER TABLE chat.member ENABLE ROW LEVEL SECURITY;
CREATE POLICY member_read ON chat.member FOR SELECT
    USING ((SELECT chat.is_server_role())
           OR user_id = (SELECT chat.current_user_id())
           OR thread_id IN (SELECT chat._my_threads()));

ALTER TABLE chat.thread ENABLE ROW LEVEL SECURITY;
CREATE POLICY thread_read ON chat.thread FOR SELECT
    USING ((SELECT chat.is_server_role())
           OR EXISTS (SELECT 1 FROM chat.member m
                       WHERE m.thread_id = thread.id
                         AND m.user_id = (SELECT chat.current_user_id())));

/*
 * Public threads' metadata for everyone, without what only members read
 * (the last message's preview, sender and time).  The view reads as its
 * owner; security_barrier keeps a caller's functions from seeing the rows
 * it filters out.
 */
CREATE VIEW chat.public_thread WITH (security_barrier = true) AS
SELECT t.id, t.kind, t.subject, t.created_by, t.created_at, t.object_type, t.object_id,
       t.member_count
  FROM chat.thread t
 WHERE t.is_public;
COMMENT ON VIEW chat.public_thread IS
    'Public threads (listed and joinable by anyone): their metadata, readable by every role';

/* A deleted message's row stays for its sender only: its content is kept. */
ALTER TABLE chat.message ENABLE ROW LEVEL SECURITY;
CREATE POLICY message_read ON chat.message FOR SELECT
    USING ((SELECT chat.is_server_role())
           OR (EXISTS (SELECT 1 FROM chat.member m
                        WHERE m.thread_id = message.thread_id
                          AND m.user_id = (SELECT chat.current_user_id()))
               AND (deleted_at IS NULL OR sender_id = (SELECT chat.current_user_id()))));

/* What belongs to a message is seen with the message. */
ALTER TABLE chat.message_edit ENABLE ROW LEVEL SECURITY;
CREATE POLICY message_edit_read ON chat.message_edit FOR SELECT
    USING ((SELECT chat.is_server_role())
           OR EXISTS (SELECT 1 FROM chat.message mg
                       WHERE mg.thread_id = message_edit.thread_id AND mg.id = message_edit.message_id));

ALTER TABLE chat.reaction ENABLE ROW LEVEL SECURITY;
CREATE POLICY reaction_read ON chat.reaction FOR SELECT
    USING ((SELECT chat.is_server_role())
           OR EXISTS (SELECT 1 FROM chat.message mg
                       WHERE mg.thread_id = reaction.thread_id AND mg.id = reaction.message_id));

ALTER TABLE chat.attachment ENABLE ROW LEVEL SECURITY;
CREATE POLICY attachment_read ON chat.attachment FOR SELECT
    USING ((SELECT chat.is_server_role())
           OR EXISTS (SELECT 1 FROM chat.message mg
                       WHERE mg.thread_id = attachment.thread_id AND mg.id = attachment.message_id));

/* Configuration is readable by all and written only through chat's functions. */
ALTER TABLE chat.setting ENABLE ROW LEVEL SECURITY;
CREATE POLICY setting_read ON chat.setting FOR SELECT USING (true);
ALTER TABLE chat.setting_default ENABLE ROW LEVEL SECURITY;
CREATE POLICY setting_default_read ON chat.setting_default FOR SELECT USING (true);
ALTER TABLE chat.permission_default ENABLE ROW LEVEL SECURITY;
CREATE POLICY permission_default_read ON chat.permission_default FOR SELECT USING (true);
ALTER TABLE chat.hook ENABLE ROW LEVEL SECURITY;
CREATE POLICY hook_read ON chat.hook FOR SELECT USING (true);
ALTER TABLE chat.model ENABLE ROW LEVEL SECURITY;
CREATE POLICY model_read ON chat.model FOR SELECT USING (true);
ALTER TABLE chat.user_binding ENABLE ROW LEVEL SECURITY;
CREATE POLICY user_binding_read ON chat.user_binding FOR SELECT USING (true);

/* A role sees its own mapping; server roles see them all. */
ALTER TABLE chat.role_map ENABLE ROW LEVEL SECURITY;
CREATE POLICY role_map_read ON chat.role_map FOR SELECT
    USING ((SELECT chat.is_server_role()) OR pg_has_role(role, 'MEMBER'));

/*
 * The planner's statistics of a column show its common values to anyone
 * whose query uses the column, row-level security or not: keep none of the
 * texts users write (chat never filters on them).
 */
ALTER TABLE chat.message ALTER COLUMN content SET STATISTICS 0;
ALTER TABLE chat.message_edit ALTER COLUMN content SET STATISTICS 0;
ALTER TABLE chat.thread ALTER COLUMN subject SET STATISTICS 0;
ALTER TABLE chat.thread ALTER COLUMN last_preview SET STATISTICS 0;
ALTER TABLE chat.attachment ALTER COLUMN key SET STATISTICS 0;
ALTER TABLE chat.attachment ALTER COLUMN name SET STATISTICS 0;
ALTER TABLE chat.attachment ALTER COLUMN meta SET STATISTICS 0;
ALTER TABLE chat.reaction ALTER COLUMN reaction SET STATISTICS 0;

/* Views read as the querying role, so the policies above apply to them. */
ALTER VIEW chat.member_view SET (security_invoker = true);
ALTER VIEW chat.message_view SET (security_invoker = true);
ALTER VIEW chat.message_receipt SET (security_invoker = true);
ALTER VIEW chat.settings SET (security_invoker = true);

/* ------------------------------------------------------------------------
 * Privileges out of the box
 *
 * Every role may use chat: the public functions check identity themselves,
 * the tables and views are readable under the policies above.  Internal
 * functions (a leading underscore) are not executable by PUBLIC, except the
 * few the policies and checks call, which are safe for anyone.  Sequences get
 * nothing: never grant TRUNCATE, TRIGGER, REFERENCES or sequence UPDATE on
 * chat's objects to end users (row-level security does not guard them).
 * ------------------------------------------------------------------------ */

GRANT USAGE ON SCHEMA chat TO PUBLIC;

GRANT SELECT ON chat.thread, chat.member, chat.message, chat.message_edit, chat.reaction,
    chat.attachment, chat.setting, chat.setting_default, chat.permission_default, chat.hook,
    chat.model, chat.user_binding, chat.role_map,
    chat.member_view, chat.message_view, chat.message_receipt, chat.settings, chat.public_thread
    TO PUBLIC;

DO $$
DECLARE
    f regprocedure;
BEGIN
    FOR f IN
        SELECT p.oid::regprocedure FROM pg_proc p
         WHERE p.pronamespace = 'chat_internal'::regnamespace
            OR (p.pronamespace = 'chat'::regnamespace AND p.proname LIKE '\_%')
    LOOP
        EXECUTE format('REVOKE EXECUTE ON FUNCTION %s FROM PUBLIC', f);
    END LOOP;
END
$$;

GRANT EXECUTE ON FUNCTION chat._my_threads() TO PUBLIC;

