/* watch-paths: the pure parts of the watcher (watch.h): tree membership,
 * the sorted set of changed paths, the debounce rule. */
#include "watch.h"
#include "util.h"

#include <string.h>

const char *watch_path_below(const char *root, const char *path)
{
	size_t n = strlen(root);

	while (n > 1 && root[n - 1] == '/')
		n--;
	if (n == 1 && root[0] == '/')
		return path[0] == '/' ? path + 1 : NULL;
	if (strncmp(root, path, n))
		return NULL;
	if (path[n] == '\0')
		return path + n;
	return path[n] == '/' ? path + n + 1 : NULL;
}

void watch_paths_add(struct strlist *l, const char *path)
{
	size_t lo = 0, hi = l->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(l->v[mid], path);

		if (!c)
			return;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	xgrow(&l->v, &l->cap, l->n + 1, sizeof(*l->v));
	memmove(l->v + lo + 1, l->v + lo, (l->n - lo) * sizeof(*l->v));
	l->v[lo] = xstrdup(path);
	l->n++;
}

long watch_debounce_left(long first_ms, long last_ms, long now_ms, long quiet_ms, long max_ms)
{
	long quiet = last_ms + quiet_ms - now_ms;
	long cap = first_ms + max_ms - now_ms;
	long left = quiet < cap ? quiet : cap;

	return left > 0 ? left : 0;
}
