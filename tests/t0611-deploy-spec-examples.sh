#!/bin/bash
# deploy-spec against the real Docker Compose v2 (2.26) on every example
# project (examples/*: the base compose file alone and with each of its
# docker-compose.ENV.yml overrides): both create the project, and docker
# inspect of the two must agree (tests/lib/deploy-oracle.py, as t0610).
# The examples' images are not on this machine, so a last override file
# runs every service on a busybox image with a CMD (built here, removed at
# the end) and caps a CPU limit above this machine's cores (the engine
# refuses it); secret and config files the examples keep out of git are
# made empty.  Nothing is started.
. "$(dirname "$0")/test-lib.sh"
test_description 'deploy-spec creates what docker compose create creates, for the examples'
test_need_docker
if ! docker compose version >/dev/null 2>&1; then
	test_skip_all_ 'Docker Compose v2 not installed (scripts/setup.sh --peers installs it)'
fi

DUMP=${CCBUILD_BUILD_DIR:-$SRCROOT}/tests/unit/test-deploy-spec
ORACLE="python3 $SRCROOT/tests/lib/deploy-oracle.py"
SOCK=$(engine_sock) || exit 1
IMG=ccbuild-test/busybox-cmd:$TEST_ID
P=ccbx$TEST_ID

project_gone () {
	docker compose -p "$P" "$@" down -v --remove-orphans >/dev/null 2>&1
	test -z "$(docker ps -aq --filter label=com.docker.compose.project="$P")" &&
		test -z "$(docker network ls -q --filter label=com.docker.compose.project="$P")" &&
		test -z "$(docker volume ls -q --filter label=com.docker.compose.project="$P")"
}

# compare DIR [OVERRIDE]: both creations of the example in DIR inspect the same.
compare () {
	local dir=$1 files="docker-compose.yml${2:+ $2} zz-images.yml" base="-f docker-compose.yml${2:+ -f $2}"
	local fargs="$base -f zz-images.yml" s
	(
		cd "$dir" &&
		docker compose $base config --format json 2>/dev/null | IMG=$IMG python3 -c '
import json, os, sys
m = json.load(sys.stdin)
for kind in ("secrets", "configs"):
    for d in (m.get(kind) or {}).values():
        f = d.get("file")
        if f and not os.path.exists(f):
            os.makedirs(os.path.dirname(f), exist_ok=True)
            open(f, "w").close()
with open("zz-images.yml", "w") as out:
    out.write("services:\n")
    for name, svc in m["services"].items():
        out.write("  %s:\n    image: %s\n" % (name, os.environ["IMG"]))
        cpus = ((svc.get("deploy") or {}).get("resources") or {}).get("limits", {}).get("cpus")
        if cpus and float(cpus) > os.cpu_count():  # the engine refuses more than it has
            out.write("    deploy: {resources: {limits: {cpus: \"%d\"}}}\n" % os.cpu_count())
' &&
		docker compose -p "$P" $fargs create &&
		$ORACLE snapshot "$SOCK" "$P" >compose.json &&
		project_gone $fargs &&
		"$DUMP" --dump "$P" $files >spec.json &&
		$ORACLE create "$SOCK" spec.json &&
		$ORACLE snapshot "$SOCK" "$P" >ours.json &&
		project_gone $fargs &&
		grep -q "\"com.docker.compose.service\"" compose.json &&
		test_cmp compose.json ours.json
	)
	local rc=$?
	project_gone
	return $rc
}

test_expect_success 'setup: the examples and a busybox image with a CMD' '
	cp -r "$SRCROOT/examples" ex &&
	printf "FROM ccbuild-test/busybox:latest\nCMD [\"sleep\", \"3600\"]\n" >Dockerfile &&
	docker build -q -t "$IMG" . >/dev/null
'

for dir in "$SRCROOT"/examples/*/; do
	name=$(basename "$dir")
	test -f "$dir/docker-compose.yml" || continue
	test_expect_success "$name: docker-compose.yml" "compare ex/$name"
	for over in "$dir"/docker-compose.*.yml; do
		test -f "$over" || continue
		o=$(basename "$over")
		test_expect_success "$name: docker-compose.yml + $o" "compare ex/$name $o"
	done
done

test_expect_success 'cleanup: the image and nothing of the project left' '
	test_remove_images "$TEST_ID" &&
	project_gone
'

test_done
