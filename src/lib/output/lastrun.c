/* lastrun: STATE/lastrun.json, version 1:
 *   {"version": 1,
 *    "runs":  {PROFILE: {"time": UNIX, "command": "run"|"sync",
 *                        "exit_code": N, "duration_ms": N}},
 *    "steps": {STEP_ID: {"time": UNIX, "profile": P, "kind": K,
 *                        "status": "done"|"up-to-date"|"failed"|"cancelled",
 *                        "duration_ms": N, "reason": R?, "error": E?,
 *                        "last_success": UNIX?,
 *                        "facts": [...]?, "containers": [...]?}}}
 * "time" is when the run ended, "last_success" when a run last ended the
 * step done or up to date; a step keeps the entry of the last run
 * that ended it, whichever command or profile ran it.  "facts" is the
 * kind's figures (facts.h), "containers" an up step's (name, id).  No
 * environment value or secret is kept: the same fields --report shows.
 * Replaced without an fsync (atomicfile_replace): a crash may lose the
 * last run's entry, never tear the file. */
#include "lastrun.h"
#include "atomicfile.h"
#include "error.h"
#include "facts.h"
#include "graph.h"
#include "project.h"
#include "runner.h"
#include "step.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LASTRUN_VERSION 1

static json_t *empty_record(void)
{
	return json_pack("{s:i, s:{}, s:{}}", "version", LASTRUN_VERSION, "runs", "steps");
}

json_t *lastrun_load(const char *state_dir, char **warning)
{
	cleanup_free char *path = path_join(state_dir, "lastrun.json");
	json_error_t jerr;
	json_t *t;

	if (access(path, F_OK) < 0)
		return empty_record();
	t = json_load_file(path, 0, &jerr);
	if (!t || json_integer_value(json_object_get(t, "version")) != LASTRUN_VERSION ||
	    !json_is_object(json_object_get(t, "runs")) || !json_is_object(json_object_get(t, "steps"))) {
		*warning = xasprintf("%s unreadable (%s); the last runs are forgotten", path,
				     t ? "not version 1" : jerr.text);
		json_decref(t);
		return empty_record();
	}
	return t;
}

/* Step i's entry: what --report shows of it, less the bulky details;
 * prev: its entry before this run, or NULL. */
static json_t *step_entry(const struct runner *r, size_t i, const char *profile, int64_t now, const json_t *prev)
{
	const struct step *s = &r->project->graph.steps[i];
	const struct step_result *res = &r->results[i];
	const json_t *facts = facts_of(res->report);
	json_t *containers = json_object_get(res->report, "containers");
	json_t *e =
		json_pack("{s:I, s:s, s:s, s:s, s:I}", "time", (json_int_t)now, "profile", profile, "kind",
			  s->kind->name, "status", step_status_name(res->status), "duration_ms", (json_int_t)res->ms);

	if (res->reason)
		json_object_set_new(e, "reason", json_string(res->reason));
	if (res->error)
		json_object_set_new(e, "error", json_string(res->error));
	if (facts)
		json_object_set_new(e, "facts", json_deep_copy(facts));
	if (json_is_array(containers))
		json_object_set_new(e, "containers", json_deep_copy(containers));
	if (res->status == STEP_DONE || res->status == STEP_UP_TO_DATE)
		json_object_set_new(e, "last_success", json_integer((json_int_t)now));
	else if (json_is_integer(json_object_get(prev, "last_success")))
		json_object_set(e, "last_success", json_object_get(prev, "last_success"));
	return e;
}

int lastrun_record(const char *state_dir, const struct runner *r, const char *profile, const char *command,
		   int exit_code, long ms, int64_t now, char **warning, struct cc_error **err)
{
	cleanup_free char *path = path_join(state_dir, "lastrun.json"), *text = NULL;
	json_t *rec = lastrun_load(state_dir, warning), *steps = json_object_get(rec, "steps");
	const struct graph *g = &r->project->graph;
	size_t i;
	int rc;

	json_object_set_new(json_object_get(rec, "runs"), profile,
			    json_pack("{s:I, s:s, s:i, s:I}", "time", (json_int_t)now, "command", command, "exit_code",
				      exit_code, "duration_ms", (json_int_t)ms));
	for (i = 0; i < g->nsteps; i++)
		if (r->results[i].status != STEP_PENDING)
			json_object_set_new(steps, g->steps[i].id,
					    step_entry(r, i, profile, now, json_object_get(steps, g->steps[i].id)));
	text = json_dumps(rec, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(rec);
	rc = atomicfile_replace(path, text, strlen(text), err);
	return rc < 0 ? cc_error_wrap(err, "last runs %s", path) : 0;
}
