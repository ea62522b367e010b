"""Homelab dashboard: one page with the state of every service (stub)."""
import os

import httpx
from fastapi import FastAPI

PROMETHEUS_URL = os.environ.get("PROMETHEUS_URL", "http://localhost:9090")
app = FastAPI(title="homelab-dashboard")


@app.get("/healthz")
def healthz() -> dict:
    return {"ok": True}


@app.get("/api/up")
def up() -> dict:
    r = httpx.get(f"{PROMETHEUS_URL}/api/v1/query", params={"query": "up"}, timeout=5)
    r.raise_for_status()
    return {
        s["metric"].get("job", "?"): s["value"][1] == "1"
        for s in r.json()["data"]["result"]
    }
