"""1.0 prep.preflight: tools and versions, a clean work tree, the cluster, the pinned identity."""
from __future__ import annotations

from dataclasses import asdict

from ...journal import Kind
from ...checklist import Item, Plan, Step, Verdict
from ...cluster.contexts import context_question, list_contexts
from ...doctor import check_cluster, check_repo, check_tools, tools_needed
from ...runner import ToolError
from ...session import NeedsAnswers, Refused
from ...state import ClusterIdentity


class Preflight(Item):
    pins_cluster = True  # the engine's identity guard does not apply: this item sets the pin

    def verify(self, session) -> Verdict:
        cluster, server_version, _ = check_cluster(session)
        k = session.kubectl
        checks = (check_tools(session.runner, tools_needed(session.answers), server_version, k.kubeconfig, k.context)
                  + check_repo(session) + cluster)
        bad = [c for c in checks if not c.ok]
        evidence = {"checks": [{"name": c.name, "ok": c.ok, "detail": c.detail} for c in checks]}
        if bad:
            return Verdict("failed", "; ".join(c.detail for c in bad), evidence)
        return Verdict("passed", f"all {len(checks)} preflight checks passed", evidence)

    def plan(self, session) -> Plan:
        choose_context(session)
        live = session.live_identity()
        pinned = session.state.cluster
        where = Step("info", f"Context {live.context}  →  {live.server}")
        if pinned is not None and not pinned.same_cluster(live) and not getattr(session, "repin", False):
            raise Refused(f"the live cluster ({live.describe()}) is not the pinned one ({pinned.describe()}); "
                          "switch back to it, or re-pin with --repin if it was really replaced.")
        if pinned is not None and pinned.same_cluster(live) and pinned.context == live.context:
            return Plan(self.id, f"The cluster is already pinned: {pinned.describe()}. Nothing to change; "
                                 "the checks run again.", [where, Step("info", "re-run every preflight check")],
                        changes="nothing", data={"identity": asdict(live)})
        verb = "Re-pin" if pinned is not None else "Pin"
        steps = [Step("pin", f"{verb} the cluster identity in the wizard's state", live.describe())]
        if pinned is not None and not pinned.same_cluster(live):
            steps.insert(0, Step("info", "The previously pinned cluster is replaced", pinned.describe()))
        steps.insert(0, where)
        return Plan(self.id, f"{verb} this cluster so that every later action checks it is still the same one.",
                    steps, changes="state", data={"identity": asdict(live)})

    def apply(self, session, plan: Plan, progress) -> None:
        ident = ClusterIdentity(**plan.data["identity"])
        # Re-read right before pinning: the plan may be minutes old.
        live = session.live_identity()
        if not live.same_cluster(ident):
            raise Refused(f"the cluster changed since the preview (now {live.describe()}); preview again.")
        old = session.state.cluster
        session.state.cluster = ident
        session.state.record(Kind.PINNED, identity=asdict(ident), previous=asdict(old) if old else None)
        session.store.save()
        progress(f"pinned {ident.describe()}")


def choose_context(session) -> None:
    """Blocks until the user says which context to pin when the kubeconfig has several and nothing
    chose one yet (no --context, no answer, no earlier pin): pinning the current-context silently
    could start a migration on the work cluster. A chosen context that is not in the kubeconfig is
    asked again."""
    chosen = session.answers.get("context")
    if session.context or (chosen is None and session.state.cluster is not None):
        return
    try:
        found = list_contexts(session.runner, session.kubeconfig_file)
    except ToolError:  # kubectl missing or the kubeconfig unreadable: the live checks say so
        return
    problem = _context_problem(chosen, found)
    if problem:
        pinned = session.state.cluster
        raise NeedsAnswers(f"{problem} ({'; '.join(c.label for c in found)}); choose one: answer context=NAME",
                           [context_question(found, pinned.context if pinned else None)])


def _context_problem(chosen: str | None, found: list) -> str | None:
    """Why the context to pin is not settled yet, or None (a single context, or a known answer)."""
    if not found or chosen in [c.name for c in found]:
        return None
    if chosen is not None:
        return f"context={chosen!r} is not a context of the kubeconfig"
    if len(found) < 2:
        return None
    return f"the kubeconfig has {len(found)} contexts and nothing says which cluster to migrate"
