#!/bin/bash
# End to end (issue #17): Debian's prometheus-node-exporter reads ccbuild's
# metrics directory with its textfile collector, a Prometheus server on
# 127.0.0.1 scrapes it, and the run's counters come back from Prometheus'
# HTTP API; two profiles' files in one directory merge.
. "$(dirname "$0")/test-lib.sh"
test_description 'Prometheus scrapes the metrics of a run through node_exporter'
test_need_docker
. "$SRCROOT/tests/lib/base-image.sh"

P=t0615p$TEST_ID
export CI=1
NODE_EXPORTER=$(command -v prometheus-node-exporter || echo /usr/bin/prometheus-node-exporter)
PROMETHEUS=$(command -v prometheus || echo /usr/bin/prometheus)

free_port () {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# query PROMQL: the first result's value, or empty
query () {
	curl -sS --get "http://127.0.0.1:$PROM_PORT/api/v1/query" --data-urlencode "query=$1" |
		python3 -c 'import json, sys; r = json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if r else "")'
}

# wait_for PROMQL VALUE: until Prometheus answers VALUE (20 s at most)
wait_for () {
	for i in $(seq 100); do
		test "$(query "$1")" = "$2" && return 0
		sleep 0.2
	done
	echo "$1: $(query "$1"), not $2"
	return 1
}

test_expect_success 'setup: a project; node_exporter on its metrics directory; Prometheus scraping it every second' '
	test -x "$NODE_EXPORTER" && test -x "$PROMETHEUS" &&
	base_image_ensure >/dev/null &&
	mkdir -p app textfile tsdb &&
	printf "FROM %s\nCOPY f /f\n" "$BASE_IMAGE" >app/Dockerfile && echo "$P" >app/f &&
	cat >ccbuild.yaml <<-YAML &&
	ccbuild: 1
	project: $P
	images:
	  app: {context: app}
	observability:
	  metrics: textfile
	profiles:
	  dev: {}
	  prod: {}
	YAML
	NODE_PORT=$(free_port) && PROM_PORT=$(free_port) || return 1
	"$NODE_EXPORTER" --web.listen-address=127.0.0.1:$NODE_PORT --collector.disable-defaults \
		--collector.textfile --collector.textfile.directory="$TRASH/textfile" >node.log 2>&1 &
	echo $! >node.pid &&
	cat >prometheus.yml <<-YAML &&
	global: {scrape_interval: 1s, evaluation_interval: 1s}
	scrape_configs:
	  - job_name: ccbuild
	    static_configs: [{targets: ["127.0.0.1:$NODE_PORT"]}]
	YAML
	true || return 1
	"$PROMETHEUS" --config.file=prometheus.yml --storage.tsdb.path=tsdb \
		--web.listen-address=127.0.0.1:$PROM_PORT >prom.log 2>&1 &
	echo $! >prom.pid &&
	for i in $(seq 100); do curl -fsS http://127.0.0.1:$PROM_PORT/-/ready >/dev/null 2>&1 && break; sleep 0.2; done &&
	curl -fsS http://127.0.0.1:$PROM_PORT/-/ready
'

test_expect_success 'two runs of dev and one of prod: Prometheus has their counters' '
	"$CCBUILD" dev && "$CCBUILD" dev && "$CCBUILD" prod &&
	wait_for "ccbuild_runs_total{project=\"$P\",profile=\"dev\",result=\"ok\"}" 2 &&
	wait_for "ccbuild_runs_total{project=\"$P\",profile=\"prod\",result=\"ok\"}" 1 &&
	wait_for "ccbuild_steps_total{project=\"$P\",profile=\"dev\",kind=\"build\",status=\"up-to-date\"}" 1 &&
	wait_for "sum(ccbuild_build_context_bytes_total{project=\"$P\"}) > bool 0" 1 &&
	wait_for "node_textfile_scrape_error" 0
'

test_expect_success 'the alert expression: no good run in 26 h is false right after a run' '
	wait_for "count(time() - ccbuild_run_last_success_timestamp_seconds{project=\"$P\"} > 26 * 3600)" "" &&
	wait_for "count(time() - ccbuild_run_last_success_timestamp_seconds{project=\"$P\"} < 300)" 2
'

test_expect_success 'stop Prometheus and node_exporter' '
	kill $(cat prom.pid) $(cat node.pid) &&
	test_remove_images $P
'

test_done
