"""How 2.1-2.4 plan and apply: computed from the repository as it is now (following the wizard's
own moves), so a finished item plans nothing, and an interrupted apply is found and finished on
the next run. Every apply is tried in a scratch copy first (proof.py).
"""
from __future__ import annotations

from ...checklist import Item, Plan, Step
from ...session import WizardError
from ...repo import gitstate
from ...repo.ops import (apply_ops, is_done, preview_steps)
from .baseline import ensure_baseline
from .common import Ctx, context, stop_if_open


def begin(item: Item, session) -> tuple[Ctx, Plan | None]:
    """What 2.1-2.4's plans start from: the layout, or the plan that finishes an interrupted run of
    `item` (then nothing else is planned); open questions stop a new plan before anything is written."""
    ctx = context(session)
    u = gitstate.ensure_clean(session, item.id)
    if u:
        return ctx, resume_plan(item, session, u)
    stop_if_open(ctx)
    return ctx, None


def resume_plan(item: Item, session, u: dict) -> Plan:
    return Plan(item.id, f"{item.id} was interrupted at {u['at']}: finish its remaining steps "
                         "(steps already done are skipped).",
                [Step("info", "resume the interrupted run")] + preview_steps(session.repo, [o for o in u["ops"]
                                                                                           if not is_done(session.repo, o)]),
                changes="repo", data={"resume": True})


def plan_ops(item: Item, session, ctx: Ctx, ops: list[dict], summary: str, extra: list[Step] = ()) -> Plan:
    ops = [o for o in ops if not is_done(session.repo, o)]
    steps = list(extra) + preview_steps(session.repo, ops)
    if not ops:
        return Plan(item.id, f"Nothing to change: {summary} is already done.", steps, changes="nothing", data={"ops": []})
    return Plan(item.id, summary, steps, changes="repo", data={"ops": ops})


def apply_plan(item: Item, session, plan: Plan, progress) -> None:
    resume = gitstate.unfinished(session) if plan.data.get("resume") else None
    if plan.data.get("resume") and (resume is None or resume["item"] != item.id):
        raise WizardError(f"there is no interrupted run of {item.id} any more; preview again.")
    if resume is None and not plan.data.get("ops"):
        return
    if resume is None:
        ensure_baseline(session)
        from .proof import prove

        progress("trying the plan, and the Phase 2 steps after it, in a scratch copy first")
        proven = prove(item.id, session, plan.data.get("ops", []))
        if proven:
            progress(f"it holds there: {proven}")
    apply_ops(session, item.id, plan.data.get("ops", []), progress, resume)
