"""Snapshots of the home screen, a phase screen and the confirmation dialog.

Deterministic by construction: a fixed terminal size, a fresh state (no timestamps shown),
the repo at a fixed name, and no blinking cursors. Update with `--snapshot-update` after
checking the new SVGs by eye (pytest writes snapshot_report.html on a mismatch).
"""
from __future__ import annotations

import pytest
from textual.widgets import Input

from screens.dialogs.confirm import confirm_for_plan
from wizard.checklist import Plan, Step
from wizard.state import ClusterIdentity

from .conftest import SIZE, settle


async def freeze_cursors(pilot) -> None:
    for widget in pilot.app.screen.query(Input):
        widget.cursor_blink = False
    await pilot.pause()


class TestHome:
    """The first screen a user sees. It renders the real catalog, so it changes (update it) when
    a phase's items become available."""

    def test_home_on_a_fresh_repo(self, app, snap_compare):
        assert snap_compare(app, terminal_size=SIZE)


class TestPhase:
    """A phase's checklist with the evidence, preview and log panes."""

    def test_phase_1_checklist_with_evidence_and_preview(self, app, snap_compare):
        async def open_structure(pilot):
            await pilot.press("enter", "down")
            await pilot.pause()

        assert snap_compare(app, terminal_size=SIZE, run_before=open_structure)


class TestConfirm:
    """The confirmation before anything changes."""

    def test_confirm_before_recording_the_structure_choice(self, app, snap_compare):
        async def reach_confirmation(pilot):
            await pilot.press("enter", "down", "r")
            await pilot.pause()
            await pilot.press("ctrl+s")
            await settle(pilot)

        assert snap_compare(app, terminal_size=SIZE, run_before=reach_confirmation)

    def test_confirm_a_cluster_change_by_typing_the_context(self, app, session, snap_compare):
        session.state.cluster = ClusterIdentity("homelab-admin", "https://127.0.0.1:6443", "uid-1")
        plan = Plan("prep.backup", "Back up the cluster context 'homelab-admin'",
                    [Step("command", "kubectl get …")], changes="cluster")

        async def push_dialog(pilot):
            app = pilot.app
            await pilot.press("enter")  # over Phase 1, which no later issue changes
            await pilot.pause()
            app.push_screen(confirm_for_plan(app.engine.item("prep.backup"), plan, session))
            await pilot.pause()
            await freeze_cursors(pilot)

        assert snap_compare(app, terminal_size=SIZE, run_before=push_dialog)


SIZES = [(80, 24), (120, 40)]


async def _open(pilot, action: str) -> None:
    app = pilot.app
    await settle(pilot)
    getattr(app, action)()
    await settle(pilot)
    await pilot.pause()


class TestEveryScreenAtTwoSizes:
    """Issue 15: every screen and dialog at 80x24 and 120x40 (no cluster, a fresh state)."""

    @pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
    def test_home(self, app, snap_compare, size):
        assert snap_compare(app, terminal_size=size)

    @pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
    @pytest.mark.parametrize("screen", ["action_open_plan", "action_open_secrets", "action_open_flux_status",
                                         "action_rollback", "action_help"])
    def test_screen(self, app, snap_compare, screen, size):
        async def run_before(pilot):
            await _open(pilot, screen)

        assert snap_compare(app, terminal_size=size, run_before=run_before)

    @pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
    @pytest.mark.parametrize("phase", ["prep", "repo", "secrets", "bootstrap", "validate", "integrate"])
    def test_phase(self, app, snap_compare, phase, size):
        async def run_before(pilot):
            await settle(pilot)
            pilot.app.action_open_phase(phase)
            await settle(pilot)

        assert snap_compare(app, terminal_size=size, run_before=run_before)

    @pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
    @pytest.mark.parametrize("dialog", ["answers", "confirm", "error"])
    def test_dialog(self, app, snap_compare, dialog, size):
        from screens.dialogs.answers import AnswersDialog
        from screens.dialogs.confirm import ConfirmDialog
        from screens.dialogs.error import ErrorDialog

        async def run_before(pilot):
            app = pilot.app
            await settle(pilot)
            made = {"answers": lambda: AnswersDialog(app.engine.item("bootstrap.run"), {}),
                    "confirm": lambda: ConfirmDialog("Run 3.2 Run flux bootstrap?", "It changes the cluster.\n" * 30,
                                                     require_text="homelab-admin"),
                    "error": lambda: ErrorDialog("3.2 did not finish", "the reason, at length. " * 60)}[dialog]
            app.push_screen(made())
            await pilot.pause()
            await freeze_cursors(pilot)

        assert snap_compare(app, terminal_size=size, run_before=run_before)
