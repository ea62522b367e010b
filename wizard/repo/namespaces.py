"""Objects without `metadata.namespace`, and namespaces the manifests use that nothing creates.

`kubectl apply -f` puts a namespaced object with no namespace into the kubeconfig context's
namespace; kustomize-controller refuses it ("ConfigMap/x namespace not specified"). Each one gets
the namespace it lives in now: the one the cluster shows (when connected), else the context's,
else `default`. 2.2 writes it (phases/repo/namespace_fix.py), and the reference set of Phase 2
holds each object in that namespace from the start: the owner's apply put it there.

A namespace that objects use but no Namespace manifest creates was made by hand. It is offered
as `create-namespace.<ns>=write|leave`; asked before anything changes where the cluster is
connected and does not have it (Flux would fail there), offered in the preview otherwise.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

from ..checklist import Question
from .layout_model import Layout, Unit
from .scan import Manifest, ObjectKey, group_of
from .scopes import Scopes, repo_crd_scopes, scope_question

# Namespaces every cluster has, or that flux bootstrap creates: never "created by nothing".
GIVEN = {"default", "kube-system", "kube-public", "kube-node-lease", "flux-system"}
WRITE, LEAVE = "write", "leave"


@dataclass
class Facts:
    """What the cluster says (nothing, offline)."""

    default_ns: str = "default"
    default_why: str = "default (no kubeconfig context names a namespace)"
    served: dict[tuple[str, str], tuple[str, bool]] = field(default_factory=dict)  # (group, kind) -> (resource, ns'd)
    lives: object = None  # (resource, group, name) -> [namespaces], or None offline
    existing: set[str] | None = None  # the cluster's namespaces, None offline


@dataclass
class Homeless:
    """A namespaced object with no namespace, and the namespace it gets."""

    unit: Unit
    manifest: Manifest
    namespace: str
    why: str


@dataclass
class Placement:
    homeless: list[Homeless] = field(default_factory=list)
    by_key: dict[ObjectKey, str] = field(default_factory=dict)
    orphans: dict[str, list[Manifest]] = field(default_factory=dict)  # namespace -> the objects in it
    write: dict[str, Unit] = field(default_factory=dict)  # namespace -> the unit its manifest goes into
    notes: list[str] = field(default_factory=list)
    scopes: Scopes | None = None

    def place(self, key: ObjectKey) -> ObjectKey:
        """The key with the namespace the object lives in (unchanged when it names one or needs none)."""
        if key.namespace:
            return key
        ns = self.by_key.get(key)
        return ObjectKey(key.group, key.kind, ns, key.name) if ns else key

    def namespace_keys(self) -> list[ObjectKey]:
        """The Namespace objects 2.2 writes (answered create-namespace.<ns>=write)."""
        return [ObjectKey("", "Namespace", "", ns) for ns in sorted(self.write)]


def create_key(ns: str) -> str:
    return f"create-namespace.{ns}"


def _names(ms: list[Manifest], n: int = 4) -> str:
    return ", ".join(f"{m.kind} {m.name} ({m.where})" for m in ms[:n]) + (" …" if len(ms) > n else "")


def _where_now(m: Manifest, facts: Facts, answers: dict) -> tuple[str | None, str, Question | None]:
    """(namespace, why, question when the cluster has it in several)."""
    group = group_of(m.api_version)
    answered = answers.get(f"namespace.{m.kind}/{m.name}")
    if answered:
        return answered, "your answer", None
    served = facts.served.get((group, m.kind))
    seen = facts.lives(served[0], group, m.name) if served and facts.lives else []
    if len(seen) == 1:
        return seen[0], "where the cluster has it now", None
    if len(seen) > 1:
        q = Question(f"namespace.{m.kind}/{m.name}", f"{m.kind} {m.name} ({m.where}) has no namespace, and the "
                     f"cluster has one in each of {', '.join(seen)}: which one does this manifest make?",
                     [(ns, ns) for ns in seen], default=None, where=m.where)
        return None, "", q
    return facts.default_ns, facts.default_why, None


def place(units: list[Unit], manifests: list[Manifest], facts: Facts, answers: dict, msgs: dict,
          unit_namespace=lambda u: None) -> Placement:
    """Give every namespaced object that names no namespace the one it lives in: each unit's objects
    are replaced by copies in that namespace (the originals are kept in `homeless`, for 2.2's edits).
    `unit_namespace(u)` is the `namespace:` a plain folder's kustomization already sets. The questions
    that must be answered first go into msgs["needs"] and msgs["blocks"]."""
    all_objects = [m for u in units for m in u.objects]
    scopes = Scopes({k: v[1] for k, v in facts.served.items()}, repo_crd_scopes(manifests + all_objects), answers)
    out = Placement(scopes=scopes)
    unknown: dict[tuple[str, str], list[Manifest]] = {}
    for u in units:
        set_by_field = unit_namespace(u)
        placed = []
        for m in u.objects:
            scoped = None if m.namespace else scopes.namespaced(m.api_version, m.kind)
            if m.namespace or scoped is False:
                placed.append(m)
                continue
            if scoped is None:
                unknown.setdefault((group_of(m.api_version), m.kind), []).append(m)
                placed.append(m)
                continue
            if set_by_field:  # kustomize renders it there already: nothing to write
                ns, why = set_by_field, f"{u.kustomization} sets it"
            else:
                ns, why, q = _where_now(m, facts, answers)
                if q is not None:
                    if q.key not in {x.key for x in msgs["needs"]}:
                        msgs["needs"].append(q)
                        msgs["blocks"].append(q.prompt + f" Answer {q.key}=<{'|'.join(v for v, _ in q.choices)}>")
                    placed.append(m)
                    continue
                out.homeless.append(Homeless(u, m, ns, why))
            out.by_key.setdefault(m.key, ns)
            placed.append(replace(m, namespace=ns))
        if u.rendered is not None:
            u.rendered = placed
        else:
            u.manifests = placed
    for (group, kind), ms in sorted(unknown.items()):
        q = scope_question(group, kind, ms)
        msgs["needs"].append(q)
        msgs["blocks"].append(f"{_names(ms)} has no namespace, and nothing says whether {kind} ({group or 'core'}) "
                              f"is namespaced (kustomize-controller refuses a namespaced object without one): answer "
                              f"{q.key}=namespaced|cluster")
    return out


def made_by_hand(layout: Layout, out: Placement, facts: Facts, answers: dict) -> None:
    """Namespaces the objects use that nothing in the repo creates: written (answer write), left made
    by hand (answer leave), asked before anything changes where the cluster lacks them, else offered
    in the preview (the cluster has them, or there is no cluster to ask)."""
    created = {m.name for u in layout.units for m in u.objects if m.kind == "Namespace"}
    users: dict[str, list[Manifest]] = {}
    first: dict[str, Unit] = {}
    for u in layout.units:
        for m in u.objects:
            if m.kind == "Namespace" or out.scopes.namespaced(m.api_version, m.kind) is False:
                continue
            ns = m.namespace or out.by_key.get(m.key)
            if ns and ns not in created and ns not in GIVEN:
                users.setdefault(ns, []).append(m)
                first.setdefault(ns, u)
    out.orphans = users
    for ns, ms in sorted(users.items()):
        answer = answers.get(create_key(ns))
        if answer == WRITE:
            out.write[ns] = first[ns]
            continue
        sentence = (f"the namespace {ns} is used by {_names(ms)} and created by nothing in the repo (it was made "
                    "by hand)")
        if answer == LEAVE:
            out.notes.append(f"{sentence}; it stays made by hand (your answer), so it must exist before Flux applies")
            continue
        if facts.existing is None or ns in facts.existing:
            out.notes.append(f"{sentence}; answer {create_key(ns)}=write to have 2.2 write its Namespace manifest")
            continue
        # The cluster lacks it, so Flux would fail every object in it: asked before anything changes.
        layout.needs.append(Question(
            create_key(ns), f"{sentence}: write its Namespace manifest into the repo?",
            [(WRITE, f"write a Namespace manifest for {ns} (Flux then creates it on any cluster)"),
             (LEAVE, "leave it made by hand (it must exist wherever Flux applies these objects)")],
            default=WRITE, where=ms[0].where))
        layout.blocks.append(f"{sentence}, and the cluster does not have it: answer {create_key(ns)}=write|leave")

