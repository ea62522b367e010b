"""The typed journal over the state's stored entries (wizard/journal.py)."""
from __future__ import annotations

import json

from wizard.journal import Journal, Kind
from wizard.state import State


def test_commits_reads_every_shape_the_phases_write_and_skips_rollback_entries():
    st = State(repo="/r")
    st.record(Kind.REPO_COMMITTED, branch="main", base="b0", commits=["a1", "a2"], items=["repo.cluster-dir", "repo.apps"])
    st.record(Kind.INTEGRATE_COMMITTED, item="integrate.docs", commit="c3", files=["README.md"], message="docs")
    st.record(Kind.ROLLBACK_PREFIX + "revert", phase="done", commits=["r9"])
    st.record(Kind.REPO_COMMITTED, branch="main", base="b0", commits=["a2"], items=["repo.apps"])  # seen before
    commits = st.events.commits()
    assert [c.sha for c in commits] == ["a1", "a2", "c3"]
    assert commits[0].items == ("repo.cluster-dir", "repo.apps") and commits[0].base == "b0"
    assert commits[2].items == ("integrate.docs",) and commits[2].kind == "integrate-committed"


def test_entries_are_stored_as_plain_strings_and_last_matches_details():
    st = State(repo="/r")
    st.record(Kind.INVENTORY_WROTE, item="prep.inventory", path="a.md")
    st.record(Kind.INVENTORY_WROTE, item="prep.inventory", path="b.md")
    data = json.loads(json.dumps(st.to_json()))
    assert [e["action"] for e in data["journal"]] == ["wrote", "wrote"]
    assert type(st.journal[0]["action"]) is str
    j = Journal(data["journal"])
    assert j.last(Kind.INVENTORY_WROTE).get("path") == "b.md"
    assert j.last(Kind.INVENTORY_WROTE, path="a.md").get("path") == "a.md"
    assert j.last(Kind.BACKUP) is None
    assert [e.kind for e in j.events(Kind.INVENTORY_WROTE, Kind.BACKUP)] == ["wrote", "wrote"]


def test_kind_values_are_unique():
    values = [k.value for k in Kind]
    assert len(values) == len(set(values))
