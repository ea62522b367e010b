"""Sealed Secrets through the CLI items on a private testbed: the certificate read from the
controller's key Secret through the API (never the service proxy), the sealing-key backup,
conversion, the controller unsealing the result, and the stale-backup warning."""
from __future__ import annotations

import base64
import json
import subprocess
from pathlib import Path

import pytest

from tests.helpers import make_repo, run_cli
from tests.testbed.tools import wait_until

pytestmark = pytest.mark.testbed
NS = "sealed-cli"
PASSWORD = "s3aled-" + "cli-value-7731"


def test_sealed_secrets_keys_convert_and_stale_backup(testbed_factory, tmp_path):
    tb = testbed_factory("sealed-cli")
    env = {**tb.env, "HOMELAB_WIZARD_DATA": str(tmp_path / "data")}
    files = {
        "infrastructure/kubernetes/base/namespace.yaml": f"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {NS}\n",
        "infrastructure/kubernetes/databases/db-secret.yaml":
            f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: {NS}\ntype: Opaque\n"
            f"stringData:\n  password: {PASSWORD}\n",
    }
    repo = make_repo(tmp_path / "repo", files)
    subprocess.run(["kubectl", "apply", "-R", "-f", str(repo / "infrastructure")], env=env, check=True, capture_output=True)

    def wiz(*args):
        res = run_cli("--repo", str(repo), *args, env=env)
        assert res.returncode == 0, f"{args}: {res.stdout}\n{res.stderr}"
        assert PASSWORD not in res.stdout + res.stderr
        return res

    wiz("run", "prep.preflight", "--yes")
    wiz("run", "prep.structure", "--set", "option=a", "--yes")
    wiz("run", "secrets.scan", "--set", "secrets=sealed-secrets", "--yes")
    wiz("run", "secrets.keys", "--yes")  # no --set sealed-cert: read from the controller via the API
    data = json.loads(wiz("verify", "secrets.keys", "--json").stdout)["results"][0]
    assert data["status"] == "passed", data
    backups = list(Path(env["HOMELAB_WIZARD_DATA"]).rglob("*.yaml"))
    assert backups and all(p.stat().st_mode & 0o777 == 0o600 for p in backups)
    assert PASSWORD not in (repo / ".git/homelab-wizard/audit.jsonl").read_text()

    wiz("run", "secrets.convert", "--yes")
    sealed = (repo / "infrastructure/kubernetes/databases/db-secret.yaml").read_text()
    assert "kind: SealedSecret" in sealed and PASSWORD not in sealed
    # The controller accepts the sealed form and makes the real Secret with the original value.
    subprocess.run(["kubectl", "-n", NS, "delete", "secret", "db"], env=env, check=True, capture_output=True)
    subprocess.run(["kubectl", "apply", "-f", "-"], input=sealed, text=True, env=env, check=True, capture_output=True)

    def unsealed():
        r = subprocess.run(["kubectl", "-n", NS, "get", "secret", "db", "-o", "json"], env=env, capture_output=True,
                           text=True)
        return r.returncode == 0 and base64.b64decode(json.loads(r.stdout)["data"]["password"]).decode() == PASSWORD

    wait_until("the controller unsealing the SealedSecret", unsealed, timeout=60)

    # A newer sealing key than the backup: verify turns red and says so.
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=rotated",
                    "-keyout", str(tmp_path / "k.pem"), "-out", str(tmp_path / "c.pem")], check=True, capture_output=True)
    subprocess.run(["kubectl", "-n", "kube-system", "create", "secret", "tls", "sealed-secrets-key-rotated",
                    f"--cert={tmp_path / 'c.pem'}", f"--key={tmp_path / 'k.pem'}"], env=env, check=True, capture_output=True)
    subprocess.run(["kubectl", "-n", "kube-system", "label", "secret", "sealed-secrets-key-rotated",
                    "sealedsecrets.bitnami.com/sealed-secrets-key=active"], env=env, check=True, capture_output=True)
    res = run_cli("--repo", str(repo), "verify", "secrets.keys", "--json", env=env)
    out = json.loads(res.stdout)["results"][0]
    assert res.returncode == 1 and out["status"] == "failed" and "older than the newest key" in out["message"], out
