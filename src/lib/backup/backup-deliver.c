/* backup-deliver: command destinations (backup-deliver.h). */
#include "backup-deliver.h"
#include "backup-snapshot.h"
#include "backup-spec.h"
#include "atomicfile.h"
#include "error.h"
#include "hash.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

char *backup_expand(const char *arg, const char *repo, const struct bk_snapshot *s)
{
	struct strbuf out = STRBUF_INIT;
	char when[32];
	const char *p;

	bk_time_format(s->time, when, sizeof(when));
	for (p = arg; *p; p++) {
		if (str_has_prefix(p, "{repo}"))
			strbuf_addstr(&out, repo), p += 5;
		else if (str_has_prefix(p, "{snapshot}"))
			strbuf_addf(&out, "%s/snapshots/%s/%s.json", repo, s->name, s->id), p += 9;
		else if (str_has_prefix(p, "{id}"))
			strbuf_addstr(&out, s->id), p += 3;
		else if (str_has_prefix(p, "{name}"))
			strbuf_addstr(&out, s->name), p += 5;
		else if (str_has_prefix(p, "{time}"))
			strbuf_addstr(&out, when), p += 5;
		else
			strbuf_addch(&out, *p);
	}
	return strbuf_detach(&out);
}

/* Run argv with stdout and stderr to log, in environment env; its wait
 * status, or -1. */
static int run_logged(char **argv, char **env, const char *log)
{
	int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644), status;
	pid_t pid;

	if (fd < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDONLY);

		dup2(devnull, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		execvpe(argv[0], argv, env);
		dprintf(2, "ccbuild: cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(fd);
	if (pid < 0)
		return -1;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return status;
}

static void deliver_one(const struct backup_dest *d, const char *base, const char *repo, const struct bk_snapshot *s,
			char **env, struct strlist *degraded, struct strlist *notes)
{
	cleanup_free char *record = xasprintf("%s.delivered", base), *log = xasprintf("%s.log", base);
	cleanup_free char *done = NULL, *line = NULL;
	char **argv = xcalloc(d->command.n + 1, sizeof(*argv));
	size_t i, len;
	int status;

	if (read_file_max(record, 64, &done, &len, NULL) == 0 && !strcmp(done, s->id))
		goto out; /* delivered already */
	for (i = 0; i < d->command.n; i++)
		argv[i] = backup_expand(d->command.v[i], repo, s);
	status = run_logged(argv, env, log);
	if (status == -1)
		line = xasprintf("command %s: cannot run: %s", argv[0], strerror(errno));
	else if (!WIFEXITED(status) || WEXITSTATUS(status))
		line = xasprintf("command %s: %s %d (log: %s)", argv[0], WIFEXITED(status) ? "exit" : "signal",
				 WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status), log);
	if (line)
		strlist_push(degraded, line);
	else if (atomicfile_write(record, s->id, strlen(s->id), NULL) == 0) {
		line = xasprintf("command %s: delivered snapshot %s", argv[0], s->id);
		strlist_push(notes, line);
	}
	for (i = 0; i < d->command.n; i++)
		free(argv[i]);
out:
	free(argv);
}

/* STATE/backups/NAME-HASH: where command destination d's records go. */
static char *record_base(const struct backup_spec *b, const char *state_dir, const struct backup_dest *d)
{
	struct strbuf argv = STRBUF_INIT;
	char hex[65];
	size_t k;

	for (k = 0; k < d->command.n; k++)
		strbuf_add(&argv, d->command.v[k], strlen(d->command.v[k]) + 1);
	hash_sha256_hex(argv.buf, argv.len, hex);
	strbuf_release(&argv);
	return xasprintf("%s/backups/%s-%.12s", state_dir, b->name, hex);
}

void backup_deliver(const struct backup_spec *b, const char *state_dir, const char *repo, const struct bk_snapshot *s,
		    const char *traceparent, struct strlist *degraded, struct strlist *notes)
{
	size_t i;
	cleanup_free char *tp = traceparent ? xasprintf("TRACEPARENT=%s", traceparent) : NULL;
	cleanup_free char **env = env_with(tp);

	cleanup_free char *dir = state_dir ? path_join(state_dir, "backups") : NULL;

	if (!s->name || !s->id[0] || !dir)
		return;
	mkdir(state_dir, 0755);
	mkdir(dir, 0755);
	for (i = 0; i < b->ndests; i++) {
		cleanup_free char *base = NULL;

		if (b->dests[i].path)
			continue;
		base = record_base(b, state_dir, &b->dests[i]);
		deliver_one(&b->dests[i], base, repo, s, env, degraded, notes);
	}
}

char *backup_delivered(const struct backup_spec *b, const char *state_dir, const struct backup_dest *d)
{
	cleanup_free char *base = state_dir ? record_base(b, state_dir, d) : NULL, *record = NULL;
	char *done = NULL;
	size_t len;

	if (!base)
		return NULL;
	record = xasprintf("%s.delivered", base);
	if (read_file_max(record, 64, &done, &len, NULL) < 0)
		return NULL;
	return done;
}
