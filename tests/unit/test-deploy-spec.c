/* Unit tests of deploy-spec: compose YAML in, the create body and the
 * project's networks and volumes out, field by field, as Docker Compose
 * 2.26 sends them (checked against `docker compose create` + `docker
 * inspect`: tests/t0610-deploy-spec-oracle.sh), and the positioned error
 * for a field ccbuild does not deploy.
 *
 * With arguments it is the oracle test's driver instead:
 *   test-deploy-spec --dump PROJECT FILE...
 * prints {"project": {...}, "services": {NAME[:N]: {...}}} as JSON (N for
 * replicas after the first), with the
 * sha256 of each service's flat config as its hash labels. */
#include "compose.h"
#include "deploy-spec.h"
#include "error.h"
#include "hash.h"
#include "tap.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char tmpdir[] = "/tmp/test-deploy-spec-XXXXXX";

static void put(const char *name, const char *text)
{
	cleanup_free char *path = path_join(tmpdir, name);
	FILE *f = fopen(path, "w");

	if (!f)
		abort();
	fputs(text, f);
	fclose(f);
}

static struct compose_project *load(const char *project, const char **files, size_t n, const char *dir,
				    struct cc_error **err)
{
	struct compose_load_opts o = { 0 };
	struct compose_project *p = NULL;

	o.project_dir = dir;
	o.project_name = project;
	o.files = files;
	o.nfiles = n;
	o.no_dot_env = 0;
	if (compose_load(&o, &p, err) < 0)
		return NULL;
	return p;
}

static json_t *resources_json(const struct deploy_resource *r, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_pack("{s:s,s:s,s:b,s:O?}", "name", r[i].name, "key", r[i].key, "external",
						   r[i].external, "create", r[i].create));
	return a;
}

static json_t *service_json(const struct deploy_service *s)
{
	json_t *nets = json_array(), *files = json_object();

	for (size_t i = 0; i < s->nnetworks; i++)
		json_array_append_new(nets, json_pack("{s:s,s:s,s:O}", "name", s->networks[i].name, "key",
						      s->networks[i].key, "endpoint", s->networks[i].endpoint));
	for (size_t i = 0; i < s->files.n; i++)
		json_object_set_new(files, s->files.keys[i], json_string(s->files.vals[i]));
	return json_pack("{s:s,s:O,s:o,s:O,s:o}", "container_name", s->container_name, "create", s->create, "networks",
			 nets, "config", s->config, "files", files);
}

/* The whole project as JSON (caller frees) or NULL with err. */
static json_t *project_json(struct compose_project *p, const char *name, const char *dir, const char *files,
			    struct cc_error **err)
{
	struct deploy_project *proj = NULL;
	json_t *svcs = json_object(), *out;

	if (deploy_project_spec(p, name, dir, files, &proj, err) < 0) {
		json_decref(svcs);
		return NULL;
	}
	for (size_t i = 0; i < compose_service_count(p); i++) {
		struct deploy_service *s = NULL;

		if (deploy_service_spec(p, proj, i, NULL, &s, err) < 0) {
			json_decref(svcs);
			deploy_project_free(proj);
			return NULL;
		}
		{ /* the hash a deploy would set: here of the flat config only */
			cleanup_free char *text = json_dumps(s->config, JSON_COMPACT | JSON_SORT_KEYS);
			char hex[65];

			hash_sha256_hex(text, strlen(text), hex);
			deploy_service_labels(s, hex, NULL);
		}
		json_object_set_new(svcs, s->service, service_json(s));
		for (int n = 2; n <= s->replicas; n++) {
			struct deploy_service *r = deploy_service_replica(s, proj, n);
			cleanup_free char *key = xasprintf("%s:%d", s->service, n);

			json_object_set_new(svcs, key, service_json(r));
			deploy_service_free(r);
		}
		deploy_service_free(s);
	}
	out = json_pack("{s:{s:o,s:o},s:o}", "project", "networks", resources_json(proj->networks, proj->nnetworks),
			"volumes", resources_json(proj->volumes, proj->nvolumes), "services", svcs);
	deploy_project_free(proj);
	return out;
}

static int dump(int argc, char **argv)
{
	struct cc_error *err = NULL;
	cleanup_free char *dir = NULL, *files = NULL, *cwd = getcwd(NULL, 0);
	struct strlist abs = { 0 };
	struct compose_project *p;
	json_t *out;

	if (argc < 4)
		return fprintf(stderr, "usage: test-deploy-spec --dump PROJECT FILE...\n"), 2;
	for (int i = 3; i < argc; i++) {
		cleanup_free char *a = argv[i][0] == '/' ? xstrdup(argv[i]) : path_join(cwd ? cwd : "/", argv[i]);
		cleanup_free char *clean = path_clean(a);

		strlist_push(&abs, clean);
	}
	dir = path_dirname(abs.v[0]);
	files = strlist_join(&abs, ",");
	p = load(argv[2], (const char **)abs.v, abs.n, dir, &err);
	out = p ? project_json(p, argv[2], dir, files, &err) : NULL;
	compose_free(p);
	strlist_release(&abs);
	if (!out) {
		for (struct cc_error *e = err; e; e = e->next)
			fprintf(stderr, "%s\n", e->msg);
		cc_error_free(err);
		return 1;
	}
	json_dumpf(out, stdout, JSON_INDENT(1) | JSON_SORT_KEYS);
	putchar('\n');
	json_decref(out);
	return 0;
}

/* --- the unit tests --- */

static struct compose_project *project;
static struct deploy_project *proj;

/* Load compose.yml with text (and the files of setup) as project "p". */
static int spec_load(const char *text, struct cc_error **err)
{
	const char *files[] = { "compose.yml" };
	cleanup_free char *cf = path_join(tmpdir, "compose.yml");

	deploy_project_free(proj);
	compose_free(project);
	proj = NULL;
	put("compose.yml", text);
	if (!(project = load("p", files, 1, tmpdir, err)))
		return -1;
	return deploy_project_spec(project, "p", tmpdir, cf, &proj, err);
}

/* Service name of the loaded project, or NULL with *msg set. */
static struct deploy_service *spec(const char *text, const char *name, char **msg)
{
	struct cc_error *err = NULL;
	struct deploy_service *s = NULL;
	long i;

	*msg = NULL;
	if (spec_load(text, &err) == 0 && (i = compose_service_find(project, name)) >= 0 &&
	    deploy_service_spec(project, proj, (size_t)i, NULL, &s, &err) == 0)
		return s;
	*msg = xstrdup(err ? err->msg : "no such service");
	cc_error_free(err);
	return NULL;
}

/* JSON text of o at a "/"-separated path (compact, sorted); caller frees. */
static char *at(json_t *o, const char *path)
{
	cleanup_free char *copy = xstrdup(path);

	for (char *k = strtok(copy, "/"); k && o; k = strtok(NULL, "/"))
		o = json_is_array(o) ? json_array_get(o, (size_t)atoi(k)) : json_object_get(o, k);
	return o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY) : xstrdup("(none)");
}

#define is_json(obj, path, want, name)                                                                                 \
	do {                                                                                                           \
		cleanup_free char *got_ = at((obj), (path));                                                           \
		is_str(got_, (want), (name));                                                                          \
	} while (0)

static void test_config_part(void)
{
	char *msg;
	struct deploy_service *s =
		spec("services:\n"
		     "  web:\n"
		     "    image: ccbuild-test/busybox:latest\n"
		     "    command: httpd -f -p '8080'\n"
		     "    entrypoint: [\"/bin/sh\", \"-c\"]\n"
		     "    environment: {ZED: z, DEBUG: \"false\", EMPTY: null, APPLE: 1}\n"
		     "    labels: [com.example.team=core, \"cost=$$5\"]\n"
		     "    expose: [\"5000\", 5001/udp]\n"
		     "    healthcheck: {test: [CMD, \"true\"], interval: 30s, timeout: 500ms, start_period: "
		     "1m30s, retries: 3}\n"
		     "    user: \"1000:1000\"\n"
		     "    working_dir: /srv\n"
		     "    hostname: webhost\n"
		     "    stop_signal: SIGINT\n"
		     "    stop_grace_period: 1m30s\n"
		     "    tty: true\n",
		     "web", &msg);

	ok(s, "a service maps (%s)", msg ? msg : "");
	if (!s)
		return;
	is_str(s->container_name, "p-web-1", "container name PROJECT-SERVICE-1");
	is_json(s->create, "Image", "\"ccbuild-test/busybox:latest\"", "Image");
	is_json(s->create, "Cmd", "[\"httpd\",\"-f\",\"-p\",\"8080\"]", "a command string is split as a shell does");
	is_json(s->create, "Entrypoint", "[\"/bin/sh\",\"-c\"]", "Entrypoint");
	is_json(s->create, "Env", "[\"APPLE=1\",\"DEBUG=false\",\"EMPTY\",\"ZED=z\"]",
		"Env sorted, a variable without a value bare");
	is_json(s->create, "ExposedPorts", "{\"5000\":{},\"5001/udp\":{}}", "expose as written");
	is_json(s->create, "Healthcheck",
		"{\"Interval\":30000000000,\"Retries\":3,\"StartPeriod\":90000000000,\"Test\":[\"CMD\",\"true\"],"
		"\"Timeout\":500000000}",
		"Healthcheck durations in nanoseconds");
	is_json(s->create, "User", "\"1000:1000\"", "User");
	is_json(s->create, "WorkingDir", "\"/srv\"", "WorkingDir");
	is_json(s->create, "Hostname", "\"webhost\"", "Hostname");
	is_json(s->create, "StopSignal", "\"SIGINT\"", "StopSignal");
	is_json(s->create, "StopTimeout", "90", "StopTimeout in seconds");
	is_json(s->create, "Tty", "true", "Tty");
	is_json(s->create, "Labels/com.example.team", "\"core\"", "the service's labels");
	is_json(s->create, "Labels/cost", "\"$5\"", "$$ is a literal $ (config prints it doubled)");
	is_json(s->create, "Labels/com.docker.compose.project", "\"p\"", "label project");
	is_json(s->create, "Labels/com.docker.compose.service", "\"web\"", "label service");
	is_json(s->create, "Labels/com.docker.compose.container-number", "\"1\"", "label container-number");
	is_json(s->create, "Labels/com.docker.compose.oneoff", "\"False\"", "label oneoff");
	is_json(s->create, "Labels/com.docker.compose.depends_on", "\"\"", "label depends_on, empty");
	is_json(s->create, "Labels/com.docker.compose.version", "\"2.26.1\"", "label version");
	is_json(s->config, "environment.DEBUG", "\"false\"", "config: environment.DEBUG");
	is_json(s->config, "command", "[\"httpd\",\"-f\",\"-p\",\"8080\"]", "config: command");
	is_json(s->config, "healthcheck.interval", "\"30s\"", "config: healthcheck.interval");
	is_int(s->stop_timeout, 90, "stop_timeout");
	is_int(s->has_healthcheck, 1, "has_healthcheck");
	deploy_service_labels(s, "abc", "sha256:1");
	is_json(s->create, "Labels/com.docker.compose.config-hash", "\"abc\"", "deploy_service_labels: config-hash");
	is_json(s->create, "Labels/dev.ccbuild.deploy-hash", "\"abc\"", "deploy_service_labels: ccbuild's hash");
	is_json(s->create, "Labels/com.docker.compose.image", "\"sha256:1\"", "deploy_service_labels: image");
	s->oneoff = 1;
	deploy_service_labels(s, NULL, NULL);
	is_json(s->create, "Labels/com.docker.compose.oneoff", "\"True\"",
		"deploy_service_labels: oneoff from s->oneoff");
	is_json(s->create, "Labels/com.docker.compose.config-hash", "\"abc\"", "a NULL hash leaves the hash labels");
	deploy_service_free(s);
}

static void test_ports(void)
{
	char *msg;
	struct deploy_service *s = spec("services:\n"
					"  web:\n"
					"    image: i\n"
					"    restart: on-failure:5\n"
					"    ports:\n"
					"      - 127.0.0.1:8080:80\n"
					"      - 9000-9001:9000-9001/udp\n"
					"      - \"6000\"\n"
					"      - {target: 7000, published: \"17000\", protocol: tcp}\n"
					"      - 127.0.0.1:8081:80\n",
					"web", &msg);

	ok(s, "ports map (%s)", msg ? msg : "");
	if (!s)
		return;
	is_json(s->create, "HostConfig/PortBindings",
		"{\"6000/tcp\":[{\"HostIp\":\"\",\"HostPort\":\"\"}],\"7000/tcp\":[{\"HostIp\":\"\",\"HostPort\":"
		"\"17000\"}],\"80/tcp\":[{\"HostIp\":\"127.0.0.1\",\"HostPort\":\"8080\"},{\"HostIp\":\"127.0.0.1\","
		"\"HostPort\":\"8081\"}],\"9000/udp\":[{\"HostIp\":\"\",\"HostPort\":\"9000\"}],\"9001/udp\":[{"
		"\"HostIp\":\"\",\"HostPort\":\"9001\"}]}",
		"PortBindings: host_ip, a range one port each, protocol, unpublished, two bindings of one port");
	is_json(s->create, "ExposedPorts",
		"{\"6000/tcp\":{},\"7000/tcp\":{},\"80/tcp\":{},\"9000/udp\":{},\"9001/udp\":{}}",
		"ExposedPorts from ports");
	is_json(s->create, "HostConfig/RestartPolicy", "{\"MaximumRetryCount\":5,\"Name\":\"on-failure\"}",
		"restart: on-failure:5");
	deploy_service_free(s);
}

static void test_mounts(void)
{
	char *msg;
	struct deploy_service *s;

	put("pw.txt", "secret\n");
	put("app.conf", "x\n");
	s = spec("services:\n"
		 "  web:\n"
		 "    image: i\n"
		 "    volumes:\n"
		 "      - ./data:/data\n"
		 "      - ./data:/ro:ro\n"
		 "      - dbdata:/var/lib/db\n"
		 "      - {type: bind, source: ./app.conf, target: /etc/app.conf/, read_only: true}\n"
		 "      - {type: volume, source: cache, target: /cache, volume: {nocopy: true}}\n"
		 "      - {type: tmpfs, target: /scratch, tmpfs: {size: 1000000}}\n"
		 "      - /anon\n"
		 "    tmpfs: [/run, \"/tmp:size=1000\"]\n"
		 "    secrets: [pw, {source: pw, target: other}]\n"
		 "    configs: [{source: appconf, target: /etc/appconf}, appconf]\n"
		 "volumes: {dbdata: {}, cache: {name: shared-cache}}\n"
		 "secrets: {pw: {file: ./pw.txt}}\n"
		 "configs: {appconf: {file: ./app.conf}}\n",
		 "web", &msg);
	ok(s, "volumes, secrets and configs map (%s)", msg ? msg : "");
	if (!s)
		return;
	{
		cleanup_free char *want = xasprintf("[\"%s/data:/data:rw\",\"%s/data:/ro:ro\"]", tmpdir, tmpdir);

		is_json(s->create, "HostConfig/Binds", want, "short-syntax binds go to Binds");
	}
	is_json(s->create, "HostConfig/Mounts/0",
		"{\"Source\":\"p_dbdata\",\"Target\":\"/var/lib/db\",\"Type\":\"volume\",\"VolumeOptions\":{}}",
		"a named volume by its engine name");
	{
		cleanup_free char *want = xasprintf(
			"{\"ReadOnly\":true,\"Source\":\"%s/app.conf\",\"Target\":\"/etc/app.conf\",\"Type\":\"bind\"}",
			tmpdir);

		is_json(s->create, "HostConfig/Mounts/1", want, "a long-syntax bind goes to Mounts, target cleaned");
	}
	is_json(s->create, "HostConfig/Mounts/2",
		"{\"Source\":\"shared-cache\",\"Target\":\"/"
		"cache\",\"Type\":\"volume\",\"VolumeOptions\":{\"NoCopy\":true}}",
		"a volume with name: and nocopy");
	is_json(s->create, "HostConfig/Mounts/3",
		"{\"Target\":\"/scratch\",\"TmpfsOptions\":{\"SizeBytes\":1000000},\"Type\":\"tmpfs\"}",
		"a tmpfs volume");
	is_json(s->create, "HostConfig/Mounts/4", "{\"Target\":\"/anon\",\"Type\":\"volume\",\"VolumeOptions\":{}}",
		"an anonymous volume has no source");
	{
		cleanup_free char *w1 = xasprintf(
			"{\"ReadOnly\":true,\"Source\":\"%s/pw.txt\",\"Target\":\"/run/secrets/pw\",\"Type\":\"bind\"}",
			tmpdir);
		cleanup_free char *w2 = xasprintf("{\"ReadOnly\":true,\"Source\":\"%s/pw.txt\",\"Target\":\"/run/"
						  "secrets/other\",\"Type\":\"bind\"}",
						  tmpdir);
		cleanup_free char *w3 = xasprintf(
			"{\"ReadOnly\":true,\"Source\":\"%s/app.conf\",\"Target\":\"/etc/appconf\",\"Type\":\"bind\"}",
			tmpdir);
		cleanup_free char *w4 = xasprintf(
			"{\"ReadOnly\":true,\"Source\":\"%s/app.conf\",\"Target\":\"/appconf\",\"Type\":\"bind\"}",
			tmpdir);
		cleanup_free char *wf = xasprintf("%s/pw.txt", tmpdir);

		is_json(s->create, "HostConfig/Mounts/5", w1, "a secret: read-only bind at /run/secrets/NAME");
		is_json(s->create, "HostConfig/Mounts/6", w2, "a secret with a relative target");
		is_json(s->create, "HostConfig/Mounts/7", w3, "a config at its target");
		is_json(s->create, "HostConfig/Mounts/8", w4, "a config without target at /NAME");
		is_str(kvlist_get(&s->files, "secret pw"), wf, "files: the secret's path");
		ok(kvlist_get(&s->files, "config appconf") != NULL, "files: the config's path");
	}
	is_json(s->create, "HostConfig/Tmpfs", "{\"/run\":\"\",\"/tmp\":\"size=1000\"}", "tmpfs: path -> options");
	deploy_service_free(s);
}

static void test_networks(void)
{
	char *msg;
	struct deploy_service *s =
		spec("services:\n"
		     "  web:\n"
		     "    image: i\n"
		     "    networks:\n"
		     "      front: {aliases: [www]}\n"
		     "      back:\n"
		     "      zeta: {priority: 10}\n"
		     "  solo:\n"
		     "    image: i\n"
		     "    network_mode: service:web\n"
		     "    ipc: service:web\n"
		     "    depends_on: {web: {condition: service_healthy}}\n"
		     "networks: {front: {}, back: {labels: {x: \"y\"}, internal: true}, zeta: {}, unused: {}, "
		     "ext: {external: true}}\n",
		     "web", &msg);

	ok(s, "networks map (%s)", msg ? msg : "");
	if (!s)
		return;
	is_int(s->nnetworks, 3, "three networks");
	is_str(s->networks[0].key, "zeta", "the highest priority first");
	is_str(s->networks[1].key, "back", "then by name");
	is_json(s->create, "HostConfig/NetworkMode", "\"p_zeta\"", "NetworkMode: the first network");
	is_json(s->create, "NetworkingConfig",
		"{\"EndpointsConfig\":{\"p_zeta\":{\"Aliases\":[\"p-web-1\",\"web\"],\"IPAMConfig\":{}}}}",
		"NetworkingConfig: only the first network");
	is_json(s->networks[2].endpoint, "", "{\"Aliases\":[\"p-web-1\",\"web\",\"www\"],\"IPAMConfig\":{}}",
		"aliases: container, service, declared");
	is_int(proj->nnetworks, 3, "project networks: the used ones only");
	is_json(proj->networks[0].create, "",
		"{\"Attachable\":false,\"CheckDuplicate\":true,\"EnableIPv6\":false,\"Internal\":true,\"Labels\":{"
		"\"com.docker.compose.network\":\"back\",\"com.docker.compose.project\":\"p\",\"com.docker.compose."
		"version\":\"2.26.1\",\"x\":\"y\"},\"Name\":\"p_back\"}",
		"a network's create body with compose's labels");
	deploy_service_free(s);
	s = spec("services:\n  web: {image: i}\n  solo:\n    image: i\n    network_mode: service:web\n"
		 "    ipc: service:web\n    depends_on: {web: {condition: service_healthy}}\n",
		 "solo", &msg);
	ok(s, "network_mode: service: maps (%s)", msg ? msg : "");
	if (!s)
		return;
	is_json(s->create, "HostConfig/NetworkMode", "\"container:p-web-1\"", "network_mode service:X");
	is_json(s->create, "HostConfig/IpcMode", "\"container:p-web-1\"", "ipc service:X");
	is_json(s->create, "NetworkingConfig", "(none)", "no NetworkingConfig with a network_mode");
	is_json(s->create, "Labels/com.docker.compose.depends_on", "\"web:service_healthy:false\"", "depends_on label");
	ok(s->ndeps == 1 && s->deps[0].condition == DEPLOY_HEALTHY && s->deps[0].required, "deps: web, healthy");
	ok(s->shares.n == 1 && !strcmp(s->shares.v[0], "web"), "shares: web");
	is_int(proj->nnetworks, 1, "the default network only when a service uses it");
	is_str(proj->networks[0].name, "p_default", "PROJECT_default");
	deploy_service_free(s);
}

static void test_host(void)
{
	char *msg;
	struct deploy_service *s = spec("services:\n"
					"  db:\n"
					"    image: i\n"
					"    read_only: true\n"
					"    init: true\n"
					"    cap_add: [NET_ADMIN]\n"
					"    cap_drop: [ALL]\n"
					"    security_opt: [\"no-new-privileges:true\"]\n"
					"    pids_limit: 100\n"
					"    shm_size: 64m\n"
					"    sysctls: {net.core.somaxconn: 1024}\n"
					"    ulimits: {nproc: 512, nofile: {soft: 1024, hard: 2048}}\n"
					"    logging: {driver: json-file, options: {max-size: 10m, max-file: \"3\"}}\n"
					"    extra_hosts: [\"somehost:162.242.195.82\"]\n"
					"    deploy:\n"
					"      resources:\n"
					"        limits: {cpus: \"0.25\", memory: 128M}\n"
					"        reservations: {memory: 64M}\n"
					"      restart_policy: {condition: any, max_attempts: 3}\n"
					"      update_config: {order: start-first}\n",
					"db", &msg);

	ok(s, "host fields map (%s)", msg ? msg : "");
	if (!s)
		return;
	is_json(s->create, "HostConfig/ReadonlyRootfs", "true", "ReadonlyRootfs");
	is_json(s->create, "HostConfig/Init", "true", "Init");
	is_json(s->create, "HostConfig/CapAdd", "[\"NET_ADMIN\"]", "CapAdd");
	is_json(s->create, "HostConfig/CapDrop", "[\"ALL\"]", "CapDrop");
	is_json(s->create, "HostConfig/SecurityOpt", "[\"no-new-privileges:true\"]", "SecurityOpt");
	is_json(s->create, "HostConfig/PidsLimit", "100", "PidsLimit");
	is_json(s->create, "HostConfig/Memory", "134217728", "deploy.resources.limits.memory over mem_limit");
	is_json(s->create, "HostConfig/NanoCpus", "250000000", "deploy.resources.limits.cpus over cpus");
	is_json(s->create, "HostConfig/MemoryReservation", "67108864", "reservations.memory");
	is_json(s->create, "HostConfig/ShmSize", "67108864", "ShmSize");
	is_json(s->create, "HostConfig/Sysctls", "{\"net.core.somaxconn\":\"1024\"}", "Sysctls");
	is_json(s->create, "HostConfig/Ulimits",
		"[{\"Hard\":2048,\"Name\":\"nofile\",\"Soft\":1024},{\"Hard\":512,\"Name\":\"nproc\",\"Soft\":512}]",
		"Ulimits: soft/hard and a single number");
	is_json(s->create, "HostConfig/LogConfig",
		"{\"Config\":{\"max-file\":\"3\",\"max-size\":\"10m\"},\"Type\":\"json-file\"}", "LogConfig");
	is_json(s->create, "HostConfig/ExtraHosts", "[\"somehost:162.242.195.82\"]", "ExtraHosts");
	is_json(s->create, "HostConfig/RestartPolicy", "{\"MaximumRetryCount\":3,\"Name\":\"always\"}",
		"deploy.restart_policy any -> always");
	is_int(s->start_first, 1, "update_config.order: start-first");
	deploy_service_free(s);
}

static void test_unsupported(void)
{
	char *msg;
	struct deploy_service *s;
	cleanup_free char *want =
		xasprintf("%s/compose.yml:4:5: service 'web': field 'links' is not deployed by ccbuild yet", tmpdir);

	s = spec("services:\n  web:\n    image: i\n    links: [db]\n  db: {image: i}\n", "web", &msg);
	ok(!s, "links: is an error");
	is_str(msg, want, "the error names the field and the service at FILE:LINE:COL");
	free(msg);
	s = spec("services:\n  web:\n    image: i\n    container_name: one\n    deploy:\n      replicas: 2\n", "web",
		 &msg);
	ok(!s && msg &&
		   strstr(msg, "compose.yml:4:5: service 'web': container_name names one container, not 2 replicas"),
	   "container_name with replicas: 2 is an error at container_name (%s)", msg ? msg : "");
	free(msg);
	s = spec("services:\n  web:\n    image: i\n    build: .\n    pull_policy: never\n"
		 "    x-thing: 1\n    deploy: {replicas: 1}\n",
		 "web", &msg);
	ok(s != NULL, "build, pull_policy, profiles, x-, replicas: 1 are fine (%s)", msg ? msg : "");
	deploy_service_free(s);
	free(msg);
	s = spec("services:\n  web:\n    image: i\n    deploy:\n      resources:\n        reservations:\n"
		 "          devices: [{capabilities: [gpu]}]\n",
		 "web", &msg);
	ok(!s && msg &&
		   strstr(msg, "compose.yml:7:11: service 'web': field 'deploy.resources.reservations.devices' is not "
			       "deployed"),
	   "a device reservation is an error at its position (%s)", msg ? msg : "");
	free(msg);
}

static void test_replicas(void)
{
	char *msg;
	struct deploy_service *s = spec("services:\n  web:\n    image: i\n    deploy: {replicas: 3}\n"
					"    networks: {a: {aliases: [x]}, b: }\nnetworks: {a: {}, b: {}}\n",
					"web", &msg),
			      *r;

	ok(s, "deploy.replicas maps (%s)", msg ? msg : "");
	if (!s)
		return;
	is_int(s->replicas, 3, "replicas: 3");
	is_json(s->config, "deploy.replicas", "(none)", "the hash does not cover replicas (as compose's)");
	r = deploy_service_replica(s, proj, 3);
	is_str(r->container_name, "p-web-3", "replica 3: PROJECT-SERVICE-3");
	is_json(r->create, "Labels/com.docker.compose.container-number", "\"3\"", "replica 3: container-number 3");
	is_json(r->create, "NetworkingConfig/EndpointsConfig/p_a/Aliases", "[\"p-web-3\",\"web\",\"x\"]",
		"replica 3: its name first in the body's endpoint");
	is_json(r->networks[1].endpoint, "Aliases", "[\"p-web-3\",\"web\"]", "and in the others");
	is_str(r->networks[1].aliases.v[0], "p-web-3", "and in the alias lists");
	is_json(s->create, "Labels/com.docker.compose.container-number", "\"1\"", "the first is untouched");
	deploy_service_free(r);
	deploy_service_free(s);
}

static void test_shares(void)
{
	char *msg;
	struct deploy_service *s = spec("services:\n"
					"  side: {image: i}\n"
					"  web:\n"
					"    image: i\n"
					"    healthcheck: {disable: true}\n"
					"    volumes_from: [\"side:ro\", \"container:other\"]\n"
					"    pid: host\n",
					"web", &msg);

	ok(s, "volumes_from and a disabled healthcheck map (%s)", msg ? msg : "");
	if (!s)
		return;
	is_json(s->create, "Healthcheck", "{\"Test\":[\"NONE\"]}", "healthcheck disable: Test NONE");
	is_int(s->has_healthcheck, 0, "a disabled healthcheck is none");
	is_json(s->create, "HostConfig/VolumesFrom", "[\"p-side-1\",\"other\"]",
		"volumes_from: a service by its container name, container:X as X, modes dropped (as compose)");
	is_json(s->create, "HostConfig/PidMode", "\"host\"", "pid: host");
	is_json(s->create, "Labels/com.docker.compose.depends_on", "\"side:service_started:false\"",
		"volumes_from implies depends_on");
	ok(s->shares.n == 1 && !strcmp(s->shares.v[0], "side"), "shares: side");
	deploy_service_free(s);
}

/* Every field not deployed is reported, in an override file at its place. */
static void test_unsupported_override(void)
{
	const char *files[] = { "compose.yml", "over.yml" };
	struct cc_error *err = NULL;
	struct deploy_service *s = NULL;
	cleanup_free char *want1 = xasprintf("%s/over.yml:3:5: service 'web': field 'links'", tmpdir);
	cleanup_free char *want2 = xasprintf("%s/over.yml:4:5: service 'web': field 'cpu_count'", tmpdir);
	struct compose_project *p;

	put("compose.yml", "services:\n  web: {image: i}\n  db: {image: i}\n");
	put("over.yml", "services:\n  web:\n    links: [db]\n    cpu_count: 2\n");
	p = load("p", files, 2, tmpdir, &err);
	ok(p && deploy_service_spec(p, proj, (size_t)compose_service_find(p, "web"), NULL, &s, &err) < 0,
	   "fields not deployed in an override fail");
	is_int(cc_error_count(err), 2, "both are reported");
	ok(err && err->next && (strstr(err->msg, want1) || strstr(err->next->msg, want1)),
	   "links at its place in over.yml (%s)", err ? err->msg : "");
	ok(err && err->next && (strstr(err->msg, want2) || strstr(err->next->msg, want2)),
	   "cpu_count at its place (%s)", err && err->next ? err->next->msg : "");
	deploy_service_free(s);
	cc_error_free(err);
	compose_free(p);
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "--dump"))
		return dump(argc, argv);
	if (!mkdtemp(tmpdir))
		abort();
	test_config_part();
	test_ports();
	test_mounts();
	test_networks();
	test_host();
	test_unsupported();
	test_shares();
	test_replicas();
	test_unsupported_override();
	deploy_project_free(proj);
	compose_free(project);
	{
		cleanup_free char *cmd = xasprintf("rm -rf %s", tmpdir);

		if (system(cmd) != 0)
			abort();
	}
	return done_testing();
}
