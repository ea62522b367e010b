"""mem0 REST server for the homelab (stub): stores memories in Qdrant via LiteLLM embeddings."""
import os

from fastapi import FastAPI
from mem0 import Memory
from pydantic import BaseModel

config = {
    "vector_store": {
        "provider": "qdrant",
        "config": {"host": os.environ["QDRANT_HOST"], "port": int(os.environ.get("QDRANT_PORT", 6333))},
    },
    "llm": {"provider": "openai", "config": {"model": "gpt-4o-mini"}},
    "embedder": {"provider": "openai", "config": {"model": "text-embedding-3-small"}},
}
memory = Memory.from_config(config)
app = FastAPI(title="mem0")


class AddRequest(BaseModel):
    user_id: str
    text: str


@app.get("/health")
def health() -> dict:
    return {"ok": True}


@app.post("/memories")
def add(req: AddRequest) -> dict:
    return memory.add(req.text, user_id=req.user_id)


@app.get("/memories/{user_id}")
def search(user_id: str, q: str) -> dict:
    return memory.search(q, user_id=user_id)
