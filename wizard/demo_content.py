"""The sample homelab repo shipped in assets/demo/repo, for `homelab-wizard demo` and the tests.

It is shaped like the seed plan's "Current Repository Structure": hand-applied manifests under
infrastructure/kubernetes/, non-Kubernetes host configs, app sources, scripts/Makefile/CI that run
`kubectl apply`, one existing kustomization.yaml (monitoring) and a few plaintext Secrets whose
fake values all contain DEMO_SECRET_MARKER.
"""
from __future__ import annotations

import shutil
from importlib.resources import files
from pathlib import Path

DEMO_SECRET_MARKER = "demo-not-a-real-secret"


def demo_repo_dir() -> Path:
    """The bundled demo repo (read-only: copy it before touching anything)."""
    return Path(str(files("assets") / "demo" / "repo"))


def copy_demo_repo(dest: Path) -> list[Path]:
    """Copy the demo repo into `dest` (new or empty) and return the copied files, relative.

    File modes come along (scripts/*.sh stay executable); `dest` is never overwritten.
    """
    dest = Path(dest)
    if dest.exists() and any(dest.iterdir()):
        raise FileExistsError(f"{dest} is not empty")
    src = demo_repo_dir()
    shutil.copytree(src, dest, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__"))
    return sorted(p.relative_to(dest) for p in dest.rglob("*") if p.is_file())
