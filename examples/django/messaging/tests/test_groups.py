"""Groups, channels and direct chats."""
from messaging import chat

from .base import ChatTestCase, make_users


class GroupTests(ChatTestCase):

    @classmethod
    def setUpTestData(cls):
        cls.alice, cls.bob, cls.carol, cls.dan = make_users('alice', 'bob', 'carol', 'dan')

    def test_a_group_has_an_owner_and_members_who_may_add_others(self):
        club = chat.create_group(self.alice, 'Book club', [self.bob])
        roles = {m['user_id']: m['role'] for m in chat.members(club, self.bob)}
        self.assertEqual(roles, {self.alice.pk: 'owner', self.bob.pk: 'member'})
        self.assertEqual(chat.add_members(club, self.bob, [self.carol]), 1)
        self.assertEqual(chat.add_members(club, self.bob, [self.carol]), 0)
        self.assertEqual(chat.inbox(self.carol)[0]['thread_id'], club)
        chat.reply(club, self.carol, 'Hi all')
        self.assertEqual(chat.inbox(self.alice)[0]['last_preview'], 'Hi all')
        self.assertCountersExact()

    def test_only_admins_post_in_a_channel(self):
        news = chat.create_channel(self.alice, 'Announcements', [self.bob])
        chat.reply(news, self.alice, 'Release on Friday')
        with self.assertRefused(chat.Forbidden, sqlstate='42501', reason='missing_permission'):
            chat.reply(news, self.bob, 'Cool')
        self.assertEqual(chat.messages(news, self.bob)[-1]['content'], 'Release on Friday')

    def test_public_groups_can_be_joined_private_ones_cannot(self):
        public = chat.create_group(self.alice, 'Open house', is_public=True)
        private = chat.create_group(self.alice, 'Board')
        chat.join_thread(public, self.dan)
        self.assertIn(self.dan.pk, [m['user_id'] for m in chat.members(public, self.alice)])
        with self.assertRefused(chat.Forbidden, sqlstate='42501', reason='not_public'):
            chat.join_thread(private, self.dan)

    def test_a_direct_chat_is_one_per_pair(self):
        direct = chat.direct_thread(self.alice, self.bob)
        self.assertEqual(chat.direct_thread(self.bob, self.alice), direct)
        self.assertEqual(chat.inbox(self.bob)[0]['kind'], 'direct')
        chat.reply(direct, self.bob, 'Hey')
        self.assertEqual(chat.badge(self.alice), {'threads': 1, 'messages': 1})
