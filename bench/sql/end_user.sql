/*
 * bench/sql/end_user.sql: the login role of the S1-S4 end-user runs, mapped
 * to the P3 user with chat.map_role.  The cluster is run.sh's own, with
 * trust authentication, so pgbench connects as it with -U and no password.
 *
 * psql variables: s_role s_viewer
 */
\set ON_ERROR_STOP on

CREATE ROLE :"s_role" LOGIN;
SELECT chat.map_role(:'s_role', :s_viewer);
