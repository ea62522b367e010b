"""Suspend and resume chosen Kustomizations through the TUI's rollback screen on a private testbed.

A hand-applied homelab is migrated headless (Phases 1-3, a real `flux bootstrap` by the wizard),
then Pilot drives the rollback screen: `u`, suspend, the choice dialog (the cluster's real
Kustomizations with their state; only flux-system/apps chosen, with the keyboard), the preview,
the run and its verification; then resume with its default (every suspended one) and Ready.
Flux state is read from -o json. Loopback only.
"""
from __future__ import annotations

import json
import subprocess

import pytest
from textual.widgets import Button, OptionList, SelectionList

from tests.e2e.homelab import CANARY, bootstrapped_repo
from tests.e2e.test_phase4_tui import SIZE
from tests.tui.conftest import settle, text_of, tui_session, wait_for, wait_for_screen

pytestmark = pytest.mark.testbed


def ks_state(env) -> dict[str, dict]:
    out = subprocess.run(["kubectl", "get", "kustomizations.kustomize.toolkit.fluxcd.io", "-A", "-o", "json"],
                         env=env, capture_output=True, text=True, check=True).stdout
    return {f"{k['metadata']['namespace']}/{k['metadata']['name']}": k for k in json.loads(out)["items"]}


async def choose_action(pilot, screen, name: str) -> None:
    ol = screen.query_one("#rollback-actions", OptionList)
    await wait_for(pilot, lambda: ol.option_count > 0 and not pilot.app.work_running(), timeout=60)
    ids = [ol.get_option_at_index(i).id for i in range(ol.option_count)]
    assert not ol.get_option_at_index(ids.index(name)).disabled, text_of(screen.query_one("#rollback-text"))
    ol.focus()
    ol.highlighted = ids.index(name)
    await pilot.press("enter")


async def run_previewed(pilot, screen, expect: str) -> None:
    await wait_for(pilot, lambda: expect in text_of(screen.query_one("#rollback-text")), timeout=120)
    run = screen.query_one("#rollback-run", Button)
    assert not run.disabled
    run.press()
    from screens.dialogs.confirm import ConfirmDialog

    dialog = await wait_for_screen(pilot, ConfirmDialog, "#ok")
    assert dialog.require_text is None  # suspend/resume are not destructive: a plain confirmation
    dialog.query_one("#ok", Button).press()


async def test_suspend_one_kustomization_and_resume_through_the_tui(testbed_factory, tmp_path, monkeypatch):
    from screens.app import make_app
    from screens.dialogs.kustomization_choice import KustomizationChoiceDialog
    from screens.dialogs.resume import ResumeDialog
    from screens.rollback import RollbackScreen

    tb = testbed_factory("rollback-tui-suspend")
    env = {**tb.env, "HOMELAB_WIZARD_DATA": str(tmp_path / "data"), "GIT_PASSWORD": CANARY}
    repo, _ = bootstrapped_repo(tb, tmp_path, env)
    before = ks_state(env)
    assert "flux-system/apps" in before and len(before) >= 2, list(before)
    assert not any(k["spec"].get("suspend") for k in before.values())

    with tui_session(repo, env, monkeypatch, keys=("KUBECONFIG", "PATH", "HOMELAB_WIZARD_DATA", "GIT_PASSWORD")) as session:
        app = make_app(session)
        async with app.run_test(size=SIZE) as pilot:
            await wait_for_screen(pilot, ResumeDialog, "#resume-list", timeout=60)
            await settle(pilot)
            await pilot.press("escape")
            await pilot.press("u")
            screen = await wait_for_screen(pilot, RollbackScreen, "#rollback-actions")

            # Suspend: the dialog lists the live Kustomizations; only apps is chosen.
            await choose_action(pilot, screen, "suspend")
            dialog = await wait_for_screen(pilot, KustomizationChoiceDialog, "#ks-list", timeout=60)
            await settle(pilot)
            ks_list = dialog.query_one("#ks-list", SelectionList)
            offered = [ks_list.get_option_at_index(i).value for i in range(ks_list.option_count)]
            assert set(offered) == set(before), offered
            assert "every Kustomization that is reconciling now" in text_of(dialog.query_one("#ks-scope"))
            ks_list.focus()
            ks_list.highlighted = offered.index("flux-system/apps")
            await pilot.press("space")
            await pilot.pause()
            assert text_of(dialog.query_one("#ks-scope")) == "suspend: flux-system/apps"
            await pilot.press("ctrl+s")
            await run_previewed(pilot, screen, "flux suspend kustomization apps -n flux-system")
            assert "flux suspend kustomization flux-system" not in text_of(screen.query_one("#rollback-text"))
            await wait_for(pilot, lambda: "suspend: passed" in text_of(screen.query_one("#rollback-text"))
                           .replace("[b]", "").replace("[/b]", ""), timeout=120)
            state = ks_state(env)
            assert state["flux-system/apps"]["spec"]["suspend"] is True
            assert not any(k["spec"].get("suspend") for i, k in state.items() if i != "flux-system/apps")

            # Resume with the default (every suspended one, here apps), then Ready.
            await settle(pilot)
            await choose_action(pilot, screen, "resume")
            dialog = await wait_for_screen(pilot, KustomizationChoiceDialog, "#ks-list", timeout=60)
            await settle(pilot)
            labels = [str(dialog.query_one("#ks-list", SelectionList).get_option_at_index(i).prompt)
                      for i in range(len(offered))]
            assert "flux-system/apps  (suspended)" in labels, labels
            await pilot.press("ctrl+s")
            await run_previewed(pilot, screen, "flux resume kustomization apps -n flux-system")
            await wait_for(pilot, lambda: "resume: passed" in text_of(screen.query_one("#rollback-text"))
                           .replace("[b]", "").replace("[/b]", ""), timeout=240)
    k = ks_state(env)["flux-system/apps"]
    assert not k["spec"].get("suspend")
    assert any(c["type"] == "Ready" and c["status"] == "True" for c in k["status"]["conditions"])
    journal = [e["action"] for e in session.state.journal if e.get("phase") == "done"]
    assert "rollback-suspend" in journal and "rollback-resume" in journal
