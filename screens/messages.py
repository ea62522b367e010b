"""Events the App's workers post from their threads (past tense, harlequin style).

`post_message` is thread-safe, so a worker thread reports through these and never touches a
widget itself; the App turns them into state the screens render.
"""
from __future__ import annotations

from textual.message import Message

from wizard.checklist import Plan, Verdict


class CommandStarted(Message):
    """The runner started a command (argv already redacted)."""

    def __init__(self, argv: list[str]) -> None:
        super().__init__()
        self.argv = argv


class OutputLogged(Message):
    """A line of progress from a running action (engine.run's progress callback)."""

    def __init__(self, line: str, item_id: str | None = None) -> None:
        super().__init__()
        self.line = line
        self.item_id = item_id  # set for a running item's progress: its evidence pane shows the latest


class JobEnded(Message):
    """A piece of work's thread has returned (a stopped worker reports CANCELLED before that)."""


class ItemStarted(Message):
    """A worker began verifying or running an item; `position` (n, total) when it is one of a re-check of
    many."""

    def __init__(self, item_id: str, position: tuple[int, int] | None = None) -> None:
        super().__init__()
        self.item_id = item_id
        self.position = position


class ItemChecked(Message):
    """An item has a new stored verdict (after verify or run)."""

    def __init__(self, item_id: str, verdict: Verdict) -> None:
        super().__init__()
        self.item_id = item_id
        self.verdict = verdict


class PlanPrepared(Message):
    """A plan was computed for an item; `confirm` says whether the user asked to run it."""

    def __init__(self, item_id: str, plan: Plan, confirm: bool) -> None:
        super().__init__()
        self.item_id = item_id
        self.plan = plan
        self.confirm = confirm


class PlanRefused(Message):
    """The core refused to plan an item (a missing prerequisite, no cluster…): show why."""

    def __init__(self, item_id: str, reason: str) -> None:
        super().__init__()
        self.item_id = item_id
        self.reason = reason
