"""3.4 bootstrap.namespace: flux-system exists and its GitRepository and Kustomization are Ready."""
from __future__ import annotations

from ...checklist import Item, Verdict
from ...flux.status import (NS, describe_condition, get_or_none, is_true, revision_hash)
from .common import failing_kustomizations
from .run import existing


def syncing(session) -> list[str]:
    """The flux-system sync objects Flux is still at (just bootstrapped, or a new commit being applied)."""
    from ..validate.settling import moving

    ex = existing(session) if get_or_none(session.kubectl, "namespace", NS) else {}
    return [f"{kind} flux-system/flux-system: {describe_condition(ex.get(key))}"
            for kind, key in (("GitRepository", "gitrepository"), ("Kustomization", "kustomization"))
            if moving(ex.get(key))]


# -- 3.4 ----------------------------------------------------------------------------------------
class Namespace(Item):
    settles = "first wait (up to reconcile-timeout seconds) while Flux is still applying the flux-system sync"

    def settle(self, session, progress) -> None:
        from ..validate.settling import wait_until_settled

        wait_until_settled(session, progress, syncing)

    def verify(self, session) -> Verdict:
        session.ensure_same_cluster()
        ex = existing(session)
        ns = get_or_none(session.kubectl, "namespace", NS)
        ev = {"namespace": (ns or {}).get("status", {}).get("phase"),
              "gitrepository": describe_condition(ex["gitrepository"]) if ex["gitrepository"] else None,
              "kustomization": describe_condition(ex["kustomization"]) if ex["kustomization"] else None}
        if not ns or ev["namespace"] != "Active":
            return Verdict("failed", f"namespace flux-system is {ev['namespace'] or 'missing'}", ev)
        bad = []
        for kind, obj in (("GitRepository", ex["gitrepository"]), ("Kustomization", ex["kustomization"])):
            if obj is None:
                bad.append(f"{kind} flux-system/flux-system is missing")
            elif not is_true(obj):
                bad.append(f"{kind} flux-system/flux-system: {describe_condition(obj)}")
        still = syncing(session) if bad else []
        if still:
            return Verdict("pending", "still reconciling: " + "; ".join(still) + "; run bootstrap.namespace to wait for "
                                      "Flux and check again", ev)
        if bad:
            return Verdict("failed", "; ".join(bad) + ". See 'kubectl -n flux-system get gitrepository,kustomization "
                                                      "flux-system -o yaml' (status.conditions).", ev)
        failing = failing_kustomizations(session)
        ev["failing"] = failing
        if failing:
            return Verdict("failed", f"flux-system syncs, but {len(failing)} Kustomization(s) it created fail: "
                                     + "; ".join(failing[:4]), ev)
        rev = (ex["gitrepository"].get("status") or {}).get("artifact", {}).get("revision")
        ev["revision"] = rev
        ev["applied"] = (ex["kustomization"].get("status") or {}).get("lastAppliedRevision")
        return Verdict("passed", f"flux-system is Active; GitRepository and Kustomization flux-system are Ready at "
                                 f"{(revision_hash(rev) or '?')[:12]}", ev)
