"""The no-echo token prompt: a password Input for the git token an item needs and the environment lacks.

The typed value goes straight to the core (wizard.flux.prompt.remember_prompted_token), which
registers it with the redactor and keeps it in memory on the session; the dialog then clears
its field and dismisses with True. Nothing is stored, and the field never shows the text.
"""
from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from wizard.flux.prompt import prompt_text, remember_prompted_token
from wizard.session import Session, WizardError
from .fit import FittedDialog


class TokenDialog(FittedDialog, ModalScreen[bool]):
    """Dismisses with True once the token is held by the session, False when the user backs out."""

    DEFAULT_CSS = """
    TokenDialog { align: center middle; }
    #token-box { border: thick $warning; }
    #token-error { color: $error; margin-top: 1; }
    """
    AUTO_FOCUS = "#token-input"
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="token.cancel")]

    def __init__(self, session: Session, var: str, what: str) -> None:
        super().__init__()
        self.session = session
        self.var = var
        self.what = what

    def compose(self) -> ComposeResult:
        with Vertical(id="token-box", classes="dialog"):
            yield Label(f"{self.var} for {self.what}", classes="dialog-title")
            yield Static(prompt_text(self.var), id="token-body", markup=False)
            yield Input(password=True, placeholder=f"{self.var} (hidden)", id="token-input")
            yield Static("", id="token-error", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Continue", id="ok", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#token-error").display = False

    @on(Input.Submitted, "#token-input")
    @on(Button.Pressed, "#ok")
    def submit(self) -> None:
        field = self.query_one("#token-input", Input)
        try:
            remember_prompted_token(self.session, self.var, field.value)
        except WizardError as e:
            error = self.query_one("#token-error", Static)
            error.update(str(e))
            error.display = True
            field.focus()
            return
        field.value = ""  # the session holds it now; the widget does not keep a copy
        self.dismiss(True)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.query_one("#token-input", Input).value = ""
        self.dismiss(False)
