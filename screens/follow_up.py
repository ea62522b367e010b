"""The questions an item asks right after it has run, in the same flow (5.4: the code its test event carried).

The core decides (Item.follow_up); the TUI shows them in the answers form as soon as the run ends, and
checks the item again with the answers, instead of asking the user to run it a second time.
"""
from __future__ import annotations

from types import SimpleNamespace
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from .app import WizardApp


def ask_follow_up(app: "WizardApp", item_id: str, questions: tuple) -> None:
    """Push the answers form with `questions`; once answered, verify the item (Esc leaves it as it is)."""
    from .dialogs.answers import AnswersDialog

    item = app.engine.item(item_id)
    shim = SimpleNamespace(alias=item.alias, title=f"{item.title}: one more thing", questions=list(questions))

    def answered(answers: dict | None) -> None:
        if answers is None:
            app.write_log(f"{item_id}: not answered now; run it again to answer later")
            return
        if app._save_answers(answers):
            app.start_verify([item_id], f"{item.alias} {item.title}")

    app.push_screen(AnswersDialog(shim, app.session.answers), answered)
