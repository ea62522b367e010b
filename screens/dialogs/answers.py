"""The dialog that asks an item's questions before it is previewed or run."""
from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label

from wizard.checklist import Item

from ..widgets.answer_form import AnswerForm
from .fit import FittedDialog


class AnswersDialog(FittedDialog, ModalScreen[dict | None]):
    """Dismisses with the validated answers, or None when the user backs out."""

    AUTO_FOCUS = "#answer-form Select, #answer-form Input"
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="answers.cancel"),
        Binding("ctrl+s", "submit", "Continue", id="answers.submit"),
    ]

    def __init__(self, item: Item, answers: dict) -> None:
        super().__init__()
        self.item = item
        self.answers = answers

    def compose(self) -> ComposeResult:
        with Vertical(id="answers-box", classes="dialog"):
            yield Label(f"{self.item.alias} {self.item.title}", classes="dialog-title")
            with VerticalScroll(classes="dialog-body"):
                yield AnswerForm(self.item.questions, self.answers, id="answer-form")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Continue", id="submit", variant="primary")

    @on(Button.Pressed, "#submit")
    @on(Input.Submitted)
    def action_submit(self) -> None:
        values = self.query_one(AnswerForm).values()
        if values is not None:
            self.dismiss(values)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
