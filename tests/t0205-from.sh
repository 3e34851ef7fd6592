#!/bin/bash
# A FROM names what Docker would pull: `FROM redis` is
# docker.io/library/redis:latest, whatever the manifest calls its images.
# An image of the manifest is a base only when its reference is the same
# once normalised, and an image is never its own base.
. "$(dirname "$0")/test-lib.sh"
test_description 'FROM resolves as Docker resolves it'

P=t0205p$TEST_ID
export CI=1

# manifest NAME: NAME.yaml over the compose file NAME.yml
manifest () {
	printf "ccbuild: 1\nproject: $P\ncompose: [$1.yml]\nprofiles: {dev: {}}\n" >"$1.yaml"
}

test_expect_success 'setup: FROM the name of a service, its own image, and another service' '
	mkdir -p redis alp app nginx &&
	manifest redis && manifest alp && manifest app &&
	printf "services:\n  redis:\n    build: ./redis\n" >redis.yml &&
	printf "services:\n  alp:\n    build: ./alp\n    image: alpine\n" >alp.yml &&
	printf "services:\n  app:\n    build: ./app\n  nginx:\n    build: ./nginx\n" >app.yml &&
	echo "FROM redis" >redis/Dockerfile &&
	echo "FROM alpine" >alp/Dockerfile &&
	printf "FROM nginx\nCOPY --from=docker.io/library/nginx:latest /etc /etc\n" >app/Dockerfile &&
	echo "FROM busybox" >nginx/Dockerfile
'

test_expect_success 'service redis FROM redis: no cycle for lint, config, plan, graph' '
	"$CCBUILD" -f redis.yaml lint >out 2>err &&
	grep -q "ok, 1 profile (dev: 1 image, 1 step)" out &&
	"$CCBUILD" -f redis.yaml config dev >config.out 2>err &&
	grep -q "redis:" config.out &&
	"$CCBUILD" -f redis.yaml --offline plan dev >out 2>err &&
	grep -q "plan for profile dev: 1 step" out &&
	"$CCBUILD" -f redis.yaml graph dev >out &&
	! grep -q "warning" err
'

test_expect_success 'FROM nginx beside a built service nginx: no edge' '
	"$CCBUILD" -f app.yaml graph dev --format json >g.json &&
	python3 -c "import json; g=json.load(open(\"g.json\")); assert len(g[\"nodes\"])==2 and g[\"edges\"]==[], g"
'

test_expect_success 'image: alpine FROM alpine is the external image, with a warning' '
	"$CCBUILD" -f alp.yaml lint 2>err &&
	grep -q "warning: profile dev: .*alp.yml:3:5: image .alp. (tagged alpine) is built FROM alpine in .*alp/Dockerfile: that is the external image docker.io/library/alpine:latest" err &&
	test $(grep -c warning err) = 1 &&
	"$CCBUILD" -f alp.yaml config dev >/dev/null 2>err &&
	"$CCBUILD" -f alp.yaml --offline plan dev 2>err >/dev/null &&
	grep -q "warning: .*each build would start from the previous one" err
'

test_expect_success 'a FROM that is not a valid reference is an error at its line' '
	printf "FROM busybox AS b\nFROM Redis:7\n" >redis/Dockerfile &&
	test_expect_code 2 "$CCBUILD" -f redis.yaml lint 2>err &&
	grep -q "redis/Dockerfile:2: .Redis:7. is not a valid image reference: repository name must be lowercase" err &&
	echo "FROM redis" >redis/Dockerfile
'

test_need_docker
. "$SRCROOT/tests/lib/base-image.sh"

# The external images are local tags of the base image under names of this
# run: docker.io/library/$P (a service is called $P, its image is $P/other)
# and $P/self (an image tagged so, built FROM it).
test_expect_success 'setup: external bases named like a service and like an image' '
	base_image_ensure >/dev/null &&
	mkdir -p run/svc run/app run/self &&
	docker tag "$BASE_IMAGE" "$P:latest" &&
	docker tag "$BASE_IMAGE" "$P/self:latest" &&
	printf "ccbuild: 1\nproject: $P\ncompose: [app.yml]\nprofiles: {dev: {}}\n" >run/app.yaml &&
	printf "ccbuild: 1\nproject: $P\ncompose: [self.yml]\nprofiles: {dev: {}}\n" >run/self.yaml &&
	printf "services:\n  $P:\n    build: ./svc\n    image: $P/other\n  app:\n    build: ./app\n" >run/app.yml &&
	printf "services:\n  self:\n    build: ./self\n    image: $P/self\n" >run/self.yml &&
	printf "FROM %s\nRUN echo service >/which\n" "$BASE_IMAGE" >run/svc/Dockerfile &&
	echo "FROM $P" >run/app/Dockerfile &&
	printf "FROM $P/self\nRUN echo x >>/layers\n" >run/self/Dockerfile
'

# bases STEP: the recorded base identities of STEP, "NAME=ID" sorted
bases () {
	python3 -c "import json,sys; r=json.load(open(sys.argv[1])); b=r[\"inputs\"][\"bases\"]; print(\"\\n\".join(sorted(k+\"=\"+v for k,v in b.items())))" \
		"run/.ccbuild/steps/build%3A$1.json"
}

test_expect_success 'the build of app is FROM the external image, not the service' '
	"$CCBUILD" -C run -f app.yaml --json dev >ev 2>err &&
	grep -q "\"event\":\"summary\",\"built\":2" ev &&
	id=$(docker image inspect --format "{{.Id}}" "$BASE_IMAGE") &&
	test "$(bases app)" = "docker.io/library/$P:latest=$id" &&
	test "$(docker run --rm $P-app:latest cat /which 2>&1)" != service
'

test_expect_success 'an image FROM its own reference is built once, not FROM each previous build' '
	"$CCBUILD" -C run -f self.yaml --json dev >ev 2>err &&
	grep -q "\"event\":\"summary\",\"built\":1" ev &&
	test "$(docker run --rm $P/self:latest cat /layers)" = x &&
	id=$(docker image inspect --format "{{.Id}}" "$BASE_IMAGE") &&
	test "$(bases self)" = "docker.io/$P/self:latest=$id" &&
	"$CCBUILD" -C run -f self.yaml --json dev >ev 2>err &&
	grep -q "\"event\":\"summary\",\"built\":0" ev &&
	grep -q "warning: .*image .self. (tagged $P/self) is built FROM $P/self" err
'

test_expect_success 'the external base moving rebuilds app, and why names it in full' '
	docker tag "$P/other:latest" "$P:latest" &&
	"$CCBUILD" -C run -f app.yaml why dev app >why &&
	grep -q "build:app: would run" why &&
	grep -q "base docker.io/library/$P:latest: " why &&
	"$CCBUILD" -C run -f app.yaml --json dev >ev &&
	grep -q "\"event\":\"summary\",\"built\":1" ev &&
	test "$(docker run --rm $P-app:latest cat /which)" = service
'

test_expect_success 'cleanup: the tags this script made' '
	docker rmi "$P:latest" "$P/self:latest" "$P/other:latest" "$P-app:latest" >/dev/null &&
	test -z "$(docker images --format "{{.Repository}}:{{.Tag}}" | grep "^$P")"
'

test_done
