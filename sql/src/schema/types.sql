
/* ========================================================================
 * schema/types.sql: the user id domain, enums and id sequences
 * ======================================================================== */

/*
 * chat.user_id: the type of every user column.  Its base type is chosen once
 * per database by the setting chat.user_id_type before CREATE EXTENSION.
 * A value stored with ALTER DATABASE (or ALTER ROLE ... IN DATABASE) reaches
 * sessions that start afterwards only, so it is read from the catalog too: a
 * session that set it right before CREATE EXTENSION, and a pg_dump --create
 * restore, get the same type.  A session value that contradicts the stored
 * one is refused rather than guessed between.
 */
DO $$
DECLARE
    here text := CASE WHEN (SELECT g.source FROM pg_catalog.pg_settings g
                             WHERE g.name OPERATOR(pg_catalog.=) 'chat.user_id_type')
                           IS DISTINCT FROM 'default'
                      THEN nullif(pg_catalog.current_setting('chat.user_id_type', true), '') END;
    stored text := (SELECT pg_catalog.substr(c, pg_catalog.length('chat.user_id_type=') + 1)
                      FROM pg_catalog.pg_db_role_setting s, pg_catalog.unnest(s.setconfig) c
                     WHERE s.setdatabase IN (0, (SELECT d.oid FROM pg_catalog.pg_database d
                                                  WHERE d.datname OPERATOR(pg_catalog.=) pg_catalog.current_database()))
                       AND s.setrole IN (0, (SELECT r.oid FROM pg_catalog.pg_roles r
                                              WHERE r.rolname OPERATOR(pg_catalog.=) CURRENT_USER))
                       AND c LIKE 'chat.user\_id\_type=%'
                     ORDER BY s.setrole OPERATOR(pg_catalog.<>) 0 DESC, s.setdatabase OPERATOR(pg_catalog.<>) 0 DESC
                     LIMIT 1);
    base text := coalesce(here, stored, 'bigint');
BEGIN
    IF here IS NOT NULL AND stored IS NOT NULL AND here OPERATOR(pg_catalog.<>) stored THEN
        RAISE EXCEPTION 'chat.user_id_type is "%" in this session but "%" for this database', here, stored
            USING ERRCODE = '22023',
                  HINT = 'Create the extension in a new session, or set chat.user_id_type to the stored value first.';
    END IF;
    IF base NOT IN ('bigint', 'integer', 'uuid', 'text') THEN
        RAISE EXCEPTION 'invalid value for setting "chat.user_id_type": "%"', base
            USING ERRCODE = '22023',
                  HINT = 'Valid values are "bigint", "integer", "uuid" and "text".';
    END IF;
    EXECUTE pg_catalog.format('CREATE DOMAIN chat.user_id AS %s', base);
    EXECUTE pg_catalog.format('CREATE DOMAIN chat.user_ids AS %s[]', base);
END
$$;
COMMENT ON DOMAIN chat.user_id IS
    'The application''s user id; base type chosen by chat.user_id_type before CREATE EXTENSION';
/*
 * Lists of user ids in results: an array of chat.user_id has a type of its
 * own, whose OID differs from database to database, and drivers return it
 * as text; a domain over the base type's array is sent to clients as that
 * array type (bigint[] ...), which every driver decodes.
 */
COMMENT ON DOMAIN chat.user_ids IS
    'A list of user ids as returned to clients: an array of chat.user_id''s base type';

/*
 * Kinds and roles are enums rather than CHECK constraints: PostgreSQL 15
 * re-reads a table's CHECK constraints for every statement that writes it,
 * and the thread and member rows are written by every message.
 */
CREATE TYPE chat.thread_kind AS ENUM ('private', 'direct', 'group', 'channel');
CREATE TYPE chat.member_role AS ENUM ('owner', 'admin', 'member');
CREATE TYPE chat.message_kind AS ENUM ('text', 'system');
COMMENT ON TYPE chat.thread_kind IS 'private (pinax thread with a subject), direct (1:1), group, channel';
COMMENT ON TYPE chat.member_role IS 'Role of a member in a thread';
COMMENT ON TYPE chat.message_kind IS 'text (written by a member) or system (e.g. "Alice added Bob")';

CREATE SEQUENCE chat.thread_id_seq;
CREATE SEQUENCE chat.message_id_seq;
COMMENT ON SEQUENCE chat.message_id_seq IS
    'Message ids: taken while the thread row is locked, so they increase within a thread in commit order';
SELECT pg_catalog.pg_extension_config_dump('chat.thread_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('chat.message_id_seq', '');
