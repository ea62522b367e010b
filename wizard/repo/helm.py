"""HelmRepository + HelmRelease scaffold for a manifest folder (part of 2.4 repo.flux-manifests).

Asked for with the answers helm.<folder> (<chart>@<version>), helm-repo.<folder> (the https URL
of the chart repository) and, optionally, helm-values.<folder> (a values YAML in the repo): declared
Questions (questions_for), so `--set`, `--plain` and the TUI's Phase 2 plan screen (key h) ask them. The plan writes the
HelmRepository (in the sources folder, unless one with the same URL exists), `<folder>/helm-release.yaml`,
makes the folder's kustomization.yaml list only that file, and `git rm`s the manifests it replaces;
the engine's confirmation of the previewed plan is the user's confirmation.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from urllib.parse import urlparse

import yaml

from ..checklist import Question
from ..session import NeedsAnswers, UsageError
from .generate import HEADER, _dump
from .layout import Layout, Unit, slug

RELEASE_FILE = "helm-release.yaml"
HELM_API = "helm.toolkit.fluxcd.io/v2"
SOURCE_API = "source.toolkit.fluxcd.io/v1"
ITEM = "helm scaffold, 2.4 repo.flux-manifests"
_CHART = re.compile(r"^([a-z0-9]([a-z0-9._-]*[a-z0-9])?)@([0-9A-Za-z.*+<>=~^, x-]+)$")
_GENERIC_HOST = {"charts", "chart", "helm", "www", "helm-charts", "kubernetes-charts"}


@dataclass
class Request:
    folder: str
    chart: str
    version: str
    url: str
    values_path: str | None = None


@dataclass
class Scaffold:
    request: Request
    unit: Unit
    release: dict
    source: dict | None  # a new HelmRepository to write (None: an equivalent exists)
    source_name: str
    remove: list[str] = field(default_factory=list)  # hand-written manifest files it replaces
    replaced: list[str] = field(default_factory=list)  # their objects (keystr)

    @property
    def release_path(self) -> str:
        return f"{self.unit.target}/{RELEASE_FILE}"


def chart_problem(value: str) -> str | None:
    if _CHART.match(value.strip()):
        return None
    return ("use <chart>@<version>, e.g. grafana@8.5.2 (chart name in lowercase; the version may be a semver "
            "range such as 8.x), or leave it empty to keep the folder's manifests")


def url_problem(value: str) -> str | None:
    p = urlparse(value.strip())
    if p.scheme == "https" and p.netloc:
        return None
    return "give the https URL of the chart repository (e.g. https://grafana.github.io/helm-charts)"


def questions_for(folder: str) -> list[Question]:
    """The answers that turn a manifest folder into a HelmRelease scaffold (all empty: no scaffold)."""
    return [
        Question(f"helm.{folder}", f"Chart and version that replace the manifests of {folder}/ (<chart>@<version>, "
                                   "e.g. grafana@8.5.2; empty: keep the manifests)", optional=True, check=chart_problem),
        Question(f"helm-repo.{folder}", "The https URL of the chart repository (e.g. https://grafana.github.io/"
                                        "helm-charts)", optional=True, check=url_problem),
        Question(f"helm-values.{folder}", "A values YAML in the repository for the release (empty: the chart's "
                                          "defaults)", optional=True),
    ]


def requests(answers: dict) -> dict[str, Request]:
    """The scaffolds asked for, keyed by folder. A malformed answer is a UsageError; a missing
    one is asked for (NeedsAnswers, naming the question)."""
    def sub(prefix):
        return {k[len(prefix):].strip("/"): str(v) for k, v in answers.items() if k.startswith(prefix) and v}

    charts, repos, values = sub("helm."), sub("helm-repo."), sub("helm-values.")
    orphans = sorted(k for k in set(repos) | set(values) if k not in charts)
    if orphans:
        raise NeedsAnswers(f"helm-repo/helm-values are answered for {', '.join(orphans)} but not the chart: answer "
                           + ", ".join(f"helm.{k}" for k in orphans) + " (<chart>@<version>; empty drops the scaffold)",
                           [questions_for(k)[0] for k in orphans])
    out = {}
    for folder, value in charts.items():
        problem = chart_problem(value)
        if problem:
            raise UsageError(f"helm.{folder}={value!r}: {problem}.")
        url = repos.get(folder)
        if not url:
            raise NeedsAnswers(f"helm.{folder} needs the chart repository: answer helm-repo.{folder}",
                               [questions_for(folder)[1]])
        problem = url_problem(url)
        if problem:
            raise UsageError(f"helm-repo.{folder}={url!r}: {problem}.")
        m = _CHART.match(value.strip())
        out[folder] = Request(folder, m.group(1), m.group(3).strip(), url.rstrip("/"), values.get(folder))
    return out


def source_name(url: str) -> str:
    """A HelmRepository name from its URL: charts.jetstack.io -> jetstack, grafana.github.io -> grafana."""
    p = urlparse(url)
    labels = [x for x in p.netloc.split(":")[0].split(".") if x]
    name = next((x for x in labels if x not in _GENERIC_HOST), labels[0] if labels else "charts")
    return slug(name)[:63]


def helm_repository(name: str, url: str) -> dict:
    return {"apiVersion": SOURCE_API, "kind": "HelmRepository",
            "metadata": {"name": name, "namespace": "flux-system"},
            "spec": {"interval": "1h", "url": url}}


def helm_release(name: str, namespace: str, chart: str, version: str, source: str,
                 values: dict | None = None, source_namespace: str = "flux-system") -> dict:
    spec: dict = {"interval": "30m",
                  "chart": {"spec": {"chart": chart, "version": version,
                                     "sourceRef": {"kind": "HelmRepository", "name": source,
                                                   "namespace": source_namespace},
                                     "interval": "1h"}}}
    if values:
        spec["values"] = values
    return {"apiVersion": HELM_API, "kind": "HelmRelease",
            "metadata": {"name": name, "namespace": namespace}, "spec": spec}


def release_problems(doc) -> list[str]:
    """Structural check of a HelmRelease (no CRD schema ships for helm-controller)."""
    if not isinstance(doc, dict):
        return ["not a YAML mapping"]
    out = []
    if doc.get("apiVersion") != HELM_API:
        out.append(f"apiVersion must be {HELM_API}, not {doc.get('apiVersion')!r}")
    if doc.get("kind") != "HelmRelease":
        out.append(f"kind must be HelmRelease, not {doc.get('kind')!r}")
    if not (doc.get("metadata") or {}).get("name"):
        out.append("metadata.name: required")
    spec = (((doc.get("spec") or {}).get("chart") or {}).get("spec")) or {}
    for k in ("chart", "version"):
        if not isinstance(spec.get(k), str) or not spec.get(k):
            out.append(f"spec.chart.spec.{k}: required (a string)")
    ref = spec.get("sourceRef") or {}
    if ref.get("kind") not in ("HelmRepository", "GitRepository", "Bucket") or not ref.get("name"):
        out.append("spec.chart.spec.sourceRef: needs kind HelmRepository (or GitRepository/Bucket) and a name")
    return out


def release_file(doc: dict) -> str:
    note = ("# Replaces the hand-written manifests of this folder (removed with git rm; the wizard's journal\n"
            "# lists them as 'replaced by HelmRelease'). Edit the chart version and values here.\n")
    return HEADER.format(item=ITEM) + note + _dump(doc)


def source_file(doc: dict) -> str:
    return HEADER.format(item=ITEM) + _dump(doc)


def folder_kustomization() -> str:
    from .generate import KUSTOMIZE_API

    return HEADER.format(item=ITEM) + _dump({"apiVersion": KUSTOMIZE_API, "kind": "Kustomization",
                                             "resources": [RELEASE_FILE]})


def _unit_for(layout: Layout, folder: str) -> Unit:
    for u in layout.units:
        if folder in (u.path, u.origin, u.target):
            return u
    known = ", ".join(sorted(u.origin or u.path for u in layout.units)[:20])
    raise UsageError(f"helm.{folder}: there is no manifest folder {folder!r}; use one of: {known}.")


def values_file(repo, layout: Layout, path: str) -> str:
    """The values file as it is now: a path given before 2.3 moved its folder follows the move."""
    if (repo / path).is_file():
        return path
    for u in sorted(layout.units, key=lambda u: -len(u.origin or u.path)):
        origin = u.origin or u.path
        if origin != u.path and path.startswith(origin + "/"):
            moved = u.path + path[len(origin):]
            if (repo / moved).is_file():
                return moved
    return path


def _values(repo, req: Request, layout: Layout) -> dict | None:
    if not req.values_path:
        return None
    f = repo / values_file(repo, layout, req.values_path)
    if not f.is_file():
        raise UsageError(f"helm-values.{req.folder}={req.values_path!r}: no such file in the repository "
                         "(give its path relative to the repository root).")
    try:
        data = yaml.safe_load(f.read_text())
    except yaml.YAMLError as e:
        raise UsageError(f"helm-values.{req.folder}: {req.values_path} is not valid YAML ({e}); fix it or "
                         "drop the answer.") from None
    if data is None:
        return None
    if not isinstance(data, dict):
        raise UsageError(f"helm-values.{req.folder}: {req.values_path} must hold a YAML mapping of Helm values.")
    return data


def plan_scaffolds(repo, layout: Layout, scan_manifests, answers: dict) -> list[Scaffold]:
    from .validate import keystr

    out = []
    existing = {str((m.doc.get("spec") or {}).get("url", "")).rstrip("/"): m for m in scan_manifests
                if m.kind == "HelmRepository"}
    for folder, req in sorted(requests(answers).items()):
        u = _unit_for(layout, folder)
        own = [m for m in u.manifests if not (PurePosixPath(m.path).name == RELEASE_FILE and m.kind == "HelmRelease")]
        ns_count = Counter(m.namespace for m in u.manifests if m.namespace)
        namespace = ns_count.most_common(1)[0][0] if ns_count else "default"
        have = existing.get(req.url)
        if have is not None:
            src_name, src_ns, source = have.name, have.namespace or "flux-system", None
        else:
            src_name, src_ns = source_name(req.url), "flux-system"
            source = helm_repository(src_name, req.url)
        release = helm_release(u.name, namespace, req.chart, req.version, src_name, _values(repo, req, layout), src_ns)
        sc = Scaffold(req, u, release, source, src_name,
                      remove=sorted({m.path for m in own} | {f for f in u.files
                                                             if PurePosixPath(f).name != RELEASE_FILE}),
                      replaced=sorted(keystr(m.key) for m in own))
        problems = release_problems(release)
        if problems:
            raise UsageError(f"helm.{folder}: the HelmRelease would be invalid: {'; '.join(problems)}")
        out.append(sc)
    return out
