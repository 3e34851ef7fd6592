/* ui: how a run is shown.  Three modes: a terminal (one live line per
 * running step, redrawn in place, then a summary), plain timestamped lines
 * (not a terminal, or CI set), and JSON (one object per line on stdout).
 * Every function is safe to call from any thread. */
#ifndef CC_UI_H
#define CC_UI_H

#include <jansson.h>
#include <stdio.h>

enum ui_mode { UI_TTY, UI_PLAIN, UI_JSON };

struct ui;

/* The mode a user would expect: JSON when asked, TTY when out is a
 * terminal and CI is unset, plain otherwise. */
enum ui_mode ui_mode_detect(int json, FILE *out);
/* Caller frees with ui_free; out is borrowed. */
struct ui *ui_new(enum ui_mode mode, FILE *out, int verbosity);
void ui_free(struct ui *ui);
/* Every event JSON mode prints (whatever the mode), borrowed for the
 * call, called under the ui's lock so never twice at once. */
typedef void (*ui_sink_fn)(void *data, const json_t *ev);
/* Give every event to sink as well (NULL: none); data borrowed. */
void ui_set_sink(struct ui *ui, ui_sink_fn sink, void *data);

/* A step began running. */
void ui_step_start(struct ui *ui, const char *step, const char *kind);
/* A started step has work to do (not up to date), and why. */
void ui_step_running(struct ui *ui, const char *step, const char *reason);
/* A short progress note ("[2/5] RUN make", "cached"); shown live on a TTY,
 * as a line with -v in plain mode, as an event in JSON. */
void ui_step_progress(struct ui *ui, const char *step, const char *note);
/* A step ended.  status: done|up-to-date|failed|cancelled.  reason may be
 * NULL; detail (the error text, the failing log) is printed whole; extra
 * (may be NULL, borrowed) is a JSON object whose fields are added to the
 * JSON event (hash, image, ...). */
void ui_step_end(struct ui *ui, const char *step, const char *kind, const char *status, const char *reason, long ms,
		 const char *detail, const json_t *extra);
/* Counts by status and the wall time; done_by_kind (borrowed) maps a
 * step kind to how many of its steps ran ({"build": 2, "push": 2}). */
void ui_summary(struct ui *ui, const json_t *done_by_kind, int uptodate, int failed, int cancelled, long ms);
/* A free-form message (warnings): "ccbuild: LEVEL: ..." on out (stderr
 * for a terminal or plain lines), or {"event":"message"} in JSON. */
void ui_message(struct ui *ui, const char *level, const char *text);
/* A command's own event (a watch round): a JSON line in JSON mode, and
 * to the sink; ev stolen. */
void ui_event(struct ui *ui, json_t *ev);

#endif
