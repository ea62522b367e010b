"""The ownership preview against the pinned cluster (issue 13): every object the Flux Kustomizations
will apply, read live (with its managedFields) and dry-run as kustomize-controller, in two batched
kubectl calls on stdin; then wizard.flux.ownership compares them.

- Kinds the cluster does not serve: provided when a CRD or a HelmRelease of a known chart in some Flux
  path installs them (dependsOn orders it), or Flux's own; otherwise a finding nothing provides.
- SOPS-encrypted documents are left to Flux's decryption (they cannot be dry-run here, as in 2.4).
- Only objects that exist are dry-run: a new object has no owner yet, and its namespace may not exist.
- Secrets: their values are registered with the redactor, stdin is marked secret, and no output that
  holds them goes to the audit log; findings carry field paths only.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import yaml

from ..repo.removed_apis import not_served, upgrade_key
from ..repo.roles import CHART_CRDS, helm_chart_of, is_flux_group
from ..repo.scan import group_of
from ..repo.validate import served_kinds
from ..tools.manifest_stream import as_stream
from .ownership import FIELD_MANAGER, Finding, compare, counts, prune_findings, ref_of, sort_findings

OWNER_LABELS = ("kustomize.toolkit.fluxcd.io/name", "kustomize.toolkit.fluxcd.io/namespace")
KS_NAMESPACE = "flux-system"


@dataclass
class Preview:
    findings: list[Finding] = field(default_factory=list)
    objects: int = 0  # rendered by the Flux paths
    existing: int = 0  # already on the cluster (dry-run as kustomize-controller)
    new: int = 0  # Flux creates them
    ordered: list[str] = field(default_factory=list)  # kinds an earlier Flux path installs
    left_to_flux_decryption: list[str] = field(default_factory=list)

    @property
    def blocking(self) -> list[Finding]:
        return [f for f in self.findings if f.blocking]

    def evidence(self) -> dict:
        return {"objects": self.objects, "existing": self.existing, "new": self.new,
                "counts": counts(self.findings), "findings": [f.as_dict() for f in self.findings],
                "ordered_by_dependson": self.ordered, "left_to_flux_decryption": self.left_to_flux_decryption}


def provided_groups(renders: dict[str, list[dict]]) -> set[str]:
    """API groups a Flux path installs: its CRDs, and the charts of its HelmReleases."""
    out: set[str] = set()
    for docs in renders.values():
        for d in docs:
            if d.get("kind") == "CustomResourceDefinition":
                out.add(str((d.get("spec") or {}).get("group") or ""))
            elif d.get("kind") == "HelmRelease":
                out.update(CHART_CRDS.get(helm_chart_of(d) or "", ()))
    return out


def unprovided_finding(doc: dict, path: str) -> Finding:
    gone = not_served(doc["apiVersion"], doc["kind"])
    if gone is not None:  # a removed version: no provider can bring it back, so no crd-provider question
        return Finding("rejected", ref_of(doc), f"it is {gone.said}, so no CRD can provide it and Flux fails the "
                       f"Kustomization {path}", f"answer {upgrade_key(doc)}={gone.answers}, then run 2.2 "
                       "repo.kustomizations, 2.4 and 2.5 again", key=upgrade_key(doc), path=path)
    group = group_of(doc["apiVersion"])
    return Finding("unprovided", ref_of(doc), f"the cluster does not serve {doc['apiVersion']} and nothing in the "
                   "repo installs it (no CRD, no HelmRelease of its controller): Flux fails the Kustomization "
                   f"{path} and, through dependsOn, never applies what comes after it",
                   f"leave these objects out of Flux, or add its provider (a HelmRelease of the chart that installs "
                   f"{group}) to infrastructure/ yourself: answer crd-provider.{group}=exclude|helm", key=f"crd-provider.{group}",
                   path=path)


def preview(session, renders: dict[str, list[dict]], *, live_kustomizations: list[dict] | None = None,
            override: tuple[str, ...] = ()) -> Preview:
    """The findings for every object of `renders` (Flux Kustomization name -> rendered documents)."""
    pv = Preview()
    pairs = [(ks, d) for ks, docs in renders.items() for d in docs]
    pv.objects = len(pairs)
    served, _ = served_kinds(session, [d for _, d in pairs]) if pairs else (set(), set())
    provided = provided_groups(renders)
    send: list[tuple[str, dict]] = []
    for ks, d in pairs:
        if "sops" in d:
            pv.left_to_flux_decryption.append(ref_of(d))
        elif (d["apiVersion"], d["kind"]) in served:
            send.append((ks, _as_flux_applies(d, ks)))
        elif group_of(d["apiVersion"]) in provided or is_flux_group(group_of(d["apiVersion"])):
            pv.ordered.append(ref_of(d))
        else:
            pv.findings.append(unprovided_finding(d, ks))
    _guard_secrets(session, [d for _, d in send])
    live = live_objects(session, [d for _, d in send])
    existing = [(ks, d) for ks, d in send if _key(d) in live]
    pv.existing, pv.new = len(existing), len(send) - len(existing)
    dry, errors = _remembered_dry_run(session, [d for _, d in existing], live)
    for ks, d in existing:
        k = _key(d)
        pv.findings += compare(d, live[k], dry.get(k), _error_for(d, errors), path=ks, override=override)
    for kust in live_kustomizations or []:
        name = kust["metadata"]["name"]
        if name in renders:
            pv.findings += prune_findings(kust, renders[name])
    pv.findings = sort_findings(pv.findings)
    return pv


def _as_flux_applies(doc: dict, ks: str) -> dict:
    """The object as kustomize-controller sends it: with its owner labels."""
    d = dict(doc)
    md = dict(d.get("metadata") or {})
    md["labels"] = {**(md.get("labels") or {}), OWNER_LABELS[0]: ks, OWNER_LABELS[1]: KS_NAMESPACE}
    d["metadata"] = md
    return d


def _key(d: dict) -> tuple[str, str, str, str]:
    md = d.get("metadata") or {}
    return group_of(d.get("apiVersion") or ""), d.get("kind"), md.get("namespace") or "", md.get("name")


def _guard_secrets(session, docs: list[dict]) -> None:
    for d in docs:
        if d.get("kind") == "Secret":
            for part in ("data", "stringData"):
                for v in (d.get(part) or {}).values():
                    if isinstance(v, str) and v:
                        session.runner.redactor.add(v, found=True)


def _items(stdout: str) -> list[dict]:
    import json

    text = stdout.strip()
    if not text:
        return []
    got = json.loads(text)
    return got.get("items") or [] if got.get("kind") == "List" else [got]


def live_objects(session, docs: list[dict]) -> dict[tuple, dict]:
    """The live objects (with managedFields) of `docs`, by key; absent ones are left out."""
    if not docs:
        return {}
    import hashlib

    from ..cluster.memo import remembered

    text = as_stream(docs)
    has_secret = any(d.get("kind") == "Secret" for d in docs)

    def read() -> dict[tuple, dict]:
        res = session.kubectl.run("get", "-f", "-", "-o", "json", "--show-managed-fields", "--ignore-not-found",
                                  "--request-timeout=60s", stdin=text,
                                  stdin_is_secret=has_secret, timeout=120, log_output=False)
        return {_key(o): o for o in _items(res.stdout)}

    # verify-all reads them for 3.0 and again for 4.2's evidence: one read serves both (memo.py's rules).
    return remembered(session, "live:" + hashlib.sha256(text.encode()).hexdigest(), read)


_INVALID = re.compile(r'(?:^|\s)([A-Za-z0-9]+)(?:\.[a-z0-9.-]+)? "([^"]+)" is invalid')


def dry_run(session, docs: list[dict]) -> tuple[dict[tuple, dict], list[str]]:
    """({key: object as it would be}, error lines) of a server-side apply dry-run as kustomize-controller."""
    if not docs:
        return {}, []
    has_secret = any(d.get("kind") == "Secret" for d in docs)
    res = session.kubectl.run("apply", "--server-side", "--dry-run=server", f"--field-manager={FIELD_MANAGER}",
                              "--force-conflicts", "--show-managed-fields", "-f", "-", "-o", "json",
                              "--request-timeout=60s", stdin=as_stream(docs),
                              stdin_is_secret=has_secret, ok_codes=(0, 1), timeout=180, log_output=False)
    errors = [ln.strip() for ln in res.stderr.splitlines() if ln.strip() and not ln.startswith("Warning:")]
    try:
        out = {_key(o): o for o in _items(res.stdout)}
    except ValueError:
        out = {}
    return out, errors


def _remembered_dry_run(session, docs: list[dict], live: dict[tuple, dict]) -> tuple[dict[tuple, dict], list[str]]:
    """dry_run, kept in the session for the same documents against the same live objects (their uid and
    resourceVersion, just read): verify-all asks twice (3.0, then 4.2 for its evidence), and a run's plan and
    verify ask again. Anything that changed one of those objects since gives another key, so never stale."""
    import hashlib
    import json

    versions = sorted((str(k), (o.get("metadata") or {}).get("uid"), (o.get("metadata") or {}).get("resourceVersion"))
                      for k, o in live.items())
    key = ("ownership-dry-run", hashlib.sha256(json.dumps([docs, versions], sort_keys=True, default=str)
                                               .encode()).hexdigest())
    import time

    hit = session.cache.get(key)
    if hit is None or time.monotonic() - hit[0] > 120:  # what the key cannot see (a CRD's new schema) ages out
        hit = session.cache[key] = (time.monotonic(), dry_run(session, docs))
    return hit[1]


def _error_for(doc: dict, errors: list[str]) -> str | None:
    kind, name = doc.get("kind"), (doc.get("metadata") or {}).get("name")
    for line in errors:
        m = _INVALID.search(line)
        if m and m.group(1) == kind and m.group(2) == name:
            return line
        if not m and f'"{name}"' in line and kind in line:
            return line
    return None


def flux_kustomizations(session, cluster: str) -> dict[str, str]:
    """Flux Kustomization name -> path, from the files 2.4 wrote in clusters/<cluster>/ (not flux-system/)."""
    out: dict[str, str] = {}
    folder = session.repo / "clusters" / cluster
    for f in sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")]) if folder.is_dir() else []:
        try:
            docs = list(yaml.safe_load_all(f.read_text()))
        except yaml.YAMLError:
            continue  # 2.4 reports it
        for d in docs:
            if isinstance(d, dict) and d.get("kind") == "Kustomization" and \
                    str(d.get("apiVersion", "")).startswith("kustomize.toolkit.fluxcd.io/"):
                path = str((d.get("spec") or {}).get("path", "")).removeprefix("./").strip("/")
                out[(d.get("metadata") or {}).get("name", f.stem)] = path
    return out


def render(session, paths: dict[str, str]) -> tuple[dict[str, list[dict]], list[str]]:
    """(rendered documents per Flux Kustomization, the paths that do not build)."""
    from ..repo.validate import BuildFailed, build

    renders, problems = {}, []
    for name, path in paths.items():
        try:
            renders[name] = build(session, path)
        except BuildFailed as e:
            problems.append(str(e))
    return renders, problems
