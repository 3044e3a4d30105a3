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

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "commands/sequence.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/regproc.h"
#include "utils/resowner.h"
#include "utils/timestamp.h"

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
 * Append the user's members: "user_id" (a number for integer ids, else a
 * string) and, when a display-name function is bound, "user_name".
 */
static void
append_user(StringInfo buf, const ChatRegistry *reg, Datum user_id, Oid user_type)
{
	Oid			base = getBaseType(user_type);
	Oid			typoutput;
	bool		typisvarlena;
	char	   *id;

	getTypeOutputInfo(user_type, &typoutput, &typisvarlena);
	id = OidOutputFunctionCall(typoutput, user_id);
	appendStringInfoString(buf, ", \"user_id\": ");
	if (base == INT8OID || base == INT4OID || base == INT2OID)
		appendStringInfoString(buf, id);
	else
		escape_json(buf, id);
	if (OidIsValid(reg->display_name))
	{
		bool		isnull;
		Datum		name = display_name_of(reg->display_name, user_id, &isnull);

		if (!isnull)
		{
			appendStringInfoString(buf, ", \"user_name\": ");
			escape_json(buf, TextDatumGetCString(name));
		}
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
notify_event(Jsonb *payload, const char *description, int64 seq)
{
	const char *text;

	if (seq > 0 && !chat_setting_bool("notify_full_payload", true))
	{
		ring_doorbell(seq);
		return;
	}
	text = JsonbToCString(NULL, &payload->root, VARSIZE(payload));
	if (strlen(text) >= CHAT_NOTIFY_MAX)
		text = description;
	if (strlen(text) < CHAT_NOTIFY_MAX)
		chat_notify(setting_string("notify_channel", "chat"), text);
}

/* Is chat.event kept (the setting events, in a catalog of 0.9 on)? */
static bool
events_kept(void)
{
	return chat_setting_bool("events", false) && OidIsValid(chat_relid("event"));
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
 * is more JSON members ("\"reply\": true"), or NULL.  Its receivers are the
 * thread's members and "recipients" (an array of user ids as text, or NULL),
 * or with "private" only the recipients.  A hook that raises an error aborts
 * the operation that caused the event: that is how a hook vetoes.
 */
void
chat_emit(ChatEvent event, int64 thread_id, int64 message_id,
		  Datum user_id, bool user_null, Oid user_type, const char *fields,
		  bool private, const char *recipients)
{
	const ChatRegistry *reg = chat_registry();
	const ChatHookList *hooks = &reg->hooks[event];
	bool		notify = chat_setting_bool("notify", false);
	bool		keep = events_kept();
	Oid			seq_relid;
	int64		seq = 0;
	StringInfoData buf;
	Jsonb	   *payload;
	int			i;

	if (hooks->count == 0 && !notify && !keep)
		return;

	seq_relid = chat_relid("event_seq");
	if (OidIsValid(seq_relid))
		seq = nextval_internal(seq_relid, false);
	initStringInfo(&buf);
	appendStringInfo(&buf, "{\"event\": \"%s\", \"thread_id\": " INT64_FORMAT,
					 chat_event_name(event), thread_id);
	if (seq > 0)
		appendStringInfo(&buf, ", \"seq\": " INT64_FORMAT, seq);
	if (message_id != 0)
		appendStringInfo(&buf, ", \"message_id\": " INT64_FORMAT, message_id);
	if (!user_null)
		append_user(&buf, reg, user_id, user_type);
	if (fields != NULL && fields[0] != '\0')
		appendStringInfo(&buf, ", %s", fields);
	appendStringInfoChar(&buf, '}');
	payload = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(buf.data)));
	payload = render_payload(reg, event, payload);

	if (keep && seq > 0)
		keep_event(event, thread_id, seq, payload, private, recipients);
	for (i = 0; i < hooks->count; i++)
	{
		bool		isnull;

		(void) call_function(hooks->functions[i], JsonbPGetDatum(payload), &isnull);
	}
	if (notify)
		notify_event(payload, buf.data, seq);
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
	char	   *fields = NULL;
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
		Jsonb	   *extra = PG_GETARG_JSONB_P(4);
		char	   *text = JsonbToCString(NULL, &extra->root, VARSIZE(extra));
		size_t		len = strlen(text);

		/* the members of the object, without its braces */
		if (!JB_ROOT_IS_OBJECT(extra) || len < 2)
			elog(ERROR, "chat._emit: fields must be a JSON object");
		fields = pnstrdup(text + 1, len - 2);
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
