"""Checks of Phase 2: kustomize builds, object sets, Flux schemas, plaintext Secrets, server dry-run.

- `build()` runs `kubectl kustomize` (through the runner) and returns the object keys it renders.
- `validate_schema()` checks a manifest against the openAPI schema of the Flux CRD shipped in
  assets/flux-schemas (extracted from kustomize-controller and source-controller v1.9.4): types,
  required fields, enums, patterns, and unknown fields (the API server would drop them silently).
  It lives in wizard.repo.schema and stays importable from here.
- `server_dry_run()` sends a rendered path to the API server as kustomize-controller applies it (server-side,
  its field manager, no default namespace); kinds
  whose API is not served yet (a CRD not installed) are reported as ordering questions.
- `target_namespace_problems()` / `namespace_field_problems()`: a Flux Kustomization's
  `spec.targetNamespace` (which kustomize-controller implements as kustomize's `namespace:` field)
  and a kustomization.yaml's `namespace:` rename every Namespace object they build to that name
  (pitfall B.3, flux2#4570: deleting such a Kustomization deleted flux-system). Both render with
  `kubectl kustomize` and name the file:line of the Kustomization and of the Namespace manifests.
"""
from __future__ import annotations

import os
import re
import tempfile
from collections import Counter
from pathlib import Path

import yaml

from ..runner import ToolError
from ..tools.kubectl import Kubectl
from . import render_cache
from .scan import (CLUSTER_SCOPED, KUSTOMIZATION_NAMES, Manifest, ObjectKey, ScanResult, group_of, is_k8s_object,
                   object_group)
# The Flux schema checks live in wizard.repo.schema, the dry-run in wizard.repo.dry_run; their names stay
# importable from here.
from .dry_run import FIELD_MANAGER, served_kinds, server_dry_run  # noqa: F401
from .schema import CURRENT_API, NOTIFICATION_API, SCHEMA_FILES, current_api_version, load_schema, validate_schema

__all__ = ["B3_FIX", "BuildFailed", "CURRENT_API", "FLUX_KS_GROUP", "NOTIFICATION_API", "NS_FIELD_FIX", "ORIGIN",
           "SCHEMA_FILES", "build", "build_with_origin", "compare", "current_api_version", "exists_dir", "key_of",
           "keystr", "load_schema", "multiset", "namespace_field_problems", "namespaceless", "parse_keystr",
           "plaintext_secrets", "served_kinds", "server_dry_run", "target_namespace_problems", "validate_schema"]

_SAFE = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def key_of(doc: dict) -> ObjectKey:
    md = doc.get("metadata") or {}
    return ObjectKey(object_group(doc["apiVersion"], doc["kind"]), doc["kind"], str(md.get("namespace") or ""),
                     md["name"])


def keystr(k: ObjectKey) -> str:
    return f"{k.group}/{k.kind}/{k.namespace}/{k.name}"


def parse_keystr(s: str) -> ObjectKey:
    g, kind, ns, name = s.split("/", 3)
    return ObjectKey(g, kind, ns, name)


class _OverlayFailed(Exception):
    """The throw-away overlay of build_with_origin did not build."""


class BuildFailed(Exception):
    def __init__(self, path: str, message: str):
        super().__init__(f"'kubectl kustomize {path}' failed: {message}")
        self.path = path


def build(session, path: str) -> list[dict]:
    """The documents `kubectl kustomize <path>` renders (no cluster needed; remembered by the content
    of what the build reads, wizard.repo.render_cache)."""
    k = Kubectl(session.runner)

    def produce():
        try:
            res = k.run("kustomize", str(session.repo / path), timeout=300, log_output=False)
        except ToolError as e:
            msg = str(e).split(": ", 1)[-1]
            raise BuildFailed(path, msg.replace(str(session.repo) + "/", "")) from None
        return {"text": res.stdout}, _objects(res.stdout)

    payload, docs = render_cache.remembered(session, "plain", path, session.repo / path, produce)
    return docs if docs is not None else _objects(payload["text"])


def _objects(text: str) -> list[dict]:
    return [d for d in yaml.load_all(text, Loader=_SAFE) if is_k8s_object(d)]


def multiset(keys) -> Counter:
    return Counter(keystr(k) for k in keys)


def compare(before: Counter, after: Counter) -> tuple[list[str], list[str], list[str]]:
    """(lost, added, duplicated) between two object multisets."""
    lost = sorted(k for k in before if after[k] == 0)
    added = sorted(k for k in after if before[k] == 0)
    dup = sorted(k for k in after if after[k] > max(1, before[k]))
    return lost, added, dup


# -- plaintext Secrets, lint -------------------------------------------------------------------
def plaintext_secrets(manifests: list[Manifest]) -> list[Manifest]:
    """Secrets with non-empty data/stringData that are not SOPS-encrypted (the one detector: wizard.secrets)."""
    from ..secrets.detect import plaintext_secrets as detect

    return detect(manifests)


def namespaceless(docs_or_manifests) -> list[str]:
    """Namespaced objects without metadata.namespace (they relied on `kubectl -n`)."""
    out = []
    for m in docs_or_manifests:
        if isinstance(m, Manifest):
            if not m.namespace and m.kind not in CLUSTER_SCOPED and m.kind != "CustomResourceDefinition":
                out.append(f"{m.kind} {m.name} ({m.where})")
    return out


# -- namespace rewriting: Flux targetNamespace and kustomize namespace: (pitfall B.3) ----------------------
ORIGIN = "config.kubernetes.io/origin"
FLUX_KS_GROUP = "kustomize.toolkit.fluxcd.io"
B3_FIX = ("drop targetNamespace and set metadata.namespace in the manifests, or move the Namespace objects to "
          "another Kustomization that sets no targetNamespace")
NS_FIELD_FIX = ("drop the namespace: field and set metadata.namespace in the manifests, or move the Namespace "
                "manifest to a folder whose kustomization sets no namespace: (or the same name)")


def build_with_origin(session, path: str) -> list[tuple[dict, str | None]]:
    """Like build(), each document with the repo file it came from (kustomize's originAnnotations).

    The folder is built through a throw-away overlay outside the work tree (`buildMetadata:
    [originAnnotations]`, nothing else), so the repository is never written to."""
    def produce():
        repo = os.path.normpath(str(session.repo))
        with tempfile.TemporaryDirectory(prefix="homelab-wizard-origin-") as tmp:
            body = {"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization",
                    "resources": [os.path.relpath(os.path.join(repo, path), tmp)],
                    "buildMetadata": ["originAnnotations"]}
            with open(os.path.join(tmp, "kustomization.yaml"), "w") as fh:
                yaml.safe_dump(body, fh)
            try:
                res = Kubectl(session.runner).run("kustomize", tmp, timeout=300, log_output=False)
            except ToolError:
                raise _OverlayFailed() from None
        # The origins are relative to the overlay that is gone now: kept with the paths they are relative to.
        payload = {"text": res.stdout, "overlay": tmp, "repo": repo}
        return payload, list(yaml.load_all(res.stdout, Loader=_SAFE))

    try:
        payload, docs = render_cache.remembered(session, "origin", path, session.repo / path, produce)
    except _OverlayFailed:
        # The same failure with the repo's own paths in the message (or, should only the overlay
        # fail, the documents without their origin).
        return [(d, None) for d in build(session, path)]
    if docs is None:
        docs = list(yaml.load_all(payload["text"], Loader=_SAFE))
    tmp, repo = payload["overlay"], payload["repo"]
    out = []
    for d in docs:
        if not is_k8s_object(d):
            continue
        ann = d["metadata"].get("annotations") or {}
        origin = None
        if ORIGIN in ann:
            try:
                o = yaml.safe_load(ann.pop(ORIGIN)) or {}
            except yaml.YAMLError:
                o = {}
            if isinstance(o, dict) and isinstance(o.get("path"), str):
                full = os.path.normpath(os.path.join(tmp, o["path"]))
                origin = os.path.relpath(full, repo).replace("\\", "/")
            if not ann:
                d["metadata"].pop("annotations", None)
        out.append((d, origin))
    return out


def source_manifest(manifests: list[Manifest], kind: str, name: str, origin: str | None,
            namespace: str | None = None) -> Manifest | None:
    """The repo manifest a rendered object came from (same file; same name, else the only one of its kind)."""
    same_file = [m for m in manifests if m.path == origin and m.kind == kind]
    for m in same_file:
        if m.name == name and (namespace is None or m.namespace in (namespace, "")):
            return m
    return same_file[0] if len(same_file) == 1 else None


def _flux_render(session, path: str, manifests: list[Manifest]) -> list[tuple[dict, str | None]]:
    """What a Flux Kustomization's path holds: the kustomize build, or (no kustomization file there,
    so kustomize-controller generates one over every manifest below it) the scanned manifests."""
    if any((session.repo / path / k).is_file() for k in KUSTOMIZATION_NAMES):
        return build_with_origin(session, path)
    below = [m for m in manifests if path in ("", ".") or m.path.startswith(path.rstrip("/") + "/")]
    return [(m.doc, m.path) for m in below]


def _flux_kustomizations(scan_result: ScanResult, cluster: str) -> list[Manifest]:
    """Flux Kustomizations in clusters/<cluster>/ and in the folders the wizard organises."""
    return [m for m in scan_result.manifests
            if m.kind == "Kustomization" and group_of(m.api_version) == FLUX_KS_GROUP
            and (m.path.startswith(f"clusters/{cluster}/") or not m.path.startswith("clusters/"))]


def _git_path(session, spec: dict) -> tuple[str, str] | None:
    """(path as written, repo folder) of a Flux Kustomization rendered from this repository, or None."""
    ref = spec.get("sourceRef") if isinstance(spec.get("sourceRef"), dict) else {}
    if ref.get("kind", "GitRepository") != "GitRepository":
        return None  # an OCI artifact or bucket: not rendered from this repository
    raw = str(spec.get("path") or "./")
    path = raw.removeprefix("./").strip("/") or "."
    if "\\" in path or ".." in path.split("/") or not (session.repo / path).is_dir():
        return None  # a path outside this repo (or missing: reported by the path check)
    return raw, path


def _where(manifests: list[Manifest], kind: str, name: str, origin: str | None, namespace: str | None = None) -> str:
    src = source_manifest(manifests, kind, name, origin, namespace)
    return src.where if src else (origin or "?")


def _retargeted(manifests: list[Manifest], docs: list[tuple[dict, str | None]],
                target: str) -> tuple[list[str], list[str]]:
    """(Namespace objects targetNamespace renames, namespaced objects it moves out of their namespace)."""
    namespaces, moved = [], []
    for d, origin in docs:
        md = d["metadata"]
        if d["kind"] == "Namespace":
            what = "renamed to " + target if md["name"] != target else "already named so"
            namespaces.append(f"Namespace {md['name']} ({_where(manifests, 'Namespace', md['name'], origin)}; {what})")
        elif d["kind"] not in CLUSTER_SCOPED and d["kind"] != "CustomResourceDefinition" \
                and md.get("namespace") and md["namespace"] != target:
            where = _where(manifests, d["kind"], md["name"], origin, md["namespace"])
            moved.append(f"{d['kind']} {md['namespace']}/{md['name']} ({where})")
    return namespaces, moved


def _renames_message(head: str, ks: Manifest, target: str, namespaces: list[str]) -> str:
    return (f"{head} renders Namespace objects: {', '.join(namespaces)}. Flux sets the namespace of "
            f"everything at that path, Namespace names included, so the Kustomization would own (and on "
            f"prune or deletion delete) the namespace {target} with everything in it (pitfall B.3, "
            f"flux2#4570): {B3_FIX}"
            + (" (e.g. infra-controllers, where the wizard puts them)" if ks.name != "infra-controllers" else ""))


def _moves_message(head: str, target: str, moved: list[str]) -> str:
    return (f"{head} moves {len(moved)} object(s) out of the namespace their manifests name into {target}: "
            f"{', '.join(moved[:10])}{' …' if len(moved) > 10 else ''}. Drop targetNamespace and keep "
            "metadata.namespace in the manifests, or move those objects to another Kustomization that sets "
            "no targetNamespace")


def target_namespace_problems(session, scan_result: ScanResult, cluster: str) -> list[str]:
    """Flux Kustomizations whose spec.targetNamespace would rename Namespace objects or move objects
    out of the namespace their manifests name (pitfall B.3). One message per finding."""
    out = []
    for ks in _flux_kustomizations(scan_result, cluster):
        spec = ks.doc.get("spec") if isinstance(ks.doc.get("spec"), dict) else {}
        target = spec.get("targetNamespace")
        if not isinstance(target, str) or not target:
            continue
        paths = _git_path(session, spec)
        if paths is None:
            continue
        raw, path = paths
        head = (f"{ks.where}: Flux Kustomization {ks.name} sets targetNamespace: {target} over {raw}, "
                "which")
        try:
            docs = _flux_render(session, path, scan_result.manifests)
        except BuildFailed as e:
            out.append(f"{head} does not build, so its Namespace objects cannot be checked: {e}")
            continue
        namespaces, moved = _retargeted(scan_result.manifests, docs, target)
        if namespaces:
            out.append(_renames_message(head, ks, target, namespaces))
        if moved:
            out.append(_moves_message(head, target, moved))
    return out


def _field_line(text: str, key: str) -> int:
    for i, line in enumerate(text.splitlines(), 1):
        if re.match(rf"{key}\s*:", line):
            return i
    return 1


def _namespace_field(session, scan_result: ScanResult, kf: str) -> tuple[str, str] | None:
    """(text, namespace) of a kustomization file that sets a `namespace:`, or None."""
    info = scan_result.files.get(kf)
    if info is None or info.sops:
        return None
    try:
        text = (session.repo / kf).read_text()
        doc = yaml.load(text, Loader=_SAFE)
    except (OSError, yaml.YAMLError):
        return None  # unreadable files are reported by the scan
    if not isinstance(doc, dict) or not isinstance(doc.get("namespace"), str) or not doc["namespace"]:
        return None
    return text, doc["namespace"]


def _collision(scan_result: ScanResult, folder: str, head: str, target: str, e: BuildFailed) -> str | None:
    """The message for a folder that does not build because its Namespaces collide once renamed, or None
    (other build failures are reported by the build check)."""
    if "namespace transformation produces ID conflict" not in str(e):
        return None
    names = sorted(set(re.findall(r'previousNames\\?":\\?"([^"\\]+)', str(e))))
    below = [f"Namespace {m.name} ({m.where})" for m in scan_result.manifests if m.kind == "Namespace"
             and (folder == "." or m.path.startswith(folder + "/"))]
    return (f"{head} renames every Namespace object it builds "
            f"({', '.join(below or names) or 'more than one'}) to {target}, so they collide and the "
            f"folder does not build (pitfall B.3): {NS_FIELD_FIX}")


def _renamed(manifests: list[Manifest], docs: list[tuple[dict, str | None]]) -> list[str]:
    """Namespace manifests whose built object no longer carries their name."""
    renamed = []
    for d, origin in docs:
        if d["kind"] != "Namespace":
            continue
        in_file = [m for m in manifests if m.path == origin and m.kind == "Namespace"]
        if any(m.name == d["metadata"]["name"] for m in in_file):
            continue
        renamed += [f"Namespace {m.name} ({m.where})" for m in in_file] or [f"a Namespace from {origin or '?'}"]
    return renamed


def namespace_field_problems(session, scan_result: ScanResult, kfiles: list[str] | None = None) -> list[str]:
    """kustomization.yaml files whose `namespace:` renames a Namespace object (kustomize sets the name of
    every Namespace it builds to that field, exactly as Flux's targetNamespace does). A Namespace that
    already has that name is the usual `namespace: x` + Namespace x idiom and is left alone."""
    out = []
    for kf in scan_result.kustomizations if kfiles is None else kfiles:
        found = _namespace_field(session, scan_result, kf)
        if found is None:
            continue
        text, target = found
        folder = str(os.path.dirname(kf)) or "."
        head = f"{kf}:{_field_line(text, 'namespace')}: namespace: {target}"
        try:
            docs = build_with_origin(session, folder)
        except BuildFailed as e:
            collision = _collision(scan_result, folder, head, target, e)
            if collision:
                out.append(collision)
            continue
        renamed = _renamed(scan_result.manifests, docs)
        if renamed:
            out.append(f"{head} renames {', '.join(renamed)} to {target} (kustomize sets the name of every Namespace "
                       f"object it builds to this field, as Flux's targetNamespace does; pitfall B.3): {NS_FIELD_FIX}")
    return out


def exists_dir(repo: Path, path: str) -> bool:
    return (repo / path).is_dir()
