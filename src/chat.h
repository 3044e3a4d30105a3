/*
 * chat.h
 *	  Declarations shared by the chat extension's C files.
 */
#ifndef CHAT_H
#define CHAT_H

#include "access/tableam.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "nodes/execnodes.h"
#include "utils/array.h"
#include "utils/jsonb.h"
#include "utils/relcache.h"

/*
 * The machine-readable reason of a refusal, in the error's CONSTRAINT field
 * (README, "Errors"): applications read it instead of parsing messages.
 */
#define errreason(reason)	err_generic_string(PG_DIAG_CONSTRAINT_NAME, (reason))
/* The argument an argument error is about, in the error's COLUMN field. */
#define errargument(name)	err_generic_string(PG_DIAG_COLUMN_NAME, (name))

/*
 * cache.c: what the per-backend caches share.  chat_cache_init, called by
 * _PG_init, registers chat's one relcache callback, which calls each
 * chat_*_invalidate(relid) below (relid InvalidOid: every relation), and a
 * pg_proc syscache callback for the registry.
 */
extern void chat_cache_init(void);
/* chat's relation relname, or InvalidOid */
extern Oid	chat_relid(const char *relname);
extern void chat_table_changed(Relation rel);
/* a generic plan kept for the life of the backend */
extern SPIPlanPtr chat_keep_plan(const char *sql, int nargs, Oid *argtypes);
/* run load() to fill a cache whose invalidation clears *valid */
extern void chat_cache_fill(bool *valid, void (*load) (void));

/* direct.c: what the direct writes of events.c, send.c and unread.c share */
extern bool chat_table_is_plain(Relation rel);
extern bool chat_table_check(const char *relname, bool (*is_plain) (Relation rel), Oid *relid);
extern bool chat_may_write_directly(Oid relid, AclMode mode);
extern bool chat_table_has_update_triggers(Relation rel);
extern CommandId chat_update_begin(Oid relid, Relation *rel);
extern void chat_update_end(Relation rel);
extern TM_Result chat_lock_newest(Relation rel, ItemPointer tid, TupleTableSlot *slot, CommandId cid);
extern void chat_direct_invalidate(Oid relid);
typedef struct ChatIndexer
{
	struct IndexedTable *table;
	Relation   *open;
	EState	   *estate;
	ResultRelInfo *info;
} ChatIndexer;
extern void chat_indexer_open(ChatIndexer *ix, Relation rel);
extern void chat_indexer_updates(ChatIndexer *ix, const int *cols, int n);
extern void chat_indexer_insert(ChatIndexer *ix, TupleTableSlot *slot, bool update);
extern void chat_indexer_close(ChatIndexer *ix);
extern void chat_index_row(Relation rel, TupleTableSlot *slot, bool update);

/*
 * fanout.c: the member rows a message moves (unread.c), written directly;
 * false when they cannot be (the caller runs its statement).
 */
typedef struct ChatMemberMove
{
	int64		thread_id;
	int64		message_id;
	int64		message_count;
	Datum		sender;			/* chat.user_id */
	bool		sender_null;
	bool		sender_only;	/* a large thread: the sender's row alone */
} ChatMemberMove;
extern void chat_fanout_invalidate(Oid relid);
extern bool chat_fanout_direct(const ChatMemberMove *move, bool *is_member, bool *may_post);

/* settings.c: chat.setting over chat.setting_default */
extern void chat_settings_invalidate(Oid relid);
extern int64 chat_setting_int64(const char *key);
extern Jsonb *chat_setting_optional(const char *key);
extern bool chat_setting_bool(const char *key, bool missing);

/* commit.c: early lock release, or the async_* opt-ins, for a writing call */
extern void chat_relax_commit(const char *key);

/* identity.c: the session's chat user and trust level */
extern void chat_identity_invalidate(Oid relid);
extern bool chat_role_is_server(Oid role);
extern char *chat_current_user_text(void);
extern void chat_check_actor(FunctionCallInfo fcinfo, int argno);
extern void chat_require_server(const char *what);
extern void chat_require_internal(const char *function);

/* unread.c: the trigger that counts messages */
extern void chat_unread_invalidate(Oid relid);
extern HeapTuple chat_message_row(Relation rel, HeapTuple tuple);

/* send.c */
extern void chat_send_invalidate(Oid relid);
extern bool chat_text_is_blank(text *value);
extern void chat_check_content(text *content);

/* mention.c: "@{id}" in message text, explicit lists, the event's list */
extern ArrayType *chat_parse_mentions(text *content, Oid elem_type);
extern bool chat_check_mentions(ArrayType *mentions);
extern void chat_push_mentions(JsonbParseState **state, ArrayType *mentions);

/* search.c */
extern Datum chat_search_vector(Datum content, bool content_null, bool *isnull);

/* registry.c: hooks, swapped models, the user binding */
typedef enum ChatEvent
{
	CHAT_EVENT_MESSAGE_SENT,
	CHAT_EVENT_MESSAGE_EDITED,
	CHAT_EVENT_MESSAGE_DELETED,
	CHAT_EVENT_THREAD_CREATED,
	CHAT_EVENT_MEMBER_ADDED,
	CHAT_EVENT_MEMBER_REMOVED,
	CHAT_EVENT_REACTION_ADDED,
	CHAT_EVENT_REACTION_REMOVED,
	CHAT_EVENT_THREAD_READ,
	CHAT_EVENT_TYPING,
	CHAT_EVENT_MEMBER_UPDATED,	/* from chat 0.9 on */
	CHAT_EVENT_THREAD_RENAMED,
	CHAT_EVENT_THREAD_DROPPED,
	CHAT_EVENT_THREAD_DELIVERED,
	CHAT_EVENT_THREAD_UNREAD,
	CHAT_EVENT_THREAD_MUTED,
	CHAT_EVENT_THREAD_UNMUTED,
	CHAT_EVENT_THREAD_ARCHIVED,
	CHAT_EVENT_THREAD_UNARCHIVED,
	CHAT_EVENT_THREAD_DELETED,
	CHAT_EVENT_THREAD_RESTORED,
	CHAT_EVENT_NOTIFY_LEVEL_SET,	/* from chat 0.9 on, with mentions */
	CHAT_EVENT_THREAD_UPDATED,	/* from chat 0.9 on: set_profile */
	CHAT_EVENT_MESSAGES_PURGED,	/* retention (chat.purge) */
	CHAT_EVENT_MESSAGES_IMPORTED,	/* history imports */
	CHAT_EVENT_COUNT
} ChatEvent;

typedef enum ChatModel
{
	CHAT_MODEL_MESSAGE,
	CHAT_MODEL_THREAD,
	CHAT_MODEL_MEMBER,
	CHAT_MODEL_REACTION,
	CHAT_MODEL_ATTACHMENT,
	CHAT_MODEL_NOTIFICATION,	/* chat 0.9 on; no event renders with it */
	CHAT_MODEL_COUNT
} ChatModel;

typedef struct ChatHookList
{
	int			count;
	Oid		   *functions;		/* in position order */
} ChatHookList;

typedef struct ChatModelEntry
{
	Oid			table;			/* the application's table, or InvalidOid */
	Oid			renderer;		/* fn(jsonb) returns jsonb, or InvalidOid */
} ChatModelEntry;

typedef struct ChatRegistry
{
	ChatHookList hooks[CHAT_EVENT_COUNT];
	ChatModelEntry models[CHAT_MODEL_COUNT];
	bool		has_models;		/* chat.model exists (chat 0.2 on) */
	Oid			display_name;	/* fn(chat.user_id) returns text, or InvalidOid */
} ChatRegistry;

extern void chat_registry_invalidate(Oid relid);
extern const ChatRegistry *chat_registry(void);
extern int	chat_event_number(const char *name);
extern const char *chat_event_name(ChatEvent event);

/* relay.c: NOTIFY here, or from the Citus coordinator on a worker */
extern void chat_relay_invalidate(Oid relid);
extern void chat_notify(const char *channel, const char *payload);

/* events.c: hooks and NOTIFY */
extern void chat_events_invalidate(Oid relid);
extern bool chat_event_wanted(ChatEvent event);
extern void chat_user_id_jsonb(Datum user_id, Oid user_type, JsonbValue *value);
extern void chat_emit(ChatEvent event, int64 thread_id, int64 message_id,
					  Datum user_id, bool user_null, Oid user_type,
					  Jsonb *fields, bool private, const char *recipients);

#endif							/* CHAT_H */
