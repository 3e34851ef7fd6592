/* watch-rules: a compose project's develop.watch entries as Compose v2
 * (2.26) acts on them: a changed path below an entry's path and not
 * matched by its ignore patterns (relative to that path, .dockerignore
 * syntax) triggers the entry's action; `sync` copies it to target (the
 * path below the entry's path appended), `sync+restart` restarts the
 * container after, `rebuild` rebuilds the image and recreates it. */
#ifndef CC_WATCH_RULES_H
#define CC_WATCH_RULES_H

#include <stddef.h>

struct cc_error;
struct compose_project;
struct ignore;

enum watch_action { WATCH_REBUILD, WATCH_SYNC, WATCH_SYNC_RESTART };

struct watch_rule {
	char *service; /* owned */
	char *path;    /* absolute (compose resolved it), owned */
	char *target;  /* container path, NULL for rebuild; owned */
	enum watch_action action;
	struct ignore *ig; /* its ignore patterns, owned (never NULL) */
};

struct watch_rules {
	struct watch_rule *v;
	size_t n, cap;
};

/* Every develop.watch entry of every service of p (NULL: none) appended to
 * out (caller releases); -1 with err naming the service on a bad ignore
 * pattern or a sync entry without a target. */
int watch_rules_load(const struct compose_project *p, struct watch_rules *out, struct cc_error **err);
/* What rule r makes of path (absolute): -1 not below its path, 0 below
 * but ignored by it, 1 triggered. */
int watch_rule_match(const struct watch_rule *r, const char *path);
/* The container path a triggered sync rule copies path to; caller frees. */
char *watch_rule_target(const struct watch_rule *r, const char *path);
/* "rebuild", "sync", "sync+restart". */
const char *watch_action_name(enum watch_action a);
void watch_rules_release(struct watch_rules *rules);

#endif
