"""5.1 integrate.docs: document the GitOps workflow in the repository."""
from __future__ import annotations

from ...checklist import Item, Plan, Step, Verdict
from ...integrate import common, docs
from .shared import PUSH


def _cluster(session) -> str:
    return session.answers.get("cluster", "homelab")


# -- 5.1 --------------------------------------------------------------------------------------------
class Docs(Item):
    questions = (PUSH,)

    def _wanted(self, session):
        own = common.ownership(session)
        _, branch = common.push_target(session)
        return docs.wanted(session.repo, own, session.answers, branch, _cluster(session))

    def verify(self, session) -> Verdict:
        want = self._wanted(session)
        ev = {"files": sorted(want)}
        missing = [f for f, (old, _) in want.items() if docs.current(old) is None]
        stale = [f for f, (old, new) in want.items() if f not in missing and docs.current(old) != docs.current(new)]
        if missing:
            return Verdict("pending", f"no 'GitOps with Flux' section in {', '.join(missing)} yet (run integrate.docs)", ev)
        if stale:
            return Verdict("failed", f"the 'GitOps with Flux' section of {', '.join(stale)} no longer matches the repo "
                                     "(layout, secrets or branch changed); run integrate.docs to update it", ev)
        return Verdict("passed", f"{' and '.join(sorted(want))} describe the GitOps workflow, up to date with the layout", ev)

    def plan(self, session) -> Plan:
        want = self._wanted(session)
        changes = {f: new for f, (old, new) in want.items() if old != new}
        steps = [Step("edit" if want[f][0] else "write", f"{'update' if want[f][0] else 'create'} {f} "
                      "(the 'GitOps with Flux' section, between its markers)", common.diff(want[f][0], new, f))
                 for f, new in changes.items()]
        if not changes:
            return Plan(self.id, "Nothing to change: the GitOps section is up to date.", [], changes="nothing")
        steps.append(Step("command", f"git commit -- {' '.join(changes)}"
                                     + ("; git push" if session.answers.get("push", "true") == "true" else "")))
        return Plan(self.id, f"write the 'GitOps with Flux' section in {', '.join(changes)}", steps, changes="repo",
                    data={"changes": changes})

    def apply(self, session, plan, progress) -> None:
        if not plan.data.get("changes"):  # run again after it passed: the section is up to date
            progress("nothing to change: the GitOps section is up to date")
            return
        common.write_and_commit(session, self.id, plan.data["changes"], "docs: GitOps with Flux (homelab-wizard 5.1)",
                                progress, push=session.answers.get("push", "true") == "true")


# -- keeping 5.1's section true after a later Phase 5 step ------------------------------------------
def _stale_sections(session) -> dict[str, str]:
    """{file: text} of the sections 5.1 wrote that no longer describe the repo (empty when 5.1 never ran)."""
    want = Docs()._wanted(session)
    return {f: new for f, (old, new) in want.items() if docs.current(old) is not None
            and docs.current(old) != docs.current(new)}


def refresh_step(session) -> Step | None:
    """The preview line of a Phase 5 item that adds a Flux Kustomization, when 5.1's section exists."""
    files = [f for f, (old, _) in Docs()._wanted(session).items() if docs.current(old) is not None]
    if not files:
        return None
    return Step("edit", f"bring the 'GitOps with Flux' section of {', '.join(files)} (5.1) up to date with the new "
                        "Flux Kustomization (its own commit)")


def keep_current(session, item_id: str, progress) -> None:
    """After 5.3 or 5.4 added a Flux Kustomization and its files, 5.1's section lists them too, so 5.1
    stays true: committed as 5.1's own change. Uncommitted edits of the owner in README.md are never
    mixed in: then 5.1 says its section is stale, and running it updates the section."""
    from ...session import Refused

    changes = _stale_sections(session)
    if not changes:
        return
    try:
        common.write_and_commit(session, "integrate.docs", changes,
                                f"docs: GitOps with Flux, after {item_id} (homelab-wizard 5.1)", progress,
                                push=session.answers.get("push", "true") == "true")
    except Refused as e:
        progress(f"the 'GitOps with Flux' section was left as it is: {e} Then run integrate.docs.")
