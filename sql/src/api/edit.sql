
/* ========================================================================
 * api/edit.sql: edit_message, delete_message
 * ======================================================================== */

CREATE FUNCTION chat.edit_message(message_id bigint,
                                             editor chat.user_id DEFAULT chat.current_user_id(),
                                             content text DEFAULT NULL)
    RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    m chat.message;
    who chat.member;
BEGIN
    PERFORM chat._act(editor);
    PERFORM chat._not_null(message_id, 'message_id');
    PERFORM chat._not_null(editor, 'editor');
    PERFORM chat._check_content(content);
    m := chat._message_row(message_id);
    who := chat._member_row(m.thread_id, editor);
    IF m.kind = 'system' THEN
        RAISE EXCEPTION 'cannot edit system message %', message_id USING ERRCODE = '55000';
    END IF;
    IF m.sender_id IS NOT DISTINCT FROM editor THEN
        IF NOT ('edit_own_messages' = ANY (who.permissions)) THEN
            RAISE EXCEPTION 'permission denied to edit message %', message_id
                USING ERRCODE = '42501', CONSTRAINT = 'missing_permission', DETAIL = 'The permission "edit_own_messages" was revoked.';
        END IF;
    ELSIF NOT ('edit_messages' = ANY (who.permissions)) THEN
        RAISE EXCEPTION 'permission denied to edit message %', message_id
            USING ERRCODE = '42501', CONSTRAINT = 'missing_permission', DETAIL = 'Only its sender may edit a message, or a member with the permission "edit_messages".';
    END IF;
    UPDATE chat.message mg SET content = edit_message.content
     WHERE mg.thread_id = m.thread_id AND mg.id = m.id AND mg.deleted_at IS NULL;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'cannot edit deleted message %', message_id USING ERRCODE = '55000';
    END IF;
    PERFORM chat._emit('message_edited', m.thread_id, m.id, editor);
    RETURN m.id;
END
$$;
COMMENT ON FUNCTION chat.edit_message(bigint, chat.user_id, text) IS
    'Replace a message''s content, keeping the previous text in its history; returns the message id';

CREATE FUNCTION chat.delete_message(message_id bigint, actor chat.user_id DEFAULT chat.current_user_id())
    RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    m chat.message;
    who chat.member;
BEGIN
    PERFORM chat._act(actor);
    PERFORM chat._not_null(message_id, 'message_id');
    PERFORM chat._not_null(actor, 'actor');
    m := chat._message_row(message_id);
    who := chat._member_row(m.thread_id, actor);
    IF m.sender_id IS NOT DISTINCT FROM actor THEN
        IF NOT ('delete_own_messages' = ANY (who.permissions)) THEN
            RAISE EXCEPTION 'permission denied to delete message %', message_id
                USING ERRCODE = '42501', CONSTRAINT = 'missing_permission', DETAIL = 'The permission "delete_own_messages" was revoked.';
        END IF;
    ELSIF NOT ('delete_messages' = ANY (who.permissions)) THEN
        RAISE EXCEPTION 'permission denied to delete message %', message_id
            USING ERRCODE = '42501', CONSTRAINT = 'missing_permission',
                  DETAIL = 'Only its sender or a member with the permission "delete_messages" (owners and admins) may delete a message.';
    END IF;
    UPDATE chat.message mg SET deleted_at = clock_timestamp()
     WHERE mg.thread_id = m.thread_id AND mg.id = m.id AND mg.deleted_at IS NULL;
    IF FOUND THEN
        PERFORM chat._emit('message_deleted', m.thread_id, m.id, actor);
    END IF;
END
$$;
COMMENT ON FUNCTION chat.delete_message(bigint, chat.user_id) IS
    'Soft-delete a message: it stays in the thread as a deleted marker without content';
