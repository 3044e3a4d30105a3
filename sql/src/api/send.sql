
/* ========================================================================
 * api/send.sql: new_message, new_reply, forward_message
 * ======================================================================== */

/*
 * A message of attachments only may have NULL content.  mentions: the users
 * the message mentions; NULL takes them from the content's "@{id}"
 * (chat._parse_mentions), an empty list mentions no one.  The insert trigger
 * keeps the members among them (README, "Mentions").
 */

CREATE FUNCTION chat.new_message(sender chat.user_id DEFAULT chat.current_user_id(),
                                            recipients chat.user_id[] DEFAULT NULL,
                                            subject text DEFAULT NULL,
                                            content text DEFAULT NULL,
                                            attachments jsonb DEFAULT NULL,
                                            extra jsonb DEFAULT NULL,
                                            mentions chat.user_id[] DEFAULT NULL)
    RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    tid bigint;
    mid bigint;
    alone boolean;
    named chat.user_id[];
    n integer;
BEGIN
    PERFORM chat._act(sender);
    PERFORM chat._relax_commit('async_messages');
    PERFORM chat._not_null(sender, 'sender');
    PERFORM chat._not_null(recipients, 'recipients');
    IF array_ndims(recipients) > 1 THEN
        RAISE EXCEPTION 'recipients must be a one-dimensional array' USING ERRCODE = '22023', COLUMN = 'recipients';
    END IF;
    IF cardinality(recipients) = 0 THEN
        RAISE EXCEPTION 'recipients must not be empty' USING ERRCODE = '22023', COLUMN = 'recipients',
            HINT = 'Give at least one user id; send to yourself with ARRAY[sender].';
    END IF;
    IF array_position(recipients, NULL) IS NOT NULL THEN
        RAISE EXCEPTION 'recipients must not contain null' USING ERRCODE = '22004', COLUMN = 'recipients';
    END IF;
    PERFORM chat._check_subject(subject);
    IF attachments IS NULL OR content IS NOT NULL THEN
        PERFORM chat._check_content(content);
    END IF;
    IF attachments IS NOT NULL THEN
        PERFORM chat._check_attachments(attachments);
    END IF;
    PERFORM chat._check_mentions(new_message.mentions);
    PERFORM chat._check_new_size('private', recipients, sender, 'recipients');

    INSERT INTO chat.thread AS t (kind, subject, created_by)
    VALUES ('private', subject, sender)
    RETURNING t.id INTO tid;

    INSERT INTO chat.member (thread_id, user_id, role)
    SELECT tid, u, CASE WHEN u = sender THEN 'owner'::chat.member_role ELSE 'member' END
      FROM (SELECT DISTINCT u FROM unnest(recipients || sender) AS u) r
     ORDER BY u;

    INSERT INTO chat.message AS m (thread_id, sender_id, content, mentions)
    VALUES (tid, sender, content,
            CASE WHEN new_message.mentions IS NOT NULL THEN nullif(new_message.mentions, '{}')
                 ELSE chat._parse_mentions(content) END)
    RETURNING m.id, m.mentions INTO mid, named;

    IF attachments IS NOT NULL THEN
        PERFORM chat._add_attachments(tid, mid, attachments);
    END IF;

    alone := recipients <@ ARRAY[sender];
    IF NOT alone AND chat._setting_value('mark_new_thread_as_deleted')::boolean THEN
        UPDATE chat.member mb SET hidden_id = mid
         WHERE mb.thread_id = tid AND mb.user_id = sender;
    END IF;

    PERFORM chat._fill_extra('thread', tid, NULL, NULL, NULL);
    PERFORM chat._fill_extra('member', tid, NULL, u, NULL)
       FROM (SELECT DISTINCT u FROM unnest(recipients || sender) AS u) r;
    PERFORM chat._fill_extra('message', tid, mid, NULL, extra);

    /* read first: a statement reading chat.thread would run whole on a Citus worker, hooks and all */
    n := (SELECT t.member_count FROM chat.thread t WHERE t.id = tid);
    PERFORM chat._emit('thread_created', tid, NULL, sender,
                       jsonb_build_object('thread_kind', 'private', 'member_count', n));
    PERFORM chat._emit('message_sent', tid, mid, sender,
                       jsonb_build_object('reply', false, 'kind', 'text')
                       || CASE WHEN named IS NOT NULL THEN jsonb_build_object('mentions', named) ELSE '{}' END);
    RETURN mid;
END
$$;
COMMENT ON FUNCTION chat.new_message(chat.user_id, chat.user_id[], text, text, jsonb, jsonb, chat.user_id[]) IS
    'Start a private thread from sender to recipients (de-duplicated) with a first message; returns the message id. mentions: the users mentioned (NULL: the content''s "@{id}"); only members count';

/*
 * The hot path, in C (src/send.c): it checks the sender itself
 * (chat_check_actor, src/identity.c) before anything else.
 */
CREATE FUNCTION chat.new_reply(thread_id bigint,
                               sender chat.user_id DEFAULT chat.current_user_id(),
                               content text DEFAULT NULL,
                               parent_id bigint DEFAULT NULL,
                               attachments jsonb DEFAULT NULL,
                               extra jsonb DEFAULT NULL,
                               mentions chat.user_id[] DEFAULT NULL)
    RETURNS bigint
    LANGUAGE c SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'chat_new_reply';
COMMENT ON FUNCTION chat.new_reply(bigint, chat.user_id, text, bigint, jsonb, jsonb, chat.user_id[]) IS
    'Append a message to a thread the sender belongs to; marks it read for the sender and unread for the others; returns the message id. mentions: the users mentioned (NULL: the content''s "@{id}"); only members count';

CREATE FUNCTION chat.forward_message(message_id bigint,
                                     to_thread_id bigint,
                                     actor chat.user_id DEFAULT chat.current_user_id(),
                                     comment text DEFAULT NULL)
    RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    m chat.message;
    mid bigint;
BEGIN
    PERFORM chat._act(actor);
    PERFORM chat._relax_commit('async_messages');
    PERFORM chat._not_null(forward_message.message_id, 'message_id');
    PERFORM chat._not_null(to_thread_id, 'to_thread_id');
    PERFORM chat._not_null(actor, 'actor');
    m := chat._message_row(forward_message.message_id);
    PERFORM chat._member_row(m.thread_id, actor);
    IF m.deleted_at IS NOT NULL THEN
        RAISE EXCEPTION 'cannot forward deleted message %', m.id USING ERRCODE = '55000';
    END IF;
    IF m.kind = 'system' THEN
        RAISE EXCEPTION 'cannot forward system message %', m.id USING ERRCODE = '55000';
    END IF;
    IF comment IS NOT NULL THEN
        PERFORM chat._check_content(comment);
    END IF;

    /* the trigger refuses an unknown thread (42704) and a sender who may not post there (42501) */
    INSERT INTO chat.message AS mg (thread_id, sender_id, content, forwarded_from)
    VALUES (to_thread_id, actor, m.content, m.id)
    RETURNING mg.id INTO mid;
    INSERT INTO chat.attachment (thread_id, message_id, position, key, name, mime, size, meta)
    SELECT to_thread_id, mid, a.position, a.key, a.name, a.mime, a.size, a.meta
      FROM chat.attachment a
     WHERE a.thread_id = m.thread_id AND a.message_id = m.id;
    PERFORM chat._copy_attachment_rows(m.thread_id, m.id, to_thread_id, mid);
    PERFORM chat._fill_extra('message', to_thread_id, mid, NULL, NULL);
    PERFORM chat._emit('message_sent', to_thread_id, mid, actor,
                       jsonb_build_object('reply', true, 'kind', 'text', 'forwarded_from', m.id));

    IF comment IS NOT NULL THEN
        PERFORM chat.new_reply(to_thread_id, actor, comment);
    END IF;
    RETURN mid;
END
$$;
COMMENT ON FUNCTION chat.forward_message(bigint, bigint, chat.user_id, text) IS
    'Copy a message (content and attachments, with their swapped-model rows) into another thread the actor may post in, with forwarded_from set; a comment follows it as a message of its own. Returns the copy''s id';
