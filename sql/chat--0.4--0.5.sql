-- chat 0.5: faster direct reads under row-level security.
--
-- 0.4's policies asked chat.member for the caller's membership through
-- SubPlans that the planner may turn into a hash of all of the caller's
-- memberships (10,000 rows for a user in 10,000 threads) even to read two
-- rows.  chat._is_member(thread_id) probes chat.member's primary key in C
-- instead, for the user computed once per command (src/identity.c).

\echo Use "ALTER EXTENSION chat UPDATE TO '0.5'" to load this file. \quit

CREATE FUNCTION chat._is_member(thread_id bigint) RETURNS boolean
    LANGUAGE c STABLE
    AS 'MODULE_PATHNAME', 'chat_is_member';
COMMENT ON FUNCTION chat._is_member(bigint) IS
    'Whether chat.current_user_id() is a member of the thread; used by row-level security, safe for anyone';
GRANT EXECUTE ON FUNCTION chat._is_member(bigint) TO PUBLIC;

ALTER POLICY member_read ON chat.member
    USING ((SELECT chat.is_server_role())
           OR user_id = (SELECT chat.current_user_id())
           OR chat._is_member(thread_id));

ALTER POLICY thread_read ON chat.thread
    USING ((SELECT chat.is_server_role()) OR chat._is_member(id));

ALTER POLICY message_read ON chat.message
    USING ((SELECT chat.is_server_role())
           OR (chat._is_member(thread_id)
               AND (deleted_at IS NULL OR sender_id = (SELECT chat.current_user_id()))));

-- no policy calls it any more
DROP FUNCTION chat._my_threads();
