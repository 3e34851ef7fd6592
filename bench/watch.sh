#!/bin/bash
# bench/watch.sh — `ccbuild watch` against `docker compose watch` (2.26),
# and the no-op plan with and without a running watcher against git status.
#
#   bash bench/watch.sh [--edits N] [--files F] [--runs R] [--keep] [--no-compose]
#
# Latency: a compose project of one busybox service whose develop.watch
# syncs ./app/src to /app/src.  For ccbuild watch, then for docker compose
# watch (its own project name, the same files), N edits (default 20) of
# app/src/lat.txt, each of a new size; the time from the write to the
# engine reporting that size for /app/src/lat.txt in the container (HEAD
# /containers/ID/archive, polled every 2 ms over the engine's socket).
# Medians are reported.
#
# No-op plan: a context of F small files (default 100,000 in 1,000
# directories) and a profile that builds it; `ccbuild plan dev` R times
# (default 9) without a watcher, then R times while `ccbuild watch dev`
# runs (its first round builds the image), and `git status --porcelain` on
# the same tree.  Medians.  Prints a table, writes JSON to bench/results/.
# Not a test.
set -eu
cd "$(dirname "$0")/.."
top=$PWD
N=20 F=100000 R=9 keep= compose=1
while test $# -gt 0; do
	case $1 in
	--edits) N=$2; shift ;;
	--files) F=$2; shift ;;
	--runs) R=$2; shift ;;
	--keep) keep=1 ;;
	--no-compose) compose= ;;
	*) echo "bench/watch.sh: unknown option $1" >&2; exit 2 ;;
	esac
	shift
done
sock=${DOCKER_HOST:-unix:///var/run/docker.sock}
sock=${sock#unix://}
W=$(mktemp -d /var/tmp/ccbuild-bench-watch.XXXXXX)
P=benchwatch$$
pids=()
finish () {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	for proj in "$P" "${P}c" "${P}n"; do
		ids=$(docker ps -aq --filter "label=com.docker.compose.project=$proj")
		test -z "$ids" || docker rm -f $ids >/dev/null
		docker network rm "${proj}_default" >/dev/null 2>&1 || true
	done
	for ref in $(docker images --format '{{.Repository}}:{{.Tag}}' | grep "^$P"); do docker rmi "$ref" >/dev/null || true; done
	test -n "$keep" || rm -rf "$W"
}
trap finish EXIT
. "$top/bench/lib.sh"

# ---- latency ----
mkdir -p "$W/lat/app/src"
printf 'FROM ccbuild-test/busybox:latest\nCOPY . /app\n' >"$W/lat/app/Dockerfile"
echo 0 >"$W/lat/app/src/lat.txt"
cat >"$W/lat/docker-compose.yml" <<EOF
services:
  web:
    build: app
    image: $P/web:latest
    command: ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 1; done"]
    stop_grace_period: 1s
    develop:
      watch:
        - path: ./app/src
          action: sync
          target: /app/src
EOF
printf 'ccbuild: 1\nproject: %s\ncompose: [docker-compose.yml]\nprofiles:\n  dev:\n    up: true\n' "$P" >"$W/lat/ccbuild.yaml"

# latency PROJECT LABEL: N edits, one latency (ms) per line.
latency () {
	python3 - "$sock" "$1" "$W/lat/app/src/lat.txt" "$N" <<-\PY
	import base64, http.client, json, socket, sys, time
	sock, project, path, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
	class Conn(http.client.HTTPConnection):
	    def connect(self):
	        self.sock = socket.socket(socket.AF_UNIX)
	        self.sock.connect(sock)
	def call(method, url):
	    c = Conn("localhost")
	    c.request(method, url)
	    r = c.getresponse()
	    body = r.read()
	    c.close()
	    return r, body
	flt = json.dumps({"label": ["com.docker.compose.project=" + project]})
	_, body = call("GET", "/containers/json?filters=" + __import__("urllib.parse").parse.quote(flt))
	cid = json.loads(body)[0]["Id"]
	def size():
	    r, _ = call("HEAD", "/containers/%s/archive?path=/app/src/lat.txt" % cid)
	    st = r.getheader("X-Docker-Container-Path-Stat")
	    return json.loads(base64.b64decode(st))["size"] if st else -1
	for i in range(n):
	    want = 100 + i * 7 + (int(time.time()) % 5)
	    time.sleep(0.3)
	    t0 = time.monotonic()
	    with open(path, "w") as f:
	        f.write("x" * (want - 1) + "\n")
	    while size() != want:
	        if time.monotonic() - t0 > 30:
	            print("timeout", file=sys.stderr)
	            sys.exit(1)
	        time.sleep(0.002)
	    print(int((time.monotonic() - t0) * 1000))
	PY
}

# wait_ready FILE: until the watcher said it watches (120 s).
wait_ready () {
	for i in $(seq 1200); do grep -aq "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
	echo "bench/watch.sh: the watcher did not start (see $1)" >&2
	exit 1
}

"$top/ccbuild" -C "$W/lat" watch dev --json >"$W/ccbuild-watch.out" 2>&1 &
pids+=($!)
wait_ready "$W/ccbuild-watch.out" '"event":"watch_ready"'
cc_lat=$(latency "$P" | median)
kill -INT "${pids[0]}"; wait "${pids[0]}" || true
ids=$(docker ps -aq --filter "label=com.docker.compose.project=$P"); test -z "$ids" || docker rm -f $ids >/dev/null

dc_lat=-
if test -n "$compose"; then
	(cd "$W/lat" && docker compose -p "${P}c" up -d --build --quiet-pull >"$W/compose-up.out" 2>&1)
	(cd "$W/lat" && exec docker compose -p "${P}c" watch --no-up >"$W/compose-watch.out" 2>&1) &
	pids+=($!)
	wait_ready "$W/compose-watch.out" 'Watch enabled'
	sleep 1
	dc_lat=$(latency "${P}c" | median)
	kill "${pids[1]}" 2>/dev/null || true
fi

# ---- no-op plan at F files ----
mkdir -p "$W/big/ctx"
python3 - "$W/big/ctx" "$F" <<-\PY
	import os, sys
	root, n = sys.argv[1], int(sys.argv[2])
	for i in range(n):
	    d = os.path.join(root, "d%04d" % (i % 1000))
	    if i < 1000:
	        os.makedirs(d, exist_ok=True)
	    with open(os.path.join(d, "f%07d.txt" % i), "w") as f:
	        f.write("file %d\n" % i)
	PY
printf 'FROM ccbuild-test/busybox:latest\nCOPY d0000 /app/d0000\n' >"$W/big/ctx/Dockerfile"
printf 'ccbuild: 1\nproject: %sn\nimages:\n  big: {context: ctx}\nprofiles:\n  dev: {}\n' "$P" >"$W/big/ccbuild.yaml"
plan () { "$top/ccbuild" -C "$W/big" plan dev; }
plan >/dev/null 2>&1 || true # the first hashes everything
plan >/dev/null 2>&1 || true
without=$(for i in $(seq "$R"); do ms_quiet plan; done | median)
"$top/ccbuild" -C "$W/big" watch dev --json >"$W/big-watch.out" 2>&1 &
pids+=($!)
wait_ready "$W/big-watch.out" '"event":"watch_ready"'
plan >/dev/null 2>&1 || true # writes the walk snapshot at the watcher's token
with=$(for i in $(seq "$R"); do ms_quiet plan; done | median)
watch_rss=$(awk '/VmRSS/ {print $2}' "/proc/${pids[-1]}/status")
kill -INT "${pids[-1]}"; wait "${pids[-1]}" || true
(cd "$W/big/ctx" && git init -q && git add -A && git -c user.email=b@x -c user.name=b commit -qm t)
gs=$(for i in $(seq "$R"); do ms_quiet git -C "$W/big/ctx" status --porcelain; done | median)

printf '\n%-44s %10s\n' "watch latency (edit -> bytes in container)" "median ms"
printf '%-44s %10s\n' "ccbuild watch" "$cc_lat" "docker compose watch 2.26" "$dc_lat"
printf '\n%-44s %10s\n' "no-op plan, $F files" "median ms"
printf '%-44s %10s\n' "ccbuild plan (no watcher)" "$without" "ccbuild plan (watcher running)" "$with" \
	"git status --porcelain" "$gs"
printf '%-44s %10s\n' "watcher RSS (KiB)" "$watch_rss"
mkdir -p bench/results
printf '{"bench":"watch","edits":%s,"files":%s,"runs":%s,"latency_ms":{"ccbuild":%s,"compose":"%s"},"noop_plan_ms":{"without_watcher":%s,"with_watcher":%s,"git_status":%s},"watcher_rss_kib":%s}\n' \
	"$N" "$F" "$R" "$cc_lat" "$dc_lat" "$without" "$with" "$gs" "$watch_rss" >"bench/results/watch-$(date +%Y%m%d-%H%M%S).json"
