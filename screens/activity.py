"""What the App shows of the work going on: the command log all log panes follow, and each running
item's latest progress line (its evidence pane says what a long step does now, not only "running").

A mixin of `WizardApp` (screens/app.py); the reactive counters it bumps (`log_count`, `revision`)
are declared on the App.
"""
from __future__ import annotations

import time

from .messages import CommandStarted, ItemChecked, ItemStarted, OutputLogged

LOG_LIMIT = 5000  # lines of command output kept for the log panes


class ActivityLog:
    """The log lines and the running items' progress, fed by the workers' messages."""

    # -- the command log -------------------------------------------------------------------
    def write_log(self, line: str) -> None:
        if not line.lstrip().startswith("$ "):  # the wizard's own words, said as the TUI says them (not a command run)
            line = self.say(line)
        self._log.append(line)
        if len(self._log) > LOG_LIMIT:
            drop = len(self._log) - LOG_LIMIT
            del self._log[:drop]
            self._log_offset += drop
        self.log_count += 1

    def log_since(self, seen: int) -> list[str]:
        """The log lines after the first `seen` ever written (older ones may have been dropped)."""
        return self._log[max(0, seen - self._log_offset):]

    # -- messages from the workers -------------------------------------------------------
    def on_command_started(self, message: CommandStarted) -> None:
        self.last_command = " ".join(message.argv)
        self.write_log(f"$ {self.last_command}")

    def on_output_logged(self, message: OutputLogged) -> None:
        self.write_log(f"  {message.line}")
        if message.item_id in self.active_items:
            started = self.progress.get(message.item_id, ("", ""))[0]
            self.progress[message.item_id] = (started, message.line)
            self.revision += 1

    def on_item_started(self, message: ItemStarted) -> None:
        self.active_items.add(message.item_id)
        if message.position:  # a re-check of many: the home screen shows "Checking n of total: item"
            self.checking = (*message.position, message.item_id)
        self.progress[message.item_id] = (time.strftime("%H:%M:%S"), "")
        self.revision += 1

    def on_item_checked(self, message: ItemChecked) -> None:
        self.active_items.discard(message.item_id)
        self.progress.pop(message.item_id, None)
        self.revision += 1

