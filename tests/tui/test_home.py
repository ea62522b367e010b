"""The home screen: every phase with its progress, and the way into a phase."""
from __future__ import annotations

from screens.home import HomeScreen
from screens.phase import PhaseScreen
from screens.widgets.checklist import Checklist
from screens.widgets.phase_list import PhaseList
from wizard.catalog import PHASES

from .conftest import SIZE, settle, text_of


def counts(screen, phase_id: str) -> str:
    return screen.query_one(PhaseList).counts(phase_id, screen.app.session.state)


def row(screen, phase_id: str) -> str:
    return screen.query_one(PhaseList).get_option(phase_id).prompt.plain


async def test_home_lists_the_five_phases_and_the_secrets_group_with_counts(app):
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, HomeScreen)
        phases = screen.query_one(PhaseList)
        shown = [phases.get_option_at_index(i).prompt.plain for i in range(phases.option_count)]
        assert len(shown) == len(PHASES) == 6
        for line, (_, num, title) in zip(shown, PHASES):
            assert line.startswith(f"{num}  {title}")
        for pid, _, _ in PHASES:  # counts come from the catalog, whatever is built so far
            items = [it for it in app.engine.items if it.phase == pid]
            later = sum(1 for it in items if it.unavailable)
            expected = f"0/{len(items)} passed" + (f" · {later} not available yet" if later else "")
            assert counts(screen, pid) == expected and row(screen, pid).endswith(expected)
        assert counts(screen, "prep") == "0/4 passed"
        assert "not pinned yet" in text_of(screen.query_one("#home-summary"))
        assert "Next: 1.0 Preflight" in text_of(screen.query_one("#next-step"))


async def test_home_progress_counts_what_passed(structure_passed, app):
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)  # the resume dialog re-verifies 1.1 first
        await pilot.press("escape")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, HomeScreen)
        assert row(screen, "prep").endswith("1/4 passed")
        bar = screen.query_one(PhaseList).get_option("prep").prompt
        assert "━" * 6 in [span_text(bar, s) for s in bar.spans if s.style == "green"]  # a quarter of 24


async def test_enter_opens_the_highlighted_phase_with_its_items(app):
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, PhaseScreen) and screen.phase_id == "prep"
        checklist = screen.query_one(Checklist)
        ids = [checklist.get_option_at_index(i).id for i in range(checklist.option_count)]
        assert ids == ["prep.preflight", "prep.structure", "prep.backup", "prep.inventory"]


async def test_digit_keys_jump_to_a_phase(app):
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("2")
        await pilot.pause()
        assert isinstance(app.screen, PhaseScreen) and app.screen.phase_id == "repo"
        await pilot.press("escape", "s")
        await pilot.pause()
        assert isinstance(app.screen, PhaseScreen) and app.screen.phase_id == "secrets"


def span_text(text, span) -> str:
    return text.plain[span.start:span.end]


async def test_n_opens_the_item_next_names_highlighted_so_r_runs_it(app):
    """The Next line says where to go and `n` goes there (issue 24: the pty journey follows it)."""
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        nxt = app.engine.next_step()[0]
        assert "(n goes there)" in text_of(app.screen.query_one("#next-step"))
        await pilot.press("2")  # somewhere else first: n goes from any phase, through home
        await pilot.pause()
        app.action_go_next()
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, PhaseScreen) and screen.phase_id == nxt.phase
        assert screen.selected_item.id == nxt.id
        assert len(app.screen_stack) == 2  # home, then the phase: Esc goes home
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, PhaseScreen) and app.screen.selected_item.id == nxt.id
