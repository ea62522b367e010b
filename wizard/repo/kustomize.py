"""The repository's own kustomize trees: what references what, what the owner applies, what cannot build.

A kustomization folder that no other kustomization of the repo references is a *root*: what the
owner runs `kubectl apply -k` on. Roots that share folders (overlays over one base) are
*alternatives* of one component: the owner applies one of them to a cluster (`overlays/prod`),
so the wizard asks once which environment this cluster is. Everything below is read from the
kustomization files, offline; references are resolved the way kustomize resolves them (relative
to the kustomization's folder). What kustomize cannot build offline is named with file:line:
remote resources (`github.com/...?ref=`, `https://...`), `helmCharts:` (needs `--enable-helm` and
the network) and local references that do not exist (generator inputs that were never committed).
"""
from __future__ import annotations

import os
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import PurePosixPath

import yaml

from ..paths import under
from .scan import KUSTOMIZATION_NAMES, ScanResult

_SAFE = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
REMOTE = re.compile(r"^(https?://|git::|ssh://|git@|github\.com/|gitlab\.com/|bitbucket\.org/)|\?ref=|//.*\?")
# Folder names under which a component keeps its environment overlays.
ENV_PARENTS = {"overlays", "envs", "environments", "env", "variants"}


@dataclass
class Problem:
    """Why a kustomization cannot be built here, with the file and line that says so."""

    kfile: str
    line: int
    kind: str  # remote | helm-charts | missing | outside | unreadable
    ref: str
    detail: str = ""

    def __str__(self) -> str:
        what = {"remote": f"pulls the remote resource {self.ref}, which cannot be fetched to check it here",
                "helm-charts": "inflates Helm charts (helmCharts:), which needs 'kubectl kustomize --enable-helm' "
                               "and the network",
                "missing": f"refers to {self.ref}, which is not in the repository (an input that was never committed?)",
                "outside": f"refers to {self.ref}, outside the repository",
                "unreadable": f"refers to {self.ref}, which cannot be read safely ({self.detail})"}[self.kind]
        return f"{self.kfile}:{self.line}: {what}"


@dataclass
class KFile:
    dir: str
    path: str
    dirs: list[str] = field(default_factory=list)  # local kustomization folders it references
    files: list[str] = field(default_factory=list)  # local files it references (resources, patches, inputs)
    problems: list[Problem] = field(default_factory=list)
    generated: bool = False  # written by the wizard (2.2): a plain folder's file list, not the owner's tree
    aggregate: bool = False  # only lists local folders (no transforms): its render is the union of theirs
    secret_values: list[str] = field(default_factory=list)  # secretGenerator literals and env-file values
    dir_lines: dict[str, int] = field(default_factory=dict)  # each folder in `dirs`: the line that lists it


@dataclass
class Root:
    """A kustomization the owner applies (nothing references it)."""

    dir: str
    closure: list[str]  # every kustomization folder it builds from, itself first
    problems: list[Problem]
    component: str = ""  # the folder that holds its alternatives (itself when it has none)
    env: str = ""  # its environment name among alternatives ('' when it has none)


def _line_of(text: str, needle: str, default: int = 1) -> int:
    for i, ln in enumerate(text.splitlines(), 1):
        if needle in ln:
            return i
    return default


def _ref_line(text: str, ref: str) -> int:
    """The line that lists `ref` as an entry of its own (`- .` is not the `.` of `apiVersion:`)."""
    entry = re.compile(r"^\s*-\s*['\"]?" + re.escape(ref) + r"['\"]?\s*(#.*)?$")
    return next((i for i, ln in enumerate(text.splitlines(), 1) if entry.match(ln)), 0) or _line_of(text, ref)


def _norm(base: str, ref: str) -> str:
    p = os.path.normpath(os.path.join(base, ref)).replace("\\", "/")
    return "." if p in ("", ".") else p


def _strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def _file_refs(doc: dict) -> list[str]:
    """Local files a kustomization reads besides its resources: patches, generator inputs, configurations."""
    out: list[str] = []
    for key in ("patchesStrategicMerge", "crds", "configurations", "transformers", "generators", "validators"):
        out += [s for s in _strings(doc.get(key)) if "\n" not in s]
    for p in doc.get("patches") or doc.get("patchesJson6902") or []:
        if isinstance(p, dict) and isinstance(p.get("path"), str):
            out.append(p["path"])
    for key in ("configMapGenerator", "secretGenerator"):
        for g in doc.get(key) or []:
            if not isinstance(g, dict):
                continue
            for f in _strings(g.get("files")):
                out.append(f.split("=", 1)[1] if "=" in f else f)
            out += _strings(g.get("envs")) + _strings(g.get("env"))
    for h in doc.get("helmCharts") or []:
        if isinstance(h, dict):
            out += _strings(h.get("valuesFile")) + _strings(h.get("additionalValuesFiles"))
    return out


def parse(repo, kfile: str, generated: bool = False) -> KFile:
    folder = str(PurePosixPath(kfile).parent)
    k = KFile(folder, kfile, generated=generated)
    try:
        text = (repo / kfile).read_text(encoding="utf-8")
        doc = yaml.load(text, Loader=_SAFE)
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return k  # reported by the scan
    if not isinstance(doc, dict):
        return k
    _read_resources(repo, k, text, doc)
    k.secret_values = _secret_values(repo, folder, doc)
    plain_keys = set(doc) <= {"apiVersion", "kind", "metadata", "resources"}
    k.aggregate = plain_keys and bool(k.dirs) and not k.files and not k.problems and not doc.get("bases")
    if doc.get("helmCharts") or doc.get("helmChartInflationGenerator"):
        key = "helmCharts" if doc.get("helmCharts") else "helmChartInflationGenerator"
        k.problems.append(Problem(kfile, _line_of(text, key + ":"), "helm-charts", key))
    _read_file_refs(repo, k, text, doc)
    return k


def _outside(target: str) -> bool:
    return target == ".." or target.startswith("../")


def _read_resources(repo, k: KFile, text: str, doc: dict) -> None:
    """The folders and files its resources, bases and components name, or why one cannot be built here."""
    for key in ("resources", "bases", "components"):
        for ref in _strings(doc.get(key)):
            line = _ref_line(text, ref)
            if REMOTE.search(ref):
                k.problems.append(Problem(k.path, line, "remote", ref))
                continue
            target = _norm(k.dir, ref)
            if _outside(target):
                k.problems.append(Problem(k.path, line, "outside", ref))
            elif (repo / target).is_dir():
                k.dirs.append(target)
                k.dir_lines.setdefault(target, line)
            elif (repo / target).is_file():
                k.files.append(target)
            else:
                k.problems.append(Problem(k.path, line, "missing", ref))


def _read_file_refs(repo, k: KFile, text: str, doc: dict) -> None:
    for ref in _file_refs(doc):
        target = _norm(k.dir, ref)
        if _outside(target):
            k.problems.append(Problem(k.path, _line_of(text, ref), "outside", ref))
        elif (repo / target).exists():
            k.files.append(target)
        else:
            k.problems.append(Problem(k.path, _line_of(text, ref), "missing", ref))


def _secret_values(repo, folder: str, doc: dict) -> list[str]:
    """The values a secretGenerator puts into Secrets (literals, env files): kustomize prints them in
    its errors, so they are registered for masking before anything builds."""
    out: list[str] = []
    for g in doc.get("secretGenerator") or []:
        if not isinstance(g, dict):
            continue
        out += [lit.split("=", 1)[1] for lit in _strings(g.get("literals")) if "=" in lit]
        for env in _strings(g.get("envs")) + _strings(g.get("env")):
            try:
                text = (repo / _norm(folder, env)).read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue
            out += [ln.split("=", 1)[1].strip() for ln in text.splitlines()
                    if "=" in ln and not ln.lstrip().startswith("#")]
    return [v for v in out if v]


@dataclass
class Graph:
    kfiles: dict[str, KFile]  # by folder
    roots: list[Root]
    aggregators: set[str] = field(default_factory=set)  # the owner's list-only roots, split into their folders

    def owned_dirs(self) -> set[str]:
        """Folders whose manifests belong to a kustomize tree of the owner (not plain folders)."""
        out: set[str] = set()
        for k in self.kfiles.values():
            if not k.generated:
                out.add(k.dir)
                out.update(str(PurePosixPath(f).parent) for f in k.files)
        return out

    def groups(self) -> dict[str, list[Root]]:
        out: dict[str, list[Root]] = {}
        for r in self.roots:
            out.setdefault(r.component, []).append(r)
        return out


def build_graph(repo, scan: ScanResult, in_scope, is_generated) -> Graph:
    """The kustomize trees of the repo: every kustomization, the roots, their alternatives."""
    kfiles = _read_kfiles(repo, scan, in_scope, is_generated)
    listed_by = Counter(d for k in kfiles.values() for d in k.dirs)  # how many kustomizations list each folder
    starts, aggregators = _starts(kfiles, listed_by)
    roots: list[Root] = []
    for folder in starts:
        if kfiles[folder].generated:
            continue
        closure, problems = _closure(kfiles, folder)
        roots.append(Root(folder, closure, problems, component=folder))
    _alternatives(roots)
    return Graph(kfiles, roots, aggregators)


def _read_kfiles(repo, scan: ScanResult, in_scope, is_generated) -> dict[str, KFile]:
    """Every kustomization of the repo in scope, by folder (the wizard's aggregators are not the owner's)."""
    kfiles: dict[str, KFile] = {}
    for kf in sorted(scan.kustomizations):
        if not in_scope(kf) or PurePosixPath(kf).name not in KUSTOMIZATION_NAMES:
            continue
        folder = str(PurePosixPath(kf).parent)
        if folder in kfiles:
            continue
        gen = is_generated(kf)
        if gen is None:  # the wizard's aggregators at Flux paths: not the owner's
            continue
        kfiles[folder] = parse(repo, kf, gen)
        _refuse_invalid_inputs(scan, kf, kfiles[folder])
    return kfiles


def _refuse_invalid_inputs(scan: ScanResult, kf: str, k: KFile) -> None:
    # A file the scan refused (invalid YAML, an alias bomb) must never reach kustomize.
    for f in k.files:
        info = scan.files.get(f)
        if info is not None and info.cls == "invalid":
            err = next((e for e in scan.errors if e.path == f), None)
            k.problems.append(Problem(kf, 1, "unreadable", f, (err.message.split(";")[0] if err else "invalid")))


def _starts(kfiles: dict[str, KFile], listed_by: Counter) -> tuple[list[str], set[str]]:
    """The folders the roots start from, and the owner's list-only roots split into them.

    A root that only lists folders (apps/kustomization.yaml over apps/*) is split into those folders:
    the same objects, and each app can be classified, ordered and left out on its own."""
    referenced = set(listed_by)
    tops = [f for f, k in kfiles.items() if f not in referenced and not k.generated]
    starts: list[str] = []
    aggregators: set[str] = set()
    while tops:
        f = tops.pop(0)
        k = kfiles.get(f)
        if k is not None and _splits(f, k, kfiles, listed_by):
            aggregators.add(f)
            tops += list(k.dirs)
        elif f in kfiles:
            starts.append(f)
    return starts, aggregators


def _splits(folder: str, k: KFile, kfiles: dict[str, KFile], listed_by: Counter) -> bool:
    """Whether a list-only kustomization is split: it lists only kustomization folders below it that
    nothing else lists."""
    return k.aggregate and all(d in kfiles and under(d, folder) and d != folder and listed_by[d] == 1
                               for d in k.dirs)


def _closure(kfiles: dict[str, KFile], folder: str) -> tuple[list[str], list[Problem]]:
    """Every kustomization folder a root builds from (itself first), and what stops any of them building."""
    closure: list[str] = []
    problems: list[Problem] = []
    todo = [folder]
    while todo:
        d = todo.pop(0)
        if d in closure:
            continue
        closure.append(d)
        kd = kfiles.get(d)
        if kd is None:
            continue
        problems += kd.problems
        todo += kd.dirs
    return closure, problems


def _env_split(folder: str) -> tuple[str, str] | None:
    """('x', 'prod') for x/overlays/prod: the component and the environment a folder's path names."""
    parts = PurePosixPath(folder).parts
    for i in range(len(parts) - 2, -1, -1):
        if parts[i].lower() in ENV_PARENTS:
            return "/".join(parts[:i]) or ".", "/".join(parts[i + 1:])
    return None


def _alternatives(roots: list[Root]) -> None:
    """Group the roots that are alternatives of one component (overlays of a shared base, or folders
    under `<component>/overlays/`, and a `base` the owner applies when there is no overlay) and
    name each one's environment."""
    split = {r.dir: _env_split(r.dir) for r in roots}
    for members in _connected(roots, split).values():
        if len(members) == 1:
            r = members[0]
            if split[r.dir]:
                r.component, r.env = split[r.dir]
            continue
        _name_alternatives(members)


def _find(parent: dict[str, str], x: str) -> str:
    while parent[x] != x:
        parent[x] = parent[parent[x]]
        x = parent[x]
    return x


def _union(parent: dict[str, str], a: str, b: str) -> None:
    parent[_find(parent, a)] = _find(parent, b)


def _join_or_claim(parent: dict[str, str], claims: dict[str, str], key: str, root: str) -> None:
    """Join `root` with the root that claimed `key` first, or claim it."""
    if key in claims:
        _union(parent, root, claims[key])
    else:
        claims[key] = root


def _connected(roots: list[Root], split: dict) -> dict[str, list[Root]]:
    """The roots grouped (union-find) by a folder they both build from, by the component whose
    environment folder holds them, and a `base` with the overlays beside it; in the roots' order."""
    parent = {r.dir: r.dir for r in roots}
    owner: dict[str, str] = {}
    by_component: dict[str, str] = {}
    for r in roots:
        for d in r.closure:
            _join_or_claim(parent, owner, d, r.dir)
        if split[r.dir]:
            _join_or_claim(parent, by_component, split[r.dir][0], r.dir)
    for r in roots:
        p = PurePosixPath(r.dir)
        if p.name == "base" and str(p.parent) in by_component:
            _union(parent, r.dir, by_component[str(p.parent)])
    groups: dict[str, list[Root]] = {}
    for r in roots:
        groups.setdefault(_find(parent, r.dir), []).append(r)
    return groups


def _name_alternatives(members: list[Root]) -> None:
    """One component for the group, and each member's environment: its path below the component
    (without the `overlays/` level), or its whole path when two would share a name."""
    common = os.path.commonpath([m.dir for m in members]).replace("\\", "/") or "."
    parts = PurePosixPath(common).parts
    component = str(PurePosixPath(*parts[:-1])) if len(parts) > 1 and parts[-1].lower() in ENV_PARENTS else common
    for m in members:
        rel = PurePosixPath(os.path.relpath(m.dir, component).replace("\\", "/")).parts
        if len(rel) > 1 and rel[0].lower() in ENV_PARENTS:
            rel = rel[1:]
        m.component = component
        m.env = "/".join(rel)
    names = [m.env for m in members]
    if len(set(names)) != len(names):  # two alternatives with one name: use their paths
        for m in members:
            m.env = m.dir
