"""The owner's git hooks, run as `git commit` and `git push` would run them.

2.5 writes its commits with `git commit-tree` (one commit per Phase 2 step, over the trees the
journal recorded), which runs no hook. So it runs them itself through `git hook run`, which finds
them as git does (core.hooksPath included): pre-commit once on the index it is about to commit
(the wizard's staged changes, which the work tree matches), and commit-msg on each message (a hook
may edit it, as it may in `git commit`). A hook that exits non-zero stops 2.5 with the hook's own
words. `git push` runs pre-push itself; `refused_by_pre_push` tells its refusal from a network error.
"""
from __future__ import annotations

import os
from pathlib import Path

from ..fsutil import atomic_write
from ..runner import CancelToken
from ..session import WizardError


class HookRefused(WizardError):
    """An owner's git hook exited non-zero."""


def hook_file(session, name: str) -> Path | None:
    """The executable hook `name` git would run in this repo (core.hooksPath honoured), or None."""
    res = session.git.run("rev-parse", "--git-path", f"hooks/{name}", ok_codes=(0, 128), timeout=30)
    if res.exit_code != 0 or not res.stdout.strip():
        return None
    path = Path(res.stdout.strip())
    path = path if path.is_absolute() else session.repo / path
    return path if path.is_file() and os.access(path, os.X_OK) else None


def _shown(session, path: Path) -> str:
    try:
        return str(path.relative_to(session.repo))
    except ValueError:
        return str(path)


def _words(res) -> str:
    """What the hook said (its stderr, else its stdout), redacted, on one line."""
    lines = [ln.strip() for ln in (res.stderr.strip() or res.shown_stdout.strip()).splitlines() if ln.strip()]
    return " / ".join(lines[-8:]) or f"no message, exit code {res.exit_code}"


def run_hook(session, name: str, *args: str, what: str) -> bool:
    """Run hook `name` if the repo has one; HookRefused (with its words) when it exits non-zero.
    `what` completes "Nothing was committed or pushed; ..." False when there is no such hook."""
    path = hook_file(session, name)
    if path is None:
        return False
    # Its own token: a hook is the owner's program and must finish or fail on its own terms.
    res = session.git.run("hook", "run", "--ignore-missing", name, *(["--", *args] if args else []),
                          ok_codes=tuple(range(256)), timeout=600, cancel=CancelToken())
    if res.exit_code != 0:
        raise HookRefused(f"your {name} hook ({_shown(session, path)}) refused the commit: {_words(res)}. Nothing "
                          f"was committed or pushed; {what}")
    return True


def commit_message(session, message: str, item: str) -> str:
    """`message` after the owner's commit-msg hook (which may rewrite it, or refuse it)."""
    if hook_file(session, "commit-msg") is None:
        return message
    path = session.git_dir / "COMMIT_EDITMSG"  # where `git commit` puts it for the same hook
    atomic_write(path, message + "\n")
    run_hook(session, "commit-msg", str(path), what=f"the message of {item}'s commit was: {message!r}. Fix what "
             "the hook names (or its configuration), then run repo.commit-push again.")
    edited = "\n".join(ln for ln in path.read_text().splitlines() if not ln.startswith("#")).strip()
    return edited or message


def refused_by_pre_push(session, exit_code: int, porcelain_refs: list, stderr: str) -> str | None:
    """The pre-push hook's words when `git push` failed because that hook refused, else None.

    git prints no per-ref line when pre-push refuses (the refs never went out) and no "fatal:" (it
    reached the remote: pre-push runs after git has the remote's refs)."""
    if exit_code == 0 or porcelain_refs or "fatal:" in stderr or hook_file(session, "pre-push") is None:
        return None
    said = [ln.strip() for ln in stderr.splitlines()
            if ln.strip() and not ln.startswith("error: failed to push some refs")]
    return " / ".join(said[-8:]) or f"no message, exit code {exit_code}"
