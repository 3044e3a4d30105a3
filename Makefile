# chat: PGXS build. The version lives only in chat.control.
EXTENSION   = chat
EXTVERSION  = $(shell sed -n "s/^default_version[[:space:]]*=[[:space:]]*'\([^']*\)'.*/\1/p" chat.control)

MODULE_big  = chat
OBJS        = $(patsubst %.c,%.o,$(sort $(wildcard src/*.c)))

# Released scripts live in sql/ and are never edited.  While a release is in
# progress (a folder sql/<default_version>/ exists), its update script from
# UPDATE_FROM is assembled from that folder, one file per area, in name order;
# at release it is committed as a plain file and the folder removed.
# PostgreSQL installs a new database from chat--0.1.sql plus the update scripts.
UPDATE_FROM   = 0.5
UPDATE_PARTS  = $(sort $(wildcard sql/$(EXTVERSION)/*.sql))
ifneq ($(UPDATE_PARTS),)
UPDATE_SCRIPT = sql/chat--$(UPDATE_FROM)--$(EXTVERSION).sql
EXTRA_CLEAN   = $(UPDATE_SCRIPT)

all: $(UPDATE_SCRIPT)

$(UPDATE_SCRIPT): $(UPDATE_PARTS)
	cat $^ > $@
endif
DATA          = $(sort $(wildcard sql/chat--*.sql) $(UPDATE_SCRIPT))

# pg_regress: test/sql/*.sql against test/expected/*.out
REGRESS      = $(patsubst test/sql/%.sql,%,$(sort $(wildcard test/sql/*.sql)))
REGRESS_OPTS = --inputdir=test --outputdir=test/results
# isolation: test/specs/*.spec against test/expected/*.out
ISOLATION      = $(patsubst test/specs/%.spec,%,$(sort $(wildcard test/specs/*.spec)))
ISOLATION_OPTS = --inputdir=test --outputdir=test/results/isolation

PG_CONFIG ?= pg_config
PG_CPPFLAGS = -I$(srcdir)/src
SHLIB_LINK =

EXTRA_CLEAN += test/results

PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)
