# Early lock release (setting early_lock_release, on by default; issue 15): a
# writing call's transaction releases its locks before its WAL flush and waits
# for the flush inside COMMIT, so a crash never loses a reply its client was
# told had committed.
#
# The WAL writer is made slow (wal_writer_delay = 10 s), so WAL nobody flushes
# stays unflushed, and what is still in PostgreSQL's buffers is lost by an
# immediate stop.  First, one reply at a time: when its COMMIT has returned,
# the WAL is flushed up to where it was inserted, for the superuser, a server
# role and an end user known by JWT claims (a control with synchronous_commit
# = off shows that without the flush it is not).  Then a
# load: pgbench drives four clients replying into one thread larger than
# inbox_fanout_limit (the hot room, where every reply waits for the thread's
# row) and into a two-person thread, marking read; the server is stopped with
# SIGQUIT in the middle of it and started again.  Every reply pgbench counted
# as done must be there, read state exact; with early_lock_release off the
# same holds.  A run with synchronous_commit = off in the load's transactions
# shows what the crash can take when commits do not wait (printed, not
# asserted: only the WAL writer's last partial page is at risk, so a crash may
# happen to lose nothing).
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use ChatCrash;

my $DB = 'chatdb';

my $node = PostgreSQL::Test::Cluster->new('chat_elr');
$node->init(extra => [ '--encoding=UTF8', '--locale=C' ]);
$node->append_conf('postgresql.conf', qq(
log_statement = none
max_connections = 20
wal_writer_delay = 10s
wal_writer_flush_after = 0
));
$node->start;

$node->safe_psql('postgres', "CREATE DATABASE $DB");
$node->safe_psql($DB, 'CREATE EXTENSION chat');
is($node->safe_psql($DB, "SELECT chat.get_setting('early_lock_release')::text"),
	'true', 'early_lock_release is on by default');
my $limit = $node->safe_psql($DB, "SELECT chat.get_setting('inbox_fanout_limit')::text");
my $large = $node->safe_psql($DB,
	"SELECT chat.create_group(1, 'hot', ARRAY(SELECT g FROM generate_series(2, $limit + 10) g)::chat.user_id[])");
my $pair = $node->safe_psql($DB, 'SELECT chat.direct_thread(1, 2)');

# One reply, alone in its transaction, then from another connection: is the
# WAL flushed up to where it was inserted?  Nothing else writes WAL meanwhile.
sub flushed_after
{
	my ($sql) = @_;
	$node->safe_psql($DB, $sql);
	return $node->safe_psql($DB, 'SELECT pg_current_wal_flush_lsn() >= pg_current_wal_insert_lsn()');
}
is(flushed_after("SELECT chat.new_reply($pair, 1, 'one')"), 't',
	'new_reply: when its COMMIT returns, its WAL is flushed');
is(flushed_after("SELECT chat.mark_read($pair, 2)"), 't',
	'mark_read: the same');
is(flushed_after("BEGIN; SELECT chat.new_reply($large, 1, 'one'); SELECT chat.new_reply($pair, 2, 'two'); COMMIT"),
	't', 'two replies in one transaction block: the same');
# as the roles that call chat: a server role, an end user by JWT claims (PostgREST)
$node->safe_psql($DB, q{
	CREATE ROLE regress_elr_app;
	CREATE ROLE regress_elr_user;
	GRANT USAGE ON SCHEMA chat TO regress_elr_app, regress_elr_user;
	SELECT chat.set_setting('server_roles', '["regress_elr_app"]');
});
is(flushed_after("BEGIN; SET LOCAL ROLE regress_elr_app; SELECT chat.new_reply($pair, 2, 'app'); COMMIT"),
	't', 'a server role\'s reply: the same');
is( flushed_after(
		"BEGIN; SET LOCAL ROLE regress_elr_user; SELECT set_config('request.jwt.claims', '{\"sub\": \"2\"}', true); "
		  . "SELECT chat.new_reply($pair, 2, 'end user'); SELECT chat.mark_read($pair); COMMIT"),
	't', 'an end user\'s (JWT claims) reply and mark_read: the same');
is($node->safe_psql($DB, "SELECT count(*) FROM chat.message WHERE content IN ('app', 'end user')"),
	'2', 'both replies committed');
is(flushed_after("BEGIN; SET LOCAL synchronous_commit = off; SELECT chat.new_reply($pair, 1, 'async'); COMMIT"),
	'f', 'control: with synchronous_commit off it is not (the WAL writer sleeps 10 s)');
$node->safe_psql($DB, "SELECT chat.set_setting('early_lock_release', 'false')");
is(flushed_after("SELECT chat.new_reply($pair, 1, 'plain')"), 't',
	'early_lock_release off: flushed by the commit itself');
$node->safe_psql($DB, "SELECT chat.set_setting('early_lock_release', 'true')");

sub script
{
	my ($name, $sync) = @_;
	my $file = PostgreSQL::Test::Utils::tempdir . "/$name.sql";
	open(my $fh, '>', $file) or die $!;
	print $fh "\\set u random(1, 5)\n";
	print $fh "BEGIN;\nSET LOCAL synchronous_commit = off;\n" unless $sync;
	print $fh "SELECT chat.new_reply($large, :u, '$name');\n";
	print $fh "SELECT chat.new_reply($pair, 1 + :u % 2, '$name');\n";
	print $fh "SELECT chat.mark_read($large, :u + 5);\n";
	print $fh "COMMIT;\n" unless $sync;
	close $fh;
	return $file;
}

# Crash under load, restart, and compare what survived with what pgbench
# counted (each of its transactions sends two replies).
sub crash_and_count
{
	my ($name, $sync) = @_;
	my $done = load_and_crash($node, $DB, script($name, $sync), 8, 3);
	cmp_ok($done, '>', 0, "$name: pgbench completed $done transactions before the crash");
	restart_and_check($node, $DB, $name);
	my $kept = $node->safe_psql($DB, "SELECT count(*) FROM chat.message WHERE content = '$name'");
	note("$name: $done transactions acknowledged (" . 2 * $done . " replies), $kept replies kept");
	return ($done, $kept);
}

my ($done, $kept) = crash_and_count('early', 1);
cmp_ok($kept, '>=', 2 * $done, 'early lock release: every reply pgbench counted as done is there');

$node->safe_psql($DB, "SELECT chat.set_setting('early_lock_release', 'false')");
($done, $kept) = crash_and_count('plain', 1);
cmp_ok($kept, '>=', 2 * $done, 'early_lock_release off: every reply pgbench counted as done is there');

$node->safe_psql($DB, "SELECT chat.set_setting('early_lock_release', 'true')");

# For comparison: asynchronous commit, which returns before the flush.
($done, $kept) = crash_and_count('async', 0);
note('synchronous_commit off: ' . ($kept < 2 * $done ? 2 * $done - $kept : 0)
	  . ' acknowledged replies lost by the crash');
is($node->safe_psql($DB, "SELECT chat.new_reply($large, 1, 'after') > 0 AND (SELECT count(*) FROM chat.verify_unread()) = 0"),
	't', 'new_reply works after the restarts, counters exact');

$node->stop;
done_testing();
