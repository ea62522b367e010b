"""Fault 58 / issue 23 #15: a journal entry that is not an object ("x", null, [1]) is named by the
state check, by every command, with no traceback. Real CLI and git on a temp repo."""
from __future__ import annotations

import json

import pytest

from tests.helpers import make_repo, run_cli


@pytest.mark.parametrize("entry, named", [("x", "journal entry 1 is str 'x'"), (None, "journal entry 1 is NoneType"),
                                          ([1], "journal entry 1 is list '[1]'"),
                                          ({"action": "ran"}, "journal entry 1 has no 'at' text")])
def test_a_journal_entry_of_the_wrong_shape_is_named_by_the_state_check(tmp_path, env, entry, named):
    repo = make_repo(tmp_path / "repo")
    assert run_cli("--repo", str(repo), "run", "prep.structure", "--set", "option=a", "--yes", env=env).returncode == 0
    path = repo / ".git/homelab-wizard/state.json"
    data = json.loads(path.read_text())
    assert data["journal"]  # the structure choice
    data["journal"] = data["journal"][:1] + [entry]
    path.write_text(json.dumps(data))
    for args in (["run", "repo.apps", "--dry-run"], ["status", "--json"], ["verify"]):
        res = run_cli("--repo", str(repo), *args, env=env)
        assert res.returncode == 4, (args, res.stdout, res.stderr)
        assert "Traceback" not in res.stderr and named in res.stderr, (args, res.stderr)
        assert "is not a valid homelab-wizard state file" in res.stderr
