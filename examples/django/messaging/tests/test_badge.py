"""The unread badge is chat.unread_count (contract item 9): muted and archived threads left out."""
from messaging import chat

from .base import ChatTestCase, make_users


class BadgeTests(ChatTestCase):

    @classmethod
    def setUpTestData(cls):
        cls.alice, cls.bob = make_users('alice', 'bob')

    def test_badge_counts_unread_threads_and_messages(self):
        self.assertEqual(chat.badge(self.bob), {'threads': 0, 'messages': 0})
        lunch, _ = chat.new_thread(self.alice, [self.bob], 'Lunch', 'Pizza?')
        chat.reply(lunch, self.alice, 'At noon')
        chat.new_thread(self.alice, [self.bob], 'Keys', 'Have you seen them?')
        self.assertEqual(chat.badge(self.bob), {'threads': 2, 'messages': 3})
        chat.mark_read(lunch, self.bob)
        self.assertEqual(chat.badge(self.bob), {'threads': 1, 'messages': 1})

    def test_muted_and_archived_threads_leave_the_badge(self):
        lunch, _ = chat.new_thread(self.alice, [self.bob], 'Lunch', 'Pizza?')
        chat.reply(lunch, self.alice, 'At noon')
        keys, _ = chat.new_thread(self.alice, [self.bob], 'Keys', 'Have you seen them?')
        news, _ = chat.new_thread(self.alice, [self.bob], 'News', 'Nothing new')
        chat.mute(keys, self.bob)
        chat.archive_thread(news, self.bob)
        self.assertEqual(chat.badge(self.bob), {'threads': 1, 'messages': 2})
        # The other counts are not the badge: the "unread" folder keeps the muted thread, and the
        # inbox rows' unread_count sums every listed thread's messages.
        self.assertEqual(chat.inbox_count(self.bob, 'unread'), 2)
        self.assertEqual(sum(t['unread_count'] for t in chat.inbox(self.bob)), 3)
