/* fuzz-credentials: the docker config ($DOCKER_CONFIG/config.json) as
 * read for a registry's credentials and the engine's X-Registry-Auth.
 * Configs naming a credential helper (credHelpers, credsStore) are
 * skipped: those would run a program named by the input. */
#include "error.h"
#include "harness.h"
#include "registry.h"
#include "util.h"

#include <jansson.h>
#include <stdlib.h>

static int names_helper(const uint8_t *data, size_t size)
{
	json_t *cfg = json_loadb((const char *)data, size, 0, NULL);
	int helper = json_object_get(cfg, "credHelpers") || json_object_get(cfg, "credsStore");

	json_decref(cfg);
	return helper;
}

/* Ask for the first few hosts of "auths", and one that is absent. */
static void ask_one(const char *host)
{
	struct cc_error *err = NULL;
	char *auth = NULL;

	if (registry_engine_auth(host, &auth, &err) < 0)
		cc_error_free(err); /* unusable credentials: a reported error */
	free(auth);
}

static void ask(const uint8_t *data, size_t size)
{
	json_t *cfg = json_loadb((const char *)data, size, 0, NULL), *v;
	const char *host;
	size_t n = 0;

	ask_one("absent.example");
	json_object_foreach(json_object_get(cfg, "auths"), host, v)
	{
		if (n++ == 4)
			break;
		ask_one(host);
	}
	json_decref(cfg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *dir;

	if (names_helper(data, size))
		return 0;
	dir = fuzz_tmpdir();
	free(fuzz_write(dir, "config.json", data, size));
	setenv("DOCKER_CONFIG", dir, 1);
	ask(data, size);
	unsetenv("DOCKER_CONFIG");
	fuzz_tmpdir_remove(dir);
	free(dir);
	return 0;
}
