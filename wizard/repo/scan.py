"""Read every YAML/JSON file of a repository and classify what is in it.

Uses PyYAML's C-backed safe loader (fast, no code execution) document by document: one entry per object, with
the line it starts on. Every file gets a class: Kubernetes objects, an existing kustomization, a Helm chart file
(template, values, Chart.yaml), a compose file, a CI workflow, or other YAML. A malformed file (or one with a
duplicate key) is reported with file:line, left untouched, and the scan continues. The same object defined
twice is reported with both locations (`ScanResult.duplicates()`).
"""
from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import yaml

from . import git_files
from .file_classes import (CI, COMPOSE, EMPTY, HELM_CHART, HELM_TEMPLATE, HELM_VALUES, INVALID, K8S,  # noqa: F401
                           KUSTOMIZATION, OTHER, classify_non_object)
from .file_text import MAX_FILE_BYTES, Unreadable, name_problem, outside_link, read_manifest, shown  # noqa: F401 (the scan's names)

try:
    _BaseLoader = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    _BaseLoader = yaml.SafeLoader

SKIP_DIRS = {".git", "node_modules", ".venv", "venv", "__pycache__", ".terraform", "vendor", "charts"}
YAML_SUFFIXES = {".yaml", ".yml", ".json"}
KUSTOMIZATION_NAMES = {"kustomization.yaml", "kustomization.yml", "Kustomization"}

# Kinds that exist only at cluster scope (the common ones; unknown kinds are taken as written).
CLUSTER_SCOPED = {
    "Namespace", "Node", "PersistentVolume", "StorageClass", "CustomResourceDefinition", "ClusterRole",
    "ClusterRoleBinding", "ClusterIssuer", "IngressClass", "PriorityClass", "ValidatingWebhookConfiguration",
    "MutatingWebhookConfiguration", "APIService", "CSIDriver", "RuntimeClass", "VolumeSnapshotClass",
    "ClusterSecretStore", "IPAddressPool", "L2Advertisement",
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

    @property
    def ref(self) -> str:
        """The form `--set duplicate.<Kind>/<ns>/<name>=<path>` uses (ns empty when cluster-scoped)."""
        return f"{self.kind}/{self.namespace}/{self.name}"


def group_of(api_version: str) -> str:
    return api_version.split("/", 1)[0] if "/" in api_version else ""


# Kinds that extensions/v1beta1 served until Kubernetes 1.16/1.22: the API server kept them as the same
# objects as their successors' groups, so a Deployment applied as extensions/v1beta1 is apps' Deployment.
MOVED_FROM_EXTENSIONS = {"Deployment": "apps", "DaemonSet": "apps", "ReplicaSet": "apps", "Ingress": "networking.k8s.io",
                         "NetworkPolicy": "networking.k8s.io", "PodSecurityPolicy": "policy"}


def object_group(api_version: str, kind: str) -> str:
    """The group that identifies the object in the cluster (an old extensions/v1beta1 one: its successor's)."""
    group = group_of(api_version)
    return MOVED_FROM_EXTENSIONS.get(kind, group) if group == "extensions" else group


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
    index: int = 0  # position among the documents of its file

    @property
    def key(self) -> ObjectKey:
        return ObjectKey(object_group(self.api_version, self.kind), self.kind, self.namespace, self.name)

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"

    @property
    def sops_encrypted(self) -> bool:
        return isinstance(self.doc, dict) and isinstance(self.doc.get("sops"), dict)


@dataclass
class ScanError:
    path: str
    line: int | None
    message: str
    kind: str = "yaml"  # yaml | link | read | and file_text.Unreadable's: size | encoding | special
    fix: str = ""  # what to do about it, when it is not "fix the YAML"

    def __str__(self) -> str:
        loc = f"{shown(self.path)}:{self.line}" if self.line else shown(self.path)
        return f"{loc}: {self.message}"


@dataclass
class FileInfo:
    path: str
    cls: str
    objects: int = 0
    sops: bool = False  # some document has a top-level `sops:` key: never rewrite this file
    header: str = ""  # the first line (tells the wizard's generated files apart)


@dataclass
class ScanResult:
    manifests: list[Manifest] = field(default_factory=list)
    errors: list[ScanError] = field(default_factory=list)
    other_yaml: list[str] = field(default_factory=list)  # values files, compose, CI, … (not objects)
    kustomizations: list[str] = field(default_factory=list)
    files: dict[str, FileInfo] = field(default_factory=dict)
    root: Path | None = None

    def folders(self) -> dict[str, list[Manifest]]:
        out: dict[str, list[Manifest]] = {}
        for m in self.manifests:
            out.setdefault(str(PurePosixPath(m.path).parent), []).append(m)
        return out

    def by_class(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for f in self.files.values():
            out.setdefault(f.cls, []).append(f.path)
        return out

    def duplicates(self) -> dict[ObjectKey, list[Manifest]]:
        """Objects defined more than once, with every location (in scan order)."""
        seen: dict[ObjectKey, list[Manifest]] = {}
        for m in self.manifests:
            seen.setdefault(m.key, []).append(m)
        return {k: v for k, v in seen.items() if len(v) > 1}


class DuplicateKeyError(yaml.MarkedYAMLError):
    pass


class _Loader(_BaseLoader):
    """The C safe loader, but a mapping with the same key twice is an error, not last-one-wins."""

    def construct_mapping(self, node, deep=False):
        if isinstance(node, yaml.MappingNode):
            seen = set()
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge" or not isinstance(key_node, yaml.ScalarNode):
                    continue
                if key_node.value in seen:
                    raise DuplicateKeyError("while constructing a mapping", node.start_mark,
                                            f"the key {key_node.value!r} appears twice", key_node.start_mark)
                seen.add(key_node.value)
        return super().construct_mapping(node, deep=deep)


_Loader.add_constructor("tag:yaml.org,2002:map", _Loader.construct_yaml_map)


def iter_yaml_files(root: Path, charts: set[str] | None = None, nested: list[Path] | None = None):
    """Every .yaml/.yml/.json file (and every file under a Helm chart) below `root`, sorted.

    `charts` is filled with the chart directories (those holding a Chart.yaml), `nested` with the
    submodules and other repositories inside this one (never walked: not this repository's files)."""
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS and not d.startswith(".") or d == ".github")
        inner = [d for d in dirnames if git_files.is_nested_repo(Path(dirpath) / d)]
        dirnames[:] = [d for d in dirnames if d not in inner]
        if nested is not None:
            nested += [Path(dirpath) / d for d in inner]
        if charts is not None and "Chart.yaml" in filenames:
            charts.add(str(PurePosixPath(Path(dirpath).relative_to(root).as_posix())))
        for fn in sorted(filenames):
            if Path(fn).suffix in YAML_SUFFIXES or fn == "Kustomization":
                yield Path(dirpath) / fn


# A document whose aliases expand it past this many nodes is refused (CVE-2019-11253, "billion
# laughs"): real manifests stay far below (a 5 MiB file has well under a million nodes).
MAX_EXPANDED_NODES = 2_000_000


class AliasBomb(yaml.MarkedYAMLError):
    pass


def _expanded_size(node, limit: int) -> int:
    """Nodes the document has once every alias is expanded; counted over the composed graph (aliases
    are shared nodes there), so a bomb is found in milliseconds, before anything walks it."""
    memo: dict[int, int] = {}
    order, stack = [], [node]
    while stack:  # iterative post-order: deep documents must not hit Python's recursion limit
        n = stack.pop()
        if id(n) in memo:
            continue
        memo[id(n)] = -1
        order.append(n)
        if isinstance(n, yaml.SequenceNode):
            stack.extend(n.value)
        elif isinstance(n, yaml.MappingNode):
            for k, v in n.value:
                stack.extend((k, v))
    for n in reversed(order):
        if isinstance(n, yaml.SequenceNode):
            children = n.value
        elif isinstance(n, yaml.MappingNode):
            children = [x for kv in n.value for x in kv]
        else:
            children = []
        total = 1 + sum(memo[id(c)] if memo[id(c)] > 0 else 1 for c in children)
        memo[id(n)] = min(total, limit + 1)
    return memo[id(node)]


# Where an alias (`*name`) can stand: at the start of a node, after indentation, `- `, `: `, `? `, `[`, `{` or
# `,`. A '*' inside a quoted or plain scalar ("*.example.com", verbs: ["*"], `a*b`) is none.
_ALIAS = re.compile(r"(?:^|[\s\[{,])\*[^\s,\[\]{}]", re.MULTILINE)


def load_documents(text: str):
    """Yield (start line, document) for every document; raises yaml.YAMLError with a mark
    (AliasBomb for a document whose aliases expand it past MAX_EXPANDED_NODES)."""
    loader = _Loader(text)
    # Only a text that may hold an alias can expand: the walk below is skipped for the rest (RBAC rules and
    # host names are full of '*' that is no alias). A false alarm only costs the walk.
    aliases = "*" in text and _ALIAS.search(text) is not None
    try:
        while loader.check_node():
            node = loader.get_node()
            if aliases and _expanded_size(node, MAX_EXPANDED_NODES) > MAX_EXPANDED_NODES:
                raise AliasBomb("while reading a document", node.start_mark,
                                f"its aliases expand it past {MAX_EXPANDED_NODES:,} nodes (a YAML alias bomb?); "
                                "refused", node.start_mark)
            yield node.start_mark.line + 1, loader.construct_document(node)
    finally:
        loader.dispose()


def is_k8s_object(doc) -> bool:
    return (isinstance(doc, dict) and isinstance(doc.get("apiVersion"), str) and isinstance(doc.get("kind"), str)
            and isinstance(doc.get("metadata"), dict) and isinstance(doc["metadata"].get("name"), str))


def is_list(doc) -> bool:
    """`kind: List` (or FooList) with items, as `kubectl get -o yaml` writes and `kubectl apply` reads."""
    return (isinstance(doc, dict) and isinstance(doc.get("kind"), str) and doc["kind"].endswith("List")
            and isinstance(doc.get("items"), list) and isinstance(doc.get("apiVersion"), str))


def is_kustomization_doc(doc) -> bool:
    return (isinstance(doc, dict) and doc.get("kind") in ("Kustomization", "Component")
            and str(doc.get("apiVersion", "")).startswith("kustomize.config.k8s.io"))


def _in_chart(rel: str, charts: set[str]) -> str | None:
    p = PurePosixPath(rel)
    for parent in p.parents:
        if str(parent) in charts:
            return str(parent)
    return None


def scan(root: Path) -> ScanResult:
    root = Path(root)
    res = ScanResult(root=root)
    charts: set[str] = set()
    nested: list[Path] = []
    found = list(iter_yaml_files(root, charts, nested))
    ignored = git_files.ignored(root, [f.relative_to(root).as_posix() for f in found])
    for d in nested:
        note = git_files.nested_repo_note(root, d)
        if note:
            res.errors.append(ScanError(d.relative_to(root).as_posix(), None, note, "submodule"))
    for f in found:
        rel = f.relative_to(root).as_posix()
        if rel in ignored:  # in no commit: Flux never sees it, and it is not part of any plan
            res.errors.append(ScanError(rel, None, git_files.ignored_note(ignored[rel]), "ignored"))
            continue
        if _in_chart(rel, charts) is not None:
            # Files of a Helm chart are rendered by Helm, never applied as they are (and
            # templates are not YAML until rendered): classify without parsing them.
            _add_chart_file(res, rel)
            continue
        text = _read(res, root, f, rel)
        if text is not None:
            _add_parsed(res, rel, text)
    return res


def _add_chart_file(res: ScanResult, rel: str) -> None:
    name = PurePosixPath(rel).name
    cls = HELM_CHART if name in ("Chart.yaml", "Chart.lock") else (
        HELM_VALUES if name.startswith("values") else HELM_TEMPLATE)
    res.files[rel] = FileInfo(rel, cls)
    res.other_yaml.append(rel)


def _read(res: ScanResult, root: Path, f: Path, rel: str) -> str | None:
    """The file's text; None for a file that is not read (recorded in `res`: an error, or a data dump)."""
    if outside_link(root, f):
        res.errors.append(ScanError(rel, None, f"is a symlink to {os.readlink(f)}, outside the repository; it was "
                                               "left untouched and out of every Flux path (copy the file into the "
                                               "repository if Flux should apply it)", "link"))
        res.files[rel] = FileInfo(rel, INVALID)
        return None
    try:
        bad_name = name_problem(rel)
        if bad_name is not None:
            raise bad_name
        text = read_manifest(f)
        if not text.startswith(git_files.LFS_POINTER):
            return text
        res.errors.append(ScanError(rel, None, git_files.LFS_NOTE, "lfs", git_files.LFS_FIX))
    except Unreadable as e:
        res.errors.append(ScanError(rel, e.line, e.reason, e.kind, e.fix))
    except OSError as e:
        res.errors.append(ScanError(rel, None, f"cannot be read ({e.strerror or e}); it was left untouched", "read"))
    res.files[rel] = FileInfo(rel, INVALID)
    return None


def _add_parsed(res: ScanResult, rel: str, text: str) -> None:
    """Record a file by what its documents hold; an invalid file adds nothing of itself, only its error."""
    try:
        found, docs, is_kust, sops = _parse(rel, text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None) or getattr(e, "context_mark", None)
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        res.errors.append(ScanError(rel, mark.line + 1 if mark else None,
                                    f"is not valid YAML ({problem}); it was left untouched: fix it and scan again"))
        res.files[rel] = FileInfo(rel, INVALID)
        return
    if is_kust:
        res.kustomizations.append(rel)
        res.files[rel] = FileInfo(rel, KUSTOMIZATION, sops=sops, header=text.split("\n", 1)[0])
    elif found:
        res.manifests.extend(found)
        res.files[rel] = FileInfo(rel, K8S, len(found), sops)
    else:
        res.other_yaml.append(rel)
        res.files[rel] = FileInfo(rel, classify_non_object(rel, docs), sops=sops)


@functools.lru_cache(maxsize=4096)
def documents(text: str) -> tuple[tuple[int, object], ...]:
    """load_documents(text), parsed once per process: a command reads each file for its scans (plan, proof,
    verify) and for the secrets finder. Only ever read: never change what it returns. Raises yaml.YAMLError."""
    return tuple(load_documents(text))


@functools.lru_cache(maxsize=4096)  # a command scans several times (plan, proof, verify): parse each text once
def _parse(rel: str, text: str) -> tuple[list[Manifest], list, bool, bool]:
    """(objects, documents, is a kustomization, has a sops: key) of a file, only ever read; raises yaml.YAMLError."""
    found: list[Manifest] = []
    docs: list = []
    is_kust = PurePosixPath(rel).name in KUSTOMIZATION_NAMES
    sops = False
    for index, (line, doc) in enumerate(documents(text)):
        docs.append(doc)
        if isinstance(doc, dict) and isinstance(doc.get("sops"), dict):
            sops = True
        if is_kustomization_doc(doc):
            is_kust = True
        else:
            found += _objects_of(rel, line, doc, index)
    return found, docs, is_kust, sops


def _objects_of(rel: str, line: int, doc, index: int) -> list[Manifest]:
    if is_list(doc):
        # kubectl applies a List's items one by one: each is an object of this file.
        return [Manifest(rel, line, item["apiVersion"], item["kind"], item["metadata"]["name"],
                         str(item["metadata"].get("namespace") or ""), item, index)
                for item in doc["items"] if is_k8s_object(item)]
    if is_k8s_object(doc):
        ns = doc["metadata"].get("namespace") or ""
        return [Manifest(rel, line, doc["apiVersion"], doc["kind"], doc["metadata"]["name"], str(ns), doc, index)]
    return []
