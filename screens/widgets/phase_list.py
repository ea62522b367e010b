"""The home screen's list of phases, each with a bar of passed items and counts.

One OptionList (not a widget per row): the home screen is the first thing a user sees, and
every extra widget costs start-up time.
"""
from __future__ import annotations

from collections import Counter

from rich.text import Text
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from wizard.checklist import Item
from wizard.state import State

BAR_WIDTH = 24


def phase_counts(items: list[Item], state: State) -> Counter:
    """How many items of a phase are in each status ('unavailable' counted apart)."""
    counts: Counter = Counter()
    for it in items:
        counts["unavailable" if it.unavailable else state.item(it.id).status] += 1
    return counts


def counts_text(items: list[Item], counts: Counter) -> str:
    parts = [f"{counts['passed']}/{len(items)} passed"]
    for status in ("failed", "blocked", "skipped"):
        if counts[status]:
            parts.append(f"{counts[status]} {status}")
    if counts["unavailable"]:
        parts.append(f"{counts['unavailable']} not available yet")
    return " · ".join(parts)


def progress_bar(done: int, total: int, width: int = BAR_WIDTH) -> Text:
    filled = round(width * done / total) if total else 0
    return Text.assemble(("━" * filled, "green"), ("━" * (width - filled), "grey35"))


class Phase:
    """A phase as the home screen shows it: number, title and its items."""

    def __init__(self, phase_id: str, number: str, title: str, items: list[Item]) -> None:
        self.id, self.number, self.title, self.items = phase_id, number, title, items

    def prompt(self, state: State) -> Text:
        counts = phase_counts(self.items, state)
        return Text.assemble((f"{self.number}  ", "bold"), f"{self.title:<22}",
                             progress_bar(counts["passed"], len(self.items)), "  ",
                             (counts_text(self.items, counts), "dim"))


class PhaseList(OptionList):
    """The phases in plan order (the secrets group sits between Phase 2 and 3)."""

    class PhaseChosen(Message):
        """The user pressed enter (or clicked) on a phase."""

        def __init__(self, phase_id: str) -> None:
            super().__init__()
            self.phase_id = phase_id

    def __init__(self, phases: list[Phase], state: State, **kwargs) -> None:
        super().__init__(*[Option(p.prompt(state), id=p.id) for p in phases], **kwargs)
        self.phases = {p.id: p for p in phases}

    def show_state(self, state: State) -> None:
        for p in self.phases.values():
            self.replace_option_prompt(p.id, p.prompt(state))

    def counts(self, phase_id: str, state: State) -> str:
        p = self.phases[phase_id]
        return counts_text(p.items, phase_counts(p.items, state))

    @property
    def highlighted_phase(self) -> str | None:
        if self.highlighted is None:
            return None
        return self.get_option_at_index(self.highlighted).id

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id:
            self.post_message(self.PhaseChosen(event.option.id))
