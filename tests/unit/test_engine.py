"""The checklist engine: verdicts are stored from verify(), prerequisites, skips, failures."""
from __future__ import annotations

import pytest

from tests.helpers import make_repo
from wizard.catalog import CATALOG, item_by_ref, items_for
from wizard.catalog import PHASES
from wizard.checklist import Item, Plan, Step, Verdict
from wizard.engine import Engine
from wizard.session import Blocked, Session, UsageError, WizardError


class Flag(Item):
    """A test item whose live check looks at a file in the repo."""

    id, alias, title = "prep.structure", "1.1", "flag file"

    def verify(self, session):
        f = session.repo / "flag"
        return Verdict("passed", "flag present", {"file": str(f)}) if f.exists() else Verdict("failed", "no flag")

    def plan(self, session):
        return Plan(self.id, "write the flag", [Step("write", "flag")], changes="repo")

    def apply(self, session, plan, progress):
        progress("writing")
        (session.repo / "flag").write_text("x")


class Boom(Flag):
    id, alias = "prep.inventory", "1.3"

    def apply(self, session, plan, progress):
        raise RuntimeError("disk on fire")


class Needs(Flag):
    id, alias, requires = "prep.backup", "1.2", ("prep.structure",)


@pytest.fixture
def session(tmp_path):
    s = Session.open(make_repo(tmp_path / "repo"))
    s.store.acquire()
    s.store.load()
    yield s
    s.store.release()


def test_catalog_has_every_design_item_once_with_aliases():
    ids = [i.id for i in CATALOG]
    added = {"repo.adopt", "bootstrap.ownership"}  # issue 13's items, beyond the seed plan's 25
    assert len(ids) == len(set(ids)) and len(set(ids) - added) == 25
    assert {i.phase for i in CATALOG} == {p[0] for p in PHASES}
    assert item_by_ref("1.2").id == "prep.backup" and item_by_ref("prep.backup").alias == "1.2"
    assert [i.id for i in items_for(["1"])] == ["prep.preflight", "prep.structure", "prep.backup", "prep.inventory"]
    with pytest.raises(UsageError, match="there is no checklist item 'nope'"):
        item_by_ref("nope")


def test_every_item_is_implemented_or_says_which_issue_builds_it():
    from wizard.catalog import LazyItem

    for item in CATALOG:
        if isinstance(item, LazyItem):
            assert item.unavailable is None and item.impl().verify  # a real implementation
        else:
            assert item.unavailable and "issue #" in item.unavailable, item.id
    assert all(isinstance(i, LazyItem) for i in CATALOG if i.phase == "prep")


def test_run_applies_then_stores_the_live_verdict(session):
    engine = Engine(session, [Flag()])
    assert engine.verify("1.1").status == "failed"
    lines = []
    v = engine.run("1.1", engine.plan("1.1"), progress=lines.append)
    assert v.passed and lines == ["writing"]
    stored = session.state.item("prep.structure")
    assert stored.status == "passed" and stored.evidence["file"].endswith("flag") and stored.checked_at


def test_reverify_turns_red_when_the_thing_breaks(session):
    engine = Engine(session, [Flag()])
    engine.run("1.1", engine.plan("1.1"))
    (session.repo / "flag").unlink()
    assert engine.reverify_passed()["prep.structure"].status == "failed"
    assert session.state.item("prep.structure").status == "failed"


def test_failed_apply_is_recorded_and_never_left_running(session):
    engine = Engine(session, [Boom()])
    with pytest.raises(RuntimeError):
        engine.run("1.3", engine.plan("1.3"))
    st = session.state.item("prep.inventory")
    assert st.status == "failed" and "disk on fire" in st.message


def test_missing_prerequisites_block_with_their_names(session):
    engine = Engine(session, [Flag(), Needs()])
    with pytest.raises(Blocked, match=r"prep.backup needs 1.1 prep.structure to pass first"):
        engine.plan("1.2")


def test_skip_needs_a_reason_and_never_passes(session):
    engine = Engine(session, [Flag()])
    with pytest.raises(WizardError, match="needs a reason"):
        engine.skip("1.1", " ")
    v = engine.skip("1.1", "done by hand")
    assert v.status == "skipped" and engine.verify("1.1").status == "skipped"


def test_unavailable_item_is_blocked_not_faked(session):
    from wizard.checklist import NotYetAvailable

    class Placeholder(NotYetAvailable):
        id, alias, title, unavailable = "integrate.placeholder", "9.9", "Placeholder", "built in issue #0"

    # whichever item is still built elsewhere, or (once every item is built) a placeholder like the catalog's
    items = [*CATALOG, Placeholder()]
    engine = Engine(session, items)
    later = next(i.id for i in items if i.unavailable)
    v = engine.verify(later)
    assert v.status == "blocked" and v.message.startswith("not available yet")
    with pytest.raises(Blocked, match="not available yet"):
        engine.plan(later)


def test_evidence_is_redacted_before_it_is_stored(session):
    class Leaky(Flag):
        def verify(self, s):
            return Verdict("passed", "ok", {"url": "https://git:supersecretpw@example.com/r.git"})

    engine = Engine(session, [Leaky()])
    engine.verify("1.1")
    assert "supersecretpw" not in session.store.path.read_text()


def test_lazy_catalog_metadata_matches_the_implementations():
    from wizard.catalog import LazyItem

    for entry in CATALOG:
        if isinstance(entry, LazyItem):
            impl = entry.impl()
            assert (impl.id, impl.alias, impl.title, tuple(impl.requires), impl.needs_cluster) == \
                   (entry.id, entry.alias, entry.title, tuple(entry.requires), entry.needs_cluster), entry.id


def test_the_advice_after_a_tool_failure_names_the_cause_it_has():
    """Issue 14: a YAML error from sops was followed by "when the cluster and the git server respond
    again", which was not the cause. Waiting is advised only for an unreachable cluster or server."""
    from wizard.engine import _retry_advice
    from wizard.runner import ToolFailed

    yaml_err = ToolFailed("'sops decrypt' failed with exit code 1: Error unmarshalling input yaml: line 7",
                          ["sops"], 1, "", "")
    down = ToolFailed("'kubectl get' failed with exit code 1: dial tcp 127.0.0.1:6443: connect: connection refused",
                      ["kubectl"], 1, "", "")
    assert _retry_advice(yaml_err, "secrets.convert") == "fix what the message above names, then run secrets.convert again."
    assert "respond again" in _retry_advice(down, "prep.backup")


def test_a_prerequisite_that_failed_before_is_checked_again_before_refusing(session):
    """Issue 16: 3.4 failed while the sops-age Secret was missing; once S.4 made it, 4.2 must not be
    refused on the stale stored failure. A prerequisite never checked is still just missing."""
    engine = Engine(session, items=[Flag(), Needs()])
    with pytest.raises(Blocked, match="needs 1.1 prep.structure to pass first"):
        engine.plan("prep.backup")  # never checked: no live check is made for it
    assert session.state.item("prep.structure").checked_at is None
    assert engine.verify("prep.structure").status == "failed"
    (session.repo / "flag").write_text("made by hand")  # what was wrong is fixed now
    assert engine.missing_prerequisites(Needs()) != []  # rendering a screen never runs live checks
    assert engine.plan("prep.backup").item_id == "prep.backup"
    assert session.state.item("prep.structure").status == "passed"  # the live check's verdict is stored
