"""Threads (new_message), replies, read state, the inbox and its paging, jsonb decoding."""
from django.db import connection

from messaging import chat

from .base import ChatTestCase, make_users


class ThreadTests(ChatTestCase):

    @classmethod
    def setUpTestData(cls):
        cls.alice, cls.bob, cls.carol, cls.dan = make_users('alice', 'bob', 'carol', 'dan')

    def test_a_new_thread_is_on_top_of_each_recipients_inbox(self):
        thread, message = chat.new_thread(self.alice, [self.bob, self.carol], 'Lunch', 'Pizza at noon?')
        top = chat.inbox(self.bob)[0]
        self.assertEqual(top['thread_id'], thread)
        self.assertEqual(top['kind'], 'private')
        self.assertEqual(top['subject'], 'Lunch')
        self.assertEqual(top['last_message_id'], message)
        self.assertEqual(top['last_sender_id'], self.alice.pk)
        self.assertEqual(top['last_preview'], 'Pizza at noon?')
        self.assertEqual(top['unread_count'], 1)
        self.assertEqual(chat.inbox(self.alice)[0]['unread_count'], 0)   # one's own message is read
        self.assertEqual([t['thread_id'] for t in chat.inbox(self.alice, 'sent')], [thread])
        self.assertEqual(chat.inbox(self.dan), [])
        self.assertEqual(chat.started_by(thread), self.alice.pk)

    def test_replies_count_as_unread_for_the_others(self):
        thread, first = chat.new_thread(self.alice, [self.bob, self.carol], 'Lunch', 'Pizza at noon?')
        answer = chat.reply(thread, self.bob, 'Which place?', parent_id=first)
        page = chat.messages(thread, self.carol)
        self.assertEqual([(m['id'], m['sender_id'], m['parent_id']) for m in page],
                         [(first, self.alice.pk, None), (answer, self.bob.pk, first)])
        self.assertEqual(chat.inbox(self.carol)[0]['unread_count'], 2)
        self.assertEqual(chat.inbox(self.alice)[0]['unread_count'], 1)
        self.assertEqual(chat.inbox(self.bob)[0]['unread_count'], 0)      # replying reads the thread
        self.assertEqual(chat.mark_read(thread, self.carol), 2)
        self.assertEqual(chat.inbox(self.carol)[0]['unread_count'], 0)
        self.assertEqual(chat.messages(thread, self.alice, after=first)[0]['id'], answer)
        self.assertCountersExact()

    def test_edit_keeps_the_thread_and_marks_the_message_edited(self):
        thread, message = chat.new_thread(self.alice, [self.bob], 'Lunch', 'Pizza at noon?')
        chat.edit_message(message, self.alice, 'Pizza at one?')
        self.assertEqual(chat.messages(thread, self.bob)[0]['content'], 'Pizza at one?')
        self.assertTrue(chat.messages(thread, self.bob)[0]['edited'])

    def test_inbox_pages_with_the_cursor(self):
        threads = [chat.new_thread(self.alice, [self.bob], 'Subject %d' % i, 'text')[0] for i in range(5)]
        first = chat.inbox(self.bob, page_size=2)
        second = chat.inbox(self.bob, before=first[-1]['cursor'], page_size=2)
        third = chat.inbox(self.bob, before=second[-1]['cursor'], page_size=2)
        self.assertEqual([t['thread_id'] for t in first + second + third], threads[::-1])
        self.assertEqual(chat.inbox_count(self.bob), 5)

    def test_jsonb_columns_are_python_objects(self):
        attachments = [{'key': 's3://bucket/map.png', 'name': 'map.png', 'mime': 'image/png', 'size': 48213}]
        thread, message = chat.new_thread(self.alice, [self.bob], 'Map', 'Here', attachments=attachments)
        row = chat.messages(thread, self.bob)[0]
        self.assertEqual(row['reactions'], [])
        self.assertIsInstance(row['attachments'], list)
        self.assertEqual(row['attachments'][0]['key'], 's3://bucket/map.png')
        self.assertEqual(row['attachments'][0]['size'], 48213)

    def test_a_raw_cursor_returns_jsonb_as_str(self):
        # Why chat.rows() decodes: Django 3.1+ turns off psycopg2's jsonb parsing on its connections.
        thread, message = chat.new_thread(self.alice, [self.bob], 'Map', 'Here')
        with connection.cursor() as cursor:
            cursor.execute('SELECT reactions FROM chat.messages(%s, %s)', [thread, self.bob.pk])
            self.assertEqual(cursor.fetchone()[0], '[]')
