"""2.0 repo.adopt through the TUI with Pilot on a private testbed (issue 13, part 4): the objects made
by hand are asked in the answers form (one Select per object, the reason field shown only when an
object is left), the preview shows the file it writes, the confirmation comes before anything is
written, and afterwards the repo has the cleaned manifest and 2.0 passes. The same questions and the
same result as the CLI (tests/e2e/test_adopt_testbed.py). Loopback only: kubectl create/get.
"""
from __future__ import annotations

import pytest
from textual.widgets import Input, Select

from tests.e2e.homelab import CANARY, NS, hand_applied_homelab, kubectl, wiz
from tests.helpers import git
from tests.tui.conftest import mounted_select, settle, text_of, tui_session, wait_for, wait_for_screen

pytestmark = pytest.mark.testbed

SIZE = (120, 40)
ADOPT_CM = "adopt.ConfigMap/homelab/hand-cm"
LEAVE_CRD = "adopt.CustomResourceDefinition//sealedsecrets.bitnami.com"


async def test_adopt_through_the_tui(testbed_factory, tmp_path, monkeypatch):
    from screens.app import make_app
    from screens.dialogs.answers import AnswersDialog
    from screens.dialogs.confirm import ConfirmDialog
    from screens.dialogs.resume import ResumeDialog
    from screens.phase import PhaseScreen
    from screens.widgets.answer_form import field_id

    tb = testbed_factory("adopt-tui")
    env = {**tb.env, "HOMELAB_WIZARD_DATA": str(tmp_path / "data"), "GIT_PASSWORD": CANARY}
    repo, _ = hand_applied_homelab(tb, tmp_path, env)
    kubectl(env, "create", "configmap", "hand-cm", "--from-literal=mode=manual", "-n", NS)
    for args in (["run", "prep.preflight", "--yes"], ["run", "prep.structure", "--set", "option=a", "--yes"]):
        wiz(repo, *args, env=env)

    with tui_session(repo, env, monkeypatch) as session:
        app = make_app(session)
        async with app.run_test(size=SIZE) as pilot:
            await wait_for_screen(pilot, ResumeDialog, "#resume-list", timeout=30)
            await settle(pilot)
            await pilot.press("escape")
            await pilot.pause()
            app.action_open_phase("repo")
            await wait_for_screen(pilot, PhaseScreen, "#log")
            screen = app.screen
            assert screen.items[0].id == "repo.adopt"  # 2.0 opens Phase 2
            await pilot.press("r")
            dialog = await wait_for_screen(pilot, AnswersDialog, "Select", timeout=120)
            cm_select = await mounted_select(pilot, dialog.query_one(f"#{field_id(_q(ADOPT_CM))}", Select))
            crd_select = await mounted_select(pilot, dialog.query_one(f"#{field_id(_q(LEAVE_CRD))}", Select))
            why_row = dialog.query_one(f"#{field_id(_q('adopt-why.' + LEAVE_CRD[6:]))}-row")
            await wait_for(pilot, lambda: not why_row.display)  # asked only once the object is left
            cm_select.value = "adopt"
            crd_select.value = "leave"
            await wait_for(pilot, lambda: why_row.display)
            dialog.query_one(f"#{field_id(_q('adopt-why.' + LEAVE_CRD[6:]))}", Input).value = "installed with its controller"
            await pilot.pause()
            await pilot.press("ctrl+s")
            confirm = await wait_for_screen(pilot, ConfirmDialog, "#ok", timeout=120)
            assert "adopt 1 object(s)" in text_of(confirm.query_one("#confirm-body"))
            preview = text_of(screen.query_one("#preview-text"))  # the phase screen, under the dialog
            assert "configmap-hand-cm.yaml" in preview and "mode: manual" in preview, preview  # before writing
            assert git(repo, "status", "--porcelain") == ""
            await pilot.press("tab", "enter")
            await wait_for(pilot, lambda: not app.work_running()
                           and session.state.item("repo.adopt").status not in ("pending", "running"), timeout=300)
            await settle(pilot)
            st = session.state.item("repo.adopt")
            assert st.status == "passed", st.message
    written = [f for f in git(repo, "ls-files", "--cached").split() if f.endswith("configmap-hand-cm.yaml")]
    assert len(written) == 1
    text = (repo / written[0]).read_text()
    assert "uid:" not in text and "mode: manual" in text
    assert session.answers[LEAVE_CRD] == "leave"


def _q(key: str):
    """A Question with that key: the form's widget ids depend on the key alone."""
    from wizard.checklist import Question

    return Question(key, "")
