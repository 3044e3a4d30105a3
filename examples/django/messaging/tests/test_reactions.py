"""Reactions: toggling, the summary, users as lists of ids (contract item 7)."""
from messaging import chat

from .base import ChatTestCase, make_users


class ReactionTests(ChatTestCase):

    @classmethod
    def setUpTestData(cls):
        cls.alice, cls.bob, cls.carol = make_users('alice', 'bob', 'carol')

    def setUp(self):
        self.thread, self.message = chat.new_thread(self.alice, [self.bob, self.carol], 'Lunch', 'Pizza?')

    def test_toggle_adds_then_removes(self):
        self.assertTrue(chat.toggle_reaction(self.message, self.bob, '🍕'))
        self.assertFalse(chat.toggle_reaction(self.message, self.bob, '🍕'))
        self.assertEqual(chat.reactions(self.message, self.alice), [])

    def test_reactions_list_who_reacted(self):
        chat.toggle_reaction(self.message, self.bob, '🍕')
        chat.toggle_reaction(self.message, self.carol, '🍕')
        chat.toggle_reaction(self.message, self.carol, '👍')
        summary = chat.reactions(self.message, self.carol)
        self.assertEqual([(r['reaction'], r['count'], r['reacted_by_viewer']) for r in summary],
                         [('🍕', 2, True), ('👍', 1, True)])
        # Ids as a list of ints, not the text '{2,3}' of a chat.user_id[] (contract item 7).
        self.assertEqual(sorted(summary[0]['users']), sorted([self.bob.pk, self.carol.pk]))

    def test_messages_carry_their_reactions_as_json(self):
        chat.toggle_reaction(self.message, self.bob, '🍕')
        reactions = chat.messages(self.thread, self.alice)[0]['reactions']
        self.assertEqual(reactions, [{'reaction': '🍕', 'count': 1, 'users': [self.bob.pk]}])

    def test_a_non_member_cannot_react(self):
        dan, = make_users('dan')
        with self.assertRefused(chat.Forbidden, sqlstate='42501', reason='not_member'):
            chat.toggle_reaction(self.message, dan, '🍕')
