"""The one way the wizard pushes to git: `git push --porcelain`, never forced, one result type.

2.5 repo.commit-push, the Phase 5 items (wizard/integrate/common.py) and rollback revert all
push through `push()`: it runs `git push --porcelain <remote> <src>:refs/heads/<branch>` (no
`--force`, no `+` refspec) through the session's runner, reads git's per-ref flags, records one
journal event (gitstate.PUSH: status, remote, branch, head, item, and the reason when not
pushed; 2.5's verify and rollback's push target read it), saves the state and returns a
PushResult. `ensure_pushed()` turns a result that is not "pushed" into the one WizardError
wording, with the one piece of advice per cause:

- non-fast-forward (the remote moved on): `git pull --rebase`, then run the item again;
- refused by the server (a hook, a protected branch): push to another branch, or ask its admin;
- refused by the owner's pre-push hook: its own words, and fix what it names;
- unreachable (no connection, a wrong URL, no credentials): check the remote's URL and the network.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from ..session import WizardError
from . import gitstate, hooks

PUSHED, REJECTED, UNREACHABLE = "pushed", "rejected", "unreachable"
HOOK_REFUSED = "refused-by-hook"  # the owner's pre-push hook said no: not the network, not the server
TIMEOUT = 300  # seconds: a slow remote is not a failure
NON_FAST_FORWARD = ("non-fast-forward", "fetch first", "stale info")


@dataclass(frozen=True)
class PushResult:
    """What one push did. `head` is the commit pushed (or meant to be); `reason` is git's summary
    and `advice` what to do, both empty when it was pushed."""

    status: str  # pushed | rejected | unreachable
    remote: str
    branch: str
    head: str | None
    reason: str = ""
    advice: str = ""

    @property
    def ok(self) -> bool:
        return self.status == PUSHED

    @property
    def target(self) -> str:
        return f"{self.remote}/{self.branch}"


def advice(status: str, reason: str, remote: str, branch: str, retry: str, branch_hint: bool = True) -> str:
    """The one wording of what to do after a push that did not go through."""
    if status == REJECTED and any(s in reason for s in NON_FAST_FORWARD):
        return (f"{remote}/{branch} has commits this clone does not have: run 'git pull --rebase {remote} {branch}' "
                f"(the wizard never force-pushes), check the result, then {retry}")
    if status == HOOK_REFUSED:
        return f"fix what your pre-push hook names (or its configuration), then {retry}"
    if status == REJECTED:
        where = "push to another branch" + (" (answer branch=<name>)" if branch_hint else "")
        return (f"the remote refused the push (protected branch? a server hook?); {where} and open a merge "
                f"request, or ask the server's admin, then {retry}")
    return (f"the remote could not be reached; check 'git remote get-url {remote}' (and its credentials) and "
            f"your network, then {retry}")


def _rev(session, ref: str) -> str | None:
    res = session.git.run("rev-parse", "--verify", "-q", f"{ref}^{{commit}}", ok_codes=(0, 1, 128), timeout=30)
    return (res.stdout.strip() or None) if res.exit_code == 0 else None


def push(session, remote: str, branch: str, *, item_id: str, source: str | None = None, retry: str | None = None,
         on_line: Callable[[str], None] | None = None) -> PushResult:
    """Push `source` (default: the local branch `branch`; "HEAD" for callers that commit on HEAD) to
    `remote`'s refs/heads/<branch>, never forced; journal it (gitstate.PUSH), save the state and
    return the result. Never raises for a rejected or failed push: see ensure_pushed().

    `retry` completes the advice ("then <retry>"); by default "run <item_id> again"."""
    src = source or f"refs/heads/{branch}"
    head = _rev(session, src)
    res = session.git.run("push", "--porcelain", remote, f"{src}:refs/heads/{branch}",
                          ok_codes=tuple(range(256)), on_line=on_line, timeout=TIMEOUT)
    refs = gitstate.parse_push_porcelain(res.stdout)
    refused = [summary for flag, _, summary in refs if flag == "!"]
    by_hook = hooks.refused_by_pre_push(session, res.exit_code, refs, res.stderr)
    if res.exit_code == 0 and not refused:
        result = PushResult(PUSHED, remote, branch, head)
    elif by_hook is not None:
        reason = f"your pre-push hook refused it: {by_hook}"
        result = PushResult(HOOK_REFUSED, remote, branch, head, reason,
                            advice(HOOK_REFUSED, reason, remote, branch, retry or f"run {item_id} again"))
    else:
        status = REJECTED if refused else UNREACHABLE
        reason = " ".join(refused) or (res.stderr.strip().splitlines() or [f"git push exited {res.exit_code}"])[-1]
        text = advice(status, reason, remote, branch, retry or f"run {item_id} again",
                      branch_hint=not item_id.startswith("rollback"))
        result = PushResult(status, remote, branch, head, reason, text)
    record(session, result, item_id)
    return result


def record(session, result: PushResult, item_id: str) -> None:
    """The journal event of a push (the fields 2.5 recorded before; `item` says who pushed)."""
    extra = {} if result.ok else {"reason": result.reason}
    session.state.record(gitstate.PUSH, status=result.status, remote=result.remote, branch=result.branch,
                         head=result.head, item=item_id, **extra)
    session.store.save()


def ensure_pushed(result: PushResult, *, what: str = "committed") -> PushResult:
    """The result if it was pushed; otherwise the one WizardError: "<what>, not pushed to r/b: <reason>. <advice>."."""
    if result.ok:
        return result
    raise WizardError(f"{what}, not pushed to {result.target}: {result.reason}. {result.advice}.")


def last_push(session, item_id: str | None = None, status: str | None = None) -> dict | None:
    """The newest push journal entry (of `item_id`, with `status`, when given). Entries from before
    pushes named their item were 2.5's."""
    for e in reversed(session.state.journal):
        if e.get("action") != gitstate.PUSH:
            continue
        if item_id is not None and e.get("item", "repo.commit-push") != item_id:
            continue
        if status is None or e.get("status") == status:
            return e
    return None
