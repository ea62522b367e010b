"""Issue 21 on the testbed: objects applied with `kubectl apply -f <folder> -n <ns>` (no namespace in the
manifest) get the namespace the cluster has them in, and 2.4's server-side dry-run as kustomize-controller
accepts them; a namespace nothing creates and the cluster lacks is a question 2.2 answers with a manifest."""
from __future__ import annotations

import json
import subprocess

import pytest

from tests.helpers import DEPLOYMENT, make_repo, run_cli

pytestmark = pytest.mark.testbed

CM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: nginx-http-cm\ndata:\n  k: v\n"


@pytest.fixture
def homelab(testbed, tmp_path, env, request):
    ns = "ns21-" + request.node.name.replace("_", "-")[5:24].strip("-")
    repo = make_repo(tmp_path / "repo", {
        "web/config.yaml": CM,
        "web/deploy.yaml": DEPLOYMENT.replace("  namespace: {ns}\n", "").format(name="web"),
        # lives in a namespace nothing creates and nobody made: Flux would fail it
        "later/app.yaml": DEPLOYMENT.format(name="later", ns=ns + "-new"),
    })
    # By hand, as the owner did: the namespace made with kubectl, the folder applied into it with -n.
    subprocess.run(["kubectl", "create", "namespace", ns], env=env, check=True, capture_output=True)
    subprocess.run(["kubectl", "apply", "-n", ns, "-f", str(repo / "web")], env=env, check=True, capture_output=True)
    yield repo, ns
    for n in (ns, ns + "-new"):
        subprocess.run(["kubectl", "delete", "namespace", n, "--wait=false", "--ignore-not-found"], env=env,
                       capture_output=True)


def wiz(repo, *args, env):
    return run_cli("--repo", str(repo), *args, env=env)


def test_namespaceless_objects_pass_the_dry_run_as_kustomize_controller(homelab, env):
    repo, ns = homelab
    for args in (["run", "prep.preflight", "--yes"], ["run", "prep.structure", "--set", "option=a", "--yes"]):
        res = wiz(repo, *args, env=env)
        assert res.returncode == 0, res.stdout + res.stderr
    res = wiz(repo, "run", "repo.cluster-dir", "--yes", "--json", env=env)
    assert res.returncode == 3, res.stdout + res.stderr
    asked = {q["key"]: q for q in json.loads(res.stdout)["questions"]}
    assert asked[f"create-namespace.{ns}-new"]["choices"][0]["value"] == "write"
    for item in ("repo.cluster-dir", "repo.kustomizations", "repo.apps", "repo.flux-manifests"):
        res = wiz(repo, "run", item, "--yes", "--set", f"create-namespace.{ns}-new=write", env=env)
        assert res.returncode == 0, f"{item}: {res.stdout}\n{res.stderr}"
    res = wiz(repo, "verify", "repo.flux-manifests", "--json", env=env)
    assert res.returncode == 0, res.stdout + res.stderr
    r = json.loads(res.stdout)["results"][0]
    assert r["status"] == "passed" and "server-side dry-run" in r["message"]
    assert all(d["errors"] == [] for d in r["evidence"]["server_dry_run"])
    sent = sum(d["sent"] for d in r["evidence"]["server_dry_run"])
    assert sent == 4  # the ConfigMap and Deployment in their namespace, the new Namespace and its Deployment
    kust = next(repo.rglob("web/kustomization.yaml")).read_text()
    assert f"namespace: {ns}" in kust  # where the cluster has them, not the context's `default`
