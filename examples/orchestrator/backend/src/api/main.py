import os

from fastapi import FastAPI
from prometheus_client import make_asgi_app

app = FastAPI(title="Databricks Orchestrator")
app.mount("/metrics", make_asgi_app())


@app.get("/health")
def health():
    return {"status": "healthy", "environment": os.environ.get("ENVIRONMENT", "development")}
