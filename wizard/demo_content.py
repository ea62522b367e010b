"""Facts about the sample homelab repo shipped in assets/demo/repo (copying it out is wizard/demo.py).

It is shaped like the seed plan's "Current Repository Structure": hand-applied manifests under
infrastructure/kubernetes/, non-Kubernetes host configs, app sources, scripts/Makefile/CI that run
`kubectl apply`, one existing kustomization.yaml (monitoring) and a few plaintext Secrets whose
fake values all contain DEMO_SECRET_MARKER.
"""
from __future__ import annotations

from importlib.resources import files
from pathlib import Path

DEMO_SECRET_MARKER = "demo-not-a-real-secret"


def demo_repo_dir() -> Path:
    """The bundled demo repo (read-only: copy it before touching anything)."""
    return Path(str(files("assets") / "demo" / "repo"))
