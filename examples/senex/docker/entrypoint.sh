#!/bin/bash
# Senex Trader container entrypoint: wait for PostgreSQL and Redis, run the
# one-off initialisation on the web container only, then exec the service
# named by $1 (web, gunicorn, worker, beat) or any other command.
set -e

wait_for_postgres() {
    echo "Waiting for PostgreSQL..."
    python - <<'PY'
import os, sys, time
import django
os.environ.setdefault("DJANGO_SETTINGS_MODULE",
                      "senex_trader.settings." + os.environ.get("ENVIRONMENT", "production"))
django.setup()
from django.db import connection
from django.db.utils import OperationalError
retries = 30
for i in range(retries):
    try:
        connection.ensure_connection()
        print("PostgreSQL is ready")
        sys.exit(0)
    except OperationalError as e:
        print(f"PostgreSQL not ready ({i + 1}/{retries}): {e}")
        time.sleep(2)
print(f"PostgreSQL still unreachable after {retries} attempts")
sys.exit(1)
PY
}

wait_for_redis() {
    echo "Waiting for Redis..."
    python - <<'PY'
import os, sys, time
import redis
url = os.environ.get("REDIS_URL", "redis://redis:6379/0")
retries = 30
for i in range(retries):
    try:
        redis.from_url(url).ping()
        print("Redis is ready")
        sys.exit(0)
    except Exception as e:
        print(f"Redis not ready ({i + 1}/{retries}): {e}")
        time.sleep(2)
print(f"Redis still unreachable after {retries} attempts")
sys.exit(1)
PY
}

SERVICE_TYPE="${1:-web}"

case "$SERVICE_TYPE" in
    web|daphne|gunicorn|worker|celery-worker|celery_worker|beat|celery-beat|celery_beat)
        wait_for_postgres
        wait_for_redis
        ;;
esac

# Only the web container migrates, so worker and beat never race it.
case "$SERVICE_TYPE" in
    web|daphne|gunicorn)
        python manage.py migrate --noinput
        python manage.py collectstatic --noinput --clear
        ;;
esac

case "$SERVICE_TYPE" in
    web|daphne)
        exec daphne -b 0.0.0.0 -p 8000 senex_trader.asgi:application
        ;;
    gunicorn)
        exec gunicorn senex_trader.wsgi:application --bind 0.0.0.0:8000 \
            --workers "${GUNICORN_WORKERS:-4}" --timeout 120 \
            --max-requests 1000 --max-requests-jitter 50 \
            --access-logfile - --error-logfile -
        ;;
    worker|celery-worker|celery_worker)
        exec celery -A senex_trader worker --loglevel="${CELERY_LOG_LEVEL:-info}" \
            --queues=celery,accounts,trading \
            --concurrency="${CELERY_CONCURRENCY:-4}" --max-tasks-per-child=100
        ;;
    beat|celery-beat|celery_beat)
        # A stale schedule file can be corrupt after a crash; beat rebuilds it.
        rm -f /app/celerybeat-schedule*
        exec celery -A senex_trader beat --loglevel="${CELERY_LOG_LEVEL:-info}" \
            --pidfile=/tmp/celerybeat.pid --schedule=/app/celerybeat-schedule
        ;;
    *)
        exec "$@"
        ;;
esac
