"""A blocked item says what it needs before it asks anything (issue 15, point 7), in every front end.

3.1 has questions (provider, git URL) and needs 1.0 and 1.2. On a fresh repo, --plain (a faked terminal,
questionary's prompts replaced by the test) and the TUI (Pilot) both report the missing items and ask
no question.
"""
from __future__ import annotations

import sys

import pytest

from tests.helpers import NO_CLUSTER, cli_env, make_repo
from wizard.cli import main
from wizard.session import Session


class FakeTTY:
    def isatty(self) -> bool:
        return True

    def readline(self):  # pragma: no cover - a prompt that was not faked would end up here
        raise AssertionError("stdin was read: a prompt was not faked")


def test_plain_names_the_missing_items_before_any_question(tmp_path, monkeypatch, capsys):
    import screens.plain

    repo = make_repo(tmp_path / "repo")
    for k, v in cli_env(**NO_CLUSTER, HOMELAB_WIZARD_DATA=str(tmp_path / "data")).items():
        monkeypatch.setenv(k, v)
    asked = []
    monkeypatch.setattr(screens.plain, "ask_question", lambda q: asked.append(q.key) or "github")
    monkeypatch.setattr(sys, "stdin", FakeTTY())
    rc = main(["--repo", str(repo), "--plain", "run", "3.1"])
    err = capsys.readouterr().err
    assert rc == 3 and asked == [], (rc, asked, err)
    assert "prep.preflight" in err and "prep.backup" in err


async def test_the_tui_names_the_missing_items_before_the_answers_form(tmp_path, monkeypatch):
    from screens.app import make_app
    from screens.dialogs.answers import AnswersDialog
    from tests.tui.conftest import settle, wait_for

    repo = make_repo(tmp_path / "repo")
    for k, v in cli_env(**NO_CLUSTER, HOMELAB_WIZARD_DATA=str(tmp_path / "data")).items():
        monkeypatch.setenv(k, v)
    monkeypatch.delenv("HOMELAB_WIZARD_NONINTERACTIVE", raising=False)
    s = Session.open(repo)
    s.store.acquire("tui-test")
    try:
        s.store.load()
        app = make_app(s)
        async with app.run_test(size=(110, 34)) as pilot:
            await settle(pilot)
            app.request_preview("bootstrap.credentials")
            await wait_for(pilot, lambda: "bootstrap.credentials" in app.plan_refusals)
            await settle(pilot)
            assert not isinstance(app.screen, AnswersDialog)
            reason = app.plan_refusals["bootstrap.credentials"]
            assert "prep.preflight" in reason and "prep.backup" in reason, reason
    finally:
        s.store.release()


def test_plain_goes_back_to_its_menu_after_a_blocked_item(tmp_path, monkeypatch, capsys):
    """Issue 15 (point 7): --plain quit to the shell (rc 3) on a blocked item instead of its menu."""
    import screens.plain

    repo = make_repo(tmp_path / "repo")
    for k, v in cli_env(**NO_CLUSTER, HOMELAB_WIZARD_DATA=str(tmp_path / "data")).items():
        monkeypatch.setenv(k, v)
    picks = ["bootstrap.credentials", "Quit"]  # 3.1 (blocked: 1.0 and 1.2 first), then Quit
    menus = []

    class Pick:
        """A user picking by the row's text; the answer is what questionary gives for that row (a Choice
        made without a value gives its title)."""

        def __init__(self, message, choices, **_):
            menus.append([c.value for c in choices])
            self.choices = choices

        def unsafe_ask(self):
            want = picks.pop(0)
            return next(c.value for c in self.choices if want in (c.value, c.title))

    monkeypatch.setattr(screens.plain.questionary, "select", Pick)
    monkeypatch.setattr(screens.plain, "ask_question", lambda q: pytest.fail(f"asked {q.key} before the prerequisites"))
    monkeypatch.setattr(sys, "stdin", FakeTTY())
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)  # the menu needs a terminal on both ends
    rc = main(["--repo", str(repo), "--plain"])
    err = capsys.readouterr().err
    # Back at the menu, then Quit: with the CLI's exit code for the last item run (3, blocked), as `run` gives.
    assert rc == 3 and len(menus) == 2 and picks == [], (rc, menus, err)
    assert "no checklist item" not in err
    assert "prep.preflight" in err and "prep.backup" in err


def test_plain_quits_from_its_menu_with_the_real_prompt(tmp_path, monkeypatch, capsys):
    """Issue 24 (point 2): choosing Quit printed "error: there is no checklist item 'Quit'" and only Ctrl-C
    left. The real questionary menu, driven by keys through a pipe: up (to the last row, Quit), Enter."""
    from prompt_toolkit.application import create_app_session
    from prompt_toolkit.input import create_pipe_input
    from prompt_toolkit.output import DummyOutput

    repo = make_repo(tmp_path / "repo")
    for k, v in cli_env(**NO_CLUSTER, HOMELAB_WIZARD_DATA=str(tmp_path / "data")).items():
        monkeypatch.setenv(k, v)
    monkeypatch.setattr(sys, "stdin", FakeTTY())
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    with create_pipe_input() as keys, create_app_session(input=keys, output=DummyOutput()):
        keys.send_text("\x1b[A\r")
        rc = main(["--repo", str(repo), "--plain"])
    err = capsys.readouterr().err
    assert rc == 0 and "error" not in err, err
