"""Restore from the Phase 1 backup in the TUI: the same choices as `rollback restore --namespace/--kind/--overwrite`.

The backup is a real one, written by the core's backup writer (wizard.cluster.backup.write_backup)
from fixture objects and named in the journal as prep.backup does. No cluster is reachable, and
the preview of a restore needs one (server-side diff), so these tests stop at the `Options` that
reach the core's `Restore.plan`; tests/e2e/test_rollback_tui_restore.py runs it on the testbed.
"""
from __future__ import annotations

import pytest
from textual.widgets import Button, OptionList, SelectionList, Switch

from screens.dialogs.confirm import ConfirmDialog
from screens.dialogs.restore_options import OVERWRITE_OFF, OVERWRITE_ON, RestoreOptionsDialog
from screens.rollback import RollbackScreen
from wizard.checklist import Plan, Step
from wizard.cluster.backup import write_backup
from wizard.cluster.listing import Listing
from wizard.rollback import Options
from wizard.rollback.restore import Restore, backup_contents, find_backup, select_objects

from .conftest import SIZE, settle, text_of, wait_for, wait_for_screen


def ns(name):
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}


def cm(name, namespace):
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": namespace},
            "data": {"k": "v"}}


def deploy(name, namespace):
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": namespace},
            "spec": {"selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"containers": [{"name": name, "image": "nginx:1.27"}]}}}}


OBJECTS = [ns("homelab"), ns("media"), ns("empty"), deploy("web", "homelab"), cm("web-config", "homelab"),
           deploy("jellyfin", "media"), cm("jellyfin-config", "media"),
           {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "reader"},
            "rules": []}]


@pytest.fixture
def backed_up(session):
    """A complete Phase 1 backup of OBJECTS, recorded in the journal as prep.backup records it."""
    info = write_backup(session.backups_dir(), Listing(objects=OBJECTS), {"context": "homelab"})
    session.state.record("backup", path=str(info.path), objects=info.index["objects"])
    session.store.save()
    return info


@pytest.fixture
def plans(monkeypatch):
    """Every `Options` handed to the core's Restore.plan; the plan is a stand-in (no cluster here)."""
    seen: list[Options] = []

    def fake_plan(self, session, opts):
        seen.append(opts)
        info = find_backup(session)
        objs = select_objects(info, opts.namespaces, opts.kinds)
        return Plan("rollback.restore", f"restore {len(objs)} object(s) from the backup",
                    [Step("info", "selected", "\n".join(f"{o['kind']} {o['metadata']['name']}" for o in objs))],
                    changes="cluster", data={"objects": objs, "skipped": [], "overwrite": opts.overwrite,
                                             "namespaces": opts.namespaces, "kinds": opts.kinds})

    monkeypatch.setattr(Restore, "plan", fake_plan)
    return seen


def test_backup_contents_lists_the_namespaces_and_kinds_a_backup_holds(backed_up):
    namespaces, kinds = backup_contents(backed_up)
    assert namespaces == ["empty", "homelab", "media"]  # 'empty' holds only its Namespace object
    assert kinds == ["ClusterRole.rbac.authorization.k8s.io", "ConfigMap", "Deployment.apps", "Namespace"]
    # Every name offered is one select_objects (and the CLI's --namespace/--kind) accepts.
    for kind in kinds:
        assert select_objects(backed_up, [], [kind])
    for name in namespaces:
        assert select_objects(backed_up, [name], [])


async def open_restore_form(pilot):
    app = pilot.app
    await settle(pilot)
    while len(app.screen_stack) > 1:  # e.g. the resume prompt
        app.pop_screen()
    await pilot.press("u")
    screen = await wait_for_screen(pilot, RollbackScreen, "#rollback-actions")
    await settle(pilot)
    ol = screen.query_one("#rollback-actions", OptionList)
    ids = [ol.get_option_at_index(i).id for i in range(ol.option_count)]
    assert not ol.get_option_at_index(ids.index("restore")).disabled
    ol.focus()
    ol.highlighted = ids.index("restore")
    await pilot.press("enter")
    dialog = await wait_for_screen(pilot, RestoreOptionsDialog, "#restore-overwrite")
    await pilot.pause()
    return screen, dialog


def prompts(selection: SelectionList) -> list[str]:
    return [str(selection.get_option_at_index(i).prompt) for i in range(selection.option_count)]


async def test_restore_form_lists_the_backup_and_one_namespace_and_kind_options_reach_the_core(app, backed_up, plans):
    async with app.run_test(size=SIZE) as pilot:
        screen, dialog = await open_restore_form(pilot)
        namespaces = dialog.query_one("#restore-namespaces", SelectionList)
        kinds = dialog.query_one("#restore-kinds", SelectionList)
        assert prompts(namespaces) == ["empty", "homelab", "media"]
        assert prompts(kinds) == ["ClusterRole.rbac.authorization.k8s.io", "ConfigMap", "Deployment.apps", "Namespace"]
        assert namespaces.selected == [] and kinds.selected == []  # none selected = all
        assert dialog.query_one("#restore-overwrite", Switch).value is False  # overwrite off by default
        assert text_of(dialog.query_one("#restore-overwrite-help")) == OVERWRITE_OFF
        assert str(backed_up.path) in text_of(dialog.query_one("#restore-source"))

        # Keyboard only: the namespaces list has the focus; down, down, space picks 'media';
        # tab to the kinds list; down, space picks ConfigMap; ctrl+s goes on to the preview.
        assert app.focused is namespaces
        await pilot.press("down", "down", "space")
        await pilot.press("tab")
        assert app.focused is kinds
        await pilot.press("down", "space")
        await pilot.pause()
        assert "namespaces: media; kinds: ConfigMap; existing objects: skipped" in text_of(
            dialog.query_one("#restore-scope"))
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen

        assert plans == [Options(namespaces=["media"], kinds=["ConfigMap"], overwrite=False)]
        preview = text_of(screen.query_one("#rollback-text"))
        assert "restore 1 object(s)" in preview and "ConfigMap jellyfin-config" in preview, preview
        assert "web-config" not in preview and "Deployment" not in preview

        # The confirmation repeats the choices and asks for the typed word (destructive).
        run = screen.query_one("#rollback-run", Button)
        assert not run.disabled
        run.press()
        confirm = await wait_for_screen(pilot, ConfirmDialog, "#confirm-body")
        assert confirm.require_text
        assert "namespaces: media; kinds: ConfigMap; existing objects: skipped" in text_of(
            confirm.query_one("#confirm-body"))
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen


async def test_restore_form_defaults_keep_restoring_everything_without_overwrite_options_reach_the_core(
        app, backed_up, plans):
    async with app.run_test(size=SIZE) as pilot:
        screen, dialog = await open_restore_form(pilot)
        dialog.query_one("#submit", Button).press()
        await settle(pilot)
    assert plans == [Options()]
    assert plans[0].namespaces == [] and plans[0].kinds == [] and plans[0].overwrite is False


async def test_restore_form_overwrite_spells_out_its_consequence_and_options_reach_the_core(app, backed_up, plans):
    async with app.run_test(size=SIZE) as pilot:
        screen, dialog = await open_restore_form(pilot)
        await pilot.press("tab", "tab")  # namespaces -> kinds -> the overwrite switch
        switch = dialog.query_one("#restore-overwrite", Switch)
        assert app.focused is switch
        await pilot.press("space")
        await pilot.pause()
        assert switch.value is True
        assert text_of(dialog.query_one("#restore-overwrite-help")) == OVERWRITE_ON
        assert "existing objects: overwritten" in text_of(dialog.query_one("#restore-scope"))
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert plans == [Options(overwrite=True)]
        # Choosing restore again offers the last choices.
        ol = screen.query_one("#rollback-actions", OptionList)
        ol.focus()
        await pilot.press("enter")
        dialog = await wait_for_screen(pilot, RestoreOptionsDialog, "#restore-overwrite")
        assert dialog.query_one("#restore-overwrite", Switch).value is True


async def test_escape_cancels_the_restore_form_and_nothing_reaches_the_core(app, backed_up, plans):
    async with app.run_test(size=SIZE) as pilot:
        screen, dialog = await open_restore_form(pilot)
        await pilot.press("space")  # a choice that Escape must throw away
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen)
        await settle(pilot)
        assert plans == []
        assert "cancelled" in text_of(screen.query_one("#rollback-text"))
        assert screen.query_one("#rollback-run", Button).disabled
        assert app.focused is screen.query_one("#rollback-actions", OptionList)
