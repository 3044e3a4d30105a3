# ChatCrash: what chat's crash tests share (003_async_commit.pl,
# 004_early_lock_release.pl): a pgbench load stopped by an immediate stop of
# the server, and the checks that crash recovery left chat exact.
package ChatCrash;

use strict;
use warnings;

use Exporter 'import';
use IPC::Run ();
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep);

our @EXPORT = qw(load_and_crash restart_and_check);

# Runs pgbench with $script (4 clients) in database $db for up to $seconds
# and stops the server with SIGQUIT (immediate) after $kill_after seconds.
# Returns the number of transactions pgbench counted as done.
sub load_and_crash
{
	my ($node, $db, $script, $seconds, $kill_after) = @_;
	my ($out, $err) = ('', '');
	my $h = IPC::Run::start(
		[ 'pgbench', '-n', '-c', '4', '-j', '2', '-T', $seconds,
		  '-f', $script, '-d', $node->connstr($db) ],
		'>', \$out, '2>', \$err);
	usleep($kill_after * 1_000_000);
	$node->stop('immediate');
	$h->finish;
	my ($done) = $out =~ /number of transactions actually processed: (\d+)/;
	($done) = $err =~ /processed: (\d+)/ unless defined $done;
	note("pgbench: $out $err") unless $done;
	return $done // 0;
}

# Starts the crashed server and checks (3 tests, named "$what: ..."): crash
# recovery ran, chat.verify_unread() is empty, every thread's counter and
# newest message equal a recount of its message rows.
sub restart_and_check
{
	my ($node, $db, $what) = @_;
	my $offset = -s $node->logfile;
	$node->start;
	like(substr(slurp_file($node->logfile), $offset),
		qr/database system was interrupted|not properly shut down/,
		"$what: the restart ran crash recovery");
	is($node->safe_psql($db, 'SELECT count(*) FROM chat.verify_unread()'),
		'0', "$what: verify_unread is empty");
	is( $node->safe_psql(
			$db, q{
		SELECT count(*) FROM chat.thread t
		 WHERE t.message_count <> (SELECT count(*) FROM chat.message m WHERE m.thread_id = t.id)
		    OR t.last_message_id IS DISTINCT FROM (SELECT max(m.id) FROM chat.message m WHERE m.thread_id = t.id)}),
		'0', "$what: every thread's counter and newest message equal a recount");
	return;
}

1;
