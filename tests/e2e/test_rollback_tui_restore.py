"""Restore from the Phase 1 backup through the TUI on a private testbed, choosing one namespace.

Two namespaces were applied by hand and backed up in Phase 1 (headless, with the CLI). Then the
objects of one are deleted, and one object of the other too. The restore is driven with Pilot:
`u`, restore, the form (only the first namespace, chosen with the keyboard), the preview (a real
server-side diff), the typed confirmation, the run and its verification. Afterwards the first
namespace's objects are back, and the other namespace was not touched: its deleted object stays
deleted and none of its objects carries the restore's field manager. Loopback only.
"""
from __future__ import annotations

import json

import pytest
from textual.widgets import Button, Input, SelectionList

from tests.e2e.homelab import kubectl, manifests, names, phase1
from tests.helpers import make_repo
from tests.tui.conftest import settle, text_of, tui_session, wait_for, wait_for_screen
from tests.tui.test_rollback_restore import open_restore_form

pytestmark = pytest.mark.testbed

SIZE = (150, 44)
GONE, KEPT = "rbt-gone", "rbt-kept"


def managers(env, ns) -> dict[str, set[str]]:
    """Field managers of the Deployments, Services and ConfigMaps of `ns`, by kind/name."""
    out = kubectl(env, "get", "deployments,services,configmaps", "-n", ns, "--show-managed-fields", "-o", "json").stdout
    return {f"{i['kind']}/{i['metadata']['name']}": {m.get("manager", "") for m in i["metadata"].get("managedFields", [])}
            for i in json.loads(out)["items"]}


async def test_restore_one_namespace_through_the_tui(testbed_factory, tmp_path, monkeypatch):
    from screens.app import make_app
    from screens.dialogs.confirm import ConfirmDialog
    from screens.dialogs.resume import ResumeDialog
    from wizard.rollback.restore import FIELD_MANAGER

    tb = testbed_factory("rollback-tui")
    env = {**tb.env, "HOMELAB_WIZARD_DATA": str(tmp_path / "data")}
    files = {**manifests(GONE),
             **{rel.replace("kubernetes/", "kubernetes/kept-"): text for rel, text in manifests(KEPT).items()}}
    repo = make_repo(tmp_path / "repo", files)
    kubectl(env, "apply", "-R", "-f", str(repo / "infrastructure"))
    phase1(repo, env)

    kubectl(env, "delete", "deployment,service,configmap", "-n", GONE, "--all", "--wait=true")
    kubectl(env, "delete", "configmap", "redis-config", "-n", KEPT, "--wait=true")  # a full restore would bring it back
    assert names(env, "deployments", GONE) == set()
    kept_before = names(env, "deployments", KEPT)
    assert kept_before == {"web", "redis"}

    with tui_session(repo, env, monkeypatch) as session:
        context = session.state.cluster.context
        app = make_app(session)
        async with app.run_test(size=SIZE) as pilot:
            await wait_for_screen(pilot, ResumeDialog, "#resume-list", timeout=30)
            screen, dialog = await open_restore_form(pilot)

            # The form lists what the backup holds; only GONE is chosen, with the keyboard.
            ns_list = dialog.query_one("#restore-namespaces", SelectionList)
            offered = [str(ns_list.get_option_at_index(i).prompt) for i in range(ns_list.option_count)]
            assert {GONE, KEPT} <= set(offered), offered
            kinds = dialog.query_one("#restore-kinds", SelectionList)
            offered_kinds = {str(kinds.get_option_at_index(i).prompt) for i in range(kinds.option_count)}
            assert {"Deployment.apps", "Service", "ConfigMap", "Namespace"} <= offered_kinds, offered_kinds
            assert app.focused is ns_list
            await pilot.press(*["down"] * offered.index(GONE), "space")
            await pilot.pause()
            assert ns_list.selected == [GONE]
            await pilot.press("ctrl+s")

            # The preview: a real server-side diff of GONE only; its Namespace exists and is skipped.
            run = screen.query_one("#rollback-run", Button)
            await wait_for(pilot, lambda: not run.disabled and not app.work_running(), timeout=120)
            preview = text_of(screen.query_one("#rollback-text"))
            assert "restore 4 object(s)" in preview and "server-side diff" in preview, preview
            assert "exist and are skipped" in preview and KEPT not in preview, preview

            run.press()
            confirm = await wait_for_screen(pilot, ConfirmDialog, "#confirm-text")
            assert confirm.require_text == context
            assert f"namespaces: {GONE}; kinds: all; existing objects: skipped" in text_of(
                confirm.query_one("#confirm-body"))
            confirm.query_one("#confirm-text", Input).focus()
            await pilot.press(*context)
            await pilot.press("enter")

            def journaled():
                return [e for e in session.state.journal
                        if e.get("action") == "rollback-restore" and e.get("phase") in ("done", "failed")]

            await wait_for(pilot, lambda: bool(journaled()), timeout=300)
            await settle(pilot)
            done = journaled()
            assert len(done) == 1 and done[0]["phase"] == "done" and done[0]["status"] == "passed", done
            assert "passed" in text_of(screen.query_one("#rollback-text"))
            assert done[0]["namespaces"] == [GONE] and done[0]["kinds"] == []

    # GONE is back, as it was backed up, written by the restore's field manager.
    assert names(env, "deployments", GONE) == {"web", "redis"}
    assert names(env, "services", GONE) == {"web"}
    cm = json.loads(kubectl(env, "get", "configmap", "redis-config", "-n", GONE, "-o", "json").stdout)
    assert cm["data"] == {"maxmemory": "64mb"}
    gone = managers(env, GONE)
    assert all(FIELD_MANAGER in gone[k] for k in ("Deployment/web", "Deployment/redis", "Service/web",
                                                  "ConfigMap/redis-config")), gone
    # KEPT was not touched: its deleted ConfigMap stays deleted, nothing of it went through the restore.
    assert "redis-config" not in names(env, "configmaps", KEPT)
    assert names(env, "deployments", KEPT) == kept_before
    kept = managers(env, KEPT)
    assert kept and not any(FIELD_MANAGER in m for m in kept.values()), kept
