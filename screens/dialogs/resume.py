"""On start, when earlier runs passed items: say what passed and re-verify it (it may have drifted)."""
from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static

from wizard.checklist import Item

from ..status import icon
from .fit import FittedDialog


class ResumeDialog(FittedDialog, ModalScreen[None]):
    """Lists the items that passed earlier, starts their re-verification and shows the outcome."""

    AUTO_FOCUS = "#continue"
    BINDINGS = [Binding("escape", "close", "Continue", id="resume.close"),
                Binding("u", "rollback", "Rollback", id="resume.rollback")]

    def __init__(self, passed: list[Item]) -> None:
        super().__init__()
        self.passed = passed
        self.started = False
        self.done = False

    def compose(self) -> ComposeResult:
        with Vertical(id="resume-box", classes="dialog"):
            yield Label("Welcome back: resuming the migration", classes="dialog-title")
            with VerticalScroll(classes="dialog-body"):
                yield Static(id="resume-list")
            yield Static(id="resume-status")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Rollback…", id="rollback")
                yield Button("Continue", id="continue", variant="primary")

    def on_mount(self) -> None:
        self.watch(self.app, "revision", self.show_items)
        self.watch(self.app, "last_command", self.show_status)
        self.watch(self.app, "busy", self.finished)
        self.started = self.app.start_reverify() is not None
        self.show_items()

    def show_items(self, _revision: int = 0) -> None:
        state = self.app.session.state
        n = len(self.passed)
        text = Text(f"{n} item passed earlier. It is" if n == 1 else f"{n} items passed earlier. They are")
        text.append(" checked again now, because the repository or the cluster may have changed since:\n\n")
        for it in self.passed:
            st = state.item(it.id)
            text.append_text(icon(st.status))
            text.append(f" {it.alias:>4} {it.title}\n", style="bold")
            if not self.done:
                text.append(f"       passed at {st.checked_at}\n", style="dim")
            elif st.status == "passed":
                text.append("       still passes\n", style="green")
            else:
                text.append(f"       now {st.status}: {st.message}\n", style="yellow")
        self.query_one("#resume-list", Static).update(text)

    def show_status(self, command: str = "") -> None:
        if self.done:
            return
        status = "Re-verifying…" + (f"  $ {command}" if command else "")
        self.query_one("#resume-status", Static).update(Text(status, style="dim"))

    def finished(self, busy: bool) -> None:
        if busy or not self.started or self.done:
            return
        self.done = True
        state = self.app.session.state
        still = sum(state.item(it.id).status == "passed" for it in self.passed)
        total = len(self.passed)
        if still == total:
            msg = "It still passes." if total == 1 else f"All {total} still pass."
        else:
            msg = f"{still} of {total} still pass; {'it needs' if total == 1 else 'the others need'} another look."
        self.query_one("#resume-status", Static).update(Text(msg, style="bold"))
        self.show_items()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "rollback":
            self.action_rollback()
        else:
            self.dismiss(None)

    def action_rollback(self) -> None:
        """Something went wrong since last time: go straight to the guided rollback."""
        self.dismiss(None)
        self.app.action_rollback()

    def action_close(self) -> None:
        self.dismiss(None)
