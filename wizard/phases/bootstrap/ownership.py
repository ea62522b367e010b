"""3.0 bootstrap.ownership: before the first reconcile, what Flux takes over, leaves or cannot apply.

Every object the Flux Kustomizations of clusters/<cluster>/ render is read live and dry-run as
kustomize-controller (wizard.flux.ownership_cluster); the findings say which hand edits Flux undoes,
which fields stay although git lacks them, which objects another controller owns, which it would
recreate or prune, and which kinds nothing provides. Passes on that live check, unless a finding stops
the first reconcile: a kind nothing provides without a decision (crd-provider.<group>=exclude|helm), an
immutable field change, an object the API server refuses. Other findings are reported with their fix,
and answered per object with keep-field.<Kind>/<namespace>/<name>=git|accept when wanted.
"""
from __future__ import annotations

from pathlib import PurePosixPath

from ...checklist import Item, Plan, Question, Step, Verdict
from ...flux.ownership import Finding
from ...flux.ownership_cluster import Preview, flux_kustomizations, preview, render
from ...repo.layout_model import EXCLUDE
from ...session import NeedsAnswers, UsageError

# Leaving them out comes first: the wizard carries it out itself, so a newcomer who takes the first choice goes
# on. Adding the provider is work only the owner can do (which chart, which version, which values).
PROVIDER_CHOICES = [(EXCLUDE, "leave these objects out of Flux for now (their folder gets class.<folder>=exclude)"),
                    ("helm", "I will add its provider myself (a HelmRelease of the chart that installs it, in "
                             "infrastructure/), then run 2.4 and 2.5 again")]
KEEP_CHOICES = [("git", "I put these fields in git (checked again)"),
                ("accept", "let Flux do what the preview says")]


def provider_question(group: str, objects: list[str]) -> Question:
    return Question(f"crd-provider.{group}", f"Nothing provides {group} ({', '.join(objects[:4])}"
                    f"{' …' if len(objects) > 4 else ''}): add its provider, or leave those objects out of Flux?",
                    PROVIDER_CHOICES, default=None,
                    help="Flux would fail the Kustomization holding them and, through dependsOn, never apply "
                         "what comes after it.")


def keep_question(f: Finding) -> Question:
    return Question(f.key, f"{f.object}: {f.why}", KEEP_CHOICES, default=None, optional=True, help=f.fix)


def run_preview(session) -> tuple[Preview | None, dict[str, str], list[str]]:
    """(the preview, the Flux paths, problems that stop it: no Flux Kustomization yet, a path that does not build)."""
    cluster = session.answers.get("cluster", "homelab")
    paths = flux_kustomizations(session, cluster)
    if not paths:
        return None, paths, [f"no Flux Kustomizations in clusters/{cluster}/ yet: run 2.4 repo.flux-manifests"]
    renders, problems = render(session, paths)
    if problems:
        return None, paths, problems
    return preview(session, renders, live_kustomizations=_live_kustomizations(session)), paths, []


def _live_kustomizations(session) -> list[dict]:
    """Flux Kustomizations already on the cluster (a re-bootstrap): what their prune would delete."""
    from ...flux.status import KS_RESOURCE, NS
    from ...runner import ToolError

    try:
        res = session.kubectl.run("get", KS_RESOURCE, "-n", NS, "-o", "json", "--request-timeout=20s",
                                  ok_codes=(0, 1), timeout=40)
    except ToolError:
        return []
    return res.json().get("items", []) if res.exit_code == 0 and res.stdout.strip() else []


def decisions(session, pv: Preview) -> tuple[list[Question], list[str], dict[str, str]]:
    """(questions still open, problems that stop 3.2, the decisions taken) for the blocking findings and the
    keep-field answers."""
    open_qs: list[Question] = []
    problems: list[str] = []
    by_group: dict[str, list[Finding]] = {}
    for f in pv.findings:
        if f.kind == "unprovided":
            by_group.setdefault(f.key, []).append(f)
        elif f.blocking:
            problems.append(f.line())
        elif f.key and session.answers.get(f.key) not in (None, *dict(KEEP_CHOICES)):
            try:
                keep_question(f).validate(session.answers[f.key])
            except ValueError as e:
                raise UsageError(str(e)) from None
        elif f.key and session.answers.get(f.key) == "git":
            problems.append(f"{f.object}: you answered {f.key}=git, but git does not have {', '.join(f.fields[:4])} "
                            "yet (put them in the manifest, then run 2.5 repo.commit-push)")
    for key, fs in by_group.items():
        answer = session.answers.get(key)
        objs = [f.object for f in fs]
        if answer is None:
            open_qs.append(provider_question(key.split(".", 1)[1], objs))
        elif answer not in dict(PROVIDER_CHOICES):
            raise UsageError(f"{key}={answer!r} is not one of: exclude, helm")
        elif answer == "helm":
            problems.append(f"{', '.join(objs[:4])}: you chose to add the provider of {key.split('.', 1)[1]}: add its "
                            "HelmRelease (the chart that installs those CRDs) to infrastructure/, then run 2.4 "
                            "repo.flux-manifests and 2.5 repo.commit-push again")
        else:
            problems.append(f"{', '.join(objs[:4])}: you chose to leave them out of Flux ({key}=exclude); "
                            "run 2.4 repo.flux-manifests and 2.5 repo.commit-push again so no Flux path renders them")
    taken = {k: v for k, v in session.answers.items() if k.startswith(("crd-provider.", "keep-field."))}
    return open_qs, problems, taken


class Ownership(Item):

    def verify(self, session) -> Verdict:
        session.ensure_same_cluster()
        pv, paths, stop = run_preview(session)
        if pv is None:
            return Verdict("pending" if not paths else "failed", "; ".join(stop[:4]), {"kustomizations": paths})
        open_qs, problems, taken = decisions(session, pv)
        ev = {"kustomizations": paths, **pv.evidence(), "decisions": taken,
              "questions": [q.key for q in open_qs]}
        if open_qs:
            return Verdict("blocked", "kinds nothing provides, so Flux would fail their Kustomization and everything "
                           "after it: " + "; ".join(q.prompt for q in open_qs[:4]) + " (answer "
                           + ", ".join(f"{q.key}=exclude|helm" for q in open_qs[:4]) + ")", ev)
        if problems:
            return Verdict("failed", f"{len(problems)} finding(s) stop the first reconcile: " + "; ".join(problems[:4]), ev)
        return Verdict("passed", _summary(pv), ev)

    def plan(self, session) -> Plan:
        session.ensure_same_cluster()
        pv, _, stop = run_preview(session)
        if pv is None:
            from ...session import Blocked

            raise Blocked("; ".join(stop[:4]))
        open_qs, _, _ = decisions(session, pv)
        if open_qs:
            raise NeedsAnswers("the cluster serves no API for some objects and nothing in the repo installs it",
                               open_qs)
        steps = [Step("info", f.line()) for f in pv.findings]
        if not steps:
            steps.append(Step("info", _summary(pv)))
        excl = _exclusions(session, pv)
        steps += [Step("info", f"record class.{folder}=exclude ({why}); then run 2.4 and 2.5 again")
                  for folder, why in excl.items()]
        plan = Plan(self.id, f"Ownership preview of {pv.objects} object(s): what Flux takes over, leaves or cannot "
                    "apply (nothing on the cluster changes)", steps, changes="state" if excl else "nothing")
        plan.data["exclude"] = excl
        return plan

    def apply(self, session, plan: Plan, progress) -> None:
        for folder, why in (plan.data.get("exclude") or {}).items():
            session.answers[f"class.{folder}"] = EXCLUDE
            progress(f"class.{folder}=exclude: {why}")
        session.store.save()


# What each count of 3.0's summary means, in a few words (the findings below it give each object's own).
MEANS = {
    "unprovided": "of a kind nothing installs yet",
    "immutable": "with a field the cluster will not let Flux change",
    "rejected": "the API server refuses",
    "recreate": "Flux must delete and create again",
    "prune": "Flux would delete",
    "owned": "that Helm or a controller owns",
    "hand-edit": "with a field changed by hand that git does not have",
    "overwritten": "whose cluster values Flux replaces with git's",
    "stays": "with a field only the cluster has, which Flux leaves as it is",
}


def _summary(pv: Preview) -> str:
    c = pv.evidence()["counts"]
    head = (f"{pv.objects} object(s) checked: {pv.existing} that exist (a server-side dry-run as kustomize-controller "
            f"shows what Flux's first apply changes in them) and {pv.new} that Flux will create")
    if not c:
        return head + "; Flux takes everything over as git has it"
    return head + "; " + ", ".join(f"{n} {MEANS.get(k, k)} ({k})" for k, n in c.items()) + \
        " (see the findings and their fixes)"


def _exclusions(session, pv: Preview) -> dict[str, str]:
    """The folders to leave out for each crd-provider.<group>=exclude: the folder of each object's file."""
    from ...repo.validate import build_with_origin

    out: dict[str, str] = {}
    cluster = session.answers.get("cluster", "homelab")
    paths = flux_kustomizations(session, cluster)
    wanted = {f.object: f for f in pv.findings if f.kind == "unprovided" and session.answers.get(f.key) == EXCLUDE}
    if not wanted:
        return out
    from ...flux.ownership import ref_of

    for ks, path in paths.items():
        for doc, origin in build_with_origin(session, path):
            f = wanted.get(ref_of(doc))
            if f and origin:
                folder = str(PurePosixPath(origin).parent)
                out[folder] = f"{f.object}: you answered {f.key}=exclude"
    return out
