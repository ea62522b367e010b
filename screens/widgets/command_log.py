"""The live log: every command the runner starts and every progress line of the running action."""
from __future__ import annotations

from textual.widgets import Log


class CommandLog(Log):
    """Follows the App's log; a log on a screen opened later replays what ran before."""

    def __init__(self, **kwargs) -> None:
        super().__init__(max_lines=2000, highlight=False, auto_scroll=True, **kwargs)
        self._seen = 0

    def on_mount(self) -> None:
        self.border_title = "Command log"
        self.watch(self.app, "log_count", self._catch_up)

    def _catch_up(self, count: int) -> None:
        lines = self.app.log_since(self._seen)
        self._seen = count
        if lines:
            self.write_lines(lines)
            # The replay on a new screen happens before the log has a size, so Log's own scroll
            # to the end does nothing then: follow the newest line once the layout is known.
            self.call_after_refresh(self.scroll_end, animate=False, immediate=True)
