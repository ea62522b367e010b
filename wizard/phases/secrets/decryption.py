"""S.4 secrets.decryption: Flux decrypts sops files (spec.decryption and the sops-age Secret)."""
from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from ...checklist import Item, Plan, Step, Verdict
from ...repo import gitstate
from ...repo.ops import apply_ops, is_done, preview_steps
from ...session import Blocked
from ...secrets import keys
from .flux_paths import DECRYPTION, FLUX_NS, SOPS_AGE, decryption_ops, flux_kustomizations, needing_decryption


def _flux_ns_exists(session) -> bool:
    res = session.kubectl.run("get", "namespace", FLUX_NS, "-o", "name", "--ignore-not-found", timeout=30)
    return bool(res.stdout.strip())


def sops_age_matches(session, key_path: Path) -> tuple[bool, list[str]]:
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
    from ...flux.status import KS_RESOURCE
    from ..validate.common import request_reconcile

    for m, _ in needing_decryption(session):
        ns = m.namespace or FLUX_NS
        if session.kubectl.run("get", "-n", ns, KS_RESOURCE, m.name, "-o", "name", ok_codes=(0, 1), timeout=30).exit_code:
            continue  # not applied yet: Flux reconciles it with the Secret in place when it first does
        request_reconcile(session, KS_RESOURCE, ns, m.name)
        progress(f"asked Flux to reconcile Kustomization {ns}/{m.name} again")


class Decryption(Item):

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
                                      f"{FLUX_NS} namespace): 3.2 bootstrap.run creates the sops-age Secret right "
                                      "after bootstrap (or run secrets.decryption again then)", ev)
        ok, names = sops_age_matches(session, key.path)
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
                raise Blocked("the age key is missing; run secrets.keys first.", needs=("secrets.keys",))
            session.ensure_same_cluster()
            if _flux_ns_exists(session) and not sops_age_matches(session, key.path)[0]:
                create = True
                steps.append(Step("command", f"kubectl apply --server-side -f - (Secret {FLUX_NS}/{SOPS_AGE}, key "
                                             "age.agekey, private key through stdin)"))
                steps.append(Step("command", "kubectl annotate kustomization <each that decrypts> --overwrite "
                                             "reconcile.fluxcd.io/requestedAt=<now>",
                                  "Flux tries them again now instead of at their retry interval"))
            elif not _flux_ns_exists(session):
                steps.append(Step("info", f"{FLUX_NS} does not exist yet: the sops-age Secret is created after bootstrap, "
                                                 "by 3.2 bootstrap.run"))
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
