/*
 * mention.c
 *	  @mentions: the syntax "@{id}" found in message text, the checks of an
 *	  explicit list, and the list as JSON for the message_sent event.
 *
 * A mention is "@{" then a user id in chat.user_id's text form then "}":
 * "@{42}", "@{7f1c...}", "@{alice}".  Braces make it one syntax for every id
 * type, with no look-up: no display-name function is called and no name can
 * be ambiguous.  A token that cannot be an id of the type (letters for
 * integer ids, a malformed uuid, more digits than the type holds) is plain
 * text, never an error.  Only members are mentioned: the insert trigger
 * (src/unread.c) keeps those and stores them in chat.message.mentions.
 *
 * Text without "@" costs one memchr.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/lsyscache.h"

#include "chat.h"

/* the longest token taken for an id: longer ones are text */
#define MENTION_MAX_TOKEN 255
/*
 * The most ids a message may mention: a longer list given is refused
 * (54000), and text mentions beyond it are text.  It bounds the trigger's
 * update, which probes the member key once per id.
 */
#define MENTION_MAX_IDS 1000

static bool
all_digits(const char *p, int len)
{
	int			i;

	if (len == 0)
		return false;
	for (i = 0; i < len; i++)
		if (p[i] < '0' || p[i] > '9')
			return false;
	return true;
}

static bool
is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/*
 * Can the token be read as an id of this base type without an error?  Only
 * forms that the type's input function always accepts pass.
 */
static bool
token_fits(Oid base, const char *p, int len)
{
	int			i;

	switch (base)
	{
		case INT2OID:
		case INT4OID:
		case INT8OID:
			{
				int			max = base == INT2OID ? 4 : base == INT4OID ? 9 : 18;

				if (len > 0 && p[0] == '-')
				{
					p++;
					len--;
				}
				return len <= max && all_digits(p, len);
			}
		case UUIDOID:
			if (len != 36)
				return false;
			for (i = 0; i < 36; i++)
			{
				if (i == 8 || i == 13 || i == 18 || i == 23)
				{
					if (p[i] != '-')
						return false;
				}
				else if (!is_hex(p[i]))
					return false;
			}
			return true;
		case TEXTOID:
		case VARCHAROID:
			for (i = 0; i < len; i++)
				if (p[i] == '\0' || p[i] == '\n' || p[i] == '{')
					return false;
			return len > 0;
		default:
			return false;		/* chat.user_id is one of the above */
	}
}

/*
 * The ids mentioned in the text as an array of elem_type (chat.user_id), in
 * order of appearance, repeats kept (the trigger drops them); NULL when the
 * text mentions no one.
 */
ArrayType *
chat_parse_mentions(text *content, Oid elem_type)
{
	const char *start = VARDATA_ANY(content);
	const char *end = start + VARSIZE_ANY_EXHDR(content);
	const char *p = start;
	Oid			base;
	Oid			typinput;
	Oid			typioparam;
	int16		typlen;
	bool		typbyval;
	char		typalign;
	Datum	   *ids = NULL;
	int			n = 0;
	int			size = 0;

	if (memchr(start, '@', end - start) == NULL)
		return NULL;
	base = getBaseType(elem_type);
	while (n < MENTION_MAX_IDS && p < end && (p = memchr(p, '@', end - p)) != NULL)
	{
		const char *tok;
		const char *close;

		if (p + 1 >= end || p[1] != '{')
		{
			p++;
			continue;
		}
		tok = p + 2;
		close = memchr(tok, '}', Min(end - tok, MENTION_MAX_TOKEN + 1));
		if (close == NULL || !token_fits(base, tok, close - tok))
		{
			p += 2;
			continue;
		}
		if (ids == NULL)
		{
			getTypeInputInfo(elem_type, &typinput, &typioparam);
			size = 4;
			ids = palloc(size * sizeof(Datum));
		}
		else if (n == size)
		{
			size *= 2;
			ids = repalloc(ids, size * sizeof(Datum));
		}
		ids[n++] = OidInputFunctionCall(typinput, pnstrdup(tok, close - tok), typioparam, -1);
		p = close + 1;
	}
	if (n == 0)
		return NULL;
	get_typlenbyvalalign(elem_type, &typlen, &typbyval, &typalign);
	return construct_array(ids, n, elem_type, typlen, typbyval, typalign);
}

/*
 * Check an explicit list of mentions: one-dimensional (22023), no NULL
 * (22004), at most MENTION_MAX_IDS ids (54000).  Returns whether it names
 * anyone.
 */
bool
chat_check_mentions(ArrayType *mentions)
{
	int			n;

	if (ARR_NDIM(mentions) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("mentions must be a one-dimensional array"),
				 errargument("mentions")));
	if (array_contains_nulls(mentions))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("mentions must not contain null"),
				 errargument("mentions")));
	n = ArrayGetNItems(ARR_NDIM(mentions), ARR_DIMS(mentions));
	if (n > MENTION_MAX_IDS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many mentions"),
				 errdetail("The list has %d user ids; the limit is %d.", n, MENTION_MAX_IDS),
				 errargument("mentions")));
	return n > 0;
}

/*
 * Push "mentions": [...] into the object being built for a stored list
 * (numbers for integer ids, strings otherwise, as "user_id"); nothing for an
 * empty list.
 */
void
chat_push_mentions(JsonbParseState **state, ArrayType *mentions)
{
	Oid			elem_type = ARR_ELEMTYPE(mentions);
	int16		typlen;
	bool		typbyval;
	char		typalign;
	Datum	   *ids;
	bool	   *nulls;
	JsonbValue	v;
	int			n;
	int			i;

	get_typlenbyvalalign(elem_type, &typlen, &typbyval, &typalign);
	deconstruct_array(mentions, elem_type, typlen, typbyval, typalign, &ids, &nulls, &n);
	if (n == 0)
		return;
	v.type = jbvString;
	v.val.string.val = "mentions";
	v.val.string.len = strlen("mentions");
	(void) pushJsonbValue(state, WJB_KEY, &v);
	(void) pushJsonbValue(state, WJB_BEGIN_ARRAY, NULL);
	for (i = 0; i < n; i++)
	{
		if (nulls[i])
			continue;
		chat_user_id_jsonb(ids[i], elem_type, &v);
		(void) pushJsonbValue(state, WJB_ELEM, &v);
	}
	(void) pushJsonbValue(state, WJB_END_ARRAY, NULL);
}

/*
 * chat._parse_mentions(content text) returns chat.user_id[]: the mentions
 * of a text, for new_message (NULL when none).
 */
PG_FUNCTION_INFO_V1(chat_parse_mentions_sql);
Datum
chat_parse_mentions_sql(PG_FUNCTION_ARGS)
{
	Oid			array_type = get_fn_expr_rettype(fcinfo->flinfo);
	Oid			elem_type;
	ArrayType  *result;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	if (!OidIsValid(array_type) || !OidIsValid(elem_type = get_element_type(getBaseType(array_type))))
		elog(ERROR, "chat: cannot tell the element type of chat._parse_mentions");
	result = chat_parse_mentions(PG_GETARG_TEXT_PP(0), elem_type);
	if (result == NULL)
		PG_RETURN_NULL();
	PG_RETURN_ARRAYTYPE_P(result);
}
