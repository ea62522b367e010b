"""The live corpus layer (issue 21): each repo of ../shared/corpus applied by hand to a private testbed
the way its owner did, then taken by following the wizard's own Next from 1.0 to Phase 5, answering
each question with what the owner knows or the first offered choice. Verify-all then shows every item
of Phases 1-4 and S passed or skipped, and again from a new process with no token in the environment.

Each repo gets a pristine testbed of its own (bootstrap changes cluster-wide state), stopped when its
test ends. Loopback only: kubectl apply/get/create, flux and git over 127.0.0.1.
"""
from __future__ import annotations

import pytest

from tests.corpus.driver import repos
from tests.live.journey import NO_WEBHOOKS, run_live

# A whole migration per repo on its own testbed: minutes, more with other layers on the same cores.
pytestmark = [pytest.mark.testbed, pytest.mark.live, pytest.mark.timeout(1200)]

REPOS = repos()


if not REPOS:
    pytest.skip("the real-repo corpus (../shared/corpus) is absent; the live corpus layer needs it",
                allow_module_level=True)


# Where the journey still stops (issue 21, open): each one named, with where it stops, until it goes through.
# Not strict: a journey that gets through must not fail the run; the row in `make live-corpus` says which did.
OPEN: dict[str, str] = {}


def _param(name: str):
    # Each repo is a group of its own: under --dist loadgroup the repos spread over the workers.
    marks = [pytest.mark.xdist_group(f"live-{name}")]
    why = OPEN.get(name)
    if why:
        marks.append(pytest.mark.xfail(reason=why, strict=False))
    return pytest.param(name, marks=marks)


@pytest.mark.parametrize("name", [_param(n) for n in REPOS])
def test_following_next_takes_the_hand_applied_repo_through_phase_4_and_it_stays_green(name, testbed_factory,
                                                                                        tmp_path):
    tb = testbed_factory(name.split("__")[0][:16], extra_args=NO_WEBHOOKS)
    try:
        result = run_live(tb, name, tmp_path)
    finally:
        tb.stop(quiet=True)
    print(result.row())
    _keep_row(result.row())
    j = result.journey
    assert j is not None and not j.dead_end, j.describe() if j else result.error
    assert not result.first, ("not green after verify-all", result.first)
    assert not result.second, ("not green from a new process without a token", result.second)
    assert result.passed == result.total


def _keep_row(row: str) -> None:
    """The repo's row (items passed, answers, seconds) for the table tests/run-layers prints at the end of
    `make test` (TEST_RESULTS is set there; a run by hand keeps nothing)."""
    import os
    from pathlib import Path

    folder = os.environ.get("TEST_RESULTS")
    if not folder:
        return
    try:
        Path(folder).mkdir(parents=True, exist_ok=True)
        with open(Path(folder) / "live-corpus.txt", "a", encoding="utf-8") as fh:
            fh.write(row + "\n")
    except OSError:
        pass  # the table is a report, not part of the test
