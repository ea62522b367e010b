"""sops and age; keys reach them through the environment, never argv."""
from __future__ import annotations

from dataclasses import dataclass

from .base import Tool, parse_version


@dataclass
class Sops(Tool):
    exe: str = "sops"

    def version(self):
        return parse_version(self.runner.run([self.exe, "--version", "--disable-version-check"], timeout=20).stdout)


@dataclass
class Age(Tool):
    exe: str = "age"

    def version(self):
        return parse_version(self.runner.run([self.exe, "--version"], timeout=10).stdout)


@dataclass
class Kubeseal(Tool):
    """kubeseal, pinned; on the testbed it must always be given --cert (no service proxy)."""

    exe: str = "kubeseal"
    kubeconfig: str | None = None
    context: str | None = None

    def prefix(self) -> list[str]:
        p = [self.exe]
        if self.kubeconfig:
            p += ["--kubeconfig", self.kubeconfig]
        if self.context:
            p += ["--context", self.context]
        return p

    def version(self):
        return parse_version(self.runner.run([self.exe, "--version"], timeout=10).stdout)
