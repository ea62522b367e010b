"""3.1 in the TUI without a token in the environment: a no-echo dialog asks for it, then the run goes on.

The git server is real (git-http-backend on 127.0.0.1 that answers only the right Basic-auth
password, from tests/integration/test_cli_token_prompt.py), so 3.1 passing proves the typed
token reached git. No cluster: 1.0 and 1.2 are skipped with a reason and the pinned-cluster
guard is stubbed (as in test_integrate_image_automation.py).
"""
from __future__ import annotations

import base64

import pytest
from textual.widgets import Input

from screens.dialogs.confirm import ConfirmDialog
from screens.dialogs.token import TokenDialog
from screens.phase import PhaseScreen
from tests.integration.test_cli_token_prompt import bare_copy, password_git_server
from wizard.engine import Engine
from wizard.flux.creds import TOKEN_ENV
from wizard.session import Session

from .conftest import SIZE, settle, wait_for, wait_for_screen

CANARY = "canarytui" + "k7w" * 6  # letters and digits only: typed key by key


@pytest.fixture
def lab(session, homelab_repo, tmp_path, monkeypatch):
    for var in TOKEN_ENV.values():
        monkeypatch.delenv(var, raising=False)
    bare_copy(homelab_repo, tmp_path / "srv")
    engine = Engine(session)
    for item in ("prep.preflight", "prep.backup"):
        engine.skip(item, "no cluster in this test")
    monkeypatch.setattr(Session, "ensure_same_cluster", lambda self: None)
    with password_git_server(tmp_path / "srv", CANARY) as (base, seen):
        session.answers.update({"provider": "git", "git-url": f"{base}/lab.git"})
        session.store.save()
        yield seen


async def open_credentials_and_run(pilot) -> TokenDialog:
    app = pilot.app
    app.action_open_phase("bootstrap")
    screen = await wait_for_screen(pilot, PhaseScreen, "#checklist")
    assert screen.selected_item.id == "bootstrap.credentials"
    await pilot.press("r")  # the answers form (prefilled), then Continue
    await wait_for(pilot, lambda: type(app.screen).__name__ == "AnswersDialog")
    await pilot.press("ctrl+s")
    return await wait_for_screen(pilot, TokenDialog, "#token-input")


async def test_the_token_is_typed_hidden_kept_in_memory_and_3_1_passes(app, session, lab):
    seen = lab
    async with app.run_test(size=SIZE) as pilot:
        dialog = await open_credentials_and_run(pilot)
        body = str(dialog.query_one("#token-body").content)
        assert "GIT_PASSWORD is not set" in body and "in memory for this session only" in body
        assert "never stored" in body
        field = dialog.query_one("#token-input", Input)
        assert field.password and dialog.focused is field

        await pilot.press(*CANARY)
        await pilot.pause()
        assert field.value == CANARY
        shown = app.export_screenshot()
        assert CANARY not in shown and CANARY[:6] not in shown  # the field shows no plaintext

        await pilot.press("enter")
        await wait_for_screen(pilot, ConfirmDialog, "#confirm-body")
        assert session.prompted_tokens == {"GIT_PASSWORD": CANARY}
        assert field.value == ""  # the widget keeps no copy
        preview = "\n".join(str(p) for p in app.plans["bootstrap.credentials"].steps)
        assert "typed at the no-echo prompt (GIT_PASSWORD)" in preview and CANARY not in preview

        await pilot.press("tab", "enter")  # "Run it"
        await settle(pilot)
        assert isinstance(app.screen, PhaseScreen)
        st = session.state.item("bootstrap.credentials")
        assert st.status == "passed", st.message
        assert "authenticated" in seen  # the typed token reached git (credential helper, environment)

        log = "\n".join(app.screen.query_one("#log").entries)
        assert "typed at the no-echo prompt" in log and CANARY not in log

    stored = session.store.path.read_text() + session.runner.audit_log.read_text()
    assert '"credentials-chosen"' in stored
    assert CANARY not in stored and base64.b64encode(CANARY.encode()).decode() not in stored


async def test_cancelling_the_token_dialog_changes_nothing(app, session, lab):
    seen = lab
    async with app.run_test(size=SIZE) as pilot:
        await open_credentials_and_run(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, PhaseScreen)
        assert session.prompted_tokens == {}
        assert session.state.item("bootstrap.credentials").status == "pending"
        assert not [e for e in session.state.journal if e["action"] == "credentials-chosen"]
        assert "no GIT_PASSWORD typed; nothing was changed" in "\n".join(app.screen.query_one("#log").entries)
        assert seen == []


async def test_an_empty_token_is_refused_in_the_dialog(app, session, lab):
    async with app.run_test(size=SIZE) as pilot:
        dialog = await open_credentials_and_run(pilot)
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is dialog
        error = dialog.query_one("#token-error")
        assert error.display and "no GIT_PASSWORD was typed" in str(error.content)
        assert session.prompted_tokens == {}
