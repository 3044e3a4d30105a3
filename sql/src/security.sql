
/* ========================================================================
 * security.sql: row-level security and planner statistics
 *
 * End users read chat's tables directly only where they belong: the rows of
 * threads they are members of (and public threads' own rows, through the
 * view chat.public_thread).  Only SELECT has policies, so a direct INSERT is
 * refused (42501) and UPDATE or DELETE match nothing, even for a role an
 * administrator granted them to.  chat's functions run as the table owner,
 * whom row-level security does not apply to; server roles see every row.
 *
 * Identity is an InitPlan, computed once per statement; membership is
 * chat._is_member(thread_id), a C probe of chat.member's primary key for the
 * user computed once per command (src/identity.c).  Sub-selects over
 * chat.member would let the planner hash all of a user's memberships (10,000
 * rows for a user in 10,000 threads) even to read two rows.
 * ======================================================================== */

ALTER TABLE chat.member ENABLE ROW LEVEL SECURITY;
CREATE POLICY member_read ON chat.member FOR SELECT
    USING ((SELECT chat.is_server_role())
           OR user_id = (SELECT chat.current_user_id())
           OR chat._is_member(thread_id));

ALTER TABLE chat.thread ENABLE ROW LEVEL SECURITY;
CREATE POLICY thread_read ON chat.thread FOR SELECT
    USING ((SELECT chat.is_server_role()) OR chat._is_member(id));

/* A deleted message's row stays for its sender only: its content is kept. */
ALTER TABLE chat.message ENABLE ROW LEVEL SECURITY;
CREATE POLICY message_read ON chat.message FOR SELECT
    USING ((SELECT chat.is_server_role())
           OR (chat._is_member(thread_id)
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
ALTER TABLE chat.message ALTER COLUMN mentions SET STATISTICS 0;
ALTER TABLE chat.message_edit ALTER COLUMN content SET STATISTICS 0;
ALTER TABLE chat.thread ALTER COLUMN subject SET STATISTICS 0;
ALTER TABLE chat.thread ALTER COLUMN last_preview SET STATISTICS 0;
ALTER TABLE chat.thread ALTER COLUMN description SET STATISTICS 0;
ALTER TABLE chat.thread ALTER COLUMN avatar SET STATISTICS 0;
ALTER TABLE chat.message ALTER COLUMN search_vector SET STATISTICS 0;
ALTER INDEX chat.thread_directory_name_idx ALTER COLUMN 1 SET STATISTICS 0;
ALTER INDEX chat.thread_directory_search_idx ALTER COLUMN 1 SET STATISTICS 0;
ALTER TABLE chat.attachment ALTER COLUMN key SET STATISTICS 0;
ALTER TABLE chat.attachment ALTER COLUMN name SET STATISTICS 0;
ALTER TABLE chat.attachment ALTER COLUMN meta SET STATISTICS 0;
ALTER TABLE chat.reaction ALTER COLUMN reaction SET STATISTICS 0;

/* Where chat.purge goes on: chat's functions only (no policy: nobody else reads or writes a row). */
ALTER TABLE chat.purge_progress ENABLE ROW LEVEL SECURITY;

/*
 * The event record, the prune mark, the notification queue and its workers:
 * chat's functions only, like purge_progress.  No grant gives them to anyone
 * but chat's functions; row-level security without a policy keeps them so
 * when an administrator grants too much (GRANT ALL ON ALL TABLES IN SCHEMA
 * chat): another user's events and notifications are not read, none forged.
 */
ALTER TABLE chat.event ENABLE ROW LEVEL SECURITY;
ALTER TABLE chat.event_pruned ENABLE ROW LEVEL SECURITY;
ALTER TABLE chat.notification ENABLE ROW LEVEL SECURITY;
ALTER TABLE chat.notifier ENABLE ROW LEVEL SECURITY;
/* The list of events: read by all, changed by chat's script only. */
ALTER TABLE chat.event_kind ENABLE ROW LEVEL SECURITY;
CREATE POLICY event_kind_read ON chat.event_kind FOR SELECT USING (true);
