"""Discard the wizard's staged Phase 2 changes that 2.5 has not committed yet.

Phase 2 items (2.1–2.4) leave their work staged; until 2.5 commits it there is nothing for
`revert` to revert. This action puts the index and the work tree of exactly those paths back
to HEAD (`git restore --source=HEAD --staged --worktree`), so a half-finished Phase 2 can be
undone too. It only runs when the staged changes are provably the wizard's own (the index
equals the tree its last finished step recorded, and nothing is edited on top); anything else
of the user's is refused, never discarded (git itself removes the folders that generated files
leave empty). The items whose work is gone go back to pending, and the journal marks the steps
discarded so that 2.5 no longer offers to commit them.
"""
from __future__ import annotations

from pathlib import Path

from ..checklist import Plan, Step, Verdict
from ..repo import gitstate
from ..session import Blocked, Refused
from .base import Action, Options

DISCARDED = "discarded"  # repo-apply phase: every earlier finished step on this HEAD is undone


def staged_changes(session) -> list[tuple[str, str]]:
    """(status letter, path) of the index against HEAD, renames as delete + add."""
    raw = session.git.out("diff", "--cached", "--name-status", "--no-renames", "-z", "HEAD")
    parts = [p for p in raw.split("\0") if p]
    return [(parts[i], parts[i + 1]) for i in range(0, len(parts) - 1, 2)]


def check_discardable(session) -> tuple[list[tuple[str, str]], list[str]]:
    """(the staged changes, the items that made them); raises when they are not only the wizard's."""
    u = gitstate.unfinished(session)
    if u is not None:
        raise Blocked(f"{u['item']} was interrupted half-way (at {u['at']}); run {u['item']} to "
                      "finish it first (it resumes where it stopped), then discard.")
    steps = gitstate.pending_steps(session)
    if not steps:
        raise Blocked("the wizard has no staged, uncommitted Phase 2 changes on this HEAD (nothing to discard; "
                      "committed changes are undone with 'homelab-wizard rollback revert').")
    exp = gitstate.expected_tree(session)
    if gitstate.index_tree(session) != exp:
        staged = gitstate.staged_paths(session, exp)
        raise Refused("the index holds changes that are not the wizard's: "
                      + ", ".join(f"{p} (staged)" for p in staged[:20]) + ". Commit or unstage them first (the "
                      "wizard never discards your work), then run the rollback again.")
    items = []
    for item, _ in steps:
        if item not in items:
            items.append(item)
    return staged_changes(session), items


def edited_since(session, paths: list[str]) -> list[str]:
    """Paths the wizard changed that the user edited in the work tree after the wizard's step: they are
    copied away before the rollback puts them back (discard_copies), never lost."""
    wanted = set(paths)
    return [p for c, p in gitstate.unstaged(session) if p in wanted and c != "??" and (session.repo / p).is_file()]


def keep_copies(session, paths: list[str]) -> Path:
    """Copy the user's edited files into a new 0700 folder of the data dir; that folder."""
    from datetime import datetime, timezone

    from ..fsutil import ensure_private_dir, write_private
    from ..paths import repo_data_dir

    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    root = ensure_private_dir(repo_data_dir(session.repo) / "kept-edits" / stamp)
    for p in paths:
        ensure_private_dir((root / p).parent)
        write_private(root / p, (session.repo / p).read_bytes())
    return root


class Discard(Action):
    name = "discard"
    title = "Discard the wizard's staged (uncommitted) Phase 2 changes"
    destructive = True
    changes = "repo"

    def available(self, session):
        steps = gitstate.pending_steps(session)
        if not steps:
            return self._avail(False, "the wizard has no staged, uncommitted Phase 2 changes", "nothing")
        items = sorted({i for i, _ in steps})
        return self._avail(
            True, f"Phase 2 steps staged but not committed yet: {', '.join(items)}",
            "puts the paths those steps changed back to how they are at HEAD, in the index and the work tree "
            "(moves undone, generated kustomizations and Flux manifests removed); nothing is committed or pushed, "
            "and the cluster is not touched. Refused if anything else in the work tree is not the wizard's.")

    def plan(self, session, opts: Options) -> Plan:
        changes, items = check_discardable(session)
        letters = {"A": "remove (added by the wizard)", "D": "bring back (removed or moved by the wizard)",
                   "M": "restore (edited by the wizard)"}
        steps = [Step("command", "git restore --source=HEAD --staged --worktree -- <the paths below>",
                      f"{len(changes)} path(s)")]
        steps += [Step("info", f"{letters.get(c[0], c)}: {p}") for c, p in changes[:200]]
        if len(changes) > 200:
            steps.append(Step("info", f"… and {len(changes) - 200} more"))
        edited = edited_since(session, [p for _, p in changes])
        if edited:
            steps.insert(0, Step("info", "you edited these after the wizard's step; a copy of each is kept in the "
                                 "wizard's data folder (named when it runs) before they are put back: "
                                 + ", ".join(edited[:20])))
        steps.append(Step("info", f"then {', '.join(items)} go back to pending; check that the index and the work "
                          "tree equal HEAD for these paths (other files you changed are left as they are)"))
        return Plan("rollback.discard", f"discard {len(changes)} staged path(s) of {len(items)} Phase 2 step(s)",
                    steps, changes="repo",
                    data={"paths": [p for _, p in changes], "items": items,
                          "head": gitstate.head(session), "expected": gitstate.expected_tree(session)})

    def run(self, session, plan, progress):
        # Re-check right before acting: the preview may be minutes old.
        _, items = check_discardable(session)
        if gitstate.head(session) != plan.data["head"] or gitstate.expected_tree(session) != plan.data["expected"]:
            raise Refused("the repository changed since the preview (HEAD or the wizard's staged steps); "
                          "preview the rollback again.")
        paths = plan.data["paths"]
        edited = edited_since(session, paths)
        kept = None
        if edited:
            kept = keep_copies(session, edited)
            for p in edited:
                progress(f"kept a copy of your edit of {p}: {kept / p}")
        if paths:
            session.git.run("restore", "--source=HEAD", "--staged", "--worktree", "--pathspec-from-file=-",
                            "--pathspec-file-nul", stdin="\0".join(paths) + "\0", on_line=progress, timeout=120)
        session.state.record(gitstate.APPLY, phase=DISCARDED, item="rollback.discard", base_head=plan.data["head"],
                             items=items)
        progress(f"discarded {len(paths)} staged path(s)")
        return {"paths": len(paths), "items": items, "kept": [str(kept / p) for p in edited] if kept else []}

    def verify(self, session, plan, details):
        paths = plan.data["paths"]
        staged = [p for p in session.git.out("diff", "--cached", "--name-only", "-z", "HEAD", "--", *paths).split("\0")
                  if p] if paths else []
        worktree = [p for c, p in session.git.status_porcelain() if p in set(paths)]
        ev = {"paths": len(paths), "still_staged": staged[:50], "still_changed": worktree[:50],
              "head": gitstate.head(session)}
        if staged or worktree:
            return Verdict("failed", f"{len(staged) + len(worktree)} path(s) still differ from HEAD: "
                           + ", ".join((staged + worktree)[:10]) + "; see 'git status'", ev)
        kept = (details or {}).get("kept") or []
        ev["kept_edits"] = kept
        return Verdict("passed", f"the {len(paths)} staged path(s) of {', '.join(plan.data['items'])} are back to HEAD "
                       "in the index and the work tree" + (f"; your later edits were kept: {', '.join(kept[:10])}"
                                                           if kept else ""), ev)

    def reverted_items(self, session, plan, details):
        return plan.data["items"]

