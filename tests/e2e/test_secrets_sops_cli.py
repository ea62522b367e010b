"""SOPS + age through the CLI items on a private testbed, as a user would run them (issue 5,
secrets.decryption): a hand-applied homelab with a plaintext Secret goes through Phases 1 and 2
headless with the secrets items run (not skipped), is bootstrapped with the real flux CLI, and
`run secrets.decryption --yes` creates flux-system/sops-age from the private key through stdin.
Flux then decrypts the Secret back to its original value. Deleting sops-age turns verify red;
`run` again repairs it. Loopback only: nothing here uses kubectl logs/exec/port-forward/proxy."""
from __future__ import annotations

import base64
import json
import subprocess
import time
from pathlib import Path

import pytest

from tests.e2e.homelab import hand_applied_homelab, kubectl_json, phases_1_and_2, wiz
from tests.helpers import git, item_status, status_json
from tests.testbed.procs import tail
from tests.testbed.tools import condition, remote_head, wait_until

pytestmark = pytest.mark.testbed

NS = "homelab"  # the namespace hand_applied_homelab's manifests create
PASSWORD = "s0ps-cli-" + "pw-5521e9"  # assembled at run time
SECRET_FILE = "infrastructure/kubernetes/databases/db-secret.yaml"
SECRET = (f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: {NS}\ntype: Opaque\n"
          f"stringData:\n  password: {PASSWORD}\n")
TOKEN = "dummy-" + "git-token-not-checked"
DECRYPTION = {"provider": "sops", "secretRef": {"name": "sops-age"}}


def verdict(repo, env, item, ok=(0,)) -> dict:
    return json.loads(wiz(repo, "verify", item, "--json", env=env, ok=ok).stdout)["results"][0]


def test_sops_age_secret_created_through_the_cli(testbed_factory, tmp_path):
    tb = testbed_factory("sops-cli")
    env = {**tb.env, "HOMELAB_WIZARD_DATA": str(tmp_path / "data"), "GIT_PASSWORD": TOKEN}
    repo, url = hand_applied_homelab(tb, tmp_path, env)
    # The plaintext Secret, committed, pushed and applied by hand like the rest of the homelab.
    (repo / SECRET_FILE).write_text(SECRET)
    git(repo, "add", SECRET_FILE)
    git(repo, "commit", "-qm", "db password")
    subprocess.run(["git", "-C", str(repo), "push", "-q", "origin", "main"], env=env, check=True, capture_output=True)
    subprocess.run(["kubectl", "apply", "-f", str(repo / SECRET_FILE)], env=env, check=True, capture_output=True)

    outputs: list[str] = []

    def step(*args, ok=(0,)):
        res = wiz(repo, *args, env=env, ok=ok)
        outputs.append(res.stdout + res.stderr)
        return res

    def with_secrets(*args, ok=(0,)):
        """phases_1_and_2 skips the secrets items (its homelab has none); this one runs them at that point,
        before 2.5 (which refuses to commit a plaintext Secret)."""
        if args[0] == "skip" and args[1].startswith("secrets."):
            if args[1] == "secrets.scan":
                step("run", "secrets.scan", "--set", "secrets=sops", "--yes")
                step("run", "secrets.keys", "--yes")
                step("run", "secrets.convert", "--yes")
                # spec.decryption goes into the repo now; sops-age waits for flux-system (after bootstrap).
                res = step("run", "secrets.decryption", "--yes")
                assert "the sops-age Secret is created after bootstrap, by 3.2 bootstrap.run" in res.stdout, res.stdout
            return None
        return step(*args, ok=ok)

    phases_1_and_2(with_secrets)

    # The age key: generated into the wizard's private data dir, 0600 in a 0700 folder, outside the repo.
    keys_v = verdict(repo, env, "secrets.keys")
    assert keys_v["status"] == "passed", keys_v
    key_file = Path(keys_v["evidence"]["key_file"])
    assert key_file.is_file() and key_file.is_relative_to(tmp_path / "data") and not key_file.is_relative_to(repo)
    assert key_file.stat().st_mode & 0o777 == 0o600 and key_file.parent.stat().st_mode & 0o777 == 0o700
    key_text = key_file.read_text()
    assert "AGE-SECRET-KEY-" in key_text
    private = next(ln for ln in key_text.splitlines() if ln.startswith("AGE-SECRET-KEY-"))

    # Before bootstrap the Kustomizations already decrypt; the Secret is pending on flux-system.
    dec = verdict(repo, env, "secrets.decryption")
    assert dec["status"] == "pending" and "flux-system" in dec["message"], dec
    targets = [k for k in dec["evidence"]["kustomizations"] if k["sops_files"]]
    assert len(targets) >= 1 and not dec["evidence"]["missing"], dec
    sops_files = sorted({f for k in targets for f in k["sops_files"]})
    for rel in sops_files:
        text = (repo / rel).read_text()
        assert "sops:" in text and PASSWORD not in text

    # Phase 3: flux bootstrap git over loopback http into the testbed's git server.
    step("run", "bootstrap.credentials", "--set", "provider=git", "--set", f"git-url={url}", "--yes")
    res = step("run", "bootstrap.run", "--dry-run")  # the plan says it gives Flux the key, and how
    assert "kubectl apply --server-side -f - (Secret flux-system/sops-age" in res.stdout, res.stdout
    res = step("run", "bootstrap.run", "--yes")
    assert "passed" in res.stdout and "created Secret flux-system/sops-age" in res.stdout, res.stdout
    # S.4 waited on bootstrap only for flux-system: 3.2 made the Secret, so S.4 is green with no run of its own.
    assert item_status(status_json(repo, env), "secrets.decryption")["status"] == "passed"
    res = step("run", "secrets.decryption", "--dry-run")
    assert "Nothing to change" in res.stdout, res.stdout
    dec = verdict(repo, env, "secrets.decryption")
    assert dec["status"] == "passed" and dec["evidence"]["sops_age_keys"] == ["age.agekey"], dec

    # The Secret holds exactly the private key file, under a key ending in .agekey.
    sec = kubectl_json(env, "secret", "-n", "flux-system", "sops-age")
    agekeys = {k: base64.b64decode(v).decode() for k, v in sec["data"].items() if k.endswith(".agekey")}
    assert agekeys == {"age.agekey": key_text}

    # The audit log has the kubectl apply that read the manifest from stdin; no key material anywhere in it.
    audit_path = Path(git(repo, "rev-parse", "--absolute-git-dir").strip()) / "homelab-wizard" / "audit.jsonl"
    audit_text = audit_path.read_text()
    records = [json.loads(ln) for ln in audit_text.splitlines()]
    applies = [r for r in records if r["argv"][0] == "kubectl" and "apply" in r["argv"]
               and "--field-manager=homelab-wizard" in r["argv"]]
    assert len(applies) == 1 and applies[0]["argv"][-2:] == ["-f", "-"], applies  # the manifest came on stdin
    assert applies[0]["status"] == "ok" and "secret/sops-age" in applies[0]["stdout"], applies
    assert "AGE-SECRET-KEY" not in audit_text and private not in audit_text and PASSWORD not in audit_text
    assert base64.b64encode(key_text.encode()).decode() not in audit_text
    assert not any("AGE-SECRET-KEY" in o or PASSWORD in o for o in outputs)

    # Neither the repo nor its history (nor the remote's) holds the key.
    assert "AGE-SECRET-KEY" not in git(repo, "log", "-p", "--all")
    assert not any(private in p.read_text(errors="replace") for p in repo.rglob("*")
                   if p.is_file() and ".git" not in p.relative_to(repo).parts)
    git(repo, "fetch", "-q", "origin")
    assert "AGE-SECRET-KEY" not in git(repo, "log", "-p", "origin/main")

    # The Flux Kustomizations in the cluster carry spec.decryption; Flux reconciles the encrypted Secret.
    # The hand-applied plaintext copy goes first, so the value seen below can only come from Flux.
    subprocess.run(["kubectl", "-n", NS, "delete", "secret", "db"], env=env, check=True, capture_output=True)
    head = remote_head(url, env)
    names = [k["object"].split("/", 1)[1] for k in targets]
    logs = lambda: tail(tb.logs_dir / "kustomize-controller.log")  # noqa: E731
    now = str(time.time_ns())
    subprocess.run(["kubectl", "annotate", "--overwrite", "-n", "flux-system", "gitrepository", "flux-system",
                    f"reconcile.fluxcd.io/requestedAt={now}"], env=env, check=True, capture_output=True)
    for name in names:
        subprocess.run(["kubectl", "annotate", "--overwrite", "-n", "flux-system", "kustomization", name,
                        f"reconcile.fluxcd.io/requestedAt={now}"], env=env, check=True, capture_output=True)

    def ready(name):
        def check():
            k = kubectl_json(env, "kustomization", "-n", "flux-system", name)
            ok = (condition(k, "Ready") or {}).get("status") == "True"
            return k if ok and k["status"].get("lastAppliedRevision") == f"main@sha1:{head}" else None
        return check

    for name in names:
        k = wait_until(f"Kustomization {name} Ready at {head}", ready(name), timeout=150, interval=2,
                       state=lambda name=name: kubectl_json(env, "kustomization", "-n", "flux-system", name),
                       logs=logs)
        assert k["spec"].get("decryption") == DECRYPTION, k["spec"]

    def decrypted():
        s = kubectl_json(env, "secret", "-n", NS, "db")
        labels = s["metadata"].get("labels") or {}
        value = base64.b64decode(s["data"]["password"]).decode()
        return s if value == PASSWORD and labels.get("kustomize.toolkit.fluxcd.io/name") in names else None

    wait_until("Secret homelab/db applied by Flux with the original value", decrypted, timeout=60, logs=logs)
    # Only the Kustomizations whose path builds a sops file got spec.decryption.
    others = [k for k in kubectl_json(env, "kustomization", "-n", "flux-system")["items"]
              if k["metadata"]["name"] not in names]
    assert others and not any("decryption" in k["spec"] for k in others), [k["metadata"]["name"] for k in others]

    # Break it: without sops-age, verify is red and names it; run puts it back.
    subprocess.run(["kubectl", "-n", "flux-system", "delete", "secret", "sops-age"], env=env, check=True,
                   capture_output=True)
    broken = verdict(repo, env, "secrets.decryption", ok=(1,))
    assert broken["status"] in ("failed", "pending") and "sops-age" in broken["message"], broken
    assert item_status(status_json(repo, env), "secrets.decryption")["status"] == broken["status"]
    step("run", "secrets.decryption", "--yes")
    fixed = verdict(repo, env, "secrets.decryption")
    assert fixed["status"] == "passed", fixed
    sec = kubectl_json(env, "secret", "-n", "flux-system", "sops-age")
    assert base64.b64decode(sec["data"]["age.agekey"]).decode() == key_text
    assert "AGE-SECRET-KEY" not in audit_path.read_text()
