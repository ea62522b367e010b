"""What the Phase 5 items share: which paths Flux owns, previews as diffs, and committing edits.

Phase 5 edits files after Phase 2 was committed and pushed (repo.commit-push passed), so each
apply writes its files atomically (keeping their mode), commits exactly those paths and pushes
to the branch Flux follows; the journal records the files (with before/after hashes) and the
commit, so rollback can revert it. Files with uncommitted changes of the user's are never
touched: their changes would end up in the wizard's commit.
"""
from __future__ import annotations

import difflib
import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

from ..journal import Kind
from ..fsutil import atomic_write
from ..paths import norm_repo_path as norm  # noqa: F401 - re-exported for the integrate modules
from ..paths import under
from ..repo import push as repo_push
from ..session import Refused, WizardError

# Pushes are journaled by wizard.repo.push (gitstate.PUSH, with the item); Kind.INTEGRATE_PUSHED is
# what older state files hold.
WROTE, COMMITTED = Kind.INTEGRATE_WROTE, Kind.INTEGRATE_COMMITTED
FLUX_KS_GROUP = "kustomize.toolkit.fluxcd.io"


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def diff(old: str, new: str, path: str) -> str:
    a = f"a/{path}" if old else "/dev/null"
    return "".join(difflib.unified_diff(old.splitlines(True), new.splitlines(True), a, f"b/{path}"))




# -- Flux ownership -------------------------------------------------------------------------------
@dataclass
class FluxKs:
    name: str
    namespace: str
    path: str  # normalised repo-relative folder
    file: str  # where it is defined
    depends: list[str] = field(default_factory=list)


@dataclass
class Ownership:
    """The Flux Kustomizations defined in the repo and the files each one builds."""

    kustomizations: list[FluxKs]
    files: dict[str, set[str]]  # ks name -> files
    moves: dict[str, str]  # old folder -> new folder (the wizard's Phase 2 moves)

    def owners(self, target: str) -> list[FluxKs]:
        """Kustomizations that build `target` (a file, or any file below a folder)."""
        t = norm(target)
        return [k for k in self.kustomizations if any(under(f, t) for f in self.files.get(k.name, ()))]

    def moved(self, target: str) -> str | None:
        t = norm(target)
        for old, new in sorted(self.moves.items(), key=lambda kv: -len(kv[0])):
            if under(t, old):
                return norm(new + t[len(old):])
        return None


def ownership(session) -> Ownership:
    from ..phases.secrets.flux_paths import reachable_files
    from ..repo.ops import moves_from_journal
    from ..repo.scan import scan

    result = scan(session.repo)
    all_files = sorted(result.files)
    kss, files = [], {}
    for m in result.manifests:
        if m.kind != "Kustomization" or not m.api_version.startswith(FLUX_KS_GROUP + "/"):
            continue
        spec = m.doc.get("spec") or {}
        deps = [d.get("name") for d in spec.get("dependsOn") or [] if isinstance(d, dict)]
        k = FluxKs(m.name, m.namespace or "flux-system", norm(str(spec.get("path") or "./")), m.path, deps)
        kss.append(k)
        files[k.name] = reachable_files(session.repo, k.path or ".", all_files)
    moves = {norm(old): norm(new) for new, old in moves_from_journal(session).items()}
    return Ownership(kss, files, moves)


# -- committing -----------------------------------------------------------------------------------
def dirty(session, paths: list[str]) -> list[str]:
    raw = session.git.run("status", "--porcelain=v1", "-z", "--untracked-files=all", "--", *paths).stdout
    return sorted({p[3:] for p in raw.split("\0") if len(p) > 3})


def ensure_untouched(session, paths: list[str], item_id: str) -> None:
    mine = {e.get("path"): e.get("after") for e in session.state.journal
            if e.get("action") == WROTE and e.get("item") == item_id}
    busy = []
    for p in dirty(session, paths):
        f = session.repo / p
        # Our own write from an interrupted run (not yet committed) is fine to finish.
        if not (f.is_file() and mine.get(p) == sha(f.read_text())):
            busy.append(p)
    if busy:
        raise Refused(f"these files have uncommitted changes: {', '.join(busy)}; the wizard would mix them into its "
                      "commit. Commit or stash them, then run the item again.")


def write_and_commit(session, item_id: str, changes: dict[str, str | None], message: str, progress,
                     push: bool = True) -> str | None:
    """Write (or delete, for None) the files, commit only them, push; returns the commit."""
    paths = sorted(changes)
    ensure_untouched(session, paths, item_id)
    for rel, text in changes.items():
        f = session.repo / rel
        before = sha(f.read_text()) if f.is_file() else None
        session.state.record(WROTE, item=item_id, path=rel, before=before, after=None if text is None else sha(text))
        session.store.save()
        if text is None:
            if f.exists():
                f.unlink()
        else:
            f.parent.mkdir(parents=True, exist_ok=True)
            mode = (f.stat().st_mode & 0o777) if f.exists() else 0o644
            atomic_write(f, text, mode=mode)
        progress(f"{'deleted' if text is None else 'wrote'} {rel}")
    session.git.run("add", "-A", "--", *paths)
    staged = session.git.run("diff", "--cached", "--name-only", "--", *paths).stdout.split()
    if not staged:
        return None
    session.git.run("commit", "-q", "-m", message, "--", *paths, timeout=60)
    head = session.git.out("rev-parse", "HEAD")
    session.state.record(COMMITTED, item=item_id, commit=head, files=paths, message=message.splitlines()[0])
    session.store.save()
    progress(f"committed {head[:12]}: {message.splitlines()[0]}")
    if push:
        push_head(session, item_id, progress)
    return head


def push_target(session) -> tuple[str, str | None]:
    from ..repo import gitstate

    return session.answers.get("remote", "origin"), session.answers.get("branch") or gitstate.current_branch(session)


def push_head(session, item_id: str, progress) -> None:
    remote, branch = push_target(session)
    if not branch:
        raise WizardError("committed, not pushed: HEAD is detached; check out the branch Flux follows and push.")
    remotes = session.git.out("remote").split()
    if remote not in remotes:
        progress(f"not pushed: there is no remote {remote!r} (push the commit yourself so Flux sees it)")
        return
    # HEAD, not the local branch: the commit was made on HEAD and goes to the branch Flux follows.
    result = repo_push.push(session, remote, branch, item_id=item_id, source="HEAD",
                            retry=f"run 'git push {remote} HEAD:{branch}'")
    repo_push.ensure_pushed(result)
    progress(f"pushed to {result.target}")


def is_executable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)
