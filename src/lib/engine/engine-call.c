/* engine-call: the plain request of the container, network and volume
 * calls, whose answer is a success, "there is none" or an error, and the
 * label filter their lists share.  Implements its part of
 * engine-internal.h. */
#include "engine-internal.h"
#include "error.h"
#include "lists.h"
#include "util.h"

#include <stdlib.h>

int engine_call(struct engine *e, const char *method, const char *path, json_t *body, int ok, int ok2, int none,
		json_t **out, struct cc_error **err)
{
	json_t *answer = NULL;
	int status = engine_request(e, method, path, body, &answer, err);

	if (status < 0)
		return status;
	if (status == ok || status == ok2) {
		if (out)
			*out = answer;
		else
			json_decref(answer);
		return 0;
	}
	if (none && status == none)
		status = 1;
	else
		status = engine_status_error(status, answer, err);
	json_decref(answer);
	return status;
}

void engine_error_pass(struct cc_error **err, struct cc_error *local)
{
	struct cc_error **tail = err;

	if (!err) {
		cc_error_free(local);
		return;
	}
	while (*tail)
		tail = &(*tail)->next;
	*tail = local;
}

char *engine_label_query(const struct strlist *labels, char sep)
{
	json_t *filters, *list;
	cleanup_free char *text = NULL, *escaped = NULL;
	size_t i;

	if (!labels || !labels->n)
		return xstrdup("");
	list = json_array();
	for (i = 0; i < labels->n; i++)
		json_array_append_new(list, json_string(labels->v[i]));
	filters = json_pack("{s:o}", "label", list);
	text = json_dumps(filters, JSON_COMPACT);
	json_decref(filters);
	escaped = engine_escape(text);
	return xasprintf("%cfilters=%s", sep, escaped);
}
