"""Fault 57 / issue 23 #13: an answer given with --set is stored only when it is valid and the run used
it. Real CLI and git on a temp repo, no cluster."""
from __future__ import annotations

import json

from tests.helpers import item_status, run_cli, status_json
from tests.integration.phase2_fixture import make_homelab
from tests.integration.test_phase2_e2e import setup


def stored_answers(repo) -> dict:
    return json.loads((repo / ".git/homelab-wizard/state.json").read_text())["answers"]


def test_an_answer_another_item_declares_is_checked_as_that_item_would_and_never_stored(tmp_path, env):
    repo = make_homelab(tmp_path / "repo")
    setup(repo, env, "a")
    res = run_cli("--repo", str(repo), "run", "repo.cluster-dir", "--set", "option=z", "--yes", env=env)
    assert res.returncode == 2 and "option='z' is not one of: a, b" in res.stderr, res.stderr
    assert stored_answers(repo)["option"] == "a"
    assert item_status(status_json(repo, env), "prep.structure")["status"] == "passed"
    assert run_cli("--repo", str(repo), "run", "repo.cluster-dir", "--yes", env=env).returncode == 0


def test_a_rejected_class_answer_is_never_stored(tmp_path, env):
    repo = make_homelab(tmp_path / "repo")
    setup(repo, env, "a")
    res = run_cli("--repo", str(repo), "run", "repo.cluster-dir", "--set",
                  "class.infrastructure/kubernetes/services=bogus", "--yes", env=env)
    assert res.returncode == 2 and "is not one of: infrastructure, apps, exclude" in res.stderr, res.stderr
    assert "class.infrastructure/kubernetes/services" not in stored_answers(repo)
    assert run_cli("--repo", str(repo), "run", "repo.cluster-dir", "--yes", env=env).returncode == 0
