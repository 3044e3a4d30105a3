
/* ========================================================================
 * schema/rooms.sql: what each role may do in each kind of thread
 * ======================================================================== */

CREATE TABLE chat.permission_default (
    kind        chat.thread_kind NOT NULL,
    role        chat.member_role NOT NULL,
    permissions text[] NOT NULL,
    PRIMARY KEY (kind, role)
);
COMMENT ON TABLE chat.permission_default IS
    'What each role may do in each kind of thread; a member starts with its role''s set (chat.grant / chat.revoke change it)';
COMMENT ON COLUMN chat.permission_default.kind IS 'kind of thread these defaults apply to';
COMMENT ON COLUMN chat.permission_default.role IS 'member role these defaults apply to';
COMMENT ON COLUMN chat.permission_default.permissions IS
    'permissions a member of this role starts with, copied into chat.member.permissions when a member is added or changes role (a change here does not touch existing members)';

INSERT INTO chat.permission_default (kind, role, permissions) VALUES
    ('private', 'owner',  '{add_members,remove_members,post,delete_messages,delete_own_messages,edit_own_messages,edit_thread,delete_thread}'),
    ('private', 'admin',  '{add_members,remove_members,post,delete_messages,delete_own_messages,edit_own_messages,edit_thread}'),
    ('private', 'member', '{post,delete_own_messages,edit_own_messages}'),
    ('direct',  'owner',  '{post,delete_own_messages,edit_own_messages,delete_thread}'),
    ('direct',  'admin',  '{post,delete_own_messages,edit_own_messages,delete_thread}'),
    ('direct',  'member', '{post,delete_own_messages,edit_own_messages,delete_thread}'),
    ('group',   'owner',  '{add_members,remove_members,post,delete_messages,delete_own_messages,edit_own_messages,edit_thread,delete_thread}'),
    ('group',   'admin',  '{add_members,remove_members,post,delete_messages,delete_own_messages,edit_own_messages,edit_thread}'),
    ('group',   'member', '{add_members,post,delete_own_messages,edit_own_messages}'),
    ('channel', 'owner',  '{add_members,remove_members,post,delete_messages,delete_own_messages,edit_own_messages,edit_thread,delete_thread}'),
    ('channel', 'admin',  '{add_members,remove_members,post,delete_messages,delete_own_messages,edit_own_messages,edit_thread}'),
    ('channel', 'member', '{add_members,delete_own_messages,edit_own_messages}');
