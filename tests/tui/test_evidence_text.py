"""Issue 15 (point 10): the evidence pane does not contradict itself for an item that only checks."""
from __future__ import annotations

from screens.widgets.evidence import render_evidence
from wizard.catalog import item_by_ref
from wizard.state import ItemState


def test_an_item_never_checked_that_only_checks_reads_as_one_story():
    item = item_by_ref("3.3")  # bootstrap.controllers: verified, never run
    text = render_evidence(item, ItemState(), "pending", []).plain
    assert "Not checked yet: press v to check it now." in text
    assert "only checks; running it (r) checks it" in text
    assert "checked, not run" not in text


def test_an_item_that_runs_says_how_to_run_it():
    text = render_evidence(item_by_ref("2.1"), ItemState(), "pending", []).plain
    assert "Not checked yet: press v to check it now, or r to run it." in text
    assert "nothing to run" not in text
