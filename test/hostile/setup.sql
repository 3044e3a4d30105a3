-- The hostile-input suite's database: roles, chat, an application bound to
-- it (users table, display name, a hook, a swapped message model with its
-- renderer), the conversations the generated calls aim at, the functions
-- and tables the registration calls name, and the driver (hostile.run).
-- Run by test/hostile/run.sh as a superuser in a fresh database, with
-- bigint user ids.
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
SET chat.user_id_type = 'bigint';
SET chat.user_id = '';
SET request.jwt.claims = '';
CREATE EXTENSION chat;

/* ---- roles ----------------------------------------------------------------------
 * hostile_srv is listed in server_roles; hostile_app (a member of it, not a
 * superuser) is the application server the calls run as.  hostile_user is an
 * end user mapped to user 2 with chat.map_role; hostile_web an end user
 * without a mapping whose identity is request.jwt.claims or chat.user_id, as
 * under PostgREST.  hostile_spare is a role the role-mapping calls may name.
 * The roles are created by run.sh (they belong to the cluster).
 */
SELECT chat.set_setting('server_roles', '["hostile_srv"]') \g /dev/null
SELECT chat.map_role('hostile_user', 2) \g /dev/null

/* ---- the application ------------------------------------------------------------ */
CREATE SCHEMA hostile_app;
GRANT USAGE ON SCHEMA hostile_app TO PUBLIC;
-- 200,000 users, so that a 100,000-member room is not refused for unknown users
CREATE TABLE hostile_app.users (id bigint PRIMARY KEY, name text NOT NULL);
INSERT INTO hostile_app.users SELECT g, 'user ' || g FROM generate_series(1, 200000) g;
GRANT REFERENCES, SELECT ON hostile_app.users TO hostile_srv;
CREATE FUNCTION hostile_app.user_name(id bigint) RETURNS text LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    RETURN (SELECT u.name FROM hostile_app.users u WHERE u.id = user_name.id);
CREATE TABLE hostile_app.outbox (id bigserial PRIMARY KEY, event jsonb NOT NULL);
CREATE FUNCTION hostile_app.on_event(e jsonb) RETURNS void LANGUAGE sql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$ INSERT INTO hostile_app.outbox (event) VALUES (e) $$;
CREATE TABLE hostile_app.message_meta (
    thread_id   bigint,
    message_id  bigint,
    priority    text NOT NULL DEFAULT 'normal' CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
    n           integer,
    flag        boolean NOT NULL DEFAULT false,
    at          timestamptz,
    tags        text[],
    doc         jsonb,
    PRIMARY KEY (thread_id, message_id),
    FOREIGN KEY (thread_id, message_id) REFERENCES chat.message (thread_id, id) ON DELETE CASCADE
);
GRANT SELECT, INSERT, UPDATE, DELETE ON hostile_app.message_meta TO hostile_srv;
CREATE FUNCTION hostile_app.render(extra jsonb) RETURNS jsonb LANGUAGE sql STABLE
    AS $$ SELECT extra || '{"rendered": true}' $$;
SELECT chat.use_user_table('hostile_app.users', display_name => 'hostile_app.user_name(bigint)') \g /dev/null
SELECT chat.add_hook('message_sent', 'hostile_app.on_event(jsonb)') \g /dev/null
SELECT chat.add_hook('member_added', 'hostile_app.on_event(jsonb)') \g /dev/null
SELECT chat.swap_model('message', 'hostile_app.message_meta') \g /dev/null
SELECT chat.swap_renderer('message', 'hostile_app.render(jsonb)') \g /dev/null

/* ---- what the registration calls name -------------------------------------------
 * Good and bad hooks, renderers and display-name functions, good and bad
 * tables to bind or swap.  hostile_fx.gone_* existed once: their OIDs name
 * nothing (hostile.fx keeps them).
 */
CREATE SCHEMA hostile_fx;
GRANT USAGE ON SCHEMA hostile_fx TO PUBLIC;
CREATE FUNCTION hostile_fx.hook(e jsonb) RETURNS void LANGUAGE sql AS $$ SELECT $$;
CREATE FUNCTION hostile_fx.hook_returns_int(e jsonb) RETURNS integer LANGUAGE sql AS $$ SELECT 1 $$;
CREATE FUNCTION hostile_fx.srf_hook(e jsonb) RETURNS SETOF void LANGUAGE sql AS $$ SELECT $$;
CREATE FUNCTION hostile_fx.srf_jsonb(e jsonb) RETURNS SETOF jsonb LANGUAGE sql AS $$ SELECT e UNION ALL SELECT e $$;
CREATE FUNCTION hostile_fx.table_fn(e jsonb) RETURNS TABLE (a int, b jsonb) LANGUAGE sql AS $$ SELECT 1, e $$;
CREATE FUNCTION hostile_fx.out_args(e jsonb, OUT a int, OUT b jsonb) LANGUAGE sql AS $$ SELECT 1, e $$;
CREATE FUNCTION hostile_fx.two_args(e jsonb, x int DEFAULT 0) RETURNS jsonb LANGUAGE sql AS $$ SELECT e $$;
CREATE FUNCTION hostile_fx.no_args() RETURNS jsonb LANGUAGE sql AS $$ SELECT '{}'::jsonb $$;
CREATE FUNCTION hostile_fx.text_arg(e text) RETURNS jsonb LANGUAGE sql AS $$ SELECT '{}'::jsonb $$;
CREATE FUNCTION hostile_fx.json_arg(e json) RETURNS jsonb LANGUAGE sql AS $$ SELECT '{}'::jsonb $$;
CREATE FUNCTION hostile_fx.variadic_fn(VARIADIC e jsonb[]) RETURNS jsonb LANGUAGE sql AS $$ SELECT e[1] $$;
CREATE FUNCTION hostile_fx.poly(e anyelement) RETURNS anyelement LANGUAGE sql AS $$ SELECT e $$;
CREATE FUNCTION hostile_fx.renders_text(e jsonb) RETURNS text LANGUAGE sql AS $$ SELECT e::text $$;
CREATE FUNCTION hostile_fx.renders_null(e jsonb) RETURNS jsonb LANGUAGE sql AS $$ SELECT NULL::jsonb $$;
CREATE FUNCTION hostile_fx.renders_array(e jsonb) RETURNS jsonb LANGUAGE sql AS $$ SELECT '[1, 2]'::jsonb $$;
CREATE FUNCTION hostile_fx.renders_huge(e jsonb) RETURNS jsonb LANGUAGE sql
    AS $$ SELECT jsonb_build_object('big', repeat('x', 100000)) $$;
CREATE PROCEDURE hostile_fx.proc(e jsonb) LANGUAGE sql AS $$ SELECT $$;
CREATE FUNCTION hostile_fx.trig() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$;
CREATE FUNCTION hostile_fx.agg_step(s jsonb, e jsonb) RETURNS jsonb LANGUAGE sql AS $$ SELECT e $$;
CREATE AGGREGATE hostile_fx.agg(jsonb) (SFUNC = hostile_fx.agg_step, STYPE = jsonb);
CREATE FUNCTION hostile_fx.agg_name_step(s text, u bigint) RETURNS text LANGUAGE sql AS $$ SELECT u::text $$;
CREATE AGGREGATE hostile_fx.agg_name(bigint) (SFUNC = hostile_fx.agg_name_step, STYPE = text);
-- executable by the server role only: end users' events would fail on it
CREATE FUNCTION hostile_fx.private_hook(e jsonb) RETURNS void LANGUAGE sql AS $$ SELECT $$;
REVOKE EXECUTE ON FUNCTION hostile_fx.private_hook(jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION hostile_fx.private_hook(jsonb) TO hostile_srv;
-- executable by nobody but its owner
CREATE FUNCTION hostile_fx.secret_hook(e jsonb) RETURNS void LANGUAGE sql AS $$ SELECT $$;
REVOKE EXECUTE ON FUNCTION hostile_fx.secret_hook(jsonb) FROM PUBLIC;
-- display names
CREATE FUNCTION hostile_fx.name_ok(u bigint) RETURNS text LANGUAGE sql STABLE AS $$ SELECT 'n' || u $$;
CREATE FUNCTION hostile_fx.name_text(u text) RETURNS text LANGUAGE sql STABLE AS $$ SELECT 'n' || u $$;
CREATE FUNCTION hostile_fx.name_int(u integer) RETURNS text LANGUAGE sql STABLE AS $$ SELECT 'n' || u $$;
CREATE FUNCTION hostile_fx.name_returns_int(u bigint) RETURNS integer LANGUAGE sql STABLE AS $$ SELECT 1 $$;
CREATE FUNCTION hostile_fx.name_srf(u bigint) RETURNS SETOF text LANGUAGE sql STABLE AS $$ SELECT 'a' UNION ALL SELECT 'b' $$;
CREATE FUNCTION hostile_fx.name_long(u bigint) RETURNS text LANGUAGE sql STABLE AS $$ SELECT repeat('n', 9000) $$;
CREATE FUNCTION hostile_fx.name_ctl(u bigint) RETURNS text LANGUAGE sql STABLE AS $$ SELECT chr(1) || '"\' || chr(10) $$;
CREATE FUNCTION hostile_fx.name_fails(u bigint) RETURNS text LANGUAGE sql STABLE AS $$ SELECT (1 / 0)::text $$;
CREATE PROCEDURE hostile_fx.name_proc(u bigint) LANGUAGE sql AS $$ SELECT $$;
-- tables to bind
CREATE TABLE hostile_fx.users_nokey (id bigint);
INSERT INTO hostile_fx.users_nokey SELECT generate_series(1, 10);
CREATE TABLE hostile_fx.users_text (id text PRIMARY KEY);
CREATE TABLE hostile_fx.users_int (id integer PRIMARY KEY);
INSERT INTO hostile_fx.users_int SELECT generate_series(1, 200000);
CREATE TABLE hostile_fx.users_few (id bigint PRIMARY KEY);
INSERT INTO hostile_fx.users_few VALUES (1), (2);
CREATE TABLE hostile_fx.users_uid (uid bigint UNIQUE, id text);
INSERT INTO hostile_fx.users_uid SELECT g, 'u' || g FROM generate_series(1, 200000) g;
CREATE UNLOGGED TABLE hostile_fx.users_unlogged (id bigint PRIMARY KEY);
INSERT INTO hostile_fx.users_unlogged SELECT generate_series(1, 200000);
CREATE TABLE hostile_fx.users_part (id bigint PRIMARY KEY) PARTITION BY RANGE (id);
CREATE TABLE hostile_fx.users_part_1 PARTITION OF hostile_fx.users_part FOR VALUES FROM (MINVALUE) TO (MAXVALUE);
INSERT INTO hostile_fx.users_part SELECT generate_series(1, 200000);
CREATE VIEW hostile_fx.users_view AS SELECT id FROM hostile_app.users;
CREATE MATERIALIZED VIEW hostile_fx.users_mat AS SELECT id FROM hostile_app.users;
CREATE SEQUENCE hostile_fx.seq;
-- tables to swap
CREATE TABLE hostile_fx.thread_meta (
    thread_id bigint PRIMARY KEY REFERENCES chat.thread (id) ON DELETE CASCADE,
    topic text
);
CREATE TABLE hostile_fx.member_meta (
    thread_id bigint, user_id bigint, nick text,
    PRIMARY KEY (thread_id, user_id),
    FOREIGN KEY (thread_id, user_id) REFERENCES chat.member (thread_id, user_id) ON DELETE CASCADE
);
CREATE TABLE hostile_fx.message_nokey (thread_id bigint, message_id bigint, note text);
CREATE TABLE hostile_fx.message_nofk (thread_id bigint, message_id bigint, note text,
                                      PRIMARY KEY (thread_id, message_id));
-- a NOT NULL column without a default: a new message cannot get its row of defaults
CREATE TABLE hostile_fx.message_notnull (
    thread_id bigint, message_id bigint, must text NOT NULL,
    PRIMARY KEY (thread_id, message_id),
    FOREIGN KEY (thread_id, message_id) REFERENCES chat.message (thread_id, id) ON DELETE CASCADE
);
CREATE TABLE hostile_fx.message_meta2 (
    thread_id bigint, message_id bigint, note text DEFAULT 'n',
    PRIMARY KEY (thread_id, message_id),
    FOREIGN KEY (thread_id, message_id) REFERENCES chat.message (thread_id, id) ON DELETE CASCADE
);
GRANT SELECT, INSERT, UPDATE, DELETE, REFERENCES ON ALL TABLES IN SCHEMA hostile_fx TO hostile_srv;
CREATE FUNCTION hostile_fx.gone_hook(e jsonb) RETURNS void LANGUAGE sql AS $$ SELECT $$;
CREATE FUNCTION hostile_fx.gone_name(u bigint) RETURNS text LANGUAGE sql AS $$ SELECT 'x' $$;
CREATE TABLE hostile_fx.gone_table (id bigint PRIMARY KEY);

/* ---- conversations -------------------------------------------------------------
 * User 2 ("me") is the end user: hostile_user is mapped to it, hostile_web's
 * claims name it.  hostile.fx names every id the generator aims at.
 */
CREATE SCHEMA hostile;
CREATE TABLE hostile.fx (name text PRIMARY KEY, value text NOT NULL);
INSERT INTO hostile.fx VALUES
    ('gone_hook', 'hostile_fx.gone_hook(jsonb)'::regprocedure::oid::text),
    ('gone_name', 'hostile_fx.gone_name(bigint)'::regprocedure::oid::text),
    ('gone_table', 'hostile_fx.gone_table'::regclass::oid::text);
DROP FUNCTION hostile_fx.gone_hook(jsonb), hostile_fx.gone_name(bigint);
DROP TABLE hostile_fx.gone_table;
CREATE ROLE hostile_gone;
INSERT INTO hostile.fx VALUES ('gone_role', 'hostile_gone'::regrole::oid::text);
DROP ROLE hostile_gone;

SET chat.user_id = '1';
-- t_own: user 2's group with 1 and 3
SELECT chat.create_group(2, 'own group', '{1,3}') AS t_own \gset
SELECT chat.new_reply(:t_own, 2, 'my message',
        attachments => '[{"key": "s3://b/1", "name": "a.png", "mime": "image/png", "size": 10}]',
        extra => '{"priority": "high"}') AS m_own \gset
SELECT chat.new_reply(:t_own, 1, 'their message', parent_id => :m_own) AS m_other \gset
SELECT chat.add_reaction(:m_other, 1, 'wave') \g /dev/null
SELECT chat.add_reaction(:m_own, 3, '👍') \g /dev/null
SELECT chat.new_reply(:t_own, 2, 'to be deleted') AS m_deleted \gset
SELECT chat.delete_message(:m_deleted, 2) \g /dev/null
SELECT chat.new_reply(:t_own, 2, 'first version') AS m_edited \gset
SELECT chat.edit_message(:m_edited, 2, 'second version') \g /dev/null
SELECT chat.add_members(:t_own, 2, '{4}') \g /dev/null
SELECT max(id) AS m_system FROM chat.message WHERE thread_id = :t_own AND kind = 'system' \gset
SELECT chat.mark_read(:t_own, 1) \g /dev/null
-- t_member: user 1's group where 2 is a plain member
SELECT chat.create_group(1, 'member group', '{2,3}') AS t_member \gset
SELECT chat.new_reply(:t_member, 1, 'hello members') AS m_member \gset
SELECT chat.new_reply(:t_member, 2, 'my reply there') AS m_own_member \gset
-- t_channel: user 1's channel; 2 reads but may not post
SELECT chat.create_channel(1, 'channel', '{2}') AS t_channel \gset
SELECT chat.new_reply(:t_channel, 1, 'announcement') AS m_channel \gset
-- t_public: user 4's public group without 2
SELECT chat.create_group(4, 'public group', '{5}', is_public => true) AS t_public \gset
SELECT chat.new_reply(:t_public, 4, 'public words') AS m_public \gset
-- t_other: a private thread of 5 and 6
SELECT chat.new_message(5, '{6}', 'their subject', 'not for you') AS m_other_thread \gset
SELECT thread_id AS t_other FROM chat.message WHERE id = :m_other_thread \gset
-- t_private: 2's private thread with 1
SELECT chat.new_message(2, '{1}', 'my subject', 'private hello') AS m_private \gset
SELECT thread_id AS t_private FROM chat.message WHERE id = :m_private \gset
SELECT chat.new_reply(:t_private, 1, 'private answer') \g /dev/null
-- direct threads
SELECT chat.direct_thread(2, 3) AS t_direct \gset
SELECT chat.new_reply(:t_direct, 3, 'direct words') AS m_direct \gset
SELECT chat.direct_thread(5, 6) AS t_direct_other \gset
-- object rooms
SELECT chat.object_thread('product', '42', 1, 'product room') AS t_object \gset
SELECT chat.object_thread('doc', '7', 5, 'private doc', is_public => false) AS t_object_private \gset
-- a large group (over inbox_fanout_limit) with 2
SELECT chat.create_group(1, 'large group', (SELECT array_agg(g)::chat.user_id[] FROM generate_series(2, 160) g)) AS t_large \gset
SELECT chat.new_reply(:t_large, 7, 'large words') AS m_large \gset
-- the probes' thread: user 1's group with 2
SELECT chat.create_group(1, 'probe group', '{2}') AS t_probe \gset
SELECT chat.new_reply(:t_probe, 1, 'probe start') AS m_probe \gset
-- gone: a dropped thread and its message
SELECT chat.create_group(2, 'gone', '{1}') AS t_gone \gset
SELECT chat.new_reply(:t_gone, 2, 'gone') AS m_gone \gset
SELECT chat.drop_thread(:t_gone, 2) \g /dev/null
SELECT chat.mute(:t_member, 2) \g /dev/null
SELECT chat.archive_thread(:t_private, 2) \g /dev/null
SELECT cursor AS cursor_own FROM chat.inbox(2, page_size => 1) \gset
RESET chat.user_id;
INSERT INTO hostile.fx VALUES
    ('t_own', :'t_own'), ('t_member', :'t_member'), ('t_channel', :'t_channel'), ('t_public', :'t_public'),
    ('t_other', :'t_other'), ('t_private', :'t_private'), ('t_direct', :'t_direct'),
    ('t_direct_other', :'t_direct_other'), ('t_object', :'t_object'), ('t_object_private', :'t_object_private'),
    ('t_large', :'t_large'), ('t_probe', :'t_probe'), ('t_gone', :'t_gone'),
    ('m_own', :'m_own'), ('m_other', :'m_other'), ('m_deleted', :'m_deleted'), ('m_edited', :'m_edited'),
    ('m_system', :'m_system'), ('m_member', :'m_member'), ('m_own_member', :'m_own_member'),
    ('m_channel', :'m_channel'), ('m_public', :'m_public'), ('m_other_thread', :'m_other_thread'),
    ('m_private', :'m_private'), ('m_direct', :'m_direct'), ('m_large', :'m_large'), ('m_probe', :'m_probe'),
    ('m_gone', :'m_gone'), ('cursor_own', :'cursor_own');
INSERT INTO hostile.fx SELECT 't_none', (SELECT max(id) + 1000 FROM chat.thread)::text;
INSERT INTO hostile.fx SELECT 'm_none', (SELECT max(id) + 1000 FROM chat.message)::text;
GRANT USAGE ON SCHEMA hostile TO PUBLIC;

\ir driver.sql
