"""The choices for "restore from the Phase 1 backup", asked before its preview.

What `homelab-wizard rollback restore --namespace … --kind … --overwrite` takes, offered from what
the backup actually holds: namespaces and kinds in two selection lists (none selected = all) and
the overwrite switch (off by default), with its consequence spelled out. Esc cancels; ctrl+s or
the Preview button goes on to the preview with the chosen `Options`.
"""
from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Label, SelectionList, Static, Switch

from wizard.rollback import Options
from .fit import FittedDialog

OVERWRITE_OFF = ("Off: an object that exists in the cluster now is left exactly as it is (listed as skipped "
                 "in the preview); only missing objects are re-created.")
OVERWRITE_ON = ("On: objects that exist now are applied with --force-conflicts, so every field the backup holds "
                "goes back to its backed-up value; changes made to those fields since the backup are lost. "
                "Nothing is deleted.")


def describe(opts: Options) -> str:
    """The chosen scope in one line (shown in the form and on the rollback screen)."""
    return (f"namespaces: {', '.join(opts.namespaces) or 'all'}; kinds: {', '.join(opts.kinds) or 'all'}; "
            f"existing objects: {'overwritten' if opts.overwrite else 'skipped'}")


class RestoreOptionsDialog(FittedDialog, ModalScreen[Options | None]):
    """Dismisses with the restore `Options`, or None when the user backs out."""

    AUTO_FOCUS = "#restore-namespaces"
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="restore-options.cancel"),
        Binding("ctrl+s", "submit", "Preview", id="restore-options.submit"),
    ]

    def __init__(self, namespaces: list[str], kinds: list[str], *, source: str = "", opts: Options | None = None) -> None:
        super().__init__()
        self.namespaces = namespaces
        self.kinds = kinds
        self.source = source
        self.initial = opts or Options()

    def compose(self) -> ComposeResult:
        with Vertical(id="restore-options-box", classes="dialog"):
            yield Label("Restore from the Phase 1 backup: what to restore", classes="dialog-title")
            with VerticalScroll(classes="dialog-body", id="restore-options-body"):
                if self.source:
                    yield Static(self.source, id="restore-source")
                with Horizontal(id="restore-lists"):
                    with Vertical(classes="restore-column"):
                        yield Label("Namespaces (none = all)", classes="restore-prompt")
                        yield SelectionList[str](*[(ns, ns, ns in self.initial.namespaces) for ns in self.namespaces],
                                                 id="restore-namespaces", classes="restore-list")
                    with Vertical(classes="restore-column"):
                        yield Label("Kinds (none = all)", classes="restore-prompt")
                        yield SelectionList[str](*[(k, k, k in self.initial.kinds) for k in self.kinds],
                                                 id="restore-kinds", classes="restore-list")
                yield Static("Space toggles, tab moves on. With namespaces chosen, cluster-scoped objects other "
                             "than those Namespaces are left out.", classes="restore-help")
                with Horizontal(id="restore-overwrite-row"):
                    yield Switch(value=self.initial.overwrite, id="restore-overwrite")
                    yield Label("Overwrite objects that exist now", id="restore-overwrite-label")
                yield Static(OVERWRITE_ON if self.initial.overwrite else OVERWRITE_OFF, id="restore-overwrite-help",
                             classes="restore-help")
            yield Static(describe(self.initial), id="restore-scope")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Preview", id="submit", variant="primary")

    def options(self) -> Options:
        """The user's choices, in the backup's order."""
        ns = set(self.query_one("#restore-namespaces", SelectionList).selected)
        kinds = set(self.query_one("#restore-kinds", SelectionList).selected)
        return Options(namespaces=[n for n in self.namespaces if n in ns], kinds=[k for k in self.kinds if k in kinds],
                       overwrite=self.query_one("#restore-overwrite", Switch).value)

    @on(SelectionList.SelectedChanged)
    @on(Switch.Changed, "#restore-overwrite")
    def changed(self) -> None:
        opts = self.options()
        self.query_one("#restore-overwrite-help", Static).update(OVERWRITE_ON if opts.overwrite else OVERWRITE_OFF)
        self.query_one("#restore-scope", Static).update(describe(opts))

    @on(Button.Pressed, "#submit")
    def action_submit(self) -> None:
        self.dismiss(self.options())

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
