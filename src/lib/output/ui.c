/* ui: one mutex guards the output; the TTY mode keeps the running steps
 * and redraws their lines below the finished ones. */
#include "ui.h"
#include "util.h"

#include <jansson.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct live {
	char *step, *note;
	long t0;
};

struct ui {
	enum ui_mode mode;
	FILE *out;
	int verbosity;
	pthread_mutex_t mu;
	struct live *live;
	size_t nlive, cap, drawn;
	long t0;
	ui_sink_fn sink; /* sees every event JSON mode prints, or NULL */
	void *sink_data;
};

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

enum ui_mode ui_mode_detect(int json, FILE *out)
{
	const char *ci = getenv("CI");

	if (json)
		return UI_JSON;
	if (isatty(fileno(out)) && !(ci && *ci) && getenv("TERM") && strcmp(getenv("TERM"), "dumb"))
		return UI_TTY;
	return UI_PLAIN;
}

struct ui *ui_new(enum ui_mode mode, FILE *out, int verbosity)
{
	struct ui *ui = xcalloc(1, sizeof(*ui));

	ui->mode = mode;
	ui->out = out;
	ui->verbosity = verbosity;
	ui->t0 = now_ms();
	pthread_mutex_init(&ui->mu, NULL);
	return ui;
}

void ui_free(struct ui *ui)
{
	size_t i;

	if (!ui)
		return;
	for (i = 0; i < ui->nlive; i++) {
		free(ui->live[i].step);
		free(ui->live[i].note);
	}
	free(ui->live);
	pthread_mutex_destroy(&ui->mu);
	free(ui);
}

void ui_set_sink(struct ui *ui, ui_sink_fn sink, void *data)
{
	pthread_mutex_lock(&ui->mu);
	ui->sink = sink;
	ui->sink_data = data;
	pthread_mutex_unlock(&ui->mu);
}

/* Whether events are built at all: for JSON mode or for the sink. */
static int wants_events(const struct ui *ui)
{
	return ui->mode == UI_JSON || ui->sink;
}

/* The event to the sink, and as a line on out in JSON mode; takes ev. */
static void json_line(struct ui *ui, json_t *ev)
{
	char *s;

	if (ui->sink)
		ui->sink(ui->sink_data, ev);
	if (ui->mode == UI_JSON) {
		s = json_dumps(ev, JSON_COMPACT | JSON_PRESERVE_ORDER);
		fprintf(ui->out, "%s\n", s);
		fflush(ui->out);
		free(s);
	}
	json_decref(ev);
}

static void stamp(struct ui *ui)
{
	char buf[32];
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%H:%M:%S", &tm);
	fprintf(ui->out, "%s ", buf);
}

/* TTY: erase the live block, so a finished line can be printed above it. */
static void tty_clear(struct ui *ui)
{
	for (; ui->drawn > 0; ui->drawn--)
		fputs("\033[1A\033[2K", ui->out);
}

static void tty_draw(struct ui *ui)
{
	long now = now_ms();
	size_t i;

	for (i = 0; i < ui->nlive; i++) {
		fprintf(ui->out, " => %-24s %5.1fs %.60s\n", ui->live[i].step, (now - ui->live[i].t0) / 1000.0,
			ui->live[i].note ? ui->live[i].note : "");
	}
	ui->drawn = ui->nlive;
	fflush(ui->out);
}

static struct live *find_live(struct ui *ui, const char *step)
{
	size_t i;

	for (i = 0; i < ui->nlive; i++)
		if (!strcmp(ui->live[i].step, step))
			return &ui->live[i];
	return NULL;
}

void ui_step_start(struct ui *ui, const char *step, const char *kind)
{
	struct live l = { xstrdup(step), NULL, now_ms() };

	pthread_mutex_lock(&ui->mu);
	if (wants_events(ui))
		json_line(ui, json_pack("{s:s, s:s, s:s}", "event", "step_start", "step", step, "kind", kind));
	switch (ui->mode) {
	case UI_JSON: free(l.step); break;
	case UI_PLAIN: /* said by ui_step_running, once there is work */ free(l.step); break;
	case UI_TTY:
		VEC_PUSH(ui->live, ui->nlive, ui->cap, l);
		tty_clear(ui);
		tty_draw(ui);
		break;
	}
	pthread_mutex_unlock(&ui->mu);
}

void ui_step_running(struct ui *ui, const char *step, const char *reason)
{
	pthread_mutex_lock(&ui->mu);
	if (wants_events(ui))
		json_line(ui, json_pack("{s:s, s:s, s:s?}", "event", "step_run", "step", step, "reason", reason));
	if (ui->mode == UI_PLAIN && ui->verbosity >= 0) {
		stamp(ui);
		fprintf(ui->out, "%s: running (%s)\n", step, reason ? reason : "");
		fflush(ui->out);
	}
	pthread_mutex_unlock(&ui->mu);
}

void ui_step_progress(struct ui *ui, const char *step, const char *note)
{
	struct live *l;

	pthread_mutex_lock(&ui->mu);
	if (wants_events(ui) && ui->verbosity > 0)
		json_line(ui, json_pack("{s:s, s:s, s:s}", "event", "progress", "step", step, "note", note));
	switch (ui->mode) {
	case UI_JSON: break;
	case UI_PLAIN:
		if (ui->verbosity > 0) {
			stamp(ui);
			fprintf(ui->out, "%s: %s\n", step, note);
		}
		break;
	case UI_TTY:
		if ((l = find_live(ui, step))) {
			free(l->note);
			l->note = xstrdup(note);
			tty_clear(ui);
			tty_draw(ui);
		}
		break;
	}
	pthread_mutex_unlock(&ui->mu);
}

static void remove_live(struct ui *ui, const char *step)
{
	struct live *l = find_live(ui, step);

	if (!l)
		return;
	free(l->step);
	free(l->note);
	*l = ui->live[--ui->nlive];
}

void ui_step_end(struct ui *ui, const char *step, const char *kind, const char *status, const char *reason, long ms,
		 const char *detail, const json_t *extra)
{
	json_t *ev;

	pthread_mutex_lock(&ui->mu);
	if (wants_events(ui)) {
		ev = json_pack("{s:s, s:s, s:s, s:s, s:s?, s:I}", "event", "step_end", "step", step, "kind", kind,
			       "status", status, "reason", reason, "duration_ms", (json_int_t)ms);
		if (detail)
			json_object_set_new(ev, "error", json_string(detail));
		if (extra)
			json_object_update(ev, (json_t *)extra);
		json_line(ui, ev);
	}
	if (ui->mode == UI_JSON) {
		pthread_mutex_unlock(&ui->mu);
		return;
	}
	if (ui->mode == UI_TTY) {
		tty_clear(ui);
		remove_live(ui, step);
	}
	if (ui->verbosity >= 0 || strcmp(status, "up-to-date")) {
		if (ui->mode == UI_PLAIN)
			stamp(ui);
		fprintf(ui->out, "%s%-24s %-10s %5.1fs%s%s\n", ui->mode == UI_TTY ? "    " : "", step, status,
			ms / 1000.0, reason ? "  " : "", reason ? reason : "");
	}
	if (detail)
		fprintf(ui->out, "%s\n", detail);
	if (ui->mode == UI_TTY)
		tty_draw(ui);
	fflush(ui->out);
	pthread_mutex_unlock(&ui->mu);
}

/* "built", "pushed", "scanned": the past tense of a step kind. */
static void add_done(struct strbuf *sb, const char *kind, json_int_t n)
{
	static const char *const past[][2] = { { "build", "built" },
					       { "push", "pushed" },
					       { "scan", "scanned" },
					       { "test", "tested" },
					       { "up", "deployed" } };
	const char *word = kind;
	size_t i;

	for (i = 0; i < sizeof(past) / sizeof(past[0]); i++)
		if (!strcmp(past[i][0], kind))
			word = past[i][1];
	strbuf_addf(sb, "%lld %s, ", (long long)n, word);
}

void ui_summary(struct ui *ui, const json_t *done_by_kind, int uptodate, int failed, int cancelled, long ms)
{
	struct strbuf sb = STRBUF_INIT;
	const char *kind;
	json_t *n;

	pthread_mutex_lock(&ui->mu);
	if (wants_events(ui))
		json_line(ui, json_pack("{s:s, s:I, s:O, s:i, s:i, s:i, s:I}", "event", "summary", "built",
					json_integer_value(json_object_get(done_by_kind, "build")), "done",
					done_by_kind, "up_to_date", uptodate, "failed", failed, "cancelled", cancelled,
					"duration_ms", (json_int_t)ms));
	if (ui->mode != UI_JSON && (ui->verbosity >= 0 || failed)) {
		if (!json_object_get(done_by_kind, "build"))
			add_done(&sb, "build", 0);
		json_object_foreach((json_t *)done_by_kind, kind, n) add_done(&sb, kind, json_integer_value(n));
		fprintf(ui->out, "%s%d up to date, %d failed, %d cancelled in %.1fs\n", sb.buf, uptodate, failed,
			cancelled, ms / 1000.0);
	}
	strbuf_release(&sb);
	fflush(ui->out);
	pthread_mutex_unlock(&ui->mu);
}

void ui_message(struct ui *ui, const char *level, const char *text)
{
	pthread_mutex_lock(&ui->mu);
	if (wants_events(ui))
		json_line(ui, json_pack("{s:s, s:s, s:s}", "event", "message", "level", level, "text", text));
	if (ui->mode != UI_JSON) {
		if (ui->mode == UI_TTY)
			tty_clear(ui);
		fprintf(ui->out, "ccbuild: %s: %s\n", level, text);
		if (ui->mode == UI_TTY)
			tty_draw(ui);
	}
	pthread_mutex_unlock(&ui->mu);
}

void ui_event(struct ui *ui, json_t *ev)
{
	pthread_mutex_lock(&ui->mu);
	if (wants_events(ui))
		json_line(ui, ev);
	else
		json_decref(ev);
	pthread_mutex_unlock(&ui->mu);
}
