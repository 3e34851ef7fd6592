# deploy.sh — sourced by the deploy tests (t05xx-deploy-*); helpers around
# the fixture project tests/fixtures/deploy-orch/ (its README says what is
# in it).  The docker CLI is the oracle here, never part of what is tested.
#
#   deploy_fixture DIR NAME   copy the fixture to DIR as project NAME: the
#                       ccbuild project, the compose project (-p), the image
#                       prefix and the registry repository are all NAME;
#                       exports IMAGE_PREFIX and HTTP_PORT (a free port)
#   deploy_free_port    print a free TCP port on 127.0.0.1
#   deploy_get URL [S]  curl URL until it answers 2xx (at most S seconds, 20),
#                       print the body
#   deploy_ids NAME     "SERVICE CONTAINER-ID" lines of the compose project
#                       NAME's containers (running or not), sorted
#   deploy_id NAME SERVICE  the container ID of SERVICE (one line)
#   deploy_wait_healthy CONTAINER [S]  until healthy; fail at once on
#                       unhealthy or exit, with the last probe output and logs
#   deploy_loop_start URL FILE   request URL in a loop in the background, one
#                       line per request into FILE ("ok BODY", its
#                       newlines made spaces, or "FAIL CODE"), for at most
#                       180 s; its pid in FILE.pid
#   deploy_loop_stop FILE  end that loop by its pid and wait for it; print
#                       "N ok, M failed"; status 1 when a request failed
#                       or none was made
#   deploy_cleanup NAME  remove what the compose project NAME left: its
#                       containers, networks and volumes (by compose's
#                       project label) and the images whose repository
#                       has NAME/ (test_remove_images); fails when
#                       something is left
#   deploy_proxy_start DIR / deploy_proxy_stop DIR  a logging proxy in
#                       front of the engine (tests/lib/engine-log-proxy.py):
#                       every request line into DIR/requests

# deploy_fixture DIR NAME
deploy_fixture () {
	local dir=$1 name=$2
	cp -R "$SRCROOT/tests/fixtures/deploy-orch" "$dir" || return 1
	sed -i -e "s|^project: .*|project: $name|" \
		-e "s|^registry: .*|registry: 127.0.0.1:5000/$name|" "$dir/ccbuild.yaml" || return 1
	IMAGE_PREFIX=$name
	HTTP_PORT=$(deploy_free_port) || return 1
	export IMAGE_PREFIX HTTP_PORT
}

deploy_free_port () {
	python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# deploy_get URL [SECONDS]
deploy_get () {
	local n=$((${2:-20} * 4))
	until curl -sf --max-time 2 "$1"; do
		n=$((n - 1))
		test $n -gt 0 || { echo "deploy_get: $1 does not answer" >&2; return 1; }
		sleep 0.25
	done
}

deploy_ids () {
	docker ps -a --filter "label=com.docker.compose.project=$1" \
		--format '{{.Label "com.docker.compose.service"}} {{.ID}}' | sort
}

deploy_id () {
	docker ps -a --filter "label=com.docker.compose.project=$1" \
		--filter "label=com.docker.compose.service=$2" --format '{{.ID}}'
}

# deploy_wait_healthy CONTAINER [SECONDS]
deploy_wait_healthy () {
	local c=$1 n=$((${2:-60} * 4)) s
	while test $n -gt 0; do
		s=$(docker inspect -f '{{.State.Status}} {{.State.Health.Status}}' "$c") || return 1
		case $s in
		'running healthy') return 0 ;;
		'running starting') ;;
		*) break ;;
		esac
		n=$((n - 1))
		sleep 0.25
	done
	echo "$c: $s" >&2
	docker inspect -f '{{range .State.Health.Log}}{{.Output}}{{end}}' "$c" | tail -n 5 >&2
	docker logs --tail 20 "$c" >&2
	return 1
}

# deploy_loop_start URL FILE — each request has 5 s; the loop stops by
# itself after 180 s, so a test that dies early leaves nothing running.
deploy_loop_start () {
	local url=$1 file=$2
	: >"$file"
	(
		end=$((SECONDS + 180))
		while test $SECONDS -lt $end; do
			if out=$(curl -s -f --max-time 5 -w '\n%{http_code}' "$url" 2>/dev/null); then
				out=${out%$'\n'*}
				echo "ok ${out//$'\n'/ }"
			else
				echo "FAIL ${out##*$'\n'}"
			fi
		done
	) >>"$file" </dev/null 2>/dev/null &
	echo $! >"$file.pid"
}

# deploy_loop_stop FILE
deploy_loop_stop () {
	local file=$1 ok bad
	if test -s "$file.pid"; then
		kill "$(cat "$file.pid")" 2>/dev/null
		wait "$(cat "$file.pid")" 2>/dev/null
		rm -f "$file.pid"
	fi
	ok=$(grep -c '^ok ' "$file")
	bad=$(grep -c '^FAIL' "$file")
	echo "$ok ok, $bad failed"
	test "$bad" = 0 && test "$ok" -gt 0
}

deploy_cleanup () {
	local name=$1 left
	docker ps -aq --filter "label=com.docker.compose.project=$name" | xargs -r docker rm -f >/dev/null
	docker network ls -q --filter "label=com.docker.compose.project=$name" | xargs -r docker network rm >/dev/null
	docker volume ls -q --filter "label=com.docker.compose.project=$name" | xargs -r docker volume rm >/dev/null
	test_remove_images "$name/"
	left=$(docker ps -aq --filter "label=com.docker.compose.project=$name"
		docker network ls -q --filter "label=com.docker.compose.project=$name"
		docker volume ls -q --filter "label=com.docker.compose.project=$name"
		test_image_refs_ "$name/")
	test -z "$left" || { echo "deploy_cleanup: left for $name: $left" >&2; return 1; }
}

# deploy_proxy_start DIR — tests/lib/engine-log-proxy.py on DIR/engine.sock
# in front of the engine, logging request lines to DIR/requests; prints
# the DOCKER_HOST to use.  deploy_proxy_stop DIR ends it by its pid.
deploy_proxy_start () {
	local dir n=40
	mkdir -p "$1" && dir=$(cd "$1" && pwd) && : >"$dir/requests" || return 1
	python3 "$SRCROOT/tests/lib/engine-log-proxy.py" "$(engine_sock)" "$dir/engine.sock" \
		"$dir/requests" </dev/null >/dev/null 2>"$dir/proxy.err" &
	echo $! >"$dir/proxy.pid"
	until test -S "$dir/engine.sock"; do
		n=$((n - 1))
		test $n -gt 0 || { cat "$dir/proxy.err" >&2; return 1; }
		sleep 0.1
	done
	echo "unix://$dir/engine.sock"
}

deploy_proxy_stop () {
	test -s "$1/proxy.pid" || return 0
	kill "$(cat "$1/proxy.pid")" 2>/dev/null
	wait "$(cat "$1/proxy.pid")" 2>/dev/null
	rm -f "$1/proxy.pid" "$1/engine.sock"
}
