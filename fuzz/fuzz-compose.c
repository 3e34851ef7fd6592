/* fuzz-compose: docker-compose files loaded, merged and printed as
 * `config` does.  Part 0 is docker-compose.yml; further parts are named
 * files (harness.h): override.yml is merged over it when given, .env and
 * env_file / extends files are read where the project names them.  What
 * `config` prints must parse as YAML again. */
#include "compose.h"
#include "error.h"
#include "harness.h"
#include "warnings.h"
#include "util.h"
#include "ynode.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void check_emit(const struct compose_project *p)
{
	struct cc_error *err = NULL;
	struct ynode *n = NULL;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	int rc;

	if (!f)
		abort();
	rc = compose_config_emit(p, f, &err);
	fclose(f);
	if (rc < 0)
		cc_error_free(err); /* an error, not a crash: allowed */
	else if (ynode_parse_buffer("config.yml", text, len, &n, &err) < 0) {
		fprintf(stderr, "config output does not parse: %s\n---\n%s---\n", err->msg, text);
		abort();
	}
	ynode_free(n);
	free(text);
}

static void walk_services(const struct compose_project *p)
{
	size_t i, n = compose_service_count(p);

	for (i = 0; i < n; i++) {
		struct compose_build b;

		if (compose_service_find(p, compose_service_name(p, i)) != (long)i)
			abort();
		(void)compose_service(p, i);
		if (compose_service_build(p, i, &b) == 0)
			compose_build_release(&b);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_part parts[8];
	size_t n = fuzz_split(data, size, parts, 8);
	char *dir = fuzz_tmpdir(), *base = fuzz_write(dir, "docker-compose.yml", parts[0].data, parts[0].len);
	char *override = xasprintf("%s/override.yml", dir);
	const char *files[2] = { base, override };
	struct cc_warnings warnings;
	struct compose_load_opts o = {
		.project_dir = dir, .project_name = "fuzz", .files = files, .nfiles = 1, .warnings = &warnings
	};
	struct compose_project *p = NULL;
	struct cc_error *err = NULL;

	cc_warnings_init(&warnings);
	fuzz_write_named(dir, parts, n);
	if (access(override, F_OK) == 0)
		o.nfiles = 2;
	if (compose_load(&o, &p, &err) < 0)
		cc_error_free(err);
	else {
		walk_services(p);
		check_emit(p);
		(void)compose_getenv(p, "COMPOSE_PROJECT_NAME");
	}
	compose_free(p);
	cc_warnings_release(&warnings);
	fuzz_tmpdir_remove(dir);
	free(override);
	free(base);
	free(dir);
	return 0;
}
