/*
 * fanout.c
 *	  The member rows a message moves (unread.c, move_member_state), written
 *	  without the executor where chat.member is chat's plain table.
 *
 * A reply in a two-person thread moves both member rows.  Made by its UPDATE
 * through SPI, the statement's set-up (cached plan, executor start, scan,
 * projections, ModifyTable) cost more than the two row versions and their
 * index entries (bench/instructions.sh).  The direct write does what the
 * statement does: a new snapshot, the thread's rows found by member_pkey,
 * each row's newest version locked as the UPDATE's recheck would (a row
 * deleted meanwhile is skipped, REPEATABLE READ fails with 40001), the new
 * version written, HOT when it can be, with index entries otherwise.  It is
 * taken only where chat.member is the table chat makes (direct.c), with no
 * trigger an UPDATE fires (a bound users table adds foreign-key triggers:
 * then the statement runs), the columns of chat 0.9, and a role the
 * statement would let through.
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/nbtree.h"
#include "access/tableam.h"
#include "catalog/pg_am.h"
#include "catalog/pg_type.h"
#include "executor/executor.h"
#include "utils/array.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

#include "chat.h"

/*
 * The columns a message sets on member rows, in this order: the first two on
 * every row, all of them on the sender's (unread.c's fanout_sql and
 * sender_sql).
 */
#define SET_ON_EVERY_ROW 2
#define SET_ON_SENDERS 7
static const char *const set_names[SET_ON_SENDERS] = {
	"activity_id", "message_count", "hidden_id", "read_id", "read_count", "delivered_id", "mention_count"
};

/*
 * chat.member as the direct write uses it, looked up once and again after
 * any relcache invalidation.
 */
typedef struct MemberTable
{
	bool		direct;
	Oid			relid;
	Oid			pkey;			/* (thread_id, user_id), btree */
	RegProcedure user_eq;		/* the key's equality of user ids */
	Oid			user_collation;
	FmgrInfo	user_eq_info;
	int			att_user_id;
	int			att_permissions;
	int			set_cols[SET_ON_SENDERS];	/* set_names' column numbers */
} MemberTable;

static MemberTable member_table;
static bool member_table_known = false;

void
chat_fanout_invalidate(Oid relid)
{
	member_table_known = false;
}

/* Is rel the member table chat makes?  Fills member_table's columns and key. */
static bool
member_table_is_plain(Relation rel)
{
	TupleDesc	desc = RelationGetDescr(rel);
	MemberTable *m = &member_table;
	Relation	index;
	bool		plain;

	if (chat_table_has_update_triggers(rel) || !chat_table_is_plain(rel))
		return false;
	m->pkey = chat_relid("member_pkey");
	m->att_user_id = SPI_fnumber(desc, "user_id");
	m->att_permissions = SPI_fnumber(desc, "permissions");
	if (!OidIsValid(m->pkey) || m->att_user_id <= 0 || m->att_permissions <= 0 ||
		TupleDescAttr(desc, m->att_permissions - 1)->atttypid != TEXTARRAYOID)
		return false;
	for (int i = 0; i < SET_ON_SENDERS; i++)
		if ((m->set_cols[i] = SPI_fnumber(desc, set_names[i])) <= 0)
			return false;

	/* the rows are found by the key (thread_id, user_id) */
	index = index_open(m->pkey, AccessShareLock);
	plain = index->rd_index->indnatts == 2 && index->rd_rel->relam == BTREE_AM_OID &&
		index->rd_index->indkey.values[0] == SPI_fnumber(desc, "thread_id") &&
		index->rd_index->indkey.values[1] == m->att_user_id &&
		index->rd_opcintype[0] == INT8OID;
	if (plain)
	{
		Oid			eq = get_opfamily_member(index->rd_opfamily[1], index->rd_opcintype[1],
											 index->rd_opcintype[1], BTEqualStrategyNumber);

		m->user_eq = OidIsValid(eq) ? get_opcode(eq) : InvalidOid;
		m->user_collation = index->rd_indcollation[1];
		plain = OidIsValid(m->user_eq);
		if (plain)
			fmgr_info_cxt(m->user_eq, &m->user_eq_info, TopMemoryContext);
	}
	index_close(index, AccessShareLock);
	return plain;
}

/* May the member rows be updated without the executor by the current role? */
static bool
member_direct(void)
{
	if (!member_table_known)
	{
		member_table.direct = chat_table_check("member", member_table_is_plain, &member_table.relid);
		member_table_known = true;
	}
	/* the role's rights and row-level security, as the UPDATE ... RETURNING asks them */
	return member_table.direct && chat_may_write_directly(member_table.relid, ACL_UPDATE | ACL_SELECT);
}

/* 'post' = ANY (permissions) */
static bool
permits_posting(Datum permissions)
{
	ArrayType  *list = DatumGetArrayTypeP(permissions);
	Datum	   *items;
	bool	   *nulls;
	int			n;
	bool		found = false;

	deconstruct_array(list, TEXTOID, -1, false, TYPALIGN_INT, &items, &nulls, &n);
	for (int i = 0; i < n && !found; i++)
		found = !nulls[i] && VARSIZE_ANY_EXHDR(DatumGetPointer(items[i])) == 4 &&
			memcmp(VARDATA_ANY(DatumGetPointer(items[i])), "post", 4) == 0;
	return found;
}

/*
 * Move the member rows past the message, as unread.c's statements do: every
 * row of the thread (or the sender's alone) gets the thread's position; the
 * sender's has read it all.  Says whether the sender's row was found and
 * whether it may post.  False, with nothing done, where the rows cannot be
 * written directly.
 */
bool
chat_fanout_direct(const ChatMemberMove *move, bool *is_member, bool *may_post)
{
	MemberTable *m = &member_table;
	Relation	rel;
	Relation	pkey;
	TupleDesc	desc;
	ScanKeyData keys[2];
	int			nkeys = 1;
	IndexScanDesc scan;
	TupleTableSlot *slot;
	TupleTableSlot *newslot;
	ChatIndexer indexer;
	bool		indexer_open = false;
	ItemPointerData *tids;
	int			ntids = 0;
	int			maxtids = 8;
	CommandId	cid;
	Datum		values[SET_ON_SENDERS];
	bool		nulls[SET_ON_SENDERS] = {false, false, true, false, false, false, false};

	if (!member_direct())
		return false;

	cid = chat_update_begin(m->relid, &rel);
	desc = RelationGetDescr(rel);
	slot = table_slot_create(rel, NULL);
	newslot = MakeSingleTupleTableSlot(desc, &TTSOpsHeapTuple);

	/* the rows, found first, written after */
	tids = palloc(maxtids * sizeof(ItemPointerData));
	pkey = index_open(m->pkey, AccessShareLock);
	ScanKeyInit(&keys[0], 1, BTEqualStrategyNumber, F_INT8EQ, Int64GetDatum(move->thread_id));
	if (move->sender_only)
	{
		ScanKeyInit(&keys[1], 2, BTEqualStrategyNumber, m->user_eq, move->sender);
		keys[1].sk_collation = m->user_collation;
		nkeys = 2;
	}
	scan = index_beginscan(rel, pkey, GetActiveSnapshot(), nkeys, 0);
	index_rescan(scan, keys, nkeys, NULL, 0);
	while (index_getnext_slot(scan, ForwardScanDirection, slot))
	{
		if (ntids == maxtids)
		{
			maxtids *= 2;
			tids = repalloc(tids, maxtids * sizeof(ItemPointerData));
		}
		tids[ntids++] = slot->tts_tid;
	}
	index_endscan(scan);
	index_close(pkey, NoLock);

	/* the new values, in set_names' order: the same for every row */
	values[0] = values[3] = values[5] = Int64GetDatum(move->message_id);
	values[1] = values[4] = Int64GetDatum(move->message_count);
	values[2] = (Datum) 0;		/* hidden_id: NULL */
	values[6] = Int64GetDatum(0);

	*is_member = false;
	*may_post = true;
	for (int i = 0; i < ntids; i++)
	{
		TM_FailureData tmfd;
		LockTupleMode lockmode;
		TM_Result	result;
		HeapTuple	old;
		bool		shouldfree;
		bool		update_indexes;
		bool		is_sender;
		bool		isnull;
		Datum		user;

		if (chat_lock_newest(rel, &tids[i], slot, cid) == TM_Deleted)
			continue;			/* gone since: the UPDATE would skip it too */
		old = ExecFetchSlotHeapTuple(slot, true, &shouldfree);
		user = slot_getattr(slot, m->att_user_id, &isnull);
		is_sender = !move->sender_null && !isnull &&
			DatumGetBool(FunctionCall2Coll(&m->user_eq_info, m->user_collation, user, move->sender));

		if (is_sender)
		{
			*is_member = true;
			*may_post = permits_posting(slot_getattr(slot, m->att_permissions, &isnull));
		}
		ExecStoreHeapTuple(heap_modify_tuple_by_cols(old, desc, is_sender ? SET_ON_SENDERS : SET_ON_EVERY_ROW,
													 m->set_cols, values, nulls),
						   newslot, true);
		result = table_tuple_update(rel, &slot->tts_tid, newslot, cid, GetActiveSnapshot(), InvalidSnapshot,
									true, &tmfd, &lockmode, &update_indexes);
		if (result != TM_Ok)
			elog(ERROR, "chat: cannot update a member row of thread %lld (%d)",
				 (long long) move->thread_id, (int) result);
		if (update_indexes)
		{
			/* not HOT: every index gets the new version */
			if (!indexer_open)
			{
				chat_indexer_open(&indexer, rel);
				chat_indexer_updates(&indexer, m->set_cols, SET_ON_SENDERS);	/* the UPDATE's columns */
			}
			indexer_open = true;
			chat_indexer_insert(&indexer, newslot, true);
		}
		ExecClearTuple(newslot);
		if (shouldfree)
			heap_freetuple(old);
	}
	if (indexer_open)
		chat_indexer_close(&indexer);
	pfree(tids);
	ExecDropSingleTupleTableSlot(newslot);
	ExecDropSingleTupleTableSlot(slot);
	chat_update_end(rel);
	return true;
}
