"""On a private testbed: one sops-encrypted and one sealed Secret, converted by the wizard's code,
reconciled by Flux into real Secrets with the original values. Loopback only: kubeseal --cert."""
from __future__ import annotations

import base64
import time

import pytest
import yaml

from tests.testbed.procs import tail
from tests.testbed.tools import GitWorkdir, condition, kubectl_json, remote_head, run, wait_until
from wizard.phases.secrets import decryption as si
from wizard.runner import Runner
from wizard.secrets import convert as cv
from wizard.secrets import keys
from wizard.session import Session

pytestmark = pytest.mark.testbed
NS = "flux-system"
DEMO = "secrets-demo"
SOPS_VALUES = {"token": "s0ps-" + "canary-value", "user": "admin"}
SEALED_VALUES = {"password": "s3aled-" + "canary-value"}


def secret(name: str, values: dict) -> str:
    return yaml.safe_dump({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name, "namespace": DEMO},
                           "type": "Opaque", "stringData": values}, sort_keys=False)


def ks(name: str, path: str) -> str:
    return ("# demo Kustomization\n" + yaml.safe_dump(
        {"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization", "metadata": {"name": name, "namespace": NS},
         "spec": {"interval": "10m", "path": path, "prune": True,
                  "sourceRef": {"kind": "GitRepository", "name": "flux-system"}}}, sort_keys=False))


def test_sops_and_sealed_secrets_reconciled_by_flux(testbed_factory, tmp_path, monkeypatch):
    tb = testbed_factory("secrets")
    monkeypatch.setenv("HOMELAB_WIZARD_DATA", str(tmp_path / "data"))
    url = tb.create_git_repo("fleet")
    env = {**tb.env, "GIT_PASSWORD": "dummy-password-not-checked"}
    run(["flux", "bootstrap", "git", f"--url={url}", "--allow-insecure-http", "--token-auth", "--username=git",
         "--branch=main", "--path=clusters/test", "--silent", "--timeout=5m"], env, timeout=420)
    work = GitWorkdir(url, tmp_path / "fleet", tb.env).clone()
    work.git("config", "user.email", "t@example.invalid")
    work.git("config", "user.name", "t")

    work.write("clusters/test/namespace.yaml", yaml.safe_dump(
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": DEMO}}))
    work.write("clusters/test/sops-demo.yaml", ks("sops-demo", "./apps/sops"))
    work.write("clusters/test/sealed-demo.yaml", ks("sealed-demo", "./apps/sealed"))
    work.write("apps/sops/secret.yaml", secret("sops-demo", SOPS_VALUES))
    work.write("apps/sealed/secret.yaml", secret("sealed-demo", SEALED_VALUES))

    session = Session.open(work.path, kubeconfig=str(tb.kubeconfig), context=tb.context,
                           runner=Runner(audit_log=tmp_path / "audit.jsonl", base_env=tb.env))
    key = keys.age_key(session)
    keys.generate_age_key(session, key)
    recipient = keys.age_public_key(session, key)
    work.write(".sops.yaml", keys.sops_config(recipient, keys.path_regex(["apps"])))

    fp = cv.plan_file(work.path, "apps/sops/secret.yaml", "sops")
    assert cv.convert_file(session, fp, "sops", key_path=key.path) == ["apps/sops/secret.yaml"]
    fp = cv.plan_file(work.path, "apps/sealed/secret.yaml", "sealed-secrets")
    assert cv.convert_file(session, fp, "sealed-secrets", cert=tb.sealed_secrets_cert_path, scope="strict")
    # spec.decryption on the Kustomization that builds the sops file only; comments kept.
    ops = si.decryption_ops(session)
    assert [o["path"] for o in ops] == ["clusters/test/sops-demo.yaml"]
    work.write(ops[0]["path"], ops[0]["content"])
    assert work.path.joinpath("clusters/test/sops-demo.yaml").read_text().startswith("# demo Kustomization")
    si.create_sops_age(session, key.path)  # the private key through stdin
    ok, names = si.sops_age_matches(session, key.path)
    assert ok and names == ["age.agekey"]

    for rel in ("apps/sops/secret.yaml", "apps/sealed/secret.yaml"):
        text = work.path.joinpath(rel).read_text()
        assert all(v not in text for v in [*SOPS_VALUES.values(), *SEALED_VALUES.values()] if len(v) > 6)
    work.commit_push("secrets demo")
    head = remote_head(url, tb.env)

    def ready(name):
        def check():
            k = kubectl_json(tb.env, "get", "kustomization", "-n", NS, name, check=False)
            st = (k or {}).get("status") or {}
            ok = (condition(k, "Ready") or {}).get("status") == "True"
            return k if ok and st.get("lastAppliedRevision") == f"main@sha1:{head}" else None
        return check

    run(["kubectl", "annotate", "--overwrite", "-n", NS, "gitrepository", "flux-system",
         f"reconcile.fluxcd.io/requestedAt={time.time_ns()}"], tb.env)
    logs = lambda: tail(tb.logs_dir / "kustomize-controller.log")  # noqa: E731
    for name in ("flux-system", "sops-demo", "sealed-demo"):
        wait_until(f"Kustomization {name} Ready at {head}", ready(name), timeout=240,
                   state=lambda name=name: kubectl_json(tb.env, "get", "kustomization", "-n", NS, name, check=False),
                   logs=logs)

    def values(name, want):
        def check():
            s = kubectl_json(tb.env, "get", "secret", "-n", DEMO, name, check=False)
            got = {k: base64.b64decode(v).decode() for k, v in ((s or {}).get("data") or {}).items()}
            return s if got == want else None
        return check

    wait_until("Secret sops-demo decrypted by Flux", values("sops-demo", SOPS_VALUES), timeout=120, logs=logs)
    wait_until("Secret sealed-demo unsealed by the controller", values("sealed-demo", SEALED_VALUES), timeout=120,
               logs=lambda: tail(tb.logs_dir / "sealed-secrets-controller.log"))
    audit = (tmp_path / "audit.jsonl").read_text()
    for v in (SOPS_VALUES["token"], SEALED_VALUES["password"]):
        assert v not in audit
    assert "AGE-SECRET-KEY" not in audit
