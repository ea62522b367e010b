"""The git side of Phase 2: what the wizard has changed, a clean work tree, commits and pushes.

Phase 2 items leave their changes staged, not committed: each finished item records the
tree of the index (`git write-tree`) in the journal. So at any time the wizard knows exactly
which staged changes are its own (the index equals the last recorded tree) and item 2.5 can
make one commit per logical step (`git commit-tree` over the recorded trees, then one atomic
`git update-ref`), without re-staging anything.
"""
from __future__ import annotations

import hashlib

from ..journal import Kind
from ..fsutil import stale_temp
from ..runner import ToolFailed
from ..session import Blocked, Refused, WizardError

APPLY = Kind.REPO_APPLY  # journal action: phase begin | done, item, base_head, ops / tree
OP = Kind.REPO_OP  # journal action: one operation of an apply, before/after
COMMITTED, PUSH = Kind.REPO_COMMITTED, Kind.REPO_PUSH


def head(session) -> str | None:
    return session.git.head()


def head_tree(session) -> str | None:
    h = head(session)
    if h is None:
        return None
    return session.git.out("rev-parse", f"{h}^{{tree}}")


def index_tree(session) -> str:
    return session.git.out("write-tree")


def current_branch(session) -> str | None:
    return session.git.run("symbolic-ref", "-q", "--short", "HEAD", ok_codes=(0, 1)).stdout.strip() or None


def _written_by_wizard(session, path: str) -> bool:
    for entry in reversed(session.state.journal):
        if entry.get("action") == Kind.INVENTORY_WROTE and entry.get("path") == path:
            f = session.repo / path
            return f.is_file() and hashlib.sha256(f.read_bytes()).hexdigest() == entry.get("sha256")
    return False


def _stale_temp(session, code: str, path: str) -> bool:
    """A temp file a killed wizard left (fsutil.stale_temp): removed, never reported as the user's
    change. Only the lock holder gets here."""
    if code != "??" or not stale_temp(path):
        return False
    (session.repo / path).unlink(missing_ok=True)
    return True


def clear_stale_temps(session) -> None:
    """Remove the temp files of atomic writes a killed wizard left in the work tree."""
    for c, p in session.git.status_porcelain():
        _stale_temp(session, c, p)


def unstaged(session) -> list[tuple[str, str]]:
    """Work-tree changes not in the index (and untracked files), except reports the wizard wrote
    and the wizard's own stale temp files."""
    return [(c, p) for c, p in session.git.status_porcelain()
            if (c[1] != " " or c == "??") and not _written_by_wizard(session, p) and not _stale_temp(session, c, p)]


def applies(session) -> list[dict]:
    return [e for e in session.state.journal if e.get("action") == APPLY]


def unfinished(session) -> dict | None:
    """The begin record of an apply that never recorded done (killed, or failed half-way)."""
    open_: dict[str, dict] = {}
    for e in applies(session):
        if e.get("phase") == "begin":
            open_[e["item"]] = e
        elif e.get("phase") in ("done", "abandoned"):
            open_.pop(e["item"], None)
    return next(iter(open_.values()), None) if open_ else None


def pending_steps(session, at_head: str | None = None) -> list[tuple[str, str]]:
    """(item, tree) of every finished Phase 2 step not committed yet, in the order they ran."""
    h = at_head if at_head is not None else head(session)
    out: list[tuple[str, str]] = []
    for e in applies(session):
        if e.get("base_head") != h:
            continue
        if e.get("phase") == "discarded":  # rollback discard put the index back to HEAD
            out = []
        elif e.get("phase") == "done" and e.get("tree"):
            out.append((e["item"], e["tree"]))
    return out


def expected_tree(session) -> str | None:
    """The index tree the wizard expects: its last finished step, or HEAD's tree."""
    steps = pending_steps(session)
    return steps[-1][1] if steps else head_tree(session)


def staged_paths(session, tree: str | None) -> list[str]:
    if tree is None:
        return session.git.out("diff", "--cached", "--name-only", "-z").split("\0")
    return [p for p in session.git.out("diff", "--cached", "--name-only", "-z", tree).split("\0") if p]


def foreign_changes(session) -> list[str]:
    """Changes in the work tree or index that are not the wizard's own, as 'path (code)'.

    The wizard's own: reports it wrote and nobody changed since, and the staged result of its
    finished Phase 2 steps that 2.5 has not committed yet.
    """
    dirty = unstaged(session)
    exp = expected_tree(session)
    staged = [] if index_tree(session) == exp else staged_paths(session, exp)
    return [f"{p} ({c.strip() or '?'})" for c, p in dirty] + [f"{p} (staged)" for p in staged]


def ensure_clean(session, item_id: str) -> dict | None:
    """Refuse unless the only changes are the wizard's own. Returns the unfinished apply of
    `item_id` (to resume), if any; an unfinished apply of another item blocks."""
    gd = session.git_dir
    for p, what in ((gd / "index.lock", "another git command is running (or was killed): .git/index.lock exists"),
                    (gd / "MERGE_HEAD", "a merge is in progress"), (gd / "rebase-merge", "a rebase is in progress"),
                    (gd / "rebase-apply", "a rebase is in progress")):
        if p.exists():
            raise Refused(f"{what} in {session.repo}; finish or abort it (remove the stale lock only if no git "
                          "command is running), then run the item again.")
    if head(session) is None:
        raise Blocked(f"{session.repo} has no commits yet; commit your manifests first.")
    clear_stale_temps(session)
    if current_branch(session) is None:
        raise Refused("HEAD is detached; check out a branch (git switch <branch>) and run the item again.")
    u = unfinished(session)
    if u is not None:
        if u["item"] != item_id:
            raise Blocked(f"{u['item']} was interrupted half-way (at {u['at']}); run {u['item']} "
                          "to finish it before anything else.")
        return u
    listing = foreign_changes(session)
    if listing:
        more = " …" if len(listing) > 20 else ""
        raise Refused(f"the work tree has changes that are not the wizard's: {', '.join(listing[:20])}{more}; "
                      "commit or stash them first, then run the item again.")
    return None


# -- 2.5: commits and push ---------------------------------------------------------------------
def commit_steps(session, messages: dict[str, str], hook_tree: str | None = None) -> list[str]:
    """One commit per pending step, then one atomic update of the branch. Returns the commits.

    `hook_tree`: the index after the owner's pre-commit hook changed it (already re-verified); the last
    step's commit takes it, so the hook's edits are committed as `git commit` would commit them."""
    h = head(session)
    branch = current_branch(session)
    steps = pending_steps(session, h)
    if hook_tree is not None and steps:
        steps = [*steps[:-1], (steps[-1][0], hook_tree)]
    if index_tree(session) != (steps[-1][1] if steps else head_tree(session)):
        raise Refused("the staged changes are not exactly the wizard's (something was staged or changed since "
                      "the last step); review 'git status', then run the Phase 2 items again.")
    commits: list[str] = []
    parent, prev_tree = h, head_tree(session)
    # commit-tree ignores commit.gpgSign: ask for git's own signing when the repo wants it, so a
    # failing signer stops here (with git's message) exactly as a plain `git commit` would.
    sign = ["-S"] if session.git.run("config", "--type=bool", "commit.gpgsign", ok_codes=(0, 1)).stdout.strip() \
        == "true" else []
    for item, tree in steps:
        if tree == prev_tree:
            continue
        if session.git.run("cat-file", "-e", f"{tree}^{{tree}}", ok_codes=(0, 1, 128)).exit_code != 0:
            raise Refused(f"the recorded tree of {item} is gone from the object store (git gc?); run the Phase 2 "
                          "items again to record it.")
        try:
            parent = session.git.out("commit-tree", *sign, tree, "-p", parent, "-m",
                                     messages.get(item, f"homelab-wizard: {item}"))
        except ToolFailed as e:
            if not sign:
                raise
            raise WizardError(f"git could not sign the commit for {item} (commit.gpgSign is on): "
                              f"{(e.stderr.strip() or str(e)).splitlines()[-1]}. Nothing was committed or pushed; "
                              "fix the signing setup (gpg/ssh key, gpg.program), then run repo.commit-push "
                              "again.") from None
        commits.append(parent)
        prev_tree = tree
    if commits:
        session.git.run("update-ref", "-m", "homelab-wizard: Phase 2 commits", f"refs/heads/{branch}", parent, h)
        session.state.record(COMMITTED, branch=branch, base=h, commits=commits, items=[i for i, _ in steps])
        session.store.save()
    return commits


def parse_push_porcelain(stdout: str) -> list[tuple[str, str, str]]:
    """(flag, ref, summary) per ref from `git push --porcelain`."""
    out = []
    for line in stdout.splitlines():
        if "\t" in line and line[:1] in " +-*!=":
            parts = line.split("\t")
            if len(parts) >= 3:
                out.append((parts[0], parts[1], parts[2]))
    return out


def remote_head(session, remote: str, branch: str) -> str | None:
    res = session.git.run("ls-remote", "--heads", remote, f"refs/heads/{branch}", timeout=60)
    for line in res.stdout.splitlines():
        sha, _, ref = line.partition("\t")
        if ref.strip() == f"refs/heads/{branch}":
            return sha.strip()
    return None


def contains(session, remote: str, branch: str, remote_sha: str, commit: str) -> bool:
    """Is `commit` in the history of `remote_sha` (the remote branch's head)? Fetches the branch
    into its remote-tracking ref first when this clone does not have that commit yet."""
    if session.git.run("cat-file", "-e", f"{remote_sha}^{{commit}}", ok_codes=(0, 1, 128)).exit_code != 0:
        fetched = session.git.run("fetch", "--no-tags", "-q", remote, f"refs/heads/{branch}:refs/remotes/{remote}/{branch}",
                                  ok_codes=tuple(range(256)), timeout=120)
        if fetched.exit_code != 0:
            return False
    return session.git.run("merge-base", "--is-ancestor", commit, remote_sha, ok_codes=(0, 1, 128)).exit_code == 0
