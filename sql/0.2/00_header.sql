/*
 * chat 0.1 -> 0.2: hooks and realtime events, the user binding, swappable
 * models.  Assembled by the Makefile from the files of sql/0.2, one per area.
 */

\echo Use "ALTER EXTENSION chat UPDATE TO '0.2'" to load this file. \quit
