
/* ========================================================================
 * api/reactions.sql: add_reaction, remove_reaction, toggle_reaction, reactions, reaction_users
 * ======================================================================== */

CREATE FUNCTION chat.add_reaction(message_id bigint,
                                  "user" chat.user_id DEFAULT chat.current_user_id(),
                                  reaction text DEFAULT NULL,
                                  extra jsonb DEFAULT NULL)
    RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    m chat.message;
BEGIN
    PERFORM chat._act("user");
    m := chat._reactable(add_reaction.message_id, add_reaction."user");
    PERFORM chat._check_reaction(add_reaction.reaction);
    INSERT INTO chat.reaction AS r (thread_id, message_id, user_id, reaction)
    VALUES (m.thread_id, m.id, add_reaction."user", add_reaction.reaction)
    ON CONFLICT ON CONSTRAINT reaction_pkey DO NOTHING;
    IF NOT FOUND THEN
        /* the reaction and its row stay as they are; extra is still checked */
        PERFORM chat._fill_model('reaction', NULL, add_reaction.extra, true);
        RETURN false;
    END IF;
    PERFORM chat._fill_model('reaction', chat._reaction_key(m, add_reaction."user", add_reaction.reaction),
                             add_reaction.extra);
    PERFORM chat._emit('reaction_added', m.thread_id, m.id, add_reaction."user",
                       jsonb_build_object('reaction', add_reaction.reaction));
    RETURN true;
END
$$;
COMMENT ON FUNCTION chat.add_reaction(bigint, chat.user_id, text, jsonb) IS
    'React to a message of a thread the user belongs to (the setting "reactions" says what is allowed), extra filling the swapped reaction model''s row; returns false when the user had that reaction already (its row unchanged)';

CREATE FUNCTION chat.remove_reaction(message_id bigint,
                                     "user" chat.user_id DEFAULT chat.current_user_id(),
                                     reaction text DEFAULT NULL)
    RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    m chat.message;
BEGIN
    PERFORM chat._act("user");
    m := chat._reactable(remove_reaction.message_id, remove_reaction."user");
    /* not checked against the settings: a reaction allowed once can always be removed */
    PERFORM chat._not_null(remove_reaction.reaction, 'reaction');
    DELETE FROM chat.reaction r
     WHERE r.thread_id = m.thread_id AND r.message_id = m.id
       AND r.user_id = remove_reaction."user" AND r.reaction = remove_reaction.reaction;
    IF NOT FOUND THEN
        RETURN false;
    END IF;
    PERFORM chat._emit('reaction_removed', m.thread_id, m.id, remove_reaction."user",
                       jsonb_build_object('reaction', remove_reaction.reaction));
    RETURN true;
END
$$;
COMMENT ON FUNCTION chat.remove_reaction(bigint, chat.user_id, text) IS
    'Take back the user''s reaction to a message; returns false when there was none';

/*
 * Delete the reaction, or add it when there was none.  Two toggles racing
 * for the same row both win in turn: the second one's insert waits for the
 * first one's and, finding the row, goes round again and deletes it.
 */

CREATE FUNCTION chat.toggle_reaction(message_id bigint,
                                     "user" chat.user_id DEFAULT chat.current_user_id(),
                                     reaction text DEFAULT NULL,
                                     extra jsonb DEFAULT NULL)
    RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    m chat.message;
BEGIN
    PERFORM chat._act("user");
    m := chat._reactable(toggle_reaction.message_id, toggle_reaction."user");
    PERFORM chat._not_null(toggle_reaction.reaction, 'reaction');
    /* checked whichever way the toggle goes, before anything is written */
    PERFORM chat._fill_model('reaction', NULL, toggle_reaction.extra, true);
    LOOP
        DELETE FROM chat.reaction r
         WHERE r.thread_id = m.thread_id AND r.message_id = m.id
           AND r.user_id = toggle_reaction."user" AND r.reaction = toggle_reaction.reaction;
        IF FOUND THEN
            PERFORM chat._emit('reaction_removed', m.thread_id, m.id, toggle_reaction."user",
                               jsonb_build_object('reaction', toggle_reaction.reaction));
            RETURN false;
        END IF;
        PERFORM chat._check_reaction(toggle_reaction.reaction);
        INSERT INTO chat.reaction AS r (thread_id, message_id, user_id, reaction)
        VALUES (m.thread_id, m.id, toggle_reaction."user", toggle_reaction.reaction)
        ON CONFLICT ON CONSTRAINT reaction_pkey DO NOTHING;
        IF FOUND THEN
            PERFORM chat._fill_model('reaction',
                                     chat._reaction_key(m, toggle_reaction."user", toggle_reaction.reaction),
                                     toggle_reaction.extra);
            PERFORM chat._emit('reaction_added', m.thread_id, m.id, toggle_reaction."user",
                               jsonb_build_object('reaction', toggle_reaction.reaction));
            RETURN true;
        END IF;
    END LOOP;
END
$$;
COMMENT ON FUNCTION chat.toggle_reaction(bigint, chat.user_id, text, jsonb) IS
    'Remove the user''s reaction if present (its swapped-model row goes with it), else add it with extra filling that row; returns true when it is now present';

CREATE FUNCTION chat.reactions(message_id bigint, viewer chat.user_id DEFAULT chat.current_user_id())
    RETURNS TABLE (reaction text, count bigint, users chat.user_ids, reacted_by_viewer boolean)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
#variable_conflict use_column
DECLARE
    m chat.message;
BEGIN
    PERFORM chat._act(viewer);
    PERFORM chat._not_null(reactions.message_id, 'message_id');
    PERFORM chat._not_null(reactions.viewer, 'viewer');
    m := chat._message_row(reactions.message_id);
    PERFORM chat._member_row(m.thread_id, reactions.viewer);
    RETURN QUERY
    SELECT r.reaction, count(*), array_agg(r.user_id ORDER BY r.created_at, r.user_id)::chat.user_ids,
           bool_or(r.user_id = reactions.viewer)
      FROM chat.reaction r
     WHERE r.thread_id = m.thread_id AND r.message_id = m.id AND m.deleted_at IS NULL
     GROUP BY r.reaction
     ORDER BY min(r.created_at), r.reaction;
END
$$;
COMMENT ON FUNCTION chat.reactions(bigint, chat.user_id) IS
    'Reactions to a message for a member of its thread, by first use: each with its count, its users (oldest first) and whether the viewer is one; none for a deleted message';

/*
 * The rows behind chat.reactions, one per user and reaction, with the
 * swapped reaction model's row as extra (rendered; NULL when the model is not
 * swapped or the reaction has no row): what chat.reactions aggregates, for a
 * "who reacted" list.
 */
CREATE FUNCTION chat.reaction_users(message_id bigint,
                                    viewer chat.user_id DEFAULT chat.current_user_id(),
                                    which text DEFAULT NULL)
    RETURNS TABLE (reaction text, user_id chat.user_id, created_at timestamptz, extra jsonb)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
#variable_conflict use_column
DECLARE
    m chat.message;
    extras jsonb;
BEGIN
    PERFORM chat._act(viewer);
    PERFORM chat._not_null(reaction_users.message_id, 'message_id');
    PERFORM chat._not_null(reaction_users.viewer, 'viewer');
    m := chat._message_row(reaction_users.message_id);
    PERFORM chat._member_row(m.thread_id, reaction_users.viewer);
    IF m.deleted_at IS NOT NULL THEN
        RETURN;
    END IF;
    extras := chat._part_extras('reaction', m.thread_id, m.id);
    RETURN QUERY
    SELECT r.reaction, r.user_id, r.created_at, extras -> r.reaction -> (r.user_id::text)
      FROM chat.reaction r
     WHERE r.thread_id = m.thread_id AND r.message_id = m.id
       AND (reaction_users.which IS NULL OR r.reaction = reaction_users.which)
     ORDER BY r.created_at, r.user_id, r.reaction;
END
$$;
COMMENT ON FUNCTION chat.reaction_users(bigint, chat.user_id, text) IS
    'Reactions to a message for a member of its thread, one row per user and reaction (only those of reaction "which" when given), oldest first, with the swapped reaction model''s row as extra; none for a deleted message';
