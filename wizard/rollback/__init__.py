"""Guided rollback: undo any part of the migration, each action previewed, confirmed and verified.

Actions, in the order people reach for them:
- restore      the Phase 1 backup, whole or by namespaces/kinds (existing objects skipped unless overwrite)
- revert       the wizard's own commits (from the journal), newest first, then push; never forced
- discard      the wizard's staged Phase 2 changes that 2.5 has not committed yet (back to HEAD)
- suspend      pause Flux Kustomizations (spec.suspend)
- resume       resume them and wait for Ready
- stop-gitops  suspend all, `flux uninstall --keep-namespace`: Flux goes, the workloads stay

`overview(session)` says what can be undone at this point of the migration, with consequences;
`base.execute()` runs a previewed plan, verifies it, journals it and updates the checklist.
"""
from __future__ import annotations

from ..session import UsageError
from .base import Action, Availability, Options, execute
from .discard import Discard
from .fluxctl import Resume, StopGitOps, Suspend
from .restore import Restore
from .revert import Revert

ACTIONS: dict[str, Action] = {a.name: a for a in (Restore(), Revert(), Discard(), Suspend(), Resume(), StopGitOps())}
ALIASES = {"uninstall": "stop-gitops", "pause": "suspend", "backup": "restore", "unstage": "discard"}


def action(name: str) -> Action:
    name = ALIASES.get(name, name)
    if name not in ACTIONS:
        raise UsageError(f"there is no rollback action {name!r}; choose one of: {', '.join(ACTIONS)} "
                         "('homelab-wizard rollback' lists what can be undone now).")
    return ACTIONS[name]


def overview(session) -> list[Availability]:
    """Every action with whether it applies now and what it would do. Never raises for one action."""
    from ..explain import explain

    out = []
    for a in ACTIONS.values():
        if a.reads_the_cluster and session.state.cluster is None:
            # Nothing to ask a cluster yet (and no raw "localhost:8080 refused" from kubectl's fallback).
            out.append(Availability(a.name, a.title, False, "no cluster is pinned yet (1.0 Preflight pins the one "
                                    "the wizard acts on)", "", a.destructive, a.changes))
            continue
        try:
            out.append(a.available(session))
        except Exception as e:  # noqa: BLE001 - an unreachable cluster makes cluster actions unavailable, not the list
            out.append(Availability(a.name, a.title, False, f"cannot tell now: {explain(str(e))[0]}", "",
                                    a.destructive, a.changes))
    return out


__all__ = ["ACTIONS", "Action", "Availability", "Options", "action", "execute", "overview"]
