"""5.2 integrate.no-manual-apply: no kubectl apply left for paths Flux owns."""
from __future__ import annotations

from ...journal import Kind
from ...checklist import Item, Plan, Question, Step, Verdict
from ...integrate import common
from ...integrate import manual_apply as ma
from ...session import UsageError
from .shared import PUSH


KEPT = Kind.INTEGRATE_KEPT


MODE = Question("manual-apply", "What to do with kubectl apply steps for paths Flux owns",
                [("reconcile", "replace them with `flux reconcile kustomization … --with-source`"),
                 ("remove", "remove them (Flux applies on its interval)")],
                default="reconcile",
                help="Keep one on purpose with the answer keep.<file>:<line>=<reason>; the reason is recorded.")


# -- 5.2 --------------------------------------------------------------------------------------------
def keeps(session) -> dict[str, str]:
    """{file:line: reason} from --set keep.<file>:<line>=<reason>."""
    out = {}
    for k, v in session.answers.items():
        if k.startswith("keep."):
            if not str(v).strip():
                raise UsageError(f"answer {k}= needs a reason (why this kubectl command stays).")
            out[k[len("keep."):]] = str(v).strip()
    return out


def _recorded_keeps(session) -> dict[tuple[str, str], str]:
    return {(e["file"], e["command"]): e["reason"] for e in session.state.journal if e.get("action") == KEPT}


def _kept_reason(session, f: ma.Finding, answers_keeps: dict[str, str]) -> str | None:
    return answers_keeps.get(f.ref) or _recorded_keeps(session).get((f.file, f.command))


def _mode(session) -> str:
    mode = session.answers.get("manual-apply", MODE.default)
    if mode not in ("reconcile", "remove"):
        raise UsageError(f"manual-apply={mode!r} is not one of: reconcile, remove")
    return mode


def _check_keep_refs(answers_keeps: dict[str, str], found: list[ma.Finding]) -> None:
    # A mistyped --set keep.<file>:<line> would otherwise keep nothing and rewrite the command it meant.
    known = {f.ref for f in found}
    for ref in answers_keeps:
        if ref not in known and not any(f.file == ref.rsplit(":", 1)[0] for f in found):
            raise UsageError(f"answer keep.{ref}: there is no kubectl command at {ref}; "
                             "'homelab-wizard verify integrate.no-manual-apply --json' lists them.")


def _by_file(found: list[ma.Finding]) -> dict[str, list[ma.Finding]]:
    by_file: dict[str, list[ma.Finding]] = {}
    for f in found:
        by_file.setdefault(f.file, []).append(f)
    return by_file


def _kept_commands(session, fs: list[ma.Finding], answers_keeps: dict[str, str], new_keeps: list[dict],
                   unknown: list[ma.Finding]) -> set[str]:
    """The commands of one file kept on purpose; adds the keeps not recorded yet to new_keeps, and the
    commands whose target cannot be told to unknown."""
    kept_cmds = set()
    for f in fs:
        reason = _kept_reason(session, f, answers_keeps)
        if reason and f.status != "external":
            kept_cmds.add(f.command)
            if (f.file, f.command) not in _recorded_keeps(session):
                new_keeps.append({"file": f.file, "line": f.line, "command": f.command, "reason": reason})
        elif f.status == "unknown":
            unknown.append(f)
    return kept_cmds


def _rewrite(session, rel: str, fs: list[ma.Finding], mode: str, kept_cmds: set[str]) -> tuple[str, Step] | None:
    """The new text of one file and its plan step, or None when nothing in it changes."""
    decide = ma.decider(mode, kept_cmds, {f.command: f for f in fs if f.status == "owned"})
    old = (session.repo / rel).read_text()
    new = ma.rewrite_file(old, fs[0].kind, decide, rel)
    if new == old:
        return None
    n = sum(1 for f in fs if f.status == "owned" and f.command not in kept_cmds)
    return new, Step("edit", f"{rel}: {'remove' if mode == 'remove' else 'replace with flux reconcile'} "
                             f"{n} kubectl command(s) for paths Flux owns", common.diff(old, new, rel))


def _note_steps(new_keeps: list[dict], unknown: list[ma.Finding]) -> list[Step]:
    return ([Step("info", f"keep {k['file']}:{k['line']} `{k['command']}` on purpose: {k['reason']}") for k in new_keeps]
            + [Step("info", f"cannot tell what {f.ref} `{f.command}` applies ({f.note}); edit it by hand "
                            f"or keep it with the answer keep.{f.ref}=<reason>") for f in unknown])


def rewrite_changes(session) -> tuple[dict[str, str], list[Step], list[dict]]:
    """5.2's rewrite: ({file: new text}, preview steps, keeps not recorded yet). 2.5 puts it into its own
    push when the repository's CI deploys on push."""
    mode = _mode(session)
    found = ma.find(session.repo, common.ownership(session))
    ak = keeps(session)
    _check_keep_refs(ak, found)
    changes, steps, new_keeps, unknown = {}, [], [], []
    for rel, fs in _by_file(found).items():
        kept_cmds = _kept_commands(session, fs, ak, new_keeps, unknown)
        rewritten = _rewrite(session, rel, fs, mode, kept_cmds)
        if rewritten:
            changes[rel], step = rewritten
            steps.append(step)
    return changes, steps + _note_steps(new_keeps, unknown), new_keeps


def commit_message(mode: str) -> str:
    verb = "remove" if mode == "remove" else "replace with flux reconcile"
    return f"ci: no manual kubectl apply for Flux paths ({verb}; homelab-wizard 5.2)"


class NoManualApply(Item):
    questions = (MODE, PUSH)

    def _findings(self, session):
        own = common.ownership(session)
        return own, ma.find(session.repo, own)

    def verify(self, session) -> Verdict:
        own, found = self._findings(session)
        ak = keeps(session)
        left, kept, ignored = [], [], []
        for f in found:
            if f.status == "external":
                ignored.append(f.evidence())
                continue
            reason = _kept_reason(session, f, ak)
            if reason:
                kept.append({**f.evidence(), "kept_because": reason})
            else:
                left.append(f)
        ev = {"flux_kustomizations": [f"{k.namespace}/{k.name} ./{k.path}" for k in own.kustomizations],
              "remaining": [f.evidence() for f in left], "kept": kept, "not_flux_paths": ignored[:50]}
        if not own.kustomizations:
            return Verdict("blocked", "no Flux Kustomization is defined in the repo yet, so no path is owned by Flux; "
                                      "run repo.flux-manifests first", ev)
        if left:
            what = "; ".join(f"{f.ref} `{f.command}` ({'targets ' + ', '.join(f.owners) if f.status == 'owned' else f.note})"
                             for f in left[:8])
            return Verdict("failed", f"{len(left)} manual kubectl command(s) still apply paths Flux owns: {what}. Run "
                                     "integrate.no-manual-apply to rewrite them, or keep one with the answer "
                                     "keep.<file>:<line>=<reason>", ev)
        msg = "no manual kubectl apply left for paths Flux owns"
        if kept:
            msg += f" ({len(kept)} kept on purpose: " + ", ".join(k["where"] for k in kept) + ")"
        return Verdict("passed", msg, ev)

    def plan(self, session) -> Plan:
        mode = _mode(session)
        changes, steps, new_keeps = rewrite_changes(session)
        if not changes and not new_keeps:
            return Plan(self.id, "Nothing to change: no kubectl command the wizard can rewrite.", steps, changes="nothing")
        if changes:
            steps.append(Step("command", f"git commit -- {' '.join(changes)}"
                                         + ("; git push" if session.answers.get("push", "true") == "true" else "")))
        summary = (f"rewrite {len(changes)} file(s) so nothing applies Flux's paths by hand"
                   if changes else "record the kubectl commands kept on purpose")
        return Plan(self.id, summary, steps, changes="repo" if changes else "state",
                    data={"changes": changes, "keeps": new_keeps, "mode": mode})

    def apply(self, session, plan, progress) -> None:
        for k in plan.data.get("keeps", []):
            session.state.record(KEPT, item=self.id, **k)
            progress(f"kept {k['file']}:{k['line']}: {k['reason']}")
        session.store.save()
        if plan.data.get("changes"):
            common.write_and_commit(session, self.id, plan.data["changes"], commit_message(plan.data.get("mode")),
                                    progress, push=session.answers.get("push", "true") == "true")
