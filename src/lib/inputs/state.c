/* state: the .ccbuild/ state directory.
 *
 * Layout (version 1):
 *   DIR/lock                 flock(2) target; holds the holder's pid
 *   DIR/steps/ID.json        one step record, ID escaped (below)
 *   DIR/files/ID.HASH.files  per-file manifest of step ID's run with input HASH
 *   DIR/statcache/KEY        stat cache (statcache.c) per context and
 *                            Dockerfile: KEY = first 32 hex digits of
 *                            sha256(abs context NUL abs Dockerfile)
 *
 * Step record, JSON:
 *   {"version": 1, "step": "build:web", "input": "<64 hex>",
 *    "output": "sha256:...", "tags": ["web:dev"], "time": 1700000000,
 *    "files": "files/build%3Aweb.<64 hex>.files",
 *    "inputs": {...}}
 * "files" and "inputs" may be absent; "inputs" is the step kind's own
 * object (for a build: Dockerfile text, target, args, labels, platform,
 * base identities) kept so `why` can name what changed.  A record with another version, a different step
 * id or a malformed field is ignored with a warning (a rebuild).
 *
 * Manifest (.files), version 1:
 *   "ccbuild-files 1 COUNT\n"
 *   COUNT times: 64 hex digits of the file hash, ' ', the path, NUL
 *   64 hex digits of the SHA-256 of everything before them, '\n'
 * Manifests are named by input hash, so a record never points at a
 * manifest of another run; the previous one is removed after the new
 * record is in place.
 *
 * Step ids are escaped for file names: bytes outside [A-Za-z0-9._-] become
 * %XX.  All writes go through atomicfile (temp + fsync + rename + fsync of
 * the directory). */
#include "state.h"
#include "atomicfile.h"
#include "error.h"
#include "hash.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define RECORD_VERSION 1

struct state_lock {
	int fd;
};

static int mkdir_one(const char *path, struct cc_error **err)
{
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		return cc_error_set(err, "%s: %s", path, strerror(errno));
	return 0;
}

int state_init(const char *dir, struct cc_error **err)
{
	static const char *const sub[] = { "steps", "files", "statcache" };
	size_t i;

	if (mkdir_one(dir, err) < 0)
		return -1;
	for (i = 0; i < sizeof(sub) / sizeof(sub[0]); i++) {
		cleanup_free char *p = path_join(dir, sub[i]);

		if (mkdir_one(p, err) < 0)
			return -1;
	}
	return 0;
}

static long read_pid(int fd)
{
	char buf[32];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	if (n <= 0)
		return 0;
	buf[n] = '\0';
	return strtol(buf, NULL, 10);
}

int state_lock(const char *dir, struct state_lock **out, void (*waiting)(long pid, void *data), void *data,
	       struct cc_error **err)
{
	cleanup_free char *path = path_join(dir, "lock");
	char pid[32];
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644), n;

	if (fd < 0)
		return cc_error_set(err, "%s: %s", path, strerror(errno));
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK) {
			close(fd);
			return cc_error_set(err, "%s: flock: %s", path, strerror(errno));
		}
		if (waiting)
			waiting(read_pid(fd), data);
		while (flock(fd, LOCK_EX) < 0) {
			if (errno != EINTR) {
				close(fd);
				return cc_error_set(err, "%s: flock: %s", path, strerror(errno));
			}
		}
	}
	n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, pid, (size_t)n, 0) != n) {
		/* The pid is only for the waiting message; the lock holds. */
	}
	*out = xmalloc(sizeof(**out));
	(*out)->fd = fd;
	return 0;
}

void state_unlock(struct state_lock *l)
{
	if (!l)
		return;
	if (ftruncate(l->fd, 0) < 0) {
		/* a stale pid only makes the waiting message less exact */
	}
	close(l->fd); /* releases the flock */
	free(l);
}

static char *escape_id(const char *id)
{
	struct strbuf sb = STRBUF_INIT;
	const unsigned char *p;

	for (p = (const unsigned char *)id; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '.' ||
		    *p == '_' || *p == '-')
			strbuf_addch(&sb, *p);
		else
			strbuf_addf(&sb, "%%%02X", *p);
	}
	return strbuf_detach(&sb);
}

static char *record_path(const char *dir, const char *id)
{
	cleanup_free char *esc = escape_id(id);

	return xasprintf("%s/steps/%s.json", dir, esc);
}

void step_record_release(struct step_record *r)
{
	free(r->step);
	free(r->input);
	free(r->output);
	free(r->files);
	json_decref(r->inputs);
	strlist_release(&r->tags);
	memset(r, 0, sizeof(*r));
}

static int is_hex64(const char *s)
{
	size_t i;

	for (i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return s[64] == '\0';
}

/* Fill r from a parsed record; a static reason when malformed. */
static const char *record_from_json(json_t *j, const char *id, struct step_record *r)
{
	json_t *tags = json_object_get(j, "tags"), *v;
	const char *step = json_string_value(json_object_get(j, "step"));
	const char *input = json_string_value(json_object_get(j, "input"));
	const char *output = json_string_value(json_object_get(j, "output"));
	const char *files = json_string_value(json_object_get(j, "files"));
	json_t *time = json_object_get(j, "time");
	size_t i;

	if (json_integer_value(json_object_get(j, "version")) != RECORD_VERSION)
		return "unknown version";
	if (!step || strcmp(step, id))
		return "record of another step";
	if (!input || !is_hex64(input) || !output || !json_is_integer(time))
		return "malformed record";
	if (tags && !json_is_array(tags))
		return "malformed tags";
	if (files && (strstr(files, "..") || files[0] == '/'))
		return "bad manifest path";
	r->step = xstrdup(step);
	r->input = xstrdup(input);
	r->output = xstrdup(output);
	r->time = json_integer_value(time);
	r->files = files ? xstrdup(files) : NULL;
	r->inputs = json_is_object(json_object_get(j, "inputs")) ? json_incref(json_object_get(j, "inputs")) : NULL;
	json_array_foreach(tags, i, v) if (json_is_string(v)) strlist_push(&r->tags, json_string_value(v));
	return NULL;
}

int state_load_step(const char *dir, const char *step_id, struct step_record *out, char **warning)
{
	cleanup_free char *path = record_path(dir, step_id);
	json_error_t jerr;
	json_t *j;
	const char *why;

	*warning = NULL;
	memset(out, 0, sizeof(*out));
	if (access(path, F_OK) < 0 && errno == ENOENT)
		return 0;
	j = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	if (!j) {
		*warning = xasprintf("%s: unreadable state (%s), rebuilding", path, jerr.text);
		return 0;
	}
	why = json_is_object(j) ? record_from_json(j, step_id, out) : "not an object";
	json_decref(j);
	if (why) {
		*warning = xasprintf("%s: %s, rebuilding", path, why);
		step_record_release(out);
		return 0;
	}
	return 1;
}

static int save_files(const char *dir, const char *rel, const struct hash_manifest *m, struct cc_error **err)
{
	cleanup_free char *path = path_join(dir, rel);
	struct strbuf sb = STRBUF_INIT;
	char hex[65];
	size_t i;
	int rc;

	strbuf_addf(&sb, "ccbuild-files 1 %zu\n", m->n);
	for (i = 0; i < m->n; i++) {
		hash_hex(m->v[i].digest, hex);
		strbuf_addf(&sb, "%s %s", hex, m->v[i].path);
		strbuf_addch(&sb, '\0');
	}
	hash_sha256_hex(sb.buf, sb.len, hex);
	strbuf_addf(&sb, "%s\n", hex);
	rc = atomicfile_write(path, sb.buf, sb.len, err);
	strbuf_release(&sb);
	return rc;
}

static json_t *record_to_json(const struct step_record *r)
{
	json_t *j = json_object(), *tags = json_array();
	size_t i;

	for (i = 0; i < r->tags.n; i++)
		json_array_append_new(tags, json_string(r->tags.v[i]));
	json_object_set_new(j, "version", json_integer(RECORD_VERSION));
	json_object_set_new(j, "step", json_string(r->step));
	json_object_set_new(j, "input", json_string(r->input));
	json_object_set_new(j, "output", json_string(r->output ? r->output : ""));
	json_object_set_new(j, "tags", tags);
	json_object_set_new(j, "time", json_integer(r->time));
	if (r->files)
		json_object_set_new(j, "files", json_string(r->files));
	if (r->inputs)
		json_object_set(j, "inputs", r->inputs);
	return j;
}

/* The manifest named by the record being replaced, or NULL; caller frees. */
static char *old_files(const char *dir, const char *id)
{
	struct step_record old;
	cleanup_free char *warning = NULL;
	char *files = NULL;

	if (state_load_step(dir, id, &old, &warning) == 1 && old.files)
		files = xstrdup(old.files);
	step_record_release(&old);
	return files;
}

int state_save_step(const char *dir, struct step_record *r, const struct hash_manifest *files, struct cc_error **err)
{
	cleanup_free char *path = record_path(dir, r->step), *text = NULL, *prev = NULL;
	cleanup_free char *prev_path = NULL;
	json_t *j;

	if (!r->input || !is_hex64(r->input))
		return cc_error_set(err, "state: step %s: input hash is not 64 hex digits", r->step);
	free(r->files);
	if (files) {
		cleanup_free char *esc = escape_id(r->step);

		r->files = xasprintf("files/%s.%s.files", esc, r->input);
	} else
		r->files = NULL;
	if (files && save_files(dir, r->files, files, err) < 0)
		return cc_error_wrap(err, "saving state of %s", r->step);
	j = record_to_json(r);
	text = json_dumps(j, JSON_INDENT(1) | JSON_SORT_KEYS);
	json_decref(j);
	if (!text)
		die_oom(); /* a record of strings and numbers: only memory fails */
	prev = old_files(dir, r->step);
	if (atomicfile_write(path, text, strlen(text), err) < 0)
		return cc_error_wrap(err, "saving state of %s", r->step);
	/* Only now is the old manifest unreferenced. */
	if (prev && (!r->files || strcmp(prev, r->files))) {
		prev_path = path_join(dir, prev);
		unlink(prev_path);
	}
	return 0;
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Parse a verified manifest body into out; a static reason on failure. */
static const char *parse_files(const char *p, const char *end, struct hash_manifest *out)
{
	unsigned long long count;
	char *e;
	size_t i, k;

	if (strncmp(p, "ccbuild-files 1 ", 16))
		return "not a version 1 manifest";
	count = strtoull(p + 16, &e, 10);
	if (*e != '\n' || count > (unsigned long long)(end - p))
		return "bad header";
	p = e + 1;
	out->v = xcalloc(count ? count : 1, sizeof(*out->v));
	for (i = 0; i < count; i++) {
		const char *nul;

		if (end - p < 66 || p[64] != ' ' || !(nul = memchr(p + 65, '\0', (size_t)(end - p - 65))))
			return "truncated entry";
		for (k = 0; k < 32; k++) {
			int hi = hexval(p[2 * k]), lo = hexval(p[2 * k + 1]);

			if (hi < 0 || lo < 0)
				return "bad digest";
			out->v[i].digest[k] = (unsigned char)(hi << 4 | lo);
		}
		out->v[i].path = arena_strndup(&out->arena, p + 65, (size_t)(nul - p - 65));
		out->n++;
		p = nul + 1;
	}
	return p == end ? NULL : "trailing garbage";
}

int state_load_files(const char *dir, const struct step_record *r, struct hash_manifest *out, char **warning)
{
	cleanup_free char *path = NULL, *text = NULL;
	char hex[65];
	const char *why = NULL;
	size_t len;

	*warning = NULL;
	memset(out, 0, sizeof(*out));
	if (!r->files)
		return 0;
	path = path_join(dir, r->files);
	if (read_file(path, &text, &len, NULL) < 0) {
		*warning = xasprintf("%s: unreadable manifest", path);
		return 0;
	}
	if (len < 65 || text[len - 1] != '\n')
		why = "truncated";
	if (!why) {
		hash_sha256_hex(text, len - 65, hex);
		if (memcmp(hex, text + len - 65, 64))
			why = "checksum mismatch";
	}
	if (!why)
		why = parse_files(text, text + len - 65, out);
	if (why) {
		*warning = xasprintf("%s: %s", path, why);
		hash_manifest_release(out);
		return 0;
	}
	return 1;
}

char *state_statcache_path(const char *dir, const char *context, const char *dockerfile)
{
	cleanup_free char *abs = realpath(context, NULL), *dabs = NULL, *key = NULL;
	char hex[65];

	/* Keyed by Dockerfile too: two Dockerfiles of one context may have
	 * different ignore files, and one shared cache would then be
	 * rewritten with each walk's files in turn. */
	if (dockerfile && !(dabs = realpath(dockerfile, NULL)))
		dabs = path_clean(dockerfile);
	key = xasprintf("%s%c%s", abs ? abs : context, 0, dabs ? dabs : "");
	hash_sha256_hex(key, strlen(key) + 1 + strlen(key + strlen(key) + 1), hex);
	return xasprintf("%s/statcache/%.32s", dir, hex);
}
