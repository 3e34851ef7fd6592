/* fuzz-ynode: YAML parsing (anchors, aliases, merge keys) and the
 * PyYAML-style emitter.  What the emitter writes must parse again (an
 * emitter error is allowed: `config` reports it). */
#include "error.h"
#include "harness.h"
#include "util.h"
#include "ynode.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cc_error *err = NULL;
	struct ynode *n = NULL, *copy, *again = NULL;
	char *text;

	if (ynode_parse_buffer("fuzz.yml", (const char *)data, size, &n, &err) < 0) {
		cc_error_free(err);
		return 0;
	}
	copy = ynode_clone(n);
	if (copy->kind == YNODE_MAP)
		ynode_map_sort(copy, 1);
	text = ynode_emit_string(copy);
	if (text && ynode_parse_buffer("emitted.yml", text, strlen(text), &again, &err) < 0) {
		fprintf(stderr, "emitted YAML does not parse: %s\n---\n%s---\n", err->msg, text);
		abort();
	}
	free(text);
	ynode_free(again);
	ynode_free(copy);
	ynode_free(n);
	return 0;
}
