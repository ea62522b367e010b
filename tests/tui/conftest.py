"""Fixtures for the TUI tests: a real git repo with a few manifests and a real, locked Session.

No cluster is used: KUBECONFIG points at a file that does not exist, so items that need a
cluster verify as failed or blocked with the core's own "no context" messages. The repo sits
at a fixed name (``homelab``) so nothing path-dependent reaches the snapshots.
"""
from __future__ import annotations

import subprocess
from contextlib import contextmanager
from pathlib import Path

import pytest

from screens.app import WizardApp, make_app
from wizard.engine import Engine
from wizard.session import Session

GIT_ENV = {"GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "test@example.invalid",
           "GIT_COMMITTER_NAME": "Test", "GIT_COMMITTER_EMAIL": "test@example.invalid"}

MANIFESTS = {
    "infrastructure/kubernetes/base/namespace.yaml": """\
apiVersion: v1
kind: Namespace
metadata:
  name: homelab
""",
    "infrastructure/kubernetes/web/deployment.yaml": """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: homelab
spec:
  replicas: 1
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: nginx:1.27
---
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: homelab
spec:
  selector: {app: web}
  ports:
    - port: 80
""",
}

SIZE = (110, 34)


def git(repo: Path, *args: str) -> str:
    import os

    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True,
                          env={**os.environ, **GIT_ENV}).stdout


@pytest.fixture
def no_cluster(monkeypatch, tmp_path):
    """No real cluster can be reached, and backups/keys go to a temp data dir."""
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "no-such-kubeconfig"))
    monkeypatch.setenv("HOMELAB_WIZARD_DATA", str(tmp_path / "data"))
    monkeypatch.delenv("HOMELAB_WIZARD_NONINTERACTIVE", raising=False)


@pytest.fixture
def homelab_repo(tmp_path) -> Path:
    """A committed git repo with a Namespace, a Deployment and a Service."""
    repo = tmp_path / "homelab"
    for rel, body in MANIFESTS.items():
        path = repo / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "manifests applied by hand")
    return repo


@pytest.fixture
def session(homelab_repo, no_cluster):
    """A Session on the repo holding the lock, with its (fresh) state loaded."""
    s = Session.open(homelab_repo)
    s.store.acquire("tui-test")
    s.store.load()
    yield s
    s.store.release()


@pytest.fixture
def app(session) -> WizardApp:
    return make_app(session)


@pytest.fixture
def structure_passed(session) -> Session:
    """The state after an earlier run chose Option A (through the core, as the CLI would)."""
    engine = Engine(session)
    session.answers["option"] = "a"
    verdict = engine.run("prep.structure", engine.plan("prep.structure"))
    assert verdict.status == "passed", verdict.message
    return session


async def settle(pilot) -> None:
    """Wait until no worker runs and every message they posted has been handled."""
    app = pilot.app
    for _ in range(100):
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        if not app.work_running():
            return
    raise AssertionError("workers did not finish")


async def wait_for(pilot, condition, timeout: float = 30.0) -> None:
    """Let the app run until `condition()` holds (generous: the CI machine may be busy)."""
    import time

    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            app = pilot.app
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for the UI; last state: screen "
                                 f"{type(app.screen).__name__}, focus {app.focused!r}, workers running: "
                                 f"{app.work_running() if hasattr(app, 'work_running') else '?'}")
        await pilot.pause(0.05)


@contextmanager
def tui_session(repo, env: dict, monkeypatch, keys=("KUBECONFIG", "PATH", "HOMELAB_WIZARD_DATA")):
    """A locked, loaded Session on `repo` for driving the real TUI against a testbed: the process
    environment gets `keys` from `env` (the App's own tool calls read it), stdin counts as a user."""
    from wizard.runner import Runner

    for k in keys:
        monkeypatch.setenv(k, env[k])
    monkeypatch.delenv("HOMELAB_WIZARD_NONINTERACTIVE", raising=False)
    session = Session.open(repo, runner=Runner(base_env=env))
    session.store.acquire("tui-e2e")
    try:
        session.store.load()
        yield session
    finally:
        session.store.release()


async def wait_for_screen(pilot, screen_type, ready: str, timeout: float = 30.0):
    """Wait until the app shows `screen_type` *and* its `ready` widget is mounted.

    A pushed screen becomes `app.screen` before its compose has run, so waiting for the type alone
    races the mount (seen once in CI on a loaded machine: NoMatches for '#confirm-body')."""

    def shown() -> bool:
        screen = pilot.app.screen
        return isinstance(screen, screen_type) and bool(screen.query(ready))

    await wait_for(pilot, shown, timeout=timeout)
    return pilot.app.screen


async def mounted_select(pilot, select):
    """A Select whose own parts are mounted: setting its value before that fails on a busy machine
    (NoMatches for its '#label', seen in CI), although the Select itself is already queryable."""
    await wait_for(pilot, lambda: bool(select.query("SelectCurrent #label")))
    return select


def text_of(widget) -> str:
    """The plain text a Static shows."""
    content = widget.content
    return getattr(content, "plain", str(content))
