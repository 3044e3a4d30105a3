/*
 * cache.c
 *	  What chat's per-backend caches share: the lookup of chat's relations,
 *	  saved plans, safe filling, and the invalidation callbacks.
 *
 * A backend may register only ten relcache callbacks (MAX_RELCACHE_CALLBACKS),
 * and other extensions loaded beside chat need some, so chat registers one:
 * it hands each invalidation to every cache, and each cache decides whether
 * the relation concerns it.  Registering happens once, from _PG_init, before
 * any cache can be filled.
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "executor/spi.h"
#include "utils/guc.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/syscache.h"

#include "chat.h"

/*
 * A relation was invalidated (relid), or every relation (InvalidOid): tell
 * every cache.  The order does not matter: each only clears its own flags.
 */
static void
relation_changed(Datum arg, Oid relid)
{
	chat_settings_invalidate(relid);
	chat_registry_invalidate(relid);
	chat_identity_invalidate(relid);
	chat_unread_invalidate(relid);
	chat_fanout_invalidate(relid);
	chat_direct_invalidate(relid);
	chat_relay_invalidate(relid);
	chat_events_invalidate(relid);
	chat_send_invalidate(relid);
}

/* A function was created, changed or dropped: hooks may point at it. */
static void
function_changed(Datum arg, int cacheid, uint32 hashvalue)
{
	chat_registry_invalidate(InvalidOid);
}

/* Register chat's invalidation callbacks; called once from _PG_init. */
void
chat_cache_init(void)
{
	CacheRegisterRelcacheCallback(relation_changed, (Datum) 0);
	CacheRegisterSyscacheCallback(PROCOID, function_changed, (Datum) 0);
}

/* The OID of chat's relation relname, or InvalidOid when it is missing. */
Oid
chat_relid(const char *relname)
{
	return get_relname_relid(relname, get_namespace_oid("chat", false));
}

/*
 * Tell every backend that chat's table rel changed (its statement trigger
 * calls this): at once in this backend, at commit in the others.  On Citus
 * the trigger fires on a shard of a reference table (chat.setting_102009) on
 * each node, never on the table the caches watch, so a relation named
 * "<table>_<shard id>" invalidates that table of its schema too.
 */
void
chat_table_changed(Relation rel)
{
	const char *name = RelationGetRelationName(rel);
	size_t		len = strlen(name);
	size_t		i = len;

	CacheInvalidateRelcache(rel);
	while (i > 0 && isdigit((unsigned char) name[i - 1]))
		i--;
	if (i > 1 && i < len && name[i - 1] == '_')
	{
		char	   *table = pnstrdup(name, i - 1);
		Oid			relid = get_relname_relid(table, RelationGetNamespace(rel));

		if (OidIsValid(relid) && relid != RelationGetRelid(rel))
			CacheInvalidateRelcacheByRelid(relid);
		pfree(table);
	}
}

/*
 * Prepare one statement and keep it for the life of the backend, as a
 * generic plan: a custom plan per call costs a planning per message, and
 * the statements are simple key lookups whatever the parameters.
 */
SPIPlanPtr
chat_keep_plan(const char *sql, int nargs, Oid *argtypes)
{
	SPIPlanPtr	plan = SPI_prepare_cursor(sql, nargs, argtypes, CURSOR_OPT_GENERIC_PLAN);

	if (plan == NULL)
		elog(ERROR, "chat: SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
	if (SPI_keepplan(plan) != 0)
		elog(ERROR, "chat: SPI_keepplan failed");
	return plan;
}

/*
 * Fill a per-backend cache whose invalidation clears *valid: the flag is set
 * before loading, so an invalidation arriving while the load reads the
 * catalog clears it again, and a failed load leaves it cleared.
 */
void
chat_cache_fill(bool *valid, void (*load) (void))
{
	volatile int nest = -1;

	/*
	 * On a Citus node a cache may be filled inside a query Citus runs on a
	 * shard (a row-level security policy calling chat.is_server_role() while
	 * a worker reads its shard of chat.message), where Citus refuses every
	 * query over its tables unless nested execution is allowed.  The caches
	 * read reference tables, which every node holds, so the nested read stays
	 * on this node and sees what the shard's query sees.
	 */
	if (GetConfigOption("citus.allow_nested_distributed_execution", true, false) != NULL)
	{
		nest = NewGUCNestLevel();
		(void) set_config_option("citus.allow_nested_distributed_execution", "on",
								 PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE,
								 true, 0, false);
	}
	*valid = true;
	PG_TRY();
	{
		load();
	}
	PG_CATCH();
	{
		*valid = false;
		PG_RE_THROW();
	}
	PG_END_TRY();
	if (nest >= 0)
		AtEOXact_GUC(true, nest);
}
