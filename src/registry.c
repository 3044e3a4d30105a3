/*
 * registry.c
 *	  Per-backend cache of chat's registries: hooks per event, swapped models
 *	  and their renderers, and the user binding's display-name function.
 *
 * The tables chat.hook, chat.model and chat.user_binding carry a statement
 * trigger (chat._registry_changed) that sends a relcache invalidation for the
 * table; chat_registry_invalidate below, called by cache.c's relcache
 * callback, drops the cache, so a registration made in one session is seen
 * by the next call in every other.  Any change to pg_proc drops it too, and a
 * hook whose function was dropped is skipped.  A database still at chat 0.1
 * has none of these tables: the cache is then empty.
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "chat.h"

static const char *const event_names[CHAT_EVENT_COUNT] = {
	"message_sent", "message_edited", "message_deleted", "thread_created",
	"member_added", "member_removed", "reaction_added", "reaction_removed",
	"thread_read", "typing", "member_updated", "thread_renamed", "thread_dropped",
	"thread_delivered", "thread_unread", "thread_muted", "thread_unmuted",
	"thread_archived", "thread_unarchived", "thread_deleted", "thread_restored", "notify_level_set",
	"thread_updated", "messages_purged", "messages_imported"
};

static const char *const model_names[CHAT_MODEL_COUNT] = {
	"message", "thread", "member", "reaction", "attachment", "notification"
};

static MemoryContext registry_cxt = NULL;
static bool registry_valid = false;
static Oid	registry_relids[3] = {InvalidOid, InvalidOid, InvalidOid};
static ChatRegistry registry;

/*
 * Drop the cache when a registry table (or every relation) is invalidated;
 * cache.c passes InvalidOid too when a function changes, as hooks may point
 * at it.
 */
void
chat_registry_invalidate(Oid relid)
{
	size_t		i;

	if (relid == InvalidOid)
		registry_valid = false;
	for (i = 0; i < lengthof(registry_relids); i++)
		if (relid == registry_relids[i])
			registry_valid = false;
}

/* The index of an event name, or -1. */
int
chat_event_number(const char *name)
{
	int			i;

	for (i = 0; i < CHAT_EVENT_COUNT; i++)
		if (strcmp(event_names[i], name) == 0)
			return i;
	return -1;
}

/* The name of an event. */
const char *
chat_event_name(ChatEvent event)
{
	return event_names[event];
}

/* The index of a model name, or -1. */
static int
model_number(const char *name)
{
	int			i;

	for (i = 0; i < CHAT_MODEL_COUNT; i++)
		if (strcmp(model_names[i], name) == 0)
			return i;
	return -1;
}

/* Run a read-only query of the registry; false when its table is missing. */
static bool
registry_query(const char *relname, int slot, const char *sql)
{
	Oid			relid = chat_relid(relname);

	registry_relids[slot] = relid;
	if (!OidIsValid(relid))
		return false;
	if (SPI_execute(sql, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "chat: cannot read chat.%s", relname);
	return true;
}

/* An OID column of row "row" of the last SPI result; InvalidOid for NULL. */
static Oid
result_oid(uint64 row, int column)
{
	bool		isnull;
	Datum		d = SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, column, &isnull);

	return isnull ? InvalidOid : DatumGetObjectId(d);
}

/* chat.hook: each event's functions, in position order, in registry_cxt. */
static void
load_hooks(void)
{
	uint64		i;

	if (!registry_query("hook", 0,
						"SELECT h.event, h.function::pg_catalog.oid FROM chat.hook h"
						" JOIN pg_catalog.pg_proc p ON p.oid OPERATOR(pg_catalog.=) h.function"
						" ORDER BY h.event, h.position"))
		return;
	for (i = 0; i < SPI_processed; i++)
	{
		char	   *event = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1);
		int			e = chat_event_number(event);
		ChatHookList *list;
		MemoryContext old;

		if (e < 0)
			continue;
		list = &registry.hooks[e];
		old = MemoryContextSwitchTo(registry_cxt);
		list->functions = list->count == 0
			? palloc(sizeof(Oid))
			: repalloc(list->functions, (list->count + 1) * sizeof(Oid));
		MemoryContextSwitchTo(old);
		list->functions[list->count++] = result_oid(i, 2);
	}
}

/*
 * chat.model (chat 0.2 on): each swapped model's table and renderer.  A
 * catalog older than a model knows no row of it (its CHECK refuses the name),
 * and a row naming a model this library does not know is skipped.
 */
static void
load_models(void)
{
	uint64		i;

	if (!registry_query("model", 1,
						"SELECT model, tbl::pg_catalog.oid, renderer::pg_catalog.oid FROM chat.model"))
		return;
	registry.has_models = true;
	for (i = 0; i < SPI_processed; i++)
	{
		char	   *model = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1);
		int			m = model_number(model);

		if (m < 0)
			continue;
		registry.models[m].table = result_oid(i, 2);
		registry.models[m].renderer = result_oid(i, 3);
	}
}

/* chat.user_binding: the display-name function, if one is bound. */
static void
load_display_name(void)
{
	if (registry_query("user_binding", 2,
					   "SELECT display_name::pg_catalog.oid FROM chat.user_binding") &&
		SPI_processed > 0)
		registry.display_name = result_oid(0, 1);
}

/* Read the three registries into a fresh cache. */
static void
registry_load(void)
{
	if (registry_cxt == NULL)
		registry_cxt = AllocSetContextCreate(CacheMemoryContext,
											 "chat registry",
											 ALLOCSET_SMALL_SIZES);
	else
		MemoryContextReset(registry_cxt);
	memset(&registry, 0, sizeof(registry));

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "chat: SPI_connect failed");
	load_hooks();
	load_models();
	load_display_name();
	SPI_finish();
}

/* The current registry, loaded when the cache is empty. */
const ChatRegistry *
chat_registry(void)
{
	if (!registry_valid)
		chat_cache_fill(&registry_valid, registry_load);
	return &registry;
}

/*
 * Statement trigger on a registry table: tell every backend to drop its
 * cached copy (at once in this one, at commit in the others).
 */
PG_FUNCTION_INFO_V1(chat_registry_changed);
Datum
chat_registry_changed(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo))
		elog(ERROR, "chat_registry_changed: not called as a trigger");
	chat_table_changed(trigdata->tg_relation);
	return PointerGetDatum(NULL);
}
