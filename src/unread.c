/*
 * unread.c
 *	  The BEFORE INSERT trigger on chat.message: assigns the message id under
 *	  the thread's row lock, counts the message and moves read state.
 *
 * Per message this writes the thread row (a HOT update where the page has
 * room: none of the columns it sets is indexed; written without the executor
 * where chat.thread is chat's plain table, count_on_thread_direct), the
 * sender's member row, and in threads of at most
 * inbox_fanout_limit members the other members' rows, whose copies of the
 * thread's position keep every inbox a single index scan.  Threads above the
 * limit ("large") write nothing per member: unread counts there are the thread
 * row's counter minus the member's, and the inbox merges them from the thread
 * row.  Either way the cost of a message does not grow with a large thread.
 *
 * The thread row is locked before the id is drawn, so ids increase within a
 * thread in commit order, and every writer of several member rows of a thread
 * locks the thread row first, so those writers never deadlock.
 *
 * The same statements check the sender: a text message needs a member, and
 * from chat 0.3 on one with the permission "post" (read from the member row
 * the trigger updates anyway).  A row that arrives with an id of its own is
 * one restored by pg_dump and is left as it is (is_restored_row).
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/nbtree.h"
#include "access/relscan.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_am.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "commands/sequence.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "parser/parse_func.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "chat.h"

/*
 * Saved plans.  They take the user id as chat.user_id, whose OID changes if
 * the extension is dropped and created again; plans are remade then.
 */
static Oid	plans_user_type = InvalidOid;
static bool plans_permissions = false;	/* plans read member.permissions (0.3 on) */
static SPIPlanPtr thread_plan = NULL;
static SPIPlanPtr fanout_plan = NULL;
static SPIPlanPtr sender_plan = NULL;
static SPIPlanPtr counted_plan = NULL;
static SPIPlanPtr mention_plan = NULL;	/* made when a message first mentions someone */
static SPIPlanPtr citus_lock_plan = NULL;	/* with Citus only (below) */
static SPIPlanPtr citus_draw_plan = NULL;

/* Is this id one the thread has already counted (a row restored by pg_dump)? */
static const char *counted_sql =
"SELECT $2 OPERATOR(pg_catalog.<=) last_message_id FROM chat.thread"
" WHERE id OPERATOR(pg_catalog.=) $1";

/* Count the message on the thread row, draw its id, return the new state. */
static const char *thread_sql =
"UPDATE chat.thread"
"   SET message_count = message_count OPERATOR(pg_catalog.+) 1,"
"       last_message_id = pg_catalog.nextval('chat.message_id_seq'::pg_catalog.regclass),"
"       last_sender_id = $2,"
"       last_sent_at = pg_catalog.clock_timestamp(),"
"       last_preview = pg_catalog.\"left\"($3, 100)"
" WHERE id OPERATOR(pg_catalog.=) $1"
" RETURNING last_message_id, last_sent_at, message_count, large, kind OPERATOR(pg_catalog.=) 'channel'";

/*
 * With Citus (README "Running on Citus") this trigger runs on the node holding
 * the thread, where Citus refuses a volatile call in an UPDATE of a
 * distributed table: the row is locked first, then the id and time are drawn,
 * then written.  Three statements instead of one, only where Citus is.  The
 * id is time-ordered across nodes (chat._citus_message_id).
 */
static const char *citus_lock_sql =
"SELECT last_message_id FROM chat.thread WHERE id OPERATOR(pg_catalog.=) $1 FOR NO KEY UPDATE";
static const char *citus_draw_sql =
"SELECT chat._citus_message_id($1), pg_catalog.clock_timestamp()";
static const char *citus_thread_sql =
"UPDATE chat.thread"
"   SET message_count = message_count OPERATOR(pg_catalog.+) 1,"
"       last_message_id = $4,"
"       last_sender_id = $2,"
"       last_sent_at = $5,"
"       last_preview = pg_catalog.\"left\"($3, 100)"
" WHERE id OPERATOR(pg_catalog.=) $1"
" RETURNING last_message_id, last_sent_at, message_count, large, kind OPERATOR(pg_catalog.=) 'channel'";

/*
 * Small thread: every member's copy moves; the sender's pointers too.  Other
 * members' hidden_id stays: a thread they deleted is visible again because
 * activity_id has passed it, as in large threads.
 */
static const char *fanout_sql =
"UPDATE chat.member"
"   SET activity_id = $2, message_count = $3,"
"       hidden_id = CASE WHEN user_id OPERATOR(pg_catalog.=) $4 THEN NULL ELSE hidden_id END,"
"       read_id = CASE WHEN user_id OPERATOR(pg_catalog.=) $4 THEN $2 ELSE read_id END,"
"       read_count = CASE WHEN user_id OPERATOR(pg_catalog.=) $4 THEN $3 ELSE read_count END,"
"       delivered_id = CASE WHEN user_id OPERATOR(pg_catalog.=) $4 THEN $2 ELSE delivered_id END%s"
" WHERE thread_id OPERATOR(pg_catalog.=) $1"
" RETURNING user_id OPERATOR(pg_catalog.=) $4%s";

/*
 * Mentions (chat 0.9 on): count the message on the rows of the mentioned
 * members, whatever the thread's size: O(mentions), not O(members).  The
 * members found, sorted, are the list the message keeps; the sender is never
 * mentioned.
 */
static const char *mention_sql =
"WITH u AS (UPDATE chat.member"
"   SET mention_count = mention_count OPERATOR(pg_catalog.+) 1, last_mention_id = $2"
" WHERE thread_id OPERATOR(pg_catalog.=) $1 AND user_id OPERATOR(pg_catalog.=) ANY ($3)"
"   AND ($4 IS NULL OR user_id OPERATOR(pg_catalog.<>) $4)"
" RETURNING user_id)"
" SELECT pg_catalog.array_agg(u.user_id ORDER BY u.user_id)::chat.user_id[] FROM u";

/* Large thread: only the sender's row. */
static const char *sender_sql =
"UPDATE chat.member"
"   SET read_id = $2, read_count = $3, delivered_id = $2, hidden_id = NULL,"
"       activity_id = $2, message_count = $3%s"
" WHERE thread_id OPERATOR(pg_catalog.=) $1 AND user_id OPERATOR(pg_catalog.=) $4"
" RETURNING true%s";

/*
 * From chat 0.9 on, the sender has read everything, mentions included (its
 * mention_count goes to 0; the other members' stay).
 */
static const char *fanout_mentions_sql =
",     mention_count = CASE WHEN user_id OPERATOR(pg_catalog.=) $4 THEN 0 ELSE mention_count END";
static const char *sender_mentions_sql = ", mention_count = 0";

/* The second column those two return, from chat 0.3 on: may the sender post? */
static const char *may_post_sql =
", 'post'::pg_catalog.text OPERATOR(pg_catalog.=) ANY (permissions)";

/*
 * Does this database's chat.member have the permissions column (0.3 on)?
 * Asked once, and again after any relcache invalidation (the ALTER TABLE of
 * an update sends one).
 */
static bool schema_known = false;
static bool schema_permissions = false;
static bool schema_mentions = false;	/* member.mention_count (0.9 on) */
static bool plans_mentions = false;
static bool schema_citus = false;	/* the Citus extension is in this database */
static bool plans_citus = false;

/*
 * The column numbers of chat.message the trigger reads or sets, for the
 * relation they were looked up in (a shard of it with Citus); looked up again
 * after any relcache invalidation (an ALTER TABLE sends one).  0: no such
 * column (search_vector and mentions before chat 0.9).
 */
typedef struct MessageColumns
{
	Oid			relid;
	int			id;
	int			thread_id;
	int			sender_id;
	int			kind;
	int			content;
	int			sent_at;
	int			parent_id;
	int			forwarded_from;
	int			search_vector;
	int			mentions;
} MessageColumns;

static MessageColumns message_columns;
static bool message_columns_known = false;
static bool thread_table_known = false;	/* thread_table below */

/* Ask again after any relcache invalidation, whatever the relation. */
void
chat_unread_invalidate(Oid relid)
{
	schema_known = false;
	message_columns_known = false;
	thread_table_known = false;
}

static bool
member_has_permissions(void)
{
	if (!schema_known)
	{
		Oid			relid = chat_relid("member");

		schema_permissions = OidIsValid(relid) &&
			get_attnum(relid, "permissions") != InvalidAttrNumber;
		schema_mentions = OidIsValid(relid) &&
			get_attnum(relid, "mention_count") != InvalidAttrNumber;
		/* Citus in the database, and chat 0.9 on (its chat._citus_message_id) */
		schema_citus = OidIsValid(get_extension_oid("citus", true)) &&
			OidIsValid(LookupFuncName(list_make2(makeString("chat"), makeString("_citus_message_id")),
									  1, (Oid[]) {INT8OID}, true));
		schema_known = true;
	}
	return schema_permissions;
}

/* Make the plans for this user id type and schema, unless they exist already. */
static void
prepare_plans(Oid user_type)
{
	bool		permissions = member_has_permissions();
	bool		mentions = schema_mentions;
	char	   *sql;
	Oid			thread_args[3] = {INT8OID, user_type, TEXTOID};
	Oid			member_args[4] = {INT8OID, INT8OID, INT8OID, user_type};
	Oid			counted_args[2] = {INT8OID, INT8OID};
	Oid			citus_args[5] = {INT8OID, user_type, TEXTOID, INT8OID, TIMESTAMPTZOID};
	bool		citus = schema_citus;

	if (thread_plan != NULL && plans_user_type == user_type && plans_permissions == permissions &&
		plans_mentions == mentions && plans_citus == citus)
		return;

	if (thread_plan != NULL)
	{
		SPI_freeplan(thread_plan);
		SPI_freeplan(fanout_plan);
		SPI_freeplan(sender_plan);
		SPI_freeplan(counted_plan);
		if (mention_plan != NULL)
			SPI_freeplan(mention_plan);
		if (citus_lock_plan != NULL)
		{
			SPI_freeplan(citus_lock_plan);
			SPI_freeplan(citus_draw_plan);
		}
		thread_plan = fanout_plan = sender_plan = counted_plan = mention_plan = NULL;
		citus_lock_plan = citus_draw_plan = NULL;
	}
	if (citus)
	{
		citus_lock_plan = chat_keep_plan(citus_lock_sql, 1, thread_args);
		citus_draw_plan = chat_keep_plan(citus_draw_sql, 1, thread_args);
		thread_plan = chat_keep_plan(citus_thread_sql, 5, citus_args);
	}
	else
		thread_plan = chat_keep_plan(thread_sql, 3, thread_args);
	sql = psprintf(fanout_sql, mentions ? fanout_mentions_sql : "", permissions ? may_post_sql : "");
	fanout_plan = chat_keep_plan(sql, 4, member_args);
	sql = psprintf(sender_sql, mentions ? sender_mentions_sql : "", permissions ? may_post_sql : "");
	sender_plan = chat_keep_plan(sql, 4, member_args);
	counted_plan = chat_keep_plan(counted_sql, 2, counted_args);
	plans_user_type = user_type;
	plans_permissions = permissions;
	plans_mentions = mentions;
	plans_citus = citus;
}

/* A column's number in chat.message; the table's shape is the extension's. */
static int
message_attnum(TupleDesc desc, const char *name)
{
	int			attnum = SPI_fnumber(desc, name);

	if (attnum <= 0)
		elog(ERROR, "chat: chat.message has no column \"%s\"", name);
	return attnum;
}

/* The row being inserted, as the trigger reads it. */
typedef struct NewMessage
{
	HeapTuple	tuple;
	TupleDesc	desc;
	int			att_id;			/* the columns read or set later */
	int			att_kind;
	int			att_sent_at;
	int			att_mentions;	/* 0: no such column (before chat 0.9) */
	int			att_vector;		/* search_vector; 0: no such column (before chat 0.9) */
	int64		thread_id;
	Datum		sender;
	bool		sender_null;
	Datum		content;
	bool		content_null;
	Datum		mentions;		/* the list given, when it names anyone */
	bool		has_mentions;
	Oid			user_type;		/* sender_id's type: chat.user_id */
} NewMessage;

/* The thread row's state once the message is counted on it. */
typedef struct ThreadCount
{
	int64		message_id;		/* drawn under the thread row's lock */
	Datum		sent_at;
	int64		message_count;
	bool		large;			/* no per-member writes (see above) */
	bool		is_channel;
} ThreadCount;

/* The sender, as the update of the member rows found it. */
typedef struct SenderStanding
{
	bool		is_member;
	bool		may_post;		/* always true before chat 0.3 */
} SenderStanding;

/*
 * chat's functions insert as the extension owner; an end user granted
 * INSERT would be stopped by row-level security only after this trigger
 * had run, so stop it here, before anything is counted.
 */
static void
refuse_direct_insert(void)
{
	if (!chat_role_is_server(GetUserId()))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to insert into chat.message directly"),
				 errhint("Send messages with chat.new_message() or chat.new_reply()."),
				 errreason("direct_write")));
}

/* A column's number in chat.message, or 0 when it has none. */
static int
optional_attnum(TupleDesc desc, const char *name)
{
	int			attnum = SPI_fnumber(desc, name);

	return attnum > 0 ? attnum : 0;
}

/* chat.message's column numbers, looked up once per relation (see above). */
static const MessageColumns *
message_columns_of(Relation rel)
{
	TupleDesc	desc = RelationGetDescr(rel);

	if (!message_columns_known || message_columns.relid != RelationGetRelid(rel))
	{
		message_columns_known = false;
		message_columns.id = message_attnum(desc, "id");
		message_columns.thread_id = message_attnum(desc, "thread_id");
		message_columns.sender_id = message_attnum(desc, "sender_id");
		message_columns.kind = message_attnum(desc, "kind");
		message_columns.content = message_attnum(desc, "content");
		message_columns.sent_at = message_attnum(desc, "sent_at");
		message_columns.parent_id = message_attnum(desc, "parent_id");
		message_columns.forwarded_from = message_attnum(desc, "forwarded_from");
		message_columns.search_vector = optional_attnum(desc, "search_vector");
		message_columns.mentions = optional_attnum(desc, "mentions");
		message_columns.relid = RelationGetRelid(rel);
		message_columns_known = true;
	}
	return &message_columns;
}

/* Read the row being inserted; 23502 when it has no thread. */
static void
read_new_message(Relation rel, HeapTuple tuple, NewMessage *msg)
{
	TupleDesc	desc = RelationGetDescr(rel);
	const MessageColumns *cols = message_columns_of(rel);
	bool		isnull;

	msg->tuple = tuple;
	msg->desc = desc;
	msg->att_id = cols->id;
	msg->att_kind = cols->kind;
	msg->att_sent_at = cols->sent_at;
	msg->user_type = TupleDescAttr(desc, cols->sender_id - 1)->atttypid;

	msg->thread_id = DatumGetInt64(heap_getattr(msg->tuple, cols->thread_id, desc, &isnull));
	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("a message needs a thread_id")));
	/* what the constraint message_forward_not_reply said until chat 0.9 */
	(void) heap_getattr(msg->tuple, cols->parent_id, desc, &isnull);
	if (!isnull)
	{
		(void) heap_getattr(msg->tuple, cols->forwarded_from, desc, &isnull);
		if (!isnull)
			ereport(ERROR,
					(errcode(ERRCODE_CHECK_VIOLATION),
					 errmsg("new row for relation \"message\" violates check constraint \"message_forward_not_reply\""),
					 errdetail("A forwarded message cannot be a reply."),
					 errtableconstraint(rel, "message_forward_not_reply")));
	}
	msg->sender = heap_getattr(msg->tuple, cols->sender_id, desc, &msg->sender_null);
	msg->content = heap_getattr(msg->tuple, cols->content, desc, &msg->content_null);

	/* the search vector, from chat 0.9 on: filled here for new text messages */
	msg->att_vector = cols->search_vector;

	/* mentions, from chat 0.9 on: a column the trigger fills from the list given */
	msg->att_mentions = cols->mentions;
	msg->has_mentions = false;
	if (msg->att_mentions > 0)
	{
		msg->mentions = heap_getattr(msg->tuple, msg->att_mentions, desc, &isnull);
		if (!isnull)
		{
			ArrayType  *list = DatumGetArrayTypeP(msg->mentions);

			msg->mentions = PointerGetDatum(list);
			msg->has_mentions = ArrayGetNItems(ARR_NDIM(list), ARR_DIMS(list)) > 0;
		}
	}
}

/*
 * Is the row a system message?  Its kind (the enum chat.message_kind)
 * against the value 'system', looked up once per type: every message asks.
 */
static bool
is_system_message(const NewMessage *msg)
{
	static Oid	kind_type = InvalidOid;
	static Oid	system_value = InvalidOid;
	Oid			type = TupleDescAttr(msg->desc, msg->att_kind - 1)->atttypid;
	bool		isnull;
	Datum		kind = heap_getattr(msg->tuple, msg->att_kind, msg->desc, &isnull);

	if (isnull)
		return false;
	if (type != kind_type)
	{
		system_value = DatumGetObjectId(DirectFunctionCall2(enum_in, CStringGetDatum("system"),
															ObjectIdGetDatum(type)));
		kind_type = type;
	}
	return DatumGetObjectId(kind) == system_value;
}

/*
 * A row that brings its own id is one restored by pg_dump (chat's functions
 * never give one: the id is drawn here) when its thread has counted that id
 * already, or when its thread is not visible: pg_restore -j loads chat.thread
 * and chat.message in parallel transactions, so a message may arrive before
 * its thread's row is committed.  Either way it is kept as it is; the thread
 * and member rows restored beside it count it.  Every other row gets a new id.
 */
static bool
is_restored_row(const NewMessage *msg)
{
	bool		isnull;
	Datum		id = heap_getattr(msg->tuple, msg->att_id, msg->desc, &isnull);
	Datum		args[2];
	Datum		counted;

	if (isnull)
		return false;
	args[0] = Int64GetDatum(msg->thread_id);
	args[1] = id;
	if (SPI_execute_plan(counted_plan, args, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "chat: cannot read thread %lld", (long long) msg->thread_id);
	if (SPI_processed != 1)
		return true;			/* its thread is being restored beside it */
	counted = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	return !isnull && DatumGetBool(counted);
}

/*
 * The thread row's update without the executor (count_on_thread): chat.thread,
 * its primary key, the sequence of message ids and the columns read or set,
 * looked up once and again after any relcache invalidation.  Taken only when
 * chat.thread is the plain table chat makes: no Citus in the database, no
 * trigger on UPDATE, no CHECK constraint, no generated column, no deferred
 * unique index (0.8's thread_object_check, for one, sends it to the UPDATE).
 */
typedef struct ThreadTable
{
	bool		direct;
	Oid			relid;
	Oid			pkey;
	Oid			id_seq;
	Oid			channel;		/* 'channel'::chat.thread_kind */
	int			att_message_count;
	int			att_last_message_id;
	int			att_last_sender_id;
	int			att_last_sent_at;
	int			att_last_preview;
	int			att_large;
	int			att_kind;
} ThreadTable;

static ThreadTable thread_table;

static bool
thread_table_is_plain(Relation rel)
{
	TupleDesc	desc = RelationGetDescr(rel);
	ThreadTable *t = &thread_table;
	bool		plain;

	if (chat_table_has_update_triggers(rel) || !chat_table_is_plain(rel))
		return false;
	t->pkey = chat_relid("thread_pkey");
	t->id_seq = chat_relid("message_id_seq");
	t->att_message_count = SPI_fnumber(desc, "message_count");
	t->att_last_message_id = SPI_fnumber(desc, "last_message_id");
	t->att_last_sender_id = SPI_fnumber(desc, "last_sender_id");
	t->att_last_sent_at = SPI_fnumber(desc, "last_sent_at");
	t->att_last_preview = SPI_fnumber(desc, "last_preview");
	t->att_large = SPI_fnumber(desc, "large");
	t->att_kind = SPI_fnumber(desc, "kind");
	plain = OidIsValid(t->pkey) && OidIsValid(t->id_seq) && t->att_message_count > 0 &&
		t->att_last_message_id > 0 && t->att_last_sender_id > 0 && t->att_last_sent_at > 0 &&
		t->att_last_preview > 0 && t->att_large > 0 && t->att_kind > 0 &&
		type_is_enum(TupleDescAttr(desc, t->att_kind - 1)->atttypid);
	if (plain)
		t->channel = DatumGetObjectId(DirectFunctionCall2(enum_in, CStringGetDatum("channel"),
														  ObjectIdGetDatum(TupleDescAttr(desc, t->att_kind - 1)->atttypid)));
	if (plain)
	{
		/* the row is found by its key: a btree on id alone */
		Relation	index = index_open(t->pkey, AccessShareLock);

		plain = index->rd_index->indnatts == 1 && index->rd_index->indkey.values[0] == SPI_fnumber(desc, "id") &&
			index->rd_rel->relam == BTREE_AM_OID;
		index_close(index, AccessShareLock);
	}
	return plain;
}

/* May the thread row be updated without the executor by the current role? */
static bool
thread_direct(void)
{
	if (!thread_table_known)
	{
		thread_table.direct = chat_table_check("thread", thread_table_is_plain, &thread_table.relid);
		thread_table_known = true;
	}
	/* the role's rights and row-level security, as the UPDATE ... RETURNING asks them */
	return thread_table.direct && chat_may_write_directly(thread_table.relid, ACL_UPDATE | ACL_SELECT);
}

/*
 * count_on_thread's UPDATE made directly: find the thread's row by its key
 * (with a new snapshot, as SPI takes one for each statement that writes),
 * lock its newest version as the UPDATE would (READ COMMITTED follows a
 * concurrent update to the newest version, REPEATABLE READ fails with 40001),
 * then write the new version (HOT when it can be; index entries otherwise).
 */
static void
count_on_thread_direct(const NewMessage *msg, ThreadCount *count)
{
	ThreadTable *t = &thread_table;
	Relation	rel;
	Relation	pkey;
	TupleDesc	desc;
	ScanKeyData key;
	IndexScanDesc scan;
	TupleTableSlot *slot;
	TupleTableSlot *newslot;
	TM_FailureData tmfd;
	TM_Result	result;
	LockTupleMode lockmode;
	ItemPointerData tid;
	CommandId	cid;
	bool		found;
	bool		update_indexes;
	bool		shouldfree;
	HeapTuple	old;
	int			cols[5];
	Datum		values[5];
	bool		nulls[5];
	bool		isnull;

	cid = chat_update_begin(t->relid, &rel);
	desc = RelationGetDescr(rel);
	slot = table_slot_create(rel, NULL);

	pkey = index_open(t->pkey, AccessShareLock);
	ScanKeyInit(&key, 1, BTEqualStrategyNumber, F_INT8EQ, Int64GetDatum(msg->thread_id));
	scan = index_beginscan(rel, pkey, GetActiveSnapshot(), 1, 0);
	index_rescan(scan, &key, 1, NULL, 0);
	found = index_getnext_slot(scan, ForwardScanDirection, slot);
	if (found)
		tid = slot->tts_tid;
	index_endscan(scan);
	index_close(pkey, NoLock);

	if (!found || chat_lock_newest(rel, &tid, slot, cid) == TM_Deleted)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("thread %lld does not exist", (long long) msg->thread_id)));

	/* the newest version, locked: count the message on it */
	old = ExecFetchSlotHeapTuple(slot, true, &shouldfree);
	count->message_id = nextval_internal(t->id_seq, true);
	count->sent_at = TimestampTzGetDatum(GetCurrentTimestamp());
	count->message_count = DatumGetInt64(slot_getattr(slot, t->att_message_count, &isnull)) + 1;
	count->large = DatumGetBool(slot_getattr(slot, t->att_large, &isnull));
	count->is_channel = DatumGetObjectId(slot_getattr(slot, t->att_kind, &isnull)) == t->channel;
	cols[0] = t->att_message_count;
	values[0] = Int64GetDatum(count->message_count);
	nulls[0] = false;
	cols[1] = t->att_last_message_id;
	values[1] = Int64GetDatum(count->message_id);
	nulls[1] = false;
	cols[2] = t->att_last_sender_id;
	values[2] = msg->sender;
	nulls[2] = msg->sender_null;
	cols[3] = t->att_last_sent_at;
	values[3] = count->sent_at;
	nulls[3] = false;
	cols[4] = t->att_last_preview;
	nulls[4] = msg->content_null;
	values[4] = msg->content_null ? (Datum) 0
		: DirectFunctionCall2(text_left, msg->content, Int32GetDatum(100));
	newslot = MakeSingleTupleTableSlot(desc, &TTSOpsHeapTuple);
	ExecStoreHeapTuple(heap_modify_tuple_by_cols(old, desc, 5, cols, values, nulls), newslot, true);

	result = table_tuple_update(rel, &slot->tts_tid, newslot, cid, GetActiveSnapshot(), InvalidSnapshot,
								true, &tmfd, &lockmode, &update_indexes);
	if (result != TM_Ok)
		elog(ERROR, "chat: cannot update thread %lld (%d)", (long long) msg->thread_id, (int) result);
	if (update_indexes)
		chat_index_row(rel, newslot, true);	/* not HOT: every index gets the new version */
	ExecDropSingleTupleTableSlot(newslot);
	if (shouldfree)
		heap_freetuple(old);
	ExecDropSingleTupleTableSlot(slot);
	chat_update_end(rel);
}

/*
 * Lock the thread row and count the message on it: the id is drawn under the
 * lock.  42704 when the thread does not exist.
 */
static void
count_on_thread(const NewMessage *msg, ThreadCount *count)
{
	Datum		args[5] = {Int64GetDatum(msg->thread_id), msg->sender, msg->content, 0, 0};
	char		nulls[5] = {' ', msg->sender_null ? 'n' : ' ', msg->content_null ? 'n' : ' ', ' ', ' '};
	HeapTuple	row;
	TupleDesc	desc;
	bool		isnull;

	if (!plans_citus && thread_direct())
	{
		count_on_thread_direct(msg, count);
		return;
	}
	if (plans_citus)
	{
		Datum		last[1];

		if (SPI_execute_plan(citus_lock_plan, args, nulls, false, 0) != SPI_OK_SELECT)
			elog(ERROR, "chat: cannot lock thread %lld", (long long) msg->thread_id);
		if (SPI_processed == 0)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_OBJECT),
					 errmsg("thread %lld does not exist", (long long) msg->thread_id)));
		/* the id follows the thread's last one (chat._citus_message_id, sql/src/citus.sql) */
		last[0] = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
		if (SPI_execute_plan(citus_draw_plan, last, isnull ? "n" : " ", false, 1) != SPI_OK_SELECT ||
			SPI_processed != 1)
			elog(ERROR, "chat: cannot draw a message id");
		args[3] = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
		args[4] = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull);
	}
	if (SPI_execute_plan(thread_plan, args, nulls, false, 0) != SPI_OK_UPDATE_RETURNING)
		elog(ERROR, "chat: cannot update thread %lld", (long long) msg->thread_id);
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("thread %lld does not exist", (long long) msg->thread_id)));
	row = SPI_tuptable->vals[0];
	desc = SPI_tuptable->tupdesc;
	count->message_id = DatumGetInt64(SPI_getbinval(row, desc, 1, &isnull));
	count->sent_at = SPI_getbinval(row, desc, 2, &isnull);
	count->message_count = DatumGetInt64(SPI_getbinval(row, desc, 3, &isnull));
	count->large = DatumGetBool(SPI_getbinval(row, desc, 4, &isnull));
	count->is_channel = DatumGetBool(SPI_getbinval(row, desc, 5, &isnull));
}

/*
 * Move the members' state past the message: every member's row in a small
 * thread, only the sender's in a large one.  Each updated row says in its
 * first column whether it is the sender's (the sender's statement updates
 * only that row and says true), and from chat 0.3 on in its second whether
 * the sender may post.
 */
static void
move_member_state(const NewMessage *msg, const ThreadCount *count,
				  SenderStanding *standing)
{
	Datum		args[4];
	char		nulls[4] = {' ', ' ', ' ', msg->sender_null ? 'n' : ' '};
	uint64		i;

	args[0] = Int64GetDatum(msg->thread_id);
	args[1] = Int64GetDatum(count->message_id);
	args[2] = Int64GetDatum(count->message_count);
	args[3] = msg->sender;
	standing->is_member = false;
	standing->may_post = true;
	if (count->large && msg->sender_null)
		return;					/* no member row to move */
	if (!plans_citus && plans_permissions && plans_mentions)
	{
		ChatMemberMove move = {msg->thread_id, count->message_id, count->message_count,
		msg->sender, msg->sender_null, count->large};

		if (chat_fanout_direct(&move, &standing->is_member, &standing->may_post))
			return;
	}
	if (count->large)
	{
		if (SPI_execute_plan(sender_plan, args, nulls, false, 0) != SPI_OK_UPDATE_RETURNING)
			elog(ERROR, "chat: cannot update the sender's member row");
	}
	else if (SPI_execute_plan(fanout_plan, args, nulls, false, 0) != SPI_OK_UPDATE_RETURNING)
		elog(ERROR, "chat: cannot update the member rows of thread %lld",
			 (long long) msg->thread_id);

	for (i = 0; i < SPI_processed && !standing->is_member; i++)
	{
		HeapTuple	row = SPI_tuptable->vals[i];
		bool		isnull;
		Datum		d = SPI_getbinval(row, SPI_tuptable->tupdesc, 1, &isnull);

		standing->is_member = !isnull && DatumGetBool(d);
		if (standing->is_member && plans_permissions)
		{
			d = SPI_getbinval(row, SPI_tuptable->tupdesc, 2, &isnull);
			standing->may_post = !isnull && DatumGetBool(d);
		}
	}
}

/*
 * A text message needs a sender who belongs to the thread and may post
 * (42501 otherwise); a system message may name anyone, or no one.
 */
static void
check_sender(const NewMessage *msg, bool is_text, bool is_channel, const SenderStanding *standing)
{
	Oid			typoutput;
	bool		typisvarlena;

	if (msg->sender_null || (standing->is_member && standing->may_post) || !is_text)
		return;
	if (standing->is_member)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to post in thread %lld", (long long) msg->thread_id),
				 is_channel
				 ? errhint("Only admins may post in a channel.")
				 : errhint("The thread's owner or an admin can grant the permission \"post\"."),
				 errreason("missing_permission")));
	getTypeOutputInfo(msg->user_type, &typoutput, &typisvarlena);
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("user \"%s\" is not a member of thread %lld",
					OidOutputFunctionCall(typoutput, msg->sender),
					(long long) msg->thread_id),
			 errreason("not_member")));
}

/*
 * Count a message that mentions someone on the mentioned members' rows; the
 * members among them, as the message keeps them (isnull: none).
 */
static Datum
count_mentions(const NewMessage *msg, const ThreadCount *count, bool *isnull)
{
	Datum		args[4];
	char		nulls[4] = {' ', ' ', ' ', msg->sender_null ? 'n' : ' '};
	Datum		result;
	Oid			types[4] = {INT8OID, INT8OID, InvalidOid, msg->user_type};
	int			rc;

	args[0] = Int64GetDatum(msg->thread_id);
	args[1] = Int64GetDatum(count->message_id);
	args[2] = msg->mentions;
	args[3] = msg->sender;
	/* the array type is looked up only to plan: once, or with Citus for each message */
	if (plans_citus || mention_plan == NULL)
		types[2] = get_array_type(msg->user_type);
	/*
	 * With Citus, planned with the values: Citus cannot plan this data-modifying
	 * WITH generically (a saved plan's parameters are unknown to it)
	 */
	if (plans_citus)
		rc = SPI_execute_with_args(mention_sql, 4, types, args, nulls, false, 0);
	else
	{
		if (mention_plan == NULL)
			mention_plan = chat_keep_plan(mention_sql, 4, types);
		rc = SPI_execute_plan(mention_plan, args, nulls, false, 0);
	}
	if (rc != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "chat: cannot count the mentions of a message in thread %lld",
			 (long long) msg->thread_id);
	result = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, isnull);
	return *isnull ? (Datum) 0 : SPI_datumTransfer(result, false, -1);
}

/*
 * The words of a text message for chat.search (src/search.c), unless the row
 * brings them (a restored row) or has no such column: false when there is
 * nothing to set.
 */
static bool
message_vector(const NewMessage *msg, bool is_text, Datum *vector, bool *isnull)
{
	if (msg->att_vector == 0 || !is_text)
		return false;
	(void) heap_getattr(msg->tuple, msg->att_vector, msg->desc, isnull);
	if (!*isnull)
		return false;
	*vector = chat_search_vector(msg->content, msg->content_null, isnull);
	return true;
}

/*
 * The row to insert: the one given, with the id and sent_at just drawn, the
 * mentions as counted and the words to search.
 */
static HeapTuple
stamp_message(const NewMessage *msg, const ThreadCount *count,
			  Datum mentions, bool mentions_null,
			  bool has_vector, Datum vector, bool vector_null)
{
	int			cols[4] = {msg->att_id, msg->att_sent_at};
	Datum		values[4] = {Int64GetDatum(count->message_id), count->sent_at};
	bool		nulls[4] = {false, false};
	int			n = 2;

	if (msg->att_mentions > 0)
	{
		cols[n] = msg->att_mentions;
		values[n] = mentions;
		nulls[n++] = mentions_null;
	}
	if (has_vector)
	{
		cols[n] = msg->att_vector;
		values[n] = vector;
		nulls[n++] = vector_null;
	}
	return heap_modify_tuple_by_cols(msg->tuple, msg->desc, n, cols, values, nulls);
}

/*
 * The row to insert into chat.message (rel, or a shard of it) for the row
 * given, the message counted: what the trigger below does.  new_reply calls
 * it too when it writes the row itself (src/send.c).
 */
HeapTuple
chat_message_row(Relation rel, HeapTuple tuple)
{
	NewMessage	msg;
	ThreadCount count;
	SenderStanding standing;
	Datum		mentions = (Datum) 0;
	bool		mentions_null = true;
	bool		is_text;
	bool		has_vector;
	Datum		vector = (Datum) 0;
	bool		vector_null = true;
	MemoryContext outer = CurrentMemoryContext;
	MemoryContext old;

	refuse_direct_insert();
	read_new_message(rel, tuple, &msg);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "chat: SPI_connect failed");
	prepare_plans(msg.user_type);
	is_text = !is_system_message(&msg);
	if (is_restored_row(&msg))
	{
		SPI_finish();
		if (message_vector(&msg, is_text, &vector, &vector_null))
			return heap_modify_tuple_by_cols(msg.tuple, msg.desc, 1, &msg.att_vector,
											 &vector, &vector_null);
		return msg.tuple;
	}

	/* a new text message needs a sender (a restored one may be anonymous) */
	if (msg.sender_null && is_text)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("a text message needs a sender")));
	/*
	 * The words first: from the thread row's lock on, everything a reply
	 * does until its commit is done one reply at a time in its thread.
	 */
	old = MemoryContextSwitchTo(outer);	/* not the SPI connection's memory */
	has_vector = message_vector(&msg, is_text, &vector, &vector_null);
	MemoryContextSwitchTo(old);
	count_on_thread(&msg, &count);
	move_member_state(&msg, &count, &standing);
	check_sender(&msg, is_text, count.is_channel, &standing);
	if (msg.has_mentions && is_text)
		mentions = count_mentions(&msg, &count, &mentions_null);
	SPI_finish();

	return stamp_message(&msg, &count, mentions, mentions_null, has_vector, vector, vector_null);
}

/*
 * Trigger function chat._message_insert(), BEFORE INSERT FOR EACH ROW on
 * chat.message.
 */
PG_FUNCTION_INFO_V1(chat_message_insert);
Datum
chat_message_insert(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo) ||
		!TRIGGER_FIRED_BEFORE(trigdata->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(trigdata->tg_event) ||
		!TRIGGER_FIRED_BY_INSERT(trigdata->tg_event))
		elog(ERROR, "chat_message_insert: must be fired before insert for each row");
	return PointerGetDatum(chat_message_row(trigdata->tg_relation, trigdata->tg_trigtuple));
}
