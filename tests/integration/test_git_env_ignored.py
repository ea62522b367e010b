"""Fault 50 / issue 23 #3: GIT_DIR, GIT_WORK_TREE or GIT_INDEX_FILE exported in the shell (a bare-repo
dotfiles setup does this) never sends the wizard's state, lock, audit log or `git add` into that other
repository. Real CLI and git on two temp repos."""
from __future__ import annotations

import pytest

from tests.helpers import git, item_status, make_repo, run_cli, status_json
from tests.integration.phase2_fixture import make_homelab


@pytest.mark.parametrize("exported", [("GIT_DIR", "GIT_WORK_TREE"), ("GIT_INDEX_FILE",), ("GIT_DIR",)])
def test_git_variables_exported_in_the_shell_never_redirect_the_wizard_to_another_repo(tmp_path, env, exported):
    repo = make_homelab(tmp_path / "repo")
    other = make_repo(tmp_path / "dotfiles", {"README.md": "my dotfiles\n"})
    values = {"GIT_DIR": str(other / ".git"), "GIT_WORK_TREE": str(other),
              "GIT_INDEX_FILE": str(other / ".git/index")}
    shell = {**env, **{k: values[k] for k in exported}}
    other_index = (other / ".git/index").read_bytes()

    res = run_cli("--repo", str(repo), "run", "prep.structure", "--set", "option=a", "--yes", env=shell)
    assert res.returncode == 0, res.stderr
    notes = [ln for ln in res.stderr.splitlines() if ln.startswith("note: ")]
    assert [n.split()[1] for n in notes] == list(exported)  # each named, once
    res = run_cli("--repo", str(repo), "run", "repo.cluster-dir", "--yes", env=shell)
    assert res.returncode == 0, res.stdout + res.stderr

    assert not (other / ".git/homelab-wizard").exists()  # no state, lock or audit log in the other repo
    assert (other / ".git/index").read_bytes() == other_index  # nothing staged into its index
    assert git(other, "status", "--porcelain") == ""
    assert (repo / ".git/homelab-wizard/state.json").is_file()
    assert "clusters/homelab" in git(repo, "diff", "--cached", "--name-only")  # staged where the user said
    assert item_status(status_json(repo, shell), "repo.cluster-dir")["status"] == "passed"
