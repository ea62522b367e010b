"""The checklist of one phase: a status icon, the seed's number and the title of each item."""
from __future__ import annotations

from rich.text import Text
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from wizard.checklist import Item
from wizard.state import State

from ..status import STYLES, icon


def item_prompt(item: Item, status: str) -> Text:
    """One row: '✔  1.1 Choose Option A …', dimmed with a note when not available yet."""
    text = Text.assemble(icon(status), " ", (f"{item.alias:>4}", "bold"), " ")
    if item.unavailable:
        text.append(item.title, style="dim")
        text.append("  (not available yet)", style="dim italic")
    else:
        text.append(item.title, style="bold" if status == "running" else "")
        if status not in ("pending", "running"):
            text.append(f"  {status}", style=STYLES.get(status, ""))
    return text


class Checklist(OptionList):
    """The items of a phase; moving the highlight shows that item's evidence."""

    class ItemHighlighted(Message):
        """The highlight moved to another item."""

        def __init__(self, checklist: "Checklist", item_id: str) -> None:
            super().__init__()
            self.checklist = checklist
            self.item_id = item_id

        @property
        def control(self) -> "Checklist":
            return self.checklist

    def __init__(self, items: list[Item], **kwargs) -> None:
        super().__init__(*[Option(item_prompt(it, "pending"), id=it.id) for it in items], **kwargs)
        self.items = items

    def show_state(self, state: State, active: set[str]) -> None:
        """Redraw every row from the stored state; items being worked on show as running."""
        for it in self.items:
            status = "running" if it.id in active else state.item(it.id).status
            self.replace_option_prompt(it.id, item_prompt(it, status))

    @property
    def selected_item(self) -> Item | None:
        if self.highlighted is None or not self.items:
            return None
        return self.items[self.highlighted]

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        if event.option.id:
            self.post_message(self.ItemHighlighted(self, event.option.id))
