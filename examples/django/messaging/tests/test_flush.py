"""TransactionTestCase's flush with auth_user bound: TRUNCATE ... CASCADE reaches chat's tables.

Each test starts from empty tables; whichever runs second would find the first one's users and
threads if the flush between them had failed.
"""
from django.contrib.auth.models import User

from messaging import chat

from .base import ChatTransactionTestCase, make_users


class FlushTests(ChatTransactionTestCase):

    def check_empty_then_fill(self):
        self.assertEqual(User.objects.count(), 0)
        self.assertEqual(chat.query('SELECT count(*) AS n FROM chat.thread')[0]['n'], 0)
        self.assertEqual(chat.query('SELECT count(*) AS n FROM chat.message')[0]['n'], 0)
        alice, bob = make_users('alice', 'bob')
        thread, _ = chat.new_thread(alice, [bob], 'Lunch', 'Pizza?')
        chat.toggle_reaction(chat.messages(thread, bob)[0]['id'], bob, '🍕')
        self.assertEqual(chat.badge(bob), {'threads': 1, 'messages': 1})

    def test_flush_first(self):
        self.check_empty_then_fill()

    def test_flush_second(self):
        self.check_empty_then_fill()

    def test_settings_survive_the_flush(self):
        # chat's configuration is not reached by the cascade: django_owner stays a server role.
        self.assertTrue(chat.is_server_role())
        self.assertEqual(chat.query('SELECT count(*) AS n FROM chat.user_binding')[0]['n'], 1)
