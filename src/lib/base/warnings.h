/* warnings: the one channel for problems that are never fatal ("The TAG
 * variable is not set", "unreadable state, rebuilding", "stat cache
 * rebuilt").  The caller owns the sink and says how a warning shows
 * (src/cmd/: stderr, or the ui once a run has one); library code reports
 * into the sink it is handed and never prints.  Each distinct message is
 * shown once.  Every function is safe from any thread. */
#ifndef CC_WARNINGS_H
#define CC_WARNINGS_H

#include "lists.h"

#include <pthread.h>
#include <stdarg.h>

struct cc_warnings {
	void (*show)(void *data, const char *msg); /* NULL: only collect */
	void *data;				   /* show's, borrowed */
	struct strlist seen;			   /* each message once, in order */
	pthread_mutex_t mu;
};

/* An empty sink that only collects; release with cc_warnings_release. */
void cc_warnings_init(struct cc_warnings *w);
/* From now on show(data, msg) each new warning (show NULL: collect only). */
void cc_warnings_show(struct cc_warnings *w, void (*show)(void *data, const char *msg), void *data);
/* Report a warning into w (NULL: dropped); a repeat of one already seen is
 * dropped. */
void cc_warn(struct cc_warnings *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* cc_warn with a va_list (for wrappers that add their own context). */
void cc_vwarn(struct cc_warnings *w, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
void cc_warnings_release(struct cc_warnings *w);

#endif
