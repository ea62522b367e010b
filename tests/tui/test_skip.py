"""Issue 15 (point 10): an item can be skipped in the TUI, with a reason, as with the CLI's `skip`."""
from __future__ import annotations

from textual.widgets import Input

from screens.dialogs.answers import AnswersDialog
from screens.phase import PhaseScreen

from .conftest import SIZE, settle, wait_for, wait_for_screen


async def test_k_skips_the_highlighted_item_with_a_reason_and_the_palette_finds_skip(app, session):
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.action_open_phase("integrate")
        await wait_for(pilot, lambda: isinstance(app.screen, PhaseScreen))
        await settle(pilot)
        screen = app.screen
        item = screen.selected_item
        titles = [c.title for c in app.get_system_commands(screen)]
        assert f"Skip {item.alias} {item.id}" in titles
        await pilot.press("k")
        form = await wait_for_screen(pilot, AnswersDialog, "#answer-form Input")
        await pilot.press("enter")  # an empty reason is refused: the form stays
        await pilot.pause()
        assert app.screen is form
        form.query_one("#answer-form Input", Input).value = "no docs wanted in this repo"
        await pilot.press("enter")
        await wait_for(pilot, lambda: session.state.item(item.id).status == "skipped")
        assert "no docs wanted" in session.state.item(item.id).message
        assert isinstance(app.screen, PhaseScreen)


async def test_skipping_the_backup_warns_what_it_gives_up_in_the_form_and_the_cli(app, session, tmp_path):
    """Issue 24 (point 10): skipping 1.2 gave no warning."""
    from textual.widgets import Static

    from tests.helpers import run_cli

    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.action_open_phase("prep")
        await wait_for(pilot, lambda: isinstance(app.screen, PhaseScreen))
        await settle(pilot)
        screen = app.screen
        while screen.selected_item.id != "prep.backup":
            await pilot.press("down")
            await pilot.pause()
        await pilot.press("k")
        form = await wait_for_screen(pilot, AnswersDialog, "#answer-form Input")
        help_text = " ".join(str(w.content) for w in form.query(".answer-help").results(Static))
        assert "Warning" in help_text and "nothing to restore from" in help_text
    session.store.release()
    res = run_cli("--repo", str(session.repo), "skip", "prep.backup", "--reason", "testing")
    assert res.returncode == 0 and "warning: without the Phase 1 backup" in res.stderr, res.stderr
