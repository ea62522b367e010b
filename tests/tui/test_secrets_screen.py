"""The secrets screen on the demo repo (plaintext Secrets marked `demo-not-a-real-secret`): findings
with file:line, object and key names and the values masked, the method stored as the `secrets`
answer, conversion through the App's worker with its log, and the keys' state."""
from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import DataTable, RadioButton

import assets
from screens.app import make_app
from screens.dialogs.error import ErrorDialog
from screens.messages import OutputLogged
from screens.phase import PhaseScreen
from screens.secrets import SecretsScreen
from wizard.session import Session

from ..helpers import make_repo
from .conftest import settle, text_of

MARKER = "demo-not-a-real-secret"
DEMO = Path(assets.__file__).parent / "demo" / "repo"


@pytest.fixture
def demo_session(tmp_path, no_cluster):
    files = {str(p.relative_to(DEMO)): p.read_text() for p in DEMO.rglob("*") if p.is_file()}
    repo = make_repo(tmp_path / "homelab", files)
    s = Session.open(repo)
    s.store.acquire("tui-test")
    s.store.load()
    yield s
    s.store.release()


async def open_secrets(pilot) -> SecretsScreen:
    app = pilot.app
    await settle(pilot)
    app.action_open_phase("secrets")
    await pilot.pause()
    assert isinstance(app.screen, PhaseScreen)
    await pilot.press("S")
    await settle(pilot)
    assert isinstance(app.screen, SecretsScreen)
    return app.screen


def on_screen(app) -> str:
    """Everything the terminal shows now, and every cell of the findings table."""
    screen = app.screen
    parts = [app.export_screenshot()]
    parts += [text_of(s) for s in screen.query("Static")]
    table = screen.query_one("#secrets-findings", DataTable)
    parts += [str(c) for row in table.rows for c in table.get_row(row)]
    parts += list(screen.query_one("#secrets-log").entries)
    return "\n".join(parts)


async def test_findings_show_where_and_key_names_never_values(demo_session):
    app = make_app(demo_session)
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await open_secrets(pilot)
        table = screen.query_one("#secrets-findings", DataTable)
        assert all(str(table.get_row(r)[3]) == "••••••" for r in table.rows)
        details = []  # the highlighted finding, whole, under the table (its cells are shortened to fit)
        for n in range(table.row_count):
            table.move_cursor(row=n)
            await pilot.pause()
            details.append(text_of(screen.query_one("#secrets-finding")))
        secrets_yaml = next(d for d in details if d.startswith("infrastructure/kubernetes/services/secrets.yaml:"))
        assert "\nSecret " in secrets_yaml and "•••••• (masked)" in secrets_yaml
        assert "N8N_BASIC_AUTH_PASSWORD" in secrets_yaml
        assert any(d.startswith("infrastructure/kubernetes/databases/postgres-secret.yaml:") for d in details)
        table.move_cursor(row=details.index(secrets_yaml))
        await pilot.pause()
        assert "plaintext Secret(s) to convert" in str(screen.query_one("#secrets-title").content)
        shown = on_screen(app)
        assert "N8N_BASIC_AUTH_PASSWORD" in shown  # the check below looks at what is really there
        assert MARKER not in shown
        assert "not checked yet" in text_of(screen.query_one("#secrets-keys"))

        await pilot.press("v")  # the keys' state comes from the items' evidence
        await settle(pilot)
        assert "secrets.keys: blocked" in text_of(screen.query_one("#secrets-keys"))
        assert MARKER not in on_screen(app)


async def test_method_choice_is_stored_as_the_secrets_answer(demo_session):
    app = make_app(demo_session)
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await open_secrets(pilot)
        assert "method: not chosen yet" in text_of(screen.query_one("#secrets-progress"))
        assert app.screen.check_action("convert", ()) is None  # no method yet: greyed out
        screen.query_one("#method-sealed-secrets", RadioButton).value = True
        await pilot.pause()
        assert demo_session.answers["secrets"] == "sealed-secrets"
        assert "method: sealed-secrets" in text_of(screen.query_one("#secrets-progress"))
        screen.query_one("#method-sops", RadioButton).value = True
        await pilot.pause()
        assert demo_session.answers["secrets"] == "sops"
    assert '"secrets": "sops"' in demo_session.store.path.read_text()


async def test_convert_runs_through_the_app_and_streams_into_the_log(demo_session):
    demo_session.answers["secrets"] = "sops"
    app = make_app(demo_session)
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await open_secrets(pilot)
        assert screen.query_one("#method-sops", RadioButton).value  # the stored answer is preselected
        await pilot.press("c")  # secrets.keys has not passed: the core refuses, and says why
        await settle(pilot)
        assert isinstance(app.screen, ErrorDialog)
        app.pop_screen()
        await pilot.pause()
        progress = text_of(screen.query_one("#secrets-progress"))
        assert "cannot run it yet" in progress and "secrets.keys" in progress
        app.post_message(OutputLogged("encrypted Secret homelab/n8n-auth → services/secrets.yaml"))
        await pilot.pause()
        await pilot.pause()
        assert any("n8n-auth" in line for line in screen.query_one("#secrets-log").entries)
        assert MARKER not in on_screen(app)


async def test_the_secrets_screen_runs_s2_says_why_a_key_is_off_and_marks_the_choice_in_words(demo_session):
    """Issue 15 (point 8)."""
    from screens.dialogs.answers import AnswersDialog
    from screens.dialogs.confirm import ConfirmDialog
    from screens.dialogs.help import keys_markdown

    from .conftest import wait_for

    app = make_app(demo_session)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_secrets(pilot)
        keys = keys_markdown(screen)
        assert "Convert *(choose SOPS or Sealed Secrets first)*" in keys and "Keys *(choose" in keys
        screen.query_one("#method-sops", RadioButton).value = True
        await settle(pilot)
        assert str(screen.query_one("#method-sops", RadioButton).label).endswith("← chosen")
        assert "chosen" not in str(screen.query_one("#method-sealed-secrets", RadioButton).label)
        assert "not available" not in keys_markdown(screen) and "choose SOPS" not in keys_markdown(screen)
        await pilot.press("e")  # S.2 from this screen: its answers, then its preview and confirmation
        await wait_for(pilot, lambda: isinstance(app.screen, (AnswersDialog, ConfirmDialog))
                       or "secrets.keys" in app.plan_refusals)


@pytest.mark.parametrize("size", [(120, 40), (80, 24)])
async def test_the_findings_table_fits_the_screen(demo_session, size):
    from tests.tui.test_plan_screen import assert_fits

    app = make_app(demo_session)
    async with app.run_test(size=size) as pilot:
        screen = await open_secrets(pilot)
        table = screen.query_one("#secrets-findings", DataTable)
        assert table.row_count >= 4
        assert_fits(table)
        assert all(str(table.get_row(r)[3]) == "••••••" for r in table.rows)  # the mask column whole
