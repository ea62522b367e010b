"""Revert the wizard's own commits (known from its journal), newest first, then push.

Never `reset --hard`, never a force push: each commit is undone by a new `git revert` commit,
so the user's later work stays. A conflict with a later user commit stops cleanly
(`git revert --abort` returns to the pre-revert state, the work tree is clean) and says what to
do. Verification: at HEAD, every path the reverted commits touched equals the tree from before
the migration (the parent of the wizard's first commit).

Guard rail: while Flux reconciles this repository with prune on, pushing the revert would let
Flux delete what leaves git (and a removed Kustomization takes its whole inventory with it).
So the plan suspends every active Kustomization first, or, with --no-suspend, lists the
objects at risk and needs --allow-prune.
"""
from __future__ import annotations

import dataclasses
import shutil
import tempfile

from ..checklist import Plan, Step, Verdict
from ..journal import Commit
from ..repo import gitstate
from ..repo.push import PUSHED, ensure_pushed, last_push, push
from ..fsutil import ensure_private_dir
from ..paths import repo_data_dir
from ..session import Blocked, Refused, WizardError
from .base import JOURNAL_PREFIX, Action, Options, rollback_entries
from .keep_encrypted import encrypted_secrets, guard_step, plaintext_secrets, show_file
from .fluxctl import flux_cmd, kustomizations, ks_id, prune_risk, risk_steps, suspended


def wizard_commits(session) -> list[Commit]:
    """The wizard's commits from its journal, oldest first: Phase 2, the secrets items and Phase 5."""
    return session.state.events.commits()


def already_reverted(session) -> set[str]:
    done = set()
    for e in rollback_entries(session, "revert"):
        done.update(e.get("reverted", []))
    return done


def on_head(session, sha: str) -> bool:
    return session.git.run("merge-base", "--is-ancestor", sha, "HEAD", ok_codes=(0, 1, 128)).exit_code == 0


def reverted_in_history(session, shas: list[str]) -> set[str]:
    """Commits that a 'This reverts commit <sha>' commit on HEAD already undid (by hand or by us)."""
    log = session.git.out("log", "--format=%B", "HEAD")
    return {s for s in shas if f"This reverts commit {s}" in log}


def to_revert(session) -> list[Commit]:
    """Wizard commits on HEAD not yet reverted, newest first."""
    commits = [c for c in wizard_commits(session) if on_head(session, c.sha)]
    gone = already_reverted(session) | reverted_in_history(session, [c.sha for c in commits])
    commits = [c for c in commits if c.sha not in gone]
    order = session.git.out("rev-list", "HEAD").split()
    pos = {sha: i for i, sha in enumerate(order)}
    return sorted(commits, key=lambda c: pos.get(c.sha, 1 << 30))


def touched_paths(session, shas: list[str]) -> list[str]:
    paths: set[str] = set()
    for sha in shas:
        out = session.git.out("diff-tree", "--no-commit-id", "-r", "--name-only", "-z", "-M", "--root", sha)
        paths.update(p for p in out.split("\0") if p)
        # renames: both sides (diff-tree -M lists only the new name without --name-status)
        st = session.git.out("diff-tree", "--no-commit-id", "-r", "--name-status", "-z", "--no-renames", sha)
        parts = [p for p in st.split("\0") if p]
        paths.update(parts[i + 1] for i in range(0, len(parts) - 1, 2))
    return sorted(paths)


def push_target(session) -> tuple[str, str] | None:
    """Where the wizard last pushed to (2.5, a Phase 5 item or an earlier revert), if it ever did."""
    e = last_push(session, status=PUSHED)
    return (e["remote"], e["branch"]) if e else None


def ensure_clean_repo(session) -> None:
    gd = session.git_dir
    for p, what in ((gd / "index.lock", "another git command is running (or was killed): .git/index.lock exists"),
                    (gd / "MERGE_HEAD", "a merge is in progress"), (gd / "REVERT_HEAD", "a revert is in progress"),
                    (gd / "CHERRY_PICK_HEAD", "a cherry-pick is in progress"),
                    (gd / "rebase-merge", "a rebase is in progress"), (gd / "rebase-apply", "a rebase is in progress")):
        if p.exists():
            raise Refused(f"{what} in {session.repo}; finish or abort it, then run the rollback again.")
    if gitstate.current_branch(session) is None:
        raise Refused("HEAD is detached; check out your branch (git switch <branch>) and run the rollback again.")
    dirty = [(c, p) for c, p in session.git.status_porcelain() if c != "??"]
    if dirty:
        listing = ", ".join(f"{p} ({c.strip()})" for c, p in dirty[:20])
        raise Refused(f"the work tree has uncommitted changes: {listing}; commit or stash them first (the wizard "
                      "never discards your work), then run the rollback again.")


def guard_steps(session, opts: Options) -> tuple[list[Step], list[str], dict]:
    """The guard rail against pruning: (steps, Kustomizations to suspend first, objects at risk)."""
    try:
        kss = kustomizations(session) if session.state.cluster else None
    except Exception:  # noqa: BLE001 - no cluster reachable: a repo-only rollback
        kss = None
    risk = prune_risk(kss or [])
    if risk and not opts.no_suspend:
        first = [ks_id(k) for k in kss if not suspended(k)]
        return [Step("command", f"flux suspend kustomization {i.split('/')[1]} -n {i.split('/')[0]}",
                     "guard rail: prune is on; suspended first so the revert deletes nothing")
                for i in first], first, risk
    return (risk_steps(risk) if risk else []), [], risk


def push_step(target: tuple[str, str] | None, opts: Options) -> Step:
    if target:
        return Step("command", f"git push {target[0]} {target[1]} (never forced)")
    return Step("info", "no push: the wizard's commits were never pushed" if opts.push else "no push (--no-push)")


def suspend_first(session, ids: list[str], progress) -> list[str]:
    """Suspend the planned Kustomizations that are not suspended yet; returns those suspended now."""
    if not ids:
        return []
    session.ensure_same_cluster()
    kss = kustomizations(session) or []
    todo = [k for k in kss if ks_id(k) in ids and not suspended(k)]
    flux_cmd(session, "suspend", todo, kss, progress)
    return [ks_id(k) for k in todo]


def back_to_start(session, start: str) -> None:
    """Undo a half-done sequence: abort the step in progress, then drop the revert commits made in this
    run (never pushed). `reset --keep` on the tree the step left clean, never `--hard`."""
    session.git.run("revert", "--abort", ok_codes=(0, 128), timeout=60)
    if session.git.out("rev-parse", "HEAD") != start:
        session.git.run("reset", "-q", "--keep", start, ok_codes=(0, 128), timeout=60)


def conflict_error(session, res, start: str, commits: list[str], suspended_now: list[str]) -> WizardError:
    """Abort a revert sequence that stopped on a conflict; the error says what is where and what to do."""
    conflicted = [p for p in session.git.out("diff", "--name-only", "--diff-filter=U", "-z").split("\0") if p]
    stuck = session.git.run("rev-parse", "-q", "--verify", "REVERT_HEAD", ok_codes=(0, 1)).stdout.strip()
    back_to_start(session, start)
    now = session.git.out("rev-parse", "HEAD")
    dirty = [p for c, p in session.git.status_porcelain() if c != "??"]
    state = (f"the revert was aborted and the repository is clean at {start[:12]}" if now == start and not dirty
             else f"the revert was aborted; HEAD is {now[:12]} and 'git status' shows {', '.join(dirty[:10]) or 'no changes'}")
    files = ", ".join(conflicted[:10]) or (res.stderr.strip().splitlines() or ["?"])[-1]
    return WizardError(
        f"reverting {(stuck or '?')[:12]} conflicts with later commits in: {files}. Nothing was changed: {state}"
        + (f" (Flux stays suspended: {', '.join(suspended_now)})" if suspended_now else "")
        + ". To go on, either revert by hand: 'git revert " + " ".join(s[:12] for s in commits)
        + "', resolve the conflicts in those files, 'git revert --continue', then 'git push' (never forced); "
        "or undo your later change to those files first, then run 'homelab-wizard rollback revert' again.")


def plaintext_refusal(session, sha: str, files: list[str]) -> Refused:
    subject = session.git.out("log", "-1", "--format=%s", sha)
    return Refused(
        f"reverting {sha[:12]} ({subject}) would write plaintext Secrets back into git in: {', '.join(files[:10])} "
        "(there is no encrypted copy of them to keep). Nothing was changed. Revert by hand with 'git revert "
        f"--no-commit {sha[:12]}', encrypt those files ('sops encrypt -i FILE') before 'git commit', then run "
        "'homelab-wizard rollback revert' again for the rest.")


def revert_each(session, commits: list[str], progress, suspended_now: list[str] = ()) -> dict[str, list[str]]:
    """Revert `commits` (newest first), one commit each, never committing a plaintext Secret (see
    keep_encrypted). Returns {commit: files kept encrypted}; on a conflict or a refusal HEAD goes
    back to where it was and the error says why."""
    start = session.git.out("rev-parse", "HEAD")
    kept: dict[str, list[str]] = {}
    for sha in commits:
        # A file kept encrypted in a folder that 2.3 moved goes back with the folder (directory rename
        # detection applied, not left as a "file location" conflict).
        res = session.git.run("-c", "merge.directoryRenames=true", "revert", "--no-commit", sha,
                              ok_codes=tuple(range(0, 256)), on_line=progress, timeout=300)
        if res.exit_code != 0:
            raise conflict_error(session, res, start, commits, list(suspended_now))
        guard = guard_step(session)
        if guard.refused:
            back_to_start(session, start)
            raise plaintext_refusal(session, sha, guard.refused)
        subject = session.git.out("log", "-1", "--format=%s", sha)
        body = [f'Revert "{subject}"', f"This reverts commit {sha}."]
        if guard.kept:
            kept[sha] = guard.kept
            body.append("Kept encrypted (homelab-wizard never writes a plaintext Secret into git): "
                        + ", ".join(guard.kept))
        session.git.run("commit", "-q", "--allow-empty", *[a for m in body for a in ("-m", m)],
                        timeout=60)
        progress(f"reverted {sha[:12]}" + (f" (kept encrypted: {', '.join(guard.kept)})" if guard.kept else ""))
    return kept


def changed_since(session, base: str, paths: list[str]) -> list[str]:
    if not paths:
        return []
    return [p for p in session.git.out("diff", "--name-only", "-z", base, "HEAD", "--", *paths).split("\0") if p]


def kept_encrypted(session, base: str, paths: list[str]) -> list[str]:
    """The reverted paths that differ from before the migration because a Secret in them stays encrypted
    (where they ended up after the moves were undone)."""
    return [p for p in changed_since(session, base, paths)
            if encrypted_secrets(show_file(session, f"HEAD:{p}")) or plaintext_secrets(show_file(session, f"{base}:{p}"))]


def preview_kept(session, commits: list[str]) -> dict[str, list[str]]:
    """What revert_each will keep encrypted, found by doing it in a scratch worktree (in the data
    folder, 0700: it holds the repo's files) that is removed after; Refused as the real run would be."""
    root = ensure_private_dir(repo_data_dir(session.repo) / "scratch")
    path = tempfile.mkdtemp(prefix="revert-", dir=root)
    try:
        session.git.run("worktree", "add", "--detach", "-q", path, "HEAD", timeout=120)
        scratch = dataclasses.replace(session, repo=type(session.repo)(path))
        return revert_each(scratch, commits, lambda line: None)
    except WizardError as e:
        if isinstance(e, Refused):
            raise
        return {}  # a conflict: the real run stops on it the same way and says so
    finally:
        shutil.rmtree(path, ignore_errors=True)
        session.git.run("worktree", "prune", ok_codes=(0, 1, 128))


class Revert(Action):
    name = "revert"
    title = "Revert the wizard's repository commits"
    destructive = True
    changes = "repo"

    def available(self, session):
        try:
            commits = to_revert(session)
        except Exception as e:  # noqa: BLE001 - shown to the user as the reason
            return self._avail(False, f"the repository cannot be read: {e}", "nothing")
        if not commits:
            staged = gitstate.pending_steps(session)
            why = ("the wizard's Phase 2 changes are staged, not committed: nothing to revert in git (the "
                   "'discard' action undoes them)") if staged else \
                "the wizard has made no commits on this branch (or they are reverted already)"
            return self._avail(False, why, "nothing")
        target = push_target(session)
        return self._avail(
            True, f"{len(commits)} wizard commit(s) on HEAD: "
                  + ", ".join(f"{c.sha[:10]}" for c in commits),
            "adds revert commits (newest first) that bring the wizard's paths back to how they were before the "
            "migration (apps/ moves undone, generated kustomizations and Flux manifests removed); your own later "
            "commits stay. " + (f"Then pushes to {target[0]}/{target[1]} (never forced). " if target else "")
            + "While Flux reconciles this repo it is suspended first, so nothing is pruned; workloads keep running.")

    def plan(self, session, opts: Options) -> Plan:
        ensure_clean_repo(session)
        commits = to_revert(session)
        if not commits:
            raise Blocked("there is nothing to revert: the wizard has made no commits on this branch, or they are "
                          "reverted already ('homelab-wizard rollback' lists what can be undone).")
        shas = [c.sha for c in commits]
        base = session.git.out("rev-parse", f"{commits[-1].sha}^")
        paths = touched_paths(session, shas)
        steps, suspend_first, risk = guard_steps(session, opts)
        for c in commits:
            subject = session.git.out("log", "-1", "--format=%s", c.sha)
            steps.append(Step("command", f"git revert --no-edit {c.sha[:12]}", subject))
        kept = preview_kept(session, shas)
        for sha, files in kept.items():
            steps.append(Step("info", f"kept encrypted: {', '.join(files)}: reverting {sha[:12]} would write "
                                      "plaintext Secrets back into git, so these files stay as they are now: the Secrets "
                                      "encrypted (to apply one by hand: sops decrypt FILE | kubectl apply -f -)"))
        target = push_target(session) if opts.push else None
        steps.append(push_step(target, opts))
        steps.append(Step("info", f"then check at HEAD that {len(paths)} path(s) equal the tree of {base[:12]} "
                          "(before the migration)", "\n".join(paths[:60]) + ("\n…" if len(paths) > 60 else "")))
        items = sorted({i for c in commits for i in c.items} | {"repo.commit-push"})
        return Plan("rollback.revert", f"revert {len(commits)} wizard commit(s), newest first"
                    + (f", suspending {len(suspend_first)} Kustomization(s) first" if suspend_first else ""),
                    steps, changes="repo",
                    data={"commits": shas, "base": base, "paths": paths, "push": target, "items": items,
                          "kept_encrypted": sorted({f for files in kept.values() for f in files}),
                          "suspend_first": suspend_first, "prune_risk": risk if opts.no_suspend else {}})

    def run(self, session, plan, progress):
        ensure_clean_repo(session)
        suspended_now = suspend_first(session, plan.data["suspend_first"], progress)
        kept = revert_each(session, plan.data["commits"], progress, suspended_now)
        head = session.git.out("rev-parse", "HEAD")
        pushed = None
        if plan.data["push"]:
            remote, branch = plan.data["push"]
            result = push(session, remote, branch, item_id="rollback.revert", source="HEAD", on_line=progress,
                          retry=f"run 'git push {remote} HEAD:{branch}'; Flux keeps the old state until then")
            if not result.ok:
                session.state.record(JOURNAL_PREFIX + "revert", phase="done", status="committed-not-pushed",
                                     reverted=plan.data["commits"], head=head, suspended=suspended_now)
                session.store.save()
            pushed = ensure_pushed(result, what="the revert commits are made locally").target
        return {"reverted": plan.data["commits"], "head": head, "pushed": pushed, "suspended": suspended_now,
                "kept_encrypted": kept_encrypted(session, plan.data["base"], plan.data["paths"]) if kept else [],
                "base": plan.data["base"]}

    def verify(self, session, plan, details):
        paths = plan.data["paths"]
        kept = details.get("kept_encrypted") or []
        diff = [p for p in changed_since(session, plan.data["base"], paths) if p not in kept]
        ev = {"head": details.get("head"), "base": plan.data["base"], "paths": len(paths), "different": diff[:50],
              "pushed": details.get("pushed"), "kept_encrypted": kept}
        if diff:
            return Verdict("failed", f"at HEAD {len(diff)} reverted path(s) differ from before the migration: "
                           f"{', '.join(diff[:10])} (later commits changed them; see 'git diff {plan.data['base'][:12]} HEAD -- <path>')", ev)
        if plan.data["push"] and details.get("pushed"):
            remote, branch = plan.data["push"]
            rh = gitstate.remote_head(session, remote, branch)
            if rh != details["head"]:
                return Verdict("failed", f"{remote}/{branch} is at {rh}, not at the revert {details['head'][:12]}", ev)
        return Verdict("passed", f"{len(plan.data['commits'])} commit(s) reverted; the {len(paths)} path(s) they touched "
                       f"equal the tree from before the migration ({plan.data['base'][:12]})"
                       + (f", except {len(kept)} kept encrypted: {', '.join(kept[:10])}" if kept else "")
                       + (f"; pushed to {details['pushed']}" if details.get("pushed") else ""), ev)

    def reverted_items(self, session, plan, details):
        return plan.data["items"]
