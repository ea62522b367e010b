"""The confirmation asked before anything changes. Cancel has the focus; cluster changes need the context typed.

As in k9s: the safe button is focused, Esc cancels, and for an action on the cluster the OK
button stays disabled until the user types the name of the pinned context.
"""
from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from wizard.checklist import Item, Plan
from wizard.session import Session
from .fit import FittedDialog



class ConfirmDialog(FittedDialog, ModalScreen["bool | str"]):
    """Asks yes or no; dismisses with True only when the user explicitly goes ahead ("answers" when the
    user chose to change the answers the preview was made with)."""

    AUTO_FOCUS = "#cancel"
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="confirm.cancel"),
        Binding("left", "app.focus_previous", "Previous", show=False, id="confirm.left"),
        Binding("right", "app.focus_next", "Next", show=False, id="confirm.right"),
    ]

    def __init__(self, title: str, body: "str | Text", *, ok_label: str = "Go ahead", require_text: str | None = None,
                 danger: bool = False, change_answers: bool = False) -> None:
        super().__init__()
        self.change_answers = change_answers
        self.title_text = title
        self.body = body
        self.ok_label = ok_label
        self.require_text = require_text
        self.danger = danger

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-box", classes="dialog"):
            yield Label(self.title_text, classes="dialog-title")
            with VerticalScroll(classes="dialog-body"):
                yield Static(self.body, id="confirm-body")
            if self.require_text is not None:
                yield Label(f"Type [b]{self.require_text}[/b] to confirm:", id="confirm-prompt")
                yield Input(placeholder=self.require_text, id="confirm-text")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel", id="cancel")
                yield Button(self.ok_label, id="ok", variant="error" if self.danger else "primary",
                             disabled=self.require_text is not None)
                if self.change_answers:
                    yield Button("Change answers…", id="change-answers")

    def on_mount(self) -> None:
        if self.require_text is not None:
            # Typing the word is the confirmation: the keys go to it at once (Cancel stays one Tab away).
            self.query_one("#confirm-text", Input).focus()

    @on(Input.Changed, "#confirm-text")
    def typed(self, event: Input.Changed) -> None:
        self.query_one("#ok", Button).disabled = event.value.strip() != self.require_text

    @on(Input.Submitted, "#confirm-text")
    def submitted(self, event: Input.Submitted) -> None:
        if event.value.strip() == self.require_text:
            self.dismiss(True)

    @on(Button.Pressed, "#ok")
    def go_ahead(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(False)

    @on(Button.Pressed, "#change-answers")
    def change(self) -> None:
        self.dismiss("answers")


def confirm_for_plan(item: Item, plan: Plan, session: Session, say=lambda text: text) -> ConfirmDialog:
    """The confirmation for running a previewed plan; cluster changes ask for the context name."""
    from wizard.usecase import item_confirmation

    c = item_confirmation(session, plan)  # the core's policy: the CLI and --plain ask the same
    require = c.word if c.kind == "typed" else None
    # The preview itself, not a pointer to the pane this modal covers (issue 24, point 10); it scrolls.
    # A Text, not markup: plans hold brackets ([values withheld], [y/N]) that markup would eat.
    body = Text(f"{plan.summary}\n\nRunning it {c.why}.", overflow="fold")
    if require:
        body.append(f" It acts on the cluster of context {require!r}.")
    body.append("\n\nWhat it does:\n", style="bold")
    body.append(say(plan.render()))
    return ConfirmDialog(f"Run {item.alias} {item.title}?", body, ok_label="Run it", require_text=require,
                         change_answers=bool(item.questions),
                         danger=plan.changes in ("cluster", "repo"))
