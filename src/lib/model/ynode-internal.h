/* ynode-internal: what ynode.c and ynode-parse.c share; not part of the
 * contract (that is ynode.h). */
#ifndef CC_YNODE_INTERNAL_H
#define CC_YNODE_INTERNAL_H

#include "ynode.h"

/* Append key -> val to map, taking ownership of both; the caller knows the
 * key is absent. */
void ynode_map_append_node(struct ynode *map, struct ynode *key, struct ynode *val);
/* Set key -> val, taking ownership of both: a present key keeps its place
 * and gets val (the new key node is freed). */
void ynode_map_put_node(struct ynode *map, struct ynode *key, struct ynode *val);

#endif
