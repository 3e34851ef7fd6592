/* gitinfo: HEAD, branch, describe and dirtiness through libgit2. */
#include "gitinfo.h"
#include "error.h"
#include "util.h"

#include <git2.h>
#include <stdlib.h>
#include <string.h>

static int git_fail(struct cc_error **err, const char *what)
{
	const git_error *e = git_error_last();

	cc_error_set(err, "git: %s: %s", what, e && e->message ? e->message : "unknown error");
	return -1;
}

/* Tracked changes only, like `git describe --dirty`. */
static int repo_dirty(git_repository *repo, int *dirty)
{
	git_status_options o;
	git_status_list *list;

	git_status_options_init(&o, GIT_STATUS_OPTIONS_VERSION);
	o.show = GIT_STATUS_SHOW_INDEX_AND_WORKDIR;
	o.flags = GIT_STATUS_OPT_EXCLUDE_SUBMODULES;
	if (git_status_list_new(&list, repo, &o) < 0)
		return -1;
	*dirty = git_status_list_entrycount(list) > 0;
	git_status_list_free(list);
	return 0;
}

static char *describe(git_repository *repo, const char *shortsha, int dirty)
{
	git_describe_options o;
	git_describe_format_options f;
	git_describe_result *res = NULL;
	git_object *head = NULL;
	git_buf buf = { 0 };
	char *out;

	git_describe_options_init(&o, GIT_DESCRIBE_OPTIONS_VERSION);
	git_describe_format_options_init(&f, GIT_DESCRIBE_FORMAT_OPTIONS_VERSION);
	o.describe_strategy = GIT_DESCRIBE_TAGS;
	o.show_commit_oid_as_fallback = 1;
	/* Of the commit, not the work tree: dirtiness was found once already
	 * (a work tree status costs as much as `git status`). */
	if (git_revparse_single(&head, repo, "HEAD") < 0 || git_describe_commit(&res, head, &o) < 0 ||
	    git_describe_format(&buf, res, &f) < 0) {
		git_describe_result_free(res);
		git_object_free(head);
		return xasprintf("%s%s", shortsha, dirty ? "-dirty" : "");
	}
	git_object_free(head);
	out = xasprintf("%s%s", buf.ptr, dirty ? "-dirty" : "");
	git_buf_dispose(&buf);
	git_describe_result_free(res);
	return out;
}

static void read_head(git_repository *repo, struct gitinfo *g)
{
	git_reference *head = NULL;
	git_oid oid;
	char hex[GIT_OID_HEXSZ + 1] = "";

	if (git_reference_name_to_id(&oid, repo, "HEAD") == 0)
		git_oid_tostr(hex, sizeof(hex), &oid);
	g->sha = xstrdup(hex);
	g->shortsha = xstrndup(hex, 7);
	if (git_repository_head_detached(repo) == 1) {
		g->branch = xstrdup("HEAD");
	} else if (git_repository_head(&head, repo) == 0) {
		g->branch = xstrdup(git_reference_shorthand(head));
	} else {
		/* Unborn branch: HEAD names it even without a commit. */
		git_reference *sym = NULL;

		if (git_reference_lookup(&sym, repo, "HEAD") == 0 && git_reference_symbolic_target(sym))
			g->branch = xstrdup(git_reference_symbolic_target(sym) + strlen("refs/heads/"));
		else
			g->branch = xstrdup("HEAD");
		git_reference_free(sym);
	}
	git_reference_free(head);
}

static void read_remote(git_repository *repo, struct gitinfo *g)
{
	git_remote *r;

	if (git_remote_lookup(&r, repo, "origin") == 0) {
		if (git_remote_url(r))
			g->remote = xstrdup(git_remote_url(r));
		git_remote_free(r);
	}
}

int gitinfo_read(const char *dir, int check_dirty, struct gitinfo *out, struct cc_error **err)
{
	git_repository *repo = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	git_libgit2_init();
	rc = git_repository_open_ext(&repo, dir, 0, NULL);
	if (rc == GIT_ENOTFOUND) {
		git_libgit2_shutdown();
		return 1;
	}
	if (rc < 0) {
		rc = git_fail(err, dir);
		goto done;
	}
	read_head(repo, out);
	out->dirty_checked = check_dirty;
	if (check_dirty && repo_dirty(repo, &out->dirty) < 0) {
		rc = git_fail(err, "status");
		gitinfo_release(out);
		goto done;
	}
	out->describe = *out->sha ? describe(repo, out->shortsha, out->dirty) : xstrdup("");
	read_remote(repo, out);
	rc = 0;
done:
	git_repository_free(repo);
	git_libgit2_shutdown();
	return rc;
}

void gitinfo_release(struct gitinfo *g)
{
	free(g->sha);
	free(g->shortsha);
	free(g->branch);
	free(g->describe);
	free(g->remote);
	memset(g, 0, sizeof(*g));
}
