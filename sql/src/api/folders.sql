
/* ========================================================================
 * api/folders.sql: per-user folders: delete, restore, archive, unarchive
 * ======================================================================== */

CREATE FUNCTION chat.delete_thread(thread_id bigint, actor chat.user_id DEFAULT chat.current_user_id())
    RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    PERFORM chat._act(actor);
    PERFORM chat._not_null(delete_thread.thread_id, 'thread_id');
    PERFORM chat._not_null(actor, 'actor');
    PERFORM chat._member_row(delete_thread.thread_id, actor, true);
    UPDATE chat.member mb
       SET hidden_id = coalesce(t.last_message_id, 0)
      FROM chat.thread t
     WHERE t.id = delete_thread.thread_id
       AND mb.thread_id = t.id AND mb.user_id = actor;
    PERFORM chat._emit('thread_deleted', delete_thread.thread_id, NULL, actor, NULL, ARRAY[actor], true);
END
$$;
COMMENT ON FUNCTION chat.delete_thread(bigint, chat.user_id) IS
    'Move a thread to the actor''s deleted folder, until someone posts in it again';

CREATE FUNCTION chat.restore_thread(thread_id bigint, actor chat.user_id DEFAULT chat.current_user_id())
    RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    PERFORM chat._act(actor);
    PERFORM chat._not_null(restore_thread.thread_id, 'thread_id');
    PERFORM chat._not_null(actor, 'actor');
    PERFORM chat._member_row(restore_thread.thread_id, actor, true);
    UPDATE chat.member mb SET hidden_id = NULL
     WHERE mb.thread_id = restore_thread.thread_id AND mb.user_id = actor;
    PERFORM chat._emit('thread_restored', restore_thread.thread_id, NULL, actor, NULL, ARRAY[actor], true);
END
$$;
COMMENT ON FUNCTION chat.restore_thread(bigint, chat.user_id) IS 'Bring a deleted thread back to the actor''s inbox';

CREATE FUNCTION chat.archive_thread(thread_id bigint, actor chat.user_id DEFAULT chat.current_user_id())
    RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    PERFORM chat._act(actor);
    PERFORM chat._not_null(archive_thread.thread_id, 'thread_id');
    PERFORM chat._not_null(actor, 'actor');
    PERFORM chat._member_row(archive_thread.thread_id, actor, true);
    UPDATE chat.member mb SET archived = true
     WHERE mb.thread_id = archive_thread.thread_id AND mb.user_id = actor;
    PERFORM chat._emit('thread_archived', archive_thread.thread_id, NULL, actor, NULL, ARRAY[actor], true);
END
$$;
COMMENT ON FUNCTION chat.archive_thread(bigint, chat.user_id) IS
    'Move a thread to the actor''s archived folder; it stays there when new messages arrive';

CREATE FUNCTION chat.unarchive_thread(thread_id bigint, actor chat.user_id DEFAULT chat.current_user_id())
    RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    PERFORM chat._act(actor);
    PERFORM chat._not_null(unarchive_thread.thread_id, 'thread_id');
    PERFORM chat._not_null(actor, 'actor');
    PERFORM chat._member_row(unarchive_thread.thread_id, actor, true);
    UPDATE chat.member mb SET archived = false
     WHERE mb.thread_id = unarchive_thread.thread_id AND mb.user_id = actor;
    PERFORM chat._emit('thread_unarchived', unarchive_thread.thread_id, NULL, actor, NULL, ARRAY[actor], true);
END
$$;
COMMENT ON FUNCTION chat.unarchive_thread(bigint, chat.user_id) IS 'Move an archived thread back to the actor''s inbox';
