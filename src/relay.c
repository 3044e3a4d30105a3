/*
 * relay.c
 *	  The NOTIFYs of events on a Citus worker, sent to the coordinator once
 *	  the worker's transaction has committed, where the application listens.
 *
 * chat.new_reply and chat.mark_read are Citus delegated functions: called
 * alone they run whole on the worker holding the thread, and a NOTIFY there
 * would reach only that worker's listeners.  So on a worker chat queues its
 * NOTIFYs in the transaction (a rolled-back savepoint drops its own, as
 * commands/async.c does) and, when the transaction has committed and let go
 * of its locks, sends them to the coordinator (pg_notify, in one statement)
 * over a connection the backend keeps, waiting at most RELAY_TIMEOUT_MS: the
 * call's result reaches the client after its events reached the coordinator.
 * Without Citus and on the coordinator chat_notify is Async_Notify, after a
 * cached boolean.
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_namespace.h"
#include "commands/async.h"
#include "commands/dbcommands.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "libpq-fe.h"
#include "miscadmin.h"
#include "nodes/pg_list.h"
#include "storage/fd.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/timestamp.h"
#include "utils/wait_event.h"

#include "chat.h"

/*
 * How long a commit waits for the coordinator (connecting, then the
 * statement).  Past it the events are lost to listeners, with a WARNING.
 */
#define RELAY_TIMEOUT_MS 2000

/*
 * After the coordinator did not answer in time, a backend does not try again
 * for this long: its commits in between do not wait, and warn at once.
 */
#define RELAY_BACKOFF_MS 10000

/*
 * What this backend knows of its node, asked once and again when Citus's
 * pg_dist_node or pg_dist_local_group is invalidated (Citus's triggers on
 * them send a relcache invalidation); while Citus is absent, after any
 * relcache invalidation, since CREATE EXTENSION citus names no relation
 * chat could watch.
 */
static bool node_known = false;
static bool node_is_worker = false;
static char *coordinator_host = NULL;	/* in TopMemoryContext */
static int	coordinator_port = 0;
static Oid	watched_node_relid = InvalidOid;
static Oid	watched_group_relid = InvalidOid;

/* One queued NOTIFY, in TopTransactionContext. */
typedef struct RelayEntry
{
	char	   *channel;
	char	   *payload;
	SubTransactionId subid;		/* the subtransaction that queued it */
} RelayEntry;

/*
 * This transaction's queue and where it goes (a conninfo string; host:port
 * and the user for a WARNING), in TopTransactionContext.
 */
static List *relay_queue = NIL;
static char *relay_conninfo = NULL;
static char *relay_target = NULL;
static char *relay_user = NULL;

/*
 * What the commit sends, built at XACT_EVENT_PRE_COMMIT (where an error can
 * still abort) and sent after the locks are released: the channels and
 * payloads as two text[] literals.
 */
static const char *pending_conninfo = NULL;
static const char *pending_target = NULL;
static const char *pending_user = NULL;
static const char *pending_values[2];
static int	pending_count = 0;

/* The connection to the coordinator, kept for the backend's life. */
static PGconn *relay_conn = NULL;
static char *relay_conn_info = NULL;	/* malloc'd: what it was opened with */
static bool relay_callbacks = false;
static bool relay_exit_registered = false;

/* Until when this backend does not try the coordinator of relay_quiet_info. */
static TimestampTz relay_quiet_until = 0;
static char *relay_quiet_info = NULL;	/* malloc'd */

static const char *relay_sql =
"SELECT pg_catalog.pg_notify(e.channel, e.payload)"
" FROM ROWS FROM (pg_catalog.unnest($1::pg_catalog.text[]), pg_catalog.unnest($2::pg_catalog.text[]))"
" AS e (channel, payload)";

/* Forget what is known of the node when Citus's node catalogs change. */
void
chat_relay_invalidate(Oid relid)
{
	if (relid == InvalidOid || !OidIsValid(watched_node_relid) ||
		relid == watched_node_relid || relid == watched_group_relid)
		node_known = false;
}

/*
 * Is this node a Citus worker whose coordinator is registered: Citus in the
 * database, a group id other than 0 (the coordinator's), and a primary node
 * of group 0 in pg_dist_node?  Remembers the coordinator's address.
 */
static void
node_lookup(void)
{
	bool		worker = false;
	char	   *host = NULL;
	int			port = 0;

	watched_node_relid = InvalidOid;
	watched_group_relid = InvalidOid;
	if (OidIsValid(get_extension_oid("citus", true)))
	{
		watched_node_relid = get_relname_relid("pg_dist_node", PG_CATALOG_NAMESPACE);
		watched_group_relid = get_relname_relid("pg_dist_local_group", PG_CATALOG_NAMESPACE);
	}
	if (OidIsValid(watched_node_relid) && OidIsValid(watched_group_relid))
	{
		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "chat: SPI_connect failed");
		if (SPI_execute("SELECT n.nodename, n.nodeport"
						" FROM pg_catalog.pg_dist_local_group g, pg_catalog.pg_dist_node n"
						" WHERE g.groupid OPERATOR(pg_catalog.<>) 0"
						" AND n.groupid OPERATOR(pg_catalog.=) 0"
						" AND n.noderole OPERATOR(pg_catalog.=) 'primary'"
						" ORDER BY n.nodeid LIMIT 1", true, 1) != SPI_OK_SELECT)
			elog(ERROR, "chat: cannot read the Citus node catalogs");
		if (SPI_processed == 1)
		{
			bool		isnull;
			char	   *name = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
			Datum		p = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull);

			if (name != NULL && !isnull)
			{
				host = MemoryContextStrdup(TopMemoryContext, name);
				port = DatumGetInt32(p);
				worker = true;
			}
		}
		SPI_finish();
	}
	if (coordinator_host != NULL)
		pfree(coordinator_host);
	coordinator_host = host;
	coordinator_port = port;
	node_is_worker = worker;
}

/* Append keyword='value' to a conninfo string, quoted as libpq reads it. */
static void
append_conninfo(StringInfo buf, const char *keyword, const char *value)
{
	const char *c;

	appendStringInfo(buf, " %s='", keyword);
	for (c = value; *c; c++)
	{
		if (*c == '\'' || *c == '\\')
			appendStringInfoChar(buf, '\\');
		appendStringInfoChar(buf, *c);
	}
	appendStringInfoChar(buf, '\'');
}

/*
 * How this transaction reaches the coordinator: citus.node_conninfo (the
 * options Citus uses between nodes, e.g. sslmode), then its address, this
 * database and this session's user, as Citus connected here.  Read during
 * the transaction: no catalog can be read once it has committed.
 */
static void
coordinator_conninfo(void)
{
	const char *options = GetConfigOption("citus.node_conninfo", true, false);
	StringInfoData buf;

	relay_user = GetUserNameFromId(GetSessionUserId(), false);
	relay_target = psprintf("%s:%d", coordinator_host, coordinator_port);
	initStringInfo(&buf);
	if (options != NULL)
		appendStringInfoString(&buf, options);
	append_conninfo(&buf, "host", coordinator_host);
	appendStringInfo(&buf, " port=%d", coordinator_port);
	append_conninfo(&buf, "dbname", get_database_name(MyDatabaseId));
	append_conninfo(&buf, "user", relay_user);
	append_conninfo(&buf, "application_name", "chat relay");
	relay_conninfo = buf.data;
}

/* A libpq message, copied (PQfinish frees libpq's) without its final newline. */
static const char *
copy_message(const char *text)
{
	char	   *message = pstrdup(text);
	size_t		len = strlen(message);

	while (len > 0 && message[len - 1] == '\n')
		message[--len] = '\0';
	return message;
}

/* Close the connection to the coordinator. */
static void
relay_disconnect(void)
{
	if (relay_conn != NULL)
	{
		PQfinish(relay_conn);
		ReleaseExternalFD();
		relay_conn = NULL;
	}
	if (relay_conn_info != NULL)
	{
		free(relay_conn_info);
		relay_conn_info = NULL;
	}
}

/* At backend exit: say goodbye to the coordinator. */
static void
relay_exit(int code, Datum arg)
{
	relay_disconnect();
}

/*
 * Wait until the socket is ready for "events" or the deadline passes
 * (false).  Interrupts are held during a commit: the latch only wakes us.
 */
static bool
relay_wait(PGconn *conn, int events, TimestampTz deadline)
{
	for (;;)
	{
		long		timeout = TimestampDifferenceMilliseconds(GetCurrentTimestamp(), deadline);
		int			rc;

		if (timeout <= 0)
			return false;
		rc = WaitLatchOrSocket(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH | events,
							   PQsocket(conn), timeout, PG_WAIT_EXTENSION);
		if (rc & WL_LATCH_SET)
			ResetLatch(MyLatch);
		if (rc & events)
			return true;
	}
}

/*
 * Open the connection to the coordinator; false, with *error, on failure
 * (*timed_out when the deadline passed).
 */
static bool
relay_connect(const char *conninfo, TimestampTz deadline, const char **error, bool *timed_out)
{
	PostgresPollingStatusType status = PGRES_POLLING_WRITING;

	if (!AcquireExternalFD())
	{
		*error = "too many open files";
		return false;
	}
	relay_conn = PQconnectStart(conninfo);
	if (relay_conn == NULL)
	{
		ReleaseExternalFD();
		*error = "out of memory";
		return false;
	}
	relay_conn_info = strdup(conninfo);
	if (!relay_exit_registered)
	{
		before_shmem_exit(relay_exit, (Datum) 0);
		relay_exit_registered = true;
	}
	if (PQstatus(relay_conn) == CONNECTION_BAD)
		status = PGRES_POLLING_FAILED;
	while (status != PGRES_POLLING_OK && status != PGRES_POLLING_FAILED)
	{
		if (!relay_wait(relay_conn, status == PGRES_POLLING_READING ?
						WL_SOCKET_READABLE : WL_SOCKET_WRITEABLE, deadline))
		{
			*timed_out = true;
			*error = "timeout expired";
			return false;
		}
		status = PQconnectPoll(relay_conn);
	}
	if (status == PGRES_POLLING_FAILED || relay_conn_info == NULL ||
		PQsetnonblocking(relay_conn, 1) != 0)
	{
		*error = copy_message(PQerrorMessage(relay_conn));
		return false;
	}
	return true;
}

/*
 * Send the pending NOTIFYs and wait for the coordinator's answer; false,
 * with *error, on failure (*timed_out when the deadline passed).
 */
static bool
relay_send(TimestampTz deadline, const char **error, bool *timed_out)
{
	PGresult   *res;
	int			flushed;
	bool		ok = true;

	*timed_out = false;
	if (!PQsendQueryParams(relay_conn, relay_sql, 2, NULL, pending_values, NULL, NULL, 0))
	{
		*error = copy_message(PQerrorMessage(relay_conn));
		return false;
	}
	while ((flushed = PQflush(relay_conn)) == 1)
	{
		if (!relay_wait(relay_conn, WL_SOCKET_WRITEABLE, deadline))
		{
			*timed_out = true;
			*error = "timeout expired";
			return false;
		}
	}
	if (flushed < 0)
	{
		*error = copy_message(PQerrorMessage(relay_conn));
		return false;
	}
	for (;;)
	{
		while (PQisBusy(relay_conn))
		{
			if (!relay_wait(relay_conn, WL_SOCKET_READABLE, deadline))
			{
				*timed_out = true;
				*error = "timeout expired";
				return false;
			}
			if (!PQconsumeInput(relay_conn))
			{
				*error = copy_message(PQerrorMessage(relay_conn));
				return false;
			}
		}
		res = PQgetResult(relay_conn);
		if (res == NULL)
			break;
		if (PQresultStatus(res) != PGRES_TUPLES_OK && ok)
		{
			/* copied before PQclear frees it; the caller warns at once */
			const char *primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);

			*error = copy_message(primary ? primary : PQresultErrorMessage(res));
			ok = false;
		}
		PQclear(res);
	}
	return ok;
}

/*
 * Deliver the pending NOTIFYs.  A kept connection may have died since the
 * last commit (the coordinator restarted): then once more on a new one,
 * unless the coordinator did not answer in time.  Past a coordinator that
 * did not answer, nothing is tried for RELAY_BACKOFF_MS.  Never raises an
 * error (this runs inside CommitTransaction): a failure is a WARNING.
 */
static void
relay_deliver(void)
{
	TimestampTz now = GetCurrentTimestamp();
	TimestampTz deadline = TimestampTzPlusMilliseconds(now, RELAY_TIMEOUT_MS);
	const char *error = NULL;
	bool		timed_out = false;
	bool		ok = false;
	int			attempt;

	if (relay_quiet_info != NULL && now < relay_quiet_until &&
		strcmp(relay_quiet_info, pending_conninfo) == 0)
	{
		ereport(WARNING,
				(errcode(ERRCODE_CONNECTION_FAILURE),
				 errmsg("could not send %d event notifications to the Citus coordinator \"%s\": it did not answer in time %ld ms ago",
						pending_count, pending_target,
						(long) ((now - (relay_quiet_until - RELAY_BACKOFF_MS * INT64CONST(1000))) / 1000)),
				 errdetail("The transaction has committed; listeners on the coordinator do not hear of it. This session tries the coordinator again %d s after it last failed to answer.",
						   RELAY_BACKOFF_MS / 1000)));
		return;
	}

	if (relay_conn != NULL &&
		(PQstatus(relay_conn) != CONNECTION_OK || strcmp(relay_conn_info, pending_conninfo) != 0))
		relay_disconnect();
	for (attempt = 0; attempt < 2 && !ok; attempt++)
	{
		bool		reused = (relay_conn != NULL);

		if (!reused && !relay_connect(pending_conninfo, deadline, &error, &timed_out))
		{
			relay_disconnect();
			break;
		}
		ok = relay_send(deadline, &error, &timed_out);
		if (!ok)
			relay_disconnect();
		if (!reused || timed_out)
			break;
	}
	if (relay_quiet_info != NULL)
	{
		free(relay_quiet_info);
		relay_quiet_info = NULL;
	}
	if (!ok && timed_out)
	{
		/* kept across transactions, malloc'd as relay_conn_info is */
		relay_quiet_info = strdup(pending_conninfo);
		relay_quiet_until = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), RELAY_BACKOFF_MS);
	}
	if (!ok)
		ereport(WARNING,
				(errcode(ERRCODE_CONNECTION_FAILURE),
				 errmsg("could not send %d event notifications to the Citus coordinator \"%s\": %s",
						pending_count, pending_target, error ? error : "unknown error"),
				 errdetail("The transaction has committed; listeners on the coordinator do not hear of it."),
				 timed_out
				 ? errhint("The coordinator did not answer within %d s: it may be overloaded, or waiting for a lock its NOTIFY needs. This session tries it again in %d s.",
						   RELAY_TIMEOUT_MS / 1000, RELAY_BACKOFF_MS / 1000)
				 : errhint("Check that this worker can connect to the coordinator as user \"%s\" (citus.node_conninfo, .pgpass).",
						   pending_user)));
}

/* The entries as a text[] literal: field 0 the channels, 1 the payloads. */
static char *
queue_array(int field)
{
	StringInfoData buf;
	ListCell   *lc;

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '{');
	foreach(lc, relay_queue)
	{
		RelayEntry *entry = (RelayEntry *) lfirst(lc);
		const char *c;

		if (buf.len > 1)
			appendStringInfoChar(&buf, ',');
		appendStringInfoChar(&buf, '"');
		for (c = (field == 0 ? entry->channel : entry->payload); *c; c++)
		{
			if (*c == '"' || *c == '\\')
				appendStringInfoChar(&buf, '\\');
			appendStringInfoChar(&buf, *c);
		}
		appendStringInfoChar(&buf, '"');
	}
	appendStringInfoChar(&buf, '}');
	return buf.data;
}

/*
 * PRE_COMMIT: build what the commit sends.  PRE_PREPARE: refuse, as
 * PostgreSQL refuses to PREPARE a transaction that sent NOTIFY (the
 * prepared transaction commits later, in another session, where nothing
 * would send its events).  The end of a transaction forgets the queue.
 */
static void
relay_xact_callback(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_PRE_COMMIT:
			pending_count = list_length(relay_queue);
			if (pending_count > 0)
			{
				MemoryContext old = MemoryContextSwitchTo(TopTransactionContext);

				pending_values[0] = queue_array(0);
				pending_values[1] = queue_array(1);
				pending_conninfo = relay_conninfo;
				pending_target = relay_target;
				pending_user = relay_user;
				MemoryContextSwitchTo(old);
			}
			relay_queue = NIL;
			break;
		case XACT_EVENT_PRE_PREPARE:
			if (relay_queue != NIL)
				ereport(ERROR,
						(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						 errmsg("cannot PREPARE a transaction that has chat events to send to the Citus coordinator"),
						 errdetail("A NOTIFY cannot be prepared: it is sent when its own transaction commits."),
						 errhint("Make chat's calls outside transactions committed with two-phase commit.")));
			break;
		case XACT_EVENT_COMMIT:
			/* the pending NOTIFYs go out after the locks are released */
			relay_queue = NIL;
			relay_conninfo = NULL;
			break;
		default:
			relay_queue = NIL;
			relay_conninfo = NULL;
			pending_count = 0;
			break;
	}
}

/* A rolled-back savepoint drops the NOTIFYs it queued (async.c does). */
static void
relay_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
					   SubTransactionId parentSubid, void *arg)
{
	ListCell   *lc;

	if (relay_queue == NIL)
		return;
	if (event == SUBXACT_EVENT_ABORT_SUB)
	{
		foreach(lc, relay_queue)
		{
			if (((RelayEntry *) lfirst(lc))->subid == mySubid)
				relay_queue = foreach_delete_current(relay_queue, lc);
		}
	}
	else if (event == SUBXACT_EVENT_COMMIT_SUB)
	{
		foreach(lc, relay_queue)
		{
			RelayEntry *entry = (RelayEntry *) lfirst(lc);

			if (entry->subid == mySubid)
				entry->subid = parentSubid;
		}
	}
}

/*
 * After a top-level commit has released its locks (where PostgreSQL
 * signals listeners of its own NOTIFYs): send the pending NOTIFYs, so a
 * slow coordinator holds up this session but not the thread's other
 * writers.  TopTransactionContext lives until just after.
 */
static void
relay_release_callback(ResourceReleasePhase phase, bool isCommit, bool isTopLevel, void *arg)
{
	if (phase != RESOURCE_RELEASE_AFTER_LOCKS || !isTopLevel || pending_count == 0)
		return;
	if (isCommit)
	{
		MemoryContext context = CurrentMemoryContext;

		/* nothing may raise an error inside CommitTransaction */
		PG_TRY();
		{
			relay_deliver();
		}
		PG_CATCH();
		{
			ErrorData  *edata;

			MemoryContextSwitchTo(context);
			edata = CopyErrorData();
			FlushErrorState();
			relay_disconnect();
			ereport(WARNING,
					(errcode(ERRCODE_CONNECTION_FAILURE),
					 errmsg("could not send %d event notifications to the Citus coordinator \"%s\": %s",
							pending_count, pending_target, edata->message)));
			FreeErrorData(edata);
		}
		PG_END_TRY();
	}
	pending_count = 0;
}

/*
 * NOTIFY channel, payload: at this transaction's commit, from this node or,
 * on a Citus worker, from the coordinator.
 */
void
chat_notify(const char *channel, const char *payload)
{
	MemoryContext old;
	RelayEntry *entry;

	if (!node_known)
		chat_cache_fill(&node_known, node_lookup);
	if (!node_is_worker)
	{
		Async_Notify(channel, payload);
		return;
	}
	if (!relay_callbacks)
	{
		RegisterXactCallback(relay_xact_callback, NULL);
		RegisterSubXactCallback(relay_subxact_callback, NULL);
		RegisterResourceReleaseCallback(relay_release_callback, NULL);
		relay_callbacks = true;
	}
	old = MemoryContextSwitchTo(TopTransactionContext);
	if (relay_conninfo == NULL)
		coordinator_conninfo();
	entry = palloc(sizeof(RelayEntry));
	entry->channel = pstrdup(channel);
	entry->payload = pstrdup(payload);
	entry->subid = GetCurrentSubTransactionId();
	relay_queue = lappend(relay_queue, entry);
	MemoryContextSwitchTo(old);
}
