"""One real repo, live: laid out as its owner's git repo on the testbed's git server, applied by hand
(tests/live/owner_apply.py), then taken by following Next (tests/live/follow_next.py) through Phase 4
and verified twice, the second time from a new process with no token in the environment.

Used by tests/live/test_live_corpus.py and by `make live-corpus` (python -m tests.live), which
prints one row per repo: items passed, answers given, seconds.
"""
from __future__ import annotations

import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.corpus.driver import CORPUS, NOT_THE_OWNERS
from tests.helpers import GIT_ENV, git
from tests.live.addons import add_dns_addon
from tests.live.follow_next import Journey, cli, follow_next, not_green, status
from tests.live.nodes import add_owner_nodes
from tests.live.owner_apply import OwnerApply, apply_as_owner
from tests.live.volumes import ClaimBinder

CANARY = "hlw-live-" + "4c1d9e7a2b"  # the git password on the testbed's server; assembled, never real

# What each owner knows about their own cluster (the facts no choice can stand for): which overlay
# it runs, as their README or Makefile says (tests/corpus/driver.py ANSWERS, same sources).
ENVIRONMENT = {"abdullahainun__selfh-k8s": "prod", "master-bogdan__homelab": "dev"}

# No admission webhook can answer on the testbed (its pods are kwok's, with no process behind them). A repo
# that installs one (cert-manager's) would then have every later object refused, which the owner's cluster,
# where the webhook runs, never does: webhook admission is off on these testbeds, the stand-in for a webhook
# that answers.
NO_WEBHOOKS = {"kube-apiserver": ["--disable-admission-plugins=MutatingAdmissionWebhook,ValidatingAdmissionWebhook"]}


@dataclass
class LiveResult:
    repo: str
    applied: OwnerApply | None = None
    nodes: list[str] = field(default_factory=list)  # the owner's machines its pods are pinned to (tests/live/nodes.py)
    journey: Journey | None = None
    first: dict[str, str] = field(default_factory=dict)   # not green after the first verify-all
    second: dict[str, str] = field(default_factory=dict)  # ... and after a fresh one with no token
    passed: int = 0
    total: int = 0
    seconds: float = 0.0
    error: str | None = None

    @property
    def ok(self) -> bool:
        return (not self.error and self.journey is not None and not self.journey.dead_end
                and not self.first and not self.second)

    def row(self) -> str:
        j = self.journey
        answers = len(j.answers) if j else 0
        state = "ok" if self.ok else (self.error or (j.dead_end if j and j.dead_end else "not green"))
        return f"{self.repo:32} {self.passed:>3}/{self.total:<3} {answers:>4} {self.seconds:>7.0f}s  {state[:160]}"


def lay_out_on(tb, name: str, dest: Path, env: dict) -> Path:
    """The corpus folder as the owner's git repo, pushed to the testbed's git server."""
    repo = dest / "repo"
    shutil.copytree(CORPUS / name, repo, symlinks=True,
                    ignore=lambda d, names: [n for n in names if n in NOT_THE_OWNERS and Path(d) == CORPUS / name])
    for p in [repo, *repo.rglob("*")]:
        if not p.is_symlink():
            p.chmod(p.stat().st_mode | 0o200)
    git(repo, "init", "-q", "-b", "main")
    for k, v in (("user.email", "owner@example.invalid"), ("user.name", "Owner"), ("commit.gpgsign", "false")):
        git(repo, "config", k, v)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "the owner's repo before GitOps")
    url = tb.create_git_repo(name.replace("__", "-").lower())
    git(repo, "remote", "add", "origin", url)
    subprocess.run(["git", "-C", str(repo), "push", "-q", "origin", "main"], env=env, check=True,
                   capture_output=True)
    return repo


def live_env(tb, data: Path) -> dict[str, str]:
    return {**tb.env, **GIT_ENV, "HOMELAB_WIZARD_DATA": str(data), "GIT_PASSWORD": CANARY}


def run_live(tb, name: str, dest: Path, log=None) -> LiveResult:
    """The whole live journey of one corpus repo on the (pristine) testbed `tb`."""
    result = LiveResult(name)
    t0 = time.monotonic()
    env = live_env(tb, dest / "data")
    repo = lay_out_on(tb, name, dest, env)
    url = subprocess.run(["git", "-C", str(repo), "remote", "get-url", "origin"], capture_output=True,
                         text=True, check=True).stdout.strip()
    result.nodes = add_owner_nodes(repo, env)  # the owner's machines, which the testbed lacks (tests/live/nodes.py)
    add_dns_addon(env)  # the distribution's CoreDNS objects, which the testbed lacks (tests/live/addons.py)
    with ClaimBinder(tb.env):  # the owner's volume provisioner, which the testbed lacks (tests/live/volumes.py)
        result.applied = apply_as_owner(repo, env, ENVIRONMENT.get(name))
        known = {"provider": "git", "git-url": url}
        if name in ENVIRONMENT:
            known["environment"] = ENVIRONMENT[name]
            known["environment.*"] = ENVIRONMENT[name]
        result.journey = follow_next(repo, env, known, log=log)
        _verify_twice(repo, env, result)
    result.seconds = time.monotonic() - t0
    return result


def _verify_twice(repo: Path, env: dict, result: LiveResult) -> None:
    if not result.journey.dead_end:
        cli(repo, env, "verify")
        result.first = not_green(status(repo, env))
        tokenless = {k: v for k, v in env.items() if k not in ("GIT_PASSWORD", "GITHUB_TOKEN", "GITEA_TOKEN")}
        cli(repo, tokenless, "verify")
        data = status(repo, tokenless)
        result.second = not_green(data)
        rows = [it for ph in data["phases"] for it in ph["items"]
                if it["id"].startswith(("prep.", "repo.", "secrets.", "bootstrap.", "validate."))]
        result.total = len(rows)
        result.passed = sum(it["status"] in ("passed", "skipped") for it in rows)
