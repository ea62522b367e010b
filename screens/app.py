"""The Textual App: owns the session and engine, runs long work in workers, routes results.

Screens render the session's state and call the App's `request_*` / `start_*` methods; the
App starts thread workers (so work survives a screen being popped), receives their
messages and bumps `revision`, which every screen watches to redraw. Entry points:
`make_app(session)` (tests and benchmarks reuse it) and `run_app(session)` (the CLI).

Only what the home screen's first frame needs is imported with this module: the dialogs, the
jobs (and the core modules they pull in) and the other screens are imported where they are first
used, because every module on the start-up path is time a user waits for the first screen
(`make bench`).
"""
from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path

from textual import on
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.reactive import reactive
from textual.screen import Screen
from textual.worker import Worker, WorkerState

import assets
from wizard.checklist import Plan
from wizard.engine import Engine
from wizard.runner import CancelToken, ToolError
from wizard.session import Session, WizardError
from wizard.state import StateError

from .home import HomeScreen
from .messages import CommandStarted, JobEnded, PlanPrepared, PlanRefused
from .activity import ActivityLog
from .wording import Wording
from .navigation import NavigationActions
from .asking import AskingActions

STYLES = Path(assets.__file__).parent / "styles"


class WizardApp(ActivityLog, AskingActions, NavigationActions, Wording, App[int]):
    """The homelab-wizard TUI for one locked, loaded Session."""

    TITLE = "homelab-wizard"
    CSS_PATH = [STYLES / "app.tcss", STYLES / "dialogs.tcss"]
    BINDINGS = [
        Binding("question_mark", "help", "Help", id="app.help"),
        Binding("f1", "help", "Help", show=False, id="app.help-f1"),
        Binding("x", "stop", "Stop", id="app.stop"),
        # One key map: these open the same screen from every screen. The home footer shows them (an
        # 80-column footer has no room on the busier screens); every help lists them.
        Binding("P", "open_plan", "Plan", show=False, id="app.plan"),
        Binding("S", "open_secrets", "Secrets", show=False, id="app.secrets"),
        Binding("F", "open_flux_status", "Flux", show=False, id="app.flux-status"),
        Binding("u", "rollback", "Undo", show=False, id="app.rollback"),
        Binding("ctrl+q", "quit", "Quit", priority=True, id="app.quit"),  # it saves first (see the help)
    ]

    revision: reactive[int] = reactive(0)
    """Bumped whenever the stored state (or a preview) changed; screens watch it to redraw."""
    busy: reactive[bool] = reactive(False, bindings=True)
    """True while a verify/plan/run worker is working."""
    log_count: reactive[int] = reactive(0)
    """How many log lines were ever written; log panes catch up to it."""
    last_command: reactive[str] = reactive("")
    """The command the runner started most recently (redacted)."""

    def __init__(self, session: Session, engine: Engine | None = None, notice: str | None = None) -> None:
        super().__init__()
        self.session = session
        self.notice = notice  # why this screen opened where it did (the demo, outside a git repo)
        self.engine = engine or Engine(session)
        for item in self.engine.items:
            # Create every item's entry now, on the UI thread: a worker saving the state
            # iterates this dict, and the screens must not add keys to it meanwhile.
            session.state.item(item.id)
        self.active_items: set[str] = set()
        self.checking: tuple[int, int, str] | None = None  # a re-check of many items: (n, total, item now)
        # item id -> (started at, its latest progress line): a long step (3.2, 4.2) says what it
        # is doing now in its evidence pane, not only "running".
        self.progress: dict[str, tuple[str, str]] = {}
        self.plans: dict[str, Plan] = {}
        self.plan_refusals: dict[str, str] = {}
        self.idle = threading.Event()
        self.idle.set()
        self._jobs = 0
        self._jobs_lock = threading.Lock()
        self._log: list[str] = []
        self._log_offset = 0

    # -- start-up ---------------------------------------------------------------------
    def get_default_screen(self) -> Screen:
        return HomeScreen()

    def on_mount(self) -> None:
        self.session.runner.on_command = lambda argv: self.post_message(CommandStarted(list(argv)))
        if self.notice:  # said here: a line printed before the TUI starts is hidden until it quits
            self.write_log(self.notice)
            self.notify(self.notice, title="The demo", timeout=20)
        passed = [it for it in self.engine.items if self.session.state.item(it.id).status == "passed"]
        if passed:
            from .dialogs.resume import ResumeDialog

            self.push_screen(ResumeDialog(passed))

    def on_unmount(self) -> None:
        self.session.runner.on_command = None

    def on_plan_refused(self, message: PlanRefused) -> None:
        self.plans.pop(message.item_id, None)
        self.plan_refusals[message.item_id] = self.say(message.reason)
        self.revision += 1

    def on_plan_prepared(self, message: PlanPrepared) -> None:
        self.plans[message.item_id] = message.plan
        self.plan_refusals.pop(message.item_id, None)
        self.revision += 1
        if not message.confirm:
            return
        item_id, plan = message.item_id, message.plan
        if plan.changes == "nothing":
            self._start_run(item_id, plan)
            return

        def decided(go: bool | str | None) -> None:
            if go == "answers":  # the preview made the user change a choice: the form, then a new preview
                self.show_questions(item_id, confirm=True)
            elif go:
                self._start_run(item_id, plan)
            else:
                self.write_log(f"{item_id}: cancelled at the confirmation; nothing was changed")
                self.notify("Cancelled: nothing was changed.", title=item_id)

        from .dialogs.confirm import confirm_for_plan

        self.push_screen(confirm_for_plan(self.engine.item(item_id), plan, self.session, self.say), decided)

    @on(JobEnded)
    def job_ended(self, message: JobEnded) -> None:
        """Show what the step left behind, also when it was stopped (its worker reported earlier)."""
        self.busy = self.work_running()
        if not self.busy:
            self.active_items.clear()
            self.checking = None
        self.revision += 1
        self._refresh_footers()

    @on(Worker.StateChanged)
    def worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "apply" or event.state not in (WorkerState.SUCCESS, WorkerState.ERROR,
                                                                WorkerState.CANCELLED):
            return
        self.busy = self.work_running()
        if not self.busy:
            self.active_items.clear()
            self.checking = None
        self.revision += 1
        if event.state == WorkerState.ERROR:
            error = event.worker.error
            known = isinstance(error, (WizardError, ToolError, StateError))
            text = self.say(str(error)) if known else f"{type(error).__name__}: {error}"
            self.write_log(f"error: {text}")
            from .dialogs.error import ErrorDialog

            self.push_screen(ErrorDialog(event.worker.description or "Something went wrong", text))

    # -- starting work ---------------------------------------------------------------------
    def work_running(self) -> bool:
        # The job count, not the workers' states: a stopped worker says CANCELLED at once, while its
        # thread still finishes the step (and records it); until then the step is running.
        return not self.idle.is_set()

    def _start(self, fn: Callable[[], object], name: str, description: str, *, chained: bool = False) -> Worker | None:
        """Run `fn` in a thread worker on the App (group "apply"); one piece of work at a time."""
        if not chained and self.work_running():
            self.notify("Another step is still running; wait for it or press x to stop it.", severity="warning")
            return None
        self.session.cancel = CancelToken()  # a token is single-use: a new one for every piece of work
        with self._jobs_lock:
            self._jobs += 1
            self.idle.clear()

        def guarded():
            try:
                return fn()
            finally:
                with self._jobs_lock:
                    self._jobs -= 1
                    if self._jobs == 0:
                        self.idle.set()
                self.post_message(JobEnded())

        self.busy = True
        return self.run_worker(guarded, name=name, group="apply", description=description, thread=True,
                               exclusive=not chained, exit_on_error=False)

    def start_verify(self, item_ids: list[str], what: str) -> Worker | None:
        self.write_log(f"verifying {what}")
        return self._start(partial(_jobs().verify_items, self, item_ids), "verify", f"Verifying {what}")

    def start_reverify(self) -> Worker | None:
        self.write_log("re-verifying the items that passed earlier")
        return self._start(partial(_jobs().reverify_passed, self), "reverify", "Re-verifying what passed earlier")

    def _named(self, item_id: str) -> str:
        item = self.engine.item(item_id)
        return f"{item.alias} {item.title}"

    def _start_plan(self, item_id: str, confirm: bool, *, chained: bool = False) -> None:
        verb = "Preparing to run" if confirm else "Previewing"
        self._start(partial(_jobs().prepare_plan, self, item_id, confirm), "plan", f"{verb} {self._named(item_id)}",
                    chained=chained)

    def _start_run(self, item_id: str, plan: Plan) -> None:
        self.write_log(f"running {item_id}: {plan.summary}")
        self._start(partial(_jobs().run_item, self, item_id, plan), "run", f"Running {self._named(item_id)}",
                    chained=True)

    def request_preview(self, item_id: str) -> None:
        """Show what running the item would do; asks unanswered questions first."""
        self._with_answers(item_id, confirm=False)

    def request_run(self, item_id: str) -> None:
        """Answers form → preview → confirmation → run, each step skippable by Esc."""
        self._with_answers(item_id, confirm=True)

    def _with_answers(self, item_id: str, confirm: bool) -> None:
        item = self.engine.item(item_id)
        if item.unavailable:
            self.notify(f"not available yet: {item.unavailable}", title=item.id, severity="warning")
            return
        if self.work_running():
            self.notify("Another step is still running; wait for it or press x to stop it.", severity="warning")
            return
        # The form only for what is not answered yet: a saved answer is not asked again (the preview in the
        # confirmation offers "Change answers…"), so a choice is seen with its preview (issue 24, point 10).
        answers = self.session.answers
        if not [q for q in item.questions if q.key not in answers and q.applies(answers)]:
            self._start_plan(item_id, confirm)
        elif self.engine.missing_prerequisites(item):
            # Checked live, off the UI thread: a blocked item says what it needs before asking anything.
            self._start(partial(_jobs().ask_when_runnable, self, item_id, confirm), "plan",
                        f"Checking what {self._named(item_id)} needs")
        else:
            self.show_questions(item_id, confirm)

    # -- actions -----------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "stop":
            return self.busy or False  # hidden when nothing runs
        if action in ("verify_all",):
            return None if self.busy else True
        return True

    def watch_busy(self, busy: bool) -> None:
        # Screen-level bindings (run, verify…) depend on it too.
        self._refresh_footers()

    def _refresh_footers(self) -> None:
        # Every screen of the stack: a dialog's translucent backdrop shows the footer of the screen under it,
        # which otherwise kept "x Stop" after the work had ended.
        for screen in self.screen_stack:
            screen.refresh_bindings()

    def action_help(self) -> None:
        from .dialogs.help import HelpDialog  # Markdown is slow to import: not on the start-up path

        if isinstance(self.screen, HelpDialog):
            return
        self.push_screen(HelpDialog(self.screen))

    def action_stop(self) -> None:
        if not self.work_running():
            return
        self.session.cancel.cancel()  # terminates the running subprocess
        self.workers.cancel_group(self, "apply")  # stops verification loops between items
        self.write_log("stopping…")
        self.notify("Stopping the running step…")

    def action_verify_all(self) -> None:
        self.start_verify([it.id for it in self.engine.items], "every item")

    async def action_quit(self) -> None:
        """ctrl+q: save and quit; while a step runs, ask first and stop it."""
        if self.work_running():
            from .dialogs.confirm import ConfirmDialog

            def decided(go: bool | None) -> None:
                if go:
                    self.action_stop()
                    self._save_and_exit()

            self.push_screen(ConfirmDialog("A step is still running",
                                           "Stop it and quit? The step is recorded as interrupted; run it again "
                                           "later to finish it.", ok_label="Stop and quit"), decided)
            return
        self._save_and_exit()

    def _save_and_exit(self) -> None:
        if not self.work_running():
            try:
                self.session.store.save()
            except StateError:
                pass  # not holding the lock (a read-only session): there is nothing of ours to save
        self.exit(0)

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        from .palette import wizard_commands

        yield from super().get_system_commands(screen)
        yield from wizard_commands(self, screen)

def _jobs():
    """The worker bodies (screens/jobs.py), imported when the first piece of work starts."""
    from . import jobs

    return jobs


def make_app(session: Session, engine: Engine | None = None, notice: str | None = None) -> WizardApp:
    """The app for a locked, loaded session (tests and benchmarks build it the same way)."""
    return WizardApp(session, engine, notice)


def run_app(session: Session, notice: str | None = None) -> int:
    """Run the TUI until the user quits; returns the exit code for the CLI."""
    app = make_app(session, notice=notice)
    app.run()
    # A step stopped at quit still records "interrupted" in the state: wait for that while
    # the CLI holds the lock.
    app.idle.wait(timeout=15)
    return app.return_code or 0


__all__ = ["WizardApp", "make_app", "run_app"]
