"""S.1 secrets.scan: find plaintext secrets in the repository."""
from __future__ import annotations

from ...checklist import Item, Plan, Step, Verdict
from ...session import Blocked
from ...secrets import detect
from .common import IGNORE, METHOD, SCANNED, evidence_of, findings, last_entry


# -- S.1 --------------------------------------------------------------------------------------------------------
class Scan(Item):
    questions = (METHOD, IGNORE)

    def verify(self, session) -> Verdict:
        fs = findings(session)
        conv = [f for f in fs if f.convertible]
        ev = {"findings": evidence_of(fs), "plaintext_secrets": len(conv), "other": len(fs) - len(conv),
              "method": session.answers.get("secrets")}
        rec = last_entry(session, SCANNED)
        if rec is None:
            return Verdict("pending", f"not reviewed yet: {detect.summary(fs)}; run secrets.scan to review them and "
                                      "choose SOPS or Sealed Secrets", ev)
        if conv and session.answers.get("secrets") not in ("sops", "sealed-secrets"):
            return Verdict("pending", f"{detect.summary(fs)}; choose a method: answer secrets=sops|sealed-secrets", ev)
        if not fs:
            return Verdict("passed", "no plaintext secrets in the repository (Secrets, ConfigMaps, env, annotations, "
                                     "registry logins, age keys, GitHub tokens)", ev)
        where = "; ".join(f.describe() for f in fs[:5]) + (" …" if len(fs) > 5 else "")
        return Verdict("passed", f"scanned: {detect.summary(fs)} (method: {session.answers.get('secrets')}); "
                                 f"secrets.convert handles the Secrets: {where}", ev)

    def plan(self, session) -> Plan:
        fs = findings(session)
        steps = [Step("info", f.describe()) for f in fs] or [Step("info", "no plaintext secrets found")]
        other = [f for f in fs if not f.convertible]
        if other:
            steps.append(Step("info", f"{len(other)} finding(s) are not Secrets: move each value into a Secret "
                                      "(or mark a false positive with the answer secrets-ignore=PATH[:KEY])"))
        method = session.answers.get("secrets")
        if any(f.convertible for f in fs) and method not in ("sops", "sealed-secrets"):
            raise Blocked("choose how to encrypt them: answer secrets=sops or answer secrets=sealed-secrets")
        steps.append(Step("pin", f"record the review and the method: {method}"))
        return Plan(self.id, f"{detect.summary(fs)} in {session.repo.name} (values are never shown)", steps,
                    changes="state", data={"method": method, "count": len(fs)})

    def apply(self, session, plan, progress) -> None:
        session.state.record(SCANNED, method=plan.data["method"], findings=plan.data["count"])
        session.store.save()
        progress(f"recorded: {plan.data['count']} finding(s), method {plan.data['method']}")
