"""The no-echo token prompt's core: a typed token is masked at once, held in memory only, and used
by the credential; the front ends are told when to ask. Real Session, real runner, real printf."""
from __future__ import annotations

import base64
import json

import pytest

from tests.helpers import make_repo
from wizard.engine import Engine
from wizard.flux import creds
from wizard.flux.prompt import is_secret_answer_key, remember_prompted_token, token_needed
from wizard.session import Session, UsageError

# Not credential-shaped (no ghp_ prefix…): only the registration can mask it.
CANARY = "canary-typed-" + "Qx7" * 6


@pytest.fixture
def session(tmp_path, monkeypatch):
    for var in creds.TOKEN_ENV.values():
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "no-such-kubeconfig"))
    monkeypatch.setenv("HOMELAB_WIZARD_DATA", str(tmp_path / "data"))
    s = Session.open(make_repo(tmp_path / "repo"))
    s.store.acquire("test")
    s.store.load()
    yield s
    s.store.release()


def answer_git_over_loopback_http(session) -> None:
    session.answers.update({"provider": "git", "git-url": "http://127.0.0.1:9/lab.git", "branch": "main"})


def test_a_typed_token_is_masked_in_output_and_the_audit_log_and_kept_in_memory_only(session):
    remember_prompted_token(session, "GIT_PASSWORD", f"  {CANARY}\n")  # a paste's surrounding blanks are dropped
    assert session.prompted_tokens == {"GIT_PASSWORD": CANARY}
    assert CANARY not in repr(session)

    b64 = base64.b64encode(CANARY.encode()).decode()
    res = session.runner.run(["printf", "%s|%s|%s", CANARY, b64, "after"])
    lines = []
    session.runner.run(["sh", "-c", 'printf "streamed %s\\n" "$1" >&2; printf "%s\\n" "$1"', "sh", CANARY],
                       on_line=lines.append)
    assert res.shown_stdout == "***|***|after" and res.stdout == f"{CANARY}|{b64}|after"  # shown vs data
    assert res.command == "printf %s|%s|%s *** *** after"
    assert CANARY not in "\n".join(lines) and "streamed ***" in "\n".join(lines)

    session.answers["provider"] = "git"
    session.store.save()
    audit = session.runner.audit_log.read_text()
    assert len(audit.splitlines()) == 2 and CANARY not in audit and b64 not in audit
    assert [json.loads(line)["argv"][3] for line in audit.splitlines()] == ["***", "sh"]
    for f in session.store.dir.iterdir():  # state.json, its .bak, the lock, the audit log
        if f.is_file():
            assert CANARY not in f.read_text(errors="replace"), f.name


def test_the_credential_uses_the_typed_token_and_says_where_it_came_from(session):
    answer_git_over_loopback_http(session)
    with pytest.raises(creds.Blocked, match="export GIT_PASSWORD=.*no-echo prompt"):
        creds.resolve(session)
    remember_prompted_token(session, "GIT_PASSWORD", CANARY)
    cred = creds.resolve(session)
    assert cred.token == CANARY and cred.source == "typed at the no-echo prompt (GIT_PASSWORD)"
    assert cred.git_env()[1] == {"HOMELAB_WIZARD_GIT_TOKEN": CANARY}  # to git through the environment
    assert CANARY not in cred.describe()


@pytest.mark.parametrize("var,value,why", [
    ("AWS_SECRET", CANARY, "not a secret the wizard asks for"),
    ("GITHUB_TOKEN", "   ", "no GITHUB_TOKEN was typed"),
    ("GITHUB_TOKEN", CANARY + "\nx", "control character"),
    ("GIT_PASSWORD", "abc", "too short"),
])
def test_unusable_values_are_refused_and_nothing_is_kept(session, var, value, why):
    with pytest.raises(UsageError, match=why) as e:
        remember_prompted_token(session, var, value)
    assert session.prompted_tokens == {}
    assert value.strip() not in str(e.value) or not value.strip()


def test_token_needed_tells_the_front_ends_when_to_ask(session, monkeypatch):
    engine = Engine(session)
    answer_git_over_loopback_http(session)
    # Prerequisites first: "needs 1.0 first" beats asking for a token.
    assert token_needed(session, "bootstrap.credentials") is None
    engine.skip("prep.preflight", "no cluster in this test")
    engine.skip("prep.backup", "no cluster in this test")
    assert token_needed(session, "bootstrap.credentials") == "GIT_PASSWORD"
    assert token_needed(session, "3.1") == "GIT_PASSWORD"  # by the plan's number too
    assert token_needed(session, "prep.structure") is None  # does not use the credential
    assert token_needed(session, "prep.not-in-the-catalog") is None
    assert token_needed(session) == "GIT_PASSWORD"

    session.answers["provider"] = "github"
    session.answers["git-url"] = "https://github.com/me/lab.git"
    assert token_needed(session, "bootstrap.credentials") == "GITHUB_TOKEN"
    monkeypatch.setenv("GITHUB_TOKEN", CANARY)  # in the environment: nothing to ask
    assert token_needed(session, "bootstrap.credentials") is None
    monkeypatch.delenv("GITHUB_TOKEN")

    session.answers.update({"provider": "git", "git-url": "ssh://git@git.example.invalid/me/lab.git"})
    assert token_needed(session, "bootstrap.credentials") is None  # ssh: a deploy key, no token
    session.answers["git-url"] = "ftp://example.invalid/lab.git"
    assert token_needed(session, "bootstrap.credentials") is None  # the preview explains the bad URL

    answer_git_over_loopback_http(session)
    remember_prompted_token(session, "GIT_PASSWORD", CANARY)
    assert token_needed(session, "bootstrap.credentials") is None  # typed once, asked once


@pytest.mark.parametrize("key,secret", [
    ("GITHUB_TOKEN", True), ("github_token", True), ("gitea-token", True), ("GIT_PASSWORD", True),
    ("token", True), ("password", True), ("git-password", True),
    ("secrets", False), ("secrets-ignore", False), ("git-url", False), ("provider", False), ("git-username", False),
])
def test_secret_answer_keys(key, secret):
    assert is_secret_answer_key(key) is secret
