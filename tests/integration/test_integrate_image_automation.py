"""5.3 integrate.image-automation on a temp repo with a bare remote: the files, the markers, the
commit and push, the skip; the cluster probes (CRDs/controllers, server-side dry-run) are replaced
in-process (the testbed test runs them for real)."""
from __future__ import annotations


import pytest
import yaml

from tests.helpers import git, make_repo, push_to_bare_remote, record_prerequisites_passed, run_cli
from wizard.engine import Engine
from wizard.integrate import image_automation as ia
from wizard.session import NeedsAnswers, Session, UsageError

PODINFO = """\
# podinfo: the demo app (my comment)
apiVersion: apps/v1
kind: Deployment
metadata:
  name: podinfo
  namespace: apps
spec:
  replicas: 1
  selector:
    matchLabels: {app: podinfo}
  template:
    metadata:
      labels: {app: podinfo}
    spec:
      containers:
      - name: podinfo
        image: "ghcr.io/stefanprodan/podinfo:6.5.0"   # keep quotes
        ports:
        - containerPort: 9898
"""
PODINFO = PODINFO.replace("   # keep quotes", "")  # a foreign comment would be refused (tested below)

WEB = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
        - name: web
          image: nginx:1.27  # pinned for now
"""


def _repo(tmp_path):
    repo = make_repo(tmp_path / "repo", {
        "apps/podinfo/deployment.yaml": PODINFO,
        "apps/web/deployment.yaml": WEB,
        "apps/kustomization.yaml": "namespace: apps\nresources:\n  - podinfo/deployment.yaml\n  - web/deployment.yaml\n",
    })
    remote = push_to_bare_remote(repo, tmp_path / "remote.git")
    record_prerequisites_passed(repo, "bootstrap.namespace")
    return repo, remote


@pytest.fixture
def cluster(monkeypatch):
    """A cluster with the image CRDs; the controllers not running; every dry-run accepted."""
    state = {"crds_ok": True, "dry_run": (True, "accepted (server dry run)"), "sent": []}

    def controllers(session):
        return {"crds": {c: state["crds_ok"] for c in ia.CRDS}, "crds_ok": state["crds_ok"], "running": False,
                "controllers": {c: "not installed" for c in ia.CONTROLLERS}}

    def dry_run(session, docs):
        state["sent"].append(docs)
        return state["dry_run"]

    monkeypatch.setattr(ia, "controllers", controllers)
    monkeypatch.setattr(ia, "server_dry_run", dry_run)
    monkeypatch.setattr(Session, "ensure_same_cluster", lambda self: None)
    return state


def _engine(repo, **answers):
    s = Session.open(repo)
    s.store.acquire("test")
    s.store.load()
    s.answers.update(answers)
    return s, Engine(s)


def test_objects_markers_commit_and_push(tmp_path, cluster):
    repo, remote = _repo(tmp_path)
    s, engine = _engine(repo, **{"image-automation": "apps/podinfo", "image-policy": "semver:>=6.0.0"})
    try:
        assert engine.verify("5.3").status == "pending"
        plan = engine.plan("5.3")
        assert plan.changes == "repo"
        text = plan.render()
        assert '+        image: "ghcr.io/stefanprodan/podinfo:6.5.0" # {"$imagepolicy": "flux-system:apps-podinfo"}' in text
        assert "image controllers are not running" in text
        v = engine.run("5.3", plan)
        assert v.status == "passed", v.message
        assert "not running" in v.message and v.evidence["controllers_running"] is False
        assert "image-reflector-controller" in v.evidence["controllers_note"]
        # nothing left to do
        assert engine.plan("5.3").changes == "nothing"
    finally:
        s.store.release()
    got = (repo / "apps/podinfo/deployment.yaml").read_text()
    assert got == PODINFO.replace('6.5.0"\n', '6.5.0" # {"$imagepolicy": "flux-system:apps-podinfo"}\n')
    pol = yaml.safe_load((repo / ia.FOLDER / "policies.yaml").read_text())
    assert pol["spec"] == {"imageRepositoryRef": {"name": "apps-podinfo"}, "policy": {"semver": {"range": ">=6.0.0"}}}
    assert (repo / "clusters/homelab/image-automation.yaml").is_file()
    kinds = sorted(d["kind"] for d in cluster["sent"][-1])
    assert kinds == ["ImagePolicy", "ImageRepository", "ImageUpdateAutomation"]
    # committed (only these files) and pushed
    assert git(repo, "status", "--porcelain").strip() == ""
    assert git(remote, "rev-parse", "main").strip() == git(repo, "rev-parse", "HEAD").strip()
    changed = set(git(repo, "show", "--name-only", "--format=", "HEAD").split())
    assert changed == {"apps/podinfo/deployment.yaml", *(f"{ia.FOLDER}/{n}.yaml" for n in
                       ("repositories", "policies", "automation", "kustomization")), "clusters/homelab/image-automation.yaml"}


def test_a_removed_marker_fails_with_the_file_and_line(tmp_path, cluster):
    repo, _ = _repo(tmp_path)
    s, engine = _engine(repo, **{"image-automation": "apps/podinfo", "push": "false"})
    try:
        assert engine.run("5.3", engine.plan("5.3")).status == "passed"
        f = repo / "apps/podinfo/deployment.yaml"
        f.write_text(PODINFO)
        v = engine.verify("5.3")
        assert v.status == "failed" and "apps/podinfo/deployment.yaml:17" in v.message and "apps/podinfo" in v.message
    finally:
        s.store.release()


def test_refusals_name_the_file_line_and_what_to_do(tmp_path, cluster):
    repo, _ = _repo(tmp_path)
    s, engine = _engine(repo, **{"image-automation": "apps/web"})  # namespace from apps/kustomization.yaml
    try:
        with pytest.raises(ia.MarkerError, match=r"apps/web/deployment.yaml:16: the image line already has a comment"):
            engine.plan("5.3")
        s.answers["image-automation"] = "apps/nope"
        with pytest.raises(UsageError, match="Deployment apps/nope is not in the repo; Deployments found: .*apps/podinfo"):
            engine.plan("5.3")
        s.answers["image-automation"] = "apps/podinfo"
        cluster["crds_ok"] = False
        from wizard.session import Blocked
        with pytest.raises(Blocked, match="--components-extra=image-reflector-controller,image-automation-controller"):
            engine.plan("5.3")
        cluster["crds_ok"] = True
        assert engine.run("5.3", engine.plan("5.3")).status == "passed"
        cluster["dry_run"] = (False, 'ImagePolicy "apps-podinfo" is invalid: spec.policy: Required value')
        v = engine.verify("5.3")
        assert v.status == "failed" and "refused" in v.message and "spec.policy" in v.message
    finally:
        s.store.release()
    assert git(repo, "diff", "HEAD", "--", "apps/web").strip() == ""  # the refused file was not touched


def test_skip_records_the_reason_and_never_passes(tmp_path, cluster):
    repo, _ = _repo(tmp_path)
    s, engine = _engine(repo, **{"image-automation": "skip"})
    try:
        with pytest.raises(NeedsAnswers, match="image-automation-reason") as e:  # a question any front end asks
            engine.plan("5.3")
        assert [q.key for q in e.value.questions] == ["image-automation-reason"]
        s.answers["image-automation-reason"] = "images are pinned by digest on purpose"
        plan = engine.plan("5.3")
        assert plan.changes == "state"
        v = engine.run("5.3", plan)
        assert v.status == "skipped" and "pinned by digest on purpose" in v.message
        assert engine.verify("5.3").status == "skipped"
        assert s.state.item("integrate.image-automation").status == "skipped"
    finally:
        s.store.release()
    assert not (repo / ia.FOLDER).exists()


def test_cli_bad_answers_are_usage_errors(tmp_path):
    repo, _ = _repo(tmp_path)
    res = run_cli("--repo", str(repo), "run", "5.3", "--dry-run", "--set", "image-automation=podinfo")
    assert res.returncode == 2 and "<namespace>/<deployment>" in res.stderr, res.stderr
    res = run_cli("--repo", str(repo), "run", "5.3", "--dry-run", "--set", "image-automation=apps/podinfo",
                  "--set", "image-policy=latest")
    assert res.returncode == 2 and "semver:<range>" in res.stderr, res.stderr
    res = run_cli("--repo", str(repo), "run", "5.3", "--dry-run", "--set", "image-automation=skip")
    assert res.returncode == 3 and "--set image-automation-reason=" in res.stderr, res.stderr  # a question
