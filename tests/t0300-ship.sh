#!/bin/bash
# Shipping: pushes with tag templates from git, OCI labels, the JSON
# report, multi-platform builds (arm64 through qemu) — against the real
# engine and the registry on 127.0.0.1:5000.
. "$(dirname "$0")/test-lib.sh"
test_description 'push, tags, labels, report, multi-arch'
test_need_docker
. "$SRCROOT/tests/lib/base-image.sh"

P=t0300p$TEST_ID
REG=127.0.0.1:5000
export CI=1

tags_of () {
	curl -fsS "http://$REG/v2/$1/tags/list" | python3 -c 'import sys, json; print(" ".join(sorted(json.load(sys.stdin)["tags"] or [])))'
}

test_expect_success 'setup: a git project with a tagged release' '
	base_image_ensure >/dev/null &&
	mkdir -p web &&
	printf "FROM %s\nCOPY index.html /srv/\nUSER 1000\n" "$BASE_IMAGE" >web/Dockerfile &&
	echo "hello $P" >web/index.html &&
	cat >ccbuild.yaml <<-YAML &&
	ccbuild: 1
	project: $P
	registry: $REG/$P
	images:
	  web:
	    context: web
	    tags: [latest, "{git.short}", "{git.describe}", "ccb-{hash:12}"]
	profiles:
	  dev: {}
	  prod: {push: true}
	YAML
	printf ".ccbuild/\n" >.gitignore &&
	git init -q . && git add -A &&
	git -c user.name=t -c user.email=t@e commit -qm one &&
	git tag v1.4.2 &&
	git remote add origin https://example.invalid/shop.git
'

test_expect_success 'prod builds and pushes every expanded tag' '
	"$CCBUILD" --json prod >ev &&
	grep -q "\"step\":\"push:web\",\"kind\":\"push\",\"status\":\"done\"" ev &&
	short=$(git rev-parse --short=7 HEAD) &&
	hash=$(grep "step_end\",\"step\":\"build:web" ev | sed "s/.*\"hash\":\"\([0-9a-f]*\)\".*/\1/") &&
	echo "$(tags_of $P/web)" >got &&
	echo "ccb-$(echo $hash | cut -c1-12) ccb-$hash $short latest v1 v1.4 v1.4.2" | tr " " "\n" | sort | tr "\n" " " | sed "s/ $//" >want &&
	tr " " "\n" <got | sort | tr "\n" " " | sed "s/ $//" >got.sorted &&
	test_cmp want got.sorted
'

test_expect_success 'the image carries OCI labels from git' '
	docker image inspect $P-web:latest --format "{{json .Config.Labels}}" >labels &&
	grep -q "\"org.opencontainers.image.revision\":\"$(git rev-parse HEAD)\"" labels &&
	grep -q "\"org.opencontainers.image.version\":\"v1.4.2\"" labels &&
	grep -q "\"org.opencontainers.image.source\":\"https://example.invalid/shop.git\"" labels &&
	grep -q "org.opencontainers.image.created" labels
'

test_expect_success 'a second run builds and pushes nothing' '
	"$CCBUILD" --json prod >ev &&
	! grep -q "\"status\":\"done\"" ev
'

test_expect_success '--report writes the run as JSON' '
	"$CCBUILD" --report report.json -q prod &&
	python3 - <<-\PY
	import json
	r = json.load(open("report.json"))
	assert r["version"] == 1 and r["profile"] == "prod" and r["exit_code"] == 0, r
	steps = {s["step"]: s for s in r["steps"]}
	assert steps["build:web"]["output"].startswith("sha256:"), steps
	assert steps["push:web"]["details"]["digest"].startswith("sha256:"), steps
	assert r["git"]["describe"] == "v1.4.2", r["git"]
	PY
'

test_expect_success 'a new commit that changes the image pushes it under the new tags' '
	echo more >>web/index.html &&
	git -c user.name=t -c user.email=t@e commit -qam two &&
	"$CCBUILD" --json prod >ev &&
	grep -q "\"step\":\"build:web\",\"kind\":\"build\",\"status\":\"done\"" ev &&
	tags_of $P/web | grep -q "$(git rev-parse --short=7 HEAD)" &&
	tags_of $P/web | grep -q "v1.4.2-1-g"
'

test_expect_success 'an uncommitted change ships as -dirty: tag and version label' '
	echo wip >>web/index.html &&
	"$CCBUILD" --json prod >ev &&
	grep -q "\"step\":\"build:web\",\"kind\":\"build\",\"status\":\"done\"" ev &&
	docker image inspect $P-web:latest --format "{{json .Config.Labels}}" >labels &&
	grep -q "\"org.opencontainers.image.version\":\"v1.4.2-1-g[0-9a-f]*-dirty\"" labels &&
	tags_of $P/web | grep -q "v1.4.2-1-g[0-9a-f]*-dirty"
'

test_expect_success 'dirtiness is looked for when the profile pushes, not in a local run' '
	sed "/tags:/d" ccbuild.yaml >plain.yaml &&
	"$CCBUILD" -f plain.yaml --report dev.json -q dev &&
	"$CCBUILD" -f plain.yaml --report prod.json -q prod &&
	python3 -c "import json; assert \"dirty\" not in json.load(open(\"dev.json\"))[\"git\"]" &&
	python3 -c "import json; assert json.load(open(\"prod.json\"))[\"git\"][\"dirty\"] is True" &&
	git checkout -q web/index.html && rm -f plain.yaml dev.json prod.json
'

test_expect_success 'a fresh runner (no images, no .ccbuild) builds nothing the registry has' '
	docker images --format "{{.Repository}}:{{.Tag}}" | grep "^$P-" | xargs -r docker rmi -f >/dev/null &&
	rm -rf .ccbuild &&
	"$CCBUILD" --json prod >ev &&
	grep "step_end\",\"step\":\"build:web" ev | grep -q "\"status\":\"up-to-date\".*is in the registry" &&
	! grep -q "\"kind\":\"build\",\"status\":\"done\"" ev &&
	! docker image inspect $P-web:latest >/dev/null 2>&1
'

# Multi-arch needs qemu-aarch64 in binfmt_misc and the two-platform base in
# the registry (scripts/setup.sh --multiarch); a machine that cannot have
# them skips this group rather than failing the rest.
base_image_multiarch >/dev/null 2>&1 ||
	test_skip "no arm64 emulation or arm64 base here (bash scripts/setup.sh --multiarch)"

test_expect_success 'multi-arch: one build per platform, arm64 really is arm64' '
	mkdir -p ma &&
	printf "FROM %s:latest\nRUN uname -m >/arch\nCOPY id /id\n" "$BASE_IMAGE_REMOTE" >ma/Dockerfile &&
	echo "$P" >ma/id &&
	cat >ma.yaml <<-YAML &&
	ccbuild: 1
	project: $P
	registry: $REG/$P
	images:
	  ma: {context: ma, platforms: [linux/amd64, linux/arm64]}
	profiles:
	  dev: {}
	YAML
	"$CCBUILD" -f ma.yaml --json dev >ev &&
	grep -q "\"step\":\"build:ma\",\"kind\":\"build\",\"status\":\"done\"" ev &&
	test "$(docker run --rm $P-ma:latest-linux-arm64 cat /arch)" = aarch64 &&
	test "$(docker run --rm $P-ma:latest-linux-amd64 cat /arch)" = x86_64 &&
	test "$(docker run --rm $P-ma:latest cat /arch)" = x86_64 &&
	"$CCBUILD" -f ma.yaml --json dev >ev &&
	grep -q "\"step\":\"build:ma\",\"kind\":\"build\",\"status\":\"up-to-date\"" ev
'

test_expect_success 'multi-arch push: an index whose platforms are right, arm64 really arm64' '
	cat >>ma.yaml <<-YAML &&
	  prod: {push: true}
	YAML
	"$CCBUILD" -f ma.yaml --json prod >ev &&
	grep -q "\"step\":\"push:ma\",\"kind\":\"push\",\"status\":\"done\"" ev &&
	curl -fsS -H "Accept: application/vnd.docker.distribution.manifest.list.v2+json" \
		http://$REG/v2/$P/ma/manifests/latest >index.json &&
	python3 - "$REG" "$P" <<-\PY
	import json, sys, urllib.request
	reg, p = sys.argv[1], sys.argv[2]
	idx = json.load(open("index.json"))
	assert idx["mediaType"].endswith("manifest.list.v2+json"), idx
	plats = sorted((m["platform"]["os"], m["platform"]["architecture"]) for m in idx["manifests"])
	assert plats == [("linux", "amd64"), ("linux", "arm64")], plats
	for m in idx["manifests"]:
	    req = urllib.request.Request("http://%s/v2/%s/ma/manifests/%s" % (reg, p, m["digest"]),
	                                 headers={"Accept": m["mediaType"]})
	    man = json.load(urllib.request.urlopen(req))
	    cfg = json.load(urllib.request.urlopen("http://%s/v2/%s/ma/blobs/%s" % (reg, p, man["config"]["digest"])))
	    assert cfg["architecture"] == m["platform"]["architecture"], (cfg["architecture"], m)
	PY
'

test_expect_success 'multi-arch: a second run builds and pushes nothing' '
	"$CCBUILD" -f ma.yaml --json prod >ev &&
	! grep -q "\"status\":\"done\"" ev
'

test_expect_success 'multi-arch on a fresh runner: the index in the registry is enough' '
	docker images --format "{{.Repository}}:{{.Tag}}" | grep "^$P-ma" | xargs -r docker rmi -f >/dev/null &&
	rm -rf .ccbuild &&
	"$CCBUILD" -f ma.yaml --json prod >ev &&
	grep "step_end\",\"step\":\"build:ma" ev | grep -q "\"status\":\"up-to-date\".*is in the registry" &&
	! grep -q "\"kind\":\"build\",\"status\":\"done\"" ev
'

test_expect_success 'multi-arch FROM a multi-arch image of the manifest: each platform FROM its own' '
	mkdir -p mb/base mb/app &&
	printf "FROM %s:latest\nRUN uname -m >/base-arch\n" "$BASE_IMAGE_REMOTE" >mb/base/Dockerfile &&
	printf "ARG BASE=$P-mbbase:latest\nFROM \${BASE}\nCOPY id /id\nRUN cat /base-arch >/seen\n" >mb/app/Dockerfile &&
	echo "$P" >mb/app/id &&
	cat >mb.yaml <<-YAML &&
	ccbuild: 1
	project: $P
	registry: $REG/$P
	images:
	  mbbase: {context: mb/base, platforms: [linux/amd64, linux/arm64]}
	  mbapp: {context: mb/app, platforms: [linux/amd64, linux/arm64]}
	profiles:
	  dev: {}
	  prod: {push: true}
	YAML
	"$CCBUILD" -f mb.yaml --json prod >ev &&
	grep -q "\"step\":\"build:mbapp\",\"kind\":\"build\",\"status\":\"done\"" ev &&
	test "$(docker run --rm $P-mbapp:latest-linux-arm64 cat /seen)" = aarch64 &&
	test "$(docker run --rm $P-mbapp:latest-linux-amd64 cat /seen)" = x86_64
'

test_expect_success 'fresh runner, base in the registry, app changed: each platform of the base is pulled' '
	docker images --format "{{.Repository}}:{{.Tag}}" | grep "^$P-mb" | xargs -r docker rmi -f >/dev/null &&
	rm -rf .ccbuild &&
	echo changed >>mb/app/id &&
	"$CCBUILD" -f mb.yaml --json prod >ev &&
	grep "step_end\",\"step\":\"build:mbbase" ev | grep -q "\"status\":\"up-to-date\".*is in the registry" &&
	grep -q "\"step\":\"build:mbapp\",\"kind\":\"build\",\"status\":\"done\"" ev &&
	test "$(docker run --rm $P-mbapp:latest-linux-arm64 cat /seen)" = aarch64 &&
	test "$(docker run --rm $P-mbapp:latest-linux-arm64 uname -m)" = aarch64
'

test_expect_success 'an image of one other platform FROM a multi-arch image builds FROM that platform' '
	mkdir -p mo &&
	printf "FROM $P-mbbase\nRUN cat /base-arch >/seen\nCOPY . /ctx/\n" >mo/Dockerfile &&
	cat >mo.yaml <<-YAML &&
	ccbuild: 1
	project: $P
	registry: $REG/$P
	images:
	  mbbase: {context: mb/base, platforms: [linux/amd64, linux/arm64]}
	  mbone: {context: mo, platforms: [linux/arm64]}
	profiles:
	  dev: {}
	YAML
	"$CCBUILD" -f mo.yaml --json dev >ev &&
	grep -q "\"step\":\"build:mbone\",\"kind\":\"build\",\"status\":\"done\"" ev &&
	test "$(docker run --rm $P-mbone cat /seen)" = aarch64 &&
	test "$(docker run --rm $P-mbone ls -A /ctx)" = Dockerfile &&
	test "$(docker image inspect $P-mbone --format "{{.Architecture}}")" = arm64
'

test_expect_success 'an image of one platform FROM a base not built for it is a manifest error' '
	sed "s|mbone: {context: mo, platforms: \[linux/arm64\]}|mbone: {context: mo, platforms: [linux/s390x]}|" mo.yaml >mo2.yaml &&
	test_expect_code 2 "$CCBUILD" -f mo2.yaml plan dev 2>err &&
	grep -q "mo2.yaml:[0-9]*:[0-9]*: image .mbone. is built for linux/s390x FROM image .mbbase., which is built for linux/amd64, linux/arm64" err
'

test_expect_success 'a multi-arch image is scanned per platform (policy findings and scanner runs)' '
	cat >>mb.yaml <<-YAML &&
	scans:
	  rules:
	    images: [mbapp]
	    rules: {non_root: warn, healthcheck: off, secrets: off}
	  arch:
	    images: [mbapp]
	    command: [sh, -c, "echo scanned \$0", "{image}"]
	YAML
	sed -i "s/^  dev: {}$/  dev: {}\n  scan: {scans: [rules, arch]}/" mb.yaml &&
	"$CCBUILD" -f mb.yaml --report scan.json -q scan &&
	grep -q "scanned $P-mbapp:latest-linux-arm64" .ccbuild/scans/mbapp-arch-linux-arm64.log &&
	grep -q "scanned $P-mbapp:latest-linux-amd64" .ccbuild/scans/mbapp-arch-linux-amd64.log &&
	python3 - <<-\PY
	import json
	steps = {s["step"]: s for s in json.load(open("scan.json"))["steps"]}
	f = steps["scan:mbapp:rules"]["details"]["findings"]
	assert sorted(x["platform"] for x in f if x["rule"] == "non_root") == ["linux/amd64", "linux/arm64"], f
	runs = steps["scan:mbapp:arch"]["details"]["platforms"]
	assert sorted(r["platform"] for r in runs) == ["linux/amd64", "linux/arm64"], runs
	PY
'

test_expect_success 'a tools image used FROM --platform=$BUILDPLATFORM needs no other platforms' '
	mkdir -p mt/tools mt/app &&
	printf "FROM %s\nRUN echo built-on-\$(uname -m) >/tool\n" "$BASE_IMAGE" >mt/tools/Dockerfile &&
	printf "FROM --platform=\$BUILDPLATFORM $P-mttools AS build\nRUN cp /tool /out\nFROM %s:latest\nCOPY --from=build /out /out\n" \
		"$BASE_IMAGE_REMOTE" >mt/app/Dockerfile &&
	cat >mt.yaml <<-YAML &&
	ccbuild: 1
	project: $P
	images:
	  mttools: {context: mt/tools}
	  mtapp: {context: mt/app, platforms: [linux/amd64, linux/arm64]}
	profiles:
	  dev: {}
	YAML
	"$CCBUILD" -f mt.yaml --json dev >ev &&
	grep -q "\"step\":\"build:mtapp\",\"kind\":\"build\",\"status\":\"done\"" ev &&
	test "$(docker run --rm $P-mtapp:latest-linux-arm64 cat /out)" = built-on-x86_64 &&
	test "$(docker run --rm $P-mtapp:latest-linux-arm64 uname -m)" = aarch64
'
test_skip ""

test_expect_success 'a multi-arch image FROM an image not built for its platforms is a manifest error' '
	cat >mc.yaml <<-YAML &&
	ccbuild: 1
	project: $P
	images:
	  mbbase: {context: mb/base}
	  mbapp: {context: mb/app, platforms: [linux/amd64, linux/arm64]}
	profiles:
	  dev: {}
	YAML
	mkdir -p mb/base mb/app &&
	printf "FROM busybox\n" >mb/base/Dockerfile &&
	printf "FROM $P-mbbase\n" >mb/app/Dockerfile &&
	test_expect_code 2 "$CCBUILD" -f mc.yaml plan dev 2>err &&
	grep -q "mc.yaml:5:[0-9]*: image .mbapp. is built for linux/amd64, linux/arm64 FROM image .mbbase., which is built for the engine.s platform only" err
'

test_expect_success 'cleanup' '
	test_remove_images "$P"
'

test_done
