"""Apply a repo to a cluster by hand, the way its owner did before GitOps.

This is the "before" state of the live layer, written without the wizard's own scanner (the
wizard must not decide what the cluster it migrates looks like):
- each kustomize root (a folder with a kustomization that no other kustomization lists) with
  `kubectl apply -k`; of a component's `overlays/<env>/`, only the one environment the owner runs;
- every other file of manifests with `kubectl apply -f`, all files in one command (kubectl goes on past
  a file that fails to parse, as when the owner applied them one by one);
- the namespaces those objects use and nothing defines, with `kubectl create namespace` first;
- everything twice, so a custom resource applied before its CRD was Established lands the second
  time, as it does when the owner re-runs the command. What the cluster refuses (a kind the testbed
  does not serve, a remote base, an invalid Secret) stays refused, as it did for the owner.
"""
from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import yaml

KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
MANIFEST_SUFFIXES = (".yaml", ".yml")


@dataclass
class OwnerApply:
    """What applying by hand did: each command with its exit code (errors are expected, not fatal)."""

    commands: list[tuple[str, int]] = field(default_factory=list)
    created_namespaces: list[str] = field(default_factory=list)

    @property
    def failed(self) -> list[str]:
        return [c for c, rc in self.commands if rc != 0]


def _docs(path: Path) -> list[dict]:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    if "{{" in text:  # a Helm or helmfile template: the owner never applied it with kubectl
        return []
    try:
        return [d for d in yaml.safe_load_all(text) if isinstance(d, dict)]
    except yaml.YAMLError:
        return []


def _is_object(d: dict) -> bool:
    meta = d.get("metadata")
    return isinstance(d.get("apiVersion"), str) and isinstance(d.get("kind"), str) and isinstance(meta, dict) \
        and bool(meta.get("name"))


def _kustomization_dirs(repo: Path) -> dict[Path, dict]:
    out = {}
    for name in KUSTOMIZATION_FILES:
        for f in repo.rglob(name):
            if ".git" in f.relative_to(repo).parts:
                continue
            docs = _docs(f) or [{}]
            out[f.parent] = docs[0]
    return out


def _listed(kdir: Path, k: dict) -> list[Path]:
    """The local paths a kustomization lists (resources, bases, components, patches by file)."""
    out = []
    for key in ("resources", "bases", "components"):
        for entry in k.get(key) or []:
            if isinstance(entry, str) and "://" not in entry and not entry.startswith(("github.com/", "git@")):
                out.append((kdir / entry).resolve())
    for key in ("patchesStrategicMerge", "patches", "patchesJson6902", "configurations", "crds"):
        for entry in k.get(key) or []:
            p = entry.get("path") if isinstance(entry, dict) else entry
            if isinstance(p, str):
                out.append((kdir / p).resolve())
    return out


def kustomize_roots(repo: Path, environment: dict[str, str] | str | None = None) -> list[Path]:
    """Folders the owner ran `kubectl apply -k` on: roots only, one overlay per component."""
    kdirs = _kustomization_dirs(repo)
    listed = {p for d, k in kdirs.items() for p in _listed(d, k)}
    roots = [d for d in kdirs if d.resolve() not in listed]
    by_component: dict[Path, list[Path]] = {}
    plain = []
    for d in roots:
        parts = d.relative_to(repo).parts
        if len(parts) >= 2 and parts[-2] == "overlays":
            by_component.setdefault(d.parent.parent, []).append(d)
        else:
            plain.append(d)
    for comp, overlays in by_component.items():
        want = environment.get(str(comp.relative_to(repo))) if isinstance(environment, dict) else environment
        if isinstance(environment, dict) and want is None:
            want = environment.get("")
        chosen = [o for o in overlays if o.name == want] or sorted(overlays)[:1]
        plain.extend(chosen)
    # A component's base is applied through its overlay (master-bogdan's Makefile: the overlay of
    # $(ENV) when there is one, else the base), even when the overlay builds it remotely (helmCharts).
    plain = [d for d in plain if not (d.name == "base" and d.parent in by_component)]
    return sorted(plain)


def manifest_files(repo: Path) -> list[Path]:
    """Files of plain manifests: outside every kustomize tree (those are applied with -k)."""
    kdirs = _kustomization_dirs(repo)
    in_trees = set(kdirs) | {p for d, k in kdirs.items() for p in _listed(d, k)}
    out = []
    for f in sorted(repo.rglob("*")):
        rel = f.relative_to(repo)
        if ".git" in rel.parts or f.suffix not in MANIFEST_SUFFIXES or not f.is_file():
            continue
        if f.name in KUSTOMIZATION_FILES or f.resolve() in in_trees:
            continue
        if any(parent in in_trees or parent.resolve() in in_trees for parent in f.parents):
            continue
        if any(_is_object(d) for d in _docs(f)):
            out.append(f)
    return out


def _namespaces(objs: list[dict]) -> tuple[set[str], set[str]]:
    used, defined = set(), set()
    for d in objs:
        if d.get("kind") == "Namespace":
            defined.add(d["metadata"]["name"])
        ns = (d.get("metadata") or {}).get("namespace")
        if isinstance(ns, str) and ns:
            used.add(ns)
    return used, defined


def apply_as_owner(repo: Path, env: dict, environment: dict[str, str] | str | None = None,
                   timeout: float = 120) -> OwnerApply:
    """Apply `repo` to the cluster of `env` (its KUBECONFIG) as the owner did; returns what ran."""
    result = OwnerApply()
    roots = kustomize_roots(repo, environment)
    files = manifest_files(repo)

    def kubectl(*args: str) -> subprocess.CompletedProcess:
        res = subprocess.run(["kubectl", *args], env=env, capture_output=True, text=True, timeout=timeout)
        return res

    rendered: list[dict] = []
    for root in roots:
        res = kubectl("kustomize", str(root))
        if res.returncode == 0:
            rendered.extend(d for d in yaml.safe_load_all(res.stdout) if isinstance(d, dict))
    objs = rendered + [d for f in files for d in _docs(f) if _is_object(d)]
    used, defined = _namespaces(objs)
    for ns in sorted(used - defined - {"default", "kube-system", "kube-public", "kube-node-lease"}):
        if kubectl("create", "namespace", ns).returncode == 0:
            result.created_namespaces.append(ns)
    for attempt in range(2):
        for root in roots:
            res = kubectl("apply", "-k", str(root))
            if attempt:
                result.commands.append((f"kubectl apply -k {root.relative_to(repo)}", res.returncode))
        if not files:
            continue
        # One command for all the files: kubectl goes on past a file that does not parse or an object the
        # server refuses (its message names the file), as the owner's `kubectl apply -f` of each one did.
        res = kubectl("apply", *[a for f in files for a in ("-f", str(f))])
        if attempt:
            for f in files:
                said = f'"{f}"' in res.stderr or f"parsing {f}:" in res.stderr
                result.commands.append((f"kubectl apply -f {f.relative_to(repo)}", 1 if said else 0))
    return result
