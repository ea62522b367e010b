"""5.3 integrate.image-automation: image update automation for the Deployments the user names."""
from __future__ import annotations

from ...checklist import Item, Plan, Question, Step, Verdict
from ...integrate import common
from ...integrate import image_automation as ia
from ...session import Blocked, NeedsAnswers, UsageError
from .shared import PUSH, commit_step, differing
from .docs import keep_current as keep_docs_current, refresh_step as docs_refresh_step


# -- 5.3 --------------------------------------------------------------------------------------------
def _targets_problem(value: str) -> str | None:
    """What is wrong with a Deployment list; 3.2's yes/no answer shares the key and is not one."""
    if value in ia.BOOL_ANSWERS:
        return "name the Deployments as namespace/name, comma separated (e.g. apps/podinfo), or skip"
    try:
        ia.chosen(value)
    except UsageError as e:
        return str(e).split(": ", 1)[-1]
    return None


IMG_TARGETS = Question("image-automation", "Deployments whose image Flux updates (<namespace>/<deployment>, comma "
                       "separated), or 'skip'", default=None, check=_targets_problem,
                       help="answer image-automation=skip and answer image-automation-reason=<why> skips the item.")


IMG_POLICY = Question("image-policy", "Which tags count as newer", default="semver:>=0.0.0",
                      help="semver:<range> (e.g. semver:>=1.0.0) or regex:<pattern> (e.g. regex:^v?[0-9.]+$, "
                           "newest by alphabetical order).")


def _missing_markers(session, targets) -> list[str]:
    """Where a chosen Deployment's image line lacks the setter marker of its ImagePolicy."""
    missing = []
    for t in targets:
        got = ia.read_marker((session.repo / t.path).read_text(), t.index, t.deployment)
        if got != ia.marker(t.name):
            missing.append(f"{t.where} (Deployment {t.namespace}/{t.deployment}"
                           + (f", has {got}" if got else "") + ")")
    return missing


def _repo_verdict(stale: list[str], missing: list[str], files: dict[str, str], ev: dict) -> Verdict:
    what = ([f"not written yet or changed: {', '.join(stale)}"] if stale else []) + \
           (["no setter marker {\"$imagepolicy\": \"flux-system:<name>\"} on the image line of "
             + "; ".join(missing)] if missing else [])
    # None of the files written as wanted yet is work not started (pending); some of them, or all of them
    # without the markers, is a half-done or hand-edited result (failed).
    status = "failed" if (len(stale) < len(files) and stale) or (missing and not stale) else "pending"
    return Verdict(status, "; ".join(what) + " (run integrate.image-automation)", ev)


def _controller_states(ctl: dict) -> str:
    return ", ".join(f"{k}: {v}" for k, v in ctl["controllers"].items())


def _cluster_verdict(session, targets, spec, branch: str, ev: dict) -> Verdict:
    """The repo is as wanted: does the API server accept the objects, and do the controllers run?"""
    ctl = ia.controllers(session)
    ev["crds"], ev["controllers"] = ctl["crds"], ctl["controllers"]
    ev["bootstrap"] = ia.bootstrap_had_extras(session)
    if not ctl["crds_ok"]:
        return Verdict("blocked", ia.bootstrap_hint(session), ev)
    ok, out = ia.server_dry_run(session, ia.objects(targets, spec, branch))
    ev["server_dry_run"] = out[-2000:]
    if not ok:
        return Verdict("failed", f"the API server refused the image objects (kubectl apply --server-side "
                                 f"--dry-run=server): {out[-600:]}. Fix {ia.FOLDER}/ or the answers and run again.", ev)
    ev["controllers_running"] = ctl["running"]
    msg = (f"{len(targets)} Deployment(s) marked for image updates ({', '.join(ev['deployments'])}); ImageRepository, "
           f"ImagePolicy and ImageUpdateAutomation {ia.AUTOMATION} (pushing to {branch}) accepted by the API server")
    if not ctl["running"]:
        note = (f"the image controllers are not running in flux-system ({_controller_states(ctl)}), so no image is "
                f"updated yet; add them with flux bootstrap --components-extra={ia.COMPONENTS}")
        ev["controllers_note"] = note
        msg += "; but " + note
    return Verdict("passed", msg, ev)


class ImageAutomation(Item):
    questions = (IMG_TARGETS, IMG_POLICY, PUSH)

    def _want(self, session):
        targets = ia.find_targets(session, ia.chosen(session.answers.get("image-automation")))
        spec = ia.policy_spec(session.answers.get("image-policy"))
        _, branch = common.push_target(session)
        if not branch:
            raise Blocked("HEAD is detached; check out the branch Flux follows (ImageUpdateAutomation pushes to it).")
        files = ia.repo_files(targets, spec, branch, session.answers.get("cluster", "homelab"))
        return targets, spec, branch, files

    def verify(self, session) -> Verdict:
        answer = str(session.answers.get("image-automation", "")).strip()
        if answer == "skip":
            return Verdict("pending", "image-automation=skip is chosen but not recorded: run integrate.image-automation "
                                      "with the answer image-automation-reason=<why> (or 'homelab-wizard skip 5.3 --reason …')")
        if not ia.chosen(answer):
            return Verdict("pending", "no Deployments chosen: run integrate.image-automation with the "
                                      "answer image-automation=<namespace>/<deployment>[,...] (or image-automation=skip)")
        targets, spec, branch, files = self._want(session)
        ev: dict = {"api": ia.API, "deployments": [f"{t.namespace}/{t.deployment}" for t in targets],
                    "policy": spec, "branch": branch, "files": sorted(files)}
        stale = list(differing(session, files))
        missing = _missing_markers(session, targets)
        ev["markers"] = {f"{t.namespace}/{t.deployment}": t.where for t in targets}
        if stale or missing:
            return _repo_verdict(stale, missing, files, ev)
        return _cluster_verdict(session, targets, spec, branch, ev)

    def plan(self, session) -> Plan:
        answer = str(session.answers.get("image-automation", "")).strip()
        if answer == "skip":
            reason = str(session.answers.get("image-automation-reason", "")).strip()
            if not reason:
                raise NeedsAnswers("answer image-automation=skip needs answer image-automation-reason=<why> (it is "
                                   "recorded)", [Question("image-automation-reason", "Why skip image automation? "
                                                                                     "(recorded with the item)")])
            return Plan(self.id, f"skip image automation: {reason}", [Step("info", f"record the skip: {reason}")],
                        changes="state", data={"skip": reason})
        if not ia.chosen(answer):
            raise UsageError("choose the Deployments: answer image-automation=<namespace>/<deployment>[,...] "
                             "(or answer image-automation=skip and answer image-automation-reason=<why>).")
        targets, spec, branch, files = self._want(session)
        ctl = ia.controllers(session)
        if not ctl["crds_ok"]:
            raise Blocked(ia.bootstrap_hint(session))
        changes = differing(session, files)
        steps = []
        for p, t in changes.items():
            old = (session.repo / p).read_text() if (session.repo / p).is_file() else ""
            steps.append(Step("edit" if old else "write", f"write {p}", common.diff(old, t, p)))
        for t in targets:
            old = changes.get(t.path) or (session.repo / t.path).read_text()
            new = ia.add_marker(old, t.index, t.name, t.where, t.deployment)
            if new != old:
                changes[t.path] = new
                steps.append(Step("edit", f"{t.where}: setter marker for ImagePolicy {ia.NS}/{t.name} on the image of "
                                          f"Deployment {t.namespace}/{t.deployment} ({t.image})",
                                  common.diff((session.repo / t.path).read_text(), new, t.path)))
        if not ctl["running"]:
            steps.append(Step("info", f"the image controllers are not running in flux-system ({_controller_states(ctl)}"
                                      + f"); the objects are accepted but nothing updates images until they run: "
                                        f"flux bootstrap --components-extra={ia.COMPONENTS}"))
        if not changes:
            return Plan(self.id, "Nothing to change: the image automation objects and markers are in place.", steps,
                        changes="nothing", data={"changes": {}})
        steps.append(commit_step(session))
        refresh = docs_refresh_step(session)
        steps += [refresh] if refresh else []
        steps.append(Step("command", "kubectl apply --server-side --dry-run=server (the image objects; verify)"))
        return Plan(self.id, f"image automation for {len(targets)} Deployment(s) ({ia.API}, pushing to {branch})",
                    steps, changes="repo", data={"changes": changes})

    def apply(self, session, plan, progress) -> None:
        if plan.data.get("changes"):
            common.write_and_commit(session, self.id, plan.data["changes"],
                                    "images: Flux image automation and setter markers (homelab-wizard 5.3)",
                                    progress, push=session.answers.get("push", "true") == "true")
            keep_docs_current(session, self.id, progress)
