"""Objects that exist only in the cluster, and the manifests that bring them into the repo (2.0).

A hand-run homelab never matches its repo: some objects were made with `kubectl create`, some
edited in place. 1.3 lists them as "only in cluster"; here each becomes a candidate the owner
decides on, per object, with a declared Question:

  adopt.<Kind>/<namespace>/<name> = adopt | leave | later
  adopt-why.<Kind>/<namespace>/<name> = the reason, when it is left to the cluster

An adopted object is written with the backup's cleaning rules (cluster/clean.py: no status, no
server-set fields, no last-applied), into the folder of the repo that already holds its namespace,
so the layout classifies it like its neighbours and Flux applies it onto the same object (the same
UID: server-side apply takes it over, nothing is recreated). Objects a Helm release or another
controller made are not offered: they are adopted with their release, or made again by their owner.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import PurePosixPath

from ..checklist import Question
from ..repo.scan import ObjectKey

ADOPT, LEAVE, LATER = "adopt", "leave", "later"
CHOICES = [(ADOPT, "adopt: write a cleaned manifest into the repo"),
           (LEAVE, "leave it to the cluster (Flux will not manage it; 4.1 lists it as left by choice)"),
           (LATER, "decide later (2.0 stays open)")]
ADOPTED_ROOT = "adopted"
HELM_RELEASE_ANNOTATION = "meta.helm.sh/release-name"
FLUX_GROUP_SUFFIX = ".toolkit.fluxcd.io"
FLUX_NAMESPACE = "flux-system"


@dataclass
class Candidate:
    key: ObjectKey
    obj: dict  # the live object, as `kubectl get -o json --show-managed-fields` returned it

    @property
    def ref(self) -> str:
        """`Kind/namespace/name`, the form duplicate.<ref> answers use too (namespace empty when cluster-scoped)."""
        return f"{self.key.kind}/{self.key.namespace}/{self.key.name}"

    @property
    def is_secret(self) -> bool:
        return self.key.group == "" and self.key.kind == "Secret"


def made_by_someone_else(obj: dict) -> str | None:
    """Why an object is not offered for adoption (its owner makes it), or None."""
    md = obj.get("metadata") or {}
    ann, labels = md.get("annotations") or {}, md.get("labels") or {}
    if HELM_RELEASE_ANNOTATION in ann or labels.get("app.kubernetes.io/managed-by") == "Helm":
        rel = ann.get(HELM_RELEASE_ANNOTATION, "?")
        return f"part of the Helm release {md.get('namespace', '')}/{rel}: adopt it with its release"
    owners = [o for o in md.get("ownerReferences") or [] if o.get("controller")]
    if owners:
        return f"made by its controller ({owners[0].get('kind')} {owners[0].get('name')})"
    if (obj.get("type") or "") == "helm.sh/release.v1":
        return "a Helm release's own record"
    if obj.get("kind") == "CustomResourceDefinition" and str(md.get("name", "")).endswith(FLUX_GROUP_SUFFIX):
        return "Flux's own CRD: flux bootstrap installs and manages it"
    if md.get("namespace") == FLUX_NAMESPACE or (obj.get("kind") == "Namespace" and md.get("name") == FLUX_NAMESPACE):
        return "in flux-system: flux bootstrap and the wizard (S.4's sops-age, the git credentials) make what is there"
    return None


def statefulset_claims(live: dict[ObjectKey, dict]) -> dict[tuple[str, str], str]:
    """{(namespace, PVC name prefix): StatefulSet} for the claims StatefulSets make from their
    volumeClaimTemplates (`<template>-<statefulset>-<ordinal>`); such a PVC has no owner reference."""
    out = {}
    for k, o in live.items():
        if (k.group, k.kind) != ("apps", "StatefulSet"):
            continue
        for t in (o.get("spec") or {}).get("volumeClaimTemplates") or []:
            name = (t.get("metadata") or {}).get("name")
            if name:
                out[(k.namespace, f"{name}-{k.name}-")] = k.name
    return out


def _claimed_by(k: ObjectKey, claims: dict[tuple[str, str], str]) -> str | None:
    if (k.group, k.kind) != ("", "PersistentVolumeClaim"):
        return None
    for (ns, prefix), sts in claims.items():
        if ns == k.namespace and k.name.startswith(prefix) and k.name[len(prefix):].isdigit():
            return f"made by the StatefulSet {ns}/{sts} from its volumeClaimTemplates"
    return None


def made_by_owners(live: dict[ObjectKey, dict]) -> dict[ObjectKey, str]:
    """{object: who makes it} for the live objects another owner makes (a Helm release, a controller, a
    StatefulSet's claim templates): never offered for adoption, never "new by other hands" for 1.3."""
    claims = statefulset_claims(live)
    return {k: why for k, o in live.items() if (why := made_by_someone_else(o) or _claimed_by(k, claims))}


def candidates(rows, live: dict[ObjectKey, dict]) -> tuple[list[Candidate], dict[str, str]]:
    """(the objects to decide on, {object: why it is not offered}) from 1.3's inventory rows."""
    out, skipped = [], {}
    claims = statefulset_claims(live)
    for r in rows:
        if r.status != "only in cluster" or r.key not in live:
            continue
        why = made_by_someone_else(live[r.key]) or _claimed_by(r.key, claims)
        if why:
            skipped[str(r.key)] = why
        else:
            out.append(Candidate(r.key, live[r.key]))
    return sorted(out, key=lambda c: c.ref), skipped


def questions(cands: list[Candidate]) -> list[Question]:
    qs = []
    for c in cands:
        key = f"adopt.{c.ref}"
        qs.append(Question(key, f"{c.key}: only in the cluster. Adopt it into the repo?", CHOICES, default=ADOPT,
                           help="Adopt writes it to git (a Secret encrypted, never in plaintext); leave keeps it "
                                "outside Flux with a reason; later keeps 2.0 open."))
        qs.append(Question(f"adopt-why.{c.ref}", f"Why {c.key} stays outside git",
                           when=lambda a, k=key: a.get(k) == LEAVE))
    return qs


def decisions(cands: list[Candidate], answers: dict) -> tuple[dict[str, list[Candidate]], list[Question]]:
    """({choice: candidates}, the questions still open): a candidate without a valid choice, or left
    without a reason, is open."""
    by: dict[str, list[Candidate]] = {ADOPT: [], LEAVE: [], LATER: []}
    open_qs: list[Question] = []
    qs = {q.key: q for q in questions(cands)}
    for c in cands:
        choice = str(answers.get(f"adopt.{c.ref}", "")).strip()
        if choice not in by:  # with its reason, which a form shows once "leave" is chosen
            open_qs += [qs[f"adopt.{c.ref}"], qs[f"adopt-why.{c.ref}"]]
            continue
        if choice == LEAVE and not str(answers.get(f"adopt-why.{c.ref}", "")).strip():
            open_qs.append(qs[f"adopt-why.{c.ref}"])
            continue
        by[choice].append(c)
    return by, open_qs


def left_to_cluster(answers: dict) -> dict[str, str]:
    """{Kind/namespace/name: reason} of the objects the owner chose to leave outside git (4.1 reads it)."""
    out = {}
    for k, v in answers.items():
        if k.startswith("adopt.") and v == LEAVE:
            ref = k[len("adopt."):]
            out[ref] = str(answers.get(f"adopt-why.{ref}", "")).strip()
    return out


def folder_for(c: Candidate, units) -> tuple[str, str | None]:
    """(folder, its kustomization file or None) where the object goes: the plain folder of the repo
    that holds most objects of its namespace (for a Namespace: of the namespace it is), else
    adopted/<namespace> (adopted/cluster-scoped)."""
    ns = c.key.name if (c.key.kind == "Namespace" and c.key.group == "") else c.key.namespace
    counts: Counter = Counter()
    plain = {u.path: u for u in units if not u.tree and u.entry in ("", ".") and not u.carried}
    for path, u in plain.items():
        counts[path] = sum(1 for m in u.manifests if ns and (m.namespace == ns or
                                                             (m.kind == "Namespace" and m.name == ns)))
    best = [p for p, n in counts.most_common() if n > 0]
    if best:
        u = plain[best[0]]
        return u.path, u.kustomization
    return f"{ADOPTED_ROOT}/{ns or 'cluster-scoped'}", None


def file_name(c: Candidate, taken: set[str]) -> str:
    from ..repo.layout_model import slug

    base = f"{slug(c.key.kind)}-{slug(c.key.name)}"
    name, n = f"{base}.yaml", 2
    while name in taken:
        name, n = f"{base}-{n}.yaml", n + 1
    taken.add(name)
    return name


def join(folder: str, name: str) -> str:
    return name if folder in ("", ".") else str(PurePosixPath(folder) / name)
