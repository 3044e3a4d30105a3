"""Deleting a django.contrib.auth user with auth_user bound (contract items 1, 2, 6).

Django's User.delete() knows nothing of chat: it deletes the auth_user row as django_owner, and the
binding's foreign keys do the rest in the mode chosen (settings.CHAT_USER_ON_DELETE, 'anonymize').
"""
from django.db import IntegrityError

from messaging import chat

from .base import ChatTestCase, ChatTransactionTestCase, make_users


def senders(thread, viewer):
    return [m['sender_id'] for m in chat.messages(thread, viewer) if m['kind'] == 'text']


class DeleteCommittedUserTests(ChatTransactionTestCase):
    """The thread and messages were committed before the delete, as in production."""

    def setUp(self):
        self.alice, self.bob, self.carol, self.dan = make_users('alice', 'bob', 'carol', 'dan')
        self.thread, _ = chat.new_thread(self.alice, [self.bob, self.carol], 'Lunch', 'Pizza?')
        chat.reply(self.thread, self.bob, 'Yes!')

    def test_anonymize_keeps_the_messages_without_their_sender(self):
        bob_id = self.bob.pk
        self.bob.delete()
        self.assertEqual(senders(self.thread, self.alice), [self.alice.pk, None])
        self.assertEqual(chat.messages(self.thread, self.carol)[-1]['content'], 'Yes!')
        self.assertNotIn(bob_id, [m['user_id'] for m in chat.members(self.thread, self.alice)])
        self.assertEqual(chat.inbox(self.carol)[0]['member_count'], 2)
        self.assertEqual(chat.badge(self.carol), {'threads': 1, 'messages': 2})
        self.assertEqual(chat.badge(self.alice), {'threads': 1, 'messages': 1})
        self.assertCountersExact()

    def test_deleting_the_creator(self):
        self.alice.delete()
        self.assertIsNone(chat.started_by(self.thread))
        self.assertEqual(senders(self.thread, self.bob), [None, self.bob.pk])
        self.assertCountersExact()

    def test_deleting_a_user_chat_never_saw(self):
        self.dan.delete()
        self.assertCountersExact()


class DeleteUserTests(ChatTestCase):
    """Everything in the test's one transaction, as in any Django TestCase."""

    @classmethod
    def setUpTestData(cls):
        cls.alice, cls.bob, cls.carol, cls.dan = make_users('alice', 'bob', 'carol', 'dan')

    def test_anonymize_the_creator_of_a_thread_made_in_the_same_transaction(self):
        # contract item 2
        thread, _ = chat.new_thread(self.alice, [self.bob], 'Lunch', 'Pizza?')
        chat.reply(thread, self.bob, 'Yes!')
        self.alice.delete()
        self.assertIsNone(chat.started_by(thread))
        self.assertEqual(senders(thread, self.bob), [None, self.bob.pk])
        self.assertEqual(chat.inbox(self.bob)[0]['member_count'], 1)
        self.assertCountersExact()

    def test_restrict_refuses_to_delete_a_user_chat_knows(self):
        chat.bind_auth_user('restrict')
        thread, _ = chat.new_thread(self.alice, [self.bob], 'Lunch', 'Pizza?')
        with self.assertRefused(chat.Conflict, sqlstate='23503') as caught:
            with chat.savepoint():
                self.bob.delete()
        self.assertIsInstance(caught.exception.__cause__, IntegrityError)
        self.dan.delete()                   # chat never saw Dan
        self.assertEqual(sorted(m['user_id'] for m in chat.members(thread, self.alice)),
                         sorted([self.alice.pk, self.bob.pk]))

    def test_cascade_deletes_the_users_messages(self):
        chat.bind_auth_user('cascade')
        thread, _ = chat.new_thread(self.alice, [self.bob, self.carol], 'Lunch', 'Pizza?')
        chat.reply(thread, self.bob, 'Yes!')
        chat.reply(thread, self.carol, 'Me too')
        self.bob.delete()
        self.assertEqual(senders(thread, self.alice), [self.alice.pk, self.carol.pk])
        self.assertEqual(chat.badge(self.alice), {'threads': 1, 'messages': 1})
        self.assertCountersExact()
