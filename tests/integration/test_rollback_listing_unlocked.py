"""Issue 24 (point 10): `rollback` (the listing, read only) works while another wizard (the TUI) holds the
repo's lock; an action still waits for the lock. Real git, the real CLI; no cluster."""
from __future__ import annotations

import json

from tests.helpers import make_repo, run_cli
from wizard.session import Session


def test_the_listing_reads_while_the_tui_holds_the_lock_and_an_action_is_still_refused(tmp_path, env):
    repo = make_repo(tmp_path / "repo")
    assert run_cli("--repo", str(repo), "status", env=env).returncode == 0
    tui = Session.open(repo)
    tui.store.acquire("tui")  # the TUI, open on the same repo
    try:
        listing = run_cli("--repo", str(repo), "rollback", "--json", env=env)
        assert listing.returncode == 0, listing.stderr
        assert {a["name"] for a in json.loads(listing.stdout)["actions"]} >= {"revert", "restore"}
        action = run_cli("--repo", str(repo), "rollback", "revert", "--dry-run", env=env)
        assert action.returncode == 4 and "tui" in action.stderr, action.stderr
    finally:
        tui.store.release()
