#!/bin/bash
# `ccbuild config PROFILE` against Debian's docker-compose 1.29 `config`,
# byte for byte: the merge cases in tests/compose-cases/ and every profile
# of the three examples (the profile's env exported to docker-compose, as
# ccbuild applies it below the process environment).
. "$(dirname "$0")/test-lib.sh"
test_description 'config agrees with docker-compose config'

if ! command -v docker-compose >/dev/null; then
	test_skip_all_ 'docker-compose not installed'
fi

for dir in "$SRCROOT"/tests/compose-cases/*/; do
	name=$(basename "$dir")
	test_expect_success "compose case $name is byte-identical" "
		\"$SRCROOT/tests/compose-cases/compare.sh\" \"$CCBUILD\" $name >out &&
		cat out && grep -qx identical out
	"
done

# extends errors: compose's message, at the file, line and column of the
# extends: that fails.
extends_case () {
	mkdir -p ext/sub &&
	printf "ccbuild: 1\nproject: ext\ncompose: [docker-compose.yml]\nprofiles: {dev: {}}\n" >ext/ccbuild.yaml &&
	printf "version: \"3.8\"\nservices:\n  a:\n    extends: %s\n" "$1" >ext/docker-compose.yml
}

test_expect_success 'extends: a cycle is an error naming each step' '
	extends_case b &&
	printf "  b:\n    extends: {service: a}\n" >>ext/docker-compose.yml &&
	test_expect_code 2 "$CCBUILD" -C ext config dev 2>err &&
	grep -q "docker-compose.yml:4:14: Circular reference:" err &&
	grep -q "^  extends b in $TRASH/ext/docker-compose.yml" err
'

test_expect_success 'extends: a missing service or file is an error at its line' '
	extends_case nope &&
	test_expect_code 2 "$CCBUILD" -C ext config dev 2>err &&
	grep -q "docker-compose.yml:4:14: Cannot extend service .nope. in $TRASH/ext/docker-compose.yml: Service not found" err &&
	extends_case "{file: sub/none.yml, service: b}" &&
	test_expect_code 2 "$CCBUILD" -C ext config dev 2>err &&
	grep -q "docker-compose.yml:4:14: extends: cannot read $TRASH/ext/sub/none.yml" err
'

test_expect_success 'extends: a service with links cannot be extended (nested, other file)' '
	extends_case "{file: sub/x.yml, service: b}" &&
	printf "version: \"3.8\"\nservices:\n  b:\n    extends: c\n  c:\n    image: busybox\n    links: [a]\n" >ext/sub/x.yml &&
	test_expect_code 2 "$CCBUILD" -C ext config dev 2>err &&
	grep -q "sub/x.yml:4:14: Cannot extend service .c. in $TRASH/ext/sub/x.yml: services with .links. cannot be extended" err
'

# example PROFILE: files and env of the profile, from its ccbuild.yaml.
compose_args () {
	python3 - "$1" "$2" <<-\PY
	import sys, yaml, shlex
	doc = yaml.safe_load(open(sys.argv[1]))
	prof = (doc.get("profiles") or {}).get(sys.argv[2]) or {}
	def lst(v): return [] if v is None else ([v] if isinstance(v, str) else v)
	files = lst(doc.get("compose")) + lst(prof.get("compose"))
	env = prof.get("env") or {}
	if isinstance(env, list):
	    env = dict(e.split("=", 1) if "=" in e else (e, "") for e in env)
	envfiles = lst(doc.get("env_file")) + lst(prof.get("env_file"))
	print(" ".join(shlex.quote(f"{k}={'true' if v is True else 'false' if v is False else v}") for k, v in env.items()))
	print(" ".join(shlex.quote(f) for f in envfiles))
	print(" ".join("-f " + shlex.quote(f) for f in files))
	PY
}

for ex in senex orchestrator code-engine; do
	for prof in dev staging prod; do
		test_expect_success "example $ex profile $prof agrees with docker-compose" "
			cd \"$SRCROOT/examples/$ex\" &&
			compose_args ccbuild.yaml $prof >\"\$TRASH/args\" &&
			{ read -r envs; read -r envfiles; read -r files; } <\"\$TRASH/args\" &&
			( for f in \$envfiles; do test \"\$f\" = .env || { set -a; . ./\$f; set +a; }; done
			  eval \"env \$envs docker-compose --project-directory . \$files config\" ) >\"\$TRASH/expected\" &&
			\"$CCBUILD\" config $prof >\"\$TRASH/actual\" &&
			diff -u \"\$TRASH/expected\" \"\$TRASH/actual\"
		"
	done
done

test_done
