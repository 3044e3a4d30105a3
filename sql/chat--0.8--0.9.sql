/*
 * chat 0.8 -> 0.9: realtime a client can rely on.
 */

\echo Use "ALTER EXTENSION chat UPDATE TO '0.9'" to load this file. \quit



