"""S.3 secrets.convert: encrypt every plaintext Secret (SOPS in place, or SealedSecrets)."""
from __future__ import annotations

import os
import sys
import time
from pathlib import PurePosixPath
from ...fsutil import atomic_write
from ...journal import Kind
from ...checklist import Item, Plan, Step, Verdict
from ...repo import gitstate
from ...repo.scan import KUSTOMIZATION_NAMES
from ...secrets import convert as cv
from ...secrets import detect, keys
from . import methods
from .common import CONVERTED, PAUSE_ENV, evidence_of, findings
from .flux_paths import (DECRYPTION, SOPS_AGE, decryption_ops, describe_missing, flux_kustomizations,
                         missing_decryption, needing_decryption, sops_files)


# -- S.3 --------------------------------------------------------------------------------------------------------
def _shortlist(items: list, n: int, sep: str, show=str) -> str:
    """The first n items, and an ellipsis when there are more (a verdict stays one readable line)."""
    return sep.join(show(x) for x in items[:n]) + (" …" if len(items) > n else "")


def _passed_message(checked: list[str], other: list, rotate: list[str]) -> str:
    msg = f"no plaintext Secrets left; {len(checked)} converted file(s) check out"
    if other:
        msg += (f". {len(other)} literal credential(s) outside Secrets remain, to move into a Secret by hand (or "
                f"mark as not secret with the answer secrets-ignore=PATH[:KEY]): "
                + _shortlist(other, 3, "; ", lambda f: f.describe()))
    if rotate:
        msg += f". Rotate these credentials: their plaintext is in git history: {_shortlist(rotate, 8, ', ')}"
    return msg


def _sops_check(session, rel: str, text: str, key_path) -> tuple[list[str], bool]:
    """The problems of one SOPS file, and whether it could be read at all (only then is it 'checked')."""
    try:
        # Decrypting proves the metadata, the MAC and the key in one sops run; a file without sops metadata
        # fails it as NotEncrypted (what `sops filestatus` would say, one process fewer per file).
        cv.sops_decrypt(session, text, rel, key_path)
    except (cv.KeyMissing, cv.NotEncrypted) as e:
        return [str(e)], False
    return [f"{rel}: {p}" for p in cv.sops_metadata_ok(text)], True


def _file_steps(session, method, fp: cv.FilePlan) -> list[Step]:
    what = ", ".join(f"{o} ({', '.join(fp.keys[o])})" for o in fp.objects)
    steps = [Step("edit", method.convert_step(session, fp), what)]
    if fp.committed:
        steps.append(Step("info", f"warning: {fp.path} is already in git history: after converting, rotate "
                                  f"{', '.join(fp.objects)} (change the password/token where it is used)"))
    return steps


def _already_written(session, resume: dict | None) -> set[str]:
    # Targets of the interrupted run (already converted before the kill) are staged too, with
    # the folder's kustomization.yaml a split file was listed in.
    written: set[str] = set()
    for o in (resume or {}).get("ops", []):
        folder = PurePosixPath(o["path"]).parent
        kfiles = [str(folder / n) for n in KUSTOMIZATION_NAMES] if o["target"] != o["path"] else []
        written.update(p for p in (o["path"], o["target"], *kfiles) if (session.repo / p).exists())
    return written


def _convert_one(session, fp: cv.FilePlan, method, inputs: dict, progress) -> list[str]:
    try:
        return cv.convert_file(session, fp, method.name, progress=progress, **inputs)
    except cv.AlreadyEncrypted as e:
        progress(str(e))
        return []


def _pause_for_tests(pause: str, n: int) -> None:
    # The fault tests kill the wizard here, between two files, to check that a rerun finishes the job.
    if pause == str(n):
        print(f"PAUSED secrets.convert:{n}", flush=True)
        sys.stdout.flush()
        time.sleep(3600)


def _file_plans(session, method, fs) -> list[cv.FilePlan]:
    """One plan per file that holds plaintext Secrets, each knowing whether git history has them."""
    paths = sorted({f.path for f in fs if f.convertible})
    fps = [fp for fp in (cv.plan_file(session.repo, p, method.name) for p in paths) if fp]
    for fp in fps:
        fp.committed = cv.in_history(session, fp.path)
    return fps


def _title(method, fps: list[cv.FilePlan], decrypt: list[Step]) -> str:
    if fps:
        return f"convert {sum(len(fp.objects) for fp in fps)} Secret(s) in {len(fps)} file(s) with {method.name}"
    return f"add spec.decryption to {len(decrypt)} Flux Kustomization(s)"


def _decryption_steps(session, fps: list[cv.FilePlan]) -> list[Step]:
    """Encrypting under a Flux path without decryption would stop that Kustomization at 3.4: S.3 adds it."""
    need = [m for m, _ in needing_decryption(session, tuple(fp.path for fp in fps))
            if (m.doc.get("spec") or {}).get("decryption") != DECRYPTION]
    return [Step("edit", f"add spec.decryption (provider sops, secretRef {SOPS_AGE}) to Flux Kustomization {m.name} "
                         f"({m.where}): its path builds sops-encrypted files") for m in need]


def _missing_decryption(session) -> list:
    result, kss = flux_kustomizations(session)
    return missing_decryption(session.repo, [(m.where, m.doc) for m in kss], sops_files(result))


def _add_decryption(session, progress) -> set[str]:
    """spec.decryption on each Flux Kustomization that now builds an encrypted file (after the conversion,
    so the files it made are counted); returns the files written."""
    written = set()
    for o in decryption_ops(session):
        f = session.repo / o["path"]
        atomic_write(f, o["content"], mode=f.stat().st_mode & 0o777)
        written.add(o["path"])
        progress(f"added spec.decryption (sops, {SOPS_AGE}) to the Flux Kustomizations in {o['path']}")
    return written


class Convert(Item):

    def verify(self, session) -> Verdict:
        method = methods.chosen(session)
        fs = findings(session)
        converted = [e for e in session.state.journal if e.get("action") == CONVERTED]
        rotate = sorted({o for e in converted for o in e.get("rotate", [])})
        # Literal credentials outside Secret objects (an env value in a Deployment, a password in a
        # values file) cannot be encrypted in place: they are reported for the owner to move into a
        # Secret, but they do not hold back the Secrets this item converts (they were in git already).
        conv = [f for f in fs if f.convertible]
        other = [f for f in fs if not f.convertible and f.rule != detect.UNREADABLE_SECRET]
        unread = [f for f in fs if f.rule == detect.UNREADABLE_SECRET]
        ev = {"method": method.name, "remaining": evidence_of(conv + unread), "literal_credentials": evidence_of(other),
              "rotate": rotate}
        if unread:  # never "nothing left" while a Secret sits in a file nobody could read
            return Verdict("failed" if converted else "pending",
                           "plaintext Secrets remain in files the wizard cannot read: " + _shortlist(unread, 3, "; ", lambda f: f.describe()), ev)
        if conv:
            what = _shortlist(conv, 5, "; ", lambda f: f.describe())
            return Verdict("failed" if converted else "pending",
                           f"plaintext secrets remain: {what}; run secrets.convert", ev)
        problems, checked = self._check_converted(session, method, converted)
        problems += describe_missing(_missing_decryption(session), "run secrets.convert again (it adds it)")
        ev["checked"] = checked
        if problems:
            return Verdict("failed", "; ".join(problems[:5]), ev)
        return Verdict("passed", _passed_message(checked, other, rotate), ev)

    def _check_converted(self, session, method, converted) -> tuple[list[str], list[str]]:
        problems, checked = [], []
        files = sorted({f for e in converted for f in e.get("targets", []) if (session.repo / f).is_file()})
        key_path = None  # looked up once, and only when a SOPS file is there to check
        for rel in files:
            text = (session.repo / rel).read_text()
            if method.checks_as_sops(text):
                if key_path is None:
                    key_path = keys.age_key(session).path
                found, readable = _sops_check(session, rel, text, key_path)
                problems += found
                if not readable:
                    continue
            checked.append(rel)
        return problems, checked

    def plan(self, session) -> Plan:
        method = methods.chosen(session)
        u = gitstate.ensure_clean(session, self.id)
        method.key_inputs(session)
        fs = findings(session)
        fps = _file_plans(session, method, fs)
        steps = [Step("info", "finish the interrupted conversion")] if u else []
        for fp in fps:
            steps += _file_steps(session, method, fp)
        others = [f for f in fs if not f.convertible]
        steps += [Step("info", f"not converted automatically: {f.describe()}") for f in others]
        decrypt = _decryption_steps(session, fps)
        steps += decrypt
        if not fps and not u and not decrypt:
            return Plan(self.id, "Nothing to convert: no plaintext Secret left." +
                        (f" {len(others)} other finding(s) need a manual fix." if others else ""), steps,
                        changes="nothing", data={"files": []})
        return Plan(self.id, _title(method, fps, decrypt),
                    steps, changes="repo",
                    data={"method": method.name, "files": [fp.op(method.name) for fp in fps],
                          "rotate": sorted({o for fp in fps if fp.committed for o in fp.objects}),
                          "resume": bool(u)})

    def apply(self, session, plan, progress) -> None:
        resume = gitstate.unfinished(session) if plan.data.get("resume") else None
        if resume is None and plan.changes == "nothing":
            return
        method = methods.by_name(plan.data["method"])
        ops = self._begin(session, plan, resume, progress)
        inputs = method.key_inputs(session) if ops else {}
        written = _already_written(session, resume) | self._convert_all(session, method, ops, inputs, progress)
        written |= _add_decryption(session, progress)
        if written:
            session.git.run("add", "--", *sorted(written))
        self._finish(session, plan, method, ops, resume, progress)

    def _begin(self, session, plan, resume: dict | None, progress) -> list[dict]:
        """The files to convert: the plan's, plus those an interrupted run had not finished."""
        ops = plan.data["files"]
        if resume is None:
            session.state.record(gitstate.APPLY, item=self.id, phase="begin", base_head=gitstate.head(session),
                                 ops=ops, rotate=plan.data.get("rotate", []))
            session.store.save()
            return ops
        ops = ops + [o for o in resume.get("ops", []) if o["path"] not in {x["path"] for x in ops}]
        progress(f"finishing the interrupted conversion (started {resume['at']})")
        return ops

    def _convert_all(self, session, method, ops: list[dict], inputs: dict, progress) -> set[str]:
        written: set[str] = set()
        pause = os.environ.get(PAUSE_ENV, "")
        for n, o in enumerate(ops, 1):
            fp = cv.FilePlan(o["path"], o["target"], o["objects"], o["keys"])
            if not (session.repo / fp.path).is_file():
                continue
            written.update(_convert_one(session, fp, method, inputs, progress))
            # journaled file by file, so a rerun after a kill knows how far the conversion got
            session.state.record(Kind.SECRETS_FILE, item=self.id, n=n, path=fp.path, target=fp.target,
                                 objects=fp.objects)
            session.store.save()
            progress(f"{method.done} {', '.join(fp.objects)} → {fp.target}")
            _pause_for_tests(pause, n)
        return written

    def _finish(self, session, plan, method, ops: list[dict], resume: dict | None, progress) -> None:
        st = session.state
        rotate = sorted(set(plan.data.get("rotate", [])) | set((resume or {}).get("rotate", [])))
        st.record(CONVERTED, method=method.name, targets=sorted({o["target"] for o in ops}),
                  objects=[x for o in ops for x in o["objects"]], rotate=rotate)
        base = resume["base_head"] if resume else gitstate.head(session)
        st.record(gitstate.APPLY, item=self.id, phase="done", base_head=base, tree=gitstate.index_tree(session))
        session.store.save()
        if rotate:
            progress("rotate these credentials (their plaintext stays in git history): " + ", ".join(rotate))
