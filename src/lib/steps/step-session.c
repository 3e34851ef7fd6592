/* step-session (step-session.h): a build's filesync directories. */
#include "step-session.h"
#include "buildkit-auth.h"
#include "buildkit-filesync.h"
#include "buildkit-secrets.h"
#include "buildkit-ssh.h"
#include "error.h"
#include "hash.h"
#include "project.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A private directory holding only "Dockerfile" with data[0..len). */
static int dockerfile_tmpdir(struct step_session *ss, const char *data, size_t len, struct cc_error **err)
{
	const char *tmp = getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	cleanup_free char *file = NULL;
	cleanup_close int fd = -1;
	size_t off = 0;

	ss->tmpdir = xasprintf("%s/ccbuild-dockerfile-XXXXXX", tmp);
	if (!mkdtemp(ss->tmpdir)) {
		cc_error_set(err, "%s: %s", ss->tmpdir, strerror(errno));
		free(ss->tmpdir);
		ss->tmpdir = NULL;
		return -1;
	}
	file = path_join(ss->tmpdir, "Dockerfile");
	if ((fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644)) < 0)
		return cc_error_set(err, "%s: %s", file, strerror(errno));
	while (off < len) {
		ssize_t n = write(fd, data + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return cc_error_set(err, "%s: %s", file, n < 0 ? strerror(errno) : "short write");
		off += (size_t)n;
	}
	ss->dfname = xstrdup("Dockerfile");
	return 0;
}

/* The session's shared key: BuildKit keeps the last transfer of each local
 * source under (name, key) and skips a file whose stat data it already
 * has, so the key must tell apart every context (and Dockerfile
 * directory): their real absolute paths, as the docker CLI keys them.
 * A relative path ("app") would hand one project's files to another. */
static void shared_key(const char *context, const char *dfdir, char hex[65])
{
	cleanup_free char *c = realpath(context, NULL), *d = dfdir ? realpath(dfdir, NULL) : NULL;
	cleanup_free char *s = xasprintf("%s\n%s", c ? c : context, d ? d : dfdir ? dfdir : "(inline)");

	hash_sha256_hex(s, strlen(s), hex);
}

int step_session_init(struct step_session *ss, const char *context, const struct ctx_list *walk, const char *dockerfile,
		      const char *data, size_t len, struct cc_error **err)
{
	cleanup_free char *dir = NULL, *ignore = NULL;
	const char *names[2], *base;
	char key[65];

	ss->fs = bk_filesync_new();
	bk_filesync_add_walk(ss->fs, "context", context, walk);
	if (data) {
		if (dockerfile_tmpdir(ss, data, len, err) < 0)
			return -1;
		dir = xstrdup(ss->tmpdir);
	} else {
		base = strrchr(dockerfile, '/') ? strrchr(dockerfile, '/') + 1 : dockerfile;
		dir = path_dirname(dockerfile);
		ss->dfname = xstrdup(base);
	}
	ignore = xasprintf("%s.dockerignore", ss->dfname);
	names[0] = ss->dfname;
	names[1] = ignore;
	if (bk_filesync_add_files(ss->fs, "dockerfile", dir, names, 2, err) < 0)
		return -1;
	shared_key(context, data ? NULL : dir, key);
	ss->key = xstrdup(key);
	base = strrchr(context, '/') && strrchr(context, '/')[1] ? strrchr(context, '/') + 1 : context;
	ss->name = xstrdup(base);
	ss->methods[0] = (struct bk_method){ BK_FILESYNC_METHOD, bk_filesync_diffcopy, ss->fs };
	ss->methods[1] = (struct bk_method){ BK_AUTH_CREDENTIALS_METHOD, bk_auth_credentials, NULL };
	ss->methods[2] = (struct bk_method){ BK_AUTH_TOKEN_AUTHORITY_METHOD, bk_auth_token_authority, NULL };
	ss->req = (struct engine_build_session){
		.methods = ss->methods, .nmethods = 3, .name = ss->name, .shared_key = ss->key, .dockerfile = ss->dfname
	};
	return 0;
}

int step_session_serve_secrets(struct step_session *ss, const struct image_secret *v, size_t n, struct cc_error **err)
{
	size_t i;

	if (!n)
		return 0;
	ss->secrets = bk_secrets_new();
	for (i = 0; i < n; i++)
		if (bk_secrets_add(ss->secrets, v[i].id, v[i].from_env ? BK_SECRET_ENV : BK_SECRET_FILE, v[i].source,
				   err) < 0)
			return -1;
	ss->methods[ss->req.nmethods++] = (struct bk_method){ BK_SECRETS_METHOD, bk_secrets_get, ss->secrets };
	return 0;
}

int step_session_serve_ssh(struct step_session *ss, const struct strlist *ssh, struct cc_error **err)
{
	size_t i;

	if (!ssh->n)
		return 0;
	ss->ssh = bk_ssh_new();
	for (i = 0; i < ssh->n; i++)
		if (bk_ssh_add(ss->ssh, ssh->v[i], err) < 0)
			return -1;
	ss->methods[ss->req.nmethods++] = (struct bk_method){ BK_SSH_CHECK_METHOD, bk_ssh_check_agent, ss->ssh };
	ss->methods[ss->req.nmethods++] = (struct bk_method){ BK_SSH_FORWARD_METHOD, bk_ssh_forward_agent, ss->ssh };
	return 0;
}

long long step_session_sent(const struct step_session *ss)
{
	return ss->fs ? (long long)bk_filesync_stats(ss->fs).bytes : 0;
}

void step_session_release(struct step_session *ss)
{
	if (ss->tmpdir) {
		cleanup_free char *file = path_join(ss->tmpdir, "Dockerfile");

		unlink(file);
		rmdir(ss->tmpdir);
	}
	bk_filesync_free(ss->fs);
	bk_secrets_free(ss->secrets);
	bk_ssh_free(ss->ssh);
	free(ss->req.fallback);
	free(ss->name);
	free(ss->key);
	free(ss->dfname);
	free(ss->tmpdir);
	memset(ss, 0, sizeof(*ss));
}
