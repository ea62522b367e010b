"""Answers read from the cluster, remembered for a few seconds within one process.

`verify` of every item asks the cluster the same questions: 1.2, 1.3, 2.0 and 4.1 each list every object,
the dry-runs read the same discovery documents. Each answer is kept for SECONDS, and only while the wizard
itself has changed nothing on the cluster since it was read (Runner.cluster_changes counts every kubectl or
flux command that may write): an item that applies something and then checks it always reads again.
"""
from __future__ import annotations

import time

SECONDS = 10.0


def remembered(session, key: str, compute, seconds: float = SECONDS):
    stamp = session.runner.cluster_changes
    hit = session.cache.get(("memo", key))
    if hit is not None and hit[1] == stamp and time.monotonic() - hit[0] < seconds:
        return hit[2]
    value = compute()
    session.cache[("memo", key)] = (time.monotonic(), session.runner.cluster_changes, value)
    return value
