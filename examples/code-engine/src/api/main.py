import os

from fastapi import FastAPI
from prometheus_client import start_http_server

app = FastAPI(title="CODE API")


@app.on_event("startup")
def metrics():
    start_http_server(int(os.environ.get("METRICS_PORT", "9090")))


@app.get("/health")
def health():
    return {"status": "ok"}
