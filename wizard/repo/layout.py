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
from pathlib import PurePosixPath

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

    @property
    def kinds(self) -> list[str]:
        return sorted({m.kind for m in self.manifests})

    @property
    def name(self) -> str:
        p = PurePosixPath(self.origin or self.path)
        name = p.name
        if name.lower() in GENERIC_NAMES and p.parent.name:
            name = p.parent.name
        if name.lower() in ("base", "common", "core", "."):
            name = "namespaces" if set(self.kinds) == {"Namespace"} else f"{slug(p.parent.name or 'repo')}-common"
        return slug(name)


@dataclass
class Duplicate:
    key: ObjectKey
    places: list[Manifest]
    chosen: str | None  # the path the user chose to keep

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
            out["infra-controllers"] = self.aggregators[CONTROLLERS]
        if self.by_tier(CONFIGS):
            out["infra-configs"] = self.aggregators[CONFIGS]
        if self.by_tier(APPS):
            out["apps"] = self.aggregators[APPS]
        return out


def in_scope(path: str) -> bool:
    """Manifests the wizard organises: not Flux's own cluster folder, not CI."""
    return not path.startswith(("clusters/", ".github/"))


AGGREGATOR_HEADER = "# Generated by homelab-wizard (2.4"


def is_aggregator(scan: ScanResult, kfile: str) -> bool:
    info = scan.files.get(kfile)
    return info is not None and info.header.startswith(AGGREGATOR_HEADER)


def find_units(scan: ScanResult, excluded: set[str] = frozenset()) -> list[Unit]:
    kust_dirs = sorted({str(PurePosixPath(k).parent) for k in scan.kustomizations
                        if in_scope(k) and not is_aggregator(scan, k)}, key=lambda p: (p.count("/"), p))
    by_dir: dict[str, list[Manifest]] = {}
    for m in scan.manifests:
        if in_scope(m.path) and m.path not in excluded:
            by_dir.setdefault(str(PurePosixPath(m.path).parent), []).append(m)

    def owner(folder: str) -> str | None:
        for k in kust_dirs:  # shallowest kustomization folder above (or at) this folder
            if k == "." or folder == k or folder.startswith(k + "/"):
                return k
        return None

    units: dict[str, Unit] = {}
    for k in kust_dirs:
        kfile = next(f for f in scan.kustomizations if str(PurePosixPath(f).parent) == k)
        if owner(k) == k:
            units[k] = Unit(k, [], [], kustomization=kfile)
    for folder, ms in by_dir.items():
        key = owner(folder) or folder
        u = units.setdefault(key, Unit(key, [], []))
        u.manifests.extend(ms)
        u.files.extend(sorted({m.path for m in ms}))
    for u in units.values():
        u.files = sorted(set(u.files))
    # A kustomization without manifests of its own (an overlay of other folders) is left as it is.
    return [units[k] for k in sorted(units) if units[k].manifests]


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


def _tier(unit: Unit, providers: dict[str, set[str]]) -> tuple[str, str | None]:
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


def build_layout(scan: ScanResult, option: str, cluster: str, answers: dict | None = None,
                 moves: dict[str, str] | None = None) -> Layout:
    """The target layout for `option` ('a' or 'b') of the repository as scanned now.

    `moves` maps a folder the wizard moved to its original folder (from the journal)."""
    answers = answers or {}
    moves = moves or {}
    overrides = parse_overrides(answers)
    choices = parse_duplicate_choices(answers)
    warnings: list[str] = []

    # Duplicates: the user keeps one place; a file left out must hold nothing else.
    dups: list[Duplicate] = []
    excluded: set[str] = set()
    for key, places in scan.duplicates().items():
        places = [m for m in places if in_scope(m.path)]
        if len(places) < 2:
            continue
        chosen = choices.get(key.ref)
        if chosen is not None and chosen not in {m.path for m in places}:
            origin_map = {m.path: _origin_file(m.path, moves) for m in places}
            chosen = next((p for p, o in origin_map.items() if o == chosen), None)
        dups.append(Duplicate(key, places, chosen))
        if chosen is not None:
            for m in places:
                if m.path != chosen:
                    others = [x for x in scan.manifests if x.path == m.path and x.key != key]
                    if others:
                        warnings.append(f"{m.path} also holds {', '.join(str(o.key) for o in others)}; leaving it out "
                                        f"(to drop the duplicate {key}) would lose them: split that file first")
                    excluded.add(m.path)

    units = find_units(scan, excluded)
    for u in units:
        u.origin = _origin(u.path, moves)
        u.consumes = _consumed_groups(u.manifests)
        u.provides = _provided_groups(u.manifests)
    providers: dict[str, set[str]] = {}
    for u in units:
        for g in u.provides:
            providers.setdefault(g, set()).add(u.path)
    kept = []
    for u in units:
        u.role, u.reason = classify(u, overrides)
        if u.role == EXCLUDE:
            excluded.update(u.files)
            continue
        if u.role == INFRA:
            u.tier, warn = _tier(u, providers)
            if warn:
                warnings.append(warn)
        kept.append(u)
    layout = Layout(option, cluster, kept, dups, excluded, warnings)
    _targets(layout)
    return layout


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

    def place(u: Unit, parent: str) -> str:
        name = u.name
        dest = f"{parent}/{name}"
        if dest in taken and taken[dest] is not u:
            pname = slug(PurePosixPath(u.origin).parent.name or "root")
            dest = f"{parent}/{pname}-{name}"
        taken[dest] = u
        return dest

    for u in layout.units:
        if layout.option == "a":
            u.target = place(u, "apps") if u.role == APPS else u.path
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
        if layout.by_tier(tier) or (tier == CONTROLLERS and layout.by_tier(SOURCES)):
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
