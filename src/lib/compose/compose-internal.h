/* compose-internal: what the compose-*.c files share; not part of the contract
 * (that is compose.h).  Each compose-*.c implements its section below.
 *
 * Trees here are "typed": after compose_scalar_canon() every scalar is
 * either a string (quoted == 1, whatever its spelling) or a plain null,
 * bool, int or float in the spelling PyYAML prints (null, true, 42, 0.5),
 * so emitting the tree quotes exactly what docker-compose's dump quotes. */
#ifndef CC_COMPOSE_INTERNAL_H
#define CC_COMPOSE_INTERNAL_H

#include "compose.h"
#include "envfile.h"
#include "lists.h"
#include "warnings.h"
#include "ynode.h"

#include <stdio.h>

struct cc_error;

enum ctype { CT_STR, CT_NULL, CT_BOOL, CT_INT, CT_FLOAT, CT_MAP, CT_SEQ };

struct compose_project {
	char *project_dir, *project_name;
	struct envfile env;   /* interpolation and ${VAR}-less environment lookups */
	char **file_names;    /* absolute; positions point at these */
	struct ynode **files; /* typed, interpolated, one per file */
	size_t nfiles;
	char **ext_names; /* files loaded for extends: only (absolute) */
	struct ynode **ext_files;
	char *ext_failed; /* 1: that file did not load */
	size_t next_files;
	struct ynode *services;	      /* name -> finalised service, sorted by name */
	struct ynode *config;	      /* what `config` prints */
	struct cc_warnings *warnings; /* borrowed (opts), may be NULL */
	struct strlist profiles;      /* active compose profiles ("*": all) */
	struct strlist inactive;      /* services left out: no active profile */
	struct strlist env_read;      /* env files read or looked for, absolute (compose_files_read) */
};

/* --- compose-file.c --- */
/* The top-level sections: { "services", "service" }, ... (name, singular). */
#define COMPOSE_NSECTIONS 5
extern const char *const compose_sections[COMPOSE_NSECTIONS][2];
/* How deep include: may nest. */
#define COMPOSE_INCLUDE_DEPTH 32
/* What a file is read in: the working directory its include: paths
 * resolve from, the environment it is interpolated with (both borrowed),
 * and the files that included it, outermost first (names owned by p). */
struct compose_scope {
	const char *dir;
	const struct envfile *env;
	const char *trail[COMPOSE_INCLUDE_DEPTH];
	size_t depth;
};
/* Parse, type, check and interpolate one file in the project's scope (its
 * include: is left to compose_include_apply); *out (even on error, when
 * parsed) is owned by the caller. */
int compose_file_load(struct compose_project *p, const char *file, struct ynode **out, struct cc_error **err);
/* The same in another scope (an included project's). */
int compose_file_load_in(struct compose_project *p, const char *file, const struct compose_scope *scope,
			 struct ynode **out, struct cc_error **err);
/* Load the file at absolute path in scope and keep it in p (tree and name
 * owned by p, borrowed through root and name). */
int compose_file_load_kept(struct compose_project *p, const char *path, const struct compose_scope *scope,
			   const struct ynode **root, const char **name, struct cc_error **err);
/* The loaded file at absolute path (one of the -f files, or another loaded
 * now and kept): its tree and the name its positions use, both owned by p.
 * A file that cannot be read is an error at `at`. */
int compose_file_get(struct compose_project *p, const char *path, const struct ynode *at, const struct ynode **root,
		     const char **name, struct cc_error **err);
/* Note that the load read (or looked for) the env file at path (inline:
 * compose.c, compose-include.c and compose-service.c all note, and a
 * function in one of them would make them call each other). */
static inline void compose_note_env_read(struct compose_project *p, const char *path)
{
	if (!strlist_has(&p->env_read, path))
		strlist_push(&p->env_read, path);
}
/* Look a variable up in the project environment (borrowed or NULL). */
const char *compose_env_get(const struct compose_project *p, const char *name);

/* --- compose-extends.c --- */
/* Replace *svc (the merged service `name`, owned) by the service it
 * extends merged with it; nothing to do without extends:. */
int compose_resolve_extends(struct compose_project *p, const char *name, struct ynode **svc, struct cc_error **err);
/* The same for a service of `file` (borrowed, owned by p) whose relative
 * paths resolve from dir (an included project's). */
int compose_resolve_extends_in(struct compose_project *p, const char *file, const char *dir, const char *name,
			       struct ynode **svc, struct cc_error **err);

/* --- compose-include.c --- */
/* Apply root's top-level include: (root read in scope): each included
 * project loaded, merged and normalised in its own directory, and its
 * services, volumes, networks, secrets and configs added to root; a name
 * root or an earlier include already defines otherwise is an error. */
int compose_include_apply(struct compose_project *p, struct ynode *root, const struct compose_scope *scope,
			  struct cc_error **err);
/* 1 when two typed trees hold the same data (map order aside). */
int compose_tree_equal(const struct ynode *a, const struct ynode *b);

/* --- compose-scalar.c --- */
/* Type of a node as PyYAML would load it. */
enum ctype ctype_of(const struct ynode *n);
/* Rewrite plain scalars under n into typed form (see above). */
void compose_scalar_canon(struct ynode *n);
/* New string / plain scalar; caller owns. */
struct ynode *cnode_str(const char *s, const struct ypos *pos);
struct ynode *cnode_plain(const char *s, const struct ypos *pos);
struct ynode *cnode_int(long long v, const struct ypos *pos);
/* 1 when n is a string scalar. */
int cnode_is_str(const struct ynode *n);
/* Python's str() of a scalar ("True" for a bool, "None" for null); caller frees. */
char *cnode_pystr(const struct ynode *n);
/* Python's repr() spelling of a double (0.5, 1.0, 1e+20); caller frees. */
char *compose_float_repr(double v);
/* int(s, 0) with compose's leading-zero-octal rule; -1 when not an integer. */
int compose_parse_int(const char *s, long long *out);
/* Go-style duration ("1m30s") to nanoseconds; -1 when invalid. */
int compose_parse_duration(const char *s, long long *ns);
/* Nanoseconds back to compose's shortest form ("90s"); caller frees. */
char *compose_format_duration(long long ns);
/* docker-py parse_bytes ("1g", "512m", "100"); -1 when invalid. */
int compose_parse_bytes(const char *s, long long *out);
/* Apply interpolation.py's ConversionMap to a scalar at path
 * ("service/NAME/ports/published"); -1 with err on a bad value. */
int compose_convert(struct ynode *n, const char *path, struct cc_error **err);

/* --- compose-merge.c --- */
/* merge_service_dicts_from_files(base, override); both borrowed, result owned. */
struct ynode *compose_merge_service(const struct ynode *base, const struct ynode *override, struct cc_error **err);
/* How parse_dict_or_list turns a list item into key and value. */
enum kv_split {
	KV_ENV,	    /* split_env: "K=V", bare "K" -> null; no whitespace in K */
	KV_LABEL,   /* split_kv: "K=V", bare "K" -> "" */
	KV_NAME,    /* networks: "K" -> null */
	KV_DEPENDS, /* depends_on: "K" -> {condition: service_started} */
	KV_HOSTS,   /* extra_hosts: "host:ip", both stripped */
	KV_FLAT,    /* parse_flat_dict: a map only */
	KV_PLAIN,   /* `m or {}`: a map only */
};
/* parse_dict_or_list: a new map from a list or map (null/empty -> {});
 * NULL with err naming `what` on another type. */
struct ynode *compose_kv_map(const struct ynode *n, enum kv_split how, const char *what, struct cc_error **err);
/* Python truthiness of a typed node (null, "", 0, false, empty -> 0). */
int cnode_truthy(const struct ynode *n);

/* to_list(): null -> [], scalar -> [scalar], seq -> copy; caller owns. */
struct ynode *compose_to_list(const struct ynode *n);
/* The container path a volume/device entry is merged by; caller frees. */
char *compose_volume_target(const struct ynode *v);
/* A build: value as a map (a string is {context: it}); caller owns. */
struct ynode *compose_build_dict(const struct ynode *build);
/* compose_merge_service with compose v2's tags on the override's keys:
 * !reset drops the key (the base's too), !override replaces the base's
 * value whole; both borrowed, result owned. */
struct ynode *compose_merge_tagged(const struct ynode *base, const struct ynode *override, struct cc_error **err);
/* The services of files[0..n) merged in order (!reset, !override
 * honoured); caller owns, NULL with err on a merge error. */
struct ynode *compose_merge_files(struct ynode *const *files, size_t nfiles, struct cc_error **err);

/* --- compose-types.c --- */
/* One published port, as compose's ServicePort (strings owned). */
struct cport {
	long long target;
	int has_target;
	char *published;   /* NULL when unset */
	int published_int; /* published prints as an integer */
	char *protocol, *mode, *external_ip;
	struct ypos pos;
};
/* Parse one ports: item (string, number or map) and append to *v. */
int compose_ports_collect(const struct ynode *seq, struct cport **v, size_t *n, struct cc_error **err);
/* Drop later duplicates (target, published, ip, protocol), keeping the
 * first's place with the later's value; the order stays the files' (as
 * compose v2 keeps it; 1.29 sorted by target). */
void compose_ports_dedup(struct cport *v, size_t *n);
/* The port as config prints it: "ip:pub:target/proto" when legacy, else a map. */
struct ynode *compose_port_node(const struct cport *p, int legacy);
void compose_ports_free(struct cport *v, size_t n);
/* ServiceSecret/ServiceConfig repr: a map of the set fields. */
struct ynode *compose_secret_repr(const struct ynode *n);
/* split_path_mapping: "HOST:CONTAINER[:MODE]" or "CONTAINER"; all caller
 * frees, host and mode NULL when absent. */
void compose_volume_split(const char *s, char **host, char **container, char **mode);
/* Strip ASCII whitespace in place; returns s advanced. */
char *compose_strip(char *s);

/* --- compose-service.c --- */
/* process_service: paths relative to dir made absolute, lists and maps
 * normalised (svc modified in place). */
int compose_process_service(const char *dir, struct ynode *svc, struct cc_error **err);
/* process_service + finalize_service + denormalize for one service whose
 * extends: is resolved (owned in, owned out). */
int compose_finalize_service(struct compose_project *p, const char *name, const struct ynode *names, struct ynode **svc,
			     struct cc_error **err);
/* load_mapping's per-entry processing for volumes/networks/secrets/configs. */
int compose_finalize_entity(struct compose_project *p, const char *kind, const char *name, struct ynode *conf,
			    struct cc_error **err);
/* expand_path(): ~ expanded, joined to dir, made absolute and clean; caller frees. */
char *compose_expand_path(const char *dir, const char *path);
/* 1 when a build context is a URL or git remote (compose's is_url). */
int compose_is_url(const char *s);
/* --- compose-check.c --- */
/* compose's schema of one interpolated file (every field's type, unknown keys,
 * enumerations, required keys); every problem appended to err. */
int compose_check_file(const struct ynode *root, struct cc_error **err);
/* Checks of the merged services (image or build, depends_on targets). */
int compose_check_services(const struct ynode *services, struct cc_error **err);

/* --- compose-deps.c --- */
/* compose v2's "dependency cycle detected: a -> b -> a" over the finalised
 * services' depends_on and the dependencies links, volumes_from and
 * network_mode/ipc/pid: service: imply. */
int compose_check_cycles(const struct ynode *services, struct cc_error **err);

/* --- compose-v2.c --- */
/* The config tree in the form Docker Compose v2 prints (caller frees). */
struct ynode *compose_config_v2(const struct compose_project *p);

/* --- compose-yamlv3.c --- */
/* Sort a map's keys as yaml.v3 writes a Go map (recursively when deep). */
void compose_v3_sort(struct ynode *m, int deep);
/* m with the keys of order (NULL-terminated) first, in that order, then
 * the rest sorted (a struct's fields, then its inline map); m consumed. */
struct ynode *compose_v3_reorder(struct ynode *m, const char *const *order);
/* omitempty on bools: false removed from m (and its maps when deep),
 * but the *bool field enable_ipv6. */
void compose_v3_drop_false(struct ynode *m, int deep);
/* omitempty on a service (deeper) or a struct: empty maps, lists,
 * strings and false removed (see the keep list in the file). */
void compose_v3_drop_empty(struct ynode *m, int deeper);

/* --- compose-emit.c --- */
/* Write a tree as compose v2's `config` does (yaml.v3 style). */
int compose_v2_emit(const struct ynode *tree, FILE *f, struct cc_error **err);

#endif
