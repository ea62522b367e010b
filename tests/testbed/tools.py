"""Helpers for tests that drive the testbed with the real CLIs (kubectl, flux, git, kubeseal, sops).

Everything is read from machine output (``-o json``, ``git ls-remote``), never from human text.
Waits poll with a deadline and, on timeout, say what they waited for, the last state seen and
the relevant controllers' log tails (the host processes' logs are the only place those are:
``kubectl logs``/``flux logs`` must not be used against the testbed, see cluster.py).
"""
from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path
from typing import Any, Callable

GIT_IDENTITY = {"GIT_AUTHOR_NAME": "Testbed", "GIT_AUTHOR_EMAIL": "testbed@example.invalid",
                "GIT_COMMITTER_NAME": "Testbed", "GIT_COMMITTER_EMAIL": "testbed@example.invalid"}


class CommandFailed(AssertionError):
    pass


def run(cmd: list[str], env: dict[str, str], *, input: str | None = None, cwd: Path | None = None,
        timeout: float = 300, check: bool = True) -> subprocess.CompletedProcess:
    r = subprocess.run(cmd, env=env, input=input, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    if check and r.returncode != 0:
        raise CommandFailed(f"`{' '.join(cmd)}` exited {r.returncode}\n--- stdout ---\n{r.stdout[-4000:]}"
                            f"\n--- stderr ---\n{r.stderr[-4000:]}")
    return r


def kubectl_json(env: dict[str, str], *args: str, check: bool = True) -> dict[str, Any] | None:
    """``kubectl <args> -o json`` parsed; None when not found and check=False."""
    r = run(["kubectl", *args, "-o", "json"], env, check=False)
    if r.returncode != 0:
        if check:
            raise CommandFailed(f"kubectl {' '.join(args)}: {r.stderr.strip()}")
        return None
    return json.loads(r.stdout)


def condition(obj: dict | None, ctype: str) -> dict | None:
    for c in ((obj or {}).get("status") or {}).get("conditions") or []:
        if c.get("type") == ctype:
            return c
    return None


def wait_until(what: str, fn: Callable[[], Any], *, timeout: float = 120, interval: float = 1.0,
               state: Callable[[], Any] | None = None, logs: Callable[[], str] | None = None) -> Any:
    """Poll ``fn`` until it returns something truthy; on timeout fail with context."""
    deadline = time.monotonic() + timeout
    last_exc: Exception | None = None
    while True:
        try:
            value = fn()
            if value:
                return value
        except Exception as e:  # noqa: BLE001 - report the last one on timeout
            last_exc = e
        if time.monotonic() > deadline:
            parts = [f"timed out after {timeout:.0f}s waiting for {what}"]
            if last_exc:
                parts.append(f"last error: {last_exc}")
            if state:
                try:
                    parts.append("last state:\n" + json.dumps(state(), indent=1, default=str)[-6000:])
                except Exception as e:  # noqa: BLE001
                    parts.append(f"(could not read state: {e})")
            if logs:
                parts.append(logs())
            raise AssertionError("\n".join(parts))
        time.sleep(interval)


class GitWorkdir:
    """A clone of a repo on the testbed's git server, for committing and pushing test content."""

    def __init__(self, url: str, path: Path, env: dict[str, str]):
        self.url, self.path = url, path
        self.env = {**env, **GIT_IDENTITY}

    def git(self, *args: str) -> str:
        return run(["git", "-C", str(self.path), *args], self.env).stdout

    def clone(self) -> "GitWorkdir":
        run(["git", "clone", "--quiet", self.url, str(self.path)], self.env)
        return self

    def pull(self) -> None:
        self.git("pull", "--quiet", "--ff-only", "origin", "main")

    def write(self, rel: str, text: str) -> Path:
        p = self.path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
        return p

    def commit_push(self, message: str) -> str:
        """Commit everything, push to main, return the pushed commit as seen by the server."""
        self.git("add", "-A")
        self.git("commit", "--quiet", "-m", message)
        self.git("push", "--quiet", "origin", "HEAD:main")
        return remote_head(self.url, self.env)


def remote_head(url: str, env: dict[str, str], ref: str = "refs/heads/main") -> str:
    """The commit ``ref`` points at on the server, from ``git ls-remote``."""
    out = run(["git", "ls-remote", url, ref], env).stdout.split()
    if not out:
        raise AssertionError(f"{url} has no {ref}")
    return out[0]
