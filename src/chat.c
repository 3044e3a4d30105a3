/*
 * chat.c
 *	  Module entry point of the chat extension: the chat.* settings (GUCs).
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/guc.h"

#include "chat.h"

PG_MODULE_MAGIC;

/* base type of chat.user_id, read by the install script (validated there) */
static char *chat_user_id_type = NULL;

/* the session's chat user, read by chat.current_user_id() */
static char *chat_user_id = NULL;

void		_PG_init(void);

/*
 * Define the settings.  chat.user_id_type is a plain string so that a bad
 * value set before the library loads is refused by CREATE EXTENSION with a
 * clear error instead of being replaced by the default with a warning.
 */
void
_PG_init(void)
{
	DefineCustomStringVariable("chat.user_id_type",
							   "Base type of chat.user_id: bigint, integer, uuid or text.",
							   "Read once, by CREATE EXTENSION chat.",
							   &chat_user_id_type,
							   "bigint",
							   PGC_USERSET,
							   0,
							   NULL, NULL, NULL);

	DefineCustomStringVariable("chat.user_id",
							   "The chat user this session acts for.",
							   "Trust it only where a trusted layer (an application server, "
							   "PostgREST) sets it.",
							   &chat_user_id,
							   "",
							   PGC_USERSET,
							   0,
							   NULL, NULL, NULL);

	MarkGUCPrefixReserved("chat");

	chat_cache_init();
}
