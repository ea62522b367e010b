"""Which role (infrastructure or apps) and tier each unit gets, and what the user says about it.

- role: infrastructure or apps, by override (`class.<folder>=infrastructure|apps|exclude`),
  kind, path and known components;
- tier (infrastructure only): `sources` (Flux sources only), `controllers` (namespaces,
  CRDs, HelmReleases, plain workloads) or `configs` (custom resources whose CRD must be
  registered first, e.g. a cert-manager ClusterIssuer).
"""
from __future__ import annotations

from pathlib import PurePosixPath

from ..checklist import Question
from .layout_model import APPS, CONFIGS, CONTROLLERS, EXCLUDE, INFRA, SOURCES, Layout, Unit
from .scan import Manifest, group_of

INFRA_KINDS = {"CustomResourceDefinition", "Namespace", "StorageClass", "ClusterIssuer", "Issuer", "IngressClass",
               "ClusterRole", "ClusterRoleBinding", "PersistentVolume", "HelmRepository", "PriorityClass",
               "HelmRelease", "IPAddressPool", "L2Advertisement", "ClusterSecretStore"}
WORKLOAD_KINDS = {"Deployment", "StatefulSet", "DaemonSet", "CronJob", "Job"}
# Folder or object names that mean shared infrastructure in a homelab.
INFRA_WORDS = ("base", "namespace", "database", "postgres", "redis", "qdrant", "mysql", "mariadb", "mongo", "monitoring",
               "prometheus", "grafana", "loki", "alertmanager", "node-exporter", "ingress", "traefik", "nginx-ingress",
               "certificate", "cert-manager", "dns", "coredns", "registry", "storage", "longhorn", "metallb", "sealed-secrets",
               "external-dns", "velero", "crds", "cilium", "calico", "minio", "vault", "keycloak")
SOURCE_KINDS = {"HelmRepository", "GitRepository", "OCIRepository", "Bucket"}
# Charts that install CRDs, and the API groups they provide.
CHART_CRDS = {
    "cert-manager": ("cert-manager.io", "acme.cert-manager.io"),
    "kube-prometheus-stack": ("monitoring.coreos.com",),
    "prometheus-operator-crds": ("monitoring.coreos.com",),
    "traefik": ("traefik.io", "traefik.containo.us", "hub.traefik.io"),
    "sealed-secrets": ("bitnami.com",),
    "longhorn": ("longhorn.io",),
    "metallb": ("metallb.io",),
    "external-secrets": ("external-secrets.io", "generators.external-secrets.io"),
    "cloudnative-pg": ("postgresql.cnpg.io",),
    "external-dns": ("externaldns.k8s.io",),
    "velero": ("velero.io",),
    "cilium": ("cilium.io",),
    "kyverno": ("kyverno.io",),
    "snapshot-controller": ("snapshot.storage.k8s.io",),
}
BUILTIN_GROUPS = {"", "apps", "batch", "policy", "autoscaling", "extensions"}


# Groups under k8s.io that come from CRDs or add-ons, never with the API server itself: Gateway API, volume
# snapshots, metrics (an aggregated API), and the SIG projects' CRDs (x-k8s.io: cluster-api, kueue, jobset …).
NOT_BUILTIN_K8S_IO = ("gateway.networking.k8s.io", "gateway.networking.x-k8s.io", "snapshot.storage.k8s.io",
                      "metrics.k8s.io", "custom.metrics.k8s.io", "external.metrics.k8s.io",
                      "policy.networking.k8s.io", "multicluster.x-k8s.io")


def is_builtin_group(group: str) -> bool:
    """A group every API server serves by itself (core, apps, *.k8s.io such as rbac or networking), not one a
    CRD or an aggregated API brings."""
    if group in NOT_BUILTIN_K8S_IO or group.endswith(".x-k8s.io"):
        return False
    return group in BUILTIN_GROUPS or group.endswith(".k8s.io")


def is_flux_group(group: str) -> bool:
    return group.endswith(".toolkit.fluxcd.io") or group.endswith(".fluxcd.io")


def helm_chart_of(doc: dict) -> str | None:
    try:
        chart = doc["spec"]["chart"]["spec"]["chart"]
    except (KeyError, TypeError):
        return None
    return chart if isinstance(chart, str) else None


def consumed_groups(ms: list[Manifest]) -> set[str]:
    return {group_of(m.api_version) for m in ms
            if m.kind != "CustomResourceDefinition" and not is_builtin_group(group_of(m.api_version))
            and not is_flux_group(group_of(m.api_version))}


def provided_groups(ms: list[Manifest]) -> set[str]:
    out: set[str] = set()
    for m in ms:
        if m.kind == "CustomResourceDefinition":
            g = (m.doc.get("spec") or {}).get("group")
            if isinstance(g, str):
                out.add(g)
        elif m.kind == "HelmRelease":
            out.update(CHART_CRDS.get(helm_chart_of(m.doc) or "", ()))
    return out


def classify(unit: Unit, overrides: dict[str, str]) -> tuple[str, str]:
    """(role, reason) for one unit."""
    for key in (unit.origin, unit.path):
        if key in overrides:
            return overrides[key], f"set by you (class.{key}={overrides[key]})"
    parts = [p.lower() for p in PurePosixPath(unit.origin or unit.path).parts]
    # The checks go from the strongest evidence to the weakest: where the owner put it, what it holds,
    # then what its path and workloads are called.
    return (_role_by_place(unit, parts) or _role_by_kinds(unit) or _role_by_names(unit, parts)
            or (APPS, "your own workloads"))


def _role_by_place(unit: Unit, parts: list[str]) -> tuple[str, str] | None:
    if parts and parts[0] == "apps":
        return APPS, "already under apps/"
    if _is_helm_scaffold(unit):
        return APPS, "a HelmRelease scaffold of an app (under apps/)"
    if parts[:2] == ["infrastructure", "base"] or parts[:2] == ["infrastructure", "sources"]:
        return INFRA, "already under infrastructure/"
    return None


def _is_helm_scaffold(unit: Unit) -> bool:
    """The HelmRelease the wizard scaffolds for an app (2.3): it stays an app though it holds an infra kind."""
    return (PurePosixPath(unit.path).parts[:1] == ("apps",) and set(unit.kinds) == {"HelmRelease"}
            and all(PurePosixPath(f).name == "helm-release.yaml" for f in unit.files))


def _role_by_kinds(unit: Unit) -> tuple[str, str] | None:
    if unit.consumes or unit.provides:
        return INFRA, "installs or configures custom resources"
    kinds = set(unit.kinds)
    infra_kinds = kinds & INFRA_KINDS
    if infra_kinds and not kinds & WORKLOAD_KINDS:
        return INFRA, f"holds {', '.join(sorted(infra_kinds))}"
    return None


def _role_by_names(unit: Unit, parts: list[str]) -> tuple[str, str] | None:
    word = _infra_word(parts)
    if word:
        return INFRA, f"its path names shared infrastructure ({word!r})"
    workloads = [m.name.lower() for m in unit.manifests if m.kind in WORKLOAD_KINDS]
    if workloads and all(any(w in n for w in INFRA_WORDS) for n in workloads):
        return INFRA, f"its workloads are shared infrastructure ({', '.join(sorted(workloads))})"
    return None


def _infra_word(parts: list[str]) -> str | None:
    """The infrastructure word a path names: a whole folder name (or its plural) first, then a part of one."""
    return next((w for part in parts for w in INFRA_WORDS if w == part or w + "s" == part), None) or next(
        (w for part in parts for w in INFRA_WORDS if w in part), None)


def tier_of(unit: Unit) -> tuple[str, str | None]:
    """(tier, warning) for an infrastructure unit."""
    kinds = set(unit.kinds)
    if kinds and kinds <= SOURCE_KINDS:
        return SOURCES, None
    needs = unit.consumes - unit.provides
    if needs:
        return CONFIGS, None
    if unit.consumes & unit.provides:
        return CONTROLLERS, (f"{unit.path} both installs and uses the API group(s) "
                             f"{', '.join(sorted(unit.consumes & unit.provides))}; Flux cannot order those inside one "
                             "Kustomization when a HelmRelease installs the CRDs: move the custom resources to their "
                             "own folder (or set class.<folder>) so they land in infra-configs")
    return CONTROLLERS, None


def ask_unprovided(layout: Layout, served_groups: set[str], answers: dict) -> None:
    """Custom resources whose API group nothing provides (no CRD in the cluster, none in the repo):
    Flux would fail the Kustomization holding them and, through dependsOn, never apply what comes
    after (the demo's ClusterIssuers without cert-manager). Asked before anything changes."""
    provided = set().union(*(u.provides for u in layout.units)) if layout.units else set()
    overrides = parse_overrides(answers)
    for u in layout.units:
        missing = u.consumes - provided - served_groups
        if not missing or any(k in overrides for k in (u.origin, u.path)):
            continue
        objs = [m for m in u.objects if group_of(m.api_version) in missing]
        names = ", ".join(f"{m.kind} {m.name} ({m.where})" for m in objs[:4]) + (" …" if len(objs) > 4 else "")
        layout.needs.append(Question(
            f"class.{u.path}", f"{u.path}/ holds {names}, whose API ({', '.join(sorted(missing))}) nothing provides: "
            "leave it out of Flux?", [(EXCLUDE, "leave it out (add its provider later, then set its class)")],
            default=None, help="Flux would fail this folder's Kustomization, and everything that depends on it."))
        layout.blocks.append(
            f"{names}: the cluster does not serve {', '.join(sorted(missing))} and nothing in the repo installs it "
            f"(no CRD, no HelmRelease of its controller), so Flux would fail {u.path}/ and, through dependsOn, "
            f"everything after it. Answer class.{u.path}=exclude to leave it out of Flux, or add the provider "
            "(e.g. the cert-manager HelmRelease) to infrastructure/ and run the step again")


def parse_overrides(answers: dict) -> dict[str, str]:
    out = {}
    for k, v in answers.items():
        if k.startswith("class."):
            folder = k[len("class."):].strip("/") or "."
            if v not in (INFRA, APPS, EXCLUDE):
                from ..session import UsageError

                raise UsageError(f"{k}={v!r} is not one of: infrastructure, apps, exclude")
            out[folder] = v
    return out

