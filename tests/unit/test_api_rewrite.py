"""Issue 21: objects in API versions Kubernetes removed are rewritten to their successors, mechanically,
with the structure the successor's schema requires, comments and the other documents kept."""
from __future__ import annotations

import pytest
import yaml

from wizard.repo.api_rewrite import rewrite, rewrite_problem
from wizard.repo.removed_apis import REMOVED, Served, not_served, removal_for
from wizard.repo.scan import Manifest
from wizard.repo.yamledit import apply_transform


def doc(text: str) -> dict:
    return yaml.safe_load(text)


def rewritten(text: str) -> dict:
    d = doc(text)
    rewrite(d)
    return d


OLD_DEPLOYMENT = """\
apiVersion: apps/v1beta1
kind: Deployment
metadata: {name: web, namespace: homelab}
spec:
  replicas: 1
  template:
    metadata:
      labels: {app: web, tier: front}
    spec:
      containers: [{name: web, image: nginx:1.27}]
"""

OLD_INGRESS = """\
apiVersion: extensions/v1beta1
kind: Ingress
metadata: {name: web, namespace: homelab}
spec:
  backend: {serviceName: fallback, servicePort: 8080}
  rules:
    - host: web.example.org
      http:
        paths:
          - path: /
            backend: {serviceName: web, servicePort: 80}
          - path: /api
            pathType: Prefix
            backend: {serviceName: api, servicePort: http}
          - path: /static
            backend: {serviceName: cdn, servicePort: "8080"}
"""


def test_rbac_v1beta1_is_rewritten_to_v1_and_nothing_else_changes():
    text = ("apiVersion: rbac.authorization.k8s.io/v1beta1\nkind: ClusterRole\nmetadata: {name: flannel}\n"
            "rules: [{apiGroups: [''], resources: [pods], verbs: [get]}]\n")
    want = doc(text) | {"apiVersion": "rbac.authorization.k8s.io/v1"}
    assert rewritten(text) == want


def test_an_old_deployment_gets_apps_v1_and_the_selector_of_its_pod_labels():
    d = rewritten(OLD_DEPLOYMENT)
    assert d["apiVersion"] == "apps/v1"
    assert d["spec"]["selector"] == {"matchLabels": {"app": "web", "tier": "front"}}
    assert list(d["spec"]) == ["replicas", "selector", "template"]  # where a person writes it
    assert d["spec"]["template"] == doc(OLD_DEPLOYMENT)["spec"]["template"]


@pytest.mark.parametrize("api_version, kind", [("extensions/v1beta1", "DaemonSet"), ("apps/v1beta2", "StatefulSet"),
                                               ("extensions/v1beta1", "ReplicaSet")])
def test_every_old_workload_becomes_apps_v1_and_a_selector_it_had_is_kept(api_version, kind):
    text = OLD_DEPLOYMENT.replace("apps/v1beta1", api_version).replace("Deployment", kind)
    text = text.replace("  replicas: 1\n", "  replicas: 1\n  selector: {matchLabels: {app: web}}\n")
    d = rewritten(text)
    assert d["apiVersion"] == "apps/v1" and d["spec"]["selector"] == {"matchLabels": {"app": "web"}}


def test_a_workload_without_pod_labels_has_no_mechanical_rewrite():
    d = doc(OLD_DEPLOYMENT)
    del d["spec"]["template"]["metadata"]
    assert "no labels to take it from" in rewrite_problem(d)
    d = doc(OLD_DEPLOYMENT)
    d["spec"]["rollbackTo"] = {"revision": 2}
    assert "spec.rollbackTo does not exist in apps/v1" in rewrite_problem(d)


def test_an_extensions_ingress_gets_service_backends_and_a_path_type():
    d = rewritten(OLD_INGRESS)
    assert d["apiVersion"] == "networking.k8s.io/v1"
    assert "backend" not in d["spec"]
    assert d["spec"]["defaultBackend"] == {"service": {"name": "fallback", "port": {"number": 8080}}}
    paths = d["spec"]["rules"][0]["http"]["paths"]
    assert paths[0] == {"path": "/", "pathType": "ImplementationSpecific",
                        "backend": {"service": {"name": "web", "port": {"number": 80}}}}
    assert paths[1] == {"path": "/api", "pathType": "Prefix",
                        "backend": {"service": {"name": "api", "port": {"name": "http"}}}}
    assert paths[2]["backend"]["service"]["port"] == {"number": 8080}  # a quoted number is still a port number


def test_a_networking_v1beta1_ingress_with_a_resource_backend_keeps_it():
    text = OLD_INGRESS.replace("extensions/v1beta1", "networking.k8s.io/v1beta1").replace(
        "backend: {serviceName: fallback, servicePort: 8080}",
        "backend: {resource: {apiGroup: k8s.example.org, kind: StorageBucket, name: assets}}")
    d = rewritten(text)
    assert d["spec"]["defaultBackend"] == {"resource": {"apiGroup": "k8s.example.org", "kind": "StorageBucket",
                                                        "name": "assets"}}


@pytest.mark.parametrize("old, new, kind, body", [
    ("policy/v1beta1", "policy/v1", "PodDisruptionBudget", "spec: {minAvailable: 1, selector: {matchLabels: {app: web}}}"),
    ("batch/v1beta1", "batch/v1", "CronJob",
     "spec:\n  schedule: '0 3 * * *'\n  jobTemplate:\n    spec:\n      template:\n        spec:\n"
     "          restartPolicy: OnFailure\n          containers: [{name: backup, image: busybox:1.36}]"),
    ("autoscaling/v2beta2", "autoscaling/v2", "HorizontalPodAutoscaler",
     "spec:\n  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}\n  maxReplicas: 3\n"
     "  metrics: [{type: Resource, resource: {name: cpu, target: {type: Utilization, averageUtilization: 80}}}]"),
])
def test_versions_whose_schema_did_not_change_only_change_the_api_version(old, new, kind, body):
    text = f"apiVersion: {old}\nkind: {kind}\nmetadata: {{name: web, namespace: homelab}}\n{body}\n"
    assert rewritten(text) == doc(text) | {"apiVersion": new}


def test_a_pod_disruption_budget_with_an_empty_selector_is_not_mechanical():
    """policy/v1beta1 read an empty selector as no pods; policy/v1 reads it as every pod in the namespace."""
    d = doc("apiVersion: policy/v1beta1\nkind: PodDisruptionBudget\nmetadata: {name: x}\n"
            "spec: {maxUnavailable: 1, selector: {}}\n")
    assert "every pod in the namespace" in rewrite_problem(d)


def test_hpa_v2beta1_targets_become_typed_targets():
    d = rewritten("""\
apiVersion: autoscaling/v2beta1
kind: HorizontalPodAutoscaler
metadata: {name: web, namespace: homelab}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 1
  maxReplicas: 5
  metrics:
    - type: Resource
      resource: {name: cpu, targetAverageUtilization: 80}
    - type: Resource
      resource: {name: memory, targetAverageValue: 512Mi}
    - type: Pods
      pods: {metricName: requests_per_second, targetAverageValue: "10"}
    - type: Object
      object:
        target: {apiVersion: networking.k8s.io/v1, kind: Ingress, name: web}
        metricName: hits
        targetValue: 2k
    - type: External
      external: {metricName: queue_length, metricSelector: {matchLabels: {queue: jobs}}, targetAverageValue: "30"}
""")
    assert d["apiVersion"] == "autoscaling/v2"
    m = d["spec"]["metrics"]
    assert m[0]["resource"] == {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}}
    assert m[1]["resource"] == {"name": "memory", "target": {"type": "AverageValue", "averageValue": "512Mi"}}
    assert m[2]["pods"] == {"metric": {"name": "requests_per_second"},
                            "target": {"type": "AverageValue", "averageValue": "10"}}
    assert m[3]["object"] == {"describedObject": {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "name": "web"},
                              "metric": {"name": "hits"}, "target": {"type": "Value", "value": "2k"}}
    assert m[4]["external"] == {"metric": {"name": "queue_length", "selector": {"matchLabels": {"queue": "jobs"}}},
                                "target": {"type": "AverageValue", "averageValue": "30"}}


def test_what_has_no_successor_or_needs_the_owner_has_no_rewrite():
    psp = doc("apiVersion: policy/v1beta1\nkind: PodSecurityPolicy\nmetadata: {name: restricted}\nspec: {}\n")
    assert rewrite_problem(psp) and REMOVED[("policy/v1beta1", "PodSecurityPolicy")].successor is None
    crd = REMOVED[("apiextensions.k8s.io/v1beta1", "CustomResourceDefinition")]
    assert crd.rewrite is None and "structural schema" in crd.hint


def test_the_rewrite_keeps_comments_and_every_other_document_byte_for_byte():
    """A vendored manifest: long folded descriptions elsewhere in the file are not re-wrapped."""
    crd = ("---\n# Source: vendor/templates/crd.yaml\napiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\n"
           "metadata: {name: things.example.org}\nspec:\n  group: example.org\n  description: 'a long text that\n"
           "    a person wrapped by hand'\n")
    pdb = ("---\n\n# This manifest creates a Pod Disruption Budget\n\napiVersion: policy/v1beta1  # old\n"
           "kind: PodDisruptionBudget\nmetadata:\n  name: calico\n  namespace: kube-system\nspec:\n"
           "  maxUnavailable: 1\n  selector:\n    matchLabels:\n      k8s-app: calico   # the controller\n")
    text = crd + pdb + "---\n# Source: empty\n\n"
    new = apply_transform(text, "api-upgrade", {"index": 1, "from": "policy/v1beta1", "kind": "PodDisruptionBudget",
                                                 "name": "calico"}, "calico.yaml")
    changed = [(a, b) for a, b in zip(text.splitlines(), new.splitlines(), strict=True) if a != b]
    assert [b.split("#")[0].rstrip() for _, b in changed] == ["apiVersion: policy/v1"]
    assert new.endswith("# the controller\n---\n# Source: empty\n\n")
    assert apply_transform(new, "api-upgrade", {"index": 1, "from": "policy/v1beta1", "kind": "PodDisruptionBudget",
                                                "name": "calico"}, "calico.yaml") == new  # done: nothing to do


def test_an_ingress_rewrite_in_a_file_keeps_its_comments():
    text = "# web, reachable from the LAN\n" + OLD_INGRESS.replace("- path: /\n", "- path: /   # the site\n")
    new = apply_transform(text, "api-upgrade", {"index": 0, "from": "extensions/v1beta1", "kind": "Ingress",
                                                "name": "web"}, "web/ingress.yaml")
    assert new.startswith("# web, reachable from the LAN\napiVersion: networking.k8s.io/v1\n")
    assert "- path: /   # the site\n" in new
    assert yaml.safe_load(new) == rewritten(OLD_INGRESS)


def test_removed_versions_are_told_apart_from_custom_resources_by_the_table_and_by_the_cluster():
    assert removal_for("rbac.authorization.k8s.io/v1beta1", "ClusterRole").removed_in == "1.22"
    assert removal_for("cert-manager.io/v1", "ClusterIssuer") is None
    served = Served(frozenset({"v1", "apps/v1", "policy/v1", "policy/v1beta1", "gateway.networking.k8s.io/v1"}),
                    frozenset({("policy/v1beta1", "PodDisruptionBudget")}))
    assert removal_for("policy/v1beta1", "PodDisruptionBudget", served) is None  # an old cluster still serves it
    assert removal_for("policy/v1beta1", "PodSecurityPolicy", served).removed_in == "1.25"
    alpha = removal_for("apps/v1alpha1", "Deployment", served)  # a core group's version the cluster lacks
    assert alpha is not None and alpha.successor is None and "apps/v1" in alpha.hint
    assert removal_for("gateway.networking.k8s.io/v1beta1", "HTTPRoute", served) is None  # a CRD group
    assert not_served("networking.k8s.io/v1beta1", "Ingress").successor == "networking.k8s.io/v1"
    assert not_served("monitoring.coreos.com/v1", "ServiceMonitor") is None


def test_an_extensions_deployment_is_the_same_object_as_its_apps_v1_rewrite():
    old = Manifest("a.yaml", 1, "extensions/v1beta1", "Deployment", "web", "homelab", {})
    new = Manifest("a.yaml", 1, "apps/v1", "Deployment", "web", "homelab", {})
    ingress = Manifest("b.yaml", 1, "extensions/v1beta1", "Ingress", "web", "homelab", {})
    assert old.key == new.key and ingress.key.group == "networking.k8s.io"
