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
from ...secrets import detect, existing, keys
from .common import CERT, KEYS, METHOD, SCOPE, method_of
from . import owner_keys
from .flux_paths import SOPS_AGE
from .methods import sealed_scope


# -- S.2 --------------------------------------------------------------------------------------------------------
def _folders(session) -> list[str]:
    return [str(PurePosixPath(f.path).parent) for f in detect.find(session.repo) if f.convertible]


def _fits(session, recipient: str, targets: list[str]) -> bool:
    return not [p for t in targets for p in keys.rule_problems(keys.sops_rule_for(session.repo, t), recipient, t)]


def sops_config_text(session, recipient: str, own: owner_keys.OwnerSops) -> str | None:
    """The .sops.yaml the wizard needs, or None when the rules in place (the owner's, or ours from an
    earlier run) already do: its own rule first, beside (never instead of) the owner's; the owner's
    files it would cover keep their keys (plus the wizard's, with the owner's consent)."""
    regex = keys.path_regex(_folders(session))
    add_to = {f.path for f in owner_keys.add_wizard_key_to(session, own)}
    first = keys.rules_first(recipient, regex, own.keyed, add_to)
    cfg = session.repo / ".sops.yaml"
    if not cfg.is_file():
        return (keys.sops_config(recipient, regex) if not own.keyed else
                keys.sops_config_of(first, keys.owner_fallback_rule(own.keyed)))
    rules = keys.sops_rules(session.repo)
    unkeyed = [f for f in add_to if recipient not in str((existing.rule_for(rules, f) or {}).get("age") or "")]
    if _fits(session, recipient, _sops_targets(session, recipient)) and not unkeyed:
        return None
    return keys.with_rules_first(cfg.read_text(), first)


def sops_ops(session, recipient: str, *, updatekeys: bool = True) -> list[dict]:
    """Writes for .sops.yaml and, with the owner's consent, their Secret files re-keyed for the wizard's
    age key (`updatekeys=False`: the preview, which runs no sops)."""
    own = owner_keys.owner_sops(session, recipient)
    text = sops_config_text(session, recipient, own)
    ops = [op_write(".sops.yaml", text)] if text is not None else []
    if updatekeys:
        config = text if text is not None else (session.repo / ".sops.yaml").read_text()
        ops += owner_keys.updatekeys_ops(session, config, owner_keys.add_wizard_key_to(session, own))
    return ops


def _sops_targets(session, recipient: str | None = None) -> list[str]:
    """The files the wizard's rule must cover: the targets of the Secrets S.3 will encrypt, and the files it
    encrypted already (they open with its key). The owner's encrypted files are not judged against it."""
    fs = [f for f in detect.find(session.repo) if f.convertible]
    out = []
    for path in sorted({f.path for f in fs}):
        fp = cv.plan_file(session.repo, path, "sops")
        if fp:
            out.append(fp.target)
    out += [f.path for f in existing.encrypted_files(session.repo) if recipient and f.opens_with(recipient)]
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
        problems = [p for t in _sops_targets(session, recipient) or ["apps/secret.yaml"]
                    for p in keys.rule_problems(keys.sops_rule_for(session.repo, t), recipient, t)]
        if problems:
            return Verdict("failed", ".sops.yaml does not fit: " + "; ".join(problems[:5]) + ". Run secrets.keys "
                           f"again (it puts its rule first, beside yours: encrypted_regex {keys.ENCRYPTED_REGEX}, age "
                           f"{recipient}), then check again.", ev)
        own = owner_keys.owner_sops(session, recipient)
        ev["owner_files"] = [{"path": f.path, "format": f.format, "secret": f.secret, "keys": f.keys()} for f in own.files]
        ev["owner_configs"] = [c.path for c in own.configs]
        notes = owner_keys.what_they_need(session, own)
        if own.secrets and session.answers.get(owner_keys.OWNER_KEYS) is None:
            return Verdict("pending", f"{len(own.secrets)} Secret file(s) are encrypted to your own keys; run "
                                      f"secrets.keys to answer {owner_keys.OWNER_KEYS} (how Flux decrypts them)", ev)
        stale = [f.path for f in owner_keys.add_wizard_key_to(session, own)]
        if stale:
            return Verdict("failed", f"{owner_keys.OWNER_KEYS}={owner_keys.ADD_WIZARD_KEY}, but the wizard's age key "
                                     f"cannot open {', '.join(stale[:3])} yet; run secrets.keys", ev)
        msg = (f"age key {key.path} (0600, outside the repo); .sops.yaml encrypts data/stringData to {recipient}"
               + (" (its rule first, your rules kept after it)" if own.configs else ""))
        if own.secrets:
            msg += (f". Your {len(own.secrets)} encrypted Secret file(s) keep their keys only: Flux decrypts them once "
                    f"flux-system/{SOPS_AGE} also holds your key (an .agekey entry, or your PGP key as an .asc entry)"
                    if session.answers.get(owner_keys.OWNER_KEYS) == owner_keys.FLUX_KEY else "")
        if notes:
            msg += ". Not decrypted by Flux: " + "; ".join(notes[:4]) + (" …" if len(notes) > 4 else "")
        return Verdict("passed", msg, ev)

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
        own = owner_keys.owner_sops(session, recipient if key.exists else None)
        owner_keys.ask_if_open(session, own)
        steps += [Step("info", f"keep the rules of {c.path} as they are; the wizard's rule goes first, beside them")
                  for c in own.configs]
        steps += [Step("command", f"sops updatekeys -y {f.path} (adds the wizard's age key beside {f.keys()})")
                  for f in owner_keys.add_wizard_key_to(session, own)]
        steps += [Step("info", f"not decrypted by Flux: {n}") for n in owner_keys.what_they_need(session, own)]
        ops = [] if u or not key.exists else sops_ops(session, recipient, updatekeys=False)
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
