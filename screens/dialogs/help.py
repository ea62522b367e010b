"""Help on ? or F1: what the screen is for and every key that works on it right now."""
from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Markdown

ABOUT = """\
The wizard moves this repository to Flux CD in five phases. An item is ticked only when its live check
passes; its evidence (the commands run and what they showed) stays with it. Nothing changes without a
preview and your confirmation, and every step is saved at once: quit at any time and resume later.
"""

GENERAL = [
    ("ctrl+p", "command palette: verify all, go to a phase, stop…"),
    ("tab / esc", "move between panes and buttons / back out of a dialog or a screen"),
    ("x", "stop the running check or action"),
    ("P / S / F / u", "the Phase 2 plan, secrets, Flux status, undo (rollback)"),
    ("g", "on the plan, secrets, Flux status and rollback screens: read it all again"),
    ("ctrl+q", "save and quit (asks first while something runs)"),
]
# Said once, under "Everywhere": a screen's own binding for one of these keys is not listed again.
GENERAL_KEYS = {"ctrl+p", "tab", "shift+tab", "escape", "x", "P", "S", "F", "u", "g", "ctrl+q", "question_mark", "f1",
                # a list's own movement keys (Home, End, Page Up…): every list has them, nobody reads help for them
                "left", "right", "up", "down", "home", "end", "pageup", "pagedown"}


def keys_markdown(screen: Screen) -> str:
    """The keys of `screen` itself (also those the footer has no room for), as a table."""
    rows, seen = [], set()
    for key, active in screen.active_bindings.items():
        b = active.binding
        if not b.description or active.node is screen.app or b.key in GENERAL_KEYS or (b.action, b.description) in seen:
            continue
        seen.add((b.action, b.description))
        why = getattr(screen, "unavailable_reason", lambda action: None)(b.action)
        note = "" if active.enabled else f" *({why or 'not available now'})*"
        rows.append(f"| `{screen.app.get_key_display(b)}` | {b.description}{note} |")
    return "\n".join(["| Key | Does |", "|---|---|", *rows]) if rows else ""


def help_markdown(screen: Screen) -> str:
    """What matters on this screen first (its purpose and its keys), then the keys that work everywhere,
    then what the wizard is: at 80x24 the first page is about where the user is (issue 24: the help listed
    too much at once, the keys of the screen below the fold)."""
    about = (getattr(screen, "HELP", None) or "").strip()
    here = keys_markdown(screen)
    general = "\n".join(["| Key | Does |", "|---|---|", *[f"| `{k}` | {d} |" for k, d in GENERAL]])
    parts = ["## This screen", about, here, "## Everywhere", general, "## The wizard", ABOUT]
    return "\n\n".join(p for p in parts if p) + "\n"


class HelpDialog(ModalScreen[None]):
    """Built for the screen it was opened on, so it lists the keys that work there."""

    BINDINGS = [
        Binding("escape", "close", "Close", id="help.close"),
        Binding("question_mark,f1,q", "close", "Close", show=False, id="help.close-keys"),
    ]

    def __init__(self, screen: Screen) -> None:
        super().__init__()
        self.text = help_markdown(screen)

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-box", classes="dialog"):
            yield Markdown(self.text, id="help-text")

    def on_mount(self) -> None:
        self.query_one("#help-box").border_title = "Help (esc to close)"

    def action_close(self) -> None:
        self.dismiss(None)
