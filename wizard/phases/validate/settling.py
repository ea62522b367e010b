"""Has Flux finished with the pushed commit? What 4.1 waits for before it judges the inventories.

A Kustomization that waits on another through dependsOn has not applied its objects yet: 4.1 then
says what it still waits on (pending), and a run of 4.1 waits, as 4.2 does, up to reconcile-timeout.
From status conditions and spec.dependsOn only (research/flux-anchors.md §C), never from Flux's human
text, except the names a DependencyNotReady message quotes when a Kustomization has no dependsOn.
"""
from __future__ import annotations

import re
import time

from ...flux.status import WAITING_REASONS, condition, in_progress, revision_hash
from ...runner import Cancelled
from ...session import WizardError
from .common import TIMEOUT, kustomizations, pushed_commit

FLUX_SYNC = ("GitRepository", "flux-system")  # the source bootstrap made: it follows the pushed branch


def _failed(ks: dict) -> bool:
    """Flux is done with it and it failed: not Ready for a reason that is not a wait, and not moving."""
    c = condition(ks) or {}
    return c.get("status") == "False" and c.get("reason") not in WAITING_REASONS and not in_progress(ks)


def _deps(ks: dict) -> list[str]:
    """The Kustomizations `ks` waits on: its spec.dependsOn (only without one, the names its
    DependencyNotReady message quotes)."""
    named = [d.get("name") for d in (ks.get("spec") or {}).get("dependsOn") or [] if isinstance(d, dict)]
    return [n for n in named if n] or re.findall(r"'(?:[^'/]*/)?([^']+)'", (condition(ks) or {}).get("message", ""))


def _stuck(kss: list[dict]) -> dict[str, str]:
    """{name: the failed Kustomization it is stuck behind} (a failed one is stuck behind itself), through
    whole dependsOn chains: apps waiting on infra-configs waiting on infra-controllers, which failed,
    never moves either, however long anyone waits."""
    by_name = {ks["metadata"]["name"]: ks for ks in kss if not (ks.get("spec") or {}).get("suspend")}
    stuck = {n: n for n, ks in by_name.items() if _failed(ks)}
    grew = True
    while grew:
        grew = False
        for n, ks in by_name.items():
            if n in stuck or (condition(ks) or {}).get("reason") != "DependencyNotReady":
                continue
            behind = next((stuck[d] for d in _deps(ks) if d in stuck), None)
            if behind:
                stuck[n], grew = behind, True
    return stuck


def settled_failures(kss: list[dict]) -> list[str]:
    """One line per failed Kustomization, with its reason and the ones stuck behind it."""
    stuck, by_name = _stuck(kss), {ks["metadata"]["name"]: ks for ks in kss}
    out = []
    for name in (n for n, root in stuck.items() if n == root):
        c = condition(by_name[name]) or {}
        waiters = [n for n, root in stuck.items() if root == name and n != name]
        out.append(f"{name} failed ({c.get('reason', '')}: {c.get('message', '')[:300]})"
                   + (f"; {', '.join(waiters)} wait on it" if waiters else ""))
    return out


def _line(ks: dict, head: str | None, stuck: dict[str, str]) -> str | None:
    """What one Kustomization still waits on or works at, or None when Flux is done with it."""
    name, c = ks["metadata"]["name"], condition(ks) or {}
    if c.get("reason") == "DependencyNotReady":
        # Waiting on one that failed (or on one stuck behind it) is not moving: 4.2 names that failure.
        return None if name in stuck else f"{name} waits on {', '.join(_deps(ks)) or 'its dependencies'}"
    if not c or c.get("reason") in WAITING_REASONS or in_progress(ks):
        return (f"{name} is {'being applied' if c else 'not reconciled yet'}"
                + (f" ({c.get('message', '')[:120]})" if c.get("message") else ""))
    sref = (ks.get("spec") or {}).get("sourceRef") or {}
    applied = revision_hash((ks.get("status") or {}).get("lastAttemptedRevision"))
    if head and (sref.get("kind"), sref.get("name")) == FLUX_SYNC and applied != head and name not in stuck:
        return f"{name} has not applied the pushed commit {head[:12]} yet"
    return None


def still_reconciling(session, kss: list[dict] | None = None) -> list[str]:
    """What Flux has not finished with yet, one line per Kustomization ("apps waits on infra-controllers"):
    waiting on a dependency that may still get Ready, working, asked and not there yet, or not at the
    pushed commit yet. Suspended ones are not waited for."""
    kss = kustomizations(session) if kss is None else kss
    try:
        head = pushed_commit(session)
    except WizardError:  # the remote cannot be read: judge by the conditions alone
        head = None
    stuck = _stuck(kss)
    lines = (_line(ks, head, stuck) for ks in kss if not (ks.get("spec") or {}).get("suspend"))
    return [ln for ln in lines if ln]


def moving(obj: dict | None) -> bool:
    """A Flux object Flux is still at: no Ready condition yet, a wait, or work in progress."""
    c = condition(obj) if obj else None
    return obj is not None and (not c or (c.get("status") != "True" and c.get("reason") in WAITING_REASONS)
                                or in_progress(obj))


def wait_until_settled(session, progress, what=still_reconciling) -> None:
    """Wait until `what(session)` (the lines of what Flux is still at) is empty, or reconcile-timeout
    passes, saying what it waits on when that changes; the verdict after it judges, or says what it
    still waits on."""
    session.ensure_same_cluster()
    timeout = float(session.answers.get("reconcile-timeout", TIMEOUT.default))
    deadline, last = time.monotonic() + timeout, None
    while True:
        lines = what(session)
        if not lines or time.monotonic() > deadline:
            return
        if lines != last:
            progress("still reconciling: " + "; ".join(lines))
            last = lines
        if session.cancel.cancelled:
            raise Cancelled("stopped while waiting for Flux")
        session.cancel.wait(2)
