"""Fault 51 / issue 23 #4: the user edits a file while 2.3 runs. The edit is never staged into the
wizard's move, and `rollback discard` keeps a copy of it (named) before it puts the wizard's paths
back; files outside the wizard's paths are not touched. Real CLI and git on a temp repo."""
from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

from tests.helpers import VENV_BIN, git, run_cli
from tests.integration.phase2_fixture import make_homelab
from tests.integration.test_phase2_e2e import ITEMS, run_all, setup

MOVED_LATER = "services/homelab-dashboard/k8s/deployment.yaml"  # 2.3's second move (Option A)
AFTER_MOVE = "apps/homelab-dashboard/deployment.yaml"
EDIT = "# my note, typed while the wizard ran\n"


def edit_while_2_3_runs(repo, env) -> str:
    """Stop 2.3 after its first move, edit a file its second move takes, kill it and run 2.3 again
    (it resumes). Returns the file's committed text."""
    original = (repo / MOVED_LATER).read_text()
    proc = subprocess.Popen([str(VENV_BIN / "homelab-wizard"), "--repo", str(repo), "run", "repo.apps", "--yes"],
                            env={**env, "HOMELAB_WIZARD_TEST_PAUSE_AFTER_OP": "repo.apps:1"},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
                            start_new_session=True)
    try:
        deadline, seen = time.monotonic() + 120, []
        for line in proc.stdout:
            seen.append(line)
            if line.startswith("PAUSED repo.apps:1"):
                break
            assert time.monotonic() < deadline, seen
        with open(repo / MOVED_LATER, "a") as f:
            f.write(EDIT)
        os.killpg(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(30)
    res = run_cli("--repo", str(repo), "run", "repo.apps", "--yes", env=env)
    assert res.returncode == 0, res.stdout + res.stderr
    return original


def test_2_3_stages_only_what_it_moved_never_an_edit_made_while_it_ran(tmp_path, env):
    repo = make_homelab(tmp_path / "repo")
    setup(repo, env, "a")
    run_all(repo, env, ITEMS[:2])
    original = edit_while_2_3_runs(repo, env)
    assert git(repo, "show", f":{AFTER_MOVE}") == original  # the index has the moved file as committed
    assert (repo / AFTER_MOVE).read_text() == original + EDIT  # the edit stays in the work tree, unstaged
    assert AFTER_MOVE in git(repo, "diff", "--name-only")


def test_rollback_discard_keeps_a_named_copy_of_an_edit_made_after_the_wizard_s_step(tmp_path, env):
    repo = make_homelab(tmp_path / "repo")
    setup(repo, env, "a")
    run_all(repo, env, ITEMS[:2])
    original = edit_while_2_3_runs(repo, env)
    (repo / "NOTES.md").write_text("my own notes, not the wizard's\n")  # outside the wizard's paths

    dry = run_cli("--repo", str(repo), "rollback", "discard", "--dry-run", env=env)
    assert dry.returncode == 0, dry.stdout + dry.stderr
    assert "a copy of each is kept" in dry.stdout and AFTER_MOVE in dry.stdout
    res = run_cli("--repo", str(repo), "rollback", "discard", "--yes", env=env)
    assert res.returncode == 0, res.stdout + res.stderr
    kept = [ln.split(": ", 1)[1] for ln in res.stdout.splitlines() if f"kept a copy of your edit of {AFTER_MOVE}" in ln]
    assert kept and Path(kept[0]).read_text() == original + EDIT  # the edit, kept and named
    assert oct(Path(kept[0]).stat().st_mode & 0o777) == "0o600"
    assert (repo / MOVED_LATER).read_text() == original  # the wizard's move undone
    assert not (repo / AFTER_MOVE).exists()
    assert (repo / "NOTES.md").read_text() == "my own notes, not the wizard's\n"  # not the wizard's path: untouched
    assert git(repo, "diff", "--cached", "--name-only") == ""
