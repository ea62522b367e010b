"""The rollback screen: reachable from everywhere, lists what can be undone, previews, confirms (typed), runs."""
from __future__ import annotations

from screens.dialogs.confirm import ConfirmDialog
from types import SimpleNamespace

from screens.rollback import Overview, RollbackScreen
from textual.widgets import Button, Input, OptionList

from .conftest import SIZE, git, settle, text_of, wait_for


def wizard_commit(session) -> str:
    repo = session.repo
    f = repo / "clusters/homelab/apps.yaml"
    f.parent.mkdir(parents=True)
    f.write_text("# generated\n")
    base = git(repo, "rev-parse", "HEAD").strip()
    git(repo, "add", "clusters")
    git(repo, "commit", "-qm", "homelab-wizard 2.4: add Flux Kustomizations")
    sha = git(repo, "rev-parse", "HEAD").strip()
    session.state.record("repo-committed", branch="main", base=base, commits=[sha], items=["repo.flux-manifests"])
    session.state.item("repo.flux-manifests").status = "passed"
    session.store.save()
    return sha


async def test_rollback_screen_lists_previews_and_reverts_with_typed_confirmation(app, session):
    wizard_commit(session)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        if app.screen_stack[-1] is not app.screen or not isinstance(app.screen, RollbackScreen):
            while len(app.screen_stack) > 1:  # e.g. the resume prompt
                app.pop_screen()
        await pilot.press("u")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, RollbackScreen)
        ol = screen.query_one("#rollback-actions", OptionList)
        rows = {ol.get_option_at_index(i).id: ol.get_option_at_index(i) for i in range(ol.option_count)}
        assert set(rows) == {"restore", "revert", "discard", "suspend", "resume", "stop-gitops"}
        assert not rows["revert"].disabled and rows["restore"].disabled
        assert "revert commits" in text_of(screen.query_one("#rollback-text"))  # consequences spelled out

        ol.highlighted = list(rows).index("revert")
        ol.action_select()
        await settle(pilot)
        assert "git revert --no-edit" in text_of(screen.query_one("#rollback-text"))
        run = screen.query_one("#rollback-run", Button)
        assert not run.disabled
        run.press()
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, ConfirmDialog) and dialog.require_text == "main"
        assert app.focused.id == "confirm-text"  # the typed word is the confirmation; Run stays disabled
        assert dialog.query_one("#ok", Button).disabled
        dialog.query_one("#confirm-text", Input).value = "main"
        await pilot.pause()
        dialog.query_one("#ok", Button).press()
        await settle(pilot)
        await wait_for(pilot, lambda: "passed" in text_of(screen.query_one("#rollback-text")))
        # The list is recomputed after the run (nothing of the wizard's is left to revert), and the
        # result stays on top of the text.
        await wait_for(pilot, lambda: ol.get_option("revert").disabled)
        await settle(pilot)
        first, *rest = text_of(screen.query_one("#rollback-text")).splitlines()
        assert "revert" in first and "passed" in first and "Nothing can be undone" in "\n".join(rest)
    assert not (session.repo / "clusters/homelab/apps.yaml").exists()
    assert session.state.item("repo.flux-manifests").status == "pending"


async def test_rollback_is_in_the_command_palette(app):
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "Rollback" in titles


async def test_enter_on_entry_previews_the_first_action_that_can_run_and_the_text_follows_the_highlight(app, session):
    """Issue 24 (point 3): nothing was highlighted on entry, Enter did nothing, the text showed Discard's
    consequences, and Run stayed disabled until ↓ was pressed."""
    wizard_commit(session)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        while len(app.screen_stack) > 1:  # e.g. the resume prompt
            app.pop_screen()
        await pilot.press("u")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, RollbackScreen)
        ol = screen.query_one("#rollback-actions", OptionList)
        first = ol.get_option_at_index(ol.highlighted)
        assert first.id == "revert" and not first.disabled  # restore (no backup) is shown but cannot run
        text = screen.query_one("#rollback-text")
        assert "revert" in text_of(text) and "discard" not in text_of(text).lower()
        await pilot.press("enter")
        await settle(pilot)
        await wait_for(pilot, lambda: "git revert --no-edit" in text_of(text))
        assert not screen.query_one("#rollback-run", Button).disabled
        # With a second action that can run (discard made available in the list), moving to it shows its
        # description and puts the preview away: Run no longer runs what is not highlighted.
        rows = [SimpleNamespace(**{**vars(r), "available": r.available or r.name == "discard"}) for r in screen.rows]
        screen.post_message(Overview(rows))
        await settle(pilot)
        await pilot.press("enter")
        await wait_for(pilot, lambda: "git revert --no-edit" in text_of(text))
        assert not screen.query_one("#rollback-run", Button).disabled
        await pilot.press("down")
        await settle(pilot)
        assert ol.get_option_at_index(ol.highlighted).id == "discard"
        assert "(discard)" in text_of(text) and "git revert --no-edit" not in text_of(text)
        assert screen.query_one("#rollback-run", Button).disabled


async def test_after_an_action_the_stale_list_takes_no_keys_until_it_is_read_again(app, session, monkeypatch):
    """Issue 24 (point 10): for a few seconds after an action the list still offered what it had just
    undone. Now it is greyed out (loading, disabled) until the fresh overview arrives; a failed read says so
    and gives the keys back."""
    import threading

    import screens.rollback as rb
    from wizard.checklist import Verdict

    wizard_commit(session)
    real, gate = rb.overview, threading.Event()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        while len(app.screen_stack) > 1:  # e.g. the resume prompt
            app.pop_screen()
        await pilot.press("u")
        await settle(pilot)
        screen = app.screen
        ol = screen.query_one("#rollback-actions", OptionList)
        assert not ol.disabled and ol.get_option("revert").disabled is False

        monkeypatch.setattr(rb, "overview", lambda s: gate.wait(30) and real(s))
        screen.post_message(rb.Finished("revert", Verdict("passed", "reverted"), None))
        await wait_for(pilot, lambda: ol.disabled and ol.loading)
        await pilot.press("enter")  # on the stale row: nothing starts
        await pilot.pause()
        assert screen.chosen is None and not app.plans
        gate.set()
        await wait_for(pilot, lambda: not ol.disabled and not ol.loading)
        assert "revert: passed" in text_of(screen.query_one("#rollback-text")).replace("[b]", "").replace("[/b]", "")

        def broken(s):
            raise RuntimeError("kubectl get kustomizations failed: connection refused")

        monkeypatch.setattr(rb, "overview", broken)
        await pilot.press("g")
        await wait_for(pilot, lambda: "could not be read" in text_of(screen.query_one("#rollback-text")))
        await settle(pilot)
        assert not ol.disabled and not ol.loading
