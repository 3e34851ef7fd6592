/* ynode: a YAML document as a tree of nodes that remember where they came
 * from (file, line, column), built with libyaml.
 *
 * Parsing resolves anchors and aliases (an alias becomes a deep copy of its
 * anchor's node) and YAML merge keys (`<<: *a` and `<<: [*a, *b]`: keys
 * written in the mapping win, then earlier merge sources win), so users of
 * the tree never see either.  Emitting writes block-style YAML the way
 * PyYAML's safe_dump does (strings that would read back as another type are
 * single-quoted), which is what `docker-compose config` prints. */
#ifndef CC_YNODE_H
#define CC_YNODE_H

#include <stddef.h>
#include <stdio.h>

struct cc_error;

enum ynode_kind { YNODE_SCALAR, YNODE_MAP, YNODE_SEQ };

struct ypos {
	const char *file; /* borrowed: must outlive the tree */
	int line, col;	  /* 1-based; 0 when synthesised */
};

struct ynode {
	enum ynode_kind kind;
	struct ypos pos;
	char *tag; /* explicit tag ("!reset", "tag:yaml.org,2002:str") or NULL; owned */
	/* YNODE_SCALAR */
	char *str;  /* owned, NUL-terminated */
	int quoted; /* written quoted or as a block scalar: always a string;
			     * 2: to be emitted double-quoted */
	/* YNODE_MAP: keys[i] (scalar nodes) -> vals[i], in document order */
	struct ynode **keys, **vals;
	/* YNODE_SEQ: items */
	struct ynode **items;
	size_t len, cap; /* entries of the map or items of the seq */
	/* YNODE_MAP with many keys: hash of key -> position + 1 (0: free),
	 * kept by the ynode_map_* functions; owned.  Change keys only through
	 * them, or call ynode_map_rekeyed() after editing key strings. */
	size_t *index, index_cap;
};

/* Parse the first document of a file / buffer.  `file` is used in positions
 * and error messages and is borrowed (must outlive the tree).  An empty
 * document yields an empty map.  Errors are "FILE:LINE:COL: message".
 * Limits: 64 MiB of text in a file, 256 levels of nesting, 1,000,000
 * nodes copied for aliases; only the first document is read. */
int ynode_parse_file(const char *file, struct ynode **out, struct cc_error **err);
int ynode_parse_buffer(const char *file, const char *buf, size_t len, struct ynode **out, struct cc_error **err);

/* Constructors; the node is owned by the caller (or by the parent it is
 * added to).  pos may be NULL. */
struct ynode *ynode_new_scalar(const char *str, int quoted, const struct ypos *pos);
struct ynode *ynode_new_map(const struct ypos *pos);
struct ynode *ynode_new_seq(const struct ypos *pos);
/* Deep copy; caller frees. */
struct ynode *ynode_clone(const struct ynode *n);
/* Free n and everything below it; NULL is fine. */
void ynode_free(struct ynode *n);

/* Value of key in a map, or NULL (also when map is NULL or not a map). */
struct ynode *ynode_map_get(const struct ynode *map, const char *key);
/* Index of key in a map, or -1. */
long ynode_map_index(const struct ynode *map, const char *key);
/* Set key to val (takes ownership of val): replaces an existing value in
 * place (freeing the old one) or appends. */
void ynode_map_set(struct ynode *map, const char *key, struct ynode *val);
/* Key strings of map were edited in place: rebuild its key index. */
void ynode_map_rekeyed(struct ynode *map);
/* Remove key (freeing key and value); returns 1 when it was present. */
int ynode_map_remove(struct ynode *map, const char *key);
/* Append item (takes ownership) to a sequence. */
void ynode_seq_push(struct ynode *seq, struct ynode *item);
/* Sort a map's entries by key (byte order, stable), recursively when deep. */
void ynode_map_sort(struct ynode *map, int deep);

/* Scalar type resolution, YAML 1.1 core rules as PyYAML applies them to
 * plain scalars (quoted scalars are always strings). */
int ynode_is_null(const struct ynode *n);		   /* ~, null, Null, NULL, empty plain */
int ynode_is_bool(const struct ynode *n, int *value);	   /* true/false/yes/no/on/off (any case form PyYAML takes) */
int ynode_is_int(const struct ynode *n, long long *value); /* decimal, within long long */
/* Would this text, as a plain scalar, be an int / a float to PyYAML
 * (YAML 1.1: 0b1, 017, 1_000, 0x1F, 1:30; 1.5, .5, 1e+3... , .inf, .nan)? */
int yaml_plain_is_int(const char *s);
int yaml_plain_is_float(const char *s);
/* Would this string, written plain, read back as something other than a
 * string (null, bool, int, float, or not plain-safe)? */
int yaml_plain_is_ambiguous(const char *s);

/* "kind name" for messages: "mapping", "sequence", "string". */
const char *ynode_kind_name(const struct ynode *n);
/* "FILE:LINE:COL" of a node into a static-free caller buffer. */
void ypos_format(const struct ypos *pos, char *buf, size_t size);
/* Set an error "FILE:LINE:COL: message" at node n (n may be NULL). */
int ynode_error(struct cc_error **err, const struct ynode *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Write n as a YAML document (block style, keys in tree order, PyYAML
 * quoting) to f. */
int ynode_emit(const struct ynode *n, FILE *f, struct cc_error **err);
/* Same, into a string; caller frees. */
char *ynode_emit_string(const struct ynode *n);
/* Same, lines folded at width columns (-1: never, as yaml.v3 writes). */
char *ynode_emit_string_width(const struct ynode *n, int width);

#endif
