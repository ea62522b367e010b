"""Issue 23: SIGTERM at random points across 2.1–2.5 and S.3 leaves no plaintext copy, no registered scratch
worktree, no orphaned process and no item shown as running (tests/faults/sigterm_probe.py; its full 30 runs:
`python -m tests.faults.sigterm_probe`, a new seed each time). Here 3 runs of a fixed seed (every xdist worker
must collect the same tests), each run printed."""
from __future__ import annotations

import pytest

from tests.faults.sigterm_probe import probe


@pytest.mark.parametrize("seed", [23])
def test_sigterm_at_random_points_leaves_nothing_behind(tmp_path, seed):
    results = probe(3, seed, tmp_path)
    for r in results:
        print(r.line())
    assert not [r.line() for r in results if r.problems], f"seed {seed}"
