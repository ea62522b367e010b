"""Issue 21 in the TUI: `r` on an item that only checks checks it (as the CLI's `run` does), and the
answers form (`a`) shows the saved answer to a question an item raised while planning (2.0's
adopt.<object>), so a choice that led to a refusal can be changed."""
from __future__ import annotations

from textual.widgets import Select

from screens.app import make_app
from screens.dialogs.answers import AnswersDialog
from screens.phase import PhaseScreen
from screens.widgets.answer_form import field_id
from wizard.checklist import Item, Plan, Question, Step, Verdict
from wizard.engine import Engine
from wizard.session import NeedsAnswers

from .conftest import SIZE, settle


class OnlyChecks(Item):
    id, alias, title = "prep.preflight", "1.0", "only checks"
    settles = "wait for the flag"

    def verify(self, session):
        return Verdict("passed", "flag seen") if (session.repo / "flag").exists() else Verdict("pending", "no flag")

    def settle(self, session, progress):
        progress("waiting for the flag")
        (session.repo / "flag").write_text("x")


ADOPT = Question("adopt.Secret/apps/db", "Secret apps/db: only in the cluster. Adopt it?",
                 [("adopt", "adopt"), ("leave", "leave"), ("later", "later")], default="adopt")


class AsksWhilePlanning(Item):
    id, alias, title = "prep.structure", "1.1", "asks per object"

    def verify(self, session):
        return Verdict("pending", "undecided")

    def plan(self, session):
        if ADOPT.key not in session.answers:
            raise NeedsAnswers("Secret apps/db exists only in the cluster", [ADOPT])
        return Plan(self.id, "adopt", [Step("info", "x")], changes="repo")

    def apply(self, session, plan, progress):
        pass


async def test_r_on_an_item_that_only_checks_checks_it(session):
    app = make_app(session, Engine(session, items=[OnlyChecks(), AsksWhilePlanning()]))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, PhaseScreen) and screen.selected_item.id == "prep.preflight"
        assert screen.check_action("run_item", ()) is True  # not greyed out
        await pilot.press("r")
        await settle(pilot)
        assert isinstance(app.screen, PhaseScreen)  # no confirmation: nothing changes
        assert session.state.item("prep.preflight").status == "passed"
        assert any("waiting for the flag" in line for line in screen.query_one("#log").entries)


async def test_the_answers_form_changes_a_saved_answer_to_a_question_raised_while_planning(session):
    engine = Engine(session, items=[OnlyChecks(), AsksWhilePlanning()])
    try:
        engine.plan("1.1")
    except NeedsAnswers:
        pass
    session.answers[ADOPT.key] = "adopt"
    session.state.item("prep.structure").needs = ["secrets.keys"]  # what "adopt" made it need
    app = make_app(session, engine)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter", "down")
        await pilot.pause()
        assert app.screen.selected_item.id == "prep.structure"
        assert app.screen.check_action("edit_answers", ()) is True
        await pilot.press("a")
        await pilot.pause()
        assert isinstance(app.screen, AnswersDialog)
        select = app.screen.query_one(f"#{field_id(ADOPT)}", Select)
        assert select.value == "adopt"
        select.value = "later"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, PhaseScreen)
    assert session.answers[ADOPT.key] == "later"
    assert session.state.item("prep.structure").needs == []
