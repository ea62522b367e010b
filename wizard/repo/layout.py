"""Classify manifest folders and compute the target layout of Option A or Option B.

A *unit* is a folder of manifests that moves and builds as one: a folder with an existing
kustomization (it owns every manifest below it), or else the manifest files directly in a
folder. Each unit is classified:

- role: infrastructure or apps, by override (`class.<folder>=infrastructure|apps|exclude`),
  kind, path and known components;
- tier (infrastructure only): `sources` (Flux sources only), `controllers` (namespaces,
  CRDs, HelmReleases, plain workloads) or `configs` (custom resources whose CRD must be
  registered first, e.g. a cert-manager ClusterIssuer), as fluxcd/flux2-kustomize-helm-example does.

The layout is computed from the repository as it is now, following the moves the wizard
already made back to each unit's original folder, so every planner converges: once a step
is done, planning it again yields nothing to do.

This module assembles the layout and is what the rest of the wizard imports; the parts live in
layout_model (the data), layout_units (finding units), roles (role and tier), duplicates and
targets (where each unit goes).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..checklist import Question
from . import api_upgrades
from .duplicates import parse_duplicate_choices, resolve_duplicates
from .kustomize import Graph
from .layout_model import (APPS, CONFIGS, CONTROLLERS, EXCLUDE, GENERIC_NAMES, INFRA, SOURCES, STATEFUL_KINDS,
                           Duplicate, Layout, Unit, in_scope, original_folder, relpath, slug)
from .layout_units import (AGGREGATOR_HEADER, GENERATED_22, find_units, graph_of, is_aggregator, new_msgs,
                           report_unreadable)
from .roles import (BUILTIN_GROUPS, CHART_CRDS, INFRA_KINDS, INFRA_WORDS, SOURCE_KINDS, WORKLOAD_KINDS, ask_unprovided,
                    classify, consumed_groups, helm_chart_of, is_builtin_group, is_flux_group, parse_overrides,
                    provided_groups, tier_of)
from .removed_apis import Served
from .scan import K8S, Manifest, ScanResult, group_of
from .targets import assign_targets

# The names the rest of the wizard imports from here (the layout's parts are re-exported).
__all__ = [
    "AGGREGATOR_HEADER", "APPS", "BUILTIN_GROUPS", "CHART_CRDS", "CONFIGS", "CONTROLLERS", "EXCLUDE", "GENERATED_22",
    "GENERIC_NAMES", "INFRA", "INFRA_KINDS", "INFRA_WORDS", "SOURCES", "SOURCE_KINDS", "STATEFUL_KINDS",
    "WORKLOAD_KINDS", "Duplicate", "Layout", "OptionPreview", "Unit", "ask_unprovided", "build_layout", "classify",
    "find_units", "graph_of", "group_of", "helm_chart_of", "in_scope", "is_aggregator", "is_builtin_group",
    "is_flux_group", "manifests_of", "parse_duplicate_choices", "parse_overrides", "preview", "preview_option_a",
    "preview_option_b", "relpath", "slug",
]


def build_layout(scan: ScanResult, option: str, cluster: str, answers: dict | None = None,
                 moves: dict[str, str] | None = None, graph: Graph | None = None, render=None,
                 placer=None, served: Served | None = None) -> Layout:
    """The target layout for `option` ('a' or 'b') of the repository as scanned now.

    `moves` maps a folder the wizard moved to its original folder (from the journal); `render(unit)`
    gives the documents a kustomize tree builds (None when it cannot), for duplicates across trees,
    its dependencies and its health checks. `placer(units, msgs)` gives each object that names no
    namespace the one it lives in (repo/namespaces.py) before duplicates are looked for. `served` is what
    the pinned cluster serves (None: offline, the table of Kubernetes API removals alone says which
    versions are gone)."""
    answers = answers or {}
    moves = moves or {}
    overrides = parse_overrides(answers)
    choices = parse_duplicate_choices(answers)
    msgs = new_msgs()
    excluded: set[str] = set()
    graph = graph if graph is not None else graph_of(scan)
    report_unreadable(scan, msgs, overrides)
    units = find_units(scan, excluded, graph, answers, msgs)
    _read_units(units, moves, render)
    kept = _included(units, overrides, excluded, msgs)
    if placer is not None:
        placer(kept, msgs)
    dropped: dict[str, list[int]] = {}
    upgrades = api_upgrades.review(kept, answers, served, dropped, msgs)
    dups = resolve_duplicates(kept, choices, moves, excluded, dropped, msgs["blocks"], msgs["needs"])
    _ask_duplicates(dups, msgs, {m.path for u in kept if u.tree for m in u.rendered or []})
    final = _without_dropped(kept, excluded, dropped)
    warnings = _assign_tiers(final)
    layout = Layout(option, cluster, final, dups, excluded, warnings + msgs["notes"],
                    left_out=list(dict.fromkeys(msgs["left_out"])),
                    needs=msgs["needs"], blocks=msgs["blocks"], dropped_docs=dropped,
                    owner_kdirs={k.dir for k in graph.kfiles.values() if not k.generated},
                    root=scan.root, upgrades=upgrades)
    assign_targets(layout)
    return layout


def _read_units(units: list[Unit], moves: dict[str, str], render) -> None:
    """Each unit's original folder, a tree's rendered objects, and the API groups it provides and uses."""
    for u in units:
        u.origin = original_folder(u.path, moves)
        if u.tree and render is not None and not u.problems:
            docs = render(u)
            if docs is not None:
                u.rendered = [Manifest(u.kustomization, 1, d["apiVersion"], d["kind"], d["metadata"]["name"],
                                       str(d["metadata"].get("namespace") or ""), d, i) for i, d in enumerate(docs)]
        u.consumes = consumed_groups(u.objects)
        u.provides = provided_groups(u.objects)


def _included(units: list[Unit], overrides: dict[str, str], excluded: set[str], msgs: dict) -> list[Unit]:
    """The units Flux will apply, each with its role; the excluded ones' files are left out."""
    kept = []
    for u in units:
        u.role, u.reason = classify(u, overrides)
        if u.role == EXCLUDE:
            excluded.update(u.files)
            msgs["left_out"].append(f"{u.path}/: left out of Flux ({u.reason})")
            continue
        kept.append(u)
    return kept


def _ask_duplicates(dups: list[Duplicate], msgs: dict, trees: set[str]) -> None:
    for d in dups:
        if d.chosen is None:
            # A kustomize tree's copy first: the wizard never edits the owner's trees, so keeping a plain copy
            # over a tree's means leaving that tree out (a second question).
            places = sorted(d.places, key=lambda m: m.path not in trees)
            msgs["needs"].append(Question(f"duplicate.{d.key.ref}", f"{d.key} is defined {len(d.places)} times: "
                                          "which one do you keep?", [(m.where, m.where) for m in places],
                                          default=None, where=places[0].where,
                                          help="The other copies are removed (just that document, "
                                               "comments kept) or their file is left out."))


def _without_dropped(kept: list[Unit], excluded: set[str], dropped: dict[str, list[int]]) -> list[Unit]:
    """The units without the copies of duplicates that are not kept; a plain folder left empty goes."""
    final = []
    for u in kept:
        if not u.tree:
            u.files = [f for f in u.files if f not in excluded]
            u.manifests = [m for m in u.manifests if m.path not in excluded
                           and m.index not in dropped.get(m.path, [])]
            if not u.files:
                continue
        final.append(u)
    return final


def _assign_tiers(units: list[Unit]) -> list[str]:
    """Set each infrastructure unit's tier; the warnings about what Flux cannot order."""
    warnings: list[str] = []
    for u in units:
        if u.role == INFRA:
            u.tier, warn = tier_of(u)
            if warn:
                warnings.append(warn)
    return warnings


# -- previews for item 1.1 ------------------------------------------------------------------------
@dataclass
class OptionPreview:
    option: str
    title: str
    creates: list[str] = field(default_factory=list)
    moves: list[tuple[str, str]] = field(default_factory=list)
    kustomizations: list[str] = field(default_factory=list)
    layout: Layout | None = field(default=None, repr=False)

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
        if self.layout is not None:
            for u in self.layout.units:
                tier = f"/{u.tier}" if u.tier else ""
                lines.append(f"  · {u.path}: {u.role}{tier} ({u.reason})")
            lines += [f"  ! {w}" for w in self.layout.warnings]
            lines += [f"  - left out: {x}" for x in self.layout.left_out]
            lines += [f"  ? {b}" for b in self.layout.blocks]
            lines += [f"  ! duplicate: {d.describe()}" for d in self.layout.duplicates]
        return "\n".join(lines)


def preview(layout: Layout, title: str) -> OptionPreview:
    c = layout.cluster
    p = OptionPreview(layout.option, title, layout=layout)
    p.creates = [f"clusters/{c}/", f"clusters/{c}/infrastructure.yaml", f"clusters/{c}/apps.yaml"]
    for u in layout.units:
        if u.target != u.path:
            p.moves.append((u.path, u.target))
        if not u.kustomization:
            p.kustomizations.append(f"{u.target}/kustomization.yaml")
    for tier, folder in layout.aggregators.items():
        if tier not in layout.direct and layout.tier_units(tier):
            p.kustomizations.append(f"{folder}/kustomization.yaml")
    return p


def preview_option_a(scan: ScanResult, cluster: str, answers: dict | None = None) -> OptionPreview:
    return preview(build_layout(scan, "a", cluster, answers),
                   "minimal disruption: keep the folders, add a Flux layer on top")


def preview_option_b(scan: ScanResult, cluster: str, answers: dict | None = None) -> OptionPreview:
    return preview(build_layout(scan, "b", cluster, answers),
                   "full restructure: infrastructure/ and apps/ with base and overlays")


def manifests_of(scan: ScanResult) -> list[Manifest]:
    return [m for m in scan.manifests if in_scope(m.path) and scan.files.get(m.path) and scan.files[m.path].cls == K8S]
