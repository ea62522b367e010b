"""Help, the command palette, resume on start, and the typed confirmation for cluster changes."""
from __future__ import annotations

from textual.command import CommandList
from textual.widgets import Button

from screens.app import make_app
from screens.dialogs.confirm import ConfirmDialog, confirm_for_plan
from screens.dialogs.help import HelpDialog
from screens.dialogs.resume import ResumeDialog
from screens.home import HomeScreen
from screens.phase import PhaseScreen
from screens.widgets.phase_list import PhaseList
from wizard.checklist import Plan, Step
from wizard.state import ClusterIdentity

from .conftest import SIZE, settle, text_of, wait_for


async def test_question_mark_opens_help_with_the_keys_of_the_screen(app):
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter", "question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpDialog)
        assert "| `r` | Run |" in app.screen.text
        assert "back out of a dialog or a screen" in app.screen.text  # esc, said once under Everywhere
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, PhaseScreen)
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpDialog)
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, PhaseScreen)


async def test_the_command_palette_goes_to_a_phase(app):
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"phase 4")
        results = app.screen.query_one(CommandList)
        await wait_for(pilot, lambda: results.option_count > 0 and "phase 4" in str(results.get_option_at_index(0).prompt))
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, PhaseScreen))
        assert app.screen.phase_id == "validate"


async def test_go_home_from_a_phase(app):
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("3")
        await pilot.pause()
        assert isinstance(app.screen, PhaseScreen)
        app.action_go_home()
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen) and len(app.screen_stack) == 1


async def test_the_command_palette_lists_the_wizard_commands(app):
    async with app.run_test(size=SIZE) as pilot:
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "Verify all" in titles
        assert "Go to phase 1: Preparation" in titles and "Go to the secrets group: Secret management" in titles
        await pilot.press("enter")
        await pilot.pause()
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "Verify this phase" in titles


async def test_verify_all_from_home_checks_every_item(app, session):
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("v")
        await settle(pilot)
        for item in app.engine.items:
            st = session.state.item(item.id)
            assert st.checked_at, f"{item.id} was not verified"
            assert st.status != "passed" or not item.unavailable
            if item.unavailable:  # "not available yet", never passed
                assert st.status == "blocked" and st.message.startswith("not available yet: ")
        assert session.state.item("prep.preflight").status == "failed"  # no cluster here
        phases = app.screen.query_one(PhaseList)
        assert phases.counts("prep", session.state) == "0/4 passed · 1 failed · 2 blocked"
        # Unavailable items are "blocked" in the state but counted apart, never as progress.
        later = [it for it in app.engine.items if it.phase == "integrate" and it.unavailable]
        if later:
            assert phases.counts("integrate", session.state).endswith(f"{len(later)} not available yet")


async def test_no_resume_dialog_on_a_fresh_state(app):
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)


async def test_resume_dialog_lists_what_passed_and_reverifies_it(structure_passed):
    session = structure_passed
    before = session.state.item("prep.structure").checked_at
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, ResumeDialog)
        assert "1.1 Choose Option A" in text_of(dialog.query_one("#resume-list"))
        await settle(pilot)
        assert dialog.done
        assert "still passes" in text_of(dialog.query_one("#resume-list"))
        assert text_of(dialog.query_one("#resume-status")) == "It still passes."
        assert session.state.item("prep.structure").checked_at >= before
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)


async def test_resume_dialog_leads_to_the_rollback_screen(structure_passed):
    from screens.rollback import RollbackScreen

    app = make_app(structure_passed)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, ResumeDialog)
        await pilot.press("u")
        await wait_for(pilot, lambda: isinstance(app.screen, RollbackScreen))


async def test_resume_dialog_says_when_an_item_no_longer_passes(structure_passed):
    session = structure_passed
    session.state.journal.clear()  # as if the recorded choice were lost: 1.1 falls back to pending
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, ResumeDialog)
        assert "now pending: no option chosen yet" in text_of(dialog.query_one("#resume-list"))
        assert text_of(dialog.query_one("#resume-status")) == "0 of 1 still pass; it needs another look."


async def test_cluster_changes_need_the_context_name_typed(app, session):
    session.state.cluster = ClusterIdentity("homelab-admin", "https://127.0.0.1:6443", "uid-1")
    plan = Plan("prep.backup", "Back up the cluster", [Step("command", "kubectl get …")], changes="cluster")
    results = []
    async with app.run_test(size=SIZE) as pilot:
        app.push_screen(confirm_for_plan(app.engine.item("prep.backup"), plan, session), results.append)
        await pilot.pause()
        dialog = app.screen
        ok = dialog.query_one("#ok", Button)
        # The keys go to the word at once; Run stays disabled until it is typed exactly.
        assert dialog.focused.id == "confirm-text" and ok.disabled
        await pilot.press(*"homelab")
        await pilot.pause()
        assert ok.disabled  # a prefix is not the name
        await pilot.press(*"-admin")
        await pilot.pause()
        assert not ok.disabled
        await pilot.press("enter")
        await pilot.pause()
    assert results == [True]


async def test_escape_cancels_a_confirmation(app):
    results = []
    async with app.run_test(size=SIZE) as pilot:
        app.push_screen(ConfirmDialog("Sure?", "It changes things."), results.append)
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
    assert results == [False]


async def test_the_confirmation_shows_the_preview_it_asks_about(app, session):
    """Issue 24, point 10: the dialog said "the full preview is in the Preview pane", which it covers. It shows
    the plan's steps itself (scrolling when long), brackets and all, never read as markup."""
    plan = Plan("prep.backup", "Back up the cluster [all namespaces]",
                [Step("command", "kubectl get secrets,configmaps -A -o json [values withheld]"),
                 Step("write", "write backups/20261207/objects.yaml")], changes="state")
    async with app.run_test(size=SIZE) as pilot:
        app.push_screen(confirm_for_plan(app.engine.item("prep.backup"), plan, session))
        await pilot.pause()
        body = text_of(app.screen.query_one("#confirm-body"))
        assert "Back up the cluster [all namespaces]" in body
        assert "kubectl get secrets,configmaps -A -o json [values withheld]" in body
        assert "write backups/20261207/objects.yaml" in body
        assert "Preview pane" not in body


async def test_help_at_80x24_opens_on_this_screens_keys_and_lists_each_key_once(app):
    """Issue 24 (point 10): the help listed too much at once; at 80x24 the screen's own keys were below
    the fold, under the wizard's introduction, and the keys that work everywhere were listed twice."""
    from textual.widgets import Markdown

    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("question_mark")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, HelpDialog)
        text = dialog.text
        assert text.index("## This screen") < text.index("| `r` | Run |") < text.index("## Everywhere") \
            < text.index("## The wizard")
        for key in ("`P", "`x`", "`ctrl+q`", "`g`", "`r`", "`v`"):
            assert text.count(f"| {key}") == 1, (key, text)
        await pilot.pause()
        first_table = dialog.query_one(Markdown).query("MarkdownTable").first()
        assert first_table.region.y + 4 <= 24, first_table.region  # its first rows are on the first page
