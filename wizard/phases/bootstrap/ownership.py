"""3.0 bootstrap.ownership: what Flux takes over, leaves or cannot apply (being built, issue 13)."""
from __future__ import annotations

from ...checklist import Item, Verdict


class Ownership(Item):
    def verify(self, session) -> Verdict:
        return Verdict("pending", "the ownership preview is not checked yet")
