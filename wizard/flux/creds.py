"""Git provider credentials for `flux bootstrap` (item 3.1).

Tokens come only from the environment (or a no-echo prompt held in memory by the front end,
`session.prompted_tokens`); they reach git and flux only through the environment, are
registered with the redactor before any command runs, and are never stored or logged.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from ..checklist import Question
from ..session import Blocked, NeedsAnswers, UsageError

TOKEN_ENV = {"github": "GITHUB_TOKEN", "gitea": "GITEA_TOKEN", "git": "GIT_PASSWORD"}
# What the token must be allowed to do, per provider (shown where a token is asked for).
TOKEN_HELP = {"github": "It needs the repo scope (classic) or Contents+Administration read/write.",
              "gitea": "It needs read:misc and write:repository.",
              "git": "It is the password or access token of the git server's account."}
# The helper reads the credential from our own environment variables, never from argv or a file.
_HELPER = ('!f() { test "$1" = get || exit 0; echo "username=$HOMELAB_WIZARD_GIT_USER"; '
           'echo "password=$HOMELAB_WIZARD_GIT_TOKEN"; }; f')
LOOPBACK = ("127.0.0.1", "localhost", "::1", "[::1]")


@dataclass
class RepoRef:
    """Where the repository lives, as parsed from a URL."""

    scheme: str  # https | http | ssh
    host: str
    owner: str
    repository: str
    url: str

    @property
    def key(self) -> str:
        """Scheme-independent identity, to compare bootstrap's sync URL with ours."""
        return f"{self.host.split(':')[0].lower()}/{self.owner}/{self.repository}".lower()


def parse_url(url: str) -> RepoRef:
    url = url.strip()
    m = re.match(r"^(?:[\w.-]+@)?([\w.-]+):(?!//)(.+)$", url)  # scp-like git@host:owner/repo.git
    if m and "://" not in url:
        host, path, scheme = m[1], m[2], "ssh"
    else:
        parts = urlsplit(url)
        if parts.scheme not in ("https", "http", "ssh"):
            raise UsageError(f"git-url={url!r} is not an https://, http:// or ssh:// URL of a git repository.")
        host, path, scheme = parts.hostname or "", parts.path, parts.scheme
        if parts.port:
            host = f"{host}:{parts.port}"
        if parts.username or parts.password:
            if parts.password:
                raise UsageError("the git URL carries a password or token; remove it from the URL and pass the token "
                                 "through the environment (GITHUB_TOKEN, GITEA_TOKEN or GIT_PASSWORD) instead.")
    segs = [s for s in path.strip("/").split("/") if s]
    repo = segs[-1][:-4] if segs and segs[-1].endswith(".git") else (segs[-1] if segs else "")
    owner = "/".join(segs[:-1])
    return RepoRef(scheme, host, owner, repo, url)


def token_for(session, provider: str) -> tuple[str | None, str]:
    """(token, where it came from) — the value is never put in evidence, only the variable name."""
    var = TOKEN_ENV[provider]
    prompted = getattr(session, "prompted_tokens", None) or {}
    if prompted.get(var):
        return prompted[var], f"typed at the no-echo prompt ({var})"
    env = session.runner.base_env if session.runner.base_env is not None else os.environ
    value = env.get(var)
    return (value, f"environment variable {var}") if value else (None, var)


@dataclass
class Credential:
    provider: str  # github | gitea | git
    auth: str  # token | ssh
    repo: RepoRef
    username: str
    token: str | None
    source: str
    ssh_key: str | None = None

    @property
    def http_url(self) -> str:
        """The URL git and flux talk to."""
        if self.provider in ("github", "gitea"):
            return f"https://{self.repo.host}/{self.repo.owner}/{self.repo.repository}.git"
        return self.repo.url

    def git_args(self) -> list[str]:
        """`git -c …` options: an empty helper list first (no user helper answers instead), then ours."""
        if self.auth == "ssh":
            return []
        return ["-c", "credential.helper=", "-c", f"credential.helper={_HELPER}"]

    def git_env(self) -> tuple[dict[str, str], dict[str, str]]:
        """(plain env, secret env) for git."""
        if self.auth == "ssh":
            key = self.ssh_key or ""
            return {"GIT_SSH_COMMAND": f"ssh -i {key} -o IdentitiesOnly=yes -o BatchMode=yes"}, {}
        return {"HOMELAB_WIZARD_GIT_USER": self.username}, {"HOMELAB_WIZARD_GIT_TOKEN": self.token or ""}

    def flux_secret_env(self) -> dict[str, str]:
        if self.auth == "ssh" or not self.token:
            return {}
        return {TOKEN_ENV[self.provider]: self.token}

    def describe(self) -> str:
        how = f"deploy key {self.ssh_key}" if self.auth == "ssh" else f"token from {self.source}"
        return f"{self.provider} {self.http_url} ({how})"


def default_remote_url(session) -> str | None:
    remote = session.answers.get("remote", "origin")
    res = session.git.run("remote", "get-url", remote, ok_codes=(0, 2, 128), timeout=10)
    return res.stdout.strip() if res.exit_code == 0 else None


def infer_provider(url: str) -> str:
    host = parse_url(url).host.lower()
    return "github" if host in ("github.com", "www.github.com") else "git"


def resolve(session, *, need_token: bool = True) -> Credential:
    """The credential the answers describe; Blocked with what to do when something is missing."""
    a = session.answers
    url = a.get("git-url") or default_remote_url(session)
    if not url:
        raise NeedsAnswers("there is no git URL to bootstrap from: answer git-url=<https or ssh URL of the "
                           "repository>, or add a remote (git remote add origin <url>)",
                           [Question("git-url", "The https or ssh URL of the repository Flux syncs from")])
    provider = a.get("provider") or infer_provider(url)
    if provider not in TOKEN_ENV:
        raise UsageError(f"provider={provider!r} is not one of: github, gitea, git")
    ref = _repo_ref(a, provider, url)
    auth = _git_auth(a, ref, url) if provider == "git" else "token"
    if auth == "ssh":
        return _ssh_credential(a, provider, ref)
    token, source = token_for(session, provider)
    if token is None and need_token:
        raise Blocked(f"no token: export {source}=<token> in the shell that runs the wizard, or run this item in a "
                      "terminal (or the TUI) to type it at a no-echo prompt. It is passed to git and flux through "
                      "the environment only, and never stored. " + TOKEN_HELP[provider])
    username = a.get("git-username") or ("git" if provider == "github" else (ref.owner.split("/")[0] if provider == "gitea" else "git"))
    return Credential(provider, "token", ref, username, token, source)


def _repo_ref(a, provider: str, url: str) -> RepoRef:
    """The repository the URL names, with the owner/repository/hostname answers taking precedence."""
    ref = parse_url(url)
    if a.get("owner"):
        ref.owner = a["owner"]
    if a.get("repository"):
        ref.repository = a["repository"]
    if provider == "gitea" and a.get("hostname"):
        ref.host = a["hostname"]
    if provider in ("github", "gitea") and not (ref.owner and ref.repository):
        raise NeedsAnswers(f"cannot tell owner and repository from {url!r}; answer owner=<user or org> "
                           "and answer repository=<name>",
                           [Question("owner", f"The user or organisation that owns the repository on {provider}"),
                            Question("repository", "The repository's name")])
    return ref


def _git_auth(a, ref: RepoRef, url: str) -> str:
    """token or ssh for a plain git server; refuses combinations that cannot work or would leak the token."""
    auth = a.get("git-auth") or ("ssh" if ref.scheme == "ssh" else "token")
    if auth not in ("token", "ssh"):
        raise UsageError(f"git-auth={auth!r} is not one of: token, ssh")
    if auth == "token" and ref.scheme == "ssh":
        raise UsageError(f"{url} is an ssh URL; token auth needs the https URL (answer git-url=https://…), or use "
                         "answer git-auth=ssh with a deploy key.")
    if ref.scheme == "http" and ref.host.split(":")[0] not in LOOPBACK and a.get("allow-insecure-http") != "true":
        raise NeedsAnswers(f"{url} is plain http: the token would cross the network unencrypted. Use https, or "
                           "answer allow-insecure-http=true if this really is a trusted network",
                           [Question("allow-insecure-http", f"Send the token in plain http to {ref.host}?",
                                     [("true", "yes: this network is trusted"), ("false", "no")], default="false")])
    return auth


def _ssh_credential(a, provider: str, ref: RepoRef) -> Credential:
    key = a.get("ssh-key-file")
    if not key:
        raise NeedsAnswers("ssh auth needs a deploy key: answer ssh-key-file=<path of the private key> whose public "
                           "half is a deploy key with write access on the repository",
                           [Question("ssh-key-file", "The private key file of a deploy key with write access")])
    key = str(Path(key).expanduser())
    if not Path(key).is_file():
        raise Blocked(f"the deploy key {key} does not exist; create one (ssh-keygen -t ed25519 -f {key}) and add "
                      f"{key}.pub as a deploy key with write access.")
    return Credential(provider, "ssh", ref, a.get("git-username", "git"), None, f"deploy key {key}", key)


def ls_remote(session, cred: Credential, ref: str | None = None, timeout: float = 60):
    """`git ls-remote` with exactly the credential flux will use."""
    env, secret = cred.git_env()
    args = ["git", *cred.git_args(), "ls-remote", cred.http_url if cred.auth == "token" else cred.repo.url]
    if ref:
        args.append(ref)
    return session.runner.run(args, env=env, secret_env=secret, timeout=timeout, ok_codes=tuple(range(0, 256)))


def remote_head(session, cred: Credential, branch: str) -> str | None:
    res = ls_remote(session, cred, f"refs/heads/{branch}")
    if res.exit_code != 0:
        raise Blocked(f"git ls-remote {cred.http_url} failed (exit {res.exit_code}): "
                      f"{(res.stderr.strip().splitlines() or ['?'])[-1]}")
    for line in res.stdout.splitlines():
        sha, _, name = line.partition("\t")
        if name.strip() == f"refs/heads/{branch}":
            return sha.strip()
    return None
