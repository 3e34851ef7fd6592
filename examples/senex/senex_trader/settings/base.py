import os

SECRET_KEY = os.environ["SECRET_KEY"]
DEBUG = os.environ.get("DEBUG", "false") == "true"
ALLOWED_HOSTS = os.environ.get("ALLOWED_HOSTS", "localhost").split(",")
ROOT_URLCONF = "senex_trader.urls"
INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.staticfiles", "daphne"]
STATIC_URL = "/static/"
STATIC_ROOT = "/app/staticfiles"
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": os.environ.get("DB_NAME", "senex_trader"),
        "USER": os.environ.get("DB_USER", "senex"),
        "PASSWORD": os.environ.get("DB_PASSWORD", ""),
        "HOST": os.environ.get("DB_HOST", "postgres"),
        "PORT": os.environ.get("DB_PORT", "5432"),
    }
}
CELERY_BROKER_URL = os.environ.get("REDIS_URL", "redis://redis:6379/0")
