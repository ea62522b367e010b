"""Issue 15 (point 2): the rollback screen at 80x24: the preview of a chosen action is in view, and a
cluster error is one sentence with the tool's text behind d."""
from __future__ import annotations

from textual.widgets import OptionList

from screens.rollback import RollbackScreen

from .conftest import settle, text_of, wait_for
from .test_rollback import wizard_commit

KUBECTL_8080 = ("'kubectl get kustomizations -A -o json' failed with exit code 1: E1202 memcache.go:381] \"Couldn't get "
                "current server API group list\" / The connection to the server localhost:8080 was refused")


async def open_rollback(app, pilot) -> RollbackScreen:
    await settle(pilot)
    while len(app.screen_stack) > 1:  # e.g. the resume prompt
        app.pop_screen()
    await pilot.press("u")
    await wait_for(pilot, lambda: isinstance(app.screen, RollbackScreen))
    await settle(pilot)
    return app.screen


async def test_the_preview_of_a_chosen_action_is_in_view_at_80x24(app, session):
    wizard_commit(session)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_rollback(app, pilot)
        ol = screen.query_one("#rollback-actions", OptionList)
        ol.highlighted = [ol.get_option_at_index(i).id for i in range(ol.option_count)].index("revert")
        ol.action_select()
        await settle(pilot)
        await wait_for(pilot, lambda: "git revert --no-edit" in text_of(screen.query_one("#rollback-text")))
        text = screen.query_one("#rollback-text")
        visible = text.region.intersection(app.screen.region)
        assert visible.height >= 3, (text.region, screen.query_one("#rollback-actions").region)


async def test_a_tool_error_is_one_sentence_and_d_shows_the_tools_text(app, session):
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_rollback(app, pilot)
        screen.show_error("[b]suspend[/b] cannot run now", KUBECTL_8080)
        await pilot.pause()
        shown = text_of(screen.query_one("#rollback-text"))
        assert "No cluster is configured for kubectl here" in shown and "memcache" not in shown
        assert "d shows the tool's output" in shown
        await pilot.press("d")
        await pilot.pause()
        assert "memcache.go:381" in text_of(screen.query_one("#rollback-text"))
        await pilot.press("d")
        await pilot.pause()
        assert "memcache" not in text_of(screen.query_one("#rollback-text"))
