/*
 * events.c
 *	  Events: run the hooks registered for them, in the caller's transaction,
 *	  and publish them with NOTIFY, which PostgreSQL sends at commit (on a
 *	  Citus worker, relay.c sends it from the coordinator).
 *
 * One jsonb object describes an event ({"event", "thread_id", "message_id",
 * "user_id", "user_name", ...}); the hooks receive it and listeners get it as
 * the NOTIFY payload.  A swapped model's renderer may replace it.  With no
 * hook registered and the notify setting off, an event costs a hash lookup.
 */
#include "postgres.h"

#include "access/table.h"
#include "access/tableam.h"
#include "access/transam.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "commands/sequence.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"
#include "utils/regproc.h"
#include "utils/rel.h"
#include "utils/resowner.h"
#include "utils/timestamp.h"
#include "utils/xid8.h"

#include "chat.h"

/* NOTIFY refuses longer payloads (the same limit as commands/async.c) */
#define CHAT_NOTIFY_MAX (BLCKSZ - NAMEDATALEN - 128)

/* The model whose renderer applies to an event, or -1. */
static int
event_model(ChatEvent event)
{
	switch (event)
	{
		case CHAT_EVENT_MESSAGE_SENT:
		case CHAT_EVENT_MESSAGE_EDITED:
		case CHAT_EVENT_MESSAGE_DELETED:
			return CHAT_MODEL_MESSAGE;
		case CHAT_EVENT_THREAD_CREATED:
		case CHAT_EVENT_THREAD_READ:
		case CHAT_EVENT_THREAD_RENAMED:
		case CHAT_EVENT_THREAD_DROPPED:
		case CHAT_EVENT_THREAD_DELIVERED:
		case CHAT_EVENT_THREAD_UNREAD:
		case CHAT_EVENT_THREAD_MUTED:
		case CHAT_EVENT_THREAD_UNMUTED:
		case CHAT_EVENT_THREAD_ARCHIVED:
		case CHAT_EVENT_THREAD_UNARCHIVED:
		case CHAT_EVENT_THREAD_DELETED:
		case CHAT_EVENT_THREAD_RESTORED:
			return CHAT_MODEL_THREAD;
		case CHAT_EVENT_MEMBER_ADDED:
		case CHAT_EVENT_MEMBER_REMOVED:
		case CHAT_EVENT_MEMBER_UPDATED:
			return CHAT_MODEL_MEMBER;
		case CHAT_EVENT_REACTION_ADDED:
		case CHAT_EVENT_REACTION_REMOVED:
			return CHAT_MODEL_REACTION;
		default:
			return -1;
	}
}

/* A string setting of a later version, with its default. */
static char *
setting_string(const char *key, const char *missing)
{
	Jsonb	   *value = chat_setting_optional(key);
	JsonbValue	scalar;

	if (value == NULL || !JsonbExtractScalar(&value->root, &scalar) || scalar.type != jbvString)
		return pstrdup(missing);
	return pnstrdup(scalar.val.string.val, scalar.val.string.len);
}

/*
 * Call fn(arg) and return its result, which may be NULL.  Hooks, renderers
 * and the display-name function are the application's code: they run as the
 * current role (the end user or the application server), as triggers do,
 * never as the owner of chat's SECURITY DEFINER functions.  One that needs
 * more rights is declared SECURITY DEFINER by its author.
 */
static Datum
call_function(Oid fn, Datum arg, bool *isnull)
{
	LOCAL_FCINFO(fcinfo, 1);
	FmgrInfo	flinfo;
	volatile Datum result = (Datum) 0;
	Oid			save_user;
	int			save_sec;

	fmgr_info(fn, &flinfo);
	InitFunctionCallInfoData(*fcinfo, &flinfo, 1, InvalidOid, NULL, NULL);
	fcinfo->args[0].value = arg;
	fcinfo->args[0].isnull = false;

	GetUserIdAndSecContext(&save_user, &save_sec);
	SetUserIdAndSecContext(GetOuterUserId(), save_sec | SECURITY_LOCAL_USERID_CHANGE);
	PG_TRY();
	{
		result = FunctionCallInvoke(fcinfo);
	}
	PG_FINALLY();
	{
		SetUserIdAndSecContext(save_user, save_sec);
	}
	PG_END_TRY();
	*isnull = fcinfo->isnull;
	return result;
}

/*
 * The display name of a user, or NULL when the registered function fails: a
 * name is decoration, and a function that reads what the current role may
 * not read (or is broken) must not make a send or a read fail.  The call
 * runs in a subtransaction; the first failure in a session is reported as a
 * WARNING that says how to fix the function.
 */
static Datum
display_name_of(Oid fn, Datum user_id, bool *isnull)
{
	static bool warned = false;
	MemoryContext caller_context = CurrentMemoryContext;
	ResourceOwner caller_owner = CurrentResourceOwner;
	volatile Datum result = (Datum) 0;

	*isnull = true;
	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(caller_context);
	PG_TRY();
	{
		bool		null;
		Datum		name = call_function(fn, user_id, &null);

		if (!null)
		{
			result = name;
			*isnull = false;
		}
		ReleaseCurrentSubTransaction();
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(caller_context);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		*isnull = true;
		if (!warned)
		{
			warned = true;
			ereport(WARNING,
					(errmsg("display name function %s failed: %s",
							format_procedure(fn), edata->message),
					 errdetail("Display names are NULL where it fails."),
					 errhint("Make it SECURITY DEFINER with a pinned search_path if end users may not read what it reads.")));
		}
		FreeErrorData(edata);
	}
	PG_END_TRY();
	MemoryContextSwitchTo(caller_context);
	CurrentResourceOwner = caller_owner;
	return result;
}

/*
 * A user id as a JSON value: a number for integer ids (chat.user_id over
 * bigint, integer or smallint), else a string, the type's output.  The base
 * type is looked up once per type: every event asks.
 */
void
chat_user_id_jsonb(Datum user_id, Oid user_type, JsonbValue *value)
{
	static Oid	known_type = InvalidOid;
	static Oid	known_base = InvalidOid;
	static Oid	known_output = InvalidOid;
	int64		number;

	if (user_type != known_type)
	{
		bool		typisvarlena;

		known_base = getBaseType(user_type);
		getTypeOutputInfo(user_type, &known_output, &typisvarlena);
		known_type = user_type;
	}
	switch (known_base)
	{
		case INT8OID:
			number = DatumGetInt64(user_id);
			break;
		case INT4OID:
			number = DatumGetInt32(user_id);
			break;
		case INT2OID:
			number = DatumGetInt16(user_id);
			break;
		default:
			{
				char	   *id = OidOutputFunctionCall(known_output, user_id);

				value->type = jbvString;
				value->val.string.val = id;
				value->val.string.len = strlen(id);
				return;
			}
	}
	value->type = jbvNumeric;
	value->val.numeric = int64_to_numeric(number);
}

/* Push a key, then a scalar value, into the object being built. */
static void
push_pair(JsonbParseState **state, const char *key, JsonbValue *value)
{
	JsonbValue	k;

	k.type = jbvString;
	k.val.string.val = (char *) key;
	k.val.string.len = strlen(key);
	(void) pushJsonbValue(state, WJB_KEY, &k);
	(void) pushJsonbValue(state, WJB_VALUE, value);
}

/* Push "key": n. */
static void
push_int64(JsonbParseState **state, const char *key, int64 n)
{
	JsonbValue	v;

	v.type = jbvNumeric;
	v.val.numeric = int64_to_numeric(n);
	push_pair(state, key, &v);
}

/*
 * Push the user's members: "user_id" (a number for integer ids, else a
 * string) and, when a display-name function is bound, "user_name".
 */
static void
push_user(JsonbParseState **state, const ChatRegistry *reg, Datum user_id, Oid user_type)
{
	JsonbValue	v;

	chat_user_id_jsonb(user_id, user_type, &v);
	push_pair(state, "user_id", &v);
	if (OidIsValid(reg->display_name))
	{
		bool		isnull;
		Datum		name = display_name_of(reg->display_name, user_id, &isnull);

		if (!isnull)
		{
			v.type = jbvString;
			v.val.string.val = TextDatumGetCString(name);
			v.val.string.len = strlen(v.val.string.val);
			push_pair(state, "user_name", &v);
		}
	}
}

/* Push every member of the object "fields" (its keys and values, nested ones whole). */
static void
push_fields(JsonbParseState **state, Jsonb *fields)
{
	JsonbIterator *it = JsonbIteratorInit(&fields->root);
	JsonbValue	v;
	JsonbIteratorToken token;
	int			depth = 0;

	while ((token = JsonbIteratorNext(&it, &v, false)) != WJB_DONE)
	{
		if (token == WJB_BEGIN_OBJECT || token == WJB_BEGIN_ARRAY)
		{
			if (depth++ == 0)
				continue;		/* the braces of fields itself */
		}
		else if (token == WJB_END_OBJECT || token == WJB_END_ARRAY)
		{
			if (--depth == 0)
				continue;
		}
		(void) pushJsonbValue(state, token,
							  (token == WJB_KEY || token == WJB_VALUE || token == WJB_ELEM) ? &v : NULL);
	}
}

/* The payload as the event's model's renderer has it, if there is one. */
static Jsonb *
render_payload(const ChatRegistry *reg, ChatEvent event, Jsonb *payload)
{
	int			model = event_model(event);
	bool		isnull;
	Datum		rendered;

	if (model < 0 || !OidIsValid(reg->models[model].renderer))
		return payload;
	rendered = call_function(reg->models[model].renderer, JsonbPGetDatum(payload), &isnull);
	return isnull ? payload : DatumGetJsonbP(rendered);
}

/*
 * The doorbell is rung at most once per notify_interval_ms by a backend:
 * NOTIFY takes a cluster-wide lock at commit, so ringing it for every write
 * serialises the writers (bench P8).  A backend remembers when a transaction
 * of its that rang committed; events of its later transactions within the
 * interval ring nothing, and a relay finds them with its next chat.feed,
 * which it runs at least that often.  A quiet system rings at once.
 */
static TimestampTz doorbell_committed_at = 0;
static bool doorbell_in_xact = false;
static SubTransactionId doorbell_subxact = InvalidSubTransactionId;	/* where it rang */
static bool doorbell_callback = false;

static void
doorbell_xact_callback(XactEvent event, void *arg)
{
	if (event == XACT_EVENT_COMMIT && doorbell_in_xact)
		doorbell_committed_at = GetCurrentTimestamp();
	if (event == XACT_EVENT_COMMIT || event == XACT_EVENT_ABORT ||
		event == XACT_EVENT_PARALLEL_COMMIT || event == XACT_EVENT_PARALLEL_ABORT ||
		event == XACT_EVENT_PREPARE)
		doorbell_in_xact = false;
}

/*
 * A rolled-back savepoint drops the NOTIFY queued in it: the doorbell has not
 * rung then, and the next event of the transaction rings it.
 */
static void
doorbell_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
						  SubTransactionId parentSubid, void *arg)
{
	if (!doorbell_in_xact || mySubid != doorbell_subxact)
		return;
	if (event == SUBXACT_EVENT_ABORT_SUB)
		doorbell_in_xact = false;
	else if (event == SUBXACT_EVENT_COMMIT_SUB)
		doorbell_subxact = parentSubid;
}

/* Ring the doorbell {"seq": n} unless this backend rang it lately. */
static void
ring_doorbell(int64 seq)
{
	Jsonb	   *interval_setting = chat_setting_optional("notify_interval_ms");
	int64		interval = 0;
	JsonbValue	scalar;

	if (doorbell_in_xact)
		return;					/* once per transaction is enough */
	if (interval_setting != NULL && JsonbExtractScalar(&interval_setting->root, &scalar) &&
		scalar.type == jbvNumeric)
		interval = DatumGetInt64(DirectFunctionCall1(numeric_int8, NumericGetDatum(scalar.val.numeric)));
	if (interval > 0 && doorbell_committed_at != 0 &&
		!TimestampDifferenceExceeds(doorbell_committed_at, GetCurrentTimestamp(), (int) interval))
		return;
	if (!doorbell_callback)
	{
		RegisterXactCallback(doorbell_xact_callback, NULL);
		RegisterSubXactCallback(doorbell_subxact_callback, NULL);
		doorbell_callback = true;
	}
	chat_notify(setting_string("notify_channel", "chat"),
				psprintf("{\"seq\": " INT64_FORMAT "}", seq));
	doorbell_in_xact = true;
	doorbell_subxact = GetCurrentSubTransactionId();
}

/*
 * Queue the NOTIFY of an event: its payload when notify_full_payload is on
 * (or chat's own description when a renderer's payload is over NOTIFY's
 * limit; nothing when both are), else the doorbell {"seq": n}.  Catalogs
 * older than 0.9 have no seq and no notify_full_payload: the payload, as
 * they documented.
 */
static void
notify_event(Jsonb *payload, Jsonb *description, int64 seq)
{
	const char *text;

	if (seq > 0 && !chat_setting_bool("notify_full_payload", true))
	{
		ring_doorbell(seq);
		return;
	}
	text = JsonbToCString(NULL, &payload->root, VARSIZE(payload));
	if (strlen(text) >= CHAT_NOTIFY_MAX && payload != description)
		text = JsonbToCString(NULL, &description->root, VARSIZE(description));
	if (strlen(text) < CHAT_NOTIFY_MAX)
		chat_notify(setting_string("notify_channel", "chat"), text);
}

/*
 * chat.event and chat.event_seq (chat 0.9 on), or InvalidOid: looked up once,
 * and again after any relcache invalidation (creating, altering or dropping
 * them sends one), as every event asks.  With them, whether chat.event may be
 * written directly (insert_event_row).
 */
static bool event_relids_known = false;
static Oid	event_relid = InvalidOid;
static Oid	event_seq_relid = InvalidOid;
static bool event_direct = false;

/* the columns insert_event_row fills */
static const char *const event_columns[] = {
	"thread_id", "seq", "xid", "event", "private", "recipients", "payload", "at"
};

void
chat_events_invalidate(Oid relid)
{
	event_relids_known = false;
}

/*
 * May chat.event be written without the executor?  When it is the plain
 * table chat makes: no Citus in the database (there it is distributed), no
 * trigger, no CHECK constraint, no generated column, no deferred unique index,
 * and no column but those insert_event_row fills.  The rest (row-level
 * security, the current role's privilege) is asked at each event.
 */
static bool
event_table_is_plain(void)
{
	Relation	rel;
	TupleDesc	desc;
	bool		plain;
	int			i;

	rel = table_open(event_relid, AccessShareLock);
	desc = RelationGetDescr(rel);
	plain = rel->trigdesc == NULL && chat_table_is_plain(rel);
	for (i = 0; plain && i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);
		size_t		c;

		if (att->attisdropped)
			continue;
		for (c = 0; c < lengthof(event_columns); c++)
			if (strcmp(NameStr(att->attname), event_columns[c]) == 0)
				break;
		plain = c < lengthof(event_columns);
	}
	table_close(rel, AccessShareLock);
	return plain;
}

static void
event_relids(void)
{
	if (!event_relids_known)
	{
		event_relid = chat_relid("event");
		event_seq_relid = chat_relid("event_seq");
		event_direct = OidIsValid(event_relid) && event_table_is_plain();
		event_relids_known = true;
	}
}

/* Is chat.event kept (the setting events, in a catalog of 0.9 on)? */
static bool
events_kept(void)
{
	if (!chat_setting_bool("events", false))
		return false;
	event_relids();
	return OidIsValid(event_relid);
}

/*
 * Insert the event's row as the saved INSERT would: the heap tuple, then its
 * index entries (a partial index's where the row matches its predicate), as
 * CatalogTupleInsert does for the catalogs.  xid and at get what their
 * defaults give (pg_current_xact_id(), clock_timestamp()).  Skipping the
 * executor's set-up of a statement (plan, projection, ModifyTable) saves most
 * of what keeping an event costs.  False, having written nothing, when the
 * row may not be written so: the saved INSERT then runs, with every check.
 */
static bool
insert_event_row(ChatEvent event, int64 thread_id, int64 seq, Jsonb *payload,
				 bool private, const char *recipients)
{
	Relation	rel;
	TupleDesc	desc;
	TupleTableSlot *slot;
	int			i;

	if (!event_direct || !chat_may_write_directly(event_relid, ACL_INSERT))
		return false;

	/* what SPI does before a statement that writes: see this transaction's changes so far */
	CommandCounterIncrement();
	rel = table_open(event_relid, RowExclusiveLock);
	desc = RelationGetDescr(rel);
	slot = MakeSingleTupleTableSlot(desc, &TTSOpsVirtual);
	ExecClearTuple(slot);
	for (i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);
		const char *name = NameStr(att->attname);
		Datum		value = (Datum) 0;
		bool		isnull = false;

		if (att->attisdropped)
			isnull = true;
		else if (strcmp(name, "thread_id") == 0)
			value = Int64GetDatum(thread_id);
		else if (strcmp(name, "seq") == 0)
			value = Int64GetDatum(seq);
		else if (strcmp(name, "xid") == 0)
			value = FullTransactionIdGetDatum(GetTopFullTransactionId());
		else if (strcmp(name, "event") == 0)
			value = CStringGetTextDatum(chat_event_name(event));
		else if (strcmp(name, "private") == 0)
			value = BoolGetDatum(private);
		else if (strcmp(name, "recipients") == 0)
		{
			/* as $5::chat.user_id[] does: the array type's input, each id checked by its domain */
			Oid			typinput;
			Oid			typioparam;

			isnull = recipients == NULL;
			if (!isnull)
			{
				getTypeInputInfo(att->atttypid, &typinput, &typioparam);
				value = OidInputFunctionCall(typinput, (char *) recipients, typioparam, att->atttypmod);
			}
		}
		else if (strcmp(name, "payload") == 0)
			value = JsonbPGetDatum(payload);
		else if (strcmp(name, "at") == 0)
			value = TimestampTzGetDatum(GetCurrentTimestamp());
		else
			elog(ERROR, "chat: chat.event has an unknown column \"%s\"", name);
		slot->tts_values[i] = value;
		slot->tts_isnull[i] = isnull;
	}
	ExecStoreVirtualTuple(slot);

	table_tuple_insert(rel, slot, GetCurrentCommandId(true), 0, NULL);
	chat_index_row(rel, slot, false);
	ExecDropSingleTupleTableSlot(slot);
	table_close(rel, NoLock);	/* locked to the end of the transaction, as the executor leaves it */
	return true;
}

/* Keep the event in chat.event, in the operation's transaction. */
static void
keep_event(ChatEvent event, int64 thread_id, int64 seq, Jsonb *payload,
		   bool private, const char *recipients)
{
	static SPIPlanPtr plan = NULL;
	Oid			types[6] = {INT8OID, INT8OID, TEXTOID, BOOLOID, TEXTOID, JSONBOID};
	Datum		args[6];
	char		nulls[6] = {' ', ' ', ' ', ' ', recipients ? ' ' : 'n', ' '};

	if (insert_event_row(event, thread_id, seq, payload, private, recipients))
		return;
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "chat: SPI_connect failed");
	if (plan == NULL)
		plan = chat_keep_plan("INSERT INTO chat.event (thread_id, seq, event, private, recipients, payload)"
							  " VALUES ($1, $2, $3, $4, $5::chat.user_id[], $6)", 6, types);
	args[0] = Int64GetDatum(thread_id);
	args[1] = Int64GetDatum(seq);
	args[2] = CStringGetTextDatum(chat_event_name(event));
	args[3] = BoolGetDatum(private);
	args[4] = recipients ? CStringGetTextDatum(recipients) : (Datum) 0;
	args[5] = JsonbPGetDatum(payload);
	if (SPI_execute_plan(plan, args, nulls, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "chat: cannot keep event %s", chat_event_name(event));
	SPI_finish();
}

/* Will an event of this kind be seen by anyone (chat.event, a hook or NOTIFY)? */
bool
chat_event_wanted(ChatEvent event)
{
	return chat_registry()->hooks[event].count > 0 || chat_setting_bool("notify", false) || events_kept();
}

/*
 * Describe an event, keep it, run its hooks and queue its NOTIFY.  "fields"
 * is a JSON object whose members are added to the description (a later one
 * replaces a member of the same name), or NULL.  Its receivers are the
 * thread's members and "recipients" (an array of user ids as text, or NULL),
 * or with "private" only the recipients.  A hook that raises an error aborts
 * the operation that caused the event: that is how a hook vetoes.
 *
 * The description is built as jsonb directly (pushJsonbValue), not written
 * as text and parsed again: the same object, without the parse.
 */
void
chat_emit(ChatEvent event, int64 thread_id, int64 message_id,
		  Datum user_id, bool user_null, Oid user_type, Jsonb *fields,
		  bool private, const char *recipients)
{
	const ChatRegistry *reg = chat_registry();
	const ChatHookList *hooks = &reg->hooks[event];
	bool		notify = chat_setting_bool("notify", false);
	bool		keep = events_kept();
	int64		seq = 0;
	JsonbParseState *state = NULL;
	JsonbValue	v;
	Jsonb	   *description;
	Jsonb	   *payload;
	int			i;

	if (hooks->count == 0 && !notify && !keep)
		return;

	event_relids();
	if (OidIsValid(event_seq_relid))
		seq = nextval_internal(event_seq_relid, false);
	(void) pushJsonbValue(&state, WJB_BEGIN_OBJECT, NULL);
	v.type = jbvString;
	v.val.string.val = (char *) chat_event_name(event);
	v.val.string.len = strlen(v.val.string.val);
	push_pair(&state, "event", &v);
	push_int64(&state, "thread_id", thread_id);
	if (seq > 0)
		push_int64(&state, "seq", seq);
	if (message_id != 0)
		push_int64(&state, "message_id", message_id);
	if (!user_null)
		push_user(&state, reg, user_id, user_type);
	if (fields != NULL)
		push_fields(&state, fields);
	description = JsonbValueToJsonb(pushJsonbValue(&state, WJB_END_OBJECT, NULL));
	payload = render_payload(reg, event, description);

	if (keep && seq > 0)
		keep_event(event, thread_id, seq, payload, private, recipients);
	for (i = 0; i < hooks->count; i++)
	{
		bool		isnull;

		(void) call_function(hooks->functions[i], JsonbPGetDatum(payload), &isnull);
	}
	if (notify)
		notify_event(payload, description, seq);
}

/*
 * chat._emit(event text, thread_id bigint, message_id bigint,
 *			  user_id chat.user_id, fields jsonb, recipients chat.user_id[],
 *			  private boolean) returns void:
 * the SQL functions' way to publish an event (before 0.9 without the last two).
 */
PG_FUNCTION_INFO_V1(chat_emit_sql);
Datum
chat_emit_sql(PG_FUNCTION_ARGS)
{
	char	   *name;
	int			event;
	Jsonb	   *fields = NULL;
	char	   *recipients = NULL;
	bool		private = false;
	Oid			user_type;

	chat_require_internal("chat._emit");
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		elog(ERROR, "chat._emit: event and thread_id are required");
	name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	event = chat_event_number(name);
	if (event < 0)
		elog(ERROR, "chat._emit: unknown event \"%s\"", name);
	if (!chat_event_wanted((ChatEvent) event))
		PG_RETURN_VOID();

	if (!PG_ARGISNULL(4))
	{
		fields = PG_GETARG_JSONB_P(4);
		if (!JB_ROOT_IS_OBJECT(fields))
			elog(ERROR, "chat._emit: fields must be a JSON object");
	}

	/* from chat 0.9 on: recipients chat.user_id[], private boolean */
	if (PG_NARGS() >= 6 && !PG_ARGISNULL(5))
	{
		Oid			typoutput;
		bool		typisvarlena;

		getTypeOutputInfo(get_fn_expr_argtype(fcinfo->flinfo, 5), &typoutput, &typisvarlena);
		recipients = OidOutputFunctionCall(typoutput, PG_GETARG_DATUM(5));
	}
	if (PG_NARGS() >= 7 && !PG_ARGISNULL(6))
		private = PG_GETARG_BOOL(6);

	user_type = get_fn_expr_argtype(fcinfo->flinfo, 3);
	chat_emit((ChatEvent) event, PG_GETARG_INT64(1),
			  PG_ARGISNULL(2) ? 0 : PG_GETARG_INT64(2),
			  PG_ARGISNULL(3) ? (Datum) 0 : PG_GETARG_DATUM(3), PG_ARGISNULL(3),
			  OidIsValid(user_type) ? user_type : TEXTOID, fields, private, recipients);
	PG_RETURN_VOID();
}

/*
 * chat._render(fn oid, value jsonb) returns jsonb and
 * chat._display_name(fn oid, user_id chat.user_id) returns text: fn(arg) for
 * the SQL functions, run as the current role (see call_function).
 */
PG_FUNCTION_INFO_V1(chat_call_as_caller);
Datum
chat_call_as_caller(PG_FUNCTION_ARGS)
{
	const ChatRegistry *reg = chat_registry();
	Oid			fn = PG_GETARG_OID(0);
	bool		render = (get_func_rettype(fcinfo->flinfo->fn_oid) == JSONBOID);
	bool		registered = false;
	bool		isnull;
	Datum		result;
	int			m;

	/* only chat's functions call these, and only with what is registered */
	chat_require_internal(render ? "chat._render" : "chat._display_name");
	if (render)
	{
		for (m = 0; m < CHAT_MODEL_COUNT && !registered; m++)
			registered = (fn == reg->models[m].renderer);
	}
	else
		registered = (fn == reg->display_name);
	if (!OidIsValid(fn) || !registered)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("function %u is not a registered renderer or display-name function", fn),
				 errreason("internal_function")));

	if (render)
		result = call_function(fn, PG_GETARG_DATUM(1), &isnull);
	else
		result = display_name_of(fn, PG_GETARG_DATUM(1), &isnull);

	if (isnull)
		PG_RETURN_NULL();
	PG_RETURN_DATUM(result);
}
