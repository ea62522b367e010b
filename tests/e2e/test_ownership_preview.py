"""3.0 bootstrap.ownership on a private testbed (issue 13, part 3), headless with the real CLI.

The hand-applied homelab gets a `kubectl edit`-style change (manager kubectl-edit), a field another
tool set (manager ops-script) and a ClusterIssuer whose CRD was there when Phase 2 ran and has been
removed since (cert-manager uninstalled): nothing provides cert-manager.io any more. 3.0 reports each
before 3.2, stops on the ClusterIssuer until crd-provider.cert-manager.io is answered, and passes once
the answer (exclude) is carried out by 2.4 and 2.5. Then bootstrap, and 4.2 is green with the same
preview in its evidence.
"""
from __future__ import annotations

import json
import subprocess

import pytest

from tests.e2e.homelab import CANARY, MANIFESTS, NS, kubectl, wiz
from tests.helpers import git, item_status, make_repo, status_json

pytestmark = pytest.mark.testbed

CRD = """apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: clusterissuers.cert-manager.io
spec:
  group: cert-manager.io
  scope: Cluster
  names: {plural: clusterissuers, singular: clusterissuer, kind: ClusterIssuer, listKind: ClusterIssuerList}
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}
"""
ISSUER = ("apiVersion: cert-manager.io/v1\nkind: ClusterIssuer\nmetadata:\n  name: letsencrypt\n"
          "spec:\n  selfSigned: {}\n")
FILES = {**MANIFESTS, "infrastructure/kubernetes/issuers/issuer.yaml": ISSUER}


def test_ownership_preview_reports_before_bootstrap_and_the_exclude_answer_lets_4_2_pass(testbed_factory, tmp_path):
    tb = testbed_factory("ownership")
    env = {**tb.env, "HOMELAB_WIZARD_DATA": str(tmp_path / "data"), "GIT_PASSWORD": CANARY}
    url = tb.create_git_repo("homelab")
    repo = make_repo(tmp_path / "repo", FILES)
    (repo / ".gitignore").write_text("docs/cluster-inventory.md\n")
    git(repo, "add", ".gitignore")
    git(repo, "commit", "-qm", "ignore the local inventory report")
    git(repo, "remote", "add", "origin", url)
    subprocess.run(["git", "-C", str(repo), "push", "-q", "origin", "main"], env=env, check=True, capture_output=True)
    subprocess.run(["kubectl", "apply", "-f", "-"], input=CRD, text=True, env=env, check=True, capture_output=True)
    subprocess.run(["kubectl", "wait", "--for=condition=Established", "crd/clusterissuers.cert-manager.io",
                    "--timeout=60s"], env=env, check=True, capture_output=True)
    subprocess.run(["kubectl", "apply", "-R", "-f", str(repo / "infrastructure")], env=env, check=True,
                   capture_output=True)
    # Hand edits: `kubectl edit` records its changes under the manager kubectl-edit; a script its own.
    kubectl(env, "patch", "deployment", "web", "-n", NS, "--field-manager=kubectl-edit", "-p", '{"spec":{"replicas":2}}')
    kubectl(env, "patch", "configmap", "redis-config", "-n", NS, "--field-manager=kubectl-edit", "-p",
            '{"data":{"tuned":"yes"}}')
    kubectl(env, "patch", "deployment", "redis", "-n", NS, "--field-manager=ops-script", "-p",
            '{"metadata":{"annotations":{"team":"storage"}}}')

    step = lambda *a, ok=(0,): wiz(repo, *a, env=env, ok=ok)  # noqa: E731
    for args in (("run", "prep.preflight", "--yes"), ("run", "prep.structure", "--set", "option=a", "--yes"),
                 ("run", "prep.backup", "--yes"), ("run", "prep.inventory", "--yes"),
                 ("run", "repo.cluster-dir", "--yes"), ("run", "repo.kustomizations", "--yes"),
                 ("run", "repo.apps", "--yes"), ("run", "repo.flux-manifests", "--yes")):
        step(*args)
    for item in ("secrets.scan", "secrets.keys", "secrets.convert", "secrets.decryption"):
        step("skip", item, "--reason", "no Secrets in this repo")
    step("run", "repo.commit-push", "--set", "ci-deploy=push", "--yes")
    # cert-manager goes away after Phase 2 (its CRD with it): nothing provides cert-manager.io now.
    kubectl(env, "delete", "crd", "clusterissuers.cert-manager.io", "--wait=true")

    step("verify", "bootstrap.ownership", ok=(1, 3))
    st = item_status(status_json(repo, env), "bootstrap.ownership")
    assert st["status"] == "blocked", st
    assert "crd-provider.cert-manager.io=exclude|helm" in st["message"]
    by = {(f["kind"], f["object"]): f for f in st["evidence"]["findings"]}
    assert by[("unprovided", "ClusterIssuer/letsencrypt")]["key"] == "crd-provider.cert-manager.io"
    web = by[("hand-edit", f"Deployment/{NS}/web")]
    assert web["fields"] == ["spec.replicas"] and web["manager"] == "kubectl-edit"
    assert "go back to git's value" in web["why"]
    cfg = by[("hand-edit", f"ConfigMap/{NS}/redis-config")]
    assert cfg["fields"] == ["data.tuned"] and "removed" in cfg["why"]
    stays = by[("stays", f"Deployment/{NS}/redis")]
    assert stays["fields"] == ["metadata.annotations.team"] and "--override-manager=ops-script" in stays["fix"]
    assert "storage" not in json.dumps(st["evidence"])  # field paths, never values

    # 3.2 cannot start before 3.0 passes.
    res = step("run", "bootstrap.run", "--dry-run", ok=(3,))
    assert "3.0 bootstrap.ownership" in res.stderr

    # Headless, the open question is named; answered, the item records where the objects are left out.
    res = step("run", "bootstrap.ownership", "--yes", ok=(3,))
    assert "crd-provider.cert-manager.io" in res.stdout + res.stderr
    res = step("run", "bootstrap.ownership", "--set", "crd-provider.cert-manager.io=exclude", "--yes", ok=(1,))
    assert "run 2.4 repo.flux-manifests and 2.5 repo.commit-push again" in res.stdout + res.stderr
    assert status_json(repo, env)["answers"]["class.infrastructure/kubernetes/issuers"] == "exclude"
    step("run", "repo.flux-manifests", "--yes")
    step("run", "repo.commit-push", "--set", "ci-deploy=push", "--yes")
    step("verify", "bootstrap.ownership")
    st = item_status(status_json(repo, env), "bootstrap.ownership")
    assert st["status"] == "passed", st
    kinds = {f["kind"] for f in st["evidence"]["findings"]}
    assert "unprovided" not in kinds and {"hand-edit", "stays"} <= kinds
    assert st["evidence"]["decisions"]["crd-provider.cert-manager.io"] == "exclude"

    # Bootstrap, then 4.2 is green and carries the same preview (the hand edits are undone by now).
    step("run", "bootstrap.credentials", "--set", "provider=git", "--set", f"git-url={url}", "--yes")
    step("run", "bootstrap.run", "--yes")
    step("verify", "bootstrap")
    step("run", "validate.reconciled", "--yes")
    st = item_status(status_json(repo, env), "validate.reconciled")
    assert st["status"] == "passed", st
    left = {(f["kind"], f["object"]) for f in st["evidence"]["ownership"]["findings"]}
    assert ("stays", f"Deployment/{NS}/redis") in left and not any(k == "hand-edit" for k, _ in left), left
