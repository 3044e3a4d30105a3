# Asynchronous commit of messages and read state (settings async_messages and
# async_read_state, issue 15): a crash may lose acknowledged work, never leave
# read state inconsistent.
#
# A node with chat, two-person threads, a small group and a group larger than
# inbox_fanout_limit, both settings on.  pgbench drives four clients sending
# new_reply and mark_read (each its own transaction, as the settings make
# them commit without waiting for their WAL flush); the server is stopped
# with SIGQUIT (immediate) in the middle of the load and started again.
# After the crash recovery: chat.verify_unread() is empty; every thread's
# counter and newest message equal a recount of its message rows; no read
# pointer is past its thread's newest message; the API works.  Then the
# settings are turned off and the same crash loses none of the replies
# pgbench counted as done: the synchronous path is unchanged.
#
# How much an asynchronous run loses depends on where the WAL was when the
# server died: a crash of PostgreSQL alone loses only what the WAL writer had
# not yet handed to the kernel (here, usually nothing), a crash of the machine
# what it had not yet flushed (at most 3 x wal_writer_delay).  The count is
# printed, not asserted.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use ChatCrash;

my $DB = 'chatdb';

my $node = PostgreSQL::Test::Cluster->new('chat_async');
$node->init(extra => [ '--encoding=UTF8', '--locale=C' ]);
$node->append_conf('postgresql.conf', qq(
log_statement = none
max_connections = 20
));
$node->start;

$node->safe_psql('postgres', "CREATE DATABASE $DB");
$node->safe_psql($DB, 'CREATE EXTENSION chat');
my $limit = $node->safe_psql($DB, "SELECT chat.get_setting('inbox_fanout_limit')::text");

# Threads: four two-person, a small group, a large group; members 1 .. n.
my @threads;
for my $pair ([ 1, 2 ], [ 1, 3 ], [ 2, 3 ], [ 3, 4 ])
{
	push @threads,
	  $node->safe_psql($DB, "SELECT chat.direct_thread($pair->[0], $pair->[1])");
}
push @threads,
  $node->safe_psql($DB, "SELECT chat.create_group(1, 'small', '{2,3,4}')");
my $large_n = $limit + 10;
push @threads,
  $node->safe_psql($DB,
	"SELECT chat.create_group(1, 'large', ARRAY(SELECT g FROM generate_series(2, $large_n) g)::chat.user_id[])");
is($node->safe_psql($DB, 'SELECT count(*) FILTER (WHERE large) || \'/\' || count(*) FROM chat.thread'),
	'1/' . scalar(@threads), 'one large thread among the six');

# Every client posts as a member of the thread it picks and marks it read as
# another member.
my $script = PostgreSQL::Test::Utils::tempdir . '/load.sql';
open(my $fh, '>', $script) or die $!;
print $fh <<"EOF";
\\set k random(0, 5)
SELECT chat.new_reply((ARRAY[@{[ join(',', @threads) ]}])[:k + 1], CASE :k WHEN 0 THEN 1 WHEN 2 THEN 2 ELSE 3 END, 'load');
SELECT chat.mark_read((ARRAY[@{[ join(',', @threads) ]}])[:k + 1], CASE :k WHEN 0 THEN 2 WHEN 1 THEN 1 WHEN 2 THEN 3 ELSE 4 END);
EOF
close $fh;

sub recovered_and_exact
{
	my ($what) = @_;
	restart_and_check($node, $DB, $what);
	is( $node->safe_psql(
			$DB, q{
		SELECT count(*) FROM chat.member mb JOIN chat.thread t ON t.id = mb.thread_id
		 WHERE mb.read_id > coalesce(t.last_message_id, 0) OR mb.read_count > t.message_count}),
		'0', "$what: no read pointer past its thread's newest message");
	my $before = $node->safe_psql($DB, 'SELECT count(*) FROM chat.message');
	$node->safe_psql($DB, "SELECT chat.new_reply($threads[5], 1, 'after'); SELECT chat.mark_read($threads[5], 2)");
	is($node->safe_psql($DB, 'SELECT count(*) FROM chat.message'), $before + 1,
		"$what: new_reply works after the restart");
	is($node->safe_psql($DB,
		"SELECT (chat.unread_count(2)).messages IS NOT NULL AND (SELECT count(*) FROM chat.verify_unread()) = 0"),
		't', "$what: mark_read and unread_count work, counters still exact");
}

# ---------------------------------------------------------------- asynchronous

$node->safe_psql($DB, "SELECT chat.set_setting('async_messages', 'true'); SELECT chat.set_setting('async_read_state', 'true')");
my $base = $node->safe_psql($DB, 'SELECT count(*) FROM chat.message');
my $done = load_and_crash($node, $DB, $script, 8, 3);
cmp_ok($done, '>', 0, "asynchronous load: pgbench completed $done transactions before the crash");
recovered_and_exact('asynchronous');
my $kept = $node->safe_psql($DB, "SELECT count(*) FROM chat.message WHERE content = 'load'");
note("asynchronous: $done replies acknowledged, $kept kept after the crash");

# ---------------------------------------------------------------- synchronous

$node->safe_psql($DB, "SELECT chat.set_setting('async_messages', 'false'); SELECT chat.set_setting('async_read_state', 'false')");
my $kept_before = $node->safe_psql($DB, "SELECT count(*) FROM chat.message WHERE content = 'load'");
$done = load_and_crash($node, $DB, $script, 8, 3);
cmp_ok($done, '>', 0, "synchronous load: pgbench completed $done transactions before the crash");
recovered_and_exact('synchronous');
cmp_ok($node->safe_psql($DB, "SELECT count(*) FROM chat.message WHERE content = 'load'") - $kept_before,
	'>=', $done, 'synchronous: every reply pgbench counted as done is there');

$node->stop;
done_testing();
