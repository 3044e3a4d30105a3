/*
 * chat.h
 *	  Declarations shared by the chat extension's C files.
 */
#ifndef CHAT_H
#define CHAT_H

/* settings.c */
extern void chat_settings_init(void);

#endif							/* CHAT_H */
