/* engine-archive: volumes, helper containers and archive streams
 * (engine-archive.h). */
#include "engine-archive.h"
#include "engine-internal.h"
#include "error.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static size_t sink(char *data, size_t size, size_t n, void *ctx)
{
	struct strbuf *sb = ctx;

	if (sb->len < 65536)
		strbuf_add(sb, data, size * n);
	return size * n;
}

/* POST /images/create?fromSrc=- with an empty tar: an image with no files,
 * enough for a container that is created but never started. */
int engine_helper_image(struct engine *e, struct cc_error **err)
{
	static const char empty_tar[1024];
	char errbuf[CURL_ERROR_SIZE];
	struct strbuf resp = STRBUF_INIT;
	struct curl_slist *hdr = NULL;
	json_t *info = NULL;
	long status = 0;
	int rc = engine_image_inspect(e, ENGINE_HELPER_IMAGE, &info, err);
	CURL *c;
	CURLcode code;

	json_decref(info);
	if (rc != 0)
		return rc < 0 ? -1 : 0;
	if (!(c = engine_curl(e, "POST", "/images/create?fromSrc=-&repo=ccbuild-backup-helper&tag=1", errbuf, &rc,
			      err)))
		return -1;
	hdr = curl_slist_append(hdr, "Content-Type: application/x-tar");
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, empty_tar);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)sizeof(empty_tar));
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &resp);
	code = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	rc = code != CURLE_OK ? engine_curl_error(e, code, errbuf, err)
	     : status != 200  ? cc_error_set(err, "engine: %ld: importing %s: %.*s", status, ENGINE_HELPER_IMAGE,
					     (int)strcspn(resp.buf ? resp.buf : "", "\n"), resp.buf ? resp.buf : "")
			      : 0;
	curl_slist_free_all(hdr);
	curl_easy_cleanup(c);
	strbuf_release(&resp);
	return rc < 0 ? -1 : 0;
}

int engine_helper_create(struct engine *e, const char *volume, const char *dest, char **id, struct cc_error **err)
{
	cleanup_free char *bind = xasprintf("%s:%s", volume, dest);
	json_t *req = json_pack("{s:s, s:[s], s:{s:s}, s:{s:[s]}}", "Image", ENGINE_HELPER_IMAGE, "Cmd",
				"/ccbuild-never-started", "Labels", "ccbuild.backup.helper", "1", "HostConfig", "Binds",
				bind);
	json_t *body = NULL;
	int status = engine_request(e, "POST", "/containers/create", req, &body, err);
	const char *got = json_string_value(json_object_get(body, "Id"));

	json_decref(req);
	*id = NULL;
	if (status == 201 && got)
		*id = xstrdup(got);
	else if (status >= 0)
		engine_status_error(status, body, err);
	json_decref(body);
	return *id ? 0 : cc_error_wrap(err, "creating a helper container for volume %s", volume);
}

int engine_helper_remove(struct engine *e, const char *id, struct cc_error **err)
{
	cleanup_free char *path = xasprintf("/containers/%s?force=1", id);
	json_t *body = NULL;
	int status = engine_request(e, "DELETE", path, NULL, &body, err);

	if (status == 204 || status == 404)
		status = 0;
	else if (status > 0)
		status = engine_status_error(status, body, err);
	json_decref(body);
	return status;
}

struct stream {
	CURL *c;
	int fd, failed;
	long status;
	struct strbuf error; /* the body of an HTTP error */
	const atomic_int *cancel;
};

static size_t to_fd(char *data, size_t size, size_t n, void *ctx)
{
	struct stream *s = ctx;
	size_t len = size * n, off = 0;
	ssize_t w;

	if (!s->status)
		curl_easy_getinfo(s->c, CURLINFO_RESPONSE_CODE, &s->status);
	if (s->status != 200)
		return sink(data, size, n, &s->error);
	if (cancel_pending(s->cancel))
		return 0;
	while (off < len) {
		w = write(s->fd, data + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			s->failed = errno ? errno : EIO;
			return 0;
		}
		off += (size_t)w;
	}
	return len;
}

static size_t from_fd(char *buf, size_t size, size_t n, void *ctx)
{
	struct stream *s = ctx;
	ssize_t r;

	if (cancel_pending(s->cancel))
		return CURL_READFUNC_ABORT;
	do
		r = read(s->fd, buf, size * n);
	while (r < 0 && errno == EINTR);
	if (r < 0) {
		s->failed = errno;
		return CURL_READFUNC_ABORT;
	}
	return (size_t)r;
}

static int archive_call(struct engine *e, const char *method, const char *id, const char *path, int fd,
			const atomic_int *cancel, struct cc_error **err)
{
	cleanup_free char *esc = engine_escape(path), *url = xasprintf("/containers/%s/archive?path=%s", id, esc);
	struct stream s = { .fd = fd, .error = STRBUF_INIT, .cancel = cancel };
	struct curl_slist *hdr = NULL;
	char errbuf[CURL_ERROR_SIZE];
	CURLcode code;
	int rc;

	if (!(s.c = engine_curl(e, method, url, errbuf, &rc, err)))
		return -1;
	if (!strcmp(method, "PUT")) {
		hdr = curl_slist_append(hdr, "Content-Type: application/x-tar");
		curl_easy_setopt(s.c, CURLOPT_HTTPHEADER, hdr);
		curl_easy_setopt(s.c, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(s.c, CURLOPT_READFUNCTION, from_fd);
		curl_easy_setopt(s.c, CURLOPT_READDATA, &s);
		curl_easy_setopt(s.c, CURLOPT_WRITEFUNCTION, sink);
		curl_easy_setopt(s.c, CURLOPT_WRITEDATA, &s.error);
	} else {
		curl_easy_setopt(s.c, CURLOPT_WRITEFUNCTION, to_fd);
		curl_easy_setopt(s.c, CURLOPT_WRITEDATA, &s);
	}
	code = curl_easy_perform(s.c);
	curl_easy_getinfo(s.c, CURLINFO_RESPONSE_CODE, &s.status);
	if (cancel_pending(cancel))
		rc = cc_error_set(err, "interrupted");
	else if (s.failed)
		rc = cc_error_set(err, "archive stream: %s", strerror(s.failed));
	else if (code != CURLE_OK)
		rc = engine_curl_error(e, code, errbuf, err);
	else if (s.status != 200)
		rc = cc_error_set(err, "engine: %ld: %.*s", s.status,
				  (int)strcspn(s.error.buf ? s.error.buf : "", "\n"), s.error.buf ? s.error.buf : "");
	else
		rc = 0;
	curl_slist_free_all(hdr);
	curl_easy_cleanup(s.c);
	strbuf_release(&s.error);
	return rc < 0 ? -1 : 0;
}

int engine_archive_get(struct engine *e, const char *id, const char *path, int fd, const atomic_int *cancel,
		       struct cc_error **err)
{
	return archive_call(e, "GET", id, path, fd, cancel, err);
}

int engine_archive_put(struct engine *e, const char *id, const char *path, int fd, const atomic_int *cancel,
		       struct cc_error **err)
{
	return archive_call(e, "PUT", id, path, fd, cancel, err);
}

struct engine_archive_job {
	struct engine *e;
	char *id, *path;
	int fd, put, rc;
	const atomic_int *cancel;
	struct cc_error *err;
	pthread_t thread;
};

static void *job_thread(void *p)
{
	struct engine_archive_job *j = p;

	j->rc = archive_call(j->e, j->put ? "PUT" : "GET", j->id, j->path, j->fd, j->cancel, &j->err);
	close(j->fd); /* the other end sees EOF (GET) or EPIPE (PUT) */
	return NULL;
}

int engine_archive_start(struct engine *e, const char *id, const char *path, int put, const atomic_int *cancel,
			 struct engine_archive_job **out, int *fd, struct cc_error **err)
{
	struct engine_archive_job *j;
	int p[2];

	if (pipe2(p, O_CLOEXEC) < 0)
		return cc_error_set(err, "pipe: %s", strerror(errno));
	j = xcalloc(1, sizeof(*j));
	j->e = e;
	j->id = xstrdup(id);
	j->path = xstrdup(path);
	j->fd = put ? p[0] : p[1];
	j->put = put;
	j->cancel = cancel;
	*fd = put ? p[1] : p[0];
	if (pthread_create(&j->thread, NULL, job_thread, j)) {
		close(p[0]);
		close(p[1]);
		free(j->id);
		free(j->path);
		free(j);
		return cc_error_set(err, "cannot start a thread");
	}
	*out = j;
	return 0;
}

int engine_archive_finish(struct engine_archive_job *j, int rc, struct cc_error *mine, struct cc_error **err)
{
	pthread_join(j->thread, NULL);
	if (j->rc < 0) {
		cc_error_free(mine);
		mine = j->err;
		rc = -1;
	} else if (rc >= 0) {
		cc_error_free(mine);
		mine = NULL;
	}
	if (err && rc < 0)
		*err = mine;
	else
		cc_error_free(mine);
	free(j->id);
	free(j->path);
	free(j);
	return rc < 0 ? -1 : 0;
}
