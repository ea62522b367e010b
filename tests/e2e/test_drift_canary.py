"""4.3/4.4 on the wizard's own drift canary (issue 21), on a private testbed: a homelab with no ConfigMap or
Deployment of its own, and a hand-applied kube-system ConfigMap (the owner's DNS overrides, as in the demo) that
4.3 once picked and edited by itself. Now 4.3 changes the canary 2.4 wrote, 4.4 sees Flux put it back, and
kube-system is untouched."""
from __future__ import annotations

import subprocess

import pytest

from tests.e2e.homelab import CANARY, kubectl_json, phases_1_and_2, wiz
from tests.helpers import git, item_status, make_repo, status_json

pytestmark = pytest.mark.testbed

NS = "edge"
FILES = {
    "infrastructure/kubernetes/base/namespace.yaml": f"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {NS}\n",
    "infrastructure/kubernetes/services/web.yaml": (
        f"apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  namespace: {NS}\nspec:\n"
        "  ports:\n    - port: 80\n"),
    "infrastructure/kubernetes/dns/coredns-custom.yaml": (
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: coredns-custom\n  namespace: kube-system\ndata:\n"
        "  homelab.server: |\n    home.lan:53 { forward . 192.168.1.1 }\n"),
}


def kube_system_configmaps(env) -> dict[str, tuple[str, dict]]:
    items = kubectl_json(env, "configmap", "-n", "kube-system")["items"]
    return {c["metadata"]["name"]: (c["metadata"]["resourceVersion"], c.get("data") or {}) for c in items}


def test_drift_test_changes_only_the_wizards_canary(testbed_factory, tmp_path):
    tb = testbed_factory("drift-canary")
    env = {**tb.env, "HOMELAB_WIZARD_DATA": str(tmp_path / "data"), "GIT_PASSWORD": CANARY}
    url = tb.create_git_repo("homelab")
    repo = make_repo(tmp_path / "repo", FILES)
    (repo / ".gitignore").write_text("docs/cluster-inventory.md\n")
    git(repo, "add", ".gitignore")
    git(repo, "commit", "-qm", "ignore the local inventory report")
    git(repo, "remote", "add", "origin", url)
    subprocess.run(["git", "-C", str(repo), "push", "-q", "origin", "main"], env=env, check=True, capture_output=True)
    subprocess.run(["kubectl", "apply", "-R", "-f", str(repo / "infrastructure")], env=env, check=True,
                   capture_output=True)

    phases_1_and_2(lambda *a, ok=(0,): wiz(repo, *a, env=env, ok=ok))
    canary_files = [p for p in repo.rglob("homelab-wizard-drift-canary.yaml")]
    assert len(canary_files) == 1, canary_files
    wiz(repo, "run", "bootstrap.credentials", "--set", "provider=git", "--set", f"git-url={url}", "--yes", env=env)
    wiz(repo, "run", "bootstrap.run", "--yes", env=env)
    wiz(repo, "verify", "bootstrap", env=env)
    wiz(repo, "run", "validate.reconciled", "--yes", env=env)
    wiz(repo, "verify", "validate.deployed", env=env)
    before = kube_system_configmaps(env)
    assert "coredns-custom" in before

    wiz(repo, "run", "validate.drift", "--yes", env=env)
    wiz(repo, "run", "validate.healing", "--yes", env=env)

    data = status_json(repo, env)
    for item in ("validate.drift", "validate.healing"):
        assert item_status(data, item)["status"] == "passed", item_status(data, item)
    target = item_status(data, "validate.drift")["evidence"]["target"]
    assert (target["kind"], target["namespace"], target["name"]) == (
        "ConfigMap", "flux-system", "homelab-wizard-drift-canary"), target
    assert item_status(data, "validate.drift")["evidence"]["flux_diff"]["exit_code"] == 1
    cm = kubectl_json(env, "configmap", "-n", "flux-system", "homelab-wizard-drift-canary")
    assert cm["data"] == {"drift-check": "as-in-git"}  # Flux put it back
    assert kube_system_configmaps(env) == before  # not one kube-system ConfigMap changed
