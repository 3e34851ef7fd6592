#include "error.h"
#include "manifest.h"
#include "tap.h"
#include "util.h"

#include <stdlib.h>
#include <unistd.h>

/* Load text as a manifest file; returns the errors joined by '\n'. */
static char *load(const char *text, struct manifest **out)
{
	char path[] = "/tmp/ccbuild-test-manifest-XXXXXX";
	struct cc_error *err = NULL, *e;
	struct strbuf sb = STRBUF_INIT;
	struct manifest *m = NULL;
	int fd = mkstemp(path);

	if (fd < 0 || write(fd, text, strlen(text)) < 0)
		return xstrdup("cannot write temp file");
	close(fd);
	if (manifest_load(path, &m, &err) < 0)
		for (e = err; e; e = e->next)
			strbuf_addf(&sb, "%s\n", strchr(e->msg, ':') ? strchr(e->msg, ':') + 1 : e->msg);
	cc_error_free(err);
	unlink(path);
	if (out)
		*out = m;
	else
		manifest_free(m);
	return strbuf_detach(&sb);
}

#define EXPECT_ERROR(text, want, name)                                                                                 \
	do {                                                                                                           \
		char *got = load(text, NULL);                                                                          \
		ok(strstr(got, want) != NULL, "%s", name);                                                             \
		if (!strstr(got, want))                                                                                \
			printf("#   got: %s#   want: %s\n", got, want);                                                \
		free(got);                                                                                             \
	} while (0)

static void test_minimal(void)
{
	struct manifest *m = NULL;
	char *errs = load("ccbuild: 1\nproject: shop\ncompose: [docker-compose.yml]\nprofiles:\n  dev: {}\n", &m);

	is_str(errs, "", "minimal form loads");
	ok(m && m->nprofiles == 1 && m->compose.n == 1, "profile and compose file read");
	free(errs);
	manifest_free(m);
}

static void test_full(void)
{
	struct manifest *m = NULL;
	char *errs = load("ccbuild: 1\nproject: shop\nregistry: 127.0.0.1:5000/shop\n"
			  "images:\n  base:\n    context: docker/base\n    target: runtime\n"
			  "    args: {PYTHON_VERSION: \"3.12\"}\n    platforms: [linux/amd64, linux/arm64]\n"
			  "    tags: [latest, \"{git.sha}\"]\n"
			  "profiles:\n  dev:\n    env: {DEBUG: \"true\"}\n    images: {web: {target: development}}\n"
			  "  prod: {push: true, scans: [policy]}\n"
			  "scans:\n  policy: {rules: {non_root: error, max_size: 500MB}}\n"
			  "syncs: {}\nbackups: {}\nx-note: anything\n",
			  &m);
	const struct image_spec *base = m ? manifest_image(m, "base") : NULL;

	is_str(errs, "", "full form loads");
	ok(base && !strcmp(base->target, "runtime") && base->platforms.n == 2, "image fields read");
	ok(base && !strcmp(kvlist_get(&base->args, "PYTHON_VERSION"), "3.12"), "args map read");
	ok(m && manifest_profile(m, "prod")->push == 1, "push flag read");
	ok(m && manifest_profile(m, "dev")->nimages == 1, "profile image override read");
	free(errs);
	manifest_free(m);
}

static void test_errors(void)
{
	EXPECT_ERROR("ccbuild: 1\nproject: shop\nprofiles: {dev: {}}\nimages:\n  web:\n    contxt: .\n",
		     "6:5: unknown key 'contxt' in image 'web' (did you mean 'context'?)", "unknown key, did you mean");
	EXPECT_ERROR("ccbuild: 1\nproject: shop\nprofiles: {dev: {}}\nimagse: {}\n",
		     "4:1: unknown key 'imagse' in the manifest (did you mean 'images'?)", "top-level typo");
	EXPECT_ERROR("ccbuild: 2\nproject: shop\nprofiles: {dev: {}}\n", "1:10: ccbuild: unsupported grammar version",
		     "grammar version checked");
	EXPECT_ERROR("ccbuild: 1\nprofiles: {dev: {}}\n", "missing 'project:'", "project required");
	EXPECT_ERROR("ccbuild: 1\nproject: shop\n", "missing 'profiles:'", "profiles required");
	EXPECT_ERROR("ccbuild: 1\nproject: Shop\nprofiles: {dev: {}}\n", "project 'Shop' must be lowercase",
		     "project name checked");
	EXPECT_ERROR("ccbuild: 1\nproject: shop\nprofiles: {dev: {push: maybe}}\n",
		     "profiles.dev.push must be true or false", "bool checked");
	EXPECT_ERROR("ccbuild: 1\nproject: shop\nprofiles: {dev: {}}\nimages: {web: {platforms: {a: b}}}\n",
		     "images.web.platforms must be a list, not mapping", "type error names the field");
	EXPECT_ERROR("ccbuild: 1\nproject: shop\nprofiles: {dev: {}}\nimages: {web: {platforms: [amd64]}}\n",
		     "'amd64' is not os/arch", "platform form checked");
	EXPECT_ERROR("ccbuild: 1\nproject: shop\nprofiles: {prod: {scans: [trivy]}}\n",
		     "profile 'prod' names scan 'trivy', which scans: does not define", "scan references checked");
	EXPECT_ERROR("ccbuild: 1\nproject: shop\nprofiles: {dev: {}}\nscans: {p: {rules: {non_rot: error}}}\n",
		     "unknown rule 'non_rot' in scans.p.rules (did you mean 'non_root'?)", "rule names checked");
	EXPECT_ERROR("ccbuild: 1\nproject: shop\nprofiles: {dev: {}}\nscans: {p: {rules: {max_size: big}}}\n",
		     "'big' is not a size like 500MB", "sizes checked");
	EXPECT_ERROR("ccbuild: 1\nproject: shop\nprofiles: {dev: {}}\nscans: {p: {rules: {max_size: 9999999999GiB}}}\n",
		     "'9999999999GiB' is not a size below 8 EiB", "a size that overflows is an error");
	EXPECT_ERROR("ccbuild: 1\nproject: shop\nprofiles: {dev: {}}\nretention: {max_age: 213503982334602d}\n",
		     "4:22: retention.max_age: '213503982334602d' is too long", "a max_age that wraps is an error");
	EXPECT_ERROR("ccbuild: 1\nproject: shop\nprofiles: {dev: {}}\nretention: {keep: 99999999999999999999}\n",
		     "retention.keep must be a number of images", "a keep past 64 bits is an error, not clamped");
	EXPECT_ERROR("ccbuild: 1\nproject: shop\nprofiles: {dev: {}}\nretention:\n  keep_tags: [\"/z++++++++++/\"]\n",
		     "retention.keep_tags: /z++++++++++/: regexp z++++++++++: invalid nested repetition operator",
		     "a keep_tags regexp Go rejects is an error");
	EXPECT_ERROR("ccbuild: 1\nproject: shop\nprofiles:\n  dev: {compse: []}\n  prod: {push: 1}\n",
		     "prod.push must be true or false", "every error reported, not just the first");
	EXPECT_ERROR("ccbuild: 1\nproject: [shop\n", "flow sequence at line 2, column 10",
		     "YAML syntax error names where the construct started");
}

/* no_cache, pull and ulimits; a profile's ulimits merge name by name. */
static void test_build_options(void)
{
	struct manifest *m = NULL;
	char *errs = load("ccbuild: 1\nproject: shop\nimages:\n  web:\n    no_cache: true\n    pull: yes\n"
			  "    ulimits: {nofile: {soft: 1024, hard: 2048}, core: 0, memlock: -1}\n"
			  "profiles:\n  dev:\n    images: {web: {pull: false, ulimits: {core: 7}}}\n",
			  &m);
	const struct image_spec *web = m ? manifest_image(m, "web") : NULL;
	struct image_spec merged = { 0 };

	is_str(errs, "", "build options load");
	ok(web && web->no_cache && web->pull && (web->set & IMG_ULIMITS), "no_cache, pull, ulimits read");
	ok(web && !strcmp(kvlist_get(&web->ulimits, "nofile"), "1024:2048") &&
		   !strcmp(kvlist_get(&web->ulimits, "core"), "0:0") &&
		   !strcmp(kvlist_get(&web->ulimits, "memlock"), "-1:-1"),
	   "ulimits as SOFT:HARD, a single number for both");
	if (web && m->nprofiles && manifest_profile(m, "dev")->nimages) {
		image_spec_overlay(&merged, web, 1);
		image_spec_overlay(&merged, &manifest_profile(m, "dev")->images[0], 0);
	}
	ok(merged.no_cache && !merged.pull, "a profile overrides pull, keeps no_cache");
	ok(merged.ulimits.n == 3 && !strcmp(kvlist_get(&merged.ulimits, "core"), "7:7") &&
		   !strcmp(kvlist_get(&merged.ulimits, "nofile"), "1024:2048"),
	   "a profile's ulimits merge name by name");
	image_spec_release(&merged);
	free(errs);
	manifest_free(m);
	EXPECT_ERROR("ccbuild: 1\nproject: shop\nprofiles: {dev: {}}\nimages: {web: {ulimits: {nofile: {soft: 9}}}}\n",
		     "4:34: images.web.ulimits.nofile must be a number (-1: unlimited) or {soft: N, hard: N}",
		     "a ulimit without hard is an error at its position");
	EXPECT_ERROR("ccbuild: 1\nproject: shop\nprofiles: {dev: {}}\nimages: {web: {ulimits: {nofile: {soft: 9, hrd: "
		     "9}}}}\n",
		     "unknown key 'hrd' in images.web.ulimits.nofile (did you mean 'hard'?)", "ulimit keys checked");
	EXPECT_ERROR("ccbuild: 1\nproject: shop\nprofiles: {dev: {}}\nimages: {web: {ulimits: {nofile: {soft: -1, "
		     "hard: 5}}}}\n",
		     "images.web.ulimits.nofile: soft limit -1 is above hard limit 5",
		     "unlimited soft over a hard limit");
	EXPECT_ERROR("ccbuild: 1\nproject: shop\nprofiles: {dev: {}}\nimages: {web: {ulimits: {nofile: -2}}}\n",
		     "images.web.ulimits.nofile must be a number", "below -1 is an error");
	EXPECT_ERROR("ccbuild: 1\nproject: shop\nprofiles: {dev: {}}\nimages: {web: {no_cache: sometimes}}\n",
		     "images.web.no_cache must be true or false", "no_cache is a boolean");
	EXPECT_ERROR("ccbuild: 1\nproject: shop\nprofiles: {dev: {}}\nimages: {web: {ulimits: [nofile]}}\n",
		     "images.web.ulimits must be a mapping", "ulimits is a mapping");
}

int main(void)
{
	test_minimal();
	test_full();
	test_errors();
	test_build_options();
	return done_testing();
}
