#!/bin/bash
# Backups of a real PostgreSQL 15 (the local Debian service image): the
# pg_dump quiesce: hook runs in the database's container before its
# volume is read; an unchanged database makes no new snapshot; the first
# snapshot restored into a new volume starts a PostgreSQL that has the
# first rows; and restored over the volume the service is using (the
# service stopped, the data swapped, the service brought back healthy).
# The server runs with autovacuum off so that an idle database leaves its
# files as they are between two backups; the hook writes its dump only
# when it differs (a rewritten file is a change: its mtime is recorded),
# and with a fixed --restrict-key (pg_dump 15.14 writes a random one into
# every plain dump otherwise, so no two dumps are the same).
. "$(dirname "$0")/test-lib.sh"
test_description 'backup: PostgreSQL with a pg_dump quiesce, restore beside and over the in-use volume'
test_need_docker
. "$SRCROOT/tests/lib/service-image.sh"

P=t0840p$TEST_ID
IMG=$SERVICE_IMAGE
VOL=${P}_pgdata
export CI=1

service_image_ensure >"$TRASH/ensure.log" 2>&1
ensure_rc=$?
if test $ensure_rc = 2 && test "${CCBUILD_REQUIRE_DOCKER:-}" != 1; then
	test_skip "$(grep -m1 '^service-image: ' "$TRASH/ensure.log" | sed 's/^service-image: //')"
fi

sql () {
	docker exec "$1" psql -U postgres -d app -v ON_ERROR_STOP=1 -Atc "$2"
}

healthy_db () {
	test "$(docker inspect -f "{{.State.Running}} {{.State.Health.Status}}" $P-database-1)" = "true healthy"
}

snapshots () {
	ls repo/snapshots/pgdata | wc -l
}

# wait_ready CONTAINER: pg_isready within 60 s
wait_ready () {
	for i in $(seq 120); do
		docker exec "$1" pg_isready -U postgres -d app >/dev/null 2>&1 && return 0
		sleep 0.5
	done
	docker logs "$1" 2>&1 | tail -20
	return 1
}

test_expect_success 'setup: the database deployed, a table with rows' '
	test $ensure_rc = 0 || { cat ensure.log; false; } &&
	cat >docker-compose.yml <<-EOF &&
	services:
	  database:
	    image: $IMG
	    command: [ccb-postgres, -c, autovacuum=off]
	    environment: {POSTGRES_DB: app}
	    healthcheck:
	      test: ["CMD-SHELL", "pg_isready -U postgres -d app"]
	      interval: 1s
	      timeout: 5s
	      retries: 60
	    stop_grace_period: 20s
	    volumes: [pgdata:/var/lib/postgresql/data]
	volumes:
	  pgdata: {}
	EOF
	cat >ccbuild.yaml <<-EOF &&
	ccbuild: 1
	project: $P
	compose: docker-compose.yml
	profiles:
	  svc:
	    up: true
	  db:
	    backups: [pgdata]
	  whole:
	    backups: [whole]
	backups:
	  whole:
	    source: service:database
	    quiesce: {stop: [database]}
	    destinations: [{path: repo-whole}]
	  pgdata:
	    source: volume:$VOL
	    quiesce:
	      exec:
	        service: database
	        command: [sh, -c, "pg_dump -U postgres --restrict-key=t0840 -f /tmp/app.sql app && { cmp -s /tmp/app.sql /var/lib/postgresql/data/app.sql || cp /tmp/app.sql /var/lib/postgresql/data/app.sql; }"]
	    destinations: [{path: repo}]
	    verify: 100%
	EOF
	"$CCBUILD" up svc &&
	sql $P-database-1 "CREATE TABLE t (k int PRIMARY KEY, v text); INSERT INTO t VALUES (1, $(printf "%s" "'\''first'\''")), (2, $(printf "%s" "'\''rows'\''"));" &&
	test "$(sql $P-database-1 "SELECT string_agg(v, $(printf "%s" "'\'' '\''") ORDER BY k) FROM t")" = "first rows"
'

test_expect_success 'a backup runs pg_dump in the database first' '
	"$CCBUILD" backup db >out &&
	cat out &&
	grep -q "^backup:pgdata  snapshot " out &&
	test $(snapshots) = 1 &&
	docker exec $P-database-1 grep -q "^1	first" /var/lib/postgresql/data/app.sql
'

test_expect_success 'an unchanged database makes no new snapshot' '
	"$CCBUILD" backup db >out &&
	cat out &&
	grep -q "up to date" out &&
	test $(snapshots) = 1
'

test_expect_success 'changed rows make a second snapshot' '
	sql $P-database-1 "UPDATE t SET v = $(printf "%s" "'\''changed'\''") WHERE k = 2" &&
	"$CCBUILD" backup db >out &&
	cat out &&
	grep -q "^backup:pgdata  snapshot " out &&
	test $(snapshots) = 2
'

test_expect_success 'a failing hook fails the backup, naming the service and the exit code' '
	sed "s|command: \[sh, -c, .*|command: [sh, -c, \"echo dump failed >\&2; exit 3\"]|" ccbuild.yaml >bad.yaml &&
	test_expect_code 1 "$CCBUILD" -f bad.yaml backup db 2>err &&
	cat err &&
	grep -q "quiesce exec in service database: sh exited with code 3" err &&
	grep -q "dump failed" err &&
	test $(snapshots) = 2
'

test_expect_success 'a hook naming a service the compose model lacks is an error at its position' '
	sed "s|^	  whole:\$|&|; s|quiesce: {stop: \[database\]}|quiesce: {stop: [databse]}|" ccbuild.yaml >typo.yaml &&
	line=$(grep -n "stop: \[databse\]" typo.yaml | cut -d: -f1) &&
	test_expect_code 1 "$CCBUILD" -f typo.yaml backup whole 2>err &&
	cat err &&
	grep -q "typo.yaml:$line:[0-9]*: backup .whole.: quiesce names service .databse." err &&
	healthy_db
'

test_expect_success 'the first snapshot restored into a new volume starts with the first rows' '
	first=$("$CCBUILD" backups db pgdata | tail -n 1 | awk "{print \$1}") &&
	echo $first >first &&
	"$CCBUILD" restore db pgdata --snapshot $first --to volume:$P-beside >out &&
	cat out &&
	grep -q "verified" out &&
	docker run -d --name $P-beside -v $P-beside:/var/lib/postgresql/data $IMG ccb-postgres >/dev/null &&
	wait_ready $P-beside &&
	test "$(sql $P-beside "SELECT string_agg(v, $(printf "%s" "'\'' '\''") ORDER BY k) FROM t")" = "first rows" &&
	test "$(sql $P-database-1 "SELECT v FROM t WHERE k = 2")" = changed
'

test_expect_success 'restore --dry-run over the in-use volume says what it would do, and does nothing' '
	id=$(docker inspect -f "{{.Id}}" $P-database-1) &&
	"$CCBUILD" restore db pgdata --snapshot $(cat first) --dry-run >out &&
	cat out &&
	grep -q "would restore snapshot $(cat first) of pgdata over $VOL" out &&
	grep -q "stop $P-database-1" out &&
	test "$(docker inspect -f "{{.State.Running}}" $P-database-1)" = true &&
	! docker volume inspect $VOL-restore-$(cat first | cut -c1-12) >/dev/null 2>&1 &&
	test "$(sql $P-database-1 "SELECT v FROM t WHERE k = 2")" = changed
'

test_expect_success 'restore over the in-use volume: the service stopped, brought back healthy, with the first rows' '
	id=$(docker inspect -f "{{.Id}}" $P-database-1) &&
	"$CCBUILD" restore db pgdata --snapshot $(cat first) >out &&
	cat out &&
	grep -q "restored snapshot $(cat first) of pgdata over $VOL" out &&
	test "$(docker inspect -f "{{.Id}} {{.State.Running}} {{.State.Health.Status}}" $P-database-1)" = "$id true healthy" &&
	test "$(sql $P-database-1 "SELECT string_agg(v, $(printf "%s" "'\'' '\''") ORDER BY k) FROM t")" = "first rows" &&
	! docker volume inspect $VOL-restore-$(cat first | cut -c1-12) >/dev/null 2>&1 &&
	test -z "$(docker run --rm -v $VOL:/d $IMG ls -A /d | grep ccbuild-restore)"
'

test_expect_success 'service:database with stop: one snapshot, a directory per volume; the database back healthy' '
	id=$(docker inspect -f "{{.Id}}" $P-database-1) &&
	"$CCBUILD" backup whole >out &&
	cat out &&
	grep -q "^backup:whole  snapshot " out &&
	test "$(docker inspect -f "{{.Id}} {{.State.Running}} {{.State.Health.Status}}" $P-database-1)" = "$id true healthy" &&
	"$CCBUILD" restore whole whole --to path:whole-out >out &&
	test "$(ls whole-out)" = "$VOL" &&
	test -f whole-out/$VOL/PG_VERSION &&
	test_expect_code 2 "$CCBUILD" restore whole whole --to volume:$P-x 2>err &&
	grep -q "holds several volumes" err
'

test_expect_success 'a service: snapshot restored over the service volumes, the database back with its rows' '
	sql $P-database-1 "UPDATE t SET v = $(printf "%s" "'\''later'\''") WHERE k = 2" &&
	"$CCBUILD" restore whole whole >out &&
	cat out &&
	grep -q "over $VOL" out &&
	healthy_db &&
	test "$(sql $P-database-1 "SELECT string_agg(v, $(printf "%s" "'\'' '\''") ORDER BY k) FROM t")" = "first rows"
'

test_expect_success 'cleanup' '
	docker rm -f $P-beside $P-database-1 >/dev/null 2>&1
	docker volume rm $VOL $P-beside >/dev/null 2>&1
	docker network rm ${P}_default >/dev/null 2>&1
	test -z "$(docker ps -aq --filter label=com.docker.compose.project=$P)"
'

test_done
