"""4.2 validate.reconciled: every Flux object Ready at the pushed revision."""
from __future__ import annotations

import time
from ...journal import Kind
from ...checklist import Item, Plan, Step, Verdict
from ...flux import creds
from ...flux.ownership import BLOCKING
from ...flux.status import (KS_RESOURCE, REQUESTED_AT, ObjState, condition, ref, revision_hash,
                           settled_failure)
from ...runner import Cancelled
from ...session import WizardError
from .common import TIMEOUT, flux_objects, pushed_commit, request_reconcile


def reconcile_report(session, head: str, objects=None) -> tuple[list[str], list[str], dict]:
    """(ok lines, problem lines, evidence) for every source and Kustomization (no token needed: it reads
    the cluster, and the credential only for the repository's URL)."""
    cred = creds.resolve(session, need_token=False)
    sources, kss = objects if objects is not None else flux_objects(session)
    ok, bad, ev = [], [], {"pushed_commit": head, "sources": [], "kustomizations": []}
    ours = set()
    for s in sources:
        st = ObjState.of(s)
        ev["sources"].append(vars(st))
        tracks = _tracks(s, cred)
        if tracks:
            ours.add((s["metadata"]["namespace"], s["metadata"]["name"]))
        _add_line(ok, bad, st, _source_problem(st, tracks, head))
    for ks in kss:
        st = ObjState.of(ks)
        ev["kustomizations"].append(vars(st))
        _add_line(ok, bad, st, _kustomization_problem(ks, st, ours, head))
    if not kss:
        bad.append("there is no Kustomization at all")
    return ok, bad, ev


def _tracks(s: dict, cred) -> bool:
    """A GitRepository that fetches the repository the wizard pushes to (so it must be at the pushed commit)."""
    url = (s.get("spec") or {}).get("url", "")
    return bool(s.get("kind") == "GitRepository" and url and creds.parse_url(url).key == cred.repo.key)


def _source_problem(st: ObjState, tracks: bool, head: str) -> str | None:
    problem = _problem(st)
    if not problem and tracks and revision_hash(st.revision) != head:
        problem = f"fetched {revision_hash(st.revision) or 'nothing'}, not the pushed commit {head[:12]}"
    return problem


def _kustomization_problem(ks: dict, st: ObjState, ours: set, head: str) -> str | None:
    """Only a Kustomization applying one of our GitRepositories must be at the pushed commit."""
    sref = (ks.get("spec") or {}).get("sourceRef") or {}
    src = (sref.get("namespace") or ks["metadata"]["namespace"], sref.get("name"))
    problem = _problem(st)
    if not problem and sref.get("kind") == "GitRepository" and src in ours and revision_hash(st.revision) != head:
        problem = f"applied {revision_hash(st.revision) or 'nothing'}, not the pushed commit {head[:12]}"
    return problem


def _only_behind(line: str) -> bool:
    """A problem line that only says Flux is at an older commit (Ready, current generation)."""
    return ", not the pushed commit " in line and ("fetched " in line or "applied " in line)


def _add_line(ok: list[str], bad: list[str], st: ObjState, problem: str | None) -> None:
    (bad if problem else ok).append(f"{st.ref}: {problem}" if problem else st.line())


def _problem(st: ObjState) -> str | None:
    if st.suspended:
        return "suspended (spec.suspend: true); resume it with 'flux resume'"
    if not st.ready:
        return f"not Ready: {st.reason or 'no reason yet'}: {st.message or 'no message yet'}"
    if not st.current:
        return "Ready, but for an older generation of its spec (still reconciling)"
    return None


class Reconciled(Item):
    questions = (TIMEOUT,)

    def verify(self, session) -> Verdict:
        session.ensure_same_cluster()
        head = pushed_commit(session)
        ok, bad, ev = reconcile_report(session, head)
        ev["ok"], ev["problems"] = ok, bad
        ev["ownership"] = _ownership(session)  # 3.0's preview again, now that Flux owns what it applied
        if bad and all(_only_behind(line) for line in bad):
            # Ready everywhere, only not at the newest commit yet (pushed after the last fetch, by a later
            # item such as 5.1): Flux gets there on its interval, a run asks for it now. Not a failure.
            return Verdict("pending", f"Flux is Ready but has not reached the pushed commit {head[:12]} yet (it fetches "
                                      "on its interval): " + "; ".join(bad[:4]) + "; run validate.reconciled to ask "
                                      "for it now and wait", ev)
        if bad:
            blocking = [f for f in ev["ownership"].get("findings", []) if f["kind"] in BLOCKING]
            why = ("; ownership preview: " + "; ".join(f"{f['kind']}: {f['object']}: {f['why']}" for f in blocking[:3])
                   if blocking else "")
            return Verdict("failed", f"{len(bad)} not reconciled at {head[:12]}: " + "; ".join(bad[:6]) + why, ev)
        return Verdict("passed", f"{len(ok)} sources and Kustomizations Ready at the pushed commit {head[:12]}", ev)

    def plan(self, session) -> Plan:
        session.ensure_same_cluster()  # a preview of the pinned cluster only
        sources, kss = flux_objects(session)
        steps = [Step("command", f"kubectl annotate {s['kind']} {s['metadata']['namespace']}/{s['metadata']['name']} "
                                 f"{REQUESTED_AT}=<now>") for s in sources if s.get("kind") == "GitRepository"]
        steps += [Step("command", f"kubectl annotate Kustomization {k['metadata']['namespace']}/{k['metadata']['name']} "
                                  f"{REQUESTED_AT}=<now>") for k in kss if not (k.get("spec") or {}).get("suspend")]
        steps.append(Step("info", f"wait up to {session.answers.get('reconcile-timeout', TIMEOUT.default)}s until all are "
                                  "Ready at the pushed commit (the last condition is shown if they are not)"))
        return Plan(self.id, "Ask Flux to fetch and apply now (instead of waiting for the interval), then wait.",
                    steps, changes="cluster")

    def apply(self, session, plan: Plan, progress) -> None:
        session.ensure_same_cluster()
        head = pushed_commit(session)
        sources, kss = flux_objects(session)
        tokens: dict[str, str] = {}
        for s in sources:
            if s.get("kind") == "GitRepository":
                tokens[ref(s)] = request_reconcile(session, "gitrepositories.source.toolkit.fluxcd.io",
                                                   s["metadata"]["namespace"], s["metadata"]["name"])
        for k in kss:
            if not (k.get("spec") or {}).get("suspend"):
                tokens[ref(k)] = request_reconcile(session, KS_RESOURCE, k["metadata"]["namespace"],
                                                   k["metadata"]["name"])
        session.state.record(Kind.RECONCILE_REQUESTED, item=self.id, commit=head)
        session.store.save()
        timeout = float(session.answers.get("reconcile-timeout", TIMEOUT.default))
        deadline, bad, last = time.monotonic() + timeout, [], None
        while True:
            if session.cancel.cancelled:
                raise Cancelled("stopped while waiting for Flux")
            objects = flux_objects(session)
            _, bad, _ = reconcile_report(session, head, objects)
            if not bad:
                progress(f"all sources and Kustomizations are Ready at {head[:12]}")
                return
            stop = _settled(objects, head, tokens)
            if stop:
                raise WizardError(
                    f"Flux has finished with {head[:12]} and it failed, so there is nothing more to wait for: "
                    + "; ".join(stop) + ". Fix the cause in git (or the cluster), then run validate.reconciled again")
            if bad != last:
                for line in bad:
                    progress(f"waiting: {line}")
                last = bad
            if time.monotonic() > deadline:
                raise WizardError(f"Flux did not reconcile {head[:12]} within {timeout:g}s; last state: "
                                  + "; ".join(bad) + ". Fix the cause (see the reason), or raise the answer reconcile-timeout=…")
            session.cancel.wait(2)  # a stop wakes it at once


def _ownership(session) -> dict:
    """The findings of 3.0's ownership preview (one render and two batched kubectl calls; only here, in
    verify, never in the wait loop). A preview that cannot run says why; it never fails 4.2 by itself."""
    from ...phases.bootstrap.ownership import run_preview
    from ...runner import ToolError

    try:
        pv, _, stop = run_preview(session)
    except (WizardError, ToolError) as e:
        return {"error": str(e)[:500]}
    return pv.evidence() if pv is not None else {"error": "; ".join(stop[:3])}


def _settled(objects, head: str, tokens: dict[str, str]) -> list[str]:
    """The failures Flux has settled on, when nothing else is still in progress (a Kustomization
    waiting on a failed dependency waits for ever; one still applying may yet succeed)."""
    failed, moving = [], False
    for obj in [*objects[0], *objects[1]]:
        st = ObjState.of(obj)
        if st.suspended or (st.ready and st.current):
            continue
        why = settled_failure(obj, head, tokens.get(ref(obj)))
        if why:
            failed.append(f"{st.ref}: {why}")
        elif (condition(obj) or {}).get("reason") != "DependencyNotReady":
            moving = True
    return [] if moving else failed
