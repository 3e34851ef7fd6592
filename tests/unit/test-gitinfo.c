/* gitinfo against repositories made with the git CLI in a temp dir. */
#include "error.h"
#include "gitinfo.h"
#include "tap.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int sh(const char *dir, const char *cmd)
{
	char *full = xasprintf("cd '%s' && (%s) >/dev/null 2>&1", dir, cmd);
	int rc = system(full);

	free(full);
	return rc;
}

static char *sh_out(const char *dir, const char *cmd)
{
	char *full = xasprintf("cd '%s' && %s 2>/dev/null", dir, cmd), buf[256] = "";
	FILE *f = popen(full, "r");

	free(full);
	if (f && fgets(buf, sizeof(buf), f))
		buf[strcspn(buf, "\n")] = 0;
	if (f)
		pclose(f);
	return xstrdup(buf);
}

int main(void)
{
	char tmpl[] = "/tmp/ccbuild-gitinfo-XXXXXX", *dir = mkdtemp(tmpl), *want, *sub;
	struct gitinfo g;
	struct cc_error *err = NULL;

	if (!dir || system("git --version >/dev/null 2>&1") != 0) {
		printf("1..0 # SKIP git CLI needed to set up repositories\n");
		return 0;
	}
	is_int(gitinfo_read(dir, 1, &g, &err), 1, "not a repository: 1");
	sh(dir, "git init -q -b trunk . && git config user.email t@e && git config user.name t");
	is_int(gitinfo_read(dir, 1, &g, &err), 0, "unborn repository reads");
	is_str(g.sha, "", "unborn: no sha");
	is_str(g.branch, "trunk", "unborn: branch from HEAD");
	gitinfo_release(&g);

	sh(dir, "echo a >f && git add f && git commit -q -m one");
	want = sh_out(dir, "git rev-parse HEAD");
	sub = xasprintf("%s/sub", dir);
	sh(dir, "mkdir sub");
	is_int(gitinfo_read(sub, 1, &g, &err), 0, "reads from a subdirectory");
	is_str(g.sha, want, "sha is HEAD");
	ok(strlen(g.shortsha) == 7 && !strncmp(g.shortsha, want, 7), "short sha");
	is_str(g.branch, "trunk", "branch");
	is_int(g.dirty, 0, "clean");
	is_str(g.describe, g.shortsha, "describe falls back to the short sha");
	gitinfo_release(&g);

	sh(dir, "git tag v1.2.3 && echo b >f && touch untracked");
	is_int(gitinfo_read(dir, 1, &g, &err), 0, "dirty repository reads");
	is_int(g.dirty, 1, "modified tracked file is dirty");
	is_str(g.describe, "v1.2.3-dirty", "describe with tag and dirty suffix");
	gitinfo_release(&g);

	sh(dir,
	   "git checkout -q f && git remote add origin https://example.invalid/shop.git && git checkout -q --detach");
	is_int(gitinfo_read(dir, 1, &g, &err), 0, "detached repository reads");
	is_int(g.dirty, 0, "untracked files do not make it dirty");
	is_str(g.branch, "HEAD", "detached HEAD");
	is_str(g.remote, "https://example.invalid/shop.git", "origin URL");
	gitinfo_release(&g);

	free(sub);
	sub = xasprintf("rm -rf '%s'", dir);
	sh("/tmp", sub);
	free(want);
	free(sub);
	cc_error_free(err);
	return done_testing();
}
