"""Prove a Phase 2 step in a scratch worktree before it touches the user's tree.

The step's operations, and then the operations of every later step of 2.1-2.4 as they would be
planned after it, are applied in a throw-away git worktree holding exactly the user's index
(HEAD plus the wizard's staged steps). Then 2.4's own check runs there: every Flux path builds and
together they render the owner's reference set, the Flux manifests are valid. Only when that holds
does the step run on the user's tree, so a plan that would lose or duplicate objects (or stop
half-way on a file in the way) is refused with the user's tree and index exactly as they were.

The worktree lives in the user's data folder (0700: it holds the repo's plaintext files), is added
with --no-checkout (no checkout hooks run) and is removed afterwards; a leftover from a killed
run is removed before the next proof.
"""
from __future__ import annotations

import copy
import dataclasses
import shutil
import tempfile
from contextlib import contextmanager

from ...pause import pause_point
from ...scratch import scratch_root, wipe
from ...repo import gitstate
from ...repo.ops import is_done, run_op
from ...session import Blocked, NeedsAnswers

CHAIN = ["repo.adopt", "repo.cluster-dir", "repo.kustomizations", "repo.apps", "repo.flux-manifests"]


class _ScratchStore:
    """A copy of the state the proof may record into (2.4's Helm scaffolds) and that is never saved."""

    def __init__(self, store) -> None:
        self.state = copy.deepcopy(store.state)
        self.dir, self.repo, self.path = store.dir, store.repo, store.path

    def save(self) -> None:
        pass


@contextmanager
def scratch_worktree(session):
    """A session on a detached worktree whose index and files are the user's index now."""
    wipe(session)
    tree = gitstate.index_tree(session)
    path = tempfile.mkdtemp(prefix="wt-", dir=scratch_root(session.repo))
    try:
        session.git.run("worktree", "add", "--detach", "--no-checkout", path, "HEAD", timeout=120)
        scratch = dataclasses.replace(session, repo=type(session.repo)(path), scratch_moves={},
                                      store=_ScratchStore(session.store))
        scratch.git.run("read-tree", tree, timeout=120)
        scratch.git.run("checkout-index", "-a", "-f", timeout=300)
        pause_point("scratch-checked-out")
        yield scratch
    finally:
        # Removed by deleting its folder and pruning its record (no --force anywhere near the user's repo).
        shutil.rmtree(path, ignore_errors=True)
        session.git.run("worktree", "prune", ok_codes=(0, 1, 128))


def _simulate(scratch, ops: list[dict]) -> None:
    for o in ops:
        if is_done(scratch.repo, o):
            continue
        run_op(scratch, o)
        if o["op"] == "move":
            scratch.scratch_moves[o["dest"]] = o["src"]


def prove(item_id: str, session, ops: list[dict]) -> str:
    """Apply `ops` and the later Phase 2 steps in a scratch worktree; Blocked unless 2.4's check passes there.

    Returns 2.4's message there ('' for an item outside 2.1-2.4)."""
    if item_id not in CHAIN:
        return ""
    # The items import this module (their apply proves first): import them when a proof runs.
    from .apps import move_ops
    from .common import SCAFFOLD, context, stop_if_open
    from .flux_manifests import FluxManifests
    from .kustomizations import kustomization_ops

    def flux(scratch, ctx):
        plan = FluxManifests().plan_in(scratch, ctx)
        for e in plan.data.get("scaffolds", []):  # as 2.4's apply records them, in the scratch state only
            scratch.state.record(SCAFFOLD, **e)
        return plan.data.get("ops", [])

    builders = {"repo.kustomizations": kustomization_ops, "repo.apps": move_ops, "repo.flux-manifests": flux}
    head = f"{item_id} was tried first in a scratch copy of the repository, with the Phase 2 steps after it"
    with scratch_worktree(session) as scratch:
        try:
            _simulate(scratch, ops)
            if item_id == "repo.adopt":  # what 2.0 writes is part of the reference set (as after its apply)
                from .baseline import add_adopted

                add_adopted(scratch)
            for later in CHAIN[CHAIN.index(item_id) + 1:]:
                if later == "repo.flux-manifests" and not (scratch.repo / "clusters").is_dir():
                    break  # 2.1 not done yet: 2.4 cannot be planned, 2.2's and 2.3's results are checked below
                if later in builders:  # 2.1 only adds clusters/<name>/: nothing later depends on it
                    ctx = context(scratch)
                    stop_if_open(ctx)  # as that step's own plan would, before it writes anything
                    _simulate(scratch, builders[later](scratch, ctx))
            stop_if_open(context(scratch))
        except NeedsAnswers as e:
            # The questions a later step asks there are the user's to answer now, as declared questions.
            raise NeedsAnswers(f"{head}, and a later step asks first: {str(e).split(' (nothing was changed')[0]}",
                               e.questions) from None
        except Blocked as e:
            raise Blocked(f"{head}, and a later step would stop: {e}. Nothing was changed.", needs=e.needs) from None
        if (scratch.repo / "clusters").is_dir():
            verdict = FluxManifests().verify(scratch)
        else:
            from .apps import Apps

            verdict = Apps().verify(scratch)
        if not verdict.passed:
            raise Blocked(f"{head}, and the result does not hold: {verdict.message}. Nothing was changed.")
        return verdict.message
