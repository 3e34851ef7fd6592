/* cmd-prune: `ccbuild prune [--dry-run] PROFILE` — apply the retention
 * policy (retention:, top level or per image) to the registry repository
 * of every image of the profile: list its tags, date each image by its
 * config's "created", decide (retention.h), delete by digest. */
#include "cli.h"
#include "error.h"
#include "manifest.h"
#include "project.h"
#include "registry.h"
#include "retention.h"
#include "util.h"
#include "warnings.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* RFC 3339 ("2026-11-23T04:14:04.123456789Z") to unix seconds; -1. */
static int64_t parse_time(const char *s)
{
	struct tm tm;
	const char *rest;

	memset(&tm, 0, sizeof(tm));
	if (!s || !(rest = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)))
		return -1;
	return (int64_t)timegm(&tm);
}

/* The created time of repo@digest: an image's config, or for an index or
 * list its first image's. */
static int64_t created_of(const char *repo, const char *digest, int depth, struct cc_error **err)
{
	struct registry_manifest m;
	json_t *doc, *cfg;
	int64_t t = -1;

	if (registry_manifest_get(repo, digest, &m, err) != 1)
		return -1;
	doc = json_loads(m.body, 0, NULL);
	if (json_object_get(doc, "manifests") && depth == 0) {
		const char *child = json_string_value(
			json_object_get(json_array_get(json_object_get(doc, "manifests"), 0), "digest"));

		if (child)
			t = created_of(repo, child, 1, err);
	} else if (json_string_value(json_object_get(json_object_get(doc, "config"), "digest"))) {
		cfg = registry_blob_json(
			repo, json_string_value(json_object_get(json_object_get(doc, "config"), "digest")), err);
		t = parse_time(json_string_value(json_object_get(cfg, "created")));
		json_decref(cfg);
	}
	json_decref(doc);
	registry_manifest_release(&m);
	return t;
}

static const struct retention_spec *policy_for(const struct manifest *m, const char *key)
{
	size_t i;

	for (i = 0; i < m->nimages; i++)
		if (!strcmp(m->images[i].key, key) && m->images[i].retention.set)
			return &m->images[i].retention;
	return m->retention.set ? &m->retention : NULL;
}

/* Decide and (unless dry) delete in one repository; 0 or -1. */
static int prune_repo(const char *repo, const struct retention_spec *spec, int dry, int *deleted,
		      struct cc_warnings *warnings)
{
	struct retention pol = { spec->keep, spec->max_age ? retention_duration(spec->max_age) : -1, spec->keep_tags };
	struct strlist tags = { 0 }, digests = { 0 }, gone = { 0 };
	struct retention_item *items = NULL;
	struct cc_error *err = NULL;
	size_t i, n = 0;
	int rc = 0;

	if (registry_tags(repo, &tags, &err) < 0)
		return cli_report(err, -1);
	items = xcalloc(tags.n + 1, sizeof(*items));
	for (i = 0; i < tags.n && rc == 0; i++) {
		struct registry_manifest m;

		if (registry_manifest_head(repo, tags.v[i], &m, &err) != 1) {
			registry_manifest_release(&m);
			continue; /* deleted meanwhile */
		}
		strlist_push(&digests, m.digest ? m.digest : "");
		registry_manifest_release(&m);
		items[n].tag = tags.v[i];
		items[n].digest = digests.v[digests.n - 1];
		items[n].created = created_of(repo, items[n].digest, 0, &err);
		if (items[n].created < 0 && err) { /* undated: kept (retention.h) */
			cc_warn(warnings, "%s", err->msg);
			cc_error_free(err);
			err = NULL;
		}
		n++;
	}
	if (rc == 0 && retention_decide(&pol, items, n, (int64_t)time(NULL), &err) < 0)
		rc = cli_report(err, -1);
	for (i = 0; rc == 0 && i < n; i++) {
		printf("%-6s %s:%s  (%s)\n",
		       items[i].keep ? "keep"
		       : dry	     ? "would delete"
				     : "delete",
		       repo, items[i].tag, items[i].why);
		if (items[i].keep || strlist_has(&gone, items[i].digest))
			continue;
		if (!dry && registry_manifest_delete(repo, items[i].digest, &err) < 0)
			rc = cli_report(err, -1);
		strlist_push(&gone, items[i].digest);
		(*deleted)++;
	}
	retention_items_release(items, n);
	free(items);
	strlist_release(&tags);
	strlist_release(&digests);
	strlist_release(&gone);
	return rc;
}

int cmd_prune(struct cli *cli, int argc, char **argv)
{
	const struct manifest *m = cli->manifest;
	const struct project *p = cli->project;
	size_t i;
	int rc = EXIT_OK, deleted = 0, any = 0;

	if (argc > 0)
		return cli_fail(EXIT_USAGE, "prune: unexpected argument '%s'", argv[0]);
	if (!m->registry)
		return cli_fail(EXIT_USAGE, "prune: %s has no registry:", m->path);
	for (i = 0; i < p->nimages; i++) {
		const struct retention_spec *spec = policy_for(m, p->images[i].spec.key);
		cleanup_free char *repo = push_repository(m, &p->images[i]);

		if (!spec)
			continue;
		any = 1;
		if (prune_repo(repo, spec, cli->dry_run, &deleted, cli->warnings) < 0)
			rc = EXIT_FAILED;
	}
	if (!any)
		return cli_fail(EXIT_USAGE, "prune: no retention: policy in %s (top level or per image)", m->path);
	if (cli->verbosity >= 0)
		printf("%d image%s %s\n", deleted, deleted == 1 ? "" : "s",
		       cli->dry_run ? "would be deleted" : "deleted");
	return rc;
}
