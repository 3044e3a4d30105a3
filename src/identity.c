/*
 * identity.c
 *	  Who is calling: the session's chat user and its trust level.
 *
 * The role that counts is the current role when chat is called (what SET ROLE
 * and PostgREST's SET LOCAL ROLE set), GetOuterUserId(), never the owner of
 * the SECURITY DEFINER function that is running.
 *
 * A server role (a superuser, the extension owner, or a member of a role
 * named in the setting server_roles) may act for any user.  Every other role
 * is an end user: it acts only as chat.current_user_id(), which is the user
 * the role is mapped to in chat.role_map when it is mapped (settings are then
 * ignored), else the setting chat.user_id, else the "sub" claim of PostgREST's
 * request.jwt.claims.
 *
 * The extension owner is the owner of schema chat: CREATE EXTENSION gives the
 * schema to the role that creates the extension, and the schema's owner is in
 * the syscache where pg_extension's is not.
 *
 * chat.role_map is read with an index scan, not SPI, so the lookup needs no
 * privilege and no search_path; the answer for the current role is cached
 * until chat.role_map changes (its statement trigger sends a relcache
 * invalidation) or the role changes.
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_namespace.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "storage/proc.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/typcache.h"

#include "chat.h"

/*
 * The answer of chat.role_map for one role.  Another session's change of the
 * mapping may arrive at any point of a statement; until this transaction
 * moves to its next command, the answer read before it still holds, so that
 * a call's default actor and its identity check never disagree.  The
 * transaction's own changes take effect at once (they start a new command).
 */
static bool map_valid = false;
static Oid	map_role = InvalidOid;
static char *map_user = NULL;	/* in TopMemoryContext; NULL: not mapped */
static Oid	map_relid = InvalidOid;
static LocalTransactionId map_lxid = InvalidLocalTransactionId;
static CommandId map_command = InvalidCommandId;

/* Drop the answer when chat.role_map (or every relation) is invalidated. */
void
chat_identity_invalidate(Oid relid)
{
	if (relid == InvalidOid || relid == map_relid)
		map_valid = false;
}

/* The OID of schema chat's owner: the extension owner. */
static Oid
extension_owner(void)
{
	Oid			nsp = get_namespace_oid("chat", false);
	HeapTuple	tup = SearchSysCache1(NAMESPACEOID, ObjectIdGetDatum(nsp));
	Oid			owner;

	if (!HeapTupleIsValid(tup))
		elog(ERROR, "chat: cache lookup failed for schema %u", nsp);
	owner = ((Form_pg_namespace) GETSTRUCT(tup))->nspowner;
	ReleaseSysCache(tup);
	return owner;
}

/*
 * Is this role a server role?  is_member_of_role, not has_privs_of_role: a
 * role that may SET ROLE to a server role can become one anyway.
 */
bool
chat_role_is_server(Oid role)
{
	Jsonb	   *listed;

	if (superuser_arg(role) || is_member_of_role(role, extension_owner()))
		return true;

	listed = chat_setting_optional("server_roles");
	if (listed != NULL && JB_ROOT_IS_ARRAY(listed) && !JB_ROOT_IS_SCALAR(listed))
	{
		JsonbIterator *it = JsonbIteratorInit(&listed->root);
		JsonbValue	v;
		JsonbIteratorToken tok;

		while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
		{
			Oid			server;
			char	   *name;

			if (tok != WJB_ELEM || v.type != jbvString)
				continue;
			name = pnstrdup(v.val.string.val, v.val.string.len);
			server = get_role_oid(name, true);
			pfree(name);
			if (OidIsValid(server) && is_member_of_role(role, server))
				return true;
		}
	}
	return false;
}

/*
 * Read the user chat.role_map gives this role by an index scan of its
 * primary key: a copy in TopMemoryContext, or NULL when it is not mapped.
 */
static char *
read_role_map(Oid role, Oid idxoid)
{
	Relation	rel;
	Relation	idx;
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tup;
	char	   *user = NULL;

	rel = table_open(map_relid, AccessShareLock);
	idx = index_open(idxoid, AccessShareLock);
	ScanKeyInit(&key, 1, BTEqualStrategyNumber, F_OIDEQ, ObjectIdGetDatum(role));
	scan = systable_beginscan(rel, idxoid, true, NULL, 1, &key);
	tup = systable_getnext(scan);
	if (HeapTupleIsValid(tup))
	{
		TupleDesc	desc = RelationGetDescr(rel);
		bool		isnull;
		Datum		value = heap_getattr(tup, 2, desc, &isnull);

		if (!isnull)
		{
			Oid			typoutput;
			bool		typisvarlena;

			getTypeOutputInfo(TupleDescAttr(desc, 1)->atttypid, &typoutput, &typisvarlena);
			user = MemoryContextStrdup(TopMemoryContext,
									   OidOutputFunctionCall(typoutput, value));
		}
	}
	systable_endscan(scan);
	index_close(idx, AccessShareLock);
	table_close(rel, AccessShareLock);
	return user;
}

/*
 * A Citus shard of chat's table and of its primary key on this node,
 * chat.<table>_<shard id> and chat.<table>_pkey_<shard id>: false when it is
 * not here.
 */
static bool
shard_here(const char *table, int64 shardid, Oid *relid, Oid *idxoid)
{
	Oid			rel = chat_relid(psprintf("%s_" INT64_FORMAT, table, shardid));
	Oid			idx = chat_relid(psprintf("%s_pkey_" INT64_FORMAT, table, shardid));

	if (!OidIsValid(rel) || !OidIsValid(idx))
		return false;
	*relid = rel;
	*idxoid = idx;
	return true;
}

/*
 * With Citus chat.role_map is a reference table (sql/src/citus.sql): its rows
 * live in its placement chat.role_map_<shard id>, on every node.  Read that.
 */
static void
citus_placement(Oid *relid, Oid *idxoid)
{
	if (!OidIsValid(get_extension_oid("citus", true)))
		return;
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "chat: SPI_connect failed");
	if (SPI_execute("SELECT shardid FROM pg_catalog.pg_dist_shard"
					" WHERE logicalrelid OPERATOR(pg_catalog.=) 'chat.role_map'::pg_catalog.regclass",
					true, 2) == SPI_OK_SELECT && SPI_processed == 1)
	{
		bool		isnull;
		int64		shardid = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
														  SPI_tuptable->tupdesc, 1, &isnull));

		if (!isnull)
			(void) shard_here("role_map", shardid, relid, idxoid);
	}
	SPI_finish();
}

/* The user chat.role_map gives this role, or NULL; cached (see above). */
static char *
mapped_user(Oid role)
{
	Oid			idxoid;
	char	   *user;

	if (map_role == role &&
		(map_valid || (map_lxid == MyProc->lxid &&
					   map_command == GetCurrentCommandId(false))))
		return map_user;

	map_relid = chat_relid("role_map");
	if (!OidIsValid(map_relid))
		return NULL;			/* chat before 0.4 */
	idxoid = chat_relid("role_map_pkey");
	if (!OidIsValid(idxoid))
		elog(ERROR, "chat: index chat.role_map_pkey is missing");
	citus_placement(&map_relid, &idxoid);

	/*
	 * Forget the old answer first (an error below must not leave it behind
	 * for this role); map_valid is set before reading, so an invalidation
	 * arriving meanwhile clears it.
	 */
	map_role = InvalidOid;
	map_valid = true;
	user = read_role_map(role, idxoid);

	if (map_user != NULL)
		pfree(map_user);
	map_user = user;
	map_role = role;
	map_lxid = MyProc->lxid;
	map_command = GetCurrentCommandId(false);
	return user;
}

/* The "sub" claim of a JSON claims object, as text, or NULL. */
static char *
claims_sub(const char *claims)
{
	Jsonb	   *jb;
	JsonbValue *sub;

	jb = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(claims)));
	if (!JB_ROOT_IS_OBJECT(jb))
		return NULL;
	sub = getKeyJsonValueFromContainer(&jb->root, "sub", 3, NULL);
	if (sub == NULL)
		return NULL;
	/* an empty "sub" is no user, as an empty chat.user_id is */
	if (sub->type == jbvString && sub->val.string.len > 0)
		return pnstrdup(sub->val.string.val, sub->val.string.len);
	if (sub->type == jbvNumeric)
		return DatumGetCString(DirectFunctionCall1(numeric_out,
												   NumericGetDatum(sub->val.numeric)));
	return NULL;
}

/* A non-empty setting's value, or NULL. */
static const char *
setting_text(const char *name)
{
	const char *value = GetConfigOption(name, true, false);

	return (value != NULL && value[0] != '\0') ? value : NULL;
}

/*
 * A session whose chat.user_id and JWT claims name two users: a request's
 * verified claims and a value an earlier request left on a pooled connection
 * cannot both be right, so refuse rather than pick one.
 */
static void
identity_conflict(const char *setting, const char *claimed)
{
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("chat.user_id is \"%s\" but the JWT claims are for user \"%s\"", setting, claimed),
			 errdetail("The session's user is ambiguous, so chat refuses to act."),
			 errhint("Set chat.user_id only for the transaction (set_config('chat.user_id', $1, true)), or reset it before a request that carries claims."),
			 errreason("identity_conflict")));
}

/*
 * The session's chat user as text, or NULL: the role's mapping, else
 * chat.user_id, else the "sub" of request.jwt.claims (or of PostgREST's
 * older request.jwt.claim.sub).
 */
char *
chat_current_user_text(void)
{
	char	   *user = mapped_user(GetOuterUserId());
	const char *value;
	const char *setting;
	char	   *claimed = NULL;

	if (user != NULL)
		return pstrdup(user);
	setting = setting_text("chat.user_id");
	if ((value = setting_text("request.jwt.claims")) != NULL)
		claimed = claims_sub(value);
	if (claimed == NULL && (value = setting_text("request.jwt.claim.sub")) != NULL)
		claimed = pstrdup(value);
	if (setting == NULL)
		return claimed;
	if (claimed != NULL && strcmp(setting, claimed) != 0)
		identity_conflict(setting, claimed);
	return pstrdup(setting);
}

/* How to read and write values of chat.user_id (a domain over its base). */
typedef struct UserIdIO
{
	Oid			domain;
	FmgrInfo	input;
	Oid			ioparam;
	FmgrInfo	output;
	void	   *domain_extra;	/* domain_check's cache */
} UserIdIO;

static UserIdIO *
user_id_io(FunctionCallInfo fcinfo, Oid domain)
{
	UserIdIO   *io = (UserIdIO *) fcinfo->flinfo->fn_extra;

	if (io == NULL || io->domain != domain)
	{
		Oid			typinput;
		Oid			typoutput;
		bool		typisvarlena;

		io = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(UserIdIO));
		io->domain = domain;
		getTypeInputInfo(domain, &typinput, &io->ioparam);
		fmgr_info_cxt(typinput, &io->input, fcinfo->flinfo->fn_mcxt);
		getTypeOutputInfo(domain, &typoutput, &typisvarlena);
		fmgr_info_cxt(typoutput, &io->output, fcinfo->flinfo->fn_mcxt);
		fcinfo->flinfo->fn_extra = io;
	}
	return io;
}

/* A user id as a value of the domain (checked against its constraints). */
static Datum
user_id_datum(FunctionCallInfo fcinfo, UserIdIO *io, char *text)
{
	Datum		value = InputFunctionCall(&io->input, text, io->ioparam, -1);

	domain_check(value, false, io->domain, &io->domain_extra, fcinfo->flinfo->fn_mcxt);
	return value;
}

/*
 * Is this backend running a call a Citus coordinator delegated to it?  Citus
 * names its own connections "citus_internal gpid=..."; the caller's session
 * settings (the JWT claims, chat.user_id) stay on the coordinator.
 */
static bool
in_delegated_call(void)
{
	const char *name = GetConfigOption("application_name", true, false);

	return name != NULL && strncmp(name, "citus_internal", 14) == 0;
}

/*
 * Refuse an end user acting for anyone but itself, or acting with no
 * identity.  "actor" is argument argno of the calling function, of type
 * chat.user_id; a NULL actor passes when the session has an identity (the
 * function then reports the missing argument itself).
 */
void
chat_check_actor(FunctionCallInfo fcinfo, int argno)
{
	Oid			role = GetOuterUserId();
	char	   *me;
	UserIdIO   *io;
	char	   *actor;
	char	   *mine;

	if (chat_role_is_server(role))
		return;
	me = chat_current_user_text();
	if (me == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("role \"%s\" has no chat user", GetUserNameFromId(role, false)),
				 in_delegated_call()
				 ? errhint("On Citus this call ran on the worker holding the thread, which does not see the "
						   "caller's request.jwt.claims or chat.user_id: make the call inside a transaction block "
						   "(it then runs on the coordinator), or map the role with chat.map_role() "
						   "(README \"Running on Citus\").")
				 : errhint("Map the role with chat.map_role(), or set chat.user_id from a trusted layer."),
				 errreason("no_user")));
	if (PG_ARGISNULL(argno))
		return;

	io = user_id_io(fcinfo, get_fn_expr_argtype(fcinfo->flinfo, argno));
	actor = OutputFunctionCall(&io->output, PG_GETARG_DATUM(argno));
	mine = OutputFunctionCall(&io->output, user_id_datum(fcinfo, io, me));
	if (strcmp(actor, mine) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to act as user \"%s\"", actor),
				 errdetail("Role \"%s\" acts as user \"%s\" only.",
						   GetUserNameFromId(role, false), mine),
				 errreason("acting_as_other_user")));
}

/*
 * chat.current_user_id() returns chat.user_id: the session's chat user, or
 * NULL.
 */
PG_FUNCTION_INFO_V1(chat_current_user_id);
Datum
chat_current_user_id(PG_FUNCTION_ARGS)
{
	char	   *me = chat_current_user_text();
	UserIdIO   *io;

	if (me == NULL)
		PG_RETURN_NULL();
	io = user_id_io(fcinfo, get_func_rettype(fcinfo->flinfo->fn_oid));
	return user_id_datum(fcinfo, io, me);
}

/*
 * chat._act(actor chat.user_id) returns chat.user_id: actor, once the current
 * role may act as that user (42501 otherwise).
 */
PG_FUNCTION_INFO_V1(chat_act);
Datum
chat_act(PG_FUNCTION_ARGS)
{
	chat_check_actor(fcinfo, 0);
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	PG_RETURN_DATUM(PG_GETARG_DATUM(0));
}

/* chat.is_server_role() returns boolean: is the current role a server role? */
PG_FUNCTION_INFO_V1(chat_is_server_role);
Datum
chat_is_server_role(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(chat_role_is_server(GetOuterUserId()));
}

/*
 * Refuse an end user what only server roles may do ("change settings",
 * "register hooks"...).
 */
void
chat_require_server(const char *what)
{
	Oid			role = GetOuterUserId();

	if (!chat_role_is_server(role))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to %s", what),
				 errdetail("Role \"%s\" is not a server role.", GetUserNameFromId(role, false)),
				 errhint("Server roles are superusers, the owner of the extension and the members of the roles in the setting \"server_roles\"."),
				 errreason("server_role_only")));
}

/* chat._require_server(what text) returns void */
PG_FUNCTION_INFO_V1(chat_require_server_sql);
Datum
chat_require_server_sql(PG_FUNCTION_ARGS)
{
	chat_require_server(PG_ARGISNULL(0) ? "do this" : text_to_cstring(PG_GETARG_TEXT_PP(0)));
	PG_RETURN_VOID();
}

/*
 * Refuse a call of an internal function from outside chat: inside chat's
 * SECURITY DEFINER functions the current user is the extension owner.
 */
void
chat_require_internal(const char *function)
{
	if (!chat_role_is_server(GetUserId()))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied for function %s", function),
				 errdetail("It is internal to chat."),
				 errreason("internal_function")));
}

/*
 * Membership for row-level security: is chat.current_user_id() a member of
 * the thread?  An index probe of chat.member's primary key (thread_id,
 * user_id), without SPI and without row-level security, so the policies of
 * chat.member itself can use it.  The user is computed once per command;
 * the last thread's answer is kept for the rows of the same thread.
 */
typedef struct MemberProbe
{
	LocalTransactionId lxid;
	CommandId	command;
	Oid			role;			/* the current role it was computed for */
	Oid			member;			/* chat.member and its primary key */
	Oid			member_pkey;
	bool		has_user;
	Datum		user;			/* in TopMemoryContext when by reference */
	Oid			eq_proc;		/* equality of the user id's base type */
	bool		typbyval;
	int16		typlen;
	bool		citus;			/* Citus in the database: members live in shards */
	int64		last_thread;
	bool		last_answer;
	int64		last_shard;		/* Citus: the last shard found here, 0 none */
	Oid			shard_member;	/* its chat.member_<shard> and primary key */
	Oid			shard_pkey;
} MemberProbe;

static MemberProbe probe;

/*
 * Start a command's probes: chat.member's OIDs, and the session's user as a
 * value of chat.member.user_id's base type.
 */
static void
probe_user(void)
{
	Oid			base;
	char	   *me;
	TypeCacheEntry *tc;

	probe.member = chat_relid("member");
	probe.member_pkey = chat_relid("member_pkey");
	if (!OidIsValid(probe.member) || !OidIsValid(probe.member_pkey))
		elog(ERROR, "chat: chat.member or its primary key is missing");
	base = getBaseType(get_atttype(probe.member, 2));
	me = chat_current_user_text();
	tc = lookup_type_cache(base, TYPECACHE_EQ_OPR);

	if (!probe.typbyval && probe.has_user)
		pfree(DatumGetPointer(probe.user));
	probe.has_user = false;
	probe.citus = OidIsValid(get_extension_oid("citus", true));
	probe.last_thread = 0;
	probe.last_shard = 0;
	probe.lxid = MyProc->lxid;
	probe.command = GetCurrentCommandId(false);
	probe.role = GetOuterUserId();
	if (!OidIsValid(tc->eq_opr))
		elog(ERROR, "chat: no equality operator for type %u", base);
	probe.eq_proc = get_opcode(tc->eq_opr);
	get_typlenbyval(base, &probe.typlen, &probe.typbyval);
	if (me != NULL)
	{
		Oid			typinput;
		Oid			ioparam;
		Datum		value;
		MemoryContext old;

		getTypeInputInfo(base, &typinput, &ioparam);
		value = OidInputFunctionCall(typinput, me, ioparam, -1);
		old = MemoryContextSwitchTo(TopMemoryContext);
		probe.user = datumCopy(value, probe.typbyval, probe.typlen);
		MemoryContextSwitchTo(old);
		probe.has_user = true;
	}
}

/*
 * With Citus chat.member's rows live in its shards chat.member_<shard id>,
 * the shell chat.member holding none: the shard of the thread and its
 * primary key, when that shard is on this node (the worker running a shard's
 * query, whose policies ask, holds the colocated member shard).  Elsewhere
 * (the coordinator) the shell is probed, and answers no, as before.
 */
static void
member_placement(int64 thread_id, Oid *relid, Oid *idxoid)
{
	Datum		arg = Int64GetDatum(thread_id);
	Oid			argtype = INT8OID;
	int64		shardid = 0;
	bool		isnull = true;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "chat: SPI_connect failed");
	if (SPI_execute_with_args("SELECT pg_catalog.get_shard_id_for_distribution_column("
							  "'chat.member'::pg_catalog.regclass, $1)",
							  1, &argtype, &arg, NULL, true, 1) == SPI_OK_SELECT && SPI_processed == 1)
		shardid = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	SPI_finish();
	if (isnull || shardid <= 0)
		return;
	if (shardid != probe.last_shard)
	{
		if (!shard_here("member", shardid, &probe.shard_member, &probe.shard_pkey))
			return;
		probe.last_shard = shardid;
	}
	*relid = probe.shard_member;
	*idxoid = probe.shard_pkey;
}

/* chat._is_member(thread_id bigint) returns boolean */
PG_FUNCTION_INFO_V1(chat_is_member);
Datum
chat_is_member(PG_FUNCTION_ARGS)
{
	int64		thread_id;
	Oid			relid;
	Oid			idxoid;
	Relation	rel;
	Relation	idx;
	ScanKeyData keys[2];
	SysScanDesc scan;
	bool		found;
	bool		fresh;

	if (PG_ARGISNULL(0))
		PG_RETURN_BOOL(false);
	thread_id = PG_GETARG_INT64(0);

	fresh = (probe.lxid == MyProc->lxid && probe.command == GetCurrentCommandId(false) &&
			 probe.role == GetOuterUserId());
	if (fresh && probe.last_thread == thread_id && thread_id != 0)
		PG_RETURN_BOOL(probe.last_answer);

	if (!fresh)
		probe_user();
	if (!probe.has_user)
		PG_RETURN_BOOL(false);

	relid = probe.member;
	idxoid = probe.member_pkey;
	if (probe.citus)
		member_placement(thread_id, &relid, &idxoid);

	/* the locks are kept to the end of the transaction, as the executor's */
	rel = table_open(relid, AccessShareLock);
	idx = index_open(idxoid, AccessShareLock);
	ScanKeyInit(&keys[0], 1, BTEqualStrategyNumber, F_INT8EQ, Int64GetDatum(thread_id));
	ScanKeyEntryInitialize(&keys[1], 0, 2, BTEqualStrategyNumber, InvalidOid,
						   idx->rd_indcollation[1], probe.eq_proc, probe.user);
	scan = systable_beginscan(rel, idxoid, true, GetActiveSnapshot(), 2, keys);
	found = HeapTupleIsValid(systable_getnext(scan));
	systable_endscan(scan);
	index_close(idx, NoLock);
	table_close(rel, NoLock);

	probe.last_thread = thread_id;
	probe.last_answer = found;
	PG_RETURN_BOOL(found);
}
