/*
 * send.c
 *	  chat.new_reply in C: the hot path of sending checks its arguments and
 *	  writes the message's row itself, counted by the message trigger's code
 *	  (write_reply), or where chat.message is not chat's plain table inserts
 *	  it through a saved plan, the trigger doing the rest.  Attachments (chat
 *	  0.3 on), a swapped message model and the message_sent event follow.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_trigger.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "nodes/value.h"
#include "parser/parse_func.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"
#include "utils/rel.h"
#include "utils/syscache.h"

#include "chat.h"

static Oid	send_user_type = InvalidOid;
static SPIPlanPtr insert_plan = NULL;
static SPIPlanPtr parent_plan = NULL;
static SPIPlanPtr extra_plan = NULL;
static SPIPlanPtr mention_insert_plan = NULL;	/* made when a reply first mentions someone */

static const char *insert_sql =
"INSERT INTO chat.message (thread_id, sender_id, content, parent_id)"
" VALUES ($1, $2, $3, $4) RETURNING id";

/* the same with mentions (chat 0.9 on): the trigger keeps the members among them */
static const char *mention_insert_sql =
"INSERT INTO chat.message (thread_id, sender_id, content, parent_id, mentions)"
" VALUES ($1, $2, $3, $4, $5) RETURNING id, mentions";

/* held FOR KEY SHARE, as a foreign key would: the parent stays until the reply is in */
static const char *parent_sql =
"SELECT FROM chat.message WHERE thread_id OPERATOR(pg_catalog.=) $2 AND id OPERATOR(pg_catalog.=) $1 FOR KEY SHARE";

/* a parent not in the thread: is it anywhere? (the error path only; with Citus, every shard) */
static const char *parent_thread_sql =
"SELECT thread_id FROM chat.message WHERE id OPERATOR(pg_catalog.=) $1";

static const char *extra_sql =
"SELECT chat._fill_extra('message', $1, $2, NULL, $3)";

/*
 * Raise 22004 naming a NULL argument (as chat._not_null does); a NULL sender
 * with no session user is a caller that forgot the identity: the detail and
 * the hint say so.
 */
static void
require_arg(FunctionCallInfo fcinfo, int argno, const char *name)
{
	if (!PG_ARGISNULL(argno))
		return;
	if (strcmp(name, "sender") == 0 && chat_current_user_text() == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("argument \"%s\" must not be null", name),
				 errdetail("No acting user was given, and the session has no chat user to default to."),
				 errhint("Pass \"%s\", or set the session's user: set_config('chat.user_id', $1, true) inside the transaction, a JWT \"sub\" claim, or chat.map_role().", name),
				 errargument(name)));
	ereport(ERROR,
			(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
			 errmsg("argument \"%s\" must not be null", name),
			 errargument(name)));
}

/* White space: ASCII's and, in UTF-8 databases, Unicode's (Zs and friends). */
static bool
is_space_char(const char *p, int len)
{
	pg_wchar	c;

	if (len == 1)
		return strchr(" \t\r\n\f\v", *p) != NULL && *p != '\0';
	if (GetDatabaseEncoding() != PG_UTF8)
		return false;
	c = utf8_to_unicode((const unsigned char *) p);
	return c == 0x85 || c == 0xA0 || c == 0x1680 || c == 0x180E ||
		(c >= 0x2000 && c <= 0x200B) || c == 0x2028 || c == 0x2029 ||
		c == 0x202F || c == 0x205F || c == 0x2060 || c == 0x3000 || c == 0xFEFF;
}

/* True when the text is empty or only white space. */
bool
chat_text_is_blank(text *value)
{
	const char *p = VARDATA_ANY(value);
	const char *end = p + VARSIZE_ANY_EXHDR(value);

	while (p < end)
	{
		int			len = pg_mblen(p);

		if (!is_space_char(p, len))
			return false;
		p += len;
	}
	return true;
}

/*
 * Check message text as chat._check_content does: not NULL, not blank, not
 * longer than max_content_length characters.
 */
void
chat_check_content(text *content)
{
	int			len = VARSIZE_ANY_EXHDR(content);
	int64		limit;
	int			chars;

	if (chat_text_is_blank(content))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("message content must not be blank"),
				 errargument("content")));

	limit = chat_setting_int64("max_content_length");
	if (len > limit && (chars = pg_mbstrlen_with_len(VARDATA_ANY(content), len)) > limit)
		ereport(ERROR,
				(errcode(ERRCODE_STRING_DATA_RIGHT_TRUNCATION),
				 errmsg("message content is too long"),
				 errdetail("The content has %d characters; the limit is %lld.",
						   chars, (long long) limit),
				 errhint("The limit is the setting \"max_content_length\"."),
				 errargument("content")));
}

/* Does this database's chat have attachments (chat._add_attachments, 0.3 on)? */
static bool
attachments_available(void)
{
	List	   *name = list_make2(makeString("chat"), makeString("_add_attachments"));
	Oid			argtypes[3] = {INT8OID, INT8OID, JSONBOID};

	return OidIsValid(LookupFuncName(name, 3, argtypes, true));
}

/* The declared type of chat.user_id arguments, cached for the call site. */
static Oid
user_arg_type(FunctionCallInfo fcinfo, int argno)
{
	Oid		   *cached = (Oid *) fcinfo->flinfo->fn_extra;

	if (cached == NULL)
	{
		HeapTuple	proc = SearchSysCache1(PROCOID, ObjectIdGetDatum(fcinfo->flinfo->fn_oid));

		if (!HeapTupleIsValid(proc))
			elog(ERROR, "chat: cache lookup failed for function %u", fcinfo->flinfo->fn_oid);
		cached = MemoryContextAlloc(fcinfo->flinfo->fn_mcxt, sizeof(Oid));
		*cached = ((Form_pg_proc) GETSTRUCT(proc))->proargtypes.values[argno];
		ReleaseSysCache(proc);
		fcinfo->flinfo->fn_extra = cached;
	}
	return *cached;
}

/* Make the saved plans for this user id type, unless they exist already. */
static void
prepare_send_plans(Oid user_type)
{
	Oid			insert_args[4] = {INT8OID, user_type, TEXTOID, INT8OID};
	Oid			parent_args[2] = {INT8OID, INT8OID};

	if (insert_plan != NULL && send_user_type == user_type)
		return;
	if (insert_plan != NULL)
	{
		SPI_freeplan(insert_plan);
		SPI_freeplan(parent_plan);
		if (extra_plan != NULL)
			SPI_freeplan(extra_plan);
		if (mention_insert_plan != NULL)
			SPI_freeplan(mention_insert_plan);
		insert_plan = parent_plan = extra_plan = mention_insert_plan = NULL;
	}
	insert_plan = chat_keep_plan(insert_sql, 4, insert_args);
	parent_plan = chat_keep_plan(parent_sql, 2, parent_args);
	extra_plan = NULL;			/* prepared when first needed: 0.1 has no _fill_extra */
	send_user_type = user_type;
}

/*
 * Check chat.new_reply's arguments before anything is written.  Returns the
 * registry they were checked against, which the rest of the call uses.
 */
static const ChatRegistry *
check_reply_args(FunctionCallInfo fcinfo)
{
	const ChatRegistry *registry;

	chat_check_actor(fcinfo, 1);
	require_arg(fcinfo, 0, "thread_id");
	require_arg(fcinfo, 1, "sender");
	/* a message needs content or attachments (chat 0.3 on) */
	if (!PG_ARGISNULL(4) && !attachments_available())
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("attachments are not supported yet")));
	if (PG_ARGISNULL(4) || !PG_ARGISNULL(2))
	{
		require_arg(fcinfo, 2, "content");
		chat_check_content(PG_GETARG_TEXT_PP(2));
	}
	registry = chat_registry();
	if (!PG_ARGISNULL(5) && !registry->has_models)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("extra is not supported by chat 0.1"),
				 errhint("extra fills a swapped model, which chat 0.1 does not have.")));
	return registry;
}

/* A reply's parent must be a message (42704) of the same thread (22023). */
static void
check_parent(int64 parent_id, int64 thread_id)
{
	Datum		args[2] = {Int64GetDatum(parent_id), Int64GetDatum(thread_id)};
	Oid			types[1] = {INT8OID};

	/* looked up by the thread's key: one shard with Citus */
	if (SPI_execute_plan(parent_plan, args, NULL, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "chat: cannot look up message %lld", (long long) parent_id);
	if (SPI_processed == 1)
		return;
	/* planned with the value: Citus cannot plan a query of every shard generically */
	if (SPI_execute_with_args(parent_thread_sql, 1, types, args, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "chat: cannot look up message %lld", (long long) parent_id);
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("message %lld does not exist", (long long) parent_id),
				 errargument("parent_id")));
	else
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("message %lld is not in thread %lld",
						(long long) parent_id, (long long) thread_id),
				 errdetail("A reply's parent must be a message of the same thread."),
				 errargument("parent_id")));
}

/*
 * The array in d, copied to the caller's context so that it outlives this
 * SPI connection.  Detoasted first: a value read from a row may have a short
 * header, which DatumGetArrayTypeP would expand into a copy in the SPI
 * connection's context, freed by SPI_finish before the event reads it.
 */
static ArrayType *
array_for_caller(Datum d)
{
	return (ArrayType *) DatumGetPointer(SPI_datumTransfer(PointerGetDatum(DatumGetArrayTypeP(d)), false, -1));
}

/*
 * Insert the message (thread_id, sender, content, parent_id, and the list of
 * mentions when there is one); its new id.  *stored gets the mentions the
 * message kept (NULL: none).
 */
static int64
insert_reply(FunctionCallInfo fcinfo, ArrayType *mentions, ArrayType **stored)
{
	Datum		args[5];
	char		nulls[5] = {' ', ' ', ' ', ' ', ' '};
	bool		isnull;

	args[0] = PG_GETARG_DATUM(0);
	args[1] = PG_GETARG_DATUM(1);
	args[2] = PG_ARGISNULL(2) ? (Datum) 0 : PG_GETARG_DATUM(2);
	nulls[2] = PG_ARGISNULL(2) ? 'n' : ' ';
	args[3] = PG_ARGISNULL(3) ? (Datum) 0 : PG_GETARG_DATUM(3);
	nulls[3] = PG_ARGISNULL(3) ? 'n' : ' ';
	*stored = NULL;
	if (mentions != NULL)
	{
		Datum		list;

		if (mention_insert_plan == NULL)
		{
			Oid			types[5] = {INT8OID, send_user_type, TEXTOID, INT8OID,
			get_array_type(send_user_type)};

			mention_insert_plan = chat_keep_plan(mention_insert_sql, 5, types);
		}
		args[4] = PointerGetDatum(mentions);
		if (SPI_execute_plan(mention_insert_plan, args, nulls, false, 1) != SPI_OK_INSERT_RETURNING)
			elog(ERROR, "chat: cannot insert the message");
		list = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull);
		if (!isnull)
			*stored = array_for_caller(list);
	}
	else if (SPI_execute_plan(insert_plan, args, nulls, false, 1) != SPI_OK_INSERT_RETURNING)
		elog(ERROR, "chat: cannot insert the message");
	return DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
}

/*
 * chat.message as new_reply may write it itself (write_reply): looked up
 * once, and again after any relcache invalidation (an ALTER TABLE, CREATE
 * TRIGGER or the creation of the Citus extension's tables sends one).
 */
static bool message_known = false;
static Oid	message_relid = InvalidOid;
static bool message_direct = false;
static Oid	message_text_kind = InvalidOid;	/* 'text'::chat.message_kind */
static int	message_atts[7];	/* the numbers of the first seven columns below */
static int	message_att_mentions = 0;	/* 0: none (before chat 0.9) */

/* the columns of chat.message (the first seven in every catalog); only kind and sent_at have defaults */
static const char *const message_columns[] = {
	"thread_id", "id", "sender_id", "kind", "content", "sent_at", "parent_id",
	"edited_at", "deleted_at", "forwarded_from", "mentions", "search_vector"
};

void
chat_send_invalidate(Oid relid)
{
	message_known = false;
}

/*
 * Is chat.message the plain table chat makes, whose INSERT new_reply can
 * make itself: no Citus in the database, no trigger on INSERT but
 * chat._message_insert (enabled, BEFORE, FOR EACH ROW), no CHECK
 * constraint, no generated column, no column but chat's, no default but
 * kind's and sent_at's, no deferred unique index?
 */
static bool
message_table_is_plain(Relation rel)
{
	TupleDesc	desc = RelationGetDescr(rel);
	TriggerDesc *trig = rel->trigdesc;
	Oid			fn = LookupFuncName(list_make2(makeString("chat"), makeString("_message_insert")),
									0, NULL, true);
	int			inserts = 0;
	bool		plain;
	int			i;

	if (!OidIsValid(fn) || trig == NULL || !chat_table_is_plain(rel))
		return false;
	plain = !trig->trig_insert_after_row && !trig->trig_insert_instead_row &&
		!trig->trig_insert_before_statement && !trig->trig_insert_after_statement &&
		!trig->trig_insert_new_table;
	for (i = 0; plain && i < trig->numtriggers; i++)
	{
		Trigger    *t = &trig->triggers[i];

		if (!TRIGGER_FOR_INSERT(t->tgtype))
			continue;
		inserts++;
		plain = t->tgfoid == fn && t->tgenabled == TRIGGER_FIRES_ON_ORIGIN &&
			TRIGGER_FOR_ROW(t->tgtype) && TRIGGER_FOR_BEFORE(t->tgtype) &&
			t->tgqual == NULL && t->tgnargs == 0;
	}
	plain = plain && inserts == 1;
	for (i = 0; plain && i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);
		const char *name = NameStr(att->attname);
		size_t		c;

		if (att->attisdropped)
			continue;
		for (c = 0; c < lengthof(message_columns); c++)
			if (strcmp(name, message_columns[c]) == 0)
				break;
		plain = c < lengthof(message_columns) &&
			(!att->atthasdef || strcmp(name, "kind") == 0 || strcmp(name, "sent_at") == 0);
	}
	/* the columns new_reply fills or reads, and kind an enum (as every catalog has them) */
	for (i = 0; plain && i < 7; i++)
		plain = (message_atts[i] = SPI_fnumber(desc, message_columns[i])) > 0;
	message_att_mentions = Max(SPI_fnumber(desc, "mentions"), 0);
	if (plain)
	{
		Oid			kind_type = TupleDescAttr(desc, SPI_fnumber(desc, "kind") - 1)->atttypid;

		plain = type_is_enum(kind_type);
		if (plain)
			message_text_kind = DatumGetObjectId(DirectFunctionCall2(enum_in, CStringGetDatum("text"),
																	 ObjectIdGetDatum(kind_type)));
	}
	return plain;
}

/*
 * Write the reply's row without the executor, as its INSERT would: the row
 * (the defaults of kind and sent_at), counted by the message trigger's code
 * (chat_message_row, src/unread.c), then the heap tuple and its index
 * entries.  Skipping the statement's set-up (plan, projections, ModifyTable)
 * saves a good part of a reply.  False, having written nothing, when the row
 * may not be written so: the saved INSERT then runs, trigger and all.
 */
static bool
write_reply(FunctionCallInfo fcinfo, ArrayType *mentions, int64 *id, ArrayType **stored)
{
	Relation	rel;
	TupleDesc	desc;
	HeapTuple	row;
	Datum	   *values;
	bool	   *nulls;
	TupleTableSlot *slot;
	Datum		kept;
	bool		isnull;
	int			i;

	if (!message_known)
	{
		message_relid = chat_relid("message");
		message_direct = false;
		if (OidIsValid(message_relid))
		{
			rel = table_open(message_relid, AccessShareLock);
			message_direct = message_table_is_plain(rel);
			table_close(rel, AccessShareLock);
		}
		message_known = true;
	}
	/* the trigger fires on origin only; the role's rights and row-level security as INSERT asks them */
	if (!message_direct || SessionReplicationRole == SESSION_REPLICATION_ROLE_REPLICA ||
		!chat_may_write_directly(message_relid, ACL_INSERT | ACL_SELECT))
		return false;

	/* what SPI does before a statement that writes: see this transaction's changes so far */
	CommandCounterIncrement();
	rel = table_open(message_relid, RowExclusiveLock);
	desc = RelationGetDescr(rel);
	values = palloc0(desc->natts * sizeof(Datum));
	nulls = palloc(desc->natts * sizeof(bool));
	for (i = 0; i < desc->natts; i++)
		nulls[i] = true;		/* dropped columns too */
	values[message_atts[0] - 1] = PG_GETARG_DATUM(0);	/* thread_id */
	nulls[message_atts[0] - 1] = false;
	values[message_atts[2] - 1] = PG_GETARG_DATUM(1);	/* sender_id */
	nulls[message_atts[2] - 1] = false;
	values[message_atts[3] - 1] = ObjectIdGetDatum(message_text_kind);	/* kind */
	nulls[message_atts[3] - 1] = false;
	values[message_atts[4] - 1] = PG_ARGISNULL(2) ? (Datum) 0 : PG_GETARG_DATUM(2);	/* content */
	nulls[message_atts[4] - 1] = PG_ARGISNULL(2);
	values[message_atts[5] - 1] = TimestampTzGetDatum(GetCurrentTransactionStartTimestamp());	/* sent_at */
	nulls[message_atts[5] - 1] = false;
	values[message_atts[6] - 1] = PG_ARGISNULL(3) ? (Datum) 0 : PG_GETARG_DATUM(3);	/* parent_id */
	nulls[message_atts[6] - 1] = PG_ARGISNULL(3);
	if (mentions != NULL && message_att_mentions > 0)
	{
		values[message_att_mentions - 1] = PointerGetDatum(mentions);
		nulls[message_att_mentions - 1] = false;
	}
	row = chat_message_row(rel, heap_form_tuple(desc, values, nulls));

	/* the columns NOT NULL, as the executor checks them (the trigger filled id and sent_at) */
	for (i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);

		if (att->attnotnull && heap_attisnull(row, i + 1, desc))
			ereport(ERROR,
					(errcode(ERRCODE_NOT_NULL_VIOLATION),
					 errmsg("null value in column \"%s\" of relation \"%s\" violates not-null constraint",
							NameStr(att->attname), RelationGetRelationName(rel)),
					 errtablecol(rel, i + 1)));
	}

	slot = MakeSingleTupleTableSlot(desc, &TTSOpsHeapTuple);
	ExecStoreHeapTuple(row, slot, false);
	table_tuple_insert(rel, slot, GetCurrentCommandId(true), 0, NULL);
	chat_index_row(rel, slot, false);

	*id = DatumGetInt64(slot_getattr(slot, message_atts[1], &isnull));
	*stored = NULL;
	if (mentions != NULL && message_att_mentions > 0)
	{
		kept = slot_getattr(slot, message_att_mentions, &isnull);
		if (!isnull)
			*stored = array_for_caller(kept);
	}
	ExecDropSingleTupleTableSlot(slot);
	table_close(rel, NoLock);	/* locked to the end of the transaction, as the executor leaves it */
	return true;
}

/* The attachments, in order, after the message they belong to. */
static void
add_attachments(int64 thread_id, int64 message_id, Datum attachments)
{
	Datum		args[3] = {Int64GetDatum(thread_id), Int64GetDatum(message_id), attachments};
	Oid			types[3] = {INT8OID, INT8OID, JSONBOID};

	if (SPI_execute_with_args("SELECT chat._add_attachments($1, $2, $3)", 3, types,
							  args, NULL, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "chat: cannot add the attachments");
}

/* The swapped message model's row: extra, or its defaults. */
static void
fill_message_model(int64 thread_id, int64 message_id, Datum extra, bool extra_null)
{
	Datum		args[3];
	char		nulls[3] = {' ', ' ', extra_null ? 'n' : ' '};

	if (extra_plan == NULL)
	{
		Oid			types[3] = {INT8OID, INT8OID, JSONBOID};

		extra_plan = chat_keep_plan(extra_sql, 3, types);
	}
	args[0] = Int64GetDatum(thread_id);
	args[1] = Int64GetDatum(message_id);
	args[2] = extra_null ? (Datum) 0 : extra;
	if (SPI_execute_plan(extra_plan, args, nulls, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "chat: cannot fill the message model");
}

/*
 * Publish message_sent for the reply (parent_id is argument 3, or NULL; the
 * mentions the message kept, or NULL): its fields "reply", "kind",
 * "parent_id" and "mentions" built as jsonb.
 */
static void
emit_reply_sent(FunctionCallInfo fcinfo, int64 thread_id, int64 message_id,
				ArrayType *mentions)
{
	JsonbParseState *state = NULL;
	JsonbValue	k;
	JsonbValue	v;

	(void) pushJsonbValue(&state, WJB_BEGIN_OBJECT, NULL);
	k.type = jbvString;
	k.val.string.val = "reply";
	k.val.string.len = strlen("reply");
	v.type = jbvBool;
	v.val.boolean = true;
	(void) pushJsonbValue(&state, WJB_KEY, &k);
	(void) pushJsonbValue(&state, WJB_VALUE, &v);
	k.val.string.val = "kind";
	k.val.string.len = strlen("kind");
	v.type = jbvString;
	v.val.string.val = "text";
	v.val.string.len = strlen("text");
	(void) pushJsonbValue(&state, WJB_KEY, &k);
	(void) pushJsonbValue(&state, WJB_VALUE, &v);
	if (!PG_ARGISNULL(3))
	{
		k.val.string.val = "parent_id";
		k.val.string.len = strlen("parent_id");
		v.type = jbvNumeric;
		v.val.numeric = int64_to_numeric(PG_GETARG_INT64(3));
		(void) pushJsonbValue(&state, WJB_KEY, &k);
		(void) pushJsonbValue(&state, WJB_VALUE, &v);
	}
	if (mentions != NULL)
		chat_push_mentions(&state, mentions);
	chat_emit(CHAT_EVENT_MESSAGE_SENT, thread_id, message_id,
			  PG_GETARG_DATUM(1), false, user_arg_type(fcinfo, 1),
			  JsonbValueToJsonb(pushJsonbValue(&state, WJB_END_OBJECT, NULL)), false, NULL);
}

/*
 * The mentions to give the message (chat 0.9 on, where new_reply has the
 * argument "mentions", its 7th): the list given, else those of the content's
 * "@{id}" (src/mention.c); NULL when none.  An empty list given means none,
 * whatever the content says.
 */
static ArrayType *
reply_mentions(FunctionCallInfo fcinfo)
{
	if (PG_NARGS() < 7)
		return NULL;
	if (!PG_ARGISNULL(6))
	{
		ArrayType  *given = PG_GETARG_ARRAYTYPE_P(6);

		return chat_check_mentions(given) ? given : NULL;
	}
	if (PG_ARGISNULL(2))
		return NULL;
	return chat_parse_mentions(PG_GETARG_TEXT_PP(2), user_arg_type(fcinfo, 1));
}

/*
 * chat.new_reply(thread_id bigint, sender chat.user_id, content text,
 *				  parent_id bigint, attachments jsonb, extra jsonb,
 *				  mentions chat.user_id[]) returns bigint
 *
 * (mentions from chat 0.9 on: older catalogs call it with six arguments.)
 *
 * The trigger on chat.message refuses an unknown thread (42704) and a sender
 * who is not a member (42501).  Attachments (chat 0.3 on) and the swapped
 * message model's row are written after the message, in the same SPI
 * connection; the event is published last.
 */
PG_FUNCTION_INFO_V1(chat_new_reply);
Datum
chat_new_reply(PG_FUNCTION_ARGS)
{
	const ChatRegistry *registry;
	int64		thread_id;
	int64		message_id;
	ArrayType  *mentions;
	ArrayType  *stored;

	registry = check_reply_args(fcinfo);
	chat_relax_commit("async_messages");
	mentions = reply_mentions(fcinfo);
	thread_id = PG_GETARG_INT64(0);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "chat: SPI_connect failed");
	prepare_send_plans(user_arg_type(fcinfo, 1));
	if (!PG_ARGISNULL(3))
		check_parent(PG_GETARG_INT64(3), thread_id);
	if (!write_reply(fcinfo, mentions, &message_id, &stored))
		message_id = insert_reply(fcinfo, mentions, &stored);
	if (!PG_ARGISNULL(4))
		add_attachments(thread_id, message_id, PG_GETARG_DATUM(4));
	if (!PG_ARGISNULL(5) || OidIsValid(registry->models[CHAT_MODEL_MESSAGE].table))
		fill_message_model(thread_id, message_id, PG_GETARG_DATUM(5), PG_ARGISNULL(5));
	SPI_finish();

	if (chat_event_wanted(CHAT_EVENT_MESSAGE_SENT))
		emit_reply_sent(fcinfo, thread_id, message_id, stored);
	PG_RETURN_INT64(message_id);
}

/*
 * chat._check_content(content text) returns void: the same checks for the
 * SQL functions that take message text (22004 when NULL).
 */
PG_FUNCTION_INFO_V1(chat_check_content_sql);
Datum
chat_check_content_sql(PG_FUNCTION_ARGS)
{
	require_arg(fcinfo, 0, "content");
	chat_check_content(PG_GETARG_TEXT_PP(0));
	PG_RETURN_VOID();
}

/*
 * chat._is_blank(value text) returns boolean.
 */
PG_FUNCTION_INFO_V1(chat_is_blank);
Datum
chat_is_blank(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(chat_text_is_blank(PG_GETARG_TEXT_PP(0)));
}
