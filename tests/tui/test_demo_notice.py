"""Issue 15 (point 6): outside a git repo the demo opens, and the TUI itself says why."""
from __future__ import annotations

import argparse

from wizard.cli import commands

from .conftest import SIZE, settle


def test_outside_a_git_repo_the_demo_is_launched_with_the_reason(tmp_path, monkeypatch):
    launched = []
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOMELAB_WIZARD_DATA", str(tmp_path / "data"))
    monkeypatch.setattr(commands, "stdin_interactive", lambda: True)
    monkeypatch.setattr(commands.sys.stdout, "isatty", lambda: True, raising=False)
    monkeypatch.setattr(commands, "launch_ui", lambda args: launched.append(args) or 0)
    args = argparse.Namespace(repo=None, kubeconfig=None, context=None, plain=False, dir=str(tmp_path / "demo"))
    assert commands.interactive(args) == 0
    assert launched and "is not inside a git repository" in launched[0].notice
    assert "demo" in launched[0].notice


async def test_the_tui_shows_the_notice_it_was_started_with(session):
    from screens.app import make_app

    app = make_app(session, notice="/tmp/x is not inside a git repository. So this is the demo.")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert any("So this is the demo" in line for line in app.log_since(0))
        assert any("So this is the demo" in n.message for n in app._notifications)
