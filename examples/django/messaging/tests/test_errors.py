"""Refusals: SQLSTATE + reason (contract item 8), and a savepoint per chat call."""
from django.contrib.auth.models import User
from django.db import InternalError, ProgrammingError, connection, transaction

from messaging import chat

from .base import ChatTestCase, ChatTransactionTestCase, make_users


class ErrorTests(ChatTestCase):

    @classmethod
    def setUpTestData(cls):
        cls.alice, cls.bob, cls.carol = make_users('alice', 'bob', 'carol')

    def setUp(self):
        self.thread, self.message = chat.new_thread(self.alice, [self.bob], 'Lunch', 'Pizza?')

    def test_not_a_member(self):
        with self.assertRefused(chat.Forbidden, sqlstate='42501', reason='not_member') as caught:
            chat.reply(self.thread, self.carol, 'Me too?')
        self.assertEqual(caught.exception.status, 403)
        # What Django itself raised: 42501 is a ProgrammingError, like a syntax error.
        self.assertIsInstance(caught.exception.__cause__, ProgrammingError)
        self.assertEqual(caught.exception.__cause__.__cause__.pgcode, '42501')

    def test_missing_permission_to_edit_anothers_message(self):
        with self.assertRefused(chat.Forbidden, sqlstate='42501', reason='missing_permission'):
            chat.edit_message(self.message, self.bob, 'Salad?')

    def test_no_acting_user(self):
        # A server role that names nobody, with no session identity: 22004 on the acting user's
        # argument, and a detail that says no acting user was given.
        with self.assertRefused(chat.InvalidArgument, sqlstate='22004', column='sender') as caught:
            chat.reply(self.thread, None, 'Who am I?')
        self.assertIn('no acting user', caught.exception.detail.lower())

    def test_argument_errors_name_the_argument(self):
        with self.assertRefused(chat.InvalidArgument, sqlstate='22023', column='content'):
            chat.reply(self.thread, self.bob, '   ')
        with self.assertRefused(chat.InvalidArgument, sqlstate='22004', column='content'):
            chat.reply(self.thread, self.bob, None)
        with self.assertRefused(chat.InvalidArgument, sqlstate='22001', column='subject'):
            chat.new_thread(self.alice, [self.bob], 'x' * 300, 'Long subject')
        with self.assertRefused(chat.InvalidArgument, sqlstate='22023', column='page_size'):
            chat.inbox(self.bob, page_size=100000)

    def test_unknown_thread(self):
        with self.assertRefused(chat.NotFound, sqlstate='42704') as caught:
            chat.reply(10 ** 12, self.bob, 'Anyone?')
        self.assertEqual(caught.exception.status, 404)

    def test_a_refusal_leaves_the_transaction_usable(self):
        with transaction.atomic():          # as in a request with ATOMIC_REQUESTS
            with self.assertRaises(chat.Forbidden):
                chat.reply(self.thread, self.carol, 'Me too?')
            answer = chat.reply(self.thread, self.bob, 'Yes!')
            self.assertEqual(User.objects.count(), 3)
        self.assertEqual(chat.messages(self.thread, self.alice)[-1]['id'], answer)

    def test_related_calls_share_one_savepoint(self):
        with self.assertRaises(chat.Forbidden):
            with chat.savepoint():
                group = chat.create_group(self.alice, 'Lunch crew', [self.bob])
                chat.reply(group, self.carol, 'Me too?')
        self.assertEqual([t['kind'] for t in chat.inbox(self.bob)], ['private'])   # no group


class NoSavepointTests(ChatTransactionTestCase):

    def test_without_a_savepoint_a_refusal_aborts_the_transaction(self):
        # Why every chat call has its savepoint: the same refusal through a bare cursor.
        alice, bob, carol = make_users('alice', 'bob', 'carol')
        thread, _ = chat.new_thread(alice, [bob], 'Lunch', 'Pizza?')
        with self.assertRaises(InternalError) as caught:
            with transaction.atomic():
                try:
                    with connection.cursor() as cursor:
                        cursor.execute('SELECT chat.new_reply(%s, %s, %s)', [thread, carol.pk, 'Me too?'])
                except ProgrammingError:
                    pass                      # "handled", but PostgreSQL's transaction is aborted
                User.objects.count()
        self.assertIn('current transaction is aborted', str(caught.exception))
