"""Secrets end to end with the real CLI, sops, age, git and kubeseal (offline, --cert); no cluster."""
from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
import yaml

from tests.helpers import VENV_BIN, git, item_status, make_repo, run_cli, status_json
from tests.integration.phase2_fixture import make_homelab

PHASE2 = ["repo.cluster-dir", "repo.kustomizations", "repo.apps", "repo.flux-manifests"]
CANARY = "canary-" + "7f3a9c2e-plaintext"
KUBESEAL_DIR = Path.home() / ".cache/homelab-wizard/testbed/sealed-secrets-v0.36.6-r1/bin"

MIXED = f"""\
# n8n config and its credentials in one file
apiVersion: v1
kind: ConfigMap
metadata:
  name: n8n-config
  namespace: homelab
data:
  N8N_PORT: "5678"
---
# the password is {CANARY}
apiVersion: v1
kind: Secret
metadata:
  name: n8n-db
  namespace: homelab
stringData:
  DB_PASSWORD: {CANARY}
"""


def wiz(repo, *args, env, ok=True):
    res = run_cli("--repo", str(repo), *args, env=env)
    if ok:
        assert res.returncode == 0, f"{args}: {res.stdout}\n{res.stderr}"
    return res


def sops_status(repo: Path, rel: str) -> bool:
    out = subprocess.run([str(VENV_BIN / "sops"), "filestatus", rel], cwd=repo, capture_output=True, text=True)
    return '"encrypted":true' in out.stdout.replace(" ", "")


def sops_decrypt(repo: Path, rel: str, key: Path) -> list:
    out = subprocess.run([str(VENV_BIN / "sops"), "decrypt", rel], cwd=repo, capture_output=True, text=True,
                         env={**os.environ, "SOPS_AGE_KEY_FILE": str(key)}, check=True)
    return list(yaml.safe_load_all(out.stdout))


def key_path(tmp_path: Path) -> Path:
    keys = list((tmp_path / "data").rglob("age.agekey"))
    assert len(keys) == 1
    return keys[0]


def everything_written(repo: Path, outputs: list[str], base: str) -> str:
    """Logs, state, audit log, CLI output, and every commit message and new blob of the wizard's commits.

    Blobs already in `base` (the user's plaintext, committed before the wizard started) are
    left out: the wizard's earlier step commits still point at them, which adds no new copy."""
    parts = list(outputs)
    for f in (repo / ".git/homelab-wizard").iterdir():
        parts.append(f.read_text(errors="replace"))
    old = {ln.split()[2] for ln in git(repo, "ls-tree", "-r", base).splitlines()}
    for c in git(repo, "rev-list", f"{base}..HEAD").split():
        parts.append(git(repo, "show", "-s", "--format=%B", c))
        for entry in git(repo, "ls-tree", "-r", c).splitlines():
            if entry.split()[2] not in old:
                parts.append(git(repo, "cat-file", "-p", entry.split()[2]))
    return "\n".join(parts)


def test_sops_end_to_end_with_phase2_commit_and_canary(tmp_path, env):
    repo = make_homelab(tmp_path / "repo", with_secret=True, remote=True)
    (repo / "infrastructure/kubernetes/services/n8n-config.yaml").write_text(MIXED)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "n8n config")
    git(repo, "push", "-q", "origin", "main")
    base = git(repo, "rev-parse", "HEAD").strip()
    outputs = []
    outputs.append(wiz(repo, "run", "prep.structure", "--set", "option=a", "--yes", env=env).stdout)
    for item in PHASE2:
        outputs.append(wiz(repo, "run", item, "--yes", env=env).stdout)
    # The commit is refused while plaintext Secrets are there (Phase 2 uses this detector).
    res = wiz(repo, "run", "repo.commit-push", "--set", "ci-deploy=push", "--yes", env=env, ok=False)
    assert res.returncode == 3 and "n8n-config.yaml" in res.stderr and CANARY not in res.stderr

    res = wiz(repo, "run", "secrets.scan", "--set", "secrets=sops", "--yes", env=env)
    outputs.append(res.stdout + res.stderr)
    assert "Secret homelab/n8n-db keys stringData.DB_PASSWORD" in res.stdout
    outputs.append(wiz(repo, "run", "secrets.keys", "--yes", env=env).stdout)
    key = key_path(tmp_path)
    assert key.stat().st_mode & 0o777 == 0o600 and key.parent.stat().st_mode & 0o777 == 0o700
    assert not str(key).startswith(str(repo))
    rules = yaml.safe_load((repo / ".sops.yaml").read_text())["creation_rules"][0]
    assert rules["encrypted_regex"] == "^(data|stringData)$" and rules["age"].startswith("age1")

    res = wiz(repo, "run", "secrets.convert", "--yes", env=env)
    outputs.append(res.stdout + res.stderr)
    assert "rotate" in res.stdout.lower()
    # In place for a Secret-only file; split out of the mixed file; listed in its kustomization.
    assert sops_status(repo, "apps/services/secret.yaml")
    assert sops_status(repo, "apps/services/n8n-config-secrets.sops.yaml")
    mixed = (repo / "apps/services/n8n-config.yaml").read_text()
    assert "kind: ConfigMap" in mixed and "kind: Secret" not in mixed and "sops" not in mixed
    assert "n8n-config-secrets.sops.yaml" in (repo / "apps/services/kustomization.yaml").read_text()
    docs = sops_decrypt(repo, "apps/services/n8n-config-secrets.sops.yaml", key)
    assert docs[0]["stringData"] == {"DB_PASSWORD": CANARY}
    assert sops_decrypt(repo, "apps/services/secret.yaml", key)[0]["metadata"]["name"] == "n8n-auth"

    res = wiz(repo, "run", "secrets.decryption", "--yes", env=env)
    outputs.append(res.stdout + res.stderr)
    apps = [d for d in yaml.safe_load_all((repo / "clusters/homelab/apps.yaml").read_text()) if d]
    assert apps[-1]["spec"]["decryption"] == {"provider": "sops", "secretRef": {"name": "sops-age"}}
    assert "Generated by homelab-wizard" in (repo / "clusters/homelab/apps.yaml").read_text()  # comments kept
    # Only Kustomizations that build a sops file get decryption (the infrastructure ones hold none).
    others = [d for f in (repo / "clusters/homelab").glob("*.yaml") if f.name != "apps.yaml"
              for d in yaml.safe_load_all(f.read_text()) if d and d.get("kind") == "Kustomization"]
    assert others and not [d["metadata"]["name"] for d in others if "decryption" in d.get("spec", {})]
    st = item_status(status_json(repo, env), "secrets.decryption")
    assert st["status"] == "pending" and "no cluster is pinned" in st["message"]

    res = wiz(repo, "run", "repo.commit-push", "--set", "ci-deploy=push", "--yes", env=env)
    outputs.append(res.stdout + res.stderr)
    log = git(repo, "log", "--format=%s").splitlines()
    assert "homelab-wizard S.3: encrypt the plaintext Secrets" in log, log
    assert git(repo, "status", "--porcelain") == ""
    assert CANARY not in everything_written(repo, outputs, base)
    assert CANARY not in git(repo, "grep", "-I", "-e", CANARY, "HEAD", check=False)
    assert CANARY not in (repo / "apps/services/n8n-config-secrets.sops.yaml").read_text()  # the comment is gone
    for item in ("secrets.scan", "secrets.keys", "secrets.convert"):
        assert item_status(status_json(repo, env), item)["status"] == "passed", item


def secret_repo(tmp_path: Path, files: dict[str, str]) -> Path:
    base = {"apps/web/deploy.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web, namespace: apps}\n"
                                    "data: {a: b}\n"}
    return make_repo(tmp_path / "repo", {**base, **files})


def secret(name: str, value: str) -> str:
    return (f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: {name}\n  namespace: apps\n"
            f"stringData:\n  password: {value}\n")


def prepare(repo, env, method="sops"):
    wiz(repo, "run", "prep.structure", "--set", "option=a", "--yes", env=env)
    wiz(repo, "run", "secrets.scan", "--set", f"secrets={method}", "--yes", env=env)


def test_kill_9_mid_conversion_is_found_and_finished_before_any_commit(tmp_path, env):
    repo = secret_repo(tmp_path, {"apps/web/a.yaml": secret("a", CANARY + "-a"),
                                  "apps/web/b.yaml": secret("b", CANARY + "-b")})
    git(repo, "remote", "add", "origin", str(tmp_path / "nowhere.git"))
    prepare(repo, env)
    wiz(repo, "run", "secrets.keys", "--yes", env=env)
    proc = subprocess.Popen([str(VENV_BIN / "homelab-wizard"), "--repo", str(repo), "run", "secrets.convert", "--yes"],
                            env={**env, "HOMELAB_WIZARD_TEST_PAUSE_SECRETS": "1"}, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    deadline = time.monotonic() + 60
    line = ""
    while "PAUSED" not in line and time.monotonic() < deadline:
        line = proc.stdout.readline()
    assert "PAUSED secrets.convert:1" in line
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    (repo / ".git/homelab-wizard/lock").unlink(missing_ok=True)
    assert sops_status(repo, "apps/web/a.yaml") and CANARY in (repo / "apps/web/b.yaml").read_text()
    # No commit while the conversion is half done.
    res = wiz(repo, "run", "repo.commit-push", "--set", "ci-deploy=push", "--yes", env=env, ok=False)
    assert res.returncode == 3
    st = item_status(status_json(repo, env), "secrets.convert")
    assert st["status"] in ("running", "failed", "pending")
    res = wiz(repo, "run", "secrets.convert", "--yes", env=env)
    assert "finishing the interrupted conversion" in res.stdout
    assert sops_status(repo, "apps/web/a.yaml") and sops_status(repo, "apps/web/b.yaml")
    assert item_status(status_json(repo, env), "secrets.convert")["status"] == "passed"
    assert git(repo, "grep", "--cached", "-I", "-e", CANARY, check=False) == ""  # nothing staged holds it


def test_a_plaintext_sops_named_copy_is_found_and_encrypted(tmp_path, env):
    """A decrypted working copy (or a half-finished manual `sops -e`) is a plaintext Secret like any other."""
    repo = secret_repo(tmp_path, {"apps/web/db.sops.yaml": secret("db", CANARY)})
    prepare(repo, env)
    wiz(repo, "run", "secrets.keys", "--yes", env=env)
    wiz(repo, "run", "secrets.convert", "--yes", env=env)
    assert sops_status(repo, "apps/web/db.sops.yaml")
    # Converting again is a no-op (an already encrypted file is a state, not an error).
    res = wiz(repo, "run", "secrets.convert", "--yes", env=env)
    assert "Nothing to convert" in res.stdout


def test_key_file_in_the_work_tree_is_refused(tmp_path, env):
    repo = secret_repo(tmp_path, {"apps/web/db.yaml": secret("db", CANARY)})
    prepare(repo, env)
    inside = repo / "keys.txt"
    subprocess.run(["age-keygen", "-o", str(inside)], check=True, capture_output=True)
    res = wiz(repo, "run", "secrets.keys", "--yes", env={**env, "SOPS_AGE_KEY_FILE": str(inside)}, ok=False)
    assert res.returncode == 4 and "keys.txt" in res.stderr and "would be committed" in res.stderr
    (repo / ".gitignore").write_text("keys.txt\n")
    git(repo, "add", ".gitignore")
    git(repo, "commit", "-q", "-m", "ignore")
    res = wiz(repo, "run", "secrets.keys", "--yes", env={**env, "SOPS_AGE_KEY_FILE": str(inside)}, ok=False)
    assert res.returncode == 4 and "inside the work tree" in res.stderr
    inside.unlink()
    res = wiz(repo, "run", "secrets.keys", "--yes", env=env)  # the wizard's own key, in the data dir
    assert "passed" in res.stdout


@pytest.fixture
def cert(tmp_path) -> Path:
    key, crt = tmp_path / "tls.key", tmp_path / "tls.crt"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(crt),
                    "-days", "2", "-subj", "/CN=sealed-secret/O=sealed-secret"], check=True, capture_output=True)
    return crt


@pytest.mark.skipif(not (KUBESEAL_DIR / "kubeseal").exists(), reason="kubeseal not built (tests/testbed/build.sh)")
def test_sealed_offline_with_cert(tmp_path, env, cert):
    env = {**env, "PATH": f"{KUBESEAL_DIR}{os.pathsep}{env['PATH']}"}
    repo = secret_repo(tmp_path, {"apps/web/mixed.yaml": MIXED.replace("homelab", "apps")})
    prepare(repo, env, "sealed-secrets")
    res = wiz(repo, "run", "secrets.keys", "--set", f"sealed-cert={cert}", "--yes", env=env, ok=False)
    # No cluster: the certificate is stored, the sealing-key backup cannot be made (blocked, clearly).
    assert res.returncode != 0 and "kubectl" in (res.stdout + res.stderr)
    stored = list((tmp_path / "data").rglob("sealed-secrets-cert.pem"))
    assert stored and stored[0].read_text() == cert.read_text()
    # Convert needs only the certificate: it is offline. Skip the backup for this test.
    wiz(repo, "skip", "secrets.keys", "--reason", "no cluster in this test", env=env)
    res = wiz(repo, "run", "secrets.convert", "--yes", env=env)
    docs = list(yaml.safe_load_all((repo / "apps/web/mixed.yaml").read_text()))
    assert [d["kind"] for d in docs] == ["ConfigMap", "SealedSecret"]
    sealed = docs[1]
    assert sealed["metadata"] == {"name": "n8n-db", "namespace": "apps", **({"annotations": sealed["metadata"]
                                                                              ["annotations"]} if "annotations" in
                                                                             sealed["metadata"] else {})}
    assert set(sealed["spec"]["encryptedData"]) == {"DB_PASSWORD"}
    text = (repo / "apps/web/mixed.yaml").read_text()
    assert CANARY not in text and "n8n config and its credentials" in text
    assert CANARY not in res.stdout + res.stderr
    assert CANARY not in (repo / ".git/homelab-wizard/audit.jsonl").read_text()
    assert all("--cert" in line for line in (repo / ".git/homelab-wizard/audit.jsonl").read_text().splitlines()
               if '"kubeseal"' in line.split('"argv"')[1][:20])


def test_kill_9_inside_a_split_conversion_is_finished_cleanly(tmp_path, env):
    """Fault (issue 14 item 4): a kill -9 in the middle of splitting a mixed ConfigMap+Secret file left
    an unstaged kustomization.yaml edit and a `.<name>.<pid>.tmp` file; afterwards secrets.convert,
    2.5 and rollback discard refused, and the new encrypted file was never listed for Flux."""
    repo = secret_repo(tmp_path, {"apps/n8n/config.yaml": MIXED,
                                  "apps/n8n/kustomization.yaml": "resources:\n  - config.yaml\n"})
    git(repo, "remote", "add", "origin", str(tmp_path / "nowhere.git"))
    prepare(repo, env)
    wiz(repo, "run", "secrets.keys", "--yes", env=env)
    proc = subprocess.Popen([str(VENV_BIN / "homelab-wizard"), "--repo", str(repo), "run", "secrets.convert", "--yes"],
                            env={**env, "HOMELAB_WIZARD_TEST_PAUSE_IN_SPLIT": "apps/n8n/config.yaml"},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    deadline = time.monotonic() + 60
    line = ""
    while "PAUSED" not in line and time.monotonic() < deadline:
        line = proc.stdout.readline()
    assert "PAUSED split apps/n8n/config.yaml" in line, proc.stderr.read() if proc.poll() is not None else line
    pid = proc.pid
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    # What a kill inside an atomic write leaves next to the file it was replacing.
    (repo / f"apps/n8n/.kustomization.yaml.{pid}.tmp").write_text("resources:\n  - config")
    (repo / ".git/homelab-wizard/lock").unlink(missing_ok=True)
    res = wiz(repo, "run", "secrets.convert", "--yes", env=env)
    assert "finishing the interrupted conversion" in res.stdout, res.stdout
    kust = (repo / "apps/n8n/kustomization.yaml").read_text()
    assert "config-secrets.sops.yaml" in kust and "config.yaml" in kust  # the encrypted part is listed for Flux
    assert not list((repo / "apps/n8n").glob(".*.tmp"))
    assert git(repo, "status", "--porcelain", "--untracked-files=all").splitlines() and all(
        ln[1] == " " for ln in git(repo, "status", "--porcelain", "--untracked-files=all").splitlines())  # all staged
    assert item_status(status_json(repo, env), "secrets.convert")["status"] == "passed"
    res = wiz(repo, "rollback", "discard", "--dry-run", env=env, ok=False)
    assert "not the wizard's" not in res.stdout + res.stderr
