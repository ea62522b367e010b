"""Phase 4, validation: items 4.1-4.4 (validate.deployed … validate.healing).

4.1 compares the live cluster and the repo with the union of every Kustomization's
`.status.inventory`; 4.2 requires every source and Kustomization Ready at the pushed commit;
4.3/4.4 make one controlled, reversible change (a ConfigMap value or a Deployment label
value that Git defines; nothing is ever deleted), see it as drift, and watch Flux revert it
after a requestedAt-triggered reconcile.
"""
from __future__ import annotations

import json
import time
from datetime import datetime, timezone

from ..journal import Kind
from ..checklist import Item, Plan, Question, Step, Verdict
from ..cluster.inventory import repo_key
from ..cluster.listing import key_of, list_cluster
from ..flux import creds
from ..flux.status import (KS_RESOURCE, NS, REQUESTED_AT, ObjState, flux_crds, get_or_none,
                           condition, installed_sources, inventory_keys, is_true, list_all, ref, revision_hash,
                           settled_failure)
from ..runner import ToolError
from ..session import Blocked, WizardError
from .bootstrap import branch_of

KUBECTL_MANAGERS = ("kubectl", "before-first-apply")
FLUX_MANAGER = "kustomize-controller"
TIMEOUT = Question("reconcile-timeout", "Seconds to wait for Flux to reconcile", default="180")
DRIFT_MARK = "homelab-wizard-drift"
DRIFT_MADE, DRIFT_SEEN, HEALED, RESTORED = Kind.DRIFT_MADE, Kind.DRIFT_SEEN, Kind.HEALED, Kind.DRIFT_RESTORED


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def kustomizations(session) -> list[dict]:
    return list_all(session.kubectl, [KS_RESOURCE])


def pushed_commit(session) -> str:
    cred = creds.resolve(session)
    head = creds.remote_head(session, cred, branch_of(session))
    if not head:
        raise Blocked(f"{cred.http_url} has no branch {branch_of(session)}")
    return head


# -- 4.1 ----------------------------------------------------------------------------------------
def managers(obj: dict) -> set[str]:
    return {m.get("manager", "") for m in (obj.get("metadata", {}).get("managedFields") or [])}


def kubectl_only(obj: dict) -> bool:
    ms = managers(obj)
    return bool(ms) and all(m.startswith(KUBECTL_MANAGERS) for m in ms)


def coverage(session) -> dict:
    """Rows of what Flux manages and what it does not, from the API and the repo."""
    from .repo_setup import context  # the Phase 2 layout: which manifests sit under a Flux path

    kss = kustomizations(session)
    managed = {}
    for ks in kss:
        for key in inventory_keys(ks):
            managed.setdefault(key, f"{ks['metadata']['namespace']}/{ks['metadata']['name']}")
    listing = list_cluster(session.kubectl)
    live = {key_of(o): o for o in listing.objects + listing.flux_owned}
    ctx = context(session)
    meant, excluded = {}, {}
    for u in ctx.layout.units:
        for m in u.manifests:
            k = repo_key(m, listing.namespaced)
            (excluded if m.path in ctx.layout.excluded_files else meant).setdefault(k, m.where)
    rows = {"managed": [], "missing": [], "excluded": [], "not_in_repo": [], "kubectl_only": [], "shared_with_kubectl": []}
    for k, where in sorted(meant.items(), key=lambda kv: str(kv[0])):
        if k in managed:
            rows["managed"].append(f"{k} (Kustomization {managed[k]})")
        else:
            rows["missing"].append(f"{k} ({where})" + ("" if k in live else "; not in the cluster either"))
    for k, where in sorted(excluded.items(), key=lambda kv: str(kv[0])):
        if k not in managed:
            rows["excluded"].append(f"{k} ({where}, left out by choice)")
    for k, obj in sorted(live.items(), key=lambda kv: str(kv[0])):
        if k in managed:
            ms = managers(obj)
            if FLUX_MANAGER not in ms and kubectl_only(obj):
                rows["kubectl_only"].append(f"{k} (in an inventory, but only kubectl field managers: {', '.join(sorted(ms))})")
            elif any(m.startswith(KUBECTL_MANAGERS) for m in ms):
                rows["shared_with_kubectl"].append(f"{k} (also: {', '.join(sorted(m for m in ms if m.startswith(KUBECTL_MANAGERS)))})")
            continue
        if k in meant or k in excluded or k.namespace == NS:
            continue
        rows["not_in_repo"].append(str(k))
        if kubectl_only(obj):
            rows["kubectl_only"].append(f"{k} (not managed by Flux; owned only by kubectl)")
    rows["kustomizations"] = [f"{ks['metadata']['namespace']}/{ks['metadata']['name']}: "
                              f"{len(inventory_keys(ks))} objects" for ks in kss]
    return rows


class Deployed(Item):
    id = "validate.deployed"
    alias = "4.1"
    title = "Everything deployed via Flux"
    requires = ("bootstrap.namespace",)
    needs_cluster = True

    def verify(self, session) -> Verdict:
        session.ensure_same_cluster()
        rows = coverage(session)
        counts = {k: len(v) for k, v in rows.items() if k != "kustomizations"}
        ev = {"counts": counts, **{k: v[:100] for k, v in rows.items()}}
        if rows["missing"]:
            return Verdict("failed", f"{len(rows['missing'])} object(s) under a Flux path are in no Kustomization's "
                                     f"inventory: {'; '.join(rows['missing'][:8])}. Check validate.reconciled for the "
                                     "Kustomization that failed to apply them.", ev)
        if not rows["managed"]:
            return Verdict("failed", "no object of the repo is in any Kustomization's inventory yet", ev)
        extra = []
        if rows["not_in_repo"]:
            extra.append(f"{len(rows['not_in_repo'])} live object(s) are not in the repo, so Flux does not manage them")
        if rows["kubectl_only"]:
            extra.append(f"{len(rows['kubectl_only'])} owned only by kubectl field managers")
        if rows["excluded"]:
            extra.append(f"{len(rows['excluded'])} left out by choice")
        return Verdict("passed", f"Flux manages all {len(rows['managed'])} objects of the repo"
                       + (" (" + "; ".join(extra) + ")" if extra else ""), ev)


# -- 4.2 ----------------------------------------------------------------------------------------
def flux_objects(session) -> tuple[list[dict], list[dict]]:
    sources = list_all(session.kubectl, installed_sources(flux_crds(session.kubectl)))
    return sources, kustomizations(session)


def reconcile_report(session, head: str, objects=None) -> tuple[list[str], list[str], dict]:
    """(ok lines, problem lines, evidence) for every source and Kustomization."""
    cred = creds.resolve(session)
    sources, kss = objects if objects is not None else flux_objects(session)
    ok, bad, ev = [], [], {"pushed_commit": head, "sources": [], "kustomizations": []}
    ours = set()
    for s in sources:
        st = ObjState.of(s)
        ev["sources"].append(vars(st))
        url = (s.get("spec") or {}).get("url", "")
        tracks = s.get("kind") == "GitRepository" and url and creds.parse_url(url).key == cred.repo.key
        if tracks:
            ours.add((s["metadata"]["namespace"], s["metadata"]["name"]))
        problem = _problem(st)
        if not problem and tracks and revision_hash(st.revision) != head:
            problem = f"fetched {revision_hash(st.revision) or 'nothing'}, not the pushed commit {head[:12]}"
        (bad if problem else ok).append(f"{st.ref}: {problem}" if problem else st.line())
    for ks in kss:
        st = ObjState.of(ks)
        ev["kustomizations"].append(vars(st))
        sref = (ks.get("spec") or {}).get("sourceRef") or {}
        src = (sref.get("namespace") or ks["metadata"]["namespace"], sref.get("name"))
        problem = _problem(st)
        if not problem and sref.get("kind") == "GitRepository" and src in ours and revision_hash(st.revision) != head:
            problem = f"applied {revision_hash(st.revision) or 'nothing'}, not the pushed commit {head[:12]}"
        (bad if problem else ok).append(f"{st.ref}: {problem}" if problem else st.line())
    if not kss:
        bad.append("there is no Kustomization at all")
    return ok, bad, ev


def _problem(st: ObjState) -> str | None:
    if st.suspended:
        return "suspended (spec.suspend: true); resume it with 'flux resume'"
    if not st.ready:
        return f"not Ready: {st.reason or 'no reason yet'}: {st.message or 'no message yet'}"
    if not st.current:
        return "Ready, but for an older generation of its spec (still reconciling)"
    return None


def request_reconcile(session, kind_resource: str, namespace: str, name: str) -> str:
    token = f"homelab-wizard-{time.time_ns()}"
    session.kubectl.run("annotate", "--overwrite", "-n", namespace, kind_resource, name, f"{REQUESTED_AT}={token}",
                        timeout=30)
    return token


class Reconciled(Item):
    id = "validate.reconciled"
    alias = "4.2"
    title = "Reconciliation Ready at the pushed revision"
    requires = ("bootstrap.namespace",)
    needs_cluster = True
    questions = (TIMEOUT,)

    def verify(self, session) -> Verdict:
        session.ensure_same_cluster()
        head = pushed_commit(session)
        ok, bad, ev = reconcile_report(session, head)
        ev["ok"], ev["problems"] = ok, bad
        if bad:
            return Verdict("failed", f"{len(bad)} not reconciled at {head[:12]}: " + "; ".join(bad[:6]), ev)
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
                raise WizardError("cancelled while waiting for Flux")
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
                                  + "; ".join(bad) + ". Fix the cause (see the reason), or raise --set reconcile-timeout=…")
            time.sleep(2)


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


# -- 4.3 / 4.4 ------------------------------------------------------------------------------------
def _owner_ks(obj: dict) -> tuple[str, str] | None:
    labels = obj.get("metadata", {}).get("labels") or {}
    name, ns = labels.get("kustomize.toolkit.fluxcd.io/name"), labels.get("kustomize.toolkit.fluxcd.io/namespace")
    return (ns, name) if name and ns else None


def _owned_by_flux(obj: dict, field: list[str]) -> bool:
    """True when kustomize-controller owns the field (so Git defines it and Flux will correct it)."""
    for m in obj.get("metadata", {}).get("managedFields") or []:
        if m.get("manager") == FLUX_MANAGER:
            f = m.get("fieldsV1") or {}
            if field[0] == "data" and f"f:{field[1]}" in (f.get("f:data") or {}):
                return True
            if field[0] == "labels" and f"f:{field[1]}" in ((f.get("f:metadata") or {}).get("f:labels") or {}):
                return True
    return False


def pick_target(session) -> dict:
    """A ConfigMap key, else a Deployment label, that Git defines and Flux owns; never in flux-system."""
    wanted = session.answers.get("drift-target")  # Kind/namespace/name[:key]
    candidates = []
    for ks in kustomizations(session):
        if (ks.get("spec") or {}).get("suspend") or ks["metadata"]["name"] == "flux-system":
            continue
        for k in inventory_keys(ks):
            if k.namespace and k.namespace != NS and (k.kind, k.group) in (("ConfigMap", ""), ("Deployment", "apps")):
                candidates.append((0 if k.kind == "ConfigMap" else 1, k, ks))
    candidates.sort(key=lambda c: (c[0], str(c[1])))
    for _, k, ks in candidates:
        if wanted and not wanted.split(":")[0] == f"{k.kind}/{k.namespace}/{k.name}":
            continue
        obj = get_or_none(session.kubectl, "configmap" if k.kind == "ConfigMap" else "deployment.apps", "-n",
                          k.namespace, k.name, "--show-managed-fields")
        if obj is None:
            continue
        if k.kind == "ConfigMap":
            keys = [wanted.split(":", 1)[1]] if wanted and ":" in wanted else sorted((obj.get("data") or {}))
            fields = [["data", key] for key in keys if key in (obj.get("data") or {})]
        else:
            labels = obj["metadata"].get("labels") or {}
            fields = [["labels", lk] for lk in sorted(labels) if not lk.startswith("kustomize.toolkit.fluxcd.io/")]
        for f in fields:
            if _owned_by_flux(obj, f):
                value = (obj.get("data") if f[0] == "data" else obj["metadata"]["labels"])[f[1]]
                return {"kind": k.kind, "resource": "configmap" if k.kind == "ConfigMap" else "deployment.apps",
                        "namespace": k.namespace, "name": k.name, "field": f, "git_value": value,
                        "kustomization": [ks["metadata"]["namespace"], ks["metadata"]["name"]],
                        "ks_path": (ks.get("spec") or {}).get("path")}
    raise Blocked("found no safe drift target: a ConfigMap key or a Deployment label that Git defines and Flux applies "
                  "(outside flux-system, in a Kustomization that is not suspended). Name one with "
                  "--set drift-target=ConfigMap/<ns>/<name>:<key> or Deployment/<ns>/<name>.")


def _target_str(t: dict) -> str:
    where = f"data.{t['field'][1]}" if t["field"][0] == "data" else f"metadata.labels[{t['field'][1]}]"
    return f"{t['kind']} {t['namespace']}/{t['name']} {where}"


def _patch(t: dict, value: str) -> str:
    if t["field"][0] == "data":
        return json.dumps({"data": {t["field"][1]: value}})
    return json.dumps({"metadata": {"labels": {t["field"][1]: value}}})


def live_value(session, t: dict) -> tuple[bool, str | None]:
    """(exists, value of the target field)."""
    obj = get_or_none(session.kubectl, t["resource"], "-n", t["namespace"], t["name"])
    if obj is None:
        return False, None
    src = obj.get("data") if t["field"][0] == "data" else obj["metadata"].get("labels")
    return True, (src or {}).get(t["field"][1])


def flux_diff(session, t: dict) -> dict:
    """`flux diff kustomization` against the clone (at the pushed commit): exit 1 means drift."""
    ns, name = t["kustomization"]
    path = session.repo / (t.get("ks_path") or ".").lstrip("./")
    res = session.flux.run("diff", "kustomization", name, "-n", ns, "--path", str(path),
                           ok_codes=tuple(range(256)), timeout=120)
    return {"command": res.command, "exit_code": res.exit_code, "output": (res.shown_stdout + res.stderr)[-1500:]}


def last_entry(session, action: str) -> dict | None:
    for e in reversed(session.state.journal):
        if e.get("action") == action:
            return e
    return None


class Drift(Item):
    id = "validate.drift"
    alias = "4.3"
    title = "A manual change is seen as drift"
    requires = ("validate.reconciled",)
    needs_cluster = True

    def verify(self, session) -> Verdict:
        seen = last_entry(session, DRIFT_SEEN)
        if not seen:
            return Verdict("pending", "no drift test yet (run validate.drift)")
        t = seen["target"]
        exists, _ = live_value(session, t)
        ev = {k: seen.get(k) for k in ("target", "at", "flux_diff", "server_value", "drift_value")}
        if not exists:
            return Verdict("failed", f"the drift target {_target_str(t)} no longer exists; run validate.drift again "
                                     "to pick another", ev)
        how = "flux diff exited 1" if (seen.get("flux_diff") or {}).get("exit_code") == 1 else "the server showed the manual value"
        return Verdict("passed", f"the manual change to {_target_str(t)} was seen as drift at {seen['at']} ({how})", ev)

    def plan(self, session) -> Plan:
        session.ensure_same_cluster()  # a preview of the pinned cluster only
        t = pick_target(session)
        value = f"{DRIFT_MARK}-{int(time.time())}"
        ks = "/".join(t["kustomization"])
        cmd = f"kubectl patch {t['resource']} -n {t['namespace']} {t['name']} --type=merge -p '{_patch(t, value)}'"
        return Plan(self.id, f"Make one manual, reversible change that Git contradicts: {_target_str(t)} "
                             f"{t['git_value']!r} -> {value!r}. Nothing is deleted; Flux (4.4) reverts it.",
                    [Step("command", cmd, "the Git value is recorded first, so the change can always be undone"),
                     Step("command", f"flux diff kustomization {t['kustomization'][1]} -n {t['kustomization'][0]} "
                                     f"--path {t['ks_path']} (exit 1 = drift), and read the object back",
                          f"Kustomization {ks} owns the object")],
                    changes="cluster", data={"target": t, "value": value})

    def apply(self, session, plan: Plan, progress) -> None:
        t, value = plan.data["target"], plan.data["value"]
        session.ensure_same_cluster()
        exists, current = live_value(session, t)
        if not exists:
            raise Blocked(f"the drift target {_target_str(t)} was deleted after the preview; nothing was changed. "
                          "Preview again to pick another target.")
        if current != t["git_value"]:
            raise Blocked(f"{_target_str(t)} changed after the preview ({current!r}, expected the Git value "
                          f"{t['git_value']!r}); nothing was changed. Preview again.")
        session.state.record(DRIFT_MADE, item=self.id, target=t, value=value, original=current, at=_now())
        session.store.save()
        session.kubectl.run("patch", t["resource"], "-n", t["namespace"], t["name"], "--type=merge", "-p",
                            _patch(t, value), timeout=30)
        progress(f"changed {_target_str(t)} to {value!r} with kubectl")
        _, server = live_value(session, t)
        diff = flux_diff(session, t)
        progress(f"flux diff kustomization exited {diff['exit_code']}")
        if server != value and diff["exit_code"] != 1:
            raise WizardError(f"the manual change to {_target_str(t)} was not seen: the server has {server!r} and "
                              f"flux diff exited {diff['exit_code']}")
        session.state.record(DRIFT_SEEN, item=self.id, target=t, drift_value=value, server_value=server,
                             flux_diff=diff, at=_now())
        session.store.save()


class Healing(Item):
    id = "validate.healing"
    alias = "4.4"
    title = "Flux reverts the manual change"
    requires = ("validate.drift",)
    needs_cluster = True
    questions = (TIMEOUT,)

    def verify(self, session) -> Verdict:
        seen, healed = last_entry(session, DRIFT_SEEN), last_entry(session, HEALED)
        if not seen:
            return Verdict("pending", "no drift to heal yet (run validate.drift first)")
        if not healed or healed["at"] < seen["at"]:
            return Verdict("pending", "the drift has not been healed yet (run validate.healing)")
        t = seen["target"]
        exists, value = live_value(session, t)
        ev = {k: healed.get(k) for k in ("seconds", "token", "flux_diff", "at")}
        if not exists:
            return Verdict("failed", f"{_target_str(t)} no longer exists", ev)
        if value != t["git_value"]:
            return Verdict("failed", f"{_target_str(t)} is {value!r} again, not the Git value {t['git_value']!r}", ev)
        return Verdict("passed", f"Flux reverted {_target_str(t)} to the Git value {healed['seconds']:.1f}s after the "
                                 "requested reconcile (no waiting for the interval)", ev)

    def plan(self, session) -> Plan:
        session.ensure_same_cluster()  # a preview of the pinned cluster only
        seen = last_entry(session, DRIFT_SEEN)
        healed = last_entry(session, HEALED)
        if not seen or (healed and healed["at"] > seen["at"]):
            raise Blocked("there is no unhealed drift; run validate.drift first.")
        t = seen["target"]
        ns, name = t["kustomization"]
        return Plan(self.id, f"Trigger a reconcile of Kustomization {ns}/{name} now and check that Flux puts "
                             f"{_target_str(t)} back to {t['git_value']!r}.",
                    [Step("command", f"kubectl annotate kustomization -n {ns} {name} --overwrite {REQUESTED_AT}=<now>"),
                     Step("info", f"wait up to {session.answers.get('reconcile-timeout', TIMEOUT.default)}s for "
                                  "status.lastHandledReconcileAt, then read the object"),
                     Step("info", "if Flux does not revert it, the wizard restores the Git value itself (and fails the item)")],
                    changes="cluster", data={"target": t})

    def apply(self, session, plan: Plan, progress) -> None:
        t = plan.data["target"]
        session.ensure_same_cluster()
        ns, name = t["kustomization"]
        ks = get_or_none(session.kubectl, KS_RESOURCE, "-n", ns, name)
        if ks is None:
            raise Blocked(f"Kustomization {ns}/{name} no longer exists")
        if (ks.get("spec") or {}).get("suspend"):
            self._restore(session, t, progress)
            raise WizardError(f"Kustomization {ns}/{name} is suspended, so Flux corrects nothing; the wizard put the "
                              "Git value back itself. Resume it ('flux resume kustomization') and run validate.drift again.")
        t0 = time.monotonic()
        token = request_reconcile(session, KS_RESOURCE, ns, name)
        timeout = float(session.answers.get("reconcile-timeout", TIMEOUT.default))
        handled = False
        while time.monotonic() - t0 < timeout:
            ks = get_or_none(session.kubectl, KS_RESOURCE, "-n", ns, name) or {}
            handled = (ks.get("status") or {}).get("lastHandledReconcileAt") == token
            exists, value = live_value(session, t)
            if not exists:
                raise WizardError(f"the drift target {_target_str(t)} was deleted while Flux reconciled; Flux recreates "
                                  "it from Git at its next reconcile. Run validate.drift again.")
            if handled and value == t["git_value"]:
                secs = time.monotonic() - t0
                diff = flux_diff(session, t)
                session.state.record(HEALED, item=self.id, target=t, token=token, seconds=round(secs, 2),
                                     flux_diff=diff, at=_now())
                session.store.save()
                progress(f"Flux reverted {_target_str(t)} in {secs:.1f}s; flux diff now exits {diff['exit_code']}")
                return
            if handled and is_true(ks) is False and (ks.get("status") or {}).get("conditions"):
                break
            time.sleep(0.5)
        self._restore(session, t, progress)
        raise WizardError(f"Flux did not revert {_target_str(t)} within {timeout:g}s (reconcile handled: {handled}); the "
                          "wizard restored the Git value itself. Check the Kustomization's Ready condition.")

    def _restore(self, session, t: dict, progress) -> None:
        try:
            session.kubectl.run("patch", t["resource"], "-n", t["namespace"], t["name"], "--type=merge", "-p",
                                _patch(t, t["git_value"]), timeout=30)
            session.state.record(RESTORED, item=self.id, target=t, at=_now())
            session.store.save()
            progress(f"restored {_target_str(t)} to {t['git_value']!r}")
        except ToolError as e:
            progress(f"could not restore {_target_str(t)}: {e}")
