"""Running an item: answers form → preview → confirmation (Cancel focused) → run in a worker."""
from __future__ import annotations

from textual.widgets import Button, Select

from screens.dialogs.answers import AnswersDialog
from screens.dialogs.confirm import ConfirmDialog
from screens.phase import PhaseScreen

from .conftest import SIZE, git, settle, text_of


async def answer_option_b_and_reach_the_confirmation(pilot) -> ConfirmDialog:
    app = pilot.app
    await pilot.press("enter", "down", "r")  # phase 1, item 1.1, run
    await pilot.pause()
    assert isinstance(app.screen, AnswersDialog)
    select = app.screen.query_one("#answer-option", Select)
    assert app.screen.focused is select and select.value == "a"  # the default, preselected
    await pilot.press("enter", "down", "enter")  # open the choices, pick Option B
    await pilot.pause()
    assert select.value == "b"
    await pilot.press("ctrl+s")  # Continue
    await settle(pilot)
    assert isinstance(app.screen, ConfirmDialog)
    return app.screen


async def test_cancelling_the_confirmation_changes_nothing(app, session, homelab_repo):
    async with app.run_test(size=SIZE) as pilot:
        dialog = await answer_option_b_and_reach_the_confirmation(pilot)
        assert dialog.focused is dialog.query_one("#cancel", Button)  # the safe choice is focused
        assert "Option B will be recorded" in str(dialog.query_one("#confirm-body").content)
        preview = text_of(app.screen_stack[-2].query_one("#preview-text"))
        assert "What Option A would do" in preview and "What Option B would do" in preview

        await pilot.press("enter")  # presses Cancel
        await settle(pilot)
        assert isinstance(app.screen, PhaseScreen)
        assert session.state.item("prep.structure").status == "pending"
        assert not [e for e in session.state.journal if e["action"] == "structure-chosen"]
        assert git(homelab_repo, "status", "--porcelain") == ""
        assert any("nothing was changed" in line for line in app.screen.query_one("#log").entries)


async def test_confirming_records_the_choice_and_ticks_the_item(app, session, homelab_repo):
    async with app.run_test(size=SIZE) as pilot:
        await answer_option_b_and_reach_the_confirmation(pilot)
        await pilot.press("tab", "enter")  # move to "Run it" and press it
        await settle(pilot)
        assert isinstance(app.screen, PhaseScreen)
        st = session.state.item("prep.structure")
        assert st.status == "passed", st.message
        chosen = [e for e in session.state.journal if e["action"] == "structure-chosen"]
        assert [e["option"] for e in chosen] == ["b"]
        assert session.answers["option"] == "b"
        # The stored state on disk agrees (saved after the step, not only on quit).
        assert '"structure-chosen"' in session.store.path.read_text()
        assert "Option B chosen" in text_of(app.screen.query_one("#evidence-text"))
        assert "recorded Option B" in "\n".join(app.screen.query_one("#log").entries)
        assert git(homelab_repo, "status", "--porcelain") == ""  # 1.1 only records a choice


async def test_an_invalid_answer_is_refused_in_the_form(app, session):
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter", "down", "r")
        await pilot.pause()
        dialog = app.screen
        cluster = dialog.query_one("#answer-cluster")
        cluster.value = "   "
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is dialog
        error = dialog.query_one("#answer-cluster-error")
        assert error.display and "cluster needs a value" in str(error.content)
        assert "cluster" not in session.answers


async def test_a_question_answered_at_the_preview_is_not_asked_again_and_the_confirmation_can_change_it(app, session):
    """Issue 24 (point 10): the same question twice (p asked 1.1's option, then r asked it again), and
    choices before their previews: the confirmation shows the preview made with the answer and offers
    "Change answers…", which goes back to the form and then to a new preview."""
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter", "down", "p")  # phase 1, item 1.1, preview: its question first
        await pilot.pause()
        assert isinstance(app.screen, AnswersDialog)
        await pilot.press("ctrl+s")  # Option A, the default
        await settle(pilot)
        assert isinstance(app.screen, PhaseScreen) and session.answers["option"] == "a"
        await pilot.press("r")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, ConfirmDialog), "the answered question was asked again"
        assert "Option A will be recorded" in str(dialog.query_one("#confirm-body").content)
        dialog.query_one("#change-answers", Button).press()
        await settle(pilot)
        assert isinstance(app.screen, AnswersDialog)
        select = app.screen.query_one("#answer-option", Select)
        assert select.value == "a"
        select.value = "b"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        assert "Option B will be recorded" in str(app.screen.query_one("#confirm-body").content)
        await pilot.press("tab", "enter")
        await settle(pilot)
    assert session.state.item("prep.structure").status == "passed" and session.answers["option"] == "b"
