"""Which Flux Kustomizations to suspend or resume, asked before the preview.

What `homelab-wizard rollback suspend|resume --kustomization NS/NAME …` takes, offered from the
cluster's Kustomizations with their state (suspended or reconciling). None chosen means the
action's default: every reconciling one for suspend, every suspended one for resume. Esc
cancels; ctrl+s or the Preview button goes on with the chosen `Options`.
"""
from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, SelectionList, Static

from wizard.rollback import Options
from .fit import FittedDialog

DEFAULTS = {"suspend": "every Kustomization that is reconciling now",
            "resume": "every Kustomization that is suspended now"}


def scope_text(verb: str, chosen: list[str]) -> str:
    return f"{verb}: {', '.join(chosen) if chosen else DEFAULTS[verb]}"


class KustomizationChoiceDialog(FittedDialog, ModalScreen[Options | None]):
    """Dismisses with `Options(kustomizations=[…])`, or None when the user backs out."""

    AUTO_FOCUS = "#ks-list"
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="ks-choice.cancel"),
        Binding("ctrl+s", "submit", "Preview", id="ks-choice.submit"),
    ]

    def __init__(self, verb: str, rows: list[tuple[str, bool]], chosen: list[str] | None = None) -> None:
        """`rows`: (NS/NAME, suspended) of every Kustomization, in the cluster's order."""
        super().__init__()
        self.verb, self.rows, self.initial = verb, rows, chosen or []

    def compose(self) -> ComposeResult:
        with Vertical(id="ks-choice-box", classes="dialog"):
            yield Label(f"Rollback {self.verb}: which Kustomizations", classes="dialog-title")
            yield Static(f"None chosen = {DEFAULTS[self.verb]}. Space toggles, ctrl+s previews, Esc cancels.",
                         classes="restore-help")
            yield SelectionList[str](*[(f"{ks}  ({'suspended' if paused else 'reconciling'})", ks, ks in self.initial)
                                       for ks, paused in self.rows], id="ks-list", classes="restore-list")
            yield Static(scope_text(self.verb, self.initial), id="ks-scope")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Preview", id="submit", variant="primary")

    def chosen(self) -> list[str]:
        picked = set(self.query_one("#ks-list", SelectionList).selected)
        return [ks for ks, _ in self.rows if ks in picked]

    @on(SelectionList.SelectedChanged)
    def changed(self) -> None:
        self.query_one("#ks-scope", Static).update(scope_text(self.verb, self.chosen()))

    @on(Button.Pressed, "#submit")
    def action_submit(self) -> None:
        self.dismiss(Options(kustomizations=self.chosen()))

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
