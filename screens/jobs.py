"""The long work the App runs in thread workers: verify, plan and run checklist items.

These functions run off the UI thread. They call the headless core and report only through
`app.post_message` (thread-safe); they never touch a widget. A stop request reaches them
two ways: the worker's `is_cancelled` flag between items, and `session.cancel`, which
terminates the running subprocess.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from textual.worker import get_current_worker

from wizard.checklist import Plan, Verdict
from wizard.flux.prompt import token_needed
from wizard.runner import Cancelled, ToolError
from wizard.session import NeedsAnswers, WizardError

from .messages import ItemChecked, ItemStarted, OutputLogged, PlanPrepared, PlanRefused

if TYPE_CHECKING:  # pragma: no cover
    from .app import WizardApp


def verify_items(app: "WizardApp", item_ids: list[str]) -> dict[str, Verdict]:
    """Run each item's live check and store it; stops between items when cancelled."""
    from wizard.cluster.memo import one_moment

    with one_moment(app.session):  # one look at the cluster for all of them, as the CLI's verify
        return _verify_each(app, item_ids)


def _verify_each(app: "WizardApp", item_ids: list[str]) -> dict[str, Verdict]:
    worker = get_current_worker()
    results: dict[str, Verdict] = {}
    for n, item_id in enumerate(item_ids, 1):
        if worker.is_cancelled or app.session.cancel.cancelled:
            app.post_message(OutputLogged(f"verification stopped before {item_id}"))
            break
        app.post_message(ItemStarted(item_id, (n, len(item_ids)) if len(item_ids) > 1 else None))
        try:
            verdict = app.engine.verify(item_id)
        except Cancelled:
            app.post_message(OutputLogged(f"verification of {item_id} was stopped"))
            break
        results[item_id] = verdict
        app.post_message(ItemChecked(item_id, verdict))
    return results


def reverify_passed(app: "WizardApp") -> dict[str, Verdict]:
    """On resume: the core re-checks everything that had passed (it may have drifted), saying which one now."""
    return app.engine.reverify_passed(
        started=lambda n, total, item_id: app.post_message(ItemStarted(item_id, (n, total))),
        checked=lambda item_id, verdict: app.post_message(ItemChecked(item_id, verdict)))


def ask_when_runnable(app: "WizardApp", item_id: str, confirm: bool) -> None:
    """The item's prerequisites, checked live; only when they hold does the App ask its questions."""
    try:
        app.engine.check_runnable(app.engine.item(item_id))
    except WizardError as e:
        app.post_message(PlanRefused(item_id, str(e)))
        if confirm:
            raise
        return
    app.call_from_thread(app.show_questions, item_id, confirm)


def prepare_plan(app: "WizardApp", item_id: str, confirm: bool) -> Plan | None:
    """Compute what running the item would do. A refusal is shown; when running, it is also raised.

    When the item needs a git token that neither the environment nor an earlier prompt gave,
    the App asks for it (a no-echo dialog) and starts this again once it is typed.
    """
    var = token_needed(app.session, item_id)
    if var is not None:
        app.call_from_thread(app.ask_token, item_id, var, confirm)
        return None
    try:
        plan = app.engine.plan(item_id)
    except NeedsAnswers as e:
        # Questions only the repo can raise (which overlay, which copy of a duplicate): the App asks
        # them in the answers form and prepares the plan again.
        app.post_message(PlanRefused(item_id, str(e)))
        app.call_from_thread(app.ask_answers, item_id, e.questions, confirm)
        return None
    except (WizardError, ToolError) as e:
        app.post_message(PlanRefused(item_id, str(e)))
        if confirm:
            raise
        return None
    app.post_message(PlanPrepared(item_id, plan, confirm))
    return plan


def run_item(app: "WizardApp", item_id: str, plan: Plan) -> Verdict | None:
    """Apply a confirmed plan, streaming its progress lines, then report the new verdict."""
    app.post_message(ItemStarted(item_id))
    try:
        verdict = app.engine.run(item_id, plan, progress=lambda line: app.post_message(OutputLogged(line, item_id)))
    except NeedsAnswers as e:
        # The scratch proof found a question of a later step (nothing changed): the same answers form,
        # then the plan is prepared, shown and confirmed again.
        app.post_message(OutputLogged(f"{item_id}: {e}", item_id))
        app.call_from_thread(app.ask_answers, item_id, e.questions, True)
        return None
    except Cancelled:
        stored = app.session.state.item(item_id)
        app.post_message(OutputLogged(f"{item_id} was stopped: {stored.message}"))
        app.post_message(ItemChecked(item_id, Verdict(stored.status, stored.message, stored.evidence)))
        return None
    app.post_message(OutputLogged(f"{item_id}: {verdict.status}: {verdict.message}"))
    app.post_message(ItemChecked(item_id, verdict))
    questions = app.engine.item(item_id).follow_up(app.session, verdict)
    if questions:  # asked now, in the same flow (5.4: the code its test event carried)
        from .follow_up import ask_follow_up

        app.call_from_thread(ask_follow_up, app, item_id, questions)
    return verdict
