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
from ...cluster.inventory import build_inventory
from ...cluster.listing import key_of, list_cluster
from ...repo.ops import op_edit, op_mkdir, op_write
from ...repo.scan import scan
from ...session import Blocked, NeedsAnswers
from .steps import apply_plan, begin, plan_ops

HEADER = "# Adopted from the cluster by homelab-wizard 2.0 (it existed only there; cleaned of server-set fields)\n"


def _survey(session):
    """(candidates, skipped) from a fresh listing of the cluster against the repo as it is now."""
    listing = list_cluster(session.kubectl)
    live = {key_of(o): o for o in listing.objects}
    return ad.candidates(build_inventory(listing, scan(session.repo)), live)


def _secret_text(session, c: ad.Candidate, path: str) -> str:
    """The Secret encrypted with the chosen method; Blocked (naming the way out) before S.2 is done."""
    from ...secrets import convert as cv
    from ..secrets import methods

    try:
        method = methods.chosen(session)
        inputs = method.key_inputs(session)
    except Blocked as e:
        raise Blocked(f"adopting {c.key} writes it encrypted, and {e} Or answer adopt.{c.ref}=later "
                      "(or leave) for now.") from None
    doc = ad.manifest(c.obj)
    cv._register(session, cv.values_of(doc))  # masked in anything sops or kubeseal print
    if method.name == "sealed-secrets":
        return cv.kubeseal(session, doc, inputs["cert"], inputs["scope"])
    return cv.sops_encrypt(session, yaml.safe_dump(doc, sort_keys=False), path)


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
                else HEADER + yaml.safe_dump(ad.manifest(c.obj), sort_keys=False))
        ops.append(op_write(path, text))
        if kustomization:
            ops.append(op_edit(kustomization, "add-resource", name=path.rsplit("/", 1)[-1]))
    return ops


class Adopt(Item):

    def verify(self, session) -> Verdict:
        session.ensure_same_cluster()
        cands, skipped = _survey(session)
        by, open_qs = ad.decisions(cands, session.answers)
        ev = {"only_in_cluster": [str(c.key) for c in cands][:100], "not_offered": dict(list(skipped.items())[:50]),
              "left_to_cluster": ad.left_to_cluster(session.answers), "later": [str(c.key) for c in by[ad.LATER]]}
        if not cands:
            return Verdict("passed", "every object in the cluster is in the repo or made by its owner"
                           + (f" ({len(skipped)} made by a Helm release or a controller)" if skipped else ""), ev)
        todo = by[ad.ADOPT] + by[ad.LATER] + [c for c in cands if c not in by[ad.LEAVE] + by[ad.ADOPT] + by[ad.LATER]]
        if open_qs or by[ad.LATER]:
            return Verdict("pending", f"{len(todo)} object(s) exist only in the cluster and wait for a decision: "
                           + ", ".join(str(c.key) for c in todo[:5]) + ("…" if len(todo) > 5 else ""), ev)
        if by[ad.ADOPT]:
            return Verdict("pending", f"{len(by[ad.ADOPT])} object(s) chosen for adoption are not in the repo yet: "
                           + ", ".join(str(c.key) for c in by[ad.ADOPT][:5]) + "; run repo.adopt", ev)
        return Verdict("passed", f"{len(by[ad.LEAVE])} object(s) stay outside git by choice, with a reason; "
                                 "nothing else exists only in the cluster", ev)

    def plan(self, session) -> Plan:
        session.ensure_same_cluster()
        ctx, resumed = begin(self, session)
        if resumed:
            return resumed
        cands, skipped = _survey(session)
        by, open_qs = ad.decisions(cands, session.answers)
        if open_qs:
            raise NeedsAnswers(f"{len(open_qs)} object(s) exist only in the cluster: for each, answer "
                               f"{open_qs[0].key}=adopt|leave|later (a reason with adopt-why.<object> when left)",
                               open_qs)
        extra = [Step("info", f"leave {ref} to the cluster: {why}") for ref, why in
                 sorted(ad.left_to_cluster(session.answers).items()) if any(c.ref == ref for c in cands)]
        extra += [Step("info", f"decide later: {c.key}") for c in by[ad.LATER]]
        extra += [Step("info", f"not offered: {k} ({why})") for k, why in sorted(skipped.items())[:20]]
        return plan_ops(self, session, ctx, _ops(session, ctx, by[ad.ADOPT]),
                        f"adopt {len(by[ad.ADOPT])} object(s) that exist only in the cluster", extra)

    def apply(self, session, plan, progress) -> None:
        apply_plan(self, session, plan, progress)
