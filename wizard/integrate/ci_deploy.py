"""Which of the repository's CI pipelines apply manifests on push, so 2.5 can say so before its push.

A pipeline deploys on push when it runs on a push (GitHub and Gitea Actions: `on: push`, with
its `branches:` filter; GitLab CI: every push, as far as the file alone tells) and either runs a
kubectl command 5.2 would rewrite itself (a path Flux will own, or one it cannot resolve), or
calls a Makefile or script that does (`make …`, `./scripts/deploy.sh`). Pushing the restructured
tree would run that command against it.
"""
from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import yaml

from . import manual_apply as ma
from .common import Ownership

CI_KINDS = ("github", "gitlab")


@dataclass
class CiDeploy:
    file: str  # the CI file
    line: int
    command: str  # the kubectl command, or the make/script call that runs one
    via: str = ""  # the Makefile or script that holds the kubectl command
    branches: list[str] | None = None  # branch patterns a push runs it for (None: every branch)

    @property
    def ref(self) -> str:
        return f"{self.file}:{self.line}"

    def runs_on(self, branch: str) -> bool:
        return self.branches is None or any(fnmatch.fnmatch(branch, b) for b in self.branches)

    def describe(self) -> str:
        on = "every push" if self.branches is None else f"a push to {', '.join(self.branches)}"
        via = f" (which runs kubectl apply in {self.via})" if self.via else ""
        return f"{self.ref} runs `{self.command}`{via} on {on}"


def push_branches(text: str, kind: str) -> list[str] | None:
    """The branch patterns a push runs the pipeline for: None for every branch, [] when a push never does."""
    if kind == "gitlab":
        return None
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError:
        return []
    if not isinstance(doc, dict):
        return []
    on = doc.get("on", doc.get(True))  # YAML 1.1 reads a bare `on:` key as true
    if on == "push":
        return None
    if isinstance(on, list):
        return None if "push" in on else []
    if not isinstance(on, dict) or "push" not in on:
        return []
    push = on.get("push") or {}
    if not isinstance(push, dict):
        return None
    if isinstance(push.get("branches"), list):
        return [str(b) for b in push["branches"]]
    if push.get("tags") and "branches-ignore" not in push:
        return []  # tags only: a branch push does not run it
    return None


def _call_line(text: str, helper: str, kind: str) -> tuple[int, str] | None:
    """(line, text) where a CI file calls a Makefile (`make`) or a script (by its path or name)."""
    if kind == "make":
        rx = re.compile(r"(^|[\s;&|(])make(\s|$)")
    else:
        name = re.escape(PurePosixPath(helper).name)
        rx = re.compile(rf"(^|[\s;&|(/]){re.escape(helper)}\b|(^|[\s;&|(]|\./|/){name}\b")
    for i, line in enumerate(text.splitlines(), 1):
        if not line.lstrip().startswith("#") and rx.search(line):
            return i, line.strip().lstrip("-").strip()
    return None


def deploys(repo: Path, own: Ownership) -> list[CiDeploy]:
    """Every place a CI pipeline would apply manifests Flux is about to own when the next push lands."""
    found = [f for f in ma.find(repo, own) if f.status in ("owned", "unknown")]
    helpers = {}
    for f in found:
        if f.kind in ("make", "shell"):
            helpers.setdefault(f.file, f.kind)
    out = []
    for rel, kind in ma.candidate_files(repo):
        if kind not in CI_KINDS:
            continue
        text = (repo / rel).read_text(errors="replace")
        branches = push_branches(text, kind)
        if branches == []:
            continue
        out += [CiDeploy(f.file, f.line, f.command, "", branches) for f in found if f.file == rel]
        for helper, hkind in helpers.items():
            at = _call_line(text, helper, hkind)
            if at:
                out.append(CiDeploy(rel, at[0], at[1], helper, branches))
    return sorted(out, key=lambda d: (d.file, d.line))
