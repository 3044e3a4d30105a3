/*
 * chat: a complete messaging system inside PostgreSQL.
 *
 * This is the install script of the current version, assembled by the
 * Makefile from sql/src/ (one file per concern, see sql/README.md): edit
 * those files, never the built build/chat--<version>.sql.
 *
 * Read state is a pointer per member plus counters (see src/unread.c): the
 * thread row counts its messages, each member row counts the messages it has
 * read, and unread = thread.message_count - member.read_count.
 */

\echo Use "CREATE EXTENSION chat" to load this file. \quit
