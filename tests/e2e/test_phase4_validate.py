"""Phase 4 faults on one migrated private testbed: a reconcile that never completes times out
showing the last condition; the drift target deleted after the preview; the API server gone
mid-phase (clear error, consistent state, the retry works); a suspended Kustomization is not healed."""
from __future__ import annotations

import json
import os
import signal
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.e2e.homelab import CANARY, hand_applied_homelab, phases_1_and_2, wiz
from tests.helpers import git, item_status, status_json

pytestmark = pytest.mark.testbed
DRIFT_CANARY = ("flux-system", "homelab-wizard-drift-canary")  # what 4.3 changes: the ConfigMap 2.4 wrote


@pytest.fixture(scope="module")
def migrated(testbed_factory, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("p4")
    tb = testbed_factory("phase4")
    env = {**tb.env, "HOMELAB_WIZARD_DATA": str(tmp / "data"), "GIT_PASSWORD": CANARY}
    repo, url = hand_applied_homelab(tb, tmp, env)
    phases_1_and_2(lambda *a, ok=(0,): wiz(repo, *a, env=env, ok=ok))
    wiz(repo, "run", "bootstrap.credentials", "--set", "provider=git", "--set", f"git-url={url}", "--yes", env=env)
    wiz(repo, "run", "bootstrap.run", "--yes", env=env)
    wiz(repo, "verify", "bootstrap", env=env)
    wiz(repo, "run", "validate.reconciled", "--yes", env=env)
    return tb, env, repo, url


def kubectl(env, *args, check=True):
    return subprocess.run(["kubectl", *args], env=env, capture_output=True, text=True, check=check)


def push(repo: Path, env, files: dict[str, str | None], message: str) -> None:
    for rel, text in files.items():
        if text is None:
            git(repo, "rm", "-q", rel)
        else:
            (repo / rel).parent.mkdir(parents=True, exist_ok=True)
            (repo / rel).write_text(text)
            git(repo, "add", rel)
    git(repo, "commit", "-qm", message)
    subprocess.run(["git", "-C", str(repo), "push", "-q", "origin", "main"], env=env, check=True, capture_output=True)


def test_a_reconcile_that_never_completes_times_out_with_the_last_condition(migrated):
    tb, env, repo, url = migrated
    stuck = {"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
             "metadata": {"name": "stuck", "namespace": "flux-system"},
             "spec": {"interval": "10m", "path": "./apps", "prune": False, "dependsOn": [{"name": "not-there"}],
                      "sourceRef": {"kind": "GitRepository", "name": "flux-system"}}}
    push(repo, env, {"clusters/homelab/stuck.yaml": yaml.safe_dump(stuck)}, "a Kustomization that never gets Ready")
    res = wiz(repo, "run", "validate.reconciled", "--set", "reconcile-timeout=20", "--yes", env=env, ok=(1,))
    assert "did not reconcile" in res.stderr and "within 20s" in res.stderr
    assert "Kustomization flux-system/stuck" in res.stderr and "DependencyNotReady" in res.stderr, res.stderr
    st = item_status(status_json(repo, env), "validate.reconciled")
    assert st["status"] == "failed" and "DependencyNotReady" in st["message"]
    # Fixed in Git: the same item passes again.
    push(repo, env, {"clusters/homelab/stuck.yaml": None}, "remove the stuck Kustomization")
    wiz(repo, "run", "validate.reconciled", "--set", "reconcile-timeout=180", "--yes", env=env)
    kubectl(env, "wait", "--for=delete", "kustomizations.kustomize.toolkit.fluxcd.io/stuck", "-n", "flux-system",
            "--timeout=60s", check=False)


def test_drift_target_deleted_after_the_preview_changes_nothing(migrated):
    from wizard.engine import Engine
    from wizard.runner import Runner
    from wizard.session import Blocked, Session

    tb, env, repo, url = migrated
    session = Session.open(repo, runner=Runner(base_env=env))
    session.store.acquire("test")
    try:
        session.store.load()
        engine = Engine(session)
        plan = engine.plan("validate.drift")
        t = plan.data["target"]
        assert (t["kind"], t["namespace"], t["name"]) == ("ConfigMap", *DRIFT_CANARY)  # the wizard's own, never the owner's
        kubectl(env, "delete", "configmap", "-n", *DRIFT_CANARY)
        with pytest.raises(Blocked, match="was deleted after the preview; nothing was changed"):
            engine.run("validate.drift", plan)
        assert not [e for e in session.state.journal if e["action"] == "drift-made"]
    finally:
        session.store.release()
    # Flux puts it back from Git at the next reconcile (4.2 triggers one).
    wiz(repo, "run", "validate.reconciled", "--yes", env=env)
    assert kubectl(env, "get", "configmap", "-n", *DRIFT_CANARY, "-o", "jsonpath={.data.drift-check}").stdout == "as-in-git"


def test_api_server_down_mid_phase_is_a_clear_error_and_the_retry_works(migrated):
    tb, env, repo, url = migrated
    [api] = [p for p in tb.procs if p.name == "kube-apiserver"]
    os.kill(api.pid, signal.SIGSTOP)
    try:
        res = wiz(repo, "run", "validate.drift", "--yes", env=env, ok=(1, 3))
    finally:
        os.kill(api.pid, signal.SIGCONT)
    out = res.stdout + res.stderr
    assert "not reachable" in out or "did not finish" in out, out
    st = item_status(status_json(repo, env), "validate.drift")
    assert st["status"] in ("pending", "failed", "blocked")  # never "running", never passed
    kubectl(env, "get", "--raw", "/readyz", "--request-timeout=30s")
    wiz(repo, "run", "validate.drift", "--yes", env=env)
    wiz(repo, "run", "validate.healing", "--yes", env=env)
    data = status_json(repo, env)
    assert item_status(data, "validate.drift")["status"] == "passed"
    assert item_status(data, "validate.healing")["status"] == "passed"
    assert kubectl(env, "get", "configmap", "-n", *DRIFT_CANARY, "-o", "jsonpath={.data.drift-check}").stdout == "as-in-git"


def test_suspended_kustomization_is_not_healed_and_the_wizard_restores_git(migrated):
    tb, env, repo, url = migrated
    wiz(repo, "run", "validate.drift", "--yes", env=env)
    ks = item_status(status_json(repo, env), "validate.drift")["evidence"]["target"]["kustomization"]
    kubectl(env, "patch", "kustomizations.kustomize.toolkit.fluxcd.io", "-n", ks[0], ks[1], "--type=merge",
            "-p", '{"spec":{"suspend":true}}')
    try:
        res = wiz(repo, "run", "validate.healing", "--yes", env=env, ok=(1,))
        assert "is suspended" in res.stderr and "put the Git value back itself" in res.stderr
        assert kubectl(env, "get", "configmap", "-n", *DRIFT_CANARY, "-o",
                       "jsonpath={.data.drift-check}").stdout == "as-in-git"
        assert item_status(status_json(repo, env), "validate.healing")["status"] != "passed"
    finally:
        kubectl(env, "patch", "kustomizations.kustomize.toolkit.fluxcd.io", "-n", ks[0], ks[1], "--type=merge",
                "-p", '{"spec":{"suspend":false}}')


def test_4_2_stops_as_soon_as_flux_reports_a_failure_it_has_settled_on(migrated):
    """Issue 16 ("waiting for nothing"): a build that fails at the pushed commit, with apps waiting on
    it, ends the wait at once naming the failure, instead of running out a 600 s timeout."""
    tb, env, repo, url = migrated
    broken = {"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
              "metadata": {"name": "broken", "namespace": "flux-system"},
              "spec": {"interval": "10m", "path": "./broken", "prune": False,
                       "sourceRef": {"kind": "GitRepository", "name": "flux-system"}}}
    waiting = {**broken, "metadata": {"name": "after-broken", "namespace": "flux-system"},
               "spec": {**broken["spec"], "path": "./clusters/homelab/none", "dependsOn": [{"name": "broken"}]}}
    push(repo, env, {"clusters/homelab/broken.yaml": yaml.safe_dump_all([broken, waiting]),
                     "broken/kustomization.yaml": "resources: [missing.yaml]\n"}, "a Kustomization that cannot build")
    try:
        res = wiz(repo, "run", "validate.reconciled", "--set", "reconcile-timeout=600", "--yes", env=env, ok=(1,))
        assert "there is nothing more to wait for" in res.stderr and "within 600s" not in res.stderr, res.stderr
        assert "Kustomization flux-system/broken: BuildFailed" in res.stderr, res.stderr
        st = item_status(status_json(repo, env), "validate.reconciled")
        assert st["status"] == "failed" and "BuildFailed" in st["message"]
        # Issue 16 ("green while wrong"): Phase 3 is not green while a Kustomization flux-system made fails.
        res = wiz(repo, "verify", "bootstrap.namespace", "--json", env=env, ok=(1,))
        r = json.loads(res.stdout)["results"][0]
        assert r["status"] == "failed" and "Kustomization flux-system/broken: BuildFailed" in r["message"], r
    finally:
        push(repo, env, {"clusters/homelab/broken.yaml": None, "broken/kustomization.yaml": None},
             "remove the broken Kustomization")
    # Flux prunes the two Kustomizations once it has the commit that removes them; then 3.4 is true again,
    # and the stored failure of 3.4 above is replaced by a pass before 4.2 (which needs it) runs again.
    subprocess.run(["flux", "reconcile", "kustomization", "flux-system", "--with-source", "--timeout=3m"],
                   env=env, check=True, capture_output=True)
    subprocess.run(["kubectl", "wait", "--for=delete", "-n", "flux-system", "--timeout=180s",
                    "kustomizations.kustomize.toolkit.fluxcd.io/broken",
                    "kustomizations.kustomize.toolkit.fluxcd.io/after-broken"], env=env, capture_output=True)
    wiz(repo, "verify", "bootstrap.namespace", env=env)
    wiz(repo, "run", "validate.reconciled", "--set", "reconcile-timeout=180", "--yes", env=env)
