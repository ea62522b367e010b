"""Discovery answered with few kubectl runs (wizard/cluster/served.py discovery_document), with a fake kubectl
wrapper at the process boundary: it answers `api-versions`, `api-resources -o json` and one group version, and
records what was asked."""
from __future__ import annotations

from types import SimpleNamespace

from wizard.cluster.served import discovery_document
from wizard.runner import Result

VERSIONS = "apps/v1\nnetworking.istio.io/v1\nnetworking.istio.io/v1beta1\nv1\n"  # as `kubectl api-versions` prints
PREFERRED = {"resources": [
    {"name": "configmaps", "namespaced": True, "version": "v1", "kind": "ConfigMap"},
    {"name": "deployments", "namespaced": True, "group": "apps", "version": "v1", "kind": "Deployment"},
    {"name": "gateways", "namespaced": True, "group": "networking.istio.io", "version": "v1", "kind": "Gateway"}]}
BETA = {"resources": [{"name": "gateways", "namespaced": True, "kind": "Gateway"},
                      {"name": "gateways/status", "namespaced": True, "kind": "Gateway"}]}


def session_with_fake_kubectl():
    import json

    asked = []

    def run(*args, **kw):
        key = args[:1] if args[0] == "api-versions" else args[:3]
        asked.append(key)
        doc = {("api-versions",): VERSIONS, ("api-resources", "-o", "json"): PREFERRED,
               ("get", "--raw", "/apis/networking.istio.io/v1beta1"): BETA}[key]
        return Result(argv=["kubectl", *args], exit_code=0, stdout=doc if isinstance(doc, str) else json.dumps(doc),
                      stderr="", duration=0.0, started_at="")

    s = SimpleNamespace(kubectl=SimpleNamespace(run=run), runner=SimpleNamespace(cluster_changes=0), cache={})
    return s, asked


def test_with_a_fake_kubectl_preferred_versions_need_one_call_one_not_served_none_and_another_its_own():
    s, asked = session_with_fake_kubectl()
    assert [r["kind"] for r in discovery_document(s, "apps/v1")["resources"]] == ["Deployment"]
    assert discovery_document(s, "v1")["resources"][0]["kind"] == "ConfigMap"
    assert discovery_document(s, "policy/v1beta1") is None  # not in /apis: answered without asking
    assert {r["name"] for r in discovery_document(s, "networking.istio.io/v1beta1")["resources"]} == \
        {"gateways", "gateways/status"}
    assert asked == [("api-versions",), ("api-resources", "-o", "json"),
                     ("get", "--raw", "/apis/networking.istio.io/v1beta1")]
    discovery_document(s, "apps/v1")
    assert len(asked) == 3  # remembered within the run (wizard/cluster/memo.py)
    s.runner.cluster_changes += 1  # the wizard changed the cluster (a CRD may have come): asked again
    discovery_document(s, "apps/v1")
    assert len(asked) == 5
