"""Snapshots of the home screen, a phase screen and the confirmation dialog.

Deterministic by construction: a fixed terminal size, a fresh state (no timestamps shown),
the repo at a fixed name, and no blinking cursors. Update with `--snapshot-update` after
checking the new SVGs by eye (pytest writes snapshot_report.html on a mismatch).
"""
from __future__ import annotations

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
