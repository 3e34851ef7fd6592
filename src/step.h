/* step: what a kind of step is.  Each kind (build, and later scan, push,
 * up, sync, backup) is one static table of these functions in its own
 * file (step-build.c, ...); nothing else switches on the kind. */
#ifndef CC_STEP_H
#define CC_STEP_H

struct strbuf;
struct step;

struct step_kind {
	const char *name;  /* "build": the prefix of step ids */
	/* One line saying what the step does ("web  ./web  Dockerfile target=dev"). */
	void (*describe)(const struct step *s, struct strbuf *out);
};

extern const struct step_kind step_kind_build;

#endif
