# chat: PGXS build. The version lives only in chat.control.
EXTENSION   = chat
EXTVERSION  = $(shell sed -n "s/^default_version[[:space:]]*=[[:space:]]*'\([^']*\)'.*/\1/p" chat.control)

MODULE_big  = chat
OBJS        = $(patsubst %.c,%.o,$(sort $(wildcard src/*.c)))
DATA        = $(sort $(wildcard sql/chat--*.sql))

# pg_regress: test/sql/*.sql against test/expected/*.out
REGRESS      = $(patsubst test/sql/%.sql,%,$(sort $(wildcard test/sql/*.sql)))
REGRESS_OPTS = --inputdir=test --outputdir=test/results
# isolation: test/specs/*.spec against test/expected/*.out
ISOLATION      = $(patsubst test/specs/%.spec,%,$(sort $(wildcard test/specs/*.spec)))
ISOLATION_OPTS = --inputdir=test --outputdir=test/results/isolation

PG_CONFIG ?= pg_config
PG_CPPFLAGS = -I$(srcdir)/src
SHLIB_LINK =

EXTRA_CLEAN = test/results

PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)
