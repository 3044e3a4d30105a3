/*
 * settings.c
 *	  Per-backend cache of chat's settings (chat.setting over
 *	  chat.setting_default), invalidated through the relcache.
 *
 * A trigger on chat.setting sends a relcache invalidation for the table; every
 * backend drops its cache when that message arrives (at once in the changing
 * backend, at commit in the others), so chat._setting_value() is a hash lookup.
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/rel.h"

#include "chat.h"

typedef struct SettingEntry
{
	char		key[NAMEDATALEN];	/* hash key */
	Jsonb	   *value;			/* effective value, in setting_cxt */
} SettingEntry;

static MemoryContext setting_cxt = NULL;
static HTAB *setting_cache = NULL;
static bool setting_valid = false;
static Oid	setting_relid = InvalidOid;

/* Drop the cache when chat.setting (or every relation) is invalidated. */
void
chat_settings_invalidate(Oid relid)
{
	if (relid == InvalidOid || relid == setting_relid)
		setting_valid = false;
}

/* Read every setting's effective value into a fresh hash table. */
static void
setting_load(void)
{
	HASHCTL		ctl;
	uint64		i;

	if (setting_cxt == NULL)
		setting_cxt = AllocSetContextCreate(CacheMemoryContext,
											"chat settings",
											ALLOCSET_SMALL_SIZES);
	else
		MemoryContextReset(setting_cxt);
	setting_cache = NULL;

	setting_relid = chat_relid("setting");

	ctl.keysize = NAMEDATALEN;
	ctl.entrysize = sizeof(SettingEntry);
	ctl.hcxt = setting_cxt;
	setting_cache = hash_create("chat settings", 16, &ctl,
								HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "chat: SPI_connect failed");
	if (SPI_execute("SELECT d.key, coalesce(s.value, d.value)"
					"  FROM chat.setting_default d"
					"  LEFT JOIN chat.setting s ON s.key OPERATOR(pg_catalog.=) d.key",
					true, 0) != SPI_OK_SELECT)
		elog(ERROR, "chat: cannot read chat.setting");

	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		char	   *key = SPI_getvalue(tup, desc, 1);
		bool		isnull;
		Datum		value = SPI_getbinval(tup, desc, 2, &isnull);
		SettingEntry *entry;
		MemoryContext old;

		if (strlen(key) >= NAMEDATALEN)
			elog(ERROR, "chat: setting name \"%s\" is too long", key);
		entry = hash_search(setting_cache, key, HASH_ENTER, NULL);
		old = MemoryContextSwitchTo(setting_cxt);
		entry->value = DatumGetJsonbPCopy(value);
		MemoryContextSwitchTo(old);
	}
	SPI_finish();
}

/* Load the cache when it is empty. */
static void
setting_ensure(void)
{
	if (!setting_valid)
		chat_cache_fill(&setting_valid, setting_load);
}

/*
 * The effective value of a setting, or NULL when this database's chat does
 * not have it (a later version's setting, with an older install script).
 */
Jsonb *
chat_setting_optional(const char *key)
{
	SettingEntry *entry = NULL;

	setting_ensure();
	if (strlen(key) < NAMEDATALEN)
		entry = hash_search(setting_cache, key, HASH_FIND, NULL);
	return entry ? entry->value : NULL;
}

/* A boolean setting, or "missing" when this database's chat does not have it. */
bool
chat_setting_bool(const char *key, bool missing)
{
	Jsonb	   *value = chat_setting_optional(key);
	JsonbValue	scalar;

	if (value == NULL || !JsonbExtractScalar(&value->root, &scalar) || scalar.type != jbvBool)
		return missing;
	return scalar.val.boolean;
}

/* The effective value of one setting; 22023 for an unknown key. */
static Jsonb *
setting_lookup(const char *key)
{
	SettingEntry *entry = NULL;

	setting_ensure();
	if (strlen(key) < NAMEDATALEN)
		entry = hash_search(setting_cache, key, HASH_FIND, NULL);
	if (entry == NULL)
	{
		/* at most 256 bytes of it, whole characters (chat._shown() in SQL) */
		int			shown = pg_mbcliplen(key, strlen(key), 256);

		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown setting \"%.*s%s\"", shown, key, key[shown] ? "..." : ""),
				 errhint("SELECT key FROM chat.settings lists the settings."),
				 errargument("key")));
	}
	return entry->value;
}

/*
 * A whole-number setting as int64, for the C paths that enforce limits.
 */
int64
chat_setting_int64(const char *key)
{
	Jsonb	   *value = setting_lookup(key);
	JsonbValue	scalar;

	if (!JsonbExtractScalar(&value->root, &scalar) || scalar.type != jbvNumeric)
		elog(ERROR, "chat: setting \"%s\" is not a number", key);
	return DatumGetInt64(DirectFunctionCall1(numeric_int8,
											 NumericGetDatum(scalar.val.numeric)));
}

/*
 * chat._setting_value(key text) returns jsonb: the setting's value, or its default.
 */
PG_FUNCTION_INFO_V1(chat_setting);
Datum
chat_setting(PG_FUNCTION_ARGS)
{
	char	   *key = text_to_cstring(PG_GETARG_TEXT_PP(0));
	Jsonb	   *value = setting_lookup(key);

	PG_RETURN_JSONB_P((Jsonb *) pg_detoast_datum_copy((struct varlena *) value));
}

/*
 * Statement trigger on chat.setting: tell every backend to drop its cache.
 */
PG_FUNCTION_INFO_V1(chat_setting_changed);
Datum
chat_setting_changed(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo))
		elog(ERROR, "chat_setting_changed: not called as a trigger");
	chat_table_changed(trigdata->tg_relation);
	return PointerGetDatum(NULL);
}
