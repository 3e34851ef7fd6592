/* backup-verified: verification records (backup-verified.h).
 *
 * FORMAT: STATE/backups/NAME.verified, a JSON object
 *   {"DESTINATION": {"SNAPSHOT ID": {"time": "2026-12-01T12:00:00Z",
 *                                    "share": 1.0, "problem": "..."}}}
 * one entry per destination and snapshot, the last result only; "problem"
 * is absent when it was intact.  It lives in the state directory, not in
 * the repository: verifying reads a repository without its lock and
 * never writes to it.  Writers take STATE/backups/NAME.verified.lock
 * (flock) around read-modify-write, so two verifications running at once
 * both land; the file is replaced atomically, so readers need no lock. */
#include "backup-verified.h"
#include "atomicfile.h"
#include "backup-snapshot.h"
#include "error.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

static char *log_path(const char *state_dir, const char *name)
{
	return xasprintf("%s/backups/%s.verified", state_dir, name);
}

json_t *bk_verified_load(const char *state_dir, const char *name)
{
	cleanup_free char *path = state_dir ? log_path(state_dir, name) : NULL, *text = NULL;
	json_t *j = NULL;
	size_t len;

	if (path && read_file_max(path, 16u << 20, &text, &len, NULL) == 0)
		j = json_loadb(text, len, 0, NULL);
	if (!json_is_object(j)) {
		json_decref(j);
		j = json_object();
	}
	return j;
}

static json_t *result_json(int64_t when, double share, const char *problem)
{
	char t[32];
	json_t *r;

	bk_time_format(when, t, sizeof(t));
	r = json_pack("{s:s, s:f}", "time", t, "share", share);
	if (r && problem)
		json_object_set_new(r, "problem", json_string(problem));
	if (!r)
		BUG("out of memory");
	return r;
}

int bk_verified_record(const char *state_dir, const char *name, const char *dest, const char *id, int64_t when,
		       double share, const char *problem, struct cc_error **err)
{
	cleanup_free char *dir = path_join(state_dir, "backups"), *path = log_path(state_dir, name);
	cleanup_free char *lock = xasprintf("%s.lock", path), *text = NULL;
	cleanup_close int fd = -1;
	json_t *log, *d;
	int rc;

	if ((mkdir(state_dir, 0755) < 0 && errno != EEXIST) || (mkdir(dir, 0755) < 0 && errno != EEXIST))
		return cc_error_set(err, "%s: %s", dir, strerror(errno));
	if ((fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644)) < 0 || flock(fd, LOCK_EX) < 0)
		return cc_error_set(err, "%s: %s", lock, strerror(errno));
	log = bk_verified_load(state_dir, name);
	if (!json_is_object(d = json_object_get(log, dest))) {
		d = json_object();
		json_object_set_new(log, dest, d);
	}
	json_object_set_new(d, id, result_json(when, share, problem));
	text = json_dumps(log, JSON_INDENT(2) | JSON_SORT_KEYS);
	json_decref(log);
	if (!text)
		BUG("out of memory");
	rc = atomicfile_write(path, text, strlen(text), err);
	return rc; /* the lock goes with fd */
}

int bk_verified_get(const json_t *log, const char *dest, const char *id, struct bk_verified *v)
{
	json_t *r = json_object_get(json_object_get(log, dest), id);
	const char *t = json_string_value(json_object_get(r, "time"));

	memset(v, 0, sizeof(*v));
	if (!r || bk_time_parse(t, &v->time, NULL) < 0)
		return 0;
	v->share = json_number_value(json_object_get(r, "share"));
	v->problem = json_string_value(json_object_get(r, "problem"));
	return 1;
}
