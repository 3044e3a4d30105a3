/*
 * direct.c
 *	  What chat's direct writes share (the event row, events.c; a reply's
 *	  message row, send.c; the thread row a message counts on, unread.c;
 *	  the member rows it moves, fanout.c): when a table may be written
 *	  without the executor, the lock of a row's newest version, and index
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
#include "access/sysattr.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/index.h"
#include "catalog/pg_class.h"
#include "commands/extension.h"
#include "executor/executor.h"
#include "miscadmin.h"
#include "nodes/execnodes.h"
#include "optimizer/optimizer.h"
#include "utils/acl.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/rls.h"
#include "utils/snapmgr.h"

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
 * Is chat's table relname one its caller may write directly (is_plain)?
 * Asked once by each caller, which keeps the answer until an invalidation;
 * *relid gets the table's OID, or InvalidOid when there is none.
 */
bool
chat_table_check(const char *relname, bool (*is_plain) (Relation rel), Oid *relid)
{
	bool		plain = false;

	*relid = chat_relid(relname);
	if (OidIsValid(*relid))
	{
		Relation	rel = table_open(*relid, AccessShareLock);

		plain = is_plain(rel);
		table_close(rel, AccessShareLock);
	}
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
 * Begin a direct update of chat's table relid, as an UPDATE statement begins
 * (SPI takes a new snapshot for each statement that writes): the snapshot,
 * pushed; the table, locked and opened; its command id, returned.
 * chat_update_end ends it.
 */
CommandId
chat_update_begin(Oid relid, Relation *rel)
{
	CommandCounterIncrement();
	PushCopiedSnapshot(GetTransactionSnapshot());
	UpdateActiveSnapshotCommandId();
	*rel = table_open(relid, RowExclusiveLock);
	CheckCmdReplicaIdentity(*rel, CMD_UPDATE);
	return GetCurrentCommandId(true);
}

void
chat_update_end(Relation rel)
{
	table_close(rel, NoLock);	/* locked to the end of the transaction, as the executor leaves it */
	PopActiveSnapshot();
}

/* Has the table a trigger an UPDATE would fire?  A direct update has none to fire. */
bool
chat_table_has_update_triggers(Relation rel)
{
	TriggerDesc *trig = rel->trigdesc;

	return trig != NULL && (trig->trig_update_before_row || trig->trig_update_after_row ||
							trig->trig_update_instead_row || trig->trig_update_before_statement ||
							trig->trig_update_after_statement || trig->trig_update_old_table ||
							trig->trig_update_new_table);
}

/*
 * Lock the newest version of the row at tid for an update that changes no
 * key, as an UPDATE's recheck would: READ COMMITTED follows a concurrent
 * update to the newest version (left in slot), REPEATABLE READ fails with
 * 40001.  TM_Deleted when the row is gone, for the caller to decide.
 */
TM_Result
chat_lock_newest(Relation rel, ItemPointer tid, TupleTableSlot *slot, CommandId cid)
{
	TM_FailureData tmfd;
	TM_Result	result;

	result = table_tuple_lock(rel, tid, GetActiveSnapshot(), slot, cid, LockTupleNoKeyExclusive,
							  LockWaitBlock,
							  IsolationUsesXactSnapshot() ? 0 : TUPLE_LOCK_FLAG_FIND_LAST_VERSION, &tmfd);
	switch (result)
	{
		case TM_Ok:
			break;
		case TM_Updated:
			ereport(ERROR,
					(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
					 errmsg("could not serialize access due to concurrent update")));
			break;
		case TM_Deleted:
			if (IsolationUsesXactSnapshot())
				ereport(ERROR,
						(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
						 errmsg("could not serialize access due to concurrent delete")));
			break;
		default:
			elog(ERROR, "chat: cannot lock a row of chat.%s (%d)", RelationGetRelationName(rel), (int) result);
	}
	return result;
}

/*
 * What the executor builds for each index of a table at every statement
 * (ExecOpenIndices: BuildIndexInfo, a partial index's predicate prepared, an
 * index expression's, and an access method's own state, GIN's) is built here
 * once per table and kept, in a memory context of the table's own, until any
 * relcache invalidation makes it stale (chat_direct_invalidate).  A stale
 * table is built again at its next use, once its indexes are locked: an
 * invalidation can arrive while they are being locked, never while they are
 * held.  Each use still opens and locks the indexes, as the executor does.
 * Uses do not nest: chat's direct writes run one after another.
 */
typedef struct IndexedTable
{
	Oid			relid;
	uint64		generation;		/* of the invalidations it was built after */
	MemoryContext context;
	int			count;
	Oid		   *indexes;
	IndexInfo **infos;
	Bitmapset **columns;		/* of each index's keys and expressions */
} IndexedTable;

#define INDEXED_TABLES 8
static IndexedTable indexed_tables[INDEXED_TABLES];	/* zeroed: no context yet */
static int	indexed_count = 0;
static uint64 index_generation = 1;

void
chat_direct_invalidate(Oid relid)
{
	index_generation++;
}

/* Build t's index information from its indexes, open in open[]. */
static void
indexed_table_build(IndexedTable *t, List *indexes, Relation *open)
{
	MemoryContext old;
	ListCell   *lc;
	int			i = 0;

	t->generation = 0;			/* until built */
	if (t->context == NULL)
		t->context = AllocSetContextCreate(CacheMemoryContext, "chat direct write indexes",
										   ALLOCSET_SMALL_SIZES);
	else
		MemoryContextReset(t->context);
	old = MemoryContextSwitchTo(t->context);
	t->count = list_length(indexes);
	t->indexes = palloc(t->count * sizeof(Oid));
	t->infos = palloc(t->count * sizeof(IndexInfo *));
	t->columns = palloc(t->count * sizeof(Bitmapset *));
	foreach(lc, indexes)
	{
		IndexInfo  *info = BuildIndexInfo(open[i]);	/* ii_Context: t->context */
		List	   *states = NIL;
		ListCell   *e;
		Bitmapset  *columns = NULL;

		/* the columns of its keys and expressions, as index_unchanged_by_update reads them */
		pull_varattnos((Node *) info->ii_Expressions, 1, &columns);
		for (int k = 0; k < info->ii_NumIndexAttrs; k++)
			if (info->ii_IndexAttrNumbers[k] > 0)
				columns = bms_add_member(columns, info->ii_IndexAttrNumbers[k] - FirstLowInvalidHeapAttributeNumber);
		t->columns[i] = columns;

		if (info->ii_Predicate != NIL)
			info->ii_PredicateState = ExecInitQual((List *) expression_planner((Expr *) info->ii_Predicate),
												   NULL);
		foreach(e, info->ii_Expressions)
			states = lappend(states, ExecInitExpr(expression_planner((Expr *) lfirst(e)), NULL));
		info->ii_ExpressionsState = states;
		t->indexes[i] = lfirst_oid(lc);
		t->infos[i] = info;
		i++;
	}
	MemoryContextSwitchTo(old);
	t->generation = index_generation;
}

/*
 * Index entries as the executor makes them: a partial index's where the row
 * matches its predicate, unique ones checked at once.  Open once for the
 * rows of one statement, on a table its caller has locked.
 */
void
chat_indexer_open(ChatIndexer *ix, Relation rel)
{
	Oid			relid = RelationGetRelid(rel);
	IndexedTable *t = NULL;
	List	   *indexes = RelationGetIndexList(rel);
	ListCell   *lc;
	bool		same;
	int			i = 0;

	for (int k = 0; k < indexed_count && t == NULL; k++)
		if (indexed_tables[k].relid == relid)
			t = &indexed_tables[k];
	if (t == NULL)
	{
		/* a new table, or a table of chat made again (DROP and CREATE EXTENSION): a free slot, else the oldest */
		static int	oldest = 0;

		if (indexed_count < INDEXED_TABLES)
			t = &indexed_tables[indexed_count++];
		else
			t = &indexed_tables[oldest++ % INDEXED_TABLES];
		t->relid = relid;
		t->generation = 0;
	}

	/* lock and open the indexes; then the information is checked, then kept or built */
	ix->table = t;
	ix->estate = CreateExecutorState();
	ix->open = MemoryContextAlloc(ix->estate->es_query_cxt, Max(list_length(indexes), 1) * sizeof(Relation));
	foreach(lc, indexes)
		ix->open[i++] = index_open(lfirst_oid(lc), RowExclusiveLock);
	same = t->generation == index_generation && t->count == list_length(indexes);
	i = 0;
	foreach(lc, indexes)
		same = same && t->indexes[i++] == lfirst_oid(lc);
	if (!same)
		indexed_table_build(t, indexes, ix->open);
	list_free(indexes);

	ix->info = makeNode(ResultRelInfo);
	InitResultRelInfo(ix->info, rel, 0, NULL, 0);	/* no range table: no statement */
	ix->info->ri_NumIndices = t->count;
	ix->info->ri_IndexRelationDescs = ix->open;
	ix->info->ri_IndexRelationInfo = t->infos;
}

/*
 * An update's new versions will set the columns cols[n] (attribute numbers):
 * tell each index whether they leave its entries unchanged, the hint the
 * executor computes from the statement's columns (a btree then tries to
 * delete old versions of the same entries before splitting a page).  Without
 * it every index is taken as unchanged, which fits a table whose updated
 * columns are in no index (chat.thread's).
 */
void
chat_indexer_updates(ChatIndexer *ix, const int *cols, int n)
{
	for (int i = 0; i < ix->table->count; i++)
	{
		IndexInfo  *info = ix->table->infos[i];
		bool		unchanged = true;

		for (int c = 0; c < n && unchanged; c++)
			unchanged = !bms_is_member(cols[c] - FirstLowInvalidHeapAttributeNumber, ix->table->columns[i]);
		info->ii_CheckedUnchanged = true;
		info->ii_IndexUnchanged = unchanged;
	}
}

/* The entries of the row in slot, just written (update: a new version that was not HOT). */
void
chat_indexer_insert(ChatIndexer *ix, TupleTableSlot *slot, bool update)
{
	List	   *recheck;

	recheck = ExecInsertIndexTuples(ix->info, slot, ix->estate, update, false, NULL, NIL);
	if (recheck != NIL)
		elog(ERROR, "chat: chat.%s has a deferred unique index",
			 RelationGetRelationName(ix->info->ri_RelationDesc));
	ResetPerTupleExprContext(ix->estate);
}

/* Close the indexes, releasing their locks as the executor does. */
void
chat_indexer_close(ChatIndexer *ix)
{
	for (int i = 0; i < ix->table->count; i++)
		index_close(ix->open[i], RowExclusiveLock);
	FreeExecutorState(ix->estate);
}

/* The index entries of one row (chat_indexer_insert). */
void
chat_index_row(Relation rel, TupleTableSlot *slot, bool update)
{
	ChatIndexer ix;

	chat_indexer_open(&ix, rel);
	chat_indexer_insert(&ix, slot, update);
	chat_indexer_close(&ix);
}
