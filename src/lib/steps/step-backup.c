/* step-backup: the backup:NAME step kind (step.h) — a profile's backups:
 * run as steps of its pipeline, and only when their source changed.
 *
 * Input hash: the content hash of the source (the root tree id its
 * snapshot would have, backup.h) and the backup's settings.  A recorded
 * success with that hash is up to date while every path destination's
 * newest snapshot still has that tree; otherwise run() makes the snapshot
 * (backup_run: it reads the source again, storing what is new). */
#include "backup-snapshot.h"
#include "backup-spec.h"
#include "backup.h"
#include "compose.h"
#include "error.h"
#include "facts.h"
#include "hash.h"
#include "project.h"
#include "runner.h"
#include "state.h"
#include "step.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static void backup_describe(const struct step *s, struct strbuf *out)
{
	const struct backup_spec *b = s->data;

	strbuf_addf(out, "back up %s:%s to %zu destination%s", backup_source_prefix(b), b->source, b->ndests,
		    b->ndests == 1 ? "" : "s");
}

static struct backup_opts step_opts(struct runner *r, int dry)
{
	struct backup_opts o = { .state_dir = r->state_dir, .engine = r->engine, .cancel = r->cancel, .dry = dry };
	struct timespec ts;

	o.compose = r->project->compose;
	o.project = o.compose ? compose_project_name(o.compose) : r->project->manifest->project;

	clock_gettime(CLOCK_REALTIME, &ts);
	o.now = ts.tv_sec;
	o.now_nsec = ts.tv_nsec;
	return o;
}

static int backup_hash_inputs(struct runner *r, size_t i, int dry, struct cc_error **err)
{
	const struct backup_spec *b = r->project->graph.steps[i].data;
	struct step_result *res = &r->results[i];
	struct backup_opts o = step_opts(r, dry);
	struct strbuf in = STRBUF_INIT;
	unsigned char root[32];
	char hex[65], tree[65];
	size_t k;

	if (backup_source_hash(b, &o, root, err) < 0)
		return -1;
	bk_id_hex(root, tree);
	strbuf_addf(&in, "ccbuild-backup-v1\n%s\n%s\n%d\n%g", tree, b->source, (int)b->kind, b->verify);
	for (k = 0; k < b->ndests; k++)
		strbuf_addf(&in, "\ndest %s", b->dests[k].path ? b->dests[k].path : "(command)");
	hash_sha256_hex(in.buf, in.len, hex);
	strbuf_release(&in);
	res->hash = xstrdup(hex);
	res->inputs = json_pack("{s:s}", "tree", tree);
	return 0;
}

static char *backup_changed(struct runner *r, size_t i, const struct step_record *rec)
{
	const char *was = json_string_value(json_object_get(rec->inputs, "tree"));
	const char *now = json_string_value(json_object_get(r->results[i].inputs, "tree"));

	return xstrdup(was && now && strcmp(was, now) ? "source changed" : "settings changed");
}

static const struct fact_def fact_new_bytes = {
	"ccbuild_backup_new_bytes_total", "counter",
	"Bytes (data and metadata) backups stored that their repositories lacked.", NULL
};
static const struct fact_def fact_stored_bytes = {
	"ccbuild_backup_stored_bytes_total", "counter",
	"What the new bytes took on disk (compressed when smaller, sealed when encrypted).", NULL
};
static const struct fact_def fact_bytes = { "ccbuild_backup_snapshot_bytes", "gauge",
					    "Bytes of the files in the backup's newest snapshot.", NULL };
static const struct fact_def fact_dedup = { "ccbuild_backup_dedup_ratio", "gauge",
					    "Share (0-1) of the last snapshot's bytes its repository held already.",
					    NULL };
static const struct fact_def fact_verified = { "ccbuild_backup_verified_bytes_total", "counter",
					       "Bytes of new data re-read by verify.", NULL };
static const struct fact_def fact_problems = { "ccbuild_backup_verify_problems", "gauge",
					       "Problems the last verify found (0: everything read back).", NULL };
static const struct fact_def fact_degraded = { "ccbuild_backup_degraded_destinations", "gauge",
					       "Destinations the last run could not write.", NULL };
static const struct fact_def fact_ok = { "ccbuild_backup_last_success_timestamp_seconds", "gauge",
					 "When every destination last held the source (unix time).", NULL };

/* The figures of one backup run (ok: nothing degraded, verify clean). */
static void backup_facts(json_t **report, const struct backup_outcome *out, int ok)
{
	uint64_t b = out->snap.bytes, n = out->snap.new_bytes;

	facts_add(report, &fact_new_bytes, NULL, out->made ? (double)n : 0);
	facts_add(report, &fact_stored_bytes, NULL, out->made ? (double)out->snap.stored_bytes : 0);
	facts_add(report, &fact_bytes, NULL, (double)b);
	facts_add(report, &fact_dedup, NULL, !out->made ? 1 : n >= b ? 0 : (double)(b - n) / (double)b);
	facts_add(report, &fact_verified, NULL, (double)out->verified);
	facts_add(report, &fact_problems, NULL, (double)out->problems.n);
	facts_add(report, &fact_degraded, NULL, (double)out->degraded.n);
	if (ok)
		facts_add(report, &fact_ok, NULL, (double)time(NULL));
}

static int backup_output_exists(struct runner *r, size_t i, const struct step_record *rec, int dry,
				struct cc_error **err)
{
	const struct backup_spec *b = r->project->graph.steps[i].data;
	struct step_result *res = &r->results[i];
	cleanup_free char *missing = NULL;
	unsigned char root[32];
	int rc;

	if (bk_id_parse(json_string_value(json_object_get(res->inputs, "tree")), root) < 0)
		BUG("backup step without its tree");
	if ((rc = backup_holds(b, root, &missing, err)) < 0)
		return -1;
	res->reason = rc ? xasprintf("snapshot %s in every destination", rec->output ? rec->output : "")
			 : xasprintf("%s lacks the snapshot", missing);
	if (rc == 1) /* up to date: still a good backup */
		facts_add(&res->report, &fact_ok, NULL, (double)time(NULL));
	return rc;
}

static int backup_step_run(struct runner *r, size_t i, struct cc_error **err)
{
	const struct backup_spec *b = r->project->graph.steps[i].data;
	struct step_result *res = &r->results[i];
	struct backup_opts o = step_opts(r, 0);
	struct backup_outcome out;
	char tp[64];
	int rc = 0;

	o.traceparent = runner_traceparent(r, i, tp, sizeof(tp));
	o.spans = &res->spans;
	o.lock_wait_ms = b->retry_lock_ms;
	if (backup_run(b, &o, &out, err) < 0) {
		backup_outcome_release(&out);
		return -1;
	}
	if (out.degraded.n)
		rc = cc_error_set(err, "degraded: %s", out.degraded.v[0]);
	else if (out.problems.n)
		rc = cc_error_set(err, "verify: %s", out.problems.v[0]);
	res->output = xstrdup(out.snap.id);
	res->report = json_pack("{s:s, s:I, s:I}", "snapshot", out.snap.id, "bytes", (json_int_t)out.snap.bytes,
				"new_bytes", (json_int_t)out.snap.new_bytes);
	backup_facts(&res->report, &out, rc == 0);
	backup_outcome_release(&out);
	return rc;
}

const struct step_kind step_kind_backup = {
	.name = "backup",
	.needs_outputs = 0,
	.describe = backup_describe,
	.hash_inputs = backup_hash_inputs,
	.no_record = "not backed up before",
	.changed = backup_changed,
	.output_exists = backup_output_exists,
	.run = backup_step_run,
};
