/*
 * search.c
 *	  Full-text search: the text search configuration of the setting
 *	  search_config, and the trigger that keeps chat.message.search_vector.
 *
 * The vector is computed when a message is written and when its content is
 * edited, with the configuration the setting names at that moment; searching
 * is then an index scan (chat.search, sql/src/api/search.sql).  A
 * configuration dropped after it was set never makes a write fail: chat
 * falls back to pg_catalog.simple.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "fmgr.h"
#include "tsearch/ts_type.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/regproc.h"
#include "utils/syscache.h"

#include "chat.h"

/*
 * The configuration the setting search_config names (as chat.set_setting
 * stores it: a name alone for pg_catalog's, else schema-qualified), or
 * pg_catalog.simple when the setting is missing (a catalog older than it) or
 * names a configuration that no longer exists.
 */
static Oid
search_config(void)
{
	/* the last name resolved and its configuration: a write resolves it once */
	static char *cached_name = NULL;
	static Oid	cached_cfg = InvalidOid;
	Jsonb	   *value = chat_setting_optional("search_config");
	JsonbValue	scalar;
	char	   *name = NULL;
	Oid			cfg = InvalidOid;

	if (value != NULL && JsonbExtractScalar(&value->root, &scalar) &&
		scalar.type == jbvString && scalar.val.string.len > 0)
		name = pnstrdup(scalar.val.string.val, scalar.val.string.len);
	if (name != NULL && cached_name != NULL && strcmp(name, cached_name) == 0 &&
		SearchSysCacheExists1(TSCONFIGOID, ObjectIdGetDatum(cached_cfg)))
		return cached_cfg;
	if (name != NULL)
	{
		List	   *names = stringToQualifiedNameList(name);

		/* a name alone is pg_catalog's, whatever the search_path */
		if (list_length(names) == 1)
			names = lcons(makeString("pg_catalog"), names);
		cfg = get_ts_config_oid(names, true);
	}
	if (!OidIsValid(cfg))
		return get_ts_config_oid(list_make2(makeString("pg_catalog"), makeString("simple")), false);
	if (cached_name != NULL)
		pfree(cached_name);
	cached_name = MemoryContextStrdup(TopMemoryContext, name);
	cached_cfg = cfg;
	return cfg;
}

/*
 * chat._search_config() returns regconfig: the configuration messages are
 * indexed with and queries are parsed with.
 */
PG_FUNCTION_INFO_V1(chat_search_config);
Datum
chat_search_config(PG_FUNCTION_ARGS)
{
	PG_RETURN_OID(search_config());
}

/*
 * The search vector of a message's content: to_tsvector(search_config,
 * content), NULL (*isnull) when the content has none or no word to find.
 */
Datum
chat_search_vector(Datum content, bool content_null, bool *isnull)
{
	Datum		vector;

	*isnull = true;
	if (content_null)
		return (Datum) 0;
	vector = DirectFunctionCall2(to_tsvector_byid, ObjectIdGetDatum(search_config()), content);
	*isnull = DatumGetTSVector(vector)->size == 0;
	return *isnull ? (Datum) 0 : vector;
}

/*
 * BEFORE UPDATE OF content trigger on chat.message (its WHEN clause picks
 * the edits of text messages): search_vector := chat_search_vector(content).
 * A new message gets its vector from the message trigger (src/unread.c),
 * which saves a trigger call on every message sent.
 */
PG_FUNCTION_INFO_V1(chat_message_search);
Datum
chat_message_search(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	HeapTuple	tuple;
	TupleDesc	desc;
	int			content_att;
	int			vector_att;
	bool		isnull;
	Datum		content;
	Datum		vector = (Datum) 0;
	bool		vector_null = true;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_BEFORE(trigdata->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(trigdata->tg_event))
		elog(ERROR, "chat_message_search: not called as a BEFORE ROW trigger");

	tuple = TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event) ? trigdata->tg_newtuple : trigdata->tg_trigtuple;
	desc = RelationGetDescr(trigdata->tg_relation);
	content_att = SPI_fnumber(desc, "content");
	vector_att = SPI_fnumber(desc, "search_vector");
	if (content_att <= 0 || vector_att <= 0)
		elog(ERROR, "chat_message_search: chat.message has no content or search_vector column");

	content = heap_getattr(tuple, content_att, desc, &isnull);
	vector = chat_search_vector(content, isnull, &vector_null);
	return PointerGetDatum(heap_modify_tuple_by_cols(tuple, desc, 1, &vector_att, &vector, &vector_null));
}
