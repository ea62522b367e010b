"""A block that waits for an answer names it as a declared Question (issue 12), so the TUI's form,
--plain and --set can all give it; the user is never told to use a flag the front end lacks."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from wizard.flux import creds
from wizard.session import NeedsAnswers


def session_with(answers: dict):
    return SimpleNamespace(answers=answers)


@pytest.mark.parametrize("answers, url, keys", [
    ({"provider": "gitea", "git-auth": "token"}, "https://git.example.org/", ["owner", "repository"]),
    ({"provider": "git", "git-auth": "ssh"}, "ssh://git@git.example.org/homelab.git", ["ssh-key-file"]),
    ({"provider": "git"}, "http://git.example.org/homelab.git", ["allow-insecure-http"]),
])
def test_git_credentials_ask_what_they_miss(monkeypatch, answers, url, keys):
    monkeypatch.setattr(creds, "default_remote_url", lambda session: url)
    monkeypatch.setattr(creds, "token_for", lambda session, provider: ("t0ken-not-used", "env"))
    with pytest.raises(NeedsAnswers) as e:
        creds.resolve(session_with(answers))
    assert [q.key for q in e.value.questions] == keys
    assert all(f"answer {k}=" in str(e.value) for k in keys)


def test_no_git_url_is_a_question(monkeypatch):
    monkeypatch.setattr(creds, "default_remote_url", lambda session: None)
    with pytest.raises(NeedsAnswers) as e:
        creds.resolve(session_with({}))
    assert [q.key for q in e.value.questions] == ["git-url"]


def test_a_missing_kubeconfig_file_is_named_as_such(tmp_path, monkeypatch):
    """Issue 15 (point 5): not "no kubeconfig context is selected" when there is no kubeconfig at all."""
    from wizard.session import Blocked, Session
    from tests.helpers import make_repo

    missing = tmp_path / "nowhere" / "config"
    monkeypatch.setenv("KUBECONFIG", str(missing))
    monkeypatch.setenv("HOMELAB_WIZARD_DATA", str(tmp_path / "data"))
    s = Session.open(make_repo(tmp_path / "repo"))
    with pytest.raises(Blocked, match=f"there is no kubeconfig file at {missing}"):
        s.live_identity()
    empty = tmp_path / "empty-config"
    empty.write_text("apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n")
    monkeypatch.setenv("KUBECONFIG", str(empty))
    s = Session.open(make_repo(tmp_path / "repo2"))
    with pytest.raises(Blocked, match="selects no context"):
        s.live_identity()
