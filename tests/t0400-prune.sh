#!/bin/bash
# ccbuild prune applies the retention policy to a seeded registry.
. "$(dirname "$0")/test-lib.sh"
test_description 'prune keeps what the retention policy says'
test_need_docker

P=t0400p$TEST_ID
REG=127.0.0.1:5000

# seed REPO TAG CREATED: push a tiny image (config + no layers) whose
# config says it was created at CREATED, straight through the registry API.
seed () {
	python3 - "$REG" "$1" "$2" "$3" <<-\PY
	import hashlib, json, sys, urllib.request
	reg, repo, tag, created = sys.argv[1:]
	def req(method, url, data=None, headers={}):
	    r = urllib.request.Request(url, data=data, method=method, headers=headers)
	    return urllib.request.urlopen(r)
	cfg = json.dumps({"architecture": "amd64", "os": "linux", "created": created,
	                  "config": {"Labels": {"tag": tag}},
	                  "rootfs": {"type": "layers", "diff_ids": []}}).encode()
	d = "sha256:" + hashlib.sha256(cfg).hexdigest()
	loc = req("POST", f"http://{reg}/v2/{repo}/blobs/uploads/").headers["Location"]
	if loc.startswith("/"):
	    loc = f"http://{reg}{loc}"
	req("PUT", loc + ("&" if "?" in loc else "?") + "digest=" + d, cfg,
	    {"Content-Type": "application/octet-stream"})
	man = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
	                  "config": {"mediaType": "application/vnd.docker.container.image.v1+json",
	                             "size": len(cfg), "digest": d}, "layers": []}).encode()
	req("PUT", f"http://{reg}/v2/{repo}/manifests/{tag}", man,
	    {"Content-Type": "application/vnd.docker.distribution.manifest.v2+json"})
	PY
}

tags_of () {
	curl -sS "http://$REG/v2/$1/tags/list" | python3 -c 'import sys, json; print(" ".join(sorted(json.load(sys.stdin).get("tags") or [])))'
}

ago () { date -u -d "@$(($(date +%s) - $1 * 86400))" +%Y-%m-%dT%H:%M:%SZ; }

test_expect_success 'setup: a repository of images of every age' '
	mkdir web && echo "FROM scratch" >web/Dockerfile &&
	cat >ccbuild.yaml <<-YAML &&
	ccbuild: 1
	project: $P
	registry: $REG/$P
	images:
	  web: {context: web}
	retention:
	  keep: 2
	  max_age: 30d
	  keep_tags: [stable, "/^v\\\\d+\\\\.\\\\d+\\\\.\\\\d+\$/"]
	profiles:
	  prod: {push: true}
	YAML
	seed $P/web new1 "$(ago 1)" &&
	seed $P/web new2 "$(ago 3)" &&
	seed $P/web young "$(ago 20)" &&
	seed $P/web old1 "$(ago 40)" &&
	seed $P/web v1.2.3 "$(ago 200)" &&
	seed $P/web stable "$(ago 300)" &&
	seed $P/web old2 "$(ago 100)" &&
	test "$(tags_of $P/web)" = "new1 new2 old1 old2 stable v1.2.3 young"
'

test_expect_success 'prune --dry-run says what it would do and deletes nothing' '
	"$CCBUILD" prune prod --dry-run >out &&
	grep -q "^would delete $REG/$P/web:old1 " out &&
	grep -q "^would delete $REG/$P/web:old2 " out &&
	grep -q "^keep .*web:new1  (among the 2 newest)" out &&
	grep -q "^keep .*web:young  (20 days old, younger than max_age)" out &&
	grep -q "^keep .*web:v1.2.3  (keep_tags /" out &&
	grep -q "^keep .*web:stable  (keep_tags stable)" out &&
	grep -q "^2 images would be deleted" out &&
	test "$(tags_of $P/web)" = "new1 new2 old1 old2 stable v1.2.3 young"
'

test_expect_success 'prune deletes exactly what the policy says' '
	"$CCBUILD" prune prod >out &&
	grep -q "^2 images deleted" out &&
	test "$(tags_of $P/web)" = "new1 new2 stable v1.2.3 young" &&
	"$CCBUILD" prune prod >out &&
	grep -q "^0 images deleted" out
'

test_expect_success 'a bad retention policy is a manifest error' '
	sed "s/max_age: 30d/max_age: 30 days/" ccbuild.yaml >bad.yaml &&
	test_expect_code 2 "$CCBUILD" -f bad.yaml prune prod 2>err &&
	grep -q "bad.yaml:[0-9]*:[0-9]*: retention.max_age: .30 days. is not a duration" err
'

test_done
