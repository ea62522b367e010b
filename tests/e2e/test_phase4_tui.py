"""Phase 4 driven through the TUI with Pilot on a private testbed: a hand-applied homelab brought to
a bootstrapped state headless with the CLI (the same steps as the headless migration test), then
4.2 run (answers form, preview, confirmation with the typed context name, run) and verify, 4.3
preview and run, 4.4 run, with the item statuses read from the state, and the Flux status view
showing every Kustomization Ready at the pushed commit. Loopback only: kubectl get/patch/annotate
and flux diff, never logs/exec/port-forward/proxy."""
from __future__ import annotations

import pytest
from textual.widgets import Button, DataTable, Input

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


async def test_phase4_through_the_tui(testbed_factory, tmp_path, monkeypatch):
    from screens.app import make_app
    from screens.dialogs.resume import ResumeDialog
    from screens.flux_status import FluxStatusScreen
    from screens.phase import PhaseScreen

    tb = testbed_factory("phase4-tui")
    env = {**tb.env, "HOMELAB_WIZARD_DATA": str(tmp_path / "data"), "GIT_PASSWORD": CANARY}
    repo, _ = bootstrapped_repo(tb, tmp_path, env)
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

            # 4.4: the triggered reconcile reverts the drift
            await run_with_answers(pilot, "validate.healing", "120")
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
