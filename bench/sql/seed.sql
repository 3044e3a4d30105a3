/*
 * bench/sql/seed.sql: the seeds' algorithm ported literally to SQL (SPEC §9
 * baseline), from django-messages-drf / pinax-messages:
 *
 *   Thread(subject), UserThread(thread, user, unread, deleted),
 *   Message(thread, sender, sent_at, content)
 *
 *   Message.new_reply(thread, user, content):
 *       with transaction.atomic():
 *           msg = Message.objects.create(thread=thread, sender=user, content=content)
 *           thread.userthread_set.exclude(user=user).update(deleted=False, unread=True)
 *           thread.userthread_set.filter(user=user).update(deleted=False, unread=False)
 *
 *   inbox: the user's threads whose UserThread is not deleted, ordered by each
 *   thread's latest message (done in Python by the seeds; here one correlated
 *   subquery per thread, which is already faster than a query per thread).
 *
 * The indexes are the ones the brief asks for and are generous to the seeds
 * (Django would also index every foreign key column separately and add a uuid
 * column per row; leaving them out only makes the baseline faster).
 */
CREATE SCHEMA seed;

CREATE TABLE seed.thread (
    id      bigserial PRIMARY KEY,
    subject text NOT NULL DEFAULT ''
);

CREATE TABLE seed.user_thread (
    thread_id bigint NOT NULL REFERENCES seed.thread (id) ON DELETE CASCADE,
    user_id   bigint NOT NULL,
    unread    boolean NOT NULL,
    deleted   boolean NOT NULL,
    UNIQUE (thread_id, user_id)
);
CREATE INDEX user_thread_user_id_idx ON seed.user_thread (user_id);

CREATE TABLE seed.message (
    id        bigserial PRIMARY KEY,
    thread_id bigint NOT NULL REFERENCES seed.thread (id) ON DELETE CASCADE,
    sender_id bigint NOT NULL,
    sent_at   timestamptz NOT NULL DEFAULT now(),
    content   text NOT NULL
);
CREATE INDEX message_thread_sent_at_idx ON seed.message (thread_id, sent_at);

/* Message.new_reply, statement for statement, in one transaction. */
CREATE FUNCTION seed.new_reply(thread bigint, "user" bigint, content text)
    RETURNS bigint
    LANGUAGE plpgsql
    AS $$
DECLARE
    mid bigint;
BEGIN
    INSERT INTO seed.message AS m (thread_id, sender_id, content)
    VALUES (new_reply.thread, new_reply."user", new_reply.content)
    RETURNING m.id INTO mid;

    UPDATE seed.user_thread ut SET deleted = false, unread = true
     WHERE ut.thread_id = new_reply.thread AND ut.user_id <> new_reply."user";

    UPDATE seed.user_thread ut SET deleted = false, unread = false
     WHERE ut.thread_id = new_reply.thread AND ut.user_id = new_reply."user";
    RETURN mid;
END
$$;

/* Thread.inbox(user) ordered by latest message, first page of 50. */
CREATE FUNCTION seed.inbox("user" bigint)
    RETURNS TABLE (thread_id bigint, subject text, unread boolean, last_sent_at timestamptz)
    LANGUAGE sql STABLE
    AS $$
    SELECT t.id, t.subject, ut.unread,
           (SELECT max(m.sent_at) FROM seed.message m WHERE m.thread_id = t.id)
      FROM seed.thread t
      JOIN seed.user_thread ut ON ut.thread_id = t.id
     WHERE ut.user_id = $1 AND NOT ut.deleted
     ORDER BY (SELECT max(m.sent_at) FROM seed.message m WHERE m.thread_id = t.id) DESC, t.id DESC
     LIMIT 50
$$;

/*
 * The same inbox the way the seeds compute it: one query per thread for its
 * latest message (Thread.last_message(): messages.latest('sent_at')), then
 * sorted in the application.  Here the loop runs inside the server, so it
 * pays no client round trip per thread.  This is the P3 baseline; seed.inbox
 * above, the same ordering in one correlated query, is shown for reference.
 */
/* One query per thread of the user for its latest message (Thread.latest_message). */
CREATE FUNCTION seed.thread_latest("user" bigint)
    RETURNS TABLE (thread_id bigint, subject text, unread boolean, last_sent_at timestamptz)
    LANGUAGE plpgsql STABLE
    AS $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT t.id, t.subject, ut.unread
               FROM seed.thread t
               JOIN seed.user_thread ut ON ut.thread_id = t.id
              WHERE ut.user_id = thread_latest."user" AND NOT ut.deleted
    LOOP
        RETURN QUERY
        SELECT r.id, r.subject, r.unread, m.sent_at
          FROM seed.message m WHERE m.thread_id = r.id
         ORDER BY m.sent_at DESC LIMIT 1;
    END LOOP;
END
$$;

CREATE FUNCTION seed.inbox_per_thread("user" bigint)
    RETURNS TABLE (thread_id bigint, subject text, unread boolean, last_sent_at timestamptz)
    LANGUAGE sql STABLE
    AS $$
    SELECT * FROM seed.thread_latest("user")
     ORDER BY last_sent_at DESC NULLS LAST, thread_id DESC
     LIMIT 50
$$;

/* UserThread.objects.filter(thread=thread, user=user).update(unread=False) */
CREATE FUNCTION seed.mark_read(thread bigint, "user" bigint)
    RETURNS void
    LANGUAGE sql
    AS $$
    UPDATE seed.user_thread ut SET unread = false
     WHERE ut.thread_id = $1 AND ut.user_id = $2
$$;
