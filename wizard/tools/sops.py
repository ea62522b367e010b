"""sops and age; keys reach them through the environment, never argv."""
from __future__ import annotations

from dataclasses import dataclass

from .base import PinnedTool, Tool, parse_version


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
class Kubeseal(PinnedTool):
    """kubeseal, pinned; always given --cert (never its fetch through the API server's service proxy)."""

    exe: str = "kubeseal"

    def version(self):
        return parse_version(self.runner.run([self.exe, "--version"], timeout=10).stdout)
