"""What Option A (minimal) and Option B (full restructure) would do to THIS repository.

A first classification (infrastructure or app, per manifest folder) drives the preview of
item 1.1. Phase 2 (issue #4) refines the classifier and turns these previews into plans.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import PurePosixPath

from .scan import ScanResult

INFRA_KINDS = {"CustomResourceDefinition", "Namespace", "StorageClass", "ClusterIssuer", "Issuer", "IngressClass",
               "ClusterRole", "ClusterRoleBinding", "PersistentVolume", "HelmRepository", "PriorityClass"}
# Folder or object names that mean shared infrastructure in a homelab.
INFRA_WORDS = ("base", "namespace", "database", "postgres", "redis", "qdrant", "mysql", "mariadb", "mongo", "monitoring",
               "prometheus", "grafana", "loki", "alertmanager", "node-exporter", "ingress", "traefik", "nginx-ingress",
               "certificate", "cert-manager", "dns", "coredns", "registry", "storage", "longhorn", "metallb", "sealed-secrets",
               "external-dns", "velero")


@dataclass
class Folder:
    path: str
    manifests: int
    kinds: list[str]
    role: str  # infrastructure | apps
    has_kustomization: bool


@dataclass
class OptionPreview:
    option: str
    title: str
    creates: list[str] = field(default_factory=list)
    moves: list[tuple[str, str]] = field(default_factory=list)
    kustomizations: list[str] = field(default_factory=list)

    def counts(self) -> dict:
        return {"create": len(self.creates), "move": len(self.moves), "kustomization_files": len(self.kustomizations)}

    def render(self) -> str:
        c = self.counts()
        lines = [f"Option {self.option.upper()} — {self.title}",
                 f"  {c['create']} files or folders created, {c['move']} folders moved (git mv), "
                 f"{c['kustomization_files']} kustomization.yaml written"]
        lines += [f"  + {p}" for p in self.creates]
        lines += [f"  → {a}  ⇒  {b}" for a, b in self.moves]
        lines += [f"  + {p} (kustomization)" for p in self.kustomizations]
        return "\n".join(lines)


def classify_folder(path: str, kinds: list[str]) -> str:
    low = path.lower()
    if any(k in INFRA_KINDS for k in kinds) and not any(k in ("Deployment", "StatefulSet") for k in kinds):
        return "infrastructure"
    if any(w in part for part in PurePosixPath(low).parts for w in INFRA_WORDS):
        return "infrastructure"
    return "apps"


def folders(scan: ScanResult) -> list[Folder]:
    kdirs = {str(PurePosixPath(k).parent) for k in scan.kustomizations}
    out = []
    for path, ms in sorted(scan.folders().items()):
        if path.startswith(("clusters/", ".github")):
            continue
        kinds = sorted({m.kind for m in ms})
        out.append(Folder(path, len(ms), kinds, classify_folder(path, kinds), path in kdirs))
    return out


def preview_option_a(scan: ScanResult, cluster: str) -> OptionPreview:
    p = OptionPreview("a", "minimal disruption: keep the folders, add a Flux layer on top")
    p.creates = [f"clusters/{cluster}/", f"clusters/{cluster}/infrastructure.yaml", f"clusters/{cluster}/apps.yaml",
                 "apps/kustomization.yaml"]
    for f in folders(scan):
        if f.role == "apps":
            dest = f"apps/{PurePosixPath(f.path).name if PurePosixPath(f.path).name not in ('k8s', 'manifests', 'kubernetes') else PurePosixPath(f.path).parent.name}"
            p.moves.append((f.path, dest))
            if not f.has_kustomization:
                p.kustomizations.append(f"{dest}/kustomization.yaml")
        elif not f.has_kustomization:
            p.kustomizations.append(f"{f.path}/kustomization.yaml")
    return p


def preview_option_b(scan: ScanResult, cluster: str) -> OptionPreview:
    p = OptionPreview("b", "full restructure: infrastructure/ and apps/ with base and overlays")
    p.creates = [f"clusters/{cluster}/", f"clusters/{cluster}/infrastructure.yaml", f"clusters/{cluster}/apps.yaml",
                 "infrastructure/sources/", f"infrastructure/overlays/{cluster}/kustomization.yaml",
                 f"apps/overlays/{cluster}/kustomization.yaml"]
    for f in folders(scan):
        name = PurePosixPath(f.path).name
        if name in ("k8s", "manifests", "kubernetes"):
            name = PurePosixPath(f.path).parent.name
        dest = f"{'infrastructure' if f.role == 'infrastructure' else 'apps'}/base/{name}"
        if f.path != dest:
            p.moves.append((f.path, dest))
        if not f.has_kustomization:
            p.kustomizations.append(f"{dest}/kustomization.yaml")
    return p
