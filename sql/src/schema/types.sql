
/* ========================================================================
 * schema/types.sql: the user id domain, enums and id sequences
 * ======================================================================== */

/*
 * chat.user_id: the type of every user column.  Its base type is chosen once
 * per database by the setting chat.user_id_type before CREATE EXTENSION.
 */
DO $$
DECLARE
    base text := coalesce(nullif(pg_catalog.current_setting('chat.user_id_type', true), ''), 'bigint');
BEGIN
    IF base NOT IN ('bigint', 'integer', 'uuid', 'text') THEN
        RAISE EXCEPTION 'invalid value for setting "chat.user_id_type": "%"', base
            USING ERRCODE = '22023',
                  HINT = 'Valid values are "bigint", "integer", "uuid" and "text".';
    END IF;
    EXECUTE pg_catalog.format('CREATE DOMAIN chat.user_id AS %s', base);
END
$$;
COMMENT ON DOMAIN chat.user_id IS
    'The application''s user id; base type chosen by chat.user_id_type before CREATE EXTENSION';

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
