"""reliability.md faults 10 and 35 with the real sops and age: states, not crashes."""
from __future__ import annotations

import pytest

from tests.helpers import make_repo
from wizard.runner import Runner
from wizard.secrets import convert as cv
from wizard.secrets import keys
from wizard.session import Session

CANARY = "canary-" + "f4ult-v4lue"
SECRET = f"apiVersion: v1\nkind: Secret\nmetadata: {{name: db, namespace: apps}}\nstringData:\n  password: {CANARY}\n"


@pytest.fixture
def session(tmp_path, monkeypatch):
    monkeypatch.setenv("HOMELAB_WIZARD_DATA", str(tmp_path / "data"))
    repo = make_repo(tmp_path / "repo", {"apps/db.yaml": SECRET})
    s = Session.open(repo, runner=Runner(audit_log=tmp_path / "audit.jsonl"))
    return s


def new_key(session, tmp_path) -> keys.AgeKey:
    key = keys.AgeKey(tmp_path / "keys" / "k.agekey", "test")
    keys.generate_age_key(session, key)
    pub = keys.age_public_key(session, key)
    (session.repo / ".sops.yaml").write_text(keys.sops_config(pub, keys.path_regex(["apps"])))
    return key


def test_sops_on_an_encrypted_file_is_a_state(session, tmp_path):
    key = new_key(session, tmp_path)
    enc = cv.sops_encrypt(session, SECRET, "apps/db.yaml")
    assert "ENC[" in enc and CANARY not in enc
    with pytest.raises(cv.AlreadyEncrypted, match="already encrypted"):
        cv.sops_encrypt(session, enc, "apps/db.yaml")  # sops exit 203
    assert key.path.stat().st_mode & 0o777 == 0o600


def test_decrypting_a_plain_file_is_a_state(session, tmp_path):
    key = new_key(session, tmp_path)
    with pytest.raises(cv.NotEncrypted, match="not encrypted"):
        cv.sops_decrypt(session, SECRET, "apps/db.yaml", key.path)


def test_missing_or_wrong_key(session, tmp_path):
    new_key(session, tmp_path)
    enc = cv.sops_encrypt(session, SECRET, "apps/db.yaml")
    other = keys.AgeKey(tmp_path / "other" / "o.agekey", "test")
    keys.generate_age_key(session, other)
    with pytest.raises(cv.KeyMissing, match="cannot be decrypted"):
        cv.sops_decrypt(session, enc, "apps/db.yaml", other.path)
    with pytest.raises(cv.KeyMissing):
        cv.sops_decrypt(session, enc, "apps/db.yaml", tmp_path / "missing.agekey")


def test_no_creation_rule_is_blocked_with_advice(session, tmp_path):
    new_key(session, tmp_path)
    with pytest.raises(Exception, match="no creation rule"):
        cv.sops_encrypt(session, SECRET, "elsewhere/db.yaml")


def test_round_trip_and_canary_stay_out_of_the_audit_log(session, tmp_path):
    key = new_key(session, tmp_path)
    fp = cv.plan_file(session.repo, "apps/db.yaml", "sops")
    assert fp and not fp.split
    written = cv.convert_file(session, fp, "sops", key_path=key.path)
    assert written == ["apps/db.yaml"]
    text = (session.repo / "apps/db.yaml").read_text()
    assert CANARY not in text and "sops:" in text
    assert CANARY not in (tmp_path / "audit.jsonl").read_text()
    assert cv.sops_filestatus(session, "apps/db.yaml")
    # Converting again: nothing to do (no plaintext Secret left).
    assert cv.convert_file(session, fp, "sops", key_path=key.path) == []


def test_stale_sealing_key_backup(tmp_path):
    backup = tmp_path / "b.yaml"
    backup.write_text("apiVersion: v1\nkind: List\nitems:\n- metadata: {name: sealed-secrets-keyaaaa}\n")
    live = [{"name": "sealed-secrets-keyaaaa"}, {"name": "sealed-secrets-keybbbb"}]
    assert keys.stale_backup(backup, live) == ["sealed-secrets-keybbbb"]
    assert keys.stale_backup(backup, live[:1]) == []
    assert keys.stale_backup(None, live[:1]) == ["sealed-secrets-keyaaaa"]


def test_private_dir_and_key_mode_under_umask_000(session, tmp_path):
    import os

    old = os.umask(0)
    try:
        key = keys.AgeKey(tmp_path / "u" / "deep" / "k.agekey", "test")
        keys.generate_age_key(session, key)
    finally:
        os.umask(old)
    assert key.path.stat().st_mode & 0o777 == 0o600
    assert key.path.parent.stat().st_mode & 0o777 == 0o700
