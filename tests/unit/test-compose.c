/* Unit tests of the compose module: each merge rule of docker-compose 1.29,
 * interpolation inside files, positioned errors, anchors and merge keys,
 * x- fields and environment precedence.  Expected values were checked
 * against `docker-compose -f base -f override config` (1.29.2). */
#include "compose.h"
#include "error.h"
#include "tap.h"
#include "util.h"
#include "ynode.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static char tmpdir[] = "/tmp/test-compose-XXXXXX";

static void put(const char *name, const char *text)
{
	cleanup_free char *path = path_join(tmpdir, name);
	FILE *f = fopen(path, "w");

	if (!f)
		abort();
	fputs(text, f);
	fclose(f);
}

static void clean(void)
{
	cleanup_free char *cmd = xasprintf("rm -rf %s/* %s/.env", tmpdir, tmpdir);

	if (system(cmd) != 0)
		abort();
}

/* Load base (+ override when not NULL); NULL and *msg set on error. */
static struct compose_project *load(const char *base, const char *over, char **msg)
{
	const char *files[] = { "base.yml", "over.yml" };
	struct compose_load_opts o = { 0 };
	struct compose_project *p = NULL;
	struct cc_error *err = NULL;

	clean();
	put("base.yml", base);
	if (over)
		put("over.yml", over);
	o.project_dir = tmpdir;
	o.files = files;
	o.nfiles = over ? 2 : 1;
	if (msg)
		*msg = NULL;
	if (compose_load(&o, &p, &err) < 0) {
		if (msg)
			*msg = xstrdup(err ? err->msg : "?");
		cc_error_free(err);
		return NULL;
	}
	return p;
}

/* The YAML of services.NAME.PATH (PATH "a/b"), or "(absent)"; caller frees. */
static char *get(struct compose_project *p, const char *svc, const char *path)
{
	const struct ynode *n = compose_service(p, (size_t)compose_service_find(p, svc));
	cleanup_free char *copy = xstrdup(path);
	char *save = NULL, *tok, *s;
	size_t len;

	for (tok = strtok_r(copy, "/", &save); n && tok; tok = strtok_r(NULL, "/", &save))
		n = ynode_map_get(n, tok);
	if (!n)
		return xstrdup("(absent)");
	s = ynode_emit_string(n);
	len = strlen(s);
	if (len >= 4 && !strcmp(s + len - 4, "...\n"))
		s[len - 4] = '\0';
	len = strlen(s);
	while (len && s[len - 1] == '\n')
		s[--len] = '\0';
	return s;
}

static void check(struct compose_project *p, const char *svc, const char *path, const char *want)
{
	cleanup_free char *got = p ? get(p, svc, path) : NULL;
	cleanup_free char *name = xasprintf("%s.%s", svc, path);

	is_str(got, want, name);
}

static void test_environment_labels_args(void)
{
	struct compose_project *p = load("services:\n  web:\n    image: w\n    environment: [A=1, B, C=x=y]\n"
					 "    labels: [l1=a, l2]\n    build:\n      context: .\n      args: [V=1, W]\n",
					 "services:\n  web:\n    environment: {A: 2, D: 'yes'}\n    labels: {l1: b}\n"
					 "    build: {args: {W: w}}\n",
					 NULL);

	check(p, "web", "environment", "A: 2\nB: null\nC: x=y\nD: 'yes'");
	check(p, "web", "labels", "l1: b\nl2: ''");
	check(p, "web", "build/args", "V: '1'\nW: w");
	compose_free(p);
}

static void test_replaced(void)
{
	struct compose_project *p = load("services:\n  web:\n    image: w\n    command: [a, b]\n    entrypoint: /e\n"
					 "    healthcheck: {test: [CMD, x], interval: 90s, retries: 3}\n",
					 "services:\n  web:\n    command: c d\n    entrypoint: [/f]\n"
					 "    healthcheck: {test: curl x}\n    image: v\n",
					 NULL);

	check(p, "web", "command", "c d");
	check(p, "web", "entrypoint", "- /f");
	check(p, "web", "healthcheck/test", "curl x");
	check(p, "web", "healthcheck/interval", "90s");
	check(p, "web", "healthcheck/retries", "3");
	check(p, "web", "image", "v");
	compose_free(p);
}

static void test_ports_expose_dns(void)
{
	struct compose_project *p = load("services:\n  web:\n    image: w\n    ports: ['8080:80', 9000]\n"
					 "    expose: ['3000', 4000]\n    dns: 8.8.8.8\n    tmpfs: /run\n",
					 "services:\n  web:\n    ports: ['8080:80', '127.0.0.1:53:53/udp']\n"
					 "    expose: [3000]\n    dns: [1.1.1.1]\n    tmpfs: /tmp\n",
					 NULL);

	/* the files' order, a repeat once (compose v2; 1.29 sorted by target) */
	check(p, "web", "ports", "- published: 8080\n  target: 80\n- target: 9000\n- 127.0.0.1:53:53/udp");
	check(p, "web", "expose", "- '3000'\n- '4000'");
	check(p, "web", "dns", "- 8.8.8.8\n- 1.1.1.1");
	check(p, "web", "tmpfs", "- /run\n- /tmp");
	compose_free(p);
}

static void test_volumes_by_target(void)
{
	/* an override replaces its target's mount in place (compose v2's order) */
	cleanup_free char *data =
		xasprintf("- %s/d2:/data:rw\n- v:/z:ro\n- source: %s/x\n  target: /x\n  type: bind", tmpdir, tmpdir);
	struct compose_project *p = load("services:\n  web:\n    image: w\n    volumes: ['./d:/data', 'v:/z:ro']\n"
					 "volumes: {v: {}}\n",
					 "services:\n  web:\n    volumes:\n      - ./d2:/data\n"
					 "      - {type: bind, source: ./x, target: /x}\n",
					 NULL);

	check(p, "web", "volumes", data);
	compose_free(p);
}

static void test_depends_deploy_lists(void)
{
	struct compose_project *p = load("services:\n  web:\n    image: w\n    depends_on: [db]\n"
					 "    deploy: {resources: {limits: {cpus: '0.5', memory: 50M}}}\n"
					 "    security_opt: [a:b]\n    build: {context: ., cache_from: [x]}\n"
					 "  db: {image: d}\n  q: {image: q}\n",
					 "services:\n  web:\n    depends_on: {q: {condition: service_healthy}}\n"
					 "    deploy: {resources: {limits: {memory: 1G}}}\n"
					 "    security_opt: [c:d]\n    build: {cache_from: [y, x]}\n",
					 NULL);

	check(p, "web", "depends_on", "db:\n  condition: service_started\nq:\n  condition: service_healthy");
	check(p, "web", "deploy/resources/limits", "cpus: 0.5\nmemory: 1G");
	check(p, "web", "security_opt", "- a:b\n- c:d");
	check(p, "web", "build/cache_from", "- x\n- y");
	compose_free(p);
}

/* compose v2 appends security_opt over the files (1.29 made it a set)
 * and its schema then rejects a repeated item. */
static void test_security_opt_appended(void)
{
	char *msg = NULL;
	struct compose_project *p = load("services:\n  web:\n    image: w\n    security_opt: [c:d, a:b]\n",
					 "services:\n  web:\n    security_opt: [e:f]\n", NULL);

	check(p, "web", "security_opt", "- c:d\n- a:b\n- e:f");
	compose_free(p);
	p = load("services:\n  web:\n    image: w\n    security_opt: [a:b]\n",
		 "services:\n  web:\n    security_opt: [c:d, a:b]\n", &msg);
	ok(!p && msg && strstr(msg, "over.yml:3:25: service 'web': security_opt[2] repeats security_opt[0]"),
	   "a security_opt repeated across files is an error at the repeat: %s", msg ? msg : "(loaded)");
	compose_free(p);
	free(msg);
}

static void test_x_fields_and_anchors(void)
{
	const char *base = "x-d: &d\n  restart: always\n  environment: &e {A: '1', B: '2'}\n"
			   "services:\n  a:\n    <<: *d\n    image: i\n    x-k: v\n"
			   "  b:\n    <<: *d\n    image: i\n    environment:\n      <<: *e\n      B: three\n";
	struct compose_project *p = load(base, NULL, NULL);
	cleanup_free char *text = NULL;

	check(p, "a", "restart", "always");
	check(p, "a", "x-k", "v");
	check(p, "b", "environment", "A: '1'\nB: three");
	text = ynode_emit_string(compose_config_tree(p));
	ok(text && !strstr(text, "x-d"), "top-level x- fields are not printed");
	compose_free(p);
	/* compose v2 keeps a service's x- keys over a merge (1.29 dropped them). */
	p = load(base, "services:\n  a:\n    image: j\n", NULL);
	check(p, "a", "x-k", "v");
	check(p, "a", "image", "j");
	compose_free(p);
}

/* A long string of an anchored mapping went out folded at 80 columns with
 * its continuation under-indented, so `config`'s output did not parse
 * (found by fuzz-compose); v2 (yaml.v3) never folds. */
static void test_long_string_unfolded(void)
{
	const char *base = "x-d: &d\n  restart: always\nservices:\n  a:\n    <<: *d\n    image: i\n"
			   "    x-note: 'kept in a-------------------------------------------------"
			   "------------------------------------------------- single file'\n";
	struct compose_project *p = load(base, NULL, NULL);
	struct ynode *n = NULL;
	struct cc_error *err = NULL;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	ok(p && f && compose_config_emit(p, f, &err) == 0, "a long string is emitted");
	if (f)
		fclose(f);
	ok(text && strstr(text, "    x-note: kept in a---") && strstr(text, "--- single file\n"), "on one line: %s",
	   text ? text : "(none)");
	ok(text && ynode_parse_buffer("config.yml", text, len, &n, &err) == 0, "and reads back");
	ynode_free(n);
	cc_error_free(err);
	free(text);
	compose_free(p);
}

static void test_interpolation_and_env(void)
{
	struct compose_project *p;
	char *msg = NULL;

	clean();
	setenv("CCTEST_PROC", "proc", 1);
	put(".env", "CCTEST_TAG=t1\nS=dot\nCCTEST_PROC=dotenv\n");
	put("e.env", "F=file\nG=file\n");
	put("base.yml", "services:\n  web:\n    image: \"r/${CCTEST_TAG:-dflt}\"\n    env_file: e.env\n"
			"    environment: {A: '$${x}', B: '${CCTEST_PROC}', S: ~, F: env}\n");
	{
		const char *files[] = { "base.yml" };
		struct compose_load_opts o = {
			.project_dir = tmpdir, .files = files, .nfiles = 1, .use_process_env = 1
		};
		struct cc_error *err = NULL;

		int rc = compose_load(&o, &p, &err);

		ok(rc == 0, "load with .env and env_file (%s)", err ? err->msg : "");
		cc_error_free(err);
	}
	check(p, "web", "image", "r/t1");
	check(p, "web", "environment", "A: ${x}\nB: proc\nF: env\nG: file\nS: dot");
	compose_free(p);
	p = load("services:\n  web:\n    image: w\n    environment:\n      X: ${CCTEST_NEED:?set it}\n", NULL, &msg);
	ok(!p && msg && strstr(msg, "base.yml:5:10: ") && strstr(msg, "CCTEST_NEED") && strstr(msg, "set it"),
	   "${VAR:?msg} names FILE:LINE:COL and the variable (%s)", msg ? msg : "");
	free(msg);
}

static void test_errors(void)
{
	char *msg = NULL;
	struct compose_project *p;

	p = load("services:\n  web:\n    image: w\n    prots: ['80']\n", NULL, &msg);
	ok(!p && msg && strstr(msg, "base.yml:4:5: ") && strstr(msg, "'web'") && strstr(msg, "did you mean 'ports'"),
	   "unknown service key: did you mean (%s)", msg ? msg : "");
	free(msg);
	p = load("services:\n  web:\n    image: w\n    ports: '80'\n", NULL, &msg);
	ok(!p && msg && strstr(msg, "base.yml:4:12: service 'web': ports must be a list"), "ports shape (%s)",
	   msg ? msg : "");
	free(msg);
	p = load("version: '3.8'\nservics: {}\n", NULL, &msg);
	ok(!p && msg && strstr(msg, "did you mean 'services'"), "unknown top-level key (%s)", msg ? msg : "");
	free(msg);
	p = load("services:\n  web:\n    image: w\n    depends_on: [nope]\n", NULL, &msg);
	ok(!p && msg && strstr(msg, "depends on service 'nope'"), "depends_on an undefined service (%s)",
	   msg ? msg : "");
	free(msg);
}

/* A duration, size or integer past 64 bits is an error, not a wrapped value. */
static void test_overflow(void)
{
	static const char *const cases[] = {
		"    healthcheck: {test: [CMD, x], interval: 9999999999h}\n",
		"    healthcheck: {test: [CMD, x], timeout: 99999999999999999999}\n",
		"    cpu_period: 9999999999h\n",
		"    volumes: [{type: tmpfs, target: /t, tmpfs: {size: 99999999999g}}]\n",
		"    ports: [{target: \"99999999999999999999\"}]\n",
	};
	size_t i;

	{
		/* canonical ints past 64 bits were clamped to 9223372036854775807 */
		struct compose_project *p = load(
			"services:\n  web:\n    image: w\n    x-big: 99999999999999999999\n"
			"    x-hex: 0xffffffffffffffffff\n    x-neg: -9223372036854775808\n"
			"    x-sex: 99999999999999999999:30\n    x-forms: [190:20:30, 0777, 0b1010, +12_345, -0]\n",
			NULL, NULL);

		check(p, "web", "x-big", "99999999999999999999");
		check(p, "web", "x-hex", "4722366482869645213695");
		check(p, "web", "x-neg", "-9223372036854775808");
		/* base 60 is YAML 1.1's; compose v2 (yaml.v3) reads a string */
		check(p, "web", "x-sex", "'99999999999999999999:30'");
		check(p, "web", "x-forms", "- '190:20:30'\n- 511\n- 10\n- 12345\n- 0");
		compose_free(p);
	}
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cleanup_free char *text = xasprintf("services:\n  web:\n    image: w\n%s", cases[i]), *msg = NULL;
		struct compose_project *p = load(text, NULL, &msg);

		ok(!p && msg && strstr(msg, "base.yml:4:"), "overflow is an error: %.*s (%s)",
		   (int)strcspn(cases[i] + 4, ":"), cases[i] + 4, msg ? msg : "loaded");
		compose_free(p);
	}
}

static void test_build_accessor(void)
{
	struct compose_project *p;
	struct compose_build b;
	cleanup_free char *sub = path_join(tmpdir, "app");

	p = load("services:\n  web:\n    image: w:1\n    build: {context: ., target: t, args: {A: 1}}\n  db:\n"
		 "    image: d\n",
		 NULL, NULL);
	ok(p && compose_service_count(p) == 2, "two services");
	is_str(compose_service_name(p, 0), "db", "services sorted by name");
	ok(compose_service_build(p, 0, &b) == 1, "db has no build");
	ok(compose_service_build(p, 1, &b) == 0, "web has a build");
	is_str(b.context, tmpdir, "context absolute");
	is_str(b.target, "t", "target");
	is_str(b.image, "w:1", "image");
	is_str(kvlist_get(&b.args, "A"), "1", "args as strings");
	compose_build_release(&b);
	compose_free(p);
}

/* Each mis-typed field is an error at its position naming the field and
 * the type (compose's schema rejects each; these were ignored or mangled). */
static void test_types(void)
{
	static const struct {
		const char *yaml, *want;
	} cases[] = {
		{ "    build: {context: ., dockerfile: {a: 1}}\n",
		  "base.yml:4:37: service 'web': build.dockerfile must be a string, not a mapping" },
		{ "    build: {context: ., target: {a: 1}}\n",
		  "base.yml:4:33: service 'web': build.target must be a string, not a mapping" },
		{ "    build: {context: ., args: {V: {major: 1}}}\n",
		  "base.yml:4:35: service 'web': build.args.V must be a string, a number or null, not a mapping" },
		{ "    healthcheck: {test: {a: 1}}\n",
		  "base.yml:4:25: service 'web': healthcheck.test must be a string or a list, not a mapping" },
		{ "    deploy: {resources: {limits: {memory: [1]}}}\n",
		  "base.yml:4:43: service 'web': deploy.resources.limits.memory must be a string, not a list" },
		{ "    ulimits: {nofile: {soft: 1}}\n",
		  "base.yml:4:23: service 'web': ulimits.nofile needs the key 'hard'" },
		{ "    pull_policy: sometimes\n", "base.yml:4:18: service 'web': pull_policy must be one of always, "
						  "never, if_not_present, build, missing, "
						  "not 'sometimes'" },
		{ "    env_file: [{required: false}]\n",
		  "base.yml:4:16: service 'web': env_file[0] needs the key 'path'" },
		{ "    dns: [a, b, a]\n",
		  "base.yml:4:17: service 'web': dns[2] repeats dns[0]; its items must be unique" },
		{ "    build: {context: ., dockerfile: x, x-note: 1, targte: 2}\n",
		  "base.yml:4:51: service 'web': build: unknown key 'targte' (did you mean 'target'?)" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cleanup_free char *yaml = xasprintf("services:\n  web:\n    image: w\n%s", cases[i].yaml);
		char *msg = NULL;
		struct compose_project *p = load(yaml, NULL, &msg);

		ok(!p && msg && strstr(msg, cases[i].want), "%s-> %s", cases[i].yaml + 4, msg ? msg : "loaded");
		compose_free(p);
		free(msg);
	}
}

/* fuzzing: an override over a volume item that is a list segfaulted the
 * merge (compose_volume_target -> drive_len(NULL)). */
static void test_volume_item_list(void)
{
	char *msg = NULL;
	struct compose_project *p = load("services:\n  s:\n    image: x\n",
					 "services:\n  s:\n    volumes:\n"
					 "      - - /anon\n",
					 &msg);

	ok(!p && msg && strstr(msg, "over.yml:4:9: service 's': volumes[0] must be a string or a mapping, not a list"),
	   "a list as a volume item is an error at it (%s)", msg ? msg : "loaded");
	free(msg);
}

/* An unset ${VAR} as a bind source: compose v2 rejects the empty part
 * (1.29 made it "."). */
static void test_unset_bind_source(void)
{
	char *msg = NULL;
	struct compose_project *p = load("services:\n  web:\n    image: w\n    volumes:\n"
					 "      - ${CCTEST_UNSET_FILE}:/text_file.txt\n      - /anon\n",
					 NULL, &msg);

	ok(!p && msg && strstr(msg, "base.yml:5:9: invalid spec: :/text_file.txt: empty section between colons"),
	   "an empty bind source is an error at its position: %s", msg ? msg : "(loaded)");
	compose_free(p);
	free(msg);
}

static void test_env_file_long_form(void)
{
	struct compose_project *p;
	char *msg = NULL;

	clean();
	put("a.env", "A=1\nQ=\"q\"\n");
	put("r.env", "R=\"raw\"\n# not a comment in dotenv either\n");
	{
		const char *files[] = { "base.yml" };
		struct compose_load_opts o = { .project_dir = tmpdir, .files = files, .nfiles = 1 };
		struct cc_error *err = NULL;

		put("base.yml", "services:\n  web:\n    image: w\n    env_file:\n      - path: a.env\n"
				"      - {path: none.env, required: false}\n      - {path: r.env, format: raw}\n");
		ok(compose_load(&o, &p, &err) == 0, "long env_file form loads (%s)", err ? err->msg : "");
		cc_error_free(err);
	}
	check(p, "web", "environment", "A: '1'\nQ: q\nR: '\"raw\"'");
	compose_free(p);
	p = load("services:\n  web:\n    image: w\n    env_file:\n      - path: none.env\n", NULL, &msg);
	ok(!p && msg && strstr(msg, "base.yml:5:15: Couldn't find env file: ") && !strstr(msg, "(null)"),
	   "a missing required env_file is an error at its path (%s)", msg ? msg : "loaded");
	free(msg);
	p = load("services:\n  web:\n    image: w\n    env_file: [{path: a.env, format: ini}]\n", NULL, &msg);
	ok(!p && msg && strstr(msg, "env_file format 'ini' is not supported"), "unknown format (%s)",
	   msg ? msg : "loaded");
	free(msg);
}

/* compose_files_read: every file the load read or looked for (what a
 * watch reloads on): the -f files, include: and extends: files, .env
 * (absent too), the extra env files, an include's .env and the services'
 * env_file:s (an optional absent one too). */
static void test_files_read(void)
{
	const char *files[] = { "base.yml" }, *env_files[] = { "extra.env" };
	struct compose_load_opts o = {
		.project_dir = tmpdir, .files = files, .nfiles = 1, .env_files = env_files, .nenv_files = 1
	};
	struct compose_project *p = NULL;
	struct cc_error *err = NULL;
	struct strlist got = { 0 };
	const char *want[] = { "base.yml", "sub/inc.yml", "ext.yml", ".env", "extra.env", "sub/.env", "none.env" };

	clean();
	cleanup_free char *sub = path_join(tmpdir, "sub");
	mkdir(sub, 0755);
	put("extra.env", "X=1\n");
	put("ext.yml", "services:\n  proto:\n    image: p\n");
	put("sub/inc.yml", "services:\n  inc:\n    image: i\n");
	put("base.yml", "include: [sub/inc.yml]\nservices:\n  web:\n    extends: {file: ext.yml, service: proto}\n"
			"    env_file: [{path: none.env, required: false}]\n");
	ok(compose_load(&o, &p, &err) == 0, "loads (%s)", err ? err->msg : "");
	cc_error_free(err);
	if (p)
		compose_files_read(p, &got);
	for (size_t i = 0; i < sizeof(want) / sizeof(*want); i++) {
		cleanup_free char *path = path_join(tmpdir, want[i]);

		ok(strlist_has(&got, path), "%s is listed", want[i]);
	}
	is_int((long)got.n, (long)(sizeof(want) / sizeof(*want)), "nothing else");
	strlist_release(&got);
	compose_free(p);
}

/* What config prints but a build cannot use. */
static void test_build_secrets(void)
{
	struct cc_error *err = NULL;
	struct compose_build_secret *v = NULL;
	size_t n = 0;
	cleanup_free char *tok = path_join(tmpdir, "tok.txt");
	struct compose_project *p =
		load("services:\n  a:\n    image: a\n    build:\n      context: .\n"
		     "      secrets: [npm, {source: gh, target: github_token}]\n"
		     "  b:\n    image: b\n    build: {context: ., secrets: [nope]}\n"
		     "  c:\n    image: c\n    build: {context: ., secrets: [ext]}\n"
		     "  d:\n    image: d\n    build: .\n"
		     "secrets:\n  npm: {file: ./tok.txt}\n  gh: {environment: GH_TOKEN}\n  ext: {external: true}\n",
		     NULL, NULL);

	ok(p && compose_service_build_secrets(p, 0, &v, &n, &err) == 0 && n == 2, "two build secrets");
	ok(n == 2 && !strcmp(v[0].id, "npm") && v[0].file && !strcmp(v[0].file, tok) && !v[0].env,
	   "a short entry: its name as id, the file made absolute");
	ok(n == 2 && !strcmp(v[1].id, "github_token") && !v[1].file && v[1].env && !strcmp(v[1].env, "GH_TOKEN"),
	   "a long entry: target as id, from the environment");
	free(v);
	ok(p && compose_service_build_secrets(p, 1, &v, &n, &err) < 0 && err && strstr(err->msg, "base.yml:9:") &&
		   strstr(err->msg, "'nope' is not a top-level secret"),
	   "an undefined secret: positioned error (%s)", err ? err->msg : "");
	cc_error_free(err);
	err = NULL;
	ok(p && compose_service_build_secrets(p, 2, &v, &n, &err) < 0 && err &&
		   strstr(err->msg, "only supports environment or file-based secrets"),
	   "an external secret cannot reach a build (%s)", err ? err->msg : "");
	cc_error_free(err);
	err = NULL;
	ok(p && compose_service_build_secrets(p, 3, &v, &n, &err) == 0 && n == 0 && !v, "no secrets");
	compose_free(p);
}

static void test_build_check(void)
{
	struct cc_error *err = NULL;
	struct compose_project *p =
		load("services:\n  a:\n    image: a\n    build: https://github.com/x/y.git#main\n"
		     "  b:\n    image: b\n    build: {context: ., dockerfile: '${CCTEST_UNSET_DF}'}\n"
		     "  c:\n    image: c\n    build: .\n",
		     NULL, NULL);

	ok(p != NULL, "remote context and empty dockerfile load (config prints them)");
	ok(p && compose_service_build_check(p, 0, &err) < 0 && err &&
		   strstr(err->msg,
			  "base.yml:4:12: service 'a': build context https://github.com/x/y.git#main: remote") &&
		   strstr(err->msg, "not supported yet"),
	   "remote context: not supported yet (%s)", err ? err->msg : "");
	cc_error_free(err);
	err = NULL;
	ok(p && compose_service_build_check(p, 1, &err) < 0 && err &&
		   strstr(err->msg, "base.yml:7:37: service 'b': build.dockerfile is empty"),
	   "empty dockerfile (%s)", err ? err->msg : "");
	cc_error_free(err);
	err = NULL;
	ok(p && compose_service_build_check(p, 2, &err) == 0 && !err, "a local context is fine");
	compose_free(p);
}

/* no_cache, pull, ulimits are taken; entitlements, privileged, cache_to
 * refused, each saying why. */
static void test_build_options_check(void)
{
	struct cc_error *err = NULL, *e;
	struct compose_project *p =
		load("services:\n  a:\n    image: a\n    build:\n      context: .\n      no_cache: true\n"
		     "      pull: true\n      ulimits: {nofile: {soft: 1, hard: 2}, core: 0}\n"
		     "  b:\n    image: b\n    build:\n      context: .\n      entitlements: [network.host]\n"
		     "      privileged: true\n      cache_to: [type=inline]\n",
		     NULL, NULL);
	int n = 0;

	ok(p && compose_service_build_check(p, 0, &err) == 0 && !err, "no_cache, pull, ulimits are taken (%s)",
	   err ? err->msg : "");
	cc_error_free(err);
	err = NULL;
	ok(p && compose_service_build_check(p, 1, &err) < 0, "entitlements, privileged, cache_to are refused");
	for (e = err; e; e = e->next)
		n += strstr(e->msg, "base.yml:13:21: service 'b': build.entitlements: dockerd's /build API cannot "
				    "grant BuildKit entitlements") ||
		     strstr(e->msg, "base.yml:14:19: service 'b': build.privileged: dockerd's /build API cannot") ||
		     strstr(e->msg, "base.yml:15:17: service 'b': build.cache_to: dockerd's /build API has no cache "
				    "exporters");
	ok(n == 3, "each at its position, saying why (%d of 3: %s)", n, err ? err->msg : "");
	cc_error_free(err);
	compose_free(p);
}

int main(void)
{
	if (!mkdtemp(tmpdir))
		return 1;
	test_environment_labels_args();
	test_replaced();
	test_ports_expose_dns();
	test_volumes_by_target();
	test_depends_deploy_lists();
	test_security_opt_appended();
	test_x_fields_and_anchors();
	test_long_string_unfolded();
	test_interpolation_and_env();
	test_errors();
	test_overflow();
	test_build_accessor();
	test_types();
	test_volume_item_list();
	test_unset_bind_source();
	test_env_file_long_form();
	test_build_check();
	test_build_options_check();
	test_build_secrets();
	test_files_read();
	clean();
	rmdir(tmpdir);
	return done_testing();
}
