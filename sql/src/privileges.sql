
/* ========================================================================
 * privileges.sql: what every role may use
 *
 * Every role may use chat: each public function checks its caller first
 * (chat._act, chat._require_server, chat._require_reader, or in C), and the
 * tables and views are readable under the policies of security.sql.  No
 * function is executable by PUBLIC unless listed here: internal functions
 * (a leading underscore) never are, except chat._is_member, which the
 * policies call and which is safe for anyone.  Sequences get nothing: never
 * grant TRUNCATE, TRIGGER, REFERENCES or sequence UPDATE on chat's objects
 * to end users (row-level security does not guard them).
 * ======================================================================== */

GRANT USAGE ON SCHEMA chat TO PUBLIC;

GRANT SELECT ON chat.thread, chat.member, chat.message, chat.message_edit, chat.reaction,
    chat.attachment, chat.setting, chat.setting_default, chat.permission_default, chat.hook,
    chat.model, chat.user_binding, chat.role_map, chat.event_kind,
    chat.member_view, chat.message_view, chat.message_receipt, chat.settings, chat.public_thread
    TO PUBLIC;

REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA chat FROM PUBLIC;

-- api/changes.sql (chat.event itself is read through these only)
GRANT EXECUTE ON FUNCTION chat.changes(chat.user_id, text) TO PUBLIC;
GRANT EXECUTE ON FUNCTION chat.feed(text) TO PUBLIC;
GRANT EXECUTE ON FUNCTION chat.prune_events() TO PUBLIC;

-- api/notifications.sql (chat.notification itself is read through these only)
GRANT EXECUTE ON FUNCTION chat.claim_notifications(text, integer, integer) TO PUBLIC;
GRANT EXECUTE ON FUNCTION chat.ack_notification(bigint, jsonb) TO PUBLIC;
GRANT EXECUTE ON FUNCTION chat.fail_notification(bigint, text, integer, jsonb) TO PUBLIC;
GRANT EXECUTE ON FUNCTION chat.notification_digest(integer) TO PUBLIC;
GRANT EXECUTE ON FUNCTION chat.prune_notifications() TO PUBLIC;

-- api/settings.sql
GRANT EXECUTE ON FUNCTION chat.get_setting(text) TO PUBLIC;
GRANT EXECUTE ON FUNCTION chat.set_setting(text, jsonb) TO PUBLIC;

-- api/identity.sql
GRANT EXECUTE ON FUNCTION chat.current_user_id() TO PUBLIC;
GRANT EXECUTE ON FUNCTION chat.propagate_identity() TO PUBLIC;
GRANT EXECUTE ON FUNCTION chat.is_server_role() TO PUBLIC;
GRANT EXECUTE ON FUNCTION chat.map_role(regrole, chat.user_id) TO PUBLIC;
GRANT EXECUTE ON FUNCTION chat.unmap_role(regrole) TO PUBLIC;

-- api/send.sql
GRANT EXECUTE ON FUNCTION chat.new_message(chat.user_id, chat.user_id[], text, text, jsonb, jsonb, chat.user_id[]) TO PUBLIC;
GRANT EXECUTE ON FUNCTION chat.new_reply(bigint, chat.user_id, text, bigint, jsonb, jsonb, chat.user_id[]) TO PUBLIC;
GRANT EXECUTE ON FUNCTION chat.forward_message(bigint, bigint, chat.user_id, text) TO PUBLIC;

-- api/read.sql
GRANT EXECUTE ON FUNCTION chat.inbox(chat.user_id, text, text, integer) TO PUBLIC;
GRANT EXECUTE ON FUNCTION chat.inbox_count(chat.user_id, text) TO PUBLIC;
GRANT EXECUTE ON FUNCTION chat.unread_count(chat.user_id) TO PUBLIC;
GRANT EXECUTE ON FUNCTION chat.mention_count(chat.user_id, bigint) TO PUBLIC;
GRANT EXECUTE ON FUNCTION chat.messages(bigint, chat.user_id, bigint, bigint, integer) TO PUBLIC;
GRANT EXECUTE ON FUNCTION chat.message_history(bigint, chat.user_id) TO PUBLIC;
GRANT EXECUTE ON FUNCTION chat.members(bigint, chat.user_id) TO PUBLIC;
GRANT EXECUTE ON FUNCTION chat.first_message(bigint) TO PUBLIC;
GRANT EXECUTE ON FUNCTION chat.latest_message(bigint, chat.user_id) TO PUBLIC;
GRANT EXECUTE ON FUNCTION chat.earliest_message(bigint, chat.user_id) TO PUBLIC;
GRANT EXECUTE ON FUNCTION chat.started_by(bigint) TO PUBLIC;

-- api/read_state.sql
GRANT EXECUTE ON FUNCTION chat.mark_read(bigint, chat.user_id, bigint) TO PUBLIC;
GRANT EXECUTE ON FUNCTION chat.mark_unread(bigint, chat.user_id, bigint) TO PUBLIC;
GRANT EXECUTE ON FUNCTION chat.mark_delivered(chat.user_id, bigint, bigint) TO PUBLIC;
GRANT EXECUTE ON FUNCTION chat.receipts(bigint, chat.user_id) TO PUBLIC;

-- api/folders.sql
GRANT EXECUTE ON FUNCTION chat.delete_thread(bigint, chat.user_id) TO PUBLIC;
GRANT EXECUTE ON FUNCTION chat.restore_thread(bigint, chat.user_id) TO PUBLIC;
GRANT EXECUTE ON FUNCTION chat.archive_thread(bigint, chat.user_id) TO PUBLIC;
GRANT EXECUTE ON FUNCTION chat.unarchive_thread(bigint, chat.user_id) TO PUBLIC;

-- api/edit.sql
GRANT EXECUTE ON FUNCTION chat.edit_message(bigint, chat.user_id, text) TO PUBLIC;
GRANT EXECUTE ON FUNCTION chat.delete_message(bigint, chat.user_id) TO PUBLIC;

-- api/rooms.sql
GRANT EXECUTE ON FUNCTION chat.create_group(chat.user_id, text, chat.user_id[], boolean, jsonb) TO PUBLIC;
GRANT EXECUTE ON FUNCTION chat.create_channel(chat.user_id, text, chat.user_id[], boolean, jsonb) TO PUBLIC;
GRANT EXECUTE ON FUNCTION chat.direct_thread(chat.user_id, chat.user_id) TO PUBLIC;
GRANT EXECUTE ON FUNCTION chat.object_thread(text, text, chat.user_id, text, text, boolean) TO PUBLIC;
GRANT EXECUTE ON FUNCTION chat.rename_thread(bigint, chat.user_id, text) TO PUBLIC;
GRANT EXECUTE ON FUNCTION chat.drop_thread(bigint, chat.user_id) TO PUBLIC;
GRANT EXECUTE ON FUNCTION chat.mute(bigint, chat.user_id, boolean) TO PUBLIC;
GRANT EXECUTE ON FUNCTION chat.set_notify_level(bigint, text, chat.user_id) TO PUBLIC;

-- api/profile.sql
GRANT EXECUTE ON FUNCTION chat.set_profile(bigint, chat.user_id, text, text) TO PUBLIC;
GRANT EXECUTE ON FUNCTION chat.profile(bigint, chat.user_id) TO PUBLIC;
GRANT EXECUTE ON FUNCTION chat.directory(chat.user_id, text, text, integer) TO PUBLIC;

-- api/search.sql
GRANT EXECUTE ON FUNCTION chat.search(chat.user_id, text, bigint, text, text, integer) TO PUBLIC;

-- api/membership.sql
GRANT EXECUTE ON FUNCTION chat.add_members(bigint, chat.user_id, chat.user_id[], text) TO PUBLIC;
GRANT EXECUTE ON FUNCTION chat.join_thread(bigint, chat.user_id) TO PUBLIC;
GRANT EXECUTE ON FUNCTION chat.leave_thread(bigint, chat.user_id) TO PUBLIC;
GRANT EXECUTE ON FUNCTION chat.remove_member(bigint, chat.user_id, chat.user_id) TO PUBLIC;
GRANT EXECUTE ON FUNCTION chat.can_join(bigint, chat.user_id) TO PUBLIC;
GRANT EXECUTE ON FUNCTION chat.can_leave(bigint, chat.user_id) TO PUBLIC;

-- api/permissions.sql
GRANT EXECUTE ON FUNCTION chat.set_role(bigint, chat.user_id, chat.user_id, text) TO PUBLIC;
GRANT EXECUTE ON FUNCTION chat."grant"(bigint, chat.user_id, chat.user_id, text) TO PUBLIC;
GRANT EXECUTE ON FUNCTION chat.revoke(bigint, chat.user_id, chat.user_id, text) TO PUBLIC;
GRANT EXECUTE ON FUNCTION chat.has_permission(bigint, chat.user_id, text) TO PUBLIC;

-- api/reactions.sql
GRANT EXECUTE ON FUNCTION chat.add_reaction(bigint, chat.user_id, text, jsonb) TO PUBLIC;
GRANT EXECUTE ON FUNCTION chat.remove_reaction(bigint, chat.user_id, text) TO PUBLIC;
GRANT EXECUTE ON FUNCTION chat.toggle_reaction(bigint, chat.user_id, text, jsonb) TO PUBLIC;
GRANT EXECUTE ON FUNCTION chat.reactions(bigint, chat.user_id) TO PUBLIC;
GRANT EXECUTE ON FUNCTION chat.reaction_users(bigint, chat.user_id, text) TO PUBLIC;

-- api/users.sql
GRANT EXECUTE ON FUNCTION chat.use_user_table(regclass, name, text, regprocedure) TO PUBLIC;
GRANT EXECUTE ON FUNCTION chat.display_name(chat.user_id) TO PUBLIC;

-- api/models.sql
GRANT EXECUTE ON FUNCTION chat.swap_model(text, regclass) TO PUBLIC;
GRANT EXECUTE ON FUNCTION chat.swap_renderer(text, regprocedure) TO PUBLIC;

-- api/hooks.sql
GRANT EXECUTE ON FUNCTION chat.add_hook(text, regprocedure, integer) TO PUBLIC;
GRANT EXECUTE ON FUNCTION chat.remove_hook(text, regprocedure) TO PUBLIC;
GRANT EXECUTE ON FUNCTION chat.typing(bigint, chat.user_id) TO PUBLIC;

-- api/admin.sql
GRANT EXECUTE ON FUNCTION chat.verify_unread(bigint) TO PUBLIC;

-- api/retention.sql
GRANT EXECUTE ON FUNCTION chat.set_retention(bigint, chat.user_id, integer) TO PUBLIC;
GRANT EXECUTE ON FUNCTION chat.purge(integer) TO PUBLIC;

-- api/import.sql
GRANT EXECUTE ON FUNCTION chat.import_thread(jsonb) TO PUBLIC;
GRANT EXECUTE ON FUNCTION chat.import_messages(bigint, jsonb, jsonb) TO PUBLIC;
GRANT EXECUTE ON FUNCTION chat.import_pinax(name, text) TO PUBLIC;

-- row-level security (security.sql)
GRANT EXECUTE ON FUNCTION chat._is_member(bigint) TO PUBLIC;
