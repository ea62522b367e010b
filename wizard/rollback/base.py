"""What every rollback action shares: options, availability, the run/verify cycle and the journal.

An action is previewed (`plan`), confirmed by the front end (typed for destructive ones), run
with its output streaming (`run`), and checked against the cluster or the repo (`verify`).
Every run is recorded in the journal (`rollback-<action>`), and the checklist items it undid go
back to pending: a rollback never leaves an item showing "passed" for work that is gone.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ..journal import Kind
from ..checklist import Plan, Verdict
from ..state import now

JOURNAL_PREFIX = Kind.ROLLBACK_PREFIX.value


@dataclass
class Options:
    """The user's choices for an action (CLI flags, TUI form fields)."""

    namespaces: list[str] = field(default_factory=list)  # restore: only these namespaces
    kinds: list[str] = field(default_factory=list)  # restore: only these kinds (Kind or Kind.group)
    overwrite: bool = False  # restore: replace objects that exist (otherwise skipped)
    kustomizations: list[str] = field(default_factory=list)  # suspend/resume: NAME or NS/NAME; empty = all
    no_suspend: bool = False  # revert: do not suspend Flux first (then prune needs allow_prune)
    allow_prune: bool = False  # accept that Flux may delete the listed objects
    push: bool = True  # revert: push the revert commits


@dataclass
class Availability:
    """Whether an action makes sense now, and what it would do to the user's homelab."""

    name: str
    title: str
    available: bool
    reason: str  # why (not) available, in terms of the migration's progress
    consequences: str  # spelled out for the user before they choose
    destructive: bool = False
    changes: str = "nothing"  # cluster | repo

    def as_dict(self) -> dict:
        return dict(vars(self))


class Action:
    name = ""
    title = ""
    destructive = False  # needs a typed confirmation (the context name) in interactive front ends
    changes = "cluster"
    reads_the_cluster = False  # whether available() asks the cluster (Flux's Kustomizations)

    def available(self, session) -> Availability:
        raise NotImplementedError

    def plan(self, session, opts: Options) -> Plan:
        raise NotImplementedError

    def run(self, session, plan: Plan, progress: Callable[[str], None]) -> dict:
        """Do it; returns details for the journal."""
        raise NotImplementedError

    def verify(self, session, plan: Plan, details: dict) -> Verdict:
        raise NotImplementedError

    def reverted_items(self, session, plan: Plan, details: dict) -> list[str]:
        """Checklist items whose work this action undid (they go back to pending)."""
        return []

    def _avail(self, ok: bool, reason: str, consequences: str) -> Availability:
        return Availability(self.name, self.title, ok, reason, consequences, self.destructive, self.changes)


def set_pending(session, item_ids: list[str], why: str) -> list[str]:
    """Put items back to pending, honestly: the message says which rollback undid them."""
    done = []
    for item_id in item_ids:
        st = session.state.item(item_id)
        if st.status == "pending":
            continue
        st.status, st.message, st.checked_at = "pending", f"undone by rollback ({why}); run it again to redo it", now()
        st.evidence = {"rolled_back_at": now(), "by": why}
        done.append(item_id)
    return done


def execute(session, action: Action, plan: Plan, progress: Callable[[str], None] = lambda line: None) -> Verdict:
    """Run a previewed action, verify it, journal it and update the checklist.

    Cluster actions re-check the pinned identity first (exit 4 on another cluster). A failure
    is journaled too (status failed), then re-raised for the front end to show.
    """
    if plan.changes == "cluster":
        session.ensure_same_cluster()
    session.state.record(JOURNAL_PREFIX + action.name, phase="begin", summary=plan.summary)
    session.store.save()
    try:
        details = action.run(session, plan, progress) or {}
    except BaseException as e:
        session.state.record(JOURNAL_PREFIX + action.name, phase="failed", error=str(e)[:500])
        session.store.save()
        raise
    verdict = action.verify(session, plan, details)
    reverted = set_pending(session, action.reverted_items(session, plan, details), action.name) if verdict.passed else []
    session.state.record(JOURNAL_PREFIX + action.name, phase="done", status=verdict.status, message=verdict.message,
                         reverted_items=reverted, **details)
    session.store.save()
    return verdict


def rollback_entries(session, name: str | None = None) -> list[dict]:
    want = JOURNAL_PREFIX + name if name else None
    return [e for e in session.state.journal
            if e.get("action", "").startswith(JOURNAL_PREFIX) and (want is None or e["action"] == want)
            and e.get("phase") == "done"]
