"""Issue 15 (point 4): the command log shows the newest lines, also on a screen opened after they ran."""
from __future__ import annotations

from screens.phase import PhaseScreen
from screens.widgets.command_log import CommandLog, wrap

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


async def test_a_long_line_wraps_at_the_pane_width_and_refolds_when_the_terminal_grows(app):
    """Issue 15 (point 10): lines were cut at the pane's edge; the end of a long path was never seen."""
    long = "$ kubectl apply --server-side --dry-run=server -f " + "clusters/homelab/apps/web/end.yaml"
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.action_open_phase("repo")
        await wait_for(pilot, lambda: isinstance(app.screen, PhaseScreen))
        await settle(pilot)
        log = app.screen.query_one(CommandLog)
        app.write_log(long)
        await wait_for(pilot, lambda: log.entries and log.entries[-1] == long)
        width = log.scrollable_content_region.width
        await wait_for(pilot, lambda: log.lines[-1].strip().endswith("/end.yaml"))
        folded = log.lines[-len(wrap(long, width - 1)):]
        assert len(folded) > 1 and all(len(ln) <= width for ln in folded), folded
        assert "".join(ln.strip() for ln in folded).replace(" ", "") == long.replace(" ", "")
        await pilot.resize_terminal(200, 60)
        await wait_for(pilot, lambda: log.lines[-1] == long)  # wide enough now: one line again
