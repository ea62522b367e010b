"""Backup cleaning rules (wizard/cluster/clean.py, research/reliability.md §3).

Golden pairs live in fixtures/clean/<case>.raw.yaml (what `kubectl get -o yaml
--show-managed-fields` returns) and <case>.clean.yaml (what the backup must hold), kubectl-neat style.
"""
from __future__ import annotations

import ast
import base64
import copy
import json
from pathlib import Path

import pytest
import yaml

from wizard.cluster import clean as clean_mod
from wizard.cluster.clean import (
    APPLY_ORDER, LAST_APPLIED, apply_rank, clean, is_flux_owned, selectorless_services, should_skip,
)

FIXTURES = Path(__file__).parent / "fixtures" / "clean"
CASES = sorted(p.name[: -len(".raw.yaml")] for p in FIXTURES.glob("*.raw.yaml"))
REQUIRED_CASES = {"deployment", "service-auto-nodeport", "service-explicit-nodeport", "service-headless",
                  "pod", "job", "pv", "secret-last-applied"}
FORBIDDEN_KEYS = {"uid", "resourceVersion", "generation", "creationTimestamp", "deletionTimestamp",
                  "deletionGracePeriodSeconds", "selfLink", "managedFields", "ownerReferences", "status",
                  "nodeName", "priority", "controller-uid", "batch.kubernetes.io/controller-uid",
                  *clean_mod.STRIP_ANNOTATIONS}


def raw(case: str) -> dict:
    return yaml.safe_load((FIXTURES / f"{case}.raw.yaml").read_text())


def expected(case: str) -> dict:
    return yaml.safe_load((FIXTURES / f"{case}.clean.yaml").read_text())


def keys_anywhere(node) -> set[str]:
    if isinstance(node, dict):
        return set(node) | {k for v in node.values() for k in keys_anywhere(v)}
    if isinstance(node, list):
        return {k for v in node for k in keys_anywhere(v)}
    return set()


def obj(kind: str, name: str = "x", namespace: str | None = "homelab", api: str = "v1", **extra) -> dict:
    meta = {"name": name, **({"namespace": namespace} if namespace else {})}
    return {"apiVersion": api, "kind": kind, "metadata": {**meta, **extra.pop("metadata", {})}, **extra}


def live_service(spec: dict, **meta) -> dict:
    return obj("Service", "web", metadata={"uid": "u-1", "resourceVersion": "7", **meta}, spec=spec)


# --- golden files -------------------------------------------------------------------------------

def test_golden_fixtures_cover_the_required_cases():
    assert REQUIRED_CASES <= set(CASES)
    for case in CASES:
        assert (FIXTURES / f"{case}.clean.yaml").exists(), case


@pytest.mark.parametrize("case", CASES)
def test_backup_matches_the_golden_clean_object(case):
    assert clean(raw(case)) == expected(case)


@pytest.mark.parametrize("case", CASES)
def test_cleaning_a_cleaned_object_changes_nothing(case):
    once = clean(raw(case))
    assert clean(once) == once


@pytest.mark.parametrize("case", CASES)
def test_no_server_side_field_remains_anywhere(case):
    cleaned = clean(raw(case))
    assert not keys_anywhere(cleaned) & FORBIDDEN_KEYS
    assert "kube-api-access-" not in json.dumps(cleaned)
    if cleaned["kind"] == "Service" and cleaned["spec"].get("clusterIP") != "None":
        assert not {"clusterIP", "clusterIPs", "healthCheckNodePort"} & cleaned["spec"].keys()


@pytest.mark.parametrize("case", CASES)
def test_cleaning_never_mutates_its_input(case):
    original = raw(case)
    snapshot = copy.deepcopy(original)
    cleaned = clean(original)
    assert original == snapshot
    cleaned["metadata"]["name"] = "changed"  # no structure is shared either
    assert original == snapshot


def test_no_secret_value_survives_outside_secret_data():
    cleaned = clean(raw("secret-last-applied"))
    password = "pg-demo-not-a-real-secret"
    encoded = base64.b64encode(password.encode()).decode()
    assert cleaned["data"]["POSTGRES_PASSWORD"] == encoded
    rest = json.dumps({k: v for k, v in cleaned.items() if k != "data"})
    assert password not in rest and encoded not in rest
    assert password in json.dumps(raw("secret-last-applied")["metadata"])  # the leak being closed


# --- metadata ----------------------------------------------------------------------------------

def test_backup_strips_last_applied_annotation():
    assert LAST_APPLIED not in (clean(raw("deployment"))["metadata"].get("annotations") or {})


def test_backup_strips_deployment_revision_and_volume_binding_annotations():
    assert "annotations" not in clean(raw("deployment"))["metadata"]
    assert "annotations" not in clean(raw("pvc"))["metadata"]  # all five PVC annotations were server-set


def test_backup_keeps_annotations_the_user_set():
    cleaned = clean(raw("service-explicit-nodeport"))
    assert cleaned["metadata"]["annotations"] == {"metallb.universe.tf/ip-allocated-from-pool": "homelab-pool"}


def test_backup_removes_empty_label_and_annotation_maps():
    cleaned = clean(obj("ConfigMap", metadata={"labels": {}, "annotations": {LAST_APPLIED: "{}"}}))
    assert cleaned["metadata"] == {"name": "x", "namespace": "homelab"}


def test_backup_drops_generate_name_only_when_a_name_is_present():
    named = clean(obj("Pod", "web-abcde", metadata={"generateName": "web-"}))
    assert "generateName" not in named["metadata"]
    unnamed = obj("Pod", metadata={"generateName": "web-"})
    del unnamed["metadata"]["name"]
    assert clean(unnamed)["metadata"]["generateName"] == "web-"


def test_backup_strips_status_and_template_timestamps():
    cleaned = clean(raw("statefulset"))
    assert "status" not in cleaned
    assert "creationTimestamp" not in cleaned["spec"]["template"]["metadata"]
    assert "status" not in cleaned["spec"]["volumeClaimTemplates"][0]


def test_backup_strips_cronjob_job_template_timestamps():
    cron = obj("CronJob", api="batch/v1", spec={"jobTemplate": {"metadata": {"creationTimestamp": None},
               "spec": {"template": {"metadata": {"creationTimestamp": None}, "spec": {}}}}})
    assert clean(cron)["spec"] == {"jobTemplate": {"metadata": {}, "spec": {"template": {"metadata": {}, "spec": {}}}}}


# --- Service -----------------------------------------------------------------------------------

def test_backup_clears_allocated_cluster_ip():
    assert not {"clusterIP", "clusterIPs"} & clean(raw("service-auto-nodeport"))["spec"].keys()


def test_backup_keeps_headless_service_headless():
    spec = clean(raw("service-headless"))["spec"]
    assert spec["clusterIP"] == "None" and spec["clusterIPs"] == ["None"]


def test_backup_clears_allocated_node_port():
    assert "nodePort" not in clean(raw("service-auto-nodeport"))["spec"]["ports"][0]


def test_backup_keeps_node_port_pinned_in_last_applied_and_clears_the_allocated_one():
    ports = {p["port"]: p.get("nodePort") for p in clean(raw("service-explicit-nodeport"))["spec"]["ports"]}
    assert ports == {80: 30080, 443: None}


def test_backup_keeps_node_port_owned_by_a_field_manager():
    ports = {p["port"]: p.get("nodePort") for p in clean(raw("service-explicit-nodeport-ssa"))["spec"]["ports"]}
    assert ports == {80: 30808, 9100: None}


def test_backup_ignores_node_ports_owned_by_the_before_first_apply_sentinel():
    managed = [{"manager": "before-first-apply", "operation": "Update", "fieldsV1": {"f:spec": {"f:ports": {
        'k:{"port":80,"protocol":"TCP"}': {"f:nodePort": {}}}}}}]
    svc = live_service({"type": "NodePort", "ports": [{"port": 80, "protocol": "TCP", "nodePort": 30001}]},
                       managedFields=managed)
    assert "nodePort" not in clean(svc)["spec"]["ports"][0]


def test_backup_matches_node_ports_by_port_and_protocol():
    applied = {"spec": {"ports": [{"port": 53, "protocol": "UDP", "nodePort": 30053}, {"port": 53}]}}
    svc = live_service({"type": "NodePort", "ports": [
        {"port": 53, "protocol": "UDP", "nodePort": 30053}, {"port": 53, "protocol": "TCP", "nodePort": 31999}]},
        annotations={LAST_APPLIED: json.dumps(applied)})
    assert [p.get("nodePort") for p in clean(svc)["spec"]["ports"]] == [30053, None]


def test_backup_clears_allocated_health_check_node_port():
    assert "healthCheckNodePort" not in clean(raw("service-explicit-nodeport"))["spec"]


def test_backup_keeps_health_check_node_port_the_user_set():
    managed = [{"manager": "kubectl", "operation": "Apply", "fieldsV1": {"f:spec": {"f:healthCheckNodePort": {}}}}]
    svc = live_service({"type": "LoadBalancer", "externalTrafficPolicy": "Local", "healthCheckNodePort": 32000},
                       managedFields=managed)
    assert clean(svc)["spec"]["healthCheckNodePort"] == 32000


def test_backup_clears_node_ports_of_a_live_service_without_any_evidence():
    # fetched without --show-managed-fields and never kubectl-applied: treated as allocated (Velero)
    svc = live_service({"type": "NodePort", "ports": [{"port": 80, "nodePort": 30001}]})
    assert "nodePort" not in clean(svc)["spec"]["ports"][0]


def test_backup_keeps_node_ports_of_a_hand_written_service():
    svc = obj("Service", spec={"type": "NodePort", "ports": [{"port": 80, "nodePort": 30001}]})
    assert clean(svc)["spec"]["ports"][0]["nodePort"] == 30001


def test_backup_survives_a_broken_last_applied_annotation():
    svc = live_service({"type": "NodePort", "ports": [{"port": 80, "nodePort": 30001}]},
                       annotations={LAST_APPLIED: "{not json"})
    assert "nodePort" not in clean(svc)["spec"]["ports"][0]


# --- Pod, Job, PV, Secret ----------------------------------------------------------------------

def test_backup_unpins_pod_from_its_node_and_priority():
    spec = clean(raw("pod"))["spec"]
    assert "nodeName" not in spec and "priority" not in spec


def test_backup_removes_injected_token_volumes_and_their_mounts():
    spec = clean(raw("pod"))["spec"]
    assert [v["name"] for v in spec["volumes"]] == ["config"]
    assert [m["name"] for m in spec["containers"][0]["volumeMounts"]] == ["config"]


def test_backup_removes_legacy_service_account_token_volumes():
    pod = obj("Pod", spec={"serviceAccountName": "runner",
                           "volumes": [{"name": "runner-token-x7k2q", "secret": {"secretName": "runner-token-x7k2q"}}],
                           "initContainers": [{"name": "init", "volumeMounts": [{"name": "runner-token-x7k2q"}]}],
                           "containers": [{"name": "c", "volumeMounts": [{"name": "runner-token-x7k2q"}]}]})
    spec = clean(pod)["spec"]
    assert "volumes" not in spec
    assert all("volumeMounts" not in c for c in spec["containers"] + spec["initContainers"])


def test_backup_removes_job_controller_uid_labels_and_generated_selector():
    cleaned = clean(raw("job"))
    assert "selector" not in cleaned["spec"]
    assert set(cleaned["spec"]["template"]["metadata"]["labels"]) == {"job-name", "batch.kubernetes.io/job-name"}
    assert "controller-uid" not in json.dumps(cleaned)


def test_backup_keeps_a_manual_job_selector_without_the_uid():
    job = obj("Job", api="batch/v1", spec={"manualSelector": True, "selector": {"matchLabels": {
        "app": "migrate", "controller-uid": "u"}}, "template": {"metadata": {"labels": {"app": "migrate"}}}})
    assert clean(job)["spec"]["selector"] == {"matchLabels": {"app": "migrate"}}


def test_backup_unbinds_persistent_volume_claim_ref_identity():
    claim = clean(raw("pv"))["spec"]["claimRef"]
    assert claim == {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "name": "postgres-data",
                     "namespace": "databases"}


def test_backup_empties_a_kept_service_account_token_secret():
    cleaned = clean(raw("secret-sa-token"))
    assert set(cleaned["data"]) == {"namespace"}
    assert cleaned["metadata"]["annotations"] == {"kubernetes.io/service-account.name": "ci-deployer"}


# --- what is skipped ---------------------------------------------------------------------------

@pytest.mark.parametrize("api,kind", [
    ("v1", "Event"), ("events.k8s.io/v1", "Event"), ("v1", "Node"), ("storage.k8s.io/v1", "CSINode"),
    ("storage.k8s.io/v1", "VolumeAttachment"), ("coordination.k8s.io/v1", "Lease"),
    ("velero.io/v1", "Backup"), ("velero.io/v1", "Restore"), ("metrics.k8s.io/v1beta1", "PodMetrics"),
])
def test_backup_skips_state_the_cluster_rebuilds(api, kind):
    assert kind in should_skip(obj(kind, api=api))


def test_backup_keeps_other_operators_backup_resources():
    assert should_skip(obj("Backup", api="postgresql.cnpg.io/v1")) is None


def test_backup_keeps_ordinary_objects():
    assert should_skip(clean(raw("deployment"))) is None
    assert should_skip(raw("deployment")) is None


@pytest.mark.parametrize("ns", ["kube-system", "kube-public", "kube-node-lease"])
def test_backup_skips_system_namespaces_and_what_the_cluster_made_in_them(ns):
    assert should_skip(obj("ConfigMap", "coredns", ns))
    assert should_skip(obj("Namespace", ns, None))
    assert should_skip(obj("Namespace", "homelab", None)) is None


@pytest.mark.parametrize("applied", [
    {"annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}"}},
    {"managedFields": [{"manager": "kubectl", "operation": "Apply"}]}])
def test_backup_keeps_what_the_owner_applied_into_kube_system(applied):
    """Issue 16: the demo's coredns-custom, applied by hand into kube-system, is the owner's."""
    o = obj("ConfigMap", "coredns-custom", "kube-system")
    o["metadata"].update(applied)
    assert should_skip(o) is None
    k3s = obj("ConfigMap", "coredns", "kube-system")
    k3s["metadata"]["managedFields"] = [{"manager": "k3s", "operation": "Apply"}]
    assert should_skip(k3s)


def test_backup_skips_what_k3s_deployed_and_provisioner_made_volumes():
    sc = obj("StorageClass", "local-path", None, api="storage.k8s.io/v1")
    sc["metadata"]["labels"] = {"objectset.rio.cattle.io/hash": "abc"}
    assert "k3s" in should_skip(sc)
    pv = obj("PersistentVolume", "pvc-123", None)
    pv["metadata"]["annotations"] = {"pv.kubernetes.io/provisioned-by": "rancher.io/local-path"}
    assert "provisioner" in should_skip(pv)
    assert should_skip(obj("PersistentVolume", "nfs-media", None)) is None


def test_backup_skips_the_root_ca_configmap_in_every_namespace():
    assert "kube-root-ca.crt" in should_skip(obj("ConfigMap", "kube-root-ca.crt", "homelab"))


def test_backup_skips_only_the_api_servers_own_kubernetes_service():
    assert should_skip(obj("Service", "kubernetes", "default"))
    assert should_skip(obj("Service", "kubernetes", "homelab")) is None


def test_backup_skips_endpoints_generated_from_a_service_selector():
    services = [obj("Service", "web", spec={"selector": {"app": "web"}}), obj("Service", "nas", spec={"ports": []})]
    selectorless = selectorless_services(services)
    assert selectorless == {("homelab", "nas")}
    assert should_skip(obj("Endpoints", "web"), selectorless)
    assert should_skip(obj("Endpoints", "nas"), selectorless) is None
    slice_of = lambda svc: obj("EndpointSlice", f"{svc}-abc12", api="discovery.k8s.io/v1",  # noqa: E731
                               metadata={"labels": {"kubernetes.io/service-name": svc}})
    assert should_skip(slice_of("web"), selectorless)
    assert should_skip(slice_of("nas"), selectorless) is None


def test_backup_judges_endpoints_by_controller_markers_without_a_service_list():
    managed = obj("EndpointSlice", "web-abc12", api="discovery.k8s.io/v1", metadata={"labels": {
        "kubernetes.io/service-name": "web", "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io"}})
    assert should_skip(managed)
    traced = obj("Endpoints", "web", metadata={"annotations": {
        "endpoints.kubernetes.io/last-change-trigger-time": "2024-12-01T00:00:00Z"}})
    assert should_skip(traced)
    assert should_skip(obj("Endpoints", "nas")) is None


@pytest.mark.parametrize("api,kind", [("v1", "Pod"), ("apps/v1", "ReplicaSet"),
                                      ("apps/v1", "ControllerRevision"), ("batch/v1", "Job")])
def test_backup_skips_objects_their_controller_recreates(api, kind):
    owned = obj(kind, api=api, metadata={"ownerReferences": [
        {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web", "uid": "u", "controller": True}]})
    assert "re-created by its controller Deployment/web" in should_skip(owned)
    owned["metadata"]["ownerReferences"][0]["controller"] = False
    assert should_skip(owned) is None


def test_backup_keeps_statefulset_claims_even_with_a_controller_owner():
    pvc = obj("PersistentVolumeClaim", "storage-qdrant-0", metadata={"ownerReferences": [
        {"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "qdrant", "uid": "u", "controller": True}]})
    assert should_skip(pvc) is None


@pytest.mark.parametrize("phase,skipped", [("Succeeded", True), ("Failed", True), ("Running", False)])
def test_backup_skips_completed_pods(phase, skipped):
    assert bool(should_skip(obj("Pod", status={"phase": phase}))) is skipped


def test_backup_skips_completed_jobs_only():
    done = obj("Job", api="batch/v1", status={"conditions": [{"type": "Complete", "status": "True"}]})
    assert "completed Job" in should_skip(done)
    assert should_skip(raw("job")) is None  # still running


def test_backup_skips_auto_created_service_account_tokens_but_keeps_hand_made_ones():
    auto = obj("Secret", "default-token-x7k2q", type="kubernetes.io/service-account-token",
               metadata={"annotations": {"kubernetes.io/service-account.name": "default"}})
    assert "service-account token" in should_skip(auto)
    assert should_skip(raw("secret-sa-token")) is None


def test_flux_owned_objects_are_told_apart():
    assert is_flux_owned(raw("service-explicit-nodeport-ssa"))
    assert is_flux_owned(obj("Deployment", metadata={"labels": {"helm.toolkit.fluxcd.io/name": "grafana"}}))
    assert not is_flux_owned(raw("deployment"))
    assert not is_flux_owned({"kind": "ConfigMap", "metadata": {"labels": None}})


# --- order and purity --------------------------------------------------------------------------

def test_restore_applies_definitions_and_storage_before_workloads():
    kinds = ["Deployment", "Secret", "PersistentVolumeClaim", "Namespace", "CustomResourceDefinition",
             "ConfigMap", "LimitRange", "PersistentVolume", "ServiceAccount", "StorageClass", "Service"]
    ordered = sorted(kinds, key=apply_rank)
    assert ordered[: len(APPLY_ORDER)] == list(APPLY_ORDER)
    assert ordered[len(APPLY_ORDER):] == ["Deployment", "Service"]  # stable for everything else
    assert apply_rank("HelmRelease") == apply_rank("Deployment") == len(APPLY_ORDER)


def test_clean_module_is_pure():
    tree = ast.parse(Path(clean_mod.__file__).read_text())
    imported = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    assert imported <= {"__future__", "copy", "json", "re", "collections"}


# Built-in objects seen on a real API server (the testbed); they are not the user's configuration.
def test_backup_skips_objects_the_api_server_maintains_itself():
    from wizard.cluster.clean import should_skip

    cases = [
        {"apiVersion": "v1", "kind": "ComponentStatus", "metadata": {"name": "etcd-0"}},
        {"apiVersion": "networking.k8s.io/v1", "kind": "IPAddress", "metadata": {"name": "10.0.0.1"}},
        {"apiVersion": "networking.k8s.io/v1", "kind": "ServiceCIDR", "metadata": {"name": "kubernetes"}},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
         "metadata": {"name": "admin", "labels": {"kubernetes.io/bootstrapping": "rbac-defaults"}}},
        {"apiVersion": "apiregistration.k8s.io/v1", "kind": "APIService",
         "metadata": {"name": "v1.apps", "labels": {"kube-aggregator.kubernetes.io/automanaged": "onstart"}}},
        {"apiVersion": "flowcontrol.apiserver.k8s.io/v1", "kind": "FlowSchema",
         "metadata": {"name": "exempt", "annotations": {"apf.kubernetes.io/autoupdate-spec": "true"}}},
        {"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass", "metadata": {"name": "system-node-critical"}},
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "default"}},
    ]
    for obj in cases:
        assert should_skip(obj), obj


def test_backup_keeps_user_made_look_alikes_of_built_ins():
    from wizard.cluster.clean import should_skip

    keep = [
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "homelab-reader"}},
        {"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass", "metadata": {"name": "homelab-high"}},
        {"apiVersion": "networking.k8s.io/v1", "kind": "ServiceCIDR", "metadata": {"name": "extra-range"}},
        {"apiVersion": "flowcontrol.apiserver.k8s.io/v1", "kind": "FlowSchema",
         "metadata": {"name": "mine", "annotations": {"apf.kubernetes.io/autoupdate-spec": "false"}}},
    ]
    for obj in keep:
        assert should_skip(obj) is None, obj


def test_backup_skips_objects_being_deleted():
    from wizard.cluster.clean import should_skip

    obj = {"apiVersion": "v1", "kind": "ConfigMap",
           "metadata": {"name": "x", "namespace": "a", "deletionTimestamp": "2026-01-01T00:00:00Z"}}
    assert "being deleted" in should_skip(obj)


def test_backup_skips_untouched_default_service_account_but_keeps_a_customised_one():
    from wizard.cluster.clean import should_skip

    plain = {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "default", "namespace": "a"}}
    pulls = {**plain, "imagePullSecrets": [{"name": "registry"}]}
    assert should_skip(plain) and should_skip(pulls) is None


def test_a_kube_system_object_flux_took_over_stays_the_owners():
    """Flux drops the last-applied annotation when it takes an object over; its labels say so."""
    o = obj("ConfigMap", "coredns-custom", "kube-system")
    o["metadata"]["labels"] = {"kustomize.toolkit.fluxcd.io/name": "infra-controllers"}
    assert should_skip(o) is None
