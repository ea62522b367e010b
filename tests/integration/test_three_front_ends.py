"""One core, three front ends (issue 12): the same item, run through the headless CLI, `--plain`
and the TUI, asks the same questions, takes the same kind of confirmation and ends the same way.

Real git and kubectl kustomize, no cluster. The item is 2.2 on a repo whose two folders define the
same ConfigMap differently: a per-object question the repo raises (which copy to keep), then a
repo change confirmed with yes/no.
- CLI: a subprocess; without a terminal it names the question (exit 3); in a pseudo-terminal,
  answered with --set, it asks "[y/N]" and the test types y.
- --plain: in-process with a faked terminal; questionary's prompts (screens.plain.ask_question
  and ask_confirm) are the test's hands.
- TUI: Textual's Pilot; the answers form shows the question, the confirm dialog the confirmation.
"""
from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import sys
import time

from tests.helpers import NO_CLUSTER, VENV_BIN, cli_env, git, make_repo, run_cli
from wizard.cli import main
from wizard.session import Session

CM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: web\ndata:\n  mode: {mode}\n"
SVC = "apiVersion: v1\nkind: Service\nmetadata:\n  name: old\n  namespace: web\nspec:\n  ports:\n    - port: 80\n"
KEY = "duplicate.ConfigMap/web/settings"
KEEP = "web/settings.yaml:1"


def homelab(path, env):
    repo = make_repo(path, {"web/settings.yaml": CM.format(mode="live"),
                            "old/bundle.yaml": "# kept for reference\n" + CM.format(mode="stale") + "---\n" + SVC})
    assert run_cli("--repo", str(repo), "run", "1.1", "--set", "option=a", "--yes", env=env).returncode == 0
    return repo


def result_of(repo) -> tuple[str, str]:
    s = Session.open(repo)
    s.store.load()
    return s.state.item("repo.kustomizations").status, git(repo, "diff", "--cached", "HEAD")


def cli_in_a_pty(repo, env, *args: str, reply: str, timeout: float = 120) -> tuple[int, str]:
    """`homelab-wizard ARGS` with a terminal; `reply` is typed once a confirmation prompt shows."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([str(VENV_BIN / "homelab-wizard"), "--repo", str(repo), *args], stdin=slave,
                            stdout=slave, stderr=slave, env=env, close_fds=True)
    os.close(slave)
    out, replied, deadline = b"", False, time.monotonic() + timeout
    try:
        while proc.poll() is None or select.select([master], [], [], 0)[0]:
            if time.monotonic() > deadline:
                raise AssertionError(f"the CLI did not finish; last output:\n{out.decode(errors='replace')[-2000:]}")
            if select.select([master], [], [], 0.2)[0]:
                try:
                    chunk = os.read(master, 4096)
                except OSError:  # the child closed the terminal
                    break
                out += chunk
            if not replied and re.search(rb"\[y/N\]|Type '", out):
                os.write(master, reply.encode() + b"\n")
                replied = True
        return proc.wait(timeout=30), out.decode(errors="replace")
    finally:
        os.close(master)


def through_the_cli(repo, env) -> dict:
    res = run_cli("--repo", str(repo), "run", "2.2", env=env)  # no terminal: nobody can answer
    assert res.returncode == 3, res.stdout + res.stderr
    questions = sorted(set(re.findall(r"--set (duplicate\.[^=\s]+)=", res.stderr)))
    rc, out = cli_in_a_pty(repo, env, "run", "2.2", "--set", f"{KEY}={KEEP}", reply="y")
    assert rc == 0, out
    kind = "typed" if "Type '" in out else "yes" if "[y/N]" in out else "none"
    return {"questions": questions, "confirmation": kind, "result": result_of(repo)}


class FakeTTY:
    def isatty(self) -> bool:
        return True

    def readline(self):  # pragma: no cover - a prompt that was not faked would end up here
        raise AssertionError("stdin was read: a prompt was not faked")


def through_plain(repo, env, monkeypatch) -> dict:
    import screens.plain

    seen = {"questions": [], "confirmation": "none"}

    def pick(q):
        seen["questions"].append(q.key)
        return KEEP

    def go(message):
        seen["confirmation"] = "yes"
        return True

    with monkeypatch.context() as m:
        for k, v in env.items():
            m.setenv(k, v)
        m.setattr(screens.plain, "ask_question", pick)
        m.setattr(screens.plain, "ask_confirm", go)
        m.setattr(screens.plain.questionary, "text", lambda *a, **k: (_ for _ in ()).throw(
            AssertionError("--plain asked for a typed word")))
        m.setattr(sys, "stdin", FakeTTY())
        assert main(["--repo", str(repo), "--plain", "run", "2.2"]) == 0
    return {"questions": sorted(seen["questions"]), "confirmation": seen["confirmation"], "result": result_of(repo)}


async def through_the_tui(repo, env, monkeypatch) -> dict:
    from textual.widgets import Select

    from screens.app import make_app
    from screens.dialogs.answers import AnswersDialog
    from screens.dialogs.confirm import ConfirmDialog
    from screens.dialogs.resume import ResumeDialog
    from screens.widgets.answer_form import AnswerForm
    from tests.tui.conftest import mounted_select, settle, wait_for, wait_for_screen

    for k, v in env.items():
        monkeypatch.setenv(k, v)
    s = Session.open(repo)
    s.store.acquire("tui-test")
    try:
        s.store.load()
        app = make_app(s)
        async with app.run_test(size=(110, 34)) as pilot:
            await settle(pilot)
            await wait_for_screen(pilot, ResumeDialog, "#resume-list")
            await pilot.press("escape")
            await wait_for(pilot, lambda: not isinstance(app.screen, ResumeDialog))
            app.request_run("repo.kustomizations")
            await wait_for_screen(pilot, AnswersDialog, "#answer-form Select")
            form = app.screen.query_one(AnswerForm)
            questions = sorted(q.key for q in form.questions)
            (await mounted_select(pilot, form.query_one(Select))).value = KEEP
            await pilot.press("ctrl+s")
            dialog = await wait_for_screen(pilot, ConfirmDialog, "#ok")
            kind = "typed" if dialog.require_text is not None else "yes"
            # Button.press, not a click at its place: on a busy machine the dialog may not be laid
            # out yet, and a click at an empty region lands nowhere (seen once in CI).
            dialog.query_one("#ok").press()
            await wait_for(pilot, lambda: s.state.item("repo.kustomizations").status not in ("pending", "running"),
                           timeout=120)
            await settle(pilot)
    finally:
        s.store.release()
    return {"questions": questions, "confirmation": kind, "result": result_of(repo)}


async def test_the_cli_plain_and_the_tui_ask_the_same_and_end_the_same(tmp_path, monkeypatch):
    env = cli_env(**NO_CLUSTER, HOMELAB_WIZARD_DATA=str(tmp_path / "data"), HOMELAB_WIZARD_NONINTERACTIVE="0")
    cli = through_the_cli(homelab(tmp_path / "cli", env), env)
    plain = through_plain(homelab(tmp_path / "plain", env), env, monkeypatch)
    tui = await through_the_tui(homelab(tmp_path / "tui", env), env, monkeypatch)
    assert cli["questions"] == plain["questions"] == tui["questions"] == [KEY]
    assert cli["confirmation"] == plain["confirmation"] == tui["confirmation"] == "yes"  # a repo change: y/N
    assert cli["result"][0] == plain["result"][0] == tui["result"][0] == "passed"
    assert cli["result"][1] == plain["result"][1] == tui["result"][1]  # the same staged change
    assert "-  mode: stale" in cli["result"][1]
