"""The evidence of the selected item: its status, message, when it was checked, and what was seen."""
from __future__ import annotations

from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from wizard.checklist import Item
from wizard.state import ItemState

from ..status import label


def format_evidence(value, indent: int = 0) -> list[str]:
    """Evidence (nested dicts and lists) as readable indented lines, like YAML."""
    pad = "  " * indent
    lines: list[str] = []
    if isinstance(value, dict):
        for k, v in value.items():
            if isinstance(v, (dict, list)) and v:
                lines.append(f"{pad}{k}:")
                lines.extend(format_evidence(v, indent + 1))
            else:
                lines.append(f"{pad}{k}: {_scalar(v)}")
    elif isinstance(value, list):
        for v in value:
            if isinstance(v, dict) and v:
                sub = format_evidence(v, indent + 1)
                lines.append(f"{pad}- {sub[0].strip()}")
                lines.extend(sub[1:])
            else:
                lines.append(f"{pad}- {_scalar(v)}")
    else:
        lines.append(f"{pad}{_scalar(value)}")
    return lines


def _scalar(v) -> str:
    if v is None:
        return "—"
    if isinstance(v, (dict, list)):
        return "{}" if isinstance(v, dict) else "[]"
    if isinstance(v, bool):
        return "yes" if v else "no"
    return str(v)


def render_evidence(item: Item, st: ItemState, status: str, missing: list[Item],
                    progress: tuple[str, str] | None = None, say=lambda text: text) -> Text:
    """Everything the user should know about one item, as one block of text. `progress` is a running
    item's (start time, latest progress line)."""
    text = Text()
    text.append(f"{item.alias} {item.id}\n", style="bold")
    text.append(f"{item.title}\n\n")
    if item.unavailable:
        text.append(f"not available yet: {item.unavailable}\n", style="yellow")
        text.append("It is listed so you can see the whole plan; it cannot be run or ticked yet.\n", style="dim")
        return text
    text.append("Status: ")
    text.append_text(label(status))
    if st.checked_at:
        text.append(f"   checked {st.checked_at}", style="dim")
    text.append("\n")
    if status == "running" and progress:
        started, latest = progress
        text.append(f"Running since {started}" if started else "Running", style="bold")
        text.append(f": {say(latest)}\n" if latest else "\n")
        text.append("Every line it prints is in the command log; x stops it.\n", style="dim")
    elif st.message:
        text.append(f"{say(st.message)}\n")
    if missing:
        names = ", ".join(f"{m.alias} {m.id}" for m in missing)
        text.append(f"Needs first: {names}\n", style="yellow")
    never = st.status == "pending" and not st.checked_at
    if never:
        text.append("Not checked yet: press v to check it now" + (", or r to run it.\n" if item.acts else ".\n"),
                    style="dim")
    if not item.acts:  # "checked, not run" beside "not checked yet" read as a contradiction
        text.append("This item only checks; running it (r) checks it"
                    + (" once Flux has settled" if item.settles else "") + ". It passes once what it checks is true.\n",
                    style="dim")
    if st.evidence:
        text.append("\nEvidence\n", style="bold underline")
        text.append("\n".join(format_evidence(st.evidence)))
    return text


class EvidenceView(VerticalScroll, can_focus=True):
    """A scrollable pane with the evidence of the highlighted item."""

    ALLOW_MAXIMIZE = True  # z zooms it (a scroll container is not maximizable by default)

    def compose(self):
        yield Static(id="evidence-text")

    def on_mount(self) -> None:
        self.border_title = "Evidence"

    def show(self, item: Item | None, st: ItemState | None = None, status: str = "pending",
             missing: list[Item] | None = None, progress: tuple[str, str] | None = None) -> None:
        body = self.query_one("#evidence-text", Static)
        if item is None or st is None:
            body.update("No item selected.")
            return
        body.update(render_evidence(item, st, status, missing or [], progress,
                                    say=getattr(self.app, "say", lambda text: text)))
