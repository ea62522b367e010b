"""The live log: every command the runner starts and every progress line of the running action."""
from __future__ import annotations

import textwrap

from textual.events import Resize
from textual.widgets import Log

MAX_LINES = 2000


def wrap(line: str, width: int) -> list[str]:
    """`line` folded to `width` columns; continuation lines are indented so a wrapped command still
    reads as one. Long words (paths, URLs) are broken rather than cut off at the pane's edge."""
    if width < 10 or len(line) <= width:
        return [line]
    return textwrap.wrap(line, width, subsequent_indent="    ", break_long_words=True, break_on_hyphens=False,
                         replace_whitespace=False, drop_whitespace=True) or [line]


class CommandLog(Log):
    """Follows the App's log; a log on a screen opened later replays what ran before.

    Textual's Log neither wraps nor re-flows, so lines are folded here to the pane's width and
    folded again when the pane changes size. `entries` keeps the lines as they were written."""

    def __init__(self, **kwargs) -> None:
        super().__init__(max_lines=MAX_LINES * 2, highlight=False, auto_scroll=True, **kwargs)
        self._seen = 0
        self.entries: list[str] = []
        self._fold_at = 0

    def on_mount(self) -> None:
        self.border_title = "Command log"
        self.watch(self.app, "log_count", self._catch_up)

    def _fold_width(self) -> int:
        # One column is left for the vertical scrollbar, which appears once the log overflows.
        return max(0, self.scrollable_content_region.width - 1)

    def _catch_up(self, count: int) -> None:
        lines = self.app.log_since(self._seen)
        self._seen = count
        if lines:
            self.entries.extend(lines)
            del self.entries[:-MAX_LINES]
            self.write_lines([part for ln in lines for part in wrap(ln, self._fold_at)])
            # The replay on a new screen happens before the log has a size, so Log's own scroll
            # to the end does nothing then: follow the newest line once the layout is known.
            self.call_after_refresh(self.scroll_end, animate=False, immediate=True)

    def on_resize(self, event: Resize) -> None:
        width = self._fold_width()
        if width == self._fold_at:
            return
        self._fold_at = width
        self.clear()
        self.write_lines([part for ln in self.entries for part in wrap(ln, width)])
        self.call_after_refresh(self.scroll_end, animate=False, immediate=True)
