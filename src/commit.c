/*
 * commit.c
 *	  How the transactions of chat's writing calls commit: their locks are
 *	  released before their WAL flush (early lock release, the default), or
 *	  they do not wait for the flush at all (the async_* opt-ins).
 *
 * A reply holds its thread's row until its transaction ends, and with
 * synchronous_commit on PostgreSQL ends it only after the commit record is on
 * disk: the next reply into a busy room waits for the disk each time, and
 * replies to one thread cannot share a flush (P2).  With the setting
 * early_lock_release on, a transaction that made one of chat's writing calls
 * (new_message, new_reply, forward_message, mark_read, mark_unread,
 * mark_delivered) writes its commit record without waiting, becomes visible
 * and releases its locks, and then, still inside COMMIT, waits until its
 * commit record is on disk.  So its client is told it committed only once it
 * is durable, as synchronous_commit = on promises, while the next writer of
 * the thread is already at work and the flushes of replies overlap.
 *
 * What differs from PostgreSQL's own commit: other sessions may see the
 * transaction during that flush, before it is durable.  Whatever they write
 * after seeing it comes after its commit record in the WAL, so their durable
 * commit makes it durable too: a crash can lose only transactions whose own
 * clients were not told they committed, never one an acknowledged
 * transaction saw.  Plain reads are not acknowledged writes: a reader may have
 * seen a reply a crash then lost; chat.changes and chat.feed wait for the
 * flush of everything they hand out (chat._wal_flush), so an event reaches a
 * client only once it is durable.
 *
 * The commit is left alone when it would wait for more than the local flush
 * (synchronous standbys named and synchronous_commit above local: that wait
 * happens inside the commit, with the locks held), when the transaction
 * already commits asynchronously, and on a server that loads Citus, whose
 * two-phase commit needs the coordinator's commit record on disk before the
 * other nodes commit.
 */
#include "postgres.h"

#include "access/xact.h"
#include "access/xlog.h"
#include "fmgr.h"
#include "replication/syncrep.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/resowner.h"

#include "chat.h"

static bool callbacks_registered = false;
static bool armed = false;		/* a writing call ran in this transaction */
static bool deferred = false;	/* this commit's flush is ours to wait for */
static int	saved_synchronous_commit;

/* synchronous_commit back as the session set it; then the flush, at commit */
static void
finish(bool commit)
{
	armed = false;
	if (!deferred)
		return;
	deferred = false;
	synchronous_commit = saved_synchronous_commit;
	if (commit)
		XLogFlush(XactLastCommitEnd);
}

/*
 * Just before the commit record: commit asynchronously when the session's
 * setting would wait for the local flush only.  Nothing between here and
 * RecordTransactionCommit reads synchronous_commit but the commit itself; the
 * variable is set back at the end of the transaction, whichever way it ends.
 */
static void
commit_xact_callback(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_PRE_COMMIT:
			if (armed && !deferred
				&& synchronous_commit > SYNCHRONOUS_COMMIT_OFF
				&& (synchronous_commit <= SYNCHRONOUS_COMMIT_LOCAL_FLUSH
					|| SyncRepStandbyNames == NULL || SyncRepStandbyNames[0] == '\0'))
			{
				saved_synchronous_commit = synchronous_commit;
				synchronous_commit = SYNCHRONOUS_COMMIT_OFF;
				deferred = true;
			}
			armed = false;
			break;
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
		case XACT_EVENT_PREPARE:
			finish(false);
			break;
		default:
			break;
	}
}

/*
 * After the commit has released its locks: wait for the commit record's
 * flush.  CommitTransaction holds interrupts off; an I/O failure of the WAL
 * is a PANIC there as here.
 */
static void
commit_release_callback(ResourceReleasePhase phase, bool isCommit, bool isTopLevel, void *arg)
{
	if (phase == RESOURCE_RELEASE_AFTER_LOCKS && isTopLevel)
		finish(isCommit);
}

/*
 * Called by each writing call with the name of its opt-in (async_messages,
 * async_read_state): when that boolean setting is on, synchronous_commit =
 * off for the rest of the transaction, as SET LOCAL does (the change outlives
 * the calling function, whose SET clause is for search_path, and goes with a
 * rolled-back savepoint).  Otherwise, with early_lock_release on, the
 * transaction's commit releases its locks before its flush (above).
 */
void
chat_relax_commit(const char *key)
{
	if (chat_setting_bool(key, false))
	{
		(void) set_config_option("synchronous_commit", "off",
								 PGC_USERSET, PGC_S_SESSION,
								 GUC_ACTION_LOCAL, true, 0, false);
		return;
	}
	if (armed || synchronous_commit == SYNCHRONOUS_COMMIT_OFF)
		return;
	/* a server loading Citus defines its settings */
	if (GetConfigOption("citus.node_conninfo", true, false) != NULL)
		return;
	if (!chat_setting_bool("early_lock_release", false))
		return;
	if (!callbacks_registered)
	{
		RegisterXactCallback(commit_xact_callback, NULL);
		RegisterResourceReleaseCallback(commit_release_callback, NULL);
		callbacks_registered = true;
	}
	armed = true;
}

/*
 * chat._relax_commit(key text) returns void: chat_relax_commit for the SQL
 * functions.
 */
PG_FUNCTION_INFO_V1(chat_relax_commit_sql);
Datum
chat_relax_commit_sql(PG_FUNCTION_ARGS)
{
	chat_relax_commit(text_to_cstring(PG_GETARG_TEXT_PP(0)));
	PG_RETURN_VOID();
}

/*
 * chat._wal_flush() returns void: wait until the WAL written so far is on
 * disk, so every transaction the caller's snapshot sees is durable (each
 * wrote its commit record before it became visible).  For what hands out
 * committed changes: chat.changes and chat.feed.
 */
PG_FUNCTION_INFO_V1(chat_wal_flush);
Datum
chat_wal_flush(PG_FUNCTION_ARGS)
{
	if (!RecoveryInProgress())
		XLogFlush(GetXLogInsertRecPtr());
	PG_RETURN_VOID();
}
