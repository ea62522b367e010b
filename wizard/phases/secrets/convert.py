"""S.3 secrets.convert: encrypt every plaintext Secret (SOPS in place, or SealedSecrets)."""
from __future__ import annotations

import os
import sys
import time
from pathlib import PurePosixPath
from ...journal import Kind
from ...checklist import Item, Plan, Step, Verdict
from ...repo import gitstate
from ...repo.scan import KUSTOMIZATION_NAMES
from ...session import Blocked
from ...secrets import convert as cv
from ...secrets import keys
from .common import CONVERTED, PAUSE_ENV, SCOPE, evidence_of, findings, method_of


# -- S.3 --------------------------------------------------------------------------------------------------------
def _key_inputs(session, method: str) -> dict:
    if method == "sops":
        key = keys.age_key(session)
        keys.check_key_location(session, key)
        if not key.exists or not (session.repo / ".sops.yaml").is_file():
            raise Blocked("the age key or .sops.yaml is missing; run secrets.keys first.")
        return {"key_path": key.path}
    cert = keys.cert_path(session.repo)
    if not cert.is_file():
        raise Blocked("no Sealed Secrets certificate; run secrets.keys first.")
    return {"cert": cert, "scope": session.answers.get("sealed-scope", SCOPE.default)}


class Convert(Item):

    def verify(self, session) -> Verdict:
        method = method_of(session)
        fs = findings(session)
        converted = [e for e in session.state.journal if e.get("action") == CONVERTED]
        rotate = sorted({o for e in converted for o in e.get("rotate", [])})
        # Literal credentials outside Secret objects (an env value in a Deployment, a password in a
        # values file) cannot be encrypted in place: they are reported for the owner to move into a
        # Secret, but they do not hold back the Secrets this item converts (they were in git already).
        conv = [f for f in fs if f.convertible]
        other = [f for f in fs if not f.convertible]
        ev = {"method": method, "remaining": evidence_of(conv), "literal_credentials": evidence_of(other),
              "rotate": rotate}
        if conv:
            what = "; ".join(f.describe() for f in conv[:5]) + (" …" if len(conv) > 5 else "")
            return Verdict("failed" if converted else "pending",
                           f"plaintext secrets remain: {what}; run secrets.convert", ev)
        problems, checked = self._check_converted(session, method, converted)
        ev["checked"] = checked
        if problems:
            return Verdict("failed", "; ".join(problems[:5]), ev)
        msg = f"no plaintext Secrets left; {len(checked)} converted file(s) check out"
        if other:
            msg += (f". {len(other)} literal credential(s) outside Secrets remain, to move into a Secret by hand (or "
                    f"mark as not secret with the answer secrets-ignore=PATH[:KEY]): "
                    + "; ".join(f.describe() for f in other[:3]) + (" …" if len(other) > 3 else ""))
        if rotate:
            msg += (f". Rotate these credentials: their plaintext is in git history: {', '.join(rotate[:8])}"
                    + (" …" if len(rotate) > 8 else ""))
        return Verdict("passed", msg, ev)

    def _check_converted(self, session, method, converted) -> tuple[list[str], list[str]]:
        problems, checked = [], []
        files = sorted({f for e in converted for f in e.get("targets", []) if (session.repo / f).is_file()})
        inputs = None
        for rel in files:
            text = (session.repo / rel).read_text()
            if method == "sops" or "sops:" in text:
                if inputs is None:
                    key = keys.age_key(session)
                    inputs = key.path
                try:
                    if not cv.sops_filestatus(session, rel):
                        problems.append(f"{rel} is not encrypted (sops filestatus)")
                        continue
                    cv.sops_decrypt(session, text, rel, inputs)
                except (cv.KeyMissing, cv.NotEncrypted) as e:
                    problems.append(str(e))
                    continue
                problems += [f"{rel}: {p}" for p in cv.sops_metadata_ok(text)]
            checked.append(rel)
        return problems, checked

    def plan(self, session) -> Plan:
        method = method_of(session)
        u = gitstate.ensure_clean(session, self.id)
        _key_inputs(session, method)
        fs = findings(session)
        paths = sorted({f.path for f in fs if f.convertible})
        fps = [fp for fp in (cv.plan_file(session.repo, p, method) for p in paths) if fp]
        steps = [Step("info", "finish the interrupted conversion")] if u else []
        for fp in fps:
            fp.committed = cv.in_history(session, fp.path)
            what = ", ".join(f"{o} ({', '.join(fp.keys[o])})" for o in fp.objects)
            if method == "sops":
                desc = (f"sops encrypt {fp.path} in place" if not fp.split else
                        f"move the Secrets of {fp.path} to {fp.target} (sops-encrypted)")
            else:
                desc = f"kubeseal --cert (scope {session.answers.get('sealed-scope', SCOPE.default)}) each Secret of {fp.path} in place"
            steps.append(Step("edit", desc, what))
            if fp.committed:
                steps.append(Step("info", f"warning: {fp.path} is already in git history: after converting, rotate "
                                          f"{', '.join(fp.objects)} (change the password/token where it is used)"))
        others = [f for f in fs if not f.convertible]
        for f in others:
            steps.append(Step("info", f"not converted automatically: {f.describe()}"))
        if not fps and not u:
            return Plan(self.id, "Nothing to convert: no plaintext Secret left." +
                        (f" {len(others)} other finding(s) need a manual fix." if others else ""), steps,
                        changes="nothing", data={"files": []})
        return Plan(self.id, f"convert {sum(len(fp.objects) for fp in fps)} Secret(s) in {len(fps)} file(s) with {method}",
                    steps, changes="repo",
                    data={"method": method, "files": [fp.op(method) for fp in fps],
                          "rotate": sorted({o for fp in fps if fp.committed for o in fp.objects}),
                          "resume": bool(u)})

    def apply(self, session, plan, progress) -> None:
        resume = gitstate.unfinished(session) if plan.data.get("resume") else None
        if resume is None and not plan.data.get("files"):
            return
        method = plan.data["method"]
        st = session.state
        ops = plan.data["files"]
        if resume is None:
            st.record(gitstate.APPLY, item=self.id, phase="begin", base_head=gitstate.head(session), ops=ops,
                      rotate=plan.data.get("rotate", []))
            session.store.save()
        else:
            ops = ops + [o for o in resume.get("ops", []) if o["path"] not in {x["path"] for x in ops}]
            progress(f"finishing the interrupted conversion (started {resume['at']})")
        inputs = _key_inputs(session, method)
        written: set[str] = set()
        # Targets of the interrupted run (already converted before the kill) are staged too, with
        # the folder's kustomization.yaml a split file was listed in.
        for o in (resume or {}).get("ops", []):
            folder = PurePosixPath(o["path"]).parent
            kfiles = [str(folder / n) for n in KUSTOMIZATION_NAMES] if o["target"] != o["path"] else []
            written.update(p for p in (o["path"], o["target"], *kfiles) if (session.repo / p).exists())
        pause = os.environ.get(PAUSE_ENV, "")
        for n, o in enumerate(ops, 1):
            fp = cv.FilePlan(o["path"], o["target"], o["objects"], o["keys"])
            if not (session.repo / fp.path).is_file():
                continue
            try:
                out = cv.convert_file(session, fp, method, progress=progress, **inputs)
            except cv.AlreadyEncrypted as e:
                progress(str(e))
                out = []
            written.update(out)
            st.record(Kind.SECRETS_FILE, item=self.id, n=n, path=fp.path, target=fp.target, objects=fp.objects)
            session.store.save()
            progress(f"{'encrypted' if method == 'sops' else 'sealed'} {', '.join(fp.objects)} → {fp.target}")
            if pause == str(n):
                print(f"PAUSED secrets.convert:{n}", flush=True)
                sys.stdout.flush()
                time.sleep(3600)
        if written:
            session.git.run("add", "--", *sorted(written))
        rotate = sorted(set(plan.data.get("rotate", [])) | set((resume or {}).get("rotate", [])))
        st.record(CONVERTED, method=method, targets=sorted({o["target"] for o in ops}),
                  objects=[x for o in ops for x in o["objects"]], rotate=rotate)
        base = resume["base_head"] if resume else gitstate.head(session)
        st.record(gitstate.APPLY, item=self.id, phase="done", base_head=base, tree=gitstate.index_tree(session))
        session.store.save()
        if rotate:
            progress("rotate these credentials (their plaintext stays in git history): " + ", ".join(rotate))
