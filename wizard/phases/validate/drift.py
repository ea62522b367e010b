"""4.3 validate.drift: a manual change is seen as drift."""
from __future__ import annotations

import time
from ...checklist import Item, Plan, Step, Verdict
from ...session import Blocked, WizardError
from .common import DRIFT_MADE, DRIFT_MARK, DRIFT_SEEN, last_entry, now_iso
from .drift_target import drift_patch, flux_diff, live_value, pick_target, target_str


class Drift(Item):

    def verify(self, session) -> Verdict:
        seen = last_entry(session, DRIFT_SEEN)
        if not seen:
            return Verdict("pending", "no drift test yet (run validate.drift)")
        t = seen["target"]
        exists, _ = live_value(session, t)
        ev = {k: seen.get(k) for k in ("target", "at", "flux_diff", "server_value", "drift_value")}
        if not exists:
            return Verdict("failed", f"the drift target {target_str(t)} no longer exists; run validate.drift again "
                                     "to pick another", ev)
        how = "flux diff exited 1" if (seen.get("flux_diff") or {}).get("exit_code") == 1 else "the server showed the manual value"
        return Verdict("passed", f"the manual change to {target_str(t)} was seen as drift at {seen['at']} ({how})", ev)

    def plan(self, session) -> Plan:
        session.ensure_same_cluster()  # a preview of the pinned cluster only
        t = pick_target(session)
        value = f"{DRIFT_MARK}-{int(time.time())}"
        ks = "/".join(t["kustomization"])
        cmd = f"kubectl patch {t['resource']} -n {t['namespace']} {t['name']} --type=merge -p '{drift_patch(t, value)}'"
        return Plan(self.id, f"Make one manual, reversible change that Git contradicts: {target_str(t)} "
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
            raise Blocked(f"the drift target {target_str(t)} was deleted after the preview; nothing was changed. "
                          "Preview again to pick another target.")
        if current != t["git_value"]:
            raise Blocked(f"{target_str(t)} changed after the preview ({current!r}, expected the Git value "
                          f"{t['git_value']!r}); nothing was changed. Preview again.")
        session.state.record(DRIFT_MADE, item=self.id, target=t, value=value, original=current, at=now_iso())
        session.store.save()
        session.kubectl.run("patch", t["resource"], "-n", t["namespace"], t["name"], "--type=merge", "-p",
                            drift_patch(t, value), timeout=30)
        progress(f"changed {target_str(t)} to {value!r} with kubectl")
        _, server = live_value(session, t)
        diff = flux_diff(session, t)
        progress(f"flux diff kustomization exited {diff['exit_code']}")
        if server != value and diff["exit_code"] != 1:
            raise WizardError(f"the manual change to {target_str(t)} was not seen: the server has {server!r} and "
                              f"flux diff exited {diff['exit_code']}")
        session.state.record(DRIFT_SEEN, item=self.id, target=t, drift_value=value, server_value=server,
                             flux_diff=diff, at=now_iso())
        session.store.save()
