/* warnings: the sink for warnings (warnings.h). */
#include "warnings.h"
#include "util.h"

#include <stdarg.h>
#include <stdlib.h>

void cc_warnings_init(struct cc_warnings *w)
{
	w->show = NULL;
	w->data = NULL;
	w->seen = (struct strlist){ 0 };
	pthread_mutex_init(&w->mu, NULL);
}

void cc_warnings_show(struct cc_warnings *w, void (*show)(void *data, const char *msg), void *data)
{
	pthread_mutex_lock(&w->mu);
	w->show = show;
	w->data = data;
	pthread_mutex_unlock(&w->mu);
}

void cc_warn(struct cc_warnings *w, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cc_vwarn(w, fmt, ap);
	va_end(ap);
}

void cc_vwarn(struct cc_warnings *w, const char *fmt, va_list ap)
{
	char *msg;

	if (!w)
		return;
	msg = xvasprintf(fmt, ap);
	pthread_mutex_lock(&w->mu);
	if (!strlist_has(&w->seen, msg)) {
		strlist_push(&w->seen, msg);
		if (w->show)
			w->show(w->data, msg);
	}
	pthread_mutex_unlock(&w->mu);
	free(msg);
}

void cc_warnings_release(struct cc_warnings *w)
{
	strlist_release(&w->seen);
	pthread_mutex_destroy(&w->mu);
}
