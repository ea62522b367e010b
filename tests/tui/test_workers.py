"""Long work runs in App workers: output streams live, the screen stays usable, x and ctrl+q stop it.

Two test items run real subprocesses through the session's real runner (no cluster needed):
one prints lines slowly, one sleeps until it is stopped.
"""
from __future__ import annotations

import time

import pytest

from screens.app import make_app
from screens.dialogs.confirm import ConfirmDialog
from screens.phase import PhaseScreen
from wizard.catalog import CATALOG
from wizard.checklist import Item, Plan, Step, Verdict
from wizard.engine import Engine
from wizard.session import WizardError
from textual.screen import ModalScreen

from .conftest import SIZE, settle, text_of, wait_for, wait_for_screen


class StreamingItem(Item):
    """Prints two lines, waits until the file `gate` exists, prints three more; passes once it has run.

    The gate makes "output arrives while the command still runs" independent of machine load.
    """

    id, alias, title = "prep.stream", "9.1", "Print five lines slowly"
    gate = None  # a Path the test creates to let the command finish

    def verify(self, session) -> Verdict:
        ran = any(e["action"] == "streamed" for e in session.state.journal)
        return Verdict("passed" if ran else "pending", "it ran" if ran else "not run yet")

    def plan(self, session) -> Plan:
        return Plan(self.id, "Print five lines", [Step("command", "print five lines")], changes="nothing")

    def apply(self, session, plan, progress) -> None:
        script = ('echo line 1; echo line 2; while [ ! -e "$1" ]; do sleep 0.05; done; '
                  'for i in 3 4 5; do echo line $i; done')
        session.runner.run(["sh", "-c", script, "stream", str(self.gate)], on_line=progress, cancel=session.cancel,
                           timeout=60)
        session.state.record("streamed")


class SleepingItem(Item):
    """Sleeps for a minute unless stopped."""

    id, alias, title = "prep.sleep", "9.2", "Sleep until stopped"

    def verify(self, session) -> Verdict:
        return Verdict("pending", "never finishes")

    def plan(self, session) -> Plan:
        return Plan(self.id, "Sleep for a minute", [Step("command", "sleep 60")], changes="state")

    def apply(self, session, plan, progress) -> None:
        session.runner.run(["sleep", "60"], on_line=progress, cancel=session.cancel, timeout=90)


class PushItem(Item):
    """Pushes through the core's Git wrapper, which is not handed the job's cancel token."""

    id, alias, title = "prep.push", "9.3", "Push the branch"

    def verify(self, session) -> Verdict:
        return Verdict("pending", "not pushed")

    def plan(self, session) -> Plan:
        return Plan(self.id, "git push", [Step("command", "git push origin HEAD")], changes="state")

    def apply(self, session, plan, progress) -> None:
        session.git.run("push", "--porcelain", "origin", "HEAD", timeout=600)


@pytest.fixture
def gate(tmp_path):
    return tmp_path / "gate"


@pytest.fixture
def work_app(session, gate):
    streaming = StreamingItem()
    streaming.gate = gate
    return make_app(session, Engine(session, items=[streaming, SleepingItem(), *CATALOG]))


def log_lines(app) -> list[str]:
    return list(app.screen.query_one("#log").entries)


async def start_sleeping(pilot) -> None:
    app = pilot.app
    await pilot.press("enter", "down", "r")
    await settle_plan(pilot)
    assert isinstance(app.screen, ConfirmDialog)
    await pilot.press("tab", "enter")
    await wait_for(pilot, lambda: any(line == "$ sleep 60" for line in log_lines(app)))


async def settle_plan(pilot) -> None:
    await wait_for_screen(pilot, ConfirmDialog, "#ok")


async def test_output_streams_while_the_screen_stays_usable(work_app, session, gate):
    app = work_app
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter", "r")  # changes nothing: runs without a confirmation
        await wait_for(pilot, lambda: "  line 2" in log_lines(app))
        assert app.work_running() and "  line 3" not in log_lines(app)
        screen = app.screen
        assert screen.query_one("#checklist").get_option_at_index(0).prompt.plain.startswith("…")
        # A long step says what it does now in its evidence, not only "running" (issue 15, point 10).
        await wait_for(pilot, lambda: "Running since" in text_of(screen.query_one("#evidence-text"))
                       and ": line 2" in text_of(screen.query_one("#evidence-text")))
        await pilot.press("down")  # the UI answers while the command still prints
        await pilot.pause()
        assert "9.2 prep.sleep" in text_of(screen.query_one("#evidence-text"))
        assert app.work_running()
        gate.touch()
        await settle(pilot)
        lines = log_lines(app)
        assert [ln for ln in lines if ln.startswith("  line")] == [f"  line {i}" for i in range(1, 6)]
        assert any(ln.startswith("$ sh -c echo line 1;") for ln in lines)
        assert session.state.item("prep.stream").status == "passed"


async def test_x_stops_the_running_command(work_app, session, gate):
    app = work_app
    async with app.run_test(size=SIZE) as pilot:
        await start_sleeping(pilot)
        assert app.check_action("stop", ()) is True
        started = time.monotonic()
        await pilot.press("x")
        await settle(pilot)
        assert time.monotonic() - started < 15, "the sleep was not terminated"
        st = session.state.item("prep.sleep")
        assert st.status == "failed" and "interrupted" in st.message
        assert isinstance(app.screen, PhaseScreen)  # a stop is not an error modal
        assert any("was stopped" in ln for ln in log_lines(app))
        # A fresh cancel token: the next piece of work is not stopped at once.
        gate.touch()
        await pilot.press("up", "r")
        await settle(pilot)
        assert session.state.item("prep.stream").status == "passed"


async def test_ctrl_q_while_running_asks_first_then_stops_and_quits(work_app, session):
    app = work_app
    async with app.run_test(size=SIZE) as pilot:
        await start_sleeping(pilot)
        await pilot.press("ctrl+q")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, ConfirmDialog) and dialog.title_text == "A step is still running"
        assert dialog.focused.id == "cancel"
        await pilot.press("enter")  # Cancel: keep running
        await pilot.pause()
        assert app.is_running and app.work_running()
        await pilot.press("ctrl+q")
        await pilot.pause()
        await pilot.press("tab", "enter")  # Stop and quit
        await pilot.pause()
    assert app.return_code == 0
    assert app.idle.wait(15), "the stopped step did not finish"
    st = session.state.item("prep.sleep")
    assert st.status == "failed" and "interrupted" in st.message


async def test_ctrl_q_saves_and_quits(app, session):
    assert not session.store.path.exists()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        await pilot.press("ctrl+q")
        await pilot.pause()
    assert app.return_code == 0
    assert session.store.path.exists()


async def test_x_stops_a_tool_call_that_was_not_handed_the_token_fake_hanging_git(session, tmp_path, monkeypatch):
    """Issue 12: the job's token reaches every tool call. A fake `git` (the process boundary: a push to a
    server that never answers) sleeps for `push` and runs the real git otherwise; x ends its group."""
    import os
    import shutil
    import signal

    real = shutil.which("git")
    stub = tmp_path / "bin"
    stub.mkdir()
    pidfile = tmp_path / "push.pid"
    (stub / "git").write_text(f"#!/bin/sh\nfor a in \"$@\"; do [ \"$a\" = push ] && {{ echo $$ > {pidfile}; "
                              f"exec sleep 300; }}; done\nexec {real} \"$@\"\n")
    (stub / "git").chmod(0o755)
    monkeypatch.setenv("PATH", f"{stub}{os.pathsep}{os.environ['PATH']}")
    app = make_app(session, Engine(session, items=[PushItem(), *CATALOG]))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter", "r")
        await wait_for_screen(pilot, ConfirmDialog, "#ok")
        await pilot.press("tab", "enter")
        await wait_for(pilot, lambda: pidfile.exists() and pidfile.read_text().strip())
        pid = int(pidfile.read_text())
        pressed = time.monotonic()
        await pilot.press("x")

        def group_alive() -> bool:
            try:
                os.killpg(pid, 0)
                return True
            except ProcessLookupError:
                return False

        while group_alive() and time.monotonic() < pressed + 2:  # the bound: within 2 s of the press
            await pilot.pause(0.05)
        survived = group_alive()
        if survived:  # never leave a sleeper behind, nor a worker waiting on it
            os.killpg(pid, signal.SIGKILL)
        await settle(pilot)
        assert not survived, f"x did not end the process group of the hanging push ({pid}) within 2 s"
        st = session.state.item("prep.push")
        assert st.status == "failed" and "interrupted" in st.message, st


class WaitingItem(Item):
    """Waits in Python (no subprocess), as 4.2 waits for Flux, and says so when it is stopped."""

    id, alias, title = "prep.wait", "9.4", "Wait for something"

    def verify(self, session) -> Verdict:
        return Verdict("pending", "never finishes")

    def plan(self, session) -> Plan:
        return Plan(self.id, "Wait", [Step("info", "wait")], changes="state")

    def apply(self, session, plan, progress) -> None:
        progress("waiting: for something that never comes")
        while not session.cancel.wait(0.2):
            pass
        time.sleep(0.5)  # the step takes a moment to wind down after the stop, as a real one does
        raise WizardError("stopped while waiting")


async def test_x_during_a_wait_ends_with_the_step_recorded_and_shown_not_running(session):
    """Issue 15 (point 10): x during 4.2 left the list and the evidence at "running" and lost "x Stop"."""

    app = make_app(session, Engine(session, items=[WaitingItem(), *CATALOG]))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter", "r")
        await wait_for_screen(pilot, ConfirmDialog, "#ok")
        await pilot.press("tab", "enter")
        await wait_for(pilot, lambda: "prep.wait" in app.active_items)
        await pilot.press("x")
        await pilot.pause()
        if session.state.item("prep.wait").status == "running":  # winding down: still a running step
            assert app.busy and app.check_action("stop", ()) is True
        await wait_for(pilot, lambda: session.state.item("prep.wait").status == "failed")
        await wait_for(pilot, lambda: not app.busy and "prep.wait" not in app.active_items)
        while isinstance(app.screen, ModalScreen):  # the error dialog that reports the stop
            app.pop_screen()
            await pilot.pause()
        shown = text_of(app.screen.query_one("#evidence-text"))
        assert "Status: ✘ failed" in shown or "failed" in shown.split("\n")[2], shown
        assert "running" not in shown.split("\n")[2]
