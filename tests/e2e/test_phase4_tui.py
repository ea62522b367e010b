"""Phase 4 driven through the TUI with Pilot on a private testbed: a hand-applied homelab brought to
a bootstrapped state headless with the CLI (the same steps as the headless migration test), then
4.2 run (answers form, preview, confirmation with the typed context name, run) and verify, 4.3
preview and run, 4.4 run, with the item statuses read from the state, and the Flux status view
showing every Kustomization Ready at the pushed commit. Then, on the same homelab, the rollback screen:
`u`, suspend, the choice dialog (the cluster's real Kustomizations with their state; only
flux-system/apps chosen, with the keyboard), the preview, the run and its verification; then resume with
its default (every suspended one) and Ready. Loopback only: kubectl get/patch/annotate and flux diff,
never logs/exec/port-forward/proxy."""
from __future__ import annotations

import json
import subprocess

import pytest
from textual.widgets import Button, DataTable, Input, OptionList, SelectionList

from tests.e2e.homelab import CANARY, bootstrapped_repo
from tests.helpers import git
from tests.tui.conftest import settle, text_of, tui_session, wait_for, wait_for_screen

pytestmark = pytest.mark.testbed

SIZE = (150, 44)


async def highlight(pilot, item_id: str) -> None:
    from screens.phase import PhaseScreen
    from screens.widgets.checklist import Checklist

    screen = pilot.app.screen
    assert isinstance(screen, PhaseScreen), screen
    checklist = screen.query_one(Checklist)
    checklist.focus()
    checklist.highlighted = [it.id for it in screen.items].index(item_id)
    await pilot.pause()
    assert screen.selected_item.id == item_id


async def confirm_typing_the_context(pilot, context: str) -> None:
    from screens.dialogs.confirm import ConfirmDialog

    dialog = await wait_for_screen(pilot, ConfirmDialog, "#ok", timeout=120)
    assert f"{context!r}" in text_of(dialog.query_one("#confirm-body"))
    ok = dialog.query_one("#ok", Button)
    assert ok.disabled  # until the context name is typed
    dialog.query_one("#confirm-text", Input).focus()
    await pilot.press(*context)
    await pilot.pause()
    assert not ok.disabled
    await pilot.press("enter")


async def run_with_answers(pilot, item_id: str, timeout: str) -> None:
    from screens.dialogs.answers import AnswersDialog

    await highlight(pilot, item_id)
    await pilot.press("r")
    dialog = await wait_for_screen(pilot, AnswersDialog, "#answer-reconcile-timeout")
    dialog.query_one("#answer-reconcile-timeout", Input).value = timeout
    await pilot.press("ctrl+s")


async def finished(pilot, session, item_id: str) -> str:
    await wait_for(pilot, lambda: not pilot.app.work_running()
                   and session.state.item(item_id).status not in ("pending", "running"), timeout=300)
    await settle(pilot)
    return session.state.item(item_id).status


@pytest.fixture(scope="module")
def bootstrapped(testbed_factory, tmp_path_factory):
    """(env, repo): the homelab bootstrapped headless; Phase 4 goes through it first, then the rollback screen."""
    tmp_path = tmp_path_factory.mktemp("phase4-tui")
    tb = testbed_factory("phase4-tui")
    env = {**tb.env, "HOMELAB_WIZARD_DATA": str(tmp_path / "data"), "GIT_PASSWORD": CANARY}
    repo, _ = bootstrapped_repo(tb, tmp_path, env)
    return env, repo


async def test_phase4_through_the_tui(bootstrapped, monkeypatch):
    from screens.app import make_app
    from screens.dialogs.resume import ResumeDialog
    from screens.flux_status import FluxStatusScreen
    from screens.phase import PhaseScreen

    env, repo = bootstrapped
    head = git(repo, "ls-remote", "origin", "refs/heads/main").split()[0]
    with tui_session(repo, env, monkeypatch, keys=("KUBECONFIG", "PATH", "HOMELAB_WIZARD_DATA", "GIT_PASSWORD")) as session:
        context = session.state.cluster.context
        app = make_app(session)
        async with app.run_test(size=SIZE) as pilot:
            # Resume: the passed items (Phases 1-3) are re-verified against the live cluster first.
            await wait_for_screen(pilot, ResumeDialog, "#resume-list", timeout=30)
            await settle(pilot)
            await pilot.press("escape")
            await pilot.pause()
            assert session.state.item("bootstrap.namespace").status == "passed"

            app.action_open_phase("validate")
            await pilot.pause()
            assert isinstance(app.screen, PhaseScreen)

            # 4.2: answers form -> preview -> confirmation (typed context) -> run; then verify
            await run_with_answers(pilot, "validate.reconciled", "180")
            await confirm_typing_the_context(pilot, context)
            assert await finished(pilot, session, "validate.reconciled") == "passed", \
                session.state.item("validate.reconciled").message
            assert session.answers["reconcile-timeout"] == "180"
            assert "validate.reconciled" in app.plans  # the preview shown next to the confirmation
            await pilot.press("v")
            assert await finished(pilot, session, "validate.reconciled") == "passed"
            ev = session.state.item("validate.reconciled").evidence
            assert ev["pushed_commit"] == head and not ev["problems"]
            assert all(k["revision"].endswith(head) for k in ev["kustomizations"])

            # 4.1 verified (what Flux manages now)
            await highlight(pilot, "validate.deployed")
            await pilot.press("v")
            assert await finished(pilot, session, "validate.deployed") == "passed", \
                session.state.item("validate.deployed").message

            # 4.3: preview (p), then run with the typed context name
            await highlight(pilot, "validate.drift")
            await pilot.press("p")
            await wait_for(pilot, lambda: "validate.drift" in app.plans and not app.work_running(), timeout=120)
            preview = text_of(app.screen.query_one("#preview-text"))
            assert "kubectl patch" in preview and "flux diff" in preview, preview
            await pilot.press("r")
            await confirm_typing_the_context(pilot, context)
            assert await finished(pilot, session, "validate.drift") == "passed", \
                session.state.item("validate.drift").message
            assert session.state.item("validate.drift").evidence["flux_diff"]["exit_code"] == 1

            # 4.4: the triggered reconcile reverts the drift. Its one question (the reconcile timeout) was
            # answered at 4.2: not asked again (issue 24), straight to the confirmation.
            await highlight(pilot, "validate.healing")
            await pilot.press("r")
            await confirm_typing_the_context(pilot, context)
            assert await finished(pilot, session, "validate.healing") == "passed", \
                session.state.item("validate.healing").message
            heal = session.state.item("validate.healing").evidence
            assert heal["seconds"] < 60 and heal["flux_diff"]["exit_code"] == 0
            log = "\n".join(app.screen.query_one("#log").entries)
            assert "Flux reverted" in log and CANARY not in log

            # The Flux status view (F on Phase 4): every Kustomization Ready at the pushed commit.
            await pilot.press("F")
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, FluxStatusScreen)
            await wait_for(pilot, lambda: not screen.loading, timeout=60)
            assert not screen.error, screen.error
            table = screen.query_one("#flux-status-table", DataTable)
            rows = {str(table.get_row(k)[0]): [str(c) for c in table.get_row(k)] for k in table.rows}
            kss = {ref: row for ref, row in rows.items() if ref.startswith("Kustomization ")}
            assert {"Kustomization flux-system/flux-system", "Kustomization flux-system/apps"} <= set(kss), rows
            assert all(row[1] == "Ready" for row in kss.values()), kss
            assert all(row[2].endswith(head[:12]) for row in kss.values()), kss
            assert rows["GitRepository flux-system/flux-system"][1] == "Ready"
            assert "all Ready" in text_of(screen.query_one("#flux-status-message"))
            await pilot.press("r")  # refresh reads the cluster again
            await pilot.pause()
            await wait_for(pilot, lambda: not screen.loading, timeout=60)
            assert table.row_count == len(rows)
            await pilot.press("escape")
            await pilot.pause()
            assert isinstance(app.screen, PhaseScreen)

        data = session.state
        for item in ("validate.reconciled", "validate.deployed", "validate.drift", "validate.healing"):
            assert data.item(item).status == "passed", (item, data.item(item).message)


# -- the rollback screen on the same migrated homelab: suspend one Kustomization, then resume it ------------
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


async def run_previewed(pilot, screen, expect: str, context: str) -> None:
    await wait_for(pilot, lambda: expect in text_of(screen.query_one("#rollback-text")), timeout=120)
    run = screen.query_one("#rollback-run", Button)
    assert not run.disabled
    run.press()
    # Suspend/resume change the cluster: the context name is typed, as for every item that does (one rule).
    await confirm_typing_the_context(pilot, context)


async def test_suspend_one_kustomization_and_resume_through_the_tui(bootstrapped, monkeypatch):
    from screens.app import make_app
    from screens.dialogs.kustomization_choice import KustomizationChoiceDialog
    from screens.dialogs.resume import ResumeDialog
    from screens.rollback import RollbackScreen

    env, repo = bootstrapped
    before = ks_state(env)
    assert "flux-system/apps" in before and len(before) >= 2, list(before)
    assert not any(k["spec"].get("suspend") for k in before.values())

    with tui_session(repo, env, monkeypatch, keys=("KUBECONFIG", "PATH", "HOMELAB_WIZARD_DATA", "GIT_PASSWORD")) as session:
        context = session.state.cluster.context
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
            await run_previewed(pilot, screen, "flux suspend kustomization apps -n flux-system", context)
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
            await run_previewed(pilot, screen, "flux resume kustomization apps -n flux-system", context)
            await wait_for(pilot, lambda: "resume: passed" in text_of(screen.query_one("#rollback-text"))
                           .replace("[b]", "").replace("[/b]", ""), timeout=240)
    k = ks_state(env)["flux-system/apps"]
    assert not k["spec"].get("suspend")
    assert any(c["type"] == "Ready" and c["status"] == "True" for c in k["status"]["conditions"])
    journal = [e["action"] for e in session.state.journal if e.get("phase") == "done"]
    assert "rollback-suspend" in journal and "rollback-resume" in journal
