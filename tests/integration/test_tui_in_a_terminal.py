"""The real `homelab-wizard` binary in a pseudo-terminal (issue 15): a newcomer runs 1.1 and 2.1 from
the keyboard and reads the result on the screen.

The screen is the terminal's own: the program's output goes through pyte (a VT100 emulator) and the
test reads its text, as a person would. No cluster (a kubeconfig that does not exist).
"""
from __future__ import annotations

import json

from tests.helpers import NO_CLUSTER, VENV_BIN, cli_env, make_repo, run_cli
from tests.terminal import Terminal

COLS, ROWS = 100, 30


def test_a_newcomer_runs_1_1_and_2_1_from_the_keyboard(tmp_path):
    repo = make_repo(tmp_path / "homelab")
    env = cli_env(**NO_CLUSTER, HOMELAB_WIZARD_DATA=str(tmp_path / "data"), TERM="xterm-256color",
                  COLUMNS=str(COLS), LINES=str(ROWS))
    env.pop("HOMELAB_WIZARD_NONINTERACTIVE", None)
    term = Terminal([str(VENV_BIN / "homelab-wizard"), "--repo", str(repo)], env, COLS, ROWS)
    try:
        term.wait_for("Preparation")
        term.press("1")
        term.wait_for("1.1 Choose Option A")
        term.press("down", "r")  # 1.1: its question (the option), then the confirmation
        term.wait_for("Continue")
        term.press("ctrl+s")
        term.wait_for("Run it")
        term.press("tab", "enter")
        term.wait_for("1/4 passed")
        # The evidence pane repaints in its own refresh, after the counter: wait for it, not assert.
        term.wait_for("Option A chosen")
        term.press("escape")
        term.wait_for("Repository setup")
        term.press("2")
        term.wait_for("2.1 Create clusters/")
        term.press("r")  # 2.1 (the phase opens on it: 2.0 waits for 1.0) changes the repo: yes/no, Cancel first
        term.wait_for("Run it")
        term.press("tab", "enter")
        term.wait_for("1/6 passed")  # 2.0 and 2.1-2.5
        term.press("ctrl+q")
        assert term.close() == 0
    finally:
        term.kill()
    data = json.loads(run_cli("--repo", str(repo), "status", "--json", env=cli_env(**NO_CLUSTER)).stdout)
    items = {i["id"]: i["status"] for ph in data["phases"] for i in ph["items"]}
    assert items["prep.structure"] == "passed" and items["repo.cluster-dir"] == "passed"
    assert (repo / "clusters" / "homelab" / "README.md").is_file()
