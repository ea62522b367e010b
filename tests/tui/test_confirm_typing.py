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
