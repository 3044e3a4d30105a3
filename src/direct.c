/*
 * direct.c
 *	  What chat's direct writes share (the event row, events.c; a reply's
 *	  message row, send.c; the thread row a message counts on, unread.c):
 *	  when a table may be written without the executor, and its index
 *	  entries.
 *
 * A direct write does what its statement would, without the statement's
 * set-up (plan, projections, ModifyTable).  It is taken only for the plain
 * table chat makes and a role the statement would let through; each caller
 * adds what is particular to its table (its columns, its triggers), and runs
 * its statement otherwise.
 */
#include "postgres.h"

#include "access/genam.h"
#include "catalog/pg_class.h"
#include "commands/extension.h"
#include "executor/executor.h"
#include "miscadmin.h"
#include "nodes/execnodes.h"
#include "utils/acl.h"
#include "utils/rel.h"
#include "utils/rls.h"

#include "chat.h"

/*
 * What a plain table of chat's has, whichever: no Citus in the database
 * (there chat's tables are distributed), an ordinary table, no CHECK
 * constraint or generated column, and no deferred unique index (its
 * entries are checked here at once).
 */
bool
chat_table_is_plain(Relation rel)
{
	TupleDesc	desc = RelationGetDescr(rel);
	List	   *indexes;
	ListCell   *lc;
	bool		plain = true;

	if (OidIsValid(get_extension_oid("citus", true)) || rel->rd_rel->relkind != RELKIND_RELATION ||
		(desc->constr != NULL && (desc->constr->num_check > 0 || desc->constr->has_generated_stored)))
		return false;
	indexes = RelationGetIndexList(rel);
	foreach(lc, indexes)
	{
		Relation	index = index_open(lfirst_oid(lc), AccessShareLock);

		if (!index->rd_index->indimmediate)
			plain = false;
		index_close(index, AccessShareLock);
	}
	list_free(indexes);
	return plain;
}

/*
 * May the current role write the table directly, as its statement would let
 * it: no row-level security applies to it, and it holds every right of mode
 * (the statement's, and SELECT where it had RETURNING).
 */
bool
chat_may_write_directly(Oid relid, AclMode mode)
{
	return check_enable_rls(relid, InvalidOid, true) != RLS_ENABLED &&
		pg_class_aclmask(relid, GetUserId(), mode, ACLMASK_ALL) == mode;
}

/*
 * The index entries of the row in slot, just written (update: a new version
 * that was not HOT), as the executor makes them: a partial index's where the
 * row matches its predicate, unique ones checked at once.
 */
void
chat_index_row(Relation rel, TupleTableSlot *slot, bool update)
{
	EState	   *estate = CreateExecutorState();
	ResultRelInfo *info = makeNode(ResultRelInfo);
	List	   *recheck;

	InitResultRelInfo(info, rel, 0, NULL, 0);	/* no range table: no statement */
	ExecOpenIndices(info, false);
	recheck = ExecInsertIndexTuples(info, slot, estate, update, false, NULL, NIL);
	if (recheck != NIL)
		elog(ERROR, "chat: chat.%s has a deferred unique index", RelationGetRelationName(rel));
	ExecCloseIndices(info);
	FreeExecutorState(estate);
}
