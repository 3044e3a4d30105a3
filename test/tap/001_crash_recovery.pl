# Crash recovery of chat under a write load (issue 12).
#
# A node with chat, two-person threads, a small group and a group larger than
# inbox_fanout_limit (so both counter paths run: member-row copies and the
# thread row).  Four clients, each its own psql session driven one statement
# at a time, send new_reply, mark_read, new_message and transactions of
# several calls (new_reply, then mark_read of the same thread).  Each client
# writes every write the server acknowledged (the call or the COMMIT
# returned) to its own file, outside the database: message ids with thread,
# sender and content, and after each mark_read the read pointer it then saw.
# The server is then killed mid-load, three times, three ways:
#   cycle 1: $node->stop('immediate')            (SIGQUIT to the postmaster)
#   cycle 2: kill -9 of the postmaster             (children die on their own)
#   cycle 3: kill -9 of one busy backend           (the postmaster resets every
#            session and recovers in place: restart_after_crash = on)
# After each restart: every write acknowledged so far (all cycles) is there
# with its thread, sender and content, and no read pointer went back; no call
# failed before the kill and no server process crashed; the restart ran crash
# recovery; chat.verify_unread() is empty; thread counters, member rows and
# two users' inboxes (paged) and badges agree with a recount made here from
# the message rows; the API still works.
#
# fsync stays off as PostgreSQL::Test::Cluster sets it: a killed process loses
# nothing the kernel already has, so it changes nothing here (an OS crash is
# out of scope of a process kill).
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use IPC::Open3;
use Encode ();
use POSIX qw(_exit WNOHANG);
use Time::HiRes qw(usleep time);

my $LOAD_SECONDS = $ENV{CHAT_CRASH_LOAD_SECONDS} // 2.5;    # per cycle
my $CLIENTS      = 4;
my $DB           = 'chatdb';

my $node = PostgreSQL::Test::Cluster->new('chat_crash');
$node->init(extra => [ '--encoding=UTF8', '--locale=C' ]);
$node->append_conf(
	'postgresql.conf', qq(
log_statement = none
restart_after_crash = on
max_connections = 40
));
$node->start;

# ---------------------------------------------------------------- setup

$node->safe_psql('postgres', "CREATE DATABASE $DB");
$node->safe_psql($DB, 'CREATE EXTENSION chat');
my $version = $node->safe_psql($DB,
	"SELECT extversion FROM pg_extension WHERE extname = 'chat'");
ok($version ne '', "chat $version created from this installation");

my $limit = $node->safe_psql($DB,
	"SELECT chat.get_setting('inbox_fanout_limit')::text");
my $large_n = $limit + 21;    # members of the large group, creator included

# Threads: six two-person (direct) threads, a small group, a large group.
my @threads;    # { id, members => [...] }
for my $pair ([ 1, 2 ], [ 1, 3 ], [ 2, 3 ], [ 3, 4 ], [ 1, 5 ], [ 4, 6 ])
{
	my $id = $node->safe_psql($DB,
		"SELECT chat.direct_thread($pair->[0], $pair->[1])");
	push @threads, { id => $id, members => [@$pair], kind => 'direct' };
}
{
	my @m  = (2 .. 6);
	my $id = $node->safe_psql($DB,
		"SELECT chat.create_group(1, 'small group', '{" . join(',', @m) . "}')");
	push @threads, { id => $id, members => [ 1, @m ], kind => 'small group' };
}
{
	my @m  = (2 .. $large_n);
	my $id = $node->safe_psql($DB,
		"SELECT chat.create_group(1, 'large group', '{" . join(',', @m) . "}')");
	push @threads, { id => $id, members => [ 1, @m ], kind => 'large group' };
}
my $large_id = $threads[-1]{id};
is( $node->safe_psql(
		$DB, "SELECT large::text || ' ' || member_count FROM chat.thread WHERE id = $large_id"),
	"true $large_n",
	"the group of $large_n members is past inbox_fanout_limit ($limit): large");
is( $node->safe_psql(
		$DB, "SELECT count(*) FROM chat.thread WHERE large"),
	'1', 'every other thread is small (member-row copies)');

# A first message in each thread, so mark_read has something to move over.
for my $t (@threads)
{
	$node->safe_psql($DB,
		"SELECT chat.new_reply($t->{id}, $t->{members}[0], 'hello $t->{kind}')");
}
is($node->safe_psql($DB, 'SELECT count(*) FROM chat.verify_unread()'),
	'0', 'counters exact before any load');

# Where the clients write what the server acknowledged (never in the database).
my $ackdir = PostgreSQL::Test::Utils::tempdir;

# ---------------------------------------------------------------- clients

# One client: a psql session of its own, driven one call at a time.  After
# each call psql echoes "@@ <ERROR> <SQLSTATE>"; a call that returned an id
# without error was committed (autocommit) and is appended to the ack file
# before the next call is sent.  The client ends when its psql dies.
sub client_main
{
	my ($cid, $cycle) = @_;
	srand($$ ^ time());
	open(my $ack, '>>', "$ackdir/ack.$cycle.$cid") or die $!;
	open(my $err, '>>', "$ackdir/err.$cycle.$cid") or die $!;
	$ack->autoflush(1);
	$err->autoflush(1);
	open(STDERR, '>>', "$ackdir/psql.$cycle.$cid") or die $!;
	local $ENV{PGAPPNAME} = 'chatload';
	my $pid = open3(my $in, my $out, '>&STDERR',
		'psql', '-X', '-A', '-t', '-q', '-v', 'ON_ERROR_STOP=0',
		'-d', $node->connstr($DB));
	$in->autoflush(1);
	# Sends one statement; returns (ok, SQLSTATE, result rows), or nothing
	# when psql died (the server went away).
	my $call = sub {
		my ($sql) = @_;
		return unless print $in "$sql\n\\echo \@\@ :ERROR :SQLSTATE\n";
		my @rows;
		while (my $line = <$out>)
		{
			chomp $line;
			return ($1 eq 'false' ? 1 : 0, $2, @rows)
			  if $line =~ /^\@\@ (\S+) (\S*)/;
			push @rows, $line;
		}
		return;
	};
	# The read pointer of an acknowledged mark_read is at least the one read
	# after it (pointers only move forward under this load).
	my $ack_read = sub {
		my ($thread, $reader) = @_;
		my ($ok, $state, @rows) = $call->(
			"SELECT read_id FROM chat.member WHERE thread_id = $thread AND user_id = $reader;");
		return unless defined $ok;
		print $ack "read\t$rows[0]\t$thread\t$reader\t\n"
		  if $ok && @rows == 1 && $rows[0] =~ /^\d+$/;
		return 1;
	};
	# Runs one call (or a statement of a transaction); returns its id, or
	# undef after logging the error; dies when psql is gone.
	my $one = sub {
		my ($sql, $what) = @_;
		utf8::encode($sql);
		my ($ok, $state, @rows) = $call->($sql);
		die "psql gone\n" unless defined $ok;
		if (!$ok)
		{
			print $err "$state\t$what\t$sql\n";
			return;
		}
		return 'done' if $sql !~ /^SELECT/;
		return $rows[0] if @rows == 1 && $rows[0] =~ /^\d+$/;
		print $err "no result\t$what\t$sql\t@rows\n";
		return;
	};
	my $seq = 0;
	eval {
		while (1)
		{
			$seq++;
			my $r   = rand();
			my $t   = $threads[ int(rand(@threads)) ];
			my $who = $t->{members}[ int(rand(@{ $t->{members} })) ];
			my $content = "c$cycle-$cid-$seq \x{e9}t\x{e9} " . ('x' x int(rand(40)));
			if ($r < 0.50)
			{
				my $id = $one->("SELECT chat.new_reply($t->{id}, $who, '$content');", 'call');
				print $ack "reply\t$id\t$t->{id}\t$who\t" . Encode::encode('UTF-8', $content) . "\n"
				  if defined $id;
			}
			elsif ($r < 0.75)
			{
				die "psql gone\n"
				  if defined $one->("SELECT chat.mark_read($t->{id}, $who);", 'call')
				  && !$ack_read->($t->{id}, $who);
			}
			elsif ($r < 0.88)
			{
				my $sender = 1 + int(rand(6));
				my @to     = grep { $_ != $sender } (1 .. 10);
				my $x      = splice(@to, int(rand(@to)), 1);
				my $y      = $to[ int(rand(@to)) ];
				my $id     = $one->(
					"SELECT chat.new_message($sender, '{$x,$y}', 'load $cycle', '$content');", 'call');
				# thread 0: a new private thread, found by the message id
				print $ack "message\t$id\t0\t$sender\t" . Encode::encode('UTF-8', $content) . "\n"
				  if defined $id;
			}
			else
			{
				# One transaction of several calls, as applications group
				# them: a reply, then another member marks the thread read.
				# (Both in one thread: transactions crossing two threads
				# deadlock, issue 12 defect 2, which the isolation specs
				# test; here they would make the counts below random.)
				my $reader = $t->{members}[ int(rand(@{ $t->{members} })) ];
				my $committed;
				if ($one->('BEGIN;', 'transaction'))
				{
					my $id = $one->("SELECT chat.new_reply($t->{id}, $who, '$content');", 'transaction');
					my $n = defined $id
					  ? $one->("SELECT chat.mark_read($t->{id}, $reader);", 'transaction')
					  : undef;
					if (defined $n)
					{
						$committed = $id if $one->('COMMIT;', 'transaction');
					}
					else
					{
						$one->('ROLLBACK;', 'transaction');
					}
				}
				next unless $committed;
				print $ack "txreply\t$committed\t$t->{id}\t$who\t" . Encode::encode('UTF-8', $content) . "\n";
				die "psql gone\n" unless $ack_read->($t->{id}, $reader);
			}
		}
	};
	close $in;
	waitpid($pid, 0);
}

sub start_clients
{
	my ($cycle) = @_;
	my @pids;
	for my $cid (1 .. $CLIENTS)
	{
		my $pid = fork();
		die "fork: $!" unless defined $pid;
		if ($pid == 0)
		{
			eval { client_main($cid, $cycle); };
			_exit(0);    # no END blocks: the node belongs to the parent
		}
		push @pids, $pid;
	}
	return @pids;
}

# Waits up to $secs for the clients; kills the stragglers.  Returns how many
# had to be killed.
sub reap_clients
{
	my ($secs, @pids) = @_;
	my $deadline = time() + $secs;
	my %left     = map { $_ => 1 } @pids;
	while (%left && time() < $deadline)
	{
		for my $p (keys %left)
		{
			delete $left{$p} if waitpid($p, WNOHANG) != 0;
		}
		usleep(50_000) if %left;
	}
	kill 'KILL', keys %left;
	waitpid($_, 0) for keys %left;
	return scalar keys %left;
}

sub count_lines
{
	my ($pattern, $re) = @_;
	my $n = 0;
	for my $f (glob("$ackdir/$pattern"))
	{
		open(my $fh, '<', $f) or die $!;
		while (<$fh>) { $n++ if !defined $re || /$re/; }
	}
	return $n;
}

# ---------------------------------------------------------------- checks

# The acknowledged writes of every cycle so far, loaded into a table of a
# database of their own.
$node->safe_psql('postgres', 'CREATE DATABASE ackcheck');

sub load_acks
{
	my @lines;
	for my $f (sort glob("$ackdir/ack.*"))
	{
		open(my $fh, '<', $f) or die $!;
		push @lines, <$fh>;
	}
	my $copy = join('', @lines);
	$copy =~ s/\\/\\\\/g;
	return ($copy, scalar @lines);
}

sub check_state
{
	my ($cycle) = @_;
	my $c = "cycle $cycle";

	# Every acknowledged message, with its thread, sender and content.
	my ($copy, $n) = load_acks();
	open(my $fh, '>', "$ackdir/all.tsv") or die $!;
	print $fh $copy;
	close $fh;
	$node->safe_psql($DB, qq(
		DROP TABLE IF EXISTS public.acked;
		CREATE TABLE public.acked (kind text, id bigint, thread_id bigint, sender bigint, content text);
		COPY public.acked FROM '$ackdir/all.tsv';
	));
	is($node->safe_psql($DB, 'SELECT count(*) FROM public.acked'),
		$n, "$c: $n acknowledged writes (all cycles) loaded for checking");
	my $missing = $node->safe_psql($DB, q{
		SELECT count(*) || coalesce(' e.g. ' || ((array_agg(a.id ORDER BY a.id))[1:10])::text, '')
		  FROM public.acked a
		 WHERE a.kind <> 'read' AND NOT EXISTS (SELECT 1 FROM chat.message m WHERE m.id = a.id)});
	is($missing, '0', "$c: every acknowledged message id is in chat.message");
	my $wrong = $node->safe_psql($DB, q{
		SELECT count(*) FROM public.acked a
		  JOIN chat.message m ON m.id = a.id
		 WHERE (m.content IS DISTINCT FROM a.content
		    OR m.sender_id IS DISTINCT FROM a.sender
		    OR (a.kind IN ('reply', 'txreply') AND m.thread_id <> a.thread_id)
		    OR (a.kind = 'message' AND m.id <> (SELECT min(f.id) FROM chat.message f
		                                         WHERE f.thread_id = m.thread_id)))
		   AND a.kind <> 'read'});
	is($wrong, '0',
		"$c: each of them has its thread, sender and content (a new_message's is its thread's first)");
	my ($lost, $reads) = split /\|/, $node->safe_psql($DB, q{
		SELECT count(*) FILTER (WHERE mb.read_id IS NULL OR mb.read_id < a.id) || '|' || count(*)
		  FROM public.acked a
		  LEFT JOIN chat.member mb ON mb.thread_id = a.thread_id AND mb.user_id = a.sender
		 WHERE a.kind = 'read'});
	is($lost, '0', "$c: every acknowledged mark_read's read pointer survived ($reads checked)");
	is($node->safe_psql($DB, 'SELECT count(*) - count(DISTINCT id) FROM chat.message'),
		'0', "$c: message ids are unique");

	# chat's own check.
	is($node->safe_psql($DB, 'SELECT * FROM chat.verify_unread()'),
		'', "$c: chat.verify_unread() returns no rows");

	# Thread rows against a recount from the message and member rows.
	is( $node->safe_psql(
			$DB, q{
		SELECT string_agg(format('thread %s: %s', t.id, d), '; ')
		  FROM chat.thread t
		  CROSS JOIN LATERAL (
		    SELECT count(*) AS n, max(m.id) AS last FROM chat.message m WHERE m.thread_id = t.id) r
		  LEFT JOIN chat.message l ON l.thread_id = t.id AND l.id = r.last
		  CROSS JOIN LATERAL (SELECT count(*) AS n FROM chat.member mb WHERE mb.thread_id = t.id) mc
		  CROSS JOIN LATERAL (SELECT concat_ws(' ',
		      CASE WHEN t.message_count <> r.n THEN format('message_count %s, recount %s', t.message_count, r.n) END,
		      CASE WHEN t.last_message_id IS DISTINCT FROM r.last THEN format('last_message_id %s, recount %s', t.last_message_id, r.last) END,
		      CASE WHEN t.member_count <> mc.n THEN format('member_count %s, recount %s', t.member_count, mc.n) END,
		      CASE WHEN t.last_sender_id IS DISTINCT FROM l.sender_id THEN 'last_sender_id' END,
		      CASE WHEN t.last_preview IS DISTINCT FROM left(l.content, 100) THEN 'last_preview' END,
		      CASE WHEN t.last_sent_at IS DISTINCT FROM l.sent_at THEN 'last_sent_at' END) AS d) x
		 WHERE x.d <> ''}),
		'',
		"$c: thread.message_count, last message and member_count agree with a recount");

	# Member rows: read counts, the copies of small threads, the large flag.
	is( $node->safe_psql(
			$DB, q{
		SELECT string_agg(format('member %s/%s: %s', mb.thread_id, mb.user_id, x.d), '; ')
		  FROM chat.member mb
		  JOIN chat.thread t ON t.id = mb.thread_id
		  CROSS JOIN LATERAL (
		    SELECT count(*) AS n, coalesce(max(m.id), 0) AS last,
		           count(*) FILTER (WHERE m.id > mb.read_id
		                              AND m.sender_id IS DISTINCT FROM mb.user_id) AS unread
		      FROM chat.message m WHERE m.thread_id = mb.thread_id) r
		  CROSS JOIN LATERAL (SELECT concat_ws(' ',
		      CASE WHEN mb.read_count <> r.n - r.unread THEN format('read_count %s, recount %s', mb.read_count, r.n - r.unread) END,
		      CASE WHEN mb.large <> t.large THEN 'large flag' END,
		      CASE WHEN t.large <> (t.member_count > %LIMIT%) THEN 'thread large flag' END,
		      CASE WHEN NOT mb.large AND mb.message_count <> r.n THEN format('message_count copy %s, recount %s', mb.message_count, r.n) END,
		      CASE WHEN NOT mb.large AND mb.activity_id <> r.last THEN format('activity_id %s, recount %s', mb.activity_id, r.last) END,
		      CASE WHEN mb.read_id > r.last THEN 'read_id past the last message' END) AS d) x
		 WHERE x.d <> ''} =~ s/%LIMIT%/$limit/r),
		'',
		"$c: member rows (read counts, small-thread copies, large flags) agree with a recount");

	# Inboxes and badges: user 1 (every kind of thread) and user $large_n
	# (only the large group), page by page, against a recount.
	for my $u (1, $large_n)
	{
		my ($got, $cursor) = ('', undef);
		while (1)
		{
			my $before = defined $cursor ? "'$cursor'" : 'NULL';
			my $page = $node->safe_psql($DB, qq{
				SELECT thread_id || ':' || last_message_id || ':' || unread_count || ':' || member_count
				       || '|' || cursor
				  FROM chat.inbox($u, 'inbox', $before, 500)});
			my @rows = split /\n/, $page;
			last unless @rows;
			for (@rows)
			{
				my ($r, $cur) = split /\|/;
				$got .= "$r\n";
				$cursor = $cur;
			}
			last if @rows < 500;
		}
		chomp $got;
		my $want = $node->safe_psql($DB, qq{
			SELECT string_agg(format('%s:%s:%s:%s', r.thread_id, r.last, r.unread, r.members),
			                  E'\\n' ORDER BY r.last DESC, r.thread_id DESC)
			  FROM (SELECT mb.thread_id,
			               (SELECT max(m.id) FROM chat.message m WHERE m.thread_id = mb.thread_id) AS last,
			               (SELECT count(*) FROM chat.message m WHERE m.thread_id = mb.thread_id
			                   AND m.id > mb.read_id AND m.sender_id IS DISTINCT FROM mb.user_id) AS unread,
			               (SELECT count(*) FROM chat.member o WHERE o.thread_id = mb.thread_id) AS members
			          FROM chat.member mb
			         WHERE mb.user_id = $u AND NOT mb.archived
			           AND (mb.hidden_id IS NULL
			                OR mb.hidden_id < (SELECT max(m.id) FROM chat.message m
			                                    WHERE m.thread_id = mb.thread_id))) r});
		my @n = split /\n/, $want;
		is($got, $want, "$c: inbox of user $u (" . scalar(@n) . " threads) agrees with a recount");
		is( $node->safe_psql($DB, "SELECT threads || ' ' || messages FROM chat.unread_count($u)"),
			$node->safe_psql(
				$DB, qq{
			SELECT count(*) FILTER (WHERE u > 0) || ' ' || coalesce(sum(u), 0)
			  FROM (SELECT (SELECT count(*) FROM chat.message m WHERE m.thread_id = mb.thread_id
			                   AND m.id > mb.read_id AND m.sender_id IS DISTINCT FROM mb.user_id) AS u
			          FROM chat.member mb
			         WHERE mb.user_id = $u AND NOT mb.muted AND NOT mb.archived
			           AND (mb.hidden_id IS NULL
			                OR mb.hidden_id < (SELECT max(m.id) FROM chat.message m
			                                    WHERE m.thread_id = mb.thread_id))) s}),
			"$c: badge (unread_count) of user $u agrees with a recount");
	}

	# The API after the restart: a reply in a small and in the large thread,
	# a read, and the counters follow.
	my $small = $threads[0];
	my ($a, $b) = @{ $small->{members} };
	my $before = $node->safe_psql($DB,
		"SELECT unread_count FROM chat.inbox($b, 'inbox', NULL, 500) WHERE thread_id = $small->{id}");
	my $rid = $node->safe_psql($DB,
		"SELECT chat.new_reply($small->{id}, $a, 'after restart $cycle')");
	like($rid, qr/^\d+$/, "$c: new_reply works after the restart (id $rid)");
	$node->safe_psql($DB,
		"SELECT chat.new_reply($large_id, 7, 'after restart $cycle, large')");
	is( $node->safe_psql(
			$DB,
			"SELECT unread_count FROM chat.inbox($b, 'inbox', NULL, 500) WHERE thread_id = $small->{id}"),
		$before + 1,
		"$c: the reply counts as unread for the other member");
	$node->safe_psql($DB, "SELECT chat.mark_read($small->{id}, $b)");
	is( $node->safe_psql($DB,
			"SELECT count(*) FROM chat.verify_unread()"),
		'0', "$c: counters still exact after replies and mark_read on the recovered node");
}

# ---------------------------------------------------------------- cycles

# The postmaster's pid and those of every process it started.
sub server_pids
{
	open(my $fh, '<', $node->data_dir . '/postmaster.pid') or die $!;
	my $pm = <$fh>;
	chomp $pm;
	my @children = split /\n/,
	  $node->safe_psql('postgres', 'SELECT pid FROM pg_stat_activity WHERE pid <> pg_backend_pid()');
	return ($pm, @children);
}

# Still a process (a zombie counts: the server's own lock-file check takes it
# for a running postmaster until it is reaped).
sub alive
{
	my ($pid) = @_;
	return kill(0, $pid) ? 1 : 0;
}

my @kinds = (
	[ 'immediate stop' => sub { $node->stop('immediate'); } ],
	[   'kill -9 of the postmaster' => sub { $node->kill9; }
	],
	[   'kill -9 of a backend' => sub {
			my $pid = $node->safe_psql('postgres', q{
				SELECT pid FROM pg_stat_activity
				 WHERE application_name = 'chatload' AND datname IS NOT NULL
				 ORDER BY state = 'active' DESC, random() LIMIT 1});
			die "no load backend to kill" unless $pid =~ /^\d+$/;
			kill 'KILL', $pid;
		}
	],);

for my $cycle (1 .. 3)
{
	my ($how, $kill) = @{ $kinds[ $cycle - 1 ] };
	my $c = "cycle $cycle";
	my $log_offset = -s $node->logfile;

	my @pids = start_clients($cycle);
	my $t0   = time();
	usleep(200_000) while time() - $t0 < $LOAD_SECONDS;
	my $running = grep { waitpid($_, WNOHANG) == 0 } @pids;
	my $acked_at_kill = count_lines("ack.$cycle.*", qr/^(reply|txreply|message)\t/);
	my @old_server = server_pids();
	my $kill_offset = -s $node->logfile;
	$kill->();
	is($running, $CLIENTS, "$c: all $CLIENTS clients were still writing when the server was killed ($how)");

	if ($cycle == 2)
	{
		# The orphaned backends finish their statement and exit; until every
		# process of the old server is gone its shared memory is in use and a
		# start is refused.
		reap_clients(30, @pids);
		my $deadline = time() + 60;
		usleep(100_000) while grep({ alive($_) } @old_server) && time() < $deadline;
		is(scalar(grep { alive($_) } @old_server), 0,
			"$c: every process of the killed server is gone");
		$node->start;
		pass("$c: the node starts again after the postmaster was killed");
	}
	elsif ($cycle == 3)
	{
		reap_clients(30, @pids);
		$node->wait_for_log(qr/all server processes terminated; reinitializing/, $log_offset);
		$node->wait_for_log(qr/database system is ready to accept connections/, $log_offset);
		$node->poll_query_until($DB, 'SELECT true');
		pass("$c: the postmaster reset every session and recovered in place");
	}
	else
	{
		reap_clients(30, @pids);
		$node->start;
		pass("$c: the node starts again");
	}
	my $log = slurp_file($node->logfile, $log_offset);
	my $before_kill = substr($log, 0, $kill_offset - $log_offset);
	is(join('', grep { /terminated by signal|terminated by exception|PANIC|TRAP:/ } split /^/, $before_kill),
		'', "$c: no server process crashed under the load before the kill");
	like($log, qr/was not properly shut down; automatic recovery in progress/,
		"$c: the restart ran crash recovery");
	like($log, qr/redo done at|redo starts at/, "$c: WAL was replayed");

	my $acked = count_lines("ack.$cycle.*", qr/^(reply|txreply|message)\t/);
	my $reads = count_lines("ack.$cycle.*", qr/^read\t/);
	my $txns  = count_lines("ack.$cycle.*", qr/^txreply\t/);
	ok($acked >= 20 && $txns >= 1,
		"$c: the load was real: $acked messages ($txns in transactions of several calls) and $reads mark_read acknowledged ($acked_at_kill when the kill was sent)");
	my %errors = (call => [], transaction => []);
	for my $f (glob("$ackdir/err.$cycle.*"))
	{
		open(my $fh, '<', $f) or die $!;
		for (<$fh>)
		{
			# 57P0x, 08xxx and none (the connection closed without a
			# message): the kill itself ended the connection.
			next if /^(57P0\d|08...|)\t/;
			my (undef, $what) = split /\t/;
			push @{ $errors{ $what // 'call' } }, $_;
		}
	}
	for my $what ('call', 'transaction')
	{
		my @e = @{ $errors{$what} };
		my $label = $what eq 'call'
		  ? 'no single call (new_reply, mark_read, new_message) failed before the kill'
		  : 'no transaction of several calls (new_reply, then mark_read of the same thread) failed before the kill';
		my %by_state;
		$by_state{ (split /\t/)[0] }++ for @e;
		is(scalar @e, 0, "$c: $label")
		  or diag("$what errors of $c by SQLSTATE: "
			  . join(', ', map { "$_: $by_state{$_}" } sort keys %by_state)
			  . "\nfirst ones:\n" . join('', @e[ 0 .. ($#e < 4 ? $#e : 4) ]));
	}

	check_state($cycle);
}

is($node->safe_psql('postgres', 'SELECT 1'), '1', 'the node is up at the end');
$node->stop;
done_testing();
