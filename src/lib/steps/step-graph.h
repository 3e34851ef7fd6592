/* step-graph: a profile's project with its step graph.  The model
 * (project.h) resolves images; the kinds of step (step.h) and how they
 * depend on each other are known here, above it. */
#ifndef CC_STEP_GRAPH_H
#define CC_STEP_GRAPH_H

#include "project.h"

struct cc_error;
struct strlist;
struct cc_warnings;
struct manifest;

/* Add to p->graph (empty) the steps of p's images, scans and pushes and
 * order it (graph_finish); every problem found is reported: a base not
 * built for a platform, depends_on naming no image, a scan naming an
 * image the profile does not build, a cycle. */
int step_graph_build(struct project *p, struct cc_error **err);
/* project_resolve, then step_graph_build: profile `name` of m ready to
 * plan or run (*out owned by the caller, project_free). */
int project_load(const struct manifest *m, const char *name, struct project **out, struct cc_warnings *warnings,
		 struct cc_error **err);

/* project_load with up:SERVICE steps whether the profile deploys or not:
 * for services (NULL or empty: every service of the compose model) and,
 * transitively, what they depend on. */
int project_load_deploy(const struct manifest *m, const char *name, const struct strlist *services,
			struct project **out, struct cc_warnings *warnings, struct cc_error **err);

#endif
