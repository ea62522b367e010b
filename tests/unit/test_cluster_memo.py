"""What the wizard remembers from the cluster within one process (wizard/cluster/memo.py), and which commands
count as changing the cluster (wizard/runner.py may_change_cluster)."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from wizard.cluster.memo import remembered
from wizard.runner import Runner, may_change_cluster


@pytest.mark.parametrize("argv,changes", [
    (["kubectl", "--context", "c", "get", "ns", "-o", "json"], False),
    (["kubectl", "--kubeconfig", "/k", "--context", "c", "api-resources", "--verbs=list"], False),
    (["kubectl", "--context", "c", "apply", "--server-side", "--dry-run=server", "-f", "-"], False),
    (["kubectl", "--context", "c", "apply", "-f", "-"], True),
    (["kubectl", "--context", "c", "-n", "apply", "annotate", "x"], True),  # "apply" here is -n's value
    (["/usr/bin/kubectl", "delete", "ns", "x"], True),
    (["flux", "--context", "c", "reconcile", "kustomization", "apps"], True),
    (["flux", "--context", "c", "get", "kustomizations"], False),
    (["git", "push", "origin", "main"], False),
])
def test_which_commands_may_change_the_cluster(argv, changes):
    assert may_change_cluster(argv) is changes


def _session():
    return SimpleNamespace(runner=Runner(), cache={})


def test_an_answer_is_read_once_until_the_wizard_changes_the_cluster():
    s, calls = _session(), []

    def read():
        calls.append(1)
        return len(calls)

    assert remembered(s, "k", read) == 1
    assert remembered(s, "k", read) == 1
    s.runner.cluster_changes += 1  # what Runner.run does before a kubectl apply
    assert remembered(s, "k", read) == 2
    assert remembered(s, "k", read, seconds=0) == 3  # past its time: read again
    assert len(calls) == 3


def test_a_failed_read_is_not_remembered():
    s, calls = _session(), []

    def read():
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("cluster down")
        return "up"

    with pytest.raises(RuntimeError):
        remembered(s, "k", read)
    assert remembered(s, "k", read) == "up"


def test_inside_one_moment_an_answer_serves_the_whole_block_until_the_wizard_writes(monkeypatch):
    """verify-all is one look at the cluster: the listing 1.3 read serves 4.1 a minute later, never after a write,
    and never after the block."""
    import wizard.cluster.memo as memo

    s, calls, clock = _session(), [], [1000.0]
    monkeypatch.setattr(memo.time, "monotonic", lambda: clock[0])

    def read():
        calls.append(1)
        return len(calls)

    with memo.one_moment(s):
        assert remembered(s, "listing", read) == 1
        clock[0] += 60  # past the 10 s of an ordinary run
        assert remembered(s, "listing", read) == 1
        s.runner.cluster_changes += 1
        assert remembered(s, "listing", read) == 2  # the wizard wrote: read again
    clock[0] += 60
    assert remembered(s, "listing", read) == 3  # the block ended: the 10 s rule again
