#!/bin/bash
# deploy-spec against the real Docker Compose v2 (2.26): for one compose
# project exercising the deployed fields (command, entrypoint, environment
# and env_file, labels, ports with host_ip, ranges and protocols, expose,
# short and long volumes, named, anonymous and tmpfs volumes, healthcheck,
# depends_on, restart and deploy.restart_policy, networks with aliases and
# priority, network_mode/ipc/pid service:, volumes_from, user, working_dir,
# read_only, capabilities, security_opt, pids_limit, mem_limit, cpus,
# deploy.resources, ulimits, logging, secrets and configs from files,
# extra_hosts, hostname, init, shm_size, stop_signal, stop_grace_period,
# sysctls, tmpfs, tty, stdin_open, and the rarer dns*, domainname,
# group_add, cpu_*, cpuset, mem_*, oom_score_adj, devices, uts, a disabled
# healthcheck, named networks and volumes with drivers and options,
# deploy.replicas: 2), `docker compose -p P create` makes the
# containers, networks and volumes, and the same project made from
# deploy-spec's JSON (tests/unit/test-deploy-spec --dump, then the Engine API
# through curl: tests/lib/deploy-oracle.py) must inspect the same: every
# HostConfig field, the Config fields compose sets, each endpoint's aliases
# and IPAM settings, the networks' and volumes' drivers, options and labels
# (IDs, hashes and auto-assigned subnets normalised).  Then `docker compose
# -p P ps` and `down -v` must work on what deploy-spec made.
. "$(dirname "$0")/test-lib.sh"
test_description 'deploy-spec creates what docker compose create creates'
test_need_docker
if ! docker compose version >/dev/null 2>&1; then
	test_skip_all_ 'Docker Compose v2 not installed (scripts/setup.sh --peers installs it)'
fi

DUMP=${CCBUILD_BUILD_DIR:-$SRCROOT}/tests/unit/test-deploy-spec
ORACLE="python3 $SRCROOT/tests/lib/deploy-oracle.py"
SOCK=$(engine_sock) || exit 1
P=ccbo$TEST_ID
IMG=ccbuild-test/busybox:latest

project_gone () {
	docker compose -p "$P" down -v --remove-orphans >/dev/null 2>&1
	test -z "$(docker ps -aq --filter label=com.docker.compose.project="$P")" &&
		test -z "$(docker network ls -q --filter label=com.docker.compose.project="$P")" &&
		test -z "$(docker volume ls -q --filter label=com.docker.compose.project="$P")"
}

test_expect_success 'setup: a project using the deployed fields' '
	mkdir -p proj/secrets proj/data &&
	echo s3cret >proj/secrets/pw.txt &&
	echo cfg >proj/app.conf &&
	printf "FROMFILE=1\nDEBUG=from-file\n" >proj/app.env &&
	cat >proj/docker-compose.yml <<-EOF &&
	services:
	  web:
	    image: $IMG
	    command: ["httpd", "-f", "-p", "8080"]
	    entrypoint: /bin/sh -c
	    environment: {DEBUG: "false", ZED: z, APPLE: "1", EMPTY: null}
	    env_file: [app.env]
	    labels: {com.example.team: core}
	    ports:
	      - "127.0.0.1:8080:8080"
	      - "9000-9001:9000-9001/udp"
	      - {target: 7000, published: "17000", protocol: tcp}
	      - "6000"
	    expose: ["5000", "5001/udp"]
	    volumes:
	      - ./data:/data
	      - ./data:/ro-data:ro
	      - dbdata:/var/lib/db
	      - {type: bind, source: ./app.conf, target: /etc/app.conf, read_only: true}
	      - {type: volume, source: cache, target: /cache, volume: {nocopy: true}}
	      - {type: tmpfs, target: /scratch, tmpfs: {size: 1000000}}
	      - /anon
	    healthcheck: {test: [CMD, "true"], interval: 30s, timeout: 5s, retries: 3, start_period: 1m30s}
	    depends_on: {db: {condition: service_healthy}}
	    restart: unless-stopped
	    networks:
	      front: {aliases: [www, site]}
	      back:
	    user: "1000:1000"
	    working_dir: /srv
	    read_only: true
	    cap_add: [NET_ADMIN]
	    cap_drop: [ALL]
	    security_opt: ["no-new-privileges:true"]
	    pids_limit: 100
	    mem_limit: 256m
	    cpus: 0.5
	    ulimits: {nofile: {soft: 1024, hard: 2048}, nproc: 512}
	    logging: {driver: json-file, options: {max-size: 10m, max-file: "3"}}
	    secrets: [pw]
	    configs: [{source: appconf, target: /etc/appconf}]
	    extra_hosts: ["somehost:162.242.195.82", "other:10.0.0.1"]
	    hostname: webhost
	    init: true
	    shm_size: 64m
	    stop_signal: SIGTERM
	    stop_grace_period: 1m30s
	    sysctls: {net.core.somaxconn: 1024}
	    tmpfs: ["/run", "/tmp:size=1000000"]
	    tty: true
	    stdin_open: true
	    volumes_from: ["side:ro"]
	  db:
	    image: $IMG
	    command: sleep 1000
	    healthcheck: {test: "true", interval: 1s}
	    deploy:
	      resources:
	        limits: {cpus: "0.25", memory: 128M}
	        reservations: {memory: 64M}
	      restart_policy: {condition: on-failure, max_attempts: 3}
	    ipc: shareable
	    networks: {back: {priority: 5}, default: }
	  side:
	    image: $IMG
	    command: sleep 1000
	    network_mode: "service:db"
	    pid: "service:db"
	    ipc: "service:db"
	  extra:
	    image: $IMG
	    entrypoint: sleep
	    command: "1000"
	    labels: [com.example.list=1, com.example.empty=]
	    dns: [10.0.0.53]
	    dns_search: [example.test]
	    dns_opt: [ndots:2]
	    domainname: example.test
	    group_add: ["1234"]
	    privileged: false
	    cpu_shares: 512
	    cpu_period: 100000
	    cpu_quota: 50000
	    cpuset: "0"
	    mem_reservation: 32m
	    memswap_limit: 512m
	    mem_limit: 256m
	    oom_score_adj: 100
	    devices: ["/dev/null:/dev/mynull:rwm"]
	    sysctls: [net.ipv4.ip_unprivileged_port_start=0]
	    healthcheck: {disable: true}
	    restart: on-failure:3
	    uts: host
	    stop_grace_period: 500ms
	    secrets: [{source: pw, target: custom}]
	    configs: [appconf]
	    tmpfs: /cache
	    volumes:
	      - {type: volume, source: named, target: /named, read_only: true}
	      - {type: tmpfs, target: /t, tmpfs: {size: 64m}}
	      - {type: bind, source: ./data, target: /b, bind: {propagation: rprivate}}
	    networks: {front: {aliases: [x1]}, alt: {priority: 100}}
	    deploy: {replicas: 2}
	networks:
	  alt: {name: "${P}-alt", driver: bridge, driver_opts: {com.docker.network.bridge.enable_icc: "true"}, attachable: true}
	  front:
	  back: {labels: {x: "y"}, internal: true}
	  unused:
	volumes:
	  dbdata:
	  cache: {labels: {a: b}}
	  named: {name: "${P}-named", driver: local, driver_opts: {type: tmpfs, device: tmpfs, o: size=1m}}
	secrets:
	  pw: {file: ./secrets/pw.txt}
	configs:
	  appconf: {file: ./app.conf}
	EOF
	cat >proj/docker-compose.over.yml <<-EOF &&
	services:
	  side:
	    stop_grace_period: 3s
	    environment: [FROM_OVERRIDE=1]
	EOF
	(cd proj && docker compose -f docker-compose.yml -f docker-compose.over.yml config -q)
'

test_expect_success 'docker compose create: the reference' '
	(cd proj && docker compose -p "$P" -f docker-compose.yml -f docker-compose.over.yml create) &&
	$ORACLE snapshot "$SOCK" "$P" >compose.json &&
	test "$(docker ps -aq --filter label=com.docker.compose.project="$P" | wc -l)" = 5 &&
	project_gone
'

test_expect_success 'the same from deploy-spec JSON through the Engine API' '
	(cd proj && "$DUMP" --dump "$P" docker-compose.yml docker-compose.over.yml) >spec.json &&
	$ORACLE create "$SOCK" spec.json &&
	$ORACLE snapshot "$SOCK" "$P" >ours.json
'

test_expect_success 'both inspect the same (Config, HostConfig, endpoints, networks, volumes)' '
	grep -q "\"ReadonlyRootfs\": true" compose.json &&
	grep -q "/run/secrets/pw" compose.json &&
	grep -q "/run/secrets/custom" compose.json &&
	grep -q "/dev/mynull" compose.json &&
	grep -q "rprivate" compose.json &&
	grep -q "\"CpuShares\": 512" compose.json &&
	grep -q "enable_icc" compose.json &&
	grep -q "size=1m" compose.json &&
	test_cmp compose.json ours.json
'

test_expect_success 'docker compose ps and down work on what deploy-spec made' '
	docker compose -p "$P" ps -a --format "{{.Service}}" | sort >services &&
	printf "db\nextra\nextra\nside\nweb\n" >expect &&
	test_cmp expect services &&
	project_gone
'

test_expect_success 'cleanup: nothing of the project is left' '
	project_gone
'

test_done
