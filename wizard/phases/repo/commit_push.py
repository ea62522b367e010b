"""2.5 repo.commit-push: one commit per Phase 2 step, then a push that is never forced."""
from __future__ import annotations

from ...checklist import Item, Plan, Question, Step, Verdict
from ...runner import ToolError
from ...session import Blocked
from ...repo import gitstate, hooks, push
from ...repo.validate import plaintext_secrets
from ...secrets.detect import secret_where
from .ci_before_push import CI_DEPLOY, ci_plan, commit_rewrite
from .common import Ctx, context


BRANCH = Question("branch", "Branch to commit to (empty: the current one)", default=None, optional=True)


REMOTE = Question("remote", "Remote to push to", default="origin")


# -- 2.5 --------------------------------------------------------------------------------------------
MESSAGES = {
    "repo.adopt": "homelab-wizard 2.0: adopt objects that existed only in the cluster",
    "repo.cluster-dir": "homelab-wizard 2.1: add clusters/{cluster}/, Flux's entry point",
    "repo.kustomizations": "homelab-wizard 2.2: add a kustomization.yaml to every manifest folder",
    "repo.apps": "homelab-wizard 2.3: move app manifests to apps/ (git mv)",
    "repo.flux-manifests": "homelab-wizard 2.4: add Flux Kustomizations (infrastructure, then apps)",
    # Secret management (issue #5) journals its repo changes as steps too.
    "secrets.keys": "homelab-wizard S.2: add .sops.yaml (encrypt data/stringData with age)",
    "secrets.convert": "homelab-wizard S.3: encrypt the plaintext Secrets",
    "secrets.decryption": "homelab-wizard S.4: Flux decrypts sops files (spec.decryption, sops-age)",
}


MESSAGES_B = {"repo.apps": "homelab-wizard 2.3: restructure into infrastructure/{{base,sources}} and apps/base (git mv)"}


def _refuse_plaintext(session, ctx: Ctx) -> None:
    secrets = [m for u in ctx.layout.units for m in plaintext_secrets(u.manifests)
               if m.path not in ctx.layout.excluded_files]
    if secrets:
        raise Blocked("refusing to commit: plaintext Secrets would sit under a Flux path: "
                      + ", ".join(f"{m.kind} {m.namespace}/{m.name} ({secret_where(session.repo, m)})"
                                  for m in secrets[:10])
                      + ". Encrypt them first with the secrets items (secrets.scan, secrets.keys, "
                        "secrets.convert: SOPS or Sealed Secrets), then run repo.commit-push again.")


def _run_pre_commit(session, progress) -> str | None:
    """The owner's pre-commit hook on the index about to be committed. None when it changed nothing;
    the new index tree when it rewrote and staged files, after 2.4's check and the plaintext check
    passed again on what it left (a formatter must not break a Flux path or undo an encryption)."""
    before = gitstate.index_tree(session)
    if not hooks.run_hook(session, "pre-commit", what="fix what the hook names (if it changed files, review and "
                          "'git add' them), then run repo.commit-push again."):
        return None
    after = gitstate.index_tree(session)
    unstaged = [p for c, p in session.git.status_porcelain() if c[1] != " "]
    if unstaged:
        progress("your pre-commit hook changed files it did not stage (left as they are, as git commit leaves "
                 "them): " + ", ".join(unstaged[:10]))
    if after == before:
        return None
    changed = gitstate.staged_paths(session, before)
    progress("your pre-commit hook changed staged files: " + ", ".join(changed[:10]) + "; checking 2.4 again")
    from .flux_manifests import FluxManifests

    verdict = FluxManifests().verify(session)
    if not verdict.passed:
        raise Blocked(f"your pre-commit hook changed {', '.join(changed[:10])}, and with its change 2.4's check "
                      f"fails: {verdict.message}. Nothing was committed or pushed; undo or fix the hook's change, "
                      "then run repo.commit-push again.")
    _refuse_plaintext(session, context(session))
    return after


class CommitPush(Item):
    questions = (REMOTE, BRANCH, CI_DEPLOY)

    def _target(self, session) -> tuple[str, str]:
        branch = session.answers.get("branch") or gitstate.current_branch(session)
        remote = session.answers.get("remote", REMOTE.default)
        if not branch:
            raise Blocked("HEAD is detached; check out a branch or answer branch=<name>.")
        return remote, branch

    def verify(self, session) -> Verdict:
        remote, branch = self._target(session)
        if gitstate.pending_steps(session):
            return Verdict("pending", "the Phase 2 changes are staged but not committed yet (run repo.commit-push)")
        head = gitstate.head(session)
        try:
            remote_sha = gitstate.remote_head(session, remote, branch)
        except ToolError as e:
            return Verdict("failed", f"cannot read {remote}/{branch} with git ls-remote: {e}")
        ev = {"remote": remote, "branch": branch, "head": head, "remote_head": remote_sha}
        committed = [e for e in session.state.journal if e.get("action") == gitstate.COMMITTED]
        if remote_sha == head:
            return Verdict("passed", f"committed; {remote}/{branch} has the commit {head[:12]} (git ls-remote)", ev)
        if committed and remote_sha and gitstate.contains(session, remote, branch, remote_sha, head):
            # Later steps push on top (flux bootstrap's commits): the wizard's commit is still there.
            ev["ahead_of_ours"] = True
            return Verdict("passed", f"committed; {remote}/{branch} ({remote_sha[:12]}) has the commit {head[:12]}, "
                                     "with later commits on top (e.g. flux bootstrap's)", ev)
        last = push.last_push(session, self.id)
        why = f": {last['reason']}" if last and last.get("status") != push.PUSHED and last.get("reason") else ""
        if committed:
            return Verdict("failed", f"committed, not pushed: {remote}/{branch} is at "
                                     f"{(remote_sha or 'nothing')[:12]}, not {head[:12]}{why}", ev)
        return Verdict("pending", "nothing committed by the wizard yet", ev)

    def plan(self, session) -> Plan:
        ctx = context(session)
        u = gitstate.unfinished(session)
        if u is not None:
            raise Blocked(f"{u['item']} was interrupted half-way; run {u['item']} to finish it first.", needs=(u["item"],))
        gitstate.ensure_clean(session, self.id)
        _refuse_plaintext(session, ctx)
        remote, branch = self._target(session)
        if session.git.run("remote", "get-url", remote, ok_codes=(0, 2, 128)).exit_code != 0:
            raise Blocked(f"the repository has no remote {remote!r}; add one with 'git remote add {remote} <url>' "
                          "(or answer remote=<name>), then run repo.commit-push again.")
        ci_steps, ci_data, branch = ci_plan(session, branch)
        msgs = self._messages(ctx)
        steps = []
        prev = gitstate.head_tree(session)
        for item, tree in gitstate.pending_steps(session):
            if tree != prev:
                steps.append(Step("command", f"git commit: {msgs[item]}"))
                prev = tree
        cur = gitstate.current_branch(session)
        if branch != cur:
            steps.insert(0, Step("command", f"git switch -c {branch} (the changes come along)"))
        commits = len(steps) - (branch != cur)
        steps += ci_steps
        steps.append(Step("command", f"git push {remote} {branch} (never forced)"))
        return Plan(self.id, f"commit the Phase 2 changes ({commits} commit(s)) on {branch} and push to {remote}",
                    steps, changes="repo", data={"remote": remote, "branch": branch, "messages": msgs, **ci_data})

    def _messages(self, ctx: Ctx) -> dict[str, str]:
        msgs = dict(MESSAGES)
        if ctx.option == "b":
            msgs.update(MESSAGES_B)
        return {k: v.format(cluster=ctx.cluster) for k, v in msgs.items()}

    def apply(self, session, plan, progress) -> None:
        remote, branch = plan.data["remote"], plan.data["branch"]
        cur = gitstate.current_branch(session)
        if branch != cur:
            exists = session.git.run("rev-parse", "--verify", "-q", f"refs/heads/{branch}", ok_codes=(0, 1))
            if exists.exit_code == 0 and exists.stdout.strip() != gitstate.head(session):
                raise Blocked(f"the branch {branch} exists and points elsewhere; pick a new branch name or the current one.")
            session.git.run("switch", *([] if exists.exit_code == 0 else ["-c"]), branch)
        hook_tree = _run_pre_commit(session, progress)
        msgs = {item: hooks.commit_message(session, msg, item) for item, msg in plan.data["messages"].items()
                if item in {i for i, _ in gitstate.pending_steps(session)}}
        commits = gitstate.commit_steps(session, {**plan.data["messages"], **msgs}, hook_tree=hook_tree)
        for c in commits:
            progress(f"committed {c[:12]}")
        commit_rewrite(session, plan.data, progress)
        if branch != (session.answers.get("branch") or cur):
            session.answers["branch"] = branch  # pushed to a branch first: Flux follows it from 3.2 on
            session.store.save()
        result = push.ensure_pushed(push.push(session, remote, branch, item_id=self.id))
        progress(f"pushed to {result.target}")
