"""2.0 repo.adopt: bring the objects that exist only in the cluster into the repo, or leave them by choice.

It runs before 2.1-2.4 so that an adopted object is a manifest like any other when the layout is
planned: 2.2 lists it in its folder's kustomization, 2.3 moves it with its neighbours, and after
bootstrap Flux applies it onto the live object (same UID). The per-object choice is a declared
Question (cluster/adopt.py); the plan shows every file it writes, as a diff, before anything is
written. A Secret is written only encrypted (SOPS or Sealed Secrets, S.2's method and key): its
plaintext goes from kubectl's output to sops or kubeseal through stdin, never to a file.
"""
from __future__ import annotations

import yaml

from ...checklist import Item, Plan, Step, Verdict
from ...cluster import adopt as ad
from ...cluster import helm_releases as hr
from ...cluster.clean import clean
from ...cluster.inventory import build_inventory
from ...cluster.listing import cluster_listing, key_of
from ...repo.ops import op_edit, op_mkdir, op_write
from ...repo.scan import ObjectKey, scan
from ...repo.validate import BuildFailed
from ...repo.validate import key_of as vkey_of
from ...session import Blocked, NeedsAnswers, UsageError
from . import adopt_helm
from .baseline import add_adopted
from .common import context, stop_if_open
from .steps import apply_plan, begin, plan_ops

HEADER = "# Adopted from the cluster by homelab-wizard 2.0 (it existed only there; cleaned of server-set fields)\n"


def rendered_keys(session, ctx) -> set[ObjectKey]:
    """Every object the repo's units render as Phase 2 reads them: a kustomize root's render (after its
    `namespace:`, `namePrefix`, generators) and each plain manifest. An object a root renders is the
    repo's, never "only in the cluster" (a generated ConfigMap has no file of its own to match)."""
    keys: set[ObjectKey] = set()
    for u in ctx.layout.units:
        if u.tree:
            try:
                docs = ctx.render(session, u.build_path)
            except BuildFailed:
                continue  # the unit's own build check names it; its files are matched one by one below
            keys.update(vkey_of(d) for d in docs if isinstance(d, dict) and d.get("kind") and
                        (d.get("metadata") or {}).get("name"))
    return keys


def _survey(session, ctx=None):
    """(candidates, skipped) from a fresh listing of the cluster against the repo as it is now (and,
    with the layout, against what its kustomize roots render)."""
    listing = cluster_listing(session)
    # Flux's objects too: a StatefulSet Flux applies still makes the claims of its templates.
    live = {key_of(o): o for o in listing.objects + listing.flux_owned}
    cands, skipped = ad.candidates(build_inventory(listing, scan(session.repo)), live)
    if ctx is None:
        return cands, skipped
    rendered = rendered_keys(session, ctx)
    # A namespaced object rendered without a namespace lands in the default namespace when applied.
    rendered |= {ObjectKey(k.group, k.kind, "default", k.name) for k in rendered if not k.namespace}
    return [c for c in cands if c.key not in rendered], skipped


def _layout(session):
    """(the Phase 2 context, the layout's open questions): 2.0 reads the repo as 2.1-2.4 will, so the
    environment of an overlay is asked before any object is offered (its render decides what the repo
    holds). None while Option A/B is not chosen or the layout cannot be read yet."""
    try:
        ctx = context(session)
    except (Blocked, UsageError):
        return None, None
    try:
        stop_if_open(ctx)
    except NeedsAnswers as e:
        return ctx, e
    except Blocked:
        pass  # blocks that are not questions are the layout items' to report
    return ctx, None


ENCRYPTS = ("secrets.keys",)  # what a Secret written to git needs first: S.2's method and key


def _secret_text(session, c: ad.Candidate, path: str) -> str:
    """The Secret encrypted with S.2's method; Blocked (naming the way out) before S.2 is done."""
    from ..secrets.methods import encrypter

    try:
        encrypt = encrypter(session)
    except Blocked as e:
        raise Blocked(f"adopting {c.key} writes it encrypted, and {e} Or answer adopt.{c.ref}=later "
                      "(or leave) for now.", needs=ENCRYPTS) from None
    return encrypt(path, clean(c.obj))


def _cannot_encrypt_yet(session) -> str | None:
    """Why a Secret cannot be written encrypted now (S.2 not done), or None."""
    from ..secrets.methods import chosen

    try:
        chosen(session).key_inputs(session)
    except Blocked as e:
        return str(e)
    return None


def _ops(session, ctx, adopt: list[ad.Candidate]) -> list[dict]:
    ops, taken, made = [], {}, set()
    for c in adopt:
        folder, kustomization = ad.folder_for(c, ctx.layout.units)
        names = taken.setdefault(folder, {p.name for p in (session.repo / folder).glob("*")}
                                 if (session.repo / folder).is_dir() else set())
        path = ad.join(folder, ad.file_name(c, names))
        if not (session.repo / folder).is_dir() and folder not in made:
            ops.append(op_mkdir(folder))
            made.add(folder)
        text = (_secret_text(session, c, path) if c.is_secret
                else HEADER + yaml.safe_dump(clean(c.obj), sort_keys=False))
        ops.append(op_write(path, text))
        if kustomization:
            ops.append(op_edit(kustomization, "add-resource", name=path.rsplit("/", 1)[-1]))
    return ops


def _renders_depend_on(questions) -> bool:
    qs = questions.questions if isinstance(questions, NeedsAnswers) else questions
    return any(q.key.split(".", 1)[0] == "environment" for q in qs)


class Survey:
    """What exists only in the cluster now, and what the answers decide for it."""

    def __init__(self, session, ctx=None) -> None:
        self.cands, self.skipped = _survey(session, ctx)
        self.by, self.open = ad.decisions(self.cands, session.answers)
        self.releases, self.problems = adopt_helm.survey(session)
        self.hby, hopen = hr.decisions(self.releases, session.answers)
        self.open = self.open + hopen
        self.helm_done = adopt_helm.in_repo(session, self.hby[hr.ADOPT])

    def secrets_to_encrypt(self, answers: dict) -> list[tuple[str, str]]:
        """What will be written encrypted and is not in the repo yet (answered adopt, or not answered yet:
        adopt is the offered default), each as (what, the key of its question)."""
        out = [(str(c.key), f"adopt.{c.ref}") for c in self.cands
               if c.is_secret and answers.get(f"adopt.{c.ref}", ad.ADOPT) == ad.ADOPT]
        out += [(f"the Helm release {r.key} (its values look like credentials)", f"{hr.CHOICE_PREFIX}{r.key}")
                for r in adopt_helm.with_secret_values(self.releases)
                if r.key not in self.helm_done and answers.get(f"{hr.CHOICE_PREFIX}{r.key}", hr.ADOPT) == hr.ADOPT]
        return out

    def waiting(self) -> list[str]:
        """Objects and releases still without a decision, or adopted and not in the repo yet."""
        decided = {id(c) for k in (ad.ADOPT, ad.LEAVE) for c in self.by[k]}
        out = [str(c.key) for c in self.cands if id(c) not in decided]
        out += [f"Helm release {r.key}" for r in self.releases
                if r not in self.hby[hr.LEAVE] and r.key not in self.helm_done]
        return out

    def evidence(self, session) -> dict:
        return {"only_in_cluster": [str(c.key) for c in self.cands][:100],
                "not_offered": dict(list(self.skipped.items())[:50]),
                "left_to_cluster": ad.left_to_cluster(session.answers),
                "helm_releases": {r.key: f"{r.chart} {r.chart_version} rev {r.revision}" for r in self.releases},
                "helm_left_to_cluster": hr.left_to_cluster(session.answers),
                "helm_not_adoptable": self.problems}


def _head(e: NeedsAnswers | None) -> str:
    return str(e).split(" (nothing was changed")[0] if e is not None else ""


def _ask_open(sv: Survey, layout_open: NeedsAnswers | None) -> None:
    """Every open question, the layout's and the adoption's, in one go (nothing is written before)."""
    layout_qs = layout_open.questions if layout_open is not None else []
    if not (sv.open or layout_qs):
        return
    head = (f"{len(sv.open)} thing(s) exist only in the cluster: for each, answer {sv.open[0].key}="
            "adopt|leave|later (with a reason when left)") if sv.open else ""
    raise NeedsAnswers("; ".join(x for x in (_head(layout_open), head) if x), layout_qs + sv.open)


def _notes(session, sv: Survey) -> list[Step]:
    """The preview's lines for what is not written: left, decided later, not offered, not adoptable."""
    extra = [Step("info", f"leave {ref} to the cluster: {why}") for ref, why in
             sorted(ad.left_to_cluster(session.answers).items()) if any(c.ref == ref for c in sv.cands)]
    extra += [Step("info", f"leave the Helm release {r.key} to the cluster") for r in sv.hby[hr.LEAVE]]
    extra += [Step("info", f"decide later: {x}") for x in
              [str(c.key) for c in sv.by[ad.LATER]] + [f"Helm release {r.key}" for r in sv.hby[hr.LATER]]]
    extra += [Step("info", f"not offered: {k} ({why})") for k, why in sorted(sv.skipped.items())[:20]]
    extra += [Step("info", f"cannot adopt: {why}") for why in sv.problems.values()]
    return extra


class Adopt(Item):

    def verify(self, session) -> Verdict:
        session.ensure_same_cluster()
        ctx, layout_open = _layout(session)
        if layout_open is not None and _renders_depend_on(layout_open):
            return Verdict("pending", "what the repo renders is open until these are answered: "
                           + ", ".join(q.key for q in layout_open.questions[:5]),
                           {"questions": [q.key for q in layout_open.questions]})
        sv = Survey(session, ctx)
        ev = sv.evidence(session)
        todo = sv.waiting()
        if todo:
            secrets = sv.secrets_to_encrypt(session.answers)
            why = _cannot_encrypt_yet(session) if secrets else None
            first = (f"; adopting {secrets[0][0]} writes it encrypted, so run S.2 secrets.keys first (or answer "
                     f"{secrets[0][1]}=later)" if why else "")
            return Verdict("pending", f"{len(todo)} thing(s) exist only in the cluster and wait for a decision or "
                                      "for 2.0 to write them: " + ", ".join(todo[:5]) + ("…" if len(todo) > 5 else "")
                           + first, ev, needs=ENCRYPTS if why else ())
        left = len(sv.by[ad.LEAVE]) + len(sv.hby[hr.LEAVE])
        return Verdict("passed", "nothing exists only in the cluster without a decision"
                       + (f"; {left} left to the cluster by choice, with a reason" if left else "")
                       + (f"; {len(sv.skipped)} made by a Helm release or a controller" if sv.skipped else ""), ev)

    def plan(self, session) -> Plan:
        session.ensure_same_cluster()
        try:
            ctx, resumed = begin(self, session)
        except NeedsAnswers as e:  # asked together with the adoption questions, in one go
            ctx, resumed, layout_open = None, None, e
        else:
            layout_open = None
        if resumed:
            return resumed
        if layout_open is not None and _renders_depend_on(layout_open):
            # Which overlay this cluster runs decides what the repo renders, hence what exists only in
            # the cluster: that is asked first, alone, and the objects after it.
            raise NeedsAnswers(_head(layout_open), [q for q in layout_open.questions
                                                    if q.key.split(".", 1)[0] == "environment"])
        if ctx is None:
            ctx, _ = _layout(session)
        sv = Survey(session, ctx)
        _ask_open(sv, layout_open)
        adopt = [r for r in sv.hby[hr.ADOPT] if r.key not in sv.helm_done]
        ops = _ops(session, ctx, sv.by[ad.ADOPT]) + adopt_helm.ops(session, adopt, session.answers)
        n = len(sv.by[ad.ADOPT]) + len(adopt)
        return plan_ops(self, session, ctx, ops, f"adopt {n} object(s) and Helm release(s) that exist only in "
                                                 "the cluster", _notes(session, sv))

    def apply(self, session, plan, progress) -> None:
        apply_plan(self, session, plan, progress)
        if plan.data.get("ops") or plan.data.get("resume"):
            add_adopted(session)
