"""Cleaning rules for a Phase 1 backup that can be re-applied (research/reliability.md §3).

Pure functions over plain dicts (one Kubernetes object as `kubectl get -o json` returns it):
  should_skip(obj)   -> why the object stays out of the backup, or None
  is_flux_owned(obj) -> the caller files these apart: Flux recreates them itself
  clean(obj)         -> a new, re-appliable copy (identity, status and server-set fields removed)
  apply_rank(kind)   -> sort key for re-applying (CRDs and Namespaces first, workloads last)

The rules follow Velero's restore and kubectl-neat. Fetch live objects with
`--show-managed-fields`: managedFields (or last-applied) is how clean() tells a nodePort the user
chose from one the API server allocated. Resources that cannot be listed (metrics.k8s.io …) are
left out by the caller when it walks discovery; this module only sees what was listed.
"""
from __future__ import annotations

import copy
import json
import re
from collections import namedtuple
from collections.abc import Callable, Collection, Iterable

LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"

# (API group, kind): state that the cluster rebuilds itself, or that is history, not config.
SKIP_KINDS: dict[tuple[str, str], str] = {
    ("", "Event"): "events are history, not configuration",
    ("events.k8s.io", "Event"): "events are history, not configuration",
    ("", "Node"): "nodes register themselves",
    ("storage.k8s.io", "CSINode"): "written by the kubelet",
    ("storage.k8s.io", "VolumeAttachment"): "written by the attach/detach controller",
    ("coordination.k8s.io", "Lease"): "leader-election and heartbeat state",
    ("metrics.k8s.io", "PodMetrics"): "live metrics, not objects",
    ("metrics.k8s.io", "NodeMetrics"): "live metrics, not objects",
    ("velero.io", "Backup"): "Velero's own records",
    ("velero.io", "Restore"): "Velero's own records",
    ("", "ComponentStatus"): "read-only health of control-plane components",
    ("networking.k8s.io", "IPAddress"): "allocated by the API server for Services",
}
# Objects the control plane creates and keeps up to date by itself; found on the testbed:
# without these rules they fill the backup and the inventory, and ComponentStatus makes the
# server-side dry-run fail (MethodNotAllowed).
BUILT_IN_LABELS = {"kubernetes.io/bootstrapping": "rbac-defaults", "kube-aggregator.kubernetes.io/automanaged": None}
BUILT_IN_NAMES = {("scheduling.k8s.io", "PriorityClass"): {"system-node-critical", "system-cluster-critical"},
                  ("networking.k8s.io", "ServiceCIDR"): {"kubernetes"}, ("", "Namespace"): {"default"}}
SYSTEM_NAMESPACES = frozenset({"kube-system", "kube-public", "kube-node-lease"})
HAND_MANAGERS = frozenset({"kubectl-client-side-apply", "kubectl", "kubectl-create"})
# k3s deploys its bundled manifests (local-path StorageClass, coredns, traefik …) with this label.
DISTRIBUTION_LABEL = "objectset.rio.cattle.io/hash"
PROVISIONED_BY = "pv.kubernetes.io/provisioned-by"
# Kinds whose controller re-creates them from their owner (a Deployment, CronJob, StatefulSet …).
CONTROLLED_KINDS = frozenset({("", "Pod"), ("apps", "ReplicaSet"), ("apps", "ControllerRevision"), ("batch", "Job")})
ENDPOINT_CONTROLLERS = frozenset({"endpointslice-controller.k8s.io", "endpointslicemirroring-controller.k8s.io",
                                  "endpoint-controller"})
SA_TOKEN = "kubernetes.io/service-account-token"
FLUX_LABELS = ("kustomize.toolkit.fluxcd.io/name", "helm.toolkit.fluxcd.io/name")

STRIP_METADATA = ("uid", "resourceVersion", "generation", "creationTimestamp", "deletionTimestamp",
                  "deletionGracePeriodSeconds", "selfLink", "managedFields", "ownerReferences")
STRIP_ANNOTATIONS = frozenset({
    LAST_APPLIED,  # can hold a Secret's stringData in plain text
    "deployment.kubernetes.io/revision",
    "pv.kubernetes.io/bind-completed",
    "pv.kubernetes.io/bound-by-controller",
    "volume.kubernetes.io/storage-provisioner",
    "volume.beta.kubernetes.io/storage-provisioner",
    "volume.kubernetes.io/selected-node",  # pins a node that may be gone; the scheduler picks again
})
JOB_UID_LABELS = ("controller-uid", "batch.kubernetes.io/controller-uid")
# Managers that never stand for a user's choice: the SSA upgrade sentinel owns whatever existed
# before the first server-side apply, allocated nodePorts included.
NON_USER_MANAGERS = frozenset({"kube-apiserver", "before-first-apply"})

APPLY_ORDER = ("CustomResourceDefinition", "Namespace", "StorageClass", "PersistentVolume",
               "PersistentVolumeClaim", "Secret", "ConfigMap", "ServiceAccount", "LimitRange")


def _group(obj: dict) -> str:
    api = obj.get("apiVersion", "")
    return api.split("/", 1)[0] if "/" in api else ""


def apply_rank(kind: str) -> int:
    """Position of `kind` when re-applying; every other kind (workloads, Services …) comes last."""
    return APPLY_ORDER.index(kind) if kind in APPLY_ORDER else len(APPLY_ORDER)


def is_flux_owned(obj: dict) -> bool:
    labels = obj.get("metadata", {}).get("labels") or {}
    return any(label in labels for label in FLUX_LABELS)


def selectorless_services(services: Iterable[dict]) -> set[tuple[str, str]]:
    """(namespace, name) of Services without a selector: their Endpoints are hand-made, so kept."""
    return {(s["metadata"].get("namespace", ""), s["metadata"]["name"])
            for s in services if not (s.get("spec") or {}).get("selector")}


# What the skip rules look at, read once from the object (a namedtuple: this module imports
# nothing beyond the standard library basics, see test_clean_module_is_pure).
_Facts = namedtuple("_Facts", "obj kind group meta ns name labels annotations selectorless")


def should_skip(obj: dict, selectorless: Collection[tuple[str, str]] | None = None) -> str | None:
    """The reason `obj` stays out of the backup, or None to keep it.

    `selectorless` holds (namespace, name) of Services without a selector (see
    selectorless_services); without it, Endpoints are judged by their controllers' own markers.
    """
    meta = obj.get("metadata", {})
    facts = _Facts(obj, obj.get("kind", ""), _group(obj), meta, meta.get("namespace", ""), meta.get("name", ""),
                   meta.get("labels") or {}, meta.get("annotations") or {}, selectorless)
    for rule in _SKIP_RULES:
        reason = rule(facts)
        if reason:
            return reason
    return None


def _skip_kind(f: _Facts) -> str | None:
    if (f.group, f.kind) in SKIP_KINDS:
        return f"{f.kind}: {SKIP_KINDS[f.group, f.kind]}"
    return None


def _skip_system(f: _Facts) -> str | None:
    if f.kind == "Namespace" and f.name in SYSTEM_NAMESPACES:
        return f"system namespace {f.name}: owned by the distribution"
    if f.ns in SYSTEM_NAMESPACES and not (applied_by_hand(f.meta) or is_flux_owned(f.obj)):
        # Only what the cluster made: a ConfigMap the owner applied into kube-system (coredns-custom)
        # is the owner's, and the repo holds it.
        return f"in system namespace {f.ns}: owned by the distribution"
    return None


def _skip_provisioned(f: _Facts) -> str | None:
    if DISTRIBUTION_LABEL in f.labels:
        return f"{f.kind}: deployed by k3s from its own manifests ({DISTRIBUTION_LABEL})"
    if f.kind == "PersistentVolume" and PROVISIONED_BY in f.annotations:
        return f"PersistentVolume: made by the provisioner {f.annotations[PROVISIONED_BY]} for its claim"
    return None


def _skip_deleting(f: _Facts) -> str | None:
    if f.meta.get("deletionTimestamp"):
        return f"{f.kind}: being deleted, so gone by the time of any restore"
    return None


def _skip_default_service_account(f: _Facts) -> str | None:
    obj = f.obj
    if f.kind == "ServiceAccount" and f.name == "default" and not (
            obj.get("imagePullSecrets") or obj.get("secrets") or "automountServiceAccountToken" in obj
            or f.labels or f.annotations):
        return "ServiceAccount default: created in every namespace by the service-account controller"
    return None


def _skip_control_plane(f: _Facts) -> str | None:
    built_in = _built_in(f.group, f.kind, f.meta)
    if built_in:
        return f"{f.kind}: {built_in}"
    if f.kind == "ConfigMap" and f.name == "kube-root-ca.crt":
        return "kube-root-ca.crt: published into every namespace by the control plane"
    if f.kind == "Service" and (f.ns, f.name) == ("default", "kubernetes"):
        return "default/kubernetes: the API server's own Service"
    return None


def _skip_generated_endpoints(f: _Facts) -> str | None:
    if f.group not in ("", "discovery.k8s.io") or f.kind not in ("Endpoints", "EndpointSlice"):
        return None
    service = f.name if f.kind == "Endpoints" else f.labels.get("kubernetes.io/service-name")
    if f.selectorless is not None:
        generated = service is not None and (f.ns, service) not in f.selectorless
    else:
        generated = (f.labels.get("endpointslice.kubernetes.io/managed-by") in ENDPOINT_CONTROLLERS
                     or f.labels.get("endpoints.kubernetes.io/managed-by") in ENDPOINT_CONTROLLERS
                     or "endpoints.kubernetes.io/last-change-trigger-time" in f.annotations)
    return f"{f.kind}: generated from the selector of Service {f.ns}/{service}" if generated else None


def _skip_controlled(f: _Facts) -> str | None:
    if (f.group, f.kind) not in CONTROLLED_KINDS:
        return None
    owner = next((o for o in f.meta.get("ownerReferences") or [] if o.get("controller")), None)
    return f"{f.kind}: re-created by its controller {owner.get('kind')}/{owner.get('name')}" if owner else None


def _skip_finished(f: _Facts) -> str | None:
    status = f.obj.get("status") or {}
    if f.kind == "Pod" and status.get("phase") in ("Succeeded", "Failed"):
        return f"completed Pod (phase {status['phase']}): re-applying would run it again"
    if f.kind == "Job" and any(c.get("type") == "Complete" and c.get("status") == "True"
                               for c in status.get("conditions") or []):
        return "completed Job: re-applying would run it again"
    return None


def _skip_minted_token(f: _Facts) -> str | None:
    if f.kind == "Secret" and f.obj.get("type") == SA_TOKEN and _auto_token(f.meta):
        return "service-account token minted by the token controller"
    return None


# In this order: the first rule that names a reason wins, and the reason says which rule it was.
_SKIP_RULES: tuple[Callable[[_Facts], str | None], ...] = (
    _skip_kind, _skip_system, _skip_provisioned, _skip_deleting, _skip_default_service_account, _skip_control_plane,
    _skip_generated_endpoints, _skip_controlled, _skip_finished, _skip_minted_token)


def applied_by_hand(meta: dict) -> bool:
    """Was the object applied with kubectl (client-side: last-applied; server-side: manager 'kubectl')?
    (Once Flux takes it over, the last-applied annotation is gone and its labels say so instead.)"""
    if LAST_APPLIED in (meta.get("annotations") or {}):
        return True
    return any(m.get("manager") in HAND_MANAGERS for m in meta.get("managedFields") or [])


def _built_in(group: str, kind: str, meta: dict) -> str | None:
    labels, annotations = meta.get("labels") or {}, meta.get("annotations") or {}
    for label, value in BUILT_IN_LABELS.items():
        if label in labels and (value is None or labels[label] == value):
            return f"created and kept up to date by the API server ({label})"
    if annotations.get("apf.kubernetes.io/autoupdate-spec") == "true":
        return "API priority-and-fairness default, maintained by the API server"
    if meta.get("name") in BUILT_IN_NAMES.get((group, kind), ()):
        return "built into every cluster"
    return None


def _auto_token(meta: dict) -> bool:
    # Before 1.24 the token controller made "<sa>-token-<5 random chars>" for every ServiceAccount;
    # a hand-made long-lived token Secret is kept (clean() empties it so the controller refills it).
    sa = (meta.get("annotations") or {}).get("kubernetes.io/service-account.name", "")
    return bool(re.fullmatch(re.escape(sa) + r"-token-[a-z0-9]{5}", meta.get("name", "")))


def clean(obj: dict) -> dict:
    """A new copy of `obj` that re-applies cleanly; `obj` itself is never changed."""
    out = copy.deepcopy(obj)
    kind = out.get("kind")
    explicit = _explicit_node_ports(out) if kind == "Service" else None  # before the evidence goes
    meta = out.setdefault("metadata", {})
    _strip_server_fields(out, meta)
    _clean_kind(out, kind, meta, out.get("spec") or {}, explicit)
    for key in ("annotations", "labels"):
        if key in meta and not meta[key]:
            del meta[key]
    return out


def _strip_server_fields(out: dict, meta: dict) -> None:
    """Identity, status and what the API server added, for every kind."""
    for key in STRIP_METADATA:
        meta.pop(key, None)
    if meta.get("name"):
        meta.pop("generateName", None)
    annotations = meta.get("annotations") or {}
    for key in STRIP_ANNOTATIONS & annotations.keys():
        del annotations[key]
    out.pop("status", None)
    for tmeta in _template_metadata(out):  # live templates carry `creationTimestamp: null`
        tmeta.pop("creationTimestamp", None)
    for pvc in (out.get("spec") or {}).get("volumeClaimTemplates") or []:
        pvc.pop("status", None)


def _clean_kind(out: dict, kind, meta: dict, spec: dict, explicit: tuple[set[tuple[int, str]], bool] | None) -> None:
    if kind == "Service":
        _clean_service(spec, explicit)
    elif kind == "Pod":
        _clean_pod_spec(spec)
    elif kind == "Job":
        _clean_job(spec)
        for key in JOB_UID_LABELS:  # copied from the template by the API server: the old UID
            (meta.get("labels") or {}).pop(key, None)
    elif kind == "PersistentVolume":
        for key in ("uid", "resourceVersion"):
            (spec.get("claimRef") or {}).pop(key, None)
    elif kind == "Secret" and out.get("type") == SA_TOKEN:
        # the token controller fills these in again for the new ServiceAccount UID
        for key in ("token", "ca.crt"):
            (out.get("data") or {}).pop(key, None)
        (meta.get("annotations") or {}).pop("kubernetes.io/service-account.uid", None)
        if not out.get("data"):
            out.pop("data", None)


def _template_metadata(obj: dict) -> list[dict]:
    spec = obj.get("spec") or {}
    job_template = spec.get("jobTemplate") or {}
    found = [spec.get("template"), job_template, (job_template.get("spec") or {}).get("template")]
    found += spec.get("volumeClaimTemplates") or []
    return [t["metadata"] for t in found if isinstance(t, dict) and isinstance(t.get("metadata"), dict)]


def _explicit_node_ports(svc: dict) -> tuple[set[tuple[int, str]], bool] | None:
    """((port, protocol) whose nodePort the user set, healthCheckNodePort set?), or None to keep all.

    None means "nothing to tell by": an object with no identity, last-applied or managedFields
    was already cleaned or written by hand, so whatever nodePorts it has are meant.
    """
    meta = svc.get("metadata", {})
    raw = (meta.get("annotations") or {}).get(LAST_APPLIED)
    managed = meta.get("managedFields") or []
    if not raw and not managed and not (meta.get("uid") or meta.get("resourceVersion")):
        return None
    ports, health = _applied_node_ports(raw) if raw else (set(), False)
    for entry in managed:
        if entry.get("manager") in NON_USER_MANAGERS:
            continue
        entry_ports, entry_health = _managed_node_ports(entry)
        ports |= entry_ports
        health = health or entry_health
    return ports, health


def _applied_node_ports(raw: str) -> tuple[set[tuple[int, str]], bool]:
    """Node ports set in the last-applied configuration."""
    try:
        applied = (json.loads(raw).get("spec") or {})
    except (ValueError, AttributeError):
        applied = {}
    ports = {(p.get("port"), p.get("protocol", "TCP")) for p in applied.get("ports") or [] if p.get("nodePort")}
    return ports, bool(applied.get("healthCheckNodePort"))


def _managed_node_ports(entry: dict) -> tuple[set[tuple[int, str]], bool]:
    """Node ports owned by one managedFields entry (server-side apply or an edit)."""
    fspec = (entry.get("fieldsV1") or {}).get("f:spec") or {}
    ports: set[tuple[int, str]] = set()
    for key, fields in (fspec.get("f:ports") or {}).items():
        if key.startswith("k:") and "f:nodePort" in (fields or {}):
            k = json.loads(key[2:])
            ports.add((k.get("port"), k.get("protocol", "TCP")))
    return ports, "f:healthCheckNodePort" in fspec


def _clean_service(spec: dict, explicit: tuple[set[tuple[int, str]], bool] | None) -> None:
    if spec.get("clusterIP") != "None":  # headless stays headless; any other IP is re-allocated
        spec.pop("clusterIP", None)
        spec.pop("clusterIPs", None)
    if explicit is None:
        return
    ports, health = explicit
    for port in spec.get("ports") or []:
        if (port.get("port"), port.get("protocol", "TCP")) not in ports:
            port.pop("nodePort", None)
    if not health:
        spec.pop("healthCheckNodePort", None)


def _clean_pod_spec(spec: dict) -> None:
    spec.pop("nodeName", None)
    spec.pop("priority", None)  # re-derived from priorityClassName; a stale value is rejected
    sa = spec.get("serviceAccountName") or spec.get("serviceAccount") or "default"

    def injected(name: str) -> bool:  # token volumes the API server adds to every Pod
        return name.startswith("kube-api-access-") or name.startswith(f"{sa}-token-")

    if "volumes" in spec:
        spec["volumes"] = [v for v in spec["volumes"] if not injected(v.get("name", ""))]
        if not spec["volumes"]:
            del spec["volumes"]
    for group in ("initContainers", "containers", "ephemeralContainers"):
        for container in spec.get(group) or []:
            if "volumeMounts" in container:
                container["volumeMounts"] = [m for m in container["volumeMounts"] if not injected(m.get("name", ""))]
                if not container["volumeMounts"]:
                    del container["volumeMounts"]


def _clean_job(spec: dict) -> None:
    selector = spec.get("selector") or {}
    template_labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels") or {}
    for labels in (selector.get("matchLabels") or {}, template_labels):
        for key in JOB_UID_LABELS:
            labels.pop(key, None)
    # The API server generates a Job's selector and rejects a supplied one unless manualSelector.
    if "selector" in spec and not spec.get("manualSelector"):
        del spec["selector"]
