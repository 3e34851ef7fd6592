import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "senex_trader.settings.production")
app = Celery("senex_trader")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
