#!/bin/bash
# Scans gate pushes: built-in policy rules and an external scanner against
# the real engine and registry.
. "$(dirname "$0")/test-lib.sh"
test_description 'scans: policy rules and external scanners gate the push'
test_need_docker
. "$SRCROOT/tests/lib/base-image.sh"

P=t0310p$TEST_ID
REG=127.0.0.1:5000
export CI=1

tags_of () {
	curl -sS "http://$REG/v2/$1/tags/list" | python3 -c 'import sys, json; print(" ".join(sorted(json.load(sys.stdin).get("tags") or [])))'
}

test_expect_success 'setup: a root image and a clean one, a policy and a fake scanner' '
	base_image_ensure >/dev/null &&
	mkdir -p rooted clean &&
	printf "FROM %s\nRUN echo %s >/id\n" "$BASE_IMAGE" "$P" >rooted/Dockerfile &&
	printf "FROM %s\nRUN echo %s >/id\nUSER 1000\nHEALTHCHECK CMD true\n" "$BASE_IMAGE" "$P" >clean/Dockerfile &&
	cat >scanner.sh <<-\SH &&
	#!/bin/sh
	echo "fake scanner looked at $1 ($2)"
	exit ${FAKE_RC:-0}
	SH
	chmod +x scanner.sh &&
	cat >ccbuild.yaml <<-YAML
	ccbuild: 1
	project: $P
	registry: $REG/$P
	images:
	  rooted: {context: rooted}
	  clean: {context: clean}
	scans:
	  policy:
	    rules: {non_root: error, healthcheck: warn, secrets: error, max_size: 50MB}
	  fake:
	    images: [clean]
	    command: [./scanner.sh, "{image}", "{id}"]
	profiles:
	  prod: {push: true, scans: [policy, fake]}
	YAML
'

test_expect_success 'an image that runs as root fails non_root, exits 1, is not pushed' '
	test_expect_code 1 "$CCBUILD" --keep-going --junit junit.xml prod >out 2>&1 &&
	grep -q "scan:rooted:policy *failed" out &&
	grep -q "scan policy: image rooted: rule non_root: no USER: the image runs as root" out &&
	grep -q "push:rooted *cancelled" out &&
	grep -q "push:clean *done" out &&
	grep -q "^::error title=scan%3Arooted%3Apolicy::" out &&
	test -z "$(tags_of $P/rooted)" &&
	test -n "$(tags_of $P/clean)" &&
	grep -q "<failure message=\"no USER: the image runs as root\" type=\"non_root\"/>" junit.xml
'

test_expect_success 'the external scanner saw the image and its output is kept' '
	grep -q "fake scanner looked at $P-clean:latest (sha256:" .ccbuild/scans/clean-fake.log
'

test_expect_success 'an unchanged image is not rescanned' '
	"$CCBUILD" -k --json prod >ev 2>/dev/null;
	grep -q "\"step\":\"scan:clean:policy\",\"kind\":\"scan\",\"status\":\"up-to-date\"" ev &&
	grep -q "\"step\":\"scan:clean:fake\",\"kind\":\"scan\",\"status\":\"up-to-date\"" ev &&
	grep -q "\"step\":\"scan:rooted:policy\",\"kind\":\"scan\",\"status\":\"failed\"" ev
'

test_expect_success 'the external scanner exit code gates the push' '
	echo "USER 1000" >>rooted/Dockerfile &&
	echo "LABEL changed=1" >>clean/Dockerfile &&
	FAKE_RC=3 test_expect_code 1 "$CCBUILD" -k prod >out 2>&1 &&
	grep -q "scan fake: image clean: ./scanner.sh exited 3" out &&
	grep -q "| fake scanner looked at" out &&
	grep -q "push:clean *cancelled" out &&
	grep -q "push:rooted *done" out &&
	"$CCBUILD" prod >out 2>&1 &&
	grep -q "push:clean *done" out
'

test_expect_success 'cleanup' '
	test_remove_images "$P"
'

test_done
