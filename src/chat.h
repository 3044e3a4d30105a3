/*
 * chat.h
 *	  Declarations shared by the chat extension's C files.
 */
#ifndef CHAT_H
#define CHAT_H

/* settings.c */
extern void chat_settings_init(void);
extern int64 chat_setting_int64(const char *key);

/* send.c */
extern bool chat_text_is_blank(text *value);
extern void chat_check_content(text *content);

#endif							/* CHAT_H */
