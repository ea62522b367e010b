"""3.4 bootstrap.namespace: flux-system exists and its GitRepository and Kustomization are Ready."""
from __future__ import annotations

from ...checklist import Item, Verdict
from ...flux.status import (NS, describe_condition, get_or_none, is_true, revision_hash)
from .common import failing_kustomizations
from .run import existing


# -- 3.4 ----------------------------------------------------------------------------------------
class Namespace(Item):

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
