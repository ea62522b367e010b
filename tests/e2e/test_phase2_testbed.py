"""Phase 2 with a cluster connected: 2.4 adds a server-side dry-run of every Flux path (testbed)."""
from __future__ import annotations

import json
import subprocess

import pytest

from tests.helpers import DEPLOYMENT, make_repo, run_cli

pytestmark = pytest.mark.testbed

ISSUER = """\
apiVersion: cert-manager.io/v1
kind: ClusterIssuer
metadata:
  name: {ns}-issuer
spec:
  selfSigned: {{}}
"""


@pytest.fixture
def homelab(testbed, tmp_path, env, request):
    ns = "p2-" + request.node.name.replace("_", "-")[5:28].strip("-")
    repo = make_repo(tmp_path / "repo", {
        "infrastructure/kubernetes/base/namespace.yaml": f"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {ns}\n",
        "infrastructure/kubernetes/certificates/issuer.yaml": ISSUER.format(ns=ns),
        "infrastructure/kubernetes/services/web.yaml": DEPLOYMENT.format(name="web", ns=ns),
    })
    # Applied by hand, as the user did (the ClusterIssuer never could be: cert-manager is not installed).
    subprocess.run(["kubectl", "apply", "-f", str(repo / "infrastructure/kubernetes/base"),
                    "-f", str(repo / "infrastructure/kubernetes/services")], env=env, check=True, capture_output=True)
    yield repo, ns
    subprocess.run(["kubectl", "delete", "namespace", ns, "--wait=false", "--ignore-not-found"], env=env,
                   capture_output=True)


def wiz(repo, *args, env):
    return run_cli("--repo", str(repo), *args, env=env)


def phase2(repo, env):
    for args in (["run", "prep.preflight", "--yes"], ["run", "prep.structure", "--set", "option=a", "--yes"],
                 ["run", "repo.cluster-dir", "--yes"], ["run", "repo.kustomizations", "--yes"],
                 ["run", "repo.apps", "--yes"], ["run", "repo.flux-manifests", "--yes"]):
        res = wiz(repo, *args, env=env)
        assert res.returncode == 0, f"{args}: {res.stdout}\n{res.stderr}"


def test_server_dry_run_passes_and_a_missing_crd_is_an_ordering_question(homelab, env):
    repo, ns = homelab
    phase2(repo, env)
    res = wiz(repo, "verify", "repo.flux-manifests", "--json", env=env)
    assert res.returncode == 0, res.stdout + res.stderr
    r = json.loads(res.stdout)["results"][0]
    assert r["status"] == "passed" and "server-side dry-run" in r["message"]
    dry = {d["path"]: d for d in r["evidence"]["server_dry_run"]}
    assert dry["infrastructure/kubernetes"]["sent"] == 1 and dry["infrastructure/kubernetes"]["errors"] == []
    assert dry["apps"]["sent"] == 1 and dry["apps"]["errors"] == []
    [q] = r["evidence"]["questions"]
    assert f"ClusterIssuer {ns}-issuer" in q and "cert-manager.io/v1" in q and "not installed by anything" in q


def test_server_dry_run_rejection_fails_the_check_naming_the_object(homelab, env):
    repo, ns = homelab
    phase2(repo, env)
    f = repo / "apps/services/web.yaml"
    f.write_text(f.read_text().replace("replicas: 1", "replicas: -3"))
    res = wiz(repo, "verify", "repo.flux-manifests", "--json", env=env)
    assert res.returncode == 1
    r = json.loads(res.stdout)["results"][0]
    assert r["status"] == "failed" and "server dry-run of apps" in r["message"] and "web" in r["message"]
