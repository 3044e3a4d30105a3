# Retention run by pg_cron (issue 14, item 5), in a throwaway cluster.
#
# chat does not need pg_cron; when the installation has it (Debian's
# postgresql-15-cron), this test loads it (shared_preload_libraries,
# cron.database_name) and schedules the command the README documents:
#
#   DO $$ BEGIN WHILE chat.purge() > 0 LOOP COMMIT; END LOOP; END $$
#
# a DO block that commits after every batch, so that each batch is a short
# transaction of its own.  History is imported with old times (a room of
# 2,500 messages and 40 members, most of it older than retention_days, and a
# room kept forever); the job must run, succeed, delete exactly the expired
# messages in three batches, and leave chat.verify_unread() empty.  Then the
# same command from psql, as a system cron job would run it, after more
# history was imported.  Without pg_cron the whole file is skipped.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep time);

my $pg_config = $ENV{PG_CONFIG} // 'pg_config';
chomp(my $sharedir = `$pg_config --sharedir`);
chomp(my $pkglibdir = `$pg_config --pkglibdir`);
if (!-f "$sharedir/extension/pg_cron.control" || !-f "$pkglibdir/pg_cron.so")
{
	plan skip_all => "pg_cron is not installed in $sharedir (Debian: postgresql-15-cron)";
}

my $DB = 'chatdb';
my $PURGE =
  'DO $purge$ BEGIN WHILE chat.purge() > 0 LOOP COMMIT; END LOOP; END $purge$';

my $node = PostgreSQL::Test::Cluster->new('chat_cron');
$node->init(extra => [ '--encoding=UTF8', '--locale=C' ]);
$node->append_conf(
	'postgresql.conf', qq(
shared_preload_libraries = 'pg_cron'
cron.database_name = '$DB'
cron.host = '@{[ $node->host ]}'
log_min_messages = warning
));
$node->start;

$node->safe_psql('postgres', "CREATE DATABASE $DB");
$node->safe_psql($DB, 'CREATE EXTENSION chat');
$node->safe_psql($DB, 'CREATE EXTENSION pg_cron');
ok(1, 'chat and pg_cron created in the same database');

# A room of 40 members (large: more than inbox_fanout_limit) with 2,500
# messages a minute apart from 2020 on, each member having read up to its own
# time, and 5 recent ones; a channel kept forever, also from 2020.
sub import_history
{
	my ($subject, $from) = @_;
	return $node->safe_psql(
		$DB, qq{
SELECT chat.import_thread(jsonb_build_object(
    'kind', 'group', 'subject', '$subject',
    'members', (SELECT jsonb_agg(jsonb_build_object(
                           'user_id', u,
                           'read_until', (timestamptz '$from' + make_interval(mins => u * 60))::text))
                  FROM generate_series(1, 40) u),
    'messages', (SELECT jsonb_agg(x.m ORDER BY x.t) FROM (
                    SELECT timestamptz '$from' + make_interval(mins => j) AS t,
                           jsonb_build_object('sender_id', 1 + j % 40,
                                              'sent_at', (timestamptz '$from' + make_interval(mins => j))::text,
                                              'content', 'old message ' || j) AS m
                      FROM generate_series(1, 2500) j
                    UNION ALL
                    SELECT now() - make_interval(mins => j),
                           jsonb_build_object('sender_id', j, 'sent_at', (now() - make_interval(mins => j))::text,
                                              'content', 'recent message ' || j)
                      FROM generate_series(1, 5) j) x)))});
}
my $room = import_history('room', '2020-01-01');
my $kept = $node->safe_psql(
	$DB, q{
SELECT chat.import_thread('{"kind": "channel", "subject": "archive", "members": [{"user_id": 1}],
                            "messages": [{"sender_id": 1, "sent_at": "2020-01-01T00:00:00Z", "content": "kept forever"}]}')});
$node->safe_psql($DB, "SELECT chat.set_retention($kept, 1, 0)");
$node->safe_psql($DB, q{SELECT chat.set_setting('retention_days', '30')});
is($node->safe_psql($DB, 'SELECT count(*) FROM chat.verify_unread()'), '0', 'imported history: counters exact');

# ---------------------------------------------------------------- pg_cron

my $job = $node->safe_psql($DB, "SELECT cron.schedule('chat-purge', '* * * * *', \$cmd\$$PURGE\$cmd\$)");
ok($job > 0, "purge scheduled with pg_cron as job $job, every minute");

# pg_cron starts jobs at the top of each minute: wait for one run to end
my $deadline = time() + 150;
my $status = '';
while (time() < $deadline)
{
	$status = $node->safe_psql($DB,
		"SELECT status FROM cron.job_run_details WHERE jobid = $job AND status IN ('succeeded', 'failed') ORDER BY runid LIMIT 1"
	);
	last if $status ne '';
	usleep(500_000);
}
is($status, 'succeeded', 'the job ran and succeeded');
$node->safe_psql($DB, "SELECT cron.unschedule($job)");
if ($status ne 'succeeded')
{
	diag($node->safe_psql($DB, "SELECT status, return_message FROM cron.job_run_details WHERE jobid = $job"));
}

is($node->safe_psql($DB, "SELECT count(*) FROM chat.message WHERE thread_id = $room AND sent_at < now() - interval '30 days'"),
	'0', 'every message older than 30 days is gone');
is($node->safe_psql($DB, "SELECT count(*) FROM chat.message WHERE thread_id = $room"),
	'5', 'the 5 recent ones are left');
is($node->safe_psql($DB, "SELECT message_count FROM chat.thread WHERE id = $room"), '5', 'and counted');
is($node->safe_psql($DB, "SELECT count(*) FROM chat.message WHERE thread_id = $kept"), '2',
	'the channel kept forever lost nothing (its message and the notice of its retention)');
is($node->safe_psql($DB, 'SELECT count(*) FROM chat.verify_unread()'), '0', 'chat.verify_unread() is empty');
is( $node->safe_psql(
		$DB, "SELECT string_agg(payload ->> 'count', ',' ORDER BY seq) FROM chat.event
               WHERE event = 'messages_purged' AND thread_id = $room"),
	'1000,1000,500',
	'in three batches of at most 1,000, each its own transaction and messages_purged');
is($node->safe_psql($DB, 'SELECT thread_id FROM chat.purge_progress'), '0',
	'the next purge starts from the first thread');

# ---------------------------------------------------------------- psql, as from cron(8)

my $room2 = import_history('room 2', '2021-01-01');
$node->command_ok([ 'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', $DB, '-c', $PURGE ],
	'the same command from psql, as a system cron job runs it');
is($node->safe_psql($DB, "SELECT count(*) FROM chat.message WHERE thread_id = $room2"), '5',
	'it purged the new history too');
is($node->safe_psql($DB, 'SELECT count(*) FROM chat.verify_unread()'), '0', 'counters exact');
is($node->safe_psql($DB, 'SELECT chat.purge()'), '0', 'nothing is left to purge');

$node->stop;
done_testing();
