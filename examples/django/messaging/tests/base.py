"""Shared helpers of the example's tests."""
from contextlib import contextmanager

from django.contrib.auth.models import User
from django.test import TestCase, TransactionTestCase

from messaging import chat

# The apps a TransactionTestCase uses. Setting available_apps makes its flush TRUNCATE ... CASCADE:
# once chat is bound, chat's tables reference auth_user, and PostgreSQL refuses TRUNCATE auth_user
# without CASCADE ("cannot truncate a table referenced in a foreign key constraint"). CASCADE empties
# chat's data tables too, which needs the TRUNCATE grant run-tests.sh gives django_owner.
APPS = ['django.contrib.contenttypes', 'django.contrib.auth', 'django.contrib.sessions', 'messaging']

PEOPLE = {
    'alice': ('Alice', 'Liddell'),
    'bob': ('Bob', 'Builder'),
    'carol': ('Carol', 'Danvers'),
    'dan': ('', ''),               # no name: chat shows the username
}


def make_users(*names):
    users = []
    for name in names:
        first, last = PEOPLE.get(name, ('', ''))
        users.append(User.objects.create_user(name, password='pw', first_name=first, last_name=last))
    return users


class RefusalAsserts:
    @contextmanager
    def assertRefused(self, cls, sqlstate=None, reason=None, column=None):
        """The block raises chat refusal `cls` with this SQLSTATE, reason and argument."""
        with self.assertRaises(cls) as caught:
            yield caught
        e = caught.exception
        if sqlstate is not None:
            self.assertEqual(e.sqlstate, sqlstate, e.message)
        if reason is not None:
            self.assertEqual(e.reason, reason, 'SQLSTATE %s: %s' % (e.sqlstate, e.message))
        if column is not None:
            self.assertEqual(e.column, column, 'SQLSTATE %s: %s' % (e.sqlstate, e.message))

    def assertCountersExact(self):
        self.assertEqual(chat.verify_unread(), [])


class ChatTestCase(RefusalAsserts, TestCase):
    """Each test in one transaction, rolled back."""


class ChatTransactionTestCase(RefusalAsserts, TransactionTestCase):
    """Commits for real (events, identity outside a transaction); flushed with CASCADE after each test."""
    available_apps = APPS
