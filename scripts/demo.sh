#!/bin/bash
# scripts/demo.sh — the offline ccbuild demo, start to finish:
#   setup (packages, dockerd, registry, base image), make, then on
#   examples/demo: lint, plan, graph (text and SVG), a dev run that builds
#   and deploys (up: true) and waits until the api is healthy, the same run
#   again with nothing edited, which has nothing to do, the api answering on
#   127.0.0.1, and a prod run that pushes to the loopback registry.  It
#   ends with the dev services still up and answering (`ccbuild ps dev`;
#   `./ccbuild -C examples/demo down dev` stops them).
#
#   bash scripts/demo.sh [--fresh]
#
# --fresh forgets the demo's previous runs (examples/demo/.ccbuild) first,
# so the first run builds everything.  CCBUILD_SKIP_APT=1 skips apt.
# DOCKER_HOST=unix:///PATH.sock runs it on that engine (it must answer).
# The SVG graph and the prod run's JSON report go to ${TMPDIR:-/tmp}.
# DEMO_API_PORT (default 8080) is where the api is published.
set -eu
cd "$(dirname "$0")/.."

demo=examples/demo
out=${TMPDIR:-/tmp}
# The demo pushes to the registry its manifest names (HOST:PORT/REPO).
registry=$(sed -n 's/^registry: *//p' "$demo/ccbuild.yaml")
if test -t 1; then
	say () { printf '\n\033[1m== %s\033[0m\n' "$*"; }
else
	say () { printf '\n== %s\n' "$*"; }
fi
run () { printf '$ %s\n' "$*"; "$@"; }

if test "${1:-}" = --fresh; then
	rm -rf "$demo/.ccbuild"
fi

say "setup: packages, dockerd, registry on ${registry%%/*}, base image"
bash scripts/setup.sh

say "build ccbuild"
make -s

say "the project"
run cat "$demo/ccbuild.yaml"
run ./ccbuild -C "$demo" lint

say "what 'dev' would do"
run ./ccbuild -C "$demo" plan dev

say "its step graph (FROM edges: api and worker are built FROM base)"
run ./ccbuild -C "$demo" graph dev
if command -v dot >/dev/null; then
	./ccbuild -C "$demo" graph dev --format dot | dot -Tsvg >"$out/ccbuild-demo-graph.svg"
	echo "(rendered to $out/ccbuild-demo-graph.svg)"
fi

say "run the dev profile"
run ./ccbuild -C "$demo" dev

say "run it again, nothing edited: no step has anything to do"
run ./ccbuild -C "$demo" dev

say "the deployed api answers on 127.0.0.1:${DEMO_API_PORT:-8080}"
run curl -sf "http://127.0.0.1:${DEMO_API_PORT:-8080}/health.json"

say "prod: build the prod targets and push them to the loopback registry"
run ./ccbuild -C "$demo" --report "$out/ccbuild-demo-report.json" prod
run curl -sf "http://${registry%%/*}/v2/${registry#*/}/api/tags/list"
echo
echo "(the run's JSON report: $out/ccbuild-demo-report.json)"

say "the dev services are still up, healthy, answering on 127.0.0.1"
run ./ccbuild -C "$demo" ps dev
run curl -sf "http://127.0.0.1:${DEMO_API_PORT:-8080}/"
echo "(./ccbuild -C $demo down dev stops them)"

say "done"
