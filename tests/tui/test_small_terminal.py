"""Issue 15 (point 1): at 80x24 every dialog keeps its buttons on the screen; long content scrolls."""
from __future__ import annotations

import pytest
from textual.widgets import Button

from screens.dialogs.answers import AnswersDialog
from screens.dialogs.confirm import ConfirmDialog
from screens.dialogs.error import ErrorDialog

from .conftest import settle, wait_for, wait_for_screen

LONG = "\n".join(f"line {i}: what this step would do, spelled out at length for the preview" for i in range(60))


def dialogs(app):
    run = app.engine.item("bootstrap.run")  # the item with the most questions
    return {
        "answers": (AnswersDialog(run, {}), "#submit"),
        "confirm": (ConfirmDialog("Run 2.4?", LONG), "#ok"),
        "typed": (ConfirmDialog("Run 3.2?", LONG, require_text="homelab-admin"), "#ok"),
        "error": (ErrorDialog("It failed", LONG), "Button"),
    }


@pytest.mark.parametrize("name", ["answers", "confirm", "typed", "error"])
@pytest.mark.parametrize("size", [(80, 24), (200, 60)])
async def test_the_buttons_are_on_screen(app, name, size):
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        dialog, button = dialogs(app)[name]
        app.push_screen(dialog)
        await wait_for_screen(pilot, type(dialog), button)
        await pilot.pause()
        screen = app.screen.region
        for b in app.screen.query(Button):
            r = b.region
            assert r.height >= 3 and screen.contains_region(r), (name, size, b.id, r, screen)


async def test_at_80_columns_the_footer_shows_help_and_quit_on_every_screen(app):
    """Issue 15 (point 1): the footer was cut at ^q (Help hidden)."""
    import re

    from screens.phase import PhaseScreen

    def footer_line() -> str:
        svg = app.export_screenshot()
        rows = {}
        for m in re.finditer(r'<text class="[^"]*" x="([\d.]+)" y="([\d.]+)"[^>]*>(.*?)</text>', svg):
            rows.setdefault(float(m.group(2)), []).append((float(m.group(1)), m.group(3)))
        last = rows[max(rows)]
        return "".join(t for _, t in sorted(last)).replace("&#160;", " ")

    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        line = footer_line()
        for word in ("? Help", "^q Quit", "P Plan", "S Secrets", "F Flux", "u Undo"):
            assert word in line, line
        for phase in ("prep", "repo", "bootstrap"):
            app.action_go_home()
            app.action_open_phase(phase)
            await settle(pilot)
            assert isinstance(app.screen, PhaseScreen)
            line = footer_line()
            assert "? Help" in line and "^q Quit" in line and "r Run" in line, line
        for key in ("P", "S", "F", "u"):  # the plan and secrets footers were cut at "? Hel" / "^q"
            app.action_go_home()
            await pilot.pause()
            await pilot.press(key)
            await wait_for(pilot, lambda: len(app.screen_stack) > 1 and app.screen.query("Footer"))
            await settle(pilot)
            line = footer_line()
            assert "? Help" in line and "^q Quit" in line, (key, line)


async def test_at_80x24_the_evidence_and_preview_get_the_rows_and_z_zooms_a_pane(app):
    """Issue 15 (point 1): the Evidence and Preview panes showed 2-3 lines at 80x24."""
    from screens.phase import PhaseScreen

    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.action_open_phase("repo")
        await wait_for_screen(pilot, PhaseScreen, "#log")
        await pilot.pause()
        screen = app.screen
        ev, pv, log = (screen.query_one(f"#{i}").region for i in ("evidence", "preview", "log"))
        assert ev.height >= 7 and pv.height >= 7 and log.height <= pv.height, (ev, pv, log)
        screen.query_one("#preview").focus()
        await pilot.press("z")
        await pilot.pause()
        assert screen.maximized is screen.query_one("#preview")
        assert screen.query_one("#preview").region.height >= 20
        await pilot.press("escape")  # leaves the zoom first, not the screen
        await pilot.pause()
        assert screen.maximized is None and app.screen is screen
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is not screen
