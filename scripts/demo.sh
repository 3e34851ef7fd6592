#!/bin/bash
# scripts/demo.sh — the offline ccbuild demo, start to finish:
#   setup (packages, dockerd, registry, base image), make, then on
#   examples/demo: lint, plan, graph (text and SVG), a dev run, the same
#   run again with nothing edited, which has nothing to do, and a prod run
#   that pushes to the loopback registry.
#
#   bash scripts/demo.sh [--fresh]
#
# --fresh forgets the demo's previous runs (examples/demo/.ccbuild) first,
# so the first run builds everything.  CCBUILD_SKIP_APT=1 skips apt.
set -eu
cd "$(dirname "$0")/.."

demo=examples/demo
if test -t 1; then
	say () { printf '\n\033[1m== %s\033[0m\n' "$*"; }
else
	say () { printf '\n== %s\n' "$*"; }
fi
run () { printf '$ %s\n' "$*"; "$@"; }

if test "${1:-}" = --fresh; then
	rm -rf "$demo/.ccbuild"
fi

say "setup: packages, dockerd, registry on 127.0.0.1:5000, base image"
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
	./ccbuild -C "$demo" graph dev --format dot | dot -Tsvg >/tmp/ccbuild-demo-graph.svg
	echo "(rendered to /tmp/ccbuild-demo-graph.svg)"
fi

say "run the dev profile"
run ./ccbuild -C "$demo" dev

say "run it again, nothing edited: no step has anything to do"
run ./ccbuild -C "$demo" dev

say "prod: build the prod targets and push them to the loopback registry"
run ./ccbuild -C "$demo" --report /tmp/ccbuild-demo-report.json prod
run curl -s http://127.0.0.1:5000/v2/demo/api/tags/list
echo
echo "(the run's JSON report: /tmp/ccbuild-demo-report.json)"

say "done"
