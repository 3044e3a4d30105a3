# chat: PGXS build. The version lives only in chat.control.
EXTENSION   = chat
EXTVERSION  = $(shell sed -n "s/^default_version[[:space:]]*=[[:space:]]*'\([^']*\)'.*/\1/p" chat.control)

MODULE_big  = chat
OBJS        = $(patsubst %.c,%.o,$(sort $(wildcard src/*.c)))

# sql/src/ is the source of the current version, one file per concern,
# concatenated in this order into its install script (sql/README.md).
# A LANGUAGE sql function is checked when it is created, so it may use only
# what comes before it: schema/ first, in foreign-key order, then internal/
# and api/ in name order (api/identity.sql first: chat.current_user_id() is
# the default of every acting-user argument), then what uses the functions.
SQL_SRC = sql/src/prelude.sql \
          $(addprefix sql/src/schema/,types.sql settings.sql threads.sql rooms.sql interactions.sql registry.sql events.sql notifications.sql retention.sql) \
          $(sort $(wildcard sql/src/internal/*.sql)) \
          sql/src/api/identity.sql \
          $(filter-out sql/src/api/identity.sql,$(sort $(wildcard sql/src/api/*.sql))) \
          $(addprefix sql/src/,views.sql triggers.sql security.sql privileges.sql citus.sql)

# The built install script of the current version; CREATE EXTENSION chat
# runs it directly.  The released scripts in sql/ (chat--0.1.sql and one
# chat--A--B.sql per release) are frozen, checked against sql/released.sha256,
# and take a database at any released version to this one.
BUILT_SCRIPT = build/chat--$(EXTVERSION).sql
DATA_built     = $(BUILT_SCRIPT)
DATA           = $(filter-out sql/chat--$(EXTVERSION).sql,$(sort $(wildcard sql/chat--*.sql)))

$(BUILT_SCRIPT): $(SQL_SRC) Makefile
	@mkdir -p build
	cat $(SQL_SRC) > $@

# pg_regress: test/sql/*.sql against test/expected/*.out
REGRESS      = $(patsubst test/sql/%.sql,%,$(sort $(wildcard test/sql/*.sql)))
REGRESS_OPTS = --inputdir=test --outputdir=test/results
# isolation: test/specs/*.spec against test/expected/*.out
ISOLATION      = $(patsubst test/specs/%.spec,%,$(sort $(wildcard test/specs/*.spec)))
ISOLATION_OPTS = --inputdir=test --outputdir=test/results/isolation

PG_CONFIG ?= pg_config
# libpq (as contrib/dblink links it): on a Citus worker src/relay.c sends
# the events' NOTIFYs to the coordinator
PG_CPPFLAGS = -I$(srcdir)/src -I$(libpq_srcdir)
SHLIB_LINK_INTERNAL = $(libpq)

EXTRA_CLEAN = build test/results

PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# "make" builds everything: without this the first rule above, the built
# script, would be the default goal, and "make COPT=-Werror" compiled nothing
# (the objects were then built by "make install", without COPT)
.DEFAULT_GOAL := all

# every object depends on the shared header (ChatRegistry's layout...):
# without this, changing src/chat.h left stale objects behind
$(OBJS): src/chat.h
