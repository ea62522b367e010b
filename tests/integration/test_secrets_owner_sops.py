"""Repos that already use sops (issue 21): the owner's .sops.yaml and encrypted files, with real sops, age
and gpg (a throwaway PGP key made in the test stands in for the owner's), on temp repos."""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.helpers import VENV_BIN, git, item_status, make_repo, status_json
from tests.integration.test_secrets_sops import key_path, prepare, sops_decrypt, wiz

pytestmark = pytest.mark.skipif(shutil.which("gpg") is None, reason="gpg is not installed")

OWNER_RCON = "canary-" + "rcon-owner-0b7d"
DB_PASSWORD = "canary-" + "Db-pw-plaintext-5e1a"
MINECRAFT = "apps/minecraft/minecraftserver-secrets.sops.yaml"
VALUES = "cert-manager/cert-manager-secrets/cert-manager-secrets.yaml"


@pytest.fixture
def owner_pgp(tmp_path, env):
    """A PGP key in a private keyring of its own (GNUPGHOME), as the owner's; its fingerprint."""
    home = tmp_path / "gnupg"
    home.mkdir(mode=0o700)
    genv = {**os.environ, "GNUPGHOME": str(home)}
    subprocess.run(["gpg", "--batch", "--passphrase", "", "--quick-gen-key", "Owner <owner@example.invalid>",
                    "future-default", "default", "never"], env=genv, check=True, capture_output=True)
    out = subprocess.run(["gpg", "--with-colons", "--list-secret-keys"], env=genv, check=True, capture_output=True,
                         text=True).stdout
    env["GNUPGHOME"] = str(home)
    yield next(ln.split(":")[9] for ln in out.splitlines() if ln.startswith("fpr:"))
    subprocess.run(["gpgconf", "--kill", "gpg-agent"], env=genv, capture_output=True)


def sops_encrypt_as_owner(repo: Path, rel: str, env: dict, *args: str) -> None:
    subprocess.run([str(VENV_BIN / "sops"), "encrypt", *args, "-i", rel], cwd=repo, env=env, check=True,
                   capture_output=True)


def db_secret() -> str:
    return f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: web\nstringData:\n  password: {DB_PASSWORD}\n"


def owner_repo_with_pgp_rule(tmp_path: Path, fpr: str, env: dict) -> tuple[Path, str]:
    """Shape (a): a .sops.yaml whose only rule (no path_regex) encrypts to the owner's PGP key."""
    sops_yaml = (f"# my keys\ncreation_rules:\n  # everything to my PGP key\n  - pgp: {fpr}\n"
                 "    encrypted_regex: ^(data|stringData)$\n")
    repo = make_repo(tmp_path / "repo", {
        ".sops.yaml": sops_yaml, "apps/web/db.yaml": db_secret(),
        MINECRAFT: f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: mc\n  namespace: games\n"
                   f"stringData:\n  rcon: {OWNER_RCON}\n"})
    sops_encrypt_as_owner(repo, MINECRAFT, env)
    git(repo, "commit", "-q", "-am", "encrypt the minecraft secret")
    return repo, sops_yaml


def test_owner_pgp_rule_is_kept_and_the_wizard_rule_goes_first(tmp_path, env, owner_pgp):
    repo, sops_yaml = owner_repo_with_pgp_rule(tmp_path, owner_pgp, env)
    mc_before = (repo / MINECRAFT).read_text()
    prepare(repo, env)
    res = wiz(repo, "run", "secrets.keys", "--yes", env=env, ok=False)
    assert res.returncode == 3 and "sops-owner-keys" in res.stderr and MINECRAFT in res.stderr
    assert "does not fit" not in res.stdout + res.stderr
    assert "sops-owner-keys=<add-wizard-key | flux-key>" in res.stderr  # the first choice leads on (next test)

    res = wiz(repo, "run", "secrets.keys", "--set", "sops-owner-keys=flux-key", "--yes", env=env)
    assert "passed" in res.stdout and "flux-system/sops-age also holds your key" in res.stdout, res.stdout
    text = (repo / ".sops.yaml").read_text()
    assert text.startswith("# my keys\ncreation_rules:\n") and text.endswith(sops_yaml.split("creation_rules:\n")[1])
    rules = yaml.safe_load(text)["creation_rules"]
    assert rules[-1] == {"pgp": owner_pgp, "encrypted_regex": "^(data|stringData)$"}  # the owner's, as it was
    assert rules[0]["pgp"] == owner_pgp and "minecraftserver" in rules[0]["path_regex"]  # their file keeps its key
    assert rules[1]["age"].startswith("age1")

    wiz(repo, "run", "secrets.convert", "--yes", env=env)
    assert sops_decrypt(repo, "apps/web/db.yaml", key_path(tmp_path))[0]["stringData"] == {"password": DB_PASSWORD}
    assert (repo / MINECRAFT).read_text() == mc_before  # never re-encrypted
    st = status_json(repo, env)
    for item in ("secrets.keys", "secrets.convert"):
        assert item_status(st, item)["status"] == "passed", item_status(st, item)


def test_with_consent_updatekeys_adds_the_wizard_key_to_the_owner_file(tmp_path, env, owner_pgp):
    repo, _ = owner_repo_with_pgp_rule(tmp_path, owner_pgp, env)
    prepare(repo, env)
    res = wiz(repo, "run", "secrets.keys", "--set", "sops-owner-keys=add-wizard-key", "--yes", env=env)
    assert f"sops updatekeys -y {MINECRAFT}" in res.stdout and OWNER_RCON not in res.stdout + res.stderr
    # The wizard's key alone (no gpg) now opens the owner's file; the owner's PGP key still does too.
    no_gpg = {**env, "GNUPGHOME": str(tmp_path / "nowhere")}
    out = subprocess.run([str(VENV_BIN / "sops"), "decrypt", MINECRAFT], cwd=repo, capture_output=True, text=True,
                         env={**no_gpg, "SOPS_AGE_KEY_FILE": str(key_path(tmp_path))}, check=True).stdout
    assert yaml.safe_load(out)["stringData"] == {"rcon": OWNER_RCON}
    md = yaml.safe_load((repo / MINECRAFT).read_text())["sops"]
    assert [p["fp"] for p in md["pgp"]] == [owner_pgp]
    assert git(repo, "status", "--porcelain", "--", MINECRAFT).startswith("M")
    assert item_status(status_json(repo, env), "secrets.keys")["status"] == "passed"
    assert OWNER_RCON not in (repo / ".git/homelab-wizard/audit.jsonl").read_text()


def test_helm_secrets_values_encrypted_with_pgp_and_no_sops_yaml(tmp_path, env, owner_pgp):
    """Shape (b): S.2 wrote its own .sops.yaml, then failed with 'no creation rule of .sops.yaml matches
    cert-manager/cert-manager-secrets/cert-manager-secrets.yaml'."""
    repo = make_repo(tmp_path / "repo", {"apps/web/db.yaml": db_secret(),
                                         VALUES: f"cloudflare:\n  apiToken: {OWNER_RCON}\n"})
    sops_encrypt_as_owner(repo, VALUES, env, "--pgp", owner_pgp)
    git(repo, "commit", "-q", "-am", "helm secrets enc")
    values_before = (repo / VALUES).read_text()
    prepare(repo, env)
    res = wiz(repo, "run", "secrets.keys", "--yes", env=env)  # a values file is no Secret: nothing to ask
    assert "no creation rule" not in res.stdout
    st = item_status(status_json(repo, env), "secrets.keys")
    assert st["status"] == "passed" and f"{VALUES} (yaml, encrypted to PGP {owner_pgp}) is not a Secret manifest" in \
        st["message"] and "valuesFrom" in st["message"]
    rules = yaml.safe_load((repo / ".sops.yaml").read_text())["creation_rules"]
    assert rules[-1] == {"pgp": owner_pgp}  # the owner's `helm secrets enc` elsewhere keeps working
    (repo / "cert-manager/other.yaml").write_text("token: x\n")
    sops_encrypt_as_owner(repo, "cert-manager/other.yaml", env)
    (repo / "cert-manager/other.yaml").unlink()
    wiz(repo, "run", "secrets.convert", "--yes", env=env)
    assert (repo / VALUES).read_text() == values_before
    assert item_status(status_json(repo, env), "secrets.convert")["status"] == "passed"
