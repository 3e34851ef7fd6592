#!/bin/bash
# The CLI on a small project: plan, graph, lint, errors and exit codes.
. "$(dirname "$0")/test-lib.sh"

write_project () {
	mkdir -p base web
	cat >ccbuild.yaml <<-\YAML
	ccbuild: 1
	project: shop
	registry: 127.0.0.1:5000/shop
	compose: [docker-compose.yml]
	images:
	  base: {context: base}
	profiles:
	  dev:
	    compose: [docker-compose.dev.yml]
	  prod: {push: true}
	YAML
	cat >docker-compose.yml <<-\YAML
	services:
	  web:
	    build: {context: web, target: prod}
	  worker:
	    build: web
	    image: shop/worker:1
	  db:
	    image: postgres:16
	YAML
	cat >docker-compose.dev.yml <<-\YAML
	services:
	  web:
	    build: {target: dev}
	YAML
	printf 'FROM busybox:1.36\n' >base/Dockerfile
	printf 'ARG BASE=shop-base\nFROM ${BASE} AS dev\nFROM dev AS prod\n' >web/Dockerfile
}

test_expect_success 'plan lists every image build in dependency order' '
	write_project &&
	"$CCBUILD" plan dev >out &&
	grep -q "plan for profile dev: 3 steps" out &&
	grep -n "build:" out | head -1 | grep -q "build:base" &&
	grep -q "build:web .*would run" out
'

test_expect_success 'graph text shows FROM edges' '
	"$CCBUILD" graph dev >out &&
	grep -q "build:web  <- build:base" out &&
	grep -q "build:worker  <- build:base" out
'

test_expect_success 'graph --format dot has the FROM edge' '
	"$CCBUILD" graph dev --format dot >g.dot &&
	grep -q "\"build:base\" -> \"build:web\"" g.dot
'

command -v dot >/dev/null || test_skip "no Graphviz dot here (apt-get install graphviz)"
test_expect_success 'graph --format dot is valid Graphviz' '
	dot -Tsvg g.dot >g.svg &&
	grep -q "<svg" g.svg
'
test_skip ""

test_expect_success 'graph --format json lists nodes and edges' '
	"$CCBUILD" graph dev --format json >g.json &&
	python3 -c "import json,sys; g=json.load(open(\"g.json\")); assert len(g[\"nodes\"])==3; assert {\"from\":\"build:base\",\"to\":\"build:web\"} in g[\"edges\"]"
'

test_expect_success 'profile override file changes the build target' '
	"$CCBUILD" plan dev | grep -q "target=dev" &&
	"$CCBUILD" plan prod | grep -q "target=prod"
'

test_expect_success '--json plan prints one object per line' '
	"$CCBUILD" --json plan dev >out &&
	test $(wc -l <out) = 3 &&
	python3 -c "import json; [json.loads(l) for l in open(\"out\")]"
'

test_expect_success 'lint passes on a good project' '
	"$CCBUILD" lint >out && grep -q "ok" out
'

test_expect_success '-C and -f find the manifest elsewhere' '
	mkdir -p elsewhere && cp ccbuild.yaml elsewhere/other.yaml &&
	(cd / && "$CCBUILD" -C "$TRASH" plan dev >/dev/null) &&
	"$CCBUILD" -f ccbuild.yaml plan dev >/dev/null
'

test_expect_success 'unknown key: exit 2, file:line:col and did-you-mean' '
	sed "s/context: base/contxt: base/" ccbuild.yaml >bad.yaml &&
	test_expect_code 2 "$CCBUILD" -f bad.yaml lint 2>err &&
	grep -q "bad.yaml:6:10: unknown key .contxt. in image .base. (did you mean .context.?)" err
'

test_expect_success 'unknown profile suggests the nearest' '
	test_expect_code 2 "$CCBUILD" plan dve 2>err &&
	grep -q "did you mean .dev.?" err
'

test_expect_success 'a profile services: typo is an error with did-you-mean' '
	sed "s/^  prod: {push: true}/  prod: {push: true, services: [wrker]}/" ccbuild.yaml >svc.yaml &&
	test_expect_code 2 "$CCBUILD" -f svc.yaml plan prod 2>err &&
	grep -q "svc.yaml:[0-9]*:[0-9]*: profiles.prod.services: no image or compose service .wrker. (did you mean .worker.?)" err
'

test_expect_success 'x- keys in profiles and images are ignored; lint counts per profile' '
	sed "s/^profiles:/profiles:\n  x-note: {}/; s/^images:/images:\n  x-anchor: {context: base}/" ccbuild.yaml >x.yaml &&
	"$CCBUILD" -f x.yaml lint >out &&
	grep -q "ok, 2 profiles (dev: " out
'

test_expect_success 'a quoted grammar version is named as a string' '
	sed "s/^ccbuild: 1/ccbuild: \"1\"/" ccbuild.yaml >q.yaml &&
	test_expect_code 2 "$CCBUILD" -f q.yaml lint 2>err &&
	grep -q "q.yaml:1:10: ccbuild: grammar version must be the number 1, not the string .1." err
'

test_expect_success 'a FROM cycle is an error that prints the cycle' '
	mkdir -p cyc/a cyc/b &&
	printf "ccbuild: 1\nproject: cyc\nimages:\n  a: {context: a}\n  b: {context: b}\nprofiles: {dev: {}}\n" >cyc/ccbuild.yaml &&
	echo "FROM cyc-b" >cyc/a/Dockerfile && echo "FROM cyc-a:latest" >cyc/b/Dockerfile &&
	test_expect_code 2 "$CCBUILD" -C cyc plan dev 2>err &&
	grep -Eq "dependency cycle: build:(a -> build:b -> build:a|b -> build:a -> build:b)" err
'

test_expect_success 'a missing Dockerfile names the image' '
	rm -f base/Dockerfile &&
	test_expect_code 2 "$CCBUILD" lint 2>err &&
	grep -q "image .base.: cannot read Dockerfile base/Dockerfile" err
'

test_expect_success 'no manifest: exit 2 with a hint' '
	mkdir -p empty && test_expect_code 2 "$CCBUILD" -C empty plan dev 2>err &&
	grep -q "no ccbuild.yaml" err
'

test_expect_success 'usage errors exit 2' '
	test_expect_code 2 "$CCBUILD" &&
	test_expect_code 2 "$CCBUILD" -j x plan dev &&
	test_expect_code 2 "$CCBUILD" --bogus
'

test_expect_success 'version and help' '
	"$CCBUILD" version | grep -q "^ccbuild " &&
	"$CCBUILD" help | grep -q "graph PROFILE" &&
	"$CCBUILD" help config | grep -q "docker compose config"
'

test_done
