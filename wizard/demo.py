"""`homelab-wizard demo`: a sample homelab repo to try the wizard on.

The content ships in assets/demo/repo (shaped like the seed's "Current Repository
Structure"); it is copied into a new git repository with one commit.
"""
from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path

from .paths import data_home
from .runner import Runner
from .session import UsageError
from .tools.git import Git

MARKER = ".homelab-wizard-demo"


def default_demo_dir() -> Path:
    return data_home() / "demo" / "homelab"


def demo_source() -> Path:
    return Path(str(resources.files("assets") / "demo" / "repo"))


def existing_demo(dest: Path) -> bool:
    """Whether `dest` already holds a demo repo (written earlier, perhaps half migrated)."""
    dest = Path(dest).expanduser().resolve()
    return (dest / MARKER).exists() and (dest / ".git").exists()


def write_demo(dest: Path, runner: Runner | None = None) -> Path:
    """Create the demo repo at `dest`; an existing demo there is reused as it is (to resume)."""
    dest = Path(dest).expanduser().resolve()
    if existing_demo(dest):
        return dest
    if dest.exists() and any(dest.iterdir()):
        raise UsageError(f"{dest} exists and is not empty; choose another folder for the demo (homelab-wizard demo DIR).")
    src = demo_source()
    if not src.is_dir():
        raise UsageError(f"the demo content is missing from this installation ({src}); reinstall homelab-wizard.")
    shutil.copytree(src, dest, dirs_exist_ok=True)
    (dest / MARKER).write_text("This repository was written by 'homelab-wizard demo'.\n")
    git = Git(runner or Runner(audit_log=None), repo=dest)
    git.run("init", "-q", "-b", "main")
    env = {"GIT_AUTHOR_NAME": "Homelab Demo", "GIT_AUTHOR_EMAIL": "demo@homelab.invalid",
           "GIT_COMMITTER_NAME": "Homelab Demo", "GIT_COMMITTER_EMAIL": "demo@homelab.invalid"}
    git.run("add", "-A")
    git.run("commit", "-q", "-m", "Homelab manifests, applied by hand with kubectl", env=env)
    # Later commits by the wizard need an identity; keep the demo's own.
    git.run("config", "user.name", "Homelab Demo")
    git.run("config", "user.email", "demo@homelab.invalid")
    return dest
