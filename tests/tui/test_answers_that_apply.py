"""Issue 15 (points 8 and 10): a form asks only what applies, and suggests what the repo implies.

S.2's form hides the Sealed Secrets questions while SOPS is chosen; 3.1 offers the plain git provider
for a remote on http://127.0.0.1 (not GitHub), and 3.2 does not ask GitHub-only questions then.
"""
from __future__ import annotations

from textual.widgets import Select

from screens.dialogs.answers import AnswersDialog
from screens.widgets.answer_form import AnswerForm, field_id
from wizard.phases.secrets.common import CERT, METHOD, SCOPE
from wizard.usecase import fill_questions

from .conftest import SIZE, git, mounted_select, settle, wait_for_screen


def shown(form: AnswerForm, q) -> bool:
    return form.query_one(f"#{field_id(q)}-row").display


async def test_the_sealed_secrets_questions_show_only_for_sealed_secrets(app):
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.edit_answers("secrets.keys")
        dialog = await wait_for_screen(pilot, AnswersDialog, "#answer-form Select")
        form = dialog.query_one(AnswerForm)
        method = await mounted_select(pilot, form.query_one(f"#{field_id(METHOD)}", Select))
        method.value = "sops"
        await pilot.pause()
        assert not shown(form, CERT) and not shown(form, SCOPE)
        method.value = "sealed-secrets"
        await pilot.pause()
        assert shown(form, CERT) and shown(form, SCOPE)
        method.value = "sops"
        await pilot.pause()
        assert form.values() == {"secrets": "sops"}  # what does not apply is not answered


async def test_3_1_suggests_the_plain_git_provider_for_a_loopback_remote(app, session):
    git(session.repo, "remote", "add", "origin", "http://127.0.0.1:3000/me/homelab.git")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.edit_answers("bootstrap.credentials")
        dialog = await wait_for_screen(pilot, AnswersDialog, "#answer-form Select")
        assert dialog.query_one("#answer-form Select", Select).value == "git"
    session.answers["provider"] = "git"
    asked = []

    class Recording:
        def question(self, q):
            asked.append(q.key)
            return None

    fill_questions(session, app.engine.item("bootstrap.run").questions, Recording())
    assert "personal" not in asked and "private" not in asked and "image-automation" in asked


def test_plain_and_the_cli_skip_what_does_not_apply(session):
    from wizard.engine import Engine

    asked = []

    class Recording:
        def question(self, q):
            asked.append(q.key)
            return "sops" if q.key == "secrets" else None

    fill_questions(session, Engine(session).item("secrets.keys").questions, Recording())
    assert asked == ["secrets"] and "sealed-scope" not in session.answers
