"""The phase screen: checklist, evidence of the selected item, greyed-out keys, errors."""
from __future__ import annotations

from screens.app import make_app
from screens.dialogs.answers import AnswersDialog
from screens.dialogs.confirm import ConfirmDialog
from screens.dialogs.error import ErrorDialog
from screens.home import HomeScreen
from screens.phase import PhaseScreen
from screens.widgets.checklist import Checklist
from wizard.catalog import CATALOG
from wizard.checklist import NotYetAvailable
from wizard.engine import Engine

from .conftest import SIZE, settle, text_of, wait_for


def evidence(screen) -> str:
    return text_of(screen.query_one("#evidence-text"))


async def test_selecting_an_item_shows_its_stored_evidence(app, session):
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter", "down", "v")  # verify 1.1 for real: no option chosen yet
        await settle(pilot)
        screen = app.screen
        assert session.state.item("prep.structure").status == "pending"
        shown = evidence(screen)
        assert "1.1 prep.structure" in shown
        assert "no option chosen yet" in shown
        assert "manifests: 3" in shown  # the scan found the fixture's three objects
        assert "checked " + session.state.item("prep.structure").checked_at in shown

        await pilot.press("up")
        await pilot.pause()
        assert "1.0 prep.preflight" in evidence(screen)
        assert "Not checked yet" in evidence(screen)


async def test_verifying_without_a_cluster_shows_why_in_the_evidence(app, session):
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter", "v")  # 1.0 preflight: the kubeconfig does not exist
        await settle(pilot)
        st = session.state.item("prep.preflight")
        assert st.status == "failed"
        assert "no kubeconfig file at" in st.message  # the core's check names the missing file
        shown = evidence(app.screen)
        assert st.message[:60] in shown.replace("\n", " ")
        assert "checks:" in shown
        log = app.screen.query_one("#log")
        assert any(line.startswith("$ ") for line in log.entries), "the commands run were not logged"


class LaterItem(NotYetAvailable):
    """An item another issue builds: listed, never runnable, never passed."""

    id, alias, title = "prep.later", "1.9", "Something built later"
    unavailable = "it is built in a later issue (test item)"


async def test_unavailable_items_say_so_and_cannot_be_run(session):
    app = make_app(session, Engine(session, items=[LaterItem(), *CATALOG]))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        await pilot.pause()
        screen = app.screen
        assert screen.selected_item.id == "prep.preflight"  # the phase opens on what can run now
        await pilot.press("home")
        await pilot.pause()
        assert screen.selected_item.id == "prep.later"
        assert "not available yet: it is built in a later issue (test item)" in evidence(screen)
        assert "(not available yet)" in screen.query_one(Checklist).get_option("prep.later").prompt.plain
        assert screen.check_action("run_item", ()) is None  # greyed out in the footer
        assert screen.check_action("preview_item", ()) is None
        await pilot.press("r", "p")
        await pilot.pause()
        assert app.screen is screen  # no form, no confirmation
        assert not list(app.workers)
        assert session.state.item("prep.later").status == "pending"
        await pilot.press("v")  # verifying it says why, and never passes it
        await settle(pilot)
        st = session.state.item("prep.later")
        assert st.status == "blocked" and st.message == "not available yet: it is built in a later issue (test item)"


async def test_running_an_item_with_missing_prerequisites_shows_an_error_modal(app, session):
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter", "down", "down", "r")  # 1.2 backup needs 1.0 preflight first
        await settle(pilot)
        assert isinstance(app.screen, ErrorDialog)
        message = str(app.screen.query_one("#error-message").content)
        assert "prep.backup needs 1.0 prep.preflight to pass first" in message
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, PhaseScreen)
        assert "Cannot run it yet" in text_of(app.screen.query_one("#preview-text"))


async def test_preview_shows_the_plan_without_changing_anything(app, session, homelab_repo):
    session.answers.update(option="b", cluster="homelab")  # answered: no form before the preview
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter", "down", "p")
        await settle(pilot)
        assert isinstance(app.screen, PhaseScreen)
        preview = text_of(app.screen.query_one("#preview-text"))
        assert "records a choice in the wizard's state only" in preview
        assert "What Option A would do" in preview and "What Option B would do" in preview
        assert session.state.item("prep.structure").status == "pending"
        assert not session.state.journal


async def test_escape_backs_out_of_a_form_and_a_phase(app, session):
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter", "down", "r")
        await pilot.pause()
        assert isinstance(app.screen, AnswersDialog)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, PhaseScreen)
        assert not list(app.workers)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)


async def test_keys_are_greyed_out_while_work_runs(app):
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        await pilot.pause()
        screen = app.screen
        assert screen.check_action("run_item", ()) is True
        app.busy = True
        assert screen.check_action("run_item", ()) is None
        assert screen.check_action("verify_item", ()) is None
        assert app.check_action("stop", ()) is True
        app.busy = False
        assert app.check_action("stop", ()) is False
        assert not isinstance(app.screen, ConfirmDialog)
        assert screen.query_one(Checklist).option_count == 4


async def test_shift_v_verifies_the_whole_phase(app, session):
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter", "V")
        await settle(pilot)
        for item in app.screen.items:
            assert session.state.item(item.id).checked_at, f"{item.id} was not verified"
        others = [it for it in app.engine.items if it.phase != "prep"]
        assert all(session.state.item(it.id).checked_at is None for it in others)  # other phases untouched


async def test_a_phase_opens_on_the_first_item_that_can_run_now(app):
    """Phase 2 on a repo with no cluster pinned: 2.0 waits for 1.0, so 2.1 (after 1.1) is where to start."""
    from wizard.engine import Engine as E

    async with app.run_test(size=SIZE) as pilot:
        app.session.answers["option"] = "a"
        engine = E(app.session)
        assert engine.run("prep.structure", engine.plan("prep.structure")).status == "passed"
        app.action_open_phase("repo")
        await pilot.pause()
        await wait_for(pilot, lambda: getattr(app.screen, "selected_item", None) is not None)
        assert app.screen.selected_item.id == "repo.cluster-dir"
