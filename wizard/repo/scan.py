"""Read every YAML/JSON file of a repository and find the Kubernetes objects in it.

Uses PyYAML's C-backed safe loader (fast, no code execution) document by document, so a
multi-document file yields one entry per object with the line it starts on. A malformed
file is reported with file:line and the scan continues.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import yaml

try:
    _Loader = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    _Loader = yaml.SafeLoader

SKIP_DIRS = {".git", "node_modules", ".venv", "venv", "__pycache__", ".terraform", "vendor", "charts"}
YAML_SUFFIXES = {".yaml", ".yml", ".json"}
MAX_FILE_BYTES = 5 * 1024 * 1024  # larger files are data dumps, not hand-written manifests

# Kinds that exist only at cluster scope (the common ones; unknown kinds are taken as written).
CLUSTER_SCOPED = {
    "Namespace", "Node", "PersistentVolume", "StorageClass", "CustomResourceDefinition", "ClusterRole",
    "ClusterRoleBinding", "ClusterIssuer", "IngressClass", "PriorityClass", "ValidatingWebhookConfiguration",
    "MutatingWebhookConfiguration", "APIService", "CSIDriver", "RuntimeClass", "VolumeSnapshotClass",
}


@dataclass(frozen=True)
class ObjectKey:
    """What identifies an object in a cluster: group, kind, namespace, name."""

    group: str
    kind: str
    namespace: str
    name: str

    def __str__(self) -> str:
        ns = f"{self.namespace}/" if self.namespace else ""
        g = f".{self.group}" if self.group else ""
        return f"{self.kind}{g} {ns}{self.name}"


def group_of(api_version: str) -> str:
    return api_version.split("/", 1)[0] if "/" in api_version else ""


@dataclass
class Manifest:
    """One Kubernetes object found in the repo."""

    path: str  # relative to the repo root
    line: int
    api_version: str
    kind: str
    name: str
    namespace: str
    doc: dict = field(repr=False, compare=False)

    @property
    def key(self) -> ObjectKey:
        return ObjectKey(group_of(self.api_version), self.kind, self.namespace, self.name)

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass
class ScanError:
    path: str
    line: int | None
    message: str

    def __str__(self) -> str:
        loc = f"{self.path}:{self.line}" if self.line else self.path
        return f"{loc}: {self.message}"


@dataclass
class ScanResult:
    manifests: list[Manifest] = field(default_factory=list)
    errors: list[ScanError] = field(default_factory=list)
    other_yaml: list[str] = field(default_factory=list)  # values files, compose, CI, kustomization.yaml …
    kustomizations: list[str] = field(default_factory=list)

    def folders(self) -> dict[str, list[Manifest]]:
        out: dict[str, list[Manifest]] = {}
        for m in self.manifests:
            out.setdefault(str(Path(m.path).parent), []).append(m)
        return out


def iter_yaml_files(root: Path):
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS and not d.startswith(".") or d == ".github")
        for fn in sorted(filenames):
            if Path(fn).suffix in YAML_SUFFIXES:
                yield Path(dirpath) / fn


def load_documents(text: str):
    """Yield (start line, document) for every document; raises yaml.YAMLError with a mark."""
    loader = _Loader(text)
    try:
        while loader.check_node():
            node = loader.get_node()
            yield node.start_mark.line + 1, loader.construct_document(node)
    finally:
        loader.dispose()


def is_k8s_object(doc) -> bool:
    return (isinstance(doc, dict) and isinstance(doc.get("apiVersion"), str) and isinstance(doc.get("kind"), str)
            and isinstance(doc.get("metadata"), dict) and isinstance(doc["metadata"].get("name"), str))


def scan(root: Path) -> ScanResult:
    root = Path(root)
    res = ScanResult()
    for f in iter_yaml_files(root):
        rel = str(f.relative_to(root))
        try:
            if f.stat().st_size > MAX_FILE_BYTES:
                res.other_yaml.append(rel)
                continue
            text = f.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            res.errors.append(ScanError(rel, None, f"cannot be read ({e})"))
            continue
        found: list[Manifest] = []
        try:
            for line, doc in load_documents(text):
                if is_k8s_object(doc):
                    kind = doc["kind"]
                    if kind == "Kustomization" and doc["apiVersion"].startswith("kustomize.config.k8s.io"):
                        res.kustomizations.append(rel)
                        continue
                    ns = doc["metadata"].get("namespace") or ""
                    found.append(Manifest(rel, line, doc["apiVersion"], kind, doc["metadata"]["name"], str(ns), doc))
                elif isinstance(doc, dict) and doc.get("kind") == "Kustomization" or f.name == "kustomization.yaml":
                    res.kustomizations.append(rel)
        except yaml.YAMLError as e:
            mark = getattr(e, "problem_mark", None) or getattr(e, "context_mark", None)
            problem = getattr(e, "problem", None) or str(e).splitlines()[0]
            res.errors.append(ScanError(rel, mark.line + 1 if mark else None,
                                        f"is not valid YAML ({problem}); fix it and scan again"))
            continue
        if found:
            res.manifests.extend(found)
        elif rel not in res.kustomizations:
            res.other_yaml.append(rel)
    return res
