"""Pause and resume Flux, and stop GitOps while keeping the workloads; plus the prune guard.

Everything is read from `kubectl get -o json` (spec.suspend, the Ready condition,
.status.inventory; research/flux-anchors.md §C), never from the flux CLI's human output.

Prune guard (flux-anchors.md §B.4–5, reliability.md fault 25): a Kustomization with
`prune: true` deletes every object of its inventory that leaves git, and deleting the
Kustomization itself (its file reverted) garbage-collects its whole inventory. A suspended
Kustomization does neither. So before a step that could let Flux prune, the wizard suspends
first, or lists the objects at risk (the inventories) and needs an explicit yes.
"""
from __future__ import annotations

import time

from ..checklist import Plan, Step, Verdict
from ..flux.status import KS_RESOURCE, NS, flux_crds, inventory_keys, is_true, describe_condition, list_all
from ..runner import ToolFailed
from ..session import Blocked, UsageError
from .base import Action, Options
from .restore import existing_keys

READY_TIMEOUT = 180.0
BOOTSTRAP_ITEMS = ["bootstrap.run", "bootstrap.controllers", "bootstrap.namespace", "validate.deployed",
                   "validate.reconciled", "validate.drift", "validate.healing", "integrate.image-automation",
                   "integrate.notifications"]


def ks_id(ks: dict) -> str:
    md = ks["metadata"]
    return f"{md.get('namespace', NS)}/{md['name']}"


def kustomizations(session) -> list[dict] | None:
    """Every Flux Kustomization, or None when Flux (its CRDs) is not installed."""
    k = session.kubectl
    try:
        if not any(c["metadata"]["name"] == KS_RESOURCE for c in flux_crds(k)):
            return None
        return list_all(k, [KS_RESOURCE])
    except ToolFailed as e:
        if "doesn't have a resource type" in e.stderr:
            return None
        raise


def choose(all_ks: list[dict], wanted: list[str]) -> list[dict]:
    if not wanted:
        return list(all_ks)
    out = []
    for w in wanted:
        ns, _, name = w.rpartition("/")
        match = [k for k in all_ks if k["metadata"]["name"] == name and (not ns or k["metadata"].get("namespace") == ns)]
        if not match:
            names = ", ".join(ks_id(k) for k in all_ks) or "none"
            raise UsageError(f"there is no Kustomization {w!r}; the cluster has: {names}.")
        out += [m for m in match if m not in out]
    return out


def suspended(ks: dict) -> bool:
    return bool((ks.get("spec") or {}).get("suspend"))


def prunes(ks: dict) -> bool:
    return bool((ks.get("spec") or {}).get("prune")) and (ks.get("spec") or {}).get("deletionPolicy") not in ("Orphan",)


def inventory_labels(ks: dict) -> list[str]:
    return [f"{k.kind} {k.namespace + '/' if k.namespace else ''}{k.name}" for k in inventory_keys(ks)]


def prune_risk(kss: list[dict]) -> dict[str, list[str]]:
    """Objects Flux could delete: the inventories of prune-enabled Kustomizations that are not suspended."""
    return {ks_id(k): inventory_labels(k) for k in kss if prunes(k) and not suspended(k)}


def risk_steps(risk: dict[str, list[str]]) -> list[Step]:
    steps = []
    for ks, objs in risk.items():
        steps.append(Step("info", f"Kustomization {ks} has prune on: Flux deletes any of its {len(objs)} object(s) "
                          "that leave git (all of them if the Kustomization itself is removed)",
                          "\n".join(objs[:100]) + ("\n…" if len(objs) > 100 else "")))
    return steps


def flux_cmd(session, verb: str, kss: list[dict], all_ks: list[dict], progress, extra: tuple[str, ...] = ()) -> list[str]:
    """`flux suspend|resume kustomization NAME|--all -n NS`; --all when every one of a namespace is chosen."""
    flux = session.flux
    ran = []
    by_ns: dict[str, list[dict]] = {}
    for k in kss:
        by_ns.setdefault(k["metadata"].get("namespace", NS), []).append(k)
    for ns, items in by_ns.items():
        everything = {ks_id(k) for k in all_ks if k["metadata"].get("namespace", NS) == ns} == {ks_id(k) for k in items}
        targets = [["--all"]] if everything and len(items) > 1 else [[k["metadata"]["name"]] for k in items]
        for t in targets:
            argv = [verb, "kustomization", *t, "-n", ns, *extra]
            flux.run(*argv, on_line=progress, timeout=READY_TIMEOUT + 60)
            ran.append("flux " + " ".join(argv))
    return ran


def fetch(session, ids: list[str]) -> dict[str, dict]:
    return {ks_id(k): k for k in (kustomizations(session) or []) if ks_id(k) in ids}


class Suspend(Action):
    name = "suspend"
    title = "Pause Flux (suspend Kustomizations)"
    changes = "cluster"
    reads_the_cluster = True

    def available(self, session):
        kss = kustomizations(session)
        if kss is None:
            return self._avail(False, "Flux is not installed on this cluster", "nothing to pause")
        active = [k for k in kss if not suspended(k)]
        if not active:
            return self._avail(False, "every Kustomization is already suspended", "nothing to pause")
        return self._avail(True, f"{len(active)} Kustomization(s) reconciling: {', '.join(ks_id(k) for k in active)}",
                           "Flux stops applying git and stops correcting drift (and pruning) for the chosen "
                           "Kustomizations; everything running stays as it is. Undo with 'resume'.")

    def plan(self, session, opts: Options) -> Plan:
        kss = kustomizations(session)
        if kss is None:
            raise Blocked("Flux is not installed on this cluster (no Kustomization CRD); there is nothing to suspend.")
        chosen = choose(kss, opts.kustomizations)
        todo = [k for k in chosen if not suspended(k)]
        steps = [Step("command", f"flux suspend kustomization {k['metadata']['name']} -n {k['metadata'].get('namespace', NS)}")
                 for k in todo]
        if not todo:
            steps.append(Step("info", "the chosen Kustomizations are already suspended"))
        return Plan("rollback.suspend", f"suspend {len(todo)} Kustomization(s)", steps,
                    changes="cluster" if todo else "nothing",
                    data={"ids": [ks_id(k) for k in chosen], "todo": [ks_id(k) for k in todo],
                          "all": not opts.kustomizations})

    def run(self, session, plan, progress):
        kss = kustomizations(session) or []
        todo = [k for k in kss if ks_id(k) in plan.data["todo"]]
        ran = flux_cmd(session, "suspend", todo, kss, progress) if todo else []
        return {"suspended": plan.data["todo"], "commands": ran}

    def verify(self, session, plan, details):
        live = fetch(session, plan.data["ids"])
        bad = [i for i in plan.data["ids"] if i not in live or not suspended(live[i])]
        ev = {"kustomizations": {i: {"suspend": suspended(k)} for i, k in live.items()}}
        if bad:
            return Verdict("failed", f"not suspended: {', '.join(bad)}", ev)
        return Verdict("passed", f"spec.suspend is true for {', '.join(plan.data['ids'])}", ev)


def wait_ready(session, ids: list[str], timeout: float = READY_TIMEOUT) -> tuple[dict[str, dict], list[str]]:
    deadline = time.monotonic() + timeout
    while True:
        live = fetch(session, ids)
        bad = []
        for i in ids:
            k = live.get(i)
            st = (k or {}).get("status") or {}
            if k is None:
                bad.append(f"{i} is gone")
            elif suspended(k):
                bad.append(f"{i} is still suspended")
            elif not is_true(k) or st.get("observedGeneration") != k["metadata"].get("generation"):
                bad.append(f"{i}: {describe_condition(k)}")
        if not bad or time.monotonic() > deadline:
            return live, bad
        session.cancel.cancelled or time.sleep(2)
        if session.cancel.cancelled:
            return live, bad


def revert_since_suspend(session) -> bool:
    """A revert ran after the last resume: resuming now applies the reverted repo (and may prune)."""
    last = None
    for e in session.state.journal:
        if e.get("phase") == "done" and e.get("action") in ("rollback-revert", "rollback-resume"):
            last = e["action"]
    return last == "rollback-revert"


class Resume(Action):
    name = "resume"
    title = "Resume Flux (resume Kustomizations)"
    changes = "cluster"
    reads_the_cluster = True

    def available(self, session):
        kss = kustomizations(session)
        if kss is None:
            return self._avail(False, "Flux is not installed on this cluster", "nothing to resume")
        paused = [k for k in kss if suspended(k)]
        if not paused:
            return self._avail(False, "no Kustomization is suspended", "nothing to resume")
        warn = (" A revert ran since they were paused: Flux will apply the reverted repository and, where prune "
                "is on, delete what left git." if revert_since_suspend(session) else "")
        return self._avail(True, f"{len(paused)} suspended: {', '.join(ks_id(k) for k in paused)}",
                           "Flux applies git again and corrects drift; manual changes made while paused are "
                           "reverted to what git says." + warn)

    def plan(self, session, opts: Options) -> Plan:
        kss = kustomizations(session)
        if kss is None:
            raise Blocked("Flux is not installed on this cluster (no Kustomization CRD); there is nothing to resume.")
        chosen = choose(kss, opts.kustomizations) if opts.kustomizations else [k for k in kss if suspended(k)]
        todo = [k for k in chosen if suspended(k)]
        steps = [Step("command", f"flux resume kustomization {k['metadata']['name']} -n {k['metadata'].get('namespace', NS)}")
                 for k in todo]
        steps.append(Step("info", "then wait until each is Ready at its source revision (read from -o json)"))
        risk = {ks_id(k): inventory_labels(k) for k in todo if prunes(k)}
        guarded = bool(risk) and revert_since_suspend(session)
        if guarded:
            steps = risk_steps(risk) + steps
        return Plan("rollback.resume", f"resume {len(todo)} Kustomization(s)", steps,
                    changes="cluster" if todo else "nothing",
                    data={"ids": [ks_id(k) for k in chosen], "todo": [ks_id(k) for k in todo],
                          "prune_risk": risk if guarded else {}})

    def run(self, session, plan, progress):
        kss = kustomizations(session) or []
        todo = [k for k in kss if ks_id(k) in plan.data["todo"]]
        # --wait=false: readiness is judged from -o json below, not from the CLI's waiting.
        ran = flux_cmd(session, "resume", todo, kss, progress, ("--wait=false",)) if todo else []
        return {"resumed": plan.data["todo"], "commands": ran}

    def verify(self, session, plan, details):
        live, bad = wait_ready(session, plan.data["ids"])
        ev = {"kustomizations": {i: {"suspend": suspended(k), "ready": describe_condition(k),
                                     "revision": (k.get("status") or {}).get("lastAppliedRevision")}
                                 for i, k in live.items()}}
        if bad:
            return Verdict("failed", f"resumed, not Ready: {'; '.join(bad)}", ev)
        return Verdict("passed", f"resumed and Ready: {', '.join(plan.data['ids'])}", ev)


def is_flux_own(key) -> bool:
    """Flux's own objects (controllers, CRDs, RBAC) in an inventory, as opposed to the user's workloads."""
    return (key.namespace == NS or (key.kind == "Namespace" and key.name == NS) or "fluxcd.io" in key.group
            or key.kind == "CustomResourceDefinition" or key.name.endswith("-" + NS)
            or key.name in ("crd-controller", "cluster-reconciler"))


class StopGitOps(Action):
    name = "stop-gitops"
    title = "Stop GitOps, keep the workloads (flux uninstall)"
    destructive = True
    changes = "cluster"
    reads_the_cluster = True

    def available(self, session):
        kss = kustomizations(session)
        if kss is None:
            return self._avail(False, "Flux is not installed on this cluster", "nothing to uninstall")
        return self._avail(True, f"Flux is installed with {len(kss)} Kustomization(s)",
                           "suspends every Kustomization, then 'flux uninstall --keep-namespace' removes the Flux "
                           "controllers, their CRDs and the Flux objects. Everything Flux applied (your apps, "
                           "ConfigMaps, Secrets …) stays and keeps running, unmanaged: you apply changes by hand "
                           "again. The git repository is not changed; bootstrapping again later is safe.")

    def plan(self, session, opts: Options) -> Plan:
        kss = kustomizations(session)
        if kss is None:
            raise Blocked("Flux is not installed on this cluster; there is nothing to uninstall.")
        active = [k for k in kss if not suspended(k)]
        keep = sorted({f"{k.group}|{k.kind}|{k.namespace}|{k.name}" for ks in kss for k in inventory_keys(ks)
                       if not is_flux_own(k)})
        steps = [Step("command", f"flux suspend kustomization {k['metadata']['name']} -n {k['metadata'].get('namespace', NS)}")
                 for k in active]
        steps.append(Step("command", "flux uninstall --keep-namespace --silent",
                          "removes the controllers, finalizers and CRDs; it does not remove the objects Flux "
                          "reconciled (fluxcd.io uninstall docs)"))
        steps.append(Step("info", f"{len(keep)} object(s) applied by Flux stay and are checked afterwards",
                          "\n".join(" ".join(x.split("|")[1:]).strip() for x in keep[:100])))
        return Plan("rollback.stop-gitops", "stop GitOps: suspend all, uninstall Flux, keep the workloads", steps,
                    changes="cluster", data={"active": [ks_id(k) for k in active], "keep": keep})

    def run(self, session, plan, progress):
        kss = kustomizations(session) or []
        active = [k for k in kss if ks_id(k) in plan.data["active"]]
        ran = flux_cmd(session, "suspend", active, kss, progress) if active else []
        session.flux.run("uninstall", "--keep-namespace", "--silent", on_line=progress, timeout=600)
        ran.append("flux uninstall --keep-namespace --silent")
        return {"suspended": plan.data["active"], "commands": ran}

    def verify(self, session, plan, details):
        k = session.kubectl
        problems = []
        deadline = time.monotonic() + 120  # CRD deletion is asynchronous (Terminating until the API drops them)
        crds = flux_crds(k)
        while crds and time.monotonic() < deadline and not session.cancel.cancelled:
            time.sleep(2)
            crds = flux_crds(k)
        if crds:
            problems.append(f"Flux CRDs remain: {', '.join(c['metadata']['name'] for c in crds[:5])}")
        deps = k.get_json("deployments", "-n", NS, "-l", "app.kubernetes.io/part-of=flux", "--request-timeout=20s",
                          timeout=40).get("items", [])
        if deps:
            problems.append(f"Flux controllers remain: {', '.join(d['metadata']['name'] for d in deps)}")
        keys = [tuple(x.split("|")) for x in plan.data["keep"]]
        present = existing_keys(k, keys)
        gone = [f"{kd} {ns + '/' if ns else ''}{n}" for g, kd, ns, n in keys if (g, kd, ns, n) not in present]
        if gone:
            problems.append(f"workload objects are gone: {', '.join(gone[:10])}")
        ev = {"flux_crds": len(crds), "controllers": len(deps), "kept": len(keys) - len(gone), "gone": gone[:50]}
        if problems:
            return Verdict("failed", "; ".join(problems), ev)
        return Verdict("passed", f"Flux controllers and CRDs removed; all {len(keys)} object(s) Flux had applied are "
                       "still there", ev)

    def reverted_items(self, session, plan, details):
        return BOOTSTRAP_ITEMS


__all__ = ["Suspend", "Resume", "StopGitOps", "prune_risk", "risk_steps", "kustomizations"]
