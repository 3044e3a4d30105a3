
/* ========================================================================
 * api/read_state.sql: mark_read, mark_unread, mark_delivered, receipts
 * ======================================================================== */

/* Move the read pointer forward; also keeps the seen pointer and the times of the moves. */

CREATE FUNCTION chat.mark_read(thread_id bigint,
                                          reader chat.user_id DEFAULT chat.current_user_id(),
                                          up_to bigint DEFAULT NULL)
    RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    tid bigint;
    m chat.member;
    pos record;
    at timestamptz;
    mentions bigint;
BEGIN
    PERFORM chat._act(reader);
    PERFORM chat._relax_commit('async_read_state');
    tid := mark_read.thread_id;
    PERFORM chat._not_null(tid, 'thread_id');
    PERFORM chat._not_null(reader, 'reader');
    m := chat._member_row(tid, reader, true);
    IF up_to IS NOT NULL THEN
        PERFORM chat._message_in(tid, up_to);
    END IF;
    pos := chat._read_position(tid, reader, up_to, false);
    IF pos.target <= m.read_id THEN
        RETURN 0;
    END IF;
    /*
     * clock_timestamp: taken after the snapshot, so after the messages' commit;
     * into a variable, as Citus refuses a volatile call in the UPDATE
     */
    at := clock_timestamp();
    /* mentions: none left past the newest; else those passed over are read (the row is locked) */
    mentions := CASE WHEN m.mention_count = 0 OR pos.target >= m.last_mention_id THEN 0
                     ELSE m.mention_count - chat._mentions_between(tid, reader, m.read_id, pos.target)
                END;
    UPDATE chat.member mb
       SET read_id = pos.target, read_count = pos.read_count,
           mention_count = mentions,
           seen_id = greatest(mb.seen_id, pos.target),
           read_at = at,
           delivered_at = CASE WHEN pos.target > mb.delivered_id THEN at ELSE mb.delivered_at END,
           delivered_id = greatest(mb.delivered_id, pos.target)
     WHERE mb.thread_id = tid AND mb.user_id = reader;
    PERFORM chat._emit('thread_read', tid, pos.target, reader,
                       jsonb_build_object('read', greatest(pos.read_count - m.read_count, 0)));
    RETURN greatest(pos.read_count - m.read_count, 0);
END
$$;
COMMENT ON FUNCTION chat.mark_read(bigint, chat.user_id, bigint) IS
    'Move the reader''s read pointer forward (never back) to up_to or the newest message; returns how many messages became read';

/* Move the read pointer back; the seen pointer stays. */

CREATE FUNCTION chat.mark_unread(thread_id bigint,
                                            reader chat.user_id DEFAULT chat.current_user_id(),
                                            from_message bigint DEFAULT NULL)
    RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    tid bigint;
    m chat.member;
    pos record;
    mentions bigint;
BEGIN
    PERFORM chat._act(reader);
    PERFORM chat._relax_commit('async_read_state');
    tid := mark_unread.thread_id;
    PERFORM chat._not_null(tid, 'thread_id');
    PERFORM chat._not_null(reader, 'reader');
    m := chat._member_row(tid, reader, true);
    IF from_message IS NOT NULL THEN
        PERFORM chat._message_in(tid, from_message);
    END IF;
    pos := chat._read_position(tid, reader, from_message, true);
    IF pos.target >= m.read_id THEN
        RETURN 0;
    END IF;
    /* mentions passed back over are unread again (the row is locked); into a variable, as in mark_read */
    mentions := CASE WHEN m.last_mention_id IS NULL OR m.last_mention_id <= pos.target THEN m.mention_count
                     ELSE m.mention_count + chat._mentions_between(tid, reader, pos.target, m.read_id)
                END;
    UPDATE chat.member mb
       SET read_id = pos.target, read_count = pos.read_count,
           mention_count = mentions,
           seen_id = greatest(mb.seen_id, mb.read_id)
     WHERE mb.thread_id = tid AND mb.user_id = reader;
    PERFORM chat._emit('thread_unread', tid, pos.target, reader, NULL, ARRAY[reader], true);
    RETURN greatest(m.read_count - pos.read_count, 0);
END
$$;
COMMENT ON FUNCTION chat.mark_unread(bigint, chat.user_id, bigint) IS
    'Move the reader''s read pointer back to just before from_message (default: the newest message); returns how many messages became unread. The reader''s own messages never count as unread';

/* Move the delivered pointer forward; also records when it moved. */

CREATE FUNCTION chat.mark_delivered(reader chat.user_id DEFAULT chat.current_user_id(),
                                               thread_id bigint DEFAULT NULL,
                                               up_to bigint DEFAULT NULL)
    RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    tid bigint;
    target bigint;
    moved bigint;
    at timestamptz;
BEGIN
    PERFORM chat._act(reader);
    PERFORM chat._relax_commit('async_read_state');
    tid := mark_delivered.thread_id;
    PERFORM chat._not_null(reader, 'reader');
    IF tid IS NULL THEN
        IF up_to IS NOT NULL THEN
            RAISE EXCEPTION 'up_to needs a thread_id' USING ERRCODE = '22023', COLUMN = 'thread_id';
        END IF;
        IF chat._citus() THEN
            /*
             * distributed (citus.sql): Citus locks no rows of several shards
             * at once, so thread by thread, in id order
             */
            moved := 0;
            FOR tid IN SELECT t.id FROM chat.thread t JOIN chat.member mb ON mb.thread_id = t.id
                        WHERE mb.user_id = reader AND t.last_message_id > mb.delivered_id ORDER BY 1 LOOP
                target := (SELECT t.last_message_id FROM chat.thread t WHERE t.id = tid FOR SHARE);
                at := clock_timestamp();
                UPDATE chat.member mb SET delivered_id = target, delivered_at = at
                 WHERE mb.thread_id = tid AND mb.user_id = reader AND mb.delivered_id < target;
                IF FOUND THEN
                    PERFORM chat._emit('thread_delivered', tid, target, reader);
                    moved := moved + 1;
                END IF;
            END LOOP;
            RETURN moved;
        END IF;
        /*
         * small threads' rows first, in id order, as everywhere; large
         * threads' rows are not locked, so a hot room's replies do not hold
         * this call up (see chat._member_row)
         */
        PERFORM FROM chat.thread t JOIN chat.member mb ON mb.thread_id = t.id
          WHERE mb.user_id = reader AND t.last_message_id > mb.delivered_id AND NOT t.large
          ORDER BY t.id
          FOR SHARE OF t;
        moved := 0;
        FOR tid, target IN
            UPDATE chat.member mb
               SET delivered_id = t.last_message_id, delivered_at = clock_timestamp()
              FROM chat.thread t
             WHERE mb.user_id = reader AND t.id = mb.thread_id
               AND t.last_message_id > mb.delivered_id
            RETURNING mb.thread_id, mb.delivered_id
        LOOP
            PERFORM chat._emit('thread_delivered', tid, target, reader);
            moved := moved + 1;
        END LOOP;
        RETURN moved;
    END IF;

    PERFORM chat._member_row(tid, reader, true);
    IF up_to IS NULL THEN
        SELECT coalesce(t.last_message_id, 0) INTO target FROM chat.thread t WHERE t.id = tid;
    ELSE
        target := (chat._message_in(tid, up_to)).id;
    END IF;
    UPDATE chat.member mb
       SET delivered_id = target, delivered_at = clock_timestamp()
     WHERE mb.thread_id = tid AND mb.user_id = reader AND mb.delivered_id < target;
    GET DIAGNOSTICS moved = ROW_COUNT;
    IF moved > 0 THEN
        PERFORM chat._emit('thread_delivered', tid, target, reader);
    END IF;
    RETURN moved;
END
$$;
COMMENT ON FUNCTION chat.mark_delivered(chat.user_id, bigint, bigint) IS
    'Move the reader''s delivered pointer forward in one thread (or in all of them); returns how many threads moved';

CREATE FUNCTION chat.receipts(message_id bigint, viewer chat.user_id DEFAULT chat.current_user_id())
    RETURNS TABLE (user_id chat.user_id, status text, at timestamptz)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
#variable_conflict use_column
DECLARE
    m chat.message;
BEGIN
    PERFORM chat._act(viewer);
    PERFORM chat._not_null(receipts.message_id, 'message_id');
    PERFORM chat._not_null(receipts.viewer, 'viewer');
    m := chat._message_row(receipts.message_id);
    PERFORM chat._member_row(m.thread_id, receipts.viewer);
    RETURN QUERY
    SELECT r.user_id, r.status, r.at
      FROM chat.message_receipt r
     WHERE r.message_id = m.id
     ORDER BY r.user_id;
END
$$;
COMMENT ON FUNCTION chat.receipts(bigint, chat.user_id) IS
    'Delivery and read receipts of a message for a member of its thread: one row per other member who received it (status "delivered") or saw it ("seen"); at is when their pointer last moved, NULL when unknown';
