"""Issue 15 (point 4): the command log shows the newest lines, also on a screen opened after they ran."""
from __future__ import annotations

from screens.phase import PhaseScreen
from screens.widgets.command_log import CommandLog

from .conftest import SIZE, settle, wait_for


async def test_a_freshly_opened_phase_shows_the_latest_log_lines(app):
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        for i in range(300):
            app.write_log(f"earlier line {i}")
        app.action_open_phase("repo")
        await wait_for(pilot, lambda: isinstance(app.screen, PhaseScreen))
        await settle(pilot)
        log = app.screen.query_one(CommandLog)
        await wait_for(pilot, lambda: log.max_scroll_y > 0 and log.scroll_offset.y == log.max_scroll_y)
        app.write_log("the newest line")
        await wait_for(pilot, lambda: log.scroll_offset.y == log.max_scroll_y and
                       log.lines[-1] == "the newest line")
