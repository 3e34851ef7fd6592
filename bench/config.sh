#!/bin/bash
# bench/config.sh — `ccbuild config` against `docker-compose config` on one
# generated project, in one run.
#
#   bash bench/config.sh [--services N] [--env-lines E] [--runs R] [--keep]
#                        [--big-mb M]... [--nested K] [--ccbuild PATH]
#
# Generates (under /var/tmp) a compose file of N services (image or build,
# environment with ${VAR} references, ports, volumes, labels, depends_on,
# healthcheck, command) and a .env of E lines, checks that both tools print
# the same bytes, then measures the wall time of each as the median of R
# whole-process runs, and prints both and the ratio ccbuild / docker-compose.
# Each --big-mb M adds a load of an M MB compose file (services with large
# environments: the shape that made loading quadratic), timed once with
# ccbuild only; --nested K times `config` on K nested '[' (libyaml's depth).
# Defaults: 100 services, 1,000 .env lines, 5 runs (the issue's target).
# Needs docker-compose (Debian's 1.29); no engine.  Not a test: nothing here
# passes or fails.  Figures also go to bench/results/ as JSON.
set -eu
cd "$(dirname "$0")/.."
top=$PWD
N=100 E=1000 R=5 keep= big=() nested=0 CCBUILD=$top/ccbuild
while test $# -gt 0; do
	case $1 in
	--services) N=$2; shift ;;
	--env-lines) E=$2; shift ;;
	--runs) R=$2; shift ;;
	--big-mb) big+=("$2"); shift ;;
	--nested) nested=$2; shift ;;
	--ccbuild) CCBUILD=$2; shift ;;
	--keep) keep=1 ;;
	*) echo "bench/config.sh: unknown option $1" >&2; exit 2 ;;
	esac
	shift
done
test -x "$CCBUILD" || make -s
command -v docker-compose >/dev/null || { echo "bench/config.sh: needs docker-compose" >&2; exit 2; }
work=$(mktemp -d /var/tmp/ccbuild-bench-config.XXXXXX)
cleanup () { test -n "$keep" || rm -rf "$work"; rm -f "$work.out"; }
trap cleanup EXIT

# gen DIR SERVICES ENVLINES ENVPERSERVICE: a compose project in DIR
gen () {
	python3 - "$@" <<'PY'
import os, random, sys
d, n, e, per = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
rnd = random.Random(7)
os.makedirs(d, exist_ok=True)
with open(os.path.join(d, ".env"), "w") as f:
    f.write("# generated\n")
    for i in range(e - 1):
        f.write(f"VAR_{i}=value-{i}-{rnd.randint(0, 10**6)}\n" if i % 10 else f"# section {i}\n")
out = ["version: '3.8'", "services:"]
for s in range(n):
    out += [f"  svc{s}:"]
    if s % 3 == 0:
        os.makedirs(os.path.join(d, f"svc{s}"), exist_ok=True)
        with open(os.path.join(d, f"svc{s}", "Dockerfile"), "w") as f:
            f.write("FROM busybox\n")
        out += [f"    build:", f"      context: ./svc{s}", f"      args:", f"        - V=${{VAR_{s % e}}}"]
    out += [f"    image: example/svc{s}:${{TAG:-latest}}",
            f"    command: [\"run\", \"--port\", \"{8000 + s}\", \"--flag=yes\"]",
            "    environment:"]
    for k in range(per):
        v = rnd.choice([f"${{VAR_{rnd.randrange(1, max(e - 1, 2))}:-dflt}}", "'true'", "1.5", "'010'",
                        "'no'", f"{rnd.randint(0, 99999)}", "~", "12:30", "'2001-12-14'", f"plain text {k}"])
        out.append(f"      K{k}_{s}: {v}")
    out += ["    ports:", f"      - \"{10000 + s}:{80 + s % 5}\"", f"      - {20000 + s}:443/tcp",
            "    volumes:", f"      - ./data/svc{s}:/data:ro", "      - cache:/cache",
            "    labels:", f"      com.example.svc: \"svc{s}\"", "      com.example.on: 'on'",
            "    tty: true", "    read_only: no",
            "    healthcheck:", "      test: [\"CMD\", \"true\"]", "      interval: 30s",
            "      retries: 3"]
    if s:
        out += ["    depends_on:", f"      - svc{s - 1}"]
out += ["volumes:", "  cache: {}"]
with open(os.path.join(d, "docker-compose.yml"), "w") as f:
    f.write("\n".join(out) + "\n")
with open(os.path.join(d, "ccbuild.yaml"), "w") as f:
    f.write("ccbuild: 1\nproject: bench\ncompose: [docker-compose.yml]\nprofiles:\n  dev: {}\n")
PY
}

. "$top/bench/lib.sh"

proj=$work/project
gen "$proj" "$N" "$E" 8
echo "bench: $N services, $(wc -l <"$proj/docker-compose.yml") compose lines, $E .env lines in $proj"
run_ccbuild () { (cd "$proj" && "$CCBUILD" config dev); }
run_compose () { (cd "$proj" && docker-compose config); }
run_ccbuild >"$work/ccbuild.yml" 2>"$work/ccbuild.err" || { tail -3 "$work/ccbuild.err" >&2; exit 1; }
run_compose >"$work/compose.yml" 2>"$work/compose.err" || { tail -3 "$work/compose.err" >&2; exit 1; }
# ccbuild prints Compose v2's format (its oracle): byte identity is
# checked against v2 when installed (setup.sh --peers); 1.29 is timed too.
run_v2 () { (cd "$proj" && docker compose -p bench -f docker-compose.yml config); }
have_v2=false
docker compose version >/dev/null 2>&1 && have_v2=true
same=n/a
if $have_v2; then
	run_v2 >"$work/v2.yml" 2>"$work/v2.err" || { tail -3 "$work/v2.err" >&2; exit 1; }
	if cmp -s "$work/ccbuild.yml" "$work/v2.yml"; then same=true; else same=false; fi
fi
echo "bench: output byte-identical to Compose v2's: $same"
c=() d=() v=()
for i in $(seq "$R"); do
	c+=("$(ms run_ccbuild)")
	d+=("$(ms run_compose)")
	if $have_v2; then v+=("$(ms run_v2)"); fi
done
cc=$(printf '%s\n' "${c[@]}" | median)
dc=$(printf '%s\n' "${d[@]}" | median)
echo "bench: ccbuild config ${c[*]} ms; docker-compose config ${d[*]} ms; docker compose (v2) config ${v[*]:-} ms"
printf '\n%-28s %8s ms\n%-28s %8s ms\n%-28s %8s\n' "ccbuild config" "$cc" "docker-compose config" "$dc" \
	"ccbuild / docker-compose" "$(ratio "$cc" "$dc" 3)"
if $have_v2; then
	vc=$(printf '%s\n' "${v[@]}" | median)
	printf '%-28s %8s ms\n%-28s %8s\n' "docker compose (v2) config" "$vc" "ccbuild / compose v2" "$(ratio "$cc" "$vc" 3)"
fi

loads=
for m in "${big[@]}"; do
	# services of 1,000 environment entries each, about 23 KB a service
	gen "$work/big$m" $((m * 43)) 10 1000
	size=$(stat -c %s "$work/big$m/docker-compose.yml")
	t0=$(date +%s%N)
	(cd "$work/big$m" && "$CCBUILD" config dev >/dev/null) || echo "bench: big $m MB: ccbuild failed" >&2
	t=$((($(date +%s%N) - t0) / 1000000))
	printf '%-28s %8s ms\n' "config, $((size / 1000)) KB file" "$t"
	loads="$loads, \"load_${m}mb_ms\": $t"
done
if test "$nested" -gt 0; then
	mkdir -p "$work/nested"
	cp "$proj/ccbuild.yaml" "$work/nested/"
	python3 -c "import sys; sys.stdout.write('services: ' + '[' * int(sys.argv[1]) + ']' * int(sys.argv[1]) + '\n')" "$nested" \
		>"$work/nested/docker-compose.yml"
	t0=$(date +%s%N)
	(cd "$work/nested" && "$CCBUILD" config dev >/dev/null 2>"$work/nested.err") || true
	t=$((($(date +%s%N) - t0) / 1000000))
	printf '%-28s %8s ms (%s)\n' "config, $nested nested [" "$t" "$(head -c 120 "$work/nested.err")"
	loads="$loads, \"nested_${nested}_ms\": $t"
fi

mkdir -p bench/results
out=bench/results/$(date +%Y%m%d-%H%M%S)-config-$N.json
cat >"$out" <<JSON
{"date": "$(date -Iseconds)", "services": $N, "env_lines": $E, "runs": $R, "identical": $same,
 "ccbuild_ms": $cc, "docker_compose_ms": $dc, "ratio": $(ratio "$cc" "$dc" 3)$loads}
JSON
echo "bench: results in $out"
