"""Phase 3 without a cluster: URLs, credentials, the bootstrap command and its preview, and the
token's path to flux (a fake `flux`/git provider at the process boundary only)."""
from __future__ import annotations

import json
import os
import stat
import subprocess
from types import SimpleNamespace

import pytest

from wizard.flux import creds
from wizard.phases.bootstrap.common import IMAGE_COMPONENTS
from wizard.phases.bootstrap.run import bootstrap_argv, preview
from wizard.runner import Runner
from wizard.session import Blocked, UsageError

TOKEN = "ghp_" + "Zq7" * 12  # token-shaped, assembled at run time


def fake_session(answers: dict, env: dict | None = None):
    runner = Runner(audit_log=None, base_env={"PATH": os.environ["PATH"], **(env or {})})
    flux = SimpleNamespace(prefix=lambda: ["flux", "--kubeconfig", "/k", "--context", "home"])
    return SimpleNamespace(answers={"branch": "main", "cluster": "homelab", **answers}, runner=runner, flux=flux,
                           git=SimpleNamespace(run=lambda *a, **k: SimpleNamespace(exit_code=2, stdout="")))


@pytest.mark.parametrize("url,host,owner,repo,scheme", [
    ("https://github.com/pesuga/homelab.git", "github.com", "pesuga", "homelab", "https"),
    ("git@github.com:pesuga/homelab.git", "github.com", "pesuga", "homelab", "ssh"),
    ("ssh://git@gitea.lan:2222/me/lab", "gitea.lan:2222", "me", "lab", "ssh"),
    ("http://127.0.0.1:8080/homelab.git", "127.0.0.1:8080", "", "homelab", "http"),
])
def test_parse_url(url, host, owner, repo, scheme):
    r = creds.parse_url(url)
    assert (r.host, r.owner, r.repository, r.scheme) == (host, owner, repo, scheme)


def test_same_repo_whatever_the_scheme():
    assert creds.parse_url("ssh://git@github.com/pesuga/homelab").key == \
        creds.parse_url("https://github.com/pesuga/homelab.git").key


def test_a_token_in_the_url_is_refused():
    with pytest.raises(UsageError, match="through the environment"):
        creds.parse_url("https://me:" + TOKEN + "@github.com/me/lab.git")


def test_github_token_comes_from_the_environment_only():
    s = fake_session({"git-url": "https://github.com/pesuga/homelab.git"})
    with pytest.raises(Blocked, match="export GITHUB_TOKEN="):
        creds.resolve(s)
    c = creds.resolve(fake_session({"git-url": "https://github.com/pesuga/homelab.git"}, {"GITHUB_TOKEN": TOKEN}))
    assert c.provider == "github" and c.token == TOKEN and c.source == "environment variable GITHUB_TOKEN"
    assert c.flux_secret_env() == {"GITHUB_TOKEN": TOKEN}


def test_plain_http_to_a_remote_host_is_blocked():
    s = fake_session({"git-url": "http://git.example.invalid/me/lab.git", "provider": "git"}, {"GIT_PASSWORD": "x"})
    with pytest.raises(Blocked, match="unencrypted"):
        creds.resolve(s)


def test_ssh_needs_an_existing_deploy_key(tmp_path):
    s = fake_session({"git-url": "ssh://git@gitea.lan/me/lab.git", "provider": "git", "ssh-key-file": str(tmp_path / "k")})
    with pytest.raises(Blocked, match="does not exist"):
        creds.resolve(s)
    (tmp_path / "k").write_text("key")
    c = creds.resolve(s)
    argv = bootstrap_argv(s, c)
    assert f"--private-key-file={tmp_path / 'k'}" in argv and "--token-auth" not in argv


def test_fake_github_command_from_the_answers():
    s = fake_session({"git-url": "https://github.com/pesuga/homelab.git", "personal": "true", "private": "false",
                      "image-automation": "true", "network-policy": "false"}, {"GITHUB_TOKEN": TOKEN})
    c = creds.resolve(s)
    argv = bootstrap_argv(s, c)
    assert argv[:5] == ["flux", "--kubeconfig", "/k", "--context", "home"]
    assert argv[5:7] == ["bootstrap", "github"]
    for flag in ("--owner=pesuga", "--repository=homelab", "--branch=main", "--path=clusters/homelab",
                 "--personal=true", "--private=false", f"--components-extra={IMAGE_COMPONENTS}", "--network-policy=false"):
        assert flag in argv
    assert not any("hostname" in a for a in argv)
    shown = preview(argv, c)
    assert shown.startswith("GITHUB_TOKEN=<hidden, from environment variable GITHUB_TOKEN> flux ")
    assert TOKEN not in shown and TOKEN not in " ".join(argv)


def test_fake_gitea_command_has_the_hostname():
    s = fake_session({"git-url": "https://gitea.lan/me/lab.git", "provider": "gitea"}, {"GITEA_TOKEN": TOKEN})
    argv = bootstrap_argv(s, creds.resolve(s))
    assert argv[5:7] == ["bootstrap", "gitea"] and "--hostname=gitea.lan" in argv and "--owner=me" in argv


def test_plain_git_over_loopback_http_uses_token_auth():
    s = fake_session({"git-url": "http://127.0.0.1:9/lab.git", "provider": "git"}, {"GIT_PASSWORD": TOKEN})
    argv = bootstrap_argv(s, creds.resolve(s))
    assert {"--allow-insecure-http", "--token-auth", "--username=git", "--silent"} <= set(argv)


def test_fake_github_token_reaches_flux_through_the_environment_only(tmp_path):
    """A fake `flux` records its argv and whether GITHUB_TOKEN arrived; the audit log stays clean."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "flux"
    fake.write_text("#!/bin/sh\nprintf '%s\\n' \"$@\" > \"$RECORD.argv\"\n"
                    "test -n \"$GITHUB_TOKEN\" && printf '%s' \"$GITHUB_TOKEN\" > \"$RECORD.env\"\n"
                    "echo \"► connecting to github.com with $GITHUB_TOKEN\"\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    audit = tmp_path / "audit.jsonl"
    record = tmp_path / "rec"
    s = fake_session({"git-url": "https://github.com/pesuga/homelab.git"}, {"GITHUB_TOKEN": TOKEN})
    c = creds.resolve(s)
    runner = Runner(audit_log=audit, base_env={"PATH": f"{bin_dir}:{os.environ['PATH']}", "RECORD": str(record),
                                               "HOMELAB_WIZARD_PATH_ONLY": "0"})
    lines = []
    runner.run(bootstrap_argv(s, c), secret_env=c.flux_secret_env(), on_line=lines.append)
    assert (tmp_path / "rec.env").read_text() == TOKEN  # it arrived, via the environment
    assert TOKEN not in (tmp_path / "rec.argv").read_text()
    assert lines and TOKEN not in "\n".join(lines)  # streamed output is redacted
    assert TOKEN not in audit.read_text() and json.loads(audit.read_text().splitlines()[-1])["status"] == "ok"


def test_git_credential_helper_reads_the_token_from_the_environment(tmp_path):
    c = creds.Credential("git", "token", creds.parse_url("https://git.lan/me/lab.git"), "me", TOKEN, "env")
    env, secret = c.git_env()
    out = subprocess.run(["git", *c.git_args(), "credential", "fill"], input="protocol=https\nhost=git.lan\n\n",
                         capture_output=True, text=True, env={**os.environ, **env, **secret, "GIT_TERMINAL_PROMPT": "0"},
                         cwd=tmp_path, check=True).stdout
    assert "username=me" in out and f"password={TOKEN}" in out
    assert TOKEN not in " ".join(c.git_args())
