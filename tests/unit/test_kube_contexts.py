"""Issue 15: 1.0 asks which kubeconfig context to pin, each shown with its server, instead of pinning
the current-context silently. The real kubectl reads a kubeconfig the test writes; no cluster is
needed (`kubectl config view` only reads the file) and every server is a closed loopback port."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.helpers import VENV_BIN, make_repo
from wizard.cluster.contexts import list_contexts
from wizard.engine import Engine
from wizard.runner import Runner
from wizard.session import NeedsAnswers, Refused, Session
from wizard.state import ClusterIdentity
from wizard.tools.kubectl import Kubectl

TOKEN = "s3cret-token-never-shown"
SERVERS = {"home": "https://127.0.0.1:1", "work": "https://127.0.0.1:2", "lab": "https://127.0.0.1:3"}


def kubeconfig(path: Path, names=("home", "work", "lab"), current: str = "work") -> Path:
    """A kubeconfig with one cluster, context and user per name (context NAME-admin)."""
    clusters = [{"name": n, "cluster": {"server": SERVERS[n]}} for n in names]
    contexts = [{"name": f"{n}-admin", "context": {"cluster": n, "user": "admin"}} for n in names]
    path.write_text(json.dumps({"apiVersion": "v1", "kind": "Config", "clusters": clusters, "contexts": contexts,
                                "users": [{"name": "admin", "user": {"token": TOKEN}}],
                                "current-context": f"{current}-admin"}))
    return path


@pytest.fixture(autouse=True)
def kubectl_on_path(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    monkeypatch.setenv("HOMELAB_WIZARD_DATA", str(tmp_path / "data"))


@pytest.fixture
def session(tmp_path, monkeypatch):
    monkeypatch.setenv("KUBECONFIG", str(kubeconfig(tmp_path / "kubeconfig", names=("home", "work"), current="home")))
    # The cluster's UID is the one value that needs a server: each context gets its own, so that
    # "another cluster" is seen without one (the server URL is still read from the file by kubectl).
    monkeypatch.setattr(Kubectl, "kube_system_uid", lambda self: f"uid-of-{self.context}")
    s = Session.open(make_repo(tmp_path / "homelab"))
    s.store.acquire("test")
    s.store.load()
    yield s
    s.store.release()


def test_contexts_are_listed_with_their_server_and_which_is_current(tmp_path):
    audit = tmp_path / "audit.jsonl"
    found = list_contexts(Runner(audit_log=audit), str(kubeconfig(tmp_path / "kc")))
    assert [(c.name, c.server, c.current) for c in found] == [  # kubectl lists them by name
        ("home-admin", "https://127.0.0.1:1", False), ("lab-admin", "https://127.0.0.1:3", False),
        ("work-admin", "https://127.0.0.1:2", True)]
    assert found[0].label == "home-admin  →  https://127.0.0.1:1"
    # kubectl redacts the credentials itself (no --raw), so the audit log never holds them
    argv = json.loads(audit.read_text().splitlines()[-1])["argv"]
    assert "--raw" not in argv and argv[-4:] == ["config", "view", "-o", "json"]
    assert TOKEN not in audit.read_text()


def test_the_kubeconfig_env_list_is_read_as_kubectl_merges_it(tmp_path, monkeypatch):
    one = kubeconfig(tmp_path / "one", names=("home",), current="home")
    two = kubeconfig(tmp_path / "two", names=("lab",), current="lab")
    monkeypatch.setenv("KUBECONFIG", f"{one}{os.pathsep}{two}")
    found = list_contexts(Runner(audit_log=None))
    assert [(c.name, c.current) for c in found] == [("home-admin", True), ("lab-admin", False)]


def test_preflight_asks_which_context_when_there_are_several(session):
    with pytest.raises(NeedsAnswers) as e:
        Engine(session).plan("prep.preflight")
    [q] = e.value.questions
    assert q.key == "context" and q.default == "home-admin"
    assert q.choices == [("home-admin", "home-admin  →  https://127.0.0.1:1"),
                         ("work-admin", "work-admin  →  https://127.0.0.1:2")]
    assert "answer context=" in str(e.value) and "https://127.0.0.1:2" in str(e.value)
    assert session.state.cluster is None


def test_the_answer_is_what_every_tool_runs_against_and_the_preview_names_it(session):
    session.answers["context"] = "work-admin"
    assert session.kubectl.context == session.flux.context == "work-admin"
    plan = Engine(session).plan("prep.preflight")
    assert plan.steps[0].description == "Context work-admin  →  https://127.0.0.1:2"
    assert "Context work-admin  →  https://127.0.0.1:2\n" in plan.render()
    assert plan.data["identity"]["context"] == "work-admin"
    session.context = "home-admin"  # an explicit --context wins over the answer
    assert session.kubectl.context == "home-admin"


def test_a_context_not_in_the_kubeconfig_is_asked_again(session):
    session.answers["context"] = "gone"
    with pytest.raises(NeedsAnswers, match="context='gone' is not a context of the kubeconfig"):
        Engine(session).plan("prep.preflight")


def test_one_context_asks_nothing(session, tmp_path, monkeypatch):
    monkeypatch.setenv("KUBECONFIG", str(kubeconfig(tmp_path / "single", names=("lab",), current="lab")))
    plan = Engine(session).plan("prep.preflight")
    assert plan.data["identity"]["context"] == "lab-admin" and "context" not in session.answers


def test_choosing_another_cluster_after_the_pin_is_refused_without_repin(session):
    session.state.cluster = ClusterIdentity(context="home-admin", server=SERVERS["home"], uid="uid-of-home-admin")
    assert Engine(session).plan("prep.preflight").changes == "nothing"  # the pin stands: nothing is asked
    session.answers["context"] = "work-admin"
    with pytest.raises(Refused, match="is not the pinned one"):
        Engine(session).plan("prep.preflight")
    session.repin = True
    assert Engine(session).plan("prep.preflight").steps[1].description.startswith("The previously pinned")
