"""4.4 validate.healing: Flux reverts the manual change."""
from __future__ import annotations

import time
from ...checklist import Item, Plan, Step, Verdict
from ...flux.status import (KS_RESOURCE, REQUESTED_AT, get_or_none, is_true)
from ...runner import ToolError
from ...session import Blocked, WizardError
from .common import DRIFT_SEEN, HEALED, RESTORED, TIMEOUT, last_entry, now_iso, request_reconcile
from .drift_target import drift_patch, flux_diff, live_value, target_str


class Healing(Item):
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
            return Verdict("failed", f"{target_str(t)} no longer exists", ev)
        if value != t["git_value"]:
            return Verdict("failed", f"{target_str(t)} is {value!r} again, not the Git value {t['git_value']!r}", ev)
        return Verdict("passed", f"Flux reverted {target_str(t)} to the Git value {healed['seconds']:.1f}s after the "
                                 "requested reconcile (no waiting for the interval)", ev)

    def plan(self, session) -> Plan:
        session.ensure_same_cluster()  # a preview of the pinned cluster only
        seen = last_entry(session, DRIFT_SEEN)
        healed = last_entry(session, HEALED)
        if not seen or (healed and healed["at"] > seen["at"]):
            raise Blocked("there is no unhealed drift; run validate.drift first.", needs=("validate.drift",))
        t = seen["target"]
        ns, name = t["kustomization"]
        return Plan(self.id, f"Trigger a reconcile of Kustomization {ns}/{name} now and check that Flux puts "
                             f"{target_str(t)} back to {t['git_value']!r}.",
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
                raise WizardError(f"the drift target {target_str(t)} was deleted while Flux reconciled; Flux recreates "
                                  "it from Git at its next reconcile. Run validate.drift again.")
            if handled and value == t["git_value"]:
                secs = time.monotonic() - t0
                diff = flux_diff(session, t)
                session.state.record(HEALED, item=self.id, target=t, token=token, seconds=round(secs, 2),
                                     flux_diff=diff, at=now_iso())
                session.store.save()
                progress(f"Flux reverted {target_str(t)} in {secs:.1f}s; flux diff now exits {diff['exit_code']}")
                return
            if handled and is_true(ks) is False and (ks.get("status") or {}).get("conditions"):
                break
            time.sleep(0.5)
        self._restore(session, t, progress)
        raise WizardError(f"Flux did not revert {target_str(t)} within {timeout:g}s (reconcile handled: {handled}); the "
                          "wizard restored the Git value itself. Check the Kustomization's Ready condition.")

    def _restore(self, session, t: dict, progress) -> None:
        try:
            session.kubectl.run("patch", t["resource"], "-n", t["namespace"], t["name"], "--type=merge", "-p",
                                drift_patch(t, t["git_value"]), timeout=30)
            session.state.record(RESTORED, item=self.id, target=t, at=now_iso())
            session.store.save()
            progress(f"restored {target_str(t)} to {t['git_value']!r}")
        except ToolError as e:
            progress(f"could not restore {target_str(t)}: {e}")
