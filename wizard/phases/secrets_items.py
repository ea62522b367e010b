"""Secret management: secrets.scan, secrets.keys, secrets.convert, secrets.decryption.

Repo changes are journaled like Phase 2's (gitstate APPLY begin/done with the index tree), so
they are staged steps that repo.commit-push turns into commits, and an interrupted conversion
blocks every commit until it is finished. No secret value is ever put in a plan, a verdict,
the journal or the audit log: only files, objects and key names.
"""
from __future__ import annotations

import base64
import hashlib
import json
import os
import sys
import time
from pathlib import Path, PurePosixPath

from ..journal import Kind
from ..checklist import Item, Plan, Question, Step, Verdict
from ..paths import norm_repo_path as _norm
from ..paths import under
from ..repo import gitstate
from ..repo.ops import apply_ops, is_done, op_write, preview_steps
from ..repo.scan import KUSTOMIZATION_NAMES, scan
from ..runner import ToolError
from ..session import Blocked, UsageError, WizardError
from ..secrets import convert as cv
from ..secrets import detect, keys

METHOD = Question("secrets", "How to encrypt Secrets", [("sops", "SOPS + age (files stay in git, Flux decrypts)"),
                                                         ("sealed-secrets", "Sealed Secrets (the controller decrypts)")],
                  default="sops", help="SOPS keeps Secrets as encrypted YAML that Flux decrypts with an age key; "
                                       "Sealed Secrets encrypts for the in-cluster controller's certificate.")
CERT = Question("sealed-cert", "The Sealed Secrets controller certificate (a PEM file; empty: read it from the "
                               "controller's key Secret through the API)", default="")
SCOPE = Question("sealed-scope", "Sealed Secrets scope", [(s, s) for s in cv.SCOPES], default="strict",
                 help="strict: the sealed value only works for this name in this namespace (recommended).")
IGNORE = Question("secrets-ignore", "Findings that are not secrets (comma-separated path or path:KEY)", default="")

CONVERTED, KEYS, SCANNED = Kind.SECRETS_CONVERTED, Kind.SECRETS_KEYS, Kind.SECRETS_SCANNED
PAUSE_ENV = "HOMELAB_WIZARD_TEST_PAUSE_SECRETS"  # test hook: "<n>" sleeps after converting file n


def method_of(session) -> str:
    m = session.answers.get("secrets")
    if m not in ("sops", "sealed-secrets"):
        raise Blocked("choose how to encrypt Secrets first: homelab-wizard run secrets.scan --set secrets=sops "
                      "(or secrets=sealed-secrets).")
    return m


def ignored(session, f: detect.Finding) -> bool:
    raw = session.answers.get("secrets-ignore", "") or ""
    for entry in (e.strip() for e in raw.split(",") if e.strip()):
        path, _, key = entry.partition(":")
        if f.path == path and (not key or key in f.keys):
            return True
    return False


def findings(session) -> list[detect.Finding]:
    return [f for f in detect.find(session.repo) if not ignored(session, f)]


def _evidence(fs: list[detect.Finding], limit: int = 50) -> list[dict]:
    return [f.evidence() for f in fs[:limit]]


def _last(session, action: str) -> dict | None:
    return next((e for e in reversed(session.state.journal) if e.get("action") == action), None)


# -- S.1 --------------------------------------------------------------------------------------------------------
class Scan(Item):
    id = "secrets.scan"
    alias = "S.1"
    title = "Find plaintext secrets"
    requires = ("prep.structure",)
    questions = (METHOD, IGNORE)

    def verify(self, session) -> Verdict:
        fs = findings(session)
        conv = [f for f in fs if f.convertible]
        ev = {"findings": _evidence(fs), "plaintext_secrets": len(conv), "other": len(fs) - len(conv),
              "method": session.answers.get("secrets")}
        rec = _last(session, SCANNED)
        if rec is None:
            return Verdict("pending", f"not reviewed yet: {detect.summary(fs)}; run secrets.scan to review them and "
                                      "choose SOPS or Sealed Secrets", ev)
        if conv and session.answers.get("secrets") not in ("sops", "sealed-secrets"):
            return Verdict("pending", f"{detect.summary(fs)}; choose a method: --set secrets=sops|sealed-secrets", ev)
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
                                      "(or mark a false positive with --set secrets-ignore=PATH[:KEY])"))
        method = session.answers.get("secrets")
        if any(f.convertible for f in fs) and method not in ("sops", "sealed-secrets"):
            raise Blocked("choose how to encrypt them: --set secrets=sops or --set secrets=sealed-secrets")
        steps.append(Step("pin", f"record the review and the method: {method}"))
        return Plan(self.id, f"{detect.summary(fs)} in {session.repo.name} (values are never shown)", steps,
                    changes="state", data={"method": method, "count": len(fs)})

    def apply(self, session, plan, progress) -> None:
        session.state.record(SCANNED, method=plan.data["method"], findings=plan.data["count"])
        session.store.save()
        progress(f"recorded: {plan.data['count']} finding(s), method {plan.data['method']}")


# -- S.2 --------------------------------------------------------------------------------------------------------
def sops_ops(session, recipient: str) -> list[dict]:
    folders = [str(PurePosixPath(f.path).parent) for f in detect.find(session.repo) if f.convertible]
    cfg = session.repo / ".sops.yaml"
    if cfg.is_file():
        return []  # never overwrite the user's (or our earlier) rules: verify checks them
    return [op_write(".sops.yaml", keys.sops_config(recipient, keys.path_regex(folders)))]


def _sops_targets(session) -> list[str]:
    fs = [f for f in detect.find(session.repo) if f.convertible]
    out = []
    for path in sorted({f.path for f in fs}):
        fp = cv.plan_file(session.repo, path, "sops")
        if fp:
            out.append(fp.target)
    out += [rel for rel, i in scan(session.repo).files.items() if i.sops]
    return sorted(set(out))


class Keys(Item):
    id = "secrets.keys"
    alias = "S.2"
    title = "Encryption keys (age or Sealed Secrets) kept safe"
    requires = ("secrets.scan",)
    questions = (METHOD, CERT, SCOPE)

    def verify(self, session) -> Verdict:
        method = method_of(session)
        keys.refuse_exposed_key_files(session)
        return self._verify_sops(session) if method == "sops" else self._verify_sealed(session)

    def _verify_sops(self, session) -> Verdict:
        key = keys.age_key(session)
        keys.check_key_location(session, key)
        ev = {"method": "sops", "key_file": str(key.path), "key_source": key.source}
        if not key.exists:
            return Verdict("pending", f"no age key yet at {key.path}; run secrets.keys to generate it", ev)
        recipient = keys.age_public_key(session, key)
        ev["recipient"] = recipient
        if not (session.repo / ".sops.yaml").is_file():
            return Verdict("pending", "no .sops.yaml yet; run secrets.keys to write its creation rules", ev)
        problems = [p for t in _sops_targets(session) or ["apps/secret.yaml"]
                    for p in keys.rule_problems(keys.sops_rule_for(session.repo, t), recipient, t)]
        if problems:
            return Verdict("failed", ".sops.yaml does not fit: " + "; ".join(problems[:5]) + ". Fix the creation "
                           f"rules (encrypted_regex {keys.ENCRYPTED_REGEX}, age {recipient}), then check again.", ev)
        return Verdict("passed", f"age key {key.path} (0600, outside the repo); .sops.yaml encrypts data/stringData "
                                 f"to {recipient}", ev)

    def _verify_sealed(self, session) -> Verdict:
        cert = keys.cert_path(session.repo)
        scope = session.answers.get("sealed-scope", SCOPE.default)
        ev: dict = {"method": "sealed-secrets", "cert": str(cert), "scope": scope}
        if not cert.is_file() or not keys.valid_cert(cert.read_text()):
            return Verdict("pending", "no Sealed Secrets certificate yet; run secrets.keys (with --set sealed-cert=FILE, "
                                      "or with the cluster reachable)", ev)
        ev["cert_sha256"] = hashlib.sha256(cert.read_bytes()).hexdigest()[:16]
        backup = keys.latest_backup(session.repo)
        ev["backup"] = str(backup) if backup else None
        if backup is None:
            return Verdict("pending", "the sealing key is not backed up yet: without it the SealedSecrets cannot be "
                                      "decrypted after a cluster rebuild; run secrets.keys with the cluster reachable", ev)
        if session.state.cluster is not None:
            try:
                session.ensure_same_cluster()
                live = keys.sealing_keys(session)
            except (ToolError, WizardError) as e:
                ev["cluster"] = f"not checked: {e}"
                live = None
            if live is not None:
                stale = keys.stale_backup(backup, live)
                ev["live_keys"] = [k["name"] for k in live]
                if stale:
                    return Verdict("failed", f"the sealing-key backup {backup.name} is older than the newest key "
                                             f"({', '.join(stale)}); run secrets.keys again to back it up", ev)
        return Verdict("passed", f"certificate {cert.name} (scope {scope}); sealing keys backed up in {backup}", ev)

    def plan(self, session) -> Plan:
        method = method_of(session)
        keys.refuse_exposed_key_files(session)
        if method == "sops":
            key = keys.age_key(session)
            keys.check_key_location(session, key)
            u = gitstate.ensure_clean(session, self.id)
            steps = []
            if not key.exists:
                if key.source == "SOPS_AGE_KEY_FILE":
                    raise Blocked(f"SOPS_AGE_KEY_FILE points at {key.path}, which does not exist; create the key there "
                                  "(age-keygen -o FILE) or unset SOPS_AGE_KEY_FILE to let the wizard make one.")
                steps.append(Step("command", f"age-keygen -o {key.path} (private key, 0600, in a 0700 folder outside "
                                             "the repo; back it up in your password manager)"))
                recipient = "<the new key's public key>"
            else:
                recipient = keys.age_public_key(session, key)
                steps.append(Step("info", f"use the age key {key.path} ({key.source}), public key {recipient}"))
            ops = [] if u else sops_ops(session, recipient)
            if u:
                steps.append(Step("info", "finish the interrupted run"))
            steps += preview_steps(session.repo, ops) if key.exists else [
                Step("write", "write .sops.yaml (creation rule: encrypted_regex ^(data|stringData)$, age recipient)")]
            changes = "repo" if (ops or not key.exists or u) else "nothing"
            return Plan(self.id, "age key and .sops.yaml for SOPS", steps, changes=changes,
                        data={"method": "sops", "generate": not key.exists, "resume": bool(u)})
        steps = []
        given = (session.answers.get("sealed-cert") or "").strip()
        if given:
            p = Path(given).expanduser()
            if not p.is_file() or not keys.valid_cert(p.read_text(errors="replace")):
                raise UsageError(f"sealed-cert={given}: not a readable PEM certificate file (kubeseal --fetch-cert "
                                 "prints one; on a loopback-only cluster read it from the key Secret).")
            steps.append(Step("write", f"store the certificate from {p} in {keys.cert_path(session.repo)}"))
        else:
            steps.append(Step("command", f"kubectl get secret -n {keys.SEALED_NS} -l {keys.SEALED_LABEL} -o json "
                                         "(the newest key's tls.crt; output withheld from the log)"))
        steps.append(Step("command", f"kubectl get secret -n {keys.SEALED_NS} -l {keys.SEALED_LABEL} -o yaml > "
                                     f"{keys.backups_dir(session.repo)}/{keys.BACKUP_PREFIX}<time>.yaml (0600)"))
        steps.append(Step("pin", f"scope {session.answers.get('sealed-scope', SCOPE.default)}"))
        return Plan(self.id, "Sealed Secrets certificate and sealing-key backup", steps, changes="local",
                    data={"method": "sealed-secrets", "cert": given})

    def apply(self, session, plan, progress) -> None:
        if plan.data["method"] == "sops":
            key = keys.age_key(session)
            if plan.data.get("generate") and not key.exists:
                keys.generate_age_key(session, key)
                progress(f"generated the age key {key.path} (0600)")
            recipient = keys.age_public_key(session, key)
            resume = gitstate.unfinished(session) if plan.data.get("resume") else None
            ops = [] if resume else sops_ops(session, recipient)
            if resume or ops:
                apply_ops(session, self.id, ops, progress, resume)
            session.state.record(KEYS, method="sops", key_file=str(key.path), recipient=recipient)
            session.store.save()
            return
        session.ensure_same_cluster() if session.state.cluster is not None else None
        if plan.data.get("cert"):
            pem = Path(plan.data["cert"]).expanduser().read_text()
        else:
            live = [k for k in keys.sealing_keys(session) if k["cert"]]
            if not live:
                raise Blocked(f"no sealing key Secret in {keys.SEALED_NS} (label {keys.SEALED_LABEL}); is the "
                              "sealed-secrets controller installed? Or pass --set sealed-cert=FILE.")
            pem = live[-1]["cert"]
        path = keys.store_cert(session.repo, pem)
        progress(f"certificate stored in {path}")
        backup = keys.backup_sealing_keys(session)
        progress(f"sealing keys backed up to {backup} (0600)")
        session.state.record(KEYS, method="sealed-secrets", cert=str(path), backup=str(backup),
                             scope=session.answers.get("sealed-scope", SCOPE.default))
        session.store.save()


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
    id = "secrets.convert"
    alias = "S.3"
    title = "Convert plaintext secrets"
    requires = ("secrets.keys",)

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
        ev = {"method": method, "remaining": _evidence(conv), "literal_credentials": _evidence(other),
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


# -- S.4 --------------------------------------------------------------------------------------------------------
FLUX_GROUP = "kustomize.toolkit.fluxcd.io"
SOPS_AGE = "sops-age"
FLUX_NS = "flux-system"
DECRYPTION = {"provider": "sops", "secretRef": {"name": SOPS_AGE}}


def reachable_files(repo: Path, path: str, all_files: list[str]) -> set[str]:
    """Files a Flux Kustomization at `path` builds: kustomization.yaml resources, else everything below."""
    import yaml

    files: set[str] = set()
    seen: set[str] = set()

    def visit(d: str) -> None:
        if d in seen:
            return
        seen.add(d)
        kfile = next((repo / d / n for n in KUSTOMIZATION_NAMES if (repo / d / n).is_file()), None)
        if kfile is None:
            files.update(f for f in all_files if under(f, d))
            return
        try:
            doc = yaml.safe_load(kfile.read_text()) or {}
        except yaml.YAMLError:
            return
        for r in [*(doc.get("resources") or []), *(doc.get("components") or [])]:
            t = _norm(f"{d}/{r}")
            if (repo / t).is_dir():
                visit(t)
            elif (repo / t).is_file():
                files.add(t)

    visit(_norm(path))
    return files


def flux_kustomizations(session, result=None):
    result = result or scan(session.repo)
    return result, [m for m in result.manifests if m.kind == "Kustomization" and m.api_version.startswith(FLUX_GROUP + "/")]


def needing_decryption(session) -> list[tuple[object, list[str]]]:
    result, kss = flux_kustomizations(session)
    sops_files = [rel for rel, i in result.files.items() if i.sops]
    out = []
    for m in kss:
        path = ((m.doc.get("spec") or {}).get("path")) or "./"
        # reachable_files lists every file a kustomization.yaml names, sops or not: keep the sops ones.
        hits = sorted(reachable_files(session.repo, path, sops_files) & set(sops_files))
        if hits:
            out.append((m, hits))
    return out


def decryption_ops(session) -> list[dict]:
    from ..repo.yamledit import round_trip

    by_file: dict[str, list[int]] = {}
    for m, _ in needing_decryption(session):
        if (m.doc.get("spec") or {}).get("decryption") != DECRYPTION:
            by_file.setdefault(m.path, []).append(m.index)
    ops = []
    for rel, idx in by_file.items():
        text = (session.repo / rel).read_text()

        def mutate(docs, idx=idx):
            for i in idx:
                spec = docs[i]["spec"]
                spec["decryption"] = {"provider": "sops", "secretRef": {"name": SOPS_AGE}}

        new = round_trip(text, mutate)
        ops.append(op_write(rel, new))
    return ops


def _flux_ns_exists(session) -> bool:
    res = session.kubectl.run("get", "namespace", FLUX_NS, "-o", "name", "--ignore-not-found", timeout=30)
    return bool(res.stdout.strip())


def _sops_age_matches(session, key_path: Path) -> tuple[bool, list[str]]:
    """Does flux-system/sops-age hold our key under a name ending in .agekey? (output withheld from logs)"""
    res = session.kubectl.run("get", "secret", "-n", FLUX_NS, SOPS_AGE, "-o", "json", "--ignore-not-found",
                              timeout=30, log_output=False)
    if not res.stdout.strip():
        return False, []
    data = json.loads(res.stdout).get("data") or {}
    names = sorted(data)
    want = hashlib.sha256(key_path.read_bytes()).hexdigest()
    ok = any(n.endswith(".agekey") and hashlib.sha256(base64.b64decode(v)).hexdigest() == want for n, v in data.items())
    return ok, names


def create_sops_age(session, key_path: Path) -> None:
    """The private key reaches the cluster through stdin only (server-side apply: no last-applied copy)."""
    manifest = json.dumps({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": SOPS_AGE, "namespace": FLUX_NS},
                           "type": "Opaque",
                           "data": {"age.agekey": base64.b64encode(key_path.read_bytes()).decode()}})
    session.kubectl.run("apply", "--server-side", "--field-manager=homelab-wizard", "--force-conflicts", "-f", "-",
                        stdin=manifest, stdin_is_secret=True, timeout=60)


def retry_decrypting(session, progress) -> None:
    """Ask Flux to try the Kustomizations that decrypt again now: until the Secret existed they failed
    with 'secrets "sops-age" not found', and would otherwise wait for their retry interval."""
    from ..flux.status import KS_RESOURCE
    from .validate import request_reconcile

    for m, _ in needing_decryption(session):
        ns = m.namespace or FLUX_NS
        if session.kubectl.run("get", "-n", ns, KS_RESOURCE, m.name, "-o", "name", ok_codes=(0, 1), timeout=30).exit_code:
            continue  # not applied yet: Flux reconciles it with the Secret in place when it first does
        request_reconcile(session, KS_RESOURCE, ns, m.name)
        progress(f"asked Flux to reconcile Kustomization {ns}/{m.name} again")


class Decryption(Item):
    id = "secrets.decryption"
    alias = "S.4"
    title = "Flux decryption configured"
    requires = ("secrets.convert",)

    def verify(self, session) -> Verdict:
        need = needing_decryption(session)
        missing = [f"{m.kind} {m.name} ({m.where})" for m, _ in need
                   if (m.doc.get("spec") or {}).get("decryption") != DECRYPTION]
        ev = {"kustomizations": [{"object": f"{m.namespace}/{m.name}", "file": m.where, "sops_files": hits[:20]}
                                 for m, hits in need], "missing": missing}
        if not need:
            if session.answers.get("secrets") == "sealed-secrets":
                return Verdict("passed", "no sops-encrypted files: nothing for Flux to decrypt (Sealed Secrets are "
                                         "decrypted by their controller)", ev)
            result, kss = flux_kustomizations(session)
            if not kss and any(i.sops for i in result.files.values()):
                return Verdict("pending", "sops-encrypted files exist but there are no Flux Kustomizations yet "
                                          "(run repo.flux-manifests first)", ev)
            return Verdict("passed", "no Flux Kustomization builds a sops-encrypted file", ev)
        if missing:
            return Verdict("failed", "Flux would fail with 'is SOPS encrypted, configuring decryption is required': "
                                     f"no spec.decryption on {', '.join(missing)}; run secrets.decryption", ev)
        key = keys.age_key(session)
        if session.state.cluster is None:
            return Verdict("pending", "the Kustomizations decrypt with sops-age; no cluster is pinned yet, so the "
                                      "sops-age Secret cannot be checked (run prep.preflight)", ev)
        session.ensure_same_cluster()
        if not _flux_ns_exists(session):
            return Verdict("pending", f"the Kustomizations decrypt with sops-age; Flux is not bootstrapped yet (no "
                                      f"{FLUX_NS} namespace): run secrets.decryption again after bootstrap to create "
                                      "the sops-age Secret", ev)
        ok, names = _sops_age_matches(session, key.path)
        ev["sops_age_keys"] = names
        if not ok:
            return Verdict("failed", f"Secret {FLUX_NS}/{SOPS_AGE} is missing or does not hold the wizard's age key "
                                     "under a key ending in .agekey; run secrets.decryption", ev)
        return Verdict("passed", f"{len(need)} Kustomization(s) decrypt with sops; {FLUX_NS}/{SOPS_AGE} holds the age "
                                 f"key ({', '.join(names)})", ev)

    def plan(self, session) -> Plan:
        u = gitstate.ensure_clean(session, self.id)
        ops = [] if u else [o for o in decryption_ops(session) if not is_done(session.repo, o)]
        steps = ([Step("info", "finish the interrupted run")] if u else []) + preview_steps(session.repo, ops)
        need = needing_decryption(session)
        create = False
        if need and session.state.cluster is not None:
            key = keys.age_key(session)
            keys.check_key_location(session, key)
            if not key.exists:
                raise Blocked("the age key is missing; run secrets.keys first.")
            session.ensure_same_cluster()
            if _flux_ns_exists(session) and not _sops_age_matches(session, key.path)[0]:
                create = True
                steps.append(Step("command", f"kubectl apply --server-side -f - (Secret {FLUX_NS}/{SOPS_AGE}, key "
                                             "age.agekey, private key through stdin)"))
                steps.append(Step("command", "kubectl annotate kustomization <each that decrypts> --overwrite "
                                             "reconcile.fluxcd.io/requestedAt=<now>",
                                  "Flux tries them again now instead of at their retry interval"))
            elif not _flux_ns_exists(session):
                steps.append(Step("info", f"{FLUX_NS} does not exist yet: the sops-age Secret is created after bootstrap"))
        if not ops and not create and not u:
            return Plan(self.id, "Nothing to change: decryption is configured.", steps, changes="nothing",
                        data={"ops": [], "create": False})
        return Plan(self.id, "configure sops decryption for Flux", steps,
                    changes="repo" if (ops or u) else "cluster", data={"ops": ops, "create": create, "resume": bool(u)})

    def apply(self, session, plan, progress) -> None:
        resume = gitstate.unfinished(session) if plan.data.get("resume") else None
        if resume or plan.data["ops"]:
            apply_ops(session, self.id, plan.data["ops"], progress, resume)
        if plan.data.get("create"):
            session.ensure_same_cluster()
            create_sops_age(session, keys.age_key(session).path)
            progress(f"created Secret {FLUX_NS}/{SOPS_AGE} (key age.agekey)")
            retry_decrypting(session, progress)
