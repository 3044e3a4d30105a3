
/*
 * unread_count: the custom plans PostgreSQL makes for the first five calls of
 * a session misjudge a user's large rooms and read all of chat.thread (4-7 ms
 * for a user in 10,000 rooms); the generic plan is the one to keep, as inbox
 * does since 0.1.
 */
ALTER FUNCTION chat.unread_count(chat.user_id) SET plan_cache_mode = force_generic_plan;
