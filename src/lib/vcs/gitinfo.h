/* gitinfo: facts about the git work tree a manifest lives in, read with
 * libgit2 (never a `git` subprocess), for tag templates and OCI labels. */
#ifndef CC_GITINFO_H
#define CC_GITINFO_H

struct cc_error;

struct gitinfo {
	char *sha;	   /* full commit id of HEAD, "" when no commit */
	char *shortsha;	   /* first 7 characters */
	char *branch;	   /* "main"; "HEAD" when detached */
	char *describe;	   /* `git describe --tags --always`, "-dirty" appended when dirty */
	char *remote;	   /* origin's URL, or NULL */
	int dirty;	   /* tracked files modified or staged (untracked files do not count) */
	int dirty_checked; /* 0: dirty was not looked for (it is then 0) */
};

/* Read the repository containing dir into *out (caller releases).  With
 * check_dirty the work tree is compared with the index (as `git status`
 * does, and as costly); without it dirty stays 0 and describe has no
 * "-dirty".
 * Returns 1 when dir is not inside a git repository (out zeroed), 0 on
 * success, -1 with err on a libgit2 failure. */
int gitinfo_read(const char *dir, int check_dirty, struct gitinfo *out, struct cc_error **err);
/* Free what gitinfo_read filled; safe on a zeroed struct. */
void gitinfo_release(struct gitinfo *g);

#endif
