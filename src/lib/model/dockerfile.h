/* dockerfile: just enough of the Dockerfile language to know what an image
 * is built from: stages, their bases (with global ARG defaults and build
 * args expanded), and COPY --from sources. */
#ifndef CC_DOCKERFILE_H
#define CC_DOCKERFILE_H

#include "lists.h"

#include <stddef.h>

struct cc_error;

struct dockerfile_stage {
	char *name;		  /* "AS name", lowercased, or NULL */
	char *base;		  /* the FROM reference after ARG expansion */
	char *platform;		  /* --platform value (ARG-expanded) or NULL */
	int per_platform;	  /* no --platform, or $TARGETPLATFORM: the base is
			    * looked up for the platform being built */
	int base_is_stage;	  /* base names an earlier stage */
	int line;		  /* line of the FROM instruction */
	struct strlist copy_from; /* COPY/ADD --from= and RUN --mount from= values */
};

/* One place the Dockerfile names an image that is not a stage: a FROM base
 * or a COPY/ADD --from= / RUN --mount from= value. */
struct dockerfile_ref {
	char *word;	    /* the whole word as written ("${BASE}", "--from=web") */
	size_t off, len;    /* where the name stands in word */
	char *ref;	    /* the name, ARG-expanded for FROM */
	int line, end_line; /* the instruction's physical lines */
	int per_platform;   /* looked up for the platform being built (not
				* FROM --platform=$BUILDPLATFORM or a fixed one) */
};

struct dockerfile {
	struct dockerfile_stage *stages;
	size_t nstages, cap;
	struct dockerfile_ref *refs;
	size_t nrefs, refs_cap;
	char escape; /* the escape character ('\\' or '`') */
};

/* Parse the Dockerfile text; `file` names it in errors; args (may be NULL)
 * are the build args, which override global ARG defaults.  An image
 * reference that is not valid (imageref.h) is an error at its line. */
int dockerfile_parse(const char *file, const char *text, const struct kvlist *args, struct dockerfile **out,
		     struct cc_error **err);
/* External references the build needs (FROM bases that are not stages,
 * "scratch" excluded, and COPY --from images), each once, in order; when
 * target is set, only those the target stage reaches.  Appended to out. */
void dockerfile_external_refs(const struct dockerfile *df, const char *target, struct strlist *out);
/* The same, but only those looked up for the platform being built (what a
 * multi-platform build needs of each platform). */
void dockerfile_platform_refs(const struct dockerfile *df, const char *target, struct strlist *out);
/* 1 when a stage with this name exists. */
int dockerfile_has_stage(const struct dockerfile *df, const char *name);
void dockerfile_free(struct dockerfile *df);
/* text (which df was parsed from) with every per-platform image reference
 * whose normalised form (imageref.h: docker.io/library/x:latest) is a key
 * of map replaced by its value, where it stands (line numbers stay as
 * written).  *out is NULL when no reference is in map; caller frees.  An
 * error when a reference to replace cannot be found as written (a word
 * split by the escape character).
 * For a multi-platform build of an image FROM another multi-platform
 * image of the manifest: each platform's build names that platform's
 * local image. */
int dockerfile_retarget(const char *file, const char *text, const struct dockerfile *df, const struct kvlist *map,
			char **out, struct cc_error **err);
/* dockerfile_retarget for every reference that is not a stage (FROM
 * --platform=X too, COPY/ADD --from=, RUN --mount from=): what named
 * contexts need (map: normalised name -> what to name instead).  Line
 * numbers stay as written; a stage of that name defined earlier wins, as
 * it is not a reference.  *out NULL when nothing was replaced. */
int dockerfile_rename(const char *file, const char *text, const struct dockerfile *df, const struct kvlist *map,
		      char **out, struct cc_error **err);

#endif
