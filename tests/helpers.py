"""Small helpers the test layers share: real git repos in temp folders, the CLI as a subprocess."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent

GIT_ENV = {"GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "test@example.invalid",
           "GIT_COMMITTER_NAME": "Test", "GIT_COMMITTER_EMAIL": "test@example.invalid"}

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  namespace: {ns}
spec:
  replicas: 1
  selector:
    matchLabels: {{app: {name}}}
  template:
    metadata:
      labels: {{app: {name}}}
    spec:
      containers:
        - name: {name}
          image: nginx:1.27
"""


# A kubeconfig that does not exist: the CLI sees no cluster (Phase 2 and the repo items work without one).
NO_CLUSTER = {"KUBECONFIG": "/nonexistent/kubeconfig"}

# A Flux Kustomization over ./apps, as a repo after Phase 2 has it (clusters/<name>/apps.yaml).
FLUX_KS = """\
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: apps
  namespace: flux-system
spec:
  interval: 10m
  path: ./apps
  prune: true
  sourceRef:
    kind: GitRepository
    name: flux-system
"""

def git(repo: Path, *args: str, check: bool = True) -> str:
    env = {**os.environ, **GIT_ENV}
    return subprocess.run(["git", "-C", str(repo), *args], check=check, capture_output=True, text=True, env=env).stdout


def write_files(root: Path, files: dict[str, str]) -> Path:
    """Write `files` ({relative path: text}) below `root`, creating folders; returns `root`."""
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def make_repo(path: Path, files: dict[str, str] | None = None) -> Path:
    """A real git repository with one commit holding `files` (default: two small apps)."""
    path.mkdir(parents=True, exist_ok=True)
    files = files if files is not None else {
        "infrastructure/kubernetes/base/namespace.yaml": "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: homelab\n",
        "infrastructure/kubernetes/services/web.yaml": DEPLOYMENT.format(name="web", ns="homelab"),
        "infrastructure/kubernetes/databases/redis.yaml": DEPLOYMENT.format(name="redis", ns="homelab"),
    }
    write_files(path, files)
    git(path, "init", "-q", "-b", "main")
    git(path, "config", "user.email", "test@example.invalid")
    git(path, "config", "user.name", "Test")
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "initial")
    return path


def cli_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()}
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    env.update(extra)
    return env


def run_cli(*args: str, env: dict | None = None, cwd: Path | None = None, input: str | None = None,
            timeout: float = 300) -> subprocess.CompletedProcess:
    """`homelab-wizard ARGS` in a subprocess, stdin not a terminal (as in scripts and CI)."""
    return subprocess.run([str(VENV_BIN / "homelab-wizard"), *args], capture_output=True, text=True,
                          env=env or cli_env(), cwd=cwd, input=input if input is not None else "", timeout=timeout)


def status_json(repo: Path, env: dict | None = None) -> dict:
    res = run_cli("--repo", str(repo), "status", "--json", env=env)
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout)


def item_status(data: dict, item_id: str) -> dict:
    for ph in data["phases"]:
        for it in ph["items"]:
            if it["id"] == item_id:
                return it
    raise KeyError(item_id)


def push_to_bare_remote(repo: Path, remote: Path) -> Path:
    """A bare repository at `remote` as the repo's origin, with main pushed to it."""
    git(remote.parent, "init", "-q", "--bare", "-b", "main", str(remote))
    git(repo, "remote", "add", "origin", str(remote))
    git(repo, "push", "-q", "origin", "main")
    return remote


def record_prerequisites_passed(repo: Path, *item_ids: str) -> None:
    """Test set-up shortcut: record items as passed in the state, without their live checks.

    For tests of a later item whose prerequisites would need a whole migration first (5.x needs
    3.4, which needs a bootstrap). The item under test is still run and verified for real."""
    from wizard.session import Session

    s = Session.open(repo)
    s.store.acquire("test")
    try:
        s.store.load()
        for i in item_ids:
            s.state.item(i).status = "passed"
        s.store.save()
    finally:
        s.store.release()
