"""A question a plan raises is shown in the form even when it is declared with `when` for the item's own
form (issue 24, found by the pty journey: 2.5's ci-deploy opened an answers form with no field in it, and
Continue asked the same empty form again, for ever)."""
from __future__ import annotations

from textual.widgets import Select

from screens.dialogs.answers import AnswersDialog
from screens.widgets.answer_form import field_id
from wizard.phases.repo.ci_before_push import CI_DEPLOY

from .conftest import SIZE, settle, wait_for, wait_for_screen


async def test_a_raised_question_declared_for_no_form_is_asked_and_its_answer_kept(app, session):
    assert not CI_DEPLOY.applies(session.answers)  # 2.5's own form never shows it
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        while len(app.screen_stack) > 1:
            app.pop_screen()
        app._start_plan = lambda *a, **k: None  # the answer is what is tested, not the plan after it
        app.ask_answers("repo.commit-push", [CI_DEPLOY], confirm=False)
        dialog = await wait_for_screen(pilot, AnswersDialog, "#answer-form")
        row = dialog.query_one(f"#{field_id(CI_DEPLOY)}-row")
        assert row.display, "the raised question's field is hidden"
        assert dialog.query_one(f"#{field_id(CI_DEPLOY)}", Select).value == "with-rewrite"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: not isinstance(app.screen, AnswersDialog))
    assert session.answers["ci-deploy"] == "with-rewrite"
