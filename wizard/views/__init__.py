"""Read-only views the front ends render: computed by the core, never by a screen."""
from __future__ import annotations


def secret_findings(session) -> list:
    """The plaintext secrets in the repository (places and key names, never a value)."""
    from ..phases.secrets.common import findings

    return findings(session)
