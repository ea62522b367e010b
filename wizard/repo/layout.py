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
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from os.path import relpath as _relpath
from pathlib import PurePosixPath

from ..checklist import Question
from ..paths import under
from .kustomize import Graph, build_graph
from .scan import K8S, Manifest, ObjectKey, ScanResult, group_of

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
STATEFUL_KINDS = ("Namespace", "PersistentVolumeClaim", "StatefulSet")
GENERIC_NAMES = {"k8s", "kubernetes", "manifests", "deploy", "deployment", "kube", "manifest"}
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

INFRA, APPS, EXCLUDE = "infrastructure", "apps", "exclude"
CONTROLLERS, CONFIGS, SOURCES = "controllers", "configs", "sources"


def is_builtin_group(group: str) -> bool:
    return group in BUILTIN_GROUPS or group.endswith(".k8s.io")


def is_flux_group(group: str) -> bool:
    return group.endswith(".toolkit.fluxcd.io") or group.endswith(".fluxcd.io")


def slug(name: str) -> str:
    """Lowercase with hyphens, the seed's folder naming rule (cert_manager -> cert-manager)."""
    s = re.sub(r"[^a-z0-9-]+", "-", name.lower()).strip("-")
    return re.sub(r"-{2,}", "-", s) or "unnamed"


def helm_chart_of(doc: dict) -> str | None:
    try:
        chart = doc["spec"]["chart"]["spec"]["chart"]
    except (KeyError, TypeError):
        return None
    return chart if isinstance(chart, str) else None


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
    """Manifests the wizard organises: not Flux's own cluster folder, not CI."""
    return not path.startswith(("clusters/", ".github/"))


AGGREGATOR_HEADER = "# Generated by homelab-wizard (2.4"


def is_aggregator(scan: ScanResult, kfile: str) -> bool:
    info = scan.files.get(kfile)
    return info is not None and info.header.startswith(AGGREGATOR_HEADER)


def _consumed_groups(ms: list[Manifest]) -> set[str]:
    return {group_of(m.api_version) for m in ms
            if m.kind != "CustomResourceDefinition" and not is_builtin_group(group_of(m.api_version))
            and not is_flux_group(group_of(m.api_version))}


def _provided_groups(ms: list[Manifest]) -> set[str]:
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
    kinds = set(unit.kinds)
    parts = [p.lower() for p in PurePosixPath(unit.origin or unit.path).parts]
    if parts and parts[0] == "apps":
        return APPS, "already under apps/"
    if PurePosixPath(unit.path).parts[:1] == ("apps",) and kinds == {"HelmRelease"} \
            and all(PurePosixPath(f).name == "helm-release.yaml" for f in unit.files):
        return APPS, "a HelmRelease scaffold of an app (under apps/)"
    if parts[:2] == ["infrastructure", "base"] or parts[:2] == ["infrastructure", "sources"]:
        return INFRA, "already under infrastructure/"
    if unit.consumes or unit.provides:
        return INFRA, "installs or configures custom resources"
    infra_kinds = kinds & INFRA_KINDS
    if infra_kinds and not kinds & WORKLOAD_KINDS:
        return INFRA, f"holds {', '.join(sorted(infra_kinds))}"
    word = next((w for part in parts for w in INFRA_WORDS if w == part or w + "s" == part), None) or next(
        (w for part in parts for w in INFRA_WORDS if w in part), None)
    if word:
        return INFRA, f"its path names shared infrastructure ({word!r})"
    workloads = [m.name.lower() for m in unit.manifests if m.kind in WORKLOAD_KINDS]
    if workloads and all(any(w in n for w in INFRA_WORDS) for n in workloads):
        return INFRA, f"its workloads are shared infrastructure ({', '.join(sorted(workloads))})"
    return APPS, "your own workloads"


def _tier(unit: Unit) -> tuple[str, str | None]:
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




def ask_unprovided(layout: "Layout", served_groups: set[str], answers: dict) -> None:
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


def parse_duplicate_choices(answers: dict) -> dict[str, str]:
    return {k[len("duplicate."):]: v for k, v in answers.items() if k.startswith("duplicate.")}


def _kfile_kind(scan: ScanResult):
    """For the kustomize graph: None for the wizard's aggregators, True for its 2.2 files, False for the owner's."""
    def kind(kfile: str):
        if is_aggregator(scan, kfile):
            return None
        info = scan.files.get(kfile)
        return info is not None and info.header.startswith(GENERATED_22)
    return kind


GENERATED_22 = "# Generated by homelab-wizard (2.2"


def graph_of(scan: ScanResult) -> Graph:
    return build_graph(scan.root, scan, in_scope, _kfile_kind(scan)) if scan.root is not None else Graph({}, [])


def _env_question(envs: list[str], components: list[str]) -> Question:
    return Question("environment", "Which environment is this cluster? (the overlay you apply to it: "
                    f"{', '.join(components[:6])}{' …' if len(components) > 6 else ''})",
                    [(e, e) for e in envs], default=None,
                    help="Flux applies that overlay of every component; the other overlays stay in the repo, unused.")


def _kustomize_units(graph: Graph, answers: dict, overrides: dict, layout_msgs: dict) -> list[Unit]:
    units = []
    groups = graph.groups()
    unanswered = []
    for component, roots in sorted(groups.items()):
        if len(roots) == 1 and not roots[0].env:
            chosen = roots[0]
        else:
            want = answers.get(f"environment.{component}") or answers.get("environment")
            if want is None:
                unanswered.append(component)
                continue
            chosen = next((r for r in roots if r.env == want), None)
            if chosen is None and want != "base":
                # No overlay for this environment, but a base nothing else builds on: applied as it is
                # (the "prefer overlays/$ENV, fall back to base" of homelab Makefiles).
                chosen = next((r for r in roots if r.env == "base"), None)
                if chosen is not None:
                    layout_msgs["notes"].append(f"{component}/ has no {want!r} overlay: its base "
                                                f"({graph.kfiles[chosen.dir].path}) is applied as it is")
            if chosen is None:
                layout_msgs["left_out"].append(
                    f"{component}/: no overlay for the environment {want!r} (it has {', '.join(sorted(r.env for r in roots))}), "
                    f"so it is left out of Flux; to include one, answer environment.{component}=<name>")
                continue
        kf = graph.kfiles[chosen.dir]
        entry = relpath(component, chosen.dir) if component != chosen.dir else "."
        u = Unit(component, [], [], kustomization=kf.path, tree=True, closure=list(chosen.closure),
                 problems=list(chosen.problems), entry=entry, env=chosen.env,
                 pinned=any(under(component, a) for a in graph.aggregators))
        if u.problems and overrides.get(component) != EXCLUDE:
            # Neither the wizard nor (for missing inputs and helmCharts:) Flux can build it from git, so
            # leaving it out is the only outcome: said in the preview with file:line, not asked, since a
            # question whose one answer is "leave it out" is a second confirmation, not a choice.
            layout_msgs["left_out"].append(
                f"{component}/: cannot be built here ({'; '.join(map(str, u.problems[:3]))}"
                f"{' …' if len(u.problems) > 3 else ''}); left out of Flux, and nothing on the cluster changes: "
                "keep applying it as before, or vendor what it pulls into the repo"
                f"{' (helmCharts: turn them into a HelmRelease)' if any('helmCharts' in str(p) for p in u.problems) else ''}"
                " and run the step again")
            continue
        units.append(u)
    if unanswered:
        envs = sorted({r.env for c in unanswered for r in groups[c]})
        envs = [e for e in envs if e != "base"] or envs  # a base is the fallback, not an environment
        layout_msgs["needs"].append(_env_question(envs, unanswered))
        alts = "; ".join(f"{c}/ ({', '.join(sorted(graph.kfiles[r.dir].path + ':1' for r in groups[c]))})"
                         for c in unanswered[:5])
        layout_msgs["blocks"].append(
            f"{len(unanswered)} kustomize component(s) have one overlay per environment, and you apply one of them to "
            f"this cluster: {alts}{' …' if len(unanswered) > 5 else ''}. Which environment is this cluster? Answer "
            f"environment=<{'|'.join(envs)}> (once for the repo; environment.<component>=<name> for an exception)")
    return units


def find_units(scan: ScanResult, excluded: set[str] = frozenset(), graph: Graph | None = None,
               answers: dict | None = None, layout_msgs: dict | None = None) -> list[Unit]:
    """The units of the repo: the owner's kustomize trees (the chosen overlay of each), then every
    other folder of plain manifests (each folder on its own, as `kubectl apply -f <folder>` applies it)."""
    graph = graph if graph is not None else graph_of(scan)
    answers = answers or {}
    msgs = layout_msgs if layout_msgs is not None else {"left_out": [], "needs": [], "blocks": [], "notes": []}
    overrides = parse_overrides(answers)
    units = _kustomize_units(graph, answers, overrides, msgs)
    owned = graph.owned_dirs()
    referenced = {f for k in graph.kfiles.values() for f in k.files}
    components = [c for c in graph.groups()]
    for u in units:
        dirs = set(u.closure)
        for m in scan.manifests:
            d = str(PurePosixPath(m.path).parent)
            if d in dirs and in_scope(m.path) and m.path in referenced:
                u.manifests.append(m)
        u.files = sorted({m.path for m in u.manifests})
    by_dir: dict[str, list[Manifest]] = {}
    for m in scan.manifests:
        info = scan.files.get(m.path)
        if not in_scope(m.path) or m.path in excluded or info is None or info.cls != K8S:
            continue
        folder = str(PurePosixPath(m.path).parent)
        if folder in owned:
            if m.path not in referenced and not any(m.path in u.files for u in units):
                msgs["left_out"].append(f"{m.path}: in the kustomize folder {folder}/ but listed by no kustomization "
                                        "there, so 'kubectl apply -k' never applied it; left out of Flux")
            continue
        inside = next((c for c in components if c not in (".", "") and under(folder, c)), None)
        if inside is not None:
            msgs["left_out"].append(f"{m.path}: inside the kustomize tree {inside}/ but not part of it; left out "
                                    f"of Flux (move it out of {inside}/ to have it applied)")
            continue
        by_dir.setdefault(folder, []).append(m)
    for folder in sorted(by_dir):
        ms = by_dir[folder]
        kf = graph.kfiles.get(folder)
        u = Unit(folder, sorted({m.path for m in ms}), ms, kustomization=kf.path if kf is not None else None)
        units.append(u)
    return sorted(units, key=lambda u: u.path)


def _place_matches(m: Manifest, chosen: str, moves: dict[str, str]) -> bool:
    origin = _origin_file(m.path, moves)
    return chosen in (m.where, m.path, f"{origin}:{m.line}", origin)


def _resolve_duplicates(units: list[Unit], render, choices: dict[str, str], moves: dict[str, str],
                        excluded: set[str], dropped: dict[str, list[int]], blocks: list[str]) -> list[Duplicate]:
    """Objects the units define more than once (after kustomize's transforms), and the user's choice for each."""
    seen: dict[ObjectKey, list[tuple[Unit, Manifest]]] = {}
    for u in units:
        if u.tree:
            for m in u.rendered or []:
                seen.setdefault(m.key, []).append((u, m))
        else:
            for m in u.manifests:
                seen.setdefault(m.key, []).append((u, m))
    dups = []
    for key, places in seen.items():
        if len(places) < 2:
            continue
        chosen = choices.get(key.ref)
        ms = [m for _, m in places]
        keep = None
        auto = ""
        plain = not any(u.tree for u, _ in places)
        folders = {_origin(str(PurePosixPath(m.path).parent), moves) for m in ms}  # where the owner had them
        if chosen is None and plain and all(m.doc == ms[0].doc for m in ms):
            # The same object, identical, in two files: applying both was one object; keep the first.
            chosen, auto = ms[0].where, "defined identically"
        elif chosen is None and plain and len(folders) == 1:
            # One folder, applied with `kubectl apply -f <folder>`: its files go in name order and the
            # last copy is what the cluster got. That is the reference; no question to ask.
            last = max(ms, key=lambda m: (PurePosixPath(m.path).name, m.index))
            chosen, auto = last.where, f"applied last by 'kubectl apply -f {folders.pop()}/' (files in name order)"
        if chosen is not None:
            keep = next((i for i, m in enumerate(ms) if _place_matches(m, chosen, moves)), None)
            if keep is None:
                blocks.append(f"duplicate.{key.ref}={chosen!r} is none of the places {key} is defined in "
                              f"({', '.join(m.where for m in ms)})")
        dups.append(Duplicate(key, ms, ms[keep].where if keep is not None else None, auto))
        if keep is None:
            continue
        for i, (u, m) in enumerate(places):
            if i == keep:
                continue
            if u.tree:
                blocks.append(f"{key} is also rendered by the kustomize tree {u.path}/ ({m.path}); the wizard does not "
                              f"edit your kustomize trees: keep that copy (duplicate.{key.ref}={m.where}) or leave the "
                              f"tree out with class.{u.path}=exclude")
                continue
            dropped.setdefault(m.path, []).append(m.index)
    # A file all of whose documents are dropped is left out; otherwise those documents are removed (2.2).
    for path, idx in list(dropped.items()):
        owner = next((u for u in units if path in u.files), None)
        if owner is None:
            continue
        in_file = {m.index for m in owner.manifests if m.path == path}
        if in_file <= set(idx):
            excluded.add(path)
            del dropped[path]
    return dups


def build_layout(scan: ScanResult, option: str, cluster: str, answers: dict | None = None,
                 moves: dict[str, str] | None = None, graph: Graph | None = None, render=None) -> Layout:
    """The target layout for `option` ('a' or 'b') of the repository as scanned now.

    `moves` maps a folder the wizard moved to its original folder (from the journal); `render(unit)`
    gives the documents a kustomize tree builds (None when it cannot), for duplicates across trees,
    its dependencies and its health checks."""
    answers = answers or {}
    moves = moves or {}
    overrides = parse_overrides(answers)
    choices = parse_duplicate_choices(answers)
    warnings: list[str] = []
    msgs: dict = {"left_out": [], "needs": [], "blocks": [], "notes": []}
    excluded: set[str] = set()
    graph = graph if graph is not None else graph_of(scan)
    _unreadable(scan, msgs, overrides)
    units = find_units(scan, excluded, graph, answers, msgs)
    for u in units:
        u.origin = _origin(u.path, moves)
        if u.tree and render is not None and not u.problems:
            docs = render(u)
            if docs is not None:
                u.rendered = [Manifest(u.kustomization, 1, d["apiVersion"], d["kind"], d["metadata"]["name"],
                                       str(d["metadata"].get("namespace") or ""), d, i) for i, d in enumerate(docs)]
        u.consumes = _consumed_groups(u.objects)
        u.provides = _provided_groups(u.objects)
    kept = []
    for u in units:
        u.role, u.reason = classify(u, overrides)
        if u.role == EXCLUDE:
            excluded.update(u.files)
            msgs["left_out"].append(f"{u.path}/: left out of Flux ({u.reason})")
            continue
        kept.append(u)
    dropped: dict[str, list[int]] = {}
    dups = _resolve_duplicates(kept, render, choices, moves, excluded, dropped, msgs["blocks"])
    for d in dups:
        if d.chosen is None:
            msgs["needs"].append(Question(f"duplicate.{d.key.ref}", f"{d.key} is defined {len(d.places)} times: "
                                          "which one do you keep?", [(m.where, m.where) for m in d.places],
                                          default=None, help="The other copies are removed (just that document, "
                                                             "comments kept) or their file is left out."))
    final = []
    for u in kept:
        if not u.tree:
            u.files = [f for f in u.files if f not in excluded]
            u.manifests = [m for m in u.manifests if m.path not in excluded
                           and m.index not in dropped.get(m.path, [])]
            if not u.files:
                continue
        final.append(u)
    for u in final:
        if u.role == INFRA:
            u.tier, warn = _tier(u)
            if warn:
                warnings.append(warn)
    layout = Layout(option, cluster, final, dups, excluded, warnings + msgs["notes"],
                    left_out=list(dict.fromkeys(msgs["left_out"])),
                    needs=msgs["needs"], blocks=msgs["blocks"], dropped_docs=dropped,
                    owner_kdirs={k.dir for k in graph.kfiles.values() if not k.generated},
                    root=scan.root)
    _targets(layout)
    return layout


def _unreadable(scan: ScanResult, msgs: dict, overrides: dict[str, str]) -> None:
    """Files that are not valid YAML: a broken manifest blocks (objects would be lost); anything else
    (a templated helmfile, a values file with a repeated key, a broken compose file) is left out."""
    for e in scan.errors:
        if not in_scope(e.path):
            continue
        path = scan.root / e.path if scan.root else None
        try:
            text = "" if path is None or path.is_symlink() else path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            text = ""
        manifest_like = bool(re.search(r"(?m)^apiVersion:\s*\S", text) and re.search(r"(?m)^kind:\s*\S", text)
                             and "{{" not in text)
        folder = str(PurePosixPath(e.path).parent)
        if manifest_like and overrides.get(folder) != EXCLUDE:
            msgs["blocks"].append(f"{e}: it looks like a Kubernetes manifest (kustomize, and so Flux, refuses it as it "
                                  f"is), so leaving it out could lose objects: fix it, or answer "
                                  f"class.{folder}=exclude to leave that folder out of Flux")
            msgs["needs"].append(Question(f"class.{folder}", f"{e.path} cannot be read: leave {folder}/ out of Flux?",
                                          [(EXCLUDE, "leave it out (keep applying it by hand)")], default=None))
        else:
            msgs["left_out"].append(f"{e.path}: not a Kubernetes manifest the wizard can read "
                                    f"({e.message.split(';')[0].removeprefix('is ')}); no Flux path includes it")


def relpath(frm: str, to: str) -> str:
    return _relpath(to, frm).replace("\\", "/")


def _origin_file(path: str, moves: dict[str, str]) -> str:
    p = PurePosixPath(path)
    return f"{_origin(str(p.parent), moves)}/{p.name}"


def _origin(path: str, moves: dict[str, str]) -> str:
    seen = set()
    while path in moves and path not in seen:
        seen.add(path)
        path = moves[path]
    return path


def _targets(layout: Layout) -> None:
    taken: dict[str, Unit] = {}

    root = layout.root

    def free(dest: str, u: Unit) -> bool:
        if dest in taken and taken[dest] is not u:
            return False
        # A folder already in the repo (app sources, compose files) is not a place to move into.
        return root is None or under(u.path, dest) or not (root / dest).exists()

    def place(u: Unit, parent: str) -> str:
        name = u.name
        dest = f"{parent}/{name}"
        if not free(dest, u):
            pname = slug(PurePosixPath(u.origin).parent.name or "root")
            dest = f"{parent}/{pname}-{name}"
            n = 2
            while not free(dest, u):
                dest, n = f"{parent}/{pname}-{name}-{n}", n + 1
        taken[dest] = u
        return dest

    for u in layout.units:
        if u.tree and (u.pinned or not _movable(u)):
            u.target = u.path  # it builds from folders outside itself: moving it would break their paths
            taken[u.target] = u
            continue
        if layout.option == "a":
            u.target = place(u, "apps") if u.role == APPS and u.path != "apps" else u.path
            if u.path in (".", ""):  # files at the repo root get a folder (a Flux path over . is everything)
                u.target = place(u, "apps" if u.role == APPS else "infrastructure")
            if u.role == APPS and PurePosixPath(u.path).parts[:1] == ("apps",) and u.path.count("/") == 1:
                u.target = u.path  # already in place
        else:
            if u.role == APPS:
                parent = "apps/base"
            elif u.tier == SOURCES:
                parent = "infrastructure/sources"
                if len(layout.by_tier(SOURCES)) == 1:
                    u.target = parent  # one folder of sources: it becomes infrastructure/sources itself
                    taken[parent] = u
                    continue
            else:
                parent = "infrastructure/base"
            if u.path.startswith(parent + "/") and u.path.count("/") == parent.count("/") + 1:
                u.target = u.path
                taken[u.target] = u
            else:
                u.target = place(u, parent)
            if u.tree and under(u.target, u.path):
                u.target = u.path  # a folder cannot move into itself (an apps/ tree under Option B)
                taken[u.target] = u
    for u in layout.units:  # a unit inside a tree that moves whole moves along with it
        host = next((t for t in layout.units if t is not u and t.tree and t.target != t.path
                     and t.path not in (".", "") and under(u.path, t.path)), None)
        if host is not None:
            u.target = host.target + u.path[len(host.path):]
            u.carried = True
    c = layout.cluster
    if layout.option == "a":
        infra = [u.target for u in layout.units if u.role == INFRA and u.tier in (CONTROLLERS, SOURCES)]
        common = _common_dir(infra)
        unit_dirs = {u.target for u in layout.units}
        if common in (None, ".", "") or common in unit_dirs:
            common = "infrastructure/controllers"
        layout.aggregators = {CONTROLLERS: common, CONFIGS: "infrastructure/configs", APPS: "apps"}
    else:
        layout.aggregators = {CONTROLLERS: f"infrastructure/overlays/{c}/controllers",
                              CONFIGS: f"infrastructure/overlays/{c}/configs", APPS: f"apps/overlays/{c}"}
    # The owner's own kustomization sits where an aggregator would go (an apps/ tree): when it is the
    # tier's only unit Flux points at it directly; otherwise the aggregator goes one level down.
    for tier, folder in list(layout.aggregators.items()):
        units = layout.tier_units(tier)
        at = [u for u in units if u.target == folder or u.target_entry == folder or under(folder, u.target)]
        if not at:
            if folder in layout.owner_kdirs:  # the owner's own kustomization is there (apps/ listing apps/*)
                layout.aggregators[tier] = f"{folder}/overlays/{c}" if layout.option == "a" else f"{folder}-flux"
            continue
        if len(units) == 1:
            layout.direct[tier] = units[0].target_entry
        else:
            layout.aggregators[tier] = f"{folder}-{c}"  # beside it: a kustomization inside the tree it lists would be an ancestor reference


def _movable(u: Unit) -> bool:
    return all(under(d, u.path) for d in u.closure)


def _common_dir(paths: list[str]) -> str | None:
    if not paths:
        return None
    parts = [PurePosixPath(p).parts for p in paths]
    common = []
    for group in zip(*parts):
        if len(set(group)) != 1:
            break
        common.append(group[0])
    if len(paths) == 1:
        common = list(parts[0][:-1])
    return "/".join(common) if common else "."


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
