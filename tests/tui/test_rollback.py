"""The rollback screen: reachable from everywhere, lists what can be undone, previews, confirms (typed), runs."""
from __future__ import annotations

from screens.dialogs.confirm import ConfirmDialog
from screens.rollback import RollbackScreen
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
