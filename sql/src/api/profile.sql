
/* ========================================================================
 * api/profile.sql: a room's profile (description, avatar) and the directory of public rooms
 * ======================================================================== */

CREATE FUNCTION chat.set_profile(thread_id bigint,
                                 actor chat.user_id DEFAULT chat.current_user_id(),
                                 description text DEFAULT NULL,
                                 avatar text DEFAULT NULL)
    RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    t chat.thread;
    d text;
    a text;
BEGIN
    PERFORM chat._act(actor);
    t := chat._lock_thread(set_profile.thread_id);
    PERFORM chat._not_null(actor, 'actor');
    IF set_profile.description IS NULL AND set_profile.avatar IS NULL THEN
        RAISE EXCEPTION 'argument "description" must not be null' USING ERRCODE = '22004', COLUMN = 'description',
            HINT = 'Pass a description, an avatar or both; an empty string clears one.';
    END IF;
    PERFORM chat._check_profile_text(set_profile.description, 'description', 'max_description_length');
    PERFORM chat._check_profile_text(set_profile.avatar, 'avatar', 'max_avatar_length');
    IF set_profile.avatar ~ '[\x01-\x1f\x7f]' THEN
        RAISE EXCEPTION 'avatar must not contain control characters'
            USING ERRCODE = '22023', COLUMN = 'avatar', HINT = 'Give the key or URL of the picture in your storage.';
    END IF;
    PERFORM chat._require(chat._member_row(t.id, actor), 'edit_thread', 'edit the profile');
    d := CASE WHEN set_profile.description IS NULL THEN t.description ELSE nullif(set_profile.description, '') END;
    a := CASE WHEN set_profile.avatar IS NULL THEN t.avatar ELSE nullif(set_profile.avatar, '') END;
    UPDATE chat.thread th SET description = d, avatar = a WHERE th.id = t.id;
    PERFORM chat._emit('thread_updated', t.id, NULL, actor, jsonb_build_object('description', d, 'avatar', a));
END
$$;
COMMENT ON FUNCTION chat.set_profile(bigint, chat.user_id, text, text) IS
    'Set a room''s description and/or avatar (permission edit_thread): NULL leaves one as it is, an empty string clears it';

CREATE FUNCTION chat.profile(thread_id bigint, viewer chat.user_id DEFAULT chat.current_user_id())
    RETURNS TABLE (kind text, subject text, description text, avatar text,
                   is_public boolean, member_count integer, object_type text, object_id text,
                   created_by chat.user_id, created_at timestamptz, joined boolean)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
#variable_conflict use_column
DECLARE
    t chat.thread;
    joined boolean;
BEGIN
    PERFORM chat._act(viewer);
    PERFORM chat._not_null(profile.thread_id, 'thread_id');
    PERFORM chat._not_null(profile.viewer, 'viewer');
    SELECT * INTO t FROM chat.thread th WHERE th.id = profile.thread_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'thread % does not exist', profile.thread_id USING ERRCODE = '42704';
    END IF;
    joined := EXISTS (SELECT 1 FROM chat.member mb WHERE mb.thread_id = t.id AND mb.user_id = profile.viewer);
    IF NOT joined AND NOT t.is_public THEN
        RAISE EXCEPTION 'user "%" is not a member of thread %', profile.viewer, t.id
            USING ERRCODE = '42501', CONSTRAINT = 'not_member';
    END IF;
    RETURN QUERY
    SELECT t.kind::text, t.subject, t.description, t.avatar, t.is_public, t.member_count,
           t.object_type, t.object_id, t.created_by, t.created_at, joined;
END
$$;
COMMENT ON FUNCTION chat.profile(bigint, chat.user_id) IS
    'A room''s profile (name, description, avatar, kind, members...) for its members, and for anyone when it is public';

CREATE FUNCTION chat.directory(viewer chat.user_id DEFAULT chat.current_user_id(),
                               query text DEFAULT NULL,
                               after text DEFAULT NULL,
                               page_size integer DEFAULT 50)
    RETURNS TABLE (thread_id bigint, kind text, subject text, description text, avatar text,
                   member_count integer, object_type text, object_id text, joined boolean, cursor text)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    SET jit = off
    SET plan_cache_mode = force_custom_plan
    AS $$
#variable_conflict use_column
DECLARE
    v chat.user_id;
    n integer;
    q tsquery;
    parts text[];
    c_name text;
    c_id bigint;
    probe integer;
    chunk integer;
    got bigint;
    chunk_ids bigint[];
    ids bigint[];
BEGIN
    PERFORM chat._act(viewer);
    v := directory.viewer;
    n := directory.page_size;
    c_name := '';
    c_id := 0;
    probe := 1000;           -- at most this many matches are sorted by name; more: the name order is walked
    chunk := 200;
    ids := '{}';
    PERFORM chat._not_null(v, 'viewer');
    PERFORM chat._check_page_size(n);
    IF directory.after IS NOT NULL THEN
        parts := regexp_match(directory.after, '^(\d{1,19}):(.*)$');
        IF parts IS NULL OR parts[1]::numeric > 9223372036854775807 THEN
            RAISE EXCEPTION 'invalid cursor "%"', chat._shown(directory.after)
                USING ERRCODE = '22023', COLUMN = 'after',
                      HINT = 'Pass the cursor column of the last row of the previous page.';
        END IF;
        c_id := parts[1]::bigint;
        c_name := parts[2];
    END IF;
    IF directory.query IS NOT NULL AND NOT chat._is_blank(directory.query) THEN
        PERFORM chat._check_query(directory.query);
        q := chat._prefix_query(directory.query);
        IF q IS NULL THEN
            RETURN;      -- no word in it
        END IF;
    END IF;

    IF q IS NULL THEN
        RETURN QUERY
        SELECT t.id, t.kind::text, t.subject, t.description, t.avatar, t.member_count, t.object_type, t.object_id,
               coalesce((SELECT true FROM chat.member mb WHERE mb.thread_id = t.id AND mb.user_id = v), false),
               t.id || ':' || lower(coalesce(t.subject, ''))
          FROM chat.thread t
         WHERE t.is_public AND (lower(coalesce(t.subject, '')), t.id) > (c_name, c_id)
         ORDER BY lower(coalesce(t.subject, '')), t.id
         LIMIT n;
    /* "SELECT 1", not "SELECT": Citus cannot run a sub-plan without columns over every shard */
    ELSIF (SELECT count(*)
             FROM (SELECT 1 FROM chat.thread t
                    WHERE t.is_public
                      AND to_tsvector('pg_catalog.simple'::regconfig, coalesce(t.subject, '') || ' ' || coalesce(t.description, '')) @@ q
                    LIMIT probe + 1) x) <= probe THEN
        /* a rare query: its matches from the index, in name order */
        RETURN QUERY
        SELECT t.id, t.kind::text, t.subject, t.description, t.avatar, t.member_count, t.object_type, t.object_id,
               coalesce((SELECT true FROM chat.member mb WHERE mb.thread_id = t.id AND mb.user_id = v), false),
               t.id || ':' || lower(coalesce(t.subject, ''))
          FROM (SELECT * FROM chat.thread t
                 WHERE t.is_public
                   AND to_tsvector('pg_catalog.simple'::regconfig, coalesce(t.subject, '') || ' ' || coalesce(t.description, '')) @@ q
                OFFSET 0) t
         WHERE (lower(coalesce(t.subject, '')), t.id) > (c_name, c_id)
         ORDER BY lower(coalesce(t.subject, '')), t.id
         LIMIT n;
    ELSE
        /*
         * A common query (more than probe rooms): the rooms in name order,
         * checked a chunk at a time until the page is full.  A query with the
         * condition would be planned from an estimate that knows no words,
         * and could sort every match instead.
         */
        LOOP
            SELECT array_agg(x.id ORDER BY x.k, x.id) FILTER (WHERE x.hit), count(*),
                   (array_agg(x.k ORDER BY x.k DESC, x.id DESC))[1], (array_agg(x.id ORDER BY x.k DESC, x.id DESC))[1]
              INTO chunk_ids, got, c_name, c_id
              FROM (SELECT t.id, lower(coalesce(t.subject, '')) AS k,
                           to_tsvector('pg_catalog.simple'::regconfig,
                                       coalesce(t.subject, '') || ' ' || coalesce(t.description, '')) @@ q AS hit
                      FROM chat.thread t
                     WHERE t.is_public AND (lower(coalesce(t.subject, '')), t.id) > (c_name, c_id)
                     ORDER BY 2, 1
                     LIMIT chunk) x;
            ids := ids || coalesce(chunk_ids, '{}');
            EXIT WHEN cardinality(ids) >= n OR got < chunk;
            chunk := least(chunk * 2, 4000);
        END LOOP;
        RETURN QUERY
        SELECT t.id, t.kind::text, t.subject, t.description, t.avatar, t.member_count, t.object_type, t.object_id,
               coalesce((SELECT true FROM chat.member mb WHERE mb.thread_id = t.id AND mb.user_id = v), false),
               t.id || ':' || lower(coalesce(t.subject, ''))
          FROM unnest(ids[1:n]) WITH ORDINALITY u(id, pos)
          JOIN chat.thread t ON t.id = u.id
         ORDER BY u.pos;
    END IF;
END
$$;
COMMENT ON FUNCTION chat.directory(chat.user_id, text, text, integer) IS
    'Public rooms by name, optionally those whose name and description have every word of the query (as prefixes); pass the last row''s cursor as "after" for the next page';
