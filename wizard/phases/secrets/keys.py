"""S.2 secrets.keys: the age key (and .sops.yaml) or the Sealed Secrets certificate, kept safe."""
from __future__ import annotations

import hashlib
from pathlib import Path, PurePosixPath
from ...checklist import Item, Plan, Step, Verdict
from ...repo import gitstate
from ...repo.ops import apply_ops, op_write, preview_steps
from ...repo.scan import scan
from ...runner import ToolError
from ...session import Blocked, UsageError, WizardError
from ...secrets import convert as cv
from ...secrets import detect, keys
from .common import CERT, KEYS, METHOD, SCOPE, method_of
from .methods import sealed_scope


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


def _live_cert(session) -> str:
    """The newest sealing key's certificate, read from the controller's key Secrets."""
    live = [k for k in keys.sealing_keys(session) if k["cert"]]
    if not live:
        raise Blocked(f"no sealing key Secret in {keys.SEALED_NS} (label {keys.SEALED_LABEL}); is the "
                      "sealed-secrets controller installed? Or answer sealed-cert=FILE.")
    return live[-1]["cert"]


class Keys(Item):
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
        scope = sealed_scope(session)
        ev: dict = {"method": "sealed-secrets", "cert": str(cert), "scope": scope}
        if not cert.is_file() or not keys.valid_cert(cert.read_text()):
            return Verdict("pending", "no Sealed Secrets certificate yet; run secrets.keys (with the answer sealed-cert=FILE, "
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
        return self._plan_sops(session) if method == "sops" else self._plan_sealed(session)

    def _plan_sops(self, session) -> Plan:
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

    def _plan_sealed(self, session) -> Plan:
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
        steps.append(Step("pin", f"scope {sealed_scope(session)}"))
        return Plan(self.id, "Sealed Secrets certificate and sealing-key backup", steps, changes="local",
                    data={"method": "sealed-secrets", "cert": given})

    def apply(self, session, plan, progress) -> None:
        if plan.data["method"] == "sops":
            self._apply_sops(session, plan, progress)
        else:
            self._apply_sealed(session, plan, progress)

    def _apply_sops(self, session, plan, progress) -> None:
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

    def _apply_sealed(self, session, plan, progress) -> None:
        session.ensure_same_cluster() if session.state.cluster is not None else None
        pem = Path(plan.data["cert"]).expanduser().read_text() if plan.data.get("cert") else _live_cert(session)
        path = keys.store_cert(session.repo, pem)
        progress(f"certificate stored in {path}")
        backup = keys.backup_sealing_keys(session)
        progress(f"sealing keys backed up to {backup} (0600)")
        session.state.record(KEYS, method="sealed-secrets", cert=str(path), backup=str(backup),
                             scope=sealed_scope(session))
        session.store.save()
