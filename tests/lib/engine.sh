# engine.sh — sourced; which Docker engine the shell helpers (services.sh,
# base-image.sh, test-lib.sh) talk to with curl, as the docker CLI and
# ccbuild choose it: DOCKER_HOST=unix://PATH, else /var/run/docker.sock.
#
#   engine_sock           print that socket's path; for a DOCKER_HOST that is
#                         not unix:// (tcp://, ssh://) say so and fail
#   engine_api CURL-ARGS  curl -s over that socket
#   engine_is_default     true when that socket is /var/run/docker.sock

ENGINE_DEFAULT_SOCK=/var/run/docker.sock

engine_sock () {
	case ${DOCKER_HOST:-} in
	'') echo "$ENGINE_DEFAULT_SOCK" ;;
	unix://?*) echo "${DOCKER_HOST#unix://}" ;;
	*)
		echo "engine: DOCKER_HOST=$DOCKER_HOST: these scripts reach the engine over a unix socket only (unix:///PATH)" >&2
		return 1
		;;
	esac
}

engine_api () {
	local sock
	sock=$(engine_sock) || return 1
	curl -s --unix-socket "$sock" "$@"
}

engine_is_default () {
	test "$(engine_sock 2>/dev/null)" -ef "$ENGINE_DEFAULT_SOCK" ||
		test "$(engine_sock 2>/dev/null)" = "$ENGINE_DEFAULT_SOCK"
}
