"""How a checklist status looks on screen: one icon and one style per status.

Shared by the home screen, the checklist and the dialogs so a status reads the same everywhere.
"""
from __future__ import annotations

from rich.text import Text

ICONS = {"passed": "✔", "failed": "✘", "blocked": "■", "skipped": "↷", "pending": "·", "running": "…"}
STYLES = {"passed": "bold green", "failed": "bold red", "blocked": "yellow", "skipped": "dim",
          "pending": "dim", "running": "bold cyan"}


def icon(status: str) -> Text:
    """The status icon, coloured."""
    return Text(ICONS.get(status, "?"), style=STYLES.get(status, ""))


def label(status: str) -> Text:
    """Icon and word, e.g. '✔ passed'."""
    return Text.assemble(icon(status), " ", (status, STYLES.get(status, "")))
