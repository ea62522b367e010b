"""Issue 24 (point 5): 5.3's form pre-filled `false` (3.2's yes/no answer, which shares the key) into its
Deployments list, and Continue then answered in CLI syntax. Now the field starts empty and says in the form
what it needs."""
from __future__ import annotations

from textual.widgets import Input, Label

from screens.dialogs.answers import AnswersDialog
from screens.widgets.answer_form import AnswerForm, field_id
from wizard.phases.integrate.image_automation import IMG_TARGETS

from .conftest import SIZE, settle, text_of, wait_for_screen


async def test_the_deployments_field_is_not_prefilled_with_3_2s_yes_or_no_and_says_what_it_needs(app, session):
    session.answers["image-automation"] = "false"  # 3.2: no image controllers at bootstrap
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.edit_answers("integrate.image-automation")
        dialog = await wait_for_screen(pilot, AnswersDialog, "#answer-form Input")
        form = dialog.query_one(AnswerForm)
        field = form.query_one(f"#{field_id(IMG_TARGETS)}", Input)
        assert field.value == ""
        assert form.values() is None  # empty: refused in the form, not later with a CLI sentence
        field.value = "false"
        error = form.query_one(f"#{field_id(IMG_TARGETS)}-error", Label)
        assert form.values() is None and "namespace/name" in text_of(error) and "answer " not in text_of(error)
        field.value = "apps/web"
        got = form.values()
        assert got is not None and got["image-automation"] == "apps/web"
