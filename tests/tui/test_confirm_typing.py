"""Issue 15 (point 10): in a type-to-confirm dialog the keys go to the input at once."""
from __future__ import annotations

from screens.dialogs.confirm import ConfirmDialog

from .conftest import SIZE, settle, wait_for, wait_for_screen


async def test_typing_the_word_right_away_confirms(app):
    results = []
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.push_screen(ConfirmDialog("Run 3.2?", "It changes the cluster.", require_text="lab"), results.append)
        await wait_for_screen(pilot, ConfirmDialog, "#confirm-text")
        await pilot.press("l", "a", "b", "enter")
        await wait_for(pilot, lambda: results == [True])


async def test_a_yes_no_dialog_still_starts_on_cancel(app):
    results = []
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.push_screen(ConfirmDialog("Run 2.1?", "It changes files."), results.append)
        await wait_for_screen(pilot, ConfirmDialog, "#ok")
        await pilot.press("enter")
        await wait_for(pilot, lambda: results == [False])


async def test_a_double_click_on_the_go_ahead_button_answers_once_and_keeps_the_screen_under_it(app):
    """Found by the pty journey (issue 24): a second click on "Run it" before the dialog was gone popped the
    screen under it too, and the TUI stopped with a ScreenStackError."""
    from textual.widgets import Button

    from screens.dialogs.confirm import ConfirmDialog
    from screens.phase import PhaseScreen

    answers = []
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, PhaseScreen)
        app.push_screen(ConfirmDialog("Run 1.0 Preflight?", "what it does", ok_label="Run it"), answers.append)
        await pilot.pause()
        ok = app.screen.query_one("#ok", Button)
        ok.press()
        ok.press()
        await pilot.pause()
        await pilot.pause()
        assert answers == [True]
        assert isinstance(app.screen, PhaseScreen) and app.is_running
