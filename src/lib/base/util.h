/* util: allocation that dies only on out-of-memory, growable strings,
 * cleanup attributes, small string and path helpers. */
#ifndef CC_UTIL_H
#define CC_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

struct cc_error;

/* Allocators: abort with a message on out-of-memory, never return NULL. */
/* "ccbuild: out of memory" and abort: for a library that returned NULL
 * where only memory can be short (curl_easy_init, EVP_MD_CTX_new). */
_Noreturn void die_oom(void);
void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *fmt, va_list ap);

/* Grow array *p (element size `size`) so that it holds at least `need`
 * elements; *cap is updated. */
void xgrow(void *pp, size_t *cap, size_t need, size_t size);
#define VEC_PUSH(arr, len, cap, val)                                                                                   \
	do {                                                                                                           \
		xgrow(&(arr), &(cap), (len) + 1, sizeof(*(arr)));                                                      \
		(arr)[(len)++] = (val);                                                                                \
	} while (0)

/* Cleanup attributes (gnu11): free/close/fclose on scope exit.  Hand a
 * result out by stealing: `out = p; p = NULL;`. */
void cleanup_freep(void *p);
void cleanup_fclosep(FILE **f);
void cleanup_closep(int *fd);
#define cleanup_free __attribute__((cleanup(cleanup_freep)))
#define cleanup_file __attribute__((cleanup(cleanup_fclosep)))
#define cleanup_close __attribute__((cleanup(cleanup_closep)))

/* A growable NUL-terminated string.  Init with STRBUF_INIT; owns buf. */
struct strbuf {
	char *buf;
	size_t len, cap;
};
#define STRBUF_INIT                                                                                                    \
	{                                                                                                              \
		NULL, 0, 0                                                                                             \
	}
void strbuf_add(struct strbuf *sb, const void *data, size_t n);
void strbuf_addstr(struct strbuf *sb, const char *s);
void strbuf_addch(struct strbuf *sb, int c);
void strbuf_addf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Return the buffer ("" when empty) and reset sb; caller frees. */
char *strbuf_detach(struct strbuf *sb);
void strbuf_release(struct strbuf *sb);

/* Read a whole regular file of at most max bytes; *out is NUL-terminated,
 * caller frees.  Opened with O_NONBLOCK: a FIFO, device or directory (also
 * behind a symlink) is an error naming what it is, never a hang or an
 * endless read; so is a file over max bytes. */
int read_file_max(const char *path, size_t max, char **out, size_t *len, struct cc_error **err);
/* read_file_max with READ_FILE_MAX (inputs: compose files, Dockerfiles,
 * ignore, env and state files). */
#define READ_FILE_MAX ((size_t)256 << 20)
int read_file(const char *path, char **out, size_t *len, struct cc_error **err);
/* Write all of data[0..len) to fd, again after EINTR: 0, or -1 with errno
 * set (ENOSPC when write() takes nothing). */
int write_full(int fd, const void *data, size_t len);
/* "dir/rel", or rel itself when absolute or dir is empty/"."; caller frees. */
char *path_join(const char *dir, const char *rel);
/* Directory part of path ("." when none); caller frees. */
char *path_dirname(const char *path);
/* Lexically clean an absolute or relative path ("a/./b/../c" -> "a/c");
 * caller frees. */
char *path_clean(const char *path);

/* Edit distance between a and b (for "did you mean"). */
size_t str_distance(const char *a, const char *b);
/* The candidate nearest to word, or NULL when none is close enough. */
const char *str_nearest(const char *word, const char *const *candidates, size_t n);
int str_has_prefix(const char *s, const char *prefix);
/* 1 when s matches the POSIX extended regular expression re (0 also when
 * re does not compile: the patterns are the program's own).  Compiles re
 * on every call: for the manifest's few checks, never per scalar. */
int str_matches(const char *re, const char *s);
/* The process environment with entry ("NAME=VALUE") in place of any
 * NAME=... it holds (entry NULL: the environment as it is), for execvpe
 * after fork (built before, as the child may not allocate); the array is
 * the caller's to free, its strings (entry too) borrowed. */
char **env_with(const char *entry);

#endif
