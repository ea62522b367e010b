"""1.1 prep.structure: choose Option A or B after seeing what each does to this repo."""
from __future__ import annotations

import hashlib

from ...journal import Kind
from ...checklist import Item, Plan, Question, Step, Verdict
from ...repo.layout import preview_option_a, preview_option_b
from ...repo.scan import scan
from ...session import Blocked

OPTION = Question("option", "Repository layout", [("a", "Option A — minimal disruption (recommended)"),
                                                   ("b", "Option B — full restructure")], default="a",
                  help="A keeps your folders and adds clusters/<name>/ and apps/; B moves everything into "
                       "infrastructure/{base,overlays,sources} and apps/{base,overlays}.")
CLUSTER = Question("cluster", "Cluster name (the folder under clusters/)", default="homelab")


def previews(session):
    result = scan(session.repo)
    cluster = session.answers.get("cluster", CLUSTER.default)
    return result, preview_option_a(result, cluster), preview_option_b(result, cluster)


class Structure(Item):
    questions = (OPTION, CLUSTER)

    def verify(self, session) -> Verdict:
        result, a, b = previews(session)
        chosen = session.answers.get("option")
        previewed = [e for e in session.state.journal if e.get("action") == Kind.STRUCTURE_CHOSEN]
        evidence = {"manifests": len(result.manifests), "scan_errors": [str(e) for e in result.errors],
                    "option_a": a.counts(), "option_b": b.counts()}
        if not result.manifests:
            return Verdict("failed", f"no Kubernetes manifests were found in {session.repo}; is this the right repo?", evidence)
        if chosen not in ("a", "b") or not previewed:
            return Verdict("pending", "no option chosen yet: preview both and choose one (run prep.structure)", evidence)
        evidence["chosen"] = chosen
        evidence["previewed_at"] = previewed[-1]["at"]
        return Verdict("passed", f"Option {chosen.upper()} chosen after a preview of both "
                                 f"({len(result.manifests)} manifests in {len(result.folders())} folders)", evidence)

    def plan(self, session) -> Plan:
        result, a, b = previews(session)
        if not result.manifests:
            raise Blocked(f"no Kubernetes manifests were found in {session.repo}; run the wizard in your manifests repo.")
        option = session.answers.get("option")
        if option not in ("a", "b"):
            raise Blocked("choose an option first: answer option=a (minimal) or answer option=b (full restructure).")
        steps = [Step("info", "What Option A would do", a.render()), Step("info", "What Option B would do", b.render())]
        if result.errors:
            steps.append(Step("info", f"{len(result.errors)} files could not be read and are left untouched",
                              "\n".join(map(str, result.errors))))
        steps.append(Step("pin", f"Record the choice: Option {option.upper()} (nothing in the repo changes now)"))
        digest = hashlib.sha256((a.render() + b.render()).encode()).hexdigest()[:16]
        return Plan(self.id, f"Preview of both layouts for {session.repo.name}; Option {option.upper()} will be recorded.",
                    steps, changes="state", data={"option": option, "preview": digest})

    def apply(self, session, plan: Plan, progress) -> None:
        session.answers["option"] = plan.data["option"]
        session.answers.setdefault("cluster", CLUSTER.default)
        session.state.record(Kind.STRUCTURE_CHOSEN, option=plan.data["option"], preview=plan.data["preview"])
        session.store.save()
        progress(f"recorded Option {plan.data['option'].upper()}")
