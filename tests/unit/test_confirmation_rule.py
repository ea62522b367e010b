"""One confirmation rule for items and rollbacks (issue 24, point 10: type-to-confirm was used
inconsistently; a rollback suspend asked yes/no while every item that changes the cluster asks for the
context name typed)."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from wizard.checklist import Plan
from wizard.rollback import ACTIONS
from wizard.usecase import item_confirmation, rollback_confirmation

SESSION = SimpleNamespace(state=SimpleNamespace(cluster=SimpleNamespace(context="homelab-admin")))


def plan(changes: str, **data) -> Plan:
    return Plan("x", "does x", [], changes=changes, data=data)


@pytest.mark.parametrize("name", sorted(ACTIONS))
def test_every_rollback_that_changes_the_cluster_asks_for_the_context_typed_as_items_do(name):
    c = rollback_confirmation(SESSION, ACTIONS[name], plan("cluster"))
    assert (c.kind, c.word) == ("typed", "homelab-admin") == (item_confirmation(SESSION, plan("cluster")).kind,
                                                              item_confirmation(SESSION, plan("cluster")).word)


def test_repo_only_changes_ask_yes_no_unless_destructive_and_nothing_asks_nothing():
    assert item_confirmation(SESSION, plan("repo")).kind == "yes"
    assert rollback_confirmation(SESSION, ACTIONS["discard"], plan("repo")).kind == "typed"  # it throws work away
    assert rollback_confirmation(SESSION, ACTIONS["suspend"], plan("nothing")).kind == "none"
    risky = rollback_confirmation(SESSION, ACTIONS["resume"], plan("cluster", prune_risk=["Deployment/x"]))
    assert (risky.kind, risky.acknowledge) == ("typed", "allow-prune")
