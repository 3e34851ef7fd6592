#!/bin/bash
# `ccbuild config PROFILE` against Docker Compose v2's `docker compose
# config` (2.26, scripts/setup.sh --peers), the oracle since compose 1.29
# went end-of-life: the merge cases in tests/compose-cases/ (byte for byte,
# or the same data where noted below) and every profile of the three
# examples (the profile's env exported to compose, as ccbuild applies it
# below the process environment).
. "$(dirname "$0")/test-lib.sh"
test_description 'config agrees with docker compose (v2) config'

if ! docker compose version >/dev/null 2>&1; then
	test_skip_all_ 'Docker Compose v2 not installed (scripts/setup.sh --peers installs it)'
fi

# Cases whose output may be the same data as v2's in other text (none
# today); every other case is byte-identical, or rejected by both.
semantic_cases=" "
for dir in "$SRCROOT"/tests/compose-cases/*/; do
	name=$(basename "$dir")
	want="identical|both failed:.*" how="identical or both reject"
	case $semantic_cases in *" $name "*) want="semantic .*" how="same data" ;; esac
	test_expect_success "compose case $name agrees with compose v2 ($how)" "
		\"$SRCROOT/tests/compose-cases/compare.sh\" \"$CCBUILD\" $name >out &&
		cat out && head -n 1 out | grep -qxE '$want'
	"
done

# extends errors: compose's message, at the file, line and column of the
# extends: that fails.
extends_case () {
	mkdir -p ext/sub &&
	printf "ccbuild: 1\nproject: ext\ncompose: [docker-compose.yml]\nprofiles: {dev: {}}\n" >ext/ccbuild.yaml &&
	printf "version: \"3.8\"\nservices:\n  a:\n    extends: %s\n" "$1" >ext/docker-compose.yml
}

test_expect_success 'extends: a cycle is an error naming each step' '
	extends_case b &&
	printf "  b:\n    extends: {service: a}\n" >>ext/docker-compose.yml &&
	test_expect_code 2 "$CCBUILD" -C ext config dev 2>err &&
	grep -q "docker-compose.yml:4:14: Circular reference:" err &&
	grep -q "^  extends b in $TRASH/ext/docker-compose.yml" err
'

test_expect_success 'extends: a missing service or file is an error at its line' '
	extends_case nope &&
	test_expect_code 2 "$CCBUILD" -C ext config dev 2>err &&
	grep -q "docker-compose.yml:4:14: Cannot extend service .nope. in $TRASH/ext/docker-compose.yml: Service not found" err &&
	extends_case "{file: sub/none.yml, service: b}" &&
	test_expect_code 2 "$CCBUILD" -C ext config dev 2>err &&
	grep -q "docker-compose.yml:4:14: extends: cannot read $TRASH/ext/sub/none.yml" err
'

test_expect_success 'extends: a service with links cannot be extended (nested, other file)' '
	extends_case "{file: sub/x.yml, service: b}" &&
	printf "version: \"3.8\"\nservices:\n  b:\n    extends: c\n  c:\n    image: busybox\n    links: [a]\n" >ext/sub/x.yml &&
	test_expect_code 2 "$CCBUILD" -C ext config dev 2>err &&
	grep -q "sub/x.yml:4:14: Cannot extend service .c. in $TRASH/ext/sub/x.yml: services with .links. cannot be extended" err
'

# Mis-typed values: compose v2 rejects each one; ccbuild too,
# at the value's FILE:LINE:COL, naming the field and the type it must have.
typed_case () {
	mkdir -p typed &&
	printf "ccbuild: 1\nproject: typed\ncompose: [docker-compose.yml]\nprofiles: {dev: {}}\n" >typed/ccbuild.yaml &&
	printf "services:\n  web:\n    image: w\n    %s\n" "$1" >typed/docker-compose.yml
}

typed_cases () {
	cat <<-\CASES
	build: {context: ., dockerfile: {a: 1}}|build.dockerfile must be a string, not a mapping
	build: {context: ., target: {a: 1}}|build.target must be a string, not a mapping
	build: {context: ., args: {V: {major: 1}}}|build.args.V must be a string, a number or null, not a mapping
	build: {context: ., cache_from: x}|build.cache_from must be a list, not a string
	build: {context: ., network: [host]}|build.network must be a string, not a list
	build: {context: ., shm_size: [1]}|build.shm_size must be a string or an integer, not a list
	build: [.]|build must be a string or a mapping, not a list
	cap_add: ALL|cap_add must be a list, not a string
	command: {a: 1}|command must be a string or a list, not a mapping
	container_name: 1|container_name must be a string, not an integer
	cpu_percent: 1.5|cpu_percent must be an integer, not a number
	cpus: true|cpus must be a string or a number, not a boolean
	depends_on: {db: {condition: started}}|depends_on.db.condition must be one of service_started
	dns: {a: 1}|dns must be a string or a list, not a mapping
	entrypoint: [[a]]|entrypoint\[0\] must be a string, not a list
	env_file: [1]|env_file\[0\] must be a string or a mapping, not an integer
	environment: {A: [1]}|environment.A must be a string, a number or null, not a list
	expose: [{a: 1}]|expose\[0\] must be a string or a number, not a mapping
	extends: {file: x.yml}|extends needs the key .service.
	healthcheck: {test: {a: 1}}|healthcheck.test must be a string or a list, not a mapping
	hostname: 1|hostname must be a string, not an integer
	init: maybe|init must be a boolean, not a string
	labels: {a: {b: 1}}|labels.a must be a string, a number or null, not a mapping
	logging: {options: {max-size: [1]}}|logging.options.max-size must be a string, a number or null
	mem_reservation: 1.5|mem_reservation must be a string or an integer, not a number
	networks: {front: {aliases: a}}|networks.front.aliases must be a list, not a string
	pid: 1|pid must be a string or null, not an integer
	ports: [[80]]|ports\[0\] must be a string, a number or a mapping, not a list
	pull_policy: sometimes|pull_policy must be one of always, never, if_not_present, build, missing, not .sometimes.
	read_only: 2|read_only must be a boolean, not an integer
	restart: [always]|restart must be a string, not a list
	secrets: [{source: [a]}]|secrets\[0\].source must be a string, not a list
	stop_signal: 9|stop_signal must be a string, not an integer
	ulimits: {nofile: {soft: 1}}|ulimits.nofile needs the key .hard.
	user: [root]|user must be a string, not a list
	volumes: [[/a]]|volumes\[0\] must be a string or a mapping, not a list
	volumes: [{source: /a}]|volumes\[0\] needs the key .type.
	deploy: {update_config: {order: random}}|deploy.update_config.order must be one of start-first, stop-first
	deploy: {resources: {limits: {memory: [1]}}}|deploy.resources.limits.memory must be a string, not a list
	ports: [80, 80.0]|ports\[1\] repeats ports\[0\]
	CASES
}

# The oracle: compose v2's `config` rejects each of them.  (Repeated
# cap_add, environment or volumes items, which 1.29's schema rejected,
# compose v2 accepts and merges; they are not in this list.)
test_expect_success "compose v2 rejects every mis-typed case below" '
	mkdir -p v2typed &&
	typed_cases | while IFS="|" read -r value want; do
		printf "services:\n  web:\n    image: w\n    %s\n" "$value" >v2typed/compose.yaml &&
		if (cd v2typed && docker compose config >/dev/null 2>&1); then
			echo "accepted by compose v2: $value"; echo bad >v2typed/bad
		fi
	done &&
	! test -e v2typed/bad
'

while IFS='|' read -r value want; do
	test_expect_success "a mis-typed $value is an error at its position" "
		typed_case '$value' &&
		test_expect_code 2 \"\$CCBUILD\" -C typed config dev 2>err &&
		cat err &&
		grep -q \"docker-compose.yml:4:[0-9]*: service 'web': $want\" err
	"
done < <(typed_cases)

test_expect_success 'a top-level network of the wrong type is an error at its position' '
	typed_case "build: ." &&
	printf "networks:\n  n:\n    driver: 1\n" >>typed/docker-compose.yml &&
	test_expect_code 2 "$CCBUILD" -C typed config dev 2>err &&
	grep -q "docker-compose.yml:7:13: network .n.: driver must be a string, not an integer" err
'

# fuzzing: an override over a volume item that is itself a list segfaulted
# lint and config (compose_volume_target handed a NULL string on).
test_expect_success 'a list as a volume item in an override is an error, not a crash' '
	mkdir -p nested &&
	printf "ccbuild: 1\nproject: nested\ncompose: [a.yml, b.yml]\nprofiles: {dev: {}}\n" >nested/ccbuild.yaml &&
	printf "services:\n  s:\n    image: x\n" >nested/a.yml &&
	printf "services:\n  s:\n    volumes:\n      - - /anon\n" >nested/b.yml &&
	test_expect_code 2 "$CCBUILD" -C nested config dev 2>err &&
	grep -q "b.yml:4:9: service .s.: volumes\[0\] must be a string or a mapping, not a list" err &&
	test_expect_code 2 "$CCBUILD" -C nested lint 2>err &&
	grep -q "b.yml:4:9: service .s.: volumes\[0\]" err
'

# config prints what compose prints even when a build could not use
# it; lint, plan and a run report those (compose-cases/types-accepted has
# the config side of all three).
build_case () {
	mkdir -p bp/sub &&
	printf "ccbuild: 1\nproject: bp\ncompose: [docker-compose.yml]\nprofiles: {dev: {}}\n" >bp/ccbuild.yaml &&
	printf "FROM scratch\n" >bp/Dockerfile &&
	printf "services:\n  web:\n    image: w\n    build:\n      %s\n" "$1" >bp/docker-compose.yml
}

test_expect_success 'a context without a Dockerfile: config prints it, lint and plan report it' '
	build_case "context: sub" &&
	"$CCBUILD" -C bp config dev >out &&
	grep -q "context: $TRASH/bp/sub" out &&
	test_expect_code 2 "$CCBUILD" -C bp lint 2>err &&
	grep -q "cannot read Dockerfile $TRASH/bp/sub/Dockerfile" err &&
	test_expect_code 2 "$CCBUILD" -C bp plan dev 2>err &&
	grep -q "cannot read Dockerfile $TRASH/bp/sub/Dockerfile" err
'

test_expect_success 'an empty dockerfile: from an unset variable: config omits it (as v2), lint and plan report it' '
	build_case "dockerfile: \${CCB_T0030_UNSET}" &&
	"$CCBUILD" -C bp config dev >out &&
	! grep -q "dockerfile:" out &&
	test_expect_code 2 "$CCBUILD" -C bp lint 2>err &&
	grep -q "docker-compose.yml:5:19: service .web.: build.dockerfile is empty" err &&
	test_expect_code 2 "$CCBUILD" -C bp plan dev 2>err &&
	grep -q "docker-compose.yml:5:19: service .web.: build.dockerfile is empty" err
'

test_expect_success 'a remote git context: config prints it, lint, plan and a run say it is not supported yet' '
	build_case "context: https://github.com/docker/app.git#main" &&
	"$CCBUILD" -C bp config dev >out &&
	grep -q "context: https://github.com/docker/app.git#main" out &&
	for cmd in lint "plan dev" "--dry-run dev"; do
		test_expect_code 2 "$CCBUILD" -C bp $cmd 2>err &&
		grep -q "docker-compose.yml:5:16: service .web.: build context https://github.com/docker/app.git#main: remote (git or URL) build contexts are not supported yet" err ||
		return 1
	done
'

# env_file: compose v2's long form; a missing file that is not required is
# no error.  NUL bytes in .env and env_file are errors at their line.
envfile_case () {
	mkdir -p ef &&
	printf "ccbuild: 1\nproject: ef\ncompose: [docker-compose.yml]\nprofiles: {dev: {}}\n" >ef/ccbuild.yaml &&
	printf "services:\n  web:\n    image: w\n    env_file:\n$1" >ef/docker-compose.yml
}

test_expect_success 'env_file long form: path, required: false, format: raw' '
	envfile_case "      - path: a.env\n      - path: none.env\n        required: false\n      - {path: r.env, format: raw}\n" &&
	printf "A=1\nQ=\"q\"\n" >ef/a.env &&
	printf "R=\"raw\"\n" >ef/r.env &&
	"$CCBUILD" -C ef config dev >out 2>err &&
	cat out err &&
	! grep -q "null" err &&
	grep -q "A: .1." out && grep -q "Q: q" out && grep -q "R: .\"raw\"." out
'

test_expect_success 'env_file long form: a missing required file is an error at its path' '
	envfile_case "      - path: none.env\n" &&
	test_expect_code 2 "$CCBUILD" -C ef config dev 2>err &&
	cat err &&
	grep -q "docker-compose.yml:5:15: Couldn.t find env file: $TRASH/ef/none.env" err &&
	! grep -q "(null)" err
'

test_expect_success 'a NUL byte in an env_file or .env is an error at its line' '
	envfile_case "      - a.env\n" &&
	printf "A=1\nB=x\000y\nC=3\n" >ef/a.env &&
	test_expect_code 2 "$CCBUILD" -C ef config dev 2>err &&
	grep -q "$TRASH/ef/a.env:2: NUL byte in env file" err &&
	printf "A=1\n" >ef/a.env &&
	printf "X=1\n\nY=a\000\n" >ef/.env &&
	test_expect_code 2 "$CCBUILD" -C ef config dev 2>err &&
	grep -q "$TRASH/ef/.env:3: NUL byte in env file" err
'

# compose v2's build fields: platforms: (the manifest's add to them) reach
# the build; those a build cannot honour yet are errors at their position,
# never silently dropped (config still prints them: case v2-keys).
test_expect_success 'compose build.platforms: the manifest platforms: add to them' '
	cp -r "$SRCROOT/tests/compose-cases/v2-dollar-platforms" pl &&
	printf "images:\n  a:\n    platforms: [linux/386]\n" >>pl/ccbuild.yaml &&
	"$CCBUILD" -C pl plan dev >out &&
	grep -q "a from Dockerfile platforms=linux/amd64,linux/arm64,linux/386" out
'

test_expect_success 'build entitlements, privileged: dockerd cannot grant them (build.ssh, no_cache, additional_contexts are taken): lint and plan say so' '
	cp -r "$SRCROOT/tests/compose-cases/v2-keys" keys &&
	for cmd in lint "plan dev"; do
		test_expect_code 2 "$CCBUILD" -C keys $cmd 2>err &&
		! grep -q "build.secrets" err &&
		! grep -q "build.ssh needs" err &&
		grep -q "compose.yaml:17:21: service .web.: build.entitlements: dockerd.s /build API cannot grant" err &&
		grep -q "compose.yaml:18:19: service .web.: build.privileged: dockerd.s /build API cannot grant" err &&
		! grep -q "additional_contexts" err &&
		! grep -q "build.no_cache" err || return 1
	done
'

test_expect_success 'build.dockerfile_inline: config prints it, lint and plan take it (t0032 builds it)' '
	mkdir -p inl &&
	printf "ccbuild: 1\nproject: inl\ncompose: [compose.yaml]\nprofiles: {dev: {}}\n" >inl/ccbuild.yaml &&
	printf "services:\n  a:\n    image: a\n    build:\n      context: .\n      dockerfile_inline: |\n        FROM scratch\n        RUN echo \$(date)\n" >inl/compose.yaml &&
	"$CCBUILD" -C inl config dev >out &&
	(cd inl && docker compose config 2>/dev/null) >expected &&
	test_cmp expected out &&
	"$CCBUILD" -C inl lint &&
	"$CCBUILD" -C inl plan dev >out &&
	grep -q "a from dockerfile_inline" out
'

test_expect_success '!reset below a service key is an error, not a silent merge' '
	cp -r "$SRCROOT/tests/compose-cases/v2-reset-override" rs &&
	printf "services:\n  a:\n    environment: {A: !reset null}\n" >rs/override.yaml &&
	test_expect_code 2 "$CCBUILD" -C rs config dev 2>err &&
	grep -q "override.yaml:3:22: service .a.: environment.A: !reset below a service.s own keys is not supported yet" err
'

# include: (case compose-cases/include has the paths and environments);
# what compose v2 rejects, ccbuild rejects with v2's words, at the
# include: item that fails.
include_case () {
	rm -rf inc && mkdir -p inc/sub &&
	printf "ccbuild: 1\nproject: inc\ncompose: [compose.yaml]\nprofiles: {dev: {}}\n" >inc/ccbuild.yaml &&
	printf "include:\n  - %s\nservices:\n  a: {image: x}\n" "$1" >inc/compose.yaml &&
	printf "services:\n  %s: {image: %s}\n" "$2" "$3" >inc/sub/other.yaml
}

include_rejected () {
	! (cd inc && docker compose config >/dev/null 2>v2err) &&
	cat inc/v2err &&
	test_expect_code 2 "$CCBUILD" -C inc config dev 2>err &&
	cat err &&
	grep -q "$1" err
}

test_expect_success 'include: a service defined the same way twice is no conflict' '
	include_case sub/other.yaml a x &&
	(cd inc && docker compose -p inc config) >expected &&
	"$CCBUILD" -C inc config dev >out &&
	test_cmp expected out
'

test_expect_success 'include: a service defined otherwise conflicts, as in compose v2' '
	include_case sub/other.yaml a y &&
	include_rejected "compose.yaml:2:5: services.a conflicts with imported resource" &&
	grep -q "services.a conflicts with imported resource" inc/v2err
'

test_expect_success 'include: two includes defining one service otherwise conflict' '
	include_case sub/other.yaml b y &&
	printf "services:\n  b: {image: z}\n" >inc/sub/third.yaml &&
	printf "include:\n  - sub/other.yaml\n  - path: sub/third.yaml\n" >inc/compose.yaml &&
	include_rejected "compose.yaml:3:5: services.b conflicts with imported resource"
'

test_expect_success 'include: a cycle is an error naming each file' '
	include_case sub/other.yaml b y &&
	printf "include: [../compose.yaml]\n" >>inc/sub/other.yaml &&
	include_rejected "sub/other.yaml:3:11: include cycle detected:" &&
	grep -q "^ include $TRASH/inc/sub/other.yaml" err &&
	grep -q "^ include $TRASH/inc/compose.yaml" err
'

test_expect_success 'include: a missing file or env_file, a bad item: errors at the item' '
	include_case sub/none.yaml b y &&
	include_rejected "compose.yaml:2:5: include: cannot read $TRASH/inc/sub/none.yaml" &&
	include_case "{path: sub/other.yaml, env_file: none.env}" b y &&
	include_rejected "compose.yaml:2:5: include env_file $TRASH/inc/none.env: No such file" &&
	include_case "{path: [[sub/other.yaml]]}" b y &&
	include_rejected "compose.yaml:2:13: include\[0\].path\[0\] must be a string, not a list" &&
	include_case 3 b y &&
	include_rejected "compose.yaml:2:5: include\[0\] must be a string or a mapping, not an integer" &&
	printf "include: sub/other.yaml\n" >inc/compose.yaml &&
	include_rejected "compose.yaml:1:10: .include. must be a list, not a string"
'

# What compose v2 rejects once the services are merged: a dependency
# cycle (depends_on or links), a service whose image: is empty and has no
# build, a platform: its build.platforms: does not build.
deps_case () {
	rm -rf deps && mkdir -p deps &&
	printf "ccbuild: 1\nproject: deps\ncompose: [compose.yaml]\nprofiles: {dev: {}}\n" >deps/ccbuild.yaml &&
	printf "services:\n$1\n" >deps/compose.yaml &&
	! (cd deps && docker compose config >/dev/null 2>v2err) &&
	test_expect_code 2 "$CCBUILD" -C deps config dev 2>err &&
	cat err deps/v2err
}

test_expect_success 'a dependency cycle is an error, as in compose v2' '
	deps_case "  a: {image: a, depends_on: [b]}\n  b: {image: b, links: [c]}\n  c: {image: c, depends_on: [a]}" &&
	grep -q "dependency cycle detected: a -> b -> c -> a" deps/v2err &&
	grep -q "compose.yaml:4:6: dependency cycle detected: a -> b -> c -> a" err &&
	deps_case "  a: {image: a, network_mode: \"service:a\"}" &&
	grep -q "dependency cycle detected: a -> a" err
'

test_expect_success 'an empty image: without build, a platform: not built: errors as in compose v2' '
	deps_case "  a: {image: \"\${CCB_T0030_UNSET}\"}" &&
	grep -q "compose.yaml:2:6: Service a has neither an image nor a build context specified" err &&
	deps_case "  a: {image: a, platform: linux/riscv64, build: {context: ., platforms: [linux/amd64]}}" &&
	grep -q "compose.yaml:2:27: service.build.platforms MUST include service.platform \"linux/riscv64\"" err
'

# compose's own variables: COMPOSE_FILE (with COMPOSE_PATH_SEPARATOR, from
# the environment or .env) names the files when the manifest names none;
# COMPOSE_ENV_FILES the env files read in place of .env.  The manifest's
# compose:, env_file: and project: win when given, as -f, --env-file and -p
# do, with a warning when the variable says otherwise.
envvars_case () {
	rm -rf ev && mkdir -p ev &&
	printf "ccbuild: 1\nproject: ev\nprofiles: {dev: {}}\n" >ev/ccbuild.yaml &&
	printf "services:\n  a: {image: \"a-\${X}\"}\n" >ev/one.yaml &&
	printf "services:\n  a: {environment: [B=2]}\n" >ev/two.yaml &&
	printf "X=dot\n" >ev/.env && printf "X=one\n" >ev/e1.env
}

test_expect_success 'COMPOSE_FILE names the files when the manifest names none, as in compose v2' '
	envvars_case &&
	(cd ev && COMPOSE_FILE=one.yaml:two.yaml docker compose -p ev config) >expected &&
	(cd ev && COMPOSE_FILE=one.yaml:two.yaml "$CCBUILD" config dev) >out &&
	test_cmp expected out &&
	grep -q "B: \"2\"" out &&
	(cd ev && COMPOSE_PATH_SEPARATOR=";" COMPOSE_FILE="one.yaml;two.yaml" "$CCBUILD" config dev) >out &&
	test_cmp expected out &&
	printf "COMPOSE_FILE=one.yaml,two.yaml\nCOMPOSE_PATH_SEPARATOR=,\n" >>ev/.env &&
	(cd ev && docker compose -p ev config) >expected &&
	"$CCBUILD" -C ev config dev >out &&
	test_cmp expected out
'

test_expect_success 'the manifest compose: wins over COMPOSE_FILE, with a warning' '
	envvars_case &&
	printf "compose: [one.yaml]\n" >>ev/ccbuild.yaml &&
	COMPOSE_FILE=one.yaml:two.yaml "$CCBUILD" -C ev config dev >out 2>err &&
	! grep -q "B:" out &&
	grep -q "warning: COMPOSE_FILE is not used: the manifest.s compose: names the files" err &&
	COMPOSE_FILE=one.yaml "$CCBUILD" -C ev config dev >out 2>err &&
	! grep -q warning err
'

test_expect_success 'COMPOSE_ENV_FILES is read in place of .env, as in compose v2' '
	envvars_case &&
	(cd ev && COMPOSE_ENV_FILES=e1.env docker compose -p ev -f one.yaml config) >expected &&
	grep -q "image: a-one" expected &&
	printf "compose: [one.yaml]\n" >>ev/ccbuild.yaml &&
	COMPOSE_ENV_FILES=e1.env "$CCBUILD" -C ev config dev >out &&
	test_cmp expected out &&
	printf "env_file: [.env]\n" >>ev/ccbuild.yaml &&
	COMPOSE_ENV_FILES=e1.env "$CCBUILD" -C ev config dev >out 2>err &&
	grep -q "image: a-dot" out &&
	grep -q "warning: COMPOSE_ENV_FILES is not used: the manifest.s env_file: names the env files" err
'

test_expect_success 'the manifest project: names the compose project, not COMPOSE_PROJECT_NAME' '
	envvars_case &&
	printf "compose: [one.yaml]\n" >>ev/ccbuild.yaml &&
	COMPOSE_PROJECT_NAME=other "$CCBUILD" -C ev config dev >out 2>err &&
	grep -q "^name: ev$" out &&
	grep -q "warning: COMPOSE_PROJECT_NAME=other is not used: the manifest.s project: ev names the compose project" err &&
	COMPOSE_PROJECT_NAME=ev "$CCBUILD" -C ev config dev >out 2>err &&
	! grep -q warning err
'

# Service profiles: a service with profiles: is in the model only when a
# ccbuild profile's compose_profiles: or COMPOSE_PROFILES activates one.
profiles_case () {
	mkdir -p prof &&
	printf "ccbuild: 1\nproject: prof\ncompose: [compose.yaml]\nprofiles: {dev: {}, debug: {compose_profiles: [debug]}}\n" >prof/ccbuild.yaml &&
	printf "services:\n  a: {image: x}\n  b: {image: y, profiles: [debug]}\n  c: {image: z, profiles: [other], depends_on: [b]}\n" >prof/compose.yaml
}

test_expect_success 'service profiles: inactive services are not in the model (as compose v2)' '
	profiles_case &&
	"$CCBUILD" -C prof config dev >out &&
	(cd prof && docker compose -p prof config 2>/dev/null) >expected &&
	test_cmp expected out &&
	! grep -q "^  b:" out
'

test_expect_success 'service profiles: compose_profiles: and COMPOSE_PROFILES activate them' '
	profiles_case &&
	"$CCBUILD" -C prof config debug >out &&
	(cd prof && docker compose -p prof --profile debug config 2>/dev/null) >expected &&
	test_cmp expected out &&
	grep -q "^  b:" out &&
	COMPOSE_PROFILES=debug "$CCBUILD" -C prof config dev >out &&
	test_cmp expected out &&
	printf "COMPOSE_PROFILES=debug\n" >prof/.env &&
	"$CCBUILD" -C prof config dev >out &&
	test_cmp expected out &&
	rm prof/.env
'

test_expect_success 'service profiles: depending on an inactive service is an error, as in compose v2' '
	profiles_case &&
	! (cd prof && COMPOSE_PROFILES=other docker compose -p prof config >/dev/null 2>&1) &&
	COMPOSE_PROFILES=other test_expect_code 2 "$CCBUILD" -C prof config dev 2>err &&
	grep -q "compose.yaml:4:[0-9]*: Service .c. depends on service .b. which is undefined" err
'

# example PROFILE: files, env and project of the profile, from its
# ccbuild.yaml.  The manifest's project: names the compose project, as
# `docker compose -p` does (over COMPOSE_PROJECT_NAME and name:).
compose_args () {
	python3 - "$1" "$2" <<-\PY
	import sys, yaml, shlex
	doc = yaml.safe_load(open(sys.argv[1]))
	prof = (doc.get("profiles") or {}).get(sys.argv[2]) or {}
	def lst(v): return [] if v is None else ([v] if isinstance(v, str) else v)
	files = lst(doc.get("compose")) + lst(prof.get("compose"))
	env = prof.get("env") or {}
	if isinstance(env, list):
	    env = dict(e.split("=", 1) if "=" in e else (e, "") for e in env)
	envfiles = lst(doc.get("env_file")) + lst(prof.get("env_file"))
	print(" ".join(shlex.quote(f"{k}={'true' if v is True else 'false' if v is False else v}") for k, v in env.items()))
	print(" ".join(shlex.quote(f) for f in envfiles))
	print(" ".join("-f " + shlex.quote(f) for f in files))
	print(shlex.quote(doc["project"]))
	PY
}

for ex in senex orchestrator code-engine config-sync; do
	profs="dev staging prod"
	test $ex = config-sync && profs="dev nightly"
	for prof in $profs; do
		test_expect_success "example $ex profile $prof agrees with docker compose v2" "
			cd \"$SRCROOT/examples/$ex\" &&
			compose_args ccbuild.yaml $prof >\"\$TRASH/args\" &&
			{ read -r envs; read -r envfiles; read -r files; read -r project; } <\"\$TRASH/args\" &&
			( for f in \$envfiles; do test \"\$f\" = .env || { set -a; . ./\$f; set +a; }; done
			  eval \"env \$envs docker compose -p \$project --project-directory . \$files config\" ) >\"\$TRASH/expected\" &&
			\"$CCBUILD\" config $prof >\"\$TRASH/actual\" &&
			\"$SRCROOT/tests/compose-cases/compare.sh\" --same \"\$TRASH/expected\" \"\$TRASH/actual\"
		"
	done
done

test_done
