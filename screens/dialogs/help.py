"""Help on ? or F1: what the screen is for and every key that works on it right now."""
from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Markdown

INTRO = """\
# homelab-wizard

The wizard moves this repository to Flux CD in five phases. An item is ticked only when its
live check passes; its evidence (the commands run and what they showed) stays with it.
Nothing changes without a preview and your confirmation, and every step is saved at once:
quit at any time and resume later.
"""

GENERAL = [
    ("↑ ↓ / enter", "move in a list / open or preview the highlighted entry"),
    ("ctrl+p", "command palette: verify all, go to a phase, stop…"),
    ("tab / shift+tab", "move between panes and buttons"),
    ("esc", "back out of a dialog or a phase"),
    ("x", "stop the running check or action"),
    ("P / S / F / u", "from every screen: the Phase 2 plan, secrets, Flux status, undo (rollback)"),
    ("g", "on the plan, secrets, Flux status and rollback screens: read it all again"),
    ("ctrl+q", "save and quit (asks first while something runs)"),
]


def keys_markdown(screen: Screen) -> str:
    """A table of the keys shown in the footer of `screen` (its own and the App's), then the general ones."""
    rows, seen = [], set()
    for key, active in screen.active_bindings.items():
        b = active.binding
        # Every key that works here, also those the footer has no room for; not the arrow-key noise.
        if not b.description or b.key in ("left", "right", "up", "down") or (b.action, b.description) in seen:
            continue
        seen.add((b.action, b.description))
        why = getattr(screen, "unavailable_reason", lambda action: None)(b.action)
        note = "" if active.enabled else f" *({why or 'not available now'})*"
        rows.append(f"| `{screen.app.get_key_display(b)}` | {b.description}{note} |")
    general = [f"| `{k}` | {d} |" for k, d in GENERAL]
    return "\n".join(["| Key | Does |", "|---|---|", *rows, *general])


class HelpDialog(ModalScreen[None]):
    """Built for the screen it was opened on, so it lists the keys that work there."""

    BINDINGS = [
        Binding("escape", "close", "Close", id="help.close"),
        Binding("question_mark,f1,q", "close", "Close", show=False, id="help.close-keys"),
    ]

    def __init__(self, screen: Screen) -> None:
        super().__init__()
        about = getattr(screen, "HELP", None) or ""
        self.text = f"{INTRO}\n## This screen\n\n{about}\n\n## Keys\n\n{keys_markdown(screen)}\n"

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-box", classes="dialog"):
            yield Markdown(self.text, id="help-text")

    def on_mount(self) -> None:
        self.query_one("#help-box").border_title = "Help (esc to close)"

    def action_close(self) -> None:
        self.dismiss(None)
