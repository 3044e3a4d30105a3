"""The JSON API: the signed-in user acts, refusals come back with chat's reason."""
import json

from messaging import chat

from .base import ChatTestCase, make_users


class ViewTests(ChatTestCase):

    @classmethod
    def setUpTestData(cls):
        cls.alice, cls.bob, cls.carol = make_users('alice', 'bob', 'carol')

    def post(self, user, url, data):
        self.client.force_login(user)
        return self.client.post(url, json.dumps(data), content_type='application/json')

    def get(self, user, url):
        self.client.force_login(user)
        return self.client.get(url)

    def test_signed_in_users_only(self):
        self.assertEqual(self.client.get('/chat/badge/').status_code, 401)

    def test_a_conversation(self):
        r = self.post(self.alice, '/chat/threads/', {'recipients': [self.bob.pk], 'subject': 'Lunch',
                                                     'content': 'Pizza?'})
        self.assertEqual(r.status_code, 201, r.content)
        thread = r.json()['thread_id']
        self.assertEqual(self.get(self.bob, '/chat/badge/').json(), {'threads': 1, 'messages': 1})
        inbox = self.get(self.bob, '/chat/inbox/').json()
        self.assertEqual([t['subject'] for t in inbox['threads']], ['Lunch'])
        self.assertEqual(inbox['next'], inbox['threads'][0]['cursor'])
        r = self.post(self.bob, '/chat/threads/%d/replies/' % thread, {'content': 'Yes!'})
        self.assertEqual(r.status_code, 201, r.content)
        reply = r.json()['message_id']
        messages = self.get(self.alice, '/chat/threads/%d/messages/' % thread).json()['messages']
        self.assertEqual([(m['sender_id'], m['content']) for m in messages],
                         [(self.alice.pk, 'Pizza?'), (self.bob.pk, 'Yes!')])
        r = self.post(self.alice, '/chat/messages/%d/reactions/' % reply, {'reaction': '🍕'})
        self.assertEqual(r.json(), {'present': True})
        r = self.get(self.bob, '/chat/messages/%d/reactions/' % reply).json()
        self.assertEqual([(x['reaction'], x['count'], x['reacted_by_viewer']) for x in r['reactions']],
                         [('🍕', 1, False)])
        self.assertEqual(self.post(self.alice, '/chat/threads/%d/read/' % thread, {}).json(), {'read': 1})
        self.assertEqual(self.get(self.alice, '/chat/badge/').json(), {'threads': 0, 'messages': 0})

    def test_groups(self):
        r = self.post(self.alice, '/chat/groups/', {'title': 'Book club', 'members': [self.bob.pk]})
        club = r.json()['thread_id']
        r = self.post(self.bob, '/chat/threads/%d/members/' % club, {'users': [self.carol.pk]})
        self.assertEqual(r.json(), {'added': 1})
        members = self.get(self.carol, '/chat/threads/%d/members/' % club).json()['members']
        self.assertEqual(sorted(m['user_id'] for m in members), sorted([self.alice.pk, self.bob.pk, self.carol.pk]))
        r = self.post(self.alice, '/chat/groups/', {'title': 'News', 'channel': True, 'members': [self.bob.pk]})
        r = self.post(self.bob, '/chat/threads/%d/replies/' % r.json()['thread_id'], {'content': 'Hi'})
        self.assertEqual(r.status_code, 403)
        self.assertEqual(r.json()['error'], 'missing_permission')

    def test_refusals_carry_chats_reason(self):
        thread, _ = chat.new_thread(self.alice, [self.bob], 'Lunch', 'Pizza?')
        r = self.post(self.carol, '/chat/threads/%d/replies/' % thread, {'content': 'Me too?'})
        self.assertEqual(r.status_code, 403)
        self.assertEqual(r.json()['error'], 'not_member')
        self.assertEqual(r.json()['sqlstate'], '42501')
        r = self.post(self.bob, '/chat/threads/%d/replies/' % thread, {'content': ' '})
        self.assertEqual(r.status_code, 400)
        self.assertEqual((r.json()['error'], r.json()['argument']), ('invalid_argument', 'content'))
        r = self.get(self.bob, '/chat/threads/%d/messages/' % 10 ** 12)
        self.assertEqual(r.status_code, 404)
        # The request's transaction survived the refusals: the same session goes on.
        r = self.post(self.bob, '/chat/threads/%d/replies/' % thread, {'content': 'Yes!'})
        self.assertEqual(r.status_code, 201, r.content)

    def test_nobody_acts_as_someone_else_through_the_api(self):
        thread, _ = chat.new_thread(self.alice, [self.bob], 'Lunch', 'Pizza?')
        # A client-supplied "sender" is ignored: the view passes request.user.
        r = self.post(self.bob, '/chat/threads/%d/replies/' % thread, {'content': 'Hi', 'sender': self.alice.pk})
        self.assertEqual(r.status_code, 201)
        self.assertEqual(chat.messages(thread, self.alice)[-1]['sender_id'], self.bob.pk)
