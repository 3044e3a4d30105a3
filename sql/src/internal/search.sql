
/* ========================================================================
 * internal/search.sql: full-text search: the configuration, the vector trigger, query checks
 * ======================================================================== */

CREATE FUNCTION chat._search_config() RETURNS regconfig
    LANGUAGE c STABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'chat_search_config';
COMMENT ON FUNCTION chat._search_config() IS
    'The text search configuration of the setting search_config, pg_catalog.simple when it no longer exists (src/search.c)';

CREATE FUNCTION chat._message_search() RETURNS trigger
    LANGUAGE c
    AS 'MODULE_PATHNAME', 'chat_message_search';
COMMENT ON FUNCTION chat._message_search() IS
    'Sets chat.message.search_vector of an edited message from its content, under the setting search_config (new messages: chat._message_insert; src/search.c)';

/*
 * The setting search_config: the name of an existing text search
 * configuration, returned as it is stored: a name alone for one of
 * pg_catalog's ("english"), else schema-qualified ("app.chat_fr"), so that it
 * names the same configuration whatever the search_path of a later write
 * (src/search.c reads a name alone as pg_catalog's).  An unknown name is
 * refused here, never at a later write.
 */
CREATE FUNCTION chat._check_ts_config(key text, value jsonb) RETURNS jsonb
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    cfg oid;
    qualified text;
    temp boolean;
BEGIN
    IF jsonb_typeof(value) <> 'string' OR chat._is_blank(value #>> '{}') THEN
        RAISE EXCEPTION 'invalid value for setting "%": %', key, chat._shown(value::text)
            USING ERRCODE = '22023', COLUMN = 'value',
                  DETAIL = 'The setting takes the name of a text search configuration, such as "english" or "pg_catalog.simple".';
    END IF;
    BEGIN
        cfg := (value #>> '{}')::regconfig;
    EXCEPTION WHEN OTHERS THEN
        cfg := NULL;
    END;
    SELECT CASE WHEN n.nspname = 'pg_catalog' THEN quote_ident(c.cfgname) ELSE format('%I.%I', n.nspname, c.cfgname) END,
           n.oid = pg_my_temp_schema() OR n.nspname ~ '^pg_temp_'
      INTO qualified, temp
      FROM pg_ts_config c JOIN pg_namespace n ON n.oid = c.cfgnamespace
     WHERE c.oid = cfg;
    IF qualified IS NULL OR temp THEN
        RAISE EXCEPTION 'text search configuration "%" does not exist', chat._shown(value #>> '{}')
            USING ERRCODE = '22023', COLUMN = 'value',
                  HINT = 'SELECT cfgname FROM pg_ts_config lists the configurations (temporary ones cannot be used).';
    END IF;
    RETURN to_jsonb(qualified);
END
$$;
COMMENT ON FUNCTION chat._check_ts_config(text, jsonb) IS
    'Raise 22023 unless the value names an existing, permanent text search configuration; returns the name to store (pg_catalog''s without schema)';

/*
 * The tsquery of a directory query: every word of it, in configuration
 * simple, as a prefix ("proj tea" finds "Project team"); NULL when it has no
 * word.  Built from lexemes, never parsed as tsquery syntax, so any text is a
 * valid query.
 */
CREATE FUNCTION chat._prefix_query(query text) RETURNS tsquery
    LANGUAGE sql IMMUTABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT nullif(string_agg(format('''%s'':*', replace(replace(w.lexeme, '\', '\\'), '''', '''''')), ' & '), '')::tsquery
      FROM unnest(to_tsvector('pg_catalog.simple'::regconfig, query)) w
$$;
COMMENT ON FUNCTION chat._prefix_query(text) IS
    'A directory query as a tsquery: each word, configuration simple, matched as a prefix; NULL without words';

/*
 * A message's text for a search result: its words around the matches, HTML
 * escaped first (the content is the sender's, shown in a page), each match in
 * <b>...</b>.
 */
CREATE FUNCTION chat._snippet(cfg regconfig, content text, q tsquery) RETURNS text
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT ts_headline(cfg, replace(replace(replace(content, '&', '&amp;'), '<', '&lt;'), '>', '&gt;'), q)
$$;
COMMENT ON FUNCTION chat._snippet(regconfig, text, tsquery) IS
    'The highlighted snippet of a search result: HTML-escaped text, matches in <b>...</b>';

/* A search query: not blank (22023), at most 1,000 characters (22001). */
CREATE FUNCTION chat._check_query(query text) RETURNS void
    LANGUAGE plpgsql IMMUTABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF chat._is_blank(query) THEN
        RAISE EXCEPTION 'query must not be blank' USING ERRCODE = '22023', COLUMN = 'query';
    END IF;
    IF char_length(query) > 1000 THEN
        RAISE EXCEPTION 'query is too long'
            USING ERRCODE = '22001', COLUMN = 'query',
                  DETAIL = format('The query has %s characters; the limit is 1000.', char_length(query));
    END IF;
END
$$;

/*
 * A message search query as a tsquery, in the syntax of web search engines
 * (websearch_to_tsquery: words, "quoted phrases", OR, -excluded), so any text
 * is a valid query; NULL when it has no word (stop words, punctuation).  A
 * query of excluded words only is refused (22023): it would match nearly
 * every message, and no index answers it.
 */
CREATE FUNCTION chat._search_query(cfg regconfig, query text) RETURNS tsquery
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    /* websearch_to_tsquery says NOTICE when it drops stop words */
    SET client_min_messages = warning
    AS $$
DECLARE
    q tsquery := websearch_to_tsquery(cfg, query);
BEGIN
    IF numnode(q) = 0 THEN
        RETURN NULL;
    END IF;
    IF querytree(q) = 'T' THEN
        RAISE EXCEPTION 'query "%" has no word to look for', chat._shown(query)
            USING ERRCODE = '22023', COLUMN = 'query',
                  HINT = 'Excluded words ("-word") narrow a search for other words; alone they would match nearly every message.';
    END IF;
    RETURN q;
END
$$;
COMMENT ON FUNCTION chat._search_query(regconfig, text) IS
    'websearch_to_tsquery of a search query; NULL without words, 22023 for excluded words only';

/*
 * Whether a message of the thread is searched for the viewer: a member, the
 * thread not in their deleted folder (as chat.inbox hides it).  A function,
 * so that the word plan probes chat.member's primary key once per match and
 * is never turned into a join with all of the viewer's memberships.
 */
CREATE FUNCTION chat._search_visible(thread bigint, viewer chat.user_id) RETURNS boolean
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT coalesce((SELECT mb.hidden_id IS NULL
                            OR mb.hidden_id < CASE WHEN mb.large
                                                   THEN (SELECT coalesce(t.last_message_id, 0) FROM chat.thread t
                                                          WHERE t.id = mb.thread_id)
                                                   ELSE mb.activity_id END
                       FROM chat.member mb
                      WHERE mb.thread_id = thread AND mb.user_id = viewer), false)
$$;

/*
 * set_setting('search_config') changed the configuration: every text
 * message's vector is computed again with the new one, in the same
 * transaction, so that words are looked up as they were indexed.  One pass
 * over chat.message; rows whose vector stays the same are not written.
 */
CREATE FUNCTION chat._search_config_changed(old_value jsonb, new_value jsonb) RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    names text[] := parse_ident(new_value #>> '{}');
    cfg regconfig;
BEGIN
    IF old_value IS NOT DISTINCT FROM new_value THEN
        RETURN;
    END IF;
    IF cardinality(names) = 1 THEN
        names := ARRAY['pg_catalog'] || names;
    END IF;
    cfg := format('%I.%I', names[1], names[2])::regconfig;
    UPDATE chat.message m
       SET search_vector = nullif(to_tsvector(cfg, m.content), ''::tsvector)
     WHERE m.kind = 'text' AND m.content IS NOT NULL
       AND m.search_vector IS DISTINCT FROM nullif(to_tsvector(cfg, m.content), ''::tsvector);
END
$$;
COMMENT ON FUNCTION chat._search_config_changed(jsonb, jsonb) IS
    'After search_config changed from old_value to new_value: the words of every text message under the new configuration';
