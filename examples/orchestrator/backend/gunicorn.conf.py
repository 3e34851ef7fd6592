# Read by the production stage; every knob comes from the environment.
import os

bind = "0.0.0.0:8000"
workers = int(os.environ.get("WORKERS", "4"))
# FastAPI is ASGI: Gunicorn's own gevent/sync workers cannot serve it.
worker_class = "uvicorn.workers.UvicornWorker"
max_requests = int(os.environ.get("MAX_REQUESTS", "1000"))
max_requests_jitter = int(os.environ.get("MAX_REQUESTS_JITTER", "50"))
preload_app = True
accesslog = "-"
errorlog = "-"
