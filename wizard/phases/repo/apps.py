"""2.3 repo.apps: move every manifest folder to its place (git mv, history kept); the rendered set stays the same."""
from __future__ import annotations

from collections import Counter
from ...checklist import Item, Plan, Verdict
from ...runner import ToolError
from ...repo.ops import op_move
from ...repo.scan import COMPOSE, CI, K8S
from ...repo.validate import (BuildFailed, compare, key_of, multiset)
from .baseline import compare_msg, expected_objects, unit_objects
from .common import Ctx, context, layout_notes, open_questions, written_by_wizard
from .steps import apply_plan, begin, plan_ops


# -- 2.3 --------------------------------------------------------------------------------------------
def _parent(path: str) -> str:
    return path.rsplit("/", 1)[0] if "/" in path else "."


def _tracked_by_folder(session) -> dict[str, list[str]]:
    tracked: dict[str, list[str]] = {}
    for f in session.git.out("ls-files", "-z").split("\0"):
        if f:
            tracked.setdefault(_parent(f), []).append(f)
    return tracked


def _moves_whole(session, u) -> bool:
    """A kustomize tree, or a kustomization.yaml written by hand, only builds with everything beside it."""
    return bool(u.tree or (u.kustomization and not written_by_wizard(session, u.kustomization)))


def _siblings(session, ctx: Ctx, u, tracked: dict[str, list[str]], claimed: set[str]) -> list[str]:
    """The files that travel with a plain folder's manifests: not another unit's, not left out, and
    not a manifest, compose file or CI file of their own."""
    lay = ctx.layout
    siblings = []
    if u.path in (".", ""):  # the repo root's other files (README, CI, …) stay; its file list goes along
        if u.kustomization and written_by_wizard(session, u.kustomization):
            siblings.append(u.kustomization)
        return siblings
    own = set(u.files)
    for f in tracked.get(u.path, []):
        info = ctx.scan.files.get(f)
        if f in own or f in claimed or f in lay.excluded_files:
            continue
        if info is not None and info.cls in (K8S, COMPOSE, CI):
            continue
        siblings.append(f)
    return siblings


def move_ops(session, ctx: Ctx) -> list[dict]:
    """git mv for every unit not at its target: a kustomize tree as a whole folder; a plain folder's
    manifests with the other files beside them (values, JSON, scripts, configs), never its subfolders."""
    ops = []
    tracked = _tracked_by_folder(session)
    lay = ctx.layout
    claimed = {f for u in lay.units for f in u.files}
    for u in lay.units:
        if u.target == u.path or u.carried:
            continue
        if _moves_whole(session, u):
            ops.append(op_move(u.path, u.target, None, whole=True))
            continue
        files = [f for f in u.files if f not in lay.excluded_files] + _siblings(session, ctx, u, tracked, claimed)
        ops.append(op_move(u.path, u.target, sorted(set(files)), whole=False))
    return ops


class Apps(Item):

    def verify(self, session) -> Verdict:
        ctx = context(session)
        q = open_questions(ctx)
        if q:
            return q
        misplaced = [f"{u.path} (belongs in {u.target})" for u in ctx.layout.units if u.target != u.path]
        if misplaced:
            return Verdict("pending", "not moved yet: " + ", ".join(misplaced[:10]), {"misplaced": misplaced})
        try:
            if any(u.kustomization is None for u in ctx.layout.units):
                after = unit_objects(session, ctx, ctx.layout.units)
            else:
                after = Counter()
                for u in ctx.layout.units:
                    after.update(multiset(ctx.place(key_of(d)) for d in ctx.render(session, u.build_path)))
        except BuildFailed as e:
            return Verdict("failed", str(e))
        before, replaced = expected_objects(session, ctx)
        lost, added, dup = compare(before, after)
        ev = {"objects_before": sum(before.values()), "objects_after": sum(after.values()),
              "lost": lost, "added": added, "duplicated": dup, "replaced": replaced,
              "renames": _renames(session)}
        if lost or added or dup:
            return Verdict("failed", "the rendered set of objects changed: " + compare_msg(lost, added, dup), ev)
        where = "apps/" if ctx.option == "a" else "infrastructure/ and apps/"
        return Verdict("passed", f"every manifest folder is in place under {where}; the rendered set of objects is "
                                 f"unchanged ({sum(after.values())} objects)", ev)

    def plan(self, session) -> Plan:
        ctx, resumed = begin(self, session)
        if resumed:
            return resumed
        what = "move app manifests to apps/ with git mv (history kept)" if ctx.option == "a" else \
            "move infrastructure to infrastructure/{base,sources}/ and apps to apps/base/ with git mv (history kept)"
        return plan_ops(self, session, ctx, move_ops(session, ctx), what, layout_notes(ctx))

    def apply(self, session, plan, progress) -> None:
        apply_plan(self, session, plan, progress)


def _renames(session) -> int:
    try:
        out = session.git.out("diff", "--cached", "-M", "--name-status", "HEAD")
    except ToolError:
        return 0
    return sum(1 for line in out.splitlines() if line.startswith("R"))
