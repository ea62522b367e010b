"""Helm releases installed by hand (`helm install`), found through Helm's own storage (issue 13).

Helm keeps every revision of a release in a Secret of type helm.sh/release.v1, labelled owner=helm,
name=<release>, status=<deployed|superseded|failed|pending-…>, version=<revision>. The release itself
is the Secret's `release` key: base64 (the Secret's own encoding) of base64 of gzip of the release
JSON (helm pkg/storage/driver/util.go encodeRelease; gzip is absent in very old releases).

The decoded release holds the user's values (`config`, what `helm get values` prints), which may
hold passwords. It stays in memory: the listing runs with raw_stdout (never in the audit log), and a
Release's config and manifest are left out of its repr, so a log line or a state dump cannot carry
them. Only names, namespaces, chart and revision numbers ever leave this module as text.

Each release the owner decides on with declared Questions (questions_for; --set KEY=VALUE headless):
  helm-adopt.<namespace>/<release> = adopt | leave | later
  helm-adopt-repo.<namespace>/<release> = the chart repository URL (https://… or oci://…), when adopting
  helm-adopt-why.<namespace>/<release> = the reason, when it is left to the cluster
wizard.repo.helm_adopt.flux_objects writes the files for an adopted one.

A release that helm-controller already manages is skipped: helm-controller's post-renderer labels
every object it renders with helm.toolkit.fluxcd.io/name, and the stored manifest carries the labels.
"""
from __future__ import annotations

import base64
import binascii
import gzip
import json
from dataclasses import dataclass, field
from urllib.parse import urlparse

import yaml

from ..checklist import Question
from ..repo.scan import ObjectKey, group_of
from ..session import NeedsAnswers

RELEASE_TYPE = "helm.sh/release.v1"
FLUX_LABEL = "helm.toolkit.fluxcd.io/name"
ADOPT, LEAVE, LATER = "adopt", "leave", "later"
CHOICE_PREFIX, REPO_PREFIX, WHY_PREFIX = "helm-adopt.", "helm-adopt-repo.", "helm-adopt-why."
_GZIP_MAGIC = b"\x1f\x8b\x08"
# Kinds a chart may render without a namespace that are cluster-scoped (everything else lands in the
# release's namespace, as Helm puts it there).
CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition", "PersistentVolume",
                  "StorageClass", "PriorityClass", "IngressClass", "RuntimeClass", "CSIDriver", "APIService",
                  "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration", "ValidatingAdmissionPolicy",
                  "ValidatingAdmissionPolicyBinding", "ClusterIssuer", "VolumeSnapshotClass"}


class UndecodableRelease(ValueError):
    """A release Secret whose `release` key is not Helm's encoding (the message holds no data)."""


@dataclass
class Release:
    """The latest revision of one Helm release, as Helm stored it."""

    name: str
    namespace: str  # where the release's objects go (Helm's release namespace)
    storage_namespace: str  # where its storage Secret lives; the helm CLI keeps it in `namespace`
    revision: int
    status: str
    chart: str
    chart_version: str
    app_version: str = ""
    apply_method: str = ""  # "ssa" | "csa" (Helm 4); helm-controller's upgrade follows it ("auto")
    config: dict = field(default_factory=dict, repr=False)  # the user's values: may hold secrets
    manifest: str = field(default="", repr=False)
    flux_managed: bool = False
    storage: str = "Secret"  # or "ConfigMap" (HELM_DRIVER=configmap)

    @property
    def key(self) -> str:
        """`<namespace>/<name>`: the suffix of this release's question keys."""
        return f"{self.namespace}/{self.name}"

    @property
    def problem(self) -> str | None:
        """Why helm-controller cannot take this release over as it is (None: it can)."""
        if self.storage != "Secret":
            return (f"release {self.key} is stored in {self.storage}s (HELM_DRIVER=configmap), and helm-controller "
                    "reads releases only from Secrets: it would install the chart again instead of upgrading "
                    "this release; move the release to Secret storage with helm first, or leave it to the cluster")
        if self.status == "deployed":
            return None
        if self.status.startswith("pending"):
            return (f"release {self.key} is {self.status} (a helm command was interrupted); finish or roll it back "
                    "with helm first")
        return f"release {self.key} is {self.status}, not deployed; fix it with helm (rollback or upgrade) first"

    @property
    def objects(self) -> list[ObjectKey]:
        """The objects the release made (its stored manifest), as inventory keys."""
        return manifest_objects(self.manifest, self.namespace)


def manifest_objects(manifest: str, namespace: str) -> list[ObjectKey]:
    out = []
    for doc in yaml.safe_load_all(manifest or ""):
        if not isinstance(doc, dict) or not doc.get("kind"):
            continue
        md = doc.get("metadata") or {}
        kind = str(doc["kind"])
        ns = "" if kind in CLUSTER_SCOPED else (md.get("namespace") or namespace)
        out.append(ObjectKey(group_of(str(doc.get("apiVersion", ""))), kind, ns, str(md.get("name", ""))))
    return out


def decode_release(data: str, *, secret: bool = True) -> dict:
    """The release JSON from a storage object's `release` value, as `kubectl get -o json` shows it
    (a Secret's data adds a base64 layer that a ConfigMap's does not)."""
    try:
        inner = base64.b64decode(data, validate=True) if secret else data.encode()
        raw = base64.b64decode(inner, validate=True)
        if raw[:3] == _GZIP_MAGIC:
            raw = gzip.decompress(raw)
        rel = json.loads(raw)
    except (binascii.Error, OSError, EOFError, ValueError):
        # No `from e`: the underlying error may quote the data.
        raise UndecodableRelease("not Helm's release encoding (base64 of base64 of gzipped JSON)") from None
    if not isinstance(rel, dict):
        raise UndecodableRelease("the release is not a JSON object")
    return rel


def _flux_managed(secret_labels: dict, manifest: str) -> bool:
    if FLUX_LABEL in secret_labels:
        return True
    for doc in yaml.safe_load_all(manifest or ""):
        if isinstance(doc, dict) and FLUX_LABEL in ((doc.get("metadata") or {}).get("labels") or {}):
            return True
    return False


def release_from_secret(secret: dict) -> Release:
    """A Release from one storage Secret or ConfigMap (the whole object, as kubectl returns it)."""
    md = secret.get("metadata") or {}
    labels = md.get("labels") or {}
    storage = "ConfigMap" if secret.get("kind") == "ConfigMap" else "Secret"
    rel = decode_release(str((secret.get("data") or {}).get("release", "")), secret=storage == "Secret")
    meta = ((rel.get("chart") or {}).get("metadata")) or {}
    manifest = rel.get("manifest") or ""
    config = rel.get("config") or {}
    return Release(
        name=str(rel.get("name") or labels.get("name", "")),
        namespace=str(rel.get("namespace") or md.get("namespace", "")),
        storage_namespace=str(md.get("namespace", "")),
        revision=int(rel.get("version") or labels.get("version") or 0),
        status=str((rel.get("info") or {}).get("status") or labels.get("status", "")),
        chart=str(meta.get("name", "")), chart_version=str(meta.get("version", "")),
        app_version=str(meta.get("appVersion", "")), apply_method=str(rel.get("apply_method", "")),
        config=config if isinstance(config, dict) else {}, manifest=manifest,
        flux_managed=_flux_managed(labels, manifest), storage=storage)


def _latest(secrets: list[dict]) -> list[dict]:
    """The storage Secret of each release's highest revision (by its labels, before decoding)."""
    best: dict[tuple[str, str, str], dict] = {}
    for s in secrets:
        md = s.get("metadata") or {}
        labels = md.get("labels") or {}
        if (s.get("type") != RELEASE_TYPE and s.get("kind") != "ConfigMap") or not labels.get("name"):
            continue
        k = (s.get("kind", "Secret"), md.get("namespace", ""), labels["name"])
        if k not in best or _revision(s) > _revision(best[k]):
            best[k] = s
    return [best[k] for k in sorted(best, key=lambda k: (k[1], k[2], k[0]))]


def _revision(secret: dict) -> int:
    try:
        return int(((secret.get("metadata") or {}).get("labels") or {}).get("version", 0))
    except ValueError:
        return 0


def list_release_secrets(kubectl) -> list[dict]:
    """Every Helm storage Secret and ConfigMap in the cluster. The output holds the releases' values:
    raw_stdout keeps it out of the audit log (its size and hash only), and nothing here prints it."""
    res = kubectl.run("get", "secrets,configmaps", "--all-namespaces", "-l", "owner=helm", "-o", "json",
                      timeout=120, raw_stdout=True, log_output=False)
    return (res.json().get("items") or []) if res.stdout.strip() else []


def find_releases(session, *, include_flux_managed: bool = False) -> list[Release]:
    """The latest revision of each Helm release in the cluster that Flux does not manage yet.

    Values that look like secrets are registered with the runner's redactor, so they are masked
    wherever a later command's output or error is shown or logged (e.g. a kubectl diff).
    """
    from ..repo.helm_adopt import split_values

    out = []
    for s in _latest(list_release_secrets(session.kubectl)):
        try:
            rel = release_from_secret(s)
        except UndecodableRelease:
            md = s.get("metadata") or {}
            labels = md.get("labels") or {}
            rel = Release(labels.get("name", ""), md.get("namespace", ""), md.get("namespace", ""), _revision(s),
                          "unreadable (not Helm's release encoding)", "", "",
                          storage="ConfigMap" if s.get("kind") == "ConfigMap" else "Secret")
        if rel.flux_managed and not include_flux_managed:
            continue
        for value in _leaves(split_values(rel.config).secret):
            session.runner.redactor.add(value)
        out.append(rel)
    return out


def _leaves(tree) -> list[str]:
    if isinstance(tree, dict):
        return [v for x in tree.values() for v in _leaves(x)]
    if isinstance(tree, list):
        return [v for x in tree for v in _leaves(x)]
    return [str(tree)] if isinstance(tree, str) and len(tree) >= 4 else []


# ---- questions -----------------------------------------------------------------------------------
def repo_url_problem(value: str) -> str | None:
    p = urlparse(value.strip())
    if p.scheme in ("https", "http", "oci") and p.netloc:
        return None
    return ("give the URL of the chart repository the release came from: https://… (a Helm repository, "
            "e.g. https://charts.jetstack.io) or oci://… (an OCI registry, e.g. oci://ghcr.io/org/charts)")


def questions_for(releases: list[Release]) -> list[Question]:
    """Per release: adopt, leave to the cluster, or decide later; and, when adopting, the chart
    repository's URL (the release does not record where its chart came from)."""
    out = []
    for r in releases:
        if r.problem:
            continue
        choice = f"{CHOICE_PREFIX}{r.key}"
        out.append(Question(
            choice, f"Helm release {r.key} ({r.chart} {r.chart_version}, revision {r.revision}), installed by hand: "
                    "adopt it under Flux, leave it to the cluster, or decide later?",
            choices=[(ADOPT, "adopt: a HelmRelease takes it over as an upgrade of the same release"),
                     (LEAVE, "leave it to the cluster (recorded with a reason; not reported as missing)"),
                     (LATER, "decide later")],
            default=LATER,
            help="Adopting keeps the release name, namespace, chart version and values; helm-controller upgrades "
                 "the release in place (revision +1), the objects keep their UIDs."))
        out.append(Question(
            f"{REPO_PREFIX}{r.key}", f"Chart repository of {r.chart} for release {r.key} (https://… or oci://…)",
            check=repo_url_problem, when=lambda a, k=choice: a.get(k) == ADOPT))
        out.append(Question(f"{WHY_PREFIX}{r.key}", f"Why the Helm release {r.key} stays outside Flux",
                            when=lambda a, k=choice: a.get(k) == LEAVE))
    return out


def choices(releases: list[Release], answers: dict) -> dict[str, str]:
    """{release key: adopt|leave|later} for the releases answered so far (unanswered: later)."""
    return {r.key: str(answers.get(f"{CHOICE_PREFIX}{r.key}") or LATER) for r in releases}


def _open_questions(r: Release, answers: dict, qs: dict[str, Question]) -> list[Question]:
    choice = str(answers.get(f"{CHOICE_PREFIX}{r.key}", "")).strip()
    if choice not in (ADOPT, LEAVE, LATER):  # with the follow-ups a form shows once a choice needs them
        return [qs[f"{p}{r.key}"] for p in (CHOICE_PREFIX, REPO_PREFIX, WHY_PREFIX)]
    need = {ADOPT: REPO_PREFIX, LEAVE: WHY_PREFIX}.get(choice)
    value = str(answers.get(f"{need}{r.key}", "")).strip() if need else "-"
    if not value or (need == REPO_PREFIX and repo_url_problem(value)):
        return [qs[f"{need}{r.key}"]]
    return []


def decisions(releases: list[Release], answers: dict) -> tuple[dict[str, list[Release]], list[Question]]:
    """({adopt|leave|later: releases}, the questions still open), like wizard.cluster.adopt.decisions:
    a release without a valid choice, adopted without a repository URL, or left without a reason is
    open. Releases with a problem are in neither (they get no question; show Release.problem)."""
    by: dict[str, list[Release]] = {ADOPT: [], LEAVE: [], LATER: []}
    open_qs: list[Question] = []
    qs = {q.key: q for q in questions_for(releases)}
    for r in releases:
        if r.problem:
            continue
        missing = _open_questions(r, answers, qs)
        if missing:
            open_qs += missing
        else:
            by[str(answers[f"{CHOICE_PREFIX}{r.key}"]).strip()].append(r)
    return by, open_qs


def left_to_cluster(answers: dict) -> dict[str, str]:
    """{namespace/release: reason} of the Helm releases the owner chose to leave outside Flux."""
    return {k[len(CHOICE_PREFIX):]: str(answers.get(f"{WHY_PREFIX}{k[len(CHOICE_PREFIX):]}", "")).strip()
            for k, v in answers.items() if k.startswith(CHOICE_PREFIX) and v == LEAVE}


def repo_url(release: Release, answers: dict) -> str:
    """The chart repository URL answered for an adopted release; NeedsAnswers when it is missing."""
    url = str(answers.get(f"{REPO_PREFIX}{release.key}") or "").strip()
    if not url or repo_url_problem(url):
        q = [q for q in questions_for([release]) if q.key.startswith(REPO_PREFIX)]
        raise NeedsAnswers(f"adopting Helm release {release.key} needs the URL of its chart repository "
                           f"({release.chart} {release.chart_version})", q)
    return url.rstrip("/")
