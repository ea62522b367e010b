"""The flux CLI, pinned like kubectl."""
from __future__ import annotations

from dataclasses import dataclass

from .base import PinnedTool, parse_version

# The minimum Kubernetes version each flux minor supports (`flux check --pre`, check.go at
# each tag). Newer minors than listed are assumed to keep the newest known minimum.
FLUX_MIN_KUBERNETES = {(2, 6): (1, 31, 0), (2, 7): (1, 32, 0), (2, 8): (1, 33, 0), (2, 9): (1, 33, 0)}


def min_kubernetes_for(flux_version) -> tuple[int, int, int] | None:
    if flux_version is None:
        return None
    key = flux_version[:2]
    if key in FLUX_MIN_KUBERNETES:
        return FLUX_MIN_KUBERNETES[key]
    known = sorted(FLUX_MIN_KUBERNETES)
    return FLUX_MIN_KUBERNETES[known[-1]] if key > known[-1] else FLUX_MIN_KUBERNETES[known[0]]


@dataclass
class Flux(PinnedTool):
    exe: str = "flux"

    def client_version(self):
        out = self.runner.run([self.exe, "version", "--client", "-o", "json"], timeout=20).json()
        return parse_version(out.get("flux", ""))
