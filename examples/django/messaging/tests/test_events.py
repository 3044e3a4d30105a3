"""chat's events reach a listener at commit, never from a rolled-back transaction.

The NOTIFY payload is only a doorbell ({"seq": n}: any role may LISTEN); the listener reads the
events with chat.feed(cursor), as a relay does (the app's role is a server role).
"""
import json
import select
import time

import psycopg2
from django.db import connection, transaction

from messaging import chat

from .base import ChatTransactionTestCase, make_users


class EventTests(ChatTransactionTestCase):

    def setUp(self):
        # A dedicated connection, in autocommit, as a listener process would hold.
        self.listener = psycopg2.connect(**connection.get_connection_params())
        self.listener.autocommit = True
        cur = self.listener.cursor()
        cur.execute('LISTEN chat')
        cur.execute("SELECT chat.feed() ->> 'cursor'")
        self.cursor = cur.fetchone()[0]
        self.alice, self.bob = make_users('alice', 'bob')

    def tearDown(self):
        self.listener.close()

    def events(self, wait=2.0):
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if select.select([self.listener], [], [], 0.1)[0]:
                self.listener.poll()
        rang = [json.loads(n.payload) for n in self.listener.notifies]
        self.listener.notifies.clear()
        for doorbell in rang:
            self.assertEqual(set(doorbell), {'seq'})           # a doorbell, nothing private
        # read the feed whether or not it rang: a session rings at most once per
        # notify_interval_ms, so a relay also polls
        cur = self.listener.cursor()
        cur.execute('SELECT chat.feed(%s)', [self.cursor])
        feed = cur.fetchone()[0]                                # jsonb: a dict
        self.cursor = feed['cursor']
        return [e['event'] for e in feed['events']]

    def test_a_reply_is_announced_after_commit(self):
        thread, _ = chat.new_thread(self.alice, [self.bob], 'Lunch', 'Pizza?')
        self.events(wait=0.5)
        with transaction.atomic():
            message = chat.reply(thread, self.bob, 'Yes!')
            self.assertEqual(self.events(wait=0.3), [])         # not before the commit
        sent = [e for e in self.events() if e['event'] == 'message_sent']
        self.assertEqual(len(sent), 1)
        self.assertEqual((sent[0]['thread_id'], sent[0]['message_id'], sent[0]['user_id']),
                         (thread, message, self.bob.pk))
        self.assertEqual(sent[0]['user_name'], 'Bob Builder')   # from the display-name function

    def test_nothing_is_announced_from_a_rolled_back_transaction(self):
        thread, _ = chat.new_thread(self.alice, [self.bob], 'Lunch', 'Pizza?')
        self.events(wait=0.5)
        with transaction.atomic():
            chat.reply(thread, self.bob, 'Yes!')
            transaction.set_rollback(True)
        self.assertEqual(self.events(wait=0.5), [])
