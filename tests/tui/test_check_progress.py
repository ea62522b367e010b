"""Issue 24 (point 10): a re-check of many items (v on the home screen, the resume re-check) shows a counter
and the item being checked, and the line goes when the re-check ends."""
from __future__ import annotations

import threading

from textual.widgets import Static

from screens.home import HomeScreen

from .conftest import SIZE, settle, text_of, wait_for


async def test_verify_all_shows_which_item_it_checks_and_how_far_it_is(app, session):
    release = threading.Event()
    real = app.engine.verify
    third = app.engine.items[2]

    def held_verify(item_id):  # the third check waits until the test has read the screen
        if item_id == third.id:
            release.wait(30)
        return real(item_id)

    app.engine.verify = held_verify
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        while len(app.screen_stack) > 1:  # the resume prompt, if any
            app.pop_screen()
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        summary = app.screen.query_one("#home-summary", Static)
        await pilot.press("v")
        total = len(app.engine.items)
        await wait_for(pilot, lambda: f"Checking 3 of {total}: {third.alias} {third.title}" in text_of(summary))
        release.set()
        await wait_for(pilot, lambda: not app.work_running(), timeout=120)
        await settle(pilot)
        assert "Checking" not in text_of(summary)


def test_the_core_reports_each_re_check_of_what_passed(session):
    from wizard.checklist import Verdict
    from wizard.engine import Engine

    engine = Engine(session)
    for item in engine.items[:2]:
        engine._store(item, Verdict("passed", "ok"))
    seen = []
    engine.reverify_passed(started=lambda n, total, item_id: seen.append((n, total, item_id)))
    assert seen == [(1, 2, engine.items[0].id), (2, 2, engine.items[1].id)]
