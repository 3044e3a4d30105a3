"""Identity per request: pass the user, or set_config('chat.user_id', ..., true) in a transaction."""
from django.db import connection

from messaging import chat

from .base import ChatTestCase, ChatTransactionTestCase, make_users


class ActingAsTests(ChatTestCase):

    @classmethod
    def setUpTestData(cls):
        cls.alice, cls.bob, cls.carol = make_users('alice', 'bob', 'carol')

    def test_acting_as_is_the_default_acting_user(self):
        thread, _ = chat.new_thread(self.alice, [self.bob], 'Lunch', 'Pizza?')
        with chat.acting_as(self.bob):
            self.assertEqual(chat.current_user_id(), self.bob.pk)
            answer = chat.reply(thread, None, 'Yes')
            self.assertEqual(chat.badge(None), {'threads': 0, 'messages': 0})
        self.assertEqual(chat.messages(thread, self.alice)[-1]['sender_id'], self.bob.pk)
        # Back to no identity, even inside this test's transaction.
        self.assertIsNone(chat.current_user_id())
        self.assertEqual(answer, chat.messages(thread, self.alice)[-1]['id'])

    def test_an_explicit_user_wins_over_acting_as(self):
        thread, _ = chat.new_thread(self.alice, [self.bob], 'Lunch', 'Pizza?')
        with chat.acting_as(self.bob):
            chat.reply(thread, self.alice, 'From Alice')
        self.assertEqual(chat.messages(thread, self.bob)[-1]['sender_id'], self.alice.pk)

    def test_identity_is_restored_after_a_refusal(self):
        thread, _ = chat.new_thread(self.alice, [self.bob], 'Lunch', 'Pizza?')
        with self.assertRaises(chat.Forbidden):
            with chat.acting_as(self.carol):
                chat.reply(thread, None, 'Me too?')
        self.assertIsNone(chat.current_user_id())


class TransactionScopeTests(ChatTransactionTestCase):

    def test_acting_as_ends_with_its_transaction(self):
        alice, bob = make_users('alice', 'bob')
        thread, _ = chat.new_thread(alice, [bob], 'Lunch', 'Pizza?')
        with chat.acting_as(bob):
            chat.reply(thread, None, 'Yes')
        self.assertIsNone(chat.current_user_id())      # nothing left on the connection

    def test_set_config_outside_a_transaction_is_lost_at_once(self):
        # The middleware trap: Django runs middleware in autocommit, so a transaction-scoped
        # set_config there is gone before the view's first query.
        alice, bob = make_users('alice', 'bob')
        thread, _ = chat.new_thread(alice, [bob], 'Lunch', 'Pizza?')
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('chat.user_id', %s, true)", [str(bob.pk)])
        self.assertIsNone(chat.current_user_id())
        with self.assertRefused(chat.InvalidArgument, sqlstate='22004'):
            chat.reply(thread, None, 'Yes')
