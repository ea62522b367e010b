"""The layout's data: units (folders that move and build as one), duplicates, the target layout.

Also the names every part of the layout shares: the roles and tiers, the folder naming rule
(`slug`), what the wizard organises (`in_scope`) and where a moved folder came from
(`original_folder`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from os.path import relpath as _relpath
from pathlib import PurePosixPath

from .scan import Manifest, ObjectKey

STATEFUL_KINDS = ("Namespace", "PersistentVolumeClaim", "StatefulSet")
CANARY_FILE = "homelab-wizard-drift-canary.yaml"  # canary.FILE (canary.py imports this module)
GENERIC_NAMES = {"k8s", "kubernetes", "manifests", "deploy", "deployment", "kube", "manifest"}

INFRA, APPS, EXCLUDE = "infrastructure", "apps", "exclude"
CONTROLLERS, CONFIGS, SOURCES = "controllers", "configs", "sources"


def slug(name: str) -> str:
    """Lowercase with hyphens, the seed's folder naming rule (cert_manager -> cert-manager)."""
    s = re.sub(r"[^a-z0-9-]+", "-", name.lower()).strip("-")
    return re.sub(r"-{2,}", "-", s) or "unnamed"


@dataclass
class Unit:
    path: str  # folder, as it is now ("." for the repo root)
    files: list[str]  # manifest files of the unit (relative to the repo)
    manifests: list[Manifest] = field(repr=False)
    kustomization: str | None = None  # an existing kustomization file in the folder
    origin: str = ""  # the folder before the wizard moved it
    role: str = APPS
    tier: str = ""
    reason: str = ""
    target: str = ""  # the folder it belongs in under the chosen option
    provides: set[str] = field(default_factory=set)  # API groups whose CRDs this unit installs
    consumes: set[str] = field(default_factory=set)  # API groups of custom resources it holds
    entry: str = "."  # what gets built, relative to `path` (the chosen overlay of a kustomize tree)
    tree: bool = False  # the owner's own kustomize tree (moves whole; its render is the reference)
    closure: list[str] = field(default_factory=list)  # folders a kustomize tree builds from
    problems: list = field(default_factory=list)  # kustomize.Problem: why it cannot be built offline
    env: str = ""  # the environment chosen among its alternatives
    carried: bool = False  # inside a kustomize tree that moves as a whole: it moves along
    pinned: bool = False  # listed by the owner's own aggregating kustomization: it stays where that one finds it
    rendered: list[Manifest] | None = field(default=None, repr=False)  # a tree's objects after kustomize's transforms

    @property
    def objects(self) -> list[Manifest]:
        """The objects the unit applies: a tree's render (names and namespaces as kustomize sets them), or its files'."""
        return self.rendered if self.rendered is not None else self.manifests

    @property
    def build_path(self) -> str:
        """The folder `kubectl kustomize` builds for this unit, where the unit is now."""
        return self.path if self.entry in ("", ".") else f"{self.path}/{self.entry}"

    @property
    def target_entry(self) -> str:
        """The same folder once the unit is at its target."""
        return self.target if self.entry in ("", ".") else f"{self.target}/{self.entry}"

    @property
    def kinds(self) -> list[str]:
        return sorted({m.kind for m in self.manifests})

    @property
    def name(self) -> str:
        p = PurePosixPath(self.origin or self.path)
        name = p.name
        if name.lower() in GENERIC_NAMES and p.parent.name:
            name = p.parent.name
        if name in (".", ""):
            return "repo-root"
        if name.lower() in ("base", "common", "core"):
            name = "namespaces" if set(self.kinds) == {"Namespace"} else f"{slug(p.parent.name or 'repo')}-common"
        return slug(name)


@dataclass
class Duplicate:
    key: ObjectKey
    places: list[Manifest]
    chosen: str | None  # the place (path:line) the user chose to keep
    auto: str = ""  # why the wizard settled it itself (identical copies; one folder's apply order)

    def describe(self) -> str:
        return f"{self.key} is defined in {' and in '.join(m.where for m in self.places)}"


@dataclass
class Layout:
    option: str
    cluster: str
    units: list[Unit]
    duplicates: list[Duplicate]
    excluded_files: set[str]  # manifest files left out of every kustomization (dropped duplicates)
    warnings: list[str] = field(default_factory=list)
    left_out: list[str] = field(default_factory=list)  # what no Flux path will include, and why
    needs: list = field(default_factory=list)  # checklist.Question: answers needed before anything changes
    blocks: list[str] = field(default_factory=list)  # why, with file:line, for each entry of `needs`
    dropped_docs: dict[str, list[int]] = field(default_factory=dict)  # file -> document indexes to remove
    direct: dict[str, str] = field(default_factory=dict)  # tier -> the one unit's folder Flux points at directly
    owner_kdirs: set[str] = field(default_factory=set)  # folders with the owner's own kustomization file
    root: object = None  # the repository folder (Path), to avoid moving into folders that exist
    aggregators: dict[str, str] = field(default_factory=dict)  # tier/apps -> folder of its Flux path
    upgrades: list = field(default_factory=list)  # api_upgrades.Upgrade: removed API versions 2.2 rewrites

    def unresolved(self) -> list[Duplicate]:
        return [d for d in self.duplicates if d.chosen is None]

    def by_tier(self, tier: str) -> list[Unit]:
        if tier == APPS:
            return [u for u in self.units if u.role == APPS]
        return [u for u in self.units if u.role == INFRA and u.tier == tier]

    def flux_paths(self) -> dict[str, str]:
        """Flux Kustomization name -> path folder, in dependency order."""
        out = {}
        if self.by_tier(CONTROLLERS) or self.by_tier(SOURCES):
            out["infra-controllers"] = self.direct.get(CONTROLLERS) or self.aggregators[CONTROLLERS]
        if self.by_tier(CONFIGS):
            out["infra-configs"] = self.direct.get(CONFIGS) or self.aggregators[CONFIGS]
        if self.by_tier(APPS):
            out["apps"] = self.direct.get(APPS) or self.aggregators[APPS]
        return out

    def tier_units(self, tier: str) -> list[Unit]:
        """The units a tier's Flux path builds (sources go with the controllers)."""
        return self.by_tier(SOURCES) + self.by_tier(CONTROLLERS) if tier == CONTROLLERS else self.by_tier(tier)


def in_scope(path: str) -> bool:
    """Manifests the wizard organises: not Flux's own cluster folder, not CI, not its own drift canary
    (which 2.4 writes beside its aggregator: wizard/repo/canary.py)."""
    return not path.startswith(("clusters/", ".github/")) and PurePosixPath(path).name != CANARY_FILE


def relpath(frm: str, to: str) -> str:
    return _relpath(to, frm).replace("\\", "/")


def original_file(path: str, moves: dict[str, str]) -> str:
    p = PurePosixPath(path)
    return f"{original_folder(str(p.parent), moves)}/{p.name}"


def original_folder(path: str, moves: dict[str, str]) -> str:
    seen = set()
    while path in moves and path not in seen:
        seen.add(path)
        path = moves[path]
    return path

