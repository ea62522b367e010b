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
