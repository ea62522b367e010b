"""5.4 in the TUI as one flow (issue 24, point 4): the webhook address is typed into a no-echo field when the
environment lacks it (no quitting to export a variable), and right after the run that sent the test event
the answers form asks for its code, then 5.4 is checked again (no second and third run).

No cluster: the address prompt comes before any cluster call; the run itself is stood in for by an
Engine.run that records the sent event, as the real one does after its kubectl apply (the live flow is
tests/e2e/test_integrate_notifications.py and the follow-next journey).
"""
from __future__ import annotations

import pytest
from textual.widgets import Input

from screens.dialogs.answers import AnswersDialog
from screens.dialogs.token import TokenDialog
from screens.widgets.answer_form import AnswerForm
from wizard.checklist import Plan, Verdict
from wizard.integrate import notify as nt

from .conftest import SIZE, settle, text_of, wait_for, wait_for_screen

URL = "https://hooks.example.invalid/services/T0/B0/" + "q8Zr" * 6
CODE = "0a1b2c3d"


@pytest.fixture
def ready_for_5_4(session, monkeypatch):
    monkeypatch.delenv(nt.URL_ENV, raising=False)
    session.answers.update({"secrets": "sops", "notify-provider": "generic", "notify-severity": "info",
                            "push": "true", "events-url": ""})
    session.store.save()
    return session


async def test_the_webhook_address_is_typed_hidden_and_kept_in_memory_only(app, ready_for_5_4, monkeypatch):
    session = ready_for_5_4
    # 3.4 is green by the state; its live re-check (no cluster here) stands in as done
    monkeypatch.setattr(app.engine, "missing_prerequisites", lambda item, recheck=False: [])
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        # 3.4 green, as after bootstrap (set once the home screen's re-check, which has no cluster here, is done)
        session.state.item("bootstrap.namespace").status = "passed"
        app.request_run("integrate.notifications")
        # Every question of 5.4 has its saved answer: no form (not asked twice), the hidden field at once.
        dialog = await wait_for_screen(pilot, TokenDialog, "#token-input")
        body = text_of(dialog.query_one("#token-body"))
        assert "webhook address" in body and "nothing is shown as you type" in body and "never stored" in body
        field = dialog.query_one("#token-input", Input)
        await wait_for(pilot, lambda: dialog.focused is field)  # focused once the dialog is shown, not before
        assert field.password
        field.value = URL
        await pilot.pause()
        assert URL not in app.export_screenshot()
        await pilot.press("enter")
        await wait_for(pilot, lambda: not isinstance(app.screen, TokenDialog))
        await settle(pilot)
        assert session.prompted_tokens == {nt.URL_ENV: URL} and field.value == ""
    assert URL not in session.store.path.read_text()


async def test_right_after_the_run_that_sent_the_event_the_form_asks_for_its_code(app, ready_for_5_4, monkeypatch):
    session = ready_for_5_4

    def sent_the_event(item_id, plan, progress=lambda line: None):  # stands in for apply's kubectl and POST
        session.state.record(nt.SENT, item=item_id, code=CODE, events_url="http://127.0.0.1:1/", http_status=202)
        progress(f"sent a test event (code {CODE})")
        return Verdict("pending", f"a test event with code {CODE} went through the notification-controller")

    monkeypatch.setattr(app.engine, "run", sent_the_event)
    checked = []
    monkeypatch.setattr(app.engine, "verify", lambda ref: checked.append(
        (ref, session.answers.get("notify-received"))) or Verdict("passed", "the test event arrived"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app._start_run("integrate.notifications", Plan("integrate.notifications", "notifications", [],
                                                       changes="cluster"))
        dialog = await wait_for_screen(pilot, AnswersDialog, "#answer-form Input")
        form = dialog.query_one(AnswerForm)
        assert [q.key for q in form.questions] == ["notify-received"]
        assert "The test event went out" in form.questions[0].prompt
        dialog.query_one("#answer-form Input", Input).value = CODE
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: any(ref == "integrate.notifications" for ref, _ in checked))
        await settle(pilot)
    # checked again with the code, in the same flow
    assert [c for c in checked if c[0] == "integrate.notifications"] == [("integrate.notifications", CODE)]
    assert session.answers["notify-received"] == CODE
