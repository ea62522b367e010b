"""Rollback `discard`: the wizard's staged, uncommitted Phase 2 changes put back to HEAD, with the
real CLI and git on a temp repo (no cluster). A half-finished Phase 2 (2.1–2.4 done, 2.5 not)
is undone; the user's own changes are refused, never discarded."""
from __future__ import annotations

import json

from tests.helpers import git, item_status, run_cli, status_json
from tests.integration.phase2_fixture import make_homelab
from tests.integration.test_phase2_e2e import ITEMS, run_all, setup


def wiz(repo, *args, env):
    return run_cli("--repo", str(repo), *args, env=env)


def files_on_disk(repo) -> set[str]:
    return {str(p.relative_to(repo)) for p in repo.rglob("*") if ".git" not in p.relative_to(repo).parts}


def test_discard_undoes_a_half_finished_phase_2_and_it_can_be_redone(tmp_path, env):
    repo = make_homelab(tmp_path / "repo")
    head = git(repo, "rev-parse", "HEAD").strip()
    before = files_on_disk(repo)
    setup(repo, env, "a")
    run_all(repo, env)
    assert git(repo, "diff", "--cached", "--name-only")  # staged, not committed
    assert (repo / "clusters/homelab").is_dir()

    rows = {r["name"]: r for r in json.loads(wiz(repo, "rollback", "--json", env=env).stdout)["actions"]}
    assert rows["discard"]["available"] and "repo.flux-manifests" in rows["discard"]["reason"]
    assert not rows["revert"]["available"] and "discard" in rows["revert"]["reason"]

    dry = wiz(repo, "rollback", "discard", "--dry-run", "--json", env=env)
    assert dry.returncode == 0, dry.stderr
    steps = [s["description"] for s in json.loads(dry.stdout)["steps"]]
    assert steps[0].startswith("git restore --source=HEAD --staged --worktree")
    assert any(s.startswith("remove (added by the wizard): clusters/homelab/") for s in steps), steps
    assert any(s.startswith("bring back (removed or moved by the wizard): infrastructure/") for s in steps), steps
    assert wiz(repo, "rollback", "discard", env=env).returncode == 4  # no terminal, no --yes

    res = wiz(repo, "rollback", "discard", "--yes", env=env)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "rollback discard: passed" in res.stdout
    assert git(repo, "rev-parse", "HEAD").strip() == head  # nothing committed
    assert git(repo, "status", "--porcelain") == ""
    assert git(repo, "write-tree").strip() == git(repo, "rev-parse", "HEAD^{tree}").strip()
    assert files_on_disk(repo) == before  # the generated folders are gone too
    data = status_json(repo, env)
    for item in ITEMS:
        st = item_status(data, item)
        assert st["status"] == "pending" and "rollback" in st["message"], (item, st)
    assert item_status(data, "prep.structure")["status"] == "passed"  # the choice stays

    # Nothing is left to discard, and Phase 2 can be run again from the start.
    rows = {r["name"]: r for r in json.loads(wiz(repo, "rollback", "--json", env=env).stdout)["actions"]}
    assert not rows["discard"]["available"]
    run_all(repo, env)
    res = wiz(repo, "run", "repo.commit-push", "--set", "ci-deploy=push", "--yes", env=env)
    assert res.returncode == 0, res.stdout + res.stderr
    assert git(repo, "status", "--porcelain") == ""


def test_discard_refuses_when_the_user_changed_something_too(tmp_path, env):
    repo = make_homelab(tmp_path / "repo")
    setup(repo, env, "a")
    run_all(repo, env, ITEMS[:2])
    notes = repo / "NOTES.md"
    notes.write_text("my own work in progress\n")
    git(repo, "add", "NOTES.md")
    staged = git(repo, "diff", "--cached", "--name-only")

    res = wiz(repo, "rollback", "discard", "--yes", env=env)
    assert res.returncode == 4, res.stdout + res.stderr
    assert "NOTES.md" in res.stderr and "never discards your work" in res.stderr
    assert notes.read_text() == "my own work in progress\n"
    assert git(repo, "diff", "--cached", "--name-only") == staged  # nothing changed
    for item in ITEMS[:2]:
        assert item_status(status_json(repo, env), item)["status"] == "passed"
