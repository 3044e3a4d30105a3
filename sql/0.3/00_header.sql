/*
 * chat 0.2 -> 0.3: direct chats, groups, channels and object rooms,
 * membership, roles and permissions.  Assembled by the Makefile from the
 * files of sql/0.3, one per area, until released.
 */

\echo Use "ALTER EXTENSION chat UPDATE TO '0.3'" to load this file. \quit
