"""Issue 21 on the testbed: the rewritten objects pass the real kube-apiserver's validation (server-side
dry-run), the old versions are really gone there, and with the cluster pinned Phase 2 asks about them from
what the cluster serves, then 2.4's server dry-run of the Flux paths accepts the rewrite."""
from __future__ import annotations

import json
import subprocess

import pytest
import yaml

from tests.helpers import git, make_repo, run_cli
from tests.unit.test_api_rewrite import OLD_DEPLOYMENT, OLD_INGRESS
from wizard.repo.yamledit import apply_transform

pytestmark = pytest.mark.testbed

OLD = {
    "deployment": OLD_DEPLOYMENT,
    "daemonset": OLD_DEPLOYMENT.replace("apps/v1beta1", "extensions/v1beta1").replace("Deployment", "DaemonSet")
                               .replace("  replicas: 1\n", ""),
    "statefulset": OLD_DEPLOYMENT.replace("apps/v1beta1", "apps/v1beta2").replace("Deployment", "StatefulSet")
                                 .replace("  replicas: 1\n", "  replicas: 1\n  serviceName: web\n"),
    "ingress": OLD_INGRESS,
    "pdb": "apiVersion: policy/v1beta1\nkind: PodDisruptionBudget\nmetadata: {name: web, namespace: homelab}\n"
           "spec: {minAvailable: 1, selector: {matchLabels: {app: web}}}\n",
    "cronjob": "apiVersion: batch/v1beta1\nkind: CronJob\nmetadata: {name: backup, namespace: homelab}\nspec:\n"
               "  schedule: '0 3 * * *'\n  jobTemplate:\n    spec:\n      template:\n        spec:\n"
               "          restartPolicy: OnFailure\n          containers: [{name: backup, image: busybox:1.36}]\n",
    "hpa": "apiVersion: autoscaling/v2beta1\nkind: HorizontalPodAutoscaler\nmetadata: {name: web, namespace: homelab}\n"
           "spec:\n  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}\n  maxReplicas: 3\n"
           "  metrics:\n    - type: Resource\n      resource: {name: cpu, targetAverageUtilization: 80}\n"
           "    - type: Pods\n      pods: {metricName: rps, targetAverageValue: '10'}\n",
    "clusterrole": "apiVersion: rbac.authorization.k8s.io/v1beta1\nkind: ClusterRole\nmetadata: {name: removed-apis-e2e}\n"
                   "rules: [{apiGroups: [''], resources: [pods], verbs: [get]}]\n",
}


@pytest.fixture
def namespace(testbed, env, request):
    # One namespace per case: a deleted one lingers while it terminates, so a shared name would clash.
    case = getattr(request.node, "callspec", None)
    ns = "api-" + (case.params["name"] if case else request.node.name.replace("_", "-")[5:30].strip("-"))
    subprocess.run(["kubectl", "create", "namespace", ns], env=env, check=True, capture_output=True)
    yield ns
    subprocess.run(["kubectl", "delete", "namespace", ns, "--wait=false", "--ignore-not-found"], env=env,
                   capture_output=True)


def dry_run(text: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(["kubectl", "apply", "--dry-run=server", "-o", "json", "-f", "-"], input=text, env=env,
                          capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("name", sorted(OLD))
def test_the_rewrite_passes_the_api_servers_validation_and_the_old_version_does_not(name, namespace, env):
    old = OLD[name].replace("namespace: homelab", f"namespace: {namespace}")
    d = yaml.safe_load(old)
    new = apply_transform(old, "api-upgrade", {"index": 0, "from": d["apiVersion"], "kind": d["kind"],
                                               "name": d["metadata"]["name"]}, f"{name}.yaml")
    refused = dry_run(old, env)
    assert refused.returncode != 0 and "no matches for kind" in refused.stderr, refused.stderr
    accepted = dry_run(new, env)
    assert accepted.returncode == 0, f"{new}\n{accepted.stderr}"
    assert json.loads(accepted.stdout)["apiVersion"] == yaml.safe_load(new)["apiVersion"]


def test_with_the_cluster_pinned_phase_2_asks_from_what_it_serves_and_2_4_accepts_the_rewrite(namespace, env,
                                                                                                tmp_path):
    repo = make_repo(tmp_path / "repo", {
        "web/namespace.yaml": f"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {namespace}\n",
        "web/deployment.yaml": OLD_DEPLOYMENT.replace("namespace: homelab", f"namespace: {namespace}"),
        "web/pdb.yaml": OLD["pdb"].replace("namespace: homelab", f"namespace: {namespace}"),
    })

    def wiz(*args):
        return run_cli("--repo", str(repo), *args, env=env)

    for args in (["run", "prep.preflight", "--yes"], ["run", "prep.structure", "--set", "option=a", "--yes"]):
        res = wiz(*args)
        assert res.returncode == 0, f"{args}: {res.stdout}\n{res.stderr}"
    blocked = wiz("run", "repo.cluster-dir", "--yes")
    assert blocked.returncode == 3 and "its CRD" not in blocked.stderr, blocked.stderr
    for key in (f"api-upgrade.Deployment/{namespace}/web", f"api-upgrade.PodDisruptionBudget/{namespace}/web"):
        assert key in blocked.stderr
    assert git(repo, "status", "--porcelain") == ""
    answers = ["--set", f"api-upgrade.Deployment/{namespace}/web=rewrite",
               "--set", f"api-upgrade.PodDisruptionBudget/{namespace}/web=rewrite"]
    for args in (["run", "repo.cluster-dir", *answers, "--yes"], ["run", "repo.kustomizations", "--yes"],
                 ["run", "repo.apps", "--yes"], ["run", "repo.flux-manifests", "--yes"]):
        res = wiz(*args)
        assert res.returncode == 0, f"{args}: {res.stdout}\n{res.stderr}"
    status = json.loads(wiz("status", "--json").stdout)
    flux = next(it for ph in status["phases"] for it in ph["items"] if it["id"] == "repo.flux-manifests")
    assert flux["status"] == "passed" and "the cluster accepts them (server-side dry-run)" in flux["message"], flux
