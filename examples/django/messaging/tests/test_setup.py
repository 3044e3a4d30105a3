"""The recipe itself: who Django is, where chat came from, the binding of auth_user."""
from django.db import connection

from messaging import chat

from .base import ChatTestCase, make_users


class SetupTests(ChatTestCase):

    def test_django_is_a_chat_server_role_not_a_superuser(self):
        role = chat.query('SELECT rolname, rolsuper, rolcreatedb FROM pg_roles WHERE rolname = current_user')[0]
        self.assertEqual(role['rolname'], connection.settings_dict['USER'])
        self.assertFalse(role['rolsuper'])
        self.assertTrue(role['rolcreatedb'])
        self.assertTrue(chat.is_server_role())

    def test_chat_came_from_the_template_installed_by_a_superuser(self):
        ext = chat.query("""SELECT e.extversion, r.rolsuper AS owner_is_superuser
                              FROM pg_extension e JOIN pg_roles r ON r.oid = e.extowner
                             WHERE e.extname = 'chat'""")
        self.assertEqual(len(ext), 1)
        self.assertTrue(ext[0]['owner_is_superuser'])
        self.assertIn(connection.settings_dict['USER'], chat.call('get_setting', key='server_roles'))

    def test_auth_user_is_bound_integer_ids_against_chats_ids(self):
        # contract item 6: auth_user.id is an integer (Django 3.2's contrib.auth pins AutoField),
        # chat's ids are bigint unless the DBA chose otherwise; the binding accepts it.
        binding = chat.query('SELECT tbl::text AS tbl, id_column, on_delete, display_name::text AS fn '
                             'FROM chat.user_binding')
        self.assertEqual(binding, [{'tbl': 'auth_user', 'id_column': 'id', 'on_delete': 'anonymize',
                                    'fn': chat.display_name_function().replace('public.', '')}])
        id_type = chat.query("SELECT format_type(atttypid, NULL) AS t FROM pg_attribute "
                             "WHERE attrelid = 'public.auth_user'::regclass AND attname = 'id'")[0]['t']
        self.assertEqual(id_type, 'integer')

    def test_a_user_unknown_to_auth_user_is_refused(self):
        alice, bob = make_users('alice', 'bob')
        with self.assertRefused(chat.Conflict, sqlstate='23503'):
            chat.new_thread(alice, [bob.pk, 999999], 'Hello', 'Anyone there?')

    def test_display_names_come_from_auth_user(self):
        alice, dan = make_users('alice', 'dan')
        self.assertEqual(chat.display_name(alice), 'Alice Liddell')
        self.assertEqual(chat.display_name(dan), 'dan')       # no first or last name
        group = chat.create_group(alice, 'Tea party', [dan])
        system = chat.messages(group, alice)
        self.assertEqual([m['kind'] for m in system], ['system'] * len(system))
        self.assertTrue(any('Alice Liddell' in m['content'] for m in system), system)
        names = chat.query('SELECT DISTINCT sender_name FROM chat.message_view WHERE thread_id = %s', [group])
        self.assertEqual(names, [{'sender_name': 'Alice Liddell'}])
