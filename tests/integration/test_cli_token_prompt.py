"""3.1 bootstrap.credentials from the headless CLI when the token is not in the environment.

On a terminal the CLI asks with getpass (no echo); without one it keeps its clear "export
GIT_PASSWORD=…" error; a token is never taken by --set. The git server is real: git's own
git-http-backend behind the testbed's CGI bridge (tests/testbed/gitserver.py), run in-process on
127.0.0.1 and answering only requests whose Basic auth carries the expected password, so a
passing 3.1 proves the typed token reached git (through the environment and the credential
helper). No cluster is used: 1.0/1.2 are skipped with a reason and the pinned-cluster guard is
stubbed, as in test_integrate_image_automation.py.

The tests named `fake_tty` run the CLI in-process and fake the terminal: sys.stdin.isatty()
answers True and getpass.getpass (or questionary.password for --plain) returns the canary.
"""
from __future__ import annotations

import base64
import getpass
import subprocess
import sys
import threading
from contextlib import contextmanager
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.helpers import cli_env, git, make_repo, run_cli
from tests.testbed.gitserver import GitHandler
from wizard.cli import main
from wizard.flux.creds import TOKEN_ENV
from wizard.session import Session

CANARY = "canary-cli-" + "Vb3" * 6  # not credential-shaped: only the wizard's own registration masks it


class _PasswordHandler(GitHandler):
    """git-http-backend, but only for requests whose Basic auth is user:password."""

    user = "git"
    password = ""
    seen: list[str] = []

    def _cgi(self) -> None:
        want = "Basic " + base64.b64encode(f"{self.user}:{self.password}".encode()).decode()
        if self.headers.get("Authorization") != want:
            self.seen.append("anonymous" if "Authorization" not in self.headers else "wrong password")
            self._reply(401, [("WWW-Authenticate", 'Basic realm="homelab"'), ("Content-Type", "text/plain")],
                        b"authentication required\n")
            return
        self.seen.append("authenticated")
        super()._cgi()

    def log_message(self, fmt: str, *args) -> None:
        pass


@contextmanager
def password_git_server(root: Path, password: str):
    """Serve the bare repositories under `root` at http://127.0.0.1:PORT/<name>.git; yields (base URL, seen)."""
    handler = type("Handler", (_PasswordHandler,), {"root": str(root), "password": password, "seen": [],
                                                     "protocol_version": "HTTP/1.1"})
    srv = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    srv.daemon_threads = True
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{srv.server_address[1]}", handler.seen
    finally:
        srv.shutdown()
        srv.server_close()


def bare_copy(repo: Path, root: Path, name: str = "lab.git") -> Path:
    """A bare clone of `repo` under `root` (what the server serves)."""
    root.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "clone", "-q", "--bare", str(repo), str(root / name)], check=True, capture_output=True)
    return root / name


@pytest.fixture
def no_token_env(monkeypatch, tmp_path):
    for var in TOKEN_ENV.values():
        monkeypatch.delenv(var, raising=False)
    monkeypatch.delenv("HOMELAB_WIZARD_NONINTERACTIVE", raising=False)
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "no-such-kubeconfig"))
    monkeypatch.setenv("HOMELAB_WIZARD_DATA", str(tmp_path / "data"))


@pytest.fixture
def lab(tmp_path, no_token_env, monkeypatch):
    """(repo, URL of its password-protected copy, the server's auth log), 1.0 and 1.2 skipped."""
    repo = make_repo(tmp_path / "repo")
    bare_copy(repo, tmp_path / "srv")
    for item in ("prep.preflight", "prep.backup"):
        assert main(["--repo", str(repo), "skip", item, "--reason", "no cluster in this test"]) == 0
    monkeypatch.setattr(Session, "ensure_same_cluster", lambda self: None)
    with password_git_server(tmp_path / "srv", CANARY) as (base, seen):
        yield repo, f"{base}/lab.git", seen


class FakeTTY:
    """stdin as a terminal would answer isatty(); nothing is read from it (getpass is faked too)."""

    def isatty(self) -> bool:
        return True

    def readline(self):  # pragma: no cover - a prompt that was not faked would end up here
        raise AssertionError("stdin was read: a prompt was not faked")

    read = readline


def stored_files(repo: Path) -> str:
    return "\n".join(f.read_text(errors="replace") for f in (repo / ".git/homelab-wizard").iterdir() if f.is_file())


def run_credentials(repo: Path, url: str, *extra: str) -> int:
    return main(["--repo", str(repo), *extra, "run", "bootstrap.credentials", "--set", "provider=git",
                 "--set", f"git-url={url}", "--yes"])


def test_fake_tty_getpass_asks_for_the_missing_token_and_3_1_passes_with_it(lab, monkeypatch, capsys):
    repo, url, seen = lab
    prompts: list[str] = []
    monkeypatch.setattr(sys, "stdin", FakeTTY())
    monkeypatch.setattr(getpass, "getpass", lambda prompt="": prompts.append(prompt) or CANARY)
    capsys.readouterr()

    rc = run_credentials(repo, url)
    out = capsys.readouterr()
    assert rc == 0, out.err
    assert prompts == ["GIT_PASSWORD (input hidden): "]
    assert "GIT_PASSWORD is not set in the environment" in out.err and "never stored" in out.err
    assert "typed at the no-echo prompt (GIT_PASSWORD)" in out.out  # the preview names where it came from
    assert "git ls-remote works with it" in out.out
    assert "authenticated" in seen  # the server got exactly the typed password
    assert CANARY not in out.out + out.err
    blob = stored_files(repo)
    assert '"bootstrap.credentials"' in blob and CANARY not in blob  # state, backup and audit log
    assert base64.b64encode(CANARY.encode()).decode() not in blob


def test_fake_tty_plain_asks_with_questionary_password(lab, monkeypatch, capsys):
    import questionary

    repo, url, seen = lab
    asked: list[str] = []

    class Answer:
        def unsafe_ask(self):
            return CANARY

    monkeypatch.setattr(sys, "stdin", FakeTTY())
    monkeypatch.setattr(questionary, "password", lambda message, **kw: asked.append(message) or Answer())

    class Token:  # 3.1 asks how to authenticate to a plain git server: a token (the default offered)
        def unsafe_ask(self):
            return "token"

    monkeypatch.setattr(questionary, "select", lambda message, **kw: Token())
    monkeypatch.setattr(getpass, "getpass", lambda prompt="": pytest.fail("--plain asks with questionary"))
    assert run_credentials(repo, url, "--plain") == 0, capsys.readouterr().err
    assert asked and asked[0].startswith("GIT_PASSWORD") and "authenticated" in seen
    out = capsys.readouterr()
    assert CANARY not in out.out + out.err + stored_files(repo)


def test_fake_tty_a_token_in_the_environment_is_used_without_asking(lab, monkeypatch, capsys):
    repo, url, seen = lab
    monkeypatch.setattr(sys, "stdin", FakeTTY())
    monkeypatch.setattr(getpass, "getpass", lambda prompt="": pytest.fail("asked although GIT_PASSWORD is set"))
    monkeypatch.setenv("GIT_PASSWORD", CANARY)
    assert run_credentials(repo, url) == 0, capsys.readouterr().err
    assert "environment variable GIT_PASSWORD" in capsys.readouterr().out and "authenticated" in seen


def test_without_a_terminal_the_error_names_the_variable_and_nothing_is_asked(lab, tmp_path):
    repo, url, seen = lab
    env = cli_env(HOMELAB_WIZARD_DATA=str(tmp_path / "data"), KUBECONFIG=str(tmp_path / "no-such-kubeconfig"))
    for var in TOKEN_ENV.values():
        env.pop(var, None)
    res = run_cli("--repo", str(repo), "run", "bootstrap.credentials", "--set", "provider=git", "--set",
                  f"git-url={url}", "--yes", env=env)
    assert res.returncode == 3, res.stderr
    assert "no token: export GIT_PASSWORD=<token>" in res.stderr and "input hidden" not in res.stderr
    assert seen == []  # git was never even tried without a credential


@pytest.mark.parametrize("key", ["GIT_PASSWORD", "github_token", "token", "git-password"])
def test_a_token_is_never_taken_by_set(tmp_path, no_token_env, key):
    repo = make_repo(tmp_path / "repo")
    res = run_cli("--repo", str(repo), "run", "bootstrap.credentials", "--set", "provider=git",
                  "--set", f"{key}={CANARY}", "--yes", env=cli_env())
    assert res.returncode == 2
    assert f"--set {key}=… is refused" in res.stderr and "no-echo prompt" in res.stderr
    assert CANARY not in res.stdout + res.stderr
    state_dir = repo / ".git/homelab-wizard"
    assert not state_dir.exists() or CANARY not in stored_files(repo)
    assert git(repo, "status", "--porcelain") == ""


def test_fake_tty_a_wrong_token_fails_3_1_and_is_masked_too(lab, monkeypatch, capsys):
    repo, url, seen = lab
    wrong = "wrong-typed-" + "Kp4" * 6
    monkeypatch.setattr(sys, "stdin", FakeTTY())
    monkeypatch.setattr(getpass, "getpass", lambda prompt="": wrong)
    assert run_credentials(repo, url) == 1
    out = capsys.readouterr()
    assert "wrong password" in seen and "authenticated" not in seen  # the server really checks
    assert "git ls-remote" in out.out and "failed" in out.out
    assert wrong not in out.out + out.err + stored_files(repo)
