
/* ========================================================================
 * internal/mentions.sql: parsing, checking and counting mentions
 *
 * A message's mentions are stored in chat.message.mentions: the members it
 * names, sorted, without the sender.  The insert trigger (src/unread.c)
 * counts each on the mentioned member's row (mention_count, last_mention_id),
 * so a message costs O(mentions), not O(members), in any thread; read state
 * changes recount a member's unread mentions exactly from the stored lists.
 * ======================================================================== */

CREATE FUNCTION chat._parse_mentions(content text) RETURNS chat.user_id[]
    LANGUAGE c STABLE STRICT
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'chat_parse_mentions_sql';
COMMENT ON FUNCTION chat._parse_mentions(text) IS
    'The user ids of the text''s "@{id}" mentions in order (repeats kept); NULL when none (src/mention.c)';

/*
 * An explicit list: one-dimensional (22023), no NULL (22004), at most 1000
 * ids (54000, as src/mention.c); NULL passes.
 */
CREATE FUNCTION chat._check_mentions(mentions chat.user_id[]) RETURNS void
    LANGUAGE plpgsql IMMUTABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF array_ndims(mentions) > 1 THEN
        RAISE EXCEPTION 'mentions must be a one-dimensional array' USING ERRCODE = '22023', COLUMN = 'mentions';
    END IF;
    IF array_position(mentions, NULL) IS NOT NULL THEN
        RAISE EXCEPTION 'mentions must not contain null' USING ERRCODE = '22004', COLUMN = 'mentions';
    END IF;
    IF cardinality(mentions) > 1000 THEN
        RAISE EXCEPTION 'too many mentions' USING ERRCODE = '54000', COLUMN = 'mentions',
            DETAIL = format('The list has %s user ids; the limit is 1000.', cardinality(mentions));
    END IF;
END
$$;
COMMENT ON FUNCTION chat._check_mentions(chat.user_id[]) IS
    'Raise 22023 for a list of mentions of more than one dimension, 22004 for one with NULL, 54000 for more than 1000 ids';

/*
 * How many messages of the thread with lo < id <= hi mention the member:
 * what a move of its read pointer between lo and hi takes from or adds to its
 * mention_count.  Those messages are all committed (hi is at most the newest
 * message the caller's snapshot sees), so the change is exact whatever is
 * sent meanwhile.
 */
CREATE FUNCTION chat._mentions_between(thread bigint, reader chat.user_id, lo bigint, hi bigint)
    RETURNS bigint
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT count(*) FROM chat.message m
     WHERE m.thread_id = thread AND m.id > lo AND m.id <= hi AND m.mentions IS NOT NULL
       AND reader = ANY (m.mentions)
$$;
COMMENT ON FUNCTION chat._mentions_between(bigint, chat.user_id, bigint, bigint) IS
    'How many messages lo < id <= hi of the thread mention the member';
