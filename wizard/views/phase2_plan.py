"""What the Phase 2 plan screen shows: the layout of the chosen option, the moves, and each Phase 2
item's plan, computed from the repository as it is now (front ends render it; nothing changes)."""
from __future__ import annotations

from dataclasses import dataclass, field

from ..checklist import Plan
from ..runner import ToolError
from ..session import WizardError

PLAN_ITEMS = ("repo.cluster-dir", "repo.kustomizations", "repo.apps", "repo.flux-manifests")


@dataclass
class FolderRow:
    """One manifest folder: the key its override is stored under, and how the core classified it."""

    key: str
    path: str
    role: str
    tier: str = ""
    target: str = ""
    reason: str = ""


@dataclass
class PlanSnapshot:
    """What the plan screen shows, computed off the UI thread from the repository as it is now."""

    option: str = ""
    cluster: str = ""
    folders: list[FolderRow] = field(default_factory=list)
    before: list[str] = field(default_factory=list)
    after: list[str] = field(default_factory=list)
    moves: list[tuple[str, str]] = field(default_factory=list)
    plans: dict[str, Plan] = field(default_factory=dict)
    refusals: dict[str, str] = field(default_factory=dict)
    projected: set[str] = field(default_factory=set)  # items whose steps are projected past a refusal
    warnings: list[str] = field(default_factory=list)
    error: str = ""


def compute_snapshot(session, engine) -> PlanSnapshot:
    """The layout, the moves and each Phase 2 item's plan steps (no widget is touched here)."""
    from ..phases.repo.common import context
    from ..phases.repo.flux_ops import flux_ops
    from ..repo.layout import INFRA, parse_overrides
    from ..repo.ops import preview_steps

    snap = PlanSnapshot()
    try:
        ctx = context(session)
    except WizardError as e:
        snap.error = str(e)
        return snap
    lay = ctx.layout
    snap.option, snap.cluster, snap.warnings = ctx.option, ctx.cluster, list(lay.warnings)
    for u in lay.units:
        snap.folders.append(FolderRow(u.origin or u.path, u.path, u.role, u.tier if u.role == INFRA else "",
                                      u.target, u.reason))
    shown = {r.key for r in snap.folders}
    for folder, role in parse_overrides(session.answers).items():
        if role == "exclude" and folder not in shown:
            snap.folders.append(FolderRow(folder, folder, "exclude", reason=f"set by you (class.{folder}=exclude)"))
    snap.folders.sort(key=lambda r: r.path)
    snap.before = sorted({r.path for r in snap.folders})
    snap.after = sorted({u.target for u in lay.units} | {f for t, f in lay.aggregators.items()
                                                          if f in lay.flux_paths().values()}
                        | {f"clusters/{ctx.cluster}"})
    snap.moves = [(u.path, u.target) for u in lay.units if u.target != u.path]
    for item_id in PLAN_ITEMS:
        try:
            snap.plans[item_id] = engine.plan(item_id)
        except (WizardError, ToolError) as e:
            snap.refusals[item_id] = str(e)
            if item_id == "repo.flux-manifests":
                # 2.4 waits for 2.2/2.3; show the files it would write once they are done.
                try:
                    steps = preview_steps(session.repo, flux_ops(session, ctx))
                except (WizardError, ToolError, OSError):
                    continue
                snap.plans[item_id] = Plan(item_id, "projected: what 2.4 writes once 2.2 and 2.3 are done", steps,
                                           changes="repo")
                snap.projected.add(item_id)
    return snap
