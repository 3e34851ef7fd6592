/* runner: the check every step kind shares (step.h).  A kind that says
 * only what its inputs hash to and whether its output still exists gets
 * "no record", "inputs changed", "output gone" and "up to date" from the
 * runner, with the record's output and tags taken back. */
#include "error.h"
#include "project.h"
#include "runner.h"
#include "state.h"
#include "step.h"
#include "tap.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define HEX_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define HEX_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

/* What the probe kind answers; set by each test. */
static const char *probe_hash;
static int probe_exists, probe_cached, probe_calls;

static int probe_hash_inputs(struct runner *r, size_t i, int dry, struct cc_error **err)
{
	r->results[i].hash = xstrdup(probe_hash);
	return 0;
}

static char *probe_changed(struct runner *r, size_t i, const struct step_record *rec)
{
	return xasprintf("was %.4s", rec->input);
}

static int probe_output_exists(struct runner *r, size_t i, const struct step_record *rec, int dry,
			       struct cc_error **err)
{
	probe_calls++;
	r->results[i].reason = xstrdup(probe_exists ? "still there" : "gone");
	return probe_exists;
}

static int probe_find_cached(struct runner *r, size_t i, struct cc_error **err)
{
	if (!probe_cached)
		return 0;
	free(r->results[i].reason);
	r->results[i].reason = xstrdup("cached elsewhere");
	r->results[i].output = xstrdup("elsewhere");
	return 1;
}

static const struct step_kind probe_kind = {
	.name = "probe",
	.hash_inputs = probe_hash_inputs,
	.no_record = "never probed",
	.changed = probe_changed,
	.output_exists = probe_output_exists,
	.find_cached = probe_find_cached,
};

/* Plan the one-step project in dir; res filled from the runner's result. */
static int plan(const char *dir, struct step_result *out)
{
	struct project p = { 0 };
	struct runner r;
	struct cc_error *err = NULL;
	int rc;

	graph_add(&p.graph, "probe:x", &probe_kind, NULL);
	if (graph_finish(&p.graph, &err) < 0)
		return -1;
	runner_init(&r, &p);
	r.state_dir = dir;
	rc = runner_plan(&r, &err);
	cc_error_free(err);
	memset(out, 0, sizeof(*out));
	out->would_run = r.results[0].would_run;
	out->status = r.results[0].status;
	out->reason = r.results[0].reason ? xstrdup(r.results[0].reason) : NULL;
	out->output = r.results[0].output ? xstrdup(r.results[0].output) : NULL;
	strlist_copy(&out->tags, &r.results[0].tags);
	runner_release(&r);
	graph_release(&p.graph);
	return rc;
}

static void result_free(struct step_result *res)
{
	free(res->reason);
	free(res->output);
	strlist_release(&res->tags);
}

static void save(const char *dir, const char *input)
{
	struct step_record rec = { 0 };
	struct cc_error *err = NULL;

	rec.step = "probe:x";
	rec.input = (char *)input;
	rec.output = "out-1";
	strlist_push(&rec.tags, "x:latest");
	if (state_save_step(dir, &rec, NULL, &err) < 0)
		printf("# %s\n", err->msg);
	cc_error_free(err);
	strlist_release(&rec.tags);
	free(rec.files);
}

int main(void)
{
	char tmpl[] = "/tmp/ccb-test-runner-XXXXXX";
	char *dir = mkdtemp(tmpl), *cmd;
	struct cc_error *err = NULL;
	struct step_result res;

	if (!dir || state_init(dir, &err) < 0) {
		printf("Bail out! no state dir\n");
		return 1;
	}
	probe_hash = HEX_A;
	is_int(plan(dir, &res), 0, "no record: plan succeeds");
	ok(res.would_run, "no record: would run");
	is_str(res.reason, "never probed", "no record: the kind's reason");
	is_int(probe_calls, 0, "no record: output not asked about");
	result_free(&res);

	save(dir, HEX_A);
	probe_exists = 1;
	is_int(plan(dir, &res), 0, "same hash: plan succeeds");
	ok(!res.would_run && res.status == STEP_UP_TO_DATE, "same hash, output there: up to date");
	is_str(res.reason, "still there", "same hash: the kind's reason");
	is_str(res.output, "out-1", "up to date: output taken from the record");
	ok(res.tags.n == 1 && !strcmp(res.tags.v[0], "x:latest"), "up to date: tags taken from the record");
	result_free(&res);

	probe_exists = 0;
	plan(dir, &res);
	ok(res.would_run, "same hash, output gone: would run");
	is_str(res.reason, "gone", "output gone: the kind's reason");
	ok(!res.output, "output gone: no output taken");
	result_free(&res);

	probe_cached = 1;
	plan(dir, &res);
	ok(!res.would_run, "output gone but cached: up to date");
	is_str(res.output, "elsewhere", "cached: the output find_cached gave");
	result_free(&res);
	probe_cached = 0;

	probe_hash = HEX_B;
	probe_calls = 0;
	plan(dir, &res);
	ok(res.would_run, "new hash: would run");
	is_str(res.reason, "was aaaa", "new hash: the kind's changed reason");
	is_int(probe_calls, 0, "new hash: output not asked about");
	result_free(&res);

	cmd = xasprintf("echo '{not json' > '%s/steps/probe%%3Ax.json'", dir);
	if (system(cmd))
		printf("# could not damage the record\n");
	free(cmd);
	plan(dir, &res);
	ok(res.would_run, "unreadable record: would run");
	is_str(res.reason, "state unreadable", "unreadable record: the same reason for every kind");
	result_free(&res);

	cmd = xasprintf("rm -rf '%s'", dir);
	if (system(cmd))
		printf("# could not remove %s\n", dir);
	free(cmd);
	return done_testing();
}
