"""2.5, before its push: the repository's own CI may apply manifests on push.

Such a pipeline would run `kubectl apply` against the restructured tree the moment 2.5 pushes it
(and fail, or apply what Flux is about to own). 5.2 rewrites those steps, but only after 2.5. So
2.5 says so in its preview and asks, first choice safe: put 5.2's rewrite into the same push, push
to a branch the pipeline does not run for, or push as it is.
"""
from __future__ import annotations

from ...checklist import Question, Step
from ...integrate import ci_deploy, common
from ...session import NeedsAnswers
from ..integrate.no_manual_apply import commit_message, rewrite_changes

REWRITE, BRANCH_FIRST, AS_IS = "with-rewrite", "branch", "push"
MIGRATION_BRANCH = "homelab-wizard/flux"

CI_DEPLOY = Question(
    "ci-deploy", "The repository's CI applies manifests on push: what should 2.5's push do?",
    [(REWRITE, "put 5.2's rewrite of those CI steps into the same push (recommended)"),
     (BRANCH_FIRST, f"push to a branch first (the answer branch, else {MIGRATION_BRANCH}); merge it yourself later"),
     (AS_IS, "push as it is: the CI runs its kubectl apply against the restructured tree")],
    default=REWRITE,
    help="5.2 integrate.no-manual-apply makes the same rewrite later; its answer manual-apply says how.",
    # Asked by 2.5's plan, and only when the repository's CI deploys on push.
    when=lambda answers: False)


def ci_plan(session, branch: str) -> tuple[list[Step], dict, str]:
    """(preview steps, plan data, the branch to push to) for the CI that deploys on push."""
    found = ci_deploy.deploys(session.repo, common.ownership(session))
    if not found:
        return [], {}, branch
    what = "; ".join(d.describe() for d in found[:6])
    choice = session.answers.get(CI_DEPLOY.key)
    if choice is None:
        raise NeedsAnswers(f"the repository's CI applies manifests on push: {what}. Pushing the restructured tree "
                           "would run it: answer ci-deploy=with-rewrite (5.2's rewrite in the same push), "
                           "answer ci-deploy=branch (push to a branch first) or answer ci-deploy=push (as it is)",
                           [CI_DEPLOY])
    steps = [Step("info", f"the repository's CI applies manifests on push: {d.describe()}") for d in found]
    if choice == REWRITE:
        changes, rewrite_steps, _ = rewrite_changes(session)
        steps += rewrite_steps
        if changes:
            steps.append(Step("command", f"git commit -- {' '.join(changes)}: {commit_message(_mode(session))}",
                              "5.2's rewrite, in the same push, so the CI no longer applies what Flux owns"))
        return steps, {"ci_rewrite": changes, "ci_mode": _mode(session)}, branch
    if choice == BRANCH_FIRST:
        if not session.answers.get("branch"):
            branch = MIGRATION_BRANCH
        still = [d.ref for d in found if d.runs_on(branch)]
        steps.append(Step("info", f"push to the branch {branch}; merge it once 5.2 has rewritten the CI"
                          + (f". Warning: the CI at {', '.join(still)} runs on a push to {branch} too" if still else
                             "; the CI does not run for it")))
        return steps, {}, branch
    steps.append(Step("info", f"warning: pushing as it is: the CI runs {len(found)} kubectl command(s) against the "
                              "restructured tree; run 5.2 integrate.no-manual-apply right after"))
    return steps, {}, branch


def _mode(session) -> str:
    return session.answers.get("manual-apply", "reconcile")


def commit_rewrite(session, plan_data: dict, progress) -> None:
    """Commit 5.2's rewrite (as 5.2's own commit, so rollback revert undoes it with the rest); 2.5 pushes it."""
    if plan_data.get("ci_rewrite"):
        common.write_and_commit(session, "integrate.no-manual-apply", plan_data["ci_rewrite"],
                                commit_message(plan_data.get("ci_mode")), progress, push=False)
