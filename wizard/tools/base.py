"""What every tool wrapper shares: a runner and a way to read its version."""
from __future__ import annotations

import re
from dataclasses import dataclass

from ..runner import Result, Runner

_SEMVER = re.compile(r"v?(\d+)\.(\d+)\.(\d+)")


def parse_version(text: str) -> tuple[int, int, int] | None:
    """The first semantic version in `text`, e.g. 'v1.36.3' -> (1, 36, 3)."""
    m = _SEMVER.search(text or "")
    return (int(m[1]), int(m[2]), int(m[3])) if m else None


def fmt_version(v: tuple[int, int, int] | None) -> str:
    return "unknown" if v is None else "v" + ".".join(map(str, v))


@dataclass
class Tool:
    """A thin wrapper: fixed leading arguments plus the shared runner."""

    runner: Runner
    exe: str

    def prefix(self) -> list[str]:
        return [self.exe]

    def run(self, *args: str, **kw) -> Result:
        return self.runner.run([*self.prefix(), *args], **kw)

    def found(self) -> str | None:
        return self.runner.which(self.exe)


@dataclass
class PinnedTool(Tool):
    """A cluster tool that gets the pinned --kubeconfig and --context on every call.

    Pinned on every call: a `kubectl config use-context` in another shell must not redirect
    the wizard to a different cluster half-way through.
    """

    kubeconfig: str | None = None
    context: str | None = None

    def prefix(self) -> list[str]:
        p = [self.exe]
        if self.kubeconfig:
            p += ["--kubeconfig", self.kubeconfig]
        if self.context:
            p += ["--context", self.context]
        return p
