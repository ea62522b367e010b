"""Answers read from the cluster, remembered for a few seconds within one process.

`verify` of every item asks the cluster the same questions: 1.2, 1.3, 2.0 and 4.1 each list every object,
the dry-runs read the same discovery documents. Each answer is kept for SECONDS, and only while the wizard
itself has changed nothing on the cluster since it was read (Runner.cluster_changes counts every kubectl or
flux command that may write): an item that applies something and then checks it always reads again.

Within `one_moment` (verify-all, and the re-check of every passed item on resume) the answers are kept for
the whole block instead: those checks only read, and together they describe the cluster at one moment (1.3
and 4.1 see the same listing), where a 10-second window made a long verify-all list a large cluster twice.
"""
from __future__ import annotations

import time
from contextlib import contextmanager

SECONDS = 10.0
MOMENT_SECONDS = 600.0  # the longest a one_moment block may reuse an answer
_WINDOW = ("memo", "window")


@contextmanager
def one_moment(session):
    """Answers read inside the block are reused for the rest of it (still only while the wizard writes nothing)."""
    before = session.cache.get(_WINDOW)
    session.cache[_WINDOW] = MOMENT_SECONDS
    try:
        yield
    finally:
        if before is None:
            session.cache.pop(_WINDOW, None)
        else:
            session.cache[_WINDOW] = before


def remembered(session, key: str, compute, seconds: float = SECONDS):
    stamp = session.runner.cluster_changes
    seconds = max(seconds, session.cache.get(_WINDOW) or 0.0)
    hit = session.cache.get(("memo", key))
    if hit is not None and hit[1] == stamp and time.monotonic() - hit[0] < seconds:
        return hit[2]
    value = compute()
    session.cache[("memo", key)] = (time.monotonic(), session.runner.cluster_changes, value)
    return value
